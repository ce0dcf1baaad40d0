"""Activation-based pruning: the cycle of Network Trimming (Hu et al. 2016, the draft's [HPTT16]).

One cycle: take the trained network; freeze it; run the training data through it and count, for every
hidden unit (dense layer) or output channel (convolution), on how many examples (times positions) it is
active, i.e. > 0 after its ReLU; remove the units the variant's rule selects; fine-tune the smaller
network; repeat until a cycle removes nothing. Removal is real surgery (mobileopt.activation_pruning.keras_surgery
for Keras models, ToyParams.keep for the toy network): the pruned network is smaller, not masked.

The variants of the draft (sections 2.2.2-2.2.3) are data (`VARIANTS`), not copies of the cycle:

* which units a cycle removes (`rule`): "dead" = activated at most `threshold` times (vanilla,
  threshold 0); "outliers" = dead, or among the live units activated fewer than mean - k * std times;
  "probability" = active on fewer than a fraction p of the counted examples (the draft's idea of deciding
  by activation probability);
* whether the loss carries an L1 penalty (`l1`): it is a property of the training, so variants that share
  it share their first training (the drivers train it once per seed);
* whether the weights are distorted before each fine-tuning (`distort`), see `distortion_noise`;
* what counts as an activation (`contribution`): by default any value > 0 (the draft); our stricter
  criterion counts only activations whose contribution to the next layer, activation x (L1 norm of the
  unit's outgoing weights), exceeds a tolerance. An L1 penalty drives the outgoing weights of unneeded
  units to ~0 without silencing them, so plain counts cannot see what the penalty achieved.

The driver `run_pruning_cycles` is generic: it gets the network's own count / prune / fine-tune /
distort functions, so the same cycle runs the toy network (NumPy + XLA) and the autoencoder (Keras).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

RULES = ("dead", "outliers", "probability")


@dataclass(frozen=True)
class PruningVariant:
    name: str
    rule: str  # one of RULES
    distort: bool = False
    l1: bool = False
    contribution: bool = False
    description: str = ""

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"variant {self.name!r}: unknown rule {self.rule!r}; choose one of {RULES}")

    @property
    def training_family(self) -> str:
        """Variants of one family share their first training (same loss, optimizer and seed)."""
        return "l1" if self.l1 else "plain"


VARIANTS = {variant.name: variant for variant in (
    PruningVariant("vanilla", "dead", description="remove units that are never active"),
    PruningVariant("distorted", "dead", distort=True,
                   description="distort the weights before every fine-tuning, remove never-active units"),
    PruningVariant("l1", "dead", l1=True, description="L1 penalty in the loss, remove never-active units"),
    PruningVariant("outliers", "outliers",
                   description="remove dead units and live units below mean - k std of the counts"),
    PruningVariant("l1_distorted_outliers", "outliers", distort=True, l1=True,
                   description="L1 penalty, distortion and outlier removal combined"),
    PruningVariant("probability", "probability",
                   description="remove units active on fewer than a fraction p of the examples"),
    PruningVariant("l1_contribution", "dead", l1=True, contribution=True,
                   description="L1 penalty; count only activations that move the next layer by more than "
                               "a tolerance (ours)"),
)}


def variant(name: str) -> PruningVariant:
    if name not in VARIANTS:
        raise ValueError(f"unknown pruning variant {name!r}; choose from {sorted(VARIANTS)}")
    return VARIANTS[name]


@dataclass(frozen=True)
class SelectionSettings:
    """Parameters of the removal rules (config: activation_pruning.<network>.selection)."""
    threshold: int = 0  # "dead": count <= threshold (0 = never active, the vanilla rule)
    outlier_stds: float = 2.0  # "outliers": k in mean - k * std (the draft's k = 2)
    min_probability: float = 0.01  # "probability": p
    contribution_tolerance: float = 1e-3  # variants with contribution=True: activation x |outgoing| > this

    def __post_init__(self):
        if (self.threshold < 0 or self.outlier_stds < 0 or not 0 <= self.min_probability <= 1
                or self.contribution_tolerance < 0):
            raise ValueError(f"invalid selection settings {self}: threshold, outlier_stds and "
                             "contribution_tolerance must be >= 0, min_probability in [0, 1]")

    def counting_tolerance(self, pruning: PruningVariant) -> float:
        """The value an activation times its outgoing weight must exceed to be counted (0: plain > 0)."""
        return self.contribution_tolerance if pruning.contribution else 0.0


def settings_from_config(settings_class, section: dict):
    """A network's experiment settings dataclass from its config block (the `selection` block nested)."""
    fields = {name: section[name] for name in settings_class.__dataclass_fields__ if name != "selection"}
    return settings_class(**fields, selection=SelectionSettings(**section["selection"]))


