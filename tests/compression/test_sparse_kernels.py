"""Sparse vs dense products: exact densities, the classifier's shapes, and the break-even interpolation."""
import math

import numpy as np
import pandas as pd
import pytest

import mobileopt  # noqa: F401

from mobileopt.compression import sparse_kernels
from mobileopt.models.surgery import fully_connected_form
from mobileopt.models.classifier import build_mnist_classifier

FAST = sparse_kernels.KernelTimingSettings(densities=(0.05, 1.0), batch_sizes=(1,), threads=1, min_repeats=2,
                                           seconds_per_point=0.0, litert_runs=6, stop_ratio=1e9, rounds=3)


def test_sparse_weights_have_the_exact_density_and_blocks():
    rng = np.random.default_rng(0)
    weights = sparse_kernels.sparse_weights(16, 40, 0.25, rng)
    assert np.count_nonzero(weights) == 160
    blocks = sparse_kernels.sparse_weights(16, 40, 0.25, rng, block=4).reshape(16, 10, 4)
    assert np.array_equal(np.all(blocks != 0, axis=-1), np.any(blocks != 0, axis=-1))  # whole blocks only
    assert np.count_nonzero(np.any(blocks != 0, axis=-1)) == 40
    with pytest.raises(ValueError, match="density"):
        sparse_kernels.sparse_weights(4, 4, 0.0, rng)
    with pytest.raises(ValueError, match="blocks of 4"):
        sparse_kernels.sparse_weights(4, 6, 0.5, rng, block=4)


def test_classifier_shapes_are_the_layers_as_matrix_products():
    shapes = sparse_kernels.classifier_shapes(fully_connected_form(build_mnist_classifier()))
    assert [(s.layer, s.rows, s.inner, s.positions) for s in shapes] == [
        ("conv1", 32, 25, 784), ("conv2", 64, 800, 196), ("conv3", 128, 3136, 1), ("logits", 10, 128, 1)]


def test_tensorflow_timing_rows():
    shape = sparse_kernels.MatmulShape("conv2", 8, 50, 9)
    rows = sparse_kernels.time_tensorflow(shape, 2, 0.2, FAST, np.random.default_rng(0))
    assert {row["implementation"] for row in rows} == {"dense", "sparse"}
    assert sorted((row["implementation"], row["round"]) for row in rows) == \
        [("dense", 0), ("dense", 1), ("dense", 2), ("sparse", 0), ("sparse", 1), ("sparse", 2)]
    assert all(row["columns"] == 18 and row["density"] == pytest.approx(0.2) and row["median_us"] > 0
               for row in rows)
    points = sparse_kernels.point_timings(pd.DataFrame(rows))
    assert len(points) == 2 and (points["rounds"] == 3).all() and "round" not in points


@pytest.mark.slow
def test_litert_timing_of_a_fully_connected_layer():
    shape = sparse_kernels.MatmulShape("fc", 8, 64, 1)
    rows = pd.DataFrame(sparse_kernels.time_litert_fully_connected(shape, FAST, np.random.default_rng(0)))
    assert set(rows["pattern"]) == {"unstructured", "block_1x4"}
    assert (rows["median_us"] > 0).all()
    # At full density the converter keeps the weights dense (no sparse encoding, no DENSIFY).
    full = rows[(rows["implementation"] == "sparse") & (rows["target_density"] == 1.0)]
    assert not full["ops"].str.contains("DENSIFY").any()
    # The dense layer is timed again beside every sparse model, not once and copied.
    dense = rows[rows["implementation"] == "dense"]
    assert len(dense) == 2 * len(FAST.densities) * FAST.rounds
    assert dense.groupby(["pattern", "target_density"])["median_us"].nunique().gt(1).any()


def timing_frame(ratios, densities=(0.01, 0.1, 1.0), rounds=4, noise=0.0, seed=0):
    """Per-round rows: dense 10 us, sparse 10 us x ratio, each round's times scaled by a common drift
    and (`noise`) by an independent factor of up to +-noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for density, ratio in zip(densities, ratios):
        for index in range(rounds):
            drift = rng.uniform(1, 2)
            for implementation, time in (("dense", 10.0), ("sparse", 10.0 * ratio)):
                jitter = 1 + rng.uniform(-noise, noise)
                rows.append(dict(engine="tensorflow", layer="fc", batch=1, pattern="unstructured", rows=4,
                                 inner=4, columns=1, target_density=density, implementation=implementation,
                                 round=index, median_us=time * drift * jitter))
    return pd.DataFrame(rows)


def test_break_even_interpolates_in_log_space():
    result = sparse_kernels.break_even(timing_frame([0.5, 2.0, 8.0])).iloc[0]
    # log ratio goes from log 0.5 to log 2 between log 0.01 and log 0.1: crossing at the geometric mean.
    assert result["status"] == "crossed"
    assert result["break_even_density"] == pytest.approx(math.sqrt(0.01 * 0.1))
    assert result["speedup_at_lowest_density"] == pytest.approx(2.0)
    # A drift common to dense and sparse in a round cancels: every paired resample crosses at the same point.
    assert result["crossed_share"] == 1.0
    assert (result["break_even_low"], result["break_even_high"]) == pytest.approx((math.sqrt(0.001),) * 2)


def test_break_even_interval_widens_with_noise_and_contains_the_point():
    quiet = sparse_kernels.break_even(timing_frame([0.5, 2.0, 8.0], rounds=20, noise=0.05)).iloc[0]
    noisy = sparse_kernels.break_even(timing_frame([0.5, 2.0, 8.0], rounds=20, noise=0.4)).iloc[0]
    for result in (quiet, noisy):
        assert result["break_even_low"] <= result["break_even_density"] <= result["break_even_high"]
    assert noisy["break_even_high"] - noisy["break_even_low"] > quiet["break_even_high"] - quiet["break_even_low"] > 0


def test_break_even_outside_the_grid():
    assert sparse_kernels.break_even(timing_frame([1.5, 2.0, 3.0])).iloc[0]["status"] == "below_grid"
    above = sparse_kernels.break_even(timing_frame([0.2, 0.5, 0.9])).iloc[0]
    assert above["status"] == "above_grid" and math.isnan(above["break_even_density"])
    assert above["crossed_share"] == 0.0 and math.isnan(above["break_even_low"])
