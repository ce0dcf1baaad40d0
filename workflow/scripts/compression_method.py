"""Rule compression_<method>: fine-tune and convert every variant of one registered compression method
(mobileopt.compression.variants.REGISTRY names the module and function that run it)."""
import importlib
from pathlib import Path

from mobileopt.compression import variants
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import training_threads

with redirect_output_to(snakemake.log[0]):
    inp, out, params = snakemake.input, snakemake.output, snakemake.params
    method = variants.method(params.method)
    run = getattr(importlib.import_module(f"mobileopt.compression.{method.module}"), method.runner)
    records = run(params.config, inp.baseline, inp.npz, Path(out.records[0]).parent, Path(out.tflite[0]).parent,
                  training_threads(snakemake.threads, params.train_threads))
    for record in records:
        print(record)
