"""Magnitude pruning of individual weights (section 2.2.1) with the TensorFlow Model Optimization Toolkit.

The trained baseline is wrapped with `prune_low_magnitude`; during fine-tuning a polynomial schedule
(Zhu and Gupta, 2017) raises the fraction of zeroed weights from 0 to the target within the first part
of the steps, always zeroing the smallest magnitudes, so the network can adapt; `strip_pruning` then
leaves a plain Keras model whose pruned weights are exact zeros. Three patterns:

* unstructured: any weight may go (the classic method); TFLite stores the zeros densely unless the
  converter's sparse encoding is requested, and LiteRT has no sparse convolution kernel, so it inserts a
  DENSIFY op (the model is smaller on disk, equally fast);
* 2:4 (`sparsity_m_by_n=(2, 4)`, supported since TFMOT 0.8): two zeros in every four consecutive input
  channels, the pattern of NVIDIA's sparse tensor cores; LiteRT has no CPU kernel for it either;
* 1x4 blocks in the fully connected layer: the pattern LiteRT's sparse FULLY_CONNECTED kernel runs. The
  7x7 VALID conv3 is written as Flatten + Dense first (same function; TFLite then emits FULLY_CONNECTED),
  and its kernel [in, out] is pruned in blocks of four consecutive inputs (block_size=(4, 1)), which are
  the 1x4 blocks of TFLite's [out, in] layout.

The first convolution (800 weights) and the logits layer (1,290) are left dense by default: together they
hold 0.5% of the weights, and pruning them to 90% removes most of their few inputs per unit.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401
from mobileopt.compression import variants
from mobileopt.measurement import cost_model

TWO_BY_FOUR = (2, 4)
FC_BLOCK = (4, 1)  # 4 consecutive inputs x 1 output of a Dense kernel = TFLite's 1x4 block


@dataclass(frozen=True)
class PruningVariant:
    name: str
    pattern: str  # "unstructured", "two_four" or "block"
    sparsity: float  # target fraction of zeros in each pruned layer


@dataclass(frozen=True)
class PruningSettings:
    layers: tuple[str, ...]
    sparsities: tuple[float, ...]
    two_by_four: bool
    block_sparsities: tuple[float, ...]
    block_layer: str
    schedule_end_fraction: float
    update_every_steps: int

    def __post_init__(self):
        # The block variants prune only block_layer, and only if it is among the pruned layers: without
        # this check they would silently come out unpruned (no error anywhere, just dense "block" models).
        if self.block_sparsities and self.block_layer not in self.layers:
            raise ValueError(
                f"compression.pruning.block_layer is {self.block_layer!r}, which is not in "
                f"compression.pruning.layers {list(self.layers)}, so the block variants "
                f"(block_sparsities {list(self.block_sparsities)}) would get no block pruning. Add "
                f"{self.block_layer!r} to compression.pruning.layers, set block_layer to one of them, "
                "or set block_sparsities to [] to run no block variant.")

    @classmethod
    def from_config(cls, section: dict) -> "PruningSettings":
        return cls(layers=tuple(section["layers"]), sparsities=tuple(section["sparsities"]),
                   two_by_four=section["two_by_four"], block_sparsities=tuple(section["block_sparsities"]),
                   block_layer=section["block_layer"], schedule_end_fraction=section["schedule_end_fraction"],
                   update_every_steps=section["update_every_steps"])

    def variants(self) -> list[PruningVariant]:
        found = [PruningVariant(f"sparsity_{variants.percent(s)}", "unstructured", s) for s in self.sparsities]
        if self.two_by_four:
            found.append(PruningVariant("two_four", "two_four", 0.5))
        found += [PruningVariant(f"block_{variants.percent(s)}", "block", s) for s in self.block_sparsities]
        return found


def polynomial_schedule(sparsity: float, total_steps: int, settings: PruningSettings):
    """0 -> `sparsity` along the cubic polynomial of Zhu and Gupta (2017), over the first
    `schedule_end_fraction` of the fine-tuning steps, mask updated every `update_every_steps`."""
    return polynomial_decay(sparsity, total_steps, settings.schedule_end_fraction, settings.update_every_steps)


def polynomial_decay(sparsity: float, total_steps: int, end_fraction: float, update_every_steps: int):
    """TFMOT's PolynomialDecay from 0 to `sparsity`, ending at `end_fraction` of `total_steps`."""
    import tensorflow_model_optimization as tfmot

    if not 0.0 < sparsity < 1.0:
        raise ValueError(f"target sparsity must lie in (0, 1), got {sparsity}")
    if total_steps < 2:
        raise ValueError(f"pruning needs at least 2 fine-tuning steps, got {total_steps}")
    # The mask changes only on multiples of the frequency, so the end step is one: the target is reached.
    frequency = min(update_every_steps, total_steps // 2)
    end_step = max(frequency, int(end_fraction * total_steps) // frequency * frequency)
    return tfmot.sparsity.keras.PolynomialDecay(initial_sparsity=0.0, final_sparsity=sparsity, begin_step=0,
                                                end_step=end_step, frequency=frequency)


def prune_for_fine_tuning(model, variant: PruningVariant, settings: PruningSettings, total_steps: int):
    """The model with pruning wrappers on `settings.layers` (weights shared with `model`)."""
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    from mobileopt.models.surgery import fully_connected_form

    names = {layer.name for layer in model.layers}
    missing = set(settings.layers) - names
    if missing:
        raise ValueError(f"pruning.layers names {sorted(missing)}, which the model does not have ({sorted(names)})")
    if variant.pattern == "block":
        model = fully_connected_form(model, settings.block_layer)
    prune = tfmot.sparsity.keras.prune_low_magnitude

    def wrap(layer):
        if layer.name not in settings.layers:
            return layer
        if variant.pattern == "two_four":
            return prune(layer, sparsity_m_by_n=TWO_BY_FOUR)
        schedule = polynomial_schedule(variant.sparsity, total_steps, settings)
        if variant.pattern == "block" and layer.name == settings.block_layer:
            return prune(layer, pruning_schedule=schedule, block_size=FC_BLOCK)
        return prune(layer, pruning_schedule=schedule)
    return keras.models.clone_model(model, clone_function=wrap)


def strip(pruned_model):
    """A plain Keras model (fresh layers, no wrappers) with the pruned weights as exact zeros."""
    import tensorflow_model_optimization as tfmot

    return plain_copy(tfmot.sparsity.keras.strip_pruning(pruned_model))


def plain_copy(model):
    """Fresh layers with the same weights: each layer called once, as the cost model requires."""
    import tf_keras as keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def kernel_sparsity(model) -> dict[str, float]:
    """Fraction of exact zeros in each layer's kernel (weights of rank >= 2)."""
    return {layer.name: float(1.0 - np.count_nonzero(layer.get_weights()[0]) / layer.get_weights()[0].size)
            for layer in model.layers if layer.get_weights() and layer.get_weights()[0].ndim >= 2}


def is_two_four_sparse(kernel: np.ndarray) -> bool:
    """At least two zeros in every four consecutive input channels (TFLite layout: input channels last).

    Conv kernels [h, w, in, out] and Dense kernels [in, out] both have input channels on axis -2. Groups
    that are incomplete at the end of an axis shorter than four are padded with zeros, as TFMOT does.
    """
    moved = np.moveaxis(kernel, -1, 0)  # [out, ..., in]
    rows = moved.reshape(-1, moved.shape[-1])
    pad = (-rows.shape[1]) % 4
    groups = np.pad(rows, ((0, 0), (0, pad))).reshape(rows.shape[0], -1, 4)
    return bool(np.all(np.count_nonzero(groups, axis=-1) <= 2))


def sparse_multiply_adds(model) -> int:
    """Multiply-adds a kernel that skips zero weights would need: each layer's count x its density."""
    density = {name: 1.0 - zeros for name, zeros in kernel_sparsity(model).items()}
    return int(round(sum(cost.multiply_adds * density.get(cost.name, 1.0)
                         for cost in cost_model.layer_costs(model))))


def run_pruning(config: dict, baseline_path: str | Path, data_path: str | Path, out_dir: str | Path,
                tflite_dir: str | Path, threads: int) -> list[dict]:
    """Prune, fine-tune and convert every configured variant; returns the artefact records."""
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    from mobileopt.compression import tflite
    from mobileopt.compression import training as ft

    arrays, fine_tune = ft.prepare_fine_tuning(config, data_path, threads)
    settings = PruningSettings.from_config(config["compression"]["pruning"])
    out_dir, tflite_dir = Path(out_dir), Path(tflite_dir)
    records = []
    for variant in settings.variants():
        keras.utils.set_random_seed(config["seed"])  # each variant alike, whatever ran before it
        total_steps = fine_tune.epochs * fine_tune.steps_per_epoch(arrays)
        pruned = prune_for_fine_tuning(ft.load_baseline(baseline_path), variant, settings, total_steps)
        frame, seconds, images = ft.fine_tune(pruned, arrays, fine_tune,
                                              callbacks=(tfmot.sparsity.keras.UpdatePruningStep(),))
        final = strip(pruned)
        metrics = ft.describe_model(final, arrays, config["seed"], threads, seconds, frame, fine_tune, images)
        layer_sparsity = kernel_sparsity(final)
        pruned_weights = sum(final.get_layer(name).get_weights()[0].size for name in settings.layers)
        metrics.update(pattern=variant.pattern, target_sparsity=variant.sparsity, layer_sparsity=layer_sparsity,
                       pruned_layers=list(settings.layers),
                       sparsity_of_pruned_layers=float(sum(
                           layer_sparsity[name] * final.get_layer(name).get_weights()[0].size
                           for name in settings.layers) / pruned_weights),
                       sparse_multiply_adds=sparse_multiply_adds(final))
        ft.save_variant(final, frame, metrics, out_dir / variant.name)
        for suffix, sparse in (("", False), ("_sparse", True)):
            flatbuffer = tflite.convert(final, tflite.ConversionOptions(sparse=sparse))
            records.append(tflite.write_artefact(
                flatbuffer, tflite_dir / f"{variant.name}{suffix}.tflite", out_dir / f"{variant.name}{suffix}.json",
                arrays, threads, method="pruning", model=variant.name,
                format="float32 sparse" if sparse else "float32"))
    return records
