"""ResNet-34 and ResNet-50 for 224 x 224 x 3 ImageNet input, built from He et al.'s Table 1 [HZRS15]
and counted with the project's cost model (rule structures_resnet; the draft's Table 2.3).

Table 1 of the paper, as built here:

=========  ===========  ==============================  ==========================================
stage      output       34-layer                        50-layer
=========  ===========  ==============================  ==========================================
conv1      112 x 112    7 x 7, 64, stride 2
conv2_x    56 x 56      3 x 3 max pool, stride 2
                        [3x3, 64; 3x3, 64] x 3          [1x1, 64; 3x3, 64; 1x1, 256] x 3
conv3_x    28 x 28      [3x3, 128; 3x3, 128] x 4        [1x1, 128; 3x3, 128; 1x1, 512] x 4
conv4_x    14 x 14      [3x3, 256; 3x3, 256] x 6        [1x1, 256; 3x3, 256; 1x1, 1024] x 6
conv5_x    7 x 7        [3x3, 512; 3x3, 512] x 3        [1x1, 512; 3x3, 512; 1x1, 2048] x 3
fc         1 x 1        average pool, 1000-d fc, softmax
=========  ===========  ==============================  ==========================================

Down-sampling is by stride 2 in the first block of conv3_x to conv5_x (in the first 1 x 1 convolution
of a bottleneck, as in the original Caffe models); shortcuts are identities, with a 1 x 1 projection
where the shape changes (the paper's option B). Convolutions are followed by batch normalisation, so
they have no bias. Weights are random: counting needs none.
"""
from __future__ import annotations

from dataclasses import dataclass

import mobileopt  # noqa: F401
import pandas as pd
import tf_keras as keras

from mobileopt.measurement import cost_model
from mobileopt.models.architectures import basic_block, bottleneck_block

layers = keras.layers

IMAGENET_INPUT_SHAPE = (224, 224, 3)
IMAGENET_CLASSES = 1000
STAGES = ("conv2_x", "conv3_x", "conv4_x", "conv5_x")
STAGE_WIDTHS = (64, 128, 256, 512)
STAGE_OUTPUT_SIDES = (56, 28, 14, 7)
BLOCKS_PER_STAGE = {34: (3, 4, 6, 3), 50: (3, 4, 6, 3)}
BLOCK_KIND = {34: "basic", 50: "bottleneck"}


@dataclass(frozen=True)
class PublishedResNet:
    """What He et al. [HZRS15] report for a network: quoted, not measured by this pipeline."""
    depth: int
    multiply_adds: float  # Table 1, "FLOPs" (multiply-adds)
    top1_error_10crop: float  # Table 3: ImageNet validation, 10-crop testing (%)
    top5_error_10crop: float
    top1_error_single_model: float  # Table 4: single-model results on ImageNet validation (%)
    top5_error_single_model: float
    shortcut_option: str  # which of the paper's shortcut options the quoted errors are for


# The draft's Table 2.3 quotes these; for the 34-layer network the errors are those of its option C
# (projection shortcuts everywhere), the best 34-layer model of Tables 3 and 4.
PUBLISHED = {
    34: PublishedResNet(34, 3.6e9, 24.19, 7.40, 21.53, 5.60, "C"),
    50: PublishedResNet(50, 3.8e9, 22.85, 6.71, 20.74, 5.25, "B"),
}


def build_resnet(depth: int, input_shape: tuple = IMAGENET_INPUT_SHAPE,
                 classes: int = IMAGENET_CLASSES) -> keras.Model:
    """ResNet-34 (basic blocks) or ResNet-50 (bottleneck blocks) from the paper's Table 1."""
    if depth not in BLOCKS_PER_STAGE:
        raise ValueError(f"depth must be one of {sorted(BLOCKS_PER_STAGE)}, got {depth}")
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False, name="conv1")(inputs)
    x = layers.ReLU(name="conv1_relu")(layers.BatchNormalization(name="conv1_bn")(x))
    x = layers.MaxPool2D(3, strides=2, padding="same", name="conv2_pool")(x)
    for stage, (name, width, blocks) in enumerate(zip(STAGES, STAGE_WIDTHS, BLOCKS_PER_STAGE[depth])):
        for block in range(1, blocks + 1):
            strides = 2 if stage > 0 and block == 1 else 1
            block_name = f"{name[:-2]}_{block}"  # conv3_1, conv3_2, ...
            if BLOCK_KIND[depth] == "basic":
                x = basic_block(x, width, block_name, strides, batch_norm=True, residual=True)
            else:
                x = bottleneck_block(x, width, block_name, strides, batch_norm=True)
    x = layers.GlobalAveragePooling2D(name="fc_pool")(x)
    outputs = layers.Dense(classes, name="fc")(x)
    return keras.Model(inputs, outputs, name=f"resnet{depth}")


def stage_of(layer_name: str) -> str:
    """Layer name -> row of Table 1: conv1, conv2_x ... conv5_x, fc."""
    if layer_name.startswith("conv1"):
        return "conv1"
    if layer_name.startswith("fc"):
        return "fc"
    prefix = layer_name.split("_")[0]  # conv2 ... conv5
    stage = f"{prefix}_x"
    if stage not in STAGES:
        raise ValueError(f"layer {layer_name!r} belongs to no stage of Table 1")
    return stage


def stage_costs(model: keras.Model) -> pd.DataFrame:
    """Parameters and multiply-adds per row of Table 1 (cost model)."""
    table = cost_model.costs_table(model)
    table["stage"] = table["name"].map(stage_of)
    grouped = table.groupby("stage", sort=False)[["parameters", "multiply_adds"]].sum()
    return grouped.reindex(["conv1", *STAGES, "fc"]).reset_index()


def resnet_cost_frame(depths: tuple[int, ...] = (34, 50)) -> pd.DataFrame:
    """Tidy: one row per (network, stage) plus a 'total' row, with the published totals beside."""
    frames = []
    for depth in depths:
        frame = stage_costs(build_resnet(depth))
        total = pd.DataFrame([{"stage": "total", "parameters": frame["parameters"].sum(),
                               "multiply_adds": frame["multiply_adds"].sum()}])
        frame = pd.concat([frame, total], ignore_index=True)
        frame.insert(0, "depth", depth)
        frame["published_multiply_adds"] = [None] * (len(frame) - 1) + [PUBLISHED[depth].multiply_adds]
        frames.append(frame)
    result = pd.concat(frames, ignore_index=True)
    result["relative_difference"] = (result["multiply_adds"] / result["published_multiply_adds"] - 1)
    return result
