"""Tables, macros and the summary of the activation-pruning experiments, from their tidy result files.

Reads results/activation_pruning/{toy/<init>/<optimizer>,autoencoder/seed_<s>}/*.csv and the LiteRT
latency files; trains nothing. Every spread is the sample standard deviation over the seeds.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mobileopt.core import artifacts
from mobileopt.reporting import tables
from mobileopt.activation_pruning.criteria import VARIANTS
from mobileopt.reporting.numbers import count_of, scientific, thousands
from mobileopt.reporting.numbers import MISSING
from mobileopt.reporting.thesis import Macro

METHOD = "activation_pruning"
VARIANT_LABELS = {
    "reference": "Reference $[4,16,4]$",
    "unpruned": "Unpruned",
    "vanilla": "Vanilla",
    "distorted": "Distorted",
    "l1": "L1",
    "outliers": "Outliers",
    "l1_distorted_outliers": "L1 + distorted + outliers",
    "probability": "Probability",
    "l1_contribution": "L1 + contribution (ours)",
}
INIT_LABELS = {"glorot_uniform": "Glorot", "standard_normal": "$\\mathcal{N}(0,1)$"}
OPTIMIZER_LABELS = {"momentum": "Momentum", "sgd": "SGD", "adam": "Adam", "rmsprop": "RMSProp"}


# --- loading -----------------------------------------------------------------------------------------

def read_toy(paths: list[str], name: str) -> pd.DataFrame:
    """Concatenate one kind of toy result file (runs, cycles, history, gradients, activations)."""
    return pd.concat([pd.read_csv(p) for p in paths if Path(p).stem == name], ignore_index=True)


def read_autoencoder(paths: list[str], name: str) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in paths if Path(p).stem.split("_", 1)[1] == name]
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)


def run_label(initialisation: str, optimizer: str) -> str:
    return f"{INIT_LABELS[initialisation]} / {OPTIMIZER_LABELS[optimizer]}"


def ordered_runs(runs: pd.DataFrame) -> list[tuple[str, str]]:
    pairs = runs[["initialisation", "optimizer"]].drop_duplicates().itertuples(index=False)
    return sorted(pairs, key=lambda p: (list(INIT_LABELS).index(p[0]), list(OPTIMIZER_LABELS).index(p[1])))


def ordered_variants(names) -> list[str]:
    return [name for name in VARIANT_LABELS if name in set(names)]


# --- formatting --------------------------------------------------------------------------------------

def mean_std(values: pd.Series, digits: int = 1, scale: float = 1.0) -> str:
    """Mean with the sample standard deviation as a small subscript-size spread (compact table cells)."""
    values = pd.Series(values, dtype=float) * scale
    spread = values.std() if len(values) > 1 else 0.0
    return f"${values.mean():.{digits}f}{{\\scriptstyle\\pm{spread:.{digits}f}}}$"


def mse_mean_std(values: pd.Series) -> str:
    values = pd.Series(values, dtype=float)
    spread = values.std() if len(values) > 1 else 0.0
    return f"{scientific(values.mean())[:-1]}{{\\scriptstyle\\pm{scientific(spread)[1:-1]}}}$"


def write_table(frame: pd.DataFrame, path: str | Path, caption: str, label: str, stamp: dict,
                column_format: str, size: str = "\\small", landscape: bool = False) -> None:
    """This topic's tables are wide: small type, scaled to the text width should they still overflow
    (`landscape`: on a page turned sideways, for one that would shrink below 8 pt)."""
    tables.write_table(frame, path, caption, label, stamp, column_format=column_format, size=size, fit_width=True,
                       landscape=landscape)


def camel(*parts: str) -> str:
    """Letters-only CamelCase macro name: ('toy', 'l1_contribution', 'glorot_uniform') -> ToyLOneContribution..."""
    digits = {"0": "Zero", "1": "One", "2": "Two", "3": "Three", "4": "Four", "5": "Five", "6": "Six",
              "7": "Seven", "8": "Eight", "9": "Nine"}
    words = []
    for part in parts:
        for word in re.split(r"[^A-Za-z0-9]+", str(part)):
            word = "".join(digits.get(char, char) for char in word)
            words.append(word[:1].upper() + word[1:])
    return "ActivationPruning" + "".join(words)


# --- toy network -------------------------------------------------------------------------------------

def is_penalised(runs: pd.DataFrame) -> pd.Series:
    """Rows of variants trained with the L1 penalty (a boolean mask, also for an empty frame)."""
    return runs["variant"].map(lambda name: VARIANTS[name].l1).astype(bool)


def first_training_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per (initialisation, optimizer, seed) describing the first training without penalty
    (every variant of the plain family carries the same first-training columns)."""
    plain = runs[~is_penalised(runs)]
    return plain.drop_duplicates(["initialisation", "optimizer", "seed"])


