"""Latencies measured on real devices (phones, boards) beside this machine's.

A device's records are the JSON files the stand-alone benchmark script (litert_benchmark.py) writes on it,
placed under devices/<device-name>/ at the path of the timed model below results/tflite: the baseline's as
devices/pixel-7/baseline.json, MobileNetV2's as devices/pixel-7/zoo/mobilenet_v2.json. Each is paired with
the record of the same .tflite timed here with the same thread count: the benchmark's own record
(results/latency/<model>.json) or, for the model zoo, the zoo's (results/zoo/latency/<name>_threads<n>.json).
A record that timed another file (a different size) or another thread count stops the report: its ratio
would compare two different things.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

DEVICES_DIR = "devices"
COLUMNS = ["device", "cpu", "runtime", "model", "threads", "device_median_ms", "device_p90_ms",
           "here_median_ms", "slowdown"]


class DeviceRecordError(ValueError):
    """A device's record cannot be compared with this machine's."""


def device_records(devices_dir: str | Path = DEVICES_DIR) -> list[tuple[str, str, Path]]:
    """(device, model, path) of every record under devices_dir, sorted; model is the record's path
    below its device folder without .json (the timed .tflite's path below results/tflite)."""
    root = Path(devices_dir)
    records = []
    for path in sorted(root.glob("*/**/*.json")):
        device, *parts = path.relative_to(root).parts
        records.append((device, str(Path(*parts).with_suffix("")), path))
    return records


def here_record_path(model: str, threads: int, benchmark_threads: int, zoo_threads: list[int]) -> str:
    """The record of the same model timed on this machine with the same thread count."""
    if model.startswith("zoo/"):
        if threads not in zoo_threads:
            raise DeviceRecordError(f"{model} was timed with {threads} threads on the device, but the model zoo "
                                    f"is timed here with {zoo_threads} (zoo.threads): add {threads} there")
        return f"results/zoo/latency/{model.removeprefix('zoo/')}_threads{threads}.json"
    if threads != benchmark_threads:
        raise DeviceRecordError(f"{model} was timed with {threads} threads on the device, but with "
                                f"{benchmark_threads} here (benchmark.threads): time it with --threads "
                                f"{benchmark_threads} on the device")
    return f"results/latency/{model}.json"


def read_threads(path: str | Path) -> int:
    """The thread count a device record was measured with (it decides which record here it pairs with)."""
    record = _read(path)
    if "threads" not in record:
        raise DeviceRecordError(f"{path}: no 'threads'; is it a record of litert_benchmark.py?")
    return int(record["threads"])


def device_frame(pairs: list[tuple[str, str, Path, Path]]) -> pd.DataFrame:
    """One row per (device, model): the device's median and p90 latency, this machine's median, and how
    many times slower the device ran it. `pairs`: (device, model, device record, record here)."""
    rows = []
    for device, model, device_path, here_path in pairs:
        there, here = _read(device_path), _read(here_path)
        if there.get("size_bytes") != here.get("size_bytes"):
            raise DeviceRecordError(
                f"{device_path} timed a file of {there.get('size_bytes')} bytes, but results/tflite/{model}.tflite "
                f"has {here.get('size_bytes')}: copy this run's .tflite to the device and time it again")
        rows.append({"device": device, "cpu": there["machine"].get("cpu", "unknown"),
                     "runtime": there["machine"].get("runtime", "unknown"), "model": model,
                     "threads": int(there["threads"]), "device_median_ms": float(there["median_ms"]),
                     "device_p90_ms": float(there["p90_ms"]), "here_median_ms": float(here["median_ms"]),
                     "slowdown": float(there["median_ms"]) / float(here["median_ms"])})
    return pd.DataFrame(rows, columns=COLUMNS)


def rank_agreement(frame: pd.DataFrame) -> pd.DataFrame:
    """Per device: Spearman's rank correlation between its latencies and this machine's over the models
    it timed (does the ranking measured here predict the device's?); NaN below three models."""
    from scipy import stats

    rows = []
    for device, models in frame.groupby("device", sort=True):
        if len(models) >= 3:
            result = stats.spearmanr(models["device_median_ms"], models["here_median_ms"])
            rho, p = float(result.statistic), float(result.pvalue)
        else:
            rho = p = float("nan")
        rows.append({"device": device, "models": len(models), "spearman_rho": rho, "p_value": p})
    return pd.DataFrame(rows, columns=["device", "models", "spearman_rho", "p_value"])


def _read(path: str | Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DeviceRecordError(f"{path}: not a readable latency record ({error})") from error
