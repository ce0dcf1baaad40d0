"""Rule zoo_probes: single layers of each kind, converted and timed alone with LiteRT (1 thread)."""
import tempfile

from mobileopt.core import artifacts
from mobileopt.measurement import roofline
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import configure_tensorflow

with redirect_output_to(snakemake.log[0]):
    config = snakemake.params.config
    configure_tensorflow(config["seed"], 1)
    settings = config["zoo"]["probes"]
    with tempfile.TemporaryDirectory() as workdir:
        frame = roofline.time_probes(roofline.PROBES, 1, settings["warmup_runs"],
                                     settings["timed_runs"], workdir)
    print(frame.to_string())
    artifacts.atomic_write_text(snakemake.output.probes, frame.to_csv(index=False))
