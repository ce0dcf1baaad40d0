"""Rule baseline_train: train the Table 2.2 classifier deterministically (mobileopt.core.training)."""
from pathlib import Path

from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import training_threads
from mobileopt.core.training import run_baseline

with redirect_output_to(snakemake.log[0]):
    out = snakemake.output
    params = snakemake.params
    outputs = {key: Path(getattr(out, key)) for key in ("model", "history", "metrics", "predictions")}
    metrics = run_baseline(params.config, Path(snakemake.input.npz), outputs,
                           training_threads(snakemake.threads, params.train_threads))
    print(metrics)
