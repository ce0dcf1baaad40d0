"""Results of the structures topic as tidy frames, thesis tables and macros (rule structures_report).

Reads what the training, conversion and latency rules wrote; trains nothing. Every ratio is taken
against the spine's baseline (results/baseline/metrics.json, results/latency/baseline.json). Accuracies
are means over the configured seeds; every "more/less accurate" comes from
mobileopt.core.significance on the seeds' paired test predictions (predictions.npz), against the
Table 2.2 architecture on the same budget (standard_reference) or the variant a claim names.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from mobileopt.core import artifacts, significance
from mobileopt.measurement.interleaved import ONE_OPERATOR
from mobileopt.reporting import tables
from mobileopt.reporting.numbers import count_of, join_words, p_value, thousands
from mobileopt.reporting.numbers import millions as _millions
from mobileopt.reporting.numbers import percent as _pct
from mobileopt.reporting.numbers import MISSING
from mobileopt.reporting.thesis import Macro
from mobileopt.structures.variants import FAMILIES

# Mini-batches averaged in the residual-vs-plain loss curve.
CURVE_WINDOW = 25


def variant_label(spec) -> str:
    """Short LaTeX name of a variant for tables and figures (presentation only: kept out of
    mobileopt.structures.variants so that relabelling retrains nothing)."""
    args = spec.arguments
    if spec.family == "decomposed":
        first = "$N{\\times}1$" if args["order"] == "vertical_first" else "$1{\\times}N$"
        return f"1-D, {first} first, $f={round(100 * args['bound_fraction'])}\\%$"
    if spec.family == "separable":
        return f"separable, $I={args['depth_multiplier']}$"
    if spec.family == "deep":
        depth = 2 * len(args["widths"]) * args["blocks_per_stage"] + 2
        return f"{'residual' if args['residual'] else 'plain'}, {depth} layers"
    return {"standard": "Table 2.2, same budget", "lenet5": "LeNet-5 (Caffe)", "plain": "plain $5{\\times}5$, matched",
            "inception": "Inception, matched", "bottleneck": "bottleneck, matched"}[spec.family]


REFERENCE = "standard_reference"  # Table 2.2 on the variants' budget: what every variant is judged against
FAMILY_NAMES = {"standard": "Table~2.2", "decomposed": "1-D", "separable": "separable", "plain": "plain",
                "inception": "Inception", "bottleneck": "bottleneck", "deep": "deep", "lenet5": "LeNet-5"}


def seed_correctness(predictions: dict) -> "np.ndarray":
    """(replicates, test images) bool: which test image each seed's model got right."""
    return significance.correctness(predictions["test"], predictions["test_labels"])


def compare_variants(predictions: dict, name: str, other: str) -> significance.Comparison:
    """Is variant `name` more accurate than `other`? `predictions` maps names to predictions.npz."""
    return significance.compare(seed_correctness(predictions[name]), seed_correctness(predictions[other]))


