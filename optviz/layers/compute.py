"""From a LayersScene to what the initialization page draws: each network's per-layer statistics,
the activation curve and the sentences that name what they show (shared by page, CLI and tests)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from optviz.activations import ACTIVATIONS
from optviz.layers.network import layer_stats
from optviz.layers.report import describe
from optviz.layers.results import ActivationCurve, LayersData, LayerStats
from optviz.layers.scene import LayersScene

CURVE_RANGE = (-4.0, 4.0)
"""The pre-activations z over which the activation figure draws f and f'."""


def statistics(scene: LayersScene) -> list[LayerStats]:
    """LayerStats of each shown network (A, then B)."""
    return [layer_stats(config) for _, config in scene.networks]


@functools.lru_cache(maxsize=64)
def activation_curve(activation_key: str, points: int = 401) -> ActivationCurve:
    """f(z) and f'(z) on `points` values of z over CURVE_RANGE, f' by automatic differentiation.

    Cached: the arrays are read-only.
    """
    if activation_key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation_key!r}: use one of {', '.join(ACTIVATIONS)}")
    activation = ACTIVATIONS[activation_key]
    low, high = CURVE_RANGE
    z = jnp.linspace(low, high, points, dtype=jnp.float32)
    values_and_slopes = jax.jit(lambda x: (activation.fn(x), jax.vmap(jax.grad(activation.fn))(x)))
    values, slopes = values_and_slopes(z)  # one small compile instead of one per eager op
    arrays = tuple(np.array(a, dtype=float) for a in (z, values, slopes))
    for array in arrays:
        array.flags.writeable = False
    saturation = activation.saturation
    return ActivationCurve(key=activation_key, label=activation.label, z=arrays[0], values=arrays[1], slopes=arrays[2],
                           saturated=tuple(saturation.z_intervals(low, high)) if saturation else (),
                           rule=saturation.rule if saturation else "")


def compute(scene: LayersScene, stats: list[LayerStats] | None = None) -> LayersData:
    """What the initialization page draws for `scene` (its networks' statistics, if already computed)."""
    stats = statistics(scene) if stats is None else stats
    return LayersData(labels=tuple(label for label, _ in scene.networks), stats=tuple(stats),
                      curve=activation_curve(scene.a.activation))


def descriptions(scene: LayersScene, stats: list[LayerStats]) -> list[tuple[str, list[str]]]:
    """[(network label, sentences naming what is shown)]."""
    return [(label, describe(s, config)) for (label, config), s in zip(scene.networks, stats)]
