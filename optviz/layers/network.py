"""Per-layer forward and backward statistics of a deep MLP, for INITIALIZERS x ACTIVATIONS.

The cs231n lecture 6 / EECS 498 lecture 10 experiment: inputs X ~ N(m, 1) of shape (batch, width)
(m = `input_mean`, 0 in the lecture), `depth` fully-connected layers of `width` units (square
layers: the input dimension is the width too),

    z_l = h_{l-1} W_l + b,    n_l = gamma BN(z_l) + beta  (batch norm on)  or  n_l = z_l,
    h_l = f(n_l),    h_0 = X,

with W_l drawn from the chosen initializer, one bias value b in every unit and layer (0 in the
lecture; -1 kills ReLUs, the folk remedy is +0.01), and batch norm's scale gamma and shift beta
fixed numbers (1 and 0: no affine; in training they are learned per unit, here one value for all).

Residual blocks (`residual`, ResNet's basic block without the final ReLU, so the identity path is
clean): layers 2k-1 and 2k form block k,

    u = f(N(h W_{2k-1} + b))            (layer 2k-1: the branch's hidden layer)
    h' = h + s N(u W_{2k} + b)          (layer 2k: the block's output h + s F(h))

with s = `branch_scale`; an odd last layer is a plain layer. W_{2k} has zero mean, so F(h) is
uncorrelated with h and Var(h + s F(h)) = Var(h) + s^2 Var(F(h)): with He init Var(F(h)) ~ 2 Var(h)
and the std grows ~sqrt(3) per block. The fixes of the lecture: zero-initialise each block's last
layer (`zero_last`: W_{2k} = 0, so every block starts as the identity; Goyal et al. 2017 zero the
last batch-norm scale instead) or scale the branch down (s < 1).

For every layer we report the mean and std of the activations h_l (the block's output h' for
layer 2k), a histogram with fixed bins, the saturated and dead fractions, whether all units are
identical (symmetry never broken), and from one backward pass the std of the backpropagated signal
dL/dz_l, of the weight gradient dL/dW_l and of W_l itself, their ratio std(dL/dW_l) / std(W_l)
(the size of an SGD step at learning rate 1 relative to the weights: cs231n's rule of thumb wants
update / weight ~ 1e-3, i.e. a learning rate of 1e-3 / ratio), and the sign agreement of each
unit's weight gradients,

    agreement_l = mean_j | sum_i sign(dL/dW_l[i, j]) | / #{i: dL/dW_l[i, j] != 0}:

1 when every weight into unit j moves the same way (all up or all down), as the notes say of
inputs that are all positive (sigmoid outputs, data with a non-zero mean: dL/dw_i = x_i delta
has the sign of delta for every i, so W can only zig-zag); ~sqrt(2 / (pi fan_in)) for
independent signs (0.036 for 500 inputs). It is measured on the batch-mean gradient an optimizer
sees, so it shows how much a minibatch softens the effect (the notes say it does).

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
forward pass, so that std(h_{l-1} W_l) = gain (one rescale is exact: it is linear in W_l).

Every initializer is linear in its gain and scale: W_l = c U_l, with U_l the draw at gain 1
and scale 1 and c = gain (times scale for normal, uniform and constant). So the network runs
on U_l and multiplies each product by c_l, z_l = c_l (h_{l-1} U_l) + b (c_l = 0 for a zeroed
last layer of a block; LSUV: c_l = gain / std(h_{l-1} U_l)), and the backward pass likewise; the
draws (inputs X, projection r, the U_l) depend only on the seed and the structure and are kept in a
small cache, so moving a slider re-runs the network but draws nothing.

The computation is jitted in three stages: the data draw (compiled per batch x width), the
weight draw (per depth x width x init) and the forward/backward statistics (per activation,
batch norm, residual, bins and shapes), so changing the activation reuses the compiled samplers.
The structure (depth, width, batch, activation, init, batch norm, residual, histogram bins) is
static; every number (seed, scale, gain, bias, input mean, gamma, beta, branch scale, zeroed
last layers, the activation's own Params such as leaky ReLU's slope) is traced, so moving a
slider never recompiles (`trace_count()` counts compilations). Only statistics come back
(NumPy), never the activations; `optviz.layers.report` turns them into JSON rows and sentences.

References:
  cs231n lecture 6, "Training neural networks I" (activation statistics per layer; update/weight ratio).
  EECS 498-007 lecture 10, "Training neural networks I" (6 x 4096 experiment, residual init).
  Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks".
  He et al. 2015, "Delving Deep into Rectifiers".
  He et al. 2016, "Deep Residual Learning for Image Recognition".
  Goyal et al. 2017, "Accurate, Large Minibatch SGD" (zero-initialised last layer of each block).
  Klambauer et al. 2017, "Self-Normalizing Neural Networks".
  Ioffe & Szegedy 2015, "Batch Normalization" (gamma = std, beta = mean recover the identity).
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

from optviz.activations import ACTIVATION_PARAMS, ACTIVATIONS, Activation, saturated_mask, saturation_rule
from optviz.initializers import ALIASES_TEXT, INITIALIZERS, resolve_initializer
from optviz.layers.results import LayerStats
from optviz.memo import ByteCache
from optviz.params import Param, coerce_all

HISTOGRAM_BINS = 40
"""Default number of equal-width histogram bins over `Activation.histogram_range`."""

BATCHNORM_EPS = 1e-5
"""Batch-norm epsilon (PyTorch's default): z_hat = (z - mean) / sqrt(var + eps)."""

MAX_ELEMENTS = 120_000_000
"""Bound on depth * width * (batch + width) (depth * width * (2 batch + width) with residual blocks,
which keep each layer's activations for the backward pass): the stored pre-activations and weights.

It admits the notes' wide experiment, 6 layers x 4096 units on 256 inputs (107 million elements,
113 million with residual blocks). At the bound the stored pre-activations and weights are ~0.5 GB
of float32 and one evaluation takes seconds on 2 cores (benchmarks/bench_netstats.py measures time
and peak memory); `NetworkConfig.from_values` shrinks batch (then width) to fit, with a notice, and
`NetworkConfig(...)` refuses.
"""

NETWORK_PARAMS: tuple[Param, ...] = (
    Param("depth", "layers", 10, 1, 50, kind="int", help="Number of fully-connected layers."),
    Param("width", "units per layer", 500, 2, 4096, kind="int", help="Units in every layer (and input dimension)."),
    Param("batch", "inputs", 1000, 2, 5000, kind="int", help="Number of N(m, 1) input vectors in the batch."),
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
        help="Normalise each unit's pre-activation over the batch before the nonlinearity, then gamma * z_hat + beta.",
    ),
    Param("seed", "seed", 0, 0, 2**31 - 1, kind="int", help="Seed of the inputs, weights and loss projection."),
    *ACTIVATION_PARAMS,  # the activations' own settings (leaky ReLU's slope): used when that activation is chosen
    Param("residual", "residual blocks", False, kind="bool",
          help="Pairs of layers form ResNet blocks h + s * W2 f(W1 h): Var(h + F(h)) = Var(h) + Var(F(h)) grows."),
    Param("branch_scale", "branch scale s", 1.0, 0.0, 2.0,
          help="Residual blocks compute h + s * F(h): s < 1 (e.g. 1/sqrt(blocks)) keeps the variance from growing."),
    Param("zero_last", "zero-init last layer of each block", False, kind="bool",
          help="W2 = 0 in every residual block: each block starts as the identity (the lecture's fix)."),
    Param("bias", "bias b", 0.0, -3.0, 3.0,
          help="Bias of every unit in every layer, z = h W + b: negative kills ReLUs; +0.01 is the folk remedy."),
    Param("input_mean", "input mean m", 0.0, -5.0, 5.0,
          help="Inputs X ~ N(m, 1): m != 0 is data that is not zero-centred."),
    Param("bn_gamma", "batch norm gamma", 1.0, 0.0, 50.0,
          help="Batch norm's scale: gamma * z_hat + beta (the same for every unit; learned in training)."),
    Param("bn_beta", "batch norm beta", 0.0, -5.0, 5.0,
          help="Batch norm's shift: gamma = std(z) and beta = mean(z) undo the normalisation."),
)

