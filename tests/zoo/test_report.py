"""What the zoo's prose may say about the least efficient model: only what was measured."""
import pandas as pd

from mobileopt.zoo.report import inefficiency_cause


def test_depthwise_convolutions_are_blamed_only_where_a_model_has_them():
    ridge = 4.1
    mobilenet = pd.Series({"depthwise_share": 0.13, "intensity": 5.1})
    vgg = pd.Series({"depthwise_share": 0.0, "intensity": 48.0})
    memory_bound = pd.Series({"depthwise_share": 0.0, "intensity": 2.0})
    assert "13\\,\\% of its multiply-adds are in depthwise" in inefficiency_cause(mobilenet, ridge)
    assert inefficiency_cause(vgg, ridge).startswith("it has no depthwise convolutions")
    assert "neither the roofline" in inefficiency_cause(vgg, ridge)
    assert "below the ridge" in inefficiency_cause(memory_bound, ridge)


def test_the_roofline_is_credited_only_with_models_below_the_ridge():
    from mobileopt.zoo.report import roofline_verdict

    assert "explains none" in roofline_verdict(0)
    assert "memory traffic accounts" in roofline_verdict(2)


def test_the_inversion_sentence_follows_the_run():
    from mobileopt.zoo.report import inversion_sentence, rank_inversions

    ordered = pd.DataFrame({"display": ["A", "B"], "multiply_adds": [1e6, 2e6], "latency_median_ms": [1.0, 2.0]})
    assert inversion_sentence(rank_inversions(ordered)).startswith("In this run the ranking by multiply-adds held")
    inverted = ordered.assign(latency_median_ms=[2.2, 2.0])
    sentence = inversion_sentence(rank_inversions(inverted))
    assert "in 1 pair of models" in sentence and "A, which needs 2.00 times fewer" in sentence
