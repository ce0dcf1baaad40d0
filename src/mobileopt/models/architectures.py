"""Builders of the MNIST classifier variants of sections 2.3-2.5 (efficient structures, alternative
operations, best practices). One parameterised builder per family; a variant is its arguments.

Families, each trained from scratch on MNIST by rule structures_train:

* ``build_operation_classifier``: the draft's Table 2.2 classifier with every convolution built by a
  given *operation*: the standard convolution (reproduces models.build_mnist_classifier), the 1-D
  decomposition of DecomposeMe [AP16] (N x 1 then 1 x N with P intermediate channels, or the reverse
  order), or the depthwise separable convolution with depth multiplier I [HZC17].
* ``build_block_classifier``: the classifier with its second convolution (the stage that holds 90 %
  of the multiply-adds) replaced by a plain 5 x 5 convolution, an Inception block [SLJ14, SVI16] or a
  stack of bottleneck blocks [HZRS15], each sized by one width so the three can be compared at
  matched cost (``width_for_multiply_adds``).
* ``build_deep_classifier``: a deep, thin network of 3 x 3 convolutions, plain or with residual
  connections [HZRS15] (the CIFAR-style 6n+2-layer design of He et al., Section 4.2).
"""
from __future__ import annotations

import math
from typing import Callable

import mobileopt  # noqa: F401  (legacy Keras)
import tf_keras as keras

from mobileopt.measurement import cost_model
from mobileopt.models.classifier import MNIST_CLASSES, MNIST_INPUT_SHAPE

layers = keras.layers

DECOMPOSITION_ORDERS = ("vertical_first", "horizontal_first")  # N x 1 first, or 1 x N first
BLOCK_FAMILIES = ("plain", "inception", "bottleneck")

# A convolution factory: (input tensor, output channels, kernel size, padding, name) -> output tensor
# with ReLU applied. The Table 2.2 skeleton is the same for every operation; only this changes.
ConvFactory = Callable[[object, int, int, str, str], object]


# --- 1-D decomposition (DecomposeMe) --------------------------------------------------------------


def decomposition_bound(kernel_size: int, in_channels: int, out_channels: int) -> float:
    """The draft's bound on the intermediate channels: P < N K L / (K + L) saves multiply-adds.

    It compares N P (K + L) with N^2 K L per output position, which holds when both 1-D convolutions
    run at the output's positions (SAME padding, stride 1); see ``decomposed_multiply_adds``.
    """
    if min(kernel_size, in_channels, out_channels) < 1:
        raise ValueError("kernel size and channel counts must be positive")
    return kernel_size * in_channels * out_channels / (in_channels + out_channels)


def intermediate_channels(kernel_size: int, in_channels: int, out_channels: int,
                          bound_fraction: float) -> int:
    """P = the given fraction of the bound, rounded down, at least 1 and always below the bound.

    On a SAME convolution the decomposed pair then costs (about) that fraction of the original.
    """
    if not 0 < bound_fraction < 1:
        raise ValueError(f"bound_fraction must lie in (0, 1), got {bound_fraction}")
    bound = decomposition_bound(kernel_size, in_channels, out_channels)
    channels = max(1, math.floor(bound_fraction * bound))
    if channels >= bound:  # only when the bound itself is <= 1 (K or L is tiny)
        raise ValueError(f"no P >= 1 lies below the bound {bound:.2f} for N={kernel_size}, "
                         f"K={in_channels}, L={out_channels}")
    return channels


def decomposed_multiply_adds(kernel_size: int, in_channels: int, out_channels: int,
                             intermediate: int, intermediate_positions: int,
                             output_positions: int) -> int:
    """Multiply-adds of the N x 1 + 1 x N pair: N K P at every intermediate position plus N P L at
    every output position. With SAME padding the two position counts are equal and this is the
    draft's N P (K + L) per position; a VALID pair evaluates its first half on more positions."""
    return (intermediate_positions * kernel_size * in_channels * intermediate
            + output_positions * kernel_size * intermediate * out_channels)


def decomposed_conv_factory(bound_fraction: float, order: str = "vertical_first",
                            intermediate_activation: str = "relu") -> ConvFactory:
    """N x N conv -> two 1-D convs with P = bound_fraction x bound channels in between.

    DecomposeMe puts a non-linearity between the two 1-D filters (more expressive than a pure
    low-rank factorisation at the same cost); ``intermediate_activation='linear'`` drops it.
    """
    if order not in DECOMPOSITION_ORDERS:
        raise ValueError(f"order must be one of {DECOMPOSITION_ORDERS}, got {order!r}")

    def conv(x, filters, kernel_size, padding, name):
        channels = intermediate_channels(kernel_size, x.shape[-1], filters, bound_fraction)
        vertical, horizontal = (kernel_size, 1), (1, kernel_size)
        first, second = (vertical, horizontal) if order == "vertical_first" else (horizontal, vertical)
        x = layers.Conv2D(channels, first, padding=padding, activation=intermediate_activation,
                          name=f"{name}_a")(x)
        return layers.Conv2D(filters, second, padding=padding, activation="relu", name=f"{name}_b")(x)

    return conv


