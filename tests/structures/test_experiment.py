"""Structures topic: the draft's cost formulas on the real layers of our variant builders, the
builders themselves, the variant list from the config, training one variant, and the report frames."""
import math
import re

import numpy as np
import pandas as pd
import pytest
import tf_keras as keras
import yaml

from tests.conftest import REPO
from mobileopt.models import architectures
from mobileopt.measurement import cost_model
from mobileopt.models import classifier as models
from mobileopt.structures import report as structures_report
from mobileopt.structures import variants as structures_variants
from mobileopt.models.architectures import (
    build_block_classifier,
    build_deep_classifier,
    build_operation_classifier,
    decomposed_conv_factory,
    decomposition_bound,
    intermediate_channels,
    separable_conv_factory,
)

layers = keras.layers


def macs_by_layer(model) -> dict[str, int]:
    return {cost.name: cost.multiply_adds for cost in cost_model.layer_costs(model)}


def full_config_section() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())["structures"]


# --- the draft's 1-D decomposition formulas on our decomposed classifier ------------------------------


@pytest.mark.parametrize("n, k, l_out, bound", [(5, 1, 32, 160 / 33), (5, 32, 64, 5 * 32 * 64 / 96),
                                                (7, 64, 128, 7 * 64 * 128 / 192)])
def test_bounds_of_the_table22_convolutions(n, k, l_out, bound):
    assert decomposition_bound(n, k, l_out) == pytest.approx(bound)


@pytest.mark.parametrize("order", architectures.DECOMPOSITION_ORDERS)
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.99])
def test_same_pairs_cost_np_k_plus_l_per_position(order, fraction):
    """conv1 and conv2 (SAME, stride 1): the pair costs exactly N P (K + L) per output position, and
    below the bound that is less than the original N^2 K L."""
    model = build_operation_classifier(decomposed_conv_factory(fraction, order))
    macs = macs_by_layer(model)
    for name, (side, n, k, l_out) in {"conv1": (28, 5, 1, 32), "conv2": (14, 5, 32, 64)}.items():
        p = model.get_layer(f"{name}_a").filters
        assert p == max(1, math.floor(fraction * decomposition_bound(n, k, l_out)))
        pair = macs[f"{name}_a"] + macs[f"{name}_b"]
        assert pair == side * side * n * p * (k + l_out)
        assert pair < side * side * n * n * k * l_out  # P < N K L / (K + L) saves work


def test_bound_is_tight_on_a_real_same_pair():
    """N=3, K=4, L=5: bound 60/9 = 6.67. P=6 saves multiply-adds, P=7 does not."""
    def pair(p):
        inputs = keras.Input((6, 6, 4))
        x = layers.Conv2D(p, (3, 1), padding="same")(inputs)
        return keras.Model(inputs, layers.Conv2D(5, (1, 3), padding="same")(x))

    original = 6 * 6 * 3 * 3 * 4 * 5
    assert cost_model.count_multiply_adds(pair(6)) < original <= cost_model.count_multiply_adds(pair(7))
    assert math.floor(decomposition_bound(3, 4, 5)) == 6


def test_valid_head_pair_costs_more_than_the_drafts_formula():
    """conv3 (7x7 VALID on 7x7x64): the N x 1 half runs at 7 positions, not 1, so the pair costs
    7 * 7 * 64 * P + 7 * P * 128 = 3 x N P (K + L), and saves work only for P < 99.6."""
    model = build_operation_classifier(decomposed_conv_factory(0.25))
    macs = macs_by_layer(model)
    p = model.get_layer("conv3_a").filters
    pair = macs["conv3_a"] + macs["conv3_b"]
    assert pair == architectures.decomposed_multiply_adds(7, 64, 128, p, 7, 1) == 7 * 7 * 64 * p + 7 * p * 128
    assert pair == 3 * 7 * p * (64 + 128)
    assert 49 * 64 * 128 / (pair / p) == pytest.approx(99.56, abs=0.01)


