"""The toy network y = i1 + i2: the fast XLA trainer matches Keras step for step, padding is inert,
surgery on dead units keeps the outputs, counting is exact, and the experiment driver runs every variant."""
import numpy as np
import pytest

import mobileopt  # noqa: F401
import tf_keras as keras

from mobileopt.activation_pruning import criteria as ap
from mobileopt.activation_pruning import toy_experiment as apt
from mobileopt.activation_pruning import toy_network as toy

KERAS_OPTIMIZERS = {
    "sgd": lambda s: keras.optimizers.SGD(s.learning_rate),
    "momentum": lambda s: keras.optimizers.SGD(s.learning_rate, momentum=s.momentum),
    "adam": lambda s: keras.optimizers.Adam(s.learning_rate),
    "rmsprop": lambda s: keras.optimizers.RMSprop(s.learning_rate),
}
SETTINGS = {"sgd": toy.OptimizerSettings("sgd", 0.01), "momentum": toy.OptimizerSettings("momentum", 0.01, 0.3),
            "adam": toy.OptimizerSettings("adam", 0.001), "rmsprop": toy.OptimizerSettings("rmsprop", 0.001)}


@pytest.mark.slow
@pytest.mark.parametrize("initialisation", toy.INITIALISATIONS)
@pytest.mark.parametrize("name", toy.OPTIMIZERS)
def test_xla_trainer_matches_keras(name, initialisation):
    """Same batches, same update rule: the hand-written gradients and optimizers equal tf_keras'."""
    inputs, targets = toy.make_data(64, seed=0)
    params = toy.initial_params(13, initialisation, seed=0)
    l1 = 0.01 if initialisation == "glorot_uniform" else 0.0
    result = toy.train(params, inputs, targets, SETTINGS[name], epochs=1, batch_size=16, seed=0, l1=l1)
    model = toy.build_keras_model(13, l1)
    model.set_weights(toy.to_keras(params).get_weights())
    model.compile(KERAS_OPTIMIZERS[name](SETTINGS[name]), "mse")
    order = np.random.default_rng([2, 0]).permutation(64)  # the trainer's shuffle for seed 0, epoch 1
    model.fit(inputs[order], targets[order], batch_size=16, epochs=1, shuffle=False, verbose=0)
    kernel, bias, out_kernel, out_bias = model.get_weights()
    np.testing.assert_allclose(result.params.kernel, kernel, atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(result.params.bias, bias, atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(result.params.out_kernel, out_kernel[:, 0], atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(result.params.out_bias, out_bias[0], atol=1e-6, rtol=1e-5)


@pytest.mark.slow
def test_zero_padding_is_inert():
    """A 5-unit network (padded to 8 inside) trains exactly like 8 units of which 3 are all-zero."""
    inputs, targets = toy.make_data(200, seed=1)
    five = toy.initial_params(5, "glorot_uniform", seed=1)
    eight = toy.ToyParams(np.pad(five.kernel, ((0, 0), (0, 3))), np.pad(five.bias, (0, 3)),
                          np.pad(five.out_kernel, (0, 3)), five.out_bias)
    for name in toy.OPTIMIZERS:
        a = toy.train(five, inputs, targets, SETTINGS[name], 2, 20, 0, l1=0.01).params
        b = toy.train(eight, inputs, targets, SETTINGS[name], 2, 20, 0, l1=0.01).params
        assert not b.kernel[:, 5:].any() and not b.out_kernel[5:].any()
        np.testing.assert_allclose(a.kernel, b.kernel[:, :5], atol=1e-7)


@pytest.mark.slow
def test_counts_match_numpy_and_removing_dead_units_keeps_outputs():
    inputs, targets = toy.make_data(2000, seed=2)
    params = toy.initial_params(50, "standard_normal", seed=2)
    counts, mse = toy.evaluate(params, inputs, targets)
    hidden = inputs @ params.kernel + params.bias
    np.testing.assert_array_equal(counts, (hidden > 0).sum(axis=0))
    assert np.isclose(mse, np.mean((toy.predict(params, inputs) - targets) ** 2), rtol=1e-4)
    dead = counts == 0
    assert 0 < dead.sum() < 50  # N(0, 1) biases leave some units dead on [-1, 1]^2
    pruned = params.keep(~dead)
    assert pruned.hidden_units == 50 - dead.sum()
    np.testing.assert_allclose(toy.predict(pruned, inputs), toy.predict(params, inputs), atol=1e-4)
    np.testing.assert_allclose(toy.to_keras(pruned).predict(inputs, verbose=0)[:, 0],
                               toy.predict(pruned, inputs), atol=1e-4)


def test_contribution_tolerance_ignores_units_with_negligible_outgoing_weight():
    inputs, targets = toy.make_data(1000, seed=3)
    # Unit 0: the exact one-unit solution h = relu(s + 2), o = h - 2. Unit 1: active, output weight 1e-6.
    params = toy.ToyParams(np.array([[1.0, 1.0], [1.0, 1.0]], np.float32), np.array([2.0, 2.0], np.float32),
                           np.array([1.0, 1e-6], np.float32), -2.0 - 4e-6)
    counts, mse = toy.evaluate(params, inputs, targets)
    assert counts.tolist() == [1000, 1000] and mse < 1e-10
    counts, _ = toy.evaluate(params, inputs, targets, tolerance=1e-3)
    assert counts.tolist() == [1000, 0]


def test_one_unit_optimum_and_effective_units():
    inputs, targets = toy.make_data(1000, seed=4)
    one = toy.ToyParams(np.ones((2, 1), np.float32), np.array([2.0], np.float32), np.ones(1, np.float32), -2.0)
    assert np.allclose(toy.predict(one, inputs), targets, atol=1e-6)
    assert toy.effective_units(one, inputs) == pytest.approx(1.0)
    shared = toy.ToyParams(np.ones((2, 4), np.float32), np.full(4, 2.0, np.float32),
                           np.full(4, 0.25, np.float32), -2.0)  # the same solution spread over 4 units
    assert np.allclose(toy.predict(shared, inputs), targets, atol=1e-6)
    assert toy.effective_units(shared, inputs) == pytest.approx(4.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 7}, "multiple"),
    ({"epochs": 0}, "epochs"),
    ({"l1": -1.0}, "l1"),
])
def test_bad_training_arguments_raise(kwargs, message):
    inputs, targets = toy.make_data(100, seed=0)
    arguments = dict(batch_size=10, epochs=1, seed=0, l1=0.0) | kwargs
    with pytest.raises(ValueError, match=message):
        toy.train(toy.initial_params(4, "glorot_uniform", 0), inputs, targets, SETTINGS["sgd"], **arguments)


