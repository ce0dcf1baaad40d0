"""Model surgery on chain models: rebuild a Keras model with some layers replaced, weights carried over.

The Table 2.2 classifier is a chain (every layer feeds the next). Compression methods change single
layers of it: SVD replaces a layer by two, Fisher pruning drops channels, the ef-operator swaps the
product, fully connected form writes the 7x7 VALID convolution as Flatten + Dense. Each is a
`replacements` entry {layer name: function(layer, tensor) -> tensor}; every other layer is re-created
from its config with its trained weights, so the new model shares no layer object with the old one
(the cost model requires each layer to be called exactly once).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

import mobileopt  # noqa: F401
import tf_keras as keras

Replacement = Callable[[keras.layers.Layer, object], object]


def chain_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers of a chain model after its input (each reads only the previous one, once); ValueError
    for branching or shared-layer models, which the surgery here would rebuild wrongly."""
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    for previous, layer in zip(model.layers, layers):
        inbound = [node.inbound_layers for node in layer.inbound_nodes]
        if len(inbound) != 1 or inbound[0] is not previous:
            raise ValueError(f"{model.name}: layer {layer.name!r} does not take only the previous layer's "
                             f"output {previous.name!r}; model surgery here supports chain models only")
    return layers


def copy_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
    """A fresh layer with the same config; weights are set once it is built (see `rebuild`)."""
    return layer.__class__.from_config(layer.get_config())


def rebuild(model: keras.Model, replacements: dict[str, Replacement] | None = None,
            name: str | None = None) -> keras.Model:
    """The chain `model` with each layer named in `replacements` replaced by what its function builds.

    Unknown names raise, so a typo in a config cannot silently leave the model unchanged.
    """
    replacements = dict(replacements or {})
    layers = chain_layers(model)
    unknown = set(replacements) - {layer.name for layer in layers}
    if unknown:
        raise ValueError(f"{model.name} has no layer(s) {sorted(unknown)}; it has "
                         f"{[layer.name for layer in layers]}")
    inputs = keras.Input(model.input_shape[1:], name=model.layers[0].name)
    x = inputs
    for layer in layers:
        if layer.name in replacements:
            x = replacements[layer.name](layer, x)
        else:
            fresh = copy_layer(layer)
            x = fresh(x)
            fresh.set_weights(layer.get_weights())
    return keras.Model(inputs, x, name=name or model.name)


def conv_as_dense_kernel(layer: keras.layers.Conv2D) -> np.ndarray:
    """A convolution evaluated at a single position as the kernel of a Dense layer on the flattened input.

    Keras flattens H x W x C in row-major order, which is the order of the kernel's first three axes,
    so the reshape is exact.
    """
    return layer.get_weights()[0].reshape(-1, layer.filters)


def fully_connected_form(model: keras.Model, layer_name: str = "conv3") -> keras.Model:
    """Write a convolution whose kernel covers its whole (VALID) input as Flatten + Dense.

    The output is the same; TFLite then runs FULLY_CONNECTED instead of CONV_2D, which matters because
    only FULLY_CONNECTED has a sparse kernel in LiteRT.
    """
    def replace(layer, x):
        spatial = tuple(x.shape[1:3])
        if layer.padding != "valid" or tuple(layer.kernel_size) != spatial or tuple(layer.strides) != (1, 1):
            raise ValueError(f"{layer.name}: only a VALID convolution whose kernel covers its whole "
                             f"{spatial} input is a fully connected layer")
        x = keras.layers.Flatten(name=f"{layer.name}_flatten")(x)
        dense = keras.layers.Dense(layer.filters, activation=layer.activation, use_bias=layer.use_bias,
                                   name=layer.name)
        y = dense(x)
        dense.set_weights([conv_as_dense_kernel(layer)] + layer.get_weights()[1:])
        return y
    return rebuild(model, {layer_name: replace})
