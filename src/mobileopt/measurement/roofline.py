"""The roofline model [WWP09] of this machine: its peak arithmetic rate and memory bandwidth, and
where models and layer types sit under them.

Attainable FLOP/s = min(peak FLOP/s, bandwidth x arithmetic intensity), with the intensity in
FLOP per byte moved to and from memory. FLOPs are 2 x multiply-adds (mobileopt.measurement.cost_model).

Bytes moved by a weight layer are estimated as its float32 weights plus its input and output
activations, each read or written once (elementwise layers are fused into the convolutions by the
TFLite converter, and nothing is assumed to stay in cache between layers). A dense layer on one
image reads every weight for one multiply-add, a depthwise layer does 9 multiply-adds per input value
in 3 x 3: both have low intensity and are bandwidth-bound, while a 3 x 3 convolution with many
channels reuses each value hundreds of times.

Measure the machine (what rule zoo_machine runs, once per thread count):
    python -m mobileopt.measurement.roofline --threads 1 --out machine_threads1.json
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

import mobileopt  # noqa: F401

FLOAT32_BYTES = 4
LAYER_KINDS = ("spatial convolution", "pointwise convolution", "depthwise convolution",
               "separable convolution", "dense")


# --- the machine ----------------------------------------------------------------------------------


def measure_peak_flops(threads: int, size: int = 2048, repeats: int = 10) -> float:
    """FLOP/s of a large float32 matrix product in TensorFlow on `threads` threads (best of
    `repeats`)."""
    import tensorflow as tf

    from mobileopt.core.runtime import configure_tensorflow

    configure_tensorflow(0, threads)
    a = tf.random.uniform((size, size), dtype=tf.float32)
    b = tf.random.uniform((size, size), dtype=tf.float32)
    tf.linalg.matmul(a, b).numpy()  # warm up (kernel selection, page faults)
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best


def measure_litert_peak_flops(threads: int, size: int = 1024, repeats: int = 10) -> dict[str, float]:
    """FLOP/s of LiteRT's (XNNPACK's) best-tuned kernels on float32: a size x size x size matrix
    product and a 3 x 3 convolution with 128 channels on 56 x 56 (fastest run of `repeats`). They can
    beat TensorFlow's kernels on the same core, so they count for the compute roof too."""
    import tempfile
    from pathlib import Path

    import tf_keras as keras

    from mobileopt.measurement.litert_benchmark import benchmark
    from mobileopt.measurement.tflite_export import convert_to_tflite

    matrix = keras.Input((size, size))  # `size` rows through a size -> size layer: one GEMM
    image = keras.Input((56, 56, 128))
    kernels = {
        "litert_matmul_flops": (keras.Model(matrix, keras.layers.Dense(size, use_bias=False)(matrix)),
                                size**3),
        "litert_conv_flops": (keras.Model(image, keras.layers.Conv2D(128, 3, padding="same",
                                                                     use_bias=False)(image)),
                              56 * 56 * 128 * 9 * 128),
    }
    rates = {}
    with tempfile.TemporaryDirectory() as workdir:
        for name, (model, multiply_adds) in kernels.items():
            path = Path(workdir) / f"{name}.tflite"
            path.write_bytes(convert_to_tflite(model))
            result = benchmark(path, threads, warmup=2, runs=repeats)
            rates[name] = 2 * multiply_adds / (result["min_ms"] / 1e3)
    return rates


def measure_bandwidth(megabytes: float = 256, repeats: int = 10) -> float:
    """Bytes/s of an array copy (STREAM 'copy': read + write counted, best of `repeats`). With
    arrays far beyond the last-level cache this is the memory bandwidth; with arrays that fit in it,
    the cache's. NumPy copies on one thread, as the 1-thread interpreter does."""
    elements = int(megabytes * 2**20) // FLOAT32_BYTES
    source = np.ones(elements, dtype=np.float32)
    target = np.zeros_like(source)
    np.copyto(target, source)  # touch every page first
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - started)
    return 2 * source.nbytes / best


def measure_litert_stream(megabytes: float = 64, repeats: int = 10) -> float:
    """Bytes/s at which LiteRT streams the float32 weights of a dense layer larger than the caches,
    applied to one vector (one multiply-add per weight): the interpreter's own read bandwidth, which
    a copy understates (a copy also reads its destination into the cache). Keep it moderate: with
    256 MB of weights this LiteRT build falls back to a far slower kernel."""
    import tempfile
    from pathlib import Path

    import tf_keras as keras

    from mobileopt.measurement.litert_benchmark import benchmark
    from mobileopt.measurement.tflite_export import convert_to_tflite

    side = int(math.sqrt(megabytes * 2**20 / FLOAT32_BYTES))
    inputs = keras.Input((side,))
    model = keras.Model(inputs, keras.layers.Dense(side, use_bias=False)(inputs))
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "stream.tflite"
        path.write_bytes(convert_to_tflite(model))
        result = benchmark(path, 1, warmup=2, runs=repeats)
    return FLOAT32_BYTES * (side * side + 2 * side) / (result["min_ms"] / 1e3)


