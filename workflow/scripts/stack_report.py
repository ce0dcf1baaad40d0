"""Rule stack_report: the stage table, the anchors, results/best_model/ (the deployable file, its
archival form and summary.json) and the stack's macros."""
import os
import shutil

import numpy as np
import pandas as pd

from mobileopt.core import artifacts, significance
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.reporting import tables, thesis
from mobileopt.stack import archive, report
from mobileopt.stack.pipeline import STAGES

with redirect_output_to(snakemake.log[0]):
    inp, out, params = snakemake.input, snakemake.output, snakemake.params
    config = params.config
    records = [artifacts.read_json(path) for path in inp.records]
    per_seed = [records[index * len(STAGES):(index + 1) * len(STAGES)] for index in range(params.replicates)]
    predictions = np.load(inp.predictions)
    metrics = artifacts.read_json(inp.metrics)
    with open(inp.baseline_tflite, "rb") as handle:
        baseline_bytes = handle.read()
    baseline = {"tflite_bytes": len(baseline_bytes), "archival_bytes": len(archive.encode(baseline_bytes)[1]),
                "correct": significance.correctness(predictions["test"], predictions["test_labels"]),
                "validation_accuracy": metrics["validation_accuracy"],
                "multiply_adds": metrics["multiply_adds"], "parameters": metrics["parameters"]}
    frame = report.stage_frame(per_seed, pd.read_csv(inp.intervals), baseline)
    artifacts.atomic_write_text(out.stages, frame.to_csv(index=False))
    goal = dict(config["stack"]["goal"], max_accuracy_drop_points=config["comparison"]["max_accuracy_drop_points"])
    result = report.summary(frame, goal)
    print(result)
    # The deliverable: the first seed's int8 file and its archive, which must decode to it byte for byte.
    with open(inp.best, "rb") as handle:
        best = handle.read()
    with open(inp.archive, "rb") as handle:
        if archive.decode(per_seed[0][-1]["archival_codec"], handle.read()) != best:
            raise ValueError(f"{inp.archive} does not decode to {inp.best}")
    for source, target in ((inp.best, out.model), (inp.archive, out.archive)):
        shutil.copyfile(source, target + ".partial")
        os.replace(target + ".partial", target)
    artifacts.write_json(out.summary, dict(result, archival_codec=per_seed[0][-1]["archival_codec"]))

    stamp = artifacts.provenance(snakemake.rule, config, [out.stages])
    tables.write_table(
        report.table(frame), out.tables[0], stamp=stamp, label="tab:stack-stages",
        caption=f"The stacked pipeline stage by stage, each fine-tuned from the one above with distillation "
                f"from the baseline. Test accuracy: LiteRT, mean $\\pm$ standard deviation over "
                f"{result['seeds']} seeds (each seed runs the whole chain), with the significance verdict "
                f"against the baseline's seeds; sizes and latency: the first seed's file. Archival: the "
                f".tflite entropy-coded (xz, gzip or bzip2, the smallest); speed-up: LiteRT, one thread, "
                f"all stages and the baseline timed together, interleaved, with the bootstrap interval.",
        column_format="llrlrrrrrr", size="\\small", fit_width=True, landscape=True)
    artifacts.record_provenance(out.tables[0], "table", "The stacked pipeline, stage by stage", stamp)
    tables.write_table(
        report.anchors_table(result), out.tables[1], stamp=stamp, label="tab:stack-anchors",
        caption="Published compression results on LeNet-5-sized MNIST networks, as their papers report them "
                "(not re-measured here), and the stacked pipeline's last stage. Each counts something else: "
                "parameters, coded storage, a runnable file or measured time.",
        column_format="p{5.0cm}p{3.4cm}p{4.2cm}p{4.4cm}lp{2.6cm}", size="\\small", fit_width=True, landscape=True)
    artifacts.record_provenance(out.tables[1], "table", "Published anchors and the stacked pipeline", stamp)
    thesis.write_macro_file(out.macros, report.macros(frame, result, out.summary)
                            + report.settings_macros(config["stack"]))