# --- depthwise separable ----------------------------------------------------------------------------


def separable_conv_factory(depth_multiplier: int) -> ConvFactory:
    """N x N conv -> depthwise N x N with I filters per input channel, then pointwise 1 x 1."""
    if depth_multiplier < 1:
        raise ValueError(f"depth_multiplier must be >= 1, got {depth_multiplier}")

    def conv(x, filters, kernel_size, padding, name):
        return layers.SeparableConv2D(filters, kernel_size, depth_multiplier=depth_multiplier,
                                      padding=padding, activation="relu", name=name)(x)

    return conv


def standard_conv(x, filters, kernel_size, padding, name):
    return layers.Conv2D(filters, kernel_size, padding=padding, activation="relu", name=name)(x)


def build_operation_classifier(conv: ConvFactory = standard_conv, conv_filters: tuple[int, int] = (32, 64),
                               head_filters: int = 128, kernel_size: int = 5,
                               name: str = "table22_classifier") -> keras.Model:
    """The Table 2.2 skeleton (conv-pool, conv-pool, 7 x 7 VALID conv, dense) with every convolution
    made by ``conv``; with the default ``standard_conv`` it is models.build_mnist_classifier()."""
    inputs = keras.Input(MNIST_INPUT_SHAPE, name="image")
    x = inputs
    for index, filters in enumerate(conv_filters, start=1):
        x = conv(x, filters, kernel_size, "same", f"conv{index}")
        x = layers.MaxPool2D(2, name=f"pool{index}")(x)
    x = conv(x, head_filters, x.shape[1], "valid", f"conv{len(conv_filters) + 1}")
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(MNIST_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


# --- Inception and bottleneck blocks at matched cost --------------------------------------------------


def conv_relu(x, filters, kernel_size, name, strides=1):
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same", activation="relu",
                         name=name)(x)


