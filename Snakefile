# Thesis pipeline: MNIST -> baseline -> optimisation methods -> on-device benchmark -> thesis PDF.
# Run: snakemake --cores all          (small test config: --configfile config/small.yaml)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/baseline.smk"
include: "workflow/rules/benchmark.smk"
include: "workflow/rules/activation_pruning.smk"
include: "workflow/rules/structures.smk"
include: "workflow/rules/zoo.smk"
include: "workflow/rules/devices.smk"
include: "workflow/rules/compression.smk"
include: "workflow/rules/stack.smk"
include: "workflow/rules/comparison.smk"
include: "workflow/rules/notebooks.smk"
include: "workflow/rules/reproduction.smk"
include: "workflow/rules/thesis.smk"


rule all:
    input:
        all_targets(),
    default_target: True
