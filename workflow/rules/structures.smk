# Efficient structures and alternative operations: 1-D, inception, bottleneck, separable, residual (sections 2.3-2.5).
# Every variant of config["structures"] is trained from scratch (the architecture changes), converted
# and timed by the generic rules of benchmark.smk, and reported against the baseline.
from dataclasses import asdict

from mobileopt.structures.variants import variant_names, variant_spec

STRUCTURES_VARIANTS = variant_names(config["structures"])

THESIS_ARTIFACTS.extend([
    f"{GENERATED}/tables/structures_variants.tex",
    f"{GENERATED}/tables/structures_decomposition.tex",
    f"{GENERATED}/tables/structures_resnet.tex",
    "figures/structures_tradeoff.pdf",
    "figures/structures_residual.pdf",
])
MACRO_FILES.append(macro_file("structures"))
EXTRA_TARGETS.append("results/structures/summary.csv")
RESULT_TABLES.extend(["results/structures/summary.csv", "results/structures/decomposition.csv",
                      "results/structures/resnet.csv", "results/structures/latency_intervals.csv"])


rule structures_train:
    input:
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("structures_train.py"),
    output:
        model="results/structures/{variant}/model.keras",
        history="results/structures/{variant}/history.csv",
        metrics="results/structures/{variant}/metrics.json",
        batches="results/structures/{variant}/batches.csv",
        predictions="results/structures/{variant}/predictions.npz",
    params:
        # What this variant depends on, so a config change reruns exactly the variants it touches.
        spec=lambda wildcards: canonical(asdict(variant_spec(config["structures"], wildcards.variant))),
        config=settings("seed", "seeds", "structures.training", *CLASSIFIER_DATA),
        train_threads=config["train_threads"],
    wildcard_constraints:
        variant="|".join(STRUCTURES_VARIANTS),
    threads: config["train_threads"]
    resources:
        mem_mb=3000,
        runtime=40,
    log:
        "logs/structures/train_{variant}.log",
    benchmark:
        "benchmarks/structures/train_{variant}.tsv"
    conda:
        ENV
    script:
        "../scripts/structures_train.py"


rule structures_resnet:
    input:
        code=code("structures_resnet.py"),
    output:
        costs="results/structures/resnet.csv",
    params:
        config=settings("seed"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    log:
        "logs/structures/resnet.log",
    benchmark:
        "benchmarks/structures/resnet.tsv"
    conda:
        ENV
    script:
        "../scripts/structures_resnet.py"


rule structures_latency:
    # The variants' latencies compared with the baseline's in one job, interleaved (see config
    # benchmark.interleaved): the ratios in the thesis come from here, with their intervals.
    input:
        models=["results/tflite/baseline.tflite",
                *expand("results/tflite/structures/{variant}.tflite", variant=STRUCTURES_VARIANTS)],
        one_operator="results/tflite/one_operator.tflite",
        code=code("interleaved_latency.py"),
    output:
        timings="results/structures/latency_rounds.csv",
        intervals="results/structures/latency_intervals.csv",
        machine="results/structures/latency_machine.json",
    params:
        names=["baseline", *STRUCTURES_VARIANTS],
        reference="baseline",
        config=settings("seed", "benchmark.threads", "benchmark.interleaved"),
    threads: TIMING_THREADS
    resources:
        mem_mb=2000,
        runtime=15,
    log:
        "logs/structures/latency.log",
    benchmark:
        "benchmarks/structures/latency.tsv"
    conda:
        ENV
    script:
        "../scripts/interleaved_latency.py"


rule structures_report:
    input:
        metrics=expand("results/structures/{variant}/metrics.json", variant=STRUCTURES_VARIANTS),
        histories=expand("results/structures/{variant}/history.csv", variant=STRUCTURES_VARIANTS),
        batches=expand("results/structures/{variant}/batches.csv", variant=STRUCTURES_VARIANTS),
        predictions=expand("results/structures/{variant}/predictions.npz", variant=STRUCTURES_VARIANTS),
        models=expand("results/structures/{variant}/model.keras", variant=STRUCTURES_VARIANTS),
        latencies=expand("results/latency/structures/{variant}.json", variant=STRUCTURES_VARIANTS),
        baseline_metrics="results/baseline/metrics.json",
        baseline_latency="results/latency/baseline.json",
        intervals="results/structures/latency_intervals.csv",
        rounds="results/structures/latency_rounds.csv",
        interleaved_machine="results/structures/latency_machine.json",
        resnet="results/structures/resnet.csv",
        code=code("structures_report.py"),
    output:
        summary="results/structures/summary.csv",
        decomposition="results/structures/decomposition.csv",
        variants_table=f"{GENERATED}/tables/structures_variants.tex",
        decomposition_table=f"{GENERATED}/tables/structures_decomposition.tex",
        resnet_table=f"{GENERATED}/tables/structures_resnet.tex",
        tradeoff=report("figures/structures_tradeoff.pdf",
                        caption="../report/structures_tradeoff.rst", category="Structures"),
        residual=report("figures/structures_residual.pdf",
                        caption="../report/structures_residual.rst", category="Structures"),
        provenance=[
            prov(f"{GENERATED}/tables/structures_variants.tex"),
            prov(f"{GENERATED}/tables/structures_decomposition.tex"),
            prov(f"{GENERATED}/tables/structures_resnet.tex"),
            prov("figures/structures_tradeoff.pdf"),
            prov("figures/structures_residual.pdf"),
        ],
        macros=macro_file("structures"),
    params:
        config=settings("structures", "seeds", "seed", "benchmark.interleaved.confidence",
                        "benchmark.interleaved.resamples"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    log:
        "logs/structures/report.log",
    conda:
        ENV
    script:
        "../scripts/structures_report.py"
