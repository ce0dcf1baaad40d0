"""Weight sharing by k-means weight clustering (section 2.7.1), and what it takes to store it smaller.

TFMOT's `cluster_weights` replaces every kernel weight by the nearest of k shared values (centroids,
initialised by k-means++), fine-tuning trains the centroids, and `strip_clustering` leaves a plain model
whose kernels hold at most k distinct values. How much smaller that model is depends on the format:

* float32 TFLite: one 4-byte float per weight, as before: no smaller;
* gzip of that file: a tensor with k distinct 4-byte patterns compresses well;
* the draft's formulation, kernel = tf.gather(codebook, indices), as a real TFLite model
  (`gather_model`): with 32-bit indices each weight still costs 4 bytes (the draft's point); TensorFlow
  now also accepts 16-bit indices, which halve it; both pay a GATHER of every weight at every inference;
* the format of this module (`encode_weights`): a float32 codebook per tensor plus bit-packed indices of
  ceil(log2 k) bits each, the storage of Deep Compression (Han et al., 2016) without Huffman coding. It
  is a storage format: `decode_weights` restores the exact weights (tests check the round trip), which a
  loader then hands to the float32 TFLite model.
"""
from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401  (legacy Keras before TensorFlow loads)
import tensorflow as tf
import tf_keras as keras

from mobileopt.compression import variants

FORMAT_MAGIC = b"MOWS"  # mobileopt weight sharing
FORMAT_VERSION = 1
RAW, SHARED = 0, 1
MAX_INDEX_BITS = 8  # tensors with more than 256 distinct values are stored raw
GATHER_EVALUATION_BATCH = 100


# --- clustering --------------------------------------------------------------------------------------

def cluster_for_fine_tuning(model, clusters: int, layers: tuple[str, ...]):
    """`model` with clustering wrappers (k-means++ initialised centroids) on `layers`."""
    import tensorflow_model_optimization as tfmot

    if clusters < 2:
        raise ValueError(f"weight sharing needs at least 2 clusters, got {clusters}")
    missing = set(layers) - {layer.name for layer in model.layers}
    if missing:
        raise ValueError(f"weight_sharing.layers names {sorted(missing)}, which the model does not have")
    init = tfmot.clustering.keras.CentroidInitialization.KMEANS_PLUS_PLUS

    def wrap(layer):
        if layer.name not in layers:
            return layer
        return tfmot.clustering.keras.cluster_weights(layer, number_of_clusters=clusters,
                                                      cluster_centroids_init=init)
    return keras.models.clone_model(model, clone_function=wrap)


def strip(clustered_model):
    import tensorflow_model_optimization as tfmot

    from mobileopt.compression.weight_pruning import plain_copy

    return plain_copy(tfmot.clustering.keras.strip_clustering(clustered_model))


def distinct_kernel_values(model) -> dict[str, int]:
    return {layer.name: int(np.unique(layer.get_weights()[0]).size)
            for layer in model.layers if layer.get_weights() and layer.get_weights()[0].ndim >= 2}


# --- bit packing -------------------------------------------------------------------------------------

def index_bits(distinct: int) -> int:
    """Bits per index for a codebook of `distinct` values (at least 1)."""
    return max(1, math.ceil(math.log2(max(distinct, 1))))


def pack_indices(indices: np.ndarray, bits: int) -> bytes:
    """Unsigned integers < 2**bits, `bits` each, least significant bit first, padded to whole bytes."""
    indices = np.asarray(indices).ravel().astype(np.uint32)
    if not 1 <= bits <= 32:
        raise ValueError(f"bits per index must lie in 1..32, got {bits}")
    if indices.size and int(indices.max()) >= 1 << bits:
        raise ValueError(f"index {int(indices.max())} does not fit in {bits} bits")
    bit_matrix = ((indices[:, None] >> np.arange(bits, dtype=np.uint32)) & 1).astype(np.uint8)
    return np.packbits(bit_matrix.ravel(), bitorder="little").tobytes()


def unpack_indices(data: bytes, bits: int, count: int) -> np.ndarray:
    needed = math.ceil(count * bits / 8)
    if len(data) < needed:
        raise ValueError(f"{len(data)} bytes cannot hold {count} indices of {bits} bits ({needed} needed)")
    bit_array = np.unpackbits(np.frombuffer(data[:needed], dtype=np.uint8), bitorder="little")
    bit_matrix = bit_array[:count * bits].reshape(count, bits).astype(np.uint32)
    return (bit_matrix << np.arange(bits, dtype=np.uint32)).sum(axis=1).astype(np.uint32)


