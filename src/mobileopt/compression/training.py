"""Fine-tuning compressed variants of the trained baseline, and the metrics every variant reports.

Compression starts from the trained baseline (results/baseline/model.keras) and fine-tunes briefly,
which costs a fraction of training from scratch. The fine-tuning set is the first `train_images` images of
the training set (10% of them validate, as for the baseline), so the whole topic fits its time budget; the
optimiser is the baseline's, at the learning rate and schedule of the config's `fine_tune` block.

Metrics have the keys of one replicate of `training.fit_replicates`, so the cross-method comparison reads every method
alike; they are computed on the final, plain Keras model (after `strip_pruning` etc.), because the cost
model counts plain layers and wrappers are not what is deployed.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401
from mobileopt.measurement import cost_model
from mobileopt.core import training


@dataclass(frozen=True)
class FineTuneSettings:
    epochs: int
    train_images: int | None  # first N training images (None: all)
    learning_rate: float
    lr_schedule: str
    batch_size: int
    optimizer: str

    @classmethod
    def from_config(cls, config: dict) -> "FineTuneSettings":
        section, baseline = config["compression"]["fine_tune"], config["baseline"]
        return cls(epochs=section["epochs"], train_images=section["train_images"],
                   learning_rate=section["learning_rate"], lr_schedule=section["lr_schedule"],
                   batch_size=baseline["batch_size"], optimizer=baseline["optimizer"])

    def training_settings(self, epochs: int | None = None) -> training.TrainingSettings:
        # Patience = epochs: fine-tuning runs its (short) budget in full; the best epoch is still kept.
        epochs = epochs or self.epochs
        return training.TrainingSettings(epochs=epochs, batch_size=self.batch_size, optimizer=self.optimizer,
                                         learning_rate=self.learning_rate, lr_schedule=self.lr_schedule,
                                         validation_fraction=0.1, early_stopping_patience=epochs)

    def steps_per_epoch(self, arrays: dict) -> int:
        """Optimiser steps in one fine-tuning epoch (pruning schedules are given in steps)."""
        return steps_per_epoch(len(fine_tuning_subset(arrays, self.train_images)["train_labels"]), self.batch_size)


def steps_per_epoch(images: int, batch_size: int) -> int:
    """Optimiser steps in one epoch over `images` of which 10 % validate (as training_settings holds out)."""
    training_part = images - max(1, int(round(images * 0.1)))
    return int(np.ceil(training_part / batch_size))


def prepare_fine_tuning(config: dict, data_path: str | Path, threads: int) -> tuple[dict, FineTuneSettings]:
    """Every compression runner's start: seeded, thread-limited TensorFlow, the data, the fine-tuning settings."""
    from mobileopt.core.runtime import configure_tensorflow

    configure_tensorflow(config["seed"], threads)
    arrays, settings = training.load_configured_dataset(config, data_path), FineTuneSettings.from_config(config)
    training.require_held_out(fine_tuning_subset(arrays, settings.train_images)["train_labels"], arrays,
                              "compression fine-tuning (compression.fine_tune.train_images)")
    return arrays, settings


def fine_tuning_subset(arrays: dict, train_images: int | None, start: int = 0) -> dict:
    """The training images [start, start + train_images) (all from `start` if None); test set unchanged."""
    stop = None if train_images is None else start + train_images
    if start >= len(arrays["train_labels"]):
        raise ValueError(f"fine-tuning subset starts at image {start}, past the {len(arrays['train_labels'])} "
                         "training images")
    return dict(arrays, train_images=arrays["train_images"][start:stop],
                train_labels=arrays["train_labels"][start:stop])


def load_baseline(path: str | Path):
    from mobileopt.measurement.tflite_export import load_keras_model

    return load_keras_model(path)


def describe_model(model, arrays: dict, seed: int, threads: int, train_seconds: float = 0.0,
                   frame=None, settings: FineTuneSettings | None = None, train_images: int = 0) -> dict:
    """The metrics of one replicate of `training.fit_replicates` for a plain (stripped) Keras model."""
    compile_for_evaluation(model)
    metrics = {
        **training.evaluate_classifier(model, arrays),
        "train_images": int(train_images),
        "parameters": cost_model.count_parameters(model),
        "nonzero_parameters": count_nonzero_parameters(model),
        "multiply_adds": cost_model.count_multiply_adds(model),
        "train_seconds": round(train_seconds, 2),
        "epochs_run": 0 if frame is None else int(len(frame)),
        "best_epoch": 0 if frame is None else int(frame["val_accuracy"].idxmax()) + 1,
        "settings": {} if settings is None else asdict(settings),
        "seed": seed,
        "threads": threads,
    }
    return metrics


def compile_for_evaluation(model) -> None:
    """Loss and accuracy as in training (a fresh or stripped model has no compiled loss)."""
    import tf_keras as keras

    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])


def count_nonzero_parameters(model) -> int:
    return int(sum(np.count_nonzero(weight) for weight in model.get_weights()))


def fine_tune(model, arrays: dict, settings: FineTuneSettings, callbacks: tuple = (), start: int = 0,
              train_images: int | None = None, epochs: int | None = None):
    """Fit `model` (wrappers included) on the fine-tuning subset; returns (history frame, seconds, images).

    `start`/`train_images` select another slice of the training set (iterative pruning rounds);
    by default the configured first `settings.train_images` images.
    """
    subset = fine_tuning_subset(arrays, settings.train_images if train_images is None else train_images,
                                start)
    history, seconds = training.train_classifier(model, subset, settings.training_settings(epochs), callbacks)
    return training.history_frame(history), seconds, len(subset["train_labels"])


def save_variant(model, frame, metrics: dict, directory: str | Path) -> None:
    """results/compression/<method>/<variant>/{model.keras, history.csv, metrics.json}."""
    directory = Path(directory)
    if frame is None:
        import pandas as pd

        frame = pd.DataFrame(columns=["epoch", "loss", "accuracy", "val_loss", "val_accuracy"])
    training.save_training_outputs(model, frame, metrics, directory / "model.keras",
                                   directory / "history.csv", directory / "metrics.json")
