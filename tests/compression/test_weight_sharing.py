"""Weight sharing: clustering leaves at most k values, the bit-packed format round-trips, tf.gather is exact."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tf_keras as keras

from mobileopt.compression import tflite as compression_tflite
from mobileopt.compression import weight_sharing
from mobileopt.models.classifier import build_mnist_classifier


@pytest.fixture(scope="module")
def clustered():
    keras.utils.set_random_seed(0)
    model = weight_sharing.cluster_for_fine_tuning(build_mnist_classifier(conv_filters=(4, 8), head_filters=16),
                                                   clusters=4, layers=("conv1", "conv2", "conv3", "logits"))
    rng = np.random.default_rng(0)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(rng.random((64, 28, 28, 1)), rng.integers(0, 10, 64), epochs=1, batch_size=32, verbose=0)
    return weight_sharing.strip(model)


@pytest.mark.slow
def test_clustering_leaves_at_most_k_values_per_kernel(clustered):
    counts = weight_sharing.distinct_kernel_values(clustered)
    assert set(counts) == {"conv1", "conv2", "conv3", "logits"}
    assert all(1 <= count <= 4 for count in counts.values())
    # Biases are not clustered.
    assert np.unique(clustered.get_layer("conv3").get_weights()[1]).size > 4


@pytest.mark.parametrize("bits", [1, 2, 3, 5, 8, 13])
def test_bit_packing_round_trips(bits):
    rng = np.random.default_rng(bits)
    indices = rng.integers(0, 2 ** bits, size=1001)
    packed = weight_sharing.pack_indices(indices, bits)
    assert len(packed) == int(np.ceil(1001 * bits / 8))
    np.testing.assert_array_equal(weight_sharing.unpack_indices(packed, bits, 1001), indices)


def test_packing_rejects_what_does_not_fit():
    with pytest.raises(ValueError, match="does not fit"):
        weight_sharing.pack_indices(np.array([4]), 2)
    with pytest.raises(ValueError, match="cannot hold"):
        weight_sharing.unpack_indices(b"\x00", 4, 3)


@pytest.mark.slow
def test_stored_format_round_trips_exactly(clustered):
    weights = weight_sharing.named_weights(clustered)
    encoded = weight_sharing.encode_weights(weights)
    decoded = weight_sharing.decode_weights(encoded)
    assert [name for name, _ in decoded] == [name for name, _ in weights]
    for (_, original), (_, restored) in zip(weights, decoded):
        np.testing.assert_array_equal(original, restored)
    # 4 clusters: 2-bit indices, so the kernels take ~1/16 of their float32 bytes.
    kernel_floats = sum(w.size for name, w in weights if "kernel" in name)
    assert len(encoded) < 4 * kernel_floats / 16 + 4 * sum(w.size for name, w in weights if "bias" in name) + 2000


def test_a_tensor_with_many_values_is_stored_raw():
    noise = np.random.default_rng(0).standard_normal((40, 40)).astype(np.float32)
    encoded = weight_sharing.encode_weights([("noise", noise)])
    assert len(encoded) > 4 * noise.size
    np.testing.assert_array_equal(weight_sharing.decode_weights(encoded)[0][1], noise)
    with pytest.raises(ValueError, match="magic"):
        weight_sharing.decode_weights(b"XXXX" + encoded[4:])


@pytest.mark.slow
@pytest.mark.parametrize("index_dtype", ["int16", "int32"])
def test_gather_model_computes_the_same_and_keeps_its_indices(clustered, index_dtype):
    images = np.random.default_rng(2).random((4, 28, 28, 1)).astype(np.float32)
    gathered = weight_sharing.gather_model(clustered, ("conv2", "conv3"), index_dtype)
    np.testing.assert_allclose(gathered(images).numpy(), clustered(images).numpy(), rtol=1e-5, atol=1e-5)
    flatbuffer = compression_tflite.convert(gathered)
    assert compression_tflite.op_names(flatbuffer).count("GATHER") == 2  # not folded into float kernels
    indices = 5 * 5 * 4 * 8 + 7 * 7 * 8 * 16
    assert len(flatbuffer) > indices * np.dtype(index_dtype).itemsize


def test_bad_arguments_raise(clustered):
    with pytest.raises(ValueError, match="at least 2 clusters"):
        weight_sharing.cluster_for_fine_tuning(clustered, 1, ("conv1",))
    with pytest.raises(ValueError, match="does not have"):
        weight_sharing.cluster_for_fine_tuning(clustered, 4, ("conv7",))
    with pytest.raises(ValueError, match="int16, int32 or int64"):
        weight_sharing.gather_model(clustered, ("conv1",), "int8")