_PARAMS_BY_NAME = {p.name: p for p in NETWORK_PARAMS}


def network_elements(depth: int, width: int, batch: int, residual: bool = False) -> int:
    """Number of stored float32 elements, depth * width * (batch + width); with residual blocks the
    activations of every layer are kept too, depth * width * (2 batch + width)."""
    return int(depth) * int(width) * ((2 if residual else 1) * int(batch) + int(width))


@dataclass(frozen=True)
class NetworkConfig:
    """One network of the experiment: every value of NETWORK_PARAMS.

    Args:
      depth, width, batch: layers, units per layer (= input dimension), inputs.
      activation: ACTIVATIONS key.
      init: INITIALIZERS key (aliases are resolved on construction).
      scale: std / half-width / value for normal / uniform / constant.
      gain: multiplies W for every initializer.
      batchnorm: batch norm before the activation, then bn_gamma * z_hat + bn_beta.
      seed: seed of inputs, weights and the loss projection.
      negative_slope: leaky ReLU's slope for z < 0 (ACTIVATIONS["leaky_relu"].params; unused by the others).
      residual: pairs of layers form residual blocks h + branch_scale * F(h) (see the module doc).
      branch_scale: s in h + s F(h).
      zero_last: W = 0 for the last layer of each residual block.
      bias: b in z = h W + b, every unit and layer.
      input_mean: m in X ~ N(m, 1).
      bn_gamma, bn_beta: batch norm's scale and shift (used with batchnorm).

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
    negative_slope: float = 0.01
    residual: bool = False
    branch_scale: float = 1.0
    zero_last: bool = False
    bias: float = 0.0
    input_mean: float = 0.0
    bn_gamma: float = 1.0
    bn_beta: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "init", resolve_initializer(self.init))
        for spec in NETWORK_PARAMS:
            object.__setattr__(self, spec.name, spec.parse(getattr(self, spec.name)))
        elements = network_elements(self.depth, self.width, self.batch, self.residual)
        if elements > MAX_ELEMENTS:
            stored = "(2*batch+width)" if self.residual else "(batch+width)"
            raise ValueError(
                f"network too large: depth*width*{stored} = {elements:,} > {MAX_ELEMENTS:,}; "
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
        depth, width, batch, residual = coerced["depth"], coerced["width"], coerced["batch"], coerced["residual"]
        copies = 2 if residual else 1  # stored (batch, width) arrays per layer
        if network_elements(depth, width, batch, residual) > MAX_ELEMENTS:
            new_batch = max(min(batch, 100), (MAX_ELEMENTS // (depth * width) - width) // copies)
            new_batch = min(batch, new_batch)
            new_width = width
            if network_elements(depth, width, new_batch, residual) > MAX_ELEMENTS:
                limit, stored = MAX_ELEMENTS / depth, copies * new_batch
                new_width = int((-stored + math.sqrt(stored**2 + 4 * limit)) / 2)
                while network_elements(depth, new_width, new_batch, residual) > MAX_ELEMENTS:
                    new_width -= 1
            notices.append(
                f"{prefix}depth {depth} x width {width} x batch {batch}{' with residual blocks' if residual else ''} "
                f"is too large to compute here; using width {new_width} and batch {new_batch}"
            )
            coerced["width"], coerced["batch"] = new_width, new_batch
        return NetworkConfig(**coerced), notices

    def values(self) -> dict[str, Any]:
        """{name: value} for every NETWORK_PARAMS entry, JSON-ready."""
        return {p.name: getattr(self, p.name) for p in NETWORK_PARAMS}

    def replace(self, **changes: Any) -> "NetworkConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @property
    def activation_values(self) -> dict[str, float]:
        """{name: value} of the chosen activation's own Params (leaky ReLU: its slope)."""
        return {p.name: getattr(self, p.name) for p in ACTIVATIONS[self.activation].params}

    @property
    def activation_label(self) -> str:
        """The activation's label at this config's values ("leaky ReLU (slope 0.2)")."""
        return ACTIVATIONS[self.activation].label_for(self.activation_values)


