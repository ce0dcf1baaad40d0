"""The reproduction report on a constructed run: itself, one changed accuracy, a slower machine, no reference."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mobileopt.reproduction import classes, compare, reference, report

MACROS = [
    ("MnistTestCount", "10{,}000", "data/dataset.json"),
    ("BaselineTestAccuracy", "99.26", "results/baseline/metrics.json"),
    ("BaselineParameters", "454{,}922", "results/baseline/metrics.json"),
    ("BaselineLatencyMedianMs", "0.227", "results/latency/baseline.json"),
    ("BaselineTrainSeconds", "323", "results/baseline/metrics.json"),
    ("StructuresPlainLatencyMs", "0.119", "results/structures/summary.csv"),
    ("StructuresInceptionLatencyMs", "0.093", "results/structures/summary.csv"),
    ("ZooFastestLatencyMs", "2.1", "results/zoo/summary.csv"),
    ("ComparisonFastestLatencyMs", "0.034", "results/comparison/all_variants.csv"),
    ("ComparisonFastestSpeedup", "6.7", "results/comparison/all_variants.csv"),
    ("CompressionPruningHighAccuracy", "98.46", "results/compression/summary.csv"),
    ("NeverPrinted", "5", "results/compression/summary.csv"),
]
TABLE = "results/comparison/all_variants.csv"
CHAPTER = ("\\chapter{Results}\n\\section{Baseline}\n\\BaselineTestAccuracy{} \\BaselineParameters{} "
           "\\BaselineLatencyMedianMs{} \\BaselineTrainSeconds{} \\StructuresPlainLatencyMs{}\n"
           "\\StructuresInceptionLatencyMs{} \\ZooFastestLatencyMs{} \\ComparisonFastestLatencyMs{}\n"
           "\\section{Pruning}\n\\CompressionPruningHighAccuracy{} \\ComparisonFastestSpeedup{}\n"
           "\\input{generated/tables/comparison_pareto.tex}\n")


def write_run(run_dir: Path, macros=MACROS, latency_factor: float = 1.0) -> None:
    scaled = [(name, f"{float(value) * latency_factor:.3f}" if name.endswith("Ms") else value, source)
              for name, value, source in macros]
    (run_dir / "results" / "macros").mkdir(parents=True)
    (run_dir / "results" / "macros" / "topic.json").write_text(
        json.dumps([{"name": n, "value": v, "source": s} for n, v, s in scaled]))
    (run_dir / "results" / "comparison").mkdir(parents=True)
    pd.DataFrame({"method": ["baseline", "pruning"], "variant": ["Table 2.2", "high"],
                  "test_accuracy": [0.9926, 0.9846], "tflite_bytes": [1822944, 1822944],
                  "latency_median_ms": [0.227 * latency_factor, 0.2 * latency_factor],
                  "speedup": [1.0, 1.135]}).to_csv(run_dir / TABLE, index=False)
    (run_dir / "results" / "provenance").mkdir(parents=True)
    (run_dir / "results" / "provenance" / "comparison_pareto.tex.json").write_text(json.dumps(
        {"kind": "table", "artifact": "thesis/generated/tables/comparison_pareto.tex", "inputs": [TABLE]}))
    (run_dir / "thesis" / "chapters").mkdir(parents=True)
    (run_dir / "thesis" / "main.tex").write_text("\\input{chapters/results}\n")
    (run_dir / "thesis" / "chapters" / "results.tex").write_text(CHAPTER)


def config_for(reference_dir: Path, name: str = "default", seed: int = 42) -> dict:
    return {"name": name, "seed": seed,
            "reproduction": {"reference_dir": str(reference_dir), "latency_tolerance": 0.1, "confidence": 0.95}}


def evaluate(run_dir: Path, config: dict, monkeypatch) -> tuple[dict, pd.DataFrame]:
    """What rule reproduction_report does, in the run's directory."""
    monkeypatch.chdir(run_dir)
    result, frame = compare.evaluate(config, ["results/macros/topic.json"], [TABLE],
                                     ["results/provenance/comparison_pareto.tex.json"], "thesis/main.tex", "abc123")
    Path("results/reproduction").mkdir(exist_ok=True)
    Path(reference.RUN_DESCRIPTION).write_text(json.dumps(result["run"]))
    return result, frame


