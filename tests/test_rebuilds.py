"""Rebuilds you can trust: on a finished small run, Snakemake plans exactly the jobs a change affects.

- a finished run moved to another directory plans nothing;
- the same configuration with its keys in another order plans nothing;
- every leaf key of config/small.yaml, changed, plans at least one job (the schema's result-free keys:
  none), and keys only reports read never plan a training job;
- touching any module of the package plans exactly the rules whose code imports it (found here with
  the standard library's modulefinder, independently of mobileopt.core.code_deps), plus what depends on
  their outputs; touching a plotting or table module never plans a training job.
"""
from __future__ import annotations

import copy
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from mobileopt.compression.variants import REGISTRY
from mobileopt.core.config import ConfigError, load_schema, result_free_keys, validate_config
from tests.conftest import REPO, SMALL, run_snakemake
from tests.core.test_code_deps import modulefinder_files

pytestmark = pytest.mark.e2e

# Read the whole config by design (the title page's hash; the reproduction report picks its reference by it).
RUN_LEVEL = {"all", "thesis_macros", "thesis_provenance", "thesis_pdf", "reproduction_report"}
TRAINING = {"baseline_train", "structures_train", "activation_pruning_toy", "activation_pruning_autoencoder_plain",
            "activation_pruning_autoencoder_l1"} | {f"compression_{method.name}" for method in REGISTRY}
# Keys that only a report, a timing or the title page read: changing them must not retrain anything.
NOT_TRAINING_KEYS = {"name", "comparison.max_accuracy_drop_points", "activation_pruning.toy.latency_optimizer",
                     "benchmark.threads", "benchmark.warmup_runs", "benchmark.timed_runs", "zoo.warmup_runs",
                     "zoo.timed_runs", "reproduction.reference_dir", "reproduction.latency_tolerance",
                     "reproduction.confidence"}
# Keys only the title page, the reproduction report or the PDF build read: they plan the run-level rules
# and nothing else.
RUN_LEVEL_KEYS = {"name", "reproduction.reference_dir", "reproduction.latency_tolerance", "reproduction.confidence",
                  "thesis.require_every_value"}


# --- reading a dry run -------------------------------------------------------------------------------

def planned_jobs(workdir: Path, *args: str) -> list[tuple[str, str]]:
    """(rule, reason) of every job `snakemake -n` plans."""
    result = run_snakemake(workdir, "-n", *args)
    out = result.stdout + result.stderr
    if "Nothing to be done" in out:
        return []
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", out):
        match = re.match(r"(?:local)?rule (\w+):\n", block)
        if match:
            reason = re.search(r"^    reason: (.*)$", block, re.M)
            jobs.append((match.group(1), reason.group(1) if reason else ""))
    assert jobs, out[-3000:]
    return jobs


def planned_rules(workdir: Path, *args: str) -> set[str]:
    return {rule for rule, _ in planned_jobs(workdir, *args)}


@pytest.fixture(scope="module")
def moved_run(interrupted_then_resumed, tmp_path_factory) -> Path:
    """The finished small run, copied (with its timestamps, as an archive would) to another directory."""
    workdir, _, _ = interrupted_then_resumed
    moved = tmp_path_factory.mktemp("moved") / "project"
    shutil.copytree(workdir, moved, symlinks=True, ignore=shutil.ignore_patterns("report.html"))
    return moved


def test_moved_project_plans_nothing(moved_run):
    assert planned_jobs(moved_run, *SMALL) == []


def reordered(value):
    """The same mapping with every key order reversed (what a formatter sorting keys would do, and more)."""
    if isinstance(value, dict):
        return {key: reordered(value[key]) for key in sorted(value, reverse=True)}
    return value


def test_config_with_keys_in_another_order_plans_nothing(moved_run, tmp_path):
    # config/config.yaml is loaded first and small.yaml merged into it, so the merged config's key
    # order is config.yaml's: rewrite both, as a formatter run over config/ would.
    copies = {}
    for name in ("config.yaml", "small.yaml"):
        path = moved_run / "config" / name
        copies[path] = path.read_text()
        path.write_text(yaml.safe_dump(reordered(yaml.safe_load(copies[path])), sort_keys=False))
    try:
        assert list(yaml.safe_load((moved_run / "config/config.yaml").read_text()))[0] == "zoo"
        assert planned_jobs(moved_run, *SMALL) == []
    finally:
        for path, text in copies.items():
            path.write_text(text)


# --- every leaf key ----------------------------------------------------------------------------------

def leaves(config: dict, prefix: str = ""):
    for key, value in config.items():
        if isinstance(value, dict):
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def schema_node(key: str) -> dict:
    node = load_schema()
    for part in key.split("."):
        node = node.get("properties", {}).get(part, {})
    return node


