"""The draft's MNIST autoencoder (section 2.2.3, Table 2.1): two encoder and two decoder blocks.

Encoder block: 3x3 convolution, stride 2, SAME padding, bias, batch normalisation, ReLU (28 -> 14 -> 7).
Decoder block: 3x3 transposed convolution, stride 2, SAME, bias, batch normalisation, ReLU (7 -> 14 -> 28).
The last decoder block must produce the single image channel and ends in a sigmoid instead of a ReLU:
pixels lie in [0, 1] (mobileopt.core.training.to_model_input), which the sigmoid covers exactly, whereas a
ReLU output is unbounded above and, once its pre-activation is negative, stuck at 0 with zero gradient
on the many black background pixels.

`channels` are the output channels of encoder 1, encoder 2 and decoder 1, the three prunable blocks:
(4, 16, 4) is the draft's "theoretically lossless" reference, which keeps 784 values at every stage,
(32, 64, 32) the network it prunes. The reconstruction loss is the mean squared error per pixel.
"""
from __future__ import annotations

import numpy as np

import mobileopt  # noqa: F401  (legacy Keras before TensorFlow loads)
import tf_keras as keras

from mobileopt.core.training import to_model_input

BLOCKS = ("encoder1", "encoder2", "decoder1")  # prunable blocks, in order
# Batch-norm moving averages forget at 10 % per step instead of Keras' 1 %: a fine-tuning after pruning
# runs only ~150 steps, after which a 0.99 average would still hold 22 % of the pre-pruning statistics.
BATCH_NORM_MOMENTUM = 0.9
REFERENCE_CHANNELS = (4, 16, 4)
PRUNED_START_CHANNELS = (32, 64, 32)


def build_autoencoder(channels: tuple[int, int, int] = PRUNED_START_CHANNELS, l1: float = 0.0,
                      name: str = "autoencoder") -> keras.Model:
    """The autoencoder; `l1` > 0 adds an L1 penalty on the batch-norm scale and offset of the prunable
    blocks (as in network slimming, Liu et al. 2017).

    Not on the kernels: batch norm divides each channel by its standard deviation over the batch, so
    shrinking a kernel changes nothing downstream and the penalty would only fight the normalisation.
    A channel's output relu(scale * normalised + offset) falls silent exactly when its scale goes to 0
    with a non-positive offset, which is what a penalty on these two parameters pulls towards.
    """
    if len(channels) != len(BLOCKS) or min(channels) < 1:
        raise ValueError(f"channels must be {len(BLOCKS)} positive integers, got {channels}")
    regulariser = keras.regularizers.L1(l1) if l1 else None
    normalised = dict(gamma_regularizer=regulariser, beta_regularizer=regulariser)
    image = keras.Input((28, 28, 1), name="image")
    x = image
    layer_types = (keras.layers.Conv2D, keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    for block, filters, layer_type in zip(BLOCKS, channels, layer_types):
        x = layer_type(filters, 3, strides=2, padding="same", name=f"{block}_conv")(x)
        x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"{block}_bn", **normalised)(x)
        x = keras.layers.ReLU(name=f"{block}_relu")(x)
    x = keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", name="decoder2_conv")(x)
    x = keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name="decoder2_bn")(x)
    reconstruction = keras.layers.Activation("sigmoid", name="decoder2_sigmoid")(x)
    return keras.Model(image, reconstruction, name=name)


def channels_of(model: keras.Model) -> tuple[int, ...]:
    return tuple(int(model.get_layer(f"{block}_conv").filters) for block in BLOCKS)


def train_autoencoder(model: keras.Model, images: np.ndarray, epochs: int, batch_size: int,
                      learning_rate: float) -> list[float]:
    """Fit the model to reconstruct `images` (uint8) with Adam and the MSE; returns the loss per epoch.

    A fresh optimizer every call (a pruned model is a new model). Seeding and determinism come from
    mobileopt.core.runtime.configure_tensorflow, called once per process.
    """
    pixels = to_model_input(images)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    history = model.fit(pixels, pixels, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=2)
    return [float(loss) for loss in history.history["loss"]]


def reconstruction_mse(model: keras.Model, images: np.ndarray, batch_size: int = 1000) -> float:
    """Mean squared error per pixel (pixels in [0, 1]) of the reconstructions, in inference mode."""
    pixels = to_model_input(images)
    total = 0.0
    for start in range(0, len(pixels), batch_size):
        batch = pixels[start:start + batch_size]
        total += float(np.sum((model(batch, training=False).numpy() - batch) ** 2))
    return total / pixels.size


def reconstruct(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Reconstructed images as float arrays in [0, 1], shape (n, 28, 28)."""
    return model(to_model_input(images), training=False).numpy()[..., 0]
