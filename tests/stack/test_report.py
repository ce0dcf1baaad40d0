"""The stage table and the best model's summary from constructed records: the contract's fields, the
goal checked against the whole speed-up interval, verdicts from the significance test."""
import numpy as np
import pandas as pd
import pytest

from mobileopt.compression.tflite import encode_correct
from mobileopt.stack import report
from mobileopt.stack.pipeline import STAGES

IMAGES = 2000


def record(stage, correct, size):
    return {"stage": stage, "format": "int8 sparse" if stage == "int8" else "float32 dense",
            "litert_test_correct": encode_correct(correct), "test_images": IMAGES,
            "litert_validation_accuracy": 0.99, "multiply_adds": 1_000_000, "nonzero_parameters": 5000,
            "tflite_bytes": size, "archival_bytes": size // 3}


@pytest.fixture
def frame_and_baseline():
    rng = np.random.default_rng(0)
    baseline_correct = rng.random((3, IMAGES)) < 0.99
    per_seed = []
    for seed in range(3):
        stages = []
        for index, stage in enumerate(STAGES):
            # The last stage is much worse: a clear "worse" verdict; the others equal the baseline's seeds.
            correct = baseline_correct[seed] if stage != "int8" else rng.random(IMAGES) < 0.9
            stages.append(record(stage, correct, 400_000 // (index + 1)))
        per_seed.append(stages)
    intervals = pd.DataFrame({"model": ["baseline", *STAGES], "median_ms": [1.0, 0.5, 0.4, 0.3, 0.09],
                              "speedup": [1.0, 2, 2.5, 3.3, 11.0], "low": [1.0, 1.9, 2.4, 3.2, 9.5],
                              "high": [1.0, 2.1, 2.6, 3.4, 12.0]})
    baseline = {"tflite_bytes": 1_800_000, "archival_bytes": 1_600_000, "correct": baseline_correct,
                "validation_accuracy": 0.99, "multiply_adds": 11_000_000, "parameters": 455_000}
    return report.stage_frame(per_seed, intervals, baseline), baseline


def test_stage_frame_has_the_baseline_and_every_stage(frame_and_baseline):
    frame, _ = frame_and_baseline
    assert list(frame["stage"]) == ["baseline", *STAGES]
    assert frame.loc[1, "verdict"] == "tie" and frame.loc[4, "verdict"] == "worse"
    assert frame.loc[4, "size_ratio"] == pytest.approx(1_800_000 / 100_000)


def test_summary_has_the_contract_fields_and_checks_the_interval(frame_and_baseline):
    frame, _ = frame_and_baseline
    goal = {"size_ratio": 10, "speedup": 10, "archival_ratio": 100, "max_accuracy_drop_points": 0.2}
    result = report.summary(frame, goal)
    for field in (*report.SUMMARY_FIELDS, "seeds", "stages"):
        assert field in result
    assert [stage["stage"] for stage in result["stages"]] == list(STAGES)
    assert result["goal"]["size_met"] and not result["goal"]["archival_met"]
    # 11x at the point estimate, but the interval reaches down to 9.5x: not met.
    assert result["speedup"] == 11.0 and not result["goal"]["speed_met"]
    assert not result["goal"]["accuracy_met"] and result["accuracy_change_points"] < -5


def test_a_stage_without_a_timing_is_an_error(frame_and_baseline):
    _, baseline = frame_and_baseline
    records = [[record(stage, baseline["correct"][0], 1000) for stage in STAGES]]
    intervals = pd.DataFrame({"model": ["baseline"], "median_ms": [1.0], "speedup": [1.0], "low": [1.0],
                              "high": [1.0]})
    with pytest.raises(ValueError, match="no interleaved timing"):
        report.stage_frame(records, intervals, baseline)


def test_seeds_that_ran_different_pipelines_are_an_error(frame_and_baseline):
    _, baseline = frame_and_baseline
    records = [[record(stage, baseline["correct"][0], 1000) for stage in reversed(STAGES)]]
    with pytest.raises(ValueError, match="different pipelines"):
        report.stage_frame(records, pd.DataFrame(), baseline)


def test_tables_and_macros_render(frame_and_baseline):
    frame, _ = frame_and_baseline
    result = report.summary(frame, {"size_ratio": 10, "speedup": 10, "archival_ratio": 100,
                                    "max_accuracy_drop_points": 0.2})
    assert len(report.table(frame)) == len(STAGES) + 1
    anchors = report.anchors_table(result)
    assert len(anchors) == len(report.ANCHORS) + 1 and "citep" in anchors["Work"].iloc[0]
    names = {macro.name for macro in report.macros(frame, result, "summary.json")}
    assert {"StackBestSizeRatio", "StackBestVerdict", "StackGoalSpeedup"} <= names
