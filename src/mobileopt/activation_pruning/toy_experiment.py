"""Activation pruning of the toy network y = i1 + i2 (draft section 2.2.2): every variant, several seeds.

One call of `run_toy_experiment` covers one initialisation and one optimizer (one Snakemake job). Per
seed it trains the 1000-unit network once per training family (with and without the L1 penalty: the
variants of a family share this first training bit for bit), then runs every variant's pruning cycles
from a copy of it, fine-tuning for fewer epochs than the first training: the pruned network starts from
weights that already fit and only has to absorb the removed units' (small) contribution.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mobileopt.activation_pruning import criteria as ap
from mobileopt.activation_pruning import toy_network as toy

BLOCKS = ("hidden",)
ONE_UNIT_OPTIMUM = 1  # y = i1 + i2 needs a single hidden ReLU unit (methods section 2.2.2)


@dataclass(frozen=True)
class ToyExperimentSettings:
    samples: int
    test_samples: int
    hidden_units: int
    batch_size: int
    epochs: int
    finetune_epochs: int
    finetune_samples: int  # samples of each fine-tuning (a new slice every cycle)
    max_cycles: int
    l1: float
    l1_refit_epochs: int
    converged_mse: float
    selection: ap.SelectionSettings

    @classmethod
    def from_config(cls, section: dict) -> "ToyExperimentSettings":
        return ap.settings_from_config(cls, section)


def optimizer_settings(section: dict, name: str) -> toy.OptimizerSettings:
    """The toy block's optimizer table: learning rate per optimizer; momentum only for 'momentum'."""
    momentum = section["momentum"] if name == "momentum" else 0.0
    return toy.OptimizerSettings(name, section["learning_rates"][name], momentum)


@dataclass
class ToyResults:
    runs: pd.DataFrame  # one row per variant and seed
    cycles: pd.DataFrame  # one row per variant, seed and cycle
    history: pd.DataFrame  # first training: loss per epoch, per family and seed
    gradients: pd.DataFrame  # first training (plain family): gradient sign statistics over the steps
    activations: pd.DataFrame  # activation probability of every unit after the first training
    models: dict  # variant (and "unpruned") -> ToyParams of the first seed


@dataclass(frozen=True)
class ToyData:
    inputs: np.ndarray
    targets: np.ndarray
    test_inputs: np.ndarray
    test_targets: np.ndarray

    @classmethod
    def make(cls, settings: ToyExperimentSettings, seed: int) -> "ToyData":
        return cls(*toy.make_data(settings.samples, seed), *toy.make_data(settings.test_samples, seed, stream=1))

    def test_mse(self, params: toy.ToyParams) -> float:
        return toy.evaluate(params, self.test_inputs, self.test_targets)[1]

    def effective_units(self, params: toy.ToyParams) -> float:
        return toy.effective_units(params, self.test_inputs[:10_000])


@dataclass(frozen=True)
class FirstTraining:
    """The first training of one family (shared by its variants) and what we measure on it."""
    family: str
    l1: float
    result: toy.TrainingResult
    train_counts: np.ndarray
    test_mse: float
    effective_units: float


def train_first(settings: ToyExperimentSettings, data: ToyData, initialisation: str,
                optimizer: toy.OptimizerSettings, seed: int, family: str) -> FirstTraining:
    l1 = settings.l1 if family == "l1" else 0.0
    initial = toy.initial_params(settings.hidden_units, initialisation, seed)
    result = toy.train(initial, data.inputs, data.targets, optimizer, settings.epochs, settings.batch_size,
                       (seed, 0), l1=l1, trace=family == "plain")
    train_counts, _ = toy.evaluate(result.params, data.inputs, data.targets)
    return FirstTraining(family, l1, result, train_counts, data.test_mse(result.params),
                         data.effective_units(result.params))


