"""The numbers the compression sections' prose uses, as LaTeX macros named by role.

The prose is written once for every configuration, but the variants come from the config (the small
test configuration has fewer). So the text never names a variant: it uses roles such as "the highest
unstructured sparsity" or "the fastest factorised model", which every configuration fills; a role with no
variant in a configuration gets "--" rather than an undefined macro. The generated tables list every
variant. Macro names are CamelCase letters, prefixed Compression.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mobileopt.compression.figures import ACCURACY_WINDOW_POINTS
from mobileopt.compression.summary import (METHOD_NAMES, baseline_row, representative_variants, rows_of,
                                           tolerance_of, within_tolerance)
from mobileopt.compression.sparse_kernels import DOCUMENTED_BREAK_EVEN
from mobileopt.reporting.numbers import (count_of, factor_text, is_missing, kib_text, millions_text, ms_text,
                                         number_words, p_value, percent_text, thousands)
from mobileopt.reporting.numbers import MISSING
from mobileopt.reporting.thesis import Macro, latex_escape

ROW_KEYS = ("Detail", "Accuracy", "AccuracyWithoutFineTuning", "TfliteKiB", "GzipKiB", "PackedKiB", "StoredKiB",
            "LatencyMs", "LatencyPNinetyMs", "MultiplyAddsMillions", "Parameters", "Speedup", "StoredFactor",
            "TfliteFactor", "ZerosPercent", "DensityPercent", "Channels")


# --- formatting: mobileopt.reporting.numbers ----------------------------------------------------


def macro_part(name: str) -> str:
    """'conv2_r16_conv3_r32' -> 'ConvTwoRSixteenConvThreeRThirtyTwo' (letters only, CamelCase; each
    '_'-separated piece is letters followed by digits)."""
    words = []
    for piece in name.replace("-", "_").split("_"):
        digits = "".join(ch for ch in piece if ch.isdigit())
        letters = "".join(ch for ch in piece if ch.isalpha())
        if letters:
            words.append(letters[0].upper() + letters[1:])
        if digits:
            words.append(number_words(int(digits)))
    return "".join(words)


# --- one row under a role name -------------------------------------------------------------------

def row_values(row: pd.Series | None, baseline: pd.Series) -> dict[str, str]:
    if row is None:
        return dict.fromkeys(ROW_KEYS, MISSING)
    return {
        "Detail": latex_escape(row["detail"]),
        "Accuracy": percent_text(row["test_accuracy"]),
        "AccuracyWithoutFineTuning": percent_text(row["accuracy_without_fine_tuning"]),
        "TfliteKiB": kib_text(row["tflite_bytes"]), "GzipKiB": kib_text(row["gzip_bytes"]),
        "PackedKiB": kib_text(row["packed_bytes"]), "StoredKiB": kib_text(row["stored_bytes"]),
        "LatencyMs": ms_text(row["latency_median_ms"]), "LatencyPNinetyMs": ms_text(row["latency_p90_ms"]),
        "MultiplyAddsMillions": millions_text(row["multiply_adds"]),
        "Parameters": MISSING if is_missing(row["parameters"]) else thousands(row["parameters"]),
        "Speedup": factor_text(baseline["latency_median_ms"] / row["latency_median_ms"]),
        # Archival (gzip or bit-packed) size against the baseline's TFLite file ...
        "StoredFactor": factor_text(baseline["tflite_bytes"] / row["stored_bytes"]),
        # ... and runnable size against runnable size.
        "TfliteFactor": factor_text(baseline["tflite_bytes"] / row["tflite_bytes"]),
        "ZerosPercent": percent_text(row["sparsity"], 1),
        "DensityPercent": percent_text(1.0 - row["sparsity"], 1),
        "Channels": row["channels"] if isinstance(row["channels"], str) and row["channels"] else MISSING,
    }


def role(name: str, row: pd.Series | None, summary: pd.DataFrame, source: str) -> list[Macro]:
    """Compression<name><Quantity> for every quantity of ROW_KEYS ('--' when the role has no row)."""
    values = row_values(row, baseline_row(summary))
    return [Macro(f"Compression{name}{key}", value, source) for key, value in values.items()]


def pick(rows: pd.DataFrame, column: str, largest: bool = False) -> pd.Series | None:
    rows = rows.dropna(subset=[column])
    if not len(rows):
        return None
    return rows.loc[rows[column].idxmax() if largest else rows[column].idxmin()]


def same_model(summary: pd.DataFrame, method: str, row: pd.Series | None, sparse: bool) -> pd.Series | None:
    """The artefact of the same pruned model in the other encoding."""
    if row is None:
        return None
    rows = rows_of(summary, method)
    match = rows[(rows["model"] == row["model"]) & (rows["variant"].str.endswith("_sparse") == sparse)]
    return match.iloc[0] if len(match) else None


# --- roles per method ----------------------------------------------------------------------------

def pruning_roles(summary: pd.DataFrame, source: str, tolerance: float) -> list[Macro]:
    rows = rows_of(summary, "pruning")
    dense = rows[~rows["variant"].str.endswith("_sparse")]
    unstructured = dense[dense["variant"].str.startswith("sparsity_")].copy()
    unstructured["target"] = unstructured["variant"].str.extract(r"sparsity_(\d+)")[0].astype(float)
    roles = {
        "PruningLow": pick(unstructured, "target"),
        "PruningHigh": pick(unstructured, "target", largest=True),
        "PruningTolerable": pick(within_tolerance(summary, unstructured, tolerance), "target", largest=True),
        "PruningTwoFour": pick(dense[dense["variant"] == "two_four"], "test_accuracy"),
        "PruningBlock": pick(dense[dense["variant"].str.startswith("block_")], "sparsity", largest=True),
    }
    macros = []
    for name, row in roles.items():
        macros += role(name, row, summary, source)
        macros += role(name + "Sparse", same_model(summary, "pruning", row, sparse=True), summary, source)
    return macros


def factorization_roles(summary: pd.DataFrame, source: str) -> list[Macro]:
    rows = rows_of(summary, "factorization").copy()
    rows["gain"] = rows["test_accuracy"] - rows["accuracy_without_fine_tuning"]
    return (role("FactorizationFastest", pick(rows, "latency_median_ms"), summary, source)
            + role("FactorizationSmallest", pick(rows, "tflite_bytes"), summary, source)
            + role("FactorizationGain", pick(rows, "gain", largest=True), summary, source))


def weight_sharing_roles(summary: pd.DataFrame, config: dict, source: str) -> list[Macro]:
    rows = rows_of(summary, "weight_sharing").copy()
    rows["clusters"] = rows["detail"].str.extract(r"(\d+) clusters")[0].astype(float)
    clustered = rows[rows["format"] == "float32"]
    gather_k = config["compression"]["weight_sharing"]["gather_clusters"]
    macros = (role("SharingFewest", pick(clustered, "clusters"), summary, source)
              + role("SharingMost", pick(clustered, "clusters", largest=True), summary, source)
              + role("SharingGathered", pick(clustered[clustered["clusters"] == gather_k], "clusters"), summary,
                     source)
              + role("SharingGatherInt", pick(rows[rows["format"].str.contains("int32")], "clusters"), summary,
                     source)
              + role("SharingGatherShort", pick(rows[rows["format"].str.contains("int16")], "clusters"), summary,
                     source))
    for name, row in (("SharingFewest", pick(clustered, "clusters")),
                      ("SharingMost", pick(clustered, "clusters", largest=True))):
        macros.append(Macro(f"Compression{name}Clusters", MISSING if row is None else str(int(row["clusters"])),
                            source))
        macros.append(Macro(f"Compression{name}IndexBits", MISSING if row is None
                            else str(max(1, math.ceil(math.log2(row["clusters"])))), source))
    macros.append(Macro("CompressionSharingGatheredClusters", str(gather_k), "config"))
    macros.append(Macro("CompressionSharingGatheredIndexBits", str(max(1, math.ceil(math.log2(gather_k)))), "config"))
    gathered = pick(clustered[clustered["clusters"] == gather_k], "clusters")
    gather_int = pick(rows[rows["format"].str.contains("int32")], "clusters")
    macros.append(Macro("CompressionSharingGatherSlowdown", MISSING if gathered is None or gather_int is None
                        else f"{gather_int['latency_median_ms'] / gathered['latency_median_ms']:.0f}", source))
    return macros


def fisher_roles(summary: pd.DataFrame, source: str, correct: dict) -> list[Macro]:
    rows = rows_of(summary, "fisher_pruning").copy()
    rows["criterion"] = rows["variant"].str.replace(r"_\d+$", "", regex=True)
    rows["removed"] = rows["variant"].str.extract(r"_(\d+)$")[0].astype(float)
    macros = []
    for level, largest in (("Low", False), ("High", True)):
        chosen = {}
        for criterion, name in (("fisher", "Fisher"), ("activation_count", "Activation")):
            part = rows[rows["criterion"] == criterion]
            chosen[criterion] = pick(part, "removed", largest=largest)
            macros += role(f"{name}{level}", chosen[criterion], summary, source)
            macros.append(Macro(f"Compression{name}{level}RemovedPercent", MISSING if chosen[criterion] is None
                                else f"{chosen[criterion]['removed']:g}", source))
        for column, suffix in (("test_accuracy", ""), ("accuracy_without_fine_tuning", "OneShot")):
            fisher, activation = chosen["fisher"], chosen["activation_count"]
            if fisher is None or activation is None:
                difference, direction = MISSING, MISSING
            else:
                delta = fisher[column] - activation[column]
                difference, direction = f"{100 * abs(delta):.2f}", "above" if delta >= 0 else "below"
            macros += [Macro(f"CompressionFisher{level}{suffix}DifferencePoints", difference, source),
                       Macro(f"CompressionFisher{level}{suffix}DifferenceDirection", direction, source)]
        macros += verdict_macros(f"CompressionFisher{level}", correct, chosen["fisher"], chosen["activation_count"],
                                 "fisher_pruning", source)
        macros += verdict_macros(f"CompressionFisher{level}VersusBaseline", correct, chosen["fisher"],
                                 converted_baseline(summary), "fisher_pruning", source, other_method="quantization")
    return macros


def scratch_macros(correct: dict, scratch: dict[float, dict], config: dict) -> list[Macro]:
    """Liu et al.'s control (mobileopt.compression.scratch_control) at the lowest and highest fraction of
    channels removed: its accuracy over the seeds and the verdict against the Fisher-pruned, fine-tuned
    network of the same widths (significance.compare: the control's seeds against the pruned model's
    LiteRT predictions, so McNemar's test decides). '--' without the control."""
    from mobileopt.compression.variants import percent
    from mobileopt.core import significance

    macros = [Macro("CompressionScratchSeeds", str(len(config["seeds"])), "config"),
              Macro("CompressionScratchEpochs", count_of(config["baseline"]["epochs"], "epoch"), "config")]
    names = ("Accuracy", "Std", "VersusFisher", "VersusFisherP")
    for level, pick_fraction in (("Low", min), ("High", max)):
        values = [MISSING] * len(names)
        source = "config"
        if scratch:
            fraction = pick_fraction(scratch)
            result, key = scratch[fraction], f"fisher_pruning/fisher_{percent(fraction)}"
            source = result["source"]
            values[:2] = [f"{100 * result['metrics']['test_accuracy']:.2f}",
                          f"{100 * result['metrics']['test_accuracy_std']:.2f}"]
            if key in correct:
                predictions = result["predictions"]
                comparison = significance.compare(significance.correctness(predictions["test"],
                                                                           predictions["test_labels"]),
                                                  correct[key][None])
                values[2:] = [significance.phrase(comparison), p_value(comparison.mcnemar_p)]
        macros += [Macro(f"CompressionScratch{level}{name}", value, source) for name, value in zip(names, values)]
    return macros


def verdict_macros(name: str, correct: dict, row, other, method: str, source: str,
                   other_method: str | None = None) -> list[Macro]:
    """<name>Verdict ('more accurate than', 'less accurate than', 'not distinguishable in accuracy from') and <name>McnemarP:
    mobileopt.core.significance on the two artefacts' paired LiteRT test predictions (one model each:
    McNemar's test decides). '--' when either row is absent."""
    from mobileopt.core import significance

    keys = [None if part is None else f"{m}/{part['variant']}"
            for part, m in ((row, method), (other, other_method or method))]
    if None in keys or not all(key in correct for key in keys):
        return [Macro(f"{name}Verdict", MISSING, source), Macro(f"{name}McnemarP", MISSING, source)]
    comparison = significance.compare(correct[keys[0]][None], correct[keys[1]][None])
    return [Macro(f"{name}Verdict", significance.phrase(comparison), source),
            Macro(f"{name}McnemarP", p_value(comparison.mcnemar_p), source)]


def converted_baseline(summary: pd.DataFrame) -> pd.Series | None:
    """The baseline converted to float32 as is (the quantization method's float32 artefact): the model
    every compression variant starts from, measured like them (LiteRT)."""
    rows = rows_of(summary, "quantization")
    rows = rows[rows["variant"] == "float32"]
    return rows.iloc[0] if len(rows) else None


def quantization_verdicts(summary: pd.DataFrame, correct: dict, source: str) -> list[Macro]:
    """Each quantised format against the float32 conversion of the same model, and QAT against int8."""
    rows = rows_of(summary, "quantization").set_index("variant", drop=False)

    def row(variant):
        return rows.loc[variant] if variant in rows.index else None

    macros = []
    for variant in ("dynamic_range", "float16", "int8", "qat_int8"):
        macros += verdict_macros(f"CompressionQuant{macro_part(variant)}VersusFloat", correct, row(variant),
                                 converted_baseline(summary), "quantization", source)
    return macros + verdict_macros("CompressionQuantQatVersusIntEight", correct, row("qat_int8"), row("int8"),
                                   "quantization", source)


def fixed_roles(summary: pd.DataFrame, source: str) -> list[Macro]:
    """Rows whose names do not depend on the config: the baseline, the quantised formats, the ef rows."""
    macros = role("Baseline", baseline_row(summary), summary, source)
    quantized = rows_of(summary, "quantization").set_index("variant")
    for variant in ("float32", "dynamic_range", "float16", "int8", "qat_int8"):
        row = quantized.loc[variant] if variant in quantized.index else None
        macros += role("Quant" + macro_part(variant), row, summary, source)
    ef = rows_of(summary, "ef_operator")
    models = ef[~ef["variant"].str.startswith("layer_")]
    macros += role("EfModel", models.iloc[0] if len(models) else None, summary, source)
    for variant in ("layer_dense", "layer_ef"):
        match = ef[ef["variant"] == variant]
        macros += role("Ef" + macro_part(variant), match.iloc[0] if len(match) else None, summary, source)
    if len(ef[ef["variant"].isin(["layer_dense", "layer_ef"])]) == 2:
        times = ef.set_index("variant")["latency_median_ms"]
        macros.append(Macro("CompressionEfLayerSlowdown", f"{times['layer_ef'] / times['layer_dense']:.1f}", source))
    else:
        macros.append(Macro("CompressionEfLayerSlowdown", MISSING, source))
    return macros


# --- sparse kernels ------------------------------------------------------------------------------

def _break_even_row(break_even: pd.DataFrame, engine: str, layer: str, batch: int, pattern: str):
    match = break_even[(break_even["engine"] == engine) & (break_even["layer"] == layer)
                       & (break_even["batch"] == batch) & (break_even["pattern"] == pattern)]
    return match.iloc[0] if len(match) else None


def _break_even_text(row) -> str:
    if row is None:
        return MISSING
    if row["status"] == "crossed":
        return f"{100 * row['break_even_density']:.1f}"
    if row["status"] == "below_grid":
        return f"below {100 * row['lowest_density']:g}"
    return "above 100"


def _versus_documented(row) -> str:
    """Where the documented break-even density lies against a measured one's bootstrap interval."""
    if row["break_even_high"] < DOCUMENTED_BREAK_EVEN:
        return "below the documented rule of"
    if row["break_even_low"] > DOCUMENTED_BREAK_EVEN:
        return "above the documented rule of"
    return "an interval that contains the documented rule of"


def ratio_at_density(timings: pd.DataFrame, engine: str, layer: str, batch: int, density: float,
                     stop_ratio: float) -> str:
    """Sparse time / dense time at `density`, interpolated log-log between the measured densities; 'over N'
    when the sweep stopped below it (it stops once the sparse product is N times slower)."""
    part = timings[(timings["engine"] == engine) & (timings["layer"] == layer) & (timings["batch"] == batch)]
    if not len(part):
        return MISSING
    sparse = part[part["implementation"] == "sparse"].groupby("target_density")["median_us"].median()
    dense = part.loc[part["implementation"] == "dense", "median_us"].median()
    if density > sparse.index.max():
        return f"over {stop_ratio:g}"
    if density < sparse.index.min():
        return MISSING
    log_ratio = np.interp(np.log(density), np.log(sparse.index.to_numpy(dtype=float)),
                          np.log(sparse.to_numpy(dtype=float) / dense))
    return f"{float(np.exp(log_ratio)):.1f}"


def sparse_kernel_macros(timings: pd.DataFrame, break_even: pd.DataFrame, config: dict,
                         sources: dict[str, str]) -> list[Macro]:
    section = config["compression"]["sparse_kernels"]
    largest = max(section["batch_sizes"])
    source = sources["break_even"]
    macros = [Macro("CompressionDocumentedBreakEvenPercent", f"{100 * DOCUMENTED_BREAK_EVEN:g}", "tf.sparse docs"),
              Macro("CompressionLargestBatch", str(largest), "config"),
              Macro("CompressionLowestDensityPercent", f"{100 * min(section['densities']):g}", "config"),
              Macro("CompressionStopRatio", f"{section['stop_ratio']:g}", "config")]
    for layer, name in (("conv1", "ConvOne"), ("conv2", "ConvTwo"), ("conv3", "Fc")):
        for batch, batch_name in ((1, "BatchOne"), (largest, "LargestBatch")):
            row = _break_even_row(break_even, "tensorflow", layer, batch, "unstructured")
            macros.append(Macro(f"CompressionBreakEvenTf{name}{batch_name}", _break_even_text(row), source))
            macros.append(Macro(f"CompressionTf{name}{batch_name}SpeedupLowest",
                                MISSING if row is None else f"{row['speedup_at_lowest_density']:.1f}", source))
            macros.append(Macro(f"CompressionTf{name}{batch_name}RatioAtDocumented",
                                ratio_at_density(timings, "tensorflow", layer, batch, DOCUMENTED_BREAK_EVEN,
                                                 section["stop_ratio"]), sources["timings"]))
    crossed = break_even[(break_even["engine"] == "tensorflow") & (break_even["status"] == "crossed")
                         & (break_even["layer"] != "logits")]
    macros += [Macro("CompressionBreakEvenTfMax", MISSING if not len(crossed)
                     else f"{100 * crossed['break_even_density'].max():.1f}", source),
               Macro("CompressionBreakEvenTfMin", MISSING if not len(crossed)
                     else f"{100 * crossed['break_even_density'].min():.1f}", source)]
    block = _break_even_row(break_even, "litert", "conv3", 1, "block_1x4")
    interval = block is not None and block["status"] == "crossed" and not np.isnan(block["break_even_low"])
    macros += [Macro("CompressionBreakEvenLitertFcBlock", _break_even_text(block), source),
               Macro("CompressionBreakEvenLitertFcBlockLow",
                     f"{100 * block['break_even_low']:.1f}" if interval else MISSING, source),
               Macro("CompressionBreakEvenLitertFcBlockHigh",
                     f"{100 * block['break_even_high']:.1f}" if interval else MISSING, source),
               Macro("CompressionLitertBlockVersusDocumented", _versus_documented(block) if interval else MISSING,
                     source),
               Macro("CompressionLitertFcBlockSpeedupLowest", MISSING if block is None
                     else f"{block['speedup_at_lowest_density']:.1f}", source)]
    fc = timings[(timings["engine"] == "litert") & (timings["layer"] == "conv3")
                 & (timings["implementation"] == "sparse") & (timings["pattern"] == "unstructured")]
    kept = fc[~fc["ops"].str.contains("DENSIFY") & (fc["tflite_bytes"] < fc["tflite_bytes"].max())]
    densified = fc[fc["ops"].str.contains("DENSIFY")]
    macros += [
        Macro("CompressionLitertUnstructuredSparseUpToPercent",
              f"{100 * kept['target_density'].max():g}" if len(kept) else MISSING, sources["timings"]),
        Macro("CompressionLitertDensifyFromPercent",
              f"{100 * densified['target_density'].min():g}" if len(densified) else MISSING, sources["timings"]),
        Macro("CompressionLitertDensifyToPercent",
              f"{100 * densified['target_density'].max():g}" if len(densified) else MISSING, sources["timings"]),
    ]
    return macros


# --- SVD, Fisher scores, settings ----------------------------------------------------------------

def svd_macros(summary: pd.DataFrame, sweep: pd.DataFrame, spectra: pd.DataFrame, sources: dict[str, str],
               tolerance: float, energy: float = 0.9) -> list[Macro]:
    reference = baseline_row(summary)["validation_accuracy"]
    macros = [Macro("CompressionSvdEnergyPercent", f"{100 * energy:g}", sources["spectra"])]
    for layer in ("conv1", "conv2", "conv3", "logits"):
        name = "Fc" if layer == "conv3" else macro_part(layer)
        part = spectra[spectra["layer"] == layer]
        macros.append(Macro(f"CompressionSvd{name}EnergyRank", str(int(part.loc[part["energy"] >= energy, "index"].min()))
                            if len(part) else MISSING, sources["spectra"]))
        macros.append(Macro(f"CompressionSvd{name}MaxRank", str(int(part["index"].max())) if len(part) else MISSING,
                            sources["spectra"]))
        if layer not in ("conv2", "conv3"):
            continue
        rows = sweep[sweep["layer"] == layer]
        good = rows[rows["validation_accuracy"] >= reference - tolerance]
        smallest = good.loc[good["rank"].idxmin()] if len(good) else None
        macros += [
            Macro(f"CompressionSvd{name}FullRank", str(int(rows["full_rank"].iloc[0])) if len(rows) else MISSING,
                  sources["sweep"]),
            Macro(f"CompressionSvd{name}BreakEvenRank", f"{rows['break_even_rank'].iloc[0]:.1f}" if len(rows)
                  else MISSING, sources["sweep"]),
            Macro(f"CompressionSvd{name}ToleranceRank", MISSING if smallest is None else str(int(smallest["rank"])),
                  sources["sweep"]),
            Macro(f"CompressionSvd{name}ToleranceRankAccuracy", MISSING if smallest is None
                  else percent_text(smallest["test_accuracy"]), sources["sweep"]),
            Macro(f"CompressionSvd{name}ToleranceRankErrorPercent", MISSING if smallest is None
                  else f"{100 * smallest['relative_error']:.0f}", sources["sweep"]),
            Macro(f"CompressionSvd{name}ToleranceRankMultiplyAddsMillions", MISSING if smallest is None
                  else millions_text(smallest["multiply_adds"]), sources["sweep"]),
            Macro(f"CompressionSvd{name}LowestRank", str(int(rows["rank"].min())) if len(rows) else MISSING,
                  sources["sweep"]),
            Macro(f"CompressionSvd{name}LowestRankAccuracy", percent_text(rows.loc[rows["rank"].idxmin(),
                                                                                    "test_accuracy"])
                  if len(rows) else MISSING, sources["sweep"]),
        ]
    return macros


def score_agreement_macros(scores: pd.DataFrame, source: str) -> list[Macro]:
    """Spearman rank correlation of the two criteria's channel scores on the baseline, per layer."""
    wide = scores.pivot_table(index=["layer", "channel"], columns="criterion", values="score")
    macros = []
    for layer in ("conv1", "conv2", "conv3"):
        value = MISSING
        if {"fisher", "activation_count"} <= set(wide.columns) and layer in wide.index.get_level_values("layer"):
            ranks = wide.xs(layer, level="layer").rank()
            value = f"{ranks['fisher'].corr(ranks['activation_count']):.2f}"
        macros.append(Macro("CompressionScoreCorrelation" + ("Fc" if layer == "conv3" else macro_part(layer)),
                            value, source))
    return macros


def settings_macros(summary: pd.DataFrame, config: dict, source: str) -> list[Macro]:
    section = config["compression"]
    fine_tune = section["fine_tune"]
    chosen = representative_variants(summary, tolerance_of(config))
    baseline = baseline_row(summary)
    smallest, fastest = chosen.loc[chosen["stored_bytes"].idxmin()], chosen.loc[chosen["latency_median_ms"].idxmin()]
    return [
        Macro("CompressionFineTuneEpochs", count_of(fine_tune["epochs"], "epoch"), "config"),
        Macro("CompressionFineTuneImages", "all" if fine_tune["train_images"] is None
              else thousands(fine_tune["train_images"]), "config"),
        Macro("CompressionFineTuneLearningRate", f"{fine_tune['learning_rate']:g}", "config"),
        Macro("CompressionTolerancePoints", f"{100 * tolerance_of(config):g}", "config"),
        Macro("CompressionFisherRounds", str(section["fisher_pruning"]["rounds"]), "config"),
        Macro("CompressionFisherScoringImages", thousands(section["fisher_pruning"]["scoring_images"]), "config"),
        Macro("CompressionRepresentativeImages", thousands(section["quantization"]["representative_images"]), "config"),
        Macro("CompressionPruningScheduleEndPercent", f"{100 * section['pruning']['schedule_end_fraction']:g}",
              "config"),
        Macro("CompressionPruningUpdateSteps", str(section["pruning"]["update_every_steps"]), "config"),
        Macro("CompressionEfCalibrationImages", thousands(section["ef_operator"]["calibration_images"]), "config"),
        Macro("CompressionArtefactCount", str(len(summary) - 1), source),
        Macro("CompressionPlotWindowPoints", f"{ACCURACY_WINDOW_POINTS:g}", "mobileopt.compression.figures"),
        Macro("CompressionSmallestMethod", METHOD_NAMES[smallest["method"]], source),
        Macro("CompressionSmallestDetail", latex_escape(smallest["detail"]), source),
        Macro("CompressionSmallestStoredKiB", kib_text(smallest["stored_bytes"]), source),
        Macro("CompressionSmallestFactor", f"{baseline['tflite_bytes'] / smallest['stored_bytes']:.0f}", source),
        Macro("CompressionFastestMethod", METHOD_NAMES[fastest["method"]], source),
        Macro("CompressionFastestDetail", latex_escape(fastest["detail"]), source),
        Macro("CompressionFastestSpeedup", f"{baseline['latency_median_ms'] / fastest['latency_median_ms']:.1f}",
              source),
    ]


def all_macros(data: dict[str, pd.DataFrame], config: dict, sources: dict[str, str]) -> list[Macro]:
    summary, source = data["summary"], sources["summary"]
    return (settings_macros(summary, config, source) + fixed_roles(summary, source)
            + pruning_roles(summary, source, tolerance_of(config)) + factorization_roles(summary, source)
            + weight_sharing_roles(summary, config, source) + fisher_roles(summary, source, data["correct"])
            + scratch_macros(data["correct"], data.get("scratch", {}), config)
            + quantization_verdicts(summary, data["correct"], source)
            + sparse_kernel_macros(data["timings"], data["break_even"], config, sources)
            + svd_macros(summary, data["sweep"], data["spectra"], sources, tolerance_of(config))
            + score_agreement_macros(data["scores"], sources["scores"]))
