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

_JSON_LAYER_FIELDS = ("mean", "std", "saturated", "dead", "grad_std", "weight_grad_std")


def _json_number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def layer_stats_records(stats: LayerStats) -> list[dict[str, Any]]:
    """One flat row per layer (for CSV export); non-finite numbers become None.

    Returns:
      [{"layer", "mean", "std", "preact_std", "saturated", "dead", "zero", "grad_std",
        "weight_grad_std", "identical", "below_range", "above_range", "nan_fraction"}, ...], layer 1 first.
    """
    rows = []
    for i in range(stats.depth):
        rows.append(
            {
                "layer": i + 1,
                "mean": _json_number(stats.mean[i]),
                "std": _json_number(stats.std[i]),
                "preact_std": _json_number(stats.preact_std[i]),
                "saturated": _json_number(stats.saturated[i]),
                "dead": _json_number(stats.dead[i]),
                "zero": _json_number(stats.zero[i]),
                "grad_std": _json_number(stats.grad_std[i]),
                "weight_grad_std": _json_number(stats.weight_grad_std[i]),
                "identical": bool(stats.identical[i]),
                "below_range": _json_number(stats.below_range[i]),
                "above_range": _json_number(stats.above_range[i]),
                "nan_fraction": _json_number(stats.nan_fraction[i]),
            }
        )
    return rows


def layer_stats_json(config: NetworkConfig, stats: LayerStats | None = None) -> dict[str, Any]:
    """The CLI's JSON: {"config": {...}, "layers": [{"mean", "std", "saturated", "dead",
    "grad_std", "weight_grad_std", "preact_std", "identical"}, ...]}, layer 1 first.

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


def describe(stats: LayerStats, config: NetworkConfig) -> list[str]:
    """Plain sentences naming what the statistics show, most important first.

    E.g. "layer 10 std 3e-07: activations collapsed to zero", "tanh saturated: 92% of units
    at ±1 in every layer", "ReLU: std shrinks by ~0.71 per layer", "batch norm: statistics
    do not depend on the init scale", "every unit in a layer is identical: symmetry is never
    broken".

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
        saturated = stats.saturated
        where = activation.saturation.where
        if (saturated > SATURATED_FRACTION).all():
            sentences.append(
                f"{name} saturated: {saturated.min():.0%} of units {where} in every layer "
                f"({saturation_rule(activation)}): local gradients are ~0"
            )
        elif (saturated > SATURATED_FRACTION).any():
            layers = stats.layers[saturated > SATURATED_FRACTION]
            sentences.append(
                f"{name} saturated in {_layer_range(layers)}: more than {SATURATED_FRACTION:.0%} of units {where}"
            )

    if depth >= 2 and finite.all() and (std > 0).all() and not stats.identical.all():
        overall = float(std[-1] / std[0])
        ratio = overall ** (1.0 / (depth - 1))
        # A small per-layer factor still adds up in a deep network (0.96 over 50 layers: 7x).
        if ratio < 0.95 or overall < 0.5:
            sentences.append(f"{name}: std shrinks by ~{ratio:.2f} per layer ({_short(overall)}x from layer 1 to {depth})")
        elif ratio > 1.05 or overall > 2:
            sentences.append(f"{name}: std grows by ~{ratio:.2f} per layer ({_short(overall)}x from layer 1 to {depth})")
        else:
            sentences.append(
                f"{name}: std stays about constant ({_short(float(std.min()))} to {_short(float(std.max()))})"
            )

    if activation.can_die and (stats.dead >= DEAD_FRACTION).any():
        worst = int(np.argmax(stats.dead))
        sentences.append(
            f"{name}: {stats.dead[worst]:.0%} of units dead (zero on every input) at layer {worst + 1}"
        )

    if config.batchnorm:
        if np.all(stats.preact_std > 30 * math.sqrt(BATCHNORM_EPS)):
            sentences.append(
                "batch norm: activation statistics do not depend on the init scale "
                "(each unit's pre-activation is normalised to mean 0, std 1; gradients w.r.t. W scale as 1/scale)"
            )
        else:
            sentences.append(
                "batch norm: some pre-activations have variance near eps = 1e-5, "
                "so the normalisation is damped and the scale still matters"
            )

    grad = stats.grad_std
    if not np.isfinite(grad).all() and finite.all():  # the forward overflow above already says it
        highest = int(stats.layers[~np.isfinite(grad)].max())
        below = f"layers 1 to {highest}" if highest > 1 else "layer 1"
        sentences.append(f"gradients overflowed float32 (inf/NaN) in {below}: the backward pass exploded")
    if depth >= 2 and np.isfinite(grad).all() and grad[-1] > 0:
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
        layers = stats.layers[weight_grad < 1e-8]
        sentences.append(f"weight gradients are ~0 in {_layer_range(layers)}: those layers will not learn")

    if not sentences or (len(sentences) == 1 and "std stays about constant" in sentences[0]):
        sentences.append("activations and gradients stay healthy in every layer")
    return sentences
