# Thesis: the macros file (every number the prose uses), the provenance appendix, and the PDF.


rule thesis_macros:
    input:
        macros=MACRO_FILES,
        code=code("thesis_macros.py"),
    output:
        macros=f"{GENERATED}/macros.tex",
        provenance=prov(f"{GENERATED}/macros.tex"),
    params:
        # The title page names the run's configuration by its hash: every key that can change a result.
        config=result_config(config),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "logs/thesis/macros.log",
    conda:
        ENV
    script:
        "../scripts/thesis_macros.py"


rule thesis_provenance:
    input:
        records=[prov(artifact) for artifact in thesis_artifacts()],
        code=code("thesis_provenance.py"),
    output:
        f"{GENERATED}/provenance_table.tex",
    params:
        config=result_config(config),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "logs/thesis/provenance.log",
    conda:
        ENV
    script:
        "../scripts/thesis_provenance.py"


rule thesis_pdf:
    input:
        generated=thesis_artifacts() + [f"{GENERATED}/provenance_table.tex"],
        sources=thesis_sources(),
        code=code("thesis_pdf.py"),
    output:
        "thesis/thesis.pdf",
    params:
        require_every_value=config["thesis"]["require_every_value"],
    threads: 1
    resources:
        mem_mb=1500,
        runtime=15,
    log:
        "logs/thesis/pdf.log",
    benchmark:
        "benchmarks/thesis/pdf.tsv"
    conda:
        ENV
    script:
        "../scripts/thesis_pdf.py"