def test_orders_differ_only_in_kernel_orientation():
    forward = build_operation_classifier(decomposed_conv_factory(0.25, "vertical_first"))
    backward = build_operation_classifier(decomposed_conv_factory(0.25, "horizontal_first"))
    assert forward.get_layer("conv2_a").kernel_size == (5, 1)
    assert backward.get_layer("conv2_a").kernel_size == (1, 5)
    assert macs_by_layer(forward) == macs_by_layer(backward)


def test_decomposition_arguments_are_checked():
    for fraction in (0, 1, 1.5):
        with pytest.raises(ValueError, match="bound_fraction"):
            intermediate_channels(5, 32, 64, fraction)
    with pytest.raises(ValueError, match="no P >= 1"):
        intermediate_channels(1, 1, 1, 0.5)  # bound 0.5
    with pytest.raises(ValueError, match="order"):
        decomposed_conv_factory(0.5, "diagonal")
    with pytest.raises(ValueError, match="positive"):
        decomposition_bound(0, 3, 3)


# --- separable --------------------------------------------------------------------------------------


@pytest.mark.parametrize("multiplier", [1, 2, 4])
def test_separable_layer_costs_k_i_times_n2_plus_l(multiplier):
    """conv2 as separable: K I (N^2 + L) per position (the draft's I (K N^2 + L) is wrong)."""
    model = build_operation_classifier(separable_conv_factory(multiplier))
    n, k, l_out, i, positions = 5, 32, 64, multiplier, 14 * 14
    assert macs_by_layer(model)["conv2"] == positions * k * i * (n * n + l_out)
    assert macs_by_layer(model)["conv2"] != positions * i * (k * n * n + l_out)
    assert model.get_layer("conv2").count_params() == k * i * n * n + k * i * l_out + l_out


def test_separable_multiplier_must_be_positive():
    with pytest.raises(ValueError, match="depth_multiplier"):
        separable_conv_factory(0)


def test_standard_operation_reproduces_the_baseline():
    ours, spine = build_operation_classifier(), models.build_mnist_classifier()
    assert cost_model.costs_table(ours).equals(cost_model.costs_table(spine))


# --- blocks at matched cost ---------------------------------------------------------------------------


def test_block_families_have_their_output_widths():
    assert build_block_classifier("plain", 20).get_layer("conv2").output.shape[-1] == 20
    assert build_block_classifier("inception", 8).get_layer("inception_concat").output.shape[-1] == 48
    bottleneck = build_block_classifier("bottleneck", 8, bottleneck_blocks=3)
    assert bottleneck.get_layer("bottleneck3_out").output.shape[-1] == 32
    with pytest.raises(ValueError, match="family"):
        build_block_classifier("dense", 8)


def test_bottleneck_and_basic_block_costs_per_position():
    """Identity bottleneck with 4d outer channels: 4d^2 + 9d^2 + 4d^2 = 17 d^2 per position; a basic
    block of two 3x3 convolutions at d channels: 18 d^2."""
    d, side = 8, 6
    inputs = keras.Input((side, side, 4 * d))
    bottleneck = keras.Model(inputs, architectures.bottleneck_block(inputs, d, "b"))
    assert cost_model.count_multiply_adds(bottleneck) == side * side * 17 * d * d
    inputs = keras.Input((side, side, d))
    basic = keras.Model(inputs, architectures.basic_block(inputs, d, "a", batch_norm=True))
    assert cost_model.count_multiply_adds(basic) == side * side * 18 * d * d


@pytest.mark.slow
@pytest.mark.parametrize("family", architectures.BLOCK_FAMILIES)
def test_width_search_matches_the_cost(family):
    target = 3_000_000
    width = architectures.width_for_multiply_adds(lambda w: build_block_classifier(family, w), target,
                                                  max_width=64)
    costs = {w: cost_model.count_multiply_adds(build_block_classifier(family, w))
             for w in (width - 1, width, width + 1)}
    assert abs(costs[width] - target) == min(abs(c - target) for c in costs.values())
    assert abs(costs[width] / target - 1) < 0.1


