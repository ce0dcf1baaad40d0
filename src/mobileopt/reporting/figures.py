"""Thesis figures. Each function reads tidy results (CSV/arrays) and draws; none of them trains.

One style for the whole thesis (STYLE below). PDFs are written atomically and without a creation date,
so the same inputs give byte-identical figures.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from mobileopt.core import artifacts  # noqa: E402

STYLE = {
    "figure.figsize": (6.0, 3.2), "font.size": 9, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
    "savefig.bbox": "tight", "pdf.fonttype": 42,
}


def save_figure(figure, path: str | Path, stamp: dict) -> None:
    """Save as PDF carrying its provenance in the metadata; no timestamp, so reruns are identical."""
    buffer = io.BytesIO()
    keywords = f"rule={stamp['rule']}; config={stamp['config_hash']}; code={stamp['code_version']}"
    figure.savefig(buffer, format="pdf", metadata={"Keywords": keywords, "CreationDate": None,
                                                    "Creator": "mobileopt"})
    plt.close(figure)
    artifacts.atomic_write_bytes(path, buffer.getvalue())


def training_curve(history: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Accuracy and loss per epoch, training and validation, from a Keras history CSV with one
    training per `replicate` (seed): the mean over the seeds, error bars their range."""
    def plot(axis, column, label, style, scale=1.0):
        values = (scale * history[column]).groupby(history["epoch"])
        mean = values.mean()
        axis.errorbar(mean.index, mean, yerr=[mean - values.min(), values.max() - mean], fmt=style,
                      label=label, markersize=3, capsize=2)

    with plt.rc_context(STYLE):
        figure, (acc_axis, loss_axis) = plt.subplots(1, 2)
        for column, label, style in (("accuracy", "training", "-o"), ("val_accuracy", "validation", "--s")):
            plot(acc_axis, column, label, style, scale=100)
        for column, label, style in (("loss", "training", "-o"), ("val_loss", "validation", "--s")):
            plot(loss_axis, column, label, style)
        acc_axis.set(xlabel="epoch", ylabel="accuracy (%)")
        loss_axis.set(xlabel="epoch", ylabel="cross-entropy loss")
        for axis in (acc_axis, loss_axis):
            axis.xaxis.get_major_locator().set_params(integer=True)
        acc_axis.legend()
        figure.tight_layout()
        save_figure(figure, path, stamp)


def image_grid(images: np.ndarray, labels: np.ndarray, path: str | Path, stamp: dict,
               rows: int = 3, columns: int = 10) -> None:
    """The first rows x columns images with their labels."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(rows, columns, figsize=(6.0, 0.7 * rows))
        for axis, image, label in zip(axes.flat, images, labels):
            axis.imshow(image, cmap="gray_r", interpolation="nearest")
            axis.set_title(str(int(label)), fontsize=8, pad=2)
            axis.axis("off")
        save_figure(figure, path, stamp)


def tradeoff(frame: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Accuracy against latency and against TFLite size for every variant; Pareto-optimal ones ringed."""
    with plt.rc_context(STYLE):
        figure, (latency_axis, size_axis) = plt.subplots(1, 2, figsize=(6.4, 3.2), sharey=True)
        for index, (method, group) in enumerate(frame.groupby("method", sort=True)):
            marker = "*" if method == "baseline" else "os^Dvp<>h"[index % 9]
            for axis, column, scale in ((latency_axis, "latency_median_ms", 1.0),
                                        (size_axis, "tflite_bytes", 1 / 1024)):
                axis.scatter(group[column] * scale, 100 * group["test_accuracy"], marker=marker,
                             s=60 if method == "baseline" else 22, label=method, zorder=3)
        front = frame[frame["pareto_optimal"]].sort_values("latency_median_ms")
        latency_axis.plot(front["latency_median_ms"], 100 * front["test_accuracy"], "k--", lw=0.8,
                          label="Pareto front", zorder=2)
        latency_axis.set(xscale="log", xlabel="LiteRT latency, median (ms)", ylabel="test accuracy (%)")
        size_axis.set(xscale="log", xlabel="TFLite size (KiB)")
        latency_axis.legend(fontsize=7, loc="lower right")
        figure.tight_layout()
        save_figure(figure, path, stamp)