_FIELDS = {f.name for f in dataclasses.fields(NetworkConfig)}
if _FIELDS != set(_PARAMS_BY_NAME):  # a Param without a field (or the reverse) would be silently dropped
    raise ImportError(f"NetworkConfig fields {sorted(_FIELDS ^ set(_PARAMS_BY_NAME))} do not match NETWORK_PARAMS")


def layer_roles(depth: int, residual: bool) -> np.ndarray:
    """Per layer (depth,): 0 a plain layer, 1 the first layer of a residual block, 2 its last layer
    (the block's output h + s F(h)). Without residual blocks every layer is plain; with them layers
    (1, 2), (3, 4), ... are blocks and an odd last layer is plain."""
    roles = np.zeros(depth, np.int32)
    if residual:
        pairs = depth // 2
        roles[0:2 * pairs:2], roles[1:2 * pairs:2] = 1, 2
    return roles


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
# is a costly XLA compile on CPU). Every number is traced in all of them.
_DATA_STREAM, _WEIGHT_STREAM = 0, 1


@partial(jax.jit, static_argnames=("batch", "width"))
def _draw_data(seed: jax.Array, *, batch: int, width: int) -> tuple[jax.Array, jax.Array]:
    """Inputs X ~ N(0, 1) and the loss projection r ~ N(0, 1), both (batch, width), in one draw."""
    TRACE_COUNTS["data"] += 1
    key = jax.random.fold_in(jax.random.key(seed), _DATA_STREAM)
    inputs, projection = jax.random.normal(key, (2, batch, width), jnp.float32)
    return inputs, projection