# --- the stored format -------------------------------------------------------------------------------

def encode_weights(named_weights: list[tuple[str, np.ndarray]]) -> bytes:
    """Every tensor either shared (float32 codebook + bit-packed indices) or raw float32.

    A tensor is stored shared when that is smaller: it has at most 2**MAX_INDEX_BITS distinct values and
    codebook + packed indices take fewer bytes than the raw floats.
    Layout (little-endian): magic, version u8, tensor count u16; per tensor: kind u8, name (u8 length +
    UTF-8), rank u8, dims u32 each; raw: float32 values; shared: bits u8, codebook size u16, float32
    codebook, packed indices.
    """
    parts = [FORMAT_MAGIC, struct.pack("<BH", FORMAT_VERSION, len(named_weights))]
    for name, array in named_weights:
        array = np.asarray(array, dtype=np.float32)
        encoded_name = name.encode("utf-8")
        header = struct.pack("<B", len(encoded_name)) + encoded_name + struct.pack(
            "<B", array.ndim) + struct.pack(f"<{array.ndim}I", *array.shape)
        codebook, indices = np.unique(array.ravel(), return_inverse=True)
        bits = index_bits(codebook.size)
        shared_size = 4 * codebook.size + math.ceil(array.size * bits / 8)
        if codebook.size <= 1 << MAX_INDEX_BITS and shared_size < 4 * array.size:
            parts += [struct.pack("<B", SHARED), header, struct.pack("<BH", bits, codebook.size),
                      codebook.astype("<f4").tobytes(), pack_indices(indices, bits)]
        else:
            parts += [struct.pack("<B", RAW), header, array.astype("<f4").tobytes()]
    return b"".join(parts)


def decode_weights(data: bytes) -> list[tuple[str, np.ndarray]]:
    if data[:4] != FORMAT_MAGIC:
        raise ValueError("not a weight-sharing file (bad magic)")
    version, count = struct.unpack_from("<BH", data, 4)
    if version != FORMAT_VERSION:
        raise ValueError(f"weight-sharing format version {version}; this code reads {FORMAT_VERSION}")
    offset, tensors = 7, []
    for _ in range(count):
        kind, name_length = struct.unpack_from("<BB", data, offset)
        offset += 2
        name = data[offset:offset + name_length].decode("utf-8")
        offset += name_length
        (rank,) = struct.unpack_from("<B", data, offset)
        shape = struct.unpack_from(f"<{rank}I", data, offset + 1)
        offset += 1 + 4 * rank
        size = int(np.prod(shape)) if rank else 1
        if kind == RAW:
            array = np.frombuffer(data, dtype="<f4", count=size, offset=offset)
            offset += 4 * size
        elif kind == SHARED:
            bits, codebook_size = struct.unpack_from("<BH", data, offset)
            offset += 3
            codebook = np.frombuffer(data, dtype="<f4", count=codebook_size, offset=offset)
            offset += 4 * codebook_size
            packed = math.ceil(size * bits / 8)
            array = codebook[unpack_indices(data[offset:offset + packed], bits, size)]
            offset += packed
        else:
            raise ValueError(f"tensor {name!r}: unknown storage kind {kind}")
        tensors.append((name, np.asarray(array, dtype=np.float32).reshape(shape)))
    return tensors


def named_weights(model) -> list[tuple[str, np.ndarray]]:
    return [(weight.name, weight.numpy()) for weight in model.weights]


# --- the draft's tf.gather formulation ---------------------------------------------------------------

def gather_model(model, layers: tuple[str, ...], index_dtype: str):
    """`model` with each kernel in `layers` computed at inference as tf.gather(codebook, indices).

    The indices are constants of `index_dtype` (int32 or int16; tf.gather accepts no narrower type).
    The codebook gets a zero added that depends on the input, so the converter cannot fold the gather
    back into a float32 kernel (it folds every all-constant subgraph): the .tflite really stores the
    indices and really gathers.
    """
    from mobileopt.models.surgery import rebuild

    if index_dtype not in ("int32", "int16"):
        raise ValueError(f"tf.gather takes int16, int32 or int64 indices; use int32 or int16, not {index_dtype}")
    return rebuild(model, {name: (lambda layer, x: gathered_layer(layer, index_dtype)(x)) for name in layers},
                   name=f"{model.name}_gather_{index_dtype}")