def test_bad_settings_raise():
    with pytest.raises(ValueError):
        toy.OptimizerSettings("adagrad", 0.1)
    with pytest.raises(ValueError):
        toy.initial_params(4, "he_normal", 0)
    with pytest.raises(ValueError):
        toy.initial_params(4, "glorot_uniform", 0).keep(np.ones(3, bool))


@pytest.mark.slow
def test_experiment_runs_every_variant_and_records_the_cycles():
    section = {"samples": 2000, "test_samples": 1000, "hidden_units": 40, "batch_size": 100, "epochs": 2,
               "finetune_epochs": 1, "finetune_samples": 1000, "max_cycles": 3, "l1": 0.01, "l1_refit_epochs": 1,
               "converged_mse": 1e-3, "momentum": 0.3,
               "learning_rates": {"momentum": 0.01, "sgd": 0.01, "adam": 0.01, "rmsprop": 0.001},
               "selection": {"threshold": 0, "outlier_stds": 2.0, "min_probability": 0.05,
                             "contribution_tolerance": 1e-3}}
    settings = apt.ToyExperimentSettings.from_config(section)
    results = apt.run_toy_experiment(settings, "standard_normal", apt.optimizer_settings(section, "adam"),
                                     seeds=[0, 1], variants=list(ap.VARIANTS), log=lambda *_: None)
    assert len(results.runs) == 2 * len(ap.VARIANTS)
    assert (results.runs["units_final"] <= 40).all() and (results.runs["units_final"] >= 1).all()
    assert set(results.models) == set(ap.VARIANTS) | {"unpruned"}
    assert results.models["vanilla"].hidden_units == results.runs.query("variant == 'vanilla' and seed == 0")[
        "units_final"].item()
    assert set(results.history["family"]) == {"plain", "l1"} and len(results.gradients) > 0
    final = results.cycles[results.cycles["final"]]
    assert len(final) == 2 * len(ap.VARIANTS)
    # Variants of one family start from the same first training: identical first-cycle counts.
    first = results.cycles.query("cycle == 1 and seed == 0").set_index("variant")
    assert first.loc["vanilla", "units"] == first.loc["outliers", "units"] == 40
    assert first.loc["vanilla", "loss"] == first.loc["probability", "loss"]


def test_each_fine_tuning_sees_its_own_slice_and_the_cycles_wrap_around():
    inputs = np.arange(10, dtype=np.float32)[:, None]
    data = apt.ToyData(inputs, inputs[:, 0] * 2, inputs, inputs[:, 0])
    first, _ = apt.fine_tuning_slice(data, 4, cycle=1)
    second, targets = apt.fine_tuning_slice(data, 4, cycle=2)
    third, _ = apt.fine_tuning_slice(data, 4, cycle=3)
    np.testing.assert_array_equal(first[:, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(second[:, 0], [4, 5, 6, 7])
    np.testing.assert_array_equal(targets, second[:, 0] * 2)  # inputs and targets stay paired
    np.testing.assert_array_equal(third[:, 0], [8, 9, 0, 1])
    with pytest.raises(ValueError, match="finetune_samples"):
        apt.fine_tuning_slice(data, 11, cycle=1)
