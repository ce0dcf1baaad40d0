"""Keras model -> TFLite flatbuffer with the TFLite converter (float32 unless told otherwise).

Usage: python -m mobileopt.measurement.tflite_export --model results/baseline/model.keras --out results/tflite/baseline.tflite
"""
from __future__ import annotations

import argparse
from pathlib import Path

import mobileopt  # noqa: F401
from mobileopt.core import artifacts


class ModelFileError(RuntimeError):
    """A model file that cannot be loaded or converted."""


def load_keras_model(path: str | Path):
    import tf_keras as keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as err:  # noqa: BLE001 (h5py, zip and deserialisation errors all mean the same)
        raise ModelFileError(f"{path}: cannot load this Keras model ({type(err).__name__}: {err}); "
                             "delete it and rerun snakemake so the rule that makes it runs again") from err


def convert_to_tflite(model) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    return converter.convert()


def export(model_path: str | Path, out_path: str | Path) -> int:
    flatbuffer = convert_to_tflite(load_keras_model(model_path))
    artifacts.atomic_write_bytes(out_path, flatbuffer)
    return len(flatbuffer)


def one_operator_model(input_shape: tuple[int, ...] = (28, 28, 1)):
    """One multiplication by a constant on a classifier-sized input: its latency is what every
    invoke() costs before any real work, the interpreter's fixed cost per call."""
    import tf_keras as keras

    inputs = keras.Input(input_shape, name="image")
    outputs = keras.layers.Lambda(lambda images: images * 2.0, name="scale")(inputs)
    return keras.Model(inputs, outputs, name="one_operator")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Convert a Keras model to a float32 TFLite model.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a saved Keras model")
    source.add_argument("--one-operator", action="store_true", help="the one-operator fixed-cost model")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if args.one_operator:
        flatbuffer = convert_to_tflite(one_operator_model())
        artifacts.atomic_write_bytes(args.out, flatbuffer)
        print(f"{args.out}: {len(flatbuffer)} bytes")
        return
    print(f"{args.out}: {export(args.model, args.out)} bytes")


if __name__ == "__main__":
    main()
