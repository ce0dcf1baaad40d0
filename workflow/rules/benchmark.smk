# On-device benchmark: Keras -> TFLite (converter) -> LiteRT interpreter latency and size.


rule benchmark_convert:
    input:
        model="results/{model}/model.keras",
        code=code("mobileopt.measurement.tflite_export"),
    output:
        "results/tflite/{model}.tflite",
    # Topics that write their own .tflite (converter options, no model.keras) are not converted here.
    wildcard_constraints:
        model=r"(?!(compression|zoo|combination)/|one_operator$)[a-z0-9_]+(/[a-z0-9_]+)*",
    threads: 1
    resources:
        mem_mb=3000,
        runtime=15,
    log:
        "logs/benchmark/convert_{model}.log",
    benchmark:
        "benchmarks/benchmark/convert_{model}.tsv"
    conda:
        ENV
    shell:
        "python -m mobileopt.measurement.tflite_export --model {input.model} --out {output} > {log} 2>&1"


rule benchmark_one_operator:
    # One multiplication on a classifier-sized input: the interpreter's fixed cost per call, timed
    # beside the models it is compared with.
    input:
        code=code("mobileopt.measurement.tflite_export"),
    output:
        "results/tflite/one_operator.tflite",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    log:
        "logs/benchmark/one_operator.log",
    benchmark:
        "benchmarks/benchmark/one_operator.tsv"
    conda:
        ENV
    shell:
        "python -m mobileopt.measurement.tflite_export --one-operator --out {output} > {log} 2>&1"


rule benchmark_latency:
    # Runs the stand-alone script exactly as a phone would (numpy + ai-edge-litert only).
    input:
        model="results/tflite/{model}.tflite",
        # Stand-alone (numpy and LiteRT only, no package import): the file is all of its code.
        script="src/mobileopt/measurement/litert_benchmark.py",
    output:
        "results/latency/{model}.json",
    params:
        threads=config["benchmark"]["threads"],
        warmup=config["benchmark"]["warmup_runs"],
        runs=config["benchmark"]["timed_runs"],
    threads: TIMING_THREADS
    resources:
        mem_mb=2000,
        runtime=30,
    log:
        "logs/benchmark/latency_{model}.log",
    benchmark:
        "benchmarks/benchmark/latency_{model}.tsv"
    conda:
        ENV
    shell:
        "python {input.script} {input.model} --threads {params.threads} --warmup {params.warmup}"
        " --runs {params.runs} --out {output} > {log} 2>&1"
