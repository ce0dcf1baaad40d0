"""Tests for mobileopt.measurement.cost_model: hand-computed counts and a TensorFlow-profiler cross-check."""
from typing import Callable, NamedTuple

import mobileopt  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow is imported)
import pytest
import tf_keras as keras

from mobileopt.measurement.cost_model import (
    LayerCost,
    costs_table,
    count_multiply_adds,
    count_parameters,
    layer_costs,
    profiler_float_ops,
)

layers = keras.layers


def sequential_model(input_shape, *stack, name=None) -> keras.Model:
    """A functional model applying the layers in ``stack`` one after another."""
    inputs = x = keras.Input(input_shape)
    for layer in stack:
        x = layer(x)
    return keras.Model(inputs, x, name=name)


# --- single layers --------------------------------------------------------------------------


class Case(NamedTuple):
    make_layer: Callable[[], layers.Layer]
    input_shape: tuple
    output_shape: tuple
    parameters: int
    multiply_adds: int
    bias_adds: int
    profile: dict | None  # expected profiler_float_ops; None: profiler cannot see the op


# Every number below is computed by hand from the layer definition.
CASES = {
    "conv_same_stride2": Case(
        lambda: layers.Conv2D(4, 3, strides=2, padding="same"), (9, 9, 3), (5, 5, 4),
        3 * 3 * 3 * 4 + 4, 5 * 5 * 4 * (3 * 3 * 3), 5 * 5 * 4,
        {"Conv2D": 2 * 2700, "BiasAdd": 100},
    ),
    "conv_valid_stride2": Case(
        lambda: layers.Conv2D(4, 3, strides=2), (9, 9, 3), (4, 4, 4),
        3 * 3 * 3 * 4 + 4, 4 * 4 * 4 * (3 * 3 * 3), 4 * 4 * 4,
        {"Conv2D": 2 * 1728, "BiasAdd": 64},
    ),
    "conv_valid_5x5_no_bias": Case(
        lambda: layers.Conv2D(3, 5, use_bias=False), (8, 8, 2), (4, 4, 3),
        5 * 5 * 2 * 3, 4 * 4 * 3 * (5 * 5 * 2), 0,
        {"Conv2D": 2 * 2400},
    ),
    # Grouped convolution: each output channel sees C_in / groups = 2 input channels. tf_keras
    # runs it inside a jit-compiled tf.function that the profiler does not enter (it reports
    # "incomplete shapes" and 0 float ops), so there is nothing to compare.
    "conv_grouped": Case(
        lambda: layers.Conv2D(6, 3, groups=2), (6, 6, 4), (4, 4, 6),
        3 * 3 * 2 * 6 + 6, 4 * 4 * 6 * (3 * 3 * 2), 4 * 4 * 6,
        None,
    ),
    "conv1d": Case(  # TensorFlow runs Conv1D as a Conv2D on an expanded tensor
        lambda: layers.Conv1D(4, 3), (10, 3), (8, 4),
        3 * 3 * 4 + 4, 8 * 4 * (3 * 3), 8 * 4,
        {"Conv2D": 2 * 288, "BiasAdd": 32},
    ),
    "conv3d": Case(
        lambda: layers.Conv3D(2, 2), (3, 3, 3, 2), (2, 2, 2, 2),
        2 * 2 * 2 * 2 * 2 + 2, 2 * 2 * 2 * 2 * (2 * 2 * 2 * 2), 2 * 2 * 2 * 2,
        {"Conv3D": 2 * 256, "BiasAdd": 16},
    ),
    "depthwise_multiplier2": Case(
        lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        (8, 8, 3), (8, 8, 6),
        3 * 3 * 3 * 2 + 6, 8 * 8 * 6 * (3 * 3), 8 * 8 * 6,
        {"DepthwiseConv2dNative": 2 * 3456, "BiasAdd": 384},
    ),
    "depthwise_stride2_no_bias": Case(
        lambda: layers.DepthwiseConv2D(3, strides=2, use_bias=False), (9, 9, 4), (4, 4, 4),
        3 * 3 * 4, 4 * 4 * 4 * (3 * 3), 0,
        {"DepthwiseConv2dNative": 2 * 576},
    ),
    # Depthwise 3x3 with multiplier 2 (3 -> 6 channels), then pointwise 1x1 (6 -> 5).
    "separable_multiplier2": Case(
        lambda: layers.SeparableConv2D(5, 3, depth_multiplier=2), (8, 8, 3), (6, 6, 5),
        3 * 3 * 3 * 2 + 6 * 5 + 5, 6 * 6 * (3 * 3 * 3 * 2 + 3 * 2 * 5), 6 * 6 * 5,
        {"DepthwiseConv2dNative": 2 * 6 * 6 * 6 * 9, "Conv2D": 2 * 6 * 6 * 6 * 5, "BiasAdd": 180},
    ),
    # Transposed: every one of the 4x4 input positions scatters a 3x3x5 patch, 3 MACs each.
    "transposed_same_stride2": Case(
        lambda: layers.Conv2DTranspose(5, 3, strides=2, padding="same"), (4, 4, 3), (8, 8, 5),
        3 * 3 * 5 * 3 + 5, 4 * 4 * (3 * 3 * 5 * 3), 8 * 8 * 5,
        {"Conv2DBackpropInput": 2 * 2160, "BiasAdd": 320},
    ),
    "transposed_valid_kernel_equals_stride": Case(
        lambda: layers.Conv2DTranspose(5, 2, strides=2), (4, 4, 3), (8, 8, 5),
        2 * 2 * 5 * 3 + 5, 4 * 4 * (2 * 2 * 5 * 3), 8 * 8 * 5,
        {"Conv2DBackpropInput": 2 * 960, "BiasAdd": 320},
    ),
    # VALID with kernel > stride: output 9x9 instead of 4 * 2 = 8. The work is the same 4x4
    # scatters, but the profiler estimates 2 * k*k*C_in*C_out * positions_out / stride^2
    # = 2 * 9*27*5 * 81 / 4 = 5467.5 (truncated), not 2 * MACs = 4320.
    "transposed_valid_stride2": Case(
        lambda: layers.Conv2DTranspose(5, 3, strides=2), (4, 4, 3), (9, 9, 5),
        3 * 3 * 5 * 3 + 5, 4 * 4 * (3 * 3 * 5 * 3), 9 * 9 * 5,
        {"Conv2DBackpropInput": 2 * (3 * 3 * 3 * 5) * (9 * 9) // 4, "BiasAdd": 405},
    ),
    "dense": Case(
        lambda: layers.Dense(7), (6,), (7,),
        6 * 7 + 7, 6 * 7, 7,
        {"MatMul": 2 * 42, "BiasAdd": 7},
    ),
    "dense_rank3": Case(  # applied at each of the 4 leading positions
        lambda: layers.Dense(7), (4, 6), (4, 7),
        6 * 7 + 7, 4 * 6 * 7, 4 * 7,
        {"MatMul": 2 * 168, "BiasAdd": 28},
    ),
    # 0-MAC layers. The profiler does count some of them (comparisons, means, scalings).
    "max_pool": Case(
        lambda: layers.MaxPooling2D(), (8, 8, 3), (4, 4, 3), 0, 0, 0,
        {"MaxPool": (2 * 2) * (4 * 4 * 3)},  # pool area x output elements
    ),
    "average_pool": Case(
        lambda: layers.AveragePooling2D(), (4, 4, 3), (2, 2, 3), 0, 0, 0,
        {"AvgPool": (2 * 2) * (2 * 2 * 3)},
    ),
    "global_average_pool": Case(
        lambda: layers.GlobalAveragePooling2D(), (8, 8, 3), (3,), 0, 0, 0,
        {"Mean": 8 * 8 * 3},  # input elements
    ),
    "batch_norm": Case(  # gamma, beta, moving mean, moving variance; FusedBatchNormV3: no stats
        lambda: layers.BatchNormalization(), (4, 4, 3), (4, 4, 3), 4 * 3, 0, 0, {},
    ),
    "relu6": Case(lambda: layers.ReLU(6.0), (4, 4, 3), (4, 4, 3), 0, 0, 0, {}),
    "zero_padding": Case(lambda: layers.ZeroPadding2D(), (4, 4, 3), (6, 6, 3), 0, 0, 0, {}),
    "rescaling": Case(
        lambda: layers.Rescaling(1 / 255), (4, 4, 3), (4, 4, 3), 0, 0, 0,
        {"Mul": 48, "AddV2": 48},
    ),
    "flatten": Case(lambda: layers.Flatten(), (4, 4, 3), (48,), 0, 0, 0, {}),
    "dropout": Case(lambda: layers.Dropout(0.5), (4, 4, 3), (4, 4, 3), 0, 0, 0, {}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_single_layer_costs(case):
    model = sequential_model(case.input_shape, case.make_layer())
    [cost] = layer_costs(model)
    assert (cost.output_shape, cost.parameters, cost.multiply_adds, cost.bias_adds) == (
        case.output_shape, case.parameters, case.multiply_adds, case.bias_adds
    )
    assert cost.parameters == model.count_params()


PROFILED = {name: case for name, case in CASES.items() if case.profile is not None}


@pytest.mark.parametrize("case", PROFILED.values(), ids=PROFILED.keys())
def test_profiler_per_op_type(case):
    """Pins down what the TensorFlow profiler counts for each op (hand-computed in CASES)."""
    model = sequential_model(case.input_shape, case.make_layer())
    assert profiler_float_ops(model, case.input_shape) == case.profile


# --- whole models -----------------------------------------------------------------------------


def table_2_2_classifier() -> keras.Model:
    """The classifier of the thesis draft's Table 2.2."""
    return sequential_model(
        (28, 28, 1),
        layers.Conv2D(32, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(128, 7, padding="valid", activation="relu"),
        layers.Flatten(),
        layers.Dense(10),
    )


def test_table_2_2_classifier():
    model = table_2_2_classifier()
    assert count_parameters(model) == model.count_params()
    assert count_multiply_adds(model) == (
        28 * 28 * 32 * 25 + 14 * 14 * 64 * 25 * 32 + 1 * 1 * 128 * 49 * 64 + 128 * 10
    )
    table = costs_table(model)
    assert list(table.columns) == [
        "name", "layer_type", "output_shape", "parameters", "multiply_adds"
    ]
    assert list(table["output_shape"]) == [
        "28x28x32", "14x14x32", "14x14x64", "7x7x64", "1x1x128", "128", "10"
    ]
    assert table["multiply_adds"].sum() == count_multiply_adds(model)


def mobile_block() -> keras.Model:
    """Strided conv, depthwise, separable, residual add, global pooling and a Dense head."""
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(inputs)  # 8x8x8
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    y = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))  # 8x8x16
    y = layers.SeparableConv2D(8, 3, padding="same")(y)  # 8x8x8
    x = layers.Add()([x, y])
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(5)(x))


def conv1d_dense() -> keras.Model:
    return sequential_model((10, 3), layers.Conv1D(4, 3), layers.Dense(6))


def transposed_decoder() -> keras.Model:
    return sequential_model(
        (4, 4, 8),
        layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(2, 4, strides=2, padding="same"),
    )


# Ops that carry the multiply-adds of weight layers: each reports exactly 2 x MACs.
WEIGHT_OPS = ("Conv2D", "Conv3D", "DepthwiseConv2dNative", "MatMul", "Conv2DBackpropInput")

WHOLE_MODELS = {
    # model, input shape, profiler float ops of the 0-MAC layers (hand-computed)
    "table_2_2": (table_2_2_classifier, (28, 28, 1),
                  {"MaxPool": 4 * 14 * 14 * 32 + 4 * 7 * 7 * 64}),
    "mobile_block": (mobile_block, (16, 16, 3),
                     {"AddV2": 8 * 8 * 8, "Mean": 8 * 8 * 8}),
    "conv1d_dense": (conv1d_dense, (10, 3), {}),
    "transposed_decoder": (transposed_decoder, (4, 4, 8), {}),
}


@pytest.mark.parametrize("make_model, input_shape, other_ops", WHOLE_MODELS.values(),
                         ids=WHOLE_MODELS.keys())
def test_profiler_equals_twice_macs_plus_bias_adds(make_model, input_shape, other_ops):
    """profiler total == 2 * MACs + bias_adds + the profiler's counts for 0-MAC layers."""
    model = make_model()
    costs = layer_costs(model)
    flops = profiler_float_ops(model, input_shape)
    assert sum(flops.pop(op, 0) for op in WEIGHT_OPS) == 2 * sum(c.multiply_adds for c in costs)
    assert flops.pop("BiasAdd", 0) == sum(c.bias_adds for c in costs)
    assert flops == other_ops


# --- the thesis draft's cost formulas (per output position) -------------------------------------

N, K, L, P, I, M = 3, 4, 5, 2, 2, 6  # kernel, in-, out-, intermediate channels, multiplier, M
POSITIONS = 6 * 6  # SAME padding keeps a 6x6 grid


def thesis_models():
    conv = sequential_model((6, 6, K), layers.Conv2D(L, N, padding="same", use_bias=False))
    pair = sequential_model(
        (6, 6, K),
        layers.Conv2D(P, (N, 1), padding="same", use_bias=False),
        layers.Conv2D(L, (1, N), padding="same", use_bias=False),
    )
    separable = sequential_model(
        (6, 6, K), layers.SeparableConv2D(L, N, depth_multiplier=I, padding="same", use_bias=False)
    )
    depthwise_then_pointwise = sequential_model(
        (6, 6, K),
        layers.DepthwiseConv2D(N, depth_multiplier=I, padding="same", use_bias=False),
        layers.Conv2D(L, 1, use_bias=False),
    )
    # Draft section 2.6, in its own notation: X is K x N, W is N x M, W ~ O P with O: N x L, P: L x M.
    # X O P costs K*N*L + K*L*M = K*L*(N+M); the draft wrote K*N*L + N*L*M = N*L*(K+M), whose second term
    # is the cost of forming O P (rebuilding W), which inference never does.
    factorised = sequential_model(
        (K, N), layers.Dense(L, use_bias=False), layers.Dense(M, use_bias=False)
    )
    return {
        "conv N^2*K*L": (conv, POSITIONS * N**2 * K * L),
        "Nx1 then 1xN: N*P*(L+K)": (pair, POSITIONS * N * P * (L + K)),
        "separable: K*I*N^2 + K*I*L": (separable, POSITIONS * (K * I * N**2 + K * I * L)),
        "depthwise + pointwise": (depthwise_then_pointwise, POSITIONS * (K * I * N**2 + K * I * L)),
        "factorised product: K*L*(N+M)": (factorised, K * L * (N + M)),
    }


@pytest.mark.parametrize("formula", thesis_models().keys())
def test_thesis_cost_formulas(formula):
    model, expected = thesis_models()[formula]
    assert count_multiply_adds(model) == expected


def test_the_drafts_wrong_formulas_are_wrong():
    """The draft's separable cost I(KN^2+L) and factorised cost NL(K+M) do not match real layers."""
    separable, _ = thesis_models()["separable: K*I*N^2 + K*I*L"]
    factorised, _ = thesis_models()["factorised product: K*L*(N+M)"]
    assert count_multiply_adds(separable) != POSITIONS * I * (K * N**2 + L)
    assert count_multiply_adds(factorised) != N * L * (K + M)


# --- nesting ------------------------------------------------------------------------------------


def feature_layers():
    return [layers.Conv2D(8, 3, strides=2), layers.BatchNormalization(), layers.ReLU(),
            layers.DepthwiseConv2D(3)]


def head_layers():
    return [layers.Flatten(), layers.Dense(4)]


def test_nested_models_count_like_the_flat_model():
    flat = sequential_model((12, 12, 3), *feature_layers(), *head_layers())
    features = sequential_model((12, 12, 3), *feature_layers(), name="features")
    head = keras.Sequential(head_layers(), name="head")  # no Input: built when called
    inputs = keras.Input((12, 12, 3))
    nested = keras.Model(inputs, head(features(inputs)))

    def without_names(costs):
        return [(c.layer_type, c.output_shape, c.parameters, c.multiply_adds, c.bias_adds)
                for c in costs]

    nested_costs = layer_costs(nested)
    assert without_names(nested_costs) == without_names(layer_costs(flat))
    assert [c.name.split("/")[0] for c in nested_costs] == ["features"] * 4 + ["head"] * 2
    assert count_parameters(nested) == nested.count_params() == flat.count_params()


@pytest.mark.slow
def test_resnet50_counts():
    """ResNet-50 at 224x224: He et al. report 3.8e9 multiply-adds.

    The MAC and bias-add totals were established once with profiler_float_ops (Conv2D +
    MatMul = 7_715_946_496 = 2 x MACs, BiasAdd = 10_588_136); freezing ResNet-50 is too
    slow to repeat here.
    """
    model = keras.applications.ResNet50(weights=None)
    costs = layer_costs(model)
    assert sum(c.parameters for c in costs) == model.count_params() == 25_636_712
    assert sum(c.multiply_adds for c in costs) == 3_857_973_248
    assert sum(c.bias_adds for c in costs) == 10_588_136


# --- errors -------------------------------------------------------------------------------------


class Scale(layers.Layer):
    """A weighted layer the cost model has no rule for."""

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=input_shape[-1:])

    def call(self, inputs):
        return inputs * self.scale