class GatheredKernelLayer(keras.layers.Layer):
    """A Conv2D or Dense whose kernel is codebook[indices], gathered at every call (never saved: it
    exists to be converted to TFLite)."""

    def __init__(self, codebook, indices, bias, kind, activation, strides=None, padding=None, **kwargs):
        super().__init__(**kwargs)
        self.codebook = tf.constant(codebook, tf.float32)
        self.indices = tf.constant(indices)
        self.bias = None if bias is None else tf.constant(bias, tf.float32)
        self.kind, self.activation = kind, keras.activations.get(activation)
        self.strides, self.padding = strides, padding

    def call(self, x):
        zero = tf.minimum(tf.reduce_min(tf.abs(x)), 0.0)  # 0, but only known at run time
        kernel = tf.gather(self.codebook + zero, self.indices)
        if self.kind == "conv":
            y = tf.nn.conv2d(x, kernel, strides=self.strides, padding=self.padding)
        else:
            y = tf.matmul(x, kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)


def gathered_layer(layer, index_dtype: str) -> GatheredKernelLayer:
    """The gather form of a trained Dense or Conv2D layer (codebook = its distinct kernel values)."""
    weights = layer.get_weights()
    codebook, indices = np.unique(weights[0], return_inverse=True)
    indices = indices.reshape(weights[0].shape).astype(index_dtype)
    bias = weights[1] if len(weights) > 1 else None
    activation = keras.activations.serialize(layer.activation)
    if isinstance(layer, keras.layers.Dense):
        return GatheredKernelLayer(codebook, indices, bias, "dense", activation, name=layer.name)
    if type(layer) is keras.layers.Conv2D:
        return GatheredKernelLayer(codebook, indices, bias, "conv", activation, tuple(layer.strides),
                                   layer.padding.upper(), name=layer.name)
    raise ValueError(f"{layer.name}: gathered kernels for Dense and Conv2D only, not {type(layer).__name__}")


# --- the experiment ----------------------------------------------------------------------------------

def stored_sizes(model) -> dict:
    """Bytes of the weights in this module's format, raw and gzipped, and the bits per index used."""
    from mobileopt.compression.tflite import gzip_bytes

    packed = encode_weights(named_weights(model))
    return {"packed_bytes": len(packed), "packed_gzip_bytes": gzip_bytes(packed),
            "float32_weight_bytes": int(4 * sum(w.size for w in model.get_weights()))}


def run_weight_sharing(config: dict, baseline_path: str | Path, data_path: str | Path, out_dir: str | Path,
                       tflite_dir: str | Path, threads: int) -> list[dict]:
    from mobileopt.compression import tflite
    from mobileopt.compression import training as ft

    arrays, fine_tune = ft.prepare_fine_tuning(config, data_path, threads)
    section = config["compression"]["weight_sharing"]
    layers = tuple(section["layers"])
    out_dir, tflite_dir = Path(out_dir), Path(tflite_dir)
    records = []
    for clusters, name in zip(section["clusters"], variants.weight_sharing_models(section)):
        keras.utils.set_random_seed(config["seed"])
        clustered = cluster_for_fine_tuning(ft.load_baseline(baseline_path), clusters, layers)
        frame, seconds, images = ft.fine_tune(clustered, arrays, fine_tune)
        final = strip(clustered)
        metrics = ft.describe_model(final, arrays, config["seed"], threads, seconds, frame, fine_tune, images)
        sizes = stored_sizes(final)
        metrics.update(clusters=clusters, clustered_layers=list(layers),
                       distinct_kernel_values=distinct_kernel_values(final), **sizes)
        ft.save_variant(final, frame, metrics, out_dir / name)
        records.append(tflite.write_artefact(tflite.convert(final), tflite_dir / f"{name}.tflite",
                                             out_dir / f"{name}.json", arrays, threads, method="weight_sharing",
                                             model=name, format="float32", clusters=clusters, **sizes))
        if clusters == section["gather_clusters"]:
            for index_dtype in ("int32", "int16"):
                artefact = f"gather_{index_dtype}_{clusters}"
                flatbuffer = tflite.convert(gather_model(final, layers, index_dtype))
                # Batches of 100 images: every invocation gathers all 455k weights anew, which at batch 1
                # would make this evaluation the slowest step of the topic; per image nothing changes.
                records.append(tflite.write_artefact(
                    flatbuffer, tflite_dir / f"{artefact}.tflite", out_dir / f"{artefact}.json", arrays, threads,
                    batch_size=GATHER_EVALUATION_BATCH, method="weight_sharing", model=name,
                    format=f"gather, {index_dtype} indices", clusters=clusters))
    return records