def inception_block(x, width: int, name: str):
    """An Inception module [SLJ14] with the 5 x 5 branch factorised into two 3 x 3 convolutions
    [SVI16]; 1 x 1 convolutions thin the input before the spatial ones. Output: 6 x width channels."""
    one = conv_relu(x, 2 * width, 1, f"{name}_1x1")
    three = conv_relu(conv_relu(x, width, 1, f"{name}_3x3_reduce"), 2 * width, 3, f"{name}_3x3")
    five = conv_relu(x, max(1, width // 2), 1, f"{name}_5x5_reduce")
    five = conv_relu(conv_relu(five, width, 3, f"{name}_5x5_a"), width, 3, f"{name}_5x5_b")
    pool = layers.MaxPool2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    pool = conv_relu(pool, width, 1, f"{name}_pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([one, three, five, pool])


def bottleneck_block(x, width: int, name: str, strides: int = 1, batch_norm: bool = False):
    """He et al.'s bottleneck: 1 x 1 to `width`, 3 x 3 at `width`, 1 x 1 to 4 x `width`, plus the
    input (projected by a 1 x 1 convolution when its shape differs). Stride on the first 1 x 1, as in
    the original ResNet-50."""
    outer = 4 * width
    y = _conv_norm(x, width, 1, f"{name}_reduce", strides, batch_norm, relu=True)
    y = _conv_norm(y, width, 3, f"{name}_3x3", 1, batch_norm, relu=True)
    y = _conv_norm(y, outer, 1, f"{name}_expand", 1, batch_norm, relu=False)
    shortcut = x
    if strides != 1 or x.shape[-1] != outer:
        shortcut = _conv_norm(x, outer, 1, f"{name}_projection", strides, batch_norm, relu=False)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([shortcut, y]))


def basic_block(x, width: int, name: str, strides: int = 1, batch_norm: bool = True,
                residual: bool = True):
    """Two 3 x 3 convolutions; with `residual` the input is added back (projected when the shape
    changes), without it the block is the 'plain' counterpart of He et al."""
    y = _conv_norm(x, width, 3, f"{name}_a", strides, batch_norm, relu=True)
    y = _conv_norm(y, width, 3, f"{name}_b", 1, batch_norm, relu=False)
    if residual:
        shortcut = x
        if strides != 1 or x.shape[-1] != width:
            shortcut = _conv_norm(x, width, 1, f"{name}_projection", strides, batch_norm, relu=False)
        y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.ReLU(name=f"{name}_out")(y)


def _conv_norm(x, filters, kernel_size, name, strides, batch_norm, relu):
    """Conv (no bias when a BatchNormalization follows, which has its own shift), [BN], [ReLU]."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=not batch_norm,
                      kernel_initializer="he_normal", name=name)(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def build_block_classifier(family: str, width: int, bottleneck_blocks: int = 2,
                           name: str | None = None) -> keras.Model:
    """Table 2.2 with its second convolution (14 x 14 x 32 -> 14 x 14 x 64) replaced by a stage of
    the given family; `width` sizes it (plain: output channels; inception: 6 x width outputs;
    bottleneck: inner width, 4 x width outputs). The 7 x 7 head adapts to the stage's channels."""
    if family not in BLOCK_FAMILIES:
        raise ValueError(f"family must be one of {BLOCK_FAMILIES}, got {family!r}")
    if width < 1 or bottleneck_blocks < 1:
        raise ValueError("width and bottleneck_blocks must be >= 1")
    inputs = keras.Input(MNIST_INPUT_SHAPE, name="image")
    x = layers.MaxPool2D(2, name="pool1")(standard_conv(inputs, 32, 5, "same", "conv1"))
    if family == "plain":
        x = standard_conv(x, width, 5, "same", "conv2")
    elif family == "inception":
        x = inception_block(x, width, "inception")
    else:
        for index in range(1, bottleneck_blocks + 1):
            x = bottleneck_block(x, width, f"bottleneck{index}")
    x = layers.MaxPool2D(2, name="pool2")(x)
    x = standard_conv(x, 128, x.shape[1], "valid", "conv3")
    outputs = layers.Dense(MNIST_CLASSES, name="logits")(layers.Flatten(name="flatten")(x))
    return keras.Model(inputs, outputs, name=name or f"{family}_w{width}")


def width_for_multiply_adds(build: Callable[[int], keras.Model], target: int,
                            max_width: int = 1024) -> int:
    """The width whose model's multiply-adds (cost model) come closest to `target`.

    The cost grows with the width, so a bisection needs about log2(max_width) model builds.
    """
    def cost(width):
        return cost_model.count_multiply_adds(build(width))

    low, high = 1, max_width
    if cost(high) < target:
        raise ValueError(f"even width {max_width} costs less than {target} multiply-adds")
    while high - low > 1:  # invariant: cost(low) < target <= cost(high), or low == 1
        middle = (low + high) // 2
        low, high = (middle, high) if cost(middle) < target else (low, middle)
    return min((low, high), key=lambda width: abs(cost(width) - target))


# --- deep plain vs residual --------------------------------------------------------------------------


def build_deep_classifier(blocks_per_stage: int, widths: tuple[int, ...] = (8, 16, 32),
                          residual: bool = True, batch_norm: bool = False, stem_strides: int = 2,
                          name: str | None = None) -> keras.Model:
    """He et al.'s CIFAR design scaled to MNIST: a 3 x 3 stem (stride 2 halves the 28 x 28 digit,
    as ResNet's stride-2 stem does for ImageNet, and quarters the cost), then one stage per width of
    `blocks_per_stage` basic blocks (the first block of each later stage halves the resolution),
    global average pooling and a dense layer: 2 x stages x blocks + 2 weight layers."""
    if blocks_per_stage < 1 or not widths or stem_strides < 1:
        raise ValueError("blocks_per_stage and stem_strides must be >= 1 and widths non-empty")
    inputs = keras.Input(MNIST_INPUT_SHAPE, name="image")
    x = _conv_norm(inputs, widths[0], 3, "stem", stem_strides, batch_norm, relu=True)
    for stage, width in enumerate(widths, start=1):
        for block in range(1, blocks_per_stage + 1):
            strides = 2 if stage > 1 and block == 1 else 1
            x = basic_block(x, width, f"stage{stage}_block{block}", strides, batch_norm, residual)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(MNIST_CLASSES, name="logits")(x)
    depth = 2 * len(widths) * blocks_per_stage + 2
    kind = "residual" if residual else "plain"
    return keras.Model(inputs, outputs, name=name or f"{kind}{depth}")


def weight_layer_count(model: keras.Model) -> int:
    """Convolutions and dense layers on the main path (projection shortcuts excluded), as He et al.
    count depth."""
    return sum(isinstance(layer, (layers.Conv2D, layers.Dense)) and "projection" not in layer.name
               for layer in model.layers)
