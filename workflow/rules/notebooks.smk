# Notebooks: executed by the workflow so they cannot rot; the executed copy is kept as the log.

EXTRA_TARGETS.append("results/notebooks/baseline_summary.csv")


rule notebook_explore_baseline:
    input:
        manifest=DATASET_MANIFEST,
        metrics="results/baseline/metrics.json",
        history="results/baseline/history.csv",
        latency="results/latency/baseline.json",
        code=code("notebooks/explore_baseline.py.ipynb"),
    output:
        summary="results/notebooks/baseline_summary.csv",
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    log:
        notebook="logs/notebooks/explore_baseline.ipynb",
    conda:
        ENV
    notebook:
        "../../notebooks/explore_baseline.py.ipynb"
