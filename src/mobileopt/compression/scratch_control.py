"""The control of Liu et al. (2019), "Rethinking the value of network pruning": the Table 2.2 network at
the widths Fisher pruning leaves, trained from scratch once per configured seed with the baseline's
settings. If it is as accurate as the pruned and fine-tuned network, pruning found a good architecture
rather than weights worth keeping; if it is less accurate, the trained weights carried something.

No TensorFlow at import: the workflow imports this to name its jobs.
"""
from __future__ import annotations

from pathlib import Path

from mobileopt.compression.fisher_pruning import removed_count
from mobileopt.compression.variants import percent

# The Table 2.2 layers Fisher pruning can narrow, with their channels (models.classifier).
TABLE_2_2_CHANNELS = {"conv1": 32, "conv2": 64, "conv3": 128}
OUTPUTS = {"model": "model.keras", "history": "history.csv", "metrics": "metrics.json",
           "predictions": "predictions.npz"}


def name_of(fraction: float) -> str:
    return f"scratch_{percent(fraction)}"


def output_paths(name: str) -> dict[str, str]:
    return {key: f"results/compression/scratch/{name}/{file}" for key, file in OUTPUTS.items()}


def configured_fractions(config: dict) -> list[float]:
    """The fractions of channels Fisher pruning removes, when the config asks for the control."""
    section = config["compression"]["fisher_pruning"]
    return list(section["fractions"]) if section["scratch_control"] else []


def pruned_widths(fraction: float, layers: list[str]) -> dict[str, int]:
    """Channels of every layer after removing `fraction` of those of `layers`, as Fisher pruning
    removes them (fisher_pruning.removed_count)."""
    unknown = sorted(set(layers) - set(TABLE_2_2_CHANNELS))
    if unknown:
        raise ValueError(f"fisher_pruning.layers {unknown}: the scratch control narrows only {list(TABLE_2_2_CHANNELS)}")
    return {name: count - removed_count(fraction, count) if name in layers else count
            for name, count in TABLE_2_2_CHANNELS.items()}


def build(fraction: float, layers: list[str]):
    from mobileopt.models.architectures import build_operation_classifier

    widths = pruned_widths(fraction, layers)
    return build_operation_classifier(conv_filters=(widths["conv1"], widths["conv2"]), head_filters=widths["conv3"],
                                      name=name_of(fraction))


def train(config: dict, fraction: float, data_path: str | Path, outputs: dict, threads: int) -> dict:
    """Train the narrowed network once per seed with the baseline's settings (config baseline: its
    epochs, schedule, precision, early stopping); write model, history, metrics and predictions."""
    from mobileopt.core import training
    from mobileopt.core.runtime import configure_tensorflow

    configure_tensorflow(config["seed"], threads)
    arrays = training.load_configured_dataset(config, data_path)
    layers = config["compression"]["fisher_pruning"]["layers"]
    result = training.fit_replicates(lambda: build(fraction, layers), arrays,
                                     training.TrainingSettings.from_config(config["baseline"]), seed=config["seed"],
                                     experiment="compression_scratch", variant=name_of(fraction),
                                     replicates=config["seeds"], threads=threads)
    result.metrics.update(fraction=fraction, channels=pruned_widths(fraction, layers))
    training.save_replicates(result, outputs)
    return result.metrics
