"""Rule activation_pruning_autoencoder_{plain,l1}: the autoencoder's first training for one seed and
training family, and the channel pruning of every variant of that family."""
import io
from pathlib import Path

import numpy as np

from mobileopt.core import artifacts
from mobileopt.activation_pruning.autoencoder_experiment import (RECONSTRUCTED_IMAGES, AutoencoderSettings,
                                                      run_autoencoder_experiment)
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import configure_tensorflow, training_threads
from mobileopt.core.training import load_configured_dataset, save_model

with redirect_output_to(snakemake.log[0]):
    params, seed = snakemake.params, int(snakemake.wildcards.ap_seed)
    section = params.config["activation_pruning"]
    configure_tensorflow(seed, training_threads(snakemake.threads, params.train_threads))
    arrays = load_configured_dataset(params.config, snakemake.input.npz, selection=False)
    results = run_autoencoder_experiment(AutoencoderSettings.from_config(section["autoencoder"]), arrays, seed,
                                         params.family, params.variants)
    for path in snakemake.output.tables:
        frame = getattr(results, Path(path).stem.split("_", 1)[1])
        artifacts.atomic_write_text(path, frame.to_csv(index=False))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, originals=arrays["test_images"][:RECONSTRUCTED_IMAGES],
                        **results.reconstructions)
    artifacts.atomic_write_bytes(snakemake.output.reconstructions, buffer.getvalue())
    for path in snakemake.output.models:
        save_model(results.models[Path(path).parent.name], path)
