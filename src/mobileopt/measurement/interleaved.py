"""Latency comparisons that survive a noisy machine: several .tflite models timed in one process, interleaved.

Timing models one after another (one process each) lets drift between the runs (another job starting,
the CPU clocking down, a neighbour on a shared node) pass for a difference between the models. Here the
timing proceeds in rounds in one process: each round visits the models in a fresh random order and times
`runs_per_round` consecutive invocations of each after a warm-up. Whatever slows the machine during a
round slows all models in it, and no model is always timed first or last.

Each round builds fresh interpreters (in random order). Two interpreters of one byte-identical model can
differ by 1-2 % for as long as they live, depending on where their buffers land in memory (layout effects,
Mytkowicz et al., ASPLOS 2009). With one interpreter per model for the whole run that bias is the same in
every round, so the bootstrap cannot see it: on the development machine a model came out "faster" or
"slower" than its own copy in most runs. Fresh interpreters re-draw the layout every round and so turn
that bias into round-to-round variance, which the interval accounts for (the remedy of Stabilizer,
Curtsinger and Berger, ASPLOS 2013).

The uncertainty of a speed-up is a percentile bootstrap over rounds: a resample draws round indices with
replacement and uses the same rounds for both models, because they were timed side by side in each round.

    timings = time_interleaved({"baseline": Path("base.tflite"), "pruned": Path("pruned.tflite")})
    verdict(speedup_interval(timings, reference="baseline", model="pruned"))  # "faster", "slower" or "tie"
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mobileopt.measurement import litert_benchmark

COLUMNS = ["model", "round", "run", "milliseconds"]
# Name of the one-operator model (mobileopt.measurement.tflite_export.one_operator_model) in a timing.
ONE_OPERATOR = "one_operator"


def time_interleaved(models: dict[str, Path], threads: int = 1, warmup_runs: int = 20, rounds: int = 30,
                     runs_per_round: int = 10, seed: int = 0) -> pd.DataFrame:
    """Tidy timings (model, round, run, milliseconds), rows in the order they were timed. In every round each
    model gets a fresh interpreter and `warmup_runs` untimed invocations right before its timed ones.
    frame.attrs["machine"] describes the machine (litert_benchmark.machine_info())."""
    if not models:
        raise ValueError("time_interleaved needs at least one model")
    if threads < 1 or rounds < 1 or runs_per_round < 1 or warmup_runs < 0:
        raise ValueError(f"threads, rounds and runs_per_round must be >= 1 and warmup_runs >= 0 (got threads="
                         f"{threads}, rounds={rounds}, runs_per_round={runs_per_round}, warmup_runs={warmup_runs})")
    names = list(models)
    order = np.random.default_rng(seed)
    rows = []
    for round_index in range(rounds):
        # All interpreters exist before any is timed, so a bad file stops the run before round 0 is timed.
        interpreters = {names[i]: litert_benchmark.open_interpreter(models[names[i]], threads, seed)
                        for i in order.permutation(len(names))}
        for position in order.permutation(len(names)):
            name = names[position]
            latencies = litert_benchmark.timed_runs(interpreters[name], warmup_runs, runs_per_round)
            rows += [(name, round_index, run, latency) for run, latency in enumerate(latencies)]
    timings = pd.DataFrame(rows, columns=COLUMNS)
    timings.attrs["machine"] = litert_benchmark.machine_info()
    return timings


def round_medians(timings: pd.DataFrame) -> pd.DataFrame:
    """Median latency (ms) of each model (rows) in each round (columns)."""
    return timings.groupby(["model", "round"])["milliseconds"].median().unstack("round")


def speedup_interval(timings: pd.DataFrame, reference: str, model: str, confidence: float = 0.95,
                     resamples: int = 2000, seed: int = 0) -> dict:
    """How many times faster `model` runs than `reference` (> 1: faster), with a bootstrap interval.

    speedup: the ratio of the medians of the per-round medians (reference over model). low, high: its
    percentile interval over rounds resampled in pairs."""
    if not 0 < confidence < 1 or resamples < 1:
        raise ValueError(f"need 0 < confidence < 1 and resamples >= 1 (got {confidence}, {resamples})")
    medians = round_medians(timings)
    missing = {reference, model} - set(medians.index)
    if missing:
        raise ValueError(f"no timings of {sorted(missing)}; timed: {sorted(medians.index)}")
    paired = medians.loc[[reference, model]]
    if paired.isna().any(axis=None):
        raise ValueError(f"{reference} and {model} were not timed in the same rounds; time them together")
    reference_rounds, model_rounds = paired.to_numpy()
    resampled = np.random.default_rng(seed).integers(0, len(reference_rounds), (resamples, len(reference_rounds)))
    ratios = np.median(reference_rounds[resampled], axis=1) / np.median(model_rounds[resampled], axis=1)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(ratios, [tail, 100 - tail])
    # The point estimate is the bootstrapped statistic on the rounds as timed, so it lies in its interval.
    speedup = np.median(reference_rounds) / np.median(model_rounds)
    return {"speedup": float(speedup), "low": float(low), "high": float(high)}


def verdict(interval: dict) -> str:
    """The model against the reference: "faster" or "slower" only when the whole interval says so."""
    if interval["low"] > 1:
        return "faster"
    if interval["high"] < 1:
        return "slower"
    return "tie"


def intervals(timings: pd.DataFrame, reference: str, confidence: float = 0.95, resamples: int = 2000,
              seed: int = 0) -> pd.DataFrame:
    """Every timed model against `reference`: its median latency (ms, the median of its per-round
    medians), the speed-up, its bootstrap interval and the verdict, one row per model (the reference
    itself included: its interval is [1, 1])."""
    medians = round_medians(timings).median(axis=1)
    rows = []
    for model in timings["model"].unique():
        interval = speedup_interval(timings, reference, model, confidence, resamples, seed)
        rows.append({"model": model, "median_ms": float(medians[model]), **interval, "verdict": verdict(interval)})
    return pd.DataFrame(rows)


def fixed_cost_shares(timings: pd.DataFrame, confidence: float = 0.95, resamples: int = 2000,
                      seed: int = 0) -> pd.DataFrame:
    """Per timed model: its median latency over the rounds (ms) and the share of it the interpreter's
    fixed cost per call takes (the one-operator model's latency over the model's), with the paired
    bootstrap interval of that share; `dominated` where the whole interval lies above one half."""
    medians = round_medians(timings).median(axis=1)
    rows = []
    for model in medians.index.drop(ONE_OPERATOR):
        ratio = speedup_interval(timings, model, ONE_OPERATOR, confidence, resamples, seed)  # model / fixed
        rows.append({"model": model, "median_ms": float(medians[model]),
                     "fixed_cost_share": 1 / ratio["speedup"], "share_low": 1 / ratio["high"],
                     "share_high": 1 / ratio["low"], "dominated": 1 / ratio["high"] > 0.5})
    return pd.DataFrame(rows)
