"""The ef-operator: the two-product form equals the paper's definition, with the paper's derivatives."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tensorflow as tf
import tf_keras as keras

from mobileopt.compression import tflite as compression_tflite
from mobileopt.compression import ef_operator
from mobileopt.models.classifier import build_mnist_classifier


def test_scalar_definition():
    # 3 (+) -2 = sign(-6) (3 + 2) = -5; -1 (+) -4 = +5; 0 (+) 7 = 0
    np.testing.assert_allclose(ef_operator.ef_product(np.array([3.0]), np.array([[-2.0]])), [-5.0])
    np.testing.assert_allclose(ef_operator.ef_product(np.array([-1.0]), np.array([[-4.0]])), [5.0])
    np.testing.assert_allclose(ef_operator.ef_product(np.array([0.0]), np.array([[7.0]])), [0.0])
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(ef_operator.ef_product(x, x[:, None]), [2 * np.abs(x).sum()])  # induces the l1 norm


def test_ef_dense_equals_the_definition_and_has_the_papers_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    layer = ef_operator.EfDense(3, use_bias=False)
    layer.build((None, 6))
    kernel = rng.standard_normal((6, 3)).astype(np.float32)
    layer.set_weights([kernel, np.ones(3, np.float32)])
    np.testing.assert_allclose(layer(x).numpy(), ef_operator.ef_product(x, kernel), rtol=1e-5, atol=1e-5)
    inputs = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(inputs)
        total = tf.reduce_sum(layer(inputs))
    np.testing.assert_allclose(tape.gradient(total, layer.kernel).numpy(), np.sign(x).sum(axis=0)[:, None].repeat(3, 1))
    np.testing.assert_allclose(tape.gradient(total, inputs).numpy(), np.sign(kernel).sum(axis=1)[None].repeat(5, 0))


def test_ef_conv_equals_the_definition_on_patches():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    layer = ef_operator.EfConv2D(3, 3, padding="valid", use_bias=False)
    layer.build((None, 4, 4, 2))
    kernel = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    layer.set_weights([kernel, np.ones(3, np.float32)])
    output = layer(x).numpy()
    for i in range(2):
        for j in range(2):
            patch = x[0, i:i + 3, j:j + 3, :].reshape(-1)
            np.testing.assert_allclose(output[0, i, j], ef_operator.ef_product(patch, kernel.reshape(-1, 3)),
                                       rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_ef_model_runs_in_litert_like_in_keras():
    keras.utils.set_random_seed(0)
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    images = np.random.default_rng(2).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    ef = ef_operator.ef_model(model, ("conv3", "logits"), images)
    assert [type(layer).__name__ for layer in ef.layers if layer.name in ("conv3", "logits")] == ["EfConv2D", "EfDense"]
    assert ef_operator.emulated_multiply_adds(ef) > 0
    flatbuffer = compression_tflite.convert(ef)
    assert "SIGN" in compression_tflite.op_names(flatbuffer)
    keras_predictions = np.argmax(ef(images[..., None] / 255.0).numpy(), axis=-1)
    np.testing.assert_array_equal(compression_tflite.litert_predictions(flatbuffer, images), keras_predictions)


def test_calibrated_scale_matches_the_original_spread():
    keras.utils.set_random_seed(0)
    model = build_mnist_classifier(conv_filters=(4, 8), head_filters=16)
    images = np.random.default_rng(3).integers(0, 256, (16, 28, 28), dtype=np.uint8)
    ef = ef_operator.ef_model(model, ("logits",), images)
    features = keras.Model(model.inputs, model.get_layer("logits").input)(images[..., None] / 255.0)
    original = model.get_layer("logits")(features) - model.get_layer("logits").bias
    emulated = ef.get_layer("logits")(features) - ef.get_layer("logits").bias
    np.testing.assert_allclose(np.std(emulated.numpy(), axis=0), np.std(original.numpy(), axis=0), rtol=1e-3)


def test_only_dense_and_conv_layers_can_be_replaced():
    with pytest.raises(ValueError, match="replaces Dense and Conv2D"):
        ef_operator.ef_layer_from(keras.layers.MaxPool2D())
