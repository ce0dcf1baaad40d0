"""Fisher pruning of channels (section 2.7.3; Theis et al., 2018) against activation-count pruning.

Imagine a mask m_k multiplying feature map k of a layer. Removing the map sets m_k from 1 to 0; a
second-order expansion of the loss with the empirical Fisher information as the Hessian estimates the
loss increase as

    Delta_k = 1 / (2 N) * sum_n ( sum_{i,j} a_nkij g_nkij )^2 ,

with a the activations of map k (after ReLU) for example n and g the gradient of that example's loss with
respect to them (d loss / d m_k at m = 1). The baseline criterion is the activation count: the share of
positions and examples at which a channel is non-zero after ReLU (Hu et al., 2016, prune the channels
with the most zeros).

Both criteria score the channels of every prunable layer on the same scoring images; the lowest-scored
are removed for real (`remove_channels`: a smaller Keras model with the surviving weights copied, fewer
multiply-adds, a smaller TFLite file), the network is fine-tuned, and the procedure repeats for `rounds`
rounds until `fraction` of each layer's channels are gone. Equal fractions per layer make the two
criteria remove the same channels count, so only the choice of channels differs. Theis et al. remove
one map at a time during training; rounds are the affordable version of that here.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401
from mobileopt.compression import variants

CRITERIA = ("fisher", "activation_count")


def chain_weight_layers(model) -> list:
    return [layer for layer in model.layers if layer.get_weights()]


def activations_and_gradients(model, images: np.ndarray, labels: np.ndarray, layers: tuple[str, ...]):
    """Per layer in `layers`: its output (after activation) and d(per-example loss)/d(output).

    The chain is run layer by layer under a GradientTape that watches each named output; the loss summed
    over the batch has, per example, exactly that example's gradient (examples do not interact).
    """
    import tensorflow as tf
    import tf_keras as keras

    from mobileopt.models.surgery import chain_layers
    from mobileopt.core.training import to_model_input

    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    outputs = {}
    with tf.GradientTape() as tape:
        x = tf.constant(to_model_input(images))
        for layer in chain_layers(model):
            x = layer(x, training=False)
            if layer.name in layers:
                tape.watch(x)
                outputs[layer.name] = x
        loss = loss_function(labels, x)
    gradients = tape.gradient(loss, outputs)
    return {name: (outputs[name].numpy(), gradients[name].numpy()) for name in layers}


def channel_scores(model, images: np.ndarray, labels: np.ndarray, layers: tuple[str, ...],
                   batch_size: int = 256) -> dict[str, dict[str, np.ndarray]]:
    """{criterion: {layer: score per channel}}: Fisher Delta_k and the activation count (higher = keep)."""
    fisher_terms = {name: [] for name in layers}
    nonzero = {name: [] for name in layers}
    for start in range(0, len(images), batch_size):
        batch = activations_and_gradients(model, images[start:start + batch_size],
                                          labels[start:start + batch_size], layers)
        for name, (activation, gradient) in batch.items():
            spatial = tuple(range(1, activation.ndim - 1))  # (H, W) for maps, () for dense units
            per_example = np.sum(activation * gradient, axis=spatial) if spatial else activation * gradient
            fisher_terms[name].append(per_example.astype(np.float64) ** 2)
            nonzero[name].append(np.mean(activation > 0, axis=spatial) if spatial else (activation > 0))
    return {
        "fisher": {name: 0.5 * np.mean(np.concatenate(fisher_terms[name]), axis=0) for name in layers},
        "activation_count": {name: np.mean(np.concatenate(nonzero[name]), axis=0) for name in layers},
    }


def channels_to_keep(scores: dict[str, np.ndarray], remove: dict[str, int]) -> dict[str, np.ndarray]:
    """Per layer, the indices (ascending) of the channels left after removing the `remove[layer]`
    lowest-scored ones. Ties break towards removing the higher index (stable)."""
    keep = {}
    for name, score in scores.items():
        count = remove.get(name, 0)
        if not 0 <= count < len(score):
            raise ValueError(f"{name}: cannot remove {count} of {len(score)} channels (one must stay)")
        order = np.argsort(-np.asarray(score), kind="stable")  # best first
        keep[name] = np.sort(order[:len(score) - count])
    return keep


def remove_channels(model, keep: dict[str, np.ndarray]):
    """A smaller chain model without the dropped output channels of the layers in `keep`.

    Each weight layer loses the dropped output channels (kernel's last axis, bias) and, after a pruned
    layer, the matching input channels (kernel axis -2). Pooling and Flatten pass channels through;
    Flatten only when it flattens a 1x1 map (as in the Table 2.2 classifier), else channels and features
    would not correspond.
    """
    import tf_keras as keras

    from mobileopt.models.surgery import chain_layers, copy_layer

    inputs = keras.Input(model.input_shape[1:], name=model.layers[0].name)
    x, kept_inputs = inputs, None  # kept_inputs: surviving channels of the tensor flowing in
    for layer in chain_layers(model):
        config = layer.get_config()
        weights = layer.get_weights()
        if weights:
            kernel, rest = weights[0], weights[1:]
            if kept_inputs is not None:
                kernel = np.take(kernel, kept_inputs, axis=-2)
            kept_outputs = keep.get(layer.name)
            if kept_outputs is not None:
                kernel = np.take(kernel, kept_outputs, axis=-1)
                rest = [np.take(w, kept_outputs, axis=-1) for w in rest]
                config["filters" if "filters" in config else "units"] = len(kept_outputs)
            fresh = layer.__class__.from_config(config)
            x = fresh(x)
            fresh.set_weights([kernel] + rest)
            kept_inputs = kept_outputs
        else:
            if isinstance(layer, keras.layers.Flatten) and kept_inputs is not None and \
                    int(np.prod(x.shape[1:-1])) != 1:
                raise ValueError(f"{layer.name}: channel removal through Flatten needs a 1x1 map, got {x.shape}")
            fresh = copy_layer(layer)
            x = fresh(x)
    missing = set(keep) - {layer.name for layer in chain_weight_layers(model)}
    if missing:
        raise ValueError(f"no weight layer(s) {sorted(missing)} in {model.name}")
    return keras.Model(inputs, x, name=f"{model.name}_pruned")


def removed_count(fraction: float, channels: int) -> int:
    """Channels a layer loses when `fraction` of its `channels` are removed."""
    return int(round(fraction * channels))


def removal_schedule(channels: dict[str, int], fraction: float, rounds: int) -> list[dict[str, int]]:
    """Channels to remove per layer in each round, so that round(fraction * channels) are gone in total."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction of channels to remove must lie in (0, 1), got {fraction}")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    schedule = []
    for index in range(rounds):
        step = {}
        for name, count in channels.items():
            total = removed_count(fraction, count)
            step[name] = total * (index + 1) // rounds - total * index // rounds
        schedule.append(step)
    return schedule


