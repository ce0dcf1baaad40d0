"""Rule zoo_report: zoo summary CSV, the zoo and layer-probe tables, the roofline figure, macros."""
import pandas as pd

from mobileopt.core import artifacts
from mobileopt.measurement import roofline
from mobileopt.structures import figures as structures_figures
from mobileopt.zoo import report as zoo_report
from mobileopt.reporting import thesis
from mobileopt.zoo import applications as zoo
from mobileopt.structures.report import write_compact_table
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.measurement.litert_benchmark import require_one_machine

with redirect_output_to(snakemake.log[0]):
    inp, out, params = snakemake.input, snakemake.output, snakemake.params
    require_one_machine([*inp.latencies, inp.machine])  # the roofline's peak and the zoo's latencies
    records = {name: artifacts.read_json(path) for name, path in zip(params.models, inp.records)}
    latencies = {key: artifacts.read_json(path) for key, path in zip(params.latency_keys, inp.latencies)}
    machine, probes = artifacts.read_json(inp.machine), pd.read_csv(inp.probes)
    traffic = pd.concat([pd.read_csv(path) for path in inp.layers], ignore_index=True)

    summary = zoo_report.zoo_summary(records, latencies, machine, traffic)
    artifacts.atomic_write_text(out.summary, summary.to_csv(index=False))
    kinds = roofline.intensity_by_kind(traffic)
    artifacts.atomic_write_text(out.kinds, kinds.to_csv(index=False))

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, [*inp.records, *inp.latencies, inp.machine])
    write_compact_table(
        zoo_report.zoo_table(summary), out.zoo_table,
        caption="The model zoo with random weights, fastest first: input side, parameters, "
                "multiply-adds, float32 TFLite size (MB), median LiteRT latency in ms on 1 thread (and "
                "its 90th percentile, p90) and on more threads, arithmetic intensity (FLOP per byte of weights and activations "
                "moved), the rate attained on 1 thread and its share of the measured peak. Models: "
                + ", ".join(zoo.reference_tex(name) for name in params.models) + ".",
        label="tab:zoo", stamp=stamp, column_format="lrrrrrrrrrr", column_gap_pt=3)
    artifacts.record_provenance(out.zoo_table, "table", "Model zoo", stamp)

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, [inp.probes, inp.machine])
    write_compact_table(
        zoo_report.probes_table(probes, machine), out.probes_table,
        caption="Single layers as they occur in the zoo, timed alone with LiteRT on 1 thread: "
                "arithmetic intensity, attained rate, and that rate as a share (\\%) of "
                "the roofline at the layer's intensity with the memory bandwidth (mem.) and with the "
                "last-level cache bandwidth (cache).",
        label="tab:zoo-probes", stamp=stamp, column_format="llrrrrr", column_gap_pt=3)
    artifacts.record_provenance(out.probes_table, "table", "Layer probes", stamp)

    stamp = artifacts.provenance(snakemake.rule, snakemake.params.config, [out.summary, inp.probes, inp.machine])
    structures_figures.roofline_figure(summary, probes, machine, out.roofline, stamp)
    artifacts.record_provenance(out.roofline, "figure", "Roofline", stamp)

    thesis.write_macro_file(out.macros, zoo_report.zoo_macros(
        summary, kinds, probes, machine,
        {"summary": out.summary, "machine": inp.machine, "probes": inp.probes, "kinds": out.kinds}))