def fixed_by_schema(node: dict) -> bool:
    """A key the schema allows one value (or one set of values) for cannot change: it documents a
    fixed choice (e.g. the layer that block pruning applies to, both number formats)."""
    allowed = node.get("items", {}).get("enum", [])
    return len(node.get("enum", [0, 1])) == 1 or (bool(allowed) and node.get("minItems", 0) >= len(allowed))


def candidates(value, node: dict) -> list:
    """Other values for a leaf (its schema node gives the allowed ones where it lists them), most
    harmless first; the caller keeps the first one the workflow accepts."""
    return [candidate for candidate in _candidates(value, node) if candidate != value]


def _candidates(value, node: dict) -> list:
    if "enum" in node:
        return list(node["enum"])
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, value * 2, value // 2]
    if isinstance(value, float):
        return [value * 1.5, value / 2, value + 0.1]
    if isinstance(value, str):
        return [value + "x"]
    if value is None:
        return [2000, "/tmp/idx"]
    shorter = [value[:-1], value[1:]] if len(value) > 1 else []
    allowed = node.get("items", {}).get("enum")
    if allowed:
        return shorter + [value + [item] for item in allowed if item not in value] + [[item] for item in allowed]
    if not value:
        return [[0.5], [1]]
    if all(isinstance(item, dict) for item in value):
        return [[{key: 2 * number for key, number in item.items()} for item in value]]
    if all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value):
        def bump(item):
            return item + 1 if isinstance(item, int) else (item * 2 if item * 2 < 1 else item / 2)
        return shorter + [value + [bump(value[-1])], [bump(item) for item in value]]
    return shorter + [value[::-1]]


# Keys whose values must stay among another key's values: that key gets the new values too.
COMPANIONS = {"compression.weight_sharing.gather_clusters": "compression.weight_sharing.clusters",
              "structures.decomposed.reversed_fractions": "structures.decomposed.bound_fractions"}


def with_leaf(config: dict, key: str, value) -> dict:
    changed = copy.deepcopy(config)
    *parents, last = key.split(".")
    node = changed
    for part in parents:
        node = node[part]
    node[last] = value
    return changed


def plan_for_changed_key(workdir: Path, small: dict, key: str, value, tmp_path: Path):
    """The rules planned with `key` changed, trying candidate values until the workflow accepts one."""
    tried = []
    for candidate in candidates(value, schema_node(key)):
        changed = with_leaf(small, key, candidate)
        if key in COMPANIONS:
            companion = COMPANIONS[key]
            values = dict(leaves(small))[companion]
            new = [item for item in (candidate if isinstance(candidate, list) else [candidate]) if item not in values]
            changed = with_leaf(changed, companion, values + new)
        try:
            validate_config(changed)
        except ConfigError:
            continue
        path = tmp_path / f"{key}.yaml"
        path.write_text(yaml.safe_dump(changed, sort_keys=False))
        result = run_snakemake(workdir, "-n", "--configfile", str(path), check=False)
        if result.returncode == 0:
            return candidate, planned_from_output(result.stdout + result.stderr)
        errors = [line for line in (result.stdout + result.stderr).splitlines() if "Error" in line]
        tried.append((candidate, errors[:2]))
    return None, tried


def planned_from_output(out: str) -> set[str]:
    if "Nothing to be done" in out:
        return set()
    return set(re.findall(r"^(?:local)?rule (\w+):$", out, re.M))


def test_every_config_key_plans_the_jobs_that_read_it(moved_run, tmp_path):
    small = yaml.safe_load((moved_run / "config/small.yaml").read_text())
    keys = {key: value for key, value in leaves(small) if not fixed_by_schema(schema_node(key))}
    free = set(result_free_keys())
    with ThreadPoolExecutor(max_workers=2) as pool:
        plans = dict(zip(keys, pool.map(lambda item: plan_for_changed_key(moved_run, small, *item, tmp_path),
                                        keys.items())))
    problems = []
    for key, (value, rules) in plans.items():
        if value is None:
            problems.append(f"{key}: no changed value gives a valid workflow: {rules}")
            continue
        if any(key == f or key.startswith(f + ".") for f in free):
            if rules:
                problems.append(f"{key} -> {value!r} is marked result-free but plans {sorted(rules)}")
        elif not rules:
            problems.append(f"{key} -> {value!r} plans nothing: no job reads it (remove it) or it is invisible")
        elif key not in RUN_LEVEL_KEYS and not rules - RUN_LEVEL:
            problems.append(f"{key} -> {value!r} plans only the run-level rules {sorted(rules)}")
        if key in NOT_TRAINING_KEYS and rules & TRAINING:
            problems.append(f"{key} -> {value!r} is read only by reports but plans {sorted(rules & TRAINING)}")
    assert not problems, "\n".join(problems)


# --- every module ------------------------------------------------------------------------------------

