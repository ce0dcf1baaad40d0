"""The compression topic's tidy summary: one row per .tflite artefact, plus the baseline.

Joins what the method rules wrote (artefact records: sizes, operators, LiteRT accuracy; metrics of the
fine-tuned Keras models) with the generic benchmark's latency files. Reads result files only, never
trains. The accuracy of a row is the LiteRT accuracy of its .tflite on the test set (Keras accuracy in
a column of its own), so quantised formats are judged by what they compute. Variants are *chosen*
(within the tolerance, smallest, most accurate) on the LiteRT accuracy on the selection images
(validation_accuracy), never on the test set.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from mobileopt.core import artifacts
from mobileopt.compression import variants

COLUMNS = ["method", "variant", "model", "format", "detail", "test_accuracy", "validation_accuracy",
           "keras_test_accuracy",
           "parameters", "nonzero_parameters", "multiply_adds", "sparse_multiply_adds", "tflite_bytes",
           "gzip_bytes", "packed_bytes", "packed_gzip_bytes", "stored_bytes", "latency_median_ms",
           "latency_p90_ms", "fine_tune_seconds", "accuracy_without_fine_tuning", "sparsity",
           "max_distinct_values", "channels", "ops"]


def record_path(method: str, artefact: str) -> Path:
    return Path(f"results/compression/{method}/{artefact}.json")


def latency_path(method: str, artefact: str) -> Path:
    return Path(f"results/latency/compression/{method}/{artefact}.json")


def metrics_path(method: str, model: str) -> Path:
    return Path(f"results/compression/{method}/{model}/metrics.json")


def detail(method: str, record: dict, metrics: dict) -> str:
    """A short human-readable description of the variant (plain text; tables escape it)."""
    if method == "pruning":
        pattern = metrics["pattern"]
        kind = {"unstructured": "unstructured", "two_four": "2:4 structured",
                "block": "1x4 blocks in the FC layer"}[pattern]
        encoding = "sparse encoding" if record["format"].endswith("sparse") else "dense encoding"
        return f"{variants.percent(metrics['target_sparsity'])}% {kind}, {encoding}"
    if method == "factorization":
        return ", ".join(f"{layer} rank {rank}" for layer, rank in sorted(metrics["ranks"].items()))
    if method == "weight_sharing":
        gather = f", {record['format']}" if record["format"].startswith("gather") else ""
        return f"{record['clusters']} clusters{gather}"
    if method == "quantization":
        return record["format"]
    if method == "fisher_pruning":
        name = {"fisher": "Fisher", "activation_count": "activation count"}[metrics["criterion"]]
        return f"{name}, {variants.percent(metrics['fraction'])}% of channels"
    if method == "ef_operator":
        if "layer" in record:
            return f"{record['layer']} alone, {'ef-operator' if record['model'] == 'layer_ef' else 'ordinary'}"
        return "ef-operator in " + ", ".join(metrics["ef_layers"])
    return ""


def summary_row(method: str, artefact: str, record: dict, latency: dict, metrics: dict | None) -> dict:
    metrics = metrics or {}
    packed = record.get("packed_bytes", math.nan)
    row = {
        "method": method, "variant": artefact, "model": record["model"], "format": record["format"],
        "detail": detail(method, record, metrics),
        "test_accuracy": record.get("litert_test_accuracy", math.nan),
        "validation_accuracy": record.get("litert_validation_accuracy", math.nan),
        "keras_test_accuracy": metrics.get("test_accuracy", math.nan),
        "parameters": metrics.get("parameters", math.nan),
        "nonzero_parameters": metrics.get("nonzero_parameters", math.nan),
        "multiply_adds": record.get("emulated_multiply_adds", record.get("multiply_adds",
                                                                         metrics.get("multiply_adds", math.nan))),
        "sparse_multiply_adds": metrics.get("sparse_multiply_adds", math.nan),
        "tflite_bytes": record["tflite_bytes"], "gzip_bytes": record["gzip_bytes"],
        "packed_bytes": packed, "packed_gzip_bytes": record.get("packed_gzip_bytes", math.nan),
        # The smallest form this variant is stored in: gzip of the .tflite, or the bit-packed format.
        "stored_bytes": min(record["gzip_bytes"], packed) if not math.isnan(packed) else record["gzip_bytes"],
        "latency_median_ms": latency["median_ms"], "latency_p90_ms": latency["p90_ms"],
        "fine_tune_seconds": metrics.get("train_seconds", math.nan),
        # Keras accuracy of the compressed model before any fine-tuning (one-shot removal for Fisher pruning).
        "accuracy_without_fine_tuning": metrics.get("test_accuracy_before_fine_tuning",
                                                    metrics.get("test_accuracy_one_shot", math.nan)),
        "sparsity": metrics.get("sparsity_of_pruned_layers", math.nan),
        "max_distinct_values": max(metrics["distinct_kernel_values"].values())
        if "distinct_kernel_values" in metrics else math.nan,
        "channels": "/".join(str(count) for count in metrics["channels"].values()) if "channels" in metrics else "",
        "ops": " ".join(record["ops"]),
    }
    return row


def build_summary(config: dict, baseline_metrics_path: str | Path = "results/baseline/metrics.json",
                  baseline_latency_path: str | Path = "results/latency/baseline.json") -> pd.DataFrame:
    """The summary of every configured artefact (paths relative to the working directory)."""
    model_names = variants.models(config)
    baseline_metrics = artifacts.read_json(baseline_metrics_path)
    rows = []
    reference = artifacts.read_json(record_path("quantization", "float32"))  # the baseline, converted as is
    rows.append(summary_row("baseline", "baseline", dict(reference, model="baseline", format="float32"),
                            artifacts.read_json(baseline_latency_path),
                            dict(baseline_metrics, nonzero_parameters=baseline_metrics["parameters"])))
    rows[-1]["detail"] = "Table 2.2 classifier"
    for method, artefacts_of_method in variants.artefacts(config).items():
        for artefact in artefacts_of_method:
            record = artifacts.read_json(record_path(method, artefact))
            model = record["model"]
            if model in model_names[method]:
                metrics = artifacts.read_json(metrics_path(method, model))
            elif model == "baseline":  # converted as is: no fine-tuning of its own
                metrics = dict(baseline_metrics, nonzero_parameters=baseline_metrics["parameters"],
                               train_seconds=math.nan)
            else:
                metrics = None
            rows.append(summary_row(method, artefact, record, artifacts.read_json(latency_path(method, artefact)),
                                    metrics))
    return pd.DataFrame(rows, columns=COLUMNS)


def litert_correctness(config: dict) -> dict[str, "np.ndarray"]:
    """'<method>/<artefact>' -> which test images its .tflite got right (LiteRT), for every configured
    classifier artefact: what the significance verdicts between two variants pair."""
    from mobileopt.compression.tflite import decode_correct

    correct = {}
    for method, artefacts_of_method in variants.artefacts(config).items():
        for artefact in artefacts_of_method:
            record = artifacts.read_json(record_path(method, artefact))
            if "litert_test_correct" in record:
                correct[f"{method}/{artefact}"] = decode_correct(record["litert_test_correct"], record["test_images"])
    return correct


def write_summary(config: dict, out_path: str | Path, **paths) -> pd.DataFrame:
    frame = build_summary(config, **paths)
    artifacts.atomic_write_text(out_path, frame.to_csv(index=False))
    return frame


# --- selections (shared by the tables, figures and macros) -------------------------------------------

METHOD_NAMES = variants.METHOD_NAMES


def tolerance_of(config: dict) -> float:
    """"As accurate as the baseline": the one tolerance of the thesis (comparison.max_accuracy_drop_points),
    as a fraction."""
    return config["comparison"]["max_accuracy_drop_points"] / 100


def baseline_row(summary: pd.DataFrame) -> pd.Series:
    return summary[summary["method"] == "baseline"].iloc[0]


def rows_of(summary: pd.DataFrame, method: str) -> pd.DataFrame:
    return summary[summary["method"] == method]


def within_tolerance(summary: pd.DataFrame, rows: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """`rows` whose validation accuracy is at most `tolerance` (a fraction) below the baseline's."""
    return rows[rows["validation_accuracy"] >= baseline_row(summary)["validation_accuracy"] - tolerance]


def representative_variants(summary: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per method, the variant stored smallest among those within `tolerance` of the baseline's
    validation accuracy (the most accurate on validation if none is); classifier artefacts only (the ef
    single layers are no models)."""
    chosen = [baseline_row(summary)]
    for method in summary["method"].unique():
        if method == "baseline":
            continue
        rows = rows_of(summary, method).dropna(subset=["test_accuracy"])
        good = within_tolerance(summary, rows, tolerance)
        chosen.append(good.sort_values(["stored_bytes", "latency_median_ms"]).iloc[0] if len(good)
                      else rows.sort_values("validation_accuracy", ascending=False).iloc[0])
    return pd.DataFrame(chosen)
