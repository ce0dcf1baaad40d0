"""Train one structures variant from scratch on MNIST (rule structures_train).

The variant comes from the config (mobileopt.structures.variants), its model from the builders in
mobileopt.models.architectures, and training from mobileopt.core.training, so every variant is trained, measured
and saved exactly like the baseline. Each run also logs the training loss after every mini-batch
(batches.csv), which draws the residual-vs-plain curves at a finer grain than epochs.

Usage outside the workflow (what rule structures_train runs, one variant):
    python -m mobileopt.structures.experiment --config config/config.yaml --data data/dataset.npz \
        --variant decomposed_f25 --out results/structures/decomposed_f25
"""
from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path

import mobileopt  # noqa: F401
import tf_keras as keras

from mobileopt.models import architectures
from mobileopt.models.classifier import build_lenet5
from mobileopt.core import artifacts
from mobileopt.measurement import cost_model
from mobileopt.core import training
from mobileopt.core.runtime import configure_tensorflow
from mobileopt.structures.variants import VariantSpec, variant_spec


def baseline_multiply_adds() -> int:
    """The Table 2.2 classifier's cost, the reference for the matched-cost variants."""
    return cost_model.count_multiply_adds(architectures.build_operation_classifier())


def build_variant(spec: VariantSpec) -> keras.Model:
    args = spec.arguments
    if spec.family == "standard":
        return architectures.build_operation_classifier(name=spec.name)
    if spec.family == "lenet5":
        return build_lenet5(name=spec.name)
    if spec.family == "decomposed":
        conv = architectures.decomposed_conv_factory(args["bound_fraction"], args["order"],
                                                     args["intermediate_activation"])
        return architectures.build_operation_classifier(conv, name=spec.name)
    if spec.family == "separable":
        conv = architectures.separable_conv_factory(args["depth_multiplier"])
        return architectures.build_operation_classifier(conv, name=spec.name)
    if spec.family in architectures.BLOCK_FAMILIES:
        def build(width):
            return architectures.build_block_classifier(spec.family, width, args["bottleneck_blocks"],
                                                        name=spec.name)

        target = round(args["cost_fraction"] * baseline_multiply_adds())
        return build(architectures.width_for_multiply_adds(build, target))
    return architectures.build_deep_classifier(args["blocks_per_stage"], tuple(args["widths"]),
                                               args["residual"], args["batch_norm"], name=spec.name)


class BatchLossLogger(keras.callbacks.Callback):
    """Training loss and accuracy after every mini-batch (Keras' running means within the epoch)."""

    def __init__(self):
        super().__init__()
        self.rows, self.epoch, self.step = [], 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self.rows.append({"step": self.step, "epoch": self.epoch, "batch": batch + 1,
                          "loss": float(logs["loss"]), "accuracy": float(logs["accuracy"])})


def variant_settings(section: dict, spec: VariantSpec) -> training.TrainingSettings:
    """structures.training, with the deep pair's own epochs and the family's precision."""
    settings = training.TrainingSettings.from_config(section["training"])
    if "epochs" in spec.arguments:  # the deep pair has its own epoch budget (config: deep.epochs)
        settings = dataclasses.replace(settings, epochs=spec.arguments["epochs"])
    mixed = spec.family in section["training"]["mixed_precision_families"]
    return dataclasses.replace(settings, precision="mixed_bfloat16" if mixed else "float32")


def train_variant(config: dict, spec: VariantSpec, data_path: str | Path, outputs: dict, threads: int) -> dict:
    """Build, train, evaluate and save one variant, once per configured seed; `outputs` maps model,
    history, metrics, predictions and batches to paths. `config` needs seed, seeds, the data limits and
    structures.training, not the other variants' entries (so a change to one variant reruns only that
    one). Returns the metrics (training.fit_replicates', plus the variant's description)."""
    import pandas as pd

    configure_tensorflow(config["seed"], threads)
    arrays = training.load_configured_dataset(config, data_path)
    loggers = []

    def new_logger():
        loggers.append(BatchLossLogger())
        return (loggers[-1],)

    result = training.fit_replicates(lambda: build_variant(spec), arrays,
                                     variant_settings(config["structures"], spec), seed=config["seed"],
                                     experiment="structures", variant=spec.name, replicates=config["seeds"],
                                     threads=threads, callbacks=new_logger)
    result.model.summary(line_length=120)
    result.metrics.update(variant=spec.name, family=spec.family,
                          arguments={key: list(value) if isinstance(value, tuple) else value
                                     for key, value in spec.arguments.items()},
                          weight_layers=architectures.weight_layer_count(result.model))
    training.save_replicates(result, outputs)
    batches = pd.concat([pd.DataFrame(logger.rows).assign(replicate=replicate)
                         for logger, replicate in zip(loggers, config["seeds"])], ignore_index=True)
    artifacts.atomic_write_text(outputs["batches"], batches.to_csv(index=False))
    return result.metrics


def main(argv: list[str] | None = None) -> None:
    from mobileopt.core.config import load_config

    parser = argparse.ArgumentParser(description="Train one structures variant from scratch.")
    for flag in ("--config", "--data", "--variant", "--out"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args(argv)
    out = Path(args.out)
    config = load_config(args.config)
    train_variant(config, variant_spec(config["structures"], args.variant), args.data,
                  {"model": out / "model.keras", "history": out / "history.csv", "metrics": out / "metrics.json",
                   "predictions": out / "predictions.npz", "batches": out / "batches.csv"}, args.threads)


if __name__ == "__main__":
    main()
