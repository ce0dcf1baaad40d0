"""Deterministic training of classifiers on MNIST, with history and metrics written as files.

Usage (the training rule baseline_train runs, from the command line):
    python -m mobileopt.core.training --config config/config.yaml --data data/dataset.npz \
        --model results/baseline/model.keras --history results/baseline/history.csv \
        --metrics results/baseline/metrics.json --predictions results/baseline/predictions.npz
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.special

import mobileopt  # noqa: F401
from mobileopt.core import artifacts
from mobileopt.measurement import cost_model
from mobileopt.core import data
from mobileopt.core.runtime import configure_tensorflow


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int
    batch_size: int
    optimizer: str
    learning_rate: float
    lr_schedule: str
    validation_fraction: float
    early_stopping_patience: int
    # "float32" or "mixed_bfloat16" (bfloat16 compute, float32 variables; the saved model is float32).
    precision: str = "float32"

    @classmethod
    def from_config(cls, section: dict) -> "TrainingSettings":
        return cls(**{field: section[field] for field in cls.__dataclass_fields__ if field in section})


PRECISIONS = ("float32", "mixed_bfloat16")


def training_seed(base_seed: int, experiment: str, variant: str, replicate: int) -> int:
    """The seed of one training, drawn from (global seed, experiment, variant, replicate): each training
    has its own stream, so adding or removing a variant or a replicate changes no other result."""
    digest = hashlib.sha256(json.dumps([base_seed, experiment, variant, replicate]).encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def split_validation(images: np.ndarray, labels: np.ndarray, fraction: float):
    """Hold out the last `fraction` of the (canonically ordered) training set: same split every run."""
    cut = len(images) - max(1, int(round(len(images) * fraction)))
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def make_optimizer(name: str, learning_rate: float, schedule: str = "constant", total_steps: int = 1):
    """`schedule` 'cosine' anneals the rate to 0 over `total_steps` (+0.2 points of MNIST accuracy
    over a constant rate for the Table 2.2 classifier in our runs, at no extra epochs)."""
    import tf_keras as keras

    if schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, total_steps)
    optimizers = {
        "adam": lambda: keras.optimizers.Adam(learning_rate),
        "sgd": lambda: keras.optimizers.SGD(learning_rate),
        "momentum": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate),
    }
    return optimizers[name]()


def train_classifier(model, arrays: dict, settings: TrainingSettings, extra_callbacks: tuple = ()):
    """Compile and fit `model`; returns (keras History, wall seconds). Best validation weights are kept.

    `extra_callbacks`: e.g. TFMOT's UpdatePruningStep when fine-tuning a pruned model.
    """
    import tf_keras as keras

    train, valid = split_validation(to_model_input(arrays["train_images"]), arrays["train_labels"],
                                    settings.validation_fraction)
    total_steps = settings.epochs * int(np.ceil(len(train[0]) / settings.batch_size))
    model.compile(optimizer=make_optimizer(settings.optimizer, settings.learning_rate,
                                           settings.lr_schedule, total_steps),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=settings.early_stopping_patience,
                                         restore_best_weights=True)
    started = time.perf_counter()
    history = model.fit(*train, validation_data=valid, epochs=settings.epochs,
                        batch_size=settings.batch_size, shuffle=True, callbacks=[stop, *extra_callbacks],
                        verbose=2)
    return history, time.perf_counter() - started


def classify(model, arrays: dict) -> tuple[dict, dict]:
    """Test loss and accuracy (and the accuracy on the selection images where `arrays` has them), and
    the predicted classes of each split: one forward pass per split serves both (Keras' evaluate and
    predict would run the network twice; the accuracy is the same argmax test either way)."""
    metrics, predicted = {"test_images": int(len(arrays["test_labels"]))}, {}
    for split, key in (("test", "test"), ("selection", "validation")):
        if f"{split}_images" not in arrays:
            continue
        logits = model.predict(to_model_input(arrays[f"{split}_images"]), batch_size=1000, verbose=0)
        labels = arrays[f"{split}_labels"].astype(np.int64)
        predicted[split] = np.argmax(logits, axis=-1).astype(np.uint8)
        metrics[f"{key}_accuracy"] = float(np.mean(predicted[split] == labels))
        if split == "test":  # sparse categorical cross-entropy of the logits, as the training loss
            log_probabilities = scipy.special.log_softmax(logits.astype(np.float64), axis=-1)
            metrics["test_loss"] = float(-np.mean(log_probabilities[np.arange(len(labels)), labels]))
    return metrics, predicted


def evaluate_classifier(model, arrays: dict) -> dict:
    """classify's metrics alone."""
    return classify(model, arrays)[0]


