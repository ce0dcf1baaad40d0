"""Magnitude pruning: the schedule reaches its target, 2:4 and 1x4 blocks have their pattern, stripping is plain."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tensorflow_model_optimization as tfmot
import tf_keras as keras

from mobileopt.models import surgery as compression_surgery
from mobileopt.measurement import cost_model
from mobileopt.compression import weight_pruning
from mobileopt.models.classifier import build_mnist_classifier

SETTINGS = weight_pruning.PruningSettings(layers=("conv2", "conv3"), sparsities=(0.8,), two_by_four=True,
                                          block_sparsities=(0.75,), block_layer="conv3",
                                          schedule_end_fraction=0.5, update_every_steps=2)


def prune_and_fit(variant, steps=8):
    keras.utils.set_random_seed(0)
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    pruned = weight_pruning.prune_for_fine_tuning(model, variant, SETTINGS, total_steps=steps)
    pruned.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    pruned.fit(rng.random((16 * steps, 28, 28, 1)), rng.integers(0, 10, 16 * steps), batch_size=16, epochs=1,
               verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    return weight_pruning.strip(pruned)


def test_variants_come_from_the_settings():
    assert [v.name for v in SETTINGS.variants()] == ["sparsity_80", "two_four", "block_75"]


@pytest.mark.slow
def test_unstructured_pruning_reaches_the_target_in_the_pruned_layers_only():
    model = prune_and_fit(weight_pruning.PruningVariant("sparsity_80", "unstructured", 0.8))
    sparsity = weight_pruning.kernel_sparsity(model)
    assert sparsity["conv2"] == pytest.approx(0.8, abs=0.01)
    assert sparsity["conv3"] == pytest.approx(0.8, abs=0.01)
    assert sparsity["conv1"] == 0.0 and sparsity["logits"] == 0.0
    # Stripped: plain layers, each called once, so the cost model can count it.
    assert cost_model.count_parameters(model) == model.count_params()
    assert weight_pruning.sparse_multiply_adds(model) < cost_model.count_multiply_adds(model)


@pytest.mark.slow
def test_two_four_pattern():
    model = prune_and_fit(weight_pruning.PruningVariant("two_four", "two_four", 0.5))
    for name in ("conv2", "conv3"):
        assert weight_pruning.is_two_four_sparse(model.get_layer(name).get_weights()[0])
    assert not weight_pruning.is_two_four_sparse(model.get_layer("logits").get_weights()[0])


def test_two_four_checker_knows_the_answer():
    kernel = np.ones((1, 1, 8, 2), dtype=np.float32)  # input channels on axis -2
    kernel[0, 0, [0, 1, 4, 5], :] = 0
    assert weight_pruning.is_two_four_sparse(kernel)
    kernel[0, 0, 1, 0] = 1.0
    assert not weight_pruning.is_two_four_sparse(kernel)


@pytest.mark.slow
def test_block_pruning_zeroes_runs_of_four_inputs_in_the_fully_connected_layer():
    model = prune_and_fit(weight_pruning.PruningVariant("block_75", "block", 0.75))
    assert type(model.get_layer("conv3")).__name__ == "Dense"
    kernel = model.get_layer("conv3").get_weights()[0]  # [inputs, outputs]
    blocks = kernel.reshape(-1, 4, kernel.shape[1])
    zero_blocks = np.all(blocks == 0, axis=1)
    assert np.mean(zero_blocks) == pytest.approx(0.75, abs=0.02)
    assert np.array_equal(np.any(blocks == 0, axis=1), zero_blocks)  # every zero lies in an all-zero block


def test_fully_connected_form_is_the_same_function():
    keras.utils.set_random_seed(1)
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    images = np.random.default_rng(1).random((3, 28, 28, 1)).astype(np.float32)
    fc = compression_surgery.fully_connected_form(model)
    np.testing.assert_allclose(fc(images).numpy(), model(images).numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="covers its whole"):
        compression_surgery.fully_connected_form(model, "conv2")


def test_bad_settings_raise():
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    with pytest.raises(ValueError, match="sparsity"):
        weight_pruning.polynomial_schedule(1.0, 100, SETTINGS)
    with pytest.raises(ValueError, match="at least 2"):
        weight_pruning.polynomial_schedule(0.5, 1, SETTINGS)
    bad = weight_pruning.PruningSettings(**{**SETTINGS.__dict__, "layers": ("conv9",), "block_layer": "conv9"})
    with pytest.raises(ValueError, match="conv9"):
        weight_pruning.prune_for_fine_tuning(model, SETTINGS.variants()[0], bad, 10)
