"""What the stacked pipeline reached: the stage-by-stage table, the best model's summary (the contract
of results/best_model/summary.json), the published anchors beside it, and the thesis' macros.

Accuracy is LiteRT's on the test set, mean and standard deviation over the seeds (each seed fine-tunes
the whole chain again); size, archival size and latency are properties of one file, the first seed's.
Latencies and speed-ups come from one interleaved timing of the baseline and every stage.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from mobileopt.core import significance
from mobileopt.reporting.numbers import thousands
from mobileopt.reporting.thesis import Macro
from mobileopt.stack.pipeline import STAGES

STAGE_NAMES = {"baseline": "Table 2.2 (float32)", "channels": "+ global Fisher channel pruning",
               "sparsity": "+ weight sparsity", "clusters": "+ sparsity-preserving clusters",
               "int8": "+ int8 QAT (PCQAT)"}
# The contract's per-stage fields (issue: results/best_model/summary.json).
SUMMARY_FIELDS = ("tflite_bytes", "baseline_tflite_bytes", "size_ratio", "archival_bytes", "archival_ratio",
                  "speedup", "speedup_ci", "accuracy_mean", "accuracy_std", "baseline_accuracy_mean",
                  "accuracy_change_points")

# Published results the thesis compares with, as their papers report them (not re-measured here).
ANCHORS = pd.DataFrame([
    ("Deep Compression", "HMD16", "LeNet-5 (1,720 KB)", "pruning, trained quantisation, Huffman coding",
     "39x smaller storage (44 KB)", "0.80 -> 0.74", "coded storage"),
    ("Learning both weights and connections", "HPTD15", "LeNet-5", "magnitude pruning, retraining",
     "12x fewer parameters", "0.80 -> 0.77", "parameters"),
    ("Structured Bayesian Pruning", "NMAV17", "LeNet-5", "structured (neuron and channel) pruning",
     "5.4x CPU speed-up", "+0.06 points", "measured CPU time"),
    ("$L_0$ regularisation", "LWK18", "LeNet-5-Caffe", "$L_0$ gates on neurons and channels",
     "20-25-45-462 units left", "0.9", "architecture"),
    ("Soft weight-sharing", "UMW17", "LeNet-5-Caffe", "weight sharing by a mixture prior",
     "162x storage", "0.88 -> 0.97", "coded storage"),
], columns=["anchor", "citation", "network", "methods", "result", "error_percent", "counts"])


def correct_matrix(records: list[dict]) -> np.ndarray:
    """(seeds, images) bool: which test images each seed's .tflite classified correctly."""
    from mobileopt.compression.tflite import decode_correct

    return np.stack([decode_correct(record["litert_test_correct"], record["test_images"]) for record in records])


def stage_frame(records_per_seed: list[list[dict]], intervals: pd.DataFrame, baseline: dict) -> pd.DataFrame:
    """One row per stage (the baseline first): accuracies over seeds, the first seed's sizes and the
    interleaved latency. `baseline`: {tflite_bytes, correct (seeds, images), validation_accuracy,
    multiply_adds, parameters}."""
    baseline_mean, baseline_std = significance.mean_std_points(baseline["correct"])
    rows = [{"stage": "baseline", "format": "float32 dense", "accuracy_mean": baseline_mean,
             "accuracy_std": baseline_std,
             "validation_accuracy_mean": 100 * baseline["validation_accuracy"],
             "multiply_adds": baseline["multiply_adds"], "nonzero_parameters": baseline["parameters"],
             "tflite_bytes": baseline["tflite_bytes"], "archival_bytes": baseline["archival_bytes"],
             "verdict": "", "mcnemar_p": np.nan, "seeds": int(len(baseline["correct"]))}]
    for index, stage in enumerate(STAGES):
        records = [seed_records[index] for seed_records in records_per_seed]
        if any(record["stage"] != stage for record in records):
            raise ValueError(f"stage {index} of a seed is not {stage!r}: the seeds ran different pipelines")
        correct = correct_matrix(records)
        mean, std = significance.mean_std_points(correct)
        verdict = significance.compare(correct, baseline["correct"])
        first = records[0]
        rows.append({"stage": stage, "format": first["format"], "accuracy_mean": mean, "accuracy_std": std,
                     "validation_accuracy_mean": 100 * float(np.mean([r["litert_validation_accuracy"] for r in records])),
                     "multiply_adds": first["multiply_adds"], "nonzero_parameters": first["nonzero_parameters"],
                     "tflite_bytes": first["tflite_bytes"], "archival_bytes": first["archival_bytes"],
                     "verdict": verdict.verdict, "mcnemar_p": verdict.mcnemar_p, "seeds": len(records)})
    frame = pd.DataFrame(rows)
    timing = intervals.set_index("model")
    missing = set(frame["stage"]) - set(timing.index)
    if missing:
        raise ValueError(f"no interleaved timing of {sorted(missing)}; time the baseline and every stage together")
    frame["latency_ms"] = frame["stage"].map(timing["median_ms"])
    frame["speedup"] = frame["stage"].map(timing["speedup"])
    frame["speedup_low"] = frame["stage"].map(timing["low"])
    frame["speedup_high"] = frame["stage"].map(timing["high"])
    base = frame.iloc[0]
    frame["size_ratio"] = base["tflite_bytes"] / frame["tflite_bytes"]
    frame["archival_ratio"] = base["tflite_bytes"] / frame["archival_bytes"]
    frame["accuracy_change_points"] = frame["accuracy_mean"] - base["accuracy_mean"]
    return frame


