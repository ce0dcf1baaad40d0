"""The ef-operator of Afrasiyabi et al. (2017, arXiv:1702.02676), section 2.7.2, emulated in TensorFlow.

The "energy-efficient" operator replaces the product of an input x and a weight w by

    x (+) w = sign(x w) (|x| + |w|),

and a neuron computes act(a * sum_i x_i (+) w_i + b) with a learned scale a (the paper's scaling factor;
here one per output channel). Summed over i, the operator splits into two ordinary products with sign
matrices, because sign(x w)|x| = sign(w) x and sign(x w)|w| = sign(x) w:

    sum_i x_i (+) w_i = x . sign(w) + sign(x) . w .

That is how this module computes it: two standard convolutions or matrix products per layer, which
LiteRT runs with its optimised kernels. A chip with a dedicated ef unit would need no multiplier; on a
CPU the emulation does twice the multiply-adds of the layer it replaces (by +-1 and 0/1, but a
multiply-add costs the same whatever the operand). The a.e. derivatives the paper trains with,
d/dw = sign(x) and d/dx = sign(w), are exactly what automatic differentiation gives here, since
tf.sign has gradient 0.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401  (legacy Keras before TensorFlow loads)
import tensorflow as tf
import tf_keras as keras

from mobileopt.compression import variants


def ef_product(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Reference definition for vectors: sum_i sign(x_i w_i)(|x_i| + |w_i|); x [..., N], w [N, M]."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    terms = np.sign(x[..., :, None] * w) * (np.abs(x[..., :, None]) + np.abs(w))
    return terms.sum(axis=-2)


class _EfScale:
    """The learned per-output-channel scale a, shared by both layer types."""

    def _add_scale(self, channels: int):
        self.scale = self.add_weight(name="scale", shape=(channels,), initializer="ones", trainable=True)

    def _finish(self, y):
        y = y * self.scale
        if self.use_bias:
            y = y + self.bias
        return self.activation(y)


@keras.saving.register_keras_serializable(package="mobileopt")
class EfDense(_EfScale, keras.layers.Dense):
    """Dense layer with the ef-operator in place of the product: x.sign(W) + sign(x).W, scaled."""

    def build(self, input_shape):
        super().build(input_shape)
        self._add_scale(self.units)

    def call(self, inputs):
        return self._finish(tf.matmul(inputs, tf.sign(self.kernel)) + tf.matmul(tf.sign(inputs), self.kernel))


@keras.saving.register_keras_serializable(package="mobileopt")
class EfConv2D(_EfScale, keras.layers.Conv2D):
    """Conv2D with the ef-operator: conv(x, sign(K)) + conv(sign(x), K), scaled."""

    def build(self, input_shape):
        super().build(input_shape)
        self._add_scale(self.filters)

    def call(self, inputs):
        return self._finish(self.convolution_op(inputs, tf.sign(self.kernel))
                            + self.convolution_op(tf.sign(inputs), self.kernel))


def ef_layer_from(layer):
    """An ef layer with the configuration of a trained Dense or Conv2D (unbuilt)."""
    if isinstance(layer, keras.layers.Dense):
        return EfDense.from_config(layer.get_config())
    if type(layer) is keras.layers.Conv2D and layer.groups == 1:
        return EfConv2D.from_config(layer.get_config())
    raise ValueError(f"{layer.name}: the ef-operator replaces Dense and Conv2D layers, not {type(layer).__name__}")


def calibrated_scale(layer, ef_layer, inputs: np.ndarray) -> np.ndarray:
    """Per output channel, std(original pre-activation) / std(ef pre-activation) on `inputs`, so the ef
    layer starts with the output scale the next layer was trained on."""
    kernel = layer.kernel
    if isinstance(layer, keras.layers.Dense):
        original = tf.matmul(inputs, kernel)
        ef = tf.matmul(inputs, tf.sign(kernel)) + tf.matmul(tf.sign(inputs), kernel)
    else:
        original = layer.convolution_op(inputs, kernel)
        ef = ef_layer.convolution_op(inputs, tf.sign(kernel)) + ef_layer.convolution_op(tf.sign(inputs), kernel)
    axes = tuple(range(original.shape.rank - 1))
    spread = tf.math.reduce_std(ef, axis=axes).numpy()
    return np.where(spread > 0, tf.math.reduce_std(original, axis=axes).numpy() / np.maximum(spread, 1e-12),
                    1.0).astype(np.float32)


def ef_model(model, layers: tuple[str, ...], calibration_images: np.ndarray):
    """`model` with `layers` using the ef-operator: kernels and biases from `model`, scales calibrated."""
    from mobileopt.models.surgery import rebuild
    from mobileopt.core.training import to_model_input

    images = to_model_input(calibration_images)
    layer_inputs = {name: keras.Model(model.inputs, model.get_layer(name).input)(images, training=False)
                    for name in layers}

    def replace(layer, x):
        ef_layer = ef_layer_from(layer)
        y = ef_layer(x)
        ef_layer.set_weights(layer.get_weights() + [calibrated_scale(layer, ef_layer, layer_inputs[layer.name])])
        return y
    return rebuild(model, {name: replace for name in layers}, name=f"{model.name}_ef")


def emulated_multiply_adds(model) -> int:
    """Multiply-adds the emulation executes: twice the cost-model count for every ef layer."""
    from mobileopt.measurement import cost_model

    ef_names = {layer.name for layer in model.layers if isinstance(layer, (EfDense, EfConv2D))}
    return int(sum(cost.multiply_adds * (2 if cost.name in ef_names else 1)
                   for cost in cost_model.layer_costs(model)))


def single_layer_models(model, layer_name: str):
    """One fully connected layer of the classifier alone, ordinary and as ef layer (same weights): the
    operator's cost without the rest of the network. A convolution covering its whole input (conv3) is
    taken in its fully connected form."""
    from mobileopt.models.surgery import conv_as_dense_kernel

    layer = model.get_layer(layer_name)
    if isinstance(layer, keras.layers.Dense):
        kernel, units = layer.get_weights()[0], layer.units
    else:
        kernel, units = conv_as_dense_kernel(layer), layer.filters
    built = []
    for layer_class in (keras.layers.Dense, EfDense):
        inputs = keras.Input((kernel.shape[0],), name="features")
        dense = layer_class(units, activation="relu", name=layer_name)
        outputs = dense(inputs)
        dense.set_weights([kernel, layer.get_weights()[1]] + ([np.ones(units, np.float32)]
                                                             if layer_class is EfDense else []))
        built.append(keras.Model(inputs, outputs, name=f"{layer_name}_{layer_class.__name__.lower()}"))
    return tuple(built)


def run_ef_operator(config: dict, baseline_path: str | Path, data_path: str | Path, out_dir: str | Path,
                    tflite_dir: str | Path, threads: int) -> list[dict]:
    from mobileopt.compression import tflite
    from mobileopt.compression import training as ft

    arrays, fine_tune = ft.prepare_fine_tuning(config, data_path, threads)
    section = config["compression"]["ef_operator"]
    baseline = ft.load_baseline(baseline_path)
    out_dir, tflite_dir = Path(out_dir), Path(tflite_dir)
    (name,) = variants.ef_models(section)
    keras.utils.set_random_seed(config["seed"])
    model = ef_model(baseline, tuple(section["layers"]), arrays["train_images"][:section["calibration_images"]])
    before = ft.describe_model(model, arrays, config["seed"], threads)
    frame, seconds, images = ft.fine_tune(model, arrays, fine_tune)
    metrics = ft.describe_model(model, arrays, config["seed"], threads, seconds, frame, fine_tune, images)
    metrics.update(ef_layers=list(section["layers"]), test_accuracy_before_fine_tuning=before["test_accuracy"],
                   emulated_multiply_adds=emulated_multiply_adds(model))
    ft.save_variant(model, frame, metrics, out_dir / name)
    records = [tflite.write_artefact(tflite.convert(model), tflite_dir / f"{name}.tflite", out_dir / f"{name}.json",
                                     arrays, threads, method="ef_operator", model=name, format="float32",
                                     emulated_multiply_adds=metrics["emulated_multiply_adds"])]
    dense_layer, ef_layer = single_layer_models(baseline, section["timing_layer"])
    for artefact, layer_model in (("layer_dense", dense_layer), ("layer_ef", ef_layer)):
        records.append(tflite.write_artefact(tflite.convert(layer_model), tflite_dir / f"{artefact}.tflite",
                                             out_dir / f"{artefact}.json", None, threads, method="ef_operator",
                                             model=artefact, format="float32", layer=section["timing_layer"],
                                             multiply_adds=emulated_multiply_adds(layer_model)))
    return records
