# The stacked pipeline (RQ6, RQ7): global Fisher channel pruning with distillation, weight sparsity,
# sparsity-preserving clusters and PCQAT int8, each stage fine-tuned from the one before; one job per
# seed (they pack onto both cores), one interleaved timing of the baseline and every stage, one report.
from mobileopt.stack.pipeline import STAGES, stage_files

STACK_REPLICATES = list(range(len(config["seeds"])))
STACK_TABLES = ["stack_stages", "stack_anchors"]

THESIS_ARTIFACTS.extend([f"{GENERATED}/tables/{name}.tex" for name in STACK_TABLES])
MACRO_FILES.append(macro_file("stack"))
EXTRA_TARGETS.append("results/best_model/summary.json")
RESULT_TABLES.append("results/stack/stages.csv")


rule stack_seed:
    input:
        baseline="results/baseline/model.keras",
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("stack_seed.py"),
    output:
        records=stage_files("{replicate}", ".json"),
        tflite=stage_files("{replicate}", ".tflite"),
        archives=stage_files("{replicate}", ".tflite.archive"),
        history="results/stack/seed_{replicate}/history.csv",
    params:
        config=settings("seed", "seeds", "baseline", *DATA_LIMITS, "stack"),
        train_threads=config["train_threads"],
    wildcard_constraints:
        replicate=r"\d+",
    threads: config["train_threads"]
    resources:
        mem_mb=3000,
        runtime=20,
    log:
        "logs/stack/seed_{replicate}.log",
    benchmark:
        "benchmarks/stack/seed_{replicate}.tsv"
    conda:
        ENV
    script:
        "../scripts/stack_seed.py"


rule stack_latency:
    # The baseline and the first seed's file of every stage, timed together, interleaved.
    input:
        models=["results/tflite/baseline.tflite", *stage_files(0, ".tflite")],
        one_operator="results/tflite/one_operator.tflite",
        code=code("interleaved_latency.py"),
    output:
        timings="results/stack/latency_rounds.csv",
        intervals="results/stack/latency_intervals.csv",
        machine="results/stack/latency_machine.json",
    params:
        names=["baseline", *STAGES],
        reference="baseline",
        config=settings("seed", "benchmark.threads", "benchmark.interleaved"),
    threads: TIMING_THREADS
    resources:
        mem_mb=2000,
        runtime=10,
    log:
        "logs/stack/latency.log",
    benchmark:
        "benchmarks/stack/latency.tsv"
    conda:
        ENV
    script:
        "../scripts/interleaved_latency.py"


rule stack_report:
    input:
        records=[path for replicate in STACK_REPLICATES for path in stage_files(replicate, ".json")],
        archive=f"results/stack/seed_0/{STAGES[-1]}.tflite.archive",
        best=f"results/stack/seed_0/{STAGES[-1]}.tflite",
        baseline_tflite="results/tflite/baseline.tflite",
        predictions="results/baseline/predictions.npz",
        metrics="results/baseline/metrics.json",
        intervals="results/stack/latency_intervals.csv",
        code=code("stack_report.py"),
    output:
        stages="results/stack/stages.csv",
        summary="results/best_model/summary.json",
        model="results/best_model/model.tflite",
        archive="results/best_model/model.tflite.archive",
        tables=[f"{GENERATED}/tables/{name}.tex" for name in STACK_TABLES],
        records=[prov(f"{GENERATED}/tables/{name}.tex") for name in STACK_TABLES],
        macros=macro_file("stack"),
    params:
        replicates=len(STACK_REPLICATES),
        config=settings("seed", "stack", "comparison.max_accuracy_drop_points"),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    log:
        "logs/stack/report.log",
    conda:
        ENV
    script:
        "../scripts/stack_report.py"
