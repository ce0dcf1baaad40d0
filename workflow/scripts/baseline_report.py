"""Rule baseline_report: the baseline's architecture and results tables and its training curve."""
import pandas as pd

from mobileopt.core import artifacts
from mobileopt.measurement import cost_model
from mobileopt.reporting import figures
from mobileopt.reporting import tables
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.measurement.tflite_export import load_keras_model

with redirect_output_to(snakemake.log[0]):
    inp, out = snakemake.input, snakemake.output
    metrics, latency = artifacts.read_json(inp.metrics), artifacts.read_json(inp.latency)
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, [inp.model, inp.metrics])
    costs = cost_model.layer_costs(load_keras_model(inp.model))
    tables.write_table(tables.architecture_table(costs), out.architecture,
                       caption="The MNIST classifier of the draft's Table 2.2, as built and counted by "
                               "the pipeline (multiply-adds per image).",
                       label="tab:baseline-architecture", stamp=stamp, column_format="llrrr")
    artifacts.record_provenance(out.architecture, "table", "Baseline architecture", stamp)

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, [inp.metrics, inp.latency])
    tables.write_table(tables.baseline_results_table(metrics, latency), out.results,
                       caption="Baseline classifier: accuracy, cost and LiteRT latency.",
                       label="tab:baseline-results", stamp=stamp, column_format="lr")
    artifacts.record_provenance(out.results, "table", "Baseline results", stamp)

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, [inp.history])
    figures.training_curve(pd.read_csv(inp.history), out.curve, stamp)
    artifacts.record_provenance(out.curve, "figure", "Baseline training curve", stamp)
    thesis.write_macro_file(out.macros, thesis.baseline_macros(metrics, latency, inp.metrics, inp.latency))
