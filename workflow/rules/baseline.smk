# Baseline: the draft's Table 2.2 classifier, trained deterministically, and its thesis table/figure.

THESIS_ARTIFACTS.extend([
    f"{GENERATED}/tables/baseline_architecture.tex",
    f"{GENERATED}/tables/baseline_results.tex",
    "figures/baseline_training_curve.pdf",
])
MACRO_FILES.append(macro_file("baseline"))


rule baseline_train:
    input:
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("baseline_train.py"),
    output:
        model="results/baseline/model.keras",
        history="results/baseline/history.csv",
        metrics="results/baseline/metrics.json",
        predictions="results/baseline/predictions.npz",
    params:
        config=settings("seed", "seeds", "baseline", *DATA_LIMITS),
        train_threads=config["train_threads"],
    threads: config["train_threads"]
    # Every compression rule fine-tunes this model: start it before independent work fills the cores.
    priority: 50
    resources:
        mem_mb=4000,
        runtime=30,
    log:
        "logs/baseline/train.log",
    benchmark:
        "benchmarks/baseline/train.tsv"
    conda:
        ENV
    script:
        "../scripts/baseline_train.py"


rule baseline_report:
    input:
        model="results/baseline/model.keras",
        history="results/baseline/history.csv",
        metrics="results/baseline/metrics.json",
        latency="results/latency/baseline.json",
        code=code("baseline_report.py"),
    output:
        architecture=f"{GENERATED}/tables/baseline_architecture.tex",
        results=f"{GENERATED}/tables/baseline_results.tex",
        curve=report("figures/baseline_training_curve.pdf",
                     caption="../report/baseline_training_curve.rst", category="Baseline"),
        provenance=[
            prov(f"{GENERATED}/tables/baseline_architecture.tex"),
            prov(f"{GENERATED}/tables/baseline_results.tex"),
            prov("figures/baseline_training_curve.pdf"),
        ],
        macros=macro_file("baseline"),
    params:
        config=settings("baseline"),
    threads: 1
    resources:
        mem_mb=3000,
        runtime=10,
    log:
        "logs/baseline/report.log",
    conda:
        ENV
    script:
        "../scripts/baseline_report.py"