def toy_convergence_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The first training (10 epochs, no penalty) of every initialisation and optimizer."""
    first = first_training_rows(runs)
    penalised = runs[is_penalised(runs)].drop_duplicates(["initialisation", "optimizer", "seed"])
    rows = []
    for init, optimizer in ordered_runs(first):
        group = first[(first["initialisation"] == init) & (first["optimizer"] == optimizer)]
        rows.append({"Initialisation / optimizer": run_label(init, optimizer),
                     "Test MSE": mse_mean_std(group["first_test_mse"]),
                     "Converged": f"{int(group['first_converged'].sum())}/{len(group)}",
                     "Never active": mean_std(group["units_initial"] - group["units_first_training_alive"]),
                     "Effective units": mean_std(group["first_effective_units"]),
                     "Effective, L1": mean_std(penalised.loc[
                         (penalised["initialisation"] == init) & (penalised["optimizer"] == optimizer),
                         "first_effective_units"]) if len(penalised) else MISSING})
    return pd.DataFrame(rows)


def toy_variant_table(runs: pd.DataFrame, value: str) -> pd.DataFrame:
    """One row per variant, one column per initialisation / optimizer: units left or test MSE."""
    rows = []
    for variant in ordered_variants(runs["variant"]):
        row = {"Variant": VARIANT_LABELS[variant]}
        for init, optimizer in ordered_runs(runs):
            group = runs[(runs["variant"] == variant) & (runs["initialisation"] == init)
                         & (runs["optimizer"] == optimizer)]
            header = f"\\shortstack{{{INIT_LABELS[init]}\\\\{OPTIMIZER_LABELS[optimizer]}}}"  # two lines
            if value == "units":
                optimum = int(group["reached_optimum"].sum())
                row[header] = f"{mean_std(group['units_final'])}" + (f" ({optimum}/{len(group)})" if optimum else "")
            else:
                row[header] = mse_mean_std(group["test_mse"])
        rows.append(row)
    return pd.DataFrame(rows)


def cost_rows(models: dict, latencies: dict, layer_costs) -> pd.DataFrame:
    """Per model of the first seed: parameters, multiply-adds, TFLite size and LiteRT latency."""
    rows = []
    for name in models:
        costs = layer_costs(models[name])
        latency = latencies[name]
        rows.append({"name": name, "parameters": sum(c.parameters for c in costs),
                     "multiply_adds": sum(c.multiply_adds for c in costs),
                     "tflite_bytes": latency["size_bytes"], "latency_median_ms": latency["median_ms"],
                     "latency_p90_ms": latency["p90_ms"]})
    return pd.DataFrame(rows).set_index("name")


def toy_cost_table(cost: pd.DataFrame, runs: pd.DataFrame, init: str, optimizer: str) -> pd.DataFrame:
    first_seed = runs["seed"].min()
    chosen = runs[(runs["initialisation"] == init) & (runs["optimizer"] == optimizer) & (runs["seed"] == first_seed)]
    units = dict(zip(chosen["variant"], chosen["units_final"]))
    rows = []
    for name in ["unpruned"] + ordered_variants(chosen["variant"]):
        row = cost.loc[name]
        rows.append({"Model": VARIANT_LABELS[name],
                     "Hidden units": thousands(units.get(name, int(chosen["units_initial"].iloc[0]))),
                     "Parameters": thousands(row["parameters"]), "Mult-adds": thousands(row["multiply_adds"]),
                     "Size (KiB)": f"{row['tflite_bytes'] / 1024:.1f}",
                     "Latency ($\\mu$s)": f"{1000 * row['latency_median_ms']:.1f}"})
    return pd.DataFrame(rows)


# --- autoencoder -------------------------------------------------------------------------------------

BLOCK_LABELS = {"channels_encoder1": "Enc.~1", "channels_encoder2": "Enc.~2", "channels_decoder1": "Dec.~1"}


def autoencoder_table(runs: pd.DataFrame, cost: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for variant in ordered_variants(runs["variant"]):
        group = runs[runs["variant"] == variant]
        row = {"Model": VARIANT_LABELS[variant]}
        row.update({label: mean_std(group[column]) for column, label in BLOCK_LABELS.items()})
        row["MSE ($10^{-3}$)"] = mean_std(group["test_mse"], digits=2, scale=1e3)
        row["Mult-adds (k)"] = mean_std(group["multiply_adds"], digits=0, scale=1e-3)
        row["Size (KiB)"] = f"{cost.loc[variant, 'tflite_bytes'] / 1024:.1f}"
        row["Latency (ms)"] = f"{cost.loc[variant, 'latency_median_ms']:.3f}"
        rows.append(row)
    return pd.DataFrame(rows)


# --- summary and macros ------------------------------------------------------------------------------

def summary_frame(toy_runs: pd.DataFrame, toy_cost: pd.DataFrame, toy_run: tuple[str, str],
                  ae_runs: pd.DataFrame, ae_cost: pd.DataFrame) -> pd.DataFrame:
    """One row per model that was timed: the cross-method comparison reads this."""
    rows = []
    for variant in ordered_variants(ae_runs["variant"]):
        group = ae_runs[ae_runs["variant"] == variant]
        rows.append({"network": "autoencoder", "variant": variant,
                     "units": "/".join(f"{group[c].mean():.1f}" for c in BLOCK_LABELS),
                     "test_mse": group["test_mse"].mean(), "test_mse_std": group["test_mse"].std(),
                     "seeds": len(group), **ae_cost.loc[variant].to_dict()})
    init, optimizer = toy_run
    toy = toy_runs[(toy_runs["initialisation"] == init) & (toy_runs["optimizer"] == optimizer)]
    unpruned = first_training_rows(toy)
    rows.append({"network": f"toy_{init}_{optimizer}", "variant": "unpruned",
                 "units": f"{unpruned['units_initial'].mean():.1f}", "test_mse": unpruned["first_test_mse"].mean(),
                 "test_mse_std": unpruned["first_test_mse"].std(), "seeds": len(unpruned),
                 **toy_cost.loc["unpruned"].to_dict()})
    for variant in ordered_variants(toy["variant"]):
        group = toy[toy["variant"] == variant]
        rows.append({"network": f"toy_{init}_{optimizer}", "variant": variant,
                     "units": f"{group['units_final'].mean():.1f}", "test_mse": group["test_mse"].mean(),
                     "test_mse_std": group["test_mse"].std(), "seeds": len(group), **toy_cost.loc[variant].to_dict()})
    frame = pd.DataFrame(rows)
    frame.insert(0, "method", METHOD)
    frame.insert(3, "test_accuracy", np.nan)  # no classifier here: the losses are MSEs
    columns = ["method", "network", "variant", "test_accuracy", "parameters", "multiply_adds", "tflite_bytes",
               "latency_median_ms", "latency_p90_ms", "units", "test_mse", "test_mse_std", "seeds"]
    return frame[columns]


ACTIVE_UNITS_STEP = 100  # the step at which the units still active are reported


def toy_macros(runs: pd.DataFrame, gradients: pd.DataFrame, source: str) -> list[Macro]:
    """Numbers of every initialisation x optimizer x variant the code knows, "--" where not configured,
    so that the prose compiles under any configuration (e.g. the small one, which runs fewer)."""
    macros = []
    for init in INIT_LABELS:
        for optimizer in OPTIMIZER_LABELS:
            run = runs[(runs["initialisation"] == init) & (runs["optimizer"] == optimizer)]
            first = first_training_rows(run)
            key = ("Toy", init, optimizer)
            dead = first["units_initial"] - first["units_first_training_alive"]
            values = {"DeadUnits": f"{dead.mean():.0f}", "FirstMse": scientific(first["first_test_mse"].mean()),
                      "Converged": f"{int(first['first_converged'].sum())}",
                      "EffectiveUnits": f"{first['first_effective_units'].mean():.1f}"}
            macros += [Macro(camel(*key, name), value if len(first) else MISSING, source)
                       for name, value in values.items()]
            penalised = run[is_penalised(run)].drop_duplicates("seed")
            macros.append(Macro(camel(*key, "LOneEffectiveUnits"), f"{penalised['first_effective_units'].mean():.1f}"
                                if len(penalised) else MISSING, source))
            for variant in VARIANT_LABELS:
                if variant in ("reference", "unpruned"):
                    continue
                group = run[run["variant"] == variant]
                values = {"Units": f"{group['units_final'].mean():.1f}",
                          "UnitsStd": f"{group['units_final'].std():.1f}",
                          "Optimum": str(int(group["reached_optimum"].sum())),
                          "Mse": scientific(group["test_mse"].mean())}
                macros += [Macro(camel(*key, variant, name), value if len(group) else MISSING, source)
                           for name, value in values.items()]
            grad = gradients[(gradients["initialisation"] == init) & (gradients["optimizer"] == optimizer)]
            windows = {"FirstStep": grad[grad["step"] == 0], "": grad}  # the first step; the whole training
            for column, name in (("positive_output_weights", "OutputWeights"), ("positive_biases", "Biases"),
                                 ("positive_biases_times_sign_v", "BiasesSignV")):
                for window, rows in windows.items():
                    agreement = np.maximum(rows[column], 1 - rows[column])  # share of the majority sign
                    value = f"{100 * agreement.mean():.0f}" if len(rows) else MISSING
                    macros.append(Macro(camel(*key, "Gradient", name, window), value, source))
            for step, name in ((0, "Start"), (ACTIVE_UNITS_STEP, "Later")):  # active on some example of a batch
                active = grad.loc[grad["step"] == step, "active_units"]
                macros.append(Macro(camel(*key, "ActiveUnits", name),
                                    f"{active.mean():.0f}" if len(active) else MISSING, source))
    macros.append(Macro(camel("ToySeeds"), str(runs["seed"].nunique()), source))
    macros.append(Macro(camel("ActiveUnitsStep"), str(ACTIVE_UNITS_STEP), "analysis"))
    macros.append(Macro(camel("ToyHiddenUnits"), thousands(runs["units_initial"].iloc[0]), source))
    return macros


def autoencoder_macros(runs: pd.DataFrame, cost: pd.DataFrame, activations: pd.DataFrame,
                       source: str) -> list[Macro]:
    macros = [Macro(camel("AutoencoderSeeds"), str(runs["seed"].nunique()), source),
              Macro(camel("AutoencoderLeastActivePercent"), f"{100 * activations['probability'].min():.0f}", source)]
    l1_first = runs[runs["family"] == "l1"].drop_duplicates("seed")["first_test_mse"]
    macros.append(Macro(camel("Autoencoder", "LOneFirstMse"),
                        f"{1e3 * l1_first.mean():.2f}" if len(l1_first) else MISSING, source))
    for variant in VARIANT_LABELS:
        group = runs[runs["variant"] == variant]
        present = len(group) > 0
        values = {
            "Channels": "$[" + ",".join(f"{group[c].mean():.0f}" for c in BLOCK_LABELS) + "]$",
            "Mse": f"{1e3 * group['test_mse'].mean():.2f}",
            "MultiplyAddsK": f"{group['multiply_adds'].mean() / 1e3:.0f}",
            "LatencyMs": f"{cost.loc[variant, 'latency_median_ms']:.3f}" if variant in cost.index else MISSING,
        }
        macros += [Macro(camel("Autoencoder", variant, name), value if present else MISSING, source)
                   for name, value in values.items()]
    return macros


def fixed_cost_macros(toy_cost: pd.DataFrame, fixed_cost_ms: float, source: str) -> list[Macro]:
    """The interpreter's fixed cost per call (the one-operator model's median latency, timed in a job of
    its own like the toy models) as a share of the toy models' latencies: the smallest and the largest."""
    shares = 100 * fixed_cost_ms / toy_cost["latency_median_ms"]
    return [Macro(camel("ToyFixedCostShareLow"), f"{shares.min():.0f}", source),
            Macro(camel("ToyFixedCostShareHigh"), f"{shares.max():.0f}", source),
            Macro(camel("FixedCostMicroseconds"), f"{1000 * fixed_cost_ms:.2f}", source)]