def selection_split(arrays: dict, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The held-out images every variant is *chosen* on (Pareto front, winners, "best"): the last
    `fraction` of the full training set, which the baseline and the structures variants hold out for
    early stopping and compression fine-tuning (on the first images) never sees. The test set is only
    reported, never used to choose."""
    return split_validation(arrays["train_images"], arrays["train_labels"], fraction)[1]


@contextmanager
def precision_policy(precision: str):
    """Build layers under `precision` (a Keras mixed-precision policy), float32 again afterwards."""
    import tf_keras as keras

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: expected one of {PRECISIONS}")
    keras.mixed_precision.set_global_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def train_in_precision(build_model, arrays: dict, settings: TrainingSettings, extra_callbacks: tuple = ()):
    """Build with `build_model()` and train under settings.precision; returns (float32 model, History,
    seconds). Under mixed_bfloat16 the layers compute in bfloat16 (1.6-1.7x faster on AVX-512 BF16 for
    the plain convolutional variants) with float32 variables, the logits are cast to float32 for the
    loss, and the trained weights are copied into a float32 build of the same network, which is what
    is evaluated, saved and converted."""
    import tf_keras as keras

    if settings.precision == "float32":
        model = build_model()
        history, seconds = train_classifier(model, arrays, settings, extra_callbacks)
        return model, history, seconds
    with precision_policy(settings.precision):
        mixed = build_model()
        logits = keras.layers.Activation("linear", dtype="float32", name="float32_logits")(mixed.output)
        trainable = keras.Model(mixed.inputs, logits, name=mixed.name)
    history, seconds = train_classifier(trainable, arrays, settings, extra_callbacks)
    model = build_model()
    model.set_weights(mixed.get_weights())
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model, history, seconds


def save_model(model, path: str | Path) -> None:
    """Keras picks the format from the extension, so write to a sibling temp name with the same suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".partial.{path.name}")
    model.save(tmp)
    os.replace(tmp, path)


def history_frame(history):
    import pandas as pd

    frame = pd.DataFrame(history.history)
    frame.insert(0, "epoch", np.arange(1, len(frame) + 1))
    return frame


def load_configured_dataset(config: dict, data_path: str | Path, selection: bool = True) -> dict:
    """The dataset with the config's train/test limits applied (the small config uses a subset), plus
    (`selection`) the held-out images every variant is chosen on, selection_images/selection_labels:
    the baseline's validation split (config baseline.validation_fraction, see selection_split)."""
    limits = config["data"]
    arrays = data.load_dataset(data_path, limits["train_limit"], limits["test_limit"])
    if selection:
        arrays["selection_images"], arrays["selection_labels"] = selection_split(
            arrays, config["baseline"]["validation_fraction"])
    return arrays


def require_held_out(train_labels: np.ndarray, arrays: dict, what: str) -> None:
    """Stop a training whose images reach into the selection split: choosing on images a model was
    trained on would favour it. `train_labels`: the labels the training fits (a prefix of the set)."""
    allowed = len(arrays["train_labels"]) - len(arrays["selection_labels"])
    if len(train_labels) > allowed:
        raise ValueError(f"{what} trains on {len(train_labels)} images, but only the first {allowed} are "
                         f"outside the selection split (the last {len(arrays['selection_labels'])} training "
                         "images, baseline.validation_fraction): lower its image count or that fraction")


@dataclass
class Replicates:
    """One variant trained once per configured replicate. `model`: the first replicate's (the one
    converted and timed: latency and size are properties of one model). `metrics`: accuracies are
    means over the replicates, with their standard deviations and the per-replicate values.
    `history`: every replicate's epochs (column `replicate`). `predictions`: predicted classes of the
    test and selection images, one row per replicate (the significance verdicts pair them), with the
    true labels, so the file alone says which image each replicate got right."""
    model: object
    metrics: dict
    history: "pd.DataFrame"
    predictions: dict