def test_width_search_rejects_unreachable_targets():
    with pytest.raises(ValueError, match="even width"):
        architectures.width_for_multiply_adds(lambda w: build_block_classifier("plain", w), 10**12,
                                              max_width=4)


# --- deep plain vs residual ---------------------------------------------------------------------------


@pytest.mark.parametrize("blocks", [1, 2])
def test_deep_classifier_depth_and_shortcuts(blocks):
    plain = build_deep_classifier(blocks, (4, 8, 16), residual=False)
    residual = build_deep_classifier(blocks, (4, 8, 16), residual=True)
    for model in (plain, residual):
        assert architectures.weight_layer_count(model) == 6 * blocks + 2
    assert not any(isinstance(layer, layers.Add) for layer in plain.layers)
    assert sum(isinstance(layer, layers.Add) for layer in residual.layers) == 3 * blocks
    # The only extra cost of the residual version: two strided 1x1 projections (7x7x8, 4x4x16 out).
    extra = cost_model.count_multiply_adds(residual) - cost_model.count_multiply_adds(plain)
    assert extra == 7 * 7 * 8 * 4 + 4 * 4 * 16 * 8
    assert residual.output.shape[-1] == 10
    with pytest.raises(ValueError):
        build_deep_classifier(0)


# --- the variants of a config -------------------------------------------------------------------------


def test_variant_names_are_unique_wildcards():
    section = full_config_section()
    section["decomposed"]["reversed_fractions"] = [0.25]  # the default run has none; the option stays
    names = structures_variants.variant_names(section)
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in names)
    assert names[0] == "standard_reference"
    assert {"decomposed_f25", "decomposed_f25_reversed", "inception_matched", "bottleneck_matched",
            "plain_matched", "separable_i1", "deep_plain", "deep_residual"} <= set(names)


def test_variant_config_errors():
    section = full_config_section()
    section["decomposed"]["reversed_fractions"] = [0.3]
    with pytest.raises(ValueError, match="reversed_fractions"):
        structures_variants.variant_specs(section)
    with pytest.raises(ValueError, match="whole percentages"):
        structures_variants.fraction_tag(0.125)
    with pytest.raises(KeyError, match="no variant"):
        structures_variants.variant_spec(full_config_section(), "decomposed_f99")


# Multiply-adds of the Table 2.2 classifier, written out by hand: conv1 5x5x1 -> 32 at 28x28, conv2 5x5x32
# -> 64 at 14x14, conv3 7x7x64 -> 128 VALID at one position, the dense 128 -> 10.
BASELINE_MACS = 28 * 28 * 32 * 25 * 1 + 14 * 14 * 64 * 25 * 32 + 1 * 1 * 128 * 49 * 64 + 128 * 10
assert BASELINE_MACS == 11_065_088

# P of conv1, conv2, conv3 per bound fraction, by hand: floor(f x bound) (at least 1) with the bounds
# N K L / (K + L) = 5*1*32/33 = 4.85, 5*32*64/96 = 106.67 and 7*64*128/192 = 298.67.
HAND_INTERMEDIATE_CHANNELS = {0.1: (1, 10, 29), 0.25: (1, 26, 74), 0.5: (2, 53, 149), 0.75: (3, 80, 224)}


