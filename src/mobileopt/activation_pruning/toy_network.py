"""The draft's toy network (section 2.2.2): two inputs, one hidden ReLU layer, one linear output, y = i1 + i2.

    o = v . relu(W x + b) + c,   x = (i1, i2) ~ U(-1, 1)^2,   loss = MSE(o, i1 + i2) [+ L1 penalty]

The pruning experiment trains this network many times (initialisations x optimizers x seeds x variants x
cycles), 10,000 steps of batch 1000 each time at the start. Keras spends ~1 ms per step on bookkeeping,
so `train` runs a whole epoch as one XLA-compiled loop with hand-written gradients instead: the same
mini-batch optimisation (same batches, same update rules as tf_keras' SGD / momentum / Adam / RMSprop with
their default constants; tests/activation_pruning/test_toy_experiment.py checks both against Keras step by step),
about 0.2 s per epoch of 1,000 steps at 1000 hidden units on one core.

The gradients need one pass over the (batch x hidden) mask m = [W x + b > 0] and one small matrix product:
with residual g = dL/do and A = [x_1 g, x_2 g, g] (batch x 3),
    G = A^T m  (3 x hidden),   dL/d[W; b] = G * v,   dL/dv_j = [W; b]_j . G_j   (since h = m * (W x + b)),
which XLA fuses into a few vectorised loops; automatic differentiation of the same loss is 6x slower.

Widths are padded to the next power of two with all-zero units so that a network that loses units
reuses compiled code: a zero unit has zero pre-activation, is never active and gets exactly zero
gradient and update from every optimizer here (also from the L1 term, sign(0) = 0), so padding does not
change the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

import mobileopt  # noqa: F401  (legacy Keras before TensorFlow loads)

OPTIMIZERS = ("momentum", "sgd", "adam", "rmsprop")
INITIALISATIONS = ("glorot_uniform", "standard_normal")
# Keras defaults of the adaptive optimizers (tf_keras 2.x), so the results match a Keras training.
ADAM_BETA_1, ADAM_BETA_2, RMSPROP_RHO, EPSILON = 0.9, 0.999, 0.9, 1e-7
COUNT_CHUNK = 1000  # samples per step when counting activations (small: the chunk stays in cache)
# Statistics recorded every TRACE_EVERY steps of a training with trace=True: the fraction of positive
# entries of dL/dW (input weights), dL/db, dL/dv and of sign(v_j) * dL/db_j, the batch loss, and how many
# units are active on at least one example of the batch.
TRACE_EVERY = 10
TRACE_COLUMNS = ("positive_input_weights", "positive_biases", "positive_output_weights",
                 "positive_biases_times_sign_v", "batch_loss", "active_units")


@dataclass(frozen=True)
class OptimizerSettings:
    name: str
    learning_rate: float
    momentum: float = 0.0  # only for "momentum" (SGD with momentum, the draft's Momentum optimizer)

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.name!r}; choose one of {OPTIMIZERS}")
        if self.learning_rate <= 0 or not 0 <= self.momentum < 1:
            raise ValueError(f"invalid optimizer settings {self}")


@dataclass(frozen=True)
class ToyParams:
    """Weights of the toy network: hidden kernel (2, H), hidden bias (H,), output kernel (H,), output bias."""
    kernel: np.ndarray
    bias: np.ndarray
    out_kernel: np.ndarray
    out_bias: float

    @property
    def hidden_units(self) -> int:
        return int(self.bias.shape[0])

    def keep(self, mask: np.ndarray) -> "ToyParams":
        """Real surgery: only the kept units' incoming weights, biases and outgoing weights remain."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.hidden_units,):
            raise ValueError(f"mask of shape {mask.shape} for {self.hidden_units} hidden units")
        return ToyParams(self.kernel[:, mask].copy(), self.bias[mask].copy(), self.out_kernel[mask].copy(),
                         self.out_bias)

    def as_list(self) -> list[np.ndarray]:
        return [self.kernel, self.bias, self.out_kernel, np.float32(self.out_bias)]


@dataclass(frozen=True)
class TrainingResult:
    params: ToyParams
    epoch_losses: list[float]  # mean training MSE per epoch (without the L1 term)
    trace: np.ndarray = field(default_factory=lambda: np.zeros((0, len(TRACE_COLUMNS))))


