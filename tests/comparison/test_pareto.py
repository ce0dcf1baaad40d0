"""The cross-method comparison: ratios to the baseline and the Pareto front."""
import numpy as np
import pandas as pd
import pytest

from mobileopt.comparison import pareto as comparison

BASELINE = {"method": "baseline", "variant": "Table 2.2", "test_accuracy": 0.99, "validation_accuracy": 0.99,
            "parameters": 100,
            "multiply_adds": 1000, "tflite_bytes": 4000, "latency_median_ms": 1.0, "latency_p90_ms": 1.1}


def variants() -> pd.DataFrame:
    return pd.DataFrame([
        dict(BASELINE, method="a", variant="fast", test_accuracy=0.98, validation_accuracy=0.98, multiply_adds=250,
             tflite_bytes=1000, latency_median_ms=0.25),
        dict(BASELINE, method="a", variant="dominated", test_accuracy=0.97, validation_accuracy=0.97,
             latency_median_ms=0.5),
        dict(BASELINE, method="b", variant="best", test_accuracy=0.995, validation_accuracy=0.995,
             latency_median_ms=0.9),
    ])


def test_pareto_optimal():
    accuracy = np.array([0.99, 0.98, 0.97, 0.995])
    latency = np.array([1.0, 0.25, 0.5, 0.9])
    assert comparison.pareto_optimal(accuracy, latency).tolist() == [False, True, False, True]


def test_ratios_and_choices():
    frame = comparison.with_ratios(variants(), BASELINE)
    fast = frame[frame["variant"] == "fast"].iloc[0]
    assert fast["speedup"] == pytest.approx(4.0) and fast["multiply_add_ratio"] == pytest.approx(0.25)
    assert fast["accuracy_change_points"] == pytest.approx(-1.0)
    assert comparison.fastest_within(frame, 0.5)["variant"] == "best"
    assert comparison.fastest_within(frame, 1.5)["variant"] == "fast"
    assert comparison.smallest_within(frame, 1.5)["variant"] == "fast"
    table = comparison.pareto_table(frame.assign(description=frame["variant"]))
    assert list(table["Variant"]) == ["fast", "best", "Table 2.2"]  # Pareto-optimal + baseline, fastest first


def test_choices_are_made_on_validation_accuracy_not_on_the_test_set():
    """A variant that looks good on the test set but not on the validation images is not chosen (and
    one that looks bad on test but good on validation is): choosing on the numbers one reports would
    fit their noise."""
    lucky = dict(BASELINE, method="c", variant="lucky_on_test", test_accuracy=0.999, validation_accuracy=0.95,
                 latency_median_ms=0.1, tflite_bytes=10)
    unlucky = dict(BASELINE, method="c", variant="good_on_validation", test_accuracy=0.95,
                   validation_accuracy=0.999, latency_median_ms=0.2, tflite_bytes=20)
    frame = comparison.with_ratios(pd.concat([variants(), pd.DataFrame([lucky, unlucky])], ignore_index=True),
                                   BASELINE)
    assert comparison.fastest_within(frame, 0.5)["variant"] == "good_on_validation"
    assert comparison.smallest_within(frame, 0.5)["variant"] == "good_on_validation"
    assert comparison.most_accurate(frame)["variant"] == "good_on_validation"
    optimal = set(frame.loc[frame["pareto_optimal"], "variant"])
    assert "good_on_validation" in optimal and "best" not in optimal  # dominated on validation
    winners = comparison.winners_table(frame.assign(description=frame["variant"]), [5.0, 0.5])
    assert list(winners["Tol.\\ (pts)"]) == ["0.5", "5"]
    assert list(winners["Fastest"]) == ["good_on_validation", "lucky_on_test"]


def test_summary_without_required_columns_is_rejected(tmp_path):
    path = tmp_path / "summary.csv"
    pd.DataFrame([{"method": "x", "variant": "y"}]).to_csv(path, index=False)
    with pytest.raises(ValueError, match="lacks columns"):
        comparison.load_summaries([path])
