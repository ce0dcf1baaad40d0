"""Combining methods (research question 7): structural variants x number formats, as a 2-way design.

Every configured source model (the baseline, and variants that other topics trained or fine-tuned, e.g.
a channel-pruned or SVD-factorised classifier) is converted to every configured number format (float32
and int8). With the baseline in the design, each cell can be compared with what the two methods give
alone: if their effects were independent, the speed-up of "variant in int8" would be the product of the
variant's float32 speed-up and the baseline's int8 speed-up, and the accuracy change the sum of the two
changes. `interaction_frame` reports predicted and measured side by side.

Source names are "<topic path>/<model>" below results/, e.g. "compression/fisher_pruning/fisher_50" for
results/compression/fisher_pruning/fisher_50/model.keras, or "baseline". The functions above the
experiment section are plain Python: the Snakefile imports them while parsing.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from mobileopt.compression import variants as compression_variants
from mobileopt.structures.variants import variant_names

BASELINE = "baseline"
FORMATS = ("float32", "int8")


# --- names (used by the rules while parsing) ---------------------------------------------------------

def available_sources(config: dict) -> list[str]:
    """Every Keras classifier the workflow makes that a combination may start from."""
    compression = [f"compression/{method}/{model}"
                   for method, models in compression_variants.models(config).items()
                   for model in models if method not in ("quantization", "ef_operator")]
    structures = [f"structures/{variant}" for variant in variant_names(config["structures"])]
    return [BASELINE] + compression + structures


def source_label(source: str) -> str:
    """Short, file-safe name of a source: its last path component ('fisher_50', 'baseline')."""
    return source.rsplit("/", 1)[-1]


def validate_sources(config: dict) -> dict[str, str]:
    """label -> source, checked against what this config builds (a typo names the key and the choices)."""
    section = config["combination"]
    sources = section["sources"]
    known = available_sources(config)
    unknown = [source for source in sources if source not in known]
    if unknown:
        raise ValueError(f"combination.sources: {unknown} are not models this config builds; choose from "
                         f"{known}")
    if BASELINE not in sources:
        raise ValueError("combination.sources must include 'baseline': it is the reference every "
                         "combination is predicted from")
    labels = {source_label(source): source for source in sources}
    if len(labels) != len(sources):
        raise ValueError(f"combination.sources {sources}: two sources share a last path component")
    unknown_formats = sorted(set(section["formats"]) - set(FORMATS))
    if unknown_formats or "float32" not in section["formats"] or len(section["formats"]) < 2:
        raise ValueError(f"combination.formats {section['formats']} must hold float32 and at least one "
                         f"other of {FORMATS}")
    return labels


def model_path(source: str) -> str:
    return "results/baseline/model.keras" if source == BASELINE else f"results/{source}/model.keras"


def artefact_name(label: str, fmt: str) -> str:
    return f"{label}_{fmt}"


def tflite_path(label: str, fmt: str) -> str:
    return f"results/tflite/combination/{artefact_name(label, fmt)}.tflite"


def record_path(label: str, fmt: str) -> str:
    return f"results/combination/{artefact_name(label, fmt)}.json"


def latency_path(label: str, fmt: str) -> str:
    return f"results/latency/combination/{artefact_name(label, fmt)}.json"


# --- the experiment ----------------------------------------------------------------------------------

def convert_source(config: dict, source: str, data_path: str | Path, threads: int) -> list[dict]:
    """Convert one source model to every configured format; write each .tflite and its record."""
    from mobileopt.compression import tflite
    from mobileopt.measurement import cost_model
    from mobileopt.compression.quantization import post_training_options, representative_images
    from mobileopt.core.runtime import configure_tensorflow
    from mobileopt.measurement.tflite_export import load_keras_model
    from mobileopt.core.training import load_configured_dataset

    configure_tensorflow(config["seed"], threads)
    arrays = load_configured_dataset(config, data_path)
    model = load_keras_model(model_path(source))
    calibration = representative_images(arrays, config["combination"]["representative_images"])
    label = source_label(source)
    records = []
    for fmt in config["combination"]["formats"]:
        flatbuffer = tflite.convert(model, post_training_options(fmt), calibration)
        records.append(tflite.write_artefact(
            flatbuffer, tflite_path(label, fmt), record_path(label, fmt), arrays, threads,
            source=source, label=label, format=fmt, parameters=cost_model.count_parameters(model),
            multiply_adds=cost_model.count_multiply_adds(model)))
    return records


# --- analysis ----------------------------------------------------------------------------------------

def combination_frame(records: list[dict], latencies: list[dict]) -> pd.DataFrame:
    """One row per (source, format): accuracy, cost, size and latency, in records' order."""
    rows = [{"source": record["source"], "label": record["label"], "format": record["format"],
             "key": f"combination/{artefact_name(record['label'], record['format'])}",
             "test_accuracy": record["litert_test_accuracy"],
             "validation_accuracy": record["litert_validation_accuracy"], "parameters": record["parameters"],
             "multiply_adds": record["multiply_adds"], "tflite_bytes": record["tflite_bytes"],
             "latency_median_ms": latency["median_ms"], "latency_p90_ms": latency["p90_ms"]}
            for record, latency in zip(records, latencies, strict=True)]
    return pd.DataFrame(rows)


def interaction_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """For every non-baseline source in every non-float32 format: measured against predicted.

    Predicted speed-up = float32 speed-up of the source x the baseline's speed-up in that format
    (independent effects multiply); predicted accuracy change = sum of the two changes; likewise the
    size ratio is the product of the two ratios.
    """
    cell = frame.set_index(["label", "format"])
    reference = cell.loc[(BASELINE, "float32")]

    def speedup(row):
        return reference["latency_median_ms"] / row["latency_median_ms"]

    def points(row):
        return 100 * (row["test_accuracy"] - reference["test_accuracy"])

    def size(row):
        return row["tflite_bytes"] / reference["tflite_bytes"]

    rows = []
    for (label, fmt), row in cell.iterrows():
        if label == BASELINE or fmt == "float32":
            continue
        structural, numeric = cell.loc[(label, "float32")], cell.loc[(BASELINE, fmt)]
        rows.append({
            "source": row["source"], "label": label, "format": fmt,
            "structural_speedup": speedup(structural), "format_speedup": speedup(numeric),
            "predicted_speedup": speedup(structural) * speedup(numeric), "measured_speedup": speedup(row),
            "structural_points": points(structural), "format_points": points(numeric),
            "predicted_points": points(structural) + points(numeric), "measured_points": points(row),
            "predicted_size_ratio": size(structural) * size(numeric), "measured_size_ratio": size(row),
        })
    result = pd.DataFrame(rows)
    if len(result):
        result["speedup_efficiency"] = result["measured_speedup"] / result["predicted_speedup"]
    return result
