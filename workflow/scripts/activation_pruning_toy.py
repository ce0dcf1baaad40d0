"""Rule activation_pruning_toy: every pruning variant and seed of the toy network for one initialisation
and optimizer (mobileopt.activation_pruning_toy)."""
from pathlib import Path

from mobileopt import artifacts, toy_network
from mobileopt.activation_pruning_toy import ToyExperimentSettings, optimizer_settings, run_toy_experiment
from mobileopt.artifacts import redirect_output_to
from mobileopt.runtime import configure_tensorflow
from mobileopt.training import save_model

with redirect_output_to(snakemake.log[0]):
    params, wildcards = snakemake.params, snakemake.wildcards
    configure_tensorflow(params.seeds[0], snakemake.threads)
    results = run_toy_experiment(ToyExperimentSettings.from_config(params.section), wildcards.ap_init,
                                 optimizer_settings(params.section, wildcards.ap_optimizer), params.seeds,
                                 params.variants)
    for path in snakemake.output.tables:
        artifacts.atomic_write_text(path, getattr(results, Path(path).stem).to_csv(index=False))
    for name, path in zip(params.models, snakemake.output.models):
        save_model(toy_network.to_keras(results.models[name]), path)
