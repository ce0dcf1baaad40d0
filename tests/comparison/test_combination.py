"""Methods combined: source validation, and predicted (independent effects) against measured."""
import copy

import pandas as pd
import pytest
import yaml

from mobileopt.comparison import combination
from mobileopt.comparison import pareto as comparison

from tests.conftest import REPO


def small_config() -> dict:
    return yaml.safe_load((REPO / "config/small.yaml").read_text())


def test_configured_sources_are_models_the_config_builds():
    for name in ("config/config.yaml", "config/small.yaml"):
        config = yaml.safe_load((REPO / name).read_text())
        labels = combination.validate_sources(config)
        assert labels["baseline"] == "baseline" and len(labels) >= 2


@pytest.mark.parametrize("change, message", [
    (lambda c: c["sources"].append("compression/fisher_pruning/fisher_99"), "fisher_99.*not models"),
    (lambda c: c["sources"].remove("baseline"), "must include 'baseline'"),
    (lambda c: c.update(formats=["int8", "float16"]), "formats"),
])
def test_bad_sources_are_named(change, message):
    config = copy.deepcopy(small_config())
    change(config["combination"])
    with pytest.raises(ValueError, match=message):
        combination.validate_sources(config)


def cells() -> pd.DataFrame:
    rows = [("baseline", "baseline", "float32", 0.990, 4000, 1.00),
            ("baseline", "baseline", "int8", 0.991, 1000, 0.40),
            ("compression/fisher_pruning/fisher_50", "fisher_50", "float32", 0.985, 1000, 0.25),
            ("compression/fisher_pruning/fisher_50", "fisher_50", "int8", 0.980, 260, 0.125)]
    return pd.DataFrame([{"source": s, "label": l, "format": f, "key": f"combination/{l}_{f}",
                          "test_accuracy": a, "validation_accuracy": a, "parameters": 10,
                          "multiply_adds": 100, "tflite_bytes": b, "latency_median_ms": ms,
                          "latency_p90_ms": ms} for s, l, f, a, b, ms in rows])


def test_interaction_compares_product_of_speedups_with_measurement():
    (row,) = combination.interaction_frame(cells()).to_dict("records")
    assert row["structural_speedup"] == pytest.approx(4.0) and row["format_speedup"] == pytest.approx(2.5)
    assert row["predicted_speedup"] == pytest.approx(10.0) and row["measured_speedup"] == pytest.approx(8.0)
    assert row["speedup_efficiency"] == pytest.approx(0.8)
    assert row["predicted_points"] == pytest.approx(-0.4) and row["measured_points"] == pytest.approx(-1.0)
    assert row["predicted_size_ratio"] == pytest.approx(0.0625)
    assert row["measured_size_ratio"] == pytest.approx(0.065)


def test_variants_frame_keeps_each_variant_once(tmp_path):
    structures = tmp_path / "structures.csv"
    pd.DataFrame([{"method": "structures", "variant": "decomposed_f25", "label": "1-D, $f=25\\%$",
                   "test_accuracy": 0.98, "validation_accuracy": 0.98, "parameters": 5, "multiply_adds": 50,
                   "tflite_bytes": 900,
                   "latency_median_ms": 0.5, "latency_p90_ms": 0.6}]).to_csv(structures, index=False)
    compression = tmp_path / "compression.csv"
    base = {"parameters": 10, "multiply_adds": 100, "tflite_bytes": 4000, "latency_median_ms": 1.0,
            "latency_p90_ms": 1.1, "validation_accuracy": 0.99}
    pd.DataFrame([
        dict(base, method="baseline", variant="baseline", format="float32", detail="x", test_accuracy=0.99),
        dict(base, method="quantization", variant="float32", format="float32", detail="float32", test_accuracy=0.99),
        dict(base, method="quantization", variant="int8", format="int8", detail="int8", test_accuracy=0.991),
        dict(base, method="fisher_pruning", variant="fisher_50", format="float32",
             detail="Fisher, 50% of channels", test_accuracy=0.985),
        dict(base, method="ef_operator", variant="layer_ef", format="float32", detail="one layer",
             test_accuracy=float("nan")),
    ]).to_csv(compression, index=False)
    frame = comparison.variants_frame(structures, compression, cells())
    assert sorted(frame["variant"]) == ["decomposed_f25", "fisher_50", "fisher_50_int8", "int8"]
    combined = frame[frame["method"] == "combination"].iloc[0]
    assert combined["description"] == "Fisher, 50\\% of channels + int8"


