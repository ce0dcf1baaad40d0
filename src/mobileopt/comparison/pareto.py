"""All classifier variants side by side: the trade-off between accuracy, cost, size and latency.

Reads each topic's tidy summary (results/<topic>/summary.csv: one row per variant with at least the
columns of SUMMARY_COLUMNS) and the baseline's metrics and latency; adds ratios to the baseline and marks
the Pareto-optimal variants (no other variant is at least as accurate and at least as fast, and strictly
better in one). Every choice (the front, the fastest and smallest within the tolerance, the most
accurate) is made on the accuracy on the selection images (validation_accuracy); the test accuracy is
only reported, so the choice does not fit the noise of the numbers it reports. This answers "what is the trade-off" (RQ4) and, with the combinations of
mobileopt.comparison.combination, "how do methods combine" (RQ7) and "which is fast enough" (RQ8).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mobileopt.measurement import interleaved

SUMMARY_COLUMNS = ["method", "variant", "test_accuracy", "validation_accuracy", "parameters", "multiply_adds",
                   "tflite_bytes", "latency_median_ms", "latency_p90_ms"]


def timing_key(tflite_path: str | Path) -> str:
    """The name a .tflite is timed under in the interleaved timing: its path below results/tflite,
    without the suffix (baseline, structures/lenet5, compression/pruning/sparsity_50, ...)."""
    return Path(tflite_path).relative_to("results/tflite").with_suffix("").as_posix()


def with_interleaved_latency(rows: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """`rows` (each with a timing `key`) with the latency of the interleaved timing in place of the
    separate job's (kept as separate_job_latency_ms), and the speed-up's bootstrap interval over the
    rounds and its verdict against the timing's reference (mobileopt.measurement.interleaved.intervals):
    every ratio and choice of the comparison then comes from models timed side by side."""
    timed = intervals.set_index("model")
    missing = sorted(set(rows["key"]) - set(timed.index))
    if missing:
        raise ValueError(f"the interleaved timing has no models {missing}; rerun rule comparison_latency")
    chosen = timed.loc[rows["key"]]
    return rows.assign(separate_job_latency_ms=rows["latency_median_ms"],
                       latency_median_ms=chosen["median_ms"].to_numpy(), speedup_low=chosen["low"].to_numpy(),
                       speedup_high=chosen["high"].to_numpy(), latency_verdict=chosen["verdict"].to_numpy())


def baseline_row(metrics: dict, latency: dict) -> dict:
    return {"method": "baseline", "variant": "Table 2.2", "key": "baseline", "test_accuracy": metrics["test_accuracy"],
            "validation_accuracy": metrics["validation_accuracy"], "parameters": metrics["parameters"], "multiply_adds": metrics["multiply_adds"],
            "tflite_bytes": latency["size_bytes"], "latency_median_ms": latency["median_ms"],
            "latency_p90_ms": latency["p90_ms"]}


def load_summaries(paths: list[str | Path]) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = pd.read_csv(path)
        missing = sorted(set(SUMMARY_COLUMNS) - set(frame.columns))
        if missing:
            raise ValueError(f"{path}: summary lacks columns {missing}")
        frames.append(frame[SUMMARY_COLUMNS].assign(source=str(path)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SUMMARY_COLUMNS)


def with_ratios(variants: pd.DataFrame, baseline: dict) -> pd.DataFrame:
    """Variants plus the baseline, with differences and ratios relative to the baseline."""
    frame = pd.concat([pd.DataFrame([baseline]), variants], ignore_index=True)
    frame["accuracy_change_points"] = 100 * (frame["test_accuracy"] - baseline["test_accuracy"])
    frame["validation_change_points"] = 100 * (frame["validation_accuracy"] - baseline["validation_accuracy"])
    frame["multiply_add_ratio"] = frame["multiply_adds"] / baseline["multiply_adds"]
    frame["size_ratio"] = frame["tflite_bytes"] / baseline["tflite_bytes"]
    frame["speedup"] = baseline["latency_median_ms"] / frame["latency_median_ms"]
    frame["pareto_optimal"] = pareto_optimal(frame["validation_accuracy"].to_numpy(),
                                             frame["latency_median_ms"].to_numpy())
    return frame


def size_front(frame: pd.DataFrame) -> pd.Series:
    """Pareto-optimal in validation accuracy and TFLite size (the size panel's front)."""
    return pd.Series(pareto_optimal(frame["validation_accuracy"].to_numpy(), frame["tflite_bytes"].to_numpy()),
                     index=frame.index)


def method_display_names() -> dict[str, str]:
    """How figures name each method family (compression methods by their registry titles)."""
    from mobileopt.compression.variants import METHOD_NAMES

    return {**METHOD_NAMES, "structures": "Structure variants", "combination": "Combinations"}


def pareto_optimal(accuracy: np.ndarray, latency: np.ndarray) -> np.ndarray:
    """True where no other point is at least as accurate and as fast, and better in one of the two."""
    optimal = np.ones(len(accuracy), dtype=bool)
    for i in range(len(accuracy)):
        dominated_by = ((accuracy >= accuracy[i]) & (latency <= latency[i])
                        & ((accuracy > accuracy[i]) | (latency < latency[i])))
        optimal[i] = not dominated_by.any()
    return optimal


def within(frame: pd.DataFrame, max_accuracy_drop_points: float) -> pd.DataFrame:
    """Variants (and the baseline) that lose at most `max_accuracy_drop_points` of validation accuracy."""
    return frame[frame["validation_change_points"] >= -max_accuracy_drop_points]


def fastest_within(frame: pd.DataFrame, max_accuracy_drop_points: float) -> pd.Series:
    return within(frame, max_accuracy_drop_points).sort_values("latency_median_ms").iloc[0]


def smallest_within(frame: pd.DataFrame, max_accuracy_drop_points: float) -> pd.Series:
    return within(frame, max_accuracy_drop_points).sort_values("tflite_bytes").iloc[0]


def most_accurate(frame: pd.DataFrame) -> pd.Series:
    return frame.sort_values("validation_accuracy", ascending=False).iloc[0]


# --- the report: every topic's classifier variants in one frame ---------------------------------------

def variants_frame(structures_csv: str | Path, compression_csv: str | Path,
                   combinations: pd.DataFrame) -> pd.DataFrame:
    """Every classifier variant once, with a LaTeX-ready description (the baseline is added by with_ratios).

    Left out: rows without a test accuracy (single layers timed alone), the compression topic's own
    baseline rows (the baseline re-converted), and combination cells that repeat a variant (the baseline
    in any format is a quantisation row; a source in float32 is its own topic's row).
    """
    from mobileopt.reporting.thesis import latex_escape

    structures = pd.read_csv(structures_csv).assign(description=lambda f: f["label"],
                                                    key=lambda f: "structures/" + f["variant"])
    compression = pd.read_csv(compression_csv)
    compression = compression[(compression["method"] != "baseline")
                              & ~((compression["method"] == "quantization") & (compression["format"] == "float32"))]
    compression = compression.assign(description=compression["detail"].map(latex_escape),
                                      key="compression/" + compression["method"] + "/" + compression["variant"])
    topics = pd.concat([part[SUMMARY_COLUMNS + ["description", "key"]] for part in (structures, compression)],
                       ignore_index=True)
    combined = combinations[(combinations["label"] != "baseline") & (combinations["format"] != "float32")]
    combined = combined.assign(method="combination", variant=combined["label"] + "_" + combined["format"],
                               description=[f"{source_description(row.source, topics)} + {row.format}"
                                            for row in combined.itertuples()])
    frame = pd.concat([topics, combined[SUMMARY_COLUMNS + ["description", "key"]]], ignore_index=True)
    return frame[frame["test_accuracy"].notna()].reset_index(drop=True)


def source_description(source: str, variants: pd.DataFrame) -> str:
    """How the source model of a combination ('structures/<variant>', 'compression/<method>/<model>' or
    'baseline') is described in its own topic's rows (method, variant, description)."""
    if source == "baseline":
        return "baseline"
    topic, *path = source.split("/")
    method, model = ("structures", path[0]) if topic == "structures" else path  # rows' method column
    rows = variants[(variants["method"] == method) & (variants["variant"] == model)]
    return rows["description"].iloc[0]


def pareto_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The baseline and the Pareto-optimal variants (accuracy vs latency), fastest first."""
    from mobileopt.reporting.numbers import thousands

    chosen = frame[frame["pareto_optimal"] | (frame["method"] == "baseline")]
    rows = []
    for _, row in chosen.sort_values("latency_median_ms").iterrows():
        rows.append({
            "Method": str(row["method"]).replace("_", " "),
            "Variant": row["description"] if isinstance(row.get("description"), str) else str(row["variant"]),
            "Val.\\ (\\%)": f"{100 * row['validation_accuracy']:.2f}",
            "Test (\\%)": f"{100 * row['test_accuracy']:.2f}",
            "MACs": thousands(int(row["multiply_adds"])),
            "KiB": f"{row['tflite_bytes'] / 1024:.0f}",
            "Lat.\\ (ms)": f"{row['latency_median_ms']:.3f}",
            "Speed-up": speedup_cell(row),
            "Pareto": "$\\bullet$" if row["pareto_optimal"] else "",
        })
    return pd.DataFrame(rows)


def speedup_cell(row: pd.Series) -> str:
    """The speed-up, with its interval over the rounds where the row has one."""
    if pd.isna(row.get("speedup_low")):
        return f"{row['speedup']:.2f}"
    return f"{row['speedup']:.2f} {{\\scriptsize[{row['speedup_low']:.2f}, {row['speedup_high']:.2f}]}}"


def winners_table(frame: pd.DataFrame, tolerances_points: list[float]) -> pd.DataFrame:
    """Per tolerance (validation points below the baseline): the fastest and the smallest variant
    within it, with their test accuracy, speed-up and size ratio: how much the headline depends on
    the tolerance."""
    rows = []
    for points in sorted(tolerances_points):
        fastest, smallest = fastest_within(frame, points), smallest_within(frame, points)
        rows.append({"Tol.\\ (pts)": f"{points:g}", "Fastest": fastest["description"],
                     "Speed-up": speedup_cell(fastest), "Its test (\\%)": f"{100 * fastest['test_accuracy']:.2f}",
                     "Smallest": smallest["description"], "Size rel.": f"{smallest['size_ratio']:.3f}",
                     "Its test (\\%)\\,": f"{100 * smallest['test_accuracy']:.2f}"})
    return pd.DataFrame(rows)


def combination_table(interactions: pd.DataFrame, descriptions: dict[str, str]) -> pd.DataFrame:
    """Predicted (independent effects) against measured speed-up, accuracy change and size."""
    rows = []
    for _, row in interactions.iterrows():
        rows.append({
            "Variant": f"{descriptions[row['source']]} + {row['format']}",
            "Variant alone": f"{row['structural_speedup']:.2f}",
            f"{row['format']} alone": f"{row['format_speedup']:.2f}",
            "Predicted": f"{row['predicted_speedup']:.2f}",
            "Measured": f"{row['measured_speedup']:.2f}",
            "$\\Delta$ pred.": f"{row['predicted_points']:+.2f}",
            "$\\Delta$ meas.": f"{row['measured_points']:+.2f}",
            "Size pred.": f"{row['predicted_size_ratio']:.3f}",
            "Size meas.": f"{row['measured_size_ratio']:.3f}",
        })
    return pd.DataFrame(rows)


def comparison_macros(frame: pd.DataFrame, interactions: pd.DataFrame, max_drop_points: float,
                      frame_file: str, interactions_file: str) -> list:
    """The numbers the Discussion and Conclusion quote."""
    from mobileopt.reporting.thesis import Macro

    variants = frame[frame["method"] != "baseline"]
    fastest, smallest = fastest_within(frame, max_drop_points), smallest_within(frame, max_drop_points)
    best = most_accurate(variants)
    slowest = frame.sort_values("latency_median_ms").iloc[-1]
    f, i = frame_file, interactions_file
    macros = [
        Macro("ComparisonVariants", str(len(variants)), f),
        Macro("ComparisonMethods", str(variants["method"].nunique()), f),
        Macro("ComparisonParetoCount", str(int(variants["pareto_optimal"].sum())), f),
        Macro("ComparisonMaxDropPoints", f"{max_drop_points:g}", f),
        Macro("ComparisonFastestDescription", str(fastest["description"]), f),
        Macro("ComparisonFastestMethod", str(fastest["method"]).replace("_", " "), f),
        Macro("ComparisonFastestSpeedup", f"{fastest['speedup']:.2f}", f),
        Macro("ComparisonFastestSpeedupLow", f"{fastest['speedup_low']:.2f}", f),
        Macro("ComparisonFastestSpeedupHigh", f"{fastest['speedup_high']:.2f}", f),
        Macro("ComparisonFastestAccuracy", f"{100 * fastest['test_accuracy']:.2f}", f),
        Macro("ComparisonFastestLatencyMs", f"{fastest['latency_median_ms']:.3f}", f),
        Macro("ComparisonFastestMacRatio", f"{fastest['multiply_add_ratio']:.3f}", f),
        Macro("ComparisonSmallestDescription", str(smallest["description"]), f),
        Macro("ComparisonSmallestMethod", str(smallest["method"]).replace("_", " "), f),
        Macro("ComparisonSmallestSizeRatio", f"{smallest['size_ratio']:.3f}", f),
        Macro("ComparisonSmallestKiB", f"{smallest['tflite_bytes'] / 1024:.0f}", f),
        Macro("ComparisonSmallestAccuracy", f"{100 * smallest['test_accuracy']:.2f}", f),
        Macro("ComparisonMostAccurateDescription", str(best["description"]), f),
        Macro("ComparisonMostAccurateAccuracy", f"{100 * best['test_accuracy']:.2f}", f),
        Macro("ComparisonMaxSpeedup", f"{variants['speedup'].max():.1f}", f),
        Macro("ComparisonFasterCount", str(int((variants["latency_verdict"] == "faster").sum())), f),
        Macro("ComparisonSlowerCount", str(int((variants["latency_verdict"] == "slower").sum())), f),
        Macro("ComparisonLatencyTieCount", str(int((variants["latency_verdict"] == "tie").sum())), f),
        Macro("ComparisonSlowestDescription", str(slowest["description"]), f),
        Macro("ComparisonSlowestLatencyMs", f"{slowest['latency_median_ms']:.3f}", f),
    ]
    macros += latency_verdict_macros(variants, f)
    if len(interactions):
        efficiency = interactions["speedup_efficiency"]
        macros += [
            Macro("CombinationCount", str(len(interactions)), i),
            Macro("CombinationEfficiencyMin", f"{efficiency.min():.2f}", i),
            Macro("CombinationEfficiencyMax", f"{efficiency.max():.2f}", i),
            # Whether the product of the separate speed-ups was an upper bound in every case.
            Macro("CombinationProductVerdict", "an upper bound in every case" if (efficiency <= 1).all()
                  else f"exceeded in {int((efficiency > 1).sum())} of {len(efficiency)} cases", i),
            Macro("CombinationBestMeasuredSpeedup", f"{interactions['measured_speedup'].max():.1f}", i),
            Macro("CombinationBestPredictedSpeedup",
                  f"{interactions.loc[interactions['measured_speedup'].idxmax(), 'predicted_speedup']:.1f}", i),
            Macro("CombinationMaxPointsGap",
                  f"{(interactions['measured_points'] - interactions['predicted_points']).abs().max():.2f}", i),
            *format_effect_macros(interactions, i),
        ]
    return macros


def with_format_effect(interactions: pd.DataFrame, cells: pd.DataFrame, rounds: pd.DataFrame,
                       confidence: float, resamples: int) -> pd.DataFrame:
    """Each combination against its own source in float32, from the rounds of the one interleaved
    timing: `format_gain` (how many times faster the format made that source), its bootstrap interval
    and verdict. Whether a number format helps *this* structure is a paired comparison of two timed
    models, not the quotient of two speed-ups over the baseline."""
    if not len(interactions):
        return interactions.assign(format_gain=[], format_gain_low=[], format_gain_high=[], format_verdict=[])
    key = cells.set_index(["label", "format"])["key"]
    rows = []
    for _, row in interactions.iterrows():
        gain = interleaved.speedup_interval(rounds, key[(row["label"], "float32")], key[(row["label"], row["format"])],
                                            confidence, resamples)
        rows.append({"format_gain": gain["speedup"], "format_gain_low": gain["low"],
                     "format_gain_high": gain["high"], "format_verdict": interleaved.verdict(gain)})
    return pd.concat([interactions.reset_index(drop=True), pd.DataFrame(rows)], axis=1)


def format_effect_macros(interactions: pd.DataFrame, source: str) -> list:
    """How often a number format made the structure it was applied to faster than that structure in
    float32 (the verdicts of with_format_effect), and a clause naming the ones it slowed and counting
    the ties (empty when it made every one faster)."""
    from mobileopt.reporting.numbers import count_of, count_among, join_words
    from mobileopt.reporting.thesis import Macro

    slower = interactions[interactions["format_verdict"] == "slower"]
    ties = int((interactions["format_verdict"] == "tie").sum())
    others = [f"{row['description']} in {row['format']} ran at {row['format_gain']:.2f} times the speed of its "
              f"float32 version (interval {row['format_gain_low']:.2f}--{row['format_gain_high']:.2f})"
              for _, row in slower.iterrows()]
    if ties:
        others.append(f"{count_of(ties, 'combination')} {'was' if ties == 1 else 'were'} a tie")
    return [
        Macro("CombinationFormatFasterModels",
              count_among(int((interactions["format_verdict"] == "faster").sum()), len(interactions), "combination"),
              source),
        Macro("CombinationFormatSlowerCount", str(len(slower)), source),
        Macro("CombinationFormatSlowerClause", f"; {join_words(others)}" if others else "", source),
    ]


# Methods whose latency verdicts the Discussion and Conclusion count (a method the config leaves out
# counts 0 variants, so the small config defines the same names).
LATENCY_METHODS = ("pruning", "weight_sharing", "factorization", "fisher_pruning", "quantization", "ef_operator",
                   "structures", "combination")


def latency_verdict_macros(variants: pd.DataFrame, source: str) -> list:
    """Per method: its variants, and how many are faster, slower or a tie in latency against the
    baseline by the interleaved timing's intervals (with_interleaved_latency)."""
    from mobileopt.reporting.thesis import Macro

    macros = []
    for method in LATENCY_METHODS:
        rows = variants[variants["method"] == method]
        name = "".join(part.title() for part in method.split("_"))
        macros.append(Macro(f"ComparisonCount{name}", str(len(rows)), source))
        macros += [Macro(f"ComparisonLatency{name}{verdict.title()}",
                         str(int((rows["latency_verdict"] == verdict).sum())), source)
                   for verdict in ("faster", "slower", "tie")]
    return macros
