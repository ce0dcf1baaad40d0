# Activation-based pruning of the toy network and the MNIST autoencoder (sections 2.2.2-2.2.3).
# Toy: one job per (initialisation, optimizer), all variants and seeds inside (variants of a training
# family share the first training). Autoencoder: one job per (seed, training family). The first seed's
# pruned models are converted and timed by the generic rules of benchmark.smk.
from mobileopt.activation_pruning.criteria import VARIANTS as AP_VARIANT_SPECS

AP = config["activation_pruning"]
AP_VARIANTS = AP["variants"]
AP_SEEDS = AP["seeds"]
AP_TOY_RUNS = [(init, opt) for init, opts in AP["toy"]["initialisations"].items() for opt in opts]
AP_TOY_MODELS = ["unpruned"] + AP_VARIANTS
AP_AE_FAMILY_VARIANTS = {family: [v for v in AP_VARIANTS if AP_VARIANT_SPECS[v].training_family == family]
                         for family in ("plain", "l1")}
AP_AE_FAMILY_MODELS = {"plain": ["reference", "unpruned"] + AP_AE_FAMILY_VARIANTS["plain"],
                       "l1": AP_AE_FAMILY_VARIANTS["l1"]}
AP_AE_MODELS = AP_AE_FAMILY_MODELS["plain"] + AP_AE_FAMILY_MODELS["l1"]
AP_TOY_LATENCY = f"toy/{AP['toy']['latency_initialisation']}/{AP['toy']['latency_optimizer']}"
AP_TOY_FILES = ["runs", "cycles", "history", "gradients", "activations"]
AP_AE_FILES = ["runs", "cycles", "activations"]
# What one toy job reads: its section without the keys that choose which jobs exist or which one the
# report times (those change no job's results).
AP_TOY_JOB_KEYS = [f"activation_pruning.toy.{key}" for key in AP["toy"]
                   if key not in ("initialisations", "latency_initialisation", "latency_optimizer")]

THESIS_ARTIFACTS.extend([
    f"{GENERATED}/tables/activation_pruning_toy_convergence.tex",
    f"{GENERATED}/tables/activation_pruning_toy_variants.tex",
    f"{GENERATED}/tables/activation_pruning_toy_mse.tex",
    f"{GENERATED}/tables/activation_pruning_toy_cost.tex",
    f"{GENERATED}/tables/activation_pruning_autoencoder.tex",
    "figures/activation_pruning_cycles.pdf",
    "figures/activation_pruning_histograms.pdf",
    "figures/activation_pruning_gradients.pdf",
    "figures/activation_pruning_reconstructions.pdf",
])
MACRO_FILES.append(macro_file("activation_pruning"))
EXTRA_TARGETS.append("results/activation_pruning/summary.csv")
RESULT_TABLES.append("results/activation_pruning/summary.csv")
# Every model the jobs write, not only those the report times: Snakemake skips the params check of a
# job any of whose outputs has no metadata, so an unrequested new output (a variant added to the
# config) would otherwise leave the job's tables stale (tests/test_rebuilds.py found it).
EXTRA_TARGETS.extend(expand("results/activation_pruning/toy/{run}/{name}/model.keras", name=AP_TOY_MODELS,
                            run=[f"{init}/{opt}" for init, opt in AP_TOY_RUNS]))
EXTRA_TARGETS.extend(expand("results/activation_pruning/autoencoder/seed_{seed}/{name}/model.keras",
                            seed=AP_SEEDS, name=AP_AE_MODELS))


wildcard_constraints:
    ap_init="glorot_uniform|standard_normal",
    ap_optimizer="momentum|sgd|adam|rmsprop",
    ap_seed=r"\d+",


rule activation_pruning_toy:
    input:
        code=code("activation_pruning_toy.py"),
    output:
        tables=expand("results/activation_pruning/toy/{{ap_init}}/{{ap_optimizer}}/{name}.csv",
                      name=AP_TOY_FILES),
        models=expand("results/activation_pruning/toy/{{ap_init}}/{{ap_optimizer}}/{name}/model.keras",
                      name=AP_TOY_MODELS),
    params:
        config=settings("activation_pruning.seeds", "activation_pruning.variants", *AP_TOY_JOB_KEYS),
        models=AP_TOY_MODELS,
        train_threads=AP["threads"],
    threads: AP["threads"]
    resources:
        mem_mb=2500,
        runtime=15,
    log:
        "logs/activation_pruning/toy_{ap_init}_{ap_optimizer}.log",
    benchmark:
        "benchmarks/activation_pruning/toy_{ap_init}_{ap_optimizer}.tsv"
    conda:
        ENV
    script:
        "../scripts/activation_pruning_toy.py"


rule activation_pruning_autoencoder_plain:
    input:
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("activation_pruning_autoencoder.py"),
    output:
        tables=expand("results/activation_pruning/autoencoder/seed_{{ap_seed}}/plain_{name}.csv",
                      name=AP_AE_FILES),
        reconstructions="results/activation_pruning/autoencoder/seed_{ap_seed}/plain_reconstructions.npz",
        models=expand("results/activation_pruning/autoencoder/seed_{{ap_seed}}/{name}/model.keras",
                      name=AP_AE_FAMILY_MODELS["plain"]),
    params:
        family="plain",
        # Only this family's variants: adding an L1 variant does not retrain the plain family.
        variants=AP_AE_FAMILY_VARIANTS["plain"],
        config=settings("activation_pruning.autoencoder", *DATA_LIMITS),
        train_threads=AP["threads"],
    threads: AP["threads"]
    resources:
        mem_mb=4000,
        runtime=20,
    log:
        "logs/activation_pruning/autoencoder_seed_{ap_seed}_plain.log",
    benchmark:
        "benchmarks/activation_pruning/autoencoder_seed_{ap_seed}_plain.tsv"
    conda:
        ENV
    script:
        "../scripts/activation_pruning_autoencoder.py"


