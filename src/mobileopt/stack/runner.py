"""One seed of the stacked pipeline, end to end: every stage's model fine-tuned, converted, measured.

Usage (what rule stack_seed runs): python -m mobileopt.stack.runner --config C --baseline B --data D \
    --out results/stack/seed_0 --replicate 0
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import mobileopt  # noqa: F401
from mobileopt.stack import archive
from mobileopt.stack.pipeline import STAGES, FineTuning, StackSettings


def fine_tuning_data(arrays: dict, settings: StackSettings, teacher) -> tuple[FineTuning, tuple]:
    """The fine-tuning images (the first `train_images`) with the teacher's logits, and the scoring
    images (after them, before the selection split: compression.fisher_pruning.scoring_split)."""
    from mobileopt.compression.fisher_pruning import scoring_split
    from mobileopt.core.training import require_held_out
    from mobileopt.stack.distillation import teacher_logits

    count = settings.train_images or len(arrays["train_labels"]) - len(arrays["selection_labels"]) \
        - settings.scoring_images
    images, labels = arrays["train_images"][:count], arrays["train_labels"][:count]
    require_held_out(labels, arrays, "the stacked pipeline's fine-tuning (stack.fine_tune.train_images)")
    scoring = scoring_split(arrays, settings.scoring_images, count)
    return FineTuning(images, labels, teacher_logits(teacher, images)), scoring


def deployable(model, stage: str, calibration: np.ndarray, has_zeros: bool = True) -> tuple[bytes, str]:
    """The stage's .tflite: float32 (int8 after QAT), in the sparse encoding when that is smaller (tried
    only for a model with zero weights)."""
    from mobileopt.compression import tflite

    weights = "int8" if stage == "int8" else "float32"
    forms = {encoding: tflite.convert(model, tflite.ConversionOptions(sparse=encoding == "sparse", weights=weights,
                                                                      integer_io=weights == "int8"),
                                      calibration if weights == "int8" else None)
             for encoding in (("dense", "sparse") if has_zeros else ("dense",))}
    encoding = min(forms, key=lambda name: (len(forms[name]), name != "dense"))
    return forms[encoding], f"{weights} {encoding}"


def measure(flatbuffer: bytes, form: str, arrays: dict, stage: str, out_dir: Path, threads: int,
            counts: dict) -> dict:
    """Write the stage's .tflite, its archival form and its record (sizes, LiteRT accuracies, `counts`)."""
    from mobileopt.compression import tflite
    from mobileopt.core import artifacts

    codec, archived = archive.encode(flatbuffer)
    artifacts.atomic_write_bytes(out_dir / f"{stage}.tflite.archive", archived)
    return tflite.write_artefact(flatbuffer, out_dir / f"{stage}.tflite", out_dir / f"{stage}.json", arrays,
                                 threads, stage=stage, format=form, archival_codec=codec,
                                 archival_bytes=len(archived), **counts)


def counts_of(model) -> dict:
    """Parameters, non-zero parameters, multiply-adds and distinct kernel values of a plain Keras model."""
    from mobileopt.compression.training import count_nonzero_parameters
    from mobileopt.compression.weight_sharing import distinct_kernel_values
    from mobileopt.measurement import cost_model

    return {"parameters": cost_model.count_parameters(model), "nonzero_parameters": count_nonzero_parameters(model),
            "multiply_adds": cost_model.count_multiply_adds(model),
            "distinct_kernel_values": distinct_kernel_values(model)}


def run_seed(config: dict, baseline_path: str | Path, data_path: str | Path, out_dir: str | Path,
             replicate: int, threads: int) -> list[dict]:
    import pandas as pd
    import tf_keras as keras

    from mobileopt.compression import quantization, training as ft
    from mobileopt.core import artifacts, training
    from mobileopt.core.runtime import configure_tensorflow
    from mobileopt.stack import pipeline

    seed = training.training_seed(config["seed"], "stack", "pipeline", config["seeds"][replicate])
    configure_tensorflow(seed, threads)
    settings = StackSettings.from_config(config)
    arrays = training.load_configured_dataset(config, data_path)
    baseline = ft.load_baseline(baseline_path)
    data, scoring = fine_tuning_data(arrays, settings, baseline)
    calibration = quantization.representative_images(arrays, settings.representative_images)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log, records, model, plain = [], [], baseline, None
    for stage in STAGES:
        keras.utils.set_random_seed(training.training_seed(seed, "stack", stage, replicate))
        if stage == "channels":
            model = plain = pipeline.prune_channels(model, data, scoring, settings, log)
        elif stage == "sparsity":
            model = plain = pipeline.sparsify(model, data, settings, log)
        elif stage == "clusters":
            model = plain = pipeline.cluster(model, data, settings, log)
        else:  # the int8 model's weights are the clusters stage's plain layers, fake-quantised
            model = pipeline.quantisation_aware(plain, data, settings, log)
        counts = counts_of(plain)
        flatbuffer, form = deployable(model, stage, calibration, counts["nonzero_parameters"] < counts["parameters"])
        record = measure(flatbuffer, form, arrays, stage, out_dir, threads, counts)
        records.append(dict(record, replicate=replicate, seed=seed))
    artifacts.atomic_write_text(out_dir / "history.csv", pd.concat(log, ignore_index=True).to_csv(index=False))
    return records


def main(argv: list[str] | None = None) -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--config", "--baseline", "--data", "--out"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--replicate", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    config = yaml.safe_load(Path(args.config).read_text())
    for record in run_seed(config, args.baseline, args.data, args.out, args.replicate, args.threads):
        print({key: record[key] for key in ("stage", "format", "tflite_bytes", "archival_bytes",
                                            "litert_test_accuracy", "multiply_adds")})


if __name__ == "__main__":
    main()
