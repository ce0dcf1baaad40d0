"""Global channel allocation: meets the multiply-add target, prefers cheap-to-lose channels per cost."""
import numpy as np
import pytest

from mobileopt.stack import allocation
from mobileopt.stack.allocation import ChainLayer

# conv1 1 -> 4 channels (cost 100), conv2 4 -> 8 (cost 1,000), logits 8 -> 10 (cost 80).
CHAIN = [ChainLayer("conv1", 100, 1, 4), ChainLayer("conv2", 1000, 4, 8), ChainLayer("logits", 80, 8, 10)]


def test_total_scales_with_both_neighbours():
    assert allocation.total_multiply_adds(CHAIN, {}) == 1180
    # conv1 at 2 of 4 channels halves conv1 and conv2's inputs: 50 + 500 + 80.
    assert allocation.total_multiply_adds(CHAIN, {"conv1": 2}) == pytest.approx(630)


def test_removal_meets_the_target_exactly_or_below():
    scores = {"conv1": np.array([4.0, 3.0, 2.0, 1.0]), "conv2": np.linspace(1, 2, 8)}
    keep = allocation.global_removal(CHAIN, scores, target_multiply_adds=600)
    outputs = {name: len(kept) for name, kept in keep.items()}
    assert allocation.total_multiply_adds(CHAIN, outputs) <= 600
    # One channel fewer anywhere would have sufficed? No: adding any removed channel back exceeds it.
    for name in keep:
        assert allocation.total_multiply_adds(CHAIN, dict(outputs, **{name: outputs[name] + 1})) > 600 or \
            outputs[name] == len(scores[name])


def test_equal_scores_go_where_a_channel_saves_most():
    """With every score equal, the loss per multiply-add saved is lowest where a channel costs most."""
    scores = {"conv1": np.ones(4), "conv2": np.ones(8)}
    keep = allocation.global_removal(CHAIN, scores, target_multiply_adds=1100)
    assert len(keep["conv1"]) == 3 and len(keep["conv2"]) == 8  # one conv1 channel saves 25 + 250


def test_lowest_scored_channels_are_the_ones_removed():
    scores = {"conv1": np.array([5.0, 0.1, 5.0, 5.0]), "conv2": np.full(8, 100.0)}
    keep = allocation.global_removal(CHAIN, scores, target_multiply_adds=1000)
    np.testing.assert_array_equal(keep["conv1"], [0, 2, 3])


def test_unreachable_target_is_an_error():
    with pytest.raises(ValueError, match="cannot reach"):
        allocation.global_removal(CHAIN, {"conv1": np.ones(4)}, target_multiply_adds=10)


def test_unknown_layer_is_an_error():
    with pytest.raises(ValueError, match="conv9"):
        allocation.global_removal(CHAIN, {"conv9": np.ones(4)}, target_multiply_adds=10)