rule activation_pruning_autoencoder_l1:
    input:
        npz=DATASET,
        manifest=DATASET_MANIFEST,
        code=code("activation_pruning_autoencoder.py"),
    output:
        tables=expand("results/activation_pruning/autoencoder/seed_{{ap_seed}}/l1_{name}.csv",
                      name=AP_AE_FILES),
        reconstructions="results/activation_pruning/autoencoder/seed_{ap_seed}/l1_reconstructions.npz",
        models=expand("results/activation_pruning/autoencoder/seed_{{ap_seed}}/{name}/model.keras",
                      name=AP_AE_FAMILY_MODELS["l1"]),
    params:
        family="l1",
        variants=AP_AE_FAMILY_VARIANTS["l1"],
        config=settings("activation_pruning.autoencoder", *DATA_LIMITS),
        train_threads=AP["threads"],
    threads: AP["threads"]
    resources:
        mem_mb=4000,
        runtime=20,
    log:
        "logs/activation_pruning/autoencoder_seed_{ap_seed}_l1.log",
    benchmark:
        "benchmarks/activation_pruning/autoencoder_seed_{ap_seed}_l1.tsv"
    conda:
        ENV
    script:
        "../scripts/activation_pruning_autoencoder.py"


rule activation_pruning_report:
    input:
        toy=expand("results/activation_pruning/toy/{run}/{name}.csv", name=AP_TOY_FILES,
                   run=[f"{init}/{opt}" for init, opt in AP_TOY_RUNS]),
        autoencoder=expand("results/activation_pruning/autoencoder/seed_{seed}/{family}_{name}.csv",
                           seed=AP_SEEDS, family=["plain", "l1"], name=AP_AE_FILES),
        reconstructions=expand("results/activation_pruning/autoencoder/seed_{seed}/{family}_reconstructions.npz",
                               seed=AP_SEEDS[0], family=["plain", "l1"]),
        toy_models=expand("results/activation_pruning/{run}/{name}/model.keras", run=AP_TOY_LATENCY,
                          name=AP_TOY_MODELS),
        toy_latency=expand("results/latency/activation_pruning/{run}/{name}.json", run=AP_TOY_LATENCY,
                           name=AP_TOY_MODELS),
        autoencoder_models=expand("results/activation_pruning/autoencoder/seed_{seed}/{name}/model.keras",
                                  seed=AP_SEEDS[0], name=AP_AE_MODELS),
        autoencoder_latency=expand("results/latency/activation_pruning/autoencoder/seed_{seed}/{name}.json",
                                   seed=AP_SEEDS[0], name=AP_AE_MODELS),
        one_operator_latency="results/latency/one_operator.json",
        code=code("activation_pruning_report.py"),
    output:
        summary="results/activation_pruning/summary.csv",
        toy_convergence=f"{GENERATED}/tables/activation_pruning_toy_convergence.tex",
        toy_variants=f"{GENERATED}/tables/activation_pruning_toy_variants.tex",
        toy_mse=f"{GENERATED}/tables/activation_pruning_toy_mse.tex",
        toy_cost=f"{GENERATED}/tables/activation_pruning_toy_cost.tex",
        autoencoder=f"{GENERATED}/tables/activation_pruning_autoencoder.tex",
        cycles=report("figures/activation_pruning_cycles.pdf",
                      caption="../report/activation_pruning_cycles.rst", category="Activation pruning"),
        histograms=report("figures/activation_pruning_histograms.pdf",
                          caption="../report/activation_pruning_histograms.rst", category="Activation pruning"),
        gradients=report("figures/activation_pruning_gradients.pdf",
                         caption="../report/activation_pruning_gradients.rst", category="Activation pruning"),
        reconstructions=report("figures/activation_pruning_reconstructions.pdf",
                               caption="../report/activation_pruning_reconstructions.rst",
                               category="Activation pruning"),
        provenance=[
            prov(f"{GENERATED}/tables/activation_pruning_toy_convergence.tex"),
            prov(f"{GENERATED}/tables/activation_pruning_toy_variants.tex"),
            prov(f"{GENERATED}/tables/activation_pruning_toy_mse.tex"),
            prov(f"{GENERATED}/tables/activation_pruning_toy_cost.tex"),
            prov(f"{GENERATED}/tables/activation_pruning_autoencoder.tex"),
            prov("figures/activation_pruning_cycles.pdf"),
            prov("figures/activation_pruning_histograms.pdf"),
            prov("figures/activation_pruning_gradients.pdf"),
            prov("figures/activation_pruning_reconstructions.pdf"),
        ],
        macros=macro_file("activation_pruning"),
    params:
        config=settings("activation_pruning"),
        toy_latency_run=AP_TOY_LATENCY,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    log:
        "logs/activation_pruning/report.log",
    benchmark:
        "benchmarks/activation_pruning/report.tsv"
    conda:
        ENV
    script:
        "../scripts/activation_pruning_report.py"
