"""Deterministic training: the same config and seed give the same metrics, bit for bit."""
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from tests.conftest import REPO
from mobileopt.core import data


def train_once(tmp_path, tag, npz, seeds=None):
    config = yaml.safe_load((REPO / "config" / "small.yaml").read_text())
    config["data"].update(train_limit=400, test_limit=200)
    if seeds is not None:
        config["seeds"] = seeds
    config_path = tmp_path / f"config_{tag}.yaml"
    config_path.write_text(yaml.safe_dump(config))
    out = tmp_path / tag
    subprocess.run([sys.executable, "-m", "mobileopt.core.training", "--config", str(config_path),
                    "--data", str(npz), "--model", str(out / "model.keras"),
                    "--history", str(out / "history.csv"), "--metrics", str(out / "metrics.json"),
                    "--predictions", str(out / "predictions.npz"), "--threads", "2"],
                   check=True, capture_output=True, timeout=300)
    return json.loads((out / "metrics.json").read_text()), (out / "history.csv").read_text()


@pytest.mark.slow
def test_same_seed_same_metrics(tmp_path, tiny_arrays):
    arrays = {key: value.repeat(2, axis=0) for key, value in tiny_arrays.items()}
    npz = tmp_path / "dataset.npz"
    data.save_dataset(arrays, npz, "tiny", pinned=False)
    first, first_history = train_once(tmp_path, "a", npz)
    second, second_history = train_once(tmp_path, "b", npz)
    for key in ("test_accuracy", "test_loss", "parameters", "multiply_adds", "epochs_run"):
        assert first[key] == second[key], key
    assert first_history == second_history
    assert first["train_images"] == 400 and first["test_images"] == 200
    assert first["settings"]["precision"] == "mixed_bfloat16"  # the small config's: bf16 is deterministic too


@pytest.mark.slow
def test_seeds_give_distinct_trainings_and_each_is_independent_of_the_others(tmp_path, tiny_arrays):
    """Each configured seed trains its own model from its own derived seed; dropping a seed from the
    list changes nothing about the others (each training reseeds before it builds its model)."""
    arrays = {key: value.repeat(2, axis=0) for key, value in tiny_arrays.items()}
    npz = tmp_path / "dataset.npz"
    data.save_dataset(arrays, npz, "tiny", pinned=False)
    both, _ = train_once(tmp_path, "both", npz, seeds=[0, 1])
    alone, _ = train_once(tmp_path, "alone", npz, seeds=[1])
    first, second = both["replicates"]
    assert first["seed"] != second["seed"] and first["test_loss"] != second["test_loss"]
    def result(run):  # everything but the wall time
        return {key: value for key, value in run.items() if key != "train_seconds"}

    assert result(alone["replicates"][0]) == result(second)  # seed 1 alone = beside seed 0, bit for bit
    with np.load(tmp_path / "both" / "predictions.npz") as stored:
        assert stored["test"].shape == (2, 200) and stored["selection"].shape[0] == 2
    assert both["test_accuracy"] == pytest.approx((first["test_accuracy"] + second["test_accuracy"]) / 2)


# --- determinism of the other training paths: a structures variant and a compression fine-tune ----------
# Each run is its own process, as in the workflow (TensorFlow's thread pools are fixed once it starts).

def tiny_config(tmp_path, seed: int) -> dict:
    config = yaml.safe_load((REPO / "config" / "small.yaml").read_text())
    config["seed"] = seed
    config["data"].update(train_limit=300, test_limit=100)
    config["compression"]["fine_tune"]["train_images"] = 270  # the last 30 are the selection split
    return config


def write_config(tmp_path, tag, seed):
    path = tmp_path / f"config_{tag}.yaml"
    path.write_text(yaml.safe_dump(tiny_config(tmp_path, seed)))
    return path


def saved_weights(path) -> list:
    import tf_keras as keras

    return keras.models.load_model(path, compile=False).get_weights()


def assert_same_weights(first: list, second: list) -> None:
    assert len(first) == len(second)
    for index, (a, b) in enumerate(zip(first, second)):
        # bit for bit, not approximately
        assert a.dtype == b.dtype and np.array_equal(a, b), f"weight {index} {a.shape} differs between runs"


def assert_weights_differ(first: list, second: list) -> None:
    assert [a.shape for a in first] == [b.shape for b in second]
    assert any(not np.array_equal(a, b) for a, b in zip(first, second))


@pytest.fixture
def tiny_npz(tmp_path, tiny_arrays):
    npz = tmp_path / "dataset.npz"
    data.save_dataset(tiny_arrays, npz, "tiny", pinned=False)
    return npz


def train_structures_variant(tmp_path, tag, seed, npz, variant="separable_i1"):
    out = tmp_path / tag
    subprocess.run([sys.executable, "-m", "mobileopt.structures.experiment", "--config",
                    str(write_config(tmp_path, tag, seed)), "--data", str(npz), "--variant", variant,
                    "--out", str(out), "--threads", "1"], check=True, capture_output=True, timeout=300)
    metrics = json.loads((out / "metrics.json").read_text())
    return (saved_weights(out / "model.keras"), metrics, (out / "history.csv").read_text(),
            (out / "batches.csv").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["separable_i1", "standard_reference"])  # float32 and mixed bfloat16