@partial(jax.jit, static_argnames=("depth", "width", "init_key"))
def _draw_weights(seed: jax.Array, *, depth: int, width: int, init_key: str) -> dict[str, jax.Array]:
    """U_1..U_depth, (depth, width, width): the initializer's draw at gain 1 and scale 1 (W_l = c U_l),
    with what the statistics need of it once per draw: std(U_l) per layer, and whether U_1 gives
    every unit the same weights (equal columns: zero and constant init)."""
    TRACE_COUNTS["weights"] += 1
    initializer = INITIALIZERS[init_key]
    keys = jax.random.split(jax.random.fold_in(jax.random.key(seed), _WEIGHT_STREAM), depth)
    one = jnp.ones((), jnp.float32)

    def sample_layer(carry, layer_key):  # a scan: one compiled sampler, and faster than one big draw
        unit = initializer.sample(layer_key, (width, width), one, one)
        return carry, (unit, _mean_std(unit)[1])

    _, (weights, stds) = jax.lax.scan(sample_layer, None, keys)
    return dict(weights=weights, stds=stds, equal_columns=jnp.all(weights[0] == weights[0][:, :1]))


def _sign_agreement(weight_grad: jax.Array) -> jax.Array:
    """mean over units j of |sum_i sign(G[i, j])| / #{i: G[i, j] != 0}, G = dL/dW (fan_in, fan_out):
    1 when every weight into a unit moves the same way, ~sqrt(2 / (pi fan_in)) for random signs."""
    signs = jnp.sign(weight_grad)
    counted = jnp.sum(jnp.abs(signs), axis=0)
    return jnp.mean(jnp.abs(jnp.sum(signs, axis=0)) / jnp.maximum(counted, 1.0))


