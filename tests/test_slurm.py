"""The workflow on a real Slurm (tests/slurm/cluster.sh): same DAG, same metrics as the local run.

Runs where it can: as root, with Debian's slurm-wlm and munge installable. Elsewhere it skips and says
why. Every rule must declare threads and resources, since each becomes a Slurm job.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, SMALL, clean_copy, run_snakemake

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"
SLURM_PROFILES = ["--workflow-profile", "workflow/profiles/slurm", "--profile", "tests/slurm/profile"]
DETERMINISTIC_KEYS = ("test_accuracy", "test_loss", "parameters", "multiply_adds", "epochs_run",
                      "best_epoch", "train_images", "test_images")


def rule_blocks() -> dict[str, str]:
    blocks = {}
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")) + [REPO / "Snakefile"]:
        parts = re.split(r"^rule (\w+):\n", path.read_text(), flags=re.M)
        blocks.update(dict(zip(parts[1::2], parts[2::2])))
    return blocks


@pytest.mark.parametrize("rule", sorted(set(rule_blocks()) - {"all"}))
def test_every_rule_declares_threads_and_resources(rule):
    block = rule_blocks()[rule]
    assert re.search(r"^    threads:", block, re.M), f"rule {rule} has no threads:"
    assert re.search(r"^        mem_mb=\d+", block, re.M), f"rule {rule} has no resources mem_mb"
    assert re.search(r"^        runtime=\d+", block, re.M), f"rule {rule} has no resources runtime"


def test_slurm_profile_plans_the_full_dag():
    result = subprocess.run(["snakemake", "-n", "--workflow-profile", "workflow/profiles/slurm",
                             "--profile", "tests/slurm/profile"], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "baseline_train" in result.stdout


@pytest.fixture(scope="session")
def slurm_cluster():
    started = subprocess.run(["bash", str(CLUSTER), "start"], capture_output=True, text=True, timeout=900)
    if started.returncode == 3:
        pytest.skip(started.stderr.strip())
    assert started.returncode == 0, started.stdout + started.stderr
    yield
    subprocess.run(["bash", str(CLUSTER), "stop"], capture_output=True, timeout=120)


def deterministic_metrics(workdir: Path) -> dict[str, dict]:
    return {str(path.relative_to(workdir)): {k: v for k, v in json.loads(path.read_text()).items()
                                             if k in DETERMINISTIC_KEYS}
            for path in sorted((workdir / "results").rglob("metrics.json"))}


@pytest.mark.e2e
def test_small_config_on_slurm_matches_local_run(slurm_cluster, interrupted_then_resumed,
                                                 tmp_path_factory):
    local_workdir, _, _ = interrupted_then_resumed
    local = deterministic_metrics(local_workdir)
    workdir = clean_copy(tmp_path_factory.mktemp("slurm"))
    # Every job that trains (all metrics.json of the local run) and one latency job on an exclusive node.
    # Not the whole DAG: its ~50 one-second latency jobs queue one by one for an exclusive node, which
    # tripled this test's time without testing anything new; test_e2e runs the whole DAG locally.
    targets = [*local, "results/latency/baseline.json"]
    started = time.monotonic()
    result = run_snakemake(workdir, *targets, *SLURM_PROFILES, *SMALL)
    print(f"small config through Slurm: {time.monotonic() - started:.0f} s")
    submitted = re.findall(r"submitted with SLURM jobid", result.stdout + result.stderr)
    assert len(submitted) >= 5, "the jobs did not go through Slurm"
    assert (workdir / "results/latency/baseline.json").exists()
    assert local and local == deterministic_metrics(workdir)
