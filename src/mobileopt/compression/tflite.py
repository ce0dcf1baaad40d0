"""TFLite artefacts of compressed models: conversion, stored size and LiteRT test accuracy.

Every compressed variant of the compression topic ends as a .tflite file that the LiteRT benchmark runs;
this module makes that file and measures what the thesis reports about it:

* `convert`: the TFLite converter with the options a method needs (sparse encoding, quantisation);
* `gzip_bytes`: the size after generic compression (gzip -9, no timestamp, so it is reproducible),
  which is what an app store download or an over-the-air update transfers;
* `litert_accuracy`: test accuracy of the .tflite itself, run image by image (batch 1, as on a phone) in
  the LiteRT interpreter: quantised models are judged by what they compute, not by their Keras source.
"""
from __future__ import annotations

import base64

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401  (legacy Keras before TensorFlow loads)
from mobileopt.core import artifacts


@dataclass(frozen=True)
class ConversionOptions:
    """What the converter is asked to do beyond a float32 model.

    sparse: store pruned weight tensors in TFLite's sparse format (tf.lite.Optimize.EXPERIMENTAL_SPARSITY).
    weights: 'float32', 'dynamic_range' (int8 weights, float activations), 'float16' (half-precision
      weights) or 'int8' (weights and activations, from a representative data set).
    integer_io: with 'int8', the model's input and output are int8 too (no float at either end).
    """
    sparse: bool = False
    weights: str = "float32"
    integer_io: bool = False

    def __post_init__(self):
        if self.weights not in ("float32", "dynamic_range", "float16", "int8"):
            raise ValueError(f"unknown weight format {self.weights!r}; use float32, dynamic_range, "
                             "float16 or int8")
        if self.integer_io and self.weights != "int8":
            raise ValueError("integer_io needs weights='int8' (only a fully quantised model has int8 I/O)")


def convert(model, options: ConversionOptions = ConversionOptions(),
            representative_images: np.ndarray | None = None) -> bytes:
    """Keras model -> TFLite flatbuffer. `representative_images` (uint8, N x 28 x 28): calibration set
    that fixes the int8 activation ranges; the converter requires it for weights='int8' (also for a
    quantisation-aware model, whose fake-quantisation nodes already carry ranges)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    optimizations = []
    if options.sparse:
        optimizations.append(tf.lite.Optimize.EXPERIMENTAL_SPARSITY)
    if options.weights != "float32":
        optimizations.append(tf.lite.Optimize.DEFAULT)
    converter.optimizations = optimizations
    if options.weights == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if options.weights == "int8":
        if representative_images is not None:
            converter.representative_dataset = _representative_dataset(representative_images)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if options.integer_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
    return converter.convert()


def _representative_dataset(images: np.ndarray):
    from mobileopt.core.training import to_model_input

    inputs = to_model_input(images)

    def generate():
        for index in range(len(inputs)):
            yield [inputs[index:index + 1]]
    return generate


def gzip_bytes(data: bytes) -> int:
    """Size after gzip -9 (mtime 0: the same input always gives the same number)."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def interpreter(flatbuffer: bytes, threads: int = 1):
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_content=flatbuffer, num_threads=threads)
    runner.allocate_tensors()
    return runner


def op_names(flatbuffer: bytes) -> list[str]:
    """The operators of the model in execution order (e.g. DENSIFY shows a sparse tensor made dense)."""
    from ai_edge_litert.interpreter import Interpreter

    return [op["op_name"] for op in Interpreter(model_content=flatbuffer)._get_ops_details()]


def litert_predictions(flatbuffer: bytes, images: np.ndarray, threads: int = 1, batch_size: int = 1) -> np.ndarray:
    """Class predictions of a TFLite classifier for uint8 images, `batch_size` images per invocation
    (1 by default, as on a phone; the last batch may be smaller).

    An int8 input is quantised with the model's own scale and zero point, exactly as an app would.
    """
    from mobileopt.core.training import to_model_input

    runner = interpreter(flatbuffer, threads)
    source, target = runner.get_input_details()[0], runner.get_output_details()[0]
    inputs = to_model_input(images)
    if np.issubdtype(source["dtype"], np.integer):
        scale, zero_point = source["quantization"]
        info = np.iinfo(source["dtype"])
        inputs = np.clip(np.round(inputs / scale + zero_point), info.min, info.max).astype(source["dtype"])
    predictions = np.empty(len(inputs), dtype=np.int64)
    current = 1
    for start in range(0, len(inputs), batch_size):
        batch = inputs[start:start + batch_size]
        if len(batch) != current:
            runner.resize_tensor_input(source["index"], [len(batch), *inputs.shape[1:]])
            runner.allocate_tensors()
            current = len(batch)
        runner.set_tensor(source["index"], batch)
        runner.invoke()
        # argmax of int8 logits equals argmax of the dequantised ones (the scale is positive).
        predictions[start:start + len(batch)] = np.argmax(runner.get_tensor(target["index"]), axis=-1)
    return predictions


def litert_accuracy(flatbuffer: bytes, images: np.ndarray, labels: np.ndarray, threads: int = 1,
                    batch_size: int = 1) -> float:
    return float(np.mean(litert_predictions(flatbuffer, images, threads, batch_size) == labels))


def encode_correct(correct: np.ndarray) -> str:
    """Which test images a model got right, as base64 bit-packed bytes (1.7 KB for 10,000 images): what
    the significance verdicts pair between two models (mobileopt.core.significance)."""
    return base64.b64encode(np.packbits(np.asarray(correct, dtype=bool)).tobytes()).decode("ascii")


def decode_correct(text: str, images: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(base64.b64decode(text), dtype=np.uint8), count=images).astype(bool)


def describe(flatbuffer: bytes, arrays: dict | None, threads: int = 1, batch_size: int = 1) -> dict:
    """What the thesis reports about one .tflite: sizes, operators, LiteRT test accuracy and accuracy
    on the selection images (only for a classifier of the data set: `arrays` None skips them, e.g. for
    a single layer)."""
    record = {"tflite_bytes": len(flatbuffer), "gzip_bytes": gzip_bytes(flatbuffer),
              "ops": op_names(flatbuffer)}
    if arrays is not None:
        correct = litert_predictions(flatbuffer, arrays["test_images"], threads, batch_size) == arrays["test_labels"]
        record["litert_test_accuracy"] = float(np.mean(correct))
        record["litert_test_correct"] = encode_correct(correct)
        record["litert_validation_accuracy"] = litert_accuracy(flatbuffer, arrays["selection_images"],
                                                               arrays["selection_labels"], threads, batch_size)
        record["litert_batch_size"] = batch_size
        record["test_images"] = int(len(arrays["test_labels"]))
    return record


def write_artefact(flatbuffer: bytes, tflite_path: str | Path, record_path: str | Path, arrays: dict | None,
                   threads: int = 1, batch_size: int = 1, **extra) -> dict:
    """Write the .tflite and its record (sizes, ops, LiteRT accuracy, plus `extra`) atomically."""
    record = {**describe(flatbuffer, arrays, threads, batch_size), **extra}
    artifacts.atomic_write_bytes(tflite_path, flatbuffer)
    artifacts.write_json(record_path, record)
    return record