def measure_machine(threads: int, matrix_size: int = 2048, memory_megabytes: float = 256,
                    cache_megabytes: float = 4, stream_megabytes: float = 64, repeats: int = 10) -> dict:
    """The roofs: peak FLOP/s (the best of TensorFlow's matrix product and LiteRT's matrix product
    and convolution), the memory bandwidth (the better of a copy and LiteRT streaming a large dense
    layer) and the copy bandwidth of the last-level cache."""
    from mobileopt.measurement.litert_benchmark import machine_info

    rates = {"tensorflow_matmul_flops": measure_peak_flops(threads, matrix_size, repeats),
             **measure_litert_peak_flops(threads, matrix_size // 2, repeats)}
    bandwidths = {"copy_bytes_per_s": measure_bandwidth(memory_megabytes, repeats),
                  "litert_stream_bytes_per_s": measure_litert_stream(stream_megabytes, repeats)}
    return {"threads": threads, "peak_flops": max(rates.values()), **rates,
            "bandwidth_bytes_per_s": max(bandwidths.values()), **bandwidths,
            "cache_bandwidth_bytes_per_s": measure_bandwidth(cache_megabytes, 10 * repeats),
            "matrix_size": matrix_size, "memory_megabytes": memory_megabytes,
            "cache_megabytes": cache_megabytes, "stream_megabytes": stream_megabytes,
            "repeats": repeats, "machine": machine_info()}


def attainable_flops(intensity, peak_flops: float, bandwidth: float):
    """The roof: min(peak, bandwidth x intensity), elementwise for arrays."""
    return np.minimum(peak_flops, bandwidth * np.asarray(intensity, dtype=float))


def ridge_intensity(peak_flops: float, bandwidth: float) -> float:
    """FLOP/byte where the roof turns flat: below it a computation is bandwidth-bound."""
    return peak_flops / bandwidth


# --- models and layers ---------------------------------------------------------------------------


def leaf_layers(model) -> list:
    """Leaf layers in cost_model.layer_costs' order (nested models flattened, inputs skipped)."""
    import tf_keras as keras

    leaves = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        leaves += leaf_layers(layer) if isinstance(layer, keras.Model) else [layer]
    return leaves


def layer_kind(layer) -> str | None:
    """Roofline category of a weight layer; None for layers without multiply-adds."""
    import tf_keras as keras

    layers = keras.layers
    if isinstance(layer, (layers.SeparableConv1D, layers.SeparableConv2D)):
        return "separable convolution"
    if isinstance(layer, (layers.DepthwiseConv1D, layers.DepthwiseConv2D)):
        return "depthwise convolution"
    if isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Conv3D)):
        return "pointwise convolution" if math.prod(layer.kernel_size) == 1 else "spatial convolution"
    if isinstance(layer, layers.Dense):
        return "dense"
    return None


def layer_traffic(model) -> pd.DataFrame:
    """One row per weight layer: kind, multiply-adds (cost model), bytes moved, intensity."""
    from mobileopt.measurement import cost_model

    rows = []
    for layer, cost in zip(leaf_layers(model), cost_model.layer_costs(model), strict=True):
        kind = layer_kind(layer)
        if kind is None or cost.multiply_adds == 0:
            continue
        inputs = math.prod(int(dim) for dim in layer.input.shape[1:])
        outputs = math.prod(int(dim) for dim in layer.output.shape[1:])
        rows.append({"name": cost.name, "layer_type": cost.layer_type, "kind": kind,
                     "multiply_adds": cost.multiply_adds,
                     "weight_bytes": FLOAT32_BYTES * cost.parameters,
                     "activation_bytes": FLOAT32_BYTES * (inputs + outputs)})
    frame = pd.DataFrame(rows, columns=["name", "layer_type", "kind", "multiply_adds", "weight_bytes",
                                        "activation_bytes"])
    frame["bytes"] = frame["weight_bytes"] + frame["activation_bytes"]
    frame["intensity"] = 2 * frame["multiply_adds"] / frame["bytes"]
    return frame


