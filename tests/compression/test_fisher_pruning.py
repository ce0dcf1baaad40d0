"""Fisher pruning: the score matches its definition, dead channels score 0 and go without changing outputs."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tensorflow as tf
import tf_keras as keras

from mobileopt.measurement import cost_model
from mobileopt.compression import fisher_pruning
from mobileopt.models.classifier import build_mnist_classifier
from mobileopt.core.training import to_model_input

LAYERS = ("conv1", "conv2", "conv3")


@pytest.fixture(scope="module")
def model_with_dead_channels():
    """Tiny classifier in which conv1 channel 1, conv2 channel 3 and conv3 unit 5 are always 0 after ReLU."""
    keras.utils.set_random_seed(0)
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    for name, channel in (("conv1", 1), ("conv2", 3), ("conv3", 5)):
        kernel, bias = model.get_layer(name).get_weights()
        kernel[..., channel] = 0.0
        bias[channel] = -1.0
        model.get_layer(name).set_weights([kernel, bias])
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (12, 28, 28), dtype=np.uint8), rng.integers(0, 10, 12)


def test_fisher_score_matches_its_definition(model_with_dead_channels, data):
    """Delta_k = 1/(2N) sum_n (d loss_n / d m_k)^2, with m_k a mask on channel k, computed by brute force."""
    images, labels = data
    model = model_with_dead_channels
    scores = fisher_pruning.channel_scores(model, images, labels, LAYERS, batch_size=5)["fisher"]["conv2"]
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    squared = np.zeros(8)
    for image, label in zip(to_model_input(images), labels):
        mask = tf.Variable(tf.ones(8))
        with tf.GradientTape() as tape:
            x = image[None]
            for layer in model.layers[1:]:
                x = layer(x)
                if layer.name == "conv2":
                    x = x * mask
            value = loss(np.array([label]), x)
        squared += tape.gradient(value, mask).numpy().astype(np.float64) ** 2
    np.testing.assert_allclose(scores, squared / (2 * len(images)), rtol=1e-4, atol=1e-12)


def test_dead_channels_score_zero_under_both_criteria(model_with_dead_channels, data):
    scores = fisher_pruning.channel_scores(model_with_dead_channels, *data, LAYERS)
    for criterion in fisher_pruning.CRITERIA:
        assert scores[criterion]["conv1"][1] == 0.0
        assert scores[criterion]["conv2"][3] == 0.0
        assert scores[criterion]["conv3"][5] == 0.0
        assert np.all(np.delete(scores[criterion]["conv2"], 3) > 0)


def test_removing_dead_channels_keeps_the_outputs(model_with_dead_channels, data):
    """Every channel that is 0 on all these images (the three made dead, and any that happen to be) goes."""
    scores = fisher_pruning.channel_scores(model_with_dead_channels, *data, LAYERS)["activation_count"]
    dead = {name: int(np.sum(score == 0)) for name, score in scores.items()}
    keep = fisher_pruning.channels_to_keep(scores, dead)
    assert 1 not in keep["conv1"] and 3 not in keep["conv2"] and 5 not in keep["conv3"]
    smaller = fisher_pruning.remove_channels(model_with_dead_channels, keep)
    assert [layer.get_weights()[0].shape[-1] for layer in fisher_pruning.chain_weight_layers(smaller)] == \
        [4 - dead["conv1"], 8 - dead["conv2"], 16 - dead["conv3"], 10]
    assert cost_model.count_parameters(smaller) < cost_model.count_parameters(model_with_dead_channels)
    images = to_model_input(data[0])
    np.testing.assert_allclose(smaller(images).numpy(), model_with_dead_channels(images).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_removing_a_live_channel_changes_the_outputs(model_with_dead_channels, data):
    smaller = fisher_pruning.remove_channels(model_with_dead_channels, {"conv2": np.array([0, 1, 2, 3, 4, 5, 6])})
    images = to_model_input(data[0])
    assert not np.allclose(smaller(images).numpy(), model_with_dead_channels(images).numpy(), atol=1e-5)


def test_removal_schedule_spreads_the_total_over_rounds():
    schedule = fisher_pruning.removal_schedule({"conv1": 32, "conv2": 64}, 0.75, 3)
    assert [step["conv1"] for step in schedule] == [8, 8, 8]
    assert sum(step["conv2"] for step in schedule) == 48


def test_bad_arguments_raise(model_with_dead_channels):
    with pytest.raises(ValueError, match="one must stay"):
        fisher_pruning.channels_to_keep({"conv1": np.ones(4)}, {"conv1": 4})
    with pytest.raises(ValueError, match="fraction"):
        fisher_pruning.removal_schedule({"conv1": 4}, 1.0, 2)
    with pytest.raises(ValueError, match="no weight layer"):
        fisher_pruning.remove_channels(model_with_dead_channels, {"conv7": np.array([0])})


def test_channels_are_scored_on_neither_the_selection_split_nor_the_fine_tuning_images():
    """The variants are chosen on the selection split, so it must not choose their channels; the
    rounds fine-tune on the first images, so scoring on them would score what is being trained."""
    from mobileopt.compression.fisher_pruning import scoring_split

    labels = np.arange(100)
    arrays = {"train_images": labels * 10, "train_labels": labels, "selection_labels": labels[90:]}
    images, scored = scoring_split(arrays, 20, fine_tune_images=60)
    assert list(scored) == list(range(70, 90)) and list(images) == [10 * i for i in range(70, 90)]
    for fine_tune_images in (71, None):  # reaching into the scored images, or fine-tuning on all of them
        with pytest.raises(ValueError, match="scoring_images"):
            scoring_split(arrays, 20, fine_tune_images=fine_tune_images)