def run_toy_experiment(settings: ToyExperimentSettings, initialisation: str, optimizer: toy.OptimizerSettings,
                       seeds: list[int], variants: list[str], log=print) -> ToyResults:
    variants = [ap.variant(name) for name in variants]
    labels = {"initialisation": initialisation, "optimizer": optimizer.name}
    runs, cycles, history, gradients, activations, models = [], [], [], [], [], {}
    for seed in seeds:
        data = ToyData.make(settings, seed)
        for family in sorted({v.training_family for v in variants}):
            first = train_first(settings, data, initialisation, optimizer, seed, family)
            log(f"seed {seed} {family}: first training test MSE {first.test_mse:.3g}, "
                f"{int((first.train_counts == 0).sum())} of {settings.hidden_units} units never active")
            history += [{**labels, "family": family, "seed": seed, "epoch": epoch + 1, "loss": loss}
                        for epoch, loss in enumerate(first.result.epoch_losses)]
            if family == "plain":
                gradients += [{**labels, "seed": seed, "step": step * toy.TRACE_EVERY,
                               **dict(zip(toy.TRACE_COLUMNS, map(float, row)))}
                              for step, row in enumerate(first.result.trace)]
                activations += [{**labels, "seed": seed, "unit": unit, "probability": count / len(data.inputs)}
                                for unit, count in enumerate(first.train_counts)]
                if seed == seeds[0]:
                    models["unpruned"] = first.result.params
            for pruning in (v for v in variants if v.training_family == family):
                pruned, records, stable = prune_toy(first.result.params, pruning, settings, optimizer, data, seed,
                                                    first.l1)
                penalised_mse = data.test_mse(pruned)
                if first.l1 and settings.l1_refit_epochs:
                    pruned = toy.train(pruned, data.inputs, data.targets, optimizer, settings.l1_refit_epochs,
                                       settings.batch_size, (seed, 1000)).params
                final_mse = data.test_mse(pruned)
                log(f"  {pruning.name}: {pruned.hidden_units} units after {len(records)} cycles, "
                    f"test MSE {final_mse:.3g}")
                runs.append({**labels, "variant": pruning.name, "seed": seed,
                             **run_row(settings, data, first, pruned, records, stable, penalised_mse, final_mse)})
                cycles += ap.records_as_rows(records, BLOCKS, **labels, variant=pruning.name, seed=seed)
                cycles.append({**labels, "variant": pruning.name, "seed": seed, "cycle": len(records) + 1,
                               "block": "hidden", "units": pruned.hidden_units, "removed": 0,
                               "loss": final_mse, "distorted": pruning.distort, "final": True})
                if seed == seeds[0]:
                    models[pruning.name] = pruned
    cycles_frame = pd.DataFrame(cycles)
    cycles_frame["final"] = cycles_frame["final"].eq(True)
    return ToyResults(pd.DataFrame(runs), cycles_frame, pd.DataFrame(history), pd.DataFrame(gradients),
                      pd.DataFrame(activations), models)


def run_row(settings: ToyExperimentSettings, data: ToyData, first: FirstTraining, pruned: toy.ToyParams,
            records: list, stable: bool, penalised_mse: float, final_mse: float) -> dict:
    """The columns of runs.csv for one variant and seed."""
    return {"units_initial": settings.hidden_units,
            "units_first_training_alive": int((first.train_counts > 0).sum()),
            "first_effective_units": first.effective_units, "first_test_mse": first.test_mse,
            "first_converged": first.test_mse <= settings.converged_mse,
            "units_final": pruned.hidden_units, "cycles": len(records), "stable": stable,
            "test_mse_before_refit": penalised_mse, "test_mse": final_mse,
            "converged": final_mse <= settings.converged_mse,
            "effective_units": data.effective_units(pruned),
            "reached_optimum": pruned.hidden_units == ONE_UNIT_OPTIMUM,
            **dominant_unit(pruned, data.test_inputs[:10_000])}


def prune_toy(params: toy.ToyParams, pruning: ap.PruningVariant, settings: ToyExperimentSettings,
              optimizer: toy.OptimizerSettings, data: ToyData, seed: int, l1: float):
    """The generic pruning cycle (mobileopt.activation_pruning.criteria) with the toy network's operations."""
    rng = np.random.default_rng([seed, 3])  # distortion noise
    fine_tunes = iter(range(1, settings.max_cycles + 1))
    tolerance = settings.selection.counting_tolerance(pruning)

    def count(net):
        counts, _ = toy.evaluate(net, data.inputs, data.targets, tolerance)
        return [(counts, len(data.inputs))]

    def fine_tune(net):
        cycle = next(fine_tunes)
        inputs, targets = fine_tuning_slice(data, settings.finetune_samples, cycle)
        return toy.train(net, inputs, targets, optimizer, settings.finetune_epochs, settings.batch_size,
                         (seed, cycle), l1=l1).params

    def distort(net):
        kernel, bias, out_kernel, out_bias = ap.distort(net.as_list(), rng)
        return toy.ToyParams(kernel, bias, out_kernel, float(out_bias))

    return ap.run_pruning_cycles(
        params, pruning, settings.selection, count=count, keep=lambda net, masks: net.keep(masks[0]),
        fine_tune=fine_tune, evaluate=data.test_mse, distort_network=distort, max_cycles=settings.max_cycles)


def fine_tuning_slice(data: "ToyData", samples: int, cycle: int) -> tuple[np.ndarray, np.ndarray]:
    """The training samples of fine-tuning cycle `cycle` (1, 2, ...): `samples` of them, a new slice each
    cycle (wrapping around), so the cycles together see the whole set as one long fine-tuning would."""
    if samples > len(data.inputs):
        raise ValueError(f"activation_pruning.toy.finetune_samples ({samples}) exceeds the {len(data.inputs)} "
                         "training samples")
    start = ((cycle - 1) * samples) % len(data.inputs)
    order = np.roll(np.arange(len(data.inputs)), -start)[:samples]
    return data.inputs[order], data.targets[order]


def dominant_unit(params: toy.ToyParams, inputs: np.ndarray) -> dict:
    """Weights of the unit that contributes most to the output (the whole solution when one is left)."""
    hidden = np.maximum(inputs @ params.kernel + params.bias, 0.0)
    unit = int(np.argmax(np.std(hidden * params.out_kernel, axis=0)))
    return {"dominant_w1": float(params.kernel[0, unit]), "dominant_w2": float(params.kernel[1, unit]),
            "dominant_bias": float(params.bias[unit]), "dominant_v": float(params.out_kernel[unit]),
            "output_bias": float(params.out_bias)}
