"""Truncated-SVD factorisation of weight layers (section 2.6), replaced by two real, smaller layers.

A layer computing X W with W [N x M] (a Dense kernel, or a k x k convolution kernel reshaped to
[k*k*C_in x C_out]) is replaced by X O P with O = U_L sqrt(S_L) [N x L] and P = sqrt(S_L) V_L^T [L x M],
the rank-L truncation of W = U S V^T, which is the best rank-L approximation (Eckart-Young). As layers:

* Dense(M)        -> Dense(L, no bias) then Dense(M, bias, activation);
* Conv2D(M, k x k) -> Conv2D(L, k x k, same stride and padding, no bias) then Conv2D(M, 1 x 1, bias,
  activation).

Both are ordinary layers, so the multiply-adds really drop from K N M to K L (N + M) (K = output
positions x batch) and the TFLite model really shrinks; this pays when L < N M / (N + M). At full rank
(L = min(N, M)) the factorised layer reproduces the original up to float rounding (tests check this).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import mobileopt  # noqa: F401
from mobileopt.compression import variants


def kernel_matrix(layer) -> np.ndarray:
    """The layer's kernel as the matrix W [inputs x outputs] of X W."""
    kernel = layer.get_weights()[0]
    return kernel.reshape(-1, kernel.shape[-1])


def full_rank(layer) -> int:
    return int(min(kernel_matrix(layer).shape))


def break_even_rank(layer) -> float:
    """Ranks below N M / (N + M) save multiply-adds and parameters."""
    rows, columns = kernel_matrix(layer).shape
    return rows * columns / (rows + columns)