def summary_frame(specs, metrics: dict, latencies: dict, baseline_metrics: dict,
                  baseline_latency: dict, predictions: dict, intervals: pd.DataFrame) -> pd.DataFrame:
    """One row per variant: accuracy (mean and standard deviation over the seeds, test and
    validation), cost, size, latency and their ratios to the baseline, and the significance verdict
    against the same-budget reference.

    `metrics`, `latencies` and `predictions` map variant names to the parsed metrics.json, latency
    JSON and predictions.npz. `intervals`: speed-ups over the baseline from the interleaved timing
    (mobileopt.measurement.interleaved.intervals); the latency ratios come from there, the absolute
    latencies from each model's own benchmark run.
    """
    speedups = intervals.set_index("model")
    rows = []
    for spec in specs:
        m, lat = metrics[spec.name], latencies[spec.name]
        verdict = compare_variants(predictions, spec.name, REFERENCE)
        rows.append({
            "method": "structures", "variant": spec.name, "family": spec.family, "label": variant_label(spec),
            "test_accuracy": m["test_accuracy"], "test_accuracy_std": m["test_accuracy_std"],
            "validation_accuracy": m["validation_accuracy"], "seeds": len(m["replicates"]),
            "vs_reference": verdict.verdict, "vs_reference_points": verdict.difference_points,
            "vs_reference_mcnemar_p": verdict.mcnemar_p, "vs_reference_seed_p": verdict.seed_p,
            "parameters": m["parameters"],
            "multiply_adds": m["multiply_adds"], "tflite_bytes": lat["size_bytes"],
            "latency_median_ms": lat["median_ms"], "latency_p90_ms": lat["p90_ms"],
            "weight_layers": m["weight_layers"], "epochs_run": m["epochs_run"],
            "best_epoch": m["best_epoch"], "train_seconds": m["train_seconds"],
        })
    frame = pd.DataFrame(rows)
    frame["accuracy_change_points"] = 100 * (frame["test_accuracy"] - baseline_metrics["test_accuracy"])
    frame["parameters_ratio"] = frame["parameters"] / baseline_metrics["parameters"]
    frame["multiply_adds_ratio"] = frame["multiply_adds"] / baseline_metrics["multiply_adds"]
    frame["tflite_bytes_ratio"] = frame["tflite_bytes"] / baseline_latency["size_bytes"]
    # Timed in separate jobs: kept to show how far that drifts from the interleaved comparison.
    frame["separate_job_latency_ratio"] = frame["latency_median_ms"] / baseline_latency["median_ms"]
    chosen = speedups.loc[frame["variant"]]
    frame["latency_ratio"] = 1 / chosen["speedup"].to_numpy()
    frame["latency_ratio_low"] = 1 / chosen["high"].to_numpy()
    frame["latency_ratio_high"] = 1 / chosen["low"].to_numpy()
    frame["latency_verdict"] = chosen["verdict"].to_numpy()  # faster / slower / tie, against the baseline
    return frame


def decomposition_frame(models: dict) -> pd.DataFrame:
    """Per decomposed variant and convolution: N, K, L, P, the draft's bound, and the pair's
    multiply-adds from the cost model beside the original N^2 K L and the draft's N P (K + L), each
    times the output positions. `models` maps variant names to loaded Keras models."""
    from mobileopt.measurement import cost_model
    from mobileopt.models.architectures import decomposition_bound

    rows = []
    for variant, model in models.items():
        macs = {cost.name: cost.multiply_adds for cost in cost_model.layer_costs(model)}
        index = 1
        while f"conv{index}_a" in macs:
            first, second = model.get_layer(f"conv{index}_a"), model.get_layer(f"conv{index}_b")
            n, k = max(first.kernel_size), int(first.input.shape[-1])
            p, l_out = first.filters, second.filters
            positions = math.prod(second.output.shape[1:3])
            rows.append({
                "variant": variant, "convolution": f"conv{index}", "padding": first.padding,
                "order": "vertical_first" if first.kernel_size[1] == 1 else "horizontal_first",
                "N": n, "K": k, "L": l_out, "P": p, "bound": decomposition_bound(n, k, l_out),
                "output_positions": positions,
                "intermediate_positions": math.prod(first.output.shape[1:3]),
                "multiply_adds": macs[f"conv{index}_a"] + macs[f"conv{index}_b"],
                "original_multiply_adds": positions * n * n * k * l_out,
                "draft_formula_multiply_adds": positions * n * p * (k + l_out),
            })
            index += 1
    frame = pd.DataFrame(rows)
    frame["cost_ratio"] = frame["multiply_adds"] / frame["original_multiply_adds"]
    frame["formula_ratio"] = frame["multiply_adds"] / frame["draft_formula_multiply_adds"]
    # Largest P that still saves work, from the cost actually paid per intermediate channel.
    frame["break_even_P"] = frame["original_multiply_adds"] / (frame["multiply_adds"] / frame["P"])
    return frame


# --- thesis tables --------------------------------------------------------------------------------


def write_compact_table(frame: pd.DataFrame, path: str | Path, caption: str, label: str, stamp: dict,
                        column_format: str | None = None, column_gap_pt: int = 4) -> None:
    """Tables with many columns: small type and narrower column gaps."""
    tables.write_table(frame, path, caption, label, stamp, column_format=column_format, size="\\small",
                       column_gap_pt=column_gap_pt, fit_width=True)