def stage_summary(row: pd.Series, base: pd.Series) -> dict:
    return {"stage": row["stage"], "format": row["format"], "tflite_bytes": int(row["tflite_bytes"]),
            "baseline_tflite_bytes": int(base["tflite_bytes"]), "size_ratio": float(row["size_ratio"]),
            "archival_bytes": int(row["archival_bytes"]), "archival_ratio": float(row["archival_ratio"]),
            "speedup": float(row["speedup"]), "speedup_ci": [float(row["speedup_low"]), float(row["speedup_high"])],
            "accuracy_mean": float(row["accuracy_mean"]), "accuracy_std": float(row["accuracy_std"]),
            "baseline_accuracy_mean": float(base["accuracy_mean"]),
            "accuracy_change_points": float(row["accuracy_change_points"]),
            "accuracy_verdict": row["verdict"], "multiply_adds": int(row["multiply_adds"]),
            "nonzero_parameters": int(row["nonzero_parameters"]), "latency_ms": float(row["latency_ms"])}


def summary(frame: pd.DataFrame, goal: dict) -> dict:
    """The best model: the pipeline's last stage (the deployable int8 file), its stages, and the goal
    checked field by field. Accuracies in percent, changes in points."""
    base, best = frame.iloc[0], frame.iloc[-1]
    result = {**stage_summary(best, base), "seeds": int(best["seeds"]),
              "stages": [stage_summary(row, base) for _, row in frame.iloc[1:].iterrows()]}
    result["goal"] = {
        "size_ratio_at_least": goal["size_ratio"], "speedup_at_least": goal["speedup"],
        "max_accuracy_drop_points": goal["max_accuracy_drop_points"], "archival_ratio_at_least": goal["archival_ratio"],
        "size_met": result["size_ratio"] >= goal["size_ratio"],
        # The whole interval must clear the goal, not only the point estimate.
        "speed_met": result["speedup_ci"][0] >= goal["speedup"],
        "accuracy_met": result["accuracy_change_points"] >= -goal["max_accuracy_drop_points"],
        "archival_met": result["archival_ratio"] >= goal["archival_ratio"],
    }
    return result


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The Deep-Compression-style table: one row per stage."""
    def accuracy(row):
        return f"{row['accuracy_mean']:.2f} $\\pm$ {row['accuracy_std']:.2f}"
    return pd.DataFrame({
        "Stage": frame["stage"].map(STAGE_NAMES),
        "Format": frame["format"],
        "Test acc. (\\%)": frame.apply(accuracy, axis=1),
        "vs.\\ baseline": frame["verdict"].replace("", "--"),
        "MACs (M)": frame["multiply_adds"].map(lambda v: f"{v / 1e6:.2f}"),
        "Non-zero weights": frame["nonzero_parameters"].map(thousands),
        "TFLite (KiB)": frame["tflite_bytes"].map(lambda v: f"{v / 1024:.1f}"),
        "Archival (KiB)": frame["archival_bytes"].map(lambda v: f"{v / 1024:.1f}"),
        "Size ratio": frame["size_ratio"].map(lambda v: f"{v:.1f}$\\times$"),
        "Speed-up": frame.apply(lambda r: f"{r['speedup']:.2f}$\\times$ [{r['speedup_low']:.2f}, {r['speedup_high']:.2f}]",
                                axis=1),
    })


def anchors_table(best: dict) -> pd.DataFrame:
    """The published anchors and this pipeline's best model, side by side."""
    ours = pd.DataFrame([{
        "anchor": "This thesis (stacked pipeline)", "citation": "", "network": "Table 2.2 classifier (1,780 KiB)",
        "methods": "global Fisher channels, sparsity, clusters, int8 QAT, distillation",
        "result": f"{best['size_ratio']:.1f}x smaller file, {best['archival_ratio']:.0f}x archival, "
                  f"{best['speedup']:.1f}x LiteRT speed-up",
        "error_percent": f"{100 - best['baseline_accuracy_mean']:.2f} -> {100 - best['accuracy_mean']:.2f}",
        "counts": "runnable .tflite; xz archive; interleaved timing"}])
    frame = pd.concat([ANCHORS, ours], ignore_index=True)
    return pd.DataFrame({
        "Work": [f"{a} \\citep{{{c}}}" if c else a for a, c in zip(frame["anchor"], frame["citation"])],
        "Network": frame["network"], "Methods": frame["methods"],
        "Result": frame["result"].str.replace("x ", "$\\times$ ", regex=False).str.replace("x)", "$\\times$)", regex=False),
        "Error (\\%)": frame["error_percent"].str.replace("->", "$\\to$", regex=False),
        "What it counts": frame["counts"]})