class Double(layers.Layer):
    """A layer without weights: 0 MACs by convention."""

    def call(self, inputs):
        return 2 * inputs


def test_unknown_weighted_layer_raises():
    model = sequential_model((4, 4, 3), layers.Conv2D(2, 1), Scale(name="my_scale"))
    with pytest.raises(NotImplementedError, match="my_scale.*Scale"):
        layer_costs(model)


def test_unknown_layer_without_weights_costs_nothing():
    model = sequential_model((4, 4, 3), Double())
    assert [(c.layer_type, c.multiply_adds) for c in layer_costs(model)] == [("Double", 0)]


def dynamic_spatial_shape():
    return sequential_model((None, None, 3), layers.Conv2D(2, 3, name="conv_dynamic"),
                            layers.GlobalAveragePooling2D(), layers.Dense(2))


def shared_layer():
    shared = layers.Dense(4, name="shared_dense")
    inputs = keras.Input((4,))
    return keras.Model(inputs, shared(shared(inputs)))


def unbuilt_sequential():
    return keras.Sequential([layers.Dense(3, name="unbuilt_dense")])


@pytest.mark.parametrize("make_model, layer_name", [
    (dynamic_spatial_shape, "conv_dynamic"),
    (shared_layer, "shared_dense"),
    (unbuilt_sequential, "unbuilt_dense"),
])
def test_layers_without_one_static_call_raise(make_model, layer_name):
    with pytest.raises(ValueError, match=layer_name):
        layer_costs(make_model())


def test_layer_cost_is_frozen():
    cost = LayerCost("conv", "Conv2D", (2, 2, 1), 10, 36, 4)
    with pytest.raises(AttributeError):
        cost.parameters = 0
