"""Rule compression_sparse_kernels: time sparse against dense products (mobileopt.compression.sparse_kernels)."""
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.compression.sparse_kernels import run

with redirect_output_to(snakemake.log[0]):
    run(snakemake.params.config, snakemake.input.baseline, snakemake.output.timings, snakemake.output.rounds,
        snakemake.output.break_even)
