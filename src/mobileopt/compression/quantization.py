"""Quantisation of the baseline (beyond the draft): TFLite post-training quantisation and QAT.

Four post-training formats of the trained baseline, all from the TFLite converter:

* float32: the reference (what the generic conversion makes);
* dynamic_range: int8 weights with a per-channel scale, float activations; the kernels dequantise or
  quantise activations on the fly (no calibration data needed);
* float16: half-precision weights, expanded to float32 when the model is loaded;
* int8: weights and activations int8 with int8 input and output, the integer-only scheme of Jacob et al.
  (2018), r = S (q - Z); activation ranges come from a representative data set (training images).

Quantisation-aware training (TFMOT `quantize_model`) inserts fake-quantisation nodes that round weights
and activations to int8 in the forward pass while the backward pass sees the identity (straight-through
estimator); fine-tuned from the baseline, it is converted to the same int8 format.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401
from mobileopt.compression import variants


def representative_images(arrays: dict, count: int) -> np.ndarray:
    """The first `count` training images: calibration data, never the test set."""
    if count < 1:
        raise ValueError(f"the representative data set needs at least one image, got {count}")
    return arrays["train_images"][:count]


def post_training_options(fmt: str):
    from mobileopt.compression.tflite import ConversionOptions

    if fmt not in variants.QUANTIZATION_FORMATS:
        raise ValueError(f"unknown post-training format {fmt!r}; use one of {variants.QUANTIZATION_FORMATS}")
    return ConversionOptions(weights=fmt, integer_io=fmt == "int8")


def quantization_aware_model(model):
    """`model` with TFMOT's default 8-bit fake quantisation (weights per channel, activations per tensor)."""
    import tensorflow_model_optimization as tfmot

    return tfmot.quantization.keras.quantize_model(model)


def run_quantization(config: dict, baseline_path: str | Path, data_path: str | Path, out_dir: str | Path,
                     tflite_dir: str | Path, threads: int) -> list[dict]:
    import tf_keras as keras

    from mobileopt.compression import tflite
    from mobileopt.compression import training as ft
    from mobileopt.core import training

    arrays, fine_tune = ft.prepare_fine_tuning(config, data_path, threads)
    section = config["compression"]["quantization"]
    calibration = representative_images(arrays, section["representative_images"])
    baseline = ft.load_baseline(baseline_path)
    out_dir, tflite_dir = Path(out_dir), Path(tflite_dir)
    records = []
    for fmt in variants.QUANTIZATION_FORMATS:
        flatbuffer = tflite.convert(baseline, post_training_options(fmt), calibration)
        records.append(tflite.write_artefact(flatbuffer, tflite_dir / f"{fmt}.tflite", out_dir / f"{fmt}.json",
                                             arrays, threads, method="quantization", model="baseline",
                                             format=fmt.replace("_", " ")))
    if section["quantization_aware_training"]:
        keras.utils.set_random_seed(config["seed"])
        model = quantization_aware_model(baseline)
        frame, seconds, images = ft.fine_tune(model, arrays, fine_tune)
        metrics = ft.describe_model(baseline, arrays, config["seed"], threads, seconds, frame, fine_tune, images)
        # The cost model counts the plain layers inside the quantisation wrappers (same counts as the
        # baseline); accuracy is the fake-quantised model's own.
        metrics.update(training.evaluate_classifier(model, arrays))
        ft.save_variant(model, frame, metrics, out_dir / "qat")
        flatbuffer = tflite.convert(model, post_training_options("int8"), calibration)
        records.append(tflite.write_artefact(flatbuffer, tflite_dir / "qat_int8.tflite", out_dir / "qat_int8.json",
                                             arrays, threads, method="quantization", model="qat",
                                             format="int8 (QAT)"))
    return records
