"""Liu et al.'s control: the network at the Fisher-pruned widths, trained from scratch."""
import numpy as np
import pytest

import mobileopt  # noqa: F401

from mobileopt.compression import fisher_pruning, scratch_control
from mobileopt.compression.macros import scratch_macros
from mobileopt.measurement import cost_model


@pytest.mark.parametrize("fraction", [0.5, 0.75, 0.3])
def test_widths_are_those_fisher_pruning_leaves(fraction):
    layers = ["conv1", "conv2", "conv3"]
    removed = {name: 0 for name in layers}
    for step in fisher_pruning.removal_schedule(scratch_control.TABLE_2_2_CHANNELS, fraction, rounds=3):
        for name, count in step.items():
            removed[name] += count
    assert scratch_control.pruned_widths(fraction, layers) == {
        name: channels - removed[name] for name, channels in scratch_control.TABLE_2_2_CHANNELS.items()}


def test_only_configured_layers_narrow_and_unknown_layers_are_named():
    assert scratch_control.pruned_widths(0.5, ["conv2"]) == {"conv1": 32, "conv2": 32, "conv3": 128}
    with pytest.raises(ValueError, match="logits"):
        scratch_control.pruned_widths(0.5, ["logits"])


@pytest.mark.slow
def test_built_network_has_the_pruned_widths():
    model = scratch_control.build(0.75, ["conv1", "conv2", "conv3"])
    assert [model.get_layer(name).filters for name in ("conv1", "conv2", "conv3")] == [8, 16, 32]
    assert model.output_shape == (None, 10) and cost_model.count_multiply_adds(model) < 1_000_000


def test_the_control_is_only_configured_when_asked():
    config = {"compression": {"fisher_pruning": {"fractions": [0.5, 0.75], "scratch_control": True}}}
    assert scratch_control.configured_fractions(config) == [0.5, 0.75]
    config["compression"]["fisher_pruning"]["scratch_control"] = False
    assert scratch_control.configured_fractions(config) == []
    assert scratch_control.output_paths("scratch_50")["predictions"] == \
        "results/compression/scratch/scratch_50/predictions.npz"


def constructed_scratch(correct_rows: np.ndarray) -> dict:
    labels = np.zeros(correct_rows.shape[1], dtype=np.uint8)
    test = np.where(correct_rows, 0, 1).astype(np.uint8)
    accuracy = correct_rows.mean(axis=1)
    return {"metrics": {"test_accuracy": float(accuracy.mean()), "test_accuracy_std": float(accuracy.std(ddof=1))},
            "predictions": {"test": test, "test_labels": labels}, "source": "m.json"}


def test_scratch_verdicts_against_the_pruned_network():
    """A control that gets 300 more images right than the pruned model is more accurate; one that gets the
    same images right is a tie; without the control every value is '--'."""
    rng = np.random.default_rng(0)
    pruned = rng.random(2000) < 0.8
    better = np.stack([pruned | (rng.random(2000) < 0.75) for _ in range(3)])
    config = {"seeds": [0, 1, 2], "baseline": {"epochs": 8}}
    correct = {"fisher_pruning/fisher_50": pruned, "fisher_pruning/fisher_75": pruned}
    macros = {m.name: m.value for m in scratch_macros(
        correct, {0.5: constructed_scratch(np.stack([pruned] * 3)), 0.75: constructed_scratch(better)}, config)}
    assert macros["CompressionScratchLowVersusFisher"] == "not distinguishable in accuracy from"
    assert macros["CompressionScratchHighVersusFisher"] == "more accurate than"
    assert macros["CompressionScratchEpochs"] == "8 epochs" and macros["CompressionScratchSeeds"] == "3"
    empty = {m.name: m.value for m in scratch_macros(correct, {}, config)}
    assert empty["CompressionScratchLowAccuracy"] == empty["CompressionScratchHighVersusFisher"] == "--"
