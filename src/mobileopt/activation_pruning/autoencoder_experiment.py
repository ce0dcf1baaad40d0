"""Channel pruning of the MNIST autoencoder on activation counts (draft section 2.2.3), every variant.

One call of `run_autoencoder_experiment` covers one seed and one training family (one Snakemake job):
it trains the [32, 64, 32] autoencoder once (with the L1 penalty for the family "l1"), then runs each of
the family's variants from a copy of it. The "plain" family also trains the [4, 16, 4] reference.
Activations are counted on the first `count_images` training images (every position of every image counts
once per channel), the reconstruction MSE is measured on the whole (configured) test set.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mobileopt.activation_pruning import criteria as ap
from mobileopt.activation_pruning import keras_surgery as apk
from mobileopt.models import autoencoder as ae
from mobileopt.measurement import cost_model
from mobileopt.core.training import to_model_input, training_seed

RELU_LAYERS = [f"{block}_relu" for block in ae.BLOCKS]
CONV_LAYERS = [f"{block}_conv" for block in ae.BLOCKS]
# The weight layer that reads each prunable block: its kernel slice is the block's outgoing weight.
NEXT_LAYERS = ["encoder2_conv", "decoder1_conv", "decoder2_conv"]
RECONSTRUCTED_IMAGES = 8  # test images whose reconstructions are kept for the thesis figure
CYCLE_COLUMNS = ["variant", "seed", "cycle", "block", "units", "removed", "loss", "distorted", "final"]


@dataclass(frozen=True)
class AutoencoderSettings:
    epochs: int
    finetune_images: int
    batch_size: int
    learning_rate: float
    finetune_learning_rate: float
    l1: float
    count_images: int
    max_cycles: int
    selection: ap.SelectionSettings

    @classmethod
    def from_config(cls, section: dict) -> "AutoencoderSettings":
        return ap.settings_from_config(cls, section)


@dataclass
class AutoencoderResults:
    runs: pd.DataFrame  # one row per model: reference, unpruned and every variant
    cycles: pd.DataFrame  # one row per variant, cycle and block
    activations: pd.DataFrame  # activation probability of every channel after the first training
    models: dict  # name -> keras model (reference, unpruned, variants)
    reconstructions: dict  # name -> (RECONSTRUCTED_IMAGES, 28, 28) array in [0, 1]


def outgoing_weight_norms(model) -> list[np.ndarray]:
    """L1 norm of every prunable channel's outgoing kernel slice (how much it can move the next layer)."""
    norms = []
    for name in NEXT_LAYERS:
        kernel = model.get_layer(name).kernel.numpy()
        # Conv2D kernel (kh, kw, in, out); Conv2DTranspose (kh, kw, out, in): sum all but the input axis.
        axis_in = 3 if name.startswith("decoder") else 2
        norms.append(np.abs(kernel).sum(axis=tuple(a for a in range(4) if a != axis_in)))
    return norms


def count_channels(model, images: np.ndarray, tolerance: float = 0.0) -> list[tuple[np.ndarray, int]]:
    """Per prunable block: how often each channel is active, and the values counted per channel.

    Tolerance 0 counts activations > 0 (the draft). A positive tolerance counts an activation only when
    activation x (L1 norm of its outgoing weights) exceeds it (the "contribution" criterion).
    """
    pixels = to_model_input(images)
    if tolerance <= 0:
        return apk.count_activations(model, RELU_LAYERS, pixels)
    thresholds = [tolerance / np.maximum(norm, 1e-30) for norm in outgoing_weight_norms(model)]
    return apk.count_activations(model, RELU_LAYERS, pixels, thresholds=thresholds)


def clone(model):
    """An independent copy with the same weights (variants must not share the first training's model)."""
    return apk.prune_units(model, {})