def settings_macros(section: dict) -> list[Macro]:
    """The configuration the methods chapter describes."""
    from mobileopt.reporting.numbers import count_of

    goal = section["goal"]
    return [Macro("StackChannelRounds", str(section["channels"]["rounds"]), "config"),
            Macro("StackRecoveryEpochs", count_of(section["channels"]["recovery_epochs"], "epoch"), "config"),
            Macro("StackClusterCount", str(section["clusters"]["count"]), "config"),
            Macro("StackTemperature", f"{section['distillation']['temperature']:g}", "config"),
            Macro("StackDistillationWeight", f"{section['distillation']['weight']:g}", "config"),
            Macro("StackGoalSizeRatio", f"{goal['size_ratio']:g}", "config"),
            Macro("StackGoalSpeedupRatio", f"{goal['speedup']:g}", "config"),
            Macro("StackGoalArchivalRatio", f"{goal['archival_ratio']:g}", "config")]


def macros(frame: pd.DataFrame, result: dict, source: str) -> list[Macro]:
    best = frame.iloc[-1]
    goal = result["goal"]
    def met(flag):
        return "met" if flag else "not met"
    phrase = significance.VERDICT_PHRASES[best["verdict"]]
    channels = frame.set_index("stage").loc["channels"]
    return [
        Macro("StackSeedCount", str(result["seeds"]), source),
        Macro("StackBestTfliteKiB", f"{best['tflite_bytes'] / 1024:.1f}", source),
        Macro("StackBestSizeRatio", f"{best['size_ratio']:.1f}", source),
        Macro("StackBestArchivalKiB", f"{best['archival_bytes'] / 1024:.1f}", source),
        Macro("StackBestArchivalRatio", f"{best['archival_ratio']:.0f}", source),
        Macro("StackBestSpeedup", f"{best['speedup']:.1f}", source),
        Macro("StackBestSpeedupLow", f"{best['speedup_low']:.1f}", source),
        Macro("StackBestSpeedupHigh", f"{best['speedup_high']:.1f}", source),
        Macro("StackBestAccuracy", f"{best['accuracy_mean']:.2f}", source),
        Macro("StackBestAccuracyStd", f"{best['accuracy_std']:.2f}", source),
        Macro("StackBaselineAccuracy", f"{frame.iloc[0]['accuracy_mean']:.2f}", source),
        Macro("StackBestAccuracyChange", f"{best['accuracy_change_points']:+.2f}".replace("-", "$-$"), source),
        Macro("StackBestVerdict", phrase, source),
        Macro("StackBestMultiplyAddsMillions", f"{best['multiply_adds'] / 1e6:.2f}", source),
        Macro("StackChannelsSpeedup", f"{channels['speedup']:.1f}", source),
        Macro("StackGoalSize", met(goal["size_met"]), source),
        Macro("StackGoalSpeedup", met(goal["speed_met"]), source),
        Macro("StackGoalAccuracy", met(goal["accuracy_met"]), source),
        Macro("StackGoalArchival", met(goal["archival_met"]), source),
        Macro("StackGoalDropPoints", f"{goal['max_accuracy_drop_points']:g}", source),
    ]
