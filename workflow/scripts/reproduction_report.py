"""Rule reproduction_report: the run's thesis numbers against the reference run's (reference/)."""
from mobileopt.core import artifacts
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.reporting import tables
from mobileopt.reporting import thesis
from mobileopt.reproduction import compare
from mobileopt.reproduction import report

with redirect_output_to(snakemake.log[0]):
    inp, out, config = snakemake.input, snakemake.output, snakemake.params.config
    result, frame = compare.evaluate(config, list(inp.macros), list(inp.tables), list(inp.records),
                                     inp.main_tex, artifacts.code_version())
    artifacts.write_json(out.run, result["run"])
    artifacts.atomic_write_text(out.frame, frame.to_csv(index=False))
    artifacts.write_json(out.summary, {key: value for key, value in result.items() if key != "rules"})
    screen = report.terminal_text(result, frame)
    artifacts.atomic_write_text(out.text, screen)
    artifacts.atomic_write_text(out.html, report.html_page(result, frame))
    print(screen)

    stamp = artifacts.provenance(snakemake.rule, config, [out.summary])
    artifacts.atomic_write_text(out.macros, thesis.macros_tex(report.thesis_macros(result), stamp))
    artifacts.record_provenance(out.macros, "macros", "Reproduction statement of the title page", stamp)
    if result["status"] == "compared":
        table = report.thesis_table(frame)
        tables.write_table(table, out.table, stamp=stamp, label="tab:reproduction",
                           caption="This build's numbers against the reference run's, by kind of number: "
                                   "identical, within the tolerance of their kind, outside it, missing from "
                                   "this build, new (not in the reference), or shown without a verdict.",
                           lead="Table~\\ref{tab:reproduction} counts the outcomes of this build.",
                           column_format="l" + "r" * (len(table.columns) - 1))
    else:
        artifacts.atomic_write_text(out.table, artifacts.tex_header(stamp) + "\\noindent\\emph{"
                                    + thesis.latex_escape(result["reason"]) + "}\n")
    artifacts.record_provenance(out.table, "table", "Reproduction of the reference run's numbers", stamp)
