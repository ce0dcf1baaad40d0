"""Sparse versus dense matrix products at the shapes of the Table 2.2 classifier (section 2.2.1).

The 2017 draft did not try pruned weights in TensorFlow because the documentation of
`tf.sparse.sparse_dense_matmul` advises a dense product above "approximately 15%" density. This module
measures where the sparse product actually becomes faster on this machine:

* TensorFlow: `tf.sparse.sparse_dense_matmul(W, X)` against `tf.matmul(W, X)`, with W the layer's
  weights as an [outputs x inputs] matrix at a given density (random positions, as unstructured pruning
  leaves them) and X its input: for a convolution the im2col matrix [k*k*C_in x positions * batch], so the
  product has positions x batch columns; for a fully connected layer one column per image.
* LiteRT: a model of one fully connected layer, converted with and without the converter's sparse
  encoding. LiteRT's only sparse float kernel is FULLY_CONNECTED with 1x4 blocks; for other patterns
  (and for every convolution) the converter inserts DENSIFY and the dense kernel runs.

Each timing is the median over repeated calls of a compiled function (at least `min_repeats`, at most
`seconds_per_point` of calls). Calls carry a fixed dispatch overhead that does not depend on the
density; it shifts both curves equally and so does not move their crossing, the break-even density.
"""
from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import mobileopt  # noqa: F401

DOCUMENTED_BREAK_EVEN = 0.15  # tf.sparse.sparse_dense_matmul documentation: "approximately 15%"
TFLITE_BLOCK = 4  # LiteRT's sparse FULLY_CONNECTED kernel: blocks of 1 x 4 consecutive inputs


@dataclass(frozen=True)
class MatmulShape:
    """A weight layer as the matrix product W [rows x inner] @ X [inner x positions * batch]."""
    layer: str
    rows: int  # output channels / units
    inner: int  # k*k*C_in, or input features
    positions: int  # output positions per image (1 for a fully connected layer)

    @property
    def fully_connected(self) -> bool:
        return self.positions == 1


@dataclass(frozen=True)
class KernelTimingSettings:
    densities: tuple[float, ...]
    batch_sizes: tuple[int, ...]
    threads: int
    min_repeats: int
    seconds_per_point: float
    litert_runs: int
    stop_ratio: float  # stop a TensorFlow density sweep once sparse is this many times slower

    @classmethod
    def from_config(cls, section: dict) -> "KernelTimingSettings":
        return cls(densities=tuple(sorted(section["densities"])), batch_sizes=tuple(section["batch_sizes"]),
                   threads=section["threads"], min_repeats=section["min_repeats"],
                   seconds_per_point=section["seconds_per_point"], litert_runs=section["litert_runs"],
                   stop_ratio=section["stop_ratio"])


def classifier_shapes(model) -> list[MatmulShape]:
    """The matrix-product shape of every Conv2D and Dense layer of `model` (one image)."""
    import tf_keras as keras

    shapes = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and type(layer) is keras.layers.Conv2D:
            kernel_h, kernel_w, channels_in, channels_out = layer.kernel.shape
            out_h, out_w = layer.output.shape[1:3]
            shapes.append(MatmulShape(layer.name, int(channels_out), int(kernel_h * kernel_w * channels_in),
                                      int(out_h * out_w)))
        elif isinstance(layer, keras.layers.Dense):
            inner, units = layer.kernel.shape
            shapes.append(MatmulShape(layer.name, int(units), int(inner), 1))
    return shapes


def sparse_weights(rows: int, inner: int, density: float, rng: np.random.Generator, block: int = 1) -> np.ndarray:
    """A [rows x inner] matrix with exactly round(density * size) non-zeros (in whole blocks of `block`
    consecutive inputs), at random positions."""
    if not 0.0 < density <= 1.0:
        raise ValueError(f"density must lie in (0, 1], got {density}")
    if inner % block:
        raise ValueError(f"{inner} inputs do not split into blocks of {block}")
    blocks = rows * inner // block
    kept = max(1, int(round(density * blocks)))
    mask = np.zeros(blocks, dtype=bool)
    mask[rng.choice(blocks, size=kept, replace=False)] = True
    mask = np.repeat(mask, block).reshape(rows, inner)
    values = rng.standard_normal((rows, inner)).astype(np.float32)
    return np.where(mask, values, np.float32(0.0))


