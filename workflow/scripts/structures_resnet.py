"""Rule structures_resnet: ResNet-34/50 from He et al.'s Table 1, counted per stage by the cost model."""
from mobileopt.core import artifacts
from mobileopt.structures import resnet
from mobileopt.core.artifacts import redirect_output_to
from mobileopt.core.runtime import configure_tensorflow

with redirect_output_to(snakemake.log[0]):
    configure_tensorflow(snakemake.params.config["seed"], snakemake.threads)
    frame = resnet.resnet_cost_frame()
    print(frame.to_string())
    artifacts.atomic_write_text(snakemake.output.costs, frame.to_csv(index=False))
