"""Rule stack_seed: one seed of the stacked pipeline, every stage fine-tuned, converted and measured."""
from pathlib import Path

from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import training_threads
from mobileopt.stack import runner

with redirect_output_to(snakemake.log[0]):
    inp, params = snakemake.input, snakemake.params
    records = runner.run_seed(params.config, inp.baseline, inp.npz, Path(snakemake.output.history).parent,
                              int(snakemake.wildcards.replicate),
                              training_threads(snakemake.threads, params.train_threads))
    for record in records:
        print({key: value for key, value in record.items() if key != "litert_test_correct"})
