# Comparison of every classifier variant of every topic, and methods combined (RQ4, RQ7, RQ8).
# combination_convert turns each configured source model (the baseline and variants other topics made)
# into every configured number format; the generic benchmark_latency rule times each .tflite.
from mobileopt.comparison import combination
from mobileopt.comparison.pareto import timing_key

try:
    COMBINATION_SOURCES = combination.validate_sources(config)  # label -> source
except ValueError as error:
    raise WorkflowError(str(error))
COMBINATION_FORMATS = config["combination"]["formats"]
COMBINATION_CELLS = [(label, fmt) for label in COMBINATION_SOURCES for fmt in COMBINATION_FORMATS]
# Every .tflite the comparison ranks, timed together (rule comparison_latency).
COMPARISON_MODELS = ["results/tflite/baseline.tflite",
                     *expand("results/tflite/structures/{variant}.tflite", variant=STRUCTURES_VARIANTS),
                     *[path for method in compression.METHODS for path in compression.tflite_files(config, method)],
                     *[combination.tflite_path(label, fmt) for label, fmt in COMBINATION_CELLS]]

THESIS_ARTIFACTS.extend([
    f"{GENERATED}/tables/comparison_pareto.tex",
    f"{GENERATED}/tables/comparison_combination.tex",
    f"{GENERATED}/tables/comparison_winners.tex",
    "figures/comparison_tradeoff.pdf",
])
MACRO_FILES.append(macro_file("comparison"))
EXTRA_TARGETS.append("results/comparison/all_variants.csv")
RESULT_TABLES.extend(["results/comparison/all_variants.csv", "results/comparison/combinations.csv"])

rule combination_convert:
    input:
        model=lambda wildcards: combination.model_path(COMBINATION_SOURCES[wildcards.label]),
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("combination_convert.py"),
    output:
        tflite=[combination.tflite_path("{label}", fmt) for fmt in COMBINATION_FORMATS],
        records=[combination.record_path("{label}", fmt) for fmt in COMBINATION_FORMATS],
    params:
        source=lambda wildcards: COMBINATION_SOURCES[wildcards.label],
        config=settings("seed", "combination.representative_images", "combination.formats", *CLASSIFIER_DATA),
    wildcard_constraints:
        label="|".join(COMBINATION_SOURCES),
    threads: 1
    resources:
        mem_mb=2500,
        runtime=10,
    log:
        "logs/combination/convert_{label}.log",
    benchmark:
        "benchmarks/combination/convert_{label}.tsv"
    conda:
        ENV
    script:
        "../scripts/combination_convert.py"


rule comparison_latency:
    # Every model the comparison ranks, timed together, interleaved (config benchmark.interleaved): the
    # speed-ups, their intervals and the latencies the choices use come from here.
    input:
        models=COMPARISON_MODELS,
        one_operator="results/tflite/one_operator.tflite",
        code=code("interleaved_latency.py"),
    output:
        timings="results/comparison/latency_rounds.csv",
        intervals="results/comparison/latency_intervals.csv",
        machine="results/comparison/latency_machine.json",
    params:
        names=[timing_key(path) for path in COMPARISON_MODELS],
        reference="baseline",
        config=settings("seed", "benchmark.threads", "benchmark.interleaved"),
    threads: TIMING_THREADS
    resources:
        mem_mb=3000,
        runtime=20,
    log:
        "logs/comparison/latency.log",
    benchmark:
        "benchmarks/comparison/latency.tsv"
    conda:
        ENV
    script:
        "../scripts/interleaved_latency.py"


rule comparison_report:
    input:
        structures="results/structures/summary.csv",
        compression="results/compression/summary.csv",
        records=[combination.record_path(label, fmt) for label, fmt in COMBINATION_CELLS],
        latencies=[combination.latency_path(label, fmt) for label, fmt in COMBINATION_CELLS],
        metrics="results/baseline/metrics.json",
        latency="results/latency/baseline.json",
        intervals="results/comparison/latency_intervals.csv",
        rounds="results/comparison/latency_rounds.csv",
        interleaved_machine="results/comparison/latency_machine.json",
        code=code("comparison_report.py"),
    output:
        frame="results/comparison/all_variants.csv",
        interactions="results/comparison/combinations.csv",
        table=f"{GENERATED}/tables/comparison_pareto.tex",
        combination_table=f"{GENERATED}/tables/comparison_combination.tex",
        winners_table=f"{GENERATED}/tables/comparison_winners.tex",
        figure=report("figures/comparison_tradeoff.pdf", caption="../report/comparison_tradeoff.rst",
                      category="Comparison"),
        provenance=[prov(f"{GENERATED}/tables/comparison_pareto.tex"),
                    prov(f"{GENERATED}/tables/comparison_combination.tex"),
                    prov(f"{GENERATED}/tables/comparison_winners.tex"),
                    prov("figures/comparison_tradeoff.pdf")],
        macros=macro_file("comparison"),
    params:
        config=settings("comparison", "benchmark.interleaved.confidence", "benchmark.interleaved.resamples"),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    log:
        "logs/comparison/report.log",
    benchmark:
        "benchmarks/comparison/report.tsv"
    conda:
        ENV
    script:
        "../scripts/comparison_report.py"
