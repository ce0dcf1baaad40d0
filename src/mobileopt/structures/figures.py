"""Figures of the structures and zoo topics. Each reads tidy results and draws; none trains or times.

Uses the thesis style (mobileopt.reporting.figures.STYLE) and its deterministic PDF writer.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib.ticker as ticker
import numpy as np
import pandas as pd

from mobileopt.reporting import figures
from mobileopt.measurement import roofline
from mobileopt.reporting.figures import plt

# One marker and colour per family, shared by every panel.
FAMILY_STYLE = {
    "standard": dict(marker="s", color="black", label="Table 2.2, same budget"),
    "decomposed": dict(marker="o", color="tab:blue", label="1-D decomposition"),
    "plain": dict(marker="v", color="tab:gray", label="plain, matched cost"),
    "inception": dict(marker="^", color="tab:green", label="Inception, matched cost"),
    "bottleneck": dict(marker="<", color="tab:purple", label="bottleneck, matched cost"),
    "separable": dict(marker="D", color="tab:orange", label="depthwise separable"),
    "lenet5": dict(marker="P", color="tab:red", label="LeNet-5 (Caffe)"),
}
KIND_STYLE = {
    "spatial convolution": dict(marker="s", color="tab:blue"),
    "pointwise convolution": dict(marker="^", color="tab:green"),
    "depthwise convolution": dict(marker="D", color="tab:red"),
    "dense": dict(marker="v", color="tab:purple"),
}


def _point_note(row) -> str:
    """Short annotation: the P fraction of a 1-D variant, the multiplier of a separable one."""
    if row["family"] == "decomposed":
        fraction = row["variant"].split("_")[1][1:]
        return f"{int(fraction)}%" + ("r" if row["variant"].endswith("_reversed") else "")
    if row["family"] == "separable":
        return "I=" + row["variant"].removeprefix("separable_i")
    return ""


def tradeoff_figure(summary: pd.DataFrame, baseline_metrics: dict, baseline_latency: dict,
                    path: str | Path, stamp: dict) -> None:
    """Mean test accuracy (error bars: one standard deviation over the seeds) against multiply-adds
    (left) and against LiteRT latency (right), one marker per family; the deep pair has its own
    figure (it is about training, not efficiency)."""
    frame = summary[summary["family"] != "deep"]
    with plt.rc_context(figures.STYLE):
        figure, (macs_axis, latency_axis) = plt.subplots(1, 2, sharey=True, figsize=(6.0, 3.4))
        for axis, column, scale in ((macs_axis, "multiply_adds", 1e6), (latency_axis, "latency_median_ms", 1)):
            for family, style in FAMILY_STYLE.items():
                rows = frame[frame["family"] == family]
                if rows.empty:
                    continue
                axis.errorbar(rows[column] / scale, 100 * rows["test_accuracy"],
                              yerr=100 * rows["test_accuracy_std"], fmt="none", ecolor=style["color"],
                              elinewidth=0.7, capsize=1.5, zorder=2)
                axis.scatter(rows[column] / scale, 100 * rows["test_accuracy"], s=22,
                             marker=style["marker"], color=style["color"], label=style["label"], zorder=3)
                for _, row in rows.iterrows():
                    note = _point_note(row)
                    if note:
                        axis.annotate(note, (row[column] / scale, 100 * row["test_accuracy"]),
                                      textcoords="offset points", xytext=(3, -8), fontsize=7)
            reference = (baseline_metrics["multiply_adds"] / 1e6 if column == "multiply_adds"
                         else baseline_latency["median_ms"])
            axis.scatter([reference], [100 * baseline_metrics["test_accuracy"]], marker="*", s=80,
                         color="gold", edgecolor="black", linewidth=0.5, label="baseline", zorder=4)
        macs_axis.set_xscale("log")  # the variants span two orders of magnitude of cost
        macs_axis.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        macs_axis.set(xlabel="multiply-adds per image (millions)", ylabel="test accuracy (%)")
        latency_axis.set(xlabel="LiteRT latency, median (ms)")
        handles, labels = macs_axis.get_legend_handles_labels()
        figure.legend(handles, labels, loc="upper center", ncol=4, fontsize=7, bbox_to_anchor=(0.5, 1.08))
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)


def residual_curves(batches: dict[str, pd.DataFrame], histories: dict[str, pd.DataFrame],
                    labels: dict[str, str], path: str | Path, stamp: dict, window: int = 25) -> None:
    """Training loss after every mini-batch (moving average over `window` batches; the line is the
    mean over the seeds, the band their range) and validation accuracy after every epoch (mean, error
    bars: range), for the deep plain and residual networks. Frames carry a `replicate` column."""
    colors = {"deep_plain": "tab:gray", "deep_residual": "tab:blue"}
    with plt.rc_context(figures.STYLE):
        figure, (loss_axis, acc_axis) = plt.subplots(1, 2)
        for name, frame in batches.items():
            curves = pd.concat({replicate: _smoothed_batch_loss(run, window)
                                for replicate, run in frame.groupby("replicate", sort=False)}, axis=1)
            epochs = curves.index / frame.groupby("epoch")["batch"].max().iloc[0]
            loss_axis.fill_between(epochs, curves.min(axis=1), curves.max(axis=1), color=colors.get(name),
                                   alpha=0.25, linewidth=0)
            loss_axis.plot(epochs, curves.mean(axis=1), color=colors.get(name), label=labels[name], linewidth=1)
        for name, history in histories.items():
            accuracy = (100 * history["val_accuracy"]).groupby(history["epoch"])
            mean = accuracy.mean()
            acc_axis.errorbar(mean.index, mean, yerr=[mean - accuracy.min(), accuracy.max() - mean], fmt="-o",
                              markersize=3, capsize=2, color=colors.get(name), label=labels[name])
        loss_axis.set(xlabel="epoch", ylabel="training loss (moving average)", yscale="log")
        acc_axis.set(xlabel="epoch", ylabel="validation accuracy (%)")
        acc_axis.xaxis.get_major_locator().set_params(integer=True)
        loss_axis.legend()
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)


def _smoothed_batch_loss(run: pd.DataFrame, window: int) -> pd.Series:
    """One training's loss per mini-batch (indexed by step), as a moving average over `window` batches.
    Keras logs the running mean over the epoch; undo it to get each batch's own loss."""
    total = run["loss"] * run["batch"]
    step_loss = (total - total.shift(1)).where(run["batch"] > 1, run["loss"])
    return pd.Series(step_loss.rolling(window, min_periods=1).mean().to_numpy(), index=run["step"].to_numpy(),
                     name="loss").rename_axis("step")


