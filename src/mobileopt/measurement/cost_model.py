"""Per-layer parameter and multiply-add (MAC) counts of tf_keras models.

This is the project's one place that counts model cost. Conventions, and why:

* Cost is counted in multiply-adds (MACs), not FLOPs. One MAC multiplies an input by a
  weight and accumulates the product into an output. He et al. (2016) report ResNet-34/50
  as 3.6e9/3.8e9 "FLOPs" and Howard et al. (2017) report MobileNets in "Mult-Adds"; both
  are this quantity. FLOP counters such as the TensorFlow profiler report about 2 x MACs.
* Only the multiply-accumulates of weight layers (convolutions and Dense) are counted, as in
  those papers. Pooling, activations, element-wise adds, concatenation, reshapes, padding,
  dropout and preprocessing cost 0 MACs. Normalisation layers (BatchNormalization, ...) and
  PReLU hold weights but also cost 0: they are per-element scales and shifts, not
  multiply-accumulates, and at inference BatchNormalization folds into the preceding layer.
* Bias additions are not MACs. They are reported separately as ``bias_adds`` (the number of
  output elements that receive a bias) for comparison with profilers that count them.
* Parameters are ``layer.count_params()``: every weight, trainable or not. This includes
  BatchNormalization's moving mean and variance, as ``model.count_params()`` does.
* All counts are per example, from the static shapes of the functional graph (batch dropped).
* A layer type with weights but no rule below raises NotImplementedError, so nothing is
  silently counted as free. Layer types without weights count 0 MACs.

MAC rules, with E = output elements = output positions x output channels, k = kernel size:

=====================  ===================================================================
Conv1D/2D/3D           E * prod(k) * C_in / groups
DepthwiseConv1D/2D     E * prod(k)  (E already includes the depth multiplier D)
SeparableConv1D/2D     positions_out * (prod(k) * C_in * D  +  C_in * D * C_out)
Conv1D/2D/3DTranspose  positions_in * prod(k) * C_in * C_out  (see below)
Dense                  E * in_features  (on rank > 2 inputs, for every leading position)
=====================  ===================================================================

Transposed convolutions are counted the way TensorFlow computes them (Conv2DBackpropInput,
the gradient of the convolution whose output is the transposed convolution's input): every
input position scatters a prod(k) x C_out patch, which costs C_in multiply-adds per element.
"""
from __future__ import annotations

import collections
import dataclasses
import math

import pandas as pd
import tensorflow as tf
import tf_keras as keras
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

_layers = keras.layers
# Dispatch order matters: Conv2DTranspose subclasses Conv2D.
_SEPARABLE = (_layers.SeparableConv1D, _layers.SeparableConv2D)
_DEPTHWISE = (_layers.DepthwiseConv1D, _layers.DepthwiseConv2D)
_TRANSPOSED = (_layers.Conv1DTranspose, _layers.Conv2DTranspose, _layers.Conv3DTranspose)
_CONVOLUTION = (_layers.Conv1D, _layers.Conv2D, _layers.Conv3D)
_MAC_LAYERS = _SEPARABLE + _DEPTHWISE + _TRANSPOSED + _CONVOLUTION + (_layers.Dense,)
# Layers with weights that are applied element-wise: 0 MACs by convention (module docstring).
_ELEMENTWISE_WEIGHTED = (
    _layers.BatchNormalization,
    _layers.LayerNormalization,
    _layers.GroupNormalization,
    _layers.Normalization,
    _layers.PReLU,
)


@dataclasses.dataclass(frozen=True)
class LayerCost:
    """Cost of one leaf layer for one example; nested layers are named ``outer/inner``."""

    name: str
    layer_type: str
    output_shape: tuple  # without batch; a tuple of shapes for multi-output layers
    parameters: int
    multiply_adds: int
    bias_adds: int  # output elements that get a bias added, 0 without bias


def layer_costs(model: keras.Model) -> list[LayerCost]:
    """Costs of every leaf layer of ``model`` in layer order, recursing into nested models.

    Raises ValueError if a layer's shapes are not static (build the model from a fully
    specified ``keras.Input``) or if a layer is called more than once (shared layers).
    """
    costs = []
    for layer in model.layers:
        if isinstance(layer, _layers.InputLayer):
            continue  # a placeholder, not a computation
        if isinstance(layer, keras.Model):
            nested = layer_costs(layer)
            costs += [dataclasses.replace(c, name=f"{layer.name}/{c.name}") for c in nested]
        else:
            costs.append(_leaf_cost(layer))
    return costs


def count_parameters(model: keras.Model) -> int:
    """Total parameters (equals ``model.count_params()`` for models without shared layers)."""
    return sum(cost.parameters for cost in layer_costs(model))


def count_multiply_adds(model: keras.Model) -> int:
    """Total multiply-adds of one forward pass of one example."""
    return sum(cost.multiply_adds for cost in layer_costs(model))


def costs_table(model: keras.Model) -> pd.DataFrame:
    """One row per leaf layer: name, layer_type, output_shape ("14x14x64"), parameters, MACs."""
    rows = [
        {
            "name": cost.name,
            "layer_type": cost.layer_type,
            "output_shape": _format_shape(cost.output_shape),
            "parameters": cost.parameters,
            "multiply_adds": cost.multiply_adds,
        }
        for cost in layer_costs(model)
    ]
    columns = ["name", "layer_type", "output_shape", "parameters", "multiply_adds"]
    return pd.DataFrame(rows, columns=columns)


