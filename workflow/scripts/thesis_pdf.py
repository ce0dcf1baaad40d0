"""Rule thesis_pdf: compile thesis/main.tex with latexmk (TeX Live); clear error if it is missing, and
(thesis.require_every_value) if the prose uses a value this configuration does not produce."""
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to

with redirect_output_to(snakemake.log[0]):
    if snakemake.params.require_every_value:
        thesis.require_every_value("thesis/main.tex", "thesis/generated/macros.tex")
    thesis.compile_pdf("thesis/main.tex", snakemake.output[0])
