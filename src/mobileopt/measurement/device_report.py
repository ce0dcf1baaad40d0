"""The thesis' account of the device records (mobileopt.measurement.devices): a table, a figure and the
sentences around them, or one sentence saying that no device was measured."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from mobileopt.reporting.numbers import count_of, join_words, p_value
from mobileopt.reporting.thesis import latex_escape

NO_DEVICES = ("No latency records from real devices are in the \\texttt{devices/} folder of this build, so "
              "every latency in this thesis is this machine's. The folder's README says how to add records "
              "made with the stand-alone benchmark script on a phone or a board; the next build then compares "
              "them here with the latencies measured on this machine.")


def devices_tex(frame: pd.DataFrame, agreement: pd.DataFrame, figure: str | None) -> str:
    """LaTeX for the thesis: prose, table and figure when devices were measured, else NO_DEVICES."""
    if frame.empty:
        return NO_DEVICES + "\n"
    parts = [_summary(frame, agreement), _table(frame)]
    if figure:
        parts.append(_figure(Path(figure).name))
    return "\n\n".join(parts) + "\n"


def _summary(frame: pd.DataFrame, agreement: pd.DataFrame) -> str:
    sentences = [f"Table~\\ref{{tab:devices}} lists {count_of(len(frame), 'record')} from "
                 f"{count_of(frame['device'].nunique(), 'device')}, each beside the same TFLite file timed on "
                 "this machine with the same thread count."]
    for device, rows in frame.groupby("device", sort=True):
        row = agreement.set_index("device").loc[device]
        low, high = rows["slowdown"].min(), rows["slowdown"].max()
        span = f"{low:.2f}" if math.isclose(low, high) else f"{low:.2f}--{high:.2f}"
        sentence = (f"On {latex_escape(device)} ({latex_escape(rows['cpu'].iloc[0])}) the "
                    f"{count_of(len(rows), 'model')} took {span} times as long as here")
        if math.isnan(row["spearman_rho"]):
            sentence += "; too few models for a rank correlation (at least three)."
        else:
            sentence += (f"; Spearman's rank correlation between the two machines' latencies is "
                         f"$\\rho = {row['spearman_rho']:.2f}$ (${p_value(row['p_value'])}$), which says how "
                         "well the ranking measured here predicts the device's.")
        sentences.append(sentence)
    return " ".join(sentences)


def _table(frame: pd.DataFrame) -> str:
    rows = pd.DataFrame({
        "Device": frame["device"].map(latex_escape), "Model": frame["model"].map(latex_escape),
        "Threads": frame["threads"], "Device (ms)": frame["device_median_ms"].map("{:.3f}".format),
        "Device p90 (ms)": frame["device_p90_ms"].map("{:.3f}".format),
        "Here (ms)": frame["here_median_ms"].map("{:.3f}".format),
        "Ratio": frame["slowdown"].map("{:.2f}".format)})
    caption = ("Median LiteRT latency of the same TFLite files on each real device and on this machine, and "
               "their ratio (device over here); both measured with the stand-alone benchmark script, "
               f"devices: {join_words(sorted(frame['device'].map(latex_escape).unique()))}.")
    return rows.to_latex(index=False, escape=False, caption=caption, label="tab:devices", position="htbp",
                         column_format="llrrrrr").replace("\\begin{table}[htbp]", "\\begin{table}[htbp]\n\\centering\\small", 1)


def _figure(name: str) -> str:
    return ("\\begin{figure}[htbp]\n  \\centering\n"
            f"  \\includegraphics[width=0.7\\linewidth]{{{name}}}\n"
            "  \\caption{Median latency of every model timed on a real device against the same file on "
            "this machine (logarithmic axes; dotted: equal latency).}\n"
            "  \\label{fig:devices}\n\\end{figure}")


def latency_figure(frame: pd.DataFrame, path: str | Path, stamp: dict) -> None:
    """Device latency against this machine's, one marker style per device."""
    import matplotlib.pyplot as plt

    from mobileopt.reporting.figures import STYLE, save_figure

    with plt.rc_context(STYLE):
        figure, axis = plt.subplots(figsize=(4.2, 3.4))
        for (device, rows), marker in zip(frame.groupby("device", sort=True), "osD^v<>"):
            axis.scatter(rows["here_median_ms"], rows["device_median_ms"], marker=marker, label=device, s=22)
        low = min(frame["here_median_ms"].min(), frame["device_median_ms"].min()) / 1.5
        high = max(frame["here_median_ms"].max(), frame["device_median_ms"].max()) * 1.5
        axis.plot([low, high], [low, high], ":", color="grey", linewidth=1)
        axis.set(xscale="log", yscale="log", xlim=(low, high), ylim=(low, high),
                 xlabel="this machine, median (ms)", ylabel="device, median (ms)")
        axis.legend(fontsize=8)
        save_figure(figure, path, stamp)