def settings_macros(section: dict, source: str) -> list[Macro]:
    toy, ae = section["toy"], section["autoencoder"]
    values = {
        "ToySamples": thousands(toy["samples"]), "ToyEpochs": str(toy["epochs"]),
        "ToyBatchSize": thousands(toy["batch_size"]), "ToyFinetuneEpochs": count_of(toy["finetune_epochs"], "epoch"),
        "ToyFinetuneSamples": thousands(toy["finetune_samples"]),
        "ToyMaxCycles": str(toy["max_cycles"]), "ToyLOne": f"{toy['l1']:g}",
        "ToyRefitEpochs": count_of(toy["l1_refit_epochs"], "epoch"), "ToyConvergedMse": scientific(toy["converged_mse"], 0),
        "ToyMinProbability": f"{toy['selection']['min_probability']:g}",
        "ToyTolerance": scientific(toy["selection"]["contribution_tolerance"], 0),
        "ToyOutlierStds": f"{toy['selection']['outlier_stds']:g}",
        "ToyTestSamples": thousands(toy["test_samples"]), "ToyMomentum": f"{toy['momentum']:g}",
        **{f"ToyLearningRate{name.capitalize()}": f"{rate:g}" for name, rate in toy["learning_rates"].items()},
        "AutoencoderEpochs": str(ae["epochs"]), "AutoencoderLearningRate": f"{ae['learning_rate']:g}",
        "AutoencoderBatchSize": str(ae["batch_size"]), "AutoencoderFinetuneImages": thousands(ae["finetune_images"]),
        "AutoencoderLOne": f"{ae['l1']:g}", "AutoencoderFinetuneLearningRate": f"{ae['finetune_learning_rate']:g}", "AutoencoderCountImages": thousands(ae["count_images"]),
        "AutoencoderMaxCycles": str(ae["max_cycles"]),
        "AutoencoderMinProbability": f"{ae['selection']['min_probability']:g}",
        "AutoencoderOutlierStds": f"{ae['selection']['outlier_stds']:g}",
        "AutoencoderTolerance": scientific(ae["selection"]["contribution_tolerance"], 0),
    }
    from mobileopt.models.autoencoder import BATCH_NORM_MOMENTUM

    return [Macro(camel(name), value, source) for name, value in values.items()] + [
        Macro(camel("AutoencoderBatchNormMomentum"), f"{BATCH_NORM_MOMENTUM:g}", "mobileopt.models.autoencoder")]


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    artifacts.atomic_write_text(path, frame.to_csv(index=False))
