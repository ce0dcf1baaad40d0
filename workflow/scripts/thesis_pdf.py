"""Rule thesis_pdf: compile thesis/main.tex with latexmk (TeX Live); clear error if it is missing."""
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to

with redirect_output_to(snakemake.log[0]):
    thesis.compile_pdf("thesis/main.tex", snakemake.output[0])