def interleaved_medians(functions: dict, min_repeats: int, seconds: float) -> dict[str, float]:
    """Median seconds per call of each function, calling them in turn (dense, sparse, dense, ...) so that
    a slow drift of the machine (other processes, clock) affects both alike."""
    for function in functions.values():  # warm-up: first calls allocate
        function()
    times = {name: [] for name in functions}
    started = time.perf_counter()
    while min(map(len, times.values())) < min_repeats or time.perf_counter() - started < seconds:
        for name, function in functions.items():
            begin = time.perf_counter_ns()
            function()
            times[name].append(time.perf_counter_ns() - begin)
        if len(times[name]) >= 10000:
            break
    return {name: float(np.median(values)) / 1e9 for name, values in times.items()}


def time_tensorflow(shape: MatmulShape, batch: int, density: float, settings: KernelTimingSettings,
                    rng: np.random.Generator) -> list[dict]:
    """Dense and sparse TensorFlow products at one density; checks that both give the same result."""
    import tensorflow as tf

    weights = sparse_weights(shape.rows, shape.inner, density, rng)
    inputs = tf.constant(rng.random((shape.inner, shape.positions * batch), dtype=np.float32))
    dense_w, sparse_w = tf.constant(weights), tf.sparse.from_dense(weights)
    dense = tf.function(lambda: tf.matmul(dense_w, inputs)).get_concrete_function()
    sparse = tf.function(lambda: tf.sparse.sparse_dense_matmul(sparse_w, inputs)).get_concrete_function()
    np.testing.assert_allclose(sparse().numpy(), dense().numpy(), rtol=1e-3, atol=1e-3)
    row = dict(engine="tensorflow", layer=shape.layer, batch=batch, rows=shape.rows, inner=shape.inner,
               columns=shape.positions * batch, pattern="unstructured",
               density=float(np.count_nonzero(weights) / weights.size), target_density=density)
    medians = interleaved_medians({"dense": dense, "sparse": sparse}, settings.min_repeats,
                                  settings.seconds_per_point)
    return [dict(row, implementation=name, median_us=1e6 * value) for name, value in medians.items()]


def time_tensorflow_densities(shape: MatmulShape, batch: int, settings: KernelTimingSettings,
                              rng: np.random.Generator) -> list[dict]:
    """All densities of one shape, lowest first; stops once the sparse product is `stop_ratio` times
    slower than the dense one (it only gets slower with density, and such points take the most time)."""
    rows = []
    for density in settings.densities:
        pair = time_tensorflow(shape, batch, density, settings, rng)
        rows += pair
        times = {row["implementation"]: row["median_us"] for row in pair}
        if times["sparse"] > settings.stop_ratio * times["dense"]:
            break
    return rows


def fully_connected_model(weights: np.ndarray):
    """One Dense layer (no bias) with the given [rows x inner] weights, as a Keras model."""
    import tf_keras as keras

    rows, inner = weights.shape
    inputs = keras.Input((inner,), name="features")
    layer = keras.layers.Dense(rows, use_bias=False, name="fc")
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights([weights.T])
    return model


def time_litert(flatbuffer: bytes, settings: KernelTimingSettings) -> float:
    """Median LiteRT latency (microseconds) of a .tflite with the project's benchmark script."""
    from mobileopt.measurement import litert_benchmark

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "model.tflite"
        path.write_bytes(flatbuffer)
        result = litert_benchmark.benchmark(path, settings.threads, warmup=20, runs=settings.litert_runs)
    return 1e3 * result["median_ms"]


