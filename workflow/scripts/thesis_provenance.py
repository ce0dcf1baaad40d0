"""Rule thesis_provenance: the appendix table of every generated artifact and the rule that made it."""
from mobileopt.core import artifacts
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to

with redirect_output_to(snakemake.log[0]):
    records = [artifacts.read_json(path) for path in snakemake.input.records]
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, list(snakemake.input.records))
    artifacts.atomic_write_text(snakemake.output[0], thesis.provenance_tex(records, stamp))
