"""Rule structures_train: build one variant from its config entry and train it from scratch."""
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import training_threads
from mobileopt.structures.experiment import train_variant
from mobileopt.structures.variants import VariantSpec

with redirect_output_to(snakemake.log[0]):
    out = snakemake.output
    params = snakemake.params
    metrics = train_variant(params.config, VariantSpec(**params.spec), snakemake.input.npz,
                            {"model": out.model, "history": out.history, "metrics": out.metrics,
                             "predictions": out.predictions, "batches": out.batches}, training_threads(snakemake.threads, params.train_threads))
    print(metrics)
