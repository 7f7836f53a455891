"""The training lab's network: an MLP with optional biases, batch norm and dropout, as pure functions.

For hidden layers l = 1..depth and h_0 = x,

    z_l = h_{l-1} W_l + b_l,    h_l = drop(f(BN(z_l))),    logits = h_depth W_out + b_out,

with f an ACTIVATIONS entry and W_l drawn from an INITIALIZERS entry (biases start at 0). The
loss is the softmax cross-entropy over the classes, optionally plus a penalty on the weights
(never on biases or batch-norm parameters):

    L = (1/B) sum_b [logsumexp(logits_b) - logits_b[y_b]] + (l2 / 2) sum_l ||W_l||^2 + l1 sum_l |W_l|_1.

Batch norm (training): z_hat = gamma (z - mu_B) / sqrt(var_B + eps) + beta with the batch's mean
and (biased) variance, and running statistics updated as PyTorch's BatchNorm1d does,
m <- (1 - rho) m + rho mu_B, v <- (1 - rho) v + rho var_B n / (n - 1); at evaluation the running
statistics replace the batch's. Dropout is inverted dropout: in training each hidden activation
is zeroed with probability p and the rest divided by 1 - p; at evaluation nothing is dropped.

Examples may carry weights (1 for real rows, 0 for padding): every mean, the batch-norm
statistics included, is then a weighted mean over the real rows.

LSUV (`init="lsuv"`, data dependent) draws orthogonal W_l and rescales each layer, output layer
included, on the training inputs so that std(z_l) = gain (exact in one rescale, biases being 0).

References:
  cs231n lectures 6-7 (initialization, batch norm, dropout, regularization).
  Ioffe & Szegedy 2015, "Batch Normalization"; PyTorch torch.nn.BatchNorm1d (running statistics).
  Srivastava et al. 2014, "Dropout" (inverted dropout as in cs231n).
  Mishkin & Matas 2016, "All you need is a good init" (LSUV).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from optviz.activations import ACTIVATIONS, saturated_mask
from optviz.initializers import INITIALIZERS

BATCHNORM_EPS = 1e-5
"""z_hat = (z - mean) / sqrt(var + eps) (PyTorch's default)."""

BATCHNORM_MOMENTUM = 0.1
"""rho of the running statistics, m <- (1 - rho) m + rho mu_B (PyTorch's default)."""

Params = list  # one dict per layer: "w", and "b", "gamma", "beta" where used
State = list  # one dict per hidden layer with batch norm: "mean", "var" (running statistics)


class NetworkSpec(NamedTuple):
    """The network's structure: everything here is static (a change compiles a new variant).

    Args:
      input_dim, num_classes: inputs per example and softmax outputs.
      depth: hidden layers (0: a linear softmax classifier).
      width: units per hidden layer.
      activation: ACTIVATIONS key.
      init: INITIALIZERS key.
      bias: whether layers have biases.
      batchnorm: batch norm before each hidden activation (with a learned gamma, beta).
      dropout: whether dropout is applied in training (its rate is traced).
    """

    input_dim: int
    num_classes: int
    depth: int
    width: int
    activation: str
    init: str
    bias: bool = True
    batchnorm: bool = False
    dropout: bool = False

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """(fan_in, fan_out) of every weight matrix, the output layer last."""
        sizes = [self.input_dim] + [self.width] * self.depth + [self.num_classes]
        return list(zip(sizes[:-1], sizes[1:]))

    @property
    def num_weights(self) -> int:
        """Number of entries of all weight matrices (biases and batch norm not counted)."""
        return sum(a * b for a, b in self.shapes)


def _weighted_mean(values: jax.Array, weights: jax.Array | None) -> jax.Array:
    """Mean over the rows (axis 0) of 1-D or 2-D `values`, each row counted with its weight (None: all 1)."""
    rows = values.shape[0]
    w = jnp.full((rows,), 1.0 / rows, values.dtype) if weights is None else weights / jnp.sum(weights)
    # A (rows,) @ (rows, units) product: a reduction over the rows axis alone was several times
    # slower under vmap on CPU (batch-norm statistics of a full batch; benchmarks/bench_train.py).
    return w @ values


def _entry_std(values: jax.Array, weights: jax.Array | None) -> jax.Array:
    """Std over all (row, unit) entries of (rows, units) `values`, rows weighted."""
    # Whole-array sums: a reduction over the rows axis alone was several times slower under vmap on CPU.
    w = jnp.ones(values.shape[:1], values.dtype) if weights is None else weights
    entries = jnp.sum(w) * values.shape[1]
    mean = jnp.sum(values * w[:, None]) / entries
    return jnp.sqrt(jnp.sum(jnp.square(values - mean) * w[:, None]) / entries)


def init_network(
    spec: NetworkSpec, key: jax.Array, scale, gain, x: jax.Array | None = None, weights: jax.Array | None = None
) -> tuple[Params, State]:
    """Draw the network's parameters and batch-norm state.

    W_l = initializer(key_l, (fan_in, fan_out), scale, gain); b_l = 0, gamma = 1, beta = 0;
    running mean 0 and variance 1. LSUV then rescales W_l so that std(z_l) = gain on `x`.

    Args:
      spec: the structure.
      key: PRNG key of the weights.
      scale, gain: the initializer's scale and gain (may be traced).
      x, weights: training inputs and row weights, needed by data-dependent initializers (LSUV).

    Returns:
      (params, state): a list of per-layer dicts, and the list of running statistics.
    """
    initializer = INITIALIZERS[spec.init]
    keys = jax.random.split(key, len(spec.shapes))
    params: Params = []
    for index, ((fan_in, fan_out), layer_key) in enumerate(zip(spec.shapes, keys)):
        layer = {"w": initializer.sample(layer_key, (fan_in, fan_out), scale, gain)}
        if spec.bias:
            layer["b"] = jnp.zeros((fan_out,), jnp.float32)
        if spec.batchnorm and index < spec.depth:
            layer["gamma"] = jnp.ones((fan_out,), jnp.float32)
            layer["beta"] = jnp.zeros((fan_out,), jnp.float32)
        params.append(layer)
    state: State = [
        {"mean": jnp.zeros((spec.width,), jnp.float32), "var": jnp.ones((spec.width,), jnp.float32)}
        for _ in range(spec.depth if spec.batchnorm else 0)
    ]
    if initializer.data_dependent:
        if x is None:
            raise ValueError(f"initializer {spec.init!r} is data dependent: pass the training inputs")
        params = _lsuv(spec, params, x, weights, gain)
    return params, state


def _lsuv(spec: NetworkSpec, params: Params, x: jax.Array, weights: jax.Array | None, gain) -> Params:
    """Rescale W_l layer by layer so that the weighted std of z_l = h_{l-1} W_l is `gain`."""
    activation = ACTIVATIONS[spec.activation].fn
    h = x
    rescaled = []
    for index, layer in enumerate(params):
        z = h @ layer["w"]
        spread = _entry_std(z, weights)
        factor = gain / jnp.where(spread > 0, spread, 1.0)
        rescaled.append(dict(layer, w=layer["w"] * factor))
        if index < spec.depth:
            z = z * factor
            if spec.batchnorm:
                z, _ = _batchnorm_train(z, layer["gamma"], layer["beta"], weights)
            h = activation(z)
    return rescaled


def _batchnorm_train(z, gamma, beta, weights):
    """Batch norm with the batch's statistics; returns (output, (mean, biased variance))."""
    mean = _weighted_mean(z, weights)
    var = _weighted_mean(jnp.square(z - mean), weights)
    return (z - mean) * jax.lax.rsqrt(var + BATCHNORM_EPS) * gamma + beta, (mean, var)


def apply_network(
    spec: NetworkSpec,
    params: Params,
    state: State,
    x: jax.Array,
    *,
    train: bool,
    weights: jax.Array | None = None,
    rate=None,
    uniforms: jax.Array | None = None,
    keep_hidden: bool = False,
) -> tuple[jax.Array, State, list[jax.Array]]:
    """Logits of the MLP for the rows of `x`.

    Args:
      spec: the structure.
      params, state: from `init_network` (state: batch-norm running statistics).
      x: (rows, input_dim) inputs.
      train: training mode (batch statistics, running statistics updated, dropout) or
        evaluation mode (running statistics, no dropout).
      weights: (rows,) row weights for the batch statistics (None: every row counts once).
      rate: dropout probability p (traced); used in training when spec.dropout.
      uniforms: (depth, rows, width) U(0, 1) draws of the dropout masks (training with dropout
        only): unit j of row b in layer l is kept where uniforms[l, b, j] >= p.
      keep_hidden: also return every hidden activation h_l (for statistics).

    Returns:
      (logits (rows, num_classes), new state, [h_1 .. h_depth] or []).
    """
    activation = ACTIVATIONS[spec.activation].fn
    h = x
    new_state: State = []
    hidden: list[jax.Array] = []
    for index, layer in enumerate(params[:-1]):
        z = h @ layer["w"]
        if spec.bias:
            z = z + layer["b"]
        if spec.batchnorm:
            running = state[index]
            if train:
                z, (mean, var) = _batchnorm_train(z, layer["gamma"], layer["beta"], weights)
                count = jnp.float32(x.shape[0]) if weights is None else jnp.sum(weights)
                unbiased = var * count / jnp.maximum(count - 1, 1)
                new_state.append({
                    "mean": (1 - BATCHNORM_MOMENTUM) * running["mean"] + BATCHNORM_MOMENTUM * mean,
                    "var": (1 - BATCHNORM_MOMENTUM) * running["var"] + BATCHNORM_MOMENTUM * unbiased,
                })
            else:
                inverse = jax.lax.rsqrt(running["var"] + BATCHNORM_EPS)
                z = (z - running["mean"]) * inverse * layer["gamma"] + layer["beta"]
                new_state.append(running)
        h = activation(z)
        if keep_hidden:
            hidden.append(h)
        if train and spec.dropout:
            keep = uniforms[index] >= rate
            h = jnp.where(keep, h / (1 - rate), 0.0)
    out = params[-1]
    logits = h @ out["w"]
    if spec.bias:
        logits = logits + out["b"]
    return logits, new_state, hidden


def uniform_from_bits(bits: jax.Array) -> jax.Array:
    """U[0, 1) float32 from uint32 random bits (the top 23 bits as a mantissa, as jax.random.uniform)."""
    mantissa = jax.lax.shift_right_logical(bits, jnp.uint32(9)) | jnp.uint32(0x3F800000)
    return jax.lax.bitcast_convert_type(mantissa, jnp.float32) - 1.0


def cross_entropy(logits: jax.Array, labels: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    """Mean softmax cross-entropy, (1/B) sum_b [logsumexp(logits_b) - logits_b[y_b]] (weighted rows)."""
    losses = jax.nn.logsumexp(logits, axis=-1) - jnp.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    return _weighted_mean(losses, weights)


def smoothed_cross_entropy(logits: jax.Array, labels: jax.Array, smoothing) -> jax.Array:
    """Per-row cross-entropy against label-smoothed targets (1 - eps) onehot(y) + eps / C:

        l_b = logsumexp(z_b) - (1 - eps) z_b[y_b] - eps mean_c z_b[c]   (eps = 0: the plain loss).

    References: Szegedy et al. 2016, "Rethinking the Inception Architecture" (label smoothing).
    """
    target = jnp.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    return jax.nn.logsumexp(logits, axis=-1) - (1 - smoothing) * target - smoothing * jnp.mean(logits, axis=-1)


def weighted_mean(values: jax.Array, weights: jax.Array | None) -> jax.Array:
    """Mean of `values` over rows, each weighted (None: equal weights)."""
    return _weighted_mean(values, weights)


def accuracy(logits: jax.Array, labels: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    """Fraction of rows whose largest logit is the true class (weighted rows)."""
    return _weighted_mean((jnp.argmax(logits, axis=-1) == labels).astype(jnp.float32), weights)


def penalty(params: Params, l1, l2) -> jax.Array:
    """(l2 / 2) sum ||W||^2 + l1 sum |W| over the weight matrices (not biases, not gamma/beta)."""
    squares = sum(jnp.sum(jnp.square(layer["w"])) for layer in params)
    absolutes = sum(jnp.sum(jnp.abs(layer["w"])) for layer in params)
    return 0.5 * l2 * squares + l1 * absolutes


def hidden_statistics(spec: NetworkSpec, hidden: list[jax.Array], weights: jax.Array | None) -> dict[str, jax.Array]:
    """Per hidden layer: std of h_l, dead and saturated fractions, (depth,) each.

    std: over all (row, unit) entries of the real rows. dead (ReLU only): fraction of units that
    are 0 on every real row. saturated: fraction of entries saturated per `saturated_mask`.
    """
    activation = ACTIVATIONS[spec.activation]
    if not hidden:
        empty = jnp.zeros((0,), jnp.float32)
        return {"activation_std": empty, "dead": empty, "saturated": empty}
    rows = jnp.ones((hidden[0].shape[0],), bool) if weights is None else weights > 0
    stds, dead, saturated = [], [], []
    for h in hidden:
        stds.append(_entry_std(h, weights))
        if activation.can_die:
            dead.append(jnp.mean(jnp.all((h == 0) | ~rows[:, None], axis=0).astype(jnp.float32)))
        else:
            dead.append(jnp.zeros((), jnp.float32))
        if activation.saturation is not None:
            flags = saturated_mask(activation, h).astype(jnp.float32) * rows[:, None]
            saturated.append(jnp.sum(flags) / (jnp.sum(rows) * h.shape[1]))
        else:
            saturated.append(jnp.zeros((), jnp.float32))
    return {"activation_std": jnp.stack(stds), "dead": jnp.stack(dead), "saturated": jnp.stack(saturated)}


def weight_matrices(params: Params) -> list[jax.Array]:
    """W_1 .. W_depth, W_out."""
    return [layer["w"] for layer in params]


def tree_finite(tree: Any) -> jax.Array:
    """Whether every entry of every leaf is finite."""
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves])) if leaves else jnp.array(True)
