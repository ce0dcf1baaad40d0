"""The compression topic's figures. Each reads tidy results (summary.csv, timing and SVD CSVs) and draws;
none trains. One style for the thesis (figures.STYLE); PDFs carry their provenance (figures.save_figure).
"""
from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from mobileopt.reporting import figures  # noqa: E402
from mobileopt.compression.summary import METHOD_NAMES, baseline_row, rows_of  # noqa: E402
from mobileopt.compression.sparse_kernels import DOCUMENTED_BREAK_EVEN  # noqa: E402

LAYER_LABELS = {"conv1": "conv1", "conv2": "conv2", "conv3": "conv3 (FC)", "logits": "logits"}
ACCURACY_WINDOW_POINTS = 5  # the size/accuracy plot shows variants down to this far below the baseline


def plain_log_ticks(*axes) -> None:
    """Log axes labelled 0.5, 1, 2, 5, ... instead of 5x10^-1 and a label on every minor tick."""
    formatter = FuncFormatter(lambda value, _: f"{value:g}")
    for axis in axes:
        for scale, ticks in ((axis.get_xscale(), axis.xaxis), (axis.get_yscale(), axis.yaxis)):
            if scale == "log":
                ticks.set_major_formatter(formatter)
                ticks.set_minor_formatter(NullFormatter())