def _place_labels(figure, axis, labels, xs, ys, fontsize: float = 7) -> None:
    """Label points without overlaps: try a few offsets around each point and keep the first whose
    box hits no label placed before (greedy, in order of the points' height)."""
    offsets = [(4, 3, "left"), (4, -9, "left"), (-4, 3, "right"), (-4, -9, "right"), (4, 10, "left"),
               (4, -16, "left"), (-4, 10, "right"), (-4, -16, "right")]
    renderer = figure.canvas.get_renderer()
    placed = []
    for label, x, y in sorted(zip(labels, xs, ys), key=lambda item: -item[2]):
        for dx, dy, align in offsets:
            text = axis.annotate(label, (x, y), textcoords="offset points", xytext=(dx, dy),
                                 fontsize=fontsize, ha=align)
            box = text.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
        else:  # no free spot: accept the first offset
            dx, dy, align = offsets[0]
            axis.annotate(label, (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=fontsize,
                          ha=align)


def roofline_figure(summary: pd.DataFrame, probes: pd.DataFrame, machine: dict, path: str | Path,
                    stamp: dict) -> None:
    """Log-log roofline of this machine (1 thread): the compute roof, the memory and last-level
    cache bandwidth roofs, the zoo models and the single-layer probes at their measured rates."""
    peak, memory, cache = (machine["peak_flops"], machine["bandwidth_bytes_per_s"],
                           machine["cache_bandwidth_bytes_per_s"])
    points = np.concatenate([summary["intensity"], probes["intensity"]])
    intensity = np.logspace(np.log10(min(points.min() / 2, 0.1)), np.log10(max(points.max() * 2, 1e3)), 200)
    with plt.rc_context(figures.STYLE):
        figure, axis = plt.subplots(figsize=(6.0, 4.0))
        axis.plot(intensity, roofline.attainable_flops(intensity, peak, memory) / 1e9, color="black",
                  linewidth=1.2, label=f"roof: memory {memory / 1e9:.0f} GB/s, peak {peak / 1e9:.0f} GFLOP/s")
        axis.plot(intensity, roofline.attainable_flops(intensity, peak, cache) / 1e9, color="black",
                  linestyle="--", linewidth=0.8, label=f"roof: last-level cache {cache / 1e9:.0f} GB/s")
        axis.scatter(summary["intensity"], summary["attained_flops"] / 1e9, s=30, color="tab:orange",
                     edgecolor="black", linewidth=0.5, zorder=3, label="zoo model (whole network)")
        for kind, style in KIND_STYLE.items():
            rows = probes[probes["kind"] == kind]
            if len(rows):
                axis.scatter(rows["intensity"], rows["attained_flops"] / 1e9, s=18, facecolor="none",
                             edgecolor=style["color"], marker=style["marker"], zorder=3,
                             label=f"single layer: {kind}")
        axis.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOP per byte moved)",
                 ylabel="attained GFLOP/s (1 thread)")
        figure.tight_layout()  # final axes size first: the labels are placed in screen space
        _place_labels(figure, axis, summary["display"], summary["intensity"], summary["attained_flops"] / 1e9)
        axis.legend(fontsize=7, loc="lower right")
        figure.tight_layout()
        figures.save_figure(figure, path, stamp)
