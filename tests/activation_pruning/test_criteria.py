"""Activation pruning: selection rules on hand-made counts, the distortion, the cycle's control flow, and
real Keras surgery (dense and (de)convolution chains) that keeps the outputs when only dead units go."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tf_keras as keras

from mobileopt.activation_pruning import criteria as ap
from mobileopt.activation_pruning import keras_surgery as apk
from mobileopt.models import autoencoder as ae
from mobileopt.measurement import cost_model

SELECTION = ap.SelectionSettings(threshold=0, outlier_stds=2.0, min_probability=0.1)


# --- selection rules ---------------------------------------------------------------------------------

def test_dead_rule_removes_exactly_the_never_active_units():
    counts = np.array([0, 5, 0, 100, 1])
    assert ap.units_to_keep(counts, 100, "dead", SELECTION).tolist() == [False, True, False, True, True]


def test_dead_rule_threshold_is_inclusive():
    settings = ap.SelectionSettings(threshold=5)
    assert ap.units_to_keep(np.array([5, 6, 0]), 10, "dead", settings).tolist() == [False, True, False]


def test_outlier_rule_uses_the_live_units_statistics():
    # Live counts 100 x 10 and one 40: mean 94.5, std 16.5 -> cut 61.5; the dead unit goes as well.
    counts = np.array([100] * 10 + [40, 0])
    keep = ap.units_to_keep(counts, 100, "outliers", SELECTION)
    assert keep.tolist() == [True] * 10 + [False, False]
    # Computed over all units the dead one would inflate the spread: mean - 2 std < 40, 40 would stay.
    assert counts.mean() - 2 * counts.std() < 40


def test_outlier_rule_keeps_a_uniform_layer():
    assert ap.units_to_keep(np.full(8, 50), 100, "outliers", SELECTION).all()


def test_probability_rule_compares_count_over_examples_with_p():
    counts = np.array([9, 10, 11, 0])  # p = 0.09, 0.10, 0.11, 0 of 100 examples; p_min = 0.1
    assert ap.units_to_keep(counts, 100, "probability", SELECTION).tolist() == [False, True, True, False]


def test_a_rule_never_removes_every_unit():
    keep = ap.units_to_keep(np.array([0, 3, 1]), 100, "probability", SELECTION)
    assert keep.tolist() == [False, True, False]  # all below p: the most active one stays


@pytest.mark.parametrize("counts, examples, rule", [
    (np.array([1, 2]), 100, "magnitude"),
    (np.array([[1, 2]]), 100, "dead"),
    (np.array([-1, 2]), 100, "dead"),
    (np.array([101]), 100, "dead"),
    (np.array([1]), 0, "dead"),
])
def test_bad_selection_arguments_raise(counts, examples, rule):
    with pytest.raises(ValueError):
        ap.units_to_keep(counts, examples, rule, SELECTION)


def test_unknown_variant_and_bad_settings_raise():
    with pytest.raises(ValueError, match="unknown pruning variant"):
        ap.variant("magic")
    with pytest.raises(ValueError):
        ap.SelectionSettings(min_probability=1.5)
    with pytest.raises(ValueError):
        ap.PruningVariant("x", "largest")


def test_variants_of_a_family_share_the_first_training():
    assert {v.name for v in ap.VARIANTS.values() if v.training_family == "l1"} == \
        {"l1", "l1_distorted_outliers", "l1_contribution"}


def test_counting_tolerance_only_for_contribution_variants():
    settings = ap.SelectionSettings(contribution_tolerance=0.5)
    assert settings.counting_tolerance(ap.variant("l1_contribution")) == 0.5
    assert settings.counting_tolerance(ap.variant("l1")) == 0.0


# --- distortion --------------------------------------------------------------------------------------

def test_distortion_is_uniform_symmetric_and_scaled_by_one_minus_variance():
    weights = np.random.default_rng(0).normal(0, 0.5, (200, 200)).astype(np.float32)  # Var = 0.25
    noise = ap.distortion_noise(weights, np.random.default_rng(1))
    scale = 1 - np.var(weights)
    assert noise.dtype == np.float32 and noise.shape == weights.shape
    assert np.abs(noise).max() <= scale and np.abs(noise).max() > 0.99 * scale
    assert abs(noise.mean()) < 0.01 and noise.min() < 0  # zero-mean, not the draft's one-sided U[0, 1)
    assert np.isclose(noise.std(), scale / np.sqrt(3), rtol=0.02)  # std of U(-s, s)


def test_distortion_vanishes_for_weights_that_vary_by_more_than_one():
    weights = np.random.default_rng(0).normal(0, 2.0, 1000)
    assert not ap.distortion_noise(weights, np.random.default_rng(1)).any()


def test_distortion_is_seeded():
    weights = np.zeros((3, 4))
    first = ap.distort([weights], np.random.default_rng(7))[0]
    assert np.array_equal(first, ap.distort([weights], np.random.default_rng(7))[0])


# --- the cycle ---------------------------------------------------------------------------------------

class FakeNetwork:
    """Units with fixed activation counts; fine-tuning kills the units listed for that fine-tuning."""

    def __init__(self, counts, deaths=()):
        self.counts, self.deaths, self.fine_tunes, self.distortions = np.array(counts), list(deaths), 0, 0

    def count(self, net):
        return [(net.counts.copy(), 100)]

    def keep(self, net, masks):
        net.counts = net.counts[masks[0]]
        return net

    def fine_tune(self, net):
        net.fine_tunes += 1
        if net.deaths:
            net.counts[: net.deaths.pop(0)] = 0
        return net

    def distort(self, net):
        net.distortions += 1
        return net


def run(net, name, max_cycles=10):
    return ap.run_pruning_cycles(net, ap.variant(name), SELECTION, count=net.count, keep=net.keep,
                                 fine_tune=net.fine_tune, evaluate=lambda n: float(len(n.counts)),
                                 distort_network=net.distort, max_cycles=max_cycles)


def test_cycle_repeats_until_nothing_is_removed():
    net = FakeNetwork([0, 0, 5, 7, 9, 9], deaths=[1])  # after the first fine-tuning one more unit dies
    net, records, stable = run(net, "vanilla")
    assert stable and [r.removed for r in records] == [(2,), (1,), (0,)]
    assert [r.units for r in records] == [(6,), (4,), (3,)] and len(net.counts) == 3
    assert net.fine_tunes == 2 and net.distortions == 0


def test_distorting_variant_is_distorted_before_it_may_stop():
    net, records, stable = run(FakeNetwork([5, 7, 9]), "distorted")  # nothing dead at first
    assert stable and net.distortions == 1 and net.fine_tunes == 1
    assert [r.distorted for r in records] == [False, True]


def test_cycle_cap_reports_an_unstable_run():
    net, records, stable = run(FakeNetwork([0, 5, 6, 7, 8], deaths=[1, 1, 1]), "vanilla", max_cycles=2)
    assert not stable and len(records) == 2 and len(net.counts) == 3


def test_distorting_variant_needs_a_distortion_function():
    net = FakeNetwork([1, 2])
    with pytest.raises(ValueError, match="distort"):
        ap.run_pruning_cycles(net, ap.variant("distorted"), SELECTION, count=net.count, keep=net.keep,
                              fine_tune=net.fine_tune, evaluate=lambda n: 0.0)


# --- Keras surgery -----------------------------------------------------------------------------------

def dense_chain(dead_units=(1, 4)):
    """2 -> 6 ReLU -> 3 ReLU -> 1; the hidden units `dead_units` are silenced by a large negative bias,
    the others are kept active on part of [-1, 1]^2 by a bias in (0, 1)."""
    inputs = keras.Input((2,))
    x = keras.layers.Dense(6, activation="relu", name="hidden")(inputs)
    x = keras.layers.Dense(3, activation="relu", name="second")(x)
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(x))
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    kernel, bias = model.get_layer("hidden").get_weights()
    bias[:] = np.linspace(0.2, 0.8, len(bias))
    bias[list(dead_units)] = -100.0
    model.get_layer("hidden").set_weights([kernel, bias])
    return model


@pytest.mark.slow
def test_dead_dense_units_are_found_removed_and_outputs_unchanged():
    model = dense_chain()
    inputs = np.random.default_rng(1).uniform(-1, 1, (500, 2)).astype(np.float32)
    (counts, examples), = apk.count_activations(model, ["hidden"], inputs)
    assert examples == 500 and counts[[1, 4]].tolist() == [0, 0] and (np.delete(counts, [1, 4]) > 0).all()
    keep = ap.units_to_keep(counts, examples, "dead", SELECTION)
    pruned = apk.prune_units(model, {"hidden": keep})
    assert pruned.get_layer("hidden").units == 4 and pruned.get_layer("second").kernel.shape == (4, 3)
    np.testing.assert_allclose(pruned.predict(inputs, verbose=0), model.predict(inputs, verbose=0), atol=1e-5)
    # The live units' weights are copied, not re-initialised.
    np.testing.assert_array_equal(pruned.get_layer("hidden").kernel.numpy(),
                                  model.get_layer("hidden").kernel.numpy()[:, keep])
    assert cost_model.count_multiply_adds(pruned) < cost_model.count_multiply_adds(model)


@pytest.mark.slow
def test_removing_a_live_unit_changes_the_outputs():
    model = dense_chain()
    inputs = np.random.default_rng(1).uniform(-1, 1, (200, 2)).astype(np.float32)
    keep = np.array([False, True, True, True, True, True])  # unit 0 is alive
    pruned = apk.prune_units(model, {"hidden": keep})
    assert not np.allclose(pruned.predict(inputs, verbose=0), model.predict(inputs, verbose=0), atol=1e-3)


def silence_channels(model, block, channels):
    """Batch-norm scale 0 and offset -1: the channel's ReLU output is 0 everywhere."""
    layer = model.get_layer(f"{block}_bn")
    gamma, beta, mean, variance = layer.get_weights()
    gamma[channels], beta[channels] = 0.0, -1.0
    layer.set_weights([gamma, beta, mean, variance])