def profiler_float_ops(model: keras.Model, input_shape: tuple) -> dict[str, int]:
    """Float ops the TensorFlow profiler counts for one example, per TensorFlow op type.

    The model is traced for a batch of 1 in inference mode and its variables are frozen to
    constants, so the profiler sees only the forward graph. Op types it has no statistics
    for (Relu, FusedBatchNormV3, ...) count 0 and are left out. Relation to this module, as
    established in tests/measurement/test_cost_model.py:

    * Conv2D (also Conv1D and the separable pointwise), Conv3D, DepthwiseConv2dNative
      (also the separable depthwise), MatMul (Dense): 2 x multiply_adds.
    * BiasAdd: bias_adds.
    * Conv2DBackpropInput (transposed conv): 2 * prod(k) * C_in * C_out * positions_out /
      prod(strides), i.e. 2 x multiply_adds only when positions_out = positions_in x
      prod(strides) (SAME padding, no output_padding).
    * Not MACs, so not counted here: MaxPool/AvgPool = pool area x output elements,
      Mean (global pooling) = input elements, AddV2 = output elements.
    * Grouped convolutions run inside a compiled function the profiler does not enter (0).
    """
    spec = tf.TensorSpec([1, *input_shape], model.inputs[0].dtype)
    traced = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
    graph = convert_variables_to_constants_v2(traced).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"  # return the numbers, print nothing
    root = tf.compat.v1.profiler.profile(graph, options=options, cmd="scope")
    counts = collections.Counter()
    pending = list(root.children)
    while pending:  # the scope tree holds each graph node once, with its own float_ops
        node = pending.pop()
        pending += node.children
        if node.float_ops:
            counts[graph.get_operation_by_name(node.name).type] += node.float_ops
    if sum(counts.values()) != root.total_float_ops:
        raise RuntimeError("profiler float ops were not all attributed to graph nodes")
    return dict(counts)


def _leaf_cost(layer: _layers.Layer) -> LayerCost:
    if len(layer.inbound_nodes) != 1:
        raise ValueError(
            f"layer {layer.name!r} ({type(layer).__name__}) is called "
            f"{len(layer.inbound_nodes)} times in functional graphs; costs need exactly one "
            "call (shared layers, subclassed models and unbuilt Sequentials are not supported)"
        )
    outputs = [_static_shape(tensor, layer) for tensor in tf.nest.flatten(layer.output)]
    output_shape = outputs[0] if len(outputs) == 1 else tuple(outputs)
    macs = _multiply_adds(layer, outputs)
    has_bias = isinstance(layer, _MAC_LAYERS) and layer.use_bias
    return LayerCost(
        name=layer.name,
        layer_type=type(layer).__name__,
        output_shape=output_shape,
        parameters=int(layer.count_params()),
        multiply_adds=int(macs),
        bias_adds=math.prod(output_shape) if has_bias else 0,
    )


def _multiply_adds(layer: _layers.Layer, outputs: list[tuple]) -> int:
    """MACs of one call of a leaf layer, by the rules in the module docstring."""
    if not isinstance(layer, _MAC_LAYERS):
        if layer.weights and not isinstance(layer, _ELEMENTWISE_WEIGHTED):
            raise NotImplementedError(
                f"no multiply-add rule for layer {layer.name!r} of type "
                f"{type(layer).__name__}, which has weights; add one to mobileopt.measurement.cost_model"
            )
        return 0
    elements = math.prod(outputs[0])
    if isinstance(layer, _SEPARABLE):
        positions = elements // layer.pointwise_kernel.shape[-1]
        depthwise = math.prod(layer.depthwise_kernel.shape)  # prod(k) * C_in * D
        pointwise = math.prod(layer.pointwise_kernel.shape)  # C_in * D * C_out
        return positions * (depthwise + pointwise)
    if isinstance(layer, _DEPTHWISE):
        return elements * math.prod(layer.kernel_size)
    if isinstance(layer, _TRANSPOSED):  # kernel: (*k, C_out, C_in)
        positions_in = math.prod(_static_shape(layer.input, layer)) // layer.kernel.shape[-1]
        return positions_in * math.prod(layer.kernel.shape)
    # Conv kernel (*k, C_in / groups, C_out); Dense kernel (in_features, units).
    return elements * math.prod(layer.kernel.shape[:-1])


def _static_shape(tensor, layer: _layers.Layer) -> tuple[int, ...]:
    """Shape of a symbolic tensor without its batch dimension; ValueError if not static."""
    shape = tuple(tensor.shape)[1:] if tensor.shape.rank is not None else (None,)
    if any(dim is None for dim in shape):
        raise ValueError(
            f"layer {layer.name!r} ({type(layer).__name__}) has shape "
            f"{tuple(tensor.shape)} with unknown non-batch dimensions; build the model "
            "from a fully specified input, e.g. keras.Input((224, 224, 3))"
        )
    return tuple(int(dim) for dim in shape)


def _format_shape(shape: tuple) -> str:
    if shape and isinstance(shape[0], tuple):  # multi-output layer
        return ", ".join(_format_shape(part) for part in shape)
    return "x".join(str(dim) for dim in shape)
