"""Per-layer forward and backward statistics of a deep MLP, for INITIALIZERS x ACTIVATIONS.

The cs231n lecture 6 experiment: inputs X ~ N(0, 1) of shape (batch, width), `depth`
fully-connected layers of `width` units, no biases,

    z_l = h_{l-1} W_l,    h_l = f(BN(z_l))    (BN optional, no learned affine),    h_0 = X,

with W_l drawn from the chosen initializer. For every layer we report the mean and std of
the activations h_l, a histogram with fixed bins, the saturated and dead fractions, whether
all units are identical (symmetry never broken), and from one backward pass the std of the
backpropagated signal dL/dz_l and of the weight gradient dL/dW_l.

The loss is a fixed random projection of the last layer,

    L = (1/B) sum_b r_b . h_L[b],    r_b ~ N(0, I_width) drawn from the seed,

so the upstream gradient dL/dh_L = r_b / B has unit scale per example whatever the
forward pass did: what the gradient statistics show is how the layers transmit (shrink,
amplify, block) a signal, not the size of the loss. (With the square loss 0.5 |h_L|^2 a
collapsed forward pass would also zero the upstream gradient and hide the backward story.)
`grad_std` is the std of the per-example signal B dL/dz_l; `weight_grad_std` the std of
dL/dW_l = (1/B) h_{l-1}^T (B dL/dz_l), the batch-mean gradient an optimizer would see.

Histograms use fixed bins over `Activation.histogram_range` (tanh [-1, 1], sigmoid [0, 1],
ReLU [0, 4], linear [-4, 4], ...), the same in every layer and for every init, so a
collapse shows as a spike at 0 and saturation as spikes at the ends; what falls outside
is counted in `below_range` / `above_range`, not clipped into the edge bins, and NaN entries
(an overflowed network) in `nan_fraction`.

LSUV (`init="lsuv"`) draws orthogonal W_l and rescales each one on this batch, in the
forward pass, so that std(z_l) = gain (one rescale is exact: z_l is linear in W_l).

Every initializer is linear in its gain and scale: W_l = c U_l, with U_l the draw at gain 1
and scale 1 and c = gain (times scale for normal, uniform and constant). So the network runs
on U_l and multiplies each product by c, z_l = c (h_{l-1} U_l) (LSUV: c_l = gain / std(h_{l-1} U_l)),
and the backward pass likewise; the draws (inputs X, projection r, the U_l) depend only on the
seed and the structure and are kept in a small cache, so moving the gain or scale slider
re-runs the network but draws nothing.

The computation is jitted in three stages: the data draw (compiled per batch x width), the
weight draw (per depth x width x init) and the forward/backward statistics (per activation,
batch norm, bins and shapes), so changing the activation reuses the compiled samplers. The
structure (depth, width, batch, activation, init, batch norm, histogram bins) is static;
seed, scale and gain are traced, so moving those sliders never recompiles
(`trace_count()` counts compilations). Only statistics come back (NumPy), never the
activations; `optviz.layers.report` turns them into JSON rows and sentences.

References:
  cs231n lecture 6, "Training neural networks I" (activation statistics per layer).
  Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks".
  He et al. 2015, "Delving Deep into Rectifiers".
  Klambauer et al. 2017, "Self-Normalizing Neural Networks".
  Ioffe & Szegedy 2015, "Batch Normalization".
  Mishkin & Matas 2016, "All you need is a good init" (LSUV).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass
from functools import partial
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from optviz.activations import ACTIVATIONS, Activation, saturated_mask, saturation_rule
from optviz.initializers import ALIASES_TEXT, INITIALIZERS, resolve_initializer
from optviz.layers.results import LayerStats
from optviz.memo import ByteCache
from optviz.params import Param, coerce_all

HISTOGRAM_BINS = 40
"""Default number of equal-width histogram bins over `Activation.histogram_range`."""

BATCHNORM_EPS = 1e-5
"""Batch-norm epsilon (PyTorch's default): z_hat = (z - mean) / sqrt(var + eps)."""

MAX_ELEMENTS = 100_000_000
"""Bound on depth * width * (batch + width): the stored pre-activations and weights.

At the bound the stored pre-activations and weights are ~0.4 GB of float32 and one
evaluation takes seconds on 2 cores;
`NetworkConfig.from_values` shrinks batch (then width) to fit, with a notice, and
`NetworkConfig(...)` refuses.
"""

NETWORK_PARAMS: tuple[Param, ...] = (
    Param("depth", "layers", 10, 1, 50, kind="int", help="Number of fully-connected layers."),
    Param("width", "units per layer", 500, 2, 2000, kind="int", help="Units in every layer (and input dimension)."),
    Param("batch", "inputs", 1000, 2, 5000, kind="int", help="Number of N(0, 1) input vectors in the batch."),
    Param(
        "activation",
        "activation",
        "tanh",
        kind="choice",
        choices=tuple(ACTIVATIONS),
        help="Nonlinearity applied after every layer.",
    ),
    Param(
        "init",
        "weight init",
        "glorot_normal",
        kind="choice",
        choices=tuple(INITIALIZERS),
        help=f"Weight initializer (aliases: {ALIASES_TEXT}).",
    ),
    Param(
        "scale",
        "init scale",
        0.01,
        1e-4,
        10.0,
        log=True,
        help="Std of 'normal', half-width of 'uniform', value of 'constant' (ignored by the others).",
    ),
    Param("gain", "gain", 1.0, 0.1, 10.0, help="Multiplies W for every initializer (Var(W) times gain^2)."),
    Param(
        "batchnorm",
        "batch norm",
        False,
        kind="bool",
        help="Normalise each unit's pre-activation over the batch before the nonlinearity (no affine).",
    ),
    Param("seed", "seed", 0, 0, 2**31 - 1, kind="int", help="Seed of the inputs, weights and loss projection."),
)

_PARAMS_BY_NAME = {p.name: p for p in NETWORK_PARAMS}


def network_elements(depth: int, width: int, batch: int) -> int:
    """Number of stored float32 elements, depth * width * (batch + width)."""
    return int(depth) * int(width) * (int(batch) + int(width))


@dataclass(frozen=True)
class NetworkConfig:
    """One network of the experiment: every value of NETWORK_PARAMS.

    Args:
      depth, width, batch: layers, units per layer (= input dimension), inputs.
      activation: ACTIVATIONS key.
      init: INITIALIZERS key (aliases are resolved on construction).
      scale: std / half-width / value for normal / uniform / constant.
      gain: multiplies W for every initializer.
      batchnorm: batch norm before the activation, no learned affine.
      seed: seed of inputs, weights and the loss projection.

    Raises:
      ValueError: for an out-of-range or unknown value, or a network over MAX_ELEMENTS.
    """

    depth: int = 10
    width: int = 500
    batch: int = 1000
    activation: str = "tanh"
    init: str = "glorot_normal"
    scale: float = 0.01
    gain: float = 1.0
    batchnorm: bool = False
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "init", resolve_initializer(self.init))
        for spec in NETWORK_PARAMS:
            object.__setattr__(self, spec.name, spec.parse(getattr(self, spec.name)))
        elements = network_elements(self.depth, self.width, self.batch)
        if elements > MAX_ELEMENTS:
            raise ValueError(
                f"network too large: depth*width*(batch+width) = {elements:,} > {MAX_ELEMENTS:,}; "
                "use fewer layers, units or inputs"
            )

    @staticmethod
    def from_values(values: Mapping[str, Any], where: str = "") -> tuple["NetworkConfig", list[str]]:
        """Build a config from outside values (URL, JSON), leniently.

        Unknown keys are dropped, unreadable values fall back to the default, numbers are
        clamped, initializer aliases resolved, and a network over MAX_ELEMENTS is shrunk
        (batch first, not below 100, then width); each change gives a notice.

        Args:
          values: {name: raw value}.
          where: prefix for the notices (e.g. "URL").

        Returns:
          (config, notices).
        """
        raw = dict(values)
        notices: list[str] = []
        prefix = f"{where}: " if where else ""
        if "init" in raw:
            try:
                raw["init"] = resolve_initializer(raw["init"])
            except ValueError as err:
                notices.append(f"{prefix}{err}; using the default {_PARAMS_BY_NAME['init'].default}")
                raw.pop("init")
        coerced, coerce_notices = coerce_all(NETWORK_PARAMS, raw, where)
        notices.extend(coerce_notices)
        depth, width, batch = coerced["depth"], coerced["width"], coerced["batch"]
        if network_elements(depth, width, batch) > MAX_ELEMENTS:
            new_batch = max(min(batch, 100), MAX_ELEMENTS // (depth * width) - width)
            new_batch = min(batch, new_batch)
            new_width = width
            if network_elements(depth, width, new_batch) > MAX_ELEMENTS:
                limit = MAX_ELEMENTS / depth
                new_width = int((-new_batch + math.sqrt(new_batch**2 + 4 * limit)) / 2)
                while network_elements(depth, new_width, new_batch) > MAX_ELEMENTS:
                    new_width -= 1
            notices.append(
                f"{prefix}depth {depth} x width {width} x batch {batch} is too large to compute here; "
                f"using width {new_width} and batch {new_batch}"
            )
            coerced["width"], coerced["batch"] = new_width, new_batch
        return NetworkConfig(**coerced), notices

    def values(self) -> dict[str, Any]:
        """{name: value} for every NETWORK_PARAMS entry, JSON-ready."""
        return {p.name: getattr(self, p.name) for p in NETWORK_PARAMS}

    def replace(self, **changes: Any) -> "NetworkConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


# Times each jitted stage has been traced (= compiled) in this process: tests and benchmarks read it.
TRACE_COUNTS: dict[str, int] = {"data": 0, "weights": 0, "statistics": 0}


def trace_count() -> int:
    """Total number of traces (compilations) of the jitted stages in this process."""
    return sum(TRACE_COUNTS.values())


def compiled_cache_size() -> int:
    """Number of compiled variants held by the jit caches of the three stages."""
    return sum(stage._cache_size() for stage in (_draw_data, _draw_weights, _network_statistics))


MAX_COMPILED = 24
"""Most compiled variants the three stages keep: each holds 12-16 MB of executable and buffers,
and every new (depth, width, batch, activation, init, batch norm) is one. A class trying 70
widths grew a server by 1 GB; past this bound the stages' caches are emptied and the shapes in
use compile again (a second or two), so memory stays bounded (benchmarks/bench_netstats.py)."""

_COMPILED_LOCK = threading.Lock()
_STRUCTURES: set = set()  # the structures compiled since the caches were last emptied


def _bound_compiled(structure: tuple) -> None:
    """Before a new structure compiles: empty the stages' compilation caches (and the draws, which
    would otherwise spare a draw stage its compile now and cost it later) when they hold more than
    MAX_COMPILED variants. A structure already compiled never triggers it: moving a slider stays free."""
    with _COMPILED_LOCK:
        if structure in _STRUCTURES:
            return
        if compiled_cache_size() > MAX_COMPILED:
            for stage in (_draw_data, _draw_weights, _network_statistics):
                stage.clear_cache()
            _DRAWS.clear()
            _STRUCTURES.clear()
        _STRUCTURES.add(structure)


def _scale_of(x: jax.Array, axis=None) -> jax.Array:
    """max |x| (over `axis`) where it is finite and positive, else 1: dividing by it keeps every
    sum of squares in float32 range, so finite data always gives a finite statistic."""
    largest = jnp.max(jnp.abs(x), axis=axis, keepdims=axis is not None)
    return jnp.where(jnp.isfinite(largest) & (largest > 0), largest, 1.0)


def _mean_std(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean and std of all entries of `x`, computed on x / max|x| and scaled back.

    Plain float32 sums overflow for entries past ~1e19 (squares) or ~1e32 (sums of 1e6 entries):
    a network whose activations are all finite (max |h| ~ 1.7e34) was reported as overflowed.
    Entries that are themselves inf or NaN still give a non-finite statistic.
    """
    scale = _scale_of(x)
    unit = x / scale
    return jnp.mean(unit) * scale, jnp.std(unit) * scale


def _batchnorm(z: jax.Array) -> jax.Array:
    """(z - mean_b) / sqrt(var_b + eps), per unit over the batch, no learned affine.

    Computed on z / s with s = max |z| per unit, which is the same number ((z - m) / sqrt(v + eps)
    = (z/s - m/s) / sqrt(v/s^2 + eps/s^2)) without overflowing the variance of huge pre-activations.
    """
    scale = _scale_of(z, axis=0)
    unit = z / scale
    mean = jnp.mean(unit, axis=0, keepdims=True)
    var = jnp.mean(jnp.square(unit - mean), axis=0, keepdims=True)
    return (unit - mean) * jax.lax.rsqrt(var + BATCHNORM_EPS / jnp.square(scale))


def _histogram(values: jax.Array, low: float, high: float, bins: int) -> jax.Array:
    """Counts of `values` in `bins` equal bins over [low, high], then below, above and NaN."""
    position = (values - low) * (bins / (high - low))
    index = jnp.clip(jnp.floor(position), 0, bins - 1).astype(jnp.int32)  # NaN would land in bin 0
    index = jnp.where(values < low, bins, jnp.where(values > high, bins + 1, index))
    index = jnp.where(jnp.isnan(values), bins + 2, index)
    return jnp.bincount(index.ravel(), length=bins + 3)


# The computation is three jitted stages, each compiled once per what it depends on, so that
# e.g. switching the activation reuses the compiled samplers (every random-number call site
# is a costly XLA compile on CPU). seed, scale and gain are traced in all of them.
_DATA_STREAM, _WEIGHT_STREAM = 0, 1


@partial(jax.jit, static_argnames=("batch", "width"))
def _draw_data(seed: jax.Array, *, batch: int, width: int) -> tuple[jax.Array, jax.Array]:
    """Inputs X ~ N(0, 1) and the loss projection r ~ N(0, 1), both (batch, width), in one draw."""
    TRACE_COUNTS["data"] += 1
    key = jax.random.fold_in(jax.random.key(seed), _DATA_STREAM)
    inputs, projection = jax.random.normal(key, (2, batch, width), jnp.float32)
    return inputs, projection


@partial(jax.jit, static_argnames=("depth", "width", "init_key"))
def _draw_weights(seed: jax.Array, *, depth: int, width: int, init_key: str) -> jax.Array:
    """U_1..U_depth, (depth, width, width): the initializer's draw at gain 1 and scale 1 (W_l = c U_l)."""
    TRACE_COUNTS["weights"] += 1
    initializer = INITIALIZERS[init_key]
    keys = jax.random.split(jax.random.fold_in(jax.random.key(seed), _WEIGHT_STREAM), depth)
    one = jnp.ones((), jnp.float32)

    def sample_layer(carry, layer_key):  # a scan: one compiled sampler, and faster than one big draw
        return carry, initializer.sample(layer_key, (width, width), one, one)

    _, weights = jax.lax.scan(sample_layer, None, keys)
    return weights


@partial(jax.jit, static_argnames=("activation_key", "batchnorm", "unit_variance", "bins"))
def _network_statistics(
    inputs: jax.Array,
    projection: jax.Array,
    weights: jax.Array,
    weight_factor: jax.Array,
    gain: jax.Array,
    *,
    activation_key: str,
    batchnorm: bool,
    unit_variance: bool,
    bins: int,
) -> dict[str, jax.Array]:
    """Forward and backward pass of the MLP; returns per-layer statistics only (see module doc).

    Args:
      inputs: X, (batch, width).
      projection: r, (batch, width): L = (1/B) sum_b r_b . h_L[b].
      weights: U_l, (depth, width, width); the network's weights are W_l = c_l U_l.
      weight_factor: c_l = c for every layer (unused with unit_variance).
      gain: used only with unit_variance (LSUV): c_l = gain / std(h_{l-1} U_l).
      activation_key, batchnorm, bins: see `layer_stats`.
      unit_variance: rescale each layer to unit pre-activation variance on this batch (LSUV).
    """
    TRACE_COUNTS["statistics"] += 1
    activation: Activation = ACTIVATIONS[activation_key]
    low, high = activation.histogram_range
    batch, width = inputs.shape
    depth = weights.shape[0]

    def nonlinearity(z: jax.Array) -> jax.Array:
        return activation.fn(_batchnorm(z) if batchnorm else z)

    def forward_layer(h_prev, w):
        z = h_prev @ w  # scaling the (batch, width) product, not W: one fused multiply, no copy of W
        if unit_variance:  # LSUV (Mishkin & Matas 2016): one rescale is exact for a linear map
            z_std = _mean_std(z)[1]
            factor = gain / jnp.where(z_std > 0, z_std, 1.0)
        else:
            factor = weight_factor
        z = z * factor
        h = nonlinearity(z)
        h_mean, h_std = _mean_std(h)
        stats = dict(
            mean=h_mean,
            std=h_std,
            preact_std=_mean_std(z)[1],
            saturated=jnp.mean(saturated_mask(activation, h).astype(jnp.float32)),
            zero=jnp.mean((h == 0).astype(jnp.float32)),
            dead=(
                jnp.mean(jnp.all(h == 0, axis=0).astype(jnp.float32))
                if activation.can_die
                else jnp.zeros((), jnp.float32)
            ),
            unit_spread=jnp.max(jnp.abs(h - h[:, :1])),
            max_abs=jnp.max(jnp.abs(h)),
            counts=_histogram(h, low, high, bins),
        )
        return h, (z, factor, stats)

    _, (preacts, factors, forward_stats) = jax.lax.scan(forward_layer, inputs, weights)

    def layer_gradients(signal, layer, h_prev):
        """signal = B dL/dh_l (per example) -> (B dL/dz_l, its std, std of dL/dW_l)."""
        _, pullback = jax.vjp(nonlinearity, preacts[layer])
        (delta,) = pullback(signal)
        weight_grad = (h_prev.T @ delta) / batch
        return delta, _mean_std(delta)[1], _mean_std(weight_grad)[1]

    def backward_layer(signal, layer):  # layers depth-1 .. 1 (0-based), top down
        h_prev = nonlinearity(preacts[layer - 1])  # recomputed: cheaper than storing every h
        delta, grad, weight_grad = layer_gradients(signal, layer, h_prev)
        return (delta @ weights[layer].T) * factors[layer], (grad, weight_grad)

    signal, (upper_grad, upper_weight_grad) = jax.lax.scan(
        backward_layer, projection, jnp.arange(1, depth), reverse=True
    )
    _, first_grad, first_weight_grad = layer_gradients(signal, 0, inputs)  # dL/dX is not needed
    grad_std = jnp.concatenate([first_grad[None], upper_grad])
    weight_grad_std = jnp.concatenate([first_weight_grad[None], upper_weight_grad])

    counts = forward_stats.pop("counts").astype(jnp.float32) / (batch * width)
    # W_1 = c U_1 gives every unit the same weights when c = 0 or U_1's columns are equal (zero,
    # constant init): then an all-zero layer 1 is symmetry, not dead ReLUs (see _identical_units).
    first_symmetric = (weight_factor == 0) | jnp.all(weights[0] == weights[0][:, :1])
    return dict(
        forward_stats,
        first_symmetric=first_symmetric,
        histogram=counts[:, :bins],
        below_range=counts[:, bins],
        above_range=counts[:, bins + 1],
        nan_fraction=counts[:, bins + 2],
        grad_std=grad_std,
        weight_grad_std=weight_grad_std,
    )


DRAW_CACHE_BYTES = 128 * 2**20
"""Bytes of draws (inputs, projections, unit weights) kept for reuse; the default network's are 14 MB."""


_DRAWS = ByteCache(DRAW_CACHE_BYTES)


def _identical_units(unit_spread: np.ndarray, max_abs: np.ndarray, first_symmetric: bool) -> np.ndarray:
    """Per layer: does every unit compute the same function (symmetry not broken)?

    A layer with finite, non-zero activations is identical when unit_spread <= 1e-5 max|h_l|.
    A layer of exact zeros is identical only if it got there by symmetry: the layer below is
    identical, or it is layer 1 and W_1 gives every unit the same weights (`first_symmetric`, e.g.
    zero init). Zeros reached by underflow after distinct layers are a vanishing signal, a layer 1
    of dead ReLUs under random weights is dead rather than symmetric, and overflowed layers are neither.
    """
    finite = np.isfinite(unit_spread) & np.isfinite(max_abs)
    identical = finite & (max_abs > 0) & (unit_spread <= 1e-5 * max_abs)
    for layer in range(len(identical)):
        below = identical[layer - 1] if layer else bool(first_symmetric)
        identical[layer] |= finite[layer] & (max_abs[layer] == 0) & below
    return identical


def weight_factor(config: NetworkConfig) -> float:
    """c in W_l = c U_l: the gain, times the scale for the initializers that use it (normal, uniform, constant)."""
    initializer = INITIALIZERS[config.init]
    return float(config.gain) * (float(config.scale) if initializer.uses_scale else 1.0)


def layer_stats(config: NetworkConfig, bins: int = HISTOGRAM_BINS) -> LayerStats:
    """Per-layer statistics of the network described by `config`.

    Forward: z_l = h_{l-1} W_l, h_l = f(BN(z_l)), h_0 = X ~ N(0, 1)^(batch x width).
    Backward: L = (1/B) sum_b r_b . h_L[b], r_b ~ N(0, I); grad_std = std(B dL/dz_l),
    weight_grad_std = std(dL/dW_l). LSUV rescales each orthogonal W_l so Var(z_l) = gain^2.

    Compiles once per structure (depth, width, batch, activation, init, batch norm, bins);
    seed, scale and gain are traced values.

    Args:
      config: the network.
      bins: number of histogram bins (static: a new value compiles once).

    Returns:
      LayerStats of NumPy arrays, layer 1 first.
    """
    activation = ACTIVATIONS[config.activation]
    initializer = INITIALIZERS[config.init]
    seed = np.int32(config.seed)
    _bound_compiled((config.depth, config.width, config.batch, config.activation, config.init, config.batchnorm, int(bins)))
    inputs, projection = _DRAWS.get(("data", config.seed, config.batch, config.width),
                                    lambda: _draw_data(seed, batch=config.batch, width=config.width))
    weights = _DRAWS.get(("weights", config.seed, config.depth, config.width, config.init),
                         lambda: _draw_weights(seed, depth=config.depth, width=config.width, init_key=config.init))
    raw = _network_statistics(
        inputs,
        projection,
        weights,
        np.float32(weight_factor(config)),
        np.float32(config.gain),
        activation_key=config.activation,
        batchnorm=config.batchnorm,
        unit_variance=initializer.data_dependent,
        bins=int(bins),
    )
    arrays = {name: np.asarray(value) for name, value in jax.device_get(raw).items()}
    arrays["identical"] = _identical_units(arrays["unit_spread"], arrays.pop("max_abs"), arrays.pop("first_symmetric"))
    low, high = activation.histogram_range
    return LayerStats(
        **activation_fields(config.activation),
        histogram_edges=np.linspace(low, high, int(bins) + 1),
        **arrays,
    )


def activation_fields(activation_key: str) -> dict[str, Any]:
    """LayerStats' fields that describe its activation (key, label, saturation rule, can die)."""
    activation = ACTIVATIONS[activation_key]
    return dict(activation=activation_key, activation_label=activation.label,
                saturation_rule=saturation_rule(activation), can_die=activation.can_die)
