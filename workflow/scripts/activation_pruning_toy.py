"""Rule activation_pruning_toy: every pruning variant and seed of the toy network for one initialisation
and optimizer (mobileopt.activation_pruning.toy_experiment)."""
from pathlib import Path

from mobileopt.core import artifacts
from mobileopt.activation_pruning import toy_network
from mobileopt.activation_pruning.toy_experiment import ToyExperimentSettings, optimizer_settings, run_toy_experiment
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import configure_tensorflow, training_threads
from mobileopt.core.training import save_model

with redirect_output_to(snakemake.log[0]):
    params, wildcards = snakemake.params, snakemake.wildcards
    section = params.config["activation_pruning"]
    configure_tensorflow(section["seeds"][0], training_threads(snakemake.threads, params.train_threads))
    results = run_toy_experiment(ToyExperimentSettings.from_config(section["toy"]), wildcards.ap_init,
                                 optimizer_settings(section["toy"], wildcards.ap_optimizer), section["seeds"],
                                 section["variants"])
    for path in snakemake.output.tables:
        artifacts.atomic_write_text(path, getattr(results, Path(path).stem).to_csv(index=False))
    for name, path in zip(params.models, snakemake.output.models):
        save_model(toy_network.to_keras(results.models[name]), path)
