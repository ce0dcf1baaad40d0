# Reproduction report: every number the thesis prints (its macros and the cells of the result tables
# each topic registers in RESULT_TABLES) against the reference run's values in reference/. Included
# after the topics, so it sees every table, figure and macro file they registered.
from mobileopt.reproduction.compare import BrokenReferenceError, reference_files

REPRODUCTION_DIR = "results/reproduction"
# Where each result table is printed comes from the tables' and figures' provenance records.
REPRODUCTION_RECORDS = [prov(artifact) for artifact in thesis_artifacts() if artifact != f"{GENERATED}/macros.tex"]

try:
    REPRODUCTION_REFERENCE = reference_files(config["reproduction"]["reference_dir"], config)
except BrokenReferenceError as error:
    raise WorkflowError(str(error))

THESIS_ARTIFACTS.extend([f"{GENERATED}/reproduction.tex", f"{GENERATED}/tables/reproduction.tex"])
EXTRA_TARGETS.append(f"{REPRODUCTION_DIR}/summary.txt")


rule reproduction_report:
    input:
        macros=MACRO_FILES,
        tables=RESULT_TABLES,
        records=REPRODUCTION_RECORDS,
        # Only a reference of this configuration is read; a refreshed one reruns the report.
        reference=REPRODUCTION_REFERENCE,
        main_tex="thesis/main.tex",
        sources=thesis_sources(),
        code=code("reproduction_report.py"),
    output:
        frame=f"{REPRODUCTION_DIR}/report.csv",
        summary=f"{REPRODUCTION_DIR}/summary.json",
        run=f"{REPRODUCTION_DIR}/run.json",
        text=f"{REPRODUCTION_DIR}/summary.txt",
        html=report(f"{REPRODUCTION_DIR}/report.html", category="Reproduction",
                    caption="../report/reproduction.rst"),
        macros=f"{GENERATED}/reproduction.tex",
        table=f"{GENERATED}/tables/reproduction.tex",
        records=[prov(f"{GENERATED}/reproduction.tex"), prov(f"{GENERATED}/tables/reproduction.tex")],
    params:
        # The whole result configuration: its hash picks the reference, and every number depends on it.
        config=result_config(config),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    log:
        "logs/reproduction/report.log",
    conda:
        ENV
    script:
        "../scripts/reproduction_report.py"
