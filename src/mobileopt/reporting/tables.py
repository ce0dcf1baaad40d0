"""Thesis tables as LaTeX, through pandas' LaTeX export (booktabs), stamped with their provenance."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mobileopt.core import artifacts
from mobileopt.reporting.numbers import thousands


def write_table(frame: pd.DataFrame, path: str | Path, caption: str, label: str, stamp: dict,
                column_format: str | None = None, size: str | None = None, column_gap_pt: int | None = None,
                fit_width: bool = False, lead: str | None = None, landscape: bool = False) -> None:
    """A pandas LaTeX table, stamped with its provenance, written atomically.

    Wide tables: `size` is a font size command (e.g. "\\small"), `column_gap_pt` narrows the column gaps,
    `landscape` sets the table on a page of its own turned sideways (lscape), and `fit_width` scales the
    tabular down to the text width only when it is still wider (\\fittowidth in thesis/main.tex, which logs
    the font size and the scale: the test suite rejects a table printed below 8 pt).
    `lead` is prose set before the table (e.g. the sentence that refers to it, when the table may be absent).
    """
    latex = frame.to_latex(index=False, escape=False, caption=caption, label=label, position="htbp",
                           column_format=column_format)
    preamble = "\\centering" + (size or "")
    if column_gap_pt is not None:
        preamble += f"\\setlength{{\\tabcolsep}}{{{column_gap_pt}pt}}"
    latex = latex.replace("\\begin{table}[htbp]", "\\begin{table}[htbp]\n" + preamble, 1)
    if fit_width:
        latex = latex.replace("\\begin{tabular}", "\\fittowidth{%\n\\begin{tabular}", 1)
        latex = latex.replace("\\end{tabular}", "\\end{tabular}}", 1)
    if landscape:
        latex = "\\begin{landscape}\n" + latex + "\\end{landscape}\n"
    artifacts.atomic_write_text(path, artifacts.tex_header(stamp) + (f"{lead}\n\n" if lead else "") + latex)


def dataset_table(arrays: dict[str, np.ndarray], source: str) -> pd.DataFrame:
    rows = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        rows.append({"Split": split, "Images": thousands(len(images)),
                     "Size": "$" + "\\times".join(map(str, images.shape[1:])) + "$",
                     "Classes": len(np.unique(labels)),
                     "Smallest class": thousands(np.bincount(labels).min()),
                     "Largest class": thousands(np.bincount(labels).max())})
    return pd.DataFrame(rows)


def architecture_table(layer_costs) -> pd.DataFrame:
    """One row per layer of a model: type, output shape, parameters, multiply-adds (cost model)."""
    rows = [{"Layer": cost.name.replace("_", "\\_"), "Type": cost.layer_type,
             "Output": "$" + "\\times".join(map(str, cost.output_shape)) + "$",
             "Parameters": thousands(cost.parameters), "Multiply-adds": thousands(cost.multiply_adds)}
            for cost in layer_costs]
    rows.append({"Layer": "\\textbf{total}", "Type": "", "Output": "",
                 "Parameters": thousands(sum(c.parameters for c in layer_costs)),
                 "Multiply-adds": thousands(sum(c.multiply_adds for c in layer_costs))})
    return pd.DataFrame(rows)


def baseline_results_table(metrics: dict, latency: dict) -> pd.DataFrame:
    rows = [
        (f"Test accuracy (\\%, mean $\\pm$ std.\\ of {len(metrics['replicates'])} seeds)",
         f"{100 * metrics['test_accuracy']:.2f}\\,$\\pm$\\,{100 * metrics['test_accuracy_std']:.2f}"),
        ("Validation accuracy (\\%, mean)", f"{100 * metrics['validation_accuracy']:.2f}"),
        ("Test loss", f"{metrics['test_loss']:.4f}"),
        ("Parameters", thousands(metrics["parameters"])),
        ("Multiply-adds per image", thousands(metrics["multiply_adds"])),
        ("Epochs run, most of any seed (best epoch of the first)", f"{metrics['epochs_run']} ({metrics['best_epoch']})"),
        ("Training time per seed (s)", f"{metrics['train_seconds']:.0f}"),
        ("Training precision", metrics["settings"]["precision"].replace("_", "\\_")),
        ("TFLite size (KiB, first seed's model)", f"{latency['size_bytes'] / 1024:.1f}"),
        (f"LiteRT latency, median (ms, {latency['threads']} thread)", f"{latency['median_ms']:.3f}"),
        (f"LiteRT latency, 90th percentile (ms, {latency['threads']} thread)", f"{latency['p90_ms']:.3f}"),
    ]
    return pd.DataFrame(rows, columns=["Quantity", "Value"])
