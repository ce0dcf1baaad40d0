"""Rule comparison_report: every classifier variant against the baseline, and the combinations (RQ4, RQ7, RQ8)."""
import pandas as pd

from mobileopt.core import artifacts
from mobileopt.comparison import combination
from mobileopt.comparison import pareto as comparison
from mobileopt.reporting import figures
from mobileopt.reporting import tables
from mobileopt.reporting import thesis
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.measurement.litert_benchmark import require_one_machine

with redirect_output_to(snakemake.log[0]):
    inp, out, config = snakemake.input, snakemake.output, snakemake.params.config
    max_drop = config["comparison"]["max_accuracy_drop_points"]
    require_one_machine([*inp.latencies, inp.latency, inp.interleaved_machine])
    # Every latency, ratio and choice below comes from the one interleaved timing of all these models.
    intervals = pd.read_csv(inp.intervals)
    cells = comparison.with_interleaved_latency(
        combination.combination_frame(list(map(artifacts.read_json, inp.records)),
                                      list(map(artifacts.read_json, inp.latencies))), intervals)
    variants = comparison.with_interleaved_latency(comparison.variants_frame(inp.structures, inp.compression, cells),
                                                   intervals)
    baseline = comparison.with_interleaved_latency(pd.DataFrame([dict(
        comparison.baseline_row(artifacts.read_json(inp.metrics), artifacts.read_json(inp.latency)),
        description="Table 2.2 classifier")]), intervals).iloc[0].to_dict()
    frame = comparison.with_ratios(variants, baseline)
    artifacts.atomic_write_text(out.frame, frame.to_csv(index=False))
    timing = config["benchmark"]["interleaved"]
    interactions = comparison.with_format_effect(combination.interaction_frame(cells), cells,
                                                  pd.read_csv(inp.rounds), timing["confidence"], timing["resamples"])
    artifacts.atomic_write_text(out.interactions, interactions.to_csv(index=False))

    stamp = artifacts.provenance(snakemake.rule, config, [out.frame])
    tables.write_table(
        comparison.pareto_table(frame), out.table, stamp=stamp, label="tab:comparison-pareto",
        caption=f"The baseline and every Pareto-optimal classifier variant of all topics (no other variant "
                f"is both at least as accurate on the validation images and at least as fast), fastest "
                f"first, out of {len(variants)} variants: accuracy on the validation images (the choice) and "
                f"on the test set (LiteRT for the converted compression and combination models; the Keras "
                f"mean over the seeds for the baseline and the models trained from scratch), "
                f"multiply-adds per image, TFLite size, median LiteRT latency and speed-up over the "
                f"baseline, all models timed together, interleaved (the speed-up with its "
                f"{100 * config['benchmark']['interleaved']['confidence']:g}\\,\\% bootstrap interval over the "
                f"rounds). Structure variants are trained from scratch on a shorter budget than the "
                f"baseline; compression variants are fine-tuned from it.",
        column_format="llrrrrrrc", size="\\small", fit_width=True, landscape=True)
    artifacts.record_provenance(out.table, "table", "Pareto-optimal variants of all topics", stamp)

    tolerances = [max_drop, *config["comparison"]["also_reported_drops"]]
    tables.write_table(
        comparison.winners_table(frame, tolerances), out.winners_table, stamp=stamp,
        label="tab:comparison-winners",
        caption="The fastest and the smallest variant that loses at most the tolerance (accuracy points on "
                "the validation images) against the baseline, per tolerance, with its test accuracy, "
                "speed-up and TFLite size relative to the baseline. The thesis' headline uses "
                f"{max_drop:g} points.",
        column_format="rp{3.6cm}rrp{3.6cm}rr", size="\\small", fit_width=True)
    artifacts.record_provenance(out.winners_table, "table", "Winners per accuracy tolerance", stamp)

    descriptions = {source: comparison.source_description(source, variants)
                    for source in cells["source"].unique()}
    interactions["description"] = interactions["source"].map(descriptions)
    stamp = artifacts.provenance(snakemake.rule, config, [out.interactions])
    tables.write_table(
        comparison.combination_table(interactions, descriptions), out.combination_table, stamp=stamp,
        label="tab:comparison-combination",
        caption="Combining a structural method with quantisation: speed-up over the float32 baseline of "
                "the structural variant alone and of the quantised baseline, their product (predicted, "
                "if the effects were independent) and the measured speed-up of the combination; "
                "accuracy change in points (predicted: sum of the two changes) and TFLite size relative "
                "to the baseline (predicted: product of the two ratios).",
        column_format="lrrrrrrrr", size="\\small", fit_width=True, landscape=True)
    artifacts.record_provenance(out.combination_table, "table", "Combinations: predicted vs measured", stamp)

    stamp = artifacts.provenance(snakemake.rule, config, [out.frame])
    figures.tradeoff(frame, out.figure, stamp, names=comparison.method_display_names(),
                     size_front=comparison.size_front(frame))
    artifacts.record_provenance(out.figure, "figure", "Accuracy vs latency and size, all variants", stamp)

    thesis.write_macro_file(out.macros, comparison.comparison_macros(frame, interactions, max_drop,
                                                                     out.frame, out.interactions))
