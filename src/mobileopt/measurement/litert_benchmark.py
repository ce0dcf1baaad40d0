#!/usr/bin/env python3
"""On-device latency of a TFLite model with the LiteRT interpreter.

A single self-contained file: it needs only NumPy and `ai-edge-litert`, so the same script that the
pipeline runs also runs on a phone (Termux) or a Raspberry Pi:

    pip install numpy ai-edge-litert
    python litert_benchmark.py model.tflite --threads 1 --warmup 20 --runs 300 --out latency.json

It feeds seeded random inputs of the model's own shape and dtype, runs `warmup` untimed invocations,
then times `runs` invocations of `invoke()` alone, and reports the median and 90th percentile (tail
latency is what a user feels), the model's size on disk, and the machine it ran on.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def load_interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as err:
        raise SystemExit("litert_benchmark: the LiteRT interpreter is missing; install it with "
                         "`pip install ai-edge-litert` (see the README, section 'On a real device')") from err
    return Interpreter


def litert_version() -> str:
    try:
        from importlib.metadata import version

        return "LiteRT " + version("ai-edge-litert")
    except Exception:  # noqa: BLE001 (metadata missing on some device installs)
        return "LiteRT (version unknown)"


def cpuinfo_value(keys: tuple[str, ...]) -> str | None:
    """The first /proc/cpuinfo field named one of `keys` (Linux and Android); None elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in keys:
                return value.strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """Best effort: /proc/cpuinfo names the CPU on Linux and Android; platform.processor() elsewhere."""
    return cpuinfo_value(("model name", "Hardware", "Model", "cpu model")) or platform.processor() or platform.machine()


def cpu_flags_digest() -> str:
    """Short digest of the CPU's instruction-set flags: two CPUs of one model name can differ in them
    (AVX-512, VNNI, BF16 on x86; asimddp, fphp on ARM), and they decide which kernels run."""
    flags = cpuinfo_value(("flags", "Features"))
    if flags is None:
        return "unknown"
    return hashlib.sha256(" ".join(sorted(flags.split())).encode()).hexdigest()[:16]


def machine_info() -> dict:
    return {"cpu": cpu_model(), "arch": platform.machine(), "system": platform.system(),
            "release": platform.release(), "cores": os.cpu_count(), "python": platform.python_version(),
            "runtime": litert_version(), "cpu_flags_sha256": cpu_flags_digest()}


# What makes two latency records comparable: the same CPU (model, flags, cores) and runtime.
FINGERPRINT_KEYS = ("cpu", "arch", "cores", "cpu_flags_sha256", "runtime")


def fingerprint(machine: dict) -> dict:
    return {key: machine.get(key) for key in FINGERPRINT_KEYS}


class MixedMachinesError(ValueError):
    """Latency records that a report compares were measured on different machines."""


