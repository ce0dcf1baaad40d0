"""Rule thesis_macros: merge every topic's macros (results/macros/*.json) into one LaTeX file."""
from mobileopt.core import artifacts
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to

with redirect_output_to(snakemake.log[0]):
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, list(snakemake.input.macros))
    macros = thesis.pipeline_macros(snakemake.params.config, stamp)
    for path in snakemake.input.macros:
        macros += thesis.read_macro_file(path)
    artifacts.atomic_write_text(snakemake.output.macros, thesis.macros_tex(macros, stamp))
    artifacts.record_provenance(snakemake.output.macros, "macros", "Numbers used in the text", stamp)
