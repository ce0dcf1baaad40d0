"""Rule compression_scratch_control: the Table 2.2 network at a Fisher-pruned width, trained from scratch
(mobileopt.compression.scratch_control)."""
from mobileopt.compression import scratch_control
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import training_threads

with redirect_output_to(snakemake.log[0]):
    params = snakemake.params
    metrics = scratch_control.train(params.config, params.fraction, snakemake.input.npz, dict(snakemake.output),
                                    training_threads(snakemake.threads, params.train_threads))
    print(metrics)
