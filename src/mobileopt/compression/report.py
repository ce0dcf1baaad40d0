"""The compression topic's thesis parts: tables, and the writing of every table, figure and macro.

Everything here reads tidy result files (results/compression/summary.csv and the CSVs of the sparse
timing, the SVD sweep and spectra, the channel scores) and never trains. Accuracies are LiteRT test
accuracies of the .tflite files unless a column says otherwise.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from mobileopt.compression import figures as plots
from mobileopt.compression.figures import LAYER_LABELS
from mobileopt.compression.macros import all_macros, kib_text, millions_text, ms_text, percent_text
from mobileopt.compression.summary import (METHOD_NAMES, baseline_row, representative_variants, rows_of,
                                           litert_correctness, tolerance_of)
from mobileopt.reporting.numbers import thousands
from mobileopt.reporting.thesis import latex_escape


PRUNING_PATTERNS = {"sparsity": "unstructured", "two": "2:4", "block": "1$\\times$4 (FC)"}


def pruning_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per pruned model: both encodings side by side (sizes in KiB, latencies in ms). The float32
    TFLite size is left out: it equals the baseline's for every pruned model (the caption says so)."""
    rows = rows_of(summary, "pruning")
    dense = rows[~rows["variant"].str.endswith("_sparse")].set_index("model")
    sparse = rows[rows["variant"].str.endswith("_sparse")].set_index("model")
    base = baseline_row(summary)
    table = [{"Pattern": "baseline", "Zeros (\\%)": "0.0", "Acc. (\\%)": percent_text(base["test_accuracy"]),
              "gzip": kib_text(base["gzip_bytes"]), "Sparse": "--", "Sparse gzip": "--",
              "Lat.": ms_text(base["latency_median_ms"]), "Sparse lat.": "--"}]
    for model, row in dense.iterrows():
        other = sparse.loc[model]
        table.append({"Pattern": PRUNING_PATTERNS[model.split("_")[0]],
                      "Zeros (\\%)": f"{100 * row['sparsity']:.1f}",
                      "Acc. (\\%)": percent_text(row["test_accuracy"]),
                      "gzip": kib_text(row["gzip_bytes"]), "Sparse": kib_text(other["tflite_bytes"]),
                      "Sparse gzip": kib_text(other["gzip_bytes"]), "Lat.": ms_text(row["latency_median_ms"]),
                      "Sparse lat.": ms_text(other["latency_median_ms"])})
    return pd.DataFrame(table)


def pruning_caption(summary: pd.DataFrame) -> str:
    sizes = rows_of(summary, "pruning")
    sizes = sizes.loc[~sizes["variant"].str.endswith("_sparse"), "tflite_bytes"]
    return ("Magnitude pruning after fine-tuning: share of zeros in the pruned layers, LiteRT "
            "test accuracy, size (KiB) of the float32 TFLite file after gzip and of TFLite's sparse encoding "
            "before and after gzip, and median LiteRT latency (ms) of both encodings. The float32 TFLite file "
            f"itself takes {kib_text(sizes.min())} to {kib_text(sizes.max())} KiB for every pruned model, as "
            f"for the baseline ({kib_text(baseline_row(summary)['tflite_bytes'])} KiB).")


