"""SVD factorisation: exact at full rank, optimal when truncated, really cheaper below break-even."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tf_keras as keras

from mobileopt.measurement import cost_model
from mobileopt.compression import factorization
from mobileopt.models.surgery import fully_connected_form
from mobileopt.models.classifier import build_mnist_classifier


@pytest.fixture(scope="module")
def tiny_classifier():
    keras.utils.set_random_seed(0)
    return build_mnist_classifier(conv_filters=(4, 8), head_filters=16)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((8, 28, 28, 1)).astype(np.float32)


@pytest.mark.parametrize("layer", ["conv1", "conv2", "conv3", "logits"])
def test_full_rank_reproduces_the_model(tiny_classifier, images, layer):
    full = factorization.full_rank(tiny_classifier.get_layer(layer))
    factorised = factorization.factorise(tiny_classifier, {layer: full})
    np.testing.assert_allclose(factorised(images).numpy(), tiny_classifier(images).numpy(), rtol=1e-4, atol=1e-4)


def test_dense_layer_factorises_into_two_dense_layers(tiny_classifier, images):
    model = fully_connected_form(tiny_classifier)  # conv3 as Flatten + Dense
    np.testing.assert_allclose(model(images).numpy(), tiny_classifier(images).numpy(), rtol=1e-5, atol=1e-5)
    factorised = factorization.factorise(model, {"conv3": 16})
    kinds = [type(layer).__name__ for layer in factorised.layers if layer.name.startswith("conv3_svd")]
    assert kinds == ["Dense", "Dense"]
    np.testing.assert_allclose(factorised(images).numpy(), model(images).numpy(), rtol=1e-4, atol=1e-4)


def test_truncation_error_is_the_discarded_spectrum():
    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((30, 12))
    first, second = factorization.truncated_factors(matrix, 5)
    assert first.shape == (30, 5) and second.shape == (5, 12)
    error = np.linalg.norm(matrix - first @ second) / np.linalg.norm(matrix)
    s = np.linalg.svd(matrix, compute_uv=False)
    assert error == pytest.approx(np.sqrt(np.sum(s[5:] ** 2) / np.sum(s ** 2)), rel=1e-5)
    assert factorization.relative_error(matrix, 5) == pytest.approx(error, rel=1e-5)
    # Eckart-Young: no rank-5 matrix is closer, e.g. not a random projection of it.
    projection = np.linalg.qr(rng.standard_normal((12, 5)))[0]
    assert np.linalg.norm(matrix - matrix @ projection @ projection.T) / np.linalg.norm(matrix) > error


def test_multiply_adds_drop_to_k_l_n_plus_m(tiny_classifier):
    layer = tiny_classifier.get_layer("conv2")  # 5x5x4 -> 8 at 14x14 positions: N = 100, M = 8
    before = cost_model.count_multiply_adds(tiny_classifier)
    after = cost_model.count_multiply_adds(factorization.factorise(tiny_classifier, {"conv2": 3}))
    positions, n, m = 14 * 14, 5 * 5 * 4, 8
    assert before - after == positions * n * m - positions * 3 * (n + m)
    assert factorization.break_even_rank(layer) == pytest.approx(n * m / (n + m))


def test_singular_values_are_tidy_and_sorted(tiny_classifier):
    spectra = factorization.singular_values(tiny_classifier)
    assert set(spectra["layer"]) == {"conv1", "conv2", "conv3", "logits"}
    for _, part in spectra.groupby("layer"):
        assert np.all(np.diff(part["singular_value"]) <= 1e-9)
        assert part["energy"].iloc[-1] == pytest.approx(1.0)


def test_bad_requests_raise(tiny_classifier):
    with pytest.raises(ValueError, match="rank"):
        factorization.truncated_factors(np.ones((4, 3)), 4)
    with pytest.raises(ValueError, match="no layer"):
        factorization.factorise(tiny_classifier, {"conv9": 2})
    with pytest.raises(ValueError, match="Dense and plain Conv2D"):
        factorization.factorise(tiny_classifier, {"pool1": 2})
