"""ACTIVATIONS: the nonlinearities of the "Initialization & activations" page, one entry each.

Each entry is the JAX function (from `jax.nn`), its formula, how it saturates (a `Saturation`:
the output thresholds, as data) or dies, the fixed histogram range used for its per-layer
activation histograms, and the one-line lesson the lecture draws from it.

References:
  cs231n lecture 6, "Training neural networks I" (activation functions).
  Klambauer et al. 2017, "Self-Normalizing Neural Networks" (SELU).
  Hendrycks & Gimpel 2016, "Gaussian Error Linear Units (GELUs)".
  Clevert et al. 2016, "Fast and Accurate Deep Network Learning by ELUs".
  Maas et al. 2013, "Rectifier Nonlinearities Improve Neural Network Acoustic Models" (leaky ReLU).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import jax
import jax.numpy as jnp


@dataclass(frozen=True)
class Saturation:
    """Where an activation saturates: outputs a < low or a > high, where its slope is ~0.

    Args:
      low, high: output thresholds (tanh: ±0.97, where tanh' < 0.06; sigmoid: 0.03 and 0.97,
        where sigma' < 0.03).
      inverse: z = f^{-1}(a), to find the saturated ranges of the pre-activation z.
      where: the saturated outputs in words ("at ±1").
    """

    low: float
    high: float
    inverse: Callable[[float], float]
    where: str

    def mask(self, outputs: Any) -> Any:
        """Boolean mask of saturated outputs (JAX or NumPy arrays)."""
        return (outputs < self.low) | (outputs > self.high)

    @property
    def rule(self) -> str:
        """What counts as saturated, in plain text ("|a| > 0.97")."""
        if self.low == -self.high:
            return f"|a| > {self.high}"
        return f"a < {self.low} or a > {self.high}"

    def z_intervals(self, z_low: float, z_high: float) -> list[tuple[float, float]]:
        """The saturated ranges of z within [z_low, z_high]."""
        intervals = [(z_low, self.inverse(self.low)), (self.inverse(self.high), z_high)]
        return [(a, b) for a, b in intervals if b > a]


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


TANH_SATURATION = Saturation(-0.97, 0.97, math.atanh, "at ±1")
SIGMOID_SATURATION = Saturation(0.03, 0.97, _logit, "at 0 or 1")


def _linear(x: jax.Array) -> jax.Array:
    return x


@dataclass(frozen=True)
class Activation:
    """One nonlinearity a = f(z) applied elementwise to pre-activations z.

    Args:
      key: registry key (URL/CLI value).
      label: human name for widgets and legends.
      fn: the elementwise function, jnp -> jnp (from `jax.nn`).
      latex: the formula f(z) in LaTeX.
      saturation: where it saturates (a Saturation), or None when the function does not
        saturate on both sides.
      can_die: True for the plain ReLU: a unit whose output is exactly 0 on every input is
        dead (its gradient is 0 for every example, so it never recovers).
      lesson: the one-line lecture takeaway.
      histogram_range: fixed (low, high) range of the per-layer activation histograms. It
        covers the function's typical output range so that collapse (a spike at 0) and
        saturation (spikes at the ends) look the same in every layer and every init;
        values outside are counted separately, not clipped into the edge bins.
    """

    key: str
    label: str
    fn: Callable[[jax.Array], jax.Array]
    latex: str
    saturation: Saturation | None
    can_die: bool
    lesson: str
    histogram_range: tuple[float, float]


ACTIVATIONS: dict[str, Activation] = {
    a.key: a
    for a in (
        Activation(
            key="linear",
            label="linear (identity)",
            fn=_linear,
            latex=r"f(z) = z",
            saturation=None,
            can_die=False,
            lesson="Without a nonlinearity a deep net is one linear map; std changes by the same factor every layer.",
            histogram_range=(-4.0, 4.0),
        ),
        Activation(
            key="sigmoid",
            label="sigmoid",
            fn=jax.nn.sigmoid,
            latex=r"f(z) = \sigma(z) = \frac{1}{1 + e^{-z}}",
            saturation=SIGMOID_SATURATION,
            can_die=False,
            lesson="Sigmoid saturates and kills gradients (max slope 1/4), and its outputs are not zero-centred.",
            histogram_range=(0.0, 1.0),
        ),
        Activation(
            key="tanh",
            label="tanh",
            fn=jnp.tanh,
            latex=r"f(z) = \tanh(z)",
            saturation=TANH_SATURATION,
            can_die=False,
            lesson="tanh is zero-centred but still saturates: too small an init collapses it, too large pins it at ±1.",
            histogram_range=(-1.0, 1.0),
        ),
        Activation(
            key="relu",
            label="ReLU",
            fn=jax.nn.relu,
            latex=r"f(z) = \max(0, z)",
            saturation=None,
            can_die=True,
            lesson="ReLU halves the variance each layer (use He init, Var(W) = 2/fan_in); units that are never positive die.",
            histogram_range=(0.0, 4.0),
        ),
        Activation(
            key="leaky_relu",
            label="leaky ReLU (slope 0.01)",
            fn=partial(jax.nn.leaky_relu, negative_slope=0.01),
            latex=r"f(z) = \max(0.01\,z, z)",
            saturation=None,
            can_die=False,
            lesson="Leaky ReLU keeps a small slope for z < 0, so units cannot die.",
            histogram_range=(-1.0, 4.0),
        ),
        Activation(
            key="elu",
            label="ELU",
            fn=jax.nn.elu,
            latex=r"f(z) = \begin{cases} z & z > 0 \\ e^{z} - 1 & z \le 0 \end{cases}",
            saturation=None,
            can_die=False,
            lesson="ELU has negative outputs, so its mean is closer to zero than ReLU's; it saturates only for z < 0.",
            histogram_range=(-1.0, 4.0),
        ),
        Activation(
            key="selu",
            label="SELU",
            fn=jax.nn.selu,
            latex=(
                r"f(z) = \lambda \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases},"
                r"\ \lambda \approx 1.0507,\ \alpha \approx 1.6733"
            ),
            saturation=None,
            can_die=False,
            lesson="SELU with LeCun normal init is self-normalising: mean 0 and std 1 are a fixed point of every layer.",
            histogram_range=(-2.0, 4.0),
        ),
        Activation(
            key="gelu",
            label="GELU",
            fn=partial(jax.nn.gelu, approximate=False),
            latex=r"f(z) = z\,\Phi(z)",
            saturation=None,
            can_die=False,
            lesson="GELU is a smooth ReLU (used in transformers); it behaves like ReLU for init, so use He-like scales.",
            histogram_range=(-1.0, 4.0),
        ),
    )
}


def saturated_mask(activation: Activation, outputs: jax.Array) -> jax.Array:
    """Boolean mask of saturated outputs a = f(z) for this activation (all False if it cannot saturate).

    Args:
      activation: the registry entry.
      outputs: activations a of any shape.

    Returns:
      A boolean array shaped like `outputs`.
    """
    if activation.saturation is None:
        return jnp.zeros(outputs.shape, dtype=bool)
    return activation.saturation.mask(outputs)


def saturation_rule(activation: Activation) -> str:
    """Plain text of what counts as saturated for this activation ("" if it cannot saturate)."""
    return activation.saturation.rule if activation.saturation is not None else ""