def prune_iteratively(model, arrays: dict, criterion: str, fraction: float, section: dict, fine_tune,
                      scoring: tuple[np.ndarray, np.ndarray]):
    """Rounds of score -> remove -> fine-tune, each round on its own slice of the fine-tuning images.
    Returns the final model, its training history (a `round` column added), seconds and images."""
    import pandas as pd

    from mobileopt.compression import training as ft

    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; use one of {CRITERIA}")
    layers = tuple(section["layers"])
    channels = {name: model.get_layer(name).get_weights()[0].shape[-1] for name in layers}
    rounds = section["rounds"]
    images_per_round = (fine_tune.train_images or len(arrays["train_labels"])) // rounds
    seconds, images, frames = 0.0, 0, []
    for index, remove in enumerate(removal_schedule(channels, fraction, rounds)):
        scores = channel_scores(model, *scoring, layers)[criterion]
        model = remove_channels(model, channels_to_keep(scores, remove))
        frame, round_seconds, round_images = ft.fine_tune(model, arrays, fine_tune, start=index * images_per_round,
                                                          train_images=images_per_round)
        seconds, images = seconds + round_seconds, images + round_images
        frames.append(frame.assign(round=index + 1))
    return model, pd.concat(frames, ignore_index=True), seconds, images


def one_shot_accuracy(model, arrays: dict, scores: dict[str, np.ndarray], fraction: float) -> float:
    """Test accuracy right after removing `fraction` of each layer's channels at once, no fine-tuning:
    the criteria compared on their choice of channels alone."""
    from mobileopt.compression import training as ft
    from mobileopt.core.training import evaluate_classifier

    remove = {name: removed_count(fraction, len(score)) for name, score in scores.items()}
    pruned = remove_channels(model, channels_to_keep(scores, remove))
    ft.compile_for_evaluation(pruned)
    return evaluate_classifier(pruned, arrays)["test_accuracy"]


