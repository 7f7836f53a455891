"""What a network's statistics say: JSON rows for the CLI and CSV export, and plain sentences.

The numbers come from `optviz.layers.network.layer_stats`; this module only reads a `LayerStats`
(and its `NetworkConfig`) and words or serializes it. Non-finite numbers (an overflowing
network) become None / null.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from optviz.activations import ACTIVATIONS, saturation_rule
from optviz.layers.network import BATCHNORM_EPS, LayerStats, NetworkConfig, layer_stats

_JSON_LAYER_FIELDS = ("mean", "std", "saturated", "dead", "grad_std", "weight_grad_std", "weight_std",
                      "grad_weight_ratio", "sign_agreement")


def _json_number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def layer_stats_records(stats: LayerStats) -> list[dict[str, Any]]:
    """One flat row per layer (for CSV export); non-finite numbers become None.

    Returns:
      [{"layer", "mean", "std", "preact_mean", "preact_std", "saturated", "dead", "zero", "grad_std",
        "weight_grad_std", "weight_std", "grad_weight_ratio", "sign_agreement", "block_output", "identical",
        "below_range", "above_range", "nan_fraction"}, ...], layer 1 first. grad_weight_ratio is
      std(dL/dW) / std(W) (None where std(W) = 0); block_output marks the last layer of a residual block.
    """
    rows = []
    for i in range(stats.depth):
        rows.append(
            {
                "layer": i + 1,
                "mean": _json_number(stats.mean[i]),
                "std": _json_number(stats.std[i]),
                "preact_mean": _json_number(stats.preact_mean[i]),
                "preact_std": _json_number(stats.preact_std[i]),
                "saturated": _json_number(stats.saturated[i]),
                "dead": _json_number(stats.dead[i]),
                "zero": _json_number(stats.zero[i]),
                "grad_std": _json_number(stats.grad_std[i]),
                "weight_grad_std": _json_number(stats.weight_grad_std[i]),
                "weight_std": _json_number(stats.weight_std[i]),
                "grad_weight_ratio": _json_number(stats.grad_weight_ratio[i]),
                "sign_agreement": _json_number(stats.sign_agreement[i]),
                "block_output": bool(stats.block_output[i]),
                "identical": bool(stats.identical[i]),
                "below_range": _json_number(stats.below_range[i]),
                "above_range": _json_number(stats.above_range[i]),
                "nan_fraction": _json_number(stats.nan_fraction[i]),
            }
        )
    return rows


def layer_stats_json(config: NetworkConfig, stats: LayerStats | None = None) -> dict[str, Any]:
    """The CLI's JSON: {"config": {...}, "layers": [{"mean", "std", "saturated", "dead", "grad_std",
    "weight_grad_std", "weight_std", "grad_weight_ratio", "sign_agreement", "preact_std", "block_output",
    "identical"}, ...]}, layer 1 first.

    Non-finite numbers (an overflowing network) are written as null.

    Args:
      config: the network.
      stats: its statistics if already computed (else computed here).

    Returns:
      A JSON-ready dict.
    """
    if stats is None:
        stats = layer_stats(config)
    layers = []
    for row in layer_stats_records(stats):
        layer = {name: row[name] for name in _JSON_LAYER_FIELDS}
        layer["preact_std"] = row["preact_std"]
        layer["block_output"] = row["block_output"]
        layer["identical"] = row["identical"]
        layers.append(layer)
    return {"config": config.values(), "layers": layers}


def _short(number: float) -> str:
    """1 significant digit in scientific notation below 1e-2 or above 1e3, else 2 digits."""
    if not math.isfinite(number):
        return str(number)
    if number == 0:
        return "0"
    if abs(number) < 1e-2 or abs(number) >= 1e3:
        return f"{number:.0e}"
    return f"{number:.2g}"


def _layer_range(layers: np.ndarray) -> str:
    numbers = [int(n) for n in layers]
    if len(numbers) == 1:
        return f"layer {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"layers {numbers[0]}-{numbers[-1]}"
    return "layers " + ", ".join(str(n) for n in numbers)


COLLAPSED_STD = 1e-3
"""Activation std below which a layer counts as collapsed to zero."""

SATURATED_FRACTION = 0.5
"""Saturated fraction above which a layer counts as saturated."""

DEAD_FRACTION = 0.01
"""Dead-unit fraction from which describe() mentions dead ReLUs."""

SAME_SIGN = 0.5
"""Sign agreement of a layer's weight gradients above which describe() says they share one sign
(independent signs give ~0.04 for 500 inputs; sigmoid's all-positive outputs give 0.7-1)."""

UPDATE_RATIO = 1e-3
"""The rule of thumb for SGD: each step changes the weights by ~1e-3 of their size, i.e.
learning rate x std(dL/dW) / std(W) ~ 1e-3 (cs231n, "Neural Networks 3": ratio of updates to weights)."""


def _std_trend(name: str, std: np.ndarray, what: str, unit: str) -> str:
    """"{name}: std shrinks by ~0.71 per layer (0.03x from layer 1 to 10)", grows, or stays about constant."""
    count = len(std)
    overall = float(std[-1] / std[0])
    ratio = overall ** (1.0 / (count - 1))
    # A small per-layer factor still adds up in a deep network (0.96 over 50 layers: 7x).
    if ratio < 0.95 or overall < 0.5:
        return f"{name}: std shrinks by ~{ratio:.2f} per {unit} ({_short(overall)}x from {what})"
    if ratio > 1.05 or overall > 2:
        return f"{name}: std grows by ~{ratio:.2f} per {unit} ({_short(overall)}x from {what})"
    return f"{name}: std stays about constant ({_short(float(std.min()))} to {_short(float(std.max()))})"


def describe(stats: LayerStats, config: NetworkConfig) -> list[str]:
    """Plain sentences naming what the statistics show, most important first.

    E.g. "layer 10 std 3e-07: activations collapsed to zero", "tanh saturated: 92% of units
    at ±1 in every layer", "ReLU: std shrinks by ~0.71 per layer", "residual blocks: std grows by
    ~1.72 per block", "ReLU: 100% of units dead (zero on every input) in layers 6-10: the bias -0.5
    pushes pre-activations below 0", "dL/dW of a unit has one sign in layers 2-10", "batch norm:
    statistics do not depend on the init scale", "every unit in a layer is identical: symmetry is
    never broken", "std(dL/dW) / std(W) is 0.16 to 0.19: a learning rate near 0.006 ...".

    Args:
      stats: the network's LayerStats.
      config: the network.

    Returns:
      A list of sentences (never empty).
    """
    activation = ACTIVATIONS[config.activation]
    name = activation.label.split(" (")[0]
    sentences: list[str] = []
    depth = stats.depth
    std = stats.std
    blocks = stats.block_output

    finite = np.isfinite(std) & np.isfinite(stats.mean)
    if not finite.all():
        first_bad = int(np.argmin(finite)) + 1
        sentences.append(
            f"layer {first_bad}: activations overflowed float32 (inf/NaN): the network exploded"
        )

    if stats.identical.all():
        sentences.append("every unit in a layer is identical: symmetry is never broken")
    elif stats.identical.any():
        sentences.append(
            f"all units identical in {_layer_range(stats.layers[stats.identical])}: symmetry is not broken there"
        )

    collapsed = finite & (std < COLLAPSED_STD)
    if collapsed.any():
        last = int(stats.layers[collapsed][-1])
        sentences.append(f"layer {last} std {_short(float(std[last - 1]))}: activations collapsed to zero")

    if activation.saturation is not None:
        saturated = stats.saturated[~blocks]  # a block's output is a sum, not an activation
        where = activation.saturation.where
        if saturated.size and (saturated > SATURATED_FRACTION).all():
            sentences.append(
                f"{name} saturated: {saturated.min():.0%} of units {where} in every layer "
                f"({saturation_rule(activation)}): local gradients are ~0"
            )
        elif (stats.saturated > SATURATED_FRACTION).any():
            layers = stats.layers[stats.saturated > SATURATED_FRACTION]
            sentences.append(
                f"{name} saturated in {_layer_range(layers)}: more than {SATURATED_FRACTION:.0%} of units {where}"
            )

    trend = None
    if depth >= 2 and finite.all() and (std > 0).all() and not stats.identical.all():
        if blocks.sum() >= 2:  # the blocks' outputs: the identity path plus the branch
            trend = _std_trend("residual blocks", std[blocks], f"block 1 to {int(blocks.sum())}", "block")
            if "grows" in trend:
                trend += ": Var(h + F(h)) = Var(h) + Var(F(h))"
            elif config.zero_last:
                trend += ": each block's last layer starts at 0, so every block starts as the identity"
        else:
            trend = _std_trend(name, std, f"layer 1 to {depth}", "layer")
        sentences.append(trend)

    if activation.can_die and (stats.dead >= DEAD_FRACTION).any():
        if stats.dead.max() >= 1.0:
            text = f"{name}: 100% of units dead (zero on every input) in {_layer_range(stats.layers[stats.dead >= 1.0])}"
        else:
            worst = int(np.argmax(stats.dead))
            text = f"{name}: {stats.dead[worst]:.0%} of units dead (zero on every input) at layer {worst + 1}"
        if config.batchnorm and config.bn_beta < 0:
            text += f": batch norm's beta {config.bn_beta:g} shifts pre-activations below 0"
        elif not config.batchnorm and config.bias < 0:
            text += f": the bias {config.bias:g} pushes pre-activations below 0"
        sentences.append(text)

    agreement = stats.sign_agreement
    same = np.isfinite(agreement) & (agreement > SAME_SIGN)
    if same.any():
        inputs_mean = np.concatenate([[config.input_mean], stats.mean[:-1]])[same]
        cause = "their inputs are not zero-centred"
        if same[0] and config.input_mean != 0:
            cause += f" (the data has mean {config.input_mean:g})"
        elif np.all(inputs_mean > 0):
            cause += f" (all positive: mean {_short(float(np.median(inputs_mean)))})"
        low, high = f"{agreement[same].min():.2f}", f"{agreement[same].max():.2f}"
        sentences.append(
            f"dL/dW of a unit has one sign in {_layer_range(stats.layers[same])} (sign agreement "
            f"{low if low == high else low + ' to ' + high}; 1: all its weights move together): {cause}"
        )

    if config.batchnorm:
        affine = config.bn_gamma != 1 or config.bn_beta != 0
        if np.all(stats.preact_std > 30 * math.sqrt(BATCHNORM_EPS)):
            target = f"mean {config.bn_beta:g}, std {config.bn_gamma:g}" if affine else "mean 0, std 1"
            sentences.append(
                "batch norm: activation statistics do not depend on the init scale "
                f"(each unit's pre-activation is normalised to {target}; gradients w.r.t. W scale as 1/scale)"
            )
        else:
            sentences.append(
                "batch norm: some pre-activations have variance near eps = 1e-5, "
                "so the normalisation is damped and the scale still matters"
            )
        z_std, z_mean = float(np.median(stats.preact_std)), float(np.median(stats.preact_mean))
        if affine and abs(config.bn_gamma / z_std - 1) < 0.1 and abs(config.bn_beta - z_mean) < 0.1 * z_std:
            sentences.append(
                f"batch norm's gamma {config.bn_gamma:g} ~ std(z) {_short(z_std)} and beta {config.bn_beta:g} ~ mean(z) "
                f"{_short(z_mean)}: the scale and shift undo the normalisation"
            )

    grad = stats.grad_std
    if config.residual and config.zero_last and blocks.any():
        # The blocks' first layers get no gradient through a zeroed last layer: that is not a vanishing
        # signal (the identity path carries it), so compare where the signal flows.
        grad = grad[blocks | ~layer_roles_first(stats)]
    if not np.isfinite(grad).all() and finite.all():  # the forward overflow above already says it
        highest = int(stats.layers[~np.isfinite(grad)].max())
        below = f"layers 1 to {highest}" if highest > 1 else "layer 1"
        sentences.append(f"gradients overflowed float32 (inf/NaN) in {below}: the backward pass exploded")
    if len(grad) >= 2 and np.isfinite(grad).all() and grad[-1] > 0:
        ratio = float(grad[0] / grad[-1])
        if ratio == 0:
            sentences.append(f"gradients vanish: dL/dz underflows to 0 by layer 1 (layer {depth}: {_short(float(grad[-1]))})")
        elif ratio < 1e-2:
            sentences.append(
                f"gradients vanish: dL/dz at layer 1 is {_short(ratio)} times that at layer {depth}"
            )
        elif ratio > 1e2:
            sentences.append(
                f"gradients explode: dL/dz at layer 1 is {_short(ratio)} times that at layer {depth}"
            )
    weight_grad = stats.weight_grad_std
    if np.isfinite(weight_grad).all() and (weight_grad < 1e-8).any() and not stats.identical.all():
        still = weight_grad < 1e-8
        first_layers = layer_roles_first(stats) & still if config.residual and config.zero_last else np.zeros(depth, bool)
        if first_layers.any():
            sentences.append(f"dL/dW = 0 in {_layer_range(stats.layers[first_layers])} (the blocks' first layers) "
                             "until the zeroed last layers move, one step later")
        if (still & ~first_layers).any():
            sentences.append(f"weight gradients are ~0 in {_layer_range(stats.layers[still & ~first_layers])}: "
                             "those layers will not learn")

    if not sentences or (len(sentences) == 1 and "std stays about constant" in sentences[0]):
        sentences.append("activations and gradients stay healthy in every layer")

    ratio = stats.grad_weight_ratio
    measured = ratio[np.isfinite(ratio) & (ratio > 0)]
    if measured.size and finite.all():
        low, high = float(measured.min()), float(measured.max())
        if high > 100 * low:
            sentences.append(f"std(dL/dW) / std(W) spans {_short(low)} to {_short(high)}: no single learning rate "
                             f"gives every layer updates of ~{UPDATE_RATIO:g} of its weights (the rule of thumb)")
        else:
            rate = UPDATE_RATIO / float(np.median(measured))
            sentences.append(f"std(dL/dW) / std(W) is {_short(low)} to {_short(high)}: a learning rate near "
                             f"{rate:.1g} makes updates ~{UPDATE_RATIO:g} of the weights (the rule of thumb)")
    return sentences


def layer_roles_first(stats: LayerStats) -> np.ndarray:
    """Per layer: the first layer of a residual block (the layer below a block output)."""
    first = np.zeros(stats.depth, bool)
    first[:-1] = stats.block_output[1:]
    return first