def time_litert_fully_connected(shape: MatmulShape, settings: KernelTimingSettings,
                                rng: np.random.Generator) -> list[dict]:
    """LiteRT at batch 1: the dense layer once, then sparse encodings of unstructured and 1x4-block
    weights at every density (with the operators LiteRT ran, to show when DENSIFY stepped in)."""
    from mobileopt.compression import tflite

    base = dict(engine="litert", layer=shape.layer, batch=1, rows=shape.rows, inner=shape.inner, columns=1)
    dense_model = tflite.convert(fully_connected_model(sparse_weights(shape.rows, shape.inner, 1.0, rng)))
    dense_us = time_litert(dense_model, settings)
    rows = []
    for pattern, block in (("unstructured", 1), ("block_1x4", TFLITE_BLOCK)):
        for density in settings.densities:
            weights = sparse_weights(shape.rows, shape.inner, density, rng, block)
            flatbuffer = tflite.convert(fully_connected_model(weights), tflite.ConversionOptions(sparse=True))
            row = dict(base, pattern=pattern, target_density=density,
                       density=float(np.count_nonzero(weights) / weights.size),
                       ops=" ".join(tflite.op_names(flatbuffer)), tflite_bytes=len(flatbuffer))
            rows.append(dict(row, implementation="dense", median_us=dense_us, ops="FULLY_CONNECTED",
                             tflite_bytes=len(dense_model)))
            rows.append(dict(row, implementation="sparse", median_us=time_litert(flatbuffer, settings)))
    return rows


def break_even(timings: pd.DataFrame) -> pd.DataFrame:
    """Per engine, layer, batch and pattern: the density at which sparse and dense take equal time.

    The crossing is the first density at which the sparse product is no longer faster, interpolated
    linearly in log(density) and log(time ratio) from the density before it. `below_grid`: the sparse
    product was not faster even at the lowest density; `above_grid`: faster at every one (also at 100%).
    """
    groups = []
    keys = ["engine", "layer", "batch", "pattern"]
    for key, group in timings.groupby(keys, sort=False):
        sparse = group[group["implementation"] == "sparse"].groupby("target_density")["median_us"].median()
        # The dense product does not depend on the density: its median over all densities is the
        # steadiest reference.
        dense = group.loc[group["implementation"] == "dense", "median_us"].median()
        density = sparse.index.to_numpy(dtype=float)
        ratio = sparse.to_numpy() / dense
        faster = ratio < 1.0
        row = dict(zip(keys, key), rows=int(group["rows"].iloc[0]), inner=int(group["inner"].iloc[0]),
                   columns=int(group["columns"].iloc[0]), lowest_density=float(density[0]),
                   speedup_at_lowest_density=float(1.0 / ratio[0]))
        if not faster[0]:
            row.update(break_even_density=math.nan, status="below_grid")
        elif faster.all():
            row.update(break_even_density=math.nan, status="above_grid")
        else:
            upper = int(np.flatnonzero(~faster)[0])
            x = np.log(density[[upper - 1, upper]])
            y = np.log(ratio[[upper - 1, upper]])
            crossing = x[0] - y[0] * (x[1] - x[0]) / (y[1] - y[0])
            row.update(break_even_density=float(np.exp(crossing)), status="crossed")
        groups.append(row)
    return pd.DataFrame(groups)


def run_timings(model, settings: KernelTimingSettings, seed: int) -> pd.DataFrame:
    """Every TensorFlow and LiteRT timing of the classifier's shapes, as one tidy frame."""
    rng = np.random.default_rng(seed)
    rows = []
    for shape in classifier_shapes(model):
        for batch in settings.batch_sizes:
            rows += time_tensorflow_densities(shape, batch, settings, rng)
        if shape.fully_connected and shape.inner % TFLITE_BLOCK == 0:
            rows += time_litert_fully_connected(shape, settings, rng)
    return pd.DataFrame(rows)


def run(config: dict, baseline_path: str | Path, timing_path: str | Path, break_even_path: str | Path) -> None:
    from mobileopt.core import artifacts
    from mobileopt.models.surgery import fully_connected_form
    from mobileopt.core.runtime import configure_tensorflow
    from mobileopt.measurement.tflite_export import load_keras_model

    settings = KernelTimingSettings.from_config(config["compression"]["sparse_kernels"])
    configure_tensorflow(config["seed"], settings.threads)
    # conv3 (7x7 VALID on a 7x7 map) is the classifier's fully connected layer: time it as one.
    model = fully_connected_form(load_keras_model(baseline_path))
    timings = run_timings(model, settings, config["seed"])
    artifacts.atomic_write_text(timing_path, timings.to_csv(index=False))
    artifacts.atomic_write_text(break_even_path, break_even(timings).to_csv(index=False))
