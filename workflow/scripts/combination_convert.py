"""Rule combination_convert: one source model in every configured number format (mobileopt.comparison.combination)."""
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.comparison.combination import convert_source

with redirect_output_to(snakemake.log[0]):
    config = snakemake.params.config  # seed, data limits and combination settings
    for record in convert_source(config, snakemake.params.source, snakemake.input.npz, snakemake.threads):
        print(record)
