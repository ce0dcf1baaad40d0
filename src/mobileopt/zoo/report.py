"""Results of the model zoo and the roofline as tidy frames, thesis tables and macros (rule zoo_report).

Reads the records, per-layer traffic, latencies, machine roofs and layer probes that the zoo rules
wrote; measures nothing itself.
"""
from __future__ import annotations

import pandas as pd

from mobileopt.measurement import roofline
from mobileopt.reporting.numbers import MISSING, count_among, count_of, join_words
from mobileopt.reporting.thesis import Macro, latex_escape


TAIL_FACTOR = 1.2  # p90 above 1.2 x the median: the thesis names the model's tail (issue: > 20 %)


def zoo_summary(records: dict, latencies: dict, machine: dict, traffic: pd.DataFrame) -> pd.DataFrame:
    """One row per zoo model. `latencies` maps (model, threads) to the parsed LiteRT JSON; the
    roofline columns use the 1-thread latency and the 1-thread roofs of `machine`."""
    thread_counts = sorted({threads for _, threads in latencies})
    kinds = traffic.groupby(["model", "kind"])["multiply_adds"].sum().unstack(fill_value=0)
    rows = []
    for name, record in records.items():
        single = latencies[(name, 1)]
        row = {"method": "zoo", "variant": name, "display": record["display"],
               "year": record["year"], "citation": record["citation"],
               "input_size": record["input_size"], "native_size": record["native_size"],
               "test_accuracy": float("nan"),  # random weights: latency and cost only
               "parameters": record["parameters"], "multiply_adds": record["multiply_adds"],
               "tflite_bytes": record["tflite_bytes"],
               "latency_median_ms": single["median_ms"], "latency_p90_ms": single["p90_ms"],
               "warmup_runs": single["warmup_runs"], "timed_runs": single["timed_runs"],
               "weight_bytes": record["weight_bytes"], "activation_bytes": record["activation_bytes"]}
        for threads in thread_counts:
            row[f"latency_median_ms_threads{threads}"] = latencies[(name, threads)]["median_ms"]
            row[f"latency_p90_ms_threads{threads}"] = latencies[(name, threads)]["p90_ms"]
        macs = kinds.loc[name]
        row["depthwise_share"] = macs.get("depthwise convolution", 0) / macs.sum()
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["bytes"] = frame["weight_bytes"] + frame["activation_bytes"]
    frame["intensity"] = 2 * frame["multiply_adds"] / frame["bytes"]
    frame["attained_flops"] = 2 * frame["multiply_adds"] / (frame["latency_median_ms"] / 1e3)
    frame["fraction_of_peak"] = frame["attained_flops"] / machine["peak_flops"]
    frame["roof_flops"] = roofline.attainable_flops(frame["intensity"], machine["peak_flops"],
                                                    machine["bandwidth_bytes_per_s"])
    most = max(thread_counts)
    frame["thread_speedup"] = frame["latency_median_ms"] / frame[f"latency_median_ms_threads{most}"]
    return frame.sort_values("latency_median_ms").reset_index(drop=True)


def zoo_table(summary: pd.DataFrame) -> pd.DataFrame:
    most = max(int(column.removeprefix("latency_median_ms_threads"))
               for column in summary.columns if column.startswith("latency_median_ms_threads"))
    rows = []
    for _, row in summary.iterrows():
        rows.append({"Model": row["display"], "Side": f"{row['input_size']}",
                     "Params (M)": f"{row['parameters'] / 1e6:.1f}",
                     "MACs (G)": f"{row['multiply_adds'] / 1e9:.2f}",
                     "MB": f"{row['tflite_bytes'] / 1e6:.1f}",
                     "1 thr.": f"{row['latency_median_ms']:.1f}",
                     "p90": f"{row['latency_p90_ms']:.1f}",
                     f"{most} thr.": f"{row[f'latency_median_ms_threads{most}']:.1f}",
                     "FLOP/B": f"{row['intensity']:.1f}",
                     "GFLOP/s": f"{row['attained_flops'] / 1e9:.0f}",
                     "\\% peak": f"{100 * row['fraction_of_peak']:.0f}"})
    return pd.DataFrame(rows)


SHORT_KIND = {"spatial convolution": "spatial conv.", "pointwise convolution": "$1{\\times}1$ conv.",
              "depthwise convolution": "depthwise conv.", "separable convolution": "separable conv.",
              "dense": "dense"}


