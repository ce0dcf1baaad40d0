"""Rule structures_report: summary CSV, thesis tables, figures and macros of the structures topic."""
import pandas as pd

from mobileopt.core import artifacts
from mobileopt.structures import figures as structures_figures
from mobileopt.structures import report as structures_report
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.structures.resnet import PUBLISHED
from mobileopt.structures.experiment import baseline_multiply_adds
from mobileopt.structures.variants import variant_specs
from mobileopt.measurement.tflite_export import load_keras_model
from mobileopt.measurement.litert_benchmark import require_one_machine
from mobileopt.core.training import load_predictions
from mobileopt.measurement import interleaved

with redirect_output_to(snakemake.log[0]):
    inp, out, config = snakemake.input, snakemake.output, snakemake.params.config
    section = config["structures"]
    specs = variant_specs(section)
    names = [spec.name for spec in specs]
    require_one_machine([*inp.latencies, inp.baseline_latency, inp.interleaved_machine])
    metrics = dict(zip(names, map(artifacts.read_json, inp.metrics)))
    latencies = dict(zip(names, map(artifacts.read_json, inp.latencies)))
    base_metrics = artifacts.read_json(inp.baseline_metrics)
    base_latency = artifacts.read_json(inp.baseline_latency)
    predictions = dict(zip(names, map(load_predictions, inp.predictions)))

    summary = structures_report.summary_frame(specs, metrics, latencies, base_metrics, base_latency, predictions,
                                              pd.read_csv(inp.intervals))
    artifacts.atomic_write_text(out.summary, summary.to_csv(index=False))
    decomposed = {name: load_keras_model(path) for name, path in zip(names, inp.models)
                  if name.startswith("decomposed_")}
    decomposition = structures_report.decomposition_frame(decomposed)
    artifacts.atomic_write_text(out.decomposition, decomposition.to_csv(index=False))
    resnet = pd.read_csv(inp.resnet)

    stamp = artifacts.provenance(snakemake.rule, config, [*inp.metrics, *inp.predictions, *inp.latencies,
                                                          inp.intervals, inp.baseline_metrics, inp.baseline_latency])
    structures_report.write_compact_table(
        structures_report.variants_table(summary, base_metrics, base_latency,
                                         config["benchmark"]["interleaved"]["confidence"]), out.variants_table,
        caption=f"Classifier variants trained from scratch on MNIST: test accuracy (mean $\\pm$ standard "
                f"deviation over {len(config['seeds'])} seeds), the significance verdict against the first "
                "variant (the baseline architecture on the variants' shorter budget; $+$/$-$: more/less "
                "accurate, $=$: a tie within the noise of seeds and test set), parameters, multiply-adds "
                "per image, TFLite size and median LiteRT latency of the first seed's model, with the "
                "ratios to the baseline (trained for more epochs, first row); the latency ratio comes from "
                "timing all models together, interleaved, with its bootstrap interval over the rounds.",
        label="tab:structures-variants", stamp=stamp, column_format="lrcrrrrrr")
    artifacts.record_provenance(out.variants_table, "table", "Structures variants", stamp)

    stamp = artifacts.provenance(snakemake.rule, config, [out.decomposition])
    structures_report.write_compact_table(
        structures_report.decomposition_table(decomposition), out.decomposition_table,
        caption="1-D decomposition at fraction $f$ of the bound: intermediate channels $P_1$, $P_2$, "
                "$P_3$ of the three convolutions and the cost of each decomposed pair relative to the "
                "convolution it replaces (cost model), beside the draft's estimate $P(K+L)/(NKL)$ for "
                "the $7{\\times}7$ VALID convolution.",
        label="tab:structures-decomposition", stamp=stamp)
    artifacts.record_provenance(out.decomposition_table, "table", "1-D decomposition costs", stamp)

    stamp = artifacts.provenance(snakemake.rule, config, [inp.resnet])
    artifacts.atomic_write_text(out.resnet_table, structures_report.resnet_table_tex(
        resnet, PUBLISHED, stamp=stamp, label="tab:structures-resnet",
        caption="The 34-layer and 50-layer residual networks of He et al.~\\citep{HZRS15} for "
                "$224{\\times}224$ input, built from their Table~1 and counted by the pipeline's cost "
                "model (multiply-adds per stage and in total), against the published totals. Error "
                "rates are quoted from He et al., not measured here (ImageNet validation set): "
                "$^a$single model, their Table~4; $^b$10-crop testing, their Table~3. The 34-layer "
                "errors are those of its variant with projection shortcuts (option~C)."))
    artifacts.record_provenance(out.resnet_table, "table", "ResNet-34/50 (draft Table 2.3)", stamp)

    stamp = artifacts.provenance(snakemake.rule, config, [out.summary, inp.baseline_metrics,
                                                          inp.baseline_latency])
    structures_figures.tradeoff_figure(summary, base_metrics, base_latency, out.tradeoff, stamp)
    artifacts.record_provenance(out.tradeoff, "figure", "Accuracy vs multiply-adds vs latency", stamp)

    deep = {spec.name: spec for spec in specs if spec.family == "deep"}
    batch_files = {name: path for name, path in zip(names, inp.batches) if name in deep}
    history_files = {name: path for name, path in zip(names, inp.histories) if name in deep}
    batches = {name: pd.read_csv(path) for name, path in batch_files.items()}
    histories = {name: pd.read_csv(path) for name, path in history_files.items()}
    stamp = artifacts.provenance(snakemake.rule, config, [*batch_files.values(), *history_files.values()])
    structures_figures.residual_curves(
        batches, histories, {name: structures_report.variant_label(spec) for name, spec in deep.items()},
        out.residual, stamp, window=structures_report.CURVE_WINDOW)
    artifacts.record_provenance(out.residual, "figure", "Deep plain vs residual training", stamp)

    macros = structures_report.structures_macros(
        summary, decomposition, resnet, section["training"], section["deep"],
        round(section["matched"]["cost_fraction"] * baseline_multiply_adds()),
        {"summary": out.summary, "decomposition": out.decomposition, "resnet": inp.resnet,
         "config": "config"}, predictions)
    macros += structures_report.deep_loss_macros(histories, history_files["deep_plain"],
                                                 history_files["deep_residual"])
    timings = pd.read_csv(inp.rounds)
    timing = config["benchmark"]["interleaved"]
    shares = interleaved.fixed_cost_shares(timings, timing["confidence"], timing["resamples"], config["seed"])
    macros += structures_report.runtime_macros(
        shares, float(interleaved.round_medians(timings).loc[interleaved.ONE_OPERATOR].median()),
        artifacts.read_json(inp.interleaved_machine)["delegation"], summary,
        {"rounds": inp.rounds, "machine": inp.interleaved_machine})
    thesis.write_macro_file(out.macros, macros)
