"""The registry of compression methods, and the names of every variant, from the config's `compression` block.

Each method is declared once, in REGISTRY: its name (config section, rule and results folder), display
name, the module and function that run it, and how its variants are named. workflow/rules/compression.smk
generates one rule per entry; the summary, tables and figures iterate over it. So adding a method means:
its module (with a `run_*` function of the shared signature), its test, its config section (and schema),
its thesis section, and one entry here. Pure Python on purpose: the Snakefile imports it while parsing,
and importing TensorFlow there would slow down every `snakemake` call.

Two kinds of name per method:
* models: fine-tuned Keras variants, results/compression/<method>/<model>/{model.keras,history.csv,metrics.json};
* artefacts: .tflite files, results/tflite/compression/<method>/<artefact>.tflite with a record
  results/compression/<method>/<artefact>.json (sizes, operators, LiteRT accuracy); one model can give
  several artefacts (e.g. dense and sparse encodings of one pruned model).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

QUANTIZATION_FORMATS = ("float32", "dynamic_range", "float16", "int8")


def percent(fraction: float) -> int:
    return int(round(100 * fraction))


# --- magnitude pruning -----------------------------------------------------------------------------

def pruning_models(section: dict) -> list[str]:
    names = [f"sparsity_{percent(s)}" for s in section["sparsities"]]
    if section["two_by_four"]:
        names.append("two_four")
    names += [f"block_{percent(s)}" for s in section["block_sparsities"]]
    return names


def pruning_artefacts(section: dict) -> list[str]:
    """Each pruned model twice: float32 as usual (zeros stored densely) and in TFLite's sparse format."""
    return [name + suffix for name in pruning_models(section) for suffix in ("", "_sparse")]


# --- SVD factorisation -------------------------------------------------------------------------------

def factorization_model_name(ranks: dict[str, int]) -> str:
    """{'conv3': 16} -> 'conv3_r16'; layers in model order (conv1 < conv2 < conv3 < logits)."""
    return "_".join(f"{layer}_r{rank}" for layer, rank in sorted(ranks.items()))


def factorization_models(section: dict) -> list[str]:
    return [factorization_model_name(ranks) for ranks in section["fine_tuned"]]


# --- weight sharing ----------------------------------------------------------------------------------

def weight_sharing_models(section: dict) -> list[str]:
    return [f"clusters_{k}" for k in section["clusters"]]


def weight_sharing_artefacts(section: dict) -> list[str]:
    """The clustered models as float32 TFLite, plus the draft's tf.gather formulation for one k."""
    k = section["gather_clusters"]
    if k not in section["clusters"]:
        raise ValueError(f"compression.weight_sharing.gather_clusters {k} must be one of clusters "
                         f"{section['clusters']} (the gather models are built from that clustered model)")
    return weight_sharing_models(section) + [f"gather_int32_{k}", f"gather_int16_{k}"]


# --- quantisation ------------------------------------------------------------------------------------

def quantization_models(section: dict) -> list[str]:
    return ["qat"] if section["quantization_aware_training"] else []


def quantization_artefacts(section: dict) -> list[str]:
    return list(QUANTIZATION_FORMATS) + (["qat_int8"] if section["quantization_aware_training"] else [])


# --- Fisher pruning ----------------------------------------------------------------------------------

def fisher_models(section: dict) -> list[str]:
    return [f"{criterion}_{percent(fraction)}" for fraction in section["fractions"]
            for criterion in section["criteria"]]


# --- ef-operator -------------------------------------------------------------------------------------

def ef_models(section: dict) -> list[str]:
    return ["ef_" + "_".join(section["layers"])]


def ef_artefacts(section: dict) -> list[str]:
    """The ef classifier, and one fully connected layer in both forms (the operator's cost in isolation)."""
    return ef_models(section) + ["layer_dense", "layer_ef"]


# --- the registry --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Method:
    """One compression method: fine-tunes variants of the trained baseline and writes their .tflite files.

    Its runner is `module.runner(config, baseline_path, data_path, records_dir, tflite_dir, threads)` and
    returns the records it wrote; `config` holds seed, baseline, the data limits, compression.fine_tune
    and compression.<name>.
    """
    name: str  # config section compression.<name>, rule compression_<name>, results/compression/<name>/
    title: str  # display name in tables and figures
    section: str  # label of its Methods section in the thesis
    module: str  # mobileopt.compression.<module>
    runner: str
    models: Callable[[dict], list[str]]  # fine-tuned Keras variants, from the method's config section
    artefacts: Callable[[dict], list[str]] | None = None  # its .tflite files (default: one per model)
    outputs: tuple[str, ...] = ()  # further files in results/compression/<name>/ that the report reads
    runtime_minutes: int = 15  # Slurm time request (benchmarks of a full run: under 4 minutes)

    def artefact_names(self, section: dict) -> list[str]:
        return (self.artefacts or self.models)(section)


REGISTRY = (
    Method("pruning", "Magnitude pruning", "sec:prune-weights", "weight_pruning", "run_pruning",
           pruning_models, pruning_artefacts),
    Method("factorization", "SVD factorisation", "sec:svd", "factorization", "run_factorization",
           factorization_models, outputs=("rank_sweep.csv", "singular_values.csv")),
    Method("weight_sharing", "Weight sharing", "sec:weight-sharing", "weight_sharing", "run_weight_sharing",
           weight_sharing_models, weight_sharing_artefacts),
    Method("quantization", "Quantisation", "sec:quantisation", "quantization", "run_quantization",
           quantization_models, quantization_artefacts, runtime_minutes=10),
    Method("fisher_pruning", "Channel pruning", "sec:fisher", "fisher_pruning", "run_fisher_pruning",
           fisher_models, outputs=("channel_scores.csv",), runtime_minutes=10),
    Method("ef_operator", "ef-operator", "sec:ef-operator", "ef_operator", "run_ef_operator",
           ef_models, ef_artefacts, runtime_minutes=10),
)
METHODS = tuple(method.name for method in REGISTRY)
METHOD_NAMES = {"baseline": "Baseline", **{method.name: method.title for method in REGISTRY}}


def method(name: str) -> Method:
    return next(entry for entry in REGISTRY if entry.name == name)


def models(config: dict) -> dict[str, list[str]]:
    return {entry.name: entry.models(config["compression"][entry.name]) for entry in REGISTRY}


def artefacts(config: dict) -> dict[str, list[str]]:
    return {entry.name: entry.artefact_names(config["compression"][entry.name]) for entry in REGISTRY}


def model_files(config: dict, method: str) -> list[str]:
    return [f"results/compression/{method}/{name}/{kind}" for name in models(config)[method]
            for kind in ("model.keras", "history.csv", "metrics.json")]


def tflite_files(config: dict, method: str) -> list[str]:
    return [f"results/tflite/compression/{method}/{name}.tflite" for name in artefacts(config)[method]]


def record_files(config: dict, method: str) -> list[str]:
    return [f"results/compression/{method}/{name}.json" for name in artefacts(config)[method]]


def output_files(method_name: str) -> list[str]:
    return [f"results/compression/{method_name}/{name}" for name in method(method_name).outputs]


def latency_files(config: dict) -> list[str]:
    return [f"results/latency/compression/{method}/{name}.json"
            for method, names in artefacts(config).items() for name in names]
