"""Load and validate a pipeline configuration against workflow/schemas/config.schema.yaml.

Snakemake's own `validate` reports jsonschema's raw message; this names the offending key as a dotted
path and says how to fix it, and is importable so tests check the same code the workflow runs.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A configuration value the schema rejects."""


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    return yaml.safe_load(Path(path).read_text())


def _dotted(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties":
        # jsonschema puts an unknown key's name only in the message; lift it into the path.
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path = ".".join(filter(None, [path, ",".join(unknown)]))
    return path or "<top level>"


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Return `config` if valid; raise ConfigError naming every offending key otherwise."""
    schema = schema or load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [f"  - config key '{_dotted(e)}': {e.message}" for e in errors]
        raise ConfigError(
            "Invalid configuration:\n" + "\n".join(lines)
            + "\nFix these keys in your config file (see config/config.yaml, documented key by key).")
    return config


def load_config(path: str | Path) -> dict:
    return validate_config(yaml.safe_load(Path(path).read_text()))


def config_hash(config: dict) -> str:
    """Short, stable fingerprint of a configuration for provenance stamps."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def canonical(value: object) -> object:
    """`value` with every mapping's keys sorted, recursively. Snakemake compares a job's params by their
    repr, and a dict's repr follows key order: without this, the same configuration written with its
    keys in another order would rerun every job."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return type(value)(canonical(item) for item in value)
    return value


class Untracked:
    """A param value Snakemake's params trigger does not see (it only compares built-in types): for
    settings that by design change no result, such as download mirrors and time-outs of a data set
    pinned by its hash. The schema marks such keys `x-changes-no-result: true`."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Untracked({self.value!r})"


def select(config: dict, keys: list[str] | tuple[str, ...]) -> dict:
    """The part of `config` under the given dotted keys ("seed", "compression.fine_tune"), nested as in
    the config and in canonical key order. A rule passes this as its params, so Snakemake reruns a job
    exactly when a value it reads changes, and the job cannot read a key its rule did not declare."""
    selected: dict = {}
    for key in keys:
        node, target = config, selected
        parts = key.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"config key '{'.'.join(parts[:depth + 1])}' does not exist")
            node = node[part]
            if depth < len(parts) - 1:
                target = target.setdefault(part, {})
        target[parts[-1]] = node
    return canonical(selected)


RESULT_FREE = "x-changes-no-result"


def result_free_keys(schema: dict | None = None, prefix: str = "") -> list[str]:
    """Dotted keys the schema marks as changing no result (download mirrors, time-outs, ...)."""
    schema = schema or load_schema()
    keys = []
    for name, node in schema.get("properties", {}).items():
        dotted = f"{prefix}{name}"
        if node.get(RESULT_FREE):
            keys.append(dotted)
        keys += result_free_keys(node, dotted + ".") if node.get("properties") else []
    return keys


def result_config(config: dict, schema: dict | None = None) -> dict:
    """`config` in canonical order without the keys that change no result: what the run's results
    depend on, and what its configuration hash (printed in the thesis) fingerprints."""
    trimmed = canonical(config)
    for key in result_free_keys(schema):
        *parents, last = key.split(".")
        node = trimmed
        for part in parents:
            node = node.get(part, {})
        node.pop(last, None)
    return trimmed
