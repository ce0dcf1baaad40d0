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

Dense and sparse are timed side by side at every density, in `rounds` rounds: in TensorFlow each round
calls the two compiled functions in turn (at least `min_repeats` calls each, about `seconds_per_point` /
`rounds` of calls); in LiteRT the two single-layer models are timed interleaved
(mobileopt.measurement.interleaved). A point is the median of the per-round medians, and the break-even
density comes with a bootstrap interval: rounds are resampled, paired between dense and sparse, at every
density, and the crossing is found again in each resample. Calls carry a fixed dispatch overhead that does
not depend on the density; it shifts both curves equally and so does not move their crossing.
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
    rounds: int = 10  # rounds per density, each timing dense and sparse side by side

    @classmethod
    def from_config(cls, section: dict) -> "KernelTimingSettings":
        return cls(densities=tuple(sorted(section["densities"])), batch_sizes=tuple(section["batch_sizes"]),
                   threads=section["threads"], min_repeats=section["min_repeats"],
                   seconds_per_point=section["seconds_per_point"], litert_runs=section["litert_runs"],
                   stop_ratio=section["stop_ratio"], rounds=section["rounds"])


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


def paired_rounds(functions: dict, rounds: int, min_repeats: int, seconds: float) -> dict[str, list[float]]:
    """Median seconds per call of each function in each of `rounds` rounds. Within a round the functions
    are called in turn (dense, sparse, dense, ...; at least `min_repeats` calls each, then until `seconds`
    / `rounds` have passed), so a drift of the machine (other processes, clock) affects both alike and the
    rounds pair them for the bootstrap."""
    for function in functions.values():  # warm-up: first calls allocate
        function()
    medians = {name: [] for name in functions}
    for _ in range(rounds):
        times = {name: [] for name in functions}
        started = time.perf_counter()
        while min(map(len, times.values())) < min_repeats or time.perf_counter() - started < seconds / rounds:
            for name, function in functions.items():
                begin = time.perf_counter_ns()
                function()
                times[name].append(time.perf_counter_ns() - begin)
            if len(times[name]) >= 10000:
                break
        for name, values in times.items():
            medians[name].append(float(np.median(values)) / 1e9)
    return medians


def round_rows(row: dict, medians_us: dict[str, list[float]]) -> list[dict]:
    """One tidy row per implementation and round."""
    return [dict(row, implementation=name, round=index, median_us=value)
            for name, values in medians_us.items() for index, value in enumerate(values)]


def time_tensorflow(shape: MatmulShape, batch: int, density: float, settings: KernelTimingSettings,
                    rng: np.random.Generator) -> list[dict]:
    """Dense and sparse TensorFlow products at one density, per round; checks that both give the same result."""
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
    medians = paired_rounds({"dense": dense, "sparse": sparse}, settings.rounds, settings.min_repeats,
                            settings.seconds_per_point)
    return round_rows(row, {name: [1e6 * value for value in values] for name, values in medians.items()})


def time_tensorflow_densities(shape: MatmulShape, batch: int, settings: KernelTimingSettings,
                              rng: np.random.Generator) -> list[dict]:
    """All densities of one shape, lowest first; stops once the sparse product is `stop_ratio` times
    slower than the dense one (it only gets slower with density, and such points take the most time)."""
    rows = []
    for density in settings.densities:
        pair = time_tensorflow(shape, batch, density, settings, rng)
        rows += pair
        times = pd.DataFrame(pair).groupby("implementation")["median_us"].median()
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


