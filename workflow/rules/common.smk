# Config validation, paths and input functions shared by every rule file.
import sys
from pathlib import Path

# Validation imports the package from the source tree; the jobs import the installed one
# (scripts/setup.sh and environment.yml install it with `pip install -e .`).
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from mobileopt.core.artifacts import provenance_path
from mobileopt.core.code_deps import code_files
from mobileopt.core.config import ConfigError, Untracked, canonical, result_config, select, validate_config
from snakemake.exceptions import WorkflowError

try:
    validate_config(config)
except ConfigError as error:
    raise WorkflowError(str(error))

# A training's result depends on its thread count, and Snakemake would scale a job's threads down to
# --cores: stop before any work (and any plan) instead. Each training job checks again
# (mobileopt.core.runtime.training_threads), e.g. on a cluster node.
TRAIN_THREADS = max(config["train_threads"], config["activation_pruning"]["threads"])
# (workflow._cores: None without --cores, e.g. on a cluster; the public property raises then.)
if workflow.local_exec and (workflow._cores or TRAIN_THREADS) < TRAIN_THREADS:
    raise WorkflowError(
        f"--cores {workflow._cores} is below the configured training threads ({TRAIN_THREADS}: train_threads, "
        f"activation_pruning.threads), and results depend on the thread count. Run with --cores "
        f"{TRAIN_THREADS} or more, or lower those keys (which reruns every training).")


wildcard_constraints:
    model=r"[a-z0-9_]+(/[a-z0-9_]+)*",  # e.g. baseline, structures/separable_i1


ENV = "../../environment.yml"  # one pinned environment for every rule (STYLE.md)
SRC = Path(workflow.basedir) / "src"
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"
DATASET = "data/dataset.npz"
DATASET_MANIFEST = "data/dataset.json"
GENERATED = "thesis/generated"
# What a job that reads the data set needs of the data config (the download's own keys are its own).
DATA_LIMITS = ("data.train_limit", "data.test_limit")
# ... and what a job that evaluates classifiers needs: also the selection split every variant is chosen
# on (mobileopt.core.training.selection_split: the baseline's validation images).
CLASSIFIER_DATA = (*DATA_LIMITS, "baseline.validation_fraction")
# Timing jobs ask for more cores than any machine has: Snakemake scales them down to --cores, so they
# run alone and no training distorts a latency. The Slurm profile sets them to 2 on an exclusive node.
TIMING_THREADS = 64


def code(*entries):
    """The source files a job runs, as inputs: each entry (a workflow script by its file name, a
    notebook path, or a module name such as mobileopt.measurement.tflite_export) and every package
    module it imports, transitively (mobileopt.core.code_deps). Editing a module reruns exactly the jobs
    whose code imports it; the paths are relative, so a moved project reruns nothing."""
    paths = [e if e.startswith("mobileopt") or "/" in e else str(SCRIPTS / e) for e in entries]
    return code_files(paths, SRC)


def settings(*keys):
    """The config values a job reads, as one param (mobileopt.core.config.select): a change to any of
    them, and only to them, reruns the job; key order in the config file does not matter."""
    return select(config, keys)


def prov(artifact):
    """The provenance record written beside a thesis artifact (mobileopt.core.artifacts)."""
    return str(provenance_path(artifact))


# Registries that each rule file extends with what its topic contributes, so adding a method means
# adding a rule file (and its include), never editing the thesis plumbing or the default target.
THESIS_ARTIFACTS = [f"{GENERATED}/macros.tex"]  # figures and tables the thesis includes
MACRO_FILES = []  # results/macros/<topic>.json: the numbers the prose uses, with their sources
EXTRA_TARGETS = []  # further outputs the default target builds (notebooks, ...)
RESULT_TABLES = []  # tidy result tables of the thesis' numbers, which the reproduction report checks cell by cell


def macro_file(topic):
    return f"results/macros/{topic}.json"


def thesis_artifacts():
    """Every figure, table and macros file the thesis includes (the provenance appendix lists them)."""
    return list(THESIS_ARTIFACTS)


def thesis_sources():
    chapters = sorted(str(path) for path in Path("thesis/chapters").rglob("*.tex"))
    return ["thesis/main.tex", "thesis/references.bib"] + chapters


def all_targets():
    targets = EXTRA_TARGETS + [f"{GENERATED}/provenance_table.tex"]
    if config["thesis"]["compile_pdf"]:
        targets.append("thesis/thesis.pdf")
    return targets
