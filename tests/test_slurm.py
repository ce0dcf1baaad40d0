"""The workflow on a real Slurm (tests/slurm/cluster.sh): same DAG, same metrics as the local run.

Runs where it can: as root, with Debian's slurm-wlm and munge installable. Elsewhere it skips and says
why. Every rule must declare threads and resources, since each becomes a Slurm job.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, SMALL, clean_copy, job_env, run_snakemake

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


# The smallest node the workflow must fit (override for your site): every job's request must be
# grantable by one such node, or that job never starts.
NODE_CPUS = int(os.environ.get("SLURM_TEST_NODE_CPUS", "8"))
NODE_MEM_MB = int(os.environ.get("SLURM_TEST_NODE_MEM_MB", "16000"))
NODE_MAX_RUNTIME_MIN = int(os.environ.get("SLURM_TEST_MAX_RUNTIME_MIN", "240"))
TIMING_RULES = {"benchmark_latency", "zoo_latency", "zoo_machine", "zoo_probes", "compression_sparse_kernels",
                "structures_latency", "comparison_latency"}


def slurm_requests(*args: str) -> list[dict]:
    """Rule, threads and resources of every job the Slurm profile would submit (full DAG, dry run)."""
    # --forceall: every job of the DAG, whatever a local run in this checkout already built.
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--forceall", *SLURM_PROFILES, *args], cwd=REPO,
                            capture_output=True, text=True, timeout=300, env=job_env())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", result.stdout):
        match = re.match(r"(local)?rule (\w+):\n", block)
        if not match:
            continue
        threads = re.search(r"^    threads: (\d+)$", block, re.M)
        resources = dict(re.findall(r"(\w+)=([^,\n]+)", re.search(r"^    resources: (.*)$", block, re.M).group(1)))
        jobs.append({"rule": match.group(2), "local": bool(match.group(1)),
                     "threads": int(threads.group(1)) if threads else 1, **resources})
    return jobs


@pytest.mark.slow
@pytest.mark.parametrize("config", [[], SMALL], ids=["full", "small"])
def test_every_slurm_request_fits_a_node(config):
    jobs = slurm_requests(*config)
    assert {job["rule"] for job in jobs} >= {"baseline_train", "benchmark_latency", "thesis_pdf"}
    problems = [job for job in jobs if not job["local"] and job["rule"] != "all" and (
        job["threads"] > NODE_CPUS or int(job["mem_mb"]) > NODE_MEM_MB
        or int(job["runtime"]) > NODE_MAX_RUNTIME_MIN)]
    assert not problems, f"requests no {NODE_CPUS}-CPU / {NODE_MEM_MB} MB node can grant: {problems}"
    timing = [job for job in jobs if job["rule"] in TIMING_RULES]
    assert timing and all(job["threads"] == 2 and "--exclusive" in job.get("slurm_extra", "")
                          for job in timing), timing


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