def mean_std_text(mean: float, std: float) -> str:
    """An accuracy over seeds in a table cell: mean +- standard deviation, in percent."""
    return f"{100 * mean:.2f}\\,$\\pm$\\,{100 * std:.2f}"


VERDICT_MARKS = {"better": "$+$", "worse": "$-$", "tie": "$=$"}


def variants_table(summary: pd.DataFrame, baseline_metrics: dict, baseline_latency: dict,
                   confidence: float) -> pd.DataFrame:
    """The thesis table: the baseline first, then every variant, grouped by family."""
    ratio_header = f"Lat.\\ rel.\\ [{100 * confidence:g}\\,\\% CI]"
    rows = [{"Variant": "baseline", "Acc.\\ (\\%)": mean_std_text(baseline_metrics["test_accuracy"],
                                                                baseline_metrics["test_accuracy_std"]),
             "vs.\\ ref.": "",
             "Params": thousands(baseline_metrics["parameters"]),
             "MACs (M)": _millions(baseline_metrics["multiply_adds"]), "MACs rel.": "1.00",
             "KiB": f"{baseline_latency['size_bytes'] / 1024:.0f}",
             "Lat.\\ (ms)": f"{baseline_latency['median_ms']:.3f}", ratio_header: "1.00"}]
    for _, row in summary.iterrows():
        rows.append({"Variant": row["label"], "Acc.\\ (\\%)": mean_std_text(row["test_accuracy"],
                                                                           row["test_accuracy_std"]),
                     "vs.\\ ref.": "" if row["variant"] == REFERENCE else VERDICT_MARKS[row["vs_reference"]],
                     "Params": thousands(row["parameters"]), "MACs (M)": _millions(row["multiply_adds"]),
                     "MACs rel.": f"{row['multiply_adds_ratio']:.2f}",
                     "KiB": f"{row['tflite_bytes'] / 1024:.0f}",
                     "Lat.\\ (ms)": f"{row['latency_median_ms']:.3f}",
                     ratio_header: f"{row['latency_ratio']:.2f} "
                                                   f"[{row['latency_ratio_low']:.2f}, {row['latency_ratio_high']:.2f}]"})
    return pd.DataFrame(rows)


def decomposition_table(decomposition: pd.DataFrame) -> pd.DataFrame:
    """P and the measured cost ratio of each convolution, per bound fraction f (N x 1 first only: the
    reverse order has the same counts), beside the draft's estimate for the VALID head."""
    forward = decomposition[decomposition["order"] == "vertical_first"]
    rows = []
    for variant, group in forward.groupby("variant", sort=False):
        group = group.set_index("convolution")
        row = {"$f$ (\\%)": str(_fraction_of(variant))}
        for index, (conv, layer) in enumerate(group.iterrows(), start=1):
            row[f"$P_{index}$"] = str(layer["P"])
        for conv, layer in group.iterrows():
            row[f"cost {conv}"] = f"{layer['cost_ratio']:.2f}"
        last = group.iloc[-1]
        row[f"draft's estimate, {group.index[-1]}"] = f"{last['P'] / last['bound']:.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


