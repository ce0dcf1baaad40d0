"""Shared fixtures: tiny datasets and models, and the repository's paths."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import mobileopt  # noqa: F401  (legacy Keras before TensorFlow loads)

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--configfile", "config/small.yaml"]


@pytest.fixture
def tiny_arrays() -> dict[str, np.ndarray]:
    """A random MNIST-shaped data set (uint8), small enough for unit tests."""
    rng = np.random.default_rng(0)
    return {
        "train_images": rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, 300).astype(np.uint8),
        "test_images": rng.integers(0, 256, (100, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, 100).astype(np.uint8),
    }


# --- running the workflow in a clean copy (end-to-end and Slurm tests) ----------------------

def snakemake_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--cores", "2", *args]


def job_env() -> dict:
    # The jobs run `python` from PATH: make it this interpreter's environment.
    return dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))


def run_snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(snakemake_command(*args), cwd=workdir, env=job_env(), capture_output=True,
                            text=True, timeout=1800)
    if check and result.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}")
    return result


def clean_copy(destination: Path) -> Path:
    """What a clean clone holds: tracked files plus new, not ignored ones (nothing generated)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, destination / name)
    return destination


def interrupt(process: subprocess.Popen, log_path: Path) -> None:
    """Ctrl-C, repeated (as a user would) until Snakemake says it is terminating."""
    for _ in range(30):
        if process.poll() is not None or "Terminating processes on user request" in log_path.read_text():
            return
        process.send_signal(signal.SIGINT)  # what Ctrl-C (or a scheduler's kill) does
        time.sleep(2)
    raise AssertionError("snakemake ignored 30 interrupts")


def default_sigint() -> None:
    """In the child before exec: SIGINT back to its default action.

    A command started in the background by a non-interactive shell (`cmd &`, as CI runners and nohup
    wrappers do) inherits SIGINT *ignored*; Python then installs no KeyboardInterrupt handler and
    Snakemake could never be interrupted, which is not what this test is about."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="session")
def interrupted_then_resumed(tmp_path_factory):
    """Run the small DAG, interrupt it right after the baseline is trained, then resume it."""
    workdir = clean_copy(tmp_path_factory.mktemp("repo"))
    metrics = workdir / "results/baseline/metrics.json"
    first_log = workdir / "first-run.log"
    log = open(first_log, "w")
    process = subprocess.Popen(snakemake_command(*SMALL), cwd=workdir, env=job_env(), stdout=log,
                               stderr=subprocess.STDOUT, preexec_fn=default_sigint)
    trained = re.compile(r"Finished jobid: \d+ \(Rule: baseline_train\)")
    deadline = time.monotonic() + 1200
    while not trained.search(first_log.read_text()) and process.poll() is None:
        assert time.monotonic() < deadline, "baseline_train did not finish in time"
        time.sleep(0.2)
    assert process.poll() is None, first_log.read_text()[-4000:]
    interrupt(process, first_log)
    first_exit = process.wait(timeout=300)
    log.close()
    state_after_interrupt = {
        "exit": first_exit,
        "pdf_existed": (workdir / "thesis/thesis.pdf").exists(),
        "metrics_mtime": metrics.stat().st_mtime_ns,
        "model_mtime": (workdir / "results/baseline/model.keras").stat().st_mtime_ns,
        "partial_files": [str(p) for p in workdir.rglob("*.part")],
    }
    resumed = run_snakemake(workdir, *SMALL)
    return workdir, state_after_interrupt, resumed