def hand_multiply_adds(spec) -> int:
    """The variant's multiply-adds from its Table 2.2 skeleton, without the cost model or the builders."""
    args, dense = spec.arguments, 128 * 10
    if spec.family == "standard":
        return BASELINE_MACS
    if spec.family == "decomposed":  # N x 1 and 1 x N (either order): N P (K + L) per SAME position
        p1, p2, p3 = HAND_INTERMEDIATE_CHANNELS[args["bound_fraction"]]
        # conv3 is VALID: the first 7-tap half runs at 7 positions, the second at 1.
        return (28 * 28 * 5 * p1 * (1 + 32) + 14 * 14 * 5 * p2 * (32 + 64)
                + 7 * 7 * 64 * p3 + 1 * 7 * p3 * 128 + dense)
    if spec.family == "separable":  # positions x (N^2 K I depthwise + K I L pointwise)
        i = args["depth_multiplier"]
        return (28 * 28 * (25 * 1 * i + 1 * i * 32) + 14 * 14 * (25 * 32 * i + 32 * i * 64)
                + 1 * (49 * 64 * i + 64 * i * 128) + dense)
    if spec.family == "deep":  # 3x3 stem, stride 2 -> 14x14; stages at 14, 7, 4 (SAME, stride 2)
        blocks, widths = args["blocks_per_stage"], args["widths"]
        total, channels = 14 * 14 * widths[0] * 9 * 1, widths[0]
        for side, width in zip((14, 7, 4), widths):
            for _ in range(blocks):
                total += side * side * 9 * width * (channels + width)  # 3x3 channels -> width, width -> width
                if args["residual"] and channels != width:
                    total += side * side * channels * width  # the 1x1 projection shortcut
                channels = width
        return total + widths[-1] * 10
    if spec.family == "lenet5":  # VALID 5x5 convs: 24x24x20 (1 channel in), 8x8x50 (20 in); 800 -> 500 -> 10
        return 24 * 24 * 25 * 1 * 20 + 8 * 8 * 25 * 20 * 50 + 800 * 500 + 500 * 10
    raise AssertionError(f"no hand count for family {spec.family}")


# The matched-cost families are left out: their width search is tested above and takes seconds; their
# builder is checked against hand counts at fixed widths below.
@pytest.mark.parametrize("name", [spec.name for spec in structures_variants.variant_specs(full_config_section())
                                  if spec.family not in architectures.BLOCK_FAMILIES])
@pytest.mark.slow
def test_every_configured_variant_costs_its_hand_count(name):
    from mobileopt.structures.experiment import build_variant

    spec = structures_variants.variant_spec(full_config_section(), name)
    model = build_variant(spec)
    macs = cost_model.count_multiply_adds(model)
    assert macs == hand_multiply_adds(spec)
    assert model.input.shape.as_list() == [None, 28, 28, 1]
    assert model.output.shape.as_list() == [None, 10]
    assert model.name == spec.name
    if spec.family in ("decomposed", "separable"):
        assert macs < BASELINE_MACS  # the cheaper operations are cheaper in total, too


def test_hand_counts_of_two_variants_in_numbers():
    """The formulas above, evaluated once by hand: a wrong formula cannot pass here and there alike."""
    quarter = structures_variants.VariantSpec("decomposed_f25", "decomposed",
                                              {"bound_fraction": 0.25, "order": "vertical_first",
                                               "intermediate_activation": "relu"})
    # 28*28*5*1*33 + 14*14*5*26*96 + 7*7*64*74 + 7*74*128 + 1280
    assert hand_multiply_adds(quarter) == 129_360 + 2_446_080 + 232_064 + 66_304 + 1_280 == 2_875_088
    separable = structures_variants.VariantSpec("separable_i1", "separable", {"depth_multiplier": 1})
    # 784*(25 + 32) + 196*(800 + 2048) + (3136 + 8192) + 1280
    assert hand_multiply_adds(separable) == 44_688 + 558_208 + 11_328 + 1_280 == 615_504


@pytest.mark.parametrize("family, width, expected", [
    # conv1, then conv2 5x5x32 -> w at 14x14, conv3 7x7xw -> 128, dense
    ("plain", 20, 627_200 + 14 * 14 * 20 * 25 * 32 + 49 * 20 * 128 + 1_280),
    # Inception at w = 8 on 14x14x32: 1x1 (2w), 3x3 reduce (w) + 3x3 (w -> 2w), 5x5 reduce (w/2) + two
    # 3x3 (w/2 -> w, w -> w), pool projection (w); 6w = 48 channels into conv3
    ("inception", 8, 627_200 + 196 * (32 * 16 + 32 * 8 + 9 * 8 * 16 + 32 * 4 + 9 * 4 * 8 + 9 * 8 * 8 + 32 * 8)
     + 49 * 48 * 128 + 1_280),
    # two bottlenecks at d = 4 on 14x14: the first projects 32 -> 16 channels; then 17 d^2 per position
    ("bottleneck", 4, 627_200 + 196 * (32 * 4 + 9 * 16 + 4 * 16 + 32 * 16) + 196 * 17 * 16
     + 49 * 16 * 128 + 1_280),
])
def test_block_classifier_costs_by_hand(family, width, expected):
    model = build_block_classifier(family, width, bottleneck_blocks=2)
    assert cost_model.count_multiply_adds(model) == expected
    assert model.output.shape.as_list() == [None, 10]