def resnet_table_tex(resnet: pd.DataFrame, published: dict, caption: str, label: str, stamp: dict) -> str:
    """The draft's Table 2.3, regenerated: the structure of Table 1 of He et al., per-stage and total
    multiply-adds from the cost model beside the published totals, and He et al.'s error rates
    (quoted). Written by hand rather than by pandas, for the rows that span the structure columns."""
    from mobileopt.structures.resnet import BLOCKS_PER_STAGE, STAGE_OUTPUT_SIDES, STAGE_WIDTHS, STAGES

    def cross(a, b):
        return f"${a}{{\\times}}{b}$"

    by = {depth: frame.set_index("stage") for depth, frame in resnet.groupby("depth")}
    structure = {"conv1": (cross(112, 112), f"{cross(7, 7)}, 64, stride 2", "", ""),
                 "fc": (cross(1, 1), "average pool, 1000-d fc", "", "")}
    for stage, width, side, blocks in zip(STAGES, STAGE_WIDTHS, STAGE_OUTPUT_SIDES, BLOCKS_PER_STAGE[34]):
        structure[stage] = (cross(side, side), f"{cross(3, 3)}, {width}; {cross(3, 3)}, {width}",
                            f"{cross(1, 1)}, {width}; {cross(3, 3)}, {width}; {cross(1, 1)}, {4 * width}",
                            f"{blocks}" + ("" if BLOCKS_PER_STAGE[50][STAGES.index(stage)] == blocks
                                           else f"/{BLOCKS_PER_STAGE[50][STAGES.index(stage)]}"))
    lines = ["Stage & Output & 34-layer block & 50-layer block & Blocks & \\multicolumn{2}{c}{MACs (M)} \\\\",
             " & & & & & 34 & 50 \\\\", "\\midrule"]
    for stage in ["conv1", *STAGES, "fc"]:
        output, block34, block50, blocks = structure[stage]
        if stage in ("conv1", "fc"):  # the same layer in both networks
            layer = f"\\multicolumn{{2}}{{l}}{{{block34}}}"
        else:
            layer = f"{block34} & {block50}"
        macs = " & ".join(f"{by[d].loc[stage, 'multiply_adds'] / 1e6:.0f}" for d in (34, 50))
        lines.append(f"{stage.replace('_', chr(92) + '_')} & {output} & {layer} & {blocks} & {macs} \\\\")
    total = {d: by[d].loc["total"] for d in (34, 50)}
    footer = [
        ("\\textbf{multiply-adds (M), cost model}", [f"\\textbf{{{total[d]['multiply_adds'] / 1e6:.0f}}}" for d in (34, 50)]),
        ("multiply-adds (M), He et al.", [f"{published[d].multiply_adds / 1e6:.0f}" for d in (34, 50)]),
        ("difference", [f"{100 * total[d]['relative_difference']:+.1f}\\,\\%" for d in (34, 50)]),
        ("parameters (M), cost model", [f"{total[d]['parameters'] / 1e6:.1f}" for d in (34, 50)]),
        ("top-1 error (\\%), single model, He et al.$^a$", [f"{published[d].top1_error_single_model:.2f}" for d in (34, 50)]),
        ("top-5 error (\\%), single model, He et al.$^a$", [f"{published[d].top5_error_single_model:.2f}" for d in (34, 50)]),
        ("top-1 error (\\%), 10-crop, He et al.$^b$", [f"{published[d].top1_error_10crop:.2f}" for d in (34, 50)]),
        ("top-5 error (\\%), 10-crop, He et al.$^b$", [f"{published[d].top5_error_10crop:.2f}" for d in (34, 50)]),
    ]
    lines.append("\\midrule")
    lines += [f"\\multicolumn{{5}}{{l}}{{{label_text}}} & {values[0]} & {values[1]} \\\\"
              for label_text, values in footer]
    body = "\n".join(lines)
    return (artifacts.tex_header(stamp) + "\\begin{table}[htbp]\n\\centering\\small\\setlength{\\tabcolsep}{4pt}\n"
            f"\\caption{{{caption}}}\n\\label{{{label}}}\n\\begin{{tabular}}{{llllrrr}}\n\\toprule\n"
            f"{body}\n\\bottomrule\n\\end{{tabular}}\n\\end{{table}}\n")


# --- macros ---------------------------------------------------------------------------------------


