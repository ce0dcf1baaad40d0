"""Rule activation_pruning_report: tables, figures, macros and summary of the activation-pruning runs."""
from pathlib import Path

import numpy as np

from mobileopt.activation_pruning import figures as figs
from mobileopt.activation_pruning import report as rep
from mobileopt.core import artifacts
from mobileopt.measurement import cost_model
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.measurement.tflite_export import load_keras_model
from mobileopt.measurement.litert_benchmark import require_one_machine


def costs(model_files, latency_files):
    """Parameters, multiply-adds, TFLite size and latency of the timed models, indexed by model name."""
    models = {Path(path).parent.name: load_keras_model(path) for path in model_files}
    latencies = {Path(path).stem: artifacts.read_json(path) for path in latency_files}
    return rep.cost_rows(models, latencies, cost_model.layer_costs)


with redirect_output_to(snakemake.log[0]):
    inp, out, params = snakemake.input, snakemake.output, snakemake.params
    section = params.config["activation_pruning"]
    require_one_machine([*inp.toy_latency, *inp.autoencoder_latency, inp.one_operator_latency])
    toy_runs, toy_cycles = rep.read_toy(inp.toy, "runs"), rep.read_toy(inp.toy, "cycles")
    gradients, toy_activations = rep.read_toy(inp.toy, "gradients"), rep.read_toy(inp.toy, "activations")
    ae_runs, ae_cycles = rep.read_autoencoder(inp.autoencoder, "runs"), rep.read_autoencoder(inp.autoencoder, "cycles")
    ae_activations = rep.read_autoencoder(inp.autoencoder, "activations")
    init, optimizer = params.toy_latency_run.split("/")[1:]
    toy_cost = costs(inp.toy_models, inp.toy_latency)
    ae_cost = costs(inp.autoencoder_models, inp.autoencoder_latency)
    rep.write_csv(rep.summary_frame(toy_runs, toy_cost, (init, optimizer), ae_runs, ae_cost), out.summary)

    toy_sources = [p for p in inp.toy if Path(p).stem == "runs"]
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, toy_sources)
    converged = rep.scientific(section["toy"]["converged_mse"], 0)
    rep.write_table(rep.toy_convergence_table(toy_runs), out.toy_convergence,
                    caption="Toy network $y=i_1+i_2$, first training without penalty (mean $\\pm$ standard "
                            f"deviation over seeds): test MSE, seeds that converged (test MSE at most {converged}), "
                            "units never active on the training data, and effective units (participation ratio "
                            "of the units' output contributions); last column: effective units after the same "
                            "training with the L1 penalty.",
                    label="tab:ap-toy-convergence", stamp=stamp, column_format="lrrrrr", size="\\footnotesize")
    artifacts.record_provenance(out.toy_convergence, "table", "Toy network: first training", stamp)
    before = int(toy_runs["units_initial"].iloc[0])
    rep.write_table(rep.toy_variant_table(toy_runs, "units"), out.toy_variants,
                    caption="Toy network: hidden units left after pruning, mean $\\pm$ standard deviation over "
                            f"seeds, per variant and initialisation / optimizer ({before} units before pruning); "
                            "in brackets the seeds that reached the one-unit optimum.",
                    label="tab:ap-toy-variants", stamp=stamp, column_format="lrrrrr", size="\\footnotesize")
    artifacts.record_provenance(out.toy_variants, "table", "Toy network: units left per variant", stamp)
    rep.write_table(rep.toy_variant_table(toy_runs, "mse"), out.toy_mse,
                    caption="Toy network: test MSE of the pruned networks of Table~\\ref{tab:ap-toy-variants} "
                            "(after the refit for the L1 variants), mean $\\pm$ standard deviation over seeds.",
                    label="tab:ap-toy-mse", stamp=stamp, column_format="lrrrrr", size="\\footnotesize",
                    landscape=True)
    artifacts.record_provenance(out.toy_mse, "table", "Toy network: test MSE per variant", stamp)
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, toy_sources + list(inp.toy_latency))
    rep.write_table(rep.toy_cost_table(toy_cost, toy_runs, init, optimizer), out.toy_cost,
                    caption=f"Toy network ({rep.run_label(init, optimizer)}, first seed): the pruned models as "
                            "Keras, TFLite and LiteRT see them; latency is the median.",
                    label="tab:ap-toy-cost", stamp=stamp, column_format="lrrrrr")
    artifacts.record_provenance(out.toy_cost, "table", "Toy network: cost of the pruned models", stamp)

    ae_sources = [p for p in inp.autoencoder if p.endswith("_runs.csv")]
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, ae_sources + list(inp.autoencoder_latency))
    rep.write_table(rep.autoencoder_table(ae_runs, ae_cost), out.autoencoder,
                    caption="MNIST autoencoder: output channels of the three prunable blocks after pruning, "
                            "reconstruction MSE on the test set and multiply-adds per image (mean $\\pm$ standard "
                            "deviation over seeds); TFLite size and median LiteRT latency of the first seed's "
                            "model.",
                    label="tab:ap-autoencoder", stamp=stamp, column_format="lrrrrrrr",
                    size="\\footnotesize\\setlength{\\tabcolsep}{3pt}")
    artifacts.record_provenance(out.autoencoder, "table", "Autoencoder: pruning variants", stamp)

    cycle_sources = [p for p in list(inp.toy) + list(inp.autoencoder) if Path(p).stem.endswith("cycles")]
    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, cycle_sources)
    configured = set(map(tuple, toy_runs[["initialisation", "optimizer"]].drop_duplicates().values))
    panels = [(figs.run_title(*run), toy_cycles[(toy_cycles["initialisation"] == run[0])
                                                & (toy_cycles["optimizer"] == run[1])])
              for run in [(init, optimizer), ("standard_normal", "momentum")] if run in configured]
    figs.cycles_figure(panels + [("autoencoder", ae_cycles)], out.cycles, stamp)
    artifacts.record_provenance(out.cycles, "figure", "Units left per pruning cycle", stamp)

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config,
                                 [p for p in list(inp.toy) + list(inp.autoencoder) if "activations" in p])
    momentum = toy_activations[toy_activations["optimizer"] == "momentum"]
    figs.histograms_figure(momentum if len(momentum) else toy_activations, ae_activations, out.histograms, stamp)
    artifacts.record_provenance(out.histograms, "figure", "Activation probabilities after training", stamp)

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, [p for p in inp.toy if "gradients" in p])
    figs.gradients_figure(gradients, out.gradients, stamp)
    artifacts.record_provenance(out.gradients, "figure", "Gradient signs during the first training", stamp)

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, list(inp.reconstructions))
    images = {}
    for path in inp.reconstructions:
        with np.load(path) as stored:
            images.update({key: stored[key] for key in stored.files})
    figs.reconstructions_figure(images, list(rep.VARIANT_LABELS), out.reconstructions, stamp)
    artifacts.record_provenance(out.reconstructions, "figure", "Autoencoder reconstructions", stamp)

    macros = (rep.toy_macros(toy_runs, gradients, toy_sources[0])
              + rep.autoencoder_macros(ae_runs, ae_cost, ae_activations, ae_sources[0])
              + rep.settings_macros(section, "config")
              + rep.fixed_cost_macros(toy_cost, artifacts.read_json(inp.one_operator_latency)["median_ms"],
                                      inp.one_operator_latency))
    thesis.write_macro_file(out.macros, macros)