@pytest.mark.slow
def test_train_variant_writes_the_spine_outputs(tmp_path, tiny_arrays):
    """One tiny training run end to end, in its own process (TensorFlow's thread pools are fixed
    once it starts): metrics keys, batch log, saved model."""
    import subprocess
    import sys

    from mobileopt.core import artifacts
    from mobileopt.core import data

    npz = tmp_path / "dataset.npz"
    data.save_dataset(tiny_arrays, npz, "tiny", pinned=False)
    config = yaml.safe_load((REPO / "config" / "small.yaml").read_text())
    config["data"].update(train_limit=300, test_limit=100)
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    out = tmp_path / "separable_i1"
    subprocess.run([sys.executable, "-m", "mobileopt.structures.experiment", "--config", str(config_path),
                    "--data", str(npz), "--variant", "separable_i1", "--out", str(out), "--threads", "1"],
                   check=True, capture_output=True, timeout=300)
    metrics = artifacts.read_json(out / "metrics.json")
    assert metrics["variant"] == "separable_i1" and metrics["family"] == "separable"
    assert metrics["multiply_adds"] == cost_model.count_multiply_adds(
        build_operation_classifier(separable_conv_factory(1)))
    assert metrics["train_images"] == 300 and metrics["epochs_run"] == 1
    batches = (out / "batches.csv").read_text().splitlines()
    # one log per seed of the small config's two, each ceil(270 / 128) batches
    seeds = len(config["seeds"])
    assert batches[0] == "step,epoch,batch,loss,accuracy,replicate"
    assert len(batches) == 1 + seeds * math.ceil(270 / 128)
    assert len(metrics["replicates"]) == seeds
    with np.load(out / "predictions.npz") as stored:
        assert stored["test"].shape == (seeds, 100) and stored["selection"].shape == (seeds, 30)
    assert (out / "model.keras").is_file() and (out / "history.csv").is_file()


# --- report frames ------------------------------------------------------------------------------------


def test_decomposition_frame_checks_the_formula_on_every_layer():
    frame = structures_report.decomposition_frame(
        {"decomposed_f50": build_operation_classifier(decomposed_conv_factory(0.5))})
    same = frame[frame["padding"] == "same"]
    assert list(frame["convolution"]) == ["conv1", "conv2", "conv3"]
    assert (same["formula_ratio"] == 1).all()
    assert frame.set_index("convolution").loc["conv3", "formula_ratio"] == pytest.approx(3.0)
    assert (frame["P"] < frame["bound"]).all()


def predictions_with_accuracy(accuracies: list[float], images: int = 2000) -> dict:
    """A predictions.npz-like dict: one row per seed, the first `accuracy * images` images right."""
    labels = np.arange(images) % 10
    rows = [np.where(np.arange(images) < round(accuracy * images), labels, (labels + 1) % 10)
            for accuracy in accuracies]
    return {"test": np.stack(rows), "test_labels": labels}