def structures_macros(summary: pd.DataFrame, decomposition: pd.DataFrame, resnet: pd.DataFrame,
                      settings: dict, deep_settings: dict, matched_target: int, sources: dict,
                      predictions: dict) -> list[Macro]:
    """Every number the structures text uses. Macros name roles (cheapest, most accurate, ...), not
    variants, so the small config (fewer variants) defines the same names. Verdicts come from
    mobileopt.core.significance on `predictions` (variant name -> predictions.npz)."""
    s, d, r = sources["summary"], sources["decomposition"], sources["resnet"]
    by_name = summary.set_index("variant")
    others = summary[summary["variant"] != REFERENCE]
    macros = [
        Macro("StructuresEpochs", count_of(settings["epochs"], "epoch"), sources["config"]),
        Macro("StructuresMixedFamilies", join_words([FAMILY_NAMES[family] for family in FAMILIES
                                                     if family in settings["mixed_precision_families"]])
              if settings["mixed_precision_families"] else "no", sources["config"]),
        Macro("StructuresSeedCount", str(int(summary["seeds"].iloc[0])), s),
        Macro("SignificanceLevelPercent", f"{100 * significance.ALPHA:g}", "mobileopt.core.significance"),
        Macro("StructuresReferenceStd", f"{100 * by_name.loc[REFERENCE, 'test_accuracy_std']:.2f}", s),
        Macro("StructuresBetterCount", str(int((others["vs_reference"] == "better").sum())), s),
        Macro("StructuresFasterCount", str(int((summary["latency_verdict"] == "faster").sum())), s),
        Macro("StructuresSlowerCount", str(int((summary["latency_verdict"] == "slower").sum())), s),
        Macro("StructuresLatencyTieCount", str(int((summary["latency_verdict"] == "tie").sum())), s),
        Macro("StructuresReferenceLatencyLow", f"{by_name.loc[REFERENCE, 'latency_ratio_low']:.3f}", s),
        Macro("StructuresReferenceLatencyHigh", f"{by_name.loc[REFERENCE, 'latency_ratio_high']:.3f}", s),
        Macro("StructuresReferenceSeparateLatencyRatio",
              f"{by_name.loc[REFERENCE, 'separate_job_latency_ratio']:.2f}", s),
        Macro("StructuresWorseCount", str(int((others["vs_reference"] == "worse").sum())), s),
        Macro("StructuresTieCount", str(int((others["vs_reference"] == "tie").sum())), s),
        Macro("StructuresDeepEpochs", count_of(deep_settings["epochs"], "epoch"), sources["config"]),
        Macro("StructuresVariantCount", str(len(summary)), s),
        Macro("StructuresReferenceAccuracy", _pct(by_name.loc["standard_reference", "test_accuracy"]), s),
        Macro("StructuresReferenceLatencyRatio", f"{by_name.loc['standard_reference', 'latency_ratio']:.3f}", s),
    ]
    macros += _decomposition_macros(summary, decomposition, s, d, predictions)
    macros += _matched_macros(summary, matched_target, s, predictions)
    macros += _separable_macros(summary, s)
    macros += _lenet_macros(summary, s)
    macros += _deep_macros(summary, deep_settings, s)
    macros += _resnet_macros(resnet, r)
    return macros


def runtime_macros(shares: pd.DataFrame, fixed_cost_ms: float, delegation: dict, summary: pd.DataFrame,
                   sources: dict) -> list[Macro]:
    """What the interpreter itself costs and which delegate ran the models, from the interleaved timing:
    `shares` (mobileopt.measurement.interleaved.fixed_cost_shares), the one-operator model's median
    latency `fixed_cost_ms`, and `delegation` (model -> litert_benchmark.delegation)."""
    rounds, machine = sources["rounds"], sources["machine"]
    models = {name: probe for name, probe in delegation.items() if name != ONE_OPERATOR}
    delegates = sorted({probe["delegate"] for probe in models.values()})
    labels = {"baseline": "the baseline", **dict(zip(summary["variant"], summary["label"]))}
    largest = shares.loc[shares["fixed_cost_share"].idxmax()]
    dominated = [labels[name] for name in shares.loc[shares["dominated"], "model"]]
    return [
        Macro("LiteRTDelegate", join_words(delegates), machine),
        Macro("StructuresWholeGraphDelegated", str(sum(p["whole_graph_delegated"] for p in models.values())), machine),
        Macro("StructuresTimedModels", str(len(models)), machine),
        Macro("FixedCostMicroseconds", f"{1000 * fixed_cost_ms:.2f}", rounds),
        Macro("FixedCostLargestSharePercent", f"{100 * largest['fixed_cost_share']:.1f}", rounds),
        Macro("FixedCostLargestShareModel", labels[largest["model"]], rounds),
        Macro("FixedCostDominatedClause", f"it takes more than half of the latency of {join_words(dominated)}"
              if dominated else "no timed model spends half of its latency on it", rounds),
    ]