def test_comparison_macros_name_fastest_and_smallest_within_the_allowed_drop():
    variants = pd.DataFrame([
        {"method": "a", "variant": "fast", "description": "fast one", "test_accuracy": 0.97,
         "validation_accuracy": 0.97, "parameters": 1,
         "multiply_adds": 10, "tflite_bytes": 100, "latency_median_ms": 0.1, "latency_p90_ms": 0.1},
        {"method": "pruning", "variant": "good", "description": "good one", "test_accuracy": 0.988,
         "validation_accuracy": 0.988, "parameters": 1,
         "multiply_adds": 50, "tflite_bytes": 2000, "latency_median_ms": 0.5, "latency_p90_ms": 0.5},
    ])
    baseline = {"method": "baseline", "variant": "Table 2.2", "description": "baseline", "test_accuracy": 0.99,
                "validation_accuracy": 0.99,
                "parameters": 10, "multiply_adds": 100, "tflite_bytes": 4000, "latency_median_ms": 1.0,
                "latency_p90_ms": 1.0}
    intervals = pd.DataFrame([{"model": "a/fast", "median_ms": 0.1, "low": 9.0, "high": 11.0, "verdict": "faster"},
                              {"model": "pruning/good", "median_ms": 0.5, "low": 1.9, "high": 2.1, "verdict": "faster"},
                              {"model": "baseline", "median_ms": 1.0, "low": 1.0, "high": 1.0, "verdict": "tie"}])
    frame = comparison.with_ratios(
        comparison.with_interleaved_latency(variants.assign(key=["a/fast", "pruning/good"]), intervals),
        comparison.with_interleaved_latency(pd.DataFrame([baseline]).assign(key="baseline"), intervals).iloc[0])
    interactions = comparison.with_format_effect(combination.interaction_frame(cells()), cells(),
                                                  rounds({"fisher_50_float32": 0.25, "fisher_50_int8": 0.125}),
                                                  0.95, 200).assign(description="Fisher 50")
    macros = {m.name: m.value for m in comparison.comparison_macros(frame, interactions, 0.5, "f.csv", "i.csv")}
    assert macros["CombinationFormatFasterModels"] == "the one combination"
    assert macros["CombinationFormatSlowerClause"] == ""
    assert macros["ComparisonFastestDescription"] == "good one" and macros["ComparisonFastestSpeedup"] == "2.00"
    assert (macros["ComparisonFastestSpeedupLow"], macros["ComparisonFastestSpeedupHigh"]) == ("1.90", "2.10")
    assert (macros["ComparisonFasterCount"], macros["ComparisonSlowerCount"]) == ("2", "0")
    assert (macros["ComparisonCountPruning"], macros["ComparisonLatencyPruningFaster"]) == ("1", "1")
    assert (macros["ComparisonCountStructures"], macros["ComparisonLatencyPruningTie"]) == ("0", "0")
    assert macros["ComparisonVariants"] == "2" and macros["ComparisonParetoCount"] == "2"
    assert macros["CombinationBestMeasuredSpeedup"] == "8.0" and macros["CombinationEfficiencyMin"] == "0.80"
    table = comparison.pareto_table(frame)
    assert list(table["Variant"]) == ["fast one", "good one", "baseline"]


def rounds(milliseconds: dict[str, float], count: int = 8) -> pd.DataFrame:
    """Interleaved timings: each combination cell (by its label_format) at about `milliseconds`, with
    a little noise per round and run."""
    import numpy as np

    noise = np.random.default_rng(0)
    return pd.DataFrame([{"model": f"combination/{name}", "round": r, "run": k,
                          "milliseconds": ms * (1 + 0.01 * noise.standard_normal())}
                         for name, ms in milliseconds.items() for r in range(count) for k in range(3)])


def test_format_effect_pairs_each_combination_with_its_own_float32_model():
    slowed = comparison.with_format_effect(combination.interaction_frame(cells()), cells(),
                                            rounds({"fisher_50_float32": 0.25, "fisher_50_int8": 0.30}), 0.95, 200)
    (row,) = slowed.to_dict("records")
    assert row["format_verdict"] == "slower" and row["format_gain_high"] < 1
    assert row["format_gain"] == pytest.approx(0.25 / 0.30, rel=0.02)
    clause = comparison.format_effect_macros(slowed.assign(description="Fisher 50"), "i.csv")[2].value
    assert clause.startswith("; Fisher 50 in int8 ran at 0.8") and "its float32 version" in clause
    same = comparison.with_format_effect(combination.interaction_frame(cells()), cells(),
                                          rounds({"fisher_50_float32": 0.25, "fisher_50_int8": 0.25}), 0.95, 200)
    assert same["format_gain_low"].iloc[0] <= 1 <= same["format_gain_high"].iloc[0]
    tie_clause = comparison.format_effect_macros(same.assign(description="Fisher 50"), "i.csv")[2].value
    assert tie_clause == "; 1 combination was a tie"


def test_interleaved_latency_replaces_the_separate_jobs_and_names_missing_models():
    rows = pd.DataFrame([{"key": "structures/a", "latency_median_ms": 0.50},
                         {"key": "baseline", "latency_median_ms": 1.00}])
    intervals = pd.DataFrame([{"model": "baseline", "median_ms": 0.9, "low": 1.0, "high": 1.0, "verdict": "tie"},
                              {"model": "structures/a", "median_ms": 0.45, "low": 1.9, "high": 2.1,
                               "verdict": "faster"}])
    timed = comparison.with_interleaved_latency(rows, intervals)
    assert timed["latency_median_ms"].tolist() == [0.45, 0.9]
    assert timed["separate_job_latency_ms"].tolist() == [0.50, 1.00]
    assert timed["latency_verdict"].tolist() == ["faster", "tie"]
    with pytest.raises(ValueError, match="structures/b"):
        comparison.with_interleaved_latency(rows.assign(key=["structures/b", "baseline"]), intervals)
    assert comparison.timing_key("results/tflite/compression/pruning/sparsity_50.tflite") == \
        "compression/pruning/sparsity_50"