def require_one_machine(paths) -> None:
    """Stop a report that would compare latencies timed on different CPUs (say, two cluster nodes):
    their ratios would measure the machines, not the models. `paths`: JSON records with a "machine"."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        machine = json.loads(Path(path).read_text())["machine"]
        groups.setdefault(json.dumps(fingerprint(machine), sort_keys=True), []).append(str(path))
    if len(groups) > 1:
        described = "; ".join(f"{json.loads(key)} ({len(names)} records, e.g. {names[0]})"
                              for key, names in groups.items())
        raise MixedMachinesError(
            f"latency records from {len(groups)} different machines cannot be compared: {described}. "
            "Time all of them on one machine (delete their latency JSONs and rerun, or on a cluster give the "
            "timing rules one node type).")


def random_inputs(interpreter, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = []
    for detail in interpreter.get_input_details():
        dtype, shape = np.dtype(detail["dtype"]), detail["shape"]
        if np.issubdtype(dtype, np.floating):
            inputs.append(rng.random(shape).astype(dtype))
        else:
            info = np.iinfo(dtype)
            inputs.append(rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype))
    return inputs


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def open_interpreter(model_path: str | Path, threads: int, seed: int):
    """A LiteRT interpreter for `model_path`, its inputs set to seeded random values; SystemExit naming a
    missing or invalid file."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise SystemExit(f"litert_benchmark: {model_path} does not exist")
    Interpreter = load_interpreter_class()
    try:
        interpreter = Interpreter(model_path=str(model_path), num_threads=threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as err:
        raise SystemExit(f"litert_benchmark: {model_path} is not a valid TFLite model ({err}); "
                         "rebuild it (snakemake deletes and remakes it if you delete the file)") from err
    for detail, value in zip(interpreter.get_input_details(), random_inputs(interpreter, seed)):
        interpreter.set_tensor(detail["index"], value)
    return interpreter


# LiteRT names the delegate it applies by default in one line on stderr, once per process.
DELEGATE_ANNOUNCEMENT = re.compile(r"Created TensorFlow Lite (\S+) delegate")


def delegation_of(interpreter) -> dict:
    """How much of the graph a delegate took: LiteRT appends one DELEGATE node per partition it
    replaced; one partition reading the model's input and writing its output is the whole graph."""
    ops = interpreter._get_ops_details()  # the public API has no other view of the execution plan
    partitions = [op for op in ops if op["op_name"] == "DELEGATE"]
    graph_input = interpreter.get_input_details()[0]["index"]
    graph_output = interpreter.get_output_details()[0]["index"]
    whole = len(partitions) == 1 and graph_input in partitions[0]["inputs"] and \
        graph_output in partitions[0]["outputs"]
    return {"operators": len(ops) - len(partitions), "delegate_partitions": len(partitions),
            "whole_graph_delegated": bool(whole)}


def delegation(model_path: str | Path, threads: int = 1) -> dict:
    """delegation_of `model_path` plus the delegate's name as LiteRT announces it. The announcement
    comes once per process, so a fresh process (this file, --delegation) opens the model."""
    done = subprocess.run([sys.executable, __file__, str(model_path), "--threads", str(threads),
                           "--delegation"], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"litert_benchmark: probing the delegate of {model_path} failed:\n{done.stderr}")
    announced = DELEGATE_ANNOUNCEMENT.search(done.stderr)
    return {"delegate": announced.group(1) if announced else "none", **json.loads(done.stdout)}


def delegations(models: dict[str, Path], threads: int = 1) -> dict[str, dict]:
    """delegation() of every model, the delegate's name asked of a fresh process once (the same
    default delegate applies to every interpreter of this process) and the partitions of each in here."""
    if not models:
        return {}
    name = delegation(next(iter(models.values())), threads)["delegate"]
    return {key: {"delegate": name, **delegation_of(open_interpreter(path, threads, 0))}
            for key, path in models.items()}


def timed_runs(interpreter, warmup: int, runs: int) -> list[float]:
    """Milliseconds of `runs` consecutive invoke() calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        interpreter.invoke()
    latencies = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        interpreter.invoke()
        latencies.append((time.perf_counter_ns() - started) / 1e6)
    return latencies


def benchmark(model_path: str | Path, threads: int = 1, warmup: int = 20, runs: int = 300,
              seed: int = 0) -> dict:
    """Time `runs` invocations after `warmup` untimed ones; latencies in milliseconds."""
    model_path = Path(model_path)
    latencies = timed_runs(open_interpreter(model_path, threads, seed), warmup, runs)
    return {
        "model": model_path.name,
        "size_bytes": model_path.stat().st_size,
        "threads": threads, "warmup_runs": warmup, "timed_runs": runs,
        "median_ms": statistics.median(latencies),
        "p90_ms": percentile(latencies, 90),
        "mean_ms": statistics.fmean(latencies),
        "min_ms": min(latencies), "max_ms": max(latencies),
        "machine": machine_info(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="LiteRT latency of a .tflite model (median, p90).")
    parser.add_argument("model", help="path to the .tflite file")
    parser.add_argument("--threads", type=int, default=1, help="interpreter threads (1 = one big core)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed invocations first")
    parser.add_argument("--runs", type=int, default=300, help="timed invocations")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random input")
    parser.add_argument("--out", help="write the result as JSON here (default: print it)")
    parser.add_argument("--delegation", action="store_true",
                        help="print which share of the graph the default delegate took, time nothing")
    args = parser.parse_args(argv)
    if args.delegation:
        print(json.dumps(delegation_of(open_interpreter(args.model, args.threads, args.seed))))
        return
    if args.threads < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("--threads and --runs must be >= 1 and --warmup >= 0")
    result = benchmark(args.model, args.threads, args.warmup, args.runs, args.seed)
    text = json.dumps(result, indent=2, sort_keys=True) + "\n"
    if args.out:
        tmp = Path(args.out + ".part")
        tmp.write_text(text)
        os.replace(tmp, args.out)  # atomic: an interrupted run leaves no half-written result
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