def _decomposition_macros(summary, decomposition, s, d, predictions) -> list[Macro]:
    decomposed = summary[summary["family"] == "decomposed"]
    forward = decomposed[~decomposed["variant"].str.endswith("_reversed")]
    cheapest = forward.loc[forward["multiply_adds"].idxmin()]
    dearest = forward.loc[forward["multiply_adds"].idxmax()]
    best = decomposed.loc[decomposed["validation_accuracy"].idxmax()]  # chosen on validation, not test
    first = decomposition.drop_duplicates("convolution").set_index("convolution")
    head = first.iloc[-1]
    same = decomposition[decomposition["padding"] == "same"]
    reversed_rows = decomposed[decomposed["variant"].str.endswith("_reversed")]
    macros = [
        Macro("StructuresDecomposedCount", str(len(decomposed)), s),
        Macro("StructuresDecomposedFractions",
              join_words(sorted({_fraction_of(v) for v in forward["variant"]})), s),
        Macro("StructuresBoundConvOne", f"{first.loc['conv1', 'bound']:.2f}", d),
        Macro("StructuresBoundConvTwo", f"{first.loc['conv2', 'bound']:.1f}", d),
        Macro("StructuresBoundConvThree", f"{head['bound']:.1f}", d),
        Macro("StructuresHeadFormulaFactor", f"{head['formula_ratio']:.1f}", d),
        Macro("StructuresHeadBreakEven", f"{head['break_even_P']:.1f}", d),
        Macro("StructuresHeadIntermediatePositions", str(int(head["intermediate_positions"])), d),
        Macro("StructuresSameFormulaExact", "exactly" if (same["formula_ratio"] == 1).all() else
              "not exactly", d),
        Macro("StructuresDecomposedCheapestFraction", str(_fraction_of(cheapest["variant"])), s),
        Macro("StructuresDecomposedCheapestAccuracy", _pct(cheapest["test_accuracy"]), s),
        Macro("StructuresDecomposedCheapestMacsRatio", f"{cheapest['multiply_adds_ratio']:.2f}", s),
        Macro("StructuresDecomposedCheapestLatencyRatio", f"{cheapest['latency_ratio']:.2f}", s),
        Macro("StructuresDecomposedCheapestVersusReference", significance.VERDICT_PHRASES[cheapest["vs_reference"]], s),
        Macro("StructuresDecomposedDearestVersusReference", significance.VERDICT_PHRASES[dearest["vs_reference"]], s),
        Macro("StructuresDecomposedCheapestSizeRatio", f"{cheapest['tflite_bytes_ratio']:.2f}", s),
        Macro("StructuresDecomposedDearestFraction", str(_fraction_of(dearest["variant"])), s),
        Macro("StructuresDecomposedDearestAccuracy", _pct(dearest["test_accuracy"]), s),
        Macro("StructuresDecomposedDearestMacsRatio", f"{dearest['multiply_adds_ratio']:.2f}", s),
        Macro("StructuresDecomposedDearestLatencyRatio", f"{dearest['latency_ratio']:.2f}", s),
        Macro("StructuresDecomposedBestAccuracy", _pct(best["test_accuracy"]), s),
        Macro("StructuresDecomposedBestLabel", best["label"], s),
        Macro("StructuresDecomposedBestMacsRatio", f"{best['multiply_adds_ratio']:.2f}", s),
        Macro("StructuresDecomposedBestLatencyRatio", f"{best['latency_ratio']:.2f}", s),
    ]
    names = ("StructuresReversedFraction", "StructuresReversedAccuracy", "StructuresReversedTwinAccuracy",
             "StructuresReversedLatencyRatio", "StructuresReversedTwinLatencyRatio", "StructuresReversedVerdict")
    values = [MISSING] * len(names)  # a config without reversed variants still defines the names
    if len(reversed_rows):
        rev = reversed_rows.iloc[0]
        twin_name = rev["variant"].removesuffix("_reversed")
        twin = decomposed.set_index("variant").loc[twin_name]
        verdict = compare_variants(predictions, rev["variant"], twin_name)
        values = [str(_fraction_of(rev["variant"])), _pct(rev["test_accuracy"]), _pct(twin["test_accuracy"]),
                  f"{rev['latency_ratio']:.2f}", f"{twin['latency_ratio']:.2f}",
                  significance.phrase(verdict)]
    return macros + [Macro(name, value, s) for name, value in zip(names, values)]


def _fraction_of(variant: str) -> int:
    """decomposed_f25[_reversed] -> 25."""
    return int(variant.split("_")[1][1:])


