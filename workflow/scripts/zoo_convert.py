"""Rule zoo_convert: one zoo model with random weights -> TFLite file, cost record, per-layer traffic."""
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import configure_tensorflow
from mobileopt.zoo.applications import convert_and_count

with redirect_output_to(snakemake.log[0]):
    config = snakemake.params.config
    configure_tensorflow(config["seed"], snakemake.threads)
    out = snakemake.output
    record = convert_and_count(snakemake.wildcards.zoo_model, config["zoo"]["input_size"], out.tflite,
                               out.record, out.layers)
    print(record)
