"""Activation-pruning report: formatting, macros that compile under any configuration, cycle curves."""
import pandas as pd
import pytest

import mobileopt  # noqa: F401

from mobileopt.activation_pruning import figures as figs
from mobileopt.activation_pruning import report as rep


def test_macro_names_are_letters_only():
    name = rep.camel("Toy", "glorot_uniform", "adam", "l1_contribution", "Units")
    assert name == "ActivationPruningToyGlorotUniformAdamLOneContributionUnits" and name.isalpha()


@pytest.mark.parametrize("value, text", [(2.3e-5, "$2.3\\cdot10^{-5}$"), (0.5, "$5.0\\cdot10^{-1}$"),
                                         (0.0, "$0$")])
def test_scientific(value, text):
    assert rep.scientific(value) == text


def test_mean_std_uses_the_sample_spread():
    assert rep.mean_std(pd.Series([1.0, 3.0])) == "$2.0{\\scriptstyle\\pm1.4}$"
    assert rep.mean_std(pd.Series([4.0])) == "$4.0{\\scriptstyle\\pm0.0}$"
    assert rep.mse_mean_std(pd.Series([1e-5, 3e-5])) == "$2.0\\cdot10^{-5}{\\scriptstyle\\pm1.4\\cdot10^{-5}}$"


def toy_runs():
    rows = []
    for seed, units in ((0, 1), (1, 3)):
        for variant in ("vanilla", "l1_contribution"):
            rows.append({"initialisation": "glorot_uniform", "optimizer": "adam", "variant": variant, "seed": seed,
                         "units_initial": 1000, "units_first_training_alive": 900 + seed,
                         "units_final": units if variant == "l1_contribution" else 800,
                         "first_test_mse": 1e-5, "first_converged": True, "first_effective_units": 400.0,
                         "test_mse": 2e-6, "reached_optimum": units == 1})
    return pd.DataFrame(rows)


def test_toy_macros_cover_unconfigured_runs_with_a_placeholder():
    gradients = pd.DataFrame({"initialisation": "glorot_uniform", "optimizer": "adam", "step": [0, 10],
                              "positive_output_weights": [1.0, 0.8], "positive_biases": [0.5, 0.5],
                              "positive_biases_times_sign_v": [0.0, 0.1], "active_units": [1000.0, 990.0]})
    macros = {m.name: m.value for m in rep.toy_macros(toy_runs(), gradients, "runs.csv")}
    assert all(name.isalpha() for name in macros)
    assert macros["ActivationPruningToyGlorotUniformAdamLOneContributionUnits"] == "2.0"
    assert macros["ActivationPruningToyGlorotUniformAdamLOneContributionOptimum"] == "1"
    assert macros["ActivationPruningToyGlorotUniformAdamDeadUnits"] == "100"  # 1000 - 900.5, rounded
    assert macros["ActivationPruningToyGlorotUniformAdamGradientOutputWeights"] == "90"
    assert macros["ActivationPruningToyGlorotUniformAdamGradientOutputWeightsFirstStep"] == "100"
    assert macros["ActivationPruningToyGlorotUniformAdamGradientBiasesSignV"] == "95"
    assert macros["ActivationPruningToyGlorotUniformAdamActiveUnitsStart"] == "1000"
    assert macros["ActivationPruningToyGlorotUniformAdamActiveUnitsLater"] == rep.MISSING
    assert macros["ActivationPruningToyGlorotUniformSgdVanillaUnits"] == rep.MISSING
    assert macros["ActivationPruningToyStandardNormalRmspropFirstMse"] == rep.MISSING


def test_variant_table_marks_the_seeds_that_reached_the_optimum():
    table = rep.toy_variant_table(toy_runs(), "units")
    row = table.set_index("Variant").loc["L1 + contribution (ours)"]
    assert row.iloc[0] == "$2.0{\\scriptstyle\\pm1.4}$ (1/2)"


def test_units_per_cycle_carries_early_stops_forward():
    rows = [("v", 0, 1, 10, 3, False), ("v", 0, 2, 7, 0, False), ("v", 0, 3, 7, 0, True),
            ("v", 1, 1, 10, 5, False), ("v", 1, 2, 5, 1, False), ("v", 1, 3, 4, 0, False),
            ("v", 1, 4, 4, 0, True)]
    cycles = pd.DataFrame(rows, columns=["variant", "seed", "cycle", "units", "removed", "final"])
    means = figs.units_per_cycle(cycles).set_index("cycle")["units"]
    assert means.to_dict() == {0: 10.0, 1: 6.0, 2: 5.5, 3: 5.5}