def run_autoencoder_experiment(settings: AutoencoderSettings, arrays: dict, seed: int, family: str,
                               variants: list[str], log=print) -> AutoencoderResults:
    variants = [ap.variant(name) for name in variants if ap.variant(name).training_family == family]
    train, test = arrays["train_images"], arrays["test_images"]
    count_subset = train[:settings.count_images]
    runs, cycles, activations, models, reconstructions = [], [], [], {}, {}

    def describe(name, model, variant_name, records=(), stable=True, first_mse=float("nan")):
        mse = ae.reconstruction_mse(model, test)
        models[name] = model
        reconstructions[name] = ae.reconstruct(model, arrays["test_images"][:RECONSTRUCTED_IMAGES])
        runs.append({"variant": variant_name, "family": family, "seed": seed,
                     **{f"channels_{block}": c for block, c in zip(ae.BLOCKS, ae.channels_of(model))},
                     "test_mse": mse, "first_test_mse": first_mse, "cycles": len(records), "stable": stable,
                     "parameters": cost_model.count_parameters(model),
                     "multiply_adds": cost_model.count_multiply_adds(model)})
        log(f"seed {seed} {variant_name}: channels {ae.channels_of(model)}, test MSE {mse:.5f}")
        return mse

    import tf_keras as keras

    def reseed(stage: str) -> None:
        """Seed from (seed, stage) before each build or pruning run: one stage's result does not depend on
        which stages ran before it in this job, and both families' first networks start from the same
        weights (stage "first"), so plain and L1 differ by the penalty alone."""
        keras.utils.set_random_seed(training_seed(seed, "autoencoder", stage, 0))

    if family == "plain":
        reseed("reference")
        reference = ae.build_autoencoder(ae.REFERENCE_CHANNELS, name="reference")
        ae.train_autoencoder(reference, train, settings.epochs, settings.batch_size, settings.learning_rate)
        describe("reference", reference, "reference")
    l1 = settings.l1 if family == "l1" else 0.0
    reseed("first")
    first = ae.build_autoencoder(ae.PRUNED_START_CHANNELS, l1=l1)
    ae.train_autoencoder(first, train, settings.epochs, settings.batch_size, settings.learning_rate)
    first_mse = ae.reconstruction_mse(first, test)
    if family == "plain":
        describe("unpruned", first, "unpruned", first_mse=first_mse)
        for block, (counts, examples) in zip(ae.BLOCKS, count_channels(first, count_subset)):
            activations += [{"seed": seed, "block": block, "channel": channel, "probability": count / examples}
                            for channel, count in enumerate(counts)]

    for pruning in variants:
        reseed(pruning.name)
        rng = np.random.default_rng([seed, 3])
        tolerance = settings.selection.counting_tolerance(pruning)
        fine_tunes = iter(range(settings.max_cycles))

        def fine_tune(model):
            start = (next(fine_tunes) * settings.finetune_images) % len(train)  # a new slice every cycle
            subset = np.roll(train, -start, axis=0)[:settings.finetune_images]
            ae.train_autoencoder(model, subset, 1, settings.batch_size, settings.finetune_learning_rate)
            return model

        pruned, records, stable = ap.run_pruning_cycles(
            clone(first), pruning, settings.selection,
            count=lambda model: count_channels(model, count_subset, tolerance),
            keep=lambda model, masks: apk.prune_units(model, dict(zip(CONV_LAYERS, masks))),
            fine_tune=fine_tune, evaluate=lambda model: ae.reconstruction_mse(model, test),
            distort_network=lambda model: apk.distort_layers(model, CONV_LAYERS, rng),
            max_cycles=settings.max_cycles)
        cycles += ap.records_as_rows(records, ae.BLOCKS, variant=pruning.name, seed=seed)
        final_mse = describe(pruning.name, pruned, pruning.name, records, stable, first_mse)
        cycles += [{"variant": pruning.name, "seed": seed, "cycle": len(records) + 1, "block": block,
                    "units": units, "removed": 0, "loss": final_mse, "distorted": pruning.distort, "final": True}
                   for block, units in zip(ae.BLOCKS, ae.channels_of(pruned))]
    cycles_frame = pd.DataFrame(cycles, columns=CYCLE_COLUMNS)
    cycles_frame["final"] = cycles_frame["final"].eq(True)
    return AutoencoderResults(pd.DataFrame(runs), cycles_frame,
                              pd.DataFrame(activations, columns=["seed", "block", "channel", "probability"]),
                              models, reconstructions)