def sparse_kernel_table(break_even: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, row in break_even.iterrows():
        if row["status"] == "crossed":
            density = f"{100 * row['break_even_density']:.1f}"
            if not pd.isna(row.get("break_even_low")):
                density += f" {{\\scriptsize[{100 * row['break_even_low']:.1f}, {100 * row['break_even_high']:.1f}]}}"
        elif row["status"] == "below_grid":
            density = f"$<{100 * row['lowest_density']:g}$"
        else:
            density = "$>100$"
        rows.append({"Engine": "TF" if row["engine"] == "tensorflow" else "LiteRT",
                     "Layer": LAYER_LABELS.get(row["layer"], row["layer"]),
                     "$W$": f"${row['rows']}\\times{row['inner']}$",
                     "Cols.": thousands(row["columns"]), "Batch": int(row["batch"]),
                     "Pattern": "1$\\times$4 blocks" if row["pattern"] == "block_1x4" else "unstruct.",
                     "Break-even": density, "Speed-up": f"{row['speedup_at_lowest_density']:.2f}"})
    return pd.DataFrame(rows)


def factorization_table(summary: pd.DataFrame) -> pd.DataFrame:
    base = baseline_row(summary)
    table = [{"Variant": "baseline", "MACs (M)": millions_text(base["multiply_adds"]), "Before FT (\\%)": "--",
              "Acc. (\\%)": percent_text(base["test_accuracy"]), "TFLite (KiB)": kib_text(base["tflite_bytes"]),
              "Lat. (ms)": ms_text(base["latency_median_ms"])}]
    for _, row in rows_of(summary, "factorization").iterrows():
        table.append({"Variant": latex_escape(row["detail"]), "MACs (M)": millions_text(row["multiply_adds"]),
                      "Before FT (\\%)": percent_text(row["accuracy_without_fine_tuning"]),
                      "Acc. (\\%)": percent_text(row["test_accuracy"]),
                      "TFLite (KiB)": kib_text(row["tflite_bytes"]), "Lat. (ms)": ms_text(row["latency_median_ms"])})
    return pd.DataFrame(table)


def sharing_label(row: pd.Series) -> str:
    """'k = 16' for a clustered model, 'k = 16, gather int32' for its tf.gather form."""
    clusters = row["detail"].split()[0]
    if row["format"].startswith("gather"):
        return f"$k={clusters}$, tf.gather {row['format'].split(', ')[1].split()[0]}"
    return f"$k={clusters}$"


def weight_sharing_table(summary: pd.DataFrame) -> pd.DataFrame:
    base = baseline_row(summary)
    table = [{"Variant": "baseline", "Acc. (\\%)": percent_text(base["test_accuracy"]),
              "TFLite": kib_text(base["tflite_bytes"]), "gzip": kib_text(base["gzip_bytes"]), "Packed": "--",
              "Lat. (ms)": ms_text(base["latency_median_ms"])}]
    for _, row in rows_of(summary, "weight_sharing").iterrows():
        table.append({"Variant": sharing_label(row), "Acc. (\\%)": percent_text(row["test_accuracy"]),
                      "TFLite": kib_text(row["tflite_bytes"]), "gzip": kib_text(row["gzip_bytes"]),
                      "Packed": kib_text(row["packed_bytes"]), "Lat. (ms)": ms_text(row["latency_median_ms"])})
    return pd.DataFrame(table)


def weight_sharing_caption(summary: pd.DataFrame) -> str:
    clustered = rows_of(summary, "weight_sharing").dropna(subset=["max_distinct_values"])
    clusters = clustered["detail"].str.extract(r"(\d+) clusters")[0].astype(int)
    bound = "at most $k$" if (clustered["max_distinct_values"] <= clusters).all() else "more than $k$"
    return ("Weight sharing by $k$-means clustering with $k$ clusters per layer, after fine-tuning (every kernel "
            f"holds {bound} distinct values): LiteRT accuracy, size (KiB) of the float32 TFLite file, of that file "
            "after gzip and of the bit-packed format, and median LiteRT latency. The tf.gather rows are real "
            "TFLite models that gather every kernel from 32- or 16-bit indices at inference.")


def quantization_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"Format": latex_escape(row["format"]), "Acc. (\\%)": percent_text(row["test_accuracy"]),
                          "TFLite": kib_text(row["tflite_bytes"]), "gzip": kib_text(row["gzip_bytes"]),
                          "Lat. (ms)": ms_text(row["latency_median_ms"]),
                          "p90 (ms)": ms_text(row["latency_p90_ms"])}
                         for _, row in rows_of(summary, "quantization").iterrows()])


def fisher_table(summary: pd.DataFrame) -> pd.DataFrame:
    base = baseline_row(summary)
    table = [{"Criterion": "baseline", "Removed (\\%)": "0", "MACs (M)": millions_text(base["multiply_adds"]), "One-shot (\\%)": "--",
              "Acc. (\\%)": percent_text(base["test_accuracy"]), "Lat. (ms)": ms_text(base["latency_median_ms"])}]
    for _, row in rows_of(summary, "fisher_pruning").iterrows():
        criterion, removed = row["detail"].split(", ")
        table.append({"Criterion": latex_escape(criterion), "Removed (\\%)": removed.split("%")[0],
                      "MACs (M)": millions_text(row["multiply_adds"]),
                      "One-shot (\\%)": percent_text(row["accuracy_without_fine_tuning"]),
                      "Acc. (\\%)": percent_text(row["test_accuracy"]), "Lat. (ms)": ms_text(row["latency_median_ms"])})
    return pd.DataFrame(table)