@pytest.mark.slow
def test_conv_and_transposed_conv_channel_surgery_keeps_the_outputs():
    model = ae.build_autoencoder((6, 8, 5))
    rng = np.random.default_rng(2)
    model.set_weights([w + rng.normal(0, 0.2, w.shape).astype(np.float32) for w in model.get_weights()])
    for block in ae.BLOCKS:  # every channel active somewhere, before some are silenced
        layer = model.get_layer(f"{block}_bn")
        gamma, beta, mean, variance = layer.get_weights()
        layer.set_weights([gamma, np.full_like(beta, 0.5), mean, variance])
    dead = {"encoder1": [0, 3], "encoder2": [7], "decoder1": [1, 2, 4]}
    for block, channels in dead.items():
        silence_channels(model, block, channels)
    images = rng.uniform(0, 1, (16, 28, 28, 1)).astype(np.float32)
    counted = apk.count_activations(model, [f"{b}_relu" for b in ae.BLOCKS], images)
    masks = {f"{b}_conv": ap.units_to_keep(c, n, "dead", SELECTION) for b, (c, n) in zip(ae.BLOCKS, counted)}
    assert counted[1][1] == 16 * 7 * 7  # per channel: images x positions
    for (block, channels), mask, (counts, _) in zip(dead.items(), masks.values(), counted):
        assert not mask[channels].any() and (counts[mask] > 0).all()  # silenced go, active stay
    pruned = apk.prune_units(model, masks)
    assert ae.channels_of(pruned) == tuple(int(m.sum()) for m in masks.values())
    kept_decoder1, kept_encoder2 = int(masks["decoder1_conv"].sum()), int(masks["encoder2_conv"].sum())
    assert pruned.get_layer("decoder1_conv").kernel.shape == (3, 3, kept_decoder1, kept_encoder2)
    assert pruned.get_layer("decoder2_conv").kernel.shape == (3, 3, 1, kept_decoder1)  # (kh, kw, out, in)
    np.testing.assert_allclose(pruned(images, training=False), model(images, training=False), atol=1e-5)
    assert cost_model.count_multiply_adds(pruned) < cost_model.count_multiply_adds(model)


def test_prune_units_rejects_bad_masks_and_non_chains():
    model = dense_chain()
    with pytest.raises(ValueError, match="6 entries"):
        apk.prune_units(model, {"hidden": np.ones(5, bool)})
    with pytest.raises(ValueError, match="at least one"):
        apk.prune_units(model, {"hidden": np.zeros(6, bool)})
    with pytest.raises(ValueError, match="not a Dense"):
        apk.prune_units(model, {"nope": np.ones(6, bool)})
    inputs = keras.Input((4,))
    branch = keras.layers.Dense(4, name="a")(inputs)
    joined = keras.layers.Add()([branch, keras.layers.Dense(4, name="b")(inputs)])
    with pytest.raises(ValueError, match="chain"):
        apk.prune_units(keras.Model(inputs, joined), {})


def test_distort_layers_changes_only_the_named_layers():
    model = dense_chain()
    before = [w.copy() for w in model.get_weights()]
    apk.distort_layers(model, ["second"], np.random.default_rng(0))
    after = model.get_weights()
    assert np.array_equal(before[0], after[0]) and not np.array_equal(before[2], after[2])