def test_structures_variant_training_is_deterministic(tmp_path, tiny_npz, variant):
    """mobileopt.structures.experiment.train_variant (rule structures_train): the same seed gives the
    same weights, metrics, epoch history and per-batch log; another seed other weights."""
    first, first_metrics, first_history, first_batches = train_structures_variant(tmp_path, "a", 42, tiny_npz,
                                                                                  variant)
    second, second_metrics, second_history, second_batches = train_structures_variant(tmp_path, "b", 42,
                                                                                      tiny_npz, variant)
    assert_same_weights(first, second)
    for key in ("test_accuracy", "test_loss", "parameters", "multiply_adds", "epochs_run", "best_epoch"):
        assert first_metrics[key] == second_metrics[key], key
    assert first_history == second_history and first_batches == second_batches
    assert first_metrics["variant"] == variant and first_metrics["train_images"] == 300
    assert all(array.dtype == np.float32 for array in first)  # saved in float32, whatever the precision
    other, other_metrics, _, other_batches = train_structures_variant(tmp_path, "c", 7, tiny_npz, variant)
    assert_weights_differ(first, other)
    assert other_batches != first_batches and other_metrics["seed"] == 7


# What a compression runner does up to its Keras model (mobileopt.compression.weight_pruning.run_pruning,
# without the TFLite conversion): seeded set-up, the baseline with pruning wrappers, compression.training's
# fine-tune, strip; then the weights, history and metrics are written for the test to compare.
FINE_TUNE_DRIVER = """
import json, sys
from pathlib import Path
import numpy as np
import yaml
import tensorflow_model_optimization as tfmot
import tf_keras as keras
from mobileopt.compression import training as ft, weight_pruning

config = yaml.safe_load(Path(sys.argv[1]).read_text())
baseline, npz, out = sys.argv[2], sys.argv[3], Path(sys.argv[4])
arrays, fine_tune = ft.prepare_fine_tuning(config, npz, threads=1)
settings = weight_pruning.PruningSettings.from_config(config["compression"]["pruning"])
variant = settings.variants()[0]
keras.utils.set_random_seed(config["seed"])
total_steps = fine_tune.epochs * fine_tune.steps_per_epoch(arrays)
pruned = weight_pruning.prune_for_fine_tuning(ft.load_baseline(baseline), variant, settings, total_steps)
frame, seconds, images = ft.fine_tune(pruned, arrays, fine_tune, callbacks=(tfmot.sparsity.keras.UpdatePruningStep(),))
final = weight_pruning.strip(pruned)
metrics = ft.describe_model(final, arrays, config["seed"], 1, seconds, frame, fine_tune, images)
out.mkdir(parents=True)
np.savez(out / "weights.npz", *final.get_weights())
(out / "history.csv").write_text(frame.to_csv(index=False))
(out / "metrics.json").write_text(json.dumps({**metrics, "variant": variant.name,
                                              "sparsity": weight_pruning.kernel_sparsity(final)}))
"""


def fine_tune_once(tmp_path, tag, seed, npz, baseline):
    out = tmp_path / tag
    subprocess.run([sys.executable, "-c", FINE_TUNE_DRIVER, str(write_config(tmp_path, tag, seed)), str(baseline),
                    str(npz), str(out)], check=True, capture_output=True, timeout=300)
    with np.load(out / "weights.npz") as stored:
        weights = [stored[f"arr_{index}"] for index in range(len(stored.files))]
    return weights, json.loads((out / "metrics.json").read_text()), (out / "history.csv").read_text()


@pytest.mark.slow
def test_compression_fine_tune_is_deterministic(tmp_path, tiny_npz):
    """mobileopt.compression.training's fine-tune of a pruned baseline: same seed, same weights (and the
    same pruning masks), history and metrics; another seed, other weights."""
    import tf_keras as keras

    from mobileopt.models.classifier import build_mnist_classifier

    keras.utils.set_random_seed(0)
    baseline = tmp_path / "baseline.keras"
    build_mnist_classifier(conv_filters=(8, 16), head_filters=32).save(baseline)
    first, first_metrics, first_history = fine_tune_once(tmp_path, "a", 42, tiny_npz, baseline)
    second, second_metrics, second_history = fine_tune_once(tmp_path, "b", 42, tiny_npz, baseline)
    assert_same_weights(first, second)
    for key in ("test_accuracy", "test_loss", "nonzero_parameters", "epochs_run", "sparsity"):
        assert first_metrics[key] == second_metrics[key], key
    assert first_history == second_history
    assert first_metrics["variant"] == "sparsity_90" and first_metrics["train_images"] == 270
    other, _, other_history = fine_tune_once(tmp_path, "c", 7, tiny_npz, baseline)
    assert_weights_differ(first, other)
    assert other_history != first_history
