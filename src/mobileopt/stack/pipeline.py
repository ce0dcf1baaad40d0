"""The stages of the stacked pipeline, each fine-tuned (with distillation from the baseline) from the
model the stage before left:

1. channels: Fisher scores, global cost-aware removal (allocation.global_removal) in rounds down to a
   multiply-add target, each round fine-tuned on its own slice, then a recovery fine-tune;
2. sparsity: TFMOT magnitude pruning of the remaining kernels (polynomial schedule);
3. clusters: TFMOT sparsity-preserving weight clustering;
4. int8: TFMOT cluster- and sparsity-preserving quantisation-aware training (PCQAT), converted to a
   fully int8 TFLite model.

Each stage's deployable form (float32 TFLite for 1-3, int8 for 4; the sparse encoding where it is
smaller) is what the thesis measures: size, archival size, LiteRT accuracy and latency.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import mobileopt  # noqa: F401
from mobileopt.stack import allocation
from mobileopt.stack.distillation import Distillation, fit_distilled

STAGES = ("channels", "sparsity", "clusters", "int8")


def stage_files(replicate: int | str, suffix: str) -> list[str]:
    """The workflow's file of every stage of one seed: results/stack/seed_<replicate>/<stage><suffix>."""
    return [f"results/stack/seed_{replicate}/{stage}{suffix}" for stage in STAGES]


# The sparsity schedule: the compression topic's (config compression.pruning) shape, fixed here: the
# target is reached at 60 % of the stage's steps and the rest fine-tunes the final mask.
SCHEDULE_END_FRACTION = 0.6
UPDATE_EVERY_STEPS = 10


@dataclass(frozen=True)
class StackSettings:
    layers: tuple[str, ...]            # layers whose channels may go
    multiply_adds_fraction: float      # what channel pruning leaves, of the baseline's multiply-adds
    rounds: int
    scoring_images: int
    recovery_epochs: int
    sparsity: dict[str, float]         # layer -> fraction of zeros in its kernel
    cluster_layers: tuple[str, ...]
    clusters: int
    stage_epochs: int                  # fine-tuning epochs of stages 2-4
    train_images: int | None           # fine-tuning images: the first N of the training set
    learning_rate: float
    batch_size: int
    optimizer: str
    distillation: Distillation
    representative_images: int

    @classmethod
    def from_config(cls, config: dict) -> "StackSettings":
        section = config["stack"]
        return cls(layers=tuple(section["channels"]["layers"]),
                   multiply_adds_fraction=section["channels"]["multiply_adds_fraction"],
                   rounds=section["channels"]["rounds"], scoring_images=section["channels"]["scoring_images"],
                   recovery_epochs=section["channels"]["recovery_epochs"],
                   sparsity=dict(section["sparsity"]),
                   cluster_layers=tuple(section["clusters"]["layers"]), clusters=section["clusters"]["count"],
                   stage_epochs=section["fine_tune"]["epochs"], train_images=section["fine_tune"]["train_images"],
                   learning_rate=section["fine_tune"]["learning_rate"],
                   batch_size=config["baseline"]["batch_size"], optimizer=config["baseline"]["optimizer"],
                   distillation=Distillation(**section["distillation"]),
                   representative_images=section["representative_images"])

    def training(self, epochs: int):
        from mobileopt.core.training import TrainingSettings

        # Patience = epochs: the short budget runs in full and the best epoch on the held-out share is kept.
        return TrainingSettings(epochs=epochs, batch_size=self.batch_size, optimizer=self.optimizer,
                                learning_rate=self.learning_rate, lr_schedule="cosine", validation_fraction=0.1,
                                early_stopping_patience=epochs)


@dataclass
class FineTuning:
    """The images a stage fine-tunes on and the teacher's logits for them."""
    images: np.ndarray
    labels: np.ndarray
    teacher: np.ndarray

    def slice(self, index: int, parts: int) -> "FineTuning":
        size = len(self.labels) // parts
        part = slice(index * size, (index + 1) * size)
        return FineTuning(self.images[part], self.labels[part], self.teacher[part])


def prune_channels(baseline, data: FineTuning, scoring: tuple, settings: StackSettings, log: list):
    """Stage 1: rounds of Fisher scoring -> global removal -> distilled fine-tuning on the round's slice,
    then `recovery_epochs` over all fine-tuning images. Multiply-add targets fall geometrically per round."""
    from mobileopt.compression.fisher_pruning import channel_scores, remove_channels

    model = baseline
    start = allocation.total_multiply_adds(allocation.chain_of(baseline), {})
    for index in range(settings.rounds):
        target = start * settings.multiply_adds_fraction ** ((index + 1) / settings.rounds)
        scores = channel_scores(model, *scoring, settings.layers)["fisher"]
        model = remove_channels(model, allocation.global_removal(allocation.chain_of(model), scores, target))
        part = data.slice(index, settings.rounds)
        frame, seconds = fit_distilled(model, part.images, part.labels, part.teacher, settings.training(1),
                                       settings.distillation)
        log.append(frame.assign(stage="channels", step=f"round {index + 1}", seconds=seconds))
    if settings.recovery_epochs:
        frame, seconds = fit_distilled(model, data.images, data.labels, data.teacher,
                                       settings.training(settings.recovery_epochs), settings.distillation)
        log.append(frame.assign(stage="channels", step="recovery", seconds=seconds))
    return model