def truncated_factors(matrix: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """O [N x L], P [L x M] with O P the best rank-L approximation of `matrix`; sqrt(S) split evenly so
    both factors have similar scales (better conditioned for fine-tuning)."""
    if not 1 <= rank <= min(matrix.shape):
        raise ValueError(f"rank {rank} outside 1..{min(matrix.shape)} for a {matrix.shape} matrix")
    u, s, vt = np.linalg.svd(matrix.astype(np.float64), full_matrices=False)
    root = np.sqrt(s[:rank])
    return (u[:, :rank] * root).astype(np.float32), (root[:, None] * vt[:rank]).astype(np.float32)


def relative_error(matrix: np.ndarray, rank: int) -> float:
    """||W - W_L||_F / ||W||_F = sqrt(sum of the discarded squared singular values / all of them)."""
    s = np.linalg.svd(matrix.astype(np.float64), compute_uv=False)
    return float(np.sqrt(np.sum(s[rank:] ** 2) / np.sum(s ** 2)))


def factorised_layer(layer, rank: int, x):
    """Apply the two layers that replace `layer` at rank `rank` to tensor `x` (weights set from the SVD)."""
    import tf_keras as keras

    dense = isinstance(layer, keras.layers.Dense)
    plain_conv = type(layer) is keras.layers.Conv2D and layer.groups == 1 and tuple(layer.dilation_rate) == (1, 1)
    if not (dense or plain_conv):
        raise ValueError(f"{layer.name}: SVD factorisation supports Dense and plain Conv2D layers, "
                         f"not {type(layer).__name__}")
    first_factor, second_factor = truncated_factors(kernel_matrix(layer), rank)
    bias = layer.get_weights()[1:]
    if dense:
        first = keras.layers.Dense(rank, use_bias=False, name=f"{layer.name}_svd1")
        second = keras.layers.Dense(layer.units, activation=layer.activation, use_bias=layer.use_bias,
                                    name=f"{layer.name}_svd2")
        y = second(first(x))
        first.set_weights([first_factor])
        second.set_weights([second_factor] + bias)
        return y
    kernel_h, kernel_w, channels_in, channels_out = layer.get_weights()[0].shape
    first = keras.layers.Conv2D(rank, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                                use_bias=False, name=f"{layer.name}_svd1")
    second = keras.layers.Conv2D(channels_out, 1, activation=layer.activation, use_bias=layer.use_bias,
                                 name=f"{layer.name}_svd2")
    y = second(first(x))
    first.set_weights([first_factor.reshape(kernel_h, kernel_w, channels_in, rank)])
    second.set_weights([second_factor.reshape(1, 1, rank, channels_out)] + bias)
    return y


def factorise(model, ranks: dict[str, int]):
    """`model` with each layer in `ranks` replaced by its rank-L factorisation (others copied)."""
    from mobileopt.models.surgery import rebuild

    def replacement(rank):
        return lambda layer, x: factorised_layer(layer, rank, x)
    return rebuild(model, {name: replacement(rank) for name, rank in ranks.items()},
                   name=f"{model.name}_svd")


def weight_layers(model) -> list:
    return [layer for layer in model.layers if layer.get_weights() and layer.get_weights()[0].ndim >= 2]


def singular_values(model) -> pd.DataFrame:
    """Tidy spectra of every weight layer: layer, index, singular value, relative to the largest, and the
    share of the squared Frobenius norm kept by the first `index` values (energy)."""
    rows = []
    for layer in weight_layers(model):
        s = np.linalg.svd(kernel_matrix(layer).astype(np.float64), compute_uv=False)
        energy = np.cumsum(s ** 2) / np.sum(s ** 2)
        rows += [{"layer": layer.name, "matrix": "x".join(map(str, kernel_matrix(layer).shape)),
                  "index": i + 1, "singular_value": float(value), "relative": float(value / s[0]),
                  "energy": float(energy[i])} for i, value in enumerate(s)]
    return pd.DataFrame(rows)


def rank_sweep(model, arrays: dict, layers: tuple[str, ...], ranks: tuple[int, ...]) -> pd.DataFrame:
    """Accuracy without fine-tuning when one layer at a time is factorised, for every rank (capped at
    the layer's full rank, which is always included as the check that nothing else changed)."""
    from mobileopt.compression import training as ft
    from mobileopt.measurement import cost_model
    from mobileopt.core.training import evaluate_classifier

    rows = []
    for name in layers:
        layer = model.get_layer(name)
        for rank in sorted({r for r in ranks if r < full_rank(layer)} | {full_rank(layer)}):
            factorised = factorise(model, {name: rank})
            ft.compile_for_evaluation(factorised)
            metrics = evaluate_classifier(factorised, arrays)
            rows.append({"layer": name, "rank": rank, "full_rank": full_rank(layer),
                         "break_even_rank": break_even_rank(layer),
                         "relative_error": relative_error(kernel_matrix(layer), rank),
                         "test_accuracy": metrics["test_accuracy"], "test_loss": metrics["test_loss"],
                         "validation_accuracy": metrics["validation_accuracy"],
                         "parameters": cost_model.count_parameters(factorised),
                         "multiply_adds": cost_model.count_multiply_adds(factorised)})
    return pd.DataFrame(rows)


def run_factorization(config: dict, baseline_path: str | Path, data_path: str | Path, out_dir: str | Path,
                      tflite_dir: str | Path, threads: int) -> list[dict]:
    """Spectra, the rank sweep (out_dir/singular_values.csv, out_dir/rank_sweep.csv), and the fine-tuned
    variants with their TFLite artefacts."""
    import tf_keras as keras

    from mobileopt.core import artifacts
    from mobileopt.compression import tflite
    from mobileopt.compression import training as ft

    arrays, fine_tune = ft.prepare_fine_tuning(config, data_path, threads)
    section = config["compression"]["factorization"]
    baseline = ft.load_baseline(baseline_path)
    out_dir, tflite_dir = Path(out_dir), Path(tflite_dir)
    artifacts.atomic_write_text(out_dir / "singular_values.csv", singular_values(baseline).to_csv(index=False))
    sweep = rank_sweep(baseline, arrays, tuple(section["layers"]), tuple(section["ranks"]))
    artifacts.atomic_write_text(out_dir / "rank_sweep.csv", sweep.to_csv(index=False))
    records = []
    for ranks in section["fine_tuned"]:
        name = variants.factorization_model_name(ranks)
        keras.utils.set_random_seed(config["seed"])
        model = factorise(baseline, ranks)
        before = ft.describe_model(model, arrays, config["seed"], threads)
        frame, seconds, images = ft.fine_tune(model, arrays, fine_tune)
        metrics = ft.describe_model(model, arrays, config["seed"], threads, seconds, frame, fine_tune, images)
        metrics.update(ranks=dict(ranks), test_accuracy_before_fine_tuning=before["test_accuracy"],
                       test_loss_before_fine_tuning=before["test_loss"],
                       relative_error={layer: relative_error(kernel_matrix(baseline.get_layer(layer)), rank)
                                       for layer, rank in ranks.items()})
        ft.save_variant(model, frame, metrics, out_dir / name)
        records.append(tflite.write_artefact(tflite.convert(model), tflite_dir / f"{name}.tflite",
                                             out_dir / f"{name}.json", arrays, threads,
                                             method="factorization", model=name, format="float32"))
    return records
