"""Rule compression_report: the topic's tables, figures and macros (mobileopt.compression.report)."""
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.compression.report import write_report

with redirect_output_to(snakemake.log[0]):
    inp, out = snakemake.input, snakemake.output
    paths = {key: inp[key] for key in ("summary", "timings", "break_even", "sweep", "spectra", "scores")}
    write_report(snakemake.rule, snakemake.params.config, paths, list(out.tables), list(out.figures), out.macros)
