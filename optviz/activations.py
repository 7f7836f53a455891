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
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp

from optviz.params import Param


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


def _leaky_relu(x: jax.Array, negative_slope: Any = 0.01) -> jax.Array:
    """max(x, a x) for 0 < a < 1, `a` a Python number or a traced array (jax.nn.leaky_relu's formula)."""
    return jnp.where(x >= 0, x, negative_slope * x)


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
      params: the function's own settings (leaky ReLU's slope), as Params: the page that uses
        the entry gives each a slider, a link key, JSON and a CLI flag. `fn` uses their defaults.
      with_params: f(z, **values), the function of those settings (values may be traced arrays).
      label_template: the label for other values ("leaky ReLU (slope {negative_slope:g})").
    """

    key: str
    label: str
    fn: Callable[[jax.Array], jax.Array]
    latex: str
    saturation: Saturation | None
    can_die: bool
    lesson: str
    histogram_range: tuple[float, float]
    params: tuple[Param, ...] = ()
    with_params: Callable[..., jax.Array] | None = None
    label_template: str = ""

    def apply(self, x: jax.Array, values: Mapping[str, Any] | None = None) -> jax.Array:
        """f(x) with this entry's Params set from `values` (defaults for the missing; other keys ignored).

        Args:
          x: pre-activations z.
          values: {param name: value}; a value may be a traced array (a slider never recompiles).

        Returns:
          f(z), shaped like `x`; `apply(x)` equals `fn(x)`.
        """
        if not self.params:
            return self.fn(x)
        given = values or {}
        return self.with_params(x, **{p.name: given.get(p.name, p.default) for p in self.params})

    def label_for(self, values: Mapping[str, Any] | None = None) -> str:
        """The label with this entry's Params set from `values` ("leaky ReLU (slope 0.2)")."""
        if not self.label_template:
            return self.label
        given = values or {}
        return self.label_template.format(**{p.name: float(given.get(p.name, p.default)) for p in self.params})


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
            latex=r"f(z) = \max(a\,z, z),\ a = 0.01 \text{ by default}",
            saturation=None,
            can_die=False,
            lesson="Leaky ReLU keeps a small slope for z < 0, so units cannot die.",
            histogram_range=(-1.0, 4.0),
            params=(
                Param("negative_slope", "leaky ReLU slope", 0.01, 1e-3, 1.0, log=True,
                      help="Leaky ReLU's slope a for z < 0 (PReLU learns it as alpha; 1 is the identity)."),
            ),
            with_params=_leaky_relu,
            label_template="leaky ReLU (slope {negative_slope:g})",
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


def _activation_params() -> tuple[Param, ...]:
    """Every entry's Params, each name once (a page's settings hold them all: one slider each)."""
    found: dict[str, Param] = {}
    for activation in ACTIVATIONS.values():
        for param in activation.params:
            if param.name in found:
                raise ValueError(f"activation Param {param.name!r} is declared twice")
            found[param.name] = param
    return tuple(found.values())


ACTIVATION_PARAMS: tuple[Param, ...] = _activation_params()
"""The Params of every ACTIVATIONS entry (leaky ReLU's `negative_slope`), in registry order."""


def activation_of_param(name: str) -> str:
    """The ACTIVATIONS key whose Param is called `name`."""
    return next(key for key, a in ACTIVATIONS.items() if any(p.name == name for p in a.params))
