"""Activation counting and real unit/channel surgery on Keras chain models (dense and (de)convolution).

`prune_units` builds a genuinely smaller model: the original's config with fewer units / filters in the
pruned layers, and the surviving weights copied into it. For every pruned layer that means the kept
columns of its kernel and entries of its bias (Dense: kernel (in, out); Conv2D: (kh, kw, in, out);
Conv2DTranspose: (kh, kw, out, in)), the kept entries of a following BatchNormalization's scale, offset,
moving mean and variance, and the kept input slices of the next weight layer. So the multiply-adds, the
TFLite file and the LiteRT latency of the pruned model all shrink, unlike a mask.

Only chain models are supported (every layer reads the previous one: Sequential-like functional models
such as the toy network and the autoencoder); anything else raises, rather than being pruned wrongly.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

import mobileopt  # noqa: F401  (legacy Keras before TensorFlow loads)
import tf_keras as keras

from mobileopt.models.surgery import chain_layers

_layers = keras.layers
# Conv2DTranspose subclasses Conv2D: test it first.
_WEIGHT_LAYERS = (_layers.Conv2DTranspose, _layers.Conv2D, _layers.Dense)
_CHANNEL_PRESERVING = (_layers.ReLU, _layers.Activation, _layers.Dropout, _layers.MaxPooling2D,
                       _layers.AveragePooling2D, _layers.UpSampling2D, _layers.ZeroPadding2D)


def width(layer) -> int:
    """Output units (Dense) or channels (convolutions) of a weight layer."""
    return int(layer.units if isinstance(layer, _layers.Dense) else layer.filters)


def _sliced(layer, in_keep: np.ndarray, out_keep: np.ndarray) -> list[np.ndarray]:
    weights = layer.get_weights()
    if isinstance(layer, _layers.Conv2DTranspose):
        kernel = weights[0][:, :, out_keep, :][..., in_keep]
    elif isinstance(layer, (_layers.Conv2D, _layers.Dense)):
        kernel = weights[0][..., in_keep, :][..., out_keep]
    else:
        raise NotImplementedError(type(layer).__name__)
    return [kernel] + [bias[out_keep] for bias in weights[1:]]


def prune_units(model: keras.Model, keep: Mapping[str, np.ndarray]) -> keras.Model:
    """A new, smaller model without the units / channels whose `keep` mask entry is False.

    `keep` maps the names of Dense / Conv2D / Conv2DTranspose layers to boolean masks over their output
    units; unnamed layers keep all. Regularisers and every other setting come from the model's config.
    """
    layers = chain_layers(model)
    by_name = {layer.name: layer for layer in layers}
    for name, mask in keep.items():
        layer = by_name.get(name)
        if not isinstance(layer, _WEIGHT_LAYERS):
            raise ValueError(f"{name!r} is not a Dense/Conv2D/Conv2DTranspose layer of {model.name!r}")
        if np.asarray(mask).shape != (width(layer),) or not np.asarray(mask).any():
            raise ValueError(f"keep mask for {name!r} must have {width(layer)} entries, at least one True")
    config = model.get_config()
    for entry in config["layers"]:
        if entry["config"]["name"] in keep:
            layer = by_name[entry["config"]["name"]]
            entry["config"]["units" if isinstance(layer, _layers.Dense) else "filters"] = int(np.count_nonzero(keep[layer.name]))
    pruned = keras.Model.from_config(config)
    channels = np.ones(model.input_shape[-1], dtype=bool)  # which channels of the current tensor survive
    for layer in layers:
        target = pruned.get_layer(layer.name)
        if isinstance(layer, _WEIGHT_LAYERS):
            out_keep = np.asarray(keep.get(layer.name, np.ones(width(layer), dtype=bool)), dtype=bool)
            target.set_weights(_sliced(layer, channels, out_keep))
            channels = out_keep
        elif isinstance(layer, _layers.BatchNormalization):
            if layer.axis not in ([-1], [len(layer.input_shape) - 1]):
                raise NotImplementedError(f"{layer.name!r}: batch norm over an axis other than the channels")
            target.set_weights([weights[channels] for weights in layer.get_weights()])
        elif isinstance(layer, _CHANNEL_PRESERVING) and not layer.weights:
            continue
        elif not layer.weights and channels.all():  # e.g. Flatten before any pruned layer
            channels = np.ones(layer.output_shape[-1], dtype=bool)
        else:
            raise NotImplementedError(f"cannot prune through {type(layer).__name__} layer {layer.name!r}")
    return pruned


def count_activations(model: keras.Model, layer_names: list[str], inputs: np.ndarray,
                      thresholds: list[np.ndarray] | None = None,
                      batch_size: int = 500) -> list[tuple[np.ndarray, int]]:
    """For each named layer: how often each unit / channel exceeds its threshold (default 0: is active)
    over all inputs and positions, and how many values were counted per unit (inputs x positions).
    Runs in inference mode: the weights and batch-norm statistics are frozen."""
    import tensorflow as tf

    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names])
    if thresholds is None:
        thresholds = [np.zeros(model.get_layer(name).output_shape[-1], np.float32) for name in layer_names]
    limits = [tf.constant(np.asarray(t, np.float32)) for t in thresholds]

    @tf.function
    def batch_counts(batch):
        outputs = probe(batch, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return [tf.reduce_sum(tf.cast(tf.reshape(out, [-1, out.shape[-1]]) > limit, tf.int64), axis=0)
                for out, limit in zip(outputs, limits)]

    totals = [0] * len(layer_names)
    for start in range(0, len(inputs), batch_size):
        counts = batch_counts(tf.constant(inputs[start:start + batch_size]))
        totals = [total + count.numpy() for total, count in zip(totals, counts)]
    positions = [int(np.prod(model.get_layer(name).output_shape[1:-1])) for name in layer_names]
    return [(total, len(inputs) * position) for total, position in zip(totals, positions)]


def distort_layers(model: keras.Model, layer_names: list[str], rng: np.random.Generator) -> keras.Model:
    """Add the draft's distortion noise (mobileopt.activation_pruning.criteria.distortion_noise) to every weight
    tensor (kernel, bias) of the named layers, in place; returns the model."""
    from mobileopt.activation_pruning.criteria import distort

    for name in layer_names:
        layer = model.get_layer(name)
        layer.set_weights(distort(layer.get_weights(), rng))
    return model
