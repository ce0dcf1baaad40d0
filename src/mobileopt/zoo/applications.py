"""The model zoo of RQ1/RQ2: well-known ImageNet classifiers from tf_keras.applications with random
weights (latency does not depend on the weights' values), their cost, and their TFLite conversion.

Rule zoo_convert runs ``convert_and_count`` once per model; LiteRT times the .tflite with the same
stand-alone script as every other model (src/mobileopt/measurement/litert_benchmark.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mobileopt  # noqa: F401

from mobileopt.core import artifacts


@dataclass(frozen=True)
class ZooModel:
    name: str  # wildcard: lower case and underscores
    application: str  # constructor in tf_keras.applications
    display: str  # as the papers name it
    native_size: int  # input side the model was designed and published for
    year: int
    citation: str  # BibTeX key in thesis/references.bib, "" if the thesis has none
    authors: str  # for models without a BibTeX entry


ZOO = {model.name: model for model in (
    ZooModel("vgg16", "VGG16", "VGG16", 224, 2014, "SZ14", "Simonyan and Zisserman"),
    ZooModel("resnet50", "ResNet50", "ResNet-50", 224, 2015, "HZRS15", "He et al."),
    ZooModel("inception_v3", "InceptionV3", "Inception-v3", 299, 2015, "SVI16", "Szegedy et al."),
    ZooModel("mobilenet", "MobileNet", "MobileNet", 224, 2017, "HZC17", "Howard et al."),
    ZooModel("mobilenet_v2", "MobileNetV2", "MobileNetV2", 224, 2018, "SHZ18", "Sandler et al."),
    ZooModel("mobilenet_v3_small", "MobileNetV3Small", "MobileNetV3-Small", 224, 2019, "HSC19",
             "Howard et al."),
    ZooModel("efficientnet_b0", "EfficientNetB0", "EfficientNet-B0", 224, 2019, "TL19", "Tan and Le"),
)}


def reference_tex(name: str) -> str:
    """'ResNet-50~\\citep{HZRS15}', or 'MobileNetV2 (Sandler et al., 2018)' without a BibTeX entry."""
    entry = zoo_model(name)
    if entry.citation:
        return f"{entry.display}~\\citep{{{entry.citation}}}"
    return f"{entry.display} ({entry.authors}, {entry.year})"


def zoo_model(name: str) -> ZooModel:
    if name not in ZOO:
        raise KeyError(f"unknown zoo model {name!r}; known: {sorted(ZOO)}")
    return ZOO[name]


def input_side(name: str, input_size: int | None) -> int:
    """The configured side, or the model's native one when the config says null."""
    return zoo_model(name).native_size if input_size is None else int(input_size)


def build_zoo_model(name: str, input_size: int | None = None):
    """The model with random weights on a fixed (input_size x input_size x 3) input.

    A fixed input shape is needed by the cost model (static shapes) and gives the converter one
    fixed-size graph; MobileNetV3 leaves the spatial size open without it.
    """
    import tf_keras as keras

    side = input_side(name, input_size)
    constructor = getattr(keras.applications, zoo_model(name).application)
    return constructor(weights=None, input_shape=(side, side, 3))


def model_record(name: str, model, input_size: int | None) -> dict:
    """Parameters, multiply-adds and the estimated bytes one inference moves (mobileopt.measurement.roofline)."""
    from mobileopt.measurement import roofline

    traffic = roofline.layer_traffic(model)
    entry = zoo_model(name)
    return {
        "model": name, "display": entry.display, "year": entry.year, "citation": entry.citation,
        "input_size": input_side(name, input_size), "native_size": entry.native_size,
        "parameters": int(model.count_params()),
        "multiply_adds": int(traffic["multiply_adds"].sum()),
        "weight_bytes": int(traffic["weight_bytes"].sum()),
        "activation_bytes": int(traffic["activation_bytes"].sum()),
        "weight_layers": int(len(traffic)),
    }


def convert_and_count(name: str, input_size: int | None, tflite_path: str | Path,
                      record_path: str | Path, layers_path: str | Path) -> dict:
    """Build the model, write its float32 TFLite file, its cost record and its per-layer traffic."""
    from mobileopt.measurement import roofline
    from mobileopt.measurement.tflite_export import convert_to_tflite

    model = build_zoo_model(name, input_size)
    layer_table = roofline.layer_traffic(model)
    record = model_record(name, model, input_size)
    flatbuffer = convert_to_tflite(model)
    artifacts.atomic_write_bytes(tflite_path, flatbuffer)
    record["tflite_bytes"] = len(flatbuffer)
    artifacts.atomic_write_text(layers_path, layer_table.assign(model=name).to_csv(index=False))
    artifacts.write_json(record_path, record)
    return record
