"""The archival form decodes to the identical file; the distillation loss is Hinton et al.'s."""
import numpy as np
import pytest
import tensorflow as tf

from mobileopt.stack import archive
from mobileopt.stack.distillation import Distillation, distillation_loss, label_accuracy, packed_targets


def test_archive_round_trips_and_is_the_smallest():
    data = bytes(np.random.default_rng(0).integers(0, 4, 20000, dtype=np.uint8)) + b"\x00" * 5000
    codec, coded = archive.encode(data)
    assert archive.decode(codec, coded) == data
    assert len(coded) == min(len(code(data)) for code, _ in archive.CODECS.values())
    assert len(coded) < len(data)


def test_unknown_codec_is_an_error():
    with pytest.raises(ValueError, match="unknown archive codec"):
        archive.decode("zip", b"")


def test_weight_zero_is_cross_entropy_and_one_is_scaled_kl():
    rng = np.random.default_rng(0)
    logits, teacher = rng.normal(size=(5, 10)).astype(np.float32), rng.normal(size=(5, 10)).astype(np.float32)
    labels = np.arange(5)
    targets = tf.constant(packed_targets(labels, teacher))
    ce = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True).numpy()
    np.testing.assert_allclose(distillation_loss(Distillation(4.0, 0.0))(targets, logits).numpy(), ce, rtol=1e-5)
    p = tf.nn.softmax(teacher / 4.0).numpy()
    q = tf.nn.softmax(logits / 4.0).numpy()
    kl = np.sum(p * np.log(p / q), axis=1) * 16.0
    np.testing.assert_allclose(distillation_loss(Distillation(4.0, 1.0))(targets, logits).numpy(), kl, rtol=1e-4)
    # A student equal to its teacher has no distillation loss.
    np.testing.assert_allclose(distillation_loss(Distillation(2.0, 1.0))(targets, teacher).numpy(), 0, atol=1e-5)


def test_accuracy_reads_the_label_column():
    targets = tf.constant(packed_targets(np.array([1, 2]), np.zeros((2, 10), np.float32)))
    logits = tf.one_hot([1, 3], 10)
    np.testing.assert_array_equal(label_accuracy(targets, logits).numpy(), [1.0, 0.0])


@pytest.mark.parametrize("temperature, weight", [(0, 0.5), (2, 1.5), (2, -0.1)])
def test_bad_distillation_settings_are_errors(temperature, weight):
    with pytest.raises(ValueError):
        Distillation(temperature, weight)