def plot_sparse_kernels(timings: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Time per product against density: TensorFlow per layer shape (batch sizes as line styles), and
    LiteRT's fully connected layer (dense, sparse unstructured, sparse 1x4 blocks)."""
    tensorflow = timings[timings["engine"] == "tensorflow"]
    litert = timings[timings["engine"] == "litert"]
    layers = [layer for layer in ("conv1", "conv2", "conv3") if layer in set(tensorflow["layer"])]
    with plt.rc_context(figures.STYLE):
        figure, axes = plt.subplots(1, len(layers) + 1, figsize=(6.3, 2.9))
        for axis, layer in zip(axes, layers):
            for batch, style in zip(sorted(tensorflow["batch"].unique()), ("-", "--", ":")):
                part = tensorflow[(tensorflow["layer"] == layer) & (tensorflow["batch"] == batch)]
                for implementation, colour in (("dense", "C0"), ("sparse", "C3")):
                    line = part[part["implementation"] == implementation]
                    axis.plot(100 * line["target_density"], line["median_us"], style, color=colour, marker=".",
                              markersize=3, label=f"TF {implementation}, batch {batch}")
            axis.set(title=f"TF {LAYER_LABELS[layer]}", xscale="log", yscale="log", xlabel="density (%)")
        axes[0].set_ylabel("time per product (µs)")
        axis = axes[-1]
        fc = litert[litert["layer"] == "conv3"]
        dense = fc[fc["implementation"] == "dense"].groupby("target_density")["median_us"].median()
        axis.plot(100 * dense.index, dense.values, "-", color="C0", label="LiteRT dense")
        for pattern, colour, label in (("unstructured", "C3", "LiteRT sparse, unstructured"),
                                       ("block_1x4", "C2", "LiteRT sparse, 1x4 blocks")):
            line = fc[(fc["implementation"] == "sparse") & (fc["pattern"] == pattern)]
            axis.plot(100 * line["target_density"], line["median_us"], "-", color=colour, marker=".",
                      markersize=3, label=label)
        axis.set(title="LiteRT conv3 (FC)", xscale="log", yscale="log", xlabel="density (%)")
        for axis in axes:
            axis.axvline(100 * DOCUMENTED_BREAK_EVEN, color="0.5", linewidth=0.8, linestyle=":")
        plain_log_ticks(*axes)
        handles, labels = axes[0].get_legend_handles_labels()
        more_handles, more_labels = axes[-1].get_legend_handles_labels()
        figure.legend(handles + more_handles, labels + more_labels, loc="lower center", ncol=4, fontsize=7)
        figure.tight_layout(rect=(0, 0.14, 1, 1))
        figures.save_figure(figure, path, stamp)


def plot_pruning(summary: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Accuracy and stored size against the fraction of zeros (unstructured variants; 2:4 and blocks marked)."""
    rows = rows_of(summary, "pruning")
    base = baseline_row(summary)
    dense = rows[~rows["variant"].str.endswith("_sparse")].set_index("model")
    sparse = rows[rows["variant"].str.endswith("_sparse")].set_index("model")
    unstructured = [model for model in dense.index if model.startswith("sparsity_")]
    others = [model for model in dense.index if model not in unstructured]
    with plt.rc_context(figures.STYLE):
        figure, (acc_axis, size_axis) = plt.subplots(1, 2)
        zeros = 100 * dense.loc[unstructured, "sparsity"]
        acc_axis.plot(zeros, 100 * dense.loc[unstructured, "test_accuracy"], "-o", markersize=3, label="unstructured")
        for model, marker in zip(others, ("s", "^", "D", "v")):
            acc_axis.plot(100 * dense.loc[model, "sparsity"], 100 * dense.loc[model, "test_accuracy"], marker,
                          label=model.replace("_", " "))
        acc_axis.axhline(100 * base["test_accuracy"], color="0.5", linestyle="--", linewidth=0.8, label="baseline")
        acc_axis.set(xlabel="zeros in pruned layers (%)", ylabel="LiteRT test accuracy (%)")
        acc_axis.legend(fontsize=7)
        for values, label, style in ((dense.loc[unstructured, "tflite_bytes"], "TFLite", "-o"),
                                     (dense.loc[unstructured, "gzip_bytes"], "TFLite + gzip", "-s"),
                                     (sparse.loc[unstructured, "tflite_bytes"], "sparse TFLite", "-^"),
                                     (sparse.loc[unstructured, "gzip_bytes"], "sparse TFLite + gzip", "-v")):
            size_axis.plot(zeros, values / 1024, style, markersize=3, label=label)
        size_axis.set(xlabel="zeros in pruned layers (%)", ylabel="size (KiB)", yscale="log")
        plain_log_ticks(size_axis)
        size_axis.legend(fontsize=7)
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)


def plot_svd_spectra(spectra: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    with plt.rc_context(figures.STYLE):
        figure, (value_axis, energy_axis) = plt.subplots(1, 2)
        for layer, part in spectra.groupby("layer", sort=False):
            label = f"{LAYER_LABELS.get(layer, layer)} ({part['matrix'].iloc[0].replace('x', '×')})"
            value_axis.plot(part["index"], part["relative"], label=label)
            energy_axis.plot(part["index"], 100 * part["energy"], label=label)
        value_axis.set(xlabel="index i", ylabel=r"$\sigma_i / \sigma_1$", xscale="log", yscale="log")
        energy_axis.set(xlabel="rank L", ylabel="squared Frobenius norm kept (%)", xscale="log")
        plain_log_ticks(value_axis, energy_axis)
        value_axis.legend(fontsize=7)
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)


def plot_svd_ranks(sweep: pd.DataFrame, summary: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Accuracy without fine-tuning against rank (one layer factorised), with the break-even rank, and the
    fine-tuned single-layer variants."""
    base = baseline_row(summary)
    tuned = rows_of(summary, "factorization")
    with plt.rc_context(figures.STYLE):
        figure, axes = plt.subplots(1, sweep["layer"].nunique(), squeeze=False)
        for axis, (layer, part) in zip(axes[0], sweep.groupby("layer", sort=False)):
            axis.plot(part["rank"], 100 * part["test_accuracy"], "-o", markersize=3, label="without fine-tuning")
            single = tuned[tuned["detail"].str.fullmatch(f"{layer} rank \\d+")]
            ranks = single["detail"].str.extract(r"rank (\d+)")[0].astype(int)
            axis.plot(ranks, 100 * single["test_accuracy"], "s", color="C2", label="fine-tuned")
            axis.axvline(part["break_even_rank"].iloc[0], color="C3", linestyle=":", linewidth=0.9,
                         label="break-even rank")
            axis.axhline(100 * base["test_accuracy"], color="0.5", linestyle="--", linewidth=0.8, label="baseline")
            axis.set(title=LAYER_LABELS.get(layer, layer), xscale="log", xlabel="rank L",
                     ylabel="test accuracy (%)", ylim=(max(0, 100 * part["test_accuracy"].min() - 5), 100.5))
        plain_log_ticks(*axes[0])
        axes[0][0].legend(fontsize=7, loc="lower right")
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)


def plot_weight_sharing(summary: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    rows = rows_of(summary, "weight_sharing")
    clustered = rows[rows["format"] == "float32"].sort_values("max_distinct_values")
    clusters = clustered["detail"].str.extract(r"(\d+) clusters")[0].astype(int).to_numpy()
    base = baseline_row(summary)
    int8 = summary[(summary["method"] == "quantization") & (summary["variant"] == "int8")]
    with plt.rc_context(figures.STYLE):
        figure, (size_axis, acc_axis) = plt.subplots(1, 2)
        for column, label, style in (("tflite_bytes", "float32 TFLite", "-o"), ("gzip_bytes", "TFLite + gzip", "-s"),
                                     ("packed_bytes", "bit-packed indices", "-^")):
            size_axis.plot(clusters, clustered[column] / 1024, style, markersize=3, label=label)
        for _, row in rows[rows["format"].str.startswith("gather")].iterrows():
            k = int(row["detail"].split()[0])
            size_axis.plot([k], [row["tflite_bytes"] / 1024], "x", markersize=6,
                           label=f"tf.gather, {row['format'].split(', ')[1]}")
        if len(int8):
            size_axis.axhline(int8.iloc[0]["tflite_bytes"] / 1024, color="C5", linestyle=":", label="int8 TFLite")
        size_axis.set(xlabel="clusters per layer k", ylabel="size (KiB)", xscale="log", yscale="log")
        size_axis.set_xticks(clusters, [str(k) for k in clusters])
        size_axis.legend(fontsize=7)
        acc_axis.plot(clusters, 100 * clustered["test_accuracy"], "-o", markersize=3)
        acc_axis.axhline(100 * base["test_accuracy"], color="0.5", linestyle="--", linewidth=0.8, label="baseline")
        acc_axis.set(xlabel="clusters per layer k", ylabel="LiteRT test accuracy (%)", xscale="log")
        acc_axis.set_xticks(clusters, [str(k) for k in clusters])
        plain_log_ticks(size_axis)
        for axis in (size_axis, acc_axis):
            axis.xaxis.set_minor_formatter(NullFormatter())
        acc_axis.legend(fontsize=7)
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)


def plot_fisher(summary: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    rows = rows_of(summary, "fisher_pruning").copy()
    rows["criterion"] = rows["detail"].str.split(", ").str[0]
    rows["removed"] = rows["detail"].str.extract(r"(\d+)%")[0].astype(int)
    base = baseline_row(summary)
    with plt.rc_context(figures.STYLE):
        figure, axis = plt.subplots(figsize=(4.2, 2.8))
        for (criterion, part), colour in zip(rows.groupby("criterion", sort=False), ("C0", "C1")):
            part = part.sort_values("removed")
            axis.plot(part["removed"], 100 * part["test_accuracy"], "-o", color=colour, markersize=3,
                      label=f"{criterion}, fine-tuned")
            axis.plot(part["removed"], 100 * part["accuracy_without_fine_tuning"], "--s", color=colour,
                      markersize=3, label=f"{criterion}, one-shot, no fine-tuning")
        axis.axhline(100 * base["test_accuracy"], color="0.5", linestyle="--", linewidth=0.8, label="baseline")
        axis.set(xlabel="channels removed per layer (%)", ylabel="test accuracy (%)")
        axis.legend(fontsize=7)
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)


def plot_size_accuracy(summary: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Every classifier artefact: smallest stored size and latency against LiteRT accuracy."""
    models = summary.dropna(subset=["test_accuracy"])
    with plt.rc_context(figures.STYLE):
        figure, (size_axis, time_axis) = plt.subplots(1, 2, sharey=True)
        # Markers repeat beyond eight methods rather than dropping a method from the plot.
        for (method, part), marker in zip(models.groupby("method", sort=False), itertools.cycle("*osD^vPX")):
            style = dict(marker=marker, markersize=4, linestyle="none", label=METHOD_NAMES[method])
            if method == "baseline":  # on top, large and black: the reference every variant is judged by
                style.update(markersize=10, color="black", zorder=5)
            size_axis.plot(part["stored_bytes"] / 1024, 100 * part["test_accuracy"], **style)
            time_axis.plot(part["latency_median_ms"], 100 * part["test_accuracy"], **style)
        size_axis.set(xlabel="stored size, gzip or bit-packed (KiB)", ylabel="LiteRT test accuracy (%)", xscale="log")
        time_axis.set(xlabel="LiteRT latency, median (ms)", xscale="log")
        reference = 100 * baseline_row(summary)["test_accuracy"]
        # Variants further below the baseline are off the chart (they are in the tables).
        size_axis.set_ylim(max(reference - ACCURACY_WINDOW_POINTS, 100 * models["test_accuracy"].min() - 0.3),
                           min(100, 100 * models["test_accuracy"].max() + 0.3))
        for axis in (size_axis, time_axis):
            axis.axhline(reference, color="0.5", linestyle="--", linewidth=0.8)
        plain_log_ticks(size_axis, time_axis)
        time_axis.legend(fontsize=7, loc="lower right")
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)
