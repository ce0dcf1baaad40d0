"""The classifier variants of the structures topic, as data derived from the config's `structures`
block. No TensorFlow here: the workflow imports this to name its jobs, and Snakemake must start fast.

Every variant is a family plus the arguments of its builder (mobileopt.models.architectures):

=============  ======================================================  =====================
family         builder arguments                                       variant name
=============  ======================================================  =====================
standard       none: the Table 2.2 classifier on the variants' budget  standard_reference
decomposed     bound_fraction f, order, intermediate_activation        decomposed_f25[_reversed]
separable      depth_multiplier I                                      separable_i1
plain          width sized to the matched cost                         plain_matched
inception      width sized to the matched cost                         inception_matched
bottleneck     width sized to the matched cost                         bottleneck_matched
deep           blocks_per_stage, widths, residual, batch_norm, epochs  deep_plain, deep_residual
lenet5         none: LeNet-5 (Caffe), a standard small reference       lenet5
=============  ======================================================  =====================
"""
from __future__ import annotations

from dataclasses import dataclass, field

FAMILIES = ("standard", "decomposed", "separable", "plain", "inception", "bottleneck", "deep", "lenet5")


@dataclass(frozen=True)
class VariantSpec:
    name: str  # directory under results/structures/ (lower case, digits, underscores)
    family: str
    arguments: dict = field(default_factory=dict, hash=False, compare=True)

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}; expected one of {FAMILIES}")


def fraction_tag(fraction: float) -> str:
    """0.25 -> 'f25' (percent of the bound, so names stay valid wildcards)."""
    percent = round(100 * fraction)
    if not 0 < percent < 100 or abs(100 * fraction - percent) > 1e-9:
        raise ValueError(f"bound fractions must be whole percentages in (0, 1), got {fraction}")
    return f"f{percent:02d}"


def variant_specs(section: dict) -> list[VariantSpec]:
    """Every variant the config asks for, in the order the thesis reports them."""
    # The baseline architecture trained with the variants' (shorter) settings: accuracy differences
    # against it are due to the structure, not to the training budget.
    specs = [VariantSpec("standard_reference", "standard")]
    decomposed = section["decomposed"]
    activation = decomposed["intermediate_activation"]
    for fraction in decomposed["bound_fractions"]:
        specs.append(VariantSpec(f"decomposed_{fraction_tag(fraction)}", "decomposed",
                                 {"bound_fraction": fraction, "order": "vertical_first",
                                  "intermediate_activation": activation}))
    unpaired = set(decomposed["reversed_fractions"]) - set(decomposed["bound_fractions"])
    if unpaired:  # a reversed variant is compared with its N x 1-first twin
        raise ValueError(f"reversed_fractions {sorted(unpaired)} are not in bound_fractions")
    for fraction in decomposed["reversed_fractions"]:
        specs.append(VariantSpec(f"decomposed_{fraction_tag(fraction)}_reversed", "decomposed",
                                 {"bound_fraction": fraction, "order": "horizontal_first",
                                  "intermediate_activation": activation}))
    for family in ("plain", "inception", "bottleneck"):
        specs.append(VariantSpec(f"{family}_matched", family,
                                 {"cost_fraction": section["matched"]["cost_fraction"],
                                  "bottleneck_blocks": section["matched"]["bottleneck_blocks"]}))
    for multiplier in section["separable"]["depth_multipliers"]:
        specs.append(VariantSpec(f"separable_i{multiplier}", "separable", {"depth_multiplier": multiplier}))
    if section["lenet5"]:  # the control every small-network result must beat
        specs.append(VariantSpec("lenet5", "lenet5"))
    deep = section["deep"]
    for residual in (False, True):
        specs.append(VariantSpec(f"deep_{'residual' if residual else 'plain'}", "deep",
                                 {"blocks_per_stage": deep["blocks_per_stage"],
                                  "widths": tuple(deep["widths"]), "residual": residual,
                                  "batch_norm": deep["batch_norm"], "epochs": deep["epochs"]}))
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"variant names repeat (duplicate values in the config?): {names}")
    return specs


def variant_names(section: dict) -> list[str]:
    return [spec.name for spec in variant_specs(section)]


def variant_spec(section: dict, name: str) -> VariantSpec:
    for spec in variant_specs(section):
        if spec.name == name:
            return spec
    raise KeyError(f"no variant {name!r} in this config; known: {variant_names(section)}")
