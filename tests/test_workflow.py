"""The workflow's code, read statically: what a job reads reaches it through params, reports stay light,
and each compression method of the registry is complete."""
from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest
import yaml

from mobileopt.compression.variants import REGISTRY
from tests.conftest import REPO, clean_copy, run_snakemake

SCRIPTS = sorted((REPO / "workflow" / "scripts").glob("*.py"))
# Modules that draw tables and figures or write macros from tidy result files.
REPORTING_MODULES = ["mobileopt.reporting.tables", "mobileopt.reporting.figures", "mobileopt.reporting.thesis",
                     "mobileopt.activation_pruning.report", "mobileopt.activation_pruning.figures",
                     "mobileopt.structures.report", "mobileopt.structures.figures", "mobileopt.zoo.report",
                     "mobileopt.compression.report", "mobileopt.compression.figures",
                     "mobileopt.compression.macros", "mobileopt.compression.summary",
                     "mobileopt.comparison.pareto", "mobileopt.stack.report"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_scripts_read_the_config_only_through_params(script):
    # snakemake.config would let a job read a key its rule does not declare: a change Snakemake cannot see.
    assert "snakemake.config" not in script.read_text()


def test_notebooks_read_the_config_only_through_params():
    for notebook in (REPO / "notebooks").glob("*.ipynb"):
        assert "snakemake.config" not in notebook.read_text()


@pytest.mark.slow
def test_reporting_modules_never_import_tensorflow():
    code = ("import sys\n" + "".join(f"import {name}\n" for name in REPORTING_MODULES)
            + "print(sorted(m for m in ('tensorflow', 'tf_keras', 'ai_edge_litert') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("method", REGISTRY, ids=lambda method: method.name)
def test_registered_method_is_complete(method):
    module = importlib.import_module(f"mobileopt.compression.{method.module}")
    runner = getattr(module, method.runner)
    assert list(inspect.signature(runner).parameters) == ["config", "baseline_path", "data_path", "out_dir",
                                                          "tflite_dir", "threads"]
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert method.name in schema["properties"]["compression"]["properties"]
    for name in ("config.yaml", "small.yaml"):
        section = yaml.safe_load((REPO / "config" / name).read_text())["compression"][method.name]
        assert method.artefact_names(section), f"{name}: {method.name} makes no artefact"
    chapters = " ".join(path.read_text() for path in (REPO / "thesis/chapters/methods").rglob("*.tex"))
    assert f"\\label{{{method.section}}}" in chapters, f"no Methods section {method.section}"


def test_each_method_writes_the_files_the_registry_declares(tmp_path):
    # The registry's extra outputs are names in out_dir that the method's module writes itself.
    for method in REGISTRY:
        source = inspect.getsource(importlib.import_module(f"mobileopt.compression.{method.module}"))
        for name in method.outputs:
            assert f'"{name}"' in source, f"{method.module} never writes {name}"


@pytest.mark.slow
def test_too_few_cores_for_the_training_threads_stops_before_any_work():
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--config", "train_threads=2"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "--cores 1 is below the configured training threads (2" in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/small.yaml"])
def test_a_clean_clone_plans_the_whole_dag(tmp_path, configfile):
    """Every input of every job has a rule that makes it. A file a rule writes without declaring it
    passes on a machine where it already exists and stops a clean clone before any work."""
    result = run_snakemake(clean_copy(tmp_path), "-n", "--configfile", configfile, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
