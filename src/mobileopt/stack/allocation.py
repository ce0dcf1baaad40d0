"""Global, cost-aware allocation of channel removals across layers.

Fisher pruning (Theis et al., 2018) estimates the loss increase Delta_k of removing feature map k; the
uniform variant of the compression topic removes the same share of every layer. Theis et al. instead
remove, across all layers, the map that minimises Delta_k + beta * (its cost), with beta tuned per
network. We rank by Delta_k divided by the multiply-adds its removal saves (loss per multiply-add
saved): no beta to tune, and the greedy removal stops exactly at a multiply-add target (a knapsack
greedy). Savings are recomputed after every removal, because removing an output channel of layer l also
removes an input channel of layer l + 1, so each layer's marginal saving shrinks as its neighbour thins.

Written by hand: TFMOT prunes weights, not channels, and has no global channel allocation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChainLayer:
    """One weight layer of a chain network: its multiply-adds at the given channel counts."""
    name: str
    multiply_adds: int
    inputs: int   # input channels (kernel axis -2)
    outputs: int  # output channels (kernel axis -1)

    def scaled(self, inputs: int, outputs: int) -> float:
        """Multiply-adds with `inputs` and `outputs` channels (both scale the layer linearly)."""
        return self.multiply_adds * (inputs / self.inputs) * (outputs / self.outputs)


def chain_of(model) -> list[ChainLayer]:
    """The weight layers of a chain model in order, with their multiply-adds (the cost model's)."""
    from mobileopt.compression.fisher_pruning import chain_weight_layers
    from mobileopt.measurement import cost_model

    costs = {cost.name: cost.multiply_adds for cost in cost_model.layer_costs(model)}
    chain = []
    for layer in chain_weight_layers(model):
        kernel = layer.get_weights()[0]
        chain.append(ChainLayer(layer.name, int(costs[layer.name]), int(kernel.shape[-2]), int(kernel.shape[-1])))
    return chain


def total_multiply_adds(chain: list[ChainLayer], outputs: dict[str, int]) -> float:
    """The chain's multiply-adds when layer l keeps outputs[l] channels (others keep theirs)."""
    total, inputs = 0.0, chain[0].inputs
    for layer in chain:
        kept = outputs.get(layer.name, layer.outputs)
        total += layer.scaled(inputs, kept)
        inputs = kept
    return total


def marginal_saving(chain: list[ChainLayer], outputs: dict[str, int], name: str) -> float:
    """Multiply-adds saved by removing one more output channel of layer `name`."""
    fewer = dict(outputs, **{name: outputs[name] - 1})
    return total_multiply_adds(chain, outputs) - total_multiply_adds(chain, fewer)


def global_removal(chain: list[ChainLayer], scores: dict[str, np.ndarray], target_multiply_adds: float,
                   min_channels: int = 1) -> dict[str, np.ndarray]:
    """Per prunable layer (the keys of `scores`), the indices (ascending) of the channels to keep.

    Repeatedly removes, among every layer's lowest-scored remaining channel, the one with the smallest
    score per multiply-add saved, until the chain costs at most `target_multiply_adds`; a layer keeps at
    least `min_channels`. Raises if the target cannot be met.
    """
    known = {layer.name for layer in chain}
    if not set(scores) <= known:
        raise ValueError(f"scores for {sorted(set(scores) - known)}, which the chain does not have")
    order = {name: list(np.argsort(np.asarray(score), kind="stable")) for name, score in scores.items()}
    outputs = {name: len(score) for name, score in scores.items()}
    removed = {name: 0 for name in scores}
    while total_multiply_adds(chain, outputs) > target_multiply_adds:
        candidates = []
        for name, ranked in order.items():
            if outputs[name] <= min_channels:
                continue
            channel = ranked[removed[name]]
            saving = marginal_saving(chain, outputs, name)
            candidates.append((float(scores[name][channel]) / max(saving, 1e-12), name))
        if not candidates:
            raise ValueError(f"cannot reach {target_multiply_adds:.0f} multiply-adds with at least "
                             f"{min_channels} channel(s) per layer")
        _, name = min(candidates)
        removed[name] += 1
        outputs[name] -= 1
    return {name: np.sort(np.asarray(order[name][removed[name]:], dtype=int)) for name in scores}
