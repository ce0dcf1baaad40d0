"""Rule compression_summary: one tidy row per compressed .tflite and the baseline (mobileopt.compression.summary)."""
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.compression.summary import write_summary
from mobileopt.measurement.litert_benchmark import require_one_machine

with redirect_output_to(snakemake.log[0]):
    require_one_machine([*snakemake.input.latencies, snakemake.input.baseline_latency])
    frame = write_summary(snakemake.params.config, snakemake.output.summary,
                          baseline_metrics_path=snakemake.input.baseline_metrics,
                          baseline_latency_path=snakemake.input.baseline_latency)
    print(frame.to_string())