def test_summary_frame_ratios_and_verdicts():
    specs = [structures_variants.VariantSpec("standard_reference", "standard"),
             structures_variants.VariantSpec("separable_i1", "separable", {"depth_multiplier": 1})]
    metrics = {name: {"test_accuracy": accuracy, "test_accuracy_std": 0.001, "validation_accuracy": accuracy,
                      "replicates": [{}, {}, {}], "parameters": 100, "multiply_adds": 50, "weight_layers": 4,
                      "epochs_run": 3, "best_epoch": 3, "train_seconds": 1.0}
               for name, accuracy in (("standard_reference", 0.99), ("separable_i1", 0.98))}
    latency = {name: {"size_bytes": 400, "median_ms": 0.05, "p90_ms": 0.06} for name in metrics}
    predictions = {"standard_reference": predictions_with_accuracy([0.99, 0.991, 0.989]),
                   "separable_i1": predictions_with_accuracy([0.95, 0.951, 0.949])}
    frame = structures_report.summary_frame(specs, metrics, latency,
                                            {"test_accuracy": 0.99, "parameters": 1000,
                                             "multiply_adds": 500},
                                            {"size_bytes": 4000, "median_ms": 0.1}, predictions,
                                            pd.DataFrame({"model": ["standard_reference", "separable_i1"],
                                                          "speedup": [1.0, 2.0], "low": [0.98, 1.9],
                                                          "high": [1.02, 2.1], "verdict": ["tie", "faster"]}))
    row = frame.set_index("variant").loc["separable_i1"]
    assert row["multiply_adds_ratio"] == 0.1 and row["latency_ratio"] == 0.5  # 1 / interleaved speed-up
    assert row["latency_ratio_low"] == pytest.approx(1 / 2.1) and row["latency_verdict"] == "faster"
    assert row["separate_job_latency_ratio"] == 0.5
    assert row["accuracy_change_points"] == pytest.approx(-1.0)
    assert row["label"] == "separable, $I=1$" and row["seeds"] == 3
    assert row["vs_reference"] == "worse" and row["vs_reference_points"] == pytest.approx(-4.0)
    assert frame.set_index("variant").loc["standard_reference", "vs_reference"] == "tie"  # itself
    assert {"method", "variant", "test_accuracy", "validation_accuracy", "parameters", "multiply_adds",
            "tflite_bytes", "latency_median_ms", "latency_p90_ms"} <= set(frame.columns)


def test_matched_verdicts_come_from_the_significance_test():
    """Inception clearly ahead of plain (3 seeds, 99 % vs 95 %): 'more accurate than'; bottleneck with
    the plain stage's own predictions: 'not distinguishable in accuracy from'."""
    summary = pd.DataFrame({"variant": ["standard_reference", "plain_matched", "inception_matched",
                                        "bottleneck_matched"],
                            "multiply_adds": [1000, 300, 300, 300], "test_accuracy": [0.99, 0.95, 0.99, 0.95],
                            "latency_ratio": 0.5, "latency_median_ms": 0.1, "parameters": 10})
    plain = predictions_with_accuracy([0.95, 0.951, 0.949])
    predictions = {"plain_matched": plain, "bottleneck_matched": plain,
                   "inception_matched": predictions_with_accuracy([0.99, 0.991, 0.989])}
    macros = {m.name: m.value for m in structures_report._matched_macros(summary, 300, "s", predictions)}
    assert macros["StructuresInceptionVersusPlain"] == "more accurate than"
    assert macros["StructuresInceptionVersusPlainPoints"] == "+4.00"
    assert macros["StructuresBottleneckVersusPlain"] == "not distinguishable in accuracy from"
    assert macros["StructuresBottleneckVersusPlainMcnemarP"] == "p = 1.000"


def deep_history(final_losses: list[float]) -> pd.DataFrame:
    return pd.DataFrame([{"epoch": 1, "loss": loss, "val_accuracy": 0.9, "replicate": replicate}
                         for replicate, loss in enumerate(final_losses)])


@pytest.mark.parametrize("residual, plain, expected", [
    ([0.10, 0.11, 0.09], [0.50, 0.52, 0.48], "easier to optimise"),   # far apart, small spread
    ([0.10, 0.60, 0.30], [0.50, 0.20, 0.40], "within the spread"),    # overlapping seeds
    ([0.50, 0.52, 0.48], [0.10, 0.11, 0.09], "harder to optimise"),
])
def test_deep_verdict_needs_the_loss_gap_to_exceed_the_seed_spread(residual, plain, expected):
    macros = {m.name: m.value for m in structures_report.deep_loss_macros(
        {"deep_plain": deep_history(plain), "deep_residual": deep_history(residual)}, "p.csv", "r.csv")}
    assert expected in macros["StructuresDeepVerdict"]