def _matched_macros(summary, matched_target, s, predictions) -> list[Macro]:
    reference = summary.set_index("variant").loc[REFERENCE, "multiply_adds"]
    macros = [Macro("StructuresMatchedTargetMillions", f"{matched_target / 1e6:.2f}", s),
              Macro("StructuresMatchedTargetPercent", f"{100 * matched_target / reference:.0f}", s)]
    for family, word in (("inception", "Inception"), ("bottleneck", "Bottleneck")):
        verdict = compare_variants(predictions, f"{family}_matched", "plain_matched")
        macros += [Macro(f"Structures{word}VersusPlain", significance.phrase(verdict), s),
                   Macro(f"Structures{word}VersusPlainPoints", f"{verdict.difference_points:+.2f}", s),
                   Macro(f"Structures{word}VersusPlainMcnemarP", p_value(verdict.mcnemar_p), s)]
    for family, word in (("plain", "Plain"), ("inception", "Inception"), ("bottleneck", "Bottleneck")):
        row = summary.set_index("variant").loc[f"{family}_matched"]
        macros += [
            Macro(f"Structures{word}Accuracy", _pct(row["test_accuracy"]), s),
            Macro(f"Structures{word}MacsMillions", _millions(row["multiply_adds"]), s),
            Macro(f"Structures{word}Parameters", thousands(row["parameters"]), s),
            Macro(f"Structures{word}LatencyRatio", f"{row['latency_ratio']:.2f}", s),
            Macro(f"Structures{word}LatencyMs", f"{row['latency_median_ms']:.3f}", s),
        ]
    return macros


def _separable_macros(summary, s) -> list[Macro]:
    separable = summary[summary["family"] == "separable"].copy()
    separable["multiplier"] = separable["variant"].str.removeprefix("separable_i").astype(int)
    low = separable.loc[separable["multiplier"].idxmin()]
    high = separable.loc[separable["multiplier"].idxmax()]
    macros = []
    for row, word in ((low, "Low"), (high, "High")):
        macros += [
            Macro(f"StructuresSeparable{word}Multiplier", str(row["multiplier"]), s),
            Macro(f"StructuresSeparable{word}Accuracy", _pct(row["test_accuracy"]), s),
            Macro(f"StructuresSeparable{word}VersusReference", significance.VERDICT_PHRASES[row["vs_reference"]], s),
            Macro(f"StructuresSeparable{word}MacsRatio", f"{row['multiply_adds_ratio']:.3f}", s),
            Macro(f"StructuresSeparable{word}ParametersRatio", f"{row['parameters_ratio']:.3f}", s),
            Macro(f"StructuresSeparable{word}LatencyRatio", f"{row['latency_ratio']:.2f}", s),
            Macro(f"StructuresSeparable{word}SizeRatio", f"{row['tflite_bytes_ratio']:.3f}", s),
        ]
    return macros


def _lenet_macros(summary, s) -> list[Macro]:
    """LeNet-5, the standard small reference (MISSING values when the config leaves it out)."""
    names = ("Accuracy", "Std", "MacsMillions", "Parameters", "LatencyRatio", "SizeRatio", "VersusReference")
    rows = summary.set_index("variant")
    if "lenet5" not in rows.index:
        return [Macro(f"StructuresLenet{name}", MISSING, s) for name in names]
    row = rows.loc["lenet5"]
    values = [_pct(row["test_accuracy"]), f"{100 * row['test_accuracy_std']:.2f}", _millions(row["multiply_adds"]),
              thousands(row["parameters"]), f"{row['latency_ratio']:.2f}", f"{row['tflite_bytes_ratio']:.2f}",
              significance.VERDICT_PHRASES[row["vs_reference"]]]
    return [Macro(f"StructuresLenet{name}", value, s) for name, value in zip(names, values)]