@pytest.fixture
def reference_run(tmp_path, monkeypatch) -> Path:
    """A finished run, made the reference: returns the reference directory."""
    run_dir, reference_dir = tmp_path / "reference_run", tmp_path / "reference"
    run_dir.mkdir()
    write_run(run_dir)
    evaluate(run_dir, config_for(reference_dir), monkeypatch)
    reference.refresh(run_dir, reference_dir)
    return reference_dir


def test_a_run_compared_with_its_own_outputs_reproduces_every_number(reference_run, tmp_path, monkeypatch):
    result, frame = evaluate(tmp_path / "reference_run", config_for(reference_run), monkeypatch)
    assert result["status"] == "compared"
    counts = result["counts"]
    # 10 printed macros (MnistTestCount and NeverPrinted are not printed), 12 table cells; 1 wall time shown
    assert len(frame) == 10 + 12 and counts["informational"] == 1
    assert counts["numbers"] == counts["identical"] == counts["reproduced"] == 21 and counts["failed"] == 0
    assert "NeverPrinted" not in set(frame["number"])
    assert report.headline(result) == "21 of 21 numbers reproduced (21 identical)"
    assert "identical to the reference run" in report.thesis_macros(result)[0].value


def test_one_changed_accuracy_is_the_one_number_outside_tolerance(reference_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "changed"
    run_dir.mkdir()
    changed = [(n, "97.80" if n == "CompressionPruningHighAccuracy" else v, s) for n, v, s in MACROS]
    write_run(run_dir, changed)
    result, frame = evaluate(run_dir, config_for(reference_run), monkeypatch)
    failed = report.failures(frame)
    assert list(failed["number"]) == ["CompressionPruningHighAccuracy"]
    row = failed.iloc[0]
    assert (row["section"], row["reference"], row["reproduced"], row["outcome"]) == \
        ("1.2 Pruning", "98.46", "97.80", classes.OUTSIDE)
    assert result["counts"]["failed"] == 1
    text = report.terminal_text(result, frame)
    assert text.splitlines()[0] == "Reproduction: 20 of 21 numbers reproduced (20 identical); " \
                                   "1 not reproduced"
    assert "[1.2 Pruning] CompressionPruningHighAccuracy: reference 98.46, this run 97.80" in text


def test_a_small_accuracy_change_is_within_the_noise(reference_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "noisy"
    run_dir.mkdir()
    write_run(run_dir, [(n, "98.40" if n == "CompressionPruningHighAccuracy" else v, s) for n, v, s in MACROS])
    result, frame = evaluate(run_dir, config_for(reference_run), monkeypatch)
    assert result["counts"]["failed"] == 0
    assert frame.set_index("number").loc["CompressionPruningHighAccuracy", "outcome"] == classes.WITHIN


def test_a_uniformly_slower_machine_still_reproduces_its_latencies_as_ratios(reference_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "slower"
    run_dir.mkdir()
    write_run(run_dir, latency_factor=2.0)
    result, frame = evaluate(run_dir, config_for(reference_run), monkeypatch)
    assert result["counts"]["failed"] == 0, report.failures(frame)
    latencies = frame[frame["number"].str.contains("LatencyMedianMs|LatencyMs|latency_median_ms")]
    assert len(latencies) == 7 and set(latencies["outcome"]) == {classes.WITHIN}
    assert result["slowdown"] == pytest.approx(2.0, rel=0.01)


def test_one_slower_model_is_caught(reference_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "one_slower"
    run_dir.mkdir()
    write_run(run_dir, [(n, "0.240" if n == "StructuresPlainLatencyMs" else v, s) for n, v, s in MACROS])
    _, frame = evaluate(run_dir, config_for(reference_run), monkeypatch)
    assert list(report.failures(frame)["number"]) == ["StructuresPlainLatencyMs"]


def test_a_configuration_without_a_reference_gets_a_no_reference_report(reference_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "small"
    run_dir.mkdir()
    write_run(run_dir)
    result, frame = evaluate(run_dir, config_for(reference_run, name="small", seed=1), monkeypatch)
    assert result["status"] == "no reference" and frame.empty
    assert "No reference values for configuration small" in result["reason"]
    assert report.terminal_text(result, frame).startswith("Reproduction: No reference values for configuration small")
    result, _ = evaluate(run_dir, config_for(tmp_path / "absent"), monkeypatch)
    assert result["status"] == "no reference" and "absent" in result["reason"]
    assert compare.reference_files(tmp_path / "absent", config_for(tmp_path / "absent")) == []


def test_reference_files_are_the_rules_inputs_only_for_their_configuration(reference_run):
    files = compare.reference_files(reference_run, config_for(reference_run))
    assert sorted(Path(f).name for f in files) == ["all_variants.csv", "macros.csv", "manifest.json"]
    assert compare.reference_files(reference_run, config_for(reference_run, seed=7)) == []


def test_reproduction_settings_do_not_change_the_reference_key(reference_run):
    config = config_for(reference_run)
    looser = dict(config, reproduction=dict(config["reproduction"], latency_tolerance=0.5))
    assert compare.numbers_key(config) == compare.numbers_key(looser)
    assert compare.numbers_key(config) != compare.numbers_key(dict(config, seed=7))


def test_refresh_needs_a_finished_run_and_keeps_the_old_reference_on_failure(reference_run, tmp_path):
    with pytest.raises(reference.RunNotFinishedError, match="finish the run first"):
        reference.refresh(tmp_path / "nowhere", tmp_path / "new_reference")
    broken = tmp_path / "broken_run"
    shutil.copytree(tmp_path / "reference_run", broken)
    (broken / TABLE).unlink()
    before = (reference_run / "manifest.json").read_text()
    with pytest.raises(FileNotFoundError):
        reference.refresh(broken, reference_run)
    assert (reference_run / "manifest.json").read_text() == before
    assert not (reference_run.parent / "reference.part").exists()


def test_html_report_lists_failures_first(reference_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "changed"
    run_dir.mkdir()
    write_run(run_dir, [(n, "454{,}000" if n == "BaselineParameters" else v, s) for n, v, s in MACROS])
    result, frame = evaluate(run_dir, config_for(reference_run), monkeypatch)
    page = report.html_page(result, frame)
    assert page.index("20 of 21 numbers reproduced") < page.index("Not reproduced (1)") \
        < page.index("BaselineParameters") < page.index("Every number")


@pytest.mark.parametrize("damage", ["manifest", "table"])
def test_a_broken_reference_names_the_problem_and_the_fix(reference_run, damage):
    if damage == "manifest":
        (reference_run / "manifest.json").write_text("{not json")
    else:
        (reference_run / "tables" / TABLE).unlink()
    with pytest.raises(compare.BrokenReferenceError, match="cannot be read .*git checkout -- .*reference"):
        compare.load_reference(reference_run)


def test_the_summary_counts_each_kind_of_number(reference_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "one_slower"
    run_dir.mkdir()
    write_run(run_dir, [(n, "0.240" if n == "StructuresPlainLatencyMs" else v, s) for n, v, s in MACROS])
    result, frame = evaluate(run_dir, config_for(reference_run), monkeypatch)
    # exact: BaselineParameters, tflite_bytes x2, method x2, variant x2; statistical: 2 macros, 2 accuracies
    assert report.by_kind(result) == ("exact 7 of 7 identical; statistical 4 of 4 within the sampling noise; "
                                      "machine-relative 9 of 10 within the latency tolerance")


def test_thesis_table_has_short_headers_and_thousands_separators(reference_run, tmp_path, monkeypatch):
    _, frame = evaluate(tmp_path / "reference_run", config_for(reference_run), monkeypatch)
    table = report.thesis_table(pd.concat([frame] * 100, ignore_index=True))
    assert list(table.columns) == ["Kind", "Numbers", "Identical", "Within", "Outside", "Missing", "New", "Shown"]
    assert table.set_index("Kind").loc["exact", "Numbers"] == "700"
    assert table.set_index("Kind").loc["machine-relative", "Identical"] == "1{,}000"