def fit_replicates(build_model, arrays: dict, settings: TrainingSettings, *, seed: int, experiment: str,
                   variant: str, replicates: list[int], threads: int, callbacks=lambda: ()) -> Replicates:
    """Train `build_model()` once per replicate, each seeded by training_seed(seed, experiment, variant,
    replicate) before it builds its model; `callbacks()` gives each training its own callbacks."""
    import pandas as pd
    import tf_keras as keras

    if not replicates:
        raise ValueError(f"{experiment}/{variant}: no replicates (seeds) configured")
    held_out = arrays["selection_images"], arrays["selection_labels"]
    require_held_out(split_validation(arrays["train_images"], arrays["train_labels"],
                                      settings.validation_fraction)[0][1], arrays, f"{experiment}/{variant}")
    runs, frames, test_predictions, selection_predictions, first = [], [], [], [], None
    for replicate in replicates:
        run_seed = training_seed(seed, experiment, variant, replicate)
        keras.utils.set_random_seed(run_seed)
        model, history, seconds = train_in_precision(build_model, arrays, settings, callbacks())
        frame = history_frame(history)
        metrics, predicted = classify(model, arrays)
        test_predictions.append(predicted["test"])
        selection_predictions.append(predicted["selection"])
        runs.append({"replicate": replicate, "seed": run_seed, **metrics,
                     "train_seconds": round(seconds, 2), "epochs_run": int(len(frame)),
                     "best_epoch": int(frame["val_accuracy"].idxmax()) + 1})
        frames.append(frame.assign(replicate=replicate))
        if first is None:
            first = model
    per_run = pd.DataFrame(runs)
    metrics = {
        "test_accuracy": float(per_run["test_accuracy"].mean()),
        "test_accuracy_std": _std(per_run["test_accuracy"]),
        "validation_accuracy": float(per_run["validation_accuracy"].mean()),
        "validation_accuracy_std": _std(per_run["validation_accuracy"]),
        "test_loss": float(per_run["test_loss"].mean()),
        "test_images": int(len(arrays["test_labels"])),
        "validation_images": int(len(held_out[1])),
        "train_images": int(len(arrays["train_labels"])),
        "parameters": cost_model.count_parameters(first),
        "multiply_adds": cost_model.count_multiply_adds(first),
        "train_seconds": round(float(per_run["train_seconds"].mean()), 2),
        "epochs_run": int(per_run["epochs_run"].max()),
        "best_epoch": int(runs[0]["best_epoch"]),
        "settings": asdict(settings),
        "seed": seed,
        "replicates": runs,
        "threads": threads,
    }
    predictions = {"replicates": np.asarray(replicates), "test": np.stack(test_predictions),
                   "selection": np.stack(selection_predictions), "test_labels": arrays["test_labels"],
                   "selection_labels": held_out[1]}
    return Replicates(first, metrics, pd.concat(frames, ignore_index=True), predictions)


def _std(values) -> float:
    """Sample standard deviation over replicates (0 for one replicate, not NaN)."""
    return float(values.std(ddof=1)) if len(values) > 1 else 0.0


def save_training_outputs(model, frame, metrics: dict, model_path: str | Path, history_path: str | Path,
                          metrics_path: str | Path) -> None:
    save_model(model, model_path)
    artifacts.atomic_write_text(history_path, frame.to_csv(index=False))
    artifacts.write_json(metrics_path, metrics)


def save_predictions(path: str | Path, predictions: dict) -> None:
    path = Path(path)
    tmp = path.with_name(f".partial.{path.name}")
    with open(tmp, "wb") as handle:
        np.savez_compressed(handle, **predictions)
    os.replace(tmp, path)


def load_predictions(path: str | Path) -> dict:
    with np.load(path) as stored:
        return {key: stored[key] for key in stored.files}


def save_replicates(result: Replicates, outputs: dict) -> None:
    """Write model, history, metrics and predictions to outputs' paths (keys of the same names)."""
    save_model(result.model, outputs["model"])
    artifacts.atomic_write_text(outputs["history"], result.history.to_csv(index=False))
    save_predictions(outputs["predictions"], result.predictions)
    artifacts.write_json(outputs["metrics"], result.metrics)


def run_baseline(config: dict, data_path: Path, outputs: dict, threads: int) -> dict:
    """Train the Table 2.2 classifier once per configured seed; `outputs` maps model, history,
    metrics and predictions to paths."""
    from mobileopt.models.classifier import build_mnist_classifier

    configure_tensorflow(config["seed"], threads)
    arrays = load_configured_dataset(config, data_path)
    result = fit_replicates(build_mnist_classifier, arrays, TrainingSettings.from_config(config["baseline"]),
                            seed=config["seed"], experiment="baseline", variant="table_2_2",
                            replicates=config["seeds"], threads=threads)
    save_replicates(result, outputs)
    return result.metrics


def main(argv: list[str] | None = None) -> None:
    from mobileopt.core.config import load_config

    parser = argparse.ArgumentParser(description="Train the Table 2.2 baseline classifier.")
    for flag in ("--config", "--data", "--model", "--history", "--metrics", "--predictions"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    run_baseline(load_config(args.config), Path(args.data),
                 {key: Path(getattr(args, key)) for key in ("model", "history", "metrics", "predictions")},
                 args.threads)


if __name__ == "__main__":
    main()
