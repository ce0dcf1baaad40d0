"""Rules structures_latency and comparison_latency: the models a topic compares and the one-operator
model (the interpreter's fixed cost per call) timed together, interleaved, with a bootstrap interval of
each speed-up over the reference (mobileopt.measurement.interleaved), and which delegate ran each model."""
from pathlib import Path

from mobileopt.core import artifacts
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.measurement import interleaved, litert_benchmark

with redirect_output_to(snakemake.log[0]):
    params = snakemake.params
    settings, threads = params.config["benchmark"]["interleaved"], params.config["benchmark"]["threads"]
    models = {**{name: Path(path) for name, path in zip(params.names, snakemake.input.models, strict=True)},
              interleaved.ONE_OPERATOR: Path(snakemake.input.one_operator)}
    timings = interleaved.time_interleaved(models, threads, settings["warmup_runs"], settings["rounds"],
                                           settings["runs_per_round"], seed=params.config["seed"])
    frame = interleaved.intervals(timings, params.reference, settings["confidence"], settings["resamples"],
                                  seed=params.config["seed"])
    print(frame.to_string())
    artifacts.atomic_write_text(snakemake.output.timings, timings.to_csv(index=False))
    artifacts.atomic_write_text(snakemake.output.intervals, frame.to_csv(index=False))
    artifacts.write_json(snakemake.output.machine, {"machine": timings.attrs["machine"],
                                                    "delegation": litert_benchmark.delegations(models, threads)})