def probes_table(probes: pd.DataFrame, machine: dict) -> pd.DataFrame:
    """One row per probe: its intensity, attained rate, and that rate as a share of the memory roof
    and of the cache roof at its intensity."""
    rows = []
    for _, probe in probes.iterrows():
        memory_roof, cache_roof = (float(roofline.attainable_flops(probe["intensity"], machine["peak_flops"],
                                                                   machine[bandwidth]))
                                   for bandwidth in ("bandwidth_bytes_per_s", "cache_bandwidth_bytes_per_s"))
        rows.append({"Layer": SHORT_KIND[probe["kind"]], "As in": latex_escape(probe["source"]),
                     "Input": "$" + probe["input_shape"].replace("x", "{\\times}") + "$",
                     "FLOP/B": f"{probe['intensity']:.1f}",
                     "GFLOP/s": f"{probe['attained_flops'] / 1e9:.0f}",
                     "\\% mem.": f"{100 * probe['attained_flops'] / memory_roof:.0f}",
                     "\\% cache": f"{100 * probe['attained_flops'] / cache_roof:.0f}"})
    return pd.DataFrame(rows)


def rank_inversions(summary: pd.DataFrame) -> pd.DataFrame:
    """Pairs of models where the one with fewer multiply-adds is the slower one (1 thread), the
    largest inversion (latency ratio) first."""
    rows = [{"fewer_macs": a["display"], "more_macs": b["display"],
             "macs_ratio": b["multiply_adds"] / a["multiply_adds"],
             "latency_ratio": a["latency_median_ms"] / b["latency_median_ms"]}
            for _, a in summary.iterrows() for _, b in summary.iterrows()
            if a["multiply_adds"] < b["multiply_adds"] and a["latency_median_ms"] > b["latency_median_ms"]]
    frame = pd.DataFrame(rows, columns=["fewer_macs", "more_macs", "macs_ratio", "latency_ratio"])
    return frame.sort_values("latency_ratio", ascending=False).reset_index(drop=True)


def _inversion_macros(summary: pd.DataFrame, source: str) -> list[Macro]:
    inversions = rank_inversions(summary)
    first = inversions.iloc[0] if len(inversions) else None
    return [
        Macro("ZooInversionCount", str(len(inversions)), source),
        Macro("ZooInversionSlower", first["fewer_macs"] if first is not None else MISSING, source),
        Macro("ZooInversionFaster", first["more_macs"] if first is not None else MISSING, source),
        Macro("ZooInversionMacsRatio", f"{first['macs_ratio']:.2f}" if first is not None else MISSING, source),
        Macro("ZooInversionLatencyRatio", f"{first['latency_ratio']:.2f}" if first is not None else MISSING,
              source),
        Macro("ZooInversionSentence", inversion_sentence(inversions), source),
    ]


def inversion_sentence(inversions: pd.DataFrame) -> str:
    """Whether the multiply-add ranking held in this run's zoo timing, for the prose (an inversion between
    two close models can come and go between runs, so the text must not assume one)."""
    if not len(inversions):
        return ("In this run the ranking by multiply-adds held exactly: in no pair of models was the one with "
                "fewer multiply-adds the slower one.")
    first = inversions.iloc[0]
    return (f"The ranking is not exact, however: in {count_of(len(inversions), 'pair')} of models the one with "
            f"fewer multiply-adds was the slower one. The largest such inversion is {first['fewer_macs']}, which "
            f"needs {first['macs_ratio']:.2f} times fewer multiply-adds than {first['more_macs']} but took "
            f"{first['latency_ratio']:.2f} times as long.")


# Below this share of depthwise multiply-adds a model's efficiency is not put down to them.
DEPTHWISE_CAUSE_SHARE = 0.05


def inefficiency_cause(row: pd.Series, ridge: float) -> str:
    """What the measurements say about why the least efficient model is slow, for the prose: the
    depthwise share only where there is one, otherwise that neither the roofline nor the layer kinds
    explain it (VGG16 has no depthwise convolution and an intensity above the ridge)."""
    if row["depthwise_share"] >= DEPTHWISE_CAUSE_SHARE:
        return (f"{100 * row['depthwise_share']:.0f}\\,\\% of its multiply-adds are in depthwise "
                "convolutions, the kind that runs slowest on its own")
    if row["intensity"] < ridge:
        return "its estimated intensity lies below the ridge, where memory traffic rather than arithmetic limits it"
    return (f"it has {'no' if row['depthwise_share'] == 0 else 'almost no'} depthwise convolutions and an "
            "estimated intensity above the ridge, so neither the roofline nor the rates of the single "
            "layers we timed explain its efficiency")