def scoring_split(arrays: dict, images: int, fine_tune_images: int | None) -> tuple:
    """The images channels are scored on: the last `images` training images before the selection split
    (the variants are chosen on that split, so it must not choose their channels too), and after the
    fine-tuning images (which the rounds train on from the start of the set); never the test set."""
    stop = len(arrays["train_labels"]) - len(arrays["selection_labels"])
    start = stop - images
    if fine_tune_images is None or start < fine_tune_images:
        raise ValueError(f"compression.fisher_pruning.scoring_images ({images}) would overlap the fine-tuning "
                         f"images (the first {fine_tune_images or 'all'}) or the selection split (the last "
                         f"{len(arrays['selection_labels'])}): lower scoring_images or fine_tune.train_images")
    return arrays["train_images"][start:stop], arrays["train_labels"][start:stop]


def run_fisher_pruning(config: dict, baseline_path: str | Path, data_path: str | Path, out_dir: str | Path,
                       tflite_dir: str | Path, threads: int) -> list[dict]:
    """The channel scores (out_dir/channel_scores.csv) and every pruned, fine-tuned variant."""
    import pandas as pd
    import tf_keras as keras

    from mobileopt.core import artifacts
    from mobileopt.compression import tflite
    from mobileopt.compression import training as ft

    arrays, fine_tune = ft.prepare_fine_tuning(config, data_path, threads)
    section = config["compression"]["fisher_pruning"]
    scoring = scoring_split(arrays, section["scoring_images"], fine_tune.train_images)
    baseline = ft.load_baseline(baseline_path)
    layers = tuple(section["layers"])
    initial = channel_scores(baseline, *scoring, layers)
    out_dir, tflite_dir = Path(out_dir), Path(tflite_dir)
    artifacts.atomic_write_text(out_dir / "channel_scores.csv", pd.DataFrame([
        {"criterion": criterion, "layer": name, "channel": index, "score": float(value)}
        for criterion, per_layer in initial.items() for name, values in per_layer.items()
        for index, value in enumerate(values)]).to_csv(index=False))
    records = []
    for fraction in section["fractions"]:
        for criterion in section["criteria"]:
            name = f"{criterion}_{variants.percent(fraction)}"
            keras.utils.set_random_seed(config["seed"])
            model, frame, seconds, images = prune_iteratively(
                ft.load_baseline(baseline_path), arrays, criterion, fraction, section, fine_tune, scoring)
            metrics = ft.describe_model(model, arrays, config["seed"], threads, seconds, frame, fine_tune, images)
            metrics.update(criterion=criterion, fraction=fraction, rounds=section["rounds"],
                           test_accuracy_one_shot=one_shot_accuracy(baseline, arrays, initial[criterion], fraction),
                           channels={layer.name: int(layer.get_weights()[0].shape[-1])
                                     for layer in chain_weight_layers(model)})
            ft.save_variant(model, frame, metrics, out_dir / name)
            records.append(tflite.write_artefact(tflite.convert(model), tflite_dir / f"{name}.tflite",
                                                 out_dir / f"{name}.json", arrays, threads, method="fisher_pruning",
                                                 model=name, format="float32"))
    return records