def make_data(samples: int, seed: int, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs uniform in [-1, 1]^2 (the draft's range) and targets i1 + i2; stream separates train/test."""
    rng = np.random.default_rng([seed, stream])
    inputs = rng.uniform(-1.0, 1.0, (samples, 2)).astype(np.float32)
    return inputs, inputs.sum(axis=1)


def initial_params(hidden_units: int, initialisation: str, seed: int) -> ToyParams:
    """glorot_uniform: Keras' default (Glorot-uniform kernels, zero biases).
    standard_normal: every weight and bias N(0, 1), the tf.random_normal default of 2017-era TensorFlow
    code; it reproduces the draft's ~95 % dead units (see the thesis, section 2.2.2)."""
    rng = np.random.default_rng([seed, 1])
    if initialisation == "glorot_uniform":
        limit_in, limit_out = np.sqrt(6 / (2 + hidden_units)), np.sqrt(6 / (hidden_units + 1))
        return ToyParams(rng.uniform(-limit_in, limit_in, (2, hidden_units)).astype(np.float32),
                         np.zeros(hidden_units, np.float32),
                         rng.uniform(-limit_out, limit_out, hidden_units).astype(np.float32), 0.0)
    if initialisation == "standard_normal":
        return ToyParams(rng.standard_normal((2, hidden_units)).astype(np.float32),
                         rng.standard_normal(hidden_units).astype(np.float32),
                         rng.standard_normal(hidden_units).astype(np.float32),
                         float(np.float32(rng.standard_normal())))
    raise ValueError(f"unknown initialisation {initialisation!r}; choose one of {INITIALISATIONS}")


def padded_width(units: int) -> int:
    return max(8, 1 << (int(units) - 1).bit_length())


def _pack(params: ToyParams):
    """[W; b] as one (3, H_pad) matrix, v (H_pad,), c (): zero-padded to a power-of-two width."""
    width = padded_width(params.hidden_units)
    stacked = np.zeros((3, width), np.float32)
    stacked[:2, :params.hidden_units] = params.kernel
    stacked[2, :params.hidden_units] = params.bias
    out_kernel = np.zeros(width, np.float32)
    out_kernel[:params.hidden_units] = params.out_kernel
    return stacked, out_kernel, np.float32(params.out_bias)


def _unpack(stacked, out_kernel, out_bias, units: int) -> ToyParams:
    stacked, out_kernel = np.asarray(stacked), np.asarray(out_kernel)
    return ToyParams(stacked[:2, :units].copy(), stacked[2, :units].copy(), out_kernel[:units].copy(),
                     float(out_bias))


def _optimizer_step(settings: OptimizerSettings):
    """Update rule of tf_keras' optimizer `settings.name` on a list of tensors; returns (init, apply)."""
    import tensorflow as tf

    lr, name = settings.learning_rate, settings.name

    def init(params):
        zeros = [tf.zeros_like(p) for p in params]
        if name == "sgd":
            return ()
        if name == "adam":
            return (tf.constant(0.0), zeros, [tf.zeros_like(p) for p in params])
        return (zeros,)  # momentum: velocities; rmsprop: mean squares

    def apply(params, grads, state):
        if name == "sgd":
            return [p - lr * g for p, g in zip(params, grads)], state
        if name == "momentum":  # keras SGD: m = momentum * m - lr * g; p += m
            velocity = [settings.momentum * m - lr * g for m, g in zip(state[0], grads)]
            return [p + m for p, m in zip(params, velocity)], (velocity,)
        if name == "rmsprop":
            squares = [RMSPROP_RHO * s + (1 - RMSPROP_RHO) * g * g for s, g in zip(state[0], grads)]
            return [p - lr * g * tf.math.rsqrt(s + EPSILON) for p, g, s in zip(params, grads, squares)], \
                (squares,)
        step, first, second = state
        step = step + 1.0
        alpha = lr * tf.sqrt(1 - ADAM_BETA_2 ** step) / (1 - ADAM_BETA_1 ** step)
        first = [m + (g - m) * (1 - ADAM_BETA_1) for m, g in zip(first, grads)]
        second = [s + (g * g - s) * (1 - ADAM_BETA_2) for s, g in zip(second, grads)]
        return [p - m * alpha / (tf.sqrt(s) + EPSILON) for p, m, s in zip(params, first, second)], \
            (step, first, second)

    return init, apply


def _gradients(stacked, out_kernel, out_bias, inputs, targets, l1: float):
    """Loss, gradients and activation mask of one batch (see the module docstring for the formulas)."""
    import tensorflow as tf

    batch = tf.cast(tf.shape(inputs)[0], tf.float32)
    pre = inputs[:, 0:1] * stacked[0] + inputs[:, 1:2] * stacked[1] + stacked[2]
    mask = tf.cast(pre > 0, tf.float32)
    outputs = tf.linalg.matvec(pre * mask, out_kernel) + out_bias
    residual = outputs - targets
    g = 2.0 * residual / batch
    scaled = tf.stack([inputs[:, 0] * g, inputs[:, 1] * g, g], axis=1)
    products = tf.matmul(scaled, mask, transpose_a=True)
    grad_stacked = products * out_kernel
    grad_out_kernel = tf.reduce_sum(products * stacked, axis=0)
    if l1:  # Keras' L1 regulariser: lambda * sum|theta| on hidden kernel, hidden bias, output kernel
        grad_stacked += l1 * tf.sign(stacked)
        grad_out_kernel += l1 * tf.sign(out_kernel)
    return tf.reduce_mean(residual * residual), [grad_stacked, grad_out_kernel, tf.reduce_sum(g)], mask


def _positive_fraction(values):
    import tensorflow as tf

    positive = tf.reduce_sum(tf.cast(values > 0, tf.float32))
    nonzero = tf.reduce_sum(tf.cast(tf.not_equal(values, 0.0), tf.float32))
    return positive / tf.maximum(nonzero, 1.0)


@lru_cache(maxsize=None)
def _epoch_function(settings: OptimizerSettings, batch_size: int, l1: float, trace: bool):
    """An XLA-compiled function that runs one epoch (all batches in order) and returns the new state."""
    import tensorflow as tf

    init, apply = _optimizer_step(settings)

    @tf.function(jit_compile=True)
    def epoch(params, state, inputs, targets):
        steps = tf.shape(inputs)[0] // batch_size
        trace_rows = tf.TensorArray(tf.float32, size=(steps + TRACE_EVERY - 1) // TRACE_EVERY if trace else 0,
                                    element_shape=(len(TRACE_COLUMNS),))

        def body(step, params, state, loss_sum, trace_rows):
            x = tf.slice(inputs, [step * batch_size, 0], [batch_size, 2])
            y = tf.slice(targets, [step * batch_size], [batch_size])
            loss, grads, mask = _gradients(*params, x, y, l1)
            if trace:
                active_units = tf.reduce_sum(tf.cast(tf.reduce_max(mask, axis=0) > 0, tf.float32))
                row = tf.stack([_positive_fraction(grads[0][:2]), _positive_fraction(grads[0][2]),
                                _positive_fraction(grads[1]),
                                _positive_fraction(grads[0][2] * tf.sign(params[1])), loss, active_units])
                trace_rows = tf.cond(step % TRACE_EVERY == 0,
                                     lambda: trace_rows.write(step // TRACE_EVERY, row), lambda: trace_rows)
            params, state = apply(params, grads, state)
            return step + 1, params, state, loss_sum + loss, trace_rows

        _, params, state, loss_sum, trace_rows = tf.while_loop(
            lambda step, *_: step < steps, body, (tf.constant(0), params, state, tf.constant(0.0), trace_rows))
        return params, state, loss_sum / tf.cast(steps, tf.float32), trace_rows.stack()

    return init, epoch


def train(params: ToyParams, inputs: np.ndarray, targets: np.ndarray, optimizer: OptimizerSettings,
          epochs: int, batch_size: int, seed: int | tuple[int, ...], l1: float = 0.0,
          trace: bool = False) -> TrainingResult:
    """Mini-batch training with a fresh optimizer, the data reshuffled every epoch (seeded, like Keras'
    shuffle=True; pass e.g. (seed, cycle) so that every fine-tuning sees its own order). The sample
    count must be a multiple of the batch size (no ragged last batch)."""
    import tensorflow as tf

    if len(inputs) % batch_size or len(inputs) < batch_size:
        raise ValueError(f"{len(inputs)} samples are not a positive multiple of the batch size {batch_size}")
    if epochs < 1 or l1 < 0:
        raise ValueError("epochs must be >= 1 and l1 >= 0")
    init, epoch = _epoch_function(optimizer, batch_size, float(l1), trace)
    state_params = [tf.constant(a) for a in _pack(params)]
    state = init(state_params)
    rng = np.random.default_rng([2, *np.atleast_1d(seed).tolist()])
    losses, traces = [], []
    for _ in range(epochs):
        order = rng.permutation(len(inputs))
        state_params, state, loss, rows = epoch(state_params, state, tf.constant(inputs[order]),
                                                tf.constant(targets[order]))
        losses.append(float(loss))
        traces.append(rows.numpy())
    trained = _unpack(*state_params, params.hidden_units)
    trace_rows = np.concatenate(traces) if trace else np.zeros((0, len(TRACE_COLUMNS)))
    return TrainingResult(trained, losses, trace_rows)


@lru_cache(maxsize=None)
def _evaluate_function(chunk: int):
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def evaluate(stacked, out_kernel, out_bias, inputs, targets, tolerance):
        chunks = tf.shape(inputs)[0] // chunk

        def body(i, counts, squared):
            x = tf.slice(inputs, [i * chunk, 0], [chunk, 2])
            y = tf.slice(targets, [i * chunk], [chunk])
            pre = x[:, 0:1] * stacked[0] + x[:, 1:2] * stacked[1] + stacked[2]
            active = tf.cast(pre > 0, tf.float32)
            outputs = tf.linalg.matvec(pre * active, out_kernel) + out_bias
            counted = tf.cast(tf.where(tolerance > 0, pre * active * tf.abs(out_kernel) > tolerance, pre > 0),
                              tf.float32)
            counts += tf.cast(tf.reduce_sum(counted, axis=0), tf.int32)  # exact: at most chunk per step
            return i + 1, counts, squared + tf.reduce_sum(tf.square(outputs - y))

        _, counts, squared = tf.while_loop(
            lambda i, *_: i < chunks, body,
            (tf.constant(0), tf.zeros(tf.shape(stacked)[1], tf.int32), tf.constant(0.0)))
        return counts, squared / tf.cast(tf.shape(inputs)[0], tf.float32)

    return evaluate


def evaluate(params: ToyParams, inputs: np.ndarray, targets: np.ndarray,
             tolerance: float = 0.0) -> tuple[np.ndarray, float]:
    """(activation count of every hidden unit, MSE) over the given samples. A unit counts as active on a
    sample when h_j > 0 (tolerance 0, the draft's criterion) or, with a tolerance, when its contribution
    to the output h_j |v_j| exceeds it."""
    import tensorflow as tf

    chunk = min(COUNT_CHUNK, len(inputs))
    if chunk == 0 or len(inputs) % chunk:
        raise ValueError(f"evaluate needs up to {COUNT_CHUNK} samples or a multiple of it, got {len(inputs)}")
    counts, mse = _evaluate_function(chunk)(*[tf.constant(a) for a in _pack(params)], tf.constant(inputs),
                                       tf.constant(targets), tf.constant(float(tolerance)))
    return counts.numpy()[:params.hidden_units].astype(np.int64), float(mse)


def predict(params: ToyParams, inputs: np.ndarray) -> np.ndarray:
    """Plain NumPy forward pass (for tests and small inputs)."""
    hidden = np.maximum(inputs @ params.kernel + params.bias, 0.0)
    return hidden @ params.out_kernel + params.out_bias


def effective_units(params: ToyParams, inputs: np.ndarray) -> float:
    """Participation ratio (sum s)^2 / sum s^2 of the units' output contributions s_j = std(v_j h_j):
    1 when one unit carries the whole output, k when k units share it equally (a shared representation)."""
    hidden = np.maximum(inputs @ params.kernel + params.bias, 0.0)
    spread = np.std(hidden * params.out_kernel, axis=0)
    total = float(np.sum(spread ** 2))
    return float(np.sum(spread) ** 2 / total) if total > 0 else 0.0


def build_keras_model(hidden_units: int, l1: float = 0.0):
    """The toy network as a Keras model (for export, benchmarking and the Keras cross-checks)."""
    import tf_keras as keras

    regulariser = keras.regularizers.L1(l1) if l1 else None
    inputs = keras.Input((2,), name="inputs")
    hidden = keras.layers.Dense(hidden_units, activation="relu", name="hidden",
                                kernel_regularizer=regulariser, bias_regularizer=regulariser)(inputs)
    outputs = keras.layers.Dense(1, name="output", kernel_regularizer=regulariser)(hidden)
    return keras.Model(inputs, outputs, name=f"toy_{hidden_units}")


def to_keras(params: ToyParams):
    model = build_keras_model(params.hidden_units)
    model.set_weights([params.kernel, params.bias, params.out_kernel[:, None],
                       np.array([params.out_bias], np.float32)])
    return model
