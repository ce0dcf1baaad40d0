"""Rule data_download: obtain the configured dataset, verify it, store it (mobileopt.core.data)."""
from pathlib import Path

from mobileopt.core import data
from mobileopt.core.artifacts import redirect_output_to

with redirect_output_to(snakemake.log[0]):
    # Mirrors and time-outs come untracked (they change no result): mobileopt.core.config.Untracked.
    data_config = {**snakemake.params.config["data"], **snakemake.params.download.value["data"]}
    manifest = data.prepare(data_config, Path(snakemake.output.npz))
    assert Path(snakemake.output.manifest) == data.manifest_path_for(snakemake.output.npz)
    print(manifest)