SCRIPTS = REPO / "workflow" / "scripts"
SRC = REPO / "src"
PLOTTING = {"figures", "report", "macros"}  # module names of a topic's tables, figures and macros
# Rules that run a module (shell: python -m) instead of a workflow script; `python -m` imports the
# module's parent packages too.
MODULE_RULES = {"benchmark_convert": "mobileopt.measurement.tflite_export",
                "benchmark_one_operator": "mobileopt.measurement.tflite_export",
                "zoo_machine": "mobileopt.measurement.roofline"}
# Rules that run the stand-alone benchmark file itself (python path/to/file.py: no parent package).
FILE_RULES = {"benchmark_latency": "mobileopt.measurement.litert_benchmark",
              "zoo_latency": "mobileopt.measurement.litert_benchmark"}


def module_path(module: str) -> Path:
    return SRC / Path(*module.split(".")).with_suffix(".py")


def parent_packages(module: str) -> set[str]:
    parts = module.split(".")
    return {str((SRC / Path(*parts[:depth]) / "__init__.py").relative_to(REPO)) for depth in range(1, len(parts))}


def rule_code() -> dict[str, set[str]]:
    """For every rule that runs package code: the package files it imports."""
    code = {}
    for script in SCRIPTS.glob("*.py"):
        code[script.stem] = modulefinder_files(script)
    for family in ("plain", "l1"):  # one script, two rules (the autoencoder's two training families)
        code[f"activation_pruning_autoencoder_{family}"] = code["activation_pruning_autoencoder"]
    del code["activation_pruning_autoencoder"]
    for topic in ("structures", "comparison", "stack"):  # one script, three rules (the interleaved timings)
        code[f"{topic}_latency"] = code["interleaved_latency"]
    del code["interleaved_latency"]
    method_script = code.pop("compression_method")
    for method in REGISTRY:
        module = SRC / "mobileopt" / "compression" / f"{method.module}.py"
        code[f"compression_{method.name}"] = method_script | modulefinder_files(module)
    for rule, module in MODULE_RULES.items():
        code[rule] = modulefinder_files(module_path(module)) | parent_packages(module)
    for rule, module in FILE_RULES.items():
        code[rule] = modulefinder_files(module_path(module))
    return code


def touched_module_problems(workdir: Path, modules: list[str], code: dict[str, set[str]]) -> list[str]:
    problems = []
    for module in modules:
        # An edit, not a touch: Snakemake skips an input that is newer but has the recorded checksum.
        path = workdir / module
        original, stat = path.read_bytes(), path.stat()
        path.write_bytes(original + b"\n# an edit\n")
        try:
            jobs = planned_jobs(workdir, *SMALL)
        finally:
            path.write_bytes(original)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        planned = {rule for rule, _ in jobs}
        expected = {rule for rule, files in code.items() if module in files}
        # Snakemake names the edited file as the reason unless an upstream job reruns too (then it
        # names that): every importer is planned, and nothing else is planned for the edit itself.
        if not expected <= planned:
            problems.append(f"{module}: imported by {sorted(expected - planned)}, which are not planned")
        for rule, reason in jobs:
            if rule not in expected and "updated by another job" not in reason:
                problems.append(f"{module}: {rule} does not import it but is planned: {reason}")
        if ("/reporting/" in module or Path(module).stem in PLOTTING) and planned & TRAINING:
            problems.append(f"{module} (tables, figures) plans training: {sorted(planned & TRAINING)}")
    return problems


def test_touching_a_module_plans_exactly_the_rules_that_import_it(moved_run, tmp_path):
    code = rule_code()
    modules = sorted(str(path.relative_to(moved_run)) for path in (moved_run / "src/mobileopt").rglob("*.py"))
    # Two copies of the run, one per core: each touches half of the modules, one at a time.
    twin = tmp_path / "project"
    shutil.copytree(moved_run, twin, symlinks=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        halves = pool.map(touched_module_problems, [moved_run, twin], [modules[0::2], modules[1::2]],
                          [code, code])
        problems = [problem for half in halves for problem in half]
    assert not problems, "\n".join(problems)


def test_full_config_plans_one_job_per_configured_variant(interrupted_then_resumed):
    from mobileopt.structures.variants import variant_names

    workdir, _, _ = interrupted_then_resumed
    full = yaml.safe_load((workdir / "config/config.yaml").read_text())
    counts = {}
    for rule, _ in planned_jobs(workdir):
        counts[rule] = counts.get(rule, 0) + 1
    assert counts["structures_train"] == len(variant_names(full["structures"]))
    assert counts["zoo_latency"] == len(full["zoo"]["models"]) * len(full["zoo"]["threads"])
    assert counts["zoo_convert"] == len(full["zoo"]["models"])
    assert all(counts[f"compression_{method.name}"] == 1 for method in REGISTRY)
    toy_runs = sum(len(optimizers) for optimizers in full["activation_pruning"]["toy"]["initialisations"].values())
    assert counts["activation_pruning_toy"] == toy_runs
    assert counts["activation_pruning_autoencoder_l1"] == len(full["activation_pruning"]["seeds"])