def roofline_verdict(below_ridge: int) -> str:
    """Whether the roofline accounts for any model's distance from the peak (a clause for the prose)."""
    if below_ridge == 0:
        return "the roofline therefore explains none of the models' distance from the peak"
    return ("for those, memory traffic accounts for part of their distance from the peak; for the others "
            "the roofline explains none of it")


def _ratio(value: float) -> str:
    """Two significant digits below 10, whole numbers above, never an exponent: 0.14, 1.4, 14, 140."""
    return f"{value:.2g}" if value < 9.95 else f"{value:.0f}"


def zoo_macros(summary: pd.DataFrame, kinds: pd.DataFrame, probes: pd.DataFrame, machine: dict,
               sources: dict) -> list[Macro]:
    """Every number the zoo/roofline text uses, by role (slowest, most efficient, ...), so a config
    with fewer models defines the same names."""
    s, m, p, k = sources["summary"], sources["machine"], sources["probes"], sources["kinds"]
    most = max(int(c.removeprefix("latency_median_ms_threads"))
               for c in summary.columns if c.startswith("latency_median_ms_threads"))
    slowest, fastest = summary.iloc[-1], summary.iloc[0]
    efficient = summary.loc[summary["attained_flops"].idxmax()]
    inefficient = summary.loc[summary["attained_flops"].idxmin()]
    cheapest = summary.loc[summary["multiply_adds"].idxmin()]
    sizes = sorted(summary["input_size"].unique())
    ridge = roofline.ridge_intensity(machine["peak_flops"], machine["bandwidth_bytes_per_s"])
    below_ridge = int((summary["intensity"] < ridge).sum())
    # A tail worth naming: the 90th percentile more than TAIL_FACTOR times the median.
    tails = summary[summary["latency_p90_ms"] > TAIL_FACTOR * summary["latency_median_ms"]]
    macros = [
        Macro("ZooModelCount", str(len(summary)), s),
        Macro("ZooWarmupRuns", str(int(summary["warmup_runs"].min())), s),
        Macro("ZooTimedRuns", str(int(summary["timed_runs"].min())), s),
        Macro("ZooTailPercent", f"{100 * (TAIL_FACTOR - 1):.0f}", "mobileopt.zoo.report"),
        Macro("ZooTailCount", str(len(tails)), s),
        Macro("ZooTailModels", join_words(tails["display"]) if len(tails) else "none", s),
        Macro("ZooInputSizes", " and ".join(f"${n}{{\\times}}{n}$" for n in sizes), s),
        Macro("ZooMaxThreads", str(most), s),
        Macro("ZooCores", str(machine["machine"]["cores"]), m),
        Macro("ZooPeakGflops", f"{machine['peak_flops'] / 1e9:.0f}", m),
        Macro("ZooTensorflowGflops", f"{machine['tensorflow_matmul_flops'] / 1e9:.0f}", m),
        Macro("ZooLitertMatmulGflops", f"{machine['litert_matmul_flops'] / 1e9:.0f}", m),
        Macro("ZooLitertConvGflops", f"{machine['litert_conv_flops'] / 1e9:.0f}", m),
        Macro("ZooBandwidthGBs", f"{machine['bandwidth_bytes_per_s'] / 1e9:.1f}", m),
        Macro("ZooCopyBandwidthGBs", f"{machine['copy_bytes_per_s'] / 1e9:.1f}", m),
        Macro("ZooStreamBandwidthGBs", f"{machine['litert_stream_bytes_per_s'] / 1e9:.1f}", m),
        Macro("ZooStreamMegabytes", f"{machine['stream_megabytes']:g}", m),
        Macro("ZooCacheBandwidthGBs", f"{machine['cache_bandwidth_bytes_per_s'] / 1e9:.0f}", m),
        Macro("ZooMemoryMegabytes", f"{machine['memory_megabytes']:g}", m),
        Macro("ZooCacheMegabytes", f"{machine['cache_megabytes']:g}", m),
        Macro("ZooRidgeIntensity", f"{ridge:.1f}", m),
        Macro("ZooSlowestModel", slowest["display"], s),
        Macro("ZooSlowestLatencyMs", f"{slowest['latency_median_ms']:.0f}", s),
        Macro("ZooSlowestMacsBillions", f"{slowest['multiply_adds'] / 1e9:.2f}", s),
        Macro("ZooFastestModel", fastest["display"], s),
        Macro("ZooFastestLatencyMs", f"{fastest['latency_median_ms']:.1f}", s),
        Macro("ZooFastestMacsBillions", f"{fastest['multiply_adds'] / 1e9:.3f}", s),
        Macro("ZooSlowestToFastestLatency", _ratio(slowest["latency_median_ms"] / fastest["latency_median_ms"]), s),
        Macro("ZooSlowestToFastestMacs", _ratio(slowest["multiply_adds"] / fastest["multiply_adds"]), s),
        Macro("ZooEfficientModel", efficient["display"], s),
        Macro("ZooEfficientGflops", f"{efficient['attained_flops'] / 1e9:.0f}", s),
        Macro("ZooEfficientPeakPercent", f"{100 * efficient['fraction_of_peak']:.0f}", s),
        Macro("ZooEfficientIntensity", f"{efficient['intensity']:.0f}", s),
        Macro("ZooInefficientModel", inefficient["display"], s),
        Macro("ZooInefficientGflops", f"{inefficient['attained_flops'] / 1e9:.0f}", s),
        Macro("ZooInefficientPeakPercent", f"{100 * inefficient['fraction_of_peak']:.0f}", s),
        Macro("ZooInefficientIntensity", f"{inefficient['intensity']:.0f}", s),
        Macro("ZooInefficientDepthwiseShare", f"{100 * inefficient['depthwise_share']:.0f}", s),
        Macro("ZooEfficientToInefficientMacs", _ratio(efficient["multiply_adds"] / inefficient["multiply_adds"]), s),
        Macro("ZooEfficientToInefficientLatency",
              _ratio(efficient["latency_median_ms"] / inefficient["latency_median_ms"]), s),
        Macro("ZooCheapestModel", cheapest["display"], s),
        Macro("ZooCheapestLatencyMs", f"{cheapest['latency_median_ms']:.1f}", s),
        Macro("ZooCheapestGflops", f"{cheapest['attained_flops'] / 1e9:.0f}", s),
        Macro("ZooCheapestPeakPercent", f"{100 * cheapest['fraction_of_peak']:.0f}", s),
        Macro("ZooCheapestIntensity", f"{cheapest['intensity']:.1f}", s),
        Macro("ZooCheapestDepthwiseShare", f"{100 * cheapest['depthwise_share']:.0f}", s),
        Macro("ZooEfficientToCheapestMacs", _ratio(efficient["multiply_adds"] / cheapest["multiply_adds"]), s),
        Macro("ZooEfficientToCheapestLatency",
              _ratio(efficient["latency_median_ms"] / cheapest["latency_median_ms"]), s),
        Macro("ZooBelowRidgeCount", str(below_ridge), s),
        Macro("ZooBelowRidgeModels", count_among(below_ridge, len(summary), "model"), s),
        Macro("ZooInefficientCause", inefficiency_cause(inefficient, ridge), s),
        Macro("ZooRooflineVerdict", roofline_verdict(below_ridge), s),
        Macro("ZooInefficientRidgeRelation",
              "above" if inefficient["intensity"] >= ridge else "below", s),
        Macro("ZooSlowestSizeMB", f"{slowest['tflite_bytes'] / 1e6:.0f}", s),
        *_inversion_macros(summary, s),
        Macro("ZooSpeedupMin", f"{summary['thread_speedup'].min():.2f}", s),
        Macro("ZooSpeedupMax", f"{summary['thread_speedup'].max():.2f}", s),
    ]
    by_kind = kinds.set_index("kind")
    for kind, word in (("spatial convolution", "Spatial"), ("pointwise convolution", "Pointwise"),
                       ("depthwise convolution", "Depthwise"), ("dense", "Dense")):
        present = kind in by_kind.index  # MISSING keeps the macro defined for a zoo without the kind
        macros += [
            Macro(f"ZooKind{word}Intensity",
                  f"{by_kind.loc[kind, 'intensity']:.1f}" if present else MISSING, k),
            Macro(f"ZooKind{word}MacsShare",
                  f"{100 * by_kind.loc[kind, 'share_of_multiply_adds']:.1f}" if present else MISSING, k),
        ]
        rates = probes.loc[probes["kind"] == kind, "attained_flops"]
        macros += [Macro(f"ZooProbe{word}GflopsMin", f"{rates.min() / 1e9:.0f}" if len(rates) else MISSING, p),
                   Macro(f"ZooProbe{word}GflopsMax", f"{rates.max() / 1e9:.0f}" if len(rates) else MISSING, p)]
    dense = probes[probes["kind"] == "dense"]
    if len(dense):
        largest = dense.loc[dense["bytes"].idxmax()]
        macros.append(Macro("ZooProbeDenseBandwidthGBs",
                            f"{largest['bytes'] / (largest['median_ms'] / 1e3) / 1e9:.1f}", p))
    return macros
