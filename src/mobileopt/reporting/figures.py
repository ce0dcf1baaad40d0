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


# Points shown below the baseline's accuracy: the region the comparison is about; variants further
# down are counted in a note instead of stretching the axis (one collapsed network at 60 % would
# squeeze every other variant into a line).
TRADEOFF_WINDOW_POINTS = 5.0


def tradeoff(frame: pd.DataFrame, path: str | Path, stamp: dict, names: dict[str, str] | None = None,
             size_front: pd.Series | None = None) -> None:
    """Test accuracy against latency and against TFLite size for every variant, by method (`names`: display
    names); the Pareto-optimal variants of each panel (chosen on the validation images: `pareto_optimal`
    for latency, `size_front` for size) ringed."""
    names = names or {}
    baseline = 100 * frame.loc[frame["method"] == "baseline", "test_accuracy"].iloc[0]
    floor = baseline - TRADEOFF_WINDOW_POINTS
    accuracy = 100 * frame["test_accuracy"]
    with plt.rc_context(STYLE):
        figure, (latency_axis, size_axis) = plt.subplots(1, 2, figsize=(6.4, 3.6), sharey=True)
        for index, (method, group) in enumerate(frame.groupby("method", sort=True)):
            marker = "*" if method == "baseline" else "os^Dvp<>h"[index % 9]
            for axis, column, scale in ((latency_axis, "latency_median_ms", 1.0),
                                        (size_axis, "tflite_bytes", 1 / 1024)):
                axis.scatter(group[column] * scale, 100 * group["test_accuracy"], marker=marker,
                             s=70 if method == "baseline" else 22, label=names.get(method, method),
                             zorder=5 if method == "baseline" else 3)
        fronts = ((latency_axis, "latency_median_ms", 1.0, frame["pareto_optimal"]),
                  (size_axis, "tflite_bytes", 1 / 1024, size_front if size_front is not None else None))
        for axis, column, scale, optimal in fronts:
            if optimal is None:
                continue
            chosen = frame[optimal.to_numpy(dtype=bool)]
            axis.scatter(chosen[column] * scale, 100 * chosen["test_accuracy"], s=90, facecolors="none",
                         edgecolors="black", linewidths=0.8, label="Pareto-optimal" if axis is latency_axis else None,
                         zorder=4)
        hidden = int((accuracy < floor).sum())
        latency_axis.set_ylim(floor, min(100.0, accuracy.max() + 0.5))
        latency_axis.set(xscale="log", xlabel="LiteRT latency, median (ms)", ylabel="test accuracy (%)")
        size_axis.set(xscale="log", xlabel="TFLite size (KiB)")
        if hidden:
            size_axis.annotate(f"{hidden} below {floor:.1f} % not shown", (0.98, 0.02), xycoords="axes fraction",
                               ha="right", va="bottom", fontsize=7)
        figure.legend(*latency_axis.get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=7,
                      bbox_to_anchor=(0.5, -0.02))
        figure.tight_layout(rect=(0, 0.14, 1, 1))
        save_figure(figure, path, stamp)
