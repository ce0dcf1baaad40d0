"""Model builders. Variants are data (arguments), not copies of code: one builder per family."""
from __future__ import annotations

import mobileopt  # noqa: F401  (legacy Keras for TFMOT)
import tf_keras as keras

MNIST_INPUT_SHAPE = (28, 28, 1)
MNIST_CLASSES = 10


def build_mnist_classifier(conv_filters: tuple[int, int] = (32, 64), head_filters: int = 128,
                           kernel_size: int = 5, name: str = "table22_classifier") -> keras.Model:
    """The thesis draft's Table 2.2 classifier (defaults reproduce it exactly).

    5x5 conv 32 SAME + ReLU, 2x2 max-pool; 5x5 conv 64 SAME + ReLU, max-pool; 7x7 conv 128 VALID + ReLU
    (a fully connected layer written as a convolution over the whole 7x7 map); dense 10 (logits).
    """
    inputs = keras.Input(MNIST_INPUT_SHAPE, name="image")
    x = inputs
    for index, filters in enumerate(conv_filters, start=1):
        x = keras.layers.Conv2D(filters, kernel_size, padding="same", activation="relu",
                                name=f"conv{index}")(x)
        x = keras.layers.MaxPool2D(2, name=f"pool{index}")(x)
    x = keras.layers.Conv2D(head_filters, x.shape[1], padding="valid", activation="relu",
                            name=f"conv{len(conv_filters) + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(MNIST_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_lenet5(name: str = "lenet5") -> keras.Model:
    """LeNet-5 as in Caffe's MNIST example (examples/mnist/lenet.prototxt), the standard small reference
    network: 5x5 conv 20 VALID, 2x2 max-pool, 5x5 conv 50 VALID, max-pool, dense 500 + ReLU, dense 10
    (logits). As in Caffe, the convolutions have no activation; about 2.3 million multiply-adds, a fifth
    of Table 2.2's."""
    inputs = keras.Input(MNIST_INPUT_SHAPE, name="image")
    x = inputs
    for index, filters in enumerate((20, 50), start=1):
        x = keras.layers.Conv2D(filters, 5, padding="valid", name=f"conv{index}")(x)
        x = keras.layers.MaxPool2D(2, name=f"pool{index}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(500, activation="relu", name="fc")(x)
    outputs = keras.layers.Dense(MNIST_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)