@partial(jax.jit, static_argnames=("activation_key", "batchnorm", "unit_variance", "residual", "bins"))
def _network_statistics(
    inputs: jax.Array,
    projection: jax.Array,
    draw: dict[str, jax.Array],
    values: dict[str, jax.Array],
    *,
    activation_key: str,
    batchnorm: bool,
    unit_variance: bool,
    residual: bool,
    bins: int,
) -> dict[str, jax.Array]:
    """Forward and backward pass of the MLP; returns per-layer statistics only (see module doc).

    Args:
      inputs: X ~ N(0, 1), (batch, width); the network's input is X + input_mean.
      projection: r, (batch, width): L = (1/B) sum_b r_b . h_L[b].
      draw: `_draw_weights`' U_l, (depth, width, width) (the network's weights are W_l = c_l U_l),
        their stds and whether U_1's columns are equal.
      values: traced numbers: `factors` (depth,) the c_l (LSUV: 0 or 1, a mask on gain / std),
        `gain` (LSUV's target std), `bias`, `input_mean`, `branch_scale`, `bn_gamma`, `bn_beta`,
        and the activation's own Params (leaky ReLU's `negative_slope`).
      activation_key, batchnorm, bins: see `layer_stats`.
      unit_variance: rescale each layer to unit pre-activation variance on this batch (LSUV).
      residual: layers (1, 2), (3, 4), ... are residual blocks (see `layer_roles`).
    """
    TRACE_COUNTS["statistics"] += 1
    weights = draw["weights"]
    activation: Activation = ACTIVATIONS[activation_key]
    low, high = activation.histogram_range
    batch, width = inputs.shape
    depth = weights.shape[0]
    roles = layer_roles(depth, residual)  # static: the structure, not a value
    is_out = jnp.asarray(roles == 2)  # the last layer of a block: h' = h + s N(z)
    is_first = jnp.asarray(roles == 1)  # the first layer of a block: its input is the block's input
    layer_factors = values["factors"]
    act_values = {p.name: values[p.name] for p in activation.params}

    def normalised(z: jax.Array) -> jax.Array:
        """N(z): gamma BN(z) + beta with batch norm, else z."""
        return values["bn_gamma"] * _batchnorm(z) + values["bn_beta"] if batchnorm else z

    def branch(z: jax.Array, out: jax.Array | bool) -> jax.Array:
        """What layer l adds from its pre-activation z: f(N(z)), or s N(z) for a block's last layer."""
        activated = activation.apply(normalised(z), act_values)
        if not residual:
            return activated
        return jnp.where(out, values["branch_scale"] * normalised(z), activated)

    def forward_layer(carry, layer):
        h_prev, skip = carry
        u, u_std, out, first, given = layer
        product = h_prev @ u  # scaling the (batch, width) product, not W: one fused multiply, no copy of W
        if unit_variance:  # LSUV (Mishkin & Matas 2016): one rescale is exact for a linear map
            product_std = _mean_std(product)[1]
            factor = values["gain"] / jnp.where(product_std > 0, product_std, 1.0) * given  # given: 1, or 0 (zeroed)
        else:
            factor = given
        z = product * factor + values["bias"]
        h = branch(z, out)
        if residual:
            h = jnp.where(out, skip + h, h)
            skip = jnp.where(first, skip, h)  # a block's first layer keeps its input for the sum
        h_mean, h_std = _mean_std(h)
        z_mean, z_std = _mean_std(z)
        activated = ~out if residual else True  # a block's output is a sum, not an activation
        stats = dict(
            mean=h_mean,
            std=h_std,
            preact_mean=z_mean,
            preact_std=z_std,
            weight_std=jnp.abs(factor) * u_std,
            saturated=jnp.where(activated, jnp.mean(saturated_mask(activation, h).astype(jnp.float32)), 0.0),
            zero=jnp.mean((h == 0).astype(jnp.float32)),
            dead=(
                jnp.where(activated, jnp.mean(jnp.all(h == 0, axis=0).astype(jnp.float32)), 0.0)
                if activation.can_die
                else jnp.zeros((), jnp.float32)
            ),
            unit_spread=jnp.max(jnp.abs(h - h[:, :1])),
            max_abs=jnp.max(jnp.abs(h)),
            counts=_histogram(h, low, high, bins),
        )
        kept = h if residual else None  # a block's output cannot be recomputed from its pre-activation alone
        return (h, skip), (z, factor, kept, stats)

    x = inputs + values["input_mean"]
    per_layer = (weights, draw["stds"], is_out, is_first, layer_factors)
    _, (preacts, factors, kept, forward_stats) = jax.lax.scan(forward_layer, (x, x), per_layer)

    def layer_gradients(signal, layer, h_prev):
        """signal = B dL/dh_l (per example) -> (B dL/dz_l, its std, std of dL/dW_l, sign agreement)."""
        _, pullback = jax.vjp(lambda z: branch(z, is_out[layer]), preacts[layer])
        (delta,) = pullback(signal)
        weight_grad = (h_prev.T @ delta) / batch
        return delta, _mean_std(delta)[1], _mean_std(weight_grad)[1], _sign_agreement(weight_grad)

    def backward_layer(carry, layer):  # layers depth-1 .. 1 (0-based), top down
        signal, skip_signal = carry
        # h_{l-1}: recomputed in a plain network (cheaper than storing every h), kept with residual blocks.
        h_prev = kept[layer - 1] if residual else branch(preacts[layer - 1], False)
        delta, grad, weight_grad, agreement = layer_gradients(signal, layer, h_prev)
        below = (delta @ weights[layer].T) * factors[layer]
        if residual:
            # The identity path: a block's output passes its gradient straight to the block's input,
            # which is the input of the block's first layer (the next one down).
            below = below + jnp.where(is_first[layer], skip_signal, 0.0)
            skip_signal = jnp.where(is_out[layer], signal, 0.0)
        return (below, skip_signal), (grad, weight_grad, agreement)

    (signal, _), (upper_grad, upper_weight_grad, upper_agreement) = jax.lax.scan(
        backward_layer, (projection, jnp.zeros_like(projection)), jnp.arange(1, depth), reverse=True
    )
    _, first_grad, first_weight_grad, first_agreement = layer_gradients(signal, 0, x)  # dL/dX is not needed
    grad_std = jnp.concatenate([first_grad[None], upper_grad])
    weight_grad_std = jnp.concatenate([first_weight_grad[None], upper_weight_grad])
    sign_agreement = jnp.concatenate([first_agreement[None], upper_agreement])

    counts = forward_stats.pop("counts").astype(jnp.float32) / (batch * width)
    # W_1 = c U_1 gives every unit the same weights when c = 0 or U_1's columns are equal (zero,
    # constant init): then an all-zero layer 1 is symmetry, not dead ReLUs (see _identical_units).
    first_symmetric = (factors[0] == 0) | draw["equal_columns"]
    return dict(
        forward_stats,
        first_symmetric=first_symmetric,
        histogram=counts[:, :bins],
        below_range=counts[:, bins],
        above_range=counts[:, bins + 1],
        nan_fraction=counts[:, bins + 2],
        grad_std=grad_std,
        weight_grad_std=weight_grad_std,
        sign_agreement=sign_agreement,
    )


