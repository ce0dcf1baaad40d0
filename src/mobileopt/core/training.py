"""Deterministic training of classifiers on MNIST, with history and metrics written as files.

Usage (the training rule baseline_train runs, from the command line):
    python -m mobileopt.core.training --config config/config.yaml --data data/dataset.npz \
        --model results/baseline/model.keras --history results/baseline/history.csv \
        --metrics results/baseline/metrics.json
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

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

    @classmethod
    def from_config(cls, section: dict) -> "TrainingSettings":
        return cls(**{field: section[field] for field in cls.__dataclass_fields__})


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


def evaluate_classifier(model, arrays: dict) -> dict:
    loss, accuracy = model.evaluate(to_model_input(arrays["test_images"]), arrays["test_labels"],
                                    batch_size=1000, verbose=0)
    return {"test_loss": float(loss), "test_accuracy": float(accuracy),
            "test_images": int(len(arrays["test_labels"]))}


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


def load_configured_dataset(config: dict, data_path: str | Path) -> dict:
    """The dataset with the config's train/test limits applied (the small config uses a subset)."""
    limits = config["data"]
    return data.load_dataset(data_path, limits["train_limit"], limits["test_limit"])


def fit_and_evaluate(model, arrays: dict, settings: TrainingSettings, seed: int, threads: int,
                     extra_callbacks: tuple = ()) -> tuple[dict, "pd.DataFrame"]:
    """Train `model` and measure it: the metrics every classifier variant reports, and its history.

    Every method's metrics.json has these keys, so the cross-method comparison can read them all.
    """
    history, seconds = train_classifier(model, arrays, settings, extra_callbacks)
    frame = history_frame(history)
    metrics = {
        **evaluate_classifier(model, arrays),
        "train_images": int(len(arrays["train_labels"])),
        "parameters": cost_model.count_parameters(model),
        "multiply_adds": cost_model.count_multiply_adds(model),
        "train_seconds": round(seconds, 2),
        "epochs_run": int(len(frame)),
        "best_epoch": int(frame["val_accuracy"].idxmax()) + 1,
        "settings": asdict(settings),
        "seed": seed,
        "threads": threads,
    }
    return metrics, frame


def save_training_outputs(model, frame, metrics: dict, model_path: str | Path, history_path: str | Path,
                          metrics_path: str | Path) -> None:
    save_model(model, model_path)
    artifacts.atomic_write_text(history_path, frame.to_csv(index=False))
    artifacts.write_json(metrics_path, metrics)


def run_baseline(config: dict, data_path: Path, model_path: Path, history_path: Path,
                 metrics_path: Path, threads: int) -> dict:
    from mobileopt.models.classifier import build_mnist_classifier

    configure_tensorflow(config["seed"], threads)
    arrays = load_configured_dataset(config, data_path)
    settings = TrainingSettings.from_config(config["baseline"])
    model = build_mnist_classifier()
    metrics, frame = fit_and_evaluate(model, arrays, settings, config["seed"], threads)
    save_training_outputs(model, frame, metrics, model_path, history_path, metrics_path)
    return metrics


def main(argv: list[str] | None = None) -> None:
    from mobileopt.core.config import load_config

    parser = argparse.ArgumentParser(description="Train the Table 2.2 baseline classifier.")
    for flag in ("--config", "--data", "--model", "--history", "--metrics"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    run_baseline(load_config(args.config), Path(args.data), Path(args.model), Path(args.history),
                 Path(args.metrics), args.threads)


if __name__ == "__main__":
    main()