def intensity_by_kind(traffic: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a layer_traffic table (several models allowed) per layer kind: total FLOPs over
    total bytes, and the kind's share of the multiply-adds."""
    grouped = traffic.groupby("kind")[["multiply_adds", "bytes"]].sum()
    grouped["intensity"] = 2 * grouped["multiply_adds"] / grouped["bytes"]
    grouped["share_of_multiply_adds"] = grouped["multiply_adds"] / grouped["multiply_adds"].sum()
    order = [kind for kind in LAYER_KINDS if kind in grouped.index]
    return grouped.loc[order].reset_index()


# --- single-layer probes -------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerProbe:
    """One layer as it occurs in a zoo model, timed alone to place its layer kind on the roofline."""
    name: str
    kind: str
    source: str  # where the shape comes from
    input_shape: tuple
    layer: str  # Conv2D, DepthwiseConv2D or Dense
    filters: int = 0  # output channels / units (Conv2D, Dense)
    kernel_size: int = 1


PROBES = (
    LayerProbe("conv3x3_56x56x64", "spatial convolution", "ResNet-34 conv2_x", (56, 56, 64),
               "Conv2D", 64, 3),
    LayerProbe("conv3x3_28x28x128", "spatial convolution", "ResNet-50 conv3_x", (28, 28, 128),
               "Conv2D", 128, 3),
    LayerProbe("conv1x1_56x56x24_144", "pointwise convolution", "MobileNetV2 expansion",
               (56, 56, 24), "Conv2D", 144, 1),
    LayerProbe("conv1x1_28x28x128_512", "pointwise convolution", "ResNet-50 expansion",
               (28, 28, 128), "Conv2D", 512, 1),
    LayerProbe("depthwise3x3_112x112x32", "depthwise convolution", "MobileNet block 1",
               (112, 112, 32), "DepthwiseConv2D", 0, 3),
    LayerProbe("depthwise3x3_56x56x144", "depthwise convolution", "MobileNetV2 block 2",
               (56, 56, 144), "DepthwiseConv2D", 0, 3),
    LayerProbe("dense_4096x4096", "dense", "VGG16 fc2", (4096,), "Dense", 4096),
    LayerProbe("dense_2048x1000", "dense", "ResNet-50 fc", (2048,), "Dense", 1000),
)


def build_probe(probe: LayerProbe):
    import tf_keras as keras

    layers = keras.layers
    inputs = keras.Input(probe.input_shape)
    if probe.layer == "Conv2D":
        layer = layers.Conv2D(probe.filters, probe.kernel_size, padding="same", name=probe.name)
    elif probe.layer == "DepthwiseConv2D":
        layer = layers.DepthwiseConv2D(probe.kernel_size, padding="same", name=probe.name)
    elif probe.layer == "Dense":
        layer = layers.Dense(probe.filters, name=probe.name)
    else:
        raise ValueError(f"probe layer must be Conv2D, DepthwiseConv2D or Dense, got {probe.layer!r}")
    return keras.Model(inputs, layer(inputs), name=probe.name)


def time_probes(probes, threads: int, warmup: int, runs: int, workdir) -> pd.DataFrame:
    """Convert each probe to TFLite and time it with the LiteRT benchmark; one row per probe."""
    from pathlib import Path

    from mobileopt.core import artifacts
    from mobileopt.measurement.litert_benchmark import benchmark
    from mobileopt.measurement.tflite_export import convert_to_tflite

    rows = []
    for probe in probes:
        model = build_probe(probe)
        traffic = layer_traffic(model).iloc[0]
        path = Path(workdir) / f"{probe.name}.tflite"
        artifacts.atomic_write_bytes(path, convert_to_tflite(model))
        result = benchmark(path, threads, warmup, runs)
        rows.append({"probe": probe.name, "kind": probe.kind, "source": probe.source,
                     "input_shape": "x".join(map(str, probe.input_shape)),
                     "multiply_adds": int(traffic["multiply_adds"]), "bytes": int(traffic["bytes"]),
                     "intensity": float(traffic["intensity"]), "threads": threads,
                     "median_ms": result["median_ms"], "p90_ms": result["p90_ms"],
                     "attained_flops": 2 * traffic["multiply_adds"] / (result["median_ms"] / 1e3)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Measure peak FLOP/s and memory bandwidth.")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--matrix-size", type=int, default=2048)
    parser.add_argument("--memory-megabytes", type=float, default=256,
                        help="copy size far beyond the last-level cache")
    parser.add_argument("--cache-megabytes", type=float, default=4,
                        help="copy size that fits in the last-level cache (source + target)")
    parser.add_argument("--stream-megabytes", type=float, default=64,
                        help="weights of the dense layer LiteRT streams (beyond the last-level cache)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    if min(args.threads, args.matrix_size, args.memory_megabytes, args.cache_megabytes,
           args.stream_megabytes, args.repeats) <= 0:
        parser.error("all arguments must be positive")
    from mobileopt.core import artifacts

    result = measure_machine(args.threads, args.matrix_size, args.memory_megabytes,
                             args.cache_megabytes, args.stream_megabytes, args.repeats)
    artifacts.write_json(args.out, result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
