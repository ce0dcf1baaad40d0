# Compression: weight pruning, sparse kernels, SVD, weight sharing, quantisation, Fisher pruning (2.2.1, 2.6, 2.7).
# Resources from benchmarks/compression/*.tsv of a full run (max_rss <= 1.4 GB, <= 200 s on a loaded
# 2-core machine), with about twice that as headroom.
# One rule per method of the registry (mobileopt.compression.variants.REGISTRY): each fine-tunes all of
# the method's variants from the trained baseline and writes each variant's .tflite itself (sparse
# encodings and quantised formats need converter options); the generic benchmark_latency rule times
# every .tflite. One job per method, not per variant: a TensorFlow process costs ~6 s to start and load
# the data, a third of a variant's fine-tuning.
from mobileopt.compression import scratch_control
from mobileopt.compression import variants as compression

SCRATCH_CONTROLS = {scratch_control.name_of(fraction): fraction
                    for fraction in scratch_control.configured_fractions(config)}

COMPRESSION_TABLES = ["pruning", "sparse_kernels", "factorization", "weight_sharing", "quantization",
                      "fisher_pruning", "ef_operator", "overview"]
COMPRESSION_FIGURES = ["sparse_kernels", "pruning", "svd_spectra", "svd_ranks", "weight_sharing",
                       "fisher_pruning", "size_accuracy"]

THESIS_ARTIFACTS.extend([f"{GENERATED}/tables/compression_{name}.tex" for name in COMPRESSION_TABLES])
THESIS_ARTIFACTS.extend([f"figures/compression_{name}.pdf" for name in COMPRESSION_FIGURES])
MACRO_FILES.append(macro_file("compression"))
EXTRA_TARGETS.append("results/compression/summary.csv")
RESULT_TABLES.extend(["results/compression/summary.csv", "results/compression/sparse_kernels/break_even.csv",
                      "results/compression/factorization/rank_sweep.csv"])


for method in compression.REGISTRY:

    rule:
        name:
            f"compression_{method.name}"
        input:
            baseline="results/baseline/model.keras",
            npz=DATASET,
            manifest=DATASET_MANIFEST,
            code=code("compression_method.py", f"mobileopt.compression.{method.module}"),
        output:
            models=compression.model_files(config, method.name),
            tflite=compression.tflite_files(config, method.name),
            records=compression.record_files(config, method.name),
            extra=compression.output_files(method.name),
        params:
            method=method.name,
            config=settings("seed", "baseline", *DATA_LIMITS, "compression.fine_tune",
                            f"compression.{method.name}"),
            train_threads=config["train_threads"],
        threads: config["train_threads"]
        resources:
            mem_mb=3000,
            runtime=method.runtime_minutes,
        log:
            f"logs/compression/{method.name}.log",
        benchmark:
            f"benchmarks/compression/{method.name}.tsv"
        conda:
            ENV
        script:
            "../scripts/compression_method.py"


rule compression_sparse_kernels:
    input:
        baseline="results/baseline/model.keras",
        code=code("compression_sparse_kernels.py"),
    output:
        timings="results/compression/sparse_kernels/timings.csv",
        rounds="results/compression/sparse_kernels/rounds.csv",
        break_even="results/compression/sparse_kernels/break_even.csv",
    params:
        config=settings("seed", "compression.sparse_kernels", "benchmark.interleaved.confidence",
                        "benchmark.interleaved.resamples"),
    # A timing: runs alone (see TIMING_THREADS); the timed code itself uses sparse_kernels.threads.
    threads: TIMING_THREADS
    resources:
        mem_mb=2000,
        runtime=5,
    log:
        "logs/compression/sparse_kernels.log",
    benchmark:
        "benchmarks/compression/sparse_kernels.tsv"
    conda:
        ENV
    script:
        "../scripts/compression_sparse_kernels.py"


rule compression_scratch_control:
    # Liu et al.'s control: the network at each Fisher-pruned width, trained from scratch per seed.
    input:
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("compression_scratch_control.py"),
    output:
        **scratch_control.output_paths("{control}"),
    params:
        fraction=lambda wildcards: SCRATCH_CONTROLS[wildcards.control],
        config=settings("seed", "seeds", "baseline", *DATA_LIMITS, "compression.fisher_pruning.layers"),
        train_threads=config["train_threads"],
    wildcard_constraints:
        control="|".join(SCRATCH_CONTROLS) or "(?!)",
    threads: config["train_threads"]
    resources:
        mem_mb=3000,
        runtime=30,
    log:
        "logs/compression/scratch_{control}.log",
    benchmark:
        "benchmarks/compression/scratch_{control}.tsv"
    conda:
        ENV
    script:
        "../scripts/compression_scratch_control.py"


rule compression_summary:
    # One row per .tflite of the topic (plus the baseline): accuracy, size, latency, cost.
    input:
        records=[path for method in compression.METHODS for path in compression.record_files(config, method)],
        latencies=compression.latency_files(config),
        metrics=[path for method in compression.METHODS for path in compression.model_files(config, method)
                 if path.endswith("metrics.json")],
        baseline_metrics="results/baseline/metrics.json",
        baseline_latency="results/latency/baseline.json",
        code=code("compression_summary.py"),
    output:
        summary="results/compression/summary.csv",
    params:
        config=settings(*[f"compression.{name}" for name in compression.METHODS]),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    log:
        "logs/compression/summary.log",
    conda:
        ENV
    script:
        "../scripts/compression_summary.py"


rule compression_report:
    input:
        summary="results/compression/summary.csv",
        timings="results/compression/sparse_kernels/timings.csv",
        break_even="results/compression/sparse_kernels/break_even.csv",
        sweep="results/compression/factorization/rank_sweep.csv",
        spectra="results/compression/factorization/singular_values.csv",
        scores="results/compression/fisher_pruning/channel_scores.csv",
        # The artefacts' records: which test images each got right, for the significance verdicts.
        records=[path for method in compression.METHODS for path in compression.record_files(config, method)],
        scratch=[scratch_control.output_paths(name)[key] for name in SCRATCH_CONTROLS
                 for key in ("metrics", "predictions")],
        code=code("compression_report.py"),
    output:
        tables=[f"{GENERATED}/tables/compression_{name}.tex" for name in COMPRESSION_TABLES],
        figures=[report(f"figures/compression_{name}.pdf", caption=f"../report/compression_{name}.rst",
                        category="Compression") for name in COMPRESSION_FIGURES],
        provenance=[prov(f"{GENERATED}/tables/compression_{name}.tex") for name in COMPRESSION_TABLES]
        + [prov(f"figures/compression_{name}.pdf") for name in COMPRESSION_FIGURES],
        macros=macro_file("compression"),
    params:
        config=settings("compression", "comparison.max_accuracy_drop_points", "baseline.epochs", "seeds"),
    threads: 1
    resources:
        mem_mb=1500,
        runtime=5,
    log:
        "logs/compression/report.log",
    conda:
        ENV
    script:
        "../scripts/compression_report.py"