def ef_table(summary: pd.DataFrame) -> pd.DataFrame:
    base = baseline_row(summary)
    rows = [("baseline classifier", base)] + [(row["detail"], row) for _, row in rows_of(summary, "ef_operator").iterrows()]
    return pd.DataFrame([{"Model": latex_escape(name), "Acc. (\\%)": percent_text(row["test_accuracy"]),
                          "Before FT (\\%)": percent_text(row["accuracy_without_fine_tuning"]),
                          "MACs (M)": millions_text(row["multiply_adds"]),
                          "TFLite (KiB)": kib_text(row["tflite_bytes"]),
                          "Lat. (ms)": ms_text(row["latency_median_ms"])} for name, row in rows])


def overview_table(summary: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    chosen = representative_variants(summary, tolerance)
    return pd.DataFrame([{"Method": METHOD_NAMES[row["method"]], "Variant": latex_escape(row["detail"]),
                          "Acc. (\\%)": percent_text(row["test_accuracy"]),
                          "MACs (M)": millions_text(row["multiply_adds"]),
                          "KiB": kib_text(row["stored_bytes"]),
                          "Lat. (ms)": ms_text(row["latency_median_ms"])}
                         for _, row in chosen.iterrows()])


# name -> (builder on the loaded data, caption (or a function of the summary), column format, data it is
# drawn from)
TABLES = {
    "pruning": (lambda d: pruning_table(d["summary"]), lambda d: pruning_caption(d["summary"]), "lrrrrrrr",
                ["summary"]),
    "sparse_kernels": (lambda d: sparse_kernel_table(d["break_even"]),
                       "Break-even density (\\%, share of non-zero weights) below which the sparse product is "
                       "faster than the dense one, per layer shape of the classifier ($W$: outputs $\\times$ "
                       "inputs; columns of the product: output positions $\\times$ batch), with its "
                       "bootstrap interval over the rounds in which dense and sparse were timed side by side, "
                       "and the speed-up of the sparse product over the dense one at the lowest density "
                       "measured.", "lllrrlrr",
                       ["break_even"]),
    "factorization": (lambda d: factorization_table(d["summary"]),
                      "Truncated-SVD factorisation: multiply-adds, Keras test accuracy before fine-tuning (FT), "
                      "LiteRT test accuracy after it, TFLite size and median LiteRT latency.",
                      "p{3.6cm}rrrrr", ["summary"]),
    "weight_sharing": (lambda d: weight_sharing_table(d["summary"]),
                       lambda d: weight_sharing_caption(d["summary"]), "lrrrrr", ["summary"]),
    "quantization": (lambda d: quantization_table(d["summary"]),
                     "Quantisation of the baseline: LiteRT test accuracy, size (KiB) of each TFLite format "
                     "before and after gzip, and LiteRT latency, median and 90th percentile (QAT: "
                     "quantisation-aware training, fine-tuned from the baseline).", "lrrrrr", ["summary"]),
    "fisher_pruning": (lambda d: fisher_table(d["summary"]),
                       "Channel pruning of the hidden layers by Fisher information and by activation count: "
                       "share of each layer's channels removed, multiply-adds, Keras accuracy after one-shot "
                       "removal without fine-tuning, LiteRT accuracy after iterative removal with fine-tuning, "
                       "and median LiteRT latency.", "lrrrrr", ["summary"]),
    "ef_operator": (lambda d: ef_table(d["summary"]),
                    "The classifier with the ef-operator in the layers named, emulated with two ordinary products "
                    "per layer, and one layer alone in both forms: accuracy after and before fine-tuning (FT), the "
                    "multiply-adds the emulation executes, TFLite size and median LiteRT latency.",
                    "p{3.6cm}rrrrr", ["summary"]),
    "overview": (lambda d: overview_table(d["summary"], d["tolerance"]),
                 lambda d: "Each method's variant that is stored smallest (KiB) while staying within "
                 f"{100 * d['tolerance']:g} percentage points of the baseline's accuracy on the validation images "
                 "(the most accurate there where none does); accuracy: on the test set. Stored: gzip-compressed "
                 "TFLite, or the bit-packed format where smaller; latency: median LiteRT latency.",
                 "lp{3.9cm}rrrr", ["summary"]),
}

# name -> (plotting function on the loaded data, caption, data it is drawn from)
FIGURES = {
    "sparse_kernels": (lambda d, p, s: plots.plot_sparse_kernels(d["timings"], p, s),
                       "Time of one product against weight density: TensorFlow's dense and sparse products at the "
                       "classifier's layer shapes, and LiteRT's fully connected layer; dotted: the documented 15%.",
                       ["timings"]),
    "pruning": (lambda d, p, s: plots.plot_pruning(d["summary"], p, s),
                "Magnitude pruning: accuracy and stored size against the share of zeros.", ["summary"]),
    "svd_spectra": (lambda d, p, s: plots.plot_svd_spectra(d["spectra"], p, s),
                    "Singular value spectra of the baseline's weight matrices.", ["spectra"]),
    "svd_ranks": (lambda d, p, s: plots.plot_svd_ranks(d["sweep"], d["summary"], p, s),
                  "Accuracy of the factorised classifier against the rank, before and after fine-tuning.",
                  ["sweep", "summary"]),
    "weight_sharing": (lambda d, p, s: plots.plot_weight_sharing(d["summary"], p, s),
                       "Weight sharing: size of each storage format and accuracy against the cluster count.",
                       ["summary"]),
    "fisher_pruning": (lambda d, p, s: plots.plot_fisher(d["summary"], p, s),
                       "Channel pruning by Fisher information and by activation count.", ["summary"]),
    "size_accuracy": (lambda d, p, s: plots.plot_size_accuracy(d["summary"], p, s),
                      "Every compressed classifier: stored size and latency against accuracy.", ["summary"]),
}


def load_inputs(paths: dict[str, str]) -> dict[str, pd.DataFrame]:
    return {key: pd.read_csv(path, keep_default_na=True) for key, path in paths.items()}


def scratch_results(config: dict) -> dict[float, dict]:
    """Fraction removed -> metrics and predictions of the scratch control at that width (none when the
    config leaves the control out)."""
    from mobileopt.compression import scratch_control
    from mobileopt.core import artifacts
    from mobileopt.core.training import load_predictions

    results = {}
    for fraction in scratch_control.configured_fractions(config):
        paths = scratch_control.output_paths(scratch_control.name_of(fraction))
        results[fraction] = {"metrics": artifacts.read_json(paths["metrics"]),
                             "predictions": load_predictions(paths["predictions"]), "source": paths["metrics"]}
    return results


def write_report(rule: str, config: dict, paths: dict[str, str], table_paths: list[str], figure_paths: list[str],
                 macros_path: str) -> None:
    """Every table, figure and macro of the topic, each with its provenance record."""
    from mobileopt.core import artifacts
    from mobileopt.reporting import tables
    from mobileopt.reporting import thesis

    data = load_inputs(paths)
    data["summary"]["channels"] = data["summary"]["channels"].fillna("")
    data["tolerance"] = tolerance_of(config)
    data["correct"] = litert_correctness(config)
    data["scratch"] = scratch_results(config)
    for path in table_paths:
        name = Path(path).stem.removeprefix("compression_")
        builder, caption, column_format, drawn_from = TABLES[name]
        caption = caption(data) if callable(caption) else caption
        stamp = artifacts.provenance(rule, config, [paths[key] for key in drawn_from])
        tables.write_table(builder(data), path, caption=caption, label=f"tab:compression-{name.replace('_', '-')}",
                           stamp=stamp, column_format=column_format)
        artifacts.record_provenance(path, "table", caption.split(":")[0].split(".")[0], stamp)
    for path in figure_paths:
        name = Path(path).stem.removeprefix("compression_")
        plot, caption, drawn_from = FIGURES[name]
        stamp = artifacts.provenance(rule, config, [paths[key] for key in drawn_from])
        plot(data, path, stamp)
        artifacts.record_provenance(path, "figure", caption.split(":")[0].rstrip("."), stamp)
    thesis.write_macro_file(macros_path, all_macros(data, config, paths))
