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


@functools.partial(jax.jit, static_argnames=("activation_key",))
def _values_and_slopes(z: jax.Array, params: dict[str, jax.Array], *, activation_key: str):
    """f(z) and f'(z) of an activation at its Params' values (traced: a new slope does not recompile)."""
    activation = ACTIVATIONS[activation_key]

    def f(x):
        return activation.apply(x, params)

    return f(z), jax.vmap(jax.grad(f))(z)  # one small compile instead of one per eager op


@functools.lru_cache(maxsize=64)
def activation_curve(activation_key: str, points: int = 401, params: tuple[tuple[str, float], ...] = ()) -> ActivationCurve:
    """f(z) and f'(z) on `points` values of z over CURVE_RANGE, f' by automatic differentiation.

    Args:
      activation_key: ACTIVATIONS key.
      points: grid size.
      params: ((name, value), ...) of the activation's own Params (leaky ReLU's slope); defaults if absent.

    Returns:
      The curve, cached (its arrays are read-only).
    """
    if activation_key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation_key!r}: use one of {', '.join(ACTIVATIONS)}")
    activation = ACTIVATIONS[activation_key]
    given = dict(params)
    values = {p.name: np.float32(given.get(p.name, p.default)) for p in activation.params}
    low, high = CURVE_RANGE
    z = jnp.linspace(low, high, points, dtype=jnp.float32)
    outputs, slopes = _values_and_slopes(z, values, activation_key=activation_key)
    arrays = tuple(np.array(a, dtype=float) for a in (z, outputs, slopes))
    for array in arrays:
        array.flags.writeable = False
    saturation = activation.saturation
    return ActivationCurve(key=activation_key, label=activation.label_for(given), z=arrays[0], values=arrays[1],
                           slopes=arrays[2], saturated=tuple(saturation.z_intervals(low, high)) if saturation else (),
                           rule=saturation.rule if saturation else "")


def compute(scene: LayersScene, stats: list[LayerStats] | None = None) -> LayersData:
    """What the initialization page draws for `scene` (its networks' statistics, if already computed)."""
    stats = statistics(scene) if stats is None else stats
    return LayersData(labels=tuple(label for label, _ in scene.networks), stats=tuple(stats),
                      curve=activation_curve(scene.a.activation, params=tuple(scene.a.activation_values.items())))


def descriptions(scene: LayersScene, stats: list[LayerStats]) -> list[tuple[str, list[str]]]:
    """[(network label, sentences naming what is shown)]."""
    return [(label, describe(s, config)) for (label, config), s in zip(scene.networks, stats)]