DRAW_CACHE_BYTES = 512 * 2**20
"""Bytes of draws (inputs, projections, unit weights) kept for reuse, for every session together.

The default network's draws are 14 MB; the notes' 6 x 4096 network's weights are 384 MiB, so the
budget holds one of them (a slider move then re-runs the network without drawing 100 million
numbers again) and a draw larger than the budget is computed, used and not kept."""


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


def layer_factors(config: NetworkConfig) -> np.ndarray:
    """c_l per layer (depth,): `weight_factor`, 0 for the zeroed last layers of residual blocks
    (`zero_last`); for LSUV the mask that multiplies its data-dependent factor (1 or 0)."""
    c = 1.0 if INITIALIZERS[config.init].data_dependent else weight_factor(config)
    zeroed = (layer_roles(config.depth, config.residual) == 2) & config.zero_last
    return np.where(zeroed, 0.0, c).astype(np.float32)


def traced_values(config: NetworkConfig) -> dict[str, np.ndarray]:
    """The numbers `_network_statistics` takes as traced arguments (a slider move never recompiles)."""
    values = {"factors": layer_factors(config)}
    for name in ("gain", "bias", "input_mean", "branch_scale", "bn_gamma", "bn_beta"):
        values[name] = np.float32(getattr(config, name))
    values.update({name: np.float32(value) for name, value in config.activation_values.items()})
    return values


