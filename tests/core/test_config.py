"""Config validation: both shipped configs pass; a wrong key or value fails naming the key."""
import copy
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO
from mobileopt.core.config import ConfigError, config_hash, load_config, validate_config


@pytest.fixture
def default_config() -> dict:
    return load_config(REPO / "config" / "config.yaml")


@pytest.mark.parametrize("name", ["config.yaml", "small.yaml"])
def test_shipped_configs_are_valid(name):
    assert load_config(REPO / "config" / name)["name"]


@pytest.mark.parametrize("path, value, key", [
    (("baseline", "optimizer"), "adamw", "baseline.optimizer"),
    (("baseline", "epochs"), 0, "baseline.epochs"),
    (("benchmark", "threads"), "one", "benchmark.threads"),
    (("data", "source"), "cifar", "data.source"),
    (("data", "mirrors"), ["ftp://example/"], "data.mirrors.0"),
    (("seed",), -1, "seed"),
])
@pytest.mark.slow
def test_wrong_value_names_the_key(default_config, path, value, key):
    config = copy.deepcopy(default_config)
    section = config
    for part in path[:-1]:
        section = section[part]
    section[path[-1]] = value
    with pytest.raises(ConfigError, match=rf"config key '{key}'"):
        validate_config(config)


def test_unknown_key_is_named(default_config):
    config = copy.deepcopy(default_config)
    config["baseline"]["epoch"] = 3  # typo of 'epochs'
    with pytest.raises(ConfigError, match=r"config key 'baseline.epoch'"):
        validate_config(config)


def test_missing_key_is_reported(default_config):
    config = copy.deepcopy(default_config)
    del config["benchmark"]["timed_runs"]
    with pytest.raises(ConfigError, match="timed_runs"):
        validate_config(config)


def test_hash_is_stable_and_sensitive(default_config):
    changed = copy.deepcopy(default_config)
    changed["seed"] += 1
    assert config_hash(default_config) == config_hash(copy.deepcopy(default_config))
    assert config_hash(default_config) != config_hash(changed)


@pytest.mark.slow
def test_snakemake_stops_before_any_work_on_a_bad_config(tmp_path):
    bad = yaml.safe_load((REPO / "config" / "small.yaml").read_text())
    bad["baseline"]["optimizer"] = "adamw"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(path),
                             "--directory", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "baseline.optimizer" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


# --- one source of truth: schema, config.yaml and small.yaml ------------------------------------------

def schema_nodes(node: dict, path: str = ""):
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from schema_nodes(child, f"{path}.{name}".lstrip("."))


def test_schema_has_no_defaults_and_requires_every_key():
    from mobileopt.core.config import load_schema

    for path, node in schema_nodes(load_schema()):
        assert "default" not in node, f"{path}: a schema default nobody applies (config.yaml holds the values)"
        if node.get("properties") and "minProperties" not in node:  # minProperties: a map choosing runs
            assert set(node.get("required", [])) == set(node["properties"]), f"{path}: not every key required"
            assert node.get("additionalProperties") is False, f"{path}: unknown keys would pass"


def key_paths(config: dict, prefix: str = "") -> set[str]:
    paths = set()
    for key, value in config.items():
        paths.add(prefix + key)
        if isinstance(value, dict) and not key.startswith("learning_rates"):
            paths |= key_paths(value, f"{prefix}{key}.")
    return paths


def test_both_configs_have_the_same_keys():
    full = yaml.safe_load((REPO / "config/config.yaml").read_text())
    small = yaml.safe_load((REPO / "config/small.yaml").read_text())
    assert key_paths(full) == key_paths(small)


# --- params: what a job reads, canonically -----------------------------------------------------------

def test_select_takes_dotted_keys_in_canonical_order():
    from mobileopt.core.config import select

    config = {"seed": 1, "data": {"train_limit": 5, "mirrors": ["a/"], "test_limit": None},
              "zoo": {"b": 2, "a": {"y": 1, "x": 2}}}
    chosen = select(config, ["zoo", "data.train_limit", "seed"])
    assert chosen == {"data": {"train_limit": 5}, "seed": 1, "zoo": {"a": {"x": 2, "y": 1}, "b": 2}}
    assert repr(chosen) == "{'data': {'train_limit': 5}, 'seed': 1, 'zoo': {'a': {'x': 2, 'y': 1}, 'b': 2}}"
    reordered = {"zoo": {"a": {"x": 2, "y": 1}, "b": 2}, "data": config["data"], "seed": 1}
    assert repr(select(reordered, ["zoo", "data.train_limit", "seed"])) == repr(chosen)


def test_select_names_a_missing_key():
    from mobileopt.core.config import select

    with pytest.raises(KeyError, match="config key 'data.train_limt' does not exist"):
        select({"data": {"train_limit": 1}}, ["data.train_limt"])


def test_result_config_drops_only_the_keys_marked_result_free(default_config):
    from mobileopt.core.config import result_config, result_free_keys

    free = result_free_keys()
    assert {"data.mirrors", "data.timeout_seconds", "data.package_index_fallback"} <= set(free)
    trimmed = result_config(default_config)
    assert "mirrors" not in trimmed["data"] and trimmed["data"]["source"] == default_config["data"]["source"]
    changed = copy.deepcopy(default_config)
    changed["data"]["mirrors"] = ["https://elsewhere.example/"]
    assert config_hash(result_config(changed)) == config_hash(trimmed)
    changed["seed"] += 1
    assert config_hash(result_config(changed)) != config_hash(trimmed)


def test_untracked_values_are_invisible_to_snakemake_params_trigger():
    from snakemake.persistence import UNREPRESENTABLE, Persistence

    from mobileopt.core.config import Untracked

    serialize = Persistence._serialize_param_builtin
    assert serialize(None, Untracked({"data": {"mirrors": []}})) is UNREPRESENTABLE
    assert serialize(None, {"seed": 1}) == "{'seed': 1}"