def sparsify(model, data: FineTuning, settings: StackSettings, log: list):
    """Stage 2: magnitude pruning of each layer of `sparsity` to its target (Zhu and Gupta's polynomial
    schedule), stripped to a plain model with exact zeros."""
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    from mobileopt.compression.training import steps_per_epoch
    from mobileopt.compression.weight_pruning import plain_copy, polynomial_decay, strip

    steps = settings.stage_epochs * steps_per_epoch(len(data.labels), settings.batch_size)
    require_layers(model, tuple(settings.sparsity), "stack.sparsity")
    model = plain_copy(model)  # fresh layers: the wrappers must not train the previous stage's model

    def wrap(layer):
        if layer.name in settings.sparsity:
            schedule = polynomial_decay(settings.sparsity[layer.name], steps, SCHEDULE_END_FRACTION,
                                        UPDATE_EVERY_STEPS)
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)
        return layer
    wrapped = keras.models.clone_model(model, clone_function=wrap)
    frame, seconds = fit_distilled(wrapped, data.images, data.labels, data.teacher,
                                   settings.training(settings.stage_epochs), settings.distillation,
                                   callbacks=(tfmot.sparsity.keras.UpdatePruningStep(),))
    log.append(frame.assign(stage="sparsity", step="fine-tune", seconds=seconds))
    return strip(wrapped)


def cluster(model, data: FineTuning, settings: StackSettings, log: list):
    """Stage 3: k-means weight clustering of `cluster_layers` that keeps the zeros zero."""
    import tensorflow_model_optimization as tfmot
    import tf_keras as keras

    from mobileopt.compression.weight_pruning import plain_copy
    from mobileopt.compression.weight_sharing import strip as strip_clustering

    require_layers(model, settings.cluster_layers, "stack.clusters.layers")
    model = plain_copy(model)  # fresh layers: the wrappers must not train the previous stage's model
    init = tfmot.clustering.keras.CentroidInitialization.KMEANS_PLUS_PLUS

    def wrap(layer):
        if layer.name in settings.cluster_layers:
            return tfmot.clustering.keras.cluster_weights(layer, number_of_clusters=settings.clusters,
                                                          cluster_centroids_init=init, preserve_sparsity=True)
        return layer
    wrapped = keras.models.clone_model(model, clone_function=wrap)
    frame, seconds = fit_distilled(wrapped, data.images, data.labels, data.teacher,
                                   settings.training(settings.stage_epochs), settings.distillation)
    log.append(frame.assign(stage="clusters", step="fine-tune", seconds=seconds))
    return strip_clustering(wrapped)


def quantisation_aware(model, data: FineTuning, settings: StackSettings, log: list):
    """Stage 4: PCQAT, TFMOT's collaborative-optimisation QAT that keeps both the clusters and the zeros;
    returns the fake-quantised model (the converter turns it into int8)."""
    import tensorflow_model_optimization as tfmot

    from mobileopt.compression.weight_pruning import plain_copy

    annotated = tfmot.quantization.keras.quantize_annotate_model(plain_copy(model))
    quantised = tfmot.quantization.keras.quantize_apply(annotated, per_layer_cluster_preserve_scheme())
    frame, seconds = fit_distilled(quantised, data.images, data.labels, data.teacher,
                                   settings.training(settings.stage_epochs), settings.distillation)
    log.append(frame.assign(stage="int8", step="fine-tune", seconds=seconds))
    return quantised


def per_layer_cluster_preserve_scheme():
    """TFMOT's Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=True), with one weight quantizer
    per layer. TFMOT 0.8 shares one quantizer object among all layers of a kind and switches its
    preserve_sparsity off for good at the first layer without zeros (here conv1, which is not pruned):
    every later layer then loses its zeros during QAT (measured: conv3 went from 75 % zeros to none).
    A copy per layer keeps the switch local to the layer it is about."""
    import copy

    from tensorflow_model_optimization.python.core.quantization.keras.collab_opts.cluster_preserve import (
        cluster_preserve_quantize_registry as registry)
    from tensorflow_model_optimization.python.core.quantization.keras.collab_opts.cluster_preserve import (
        default_8bit_cluster_preserve_quantize_scheme as scheme)

    class PerLayerRegistry(registry.Default8bitClusterPreserveQuantizeRegistry):
        def get_quantize_config(self, layer):
            config = super().get_quantize_config(layer)
            quantizer = getattr(config, "weight_quantizer", None)
            if isinstance(quantizer, registry.ClusterPreserveDefaultWeightsQuantizer):
                config.weight_quantizer = copy.copy(quantizer)
            return config

    class PerLayerScheme(scheme.Default8BitClusterPreserveQuantizeScheme):
        def get_quantize_registry(self):
            return PerLayerRegistry(self.preserve_sparsity)

    return PerLayerScheme(preserve_sparsity=True)


def require_layers(model, layers: tuple[str, ...], key: str) -> None:
    missing = set(layers) - {layer.name for layer in model.layers}
    if missing:
        raise ValueError(f"{key} names {sorted(missing)}, which the model does not have")
