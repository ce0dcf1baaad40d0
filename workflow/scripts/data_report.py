"""Rule data_report: the dataset table and a grid of test images for the thesis."""
from mobileopt.core import artifacts
from mobileopt.core import data
from mobileopt.reporting import figures
from mobileopt.reporting import tables
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to

with redirect_output_to(snakemake.log[0]):
    limits = snakemake.params.config["data"]
    arrays = data.load_dataset(snakemake.input.npz, limits["train_limit"], limits["test_limit"])
    manifest = artifacts.read_json(snakemake.input.manifest)
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config,
                                 [snakemake.input.npz, snakemake.input.manifest])
    out = snakemake.output
    tables.write_table(tables.dataset_table(arrays, manifest["source"]), out.table,
                       caption="The data set as used by this configuration (canonical order, uint8).",
                       label="tab:dataset", stamp=stamp)
    artifacts.record_provenance(out.table, "table", "Data set", stamp)
    figures.image_grid(arrays["test_images"], arrays["test_labels"], out.figure, stamp)
    artifacts.record_provenance(out.figure, "figure", "Test images with labels", stamp)
    thesis.write_macro_file(out.macros, thesis.data_macros(arrays, manifest, snakemake.params.config["data"],
                                                           snakemake.input.manifest))
