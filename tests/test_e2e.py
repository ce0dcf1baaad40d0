"""End to end: the whole DAG on config/small.yaml in a clean copy of the repository, interrupted once
and resumed, ending with a PDF whose numbers match the metrics files."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import SMALL, run_snakemake

pytestmark = pytest.mark.e2e


def test_interrupt_leaves_no_partial_output(interrupted_then_resumed):
    _, state, _ = interrupted_then_resumed
    assert state["exit"] != 0 and not state["pdf_existed"], "the run finished before the interrupt"
    assert state["partial_files"] == []


def test_resume_does_not_redo_finished_rules(interrupted_then_resumed):
    workdir, state, resumed = interrupted_then_resumed
    assert (workdir / "results/baseline/metrics.json").stat().st_mtime_ns == state["metrics_mtime"]
    assert (workdir / "results/baseline/model.keras").stat().st_mtime_ns == state["model_mtime"]
    assert "rule baseline_train:" not in resumed.stdout + resumed.stderr
    assert "rule data_download:" not in resumed.stdout + resumed.stderr
    dry = run_snakemake(workdir, *SMALL, "-n")
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_pdf_numbers_match_the_metrics(interrupted_then_resumed):
    from pypdf import PdfReader

    workdir, _, _ = interrupted_then_resumed
    metrics = json.loads((workdir / "results/baseline/metrics.json").read_text())
    latency = json.loads((workdir / "results/latency/baseline.json").read_text())
    reader = PdfReader(workdir / "thesis/thesis.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 5
    assert f"{100 * metrics['test_accuracy']:.2f}" in text
    assert f"{latency['median_ms']:.3f}" in text
    assert f"{metrics['parameters']:,}" in text
    assert "??" not in text, "an undefined reference or citation in the PDF"


def test_latex_sets_every_line_inside_the_margins(interrupted_then_resumed):
    workdir, _, _ = interrupted_then_resumed
    log = (workdir / "thesis/build/main.log").read_text(errors="replace")
    overfull = re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too \w+\)[^\n]*", log)
    assert "Output written" in log and not overfull, overfull


def test_no_table_is_printed_below_eight_points(interrupted_then_resumed):
    from tests.reporting.test_thesis import fit_to_width_sizes

    workdir, _, _ = interrupted_then_resumed
    sizes = fit_to_width_sizes((workdir / "thesis/build/main.log").read_text(errors="replace"))
    assert sizes, "no table went through \\fittowidth: this test checks nothing"
    assert min(sizes) >= 8, sizes


def test_no_word_list_is_set_in_math_mode(interrupted_then_resumed):
    """A macro whose value is a list in words ('10, 25 and 50') loses its spaces inside $...$
    ('50and75'): the chapters set such macros in text."""
    workdir, _, _ = interrupted_then_resumed
    macros = (workdir / "thesis/generated/macros.tex").read_text()
    lists = {name for name, value in re.findall(r"\\newcommand\{\\(\w+)\}\{(.*)\}  %", macros)
             if re.search(r" (and|or) ", value)}
    assert lists, "the small run defines no list macro: this test checks nothing"
    chapters = "\n".join(path.read_text() for path in (workdir / "thesis/chapters").rglob("*.tex"))
    in_math = {name for math in re.findall(r"\$([^$]+)\$", chapters)
               for name in re.findall(r"\\(\w+)", math) if name in lists}
    assert not in_math


def test_every_thesis_artifact_has_provenance(interrupted_then_resumed):
    workdir, _, _ = interrupted_then_resumed
    records = [json.loads(p.read_text()) for p in (workdir / "results/provenance").glob("*.json")]
    assert {Path(r["artifact"]).name for r in records} >= {
        "macros.tex", "dataset.tex", "baseline_architecture.tex", "baseline_results.tex",
        "mnist_samples.pdf", "baseline_training_curve.pdf"}
    assert all(r["rule"] and r["config_hash"] and r["code_version"] for r in records)
    appendix = (workdir / "thesis/generated/provenance_table.tex").read_text().replace("\\allowbreak{}", "")
    assert "baseline\\_report" in appendix and "thesis\\_macros" in appendix


def test_notebook_was_executed(interrupted_then_resumed):
    workdir, _, _ = interrupted_then_resumed
    notebook = json.loads((workdir / "logs/notebooks/explore_baseline.ipynb").read_text())
    ours = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"
            and "snakemake preamble" not in "".join(cell["source"])]  # Snakemake injects a preamble
    assert len(ours) == 3 and all(cell["outputs"] for cell in ours), "a notebook cell did not run"
    assert not [o for cell in ours for o in cell["outputs"] if o["output_type"] == "error"]
    assert (workdir / "results/notebooks/baseline_summary.csv").read_text().startswith("test_accuracy")


def test_html_report_contains_the_figures(interrupted_then_resumed):
    workdir, _, _ = interrupted_then_resumed
    run_snakemake(workdir, *SMALL, "--report", "report.html")
    html = (workdir / "report.html").read_text(errors="replace")
    assert "baseline_training_curve.pdf" in html and "mnist_samples.pdf" in html
    assert "reproduction/report.html" in html


def test_comparison_covers_every_topic_and_reaches_the_pdf(interrupted_then_resumed):
    import pandas as pd
    from pypdf import PdfReader

    workdir, _, _ = interrupted_then_resumed
    frame = pd.read_csv(workdir / "results/comparison/all_variants.csv")
    assert {"baseline", "structures", "combination", "quantization", "fisher_pruning"} <= set(frame["method"])
    assert frame["test_accuracy"].notna().all() and frame["pareto_optimal"].any()
    macros = {m["name"]: m["value"] for m in json.loads((workdir / "results/macros/comparison.json").read_text())}
    text = "\n".join(page.extract_text() for page in PdfReader(workdir / "thesis/thesis.pdf").pages)
    assert "All Methods Compared" in text and "Combining Methods" in text
    assert f"{macros['CombinationBestMeasuredSpeedup']} times" in text.replace("\n", " ")


def test_reproduction_report_says_there_is_no_reference_and_a_run_reproduces_itself(
        interrupted_then_resumed, tmp_path, monkeypatch):
    from pypdf import PdfReader

    from mobileopt.core.config import load_config
    from mobileopt.reproduction import compare, reference

    workdir, _, _ = interrupted_then_resumed
    summary = json.loads((workdir / "results/reproduction/summary.json").read_text())
    assert summary["status"] == "no reference" and "configuration small" in summary["reason"]
    screen = (workdir / "results/reproduction/summary.txt").read_text()
    assert screen.startswith("Reproduction: No reference values for configuration small")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(workdir / "thesis/thesis.pdf").pages).split())
    assert "Reproduction: No reference values for configuration small" in text

    # The small run made its own reference: compared with itself, every number it prints is identical.
    reference.refresh(workdir, tmp_path / "reference")
    config = load_config(workdir / "config/small.yaml")
    config["reproduction"]["reference_dir"] = str(tmp_path / "reference")
    tables = json.loads((workdir / reference.RUN_DESCRIPTION).read_text())["tables"]
    monkeypatch.chdir(workdir)
    records = sorted(str(path.relative_to(workdir)) for path in (workdir / "results/provenance").glob("*.json"))
    macros = sorted(str(path.relative_to(workdir)) for path in (workdir / "results/macros").glob("*.json"))
    result, frame = compare.evaluate(config, macros, tables, records, "thesis/main.tex", "test")
    counts = result["counts"]
    assert result["status"] == "compared" and len(tables) >= 10
    assert counts["failed"] == 0 and counts["identical"] == counts["numbers"] > 1000, frame[frame["outcome"] != "identical"]


@pytest.fixture(scope="module")
def with_device_records(interrupted_then_resumed, tmp_path_factory):
    """A copy of the finished small run (the others' tests keep theirs unchanged), then records of three of
    its models from a (simulated) board placed in devices/ as the README describes, and the workflow run
    again."""
    import shutil

    workdir = tmp_path_factory.mktemp("devices") / "project"
    shutil.copytree(interrupted_then_resumed[0], workdir, symlinks=True)
    latency = workdir / "results/latency"
    for path in sorted(latency.rglob("*.json"))[:3]:
        board_record = json.loads(path.read_text())
        board_record["machine"] = dict(board_record["machine"], cpu="Test board (fixture)", arch="aarch64")
        board_record.update(median_ms=3 * board_record["median_ms"], p90_ms=3 * board_record["p90_ms"])
        target = workdir / "devices/test-board" / path.relative_to(latency)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(board_record))
    rerun = run_snakemake(workdir, *SMALL)
    return workdir, rerun


def test_device_records_reach_the_pdf(with_device_records):
    from pypdf import PdfReader

    workdir, rerun = with_device_records
    assert "rule devices_report:" in rerun.stdout + rerun.stderr
    frame = (workdir / "results/devices/latencies.csv").read_text()
    assert frame.count("test-board") == 3
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(workdir / "thesis/thesis.pdf").pages).split())
    assert "test-board" in text and "Test board (fixture)" in text and "3.00 times as long as here" in text
    assert (workdir / "figures/devices_latency.pdf").exists()