def layer_stats(config: NetworkConfig, bins: int = HISTOGRAM_BINS) -> LayerStats:
    """Per-layer statistics of the network described by `config`.

    Forward: z_l = c_l h_{l-1} U_l + b, h_l = f(N(z_l)) with N(z) = gamma BN(z) + beta (batch norm)
    or z; with residual blocks every second layer outputs h_{l-2} + s N(z_l); h_0 = X ~ N(m, 1).
    Backward: L = (1/B) sum_b r_b . h_L[b], r_b ~ N(0, I); grad_std = std(B dL/dz_l),
    weight_grad_std = std(dL/dW_l), grad_weight_ratio = std(dL/dW_l) / std(W_l) (NaN where
    std(W_l) = 0: zero and constant init, zeroed last layers). LSUV rescales each orthogonal
    W_l so that std(h_{l-1} W_l) = gain.

    Compiles once per structure (depth, width, batch, activation, init, batch norm, residual,
    bins); every number is a traced value.

    Args:
      config: the network.
      bins: number of histogram bins (static: a new value compiles once).

    Returns:
      LayerStats of NumPy arrays, layer 1 first.
    """
    activation = ACTIVATIONS[config.activation]
    initializer = INITIALIZERS[config.init]
    seed = np.int32(config.seed)
    _bound_compiled((config.depth, config.width, config.batch, config.activation, config.init, config.batchnorm,
                     config.residual, int(bins)))
    inputs, projection = _DRAWS.get(("data", config.seed, config.batch, config.width),
                                    lambda: _draw_data(seed, batch=config.batch, width=config.width))
    draw = _DRAWS.get(("weights", config.seed, config.depth, config.width, config.init),
                      lambda: _draw_weights(seed, depth=config.depth, width=config.width, init_key=config.init))
    raw = _network_statistics(
        inputs,
        projection,
        draw,
        traced_values(config),
        activation_key=config.activation,
        batchnorm=config.batchnorm,
        unit_variance=initializer.data_dependent,
        residual=config.residual,
        bins=int(bins),
    )
    arrays = {name: np.asarray(value) for name, value in jax.device_get(raw).items()}
    arrays["identical"] = _identical_units(arrays["unit_spread"], arrays.pop("max_abs"), arrays.pop("first_symmetric"))
    weight_std = arrays["weight_std"]
    with np.errstate(divide="ignore", invalid="ignore"):
        arrays["grad_weight_ratio"] = np.where(weight_std > 0, arrays["weight_grad_std"] / weight_std, np.nan)
    low, high = activation.histogram_range
    return LayerStats(
        **activation_fields(config.activation, config.activation_values),
        block_output=layer_roles(config.depth, config.residual) == 2,
        histogram_edges=np.linspace(low, high, int(bins) + 1),
        **arrays,
    )


def activation_fields(activation_key: str, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """LayerStats' fields that describe its activation (key, label at `values`, saturation rule, can die)."""
    activation = ACTIVATIONS[activation_key]
    return dict(activation=activation_key, activation_label=activation.label_for(values),
                saturation_rule=saturation_rule(activation), can_die=activation.can_die)