def time_litert_pair(dense: bytes, sparse: bytes, settings: KernelTimingSettings) -> dict[str, list[float]]:
    """Per-round median LiteRT latencies (microseconds) of the dense and the sparse model, timed
    interleaved (fresh interpreters every round, random order; `litert_runs` runs in all)."""
    from mobileopt.measurement import interleaved

    with tempfile.TemporaryDirectory() as directory:
        paths = {name: Path(directory) / f"{name}.tflite" for name in ("dense", "sparse")}
        for name, flatbuffer in (("dense", dense), ("sparse", sparse)):
            paths[name].write_bytes(flatbuffer)
        timings = interleaved.time_interleaved(paths, settings.threads, warmup_runs=10, rounds=settings.rounds,
                                               runs_per_round=max(1, settings.litert_runs // settings.rounds))
    medians = interleaved.round_medians(timings)
    return {name: (1e3 * medians.loc[name]).tolist() for name in ("dense", "sparse")}


def time_litert_fully_connected(shape: MatmulShape, settings: KernelTimingSettings,
                                rng: np.random.Generator) -> list[dict]:
    """LiteRT at batch 1: sparse encodings of unstructured and 1x4-block weights at every density, each
    timed interleaved with the dense layer (with the operators LiteRT ran, to show when DENSIFY
    stepped in)."""
    from mobileopt.compression import tflite

    base = dict(engine="litert", layer=shape.layer, batch=1, rows=shape.rows, inner=shape.inner, columns=1)
    dense_model = tflite.convert(fully_connected_model(sparse_weights(shape.rows, shape.inner, 1.0, rng)))
    rows = []
    for pattern, block in (("unstructured", 1), ("block_1x4", TFLITE_BLOCK)):
        for density in settings.densities:
            weights = sparse_weights(shape.rows, shape.inner, density, rng, block)
            flatbuffer = tflite.convert(fully_connected_model(weights), tflite.ConversionOptions(sparse=True))
            row = dict(base, pattern=pattern, target_density=density,
                       density=float(np.count_nonzero(weights) / weights.size))
            medians = time_litert_pair(dense_model, flatbuffer, settings)
            rows += round_rows(dict(row, ops="FULLY_CONNECTED", tflite_bytes=len(dense_model)),
                               {"dense": medians["dense"]})
            rows += round_rows(dict(row, ops=" ".join(tflite.op_names(flatbuffer)), tflite_bytes=len(flatbuffer)),
                               {"sparse": medians["sparse"]})
    return rows


def point_timings(rounds: pd.DataFrame) -> pd.DataFrame:
    """One row per (engine, layer, batch, pattern, density, implementation): the median of the
    per-round medians, and the rounds it summarises."""
    keys = [column for column in rounds.columns if column not in ("round", "median_us")]
    grouped = rounds.groupby(keys, sort=False, dropna=False)["median_us"]
    return grouped.median().reset_index().assign(rounds=grouped.size().to_numpy())


def crossing_density(density: np.ndarray, ratio: np.ndarray) -> tuple[float, str]:
    """Where sparse / dense time crosses 1, densities ascending: the first density at which the sparse
    product is no longer faster, interpolated linearly in log(density) and log(ratio) from the density
    before it. `below_grid`: not faster even at the lowest density; `above_grid`: faster at every one."""
    faster = ratio < 1.0
    if not faster[0]:
        return math.nan, "below_grid"
    if faster.all():
        return math.nan, "above_grid"
    upper = int(np.flatnonzero(~faster)[0])
    x = np.log(density[[upper - 1, upper]])
    y = np.log(ratio[[upper - 1, upper]])
    return float(np.exp(x[0] - y[0] * (x[1] - x[0]) / (y[1] - y[0]))), "crossed"


def break_even(rounds: pd.DataFrame, confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per engine, layer, batch and pattern: the density at which sparse and dense take equal time
    (crossing_density of the medians over the rounds), with its percentile bootstrap interval. Each
    resample draws rounds with replacement at every density, the same rounds for dense and sparse (they
    were timed side by side in each round). `crossed_share`: the resamples that crossed inside the grid
    (the interval is over those); `speedup_at_lowest_density` is dense / sparse time there."""
    keys = ["engine", "layer", "batch", "pattern"]
    rng = np.random.default_rng(seed)
    tail = 100 * (1 - confidence) / 2
    groups = []
    for key, group in rounds.groupby(keys, sort=False):
        table = group.pivot_table(index="target_density", columns=["implementation", "round"], values="median_us")
        density = table.index.to_numpy(dtype=float)
        dense, sparse = table["dense"].to_numpy(), table["sparse"].to_numpy()  # [densities x rounds]
        ratio = np.median(sparse, axis=1) / np.median(dense, axis=1)
        point, status = crossing_density(density, ratio)
        drawn = rng.integers(0, dense.shape[1], (resamples, *dense.shape))
        rows_index = np.arange(len(density))[np.newaxis, :, np.newaxis]
        resampled = np.median(sparse[rows_index, drawn], axis=2) / np.median(dense[rows_index, drawn], axis=2)
        crossings = np.array([crossing_density(density, one)[0] for one in resampled])
        crossed = crossings[~np.isnan(crossings)]
        low, high = np.percentile(crossed, [tail, 100 - tail]) if len(crossed) else (math.nan, math.nan)
        groups.append(dict(zip(keys, key), rows=int(group["rows"].iloc[0]), inner=int(group["inner"].iloc[0]),
                           columns=int(group["columns"].iloc[0]), lowest_density=float(density[0]),
                           speedup_at_lowest_density=float(1.0 / ratio[0]), break_even_density=point,
                           status=status, break_even_low=float(low), break_even_high=float(high),
                           crossed_share=float(len(crossed) / resamples)))
    return pd.DataFrame(groups)


def run_timings(model, settings: KernelTimingSettings, seed: int) -> pd.DataFrame:
    """Every TensorFlow and LiteRT timing of the classifier's shapes, one tidy row per round."""
    rng = np.random.default_rng(seed)
    rows = []
    for shape in classifier_shapes(model):
        for batch in settings.batch_sizes:
            rows += time_tensorflow_densities(shape, batch, settings, rng)
        if shape.fully_connected and shape.inner % TFLITE_BLOCK == 0:
            rows += time_litert_fully_connected(shape, settings, rng)
    return pd.DataFrame(rows)


def run(config: dict, baseline_path: str | Path, timing_path: str | Path, rounds_path: str | Path,
        break_even_path: str | Path) -> None:
    from mobileopt.core import artifacts
    from mobileopt.models.surgery import fully_connected_form
    from mobileopt.core.runtime import configure_tensorflow
    from mobileopt.measurement.tflite_export import load_keras_model

    settings = KernelTimingSettings.from_config(config["compression"]["sparse_kernels"])
    configure_tensorflow(config["seed"], settings.threads)
    # conv3 (7x7 VALID on a 7x7 map) is the classifier's fully connected layer: time it as one.
    model = fully_connected_form(load_keras_model(baseline_path))
    rounds = run_timings(model, settings, config["seed"])
    timing = config["benchmark"]["interleaved"]
    artifacts.atomic_write_text(rounds_path, rounds.to_csv(index=False))
    artifacts.atomic_write_text(timing_path, point_timings(rounds).to_csv(index=False))
    artifacts.atomic_write_text(break_even_path, break_even(rounds, timing["confidence"], timing["resamples"],
                                                           config["seed"]).to_csv(index=False))
