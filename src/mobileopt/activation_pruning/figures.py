"""Figures of the activation-pruning experiments. Each reads tidy result frames and draws; none trains."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mobileopt.activation_pruning.report import INIT_LABELS, OPTIMIZER_LABELS, VARIANT_LABELS, ordered_variants
from mobileopt.reporting.figures import STYLE, plt, save_figure

STRIP_LATEX = str.maketrans({"$": None, "\\": None})


def plain(label: str) -> str:
    """Labels for matplotlib without LaTeX markup: $\\mathcal{N}(0,1)$ -> N(0,1), $[4,16,4]$ -> [4,16,4]."""
    return label.replace("\\mathcal{N}", "N").translate(STRIP_LATEX)


def run_title(initialisation: str, optimizer: str) -> str:
    return plain(f"toy, {INIT_LABELS[initialisation]} / {OPTIMIZER_LABELS[optimizer]}")


def units_per_cycle(cycles: pd.DataFrame, units_column: str = "units") -> pd.DataFrame:
    """Mean (over seeds) units left after each cycle per variant; a seed that stopped early keeps its
    final size in the later cycles, so every seed counts in every cycle."""
    final = cycles[cycles["final"]].groupby(["variant", "seed"])[units_column].sum()
    totals = cycles[~cycles["final"]].groupby(["variant", "seed", "cycle"])[units_column].sum()
    removed = cycles[~cycles["final"]].groupby(["variant", "seed", "cycle"])["removed"].sum()
    after = (totals - removed).rename("after").reset_index()
    rows = []
    last_cycle = int(after["cycle"].max())
    for (variant, seed), group in after.groupby(["variant", "seed"]):
        sizes = dict(zip(group["cycle"], group["after"]))
        start = int(totals.loc[(variant, seed, 1)])
        current = start
        rows.append({"variant": variant, "seed": seed, "cycle": 0, "units": start})
        for cycle in range(1, last_cycle + 1):
            current = sizes.get(cycle, final.loc[(variant, seed)])
            rows.append({"variant": variant, "seed": seed, "cycle": cycle, "units": current})
    return pd.DataFrame(rows).groupby(["variant", "cycle"])["units"].mean().reset_index()


def cycles_figure(panels: list[tuple[str, pd.DataFrame]], path: str | Path, stamp: dict) -> None:
    """Units (toy) or channels summed over the prunable blocks (autoencoder) left after every cycle."""
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(1, len(panels), figsize=(2.3 * len(panels) + 1.2, 2.8), squeeze=False)
        for axis, (title, cycles) in zip(axes[0], panels):
            means = units_per_cycle(cycles)
            for variant in ordered_variants(means["variant"]):
                line = means[means["variant"] == variant]
                axis.plot(line["cycle"], line["units"], "-o", markersize=2.5, label=plain(VARIANT_LABELS[variant]))
            if means["units"].max() > 10 * means["units"].min():
                axis.set_yscale("log")  # the toy network: from 1000 units down to one
            axis.set(title=title, xlabel="pruning cycle")
            axis.xaxis.get_major_locator().set_params(integer=True)
        axes[0][0].set_ylabel("units / channels left (mean over seeds)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7)
        figure.tight_layout()
        save_figure(figure, path, stamp)


def histograms_figure(toy_activations: pd.DataFrame, ae_activations: pd.DataFrame, path: str | Path,
                      stamp: dict) -> None:
    """Activation probability of every unit / channel after the first training, pooled over seeds."""
    bins = np.linspace(0, 1, 41)
    with plt.rc_context(STYLE):
        figure, (toy_axis, ae_axis) = plt.subplots(1, 2)
        for (init, optimizer), group in toy_activations.groupby(["initialisation", "optimizer"], sort=False):
            toy_axis.hist(group["probability"], bins=bins, histtype="step", linewidth=1.2,
                          label=plain(f"{INIT_LABELS[init]} / {OPTIMIZER_LABELS[optimizer]}"))
        toy_axis.set_yscale("log")
        toy_axis.set(title="toy network (hidden units)", xlabel="activation probability", ylabel="units")
        toy_axis.legend(fontsize=7)
        for block, group in ae_activations.groupby("block", sort=False):
            ae_axis.hist(group["probability"], bins=bins, histtype="step", linewidth=1.2, label=block)
        ae_axis.set(title="autoencoder (channels)", xlabel="activation probability", ylabel="channels")
        ae_axis.legend(fontsize=7)
        figure.tight_layout()
        save_figure(figure, path, stamp)


def gradients_figure(gradients: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Per step of the first training, mean over seeds: the share of gradient entries that have the
    majority sign (0.5 = split, 1 = all the same), for the output weights and the hidden biases, and the
    units active on at least one example of the batch."""
    columns = [("positive_output_weights", "output weights $v_j$"), ("positive_biases", "hidden biases $b_j$"),
               ("positive_biases_times_sign_v", "$\\mathrm{sign}(v_j)\\,\\partial L/\\partial b_j$"),
               ("active_units", "units active in the batch")]
    gradients = gradients.copy()
    for column, _ in columns[:3]:
        gradients[column] = np.maximum(gradients[column], 1 - gradients[column])  # per seed, then averaged
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(1, len(columns), figsize=(8.0, 2.6))
        for (init, optimizer), group in gradients.groupby(["initialisation", "optimizer"], sort=False):
            means = group.groupby("step")[[c for c, _ in columns]].mean()
            smooth = means.rolling(10, min_periods=1).mean()  # 100 steps
            for axis, (column, _) in zip(axes, columns):
                series = means[column] if column == "active_units" else smooth[column]
                axis.plot(series.index + 1, series, linewidth=1,
                          label=plain(f"{INIT_LABELS[init]} / {OPTIMIZER_LABELS[optimizer]}"))
        for axis, (column, title) in zip(axes, columns):
            axis.set(title=title, xlabel="training step", xscale="log")
            if column == "active_units":
                axis.set_yscale("log")
            else:
                axis.set_ylim(0.48, 1.02)
        axes[0].set_ylabel("share with the majority sign")
        axes[-1].legend(fontsize=7)
        figure.tight_layout()
        save_figure(figure, path, stamp)


def reconstructions_figure(images: dict, rows: list[str], path: str | Path, stamp: dict) -> None:
    """Test images (top row) and their reconstructions by each model (one row per model)."""
    rows = ["originals"] + [name for name in rows if name in images]
    columns = len(images["originals"])
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(len(rows), columns, figsize=(0.55 * columns + 1.6, 0.58 * len(rows)),
                                    squeeze=False)
        for row, name in zip(axes, rows):
            for axis, image in zip(row, images[name]):
                axis.imshow(image, cmap="gray_r", vmin=0, vmax=255 if name == "originals" else 1,
                            interpolation="nearest")
                axis.set_xticks([])
                axis.set_yticks([])
                for spine in axis.spines.values():
                    spine.set_visible(False)
            label = "original" if name == "originals" else plain(VARIANT_LABELS[name])
            row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
        figure.subplots_adjust(wspace=0.05, hspace=0.05)
        save_figure(figure, path, stamp)
