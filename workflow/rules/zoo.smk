# Which models are slow on phones and why: model zoo latency and the roofline (RQ1, RQ2).
# Each zoo model (random weights) is converted to TFLite and timed with the stand-alone LiteRT script
# at every configured thread count; the machine's roofs and single-layer probes place them on a roofline.

ZOO_MODELS = config["zoo"]["models"]
ZOO_THREADS = config["zoo"]["threads"]

THESIS_ARTIFACTS.extend([
    f"{GENERATED}/tables/zoo_models.tex",
    f"{GENERATED}/tables/zoo_probes.tex",
    "figures/zoo_roofline.pdf",
])
MACRO_FILES.append(macro_file("zoo"))
EXTRA_TARGETS.append("results/zoo/summary.csv")
RESULT_TABLES.extend(["results/zoo/summary.csv", "results/zoo/layer_probes.csv"])


rule zoo_convert:
    input:
        code=code("zoo_convert.py"),
    output:
        tflite="results/tflite/zoo/{zoo_model}.tflite",
        record="results/zoo/{zoo_model}/record.json",
        layers="results/zoo/{zoo_model}/layers.csv",
    params:
        config=settings("seed", "zoo.input_size"),
    wildcard_constraints:
        zoo_model="|".join(ZOO_MODELS),
    # One thread: VGG16 converts in 26.8 s on one thread against 23.9 s on two, and two threads would
    # keep the second core from other work (the full run's zoo conversions held both cores for 195 s).
    threads: 1
    resources:
        mem_mb=6000,
        runtime=10,
    log:
        "logs/zoo/convert_{zoo_model}.log",
    benchmark:
        "benchmarks/zoo/convert_{zoo_model}.tsv"
    conda:
        ENV
    script:
        "../scripts/zoo_convert.py"


rule zoo_latency:
    # The same stand-alone script as benchmark_latency, with the zoo's thread counts and fewer runs.
    input:
        model="results/tflite/zoo/{zoo_model}.tflite",
        # Stand-alone (numpy and LiteRT only, no package import): the file is all of its code.
        script="src/mobileopt/measurement/litert_benchmark.py",
    output:
        "results/zoo/latency/{zoo_model}_threads{threads}.json",
    params:
        warmup=config["zoo"]["warmup_runs"],
        runs=config["zoo"]["timed_runs"],
    wildcard_constraints:
        zoo_model="|".join(ZOO_MODELS),
        threads=r"\d+",
    threads: TIMING_THREADS
    resources:
        mem_mb=3000,
        runtime=10,
    log:
        "logs/zoo/latency_{zoo_model}_threads{threads}.log",
    benchmark:
        "benchmarks/zoo/latency_{zoo_model}_threads{threads}.tsv"
    conda:
        ENV
    shell:
        "python {input.script} {input.model} --threads {wildcards.threads} --warmup {params.warmup}"
        " --runs {params.runs} --out {output} > {log} 2>&1"


rule zoo_machine:
    # The roofs: peak FLOP/s and copy bandwidths on 1 thread (the roofline is drawn for 1 thread).
    input:
        code=code("mobileopt.measurement.roofline"),
    output:
        "results/zoo/machine.json",
    params:
        machine=canonical(config["zoo"]["machine"]),
    threads: TIMING_THREADS
    resources:
        mem_mb=3000,
        runtime=5,
    log:
        "logs/zoo/machine.log",
    benchmark:
        "benchmarks/zoo/machine.tsv"
    conda:
        ENV
    shell:
        "python -m mobileopt.measurement.roofline --threads 1 --matrix-size {params.machine[matrix_size]}"
        " --memory-megabytes {params.machine[memory_megabytes]}"
        " --cache-megabytes {params.machine[cache_megabytes]}"
        " --stream-megabytes {params.machine[stream_megabytes]}"
        " --repeats {params.machine[repeats]} --out {output} > {log} 2>&1"


rule zoo_probes:
    input:
        code=code("zoo_probes.py"),
    output:
        probes="results/zoo/layer_probes.csv",
    params:
        config=settings("seed", "zoo.probes"),
    threads: TIMING_THREADS
    resources:
        mem_mb=3000,
        runtime=5,
    log:
        "logs/zoo/probes.log",
    benchmark:
        "benchmarks/zoo/probes.tsv"
    conda:
        ENV
    script:
        "../scripts/zoo_probes.py"


rule zoo_report:
    input:
        records=expand("results/zoo/{zoo_model}/record.json", zoo_model=ZOO_MODELS),
        layers=expand("results/zoo/{zoo_model}/layers.csv", zoo_model=ZOO_MODELS),
        latencies=[f"results/zoo/latency/{model}_threads{threads}.json"
                   for model in ZOO_MODELS for threads in ZOO_THREADS],
        machine="results/zoo/machine.json",
        probes="results/zoo/layer_probes.csv",
        code=code("zoo_report.py"),
    output:
        summary="results/zoo/summary.csv",
        kinds="results/zoo/layer_kinds.csv",
        zoo_table=f"{GENERATED}/tables/zoo_models.tex",
        probes_table=f"{GENERATED}/tables/zoo_probes.tex",
        roofline=report("figures/zoo_roofline.pdf", caption="../report/zoo_roofline.rst",
                        category="Model zoo"),
        provenance=[
            prov(f"{GENERATED}/tables/zoo_models.tex"),
            prov(f"{GENERATED}/tables/zoo_probes.tex"),
            prov("figures/zoo_roofline.pdf"),
        ],
        macros=macro_file("zoo"),
    params:
        config=settings("zoo.models", "zoo.threads"),
        models=ZOO_MODELS,
        # (model, threads) of each latency file, in the same order as input.latencies.
        latency_keys=[(model, threads) for model in ZOO_MODELS for threads in ZOO_THREADS],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    log:
        "logs/zoo/report.log",
    conda:
        ENV
    script:
        "../scripts/zoo_report.py"
