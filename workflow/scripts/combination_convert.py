"""Rule combination_convert: one source model in every configured number format (mobileopt.combination)."""
from mobileopt.artifacts import redirect_output_to
from mobileopt.combination import convert_source

with redirect_output_to(snakemake.log[0]):
    config = dict(snakemake.params.items())  # seed, data and combination blocks
    for record in convert_source(config, snakemake.params.source, snakemake.input.npz, snakemake.threads):
        print(record)