def units_to_keep(counts: np.ndarray, examples: int, rule: str,
                  settings: SelectionSettings = SelectionSettings()) -> np.ndarray:
    """Boolean mask of the units one cycle keeps, from their activation counts.

    `examples` is how many activations were counted per unit (samples, or images x positions for a
    channel), so count / examples is the unit's activation probability. A rule never removes every unit
    of a layer: that would disconnect the network, so the most active unit then stays.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0:
        raise ValueError(f"counts must be a non-empty vector, got shape {counts.shape}")
    if examples <= 0 or counts.min() < 0 or counts.max() > examples:
        raise ValueError(f"counts must lie in [0, examples={examples}]")
    alive = counts > settings.threshold
    if rule == "dead":
        keep = alive
    elif rule == "outliers":
        # Outliers among the live units: dead units (count 0) would drag the mean down and inflate the
        # spread so much that mean - 2 std < 0 and nothing live could ever be an outlier.
        live = counts[alive]
        cut = live.mean() - settings.outlier_stds * live.std() if live.size else 0.0
        keep = alive & (counts >= cut)
    elif rule == "probability":
        keep = alive & (counts / examples >= settings.min_probability)
    else:
        raise ValueError(f"unknown rule {rule!r}; choose one of {RULES}")
    if not keep.any():
        keep = np.zeros_like(keep)
        keep[int(np.argmax(counts))] = True
    return keep


def distortion_noise(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The draft's distortion rand(shape) * (1 - Var(W)), with rand drawn from U(-1, 1).

    Choice (the draft leaves it open): the draft's rand is U[0, 1) (NumPy's rand, TensorFlow's
    random_uniform), which adds on average (1 - Var W) / 2 to every weight: a shift, not a distortion,
    and on the hidden biases one that makes every unit *more* active, against the aim of pruning. A
    zero-mean U(-1, 1) keeps the draft's scale without the shift. The scale is computed per weight tensor
    and clipped at 0, so a tensor whose values already vary by more than 1 is left alone.
    """
    weights = np.asarray(weights)
    scale = max(0.0, 1.0 - float(np.var(weights))) if weights.size > 1 else 1.0
    return (rng.uniform(-1.0, 1.0, weights.shape) * scale).astype(weights.dtype)


def distort(weights: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    return [w + distortion_noise(w, rng) for w in weights]


@dataclass(frozen=True)
class CycleRecord:
    """One pruning cycle: units per block before it, the units it removed, the loss before removal."""
    cycle: int
    units: tuple[int, ...]
    removed: tuple[int, ...]
    loss: float
    distorted: bool

    @property
    def units_after(self) -> tuple[int, ...]:
        return tuple(u - r for u, r in zip(self.units, self.removed))


def run_pruning_cycles(network, pruning: PruningVariant, selection: SelectionSettings, *,
                       count: Callable, keep: Callable, fine_tune: Callable, evaluate: Callable,
                       distort_network: Callable | None = None, max_cycles: int = 10):
    """Prune a trained network until a cycle removes nothing (or `max_cycles` cycles removed something).

    count(net) -> [(count vector, examples counted per unit)], one pair per prunable block
    keep(net, masks) -> the smaller network with only the kept units (real surgery)
    fine_tune(net) -> the network after fine-tuning; evaluate(net) -> loss
    distort_network(net) -> net with distorted weights (variants with distort=True)

    A cycle: count, select, stop if nothing goes; else remove, distort (if the variant does), fine-tune.
    The first count sees the undistorted trained network; for a distorting variant a cycle that removes
    nothing only ends the run once a distortion has happened, otherwise the distortion would never be
    tried on networks that vanilla pruning cannot shrink. Returns (network, [CycleRecord], stable):
    stable is False when the cap ended the run while units were still being removed.
    """
    if pruning.distort and distort_network is None:
        raise ValueError(f"variant {pruning.name!r} distorts the weights: pass distort_network")
    if max_cycles < 1:
        raise ValueError("max_cycles must be >= 1")
    records, distorted = [], False
    for cycle in range(1, max_cycles + 1):
        counted = count(network)
        masks = [units_to_keep(counts, examples, pruning.rule, selection) for counts, examples in counted]
        removed = tuple(int((~mask).sum()) for mask in masks)
        records.append(CycleRecord(cycle, tuple(len(mask) for mask in masks), removed,
                                   float(evaluate(network)), distorted))
        if not any(removed) and (distorted or not pruning.distort):
            return network, records, True
        if any(removed):
            network = keep(network, masks)
        if pruning.distort:
            network, distorted = distort_network(network), True
        network = fine_tune(network)
    return network, records, False


def records_as_rows(records: Sequence[CycleRecord], blocks: Sequence[str], **labels) -> list[dict]:
    """Tidy rows (one per cycle and block) for results/activation_pruning/*/cycles.csv."""
    rows = []
    for record in records:
        for block, units, removed in zip(blocks, record.units, record.removed):
            rows.append({**labels, "cycle": record.cycle, "block": block, "units": units,
                         "removed": removed, "loss": record.loss, "distorted": record.distorted})
    return rows