def _deep_macros(summary, deep_settings, s) -> list[Macro]:
    rows = summary.set_index("variant")
    plain, residual = rows.loc["deep_plain"], rows.loc["deep_residual"]
    return [
        Macro("StructuresDeepLayers", str(int(plain["weight_layers"])), s),
        Macro("StructuresDeepBlocks", str(deep_settings["blocks_per_stage"]), s),
        Macro("StructuresDeepWidths", ", ".join(map(str, deep_settings["widths"])), s),
        Macro("StructuresDeepBatchNorm", "with" if deep_settings["batch_norm"] else "without", s),
        Macro("StructuresDeepPlainAccuracy", _pct(plain["test_accuracy"]), s),
        Macro("StructuresDeepResidualAccuracy", _pct(residual["test_accuracy"]), s),
        Macro("StructuresDeepPlainMacsMillions", _millions(plain["multiply_adds"]), s),
        Macro("StructuresDeepResidualMacsMillions", _millions(residual["multiply_adds"]), s),
        Macro("StructuresDeepPlainLatencyMs", f"{plain['latency_median_ms']:.3f}", s),
        Macro("StructuresDeepResidualLatencyMs", f"{residual['latency_median_ms']:.3f}", s),
        Macro("StructuresDeepPlainTrainSeconds", f"{plain['train_seconds']:.0f}", s),
        Macro("StructuresDeepResidualTrainSeconds", f"{residual['train_seconds']:.0f}", s),
    ]


def final_epochs(history: pd.DataFrame) -> pd.DataFrame:
    """The last epoch of every seed's training (history.csv has a `replicate` column)."""
    return history.groupby("replicate", sort=False).tail(1)


def deep_loss_macros(histories: dict, source_plain: str, source_residual: str) -> list[Macro]:
    """Final training loss and validation accuracy of the deep pair (means over the seeds, from their
    history.csv). "Easier to optimise" needs a lower final training loss on a Welch t-test over the
    seeds at significance.ALPHA (a training loss has no paired test predictions for McNemar's test)."""
    from scipy import stats

    plain, residual = final_epochs(histories["deep_plain"]), final_epochs(histories["deep_residual"])
    lower = residual["loss"].mean() < plain["loss"].mean()
    testable = len(plain) > 1 and len(residual) > 1
    loss_p = stats.ttest_ind(residual["loss"], plain["loss"], equal_var=False).pvalue if testable else 1.0
    if lower and loss_p < significance.ALPHA:
        verdict = "the residual one is easier to optimise, as He et al.~\\citep{HZRS15} found"
    elif not lower and loss_p < significance.ALPHA:
        verdict = "here the residual connections made the network harder to optimise"
    else:
        verdict = ("the difference in training loss is within the spread of the seeds, so this run does not "
                   "show that the residual connections make the network easier to optimise")
    return [
        Macro("StructuresCurveWindow", str(CURVE_WINDOW), "mobileopt.structures.report"),
        Macro("StructuresDeepPlainTrainLoss", f"{plain['loss'].mean():.3f}", source_plain),
        Macro("StructuresDeepResidualTrainLoss", f"{residual['loss'].mean():.3f}", source_residual),
        Macro("StructuresDeepPlainValAccuracy", _pct(plain["val_accuracy"].mean()), source_plain),
        Macro("StructuresDeepResidualValAccuracy", _pct(residual["val_accuracy"].mean()), source_residual),
        Macro("StructuresDeepLossP", p_value(loss_p), source_residual),
        Macro("StructuresDeepVerdict", verdict, source_residual),
    ]


def _resnet_macros(resnet, r) -> list[Macro]:
    totals = resnet[resnet["stage"] == "total"].set_index("depth")
    macros = []
    for depth, word in ((34, "ThirtyFour"), (50, "Fifty")):
        row = totals.loc[depth]
        macros += [
            Macro(f"StructuresResnet{word}MacsBillions", f"{row['multiply_adds'] / 1e9:.2f}", r),
            Macro(f"StructuresResnet{word}Macs", thousands(row["multiply_adds"]), r),
            Macro(f"StructuresResnet{word}DifferencePercent", f"{100 * row['relative_difference']:+.1f}", r),
            Macro(f"StructuresResnet{word}ParametersMillions", f"{row['parameters'] / 1e6:.1f}", r),
        ]
    ratio = totals.loc[50, "multiply_adds"] / totals.loc[34, "multiply_adds"] - 1
    macros.append(Macro("StructuresResnetFiftyMoreMacsPercent", f"{100 * ratio:.1f}", r))
    return macros
