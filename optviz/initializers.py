"""INITIALIZERS: weight initializers for a dense layer W of shape (fan_in, fan_out), one entry each.

Names follow `jax.nn.initializers` (`glorot_normal`, `he_normal`, `lecun_normal`,
`orthogonal`, ...) and the names people know are accepted as aliases (`xavier_*`,
`kaiming_*`). Every entry states its theoretical Var(W) (`variance`) and draws samples
(`sample`) with an explicit PRNG key. A `gain` g multiplies W for every initializer, so
Var(W) is multiplied by g^2. The `scale` s applies to `normal` (std), `uniform` (half-width:
U(-s, s)) and `constant` (the value) only.

What jax 0.10 really samples (and what the page says): `glorot_normal`, `lecun_normal` and
`he_normal` draw a normal truncated at ±2 standard deviations, rescaled (÷ 0.8796) so the
variance is exactly the stated one. The lecture's "Xavier" `randn(fan_in, fan_out) /
sqrt(fan_in)` has Var(W) = 1/fan_in, which is LeCun normal; for the square layers of the
demo network (fan_in = fan_out) Glorot's 2/(fan_in + fan_out) is the same number.

References:
  Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks".
  He et al. 2015, "Delving Deep into Rectifiers" (Kaiming init).
  LeCun et al. 1998, "Efficient BackProp".
  Saxe et al. 2014, "Exact solutions to the nonlinear dynamics of learning in deep linear networks" (orthogonal).
  Klambauer et al. 2017, "Self-Normalizing Neural Networks" (SELU needs LeCun normal).
  Mishkin & Matas 2016, "All you need is a good init" (LSUV).
  cs231n lecture 6, "Training neural networks I" (weight initialization).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import jax
import jax.numpy as jnp

from optviz.params import shown

VarianceFn = Callable[[int, int, float, float], float]
SampleFn = Callable[[jax.Array, Sequence[int], "float | jax.Array", "float | jax.Array"], jax.Array]


@dataclass(frozen=True)
class Initializer:
    """One weight initializer for W of shape (fan_in, fan_out).

    Args:
      key: registry key (jax.nn.initializers' name).
      label: human name for widgets and legends.
      aliases: other names accepted by `resolve_initializer`.
      uses_scale: whether the `scale` setting matters (normal: std, uniform: half-width,
        constant: value).
      formula: Var(W) in LaTeX, as shown on the page.
      variance: (fan_in, fan_out, scale, gain) -> theoretical Var(W) of the sampled matrix.
      sample: (key, shape, scale, gain) -> W, shape (fan_in, fan_out); scale and gain may
        be traced values. W must be linear in the gain (and in the scale where `uses_scale`):
        `optviz.layers.network` draws at 1 and 1 once and multiplies (tests/test_netstats.py checks).
      lesson: the one-line lecture takeaway.
      data_dependent: True for LSUV, whose final per-layer scale needs a batch of data (it
        is applied in `optviz.layers.network`); `sample` and `variance` describe the data-free
        starting point.
    """

    key: str
    label: str
    aliases: tuple[str, ...]
    uses_scale: bool
    formula: str
    variance: VarianceFn
    sample: SampleFn
    lesson: str
    data_dependent: bool = False


def _fans(shape: Sequence[int]) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(f"dense weights need a 2-D shape (fan_in, fan_out), got {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def _jax_sample(factory: Callable[[], Callable]) -> SampleFn:
    """Sample with a `jax.nn.initializers` factory, then multiply by the gain."""

    def sample(key, shape, scale, gain):
        _fans(shape)
        return factory()(key, tuple(shape), jnp.float32) * gain

    return sample


def _zeros(key, shape, scale, gain):
    _fans(shape)
    return jnp.zeros(tuple(shape), jnp.float32) * gain


def _constant(key, shape, scale, gain):
    _fans(shape)
    return jnp.full(tuple(shape), 1.0, jnp.float32) * (scale * gain)


def _normal(key, shape, scale, gain):
    _fans(shape)
    return jax.random.normal(key, tuple(shape), jnp.float32) * (scale * gain)


def _uniform(key, shape, scale, gain):
    # Symmetric U(-s, s). jax.nn.initializers.uniform(s) samples [0, s) and is not used here.
    _fans(shape)
    return jax.random.uniform(key, tuple(shape), jnp.float32, minval=-1.0, maxval=1.0) * (scale * gain)


def _orthogonal_variance(fan_in, fan_out, scale, gain):
    # A semi-orthogonal (fan_in, fan_out) matrix has orthonormal columns (fan_in >= fan_out)
    # or rows: the squared entries sum to min(fan_in, fan_out) over fan_in * fan_out entries.
    return gain**2 / max(fan_in, fan_out)


INITIALIZERS: dict[str, Initializer] = {
    init.key: init
    for init in (
        Initializer(
            key="zeros",
            label="zeros",
            aliases=(),
            uses_scale=False,
            formula=r"W = 0,\ \mathrm{Var}(W) = 0",
            variance=lambda fan_in, fan_out, scale, gain: 0.0,
            sample=_zeros,
            lesson="All-zero weights: every unit computes the same thing, symmetry is never broken.",
        ),
        Initializer(
            key="constant",
            label="constant (W = scale)",
            aliases=(),
            uses_scale=True,
            formula=r"W_{ij} = g\,s,\ \mathrm{Var}(W) = 0",
            variance=lambda fan_in, fan_out, scale, gain: 0.0,
            sample=_constant,
            lesson="Constant weights: every hidden unit in a layer is identical and gets the same update, forever.",
        ),
        Initializer(
            key="normal",
            label="normal (std = scale)",
            aliases=(),
            uses_scale=True,
            formula=r"W \sim \mathcal{N}(0, (g\,s)^2),\ \mathrm{Var}(W) = g^2 s^2",
            variance=lambda fan_in, fan_out, scale, gain: (gain * scale) ** 2,
            sample=_normal,
            lesson="The lecture's W = 0.01 * randn: fine for small nets, activations collapse in deep ones; 1.0 * randn saturates.",
        ),
        Initializer(
            key="uniform",
            label="uniform (±scale)",
            aliases=(),
            uses_scale=True,
            formula=r"W \sim \mathcal{U}(-g\,s, g\,s),\ \mathrm{Var}(W) = \frac{g^2 s^2}{3}",
            variance=lambda fan_in, fan_out, scale, gain: (gain * scale) ** 2 / 3.0,
            sample=_uniform,
            lesson="A fixed-width uniform has the same problem as a fixed-std normal: the right width depends on fan_in.",
        ),
        Initializer(
            key="glorot_normal",
            label="Glorot (Xavier) normal",
            aliases=("xavier_normal",),
            uses_scale=False,
            formula=r"\mathrm{Var}(W) = \frac{2 g^2}{\mathrm{fan_{in}} + \mathrm{fan_{out}}}\ \text{(truncated normal)}",
            variance=lambda fan_in, fan_out, scale, gain: 2.0 * gain**2 / (fan_in + fan_out),
            sample=_jax_sample(jax.nn.initializers.glorot_normal),
            lesson="Xavier keeps the variance of linear layers constant forward and backward (tanh still shrinks it a little per layer); with ReLU it halves every layer.",
        ),
        Initializer(
            key="glorot_uniform",
            label="Glorot (Xavier) uniform",
            aliases=("xavier_uniform",),
            uses_scale=False,
            formula=(
                r"W \sim \mathcal{U}\!\left(-\sqrt{\tfrac{6}{\mathrm{fan_{in}} + \mathrm{fan_{out}}}},"
                r" \sqrt{\tfrac{6}{\mathrm{fan_{in}} + \mathrm{fan_{out}}}}\right) g,\ "
                r"\mathrm{Var}(W) = \frac{2 g^2}{\mathrm{fan_{in}} + \mathrm{fan_{out}}}"
            ),
            variance=lambda fan_in, fan_out, scale, gain: 2.0 * gain**2 / (fan_in + fan_out),
            sample=_jax_sample(jax.nn.initializers.glorot_uniform),
            lesson="Same variance as Glorot normal, drawn from a uniform: the distribution's shape matters little, its variance a lot.",
        ),
        Initializer(
            key="lecun_normal",
            label="LeCun normal (lecture's 'Xavier': randn / √fan_in)",
            aliases=(),
            uses_scale=False,
            formula=r"\mathrm{Var}(W) = \frac{g^2}{\mathrm{fan_{in}}}\ \text{(truncated normal)}",
            variance=lambda fan_in, fan_out, scale, gain: gain**2 / fan_in,
            sample=_jax_sample(jax.nn.initializers.lecun_normal),
            lesson="The lecture's 'Xavier' randn/sqrt(fan_in) is LeCun normal; SELU needs exactly this init to self-normalise.",
        ),
        Initializer(
            key="he_normal",
            label="He (Kaiming) normal",
            aliases=("kaiming_normal",),
            uses_scale=False,
            formula=r"\mathrm{Var}(W) = \frac{2 g^2}{\mathrm{fan_{in}}}\ \text{(truncated normal)}",
            variance=lambda fan_in, fan_out, scale, gain: 2.0 * gain**2 / fan_in,
            sample=_jax_sample(jax.nn.initializers.he_normal),
            lesson="He init doubles Xavier's variance to make up for ReLU zeroing half its inputs: std stays constant.",
        ),
        Initializer(
            key="he_uniform",
            label="He (Kaiming) uniform",
            aliases=("kaiming_uniform",),
            uses_scale=False,
            formula=(
                r"W \sim \mathcal{U}\!\left(-\sqrt{\tfrac{6}{\mathrm{fan_{in}}}}, \sqrt{\tfrac{6}{\mathrm{fan_{in}}}}\right) g,\ "
                r"\mathrm{Var}(W) = \frac{2 g^2}{\mathrm{fan_{in}}}"
            ),
            variance=lambda fan_in, fan_out, scale, gain: 2.0 * gain**2 / fan_in,
            sample=_jax_sample(jax.nn.initializers.he_uniform),
            lesson="He variance from a uniform distribution (PyTorch's default family for ReLU layers).",
        ),
        Initializer(
            key="orthogonal",
            label="orthogonal",
            aliases=(),
            uses_scale=False,
            formula=r"W = g\,Q,\ Q^\top Q = I,\ \mathrm{Var}(W) = \frac{g^2}{\max(\mathrm{fan_{in}}, \mathrm{fan_{out}})}",
            variance=_orthogonal_variance,
            sample=_jax_sample(jax.nn.initializers.orthogonal),
            lesson="An orthogonal W preserves the norm of every input exactly; gain sqrt(2) suits ReLU.",
        ),
        Initializer(
            key="lsuv",
            label="LSUV (orthogonal + unit variance per layer)",
            aliases=(),
            uses_scale=False,
            formula=r"W_l = g\,\frac{Q_l}{\mathrm{std}(h_{l-1} Q_l)},\ \mathrm{Var}(h_{l-1} W_l) = g^2",
            variance=_orthogonal_variance,
            sample=_jax_sample(jax.nn.initializers.orthogonal),
            lesson="LSUV rescales each orthogonal layer on a batch of data so its pre-activations have unit variance.",
            data_dependent=True,
        ),
    )
}

ALIASES: dict[str, str] = {alias: init.key for init in INITIALIZERS.values() for alias in init.aliases}
"""alias -> key, from each entry's `aliases` (xavier_* = glorot_*, kaiming_* = he_*)."""
ALIASES_TEXT = ", ".join(f"{alias} = {key}" for alias, key in ALIASES.items())
"""The aliases in words, for help texts and messages."""


def resolve_initializer(name: str) -> str:
    """Return the registry key for an initializer name or alias.

    Args:
      name: a key of INITIALIZERS or of ALIASES (case and surrounding spaces ignored).

    Returns:
      The INITIALIZERS key.

    Raises:
      ValueError: naming the valid keys and aliases, for an unknown name.
    """
    text = str(name).strip().lower()
    if text in INITIALIZERS:
        return text
    if text in ALIASES:
        return ALIASES[text]
    raise ValueError(
        f"unknown initializer {shown(name)}: use one of {', '.join(INITIALIZERS)} "
        f"(aliases: {ALIASES_TEXT})"
    )
