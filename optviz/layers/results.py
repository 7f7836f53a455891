"""The initialization page's result types: per-layer statistics and the activation curve.

NumPy only (no JAX): `optviz.layers.network` and `optviz.layers.compute` make them, the figure
builders, the report and the exports read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class LayerStats:
    """Per-layer statistics of one network, NumPy arrays of shape (depth,) unless noted.

    Args:
      activation: ACTIVATIONS key.
      activation_label, saturation_rule, can_die: what the figures say about it: its name, what
        counts as saturated ("" if it cannot saturate), whether its units can die (see
        optviz.layers.network.activation_fields).
      mean, std: mean and std of the activations h_l over all (input, unit) entries.
      preact_mean, preact_std: mean and std of the pre-activations z_l = h_{l-1} W_l + b (before batch norm).
      saturated: fraction of entries saturated per `Activation.saturation` (0 if n/a).
      dead: fraction of units that are 0 on every input (ReLU only; 0 otherwise).
      zero: fraction of entries exactly 0 (ReLU's spike at 0, drawn apart in histograms).
      grad_std: std of the per-example backpropagated signal B dL/dz_l.
      weight_grad_std: std of dL/dW_l.
      weight_std: std of W_l (0 for zero or constant init and for zeroed last layers of blocks).
      grad_weight_ratio: std(dL/dW_l) / std(W_l), the step of SGD at learning rate 1 relative to the
        weights (the rule of thumb wants learning rate x ratio ~ 1e-3); NaN where std(W_l) = 0.
      sign_agreement: mean over units j of |sum_i sign(dL/dW_l[i, j])| / #{non-zero}: 1 when every
        weight into a unit moves the same way (all-positive inputs), ~sqrt(2 / (pi width)) for random signs.
      block_output: the layer is the last of a residual block (its h is h_in + s F(h_in), not an
        activation: saturated and dead are 0 there).
      unit_spread: max over inputs b and units j of |h_l[b, j] - h_l[b, 0]|.
      identical: every unit computes the same function (see `_identical_units`).
      histogram: (depth, bins) fraction of entries in each bin of `histogram_edges`.
      histogram_edges: (bins + 1,) fixed bin edges over `Activation.histogram_range`.
      below_range, above_range: fraction of entries outside the histogram range (-inf and +inf included).
      nan_fraction: fraction of entries that are NaN (an overflowed network: inf - inf), in no bin.
    """

    activation: str
    activation_label: str
    saturation_rule: str
    can_die: bool
    mean: np.ndarray
    std: np.ndarray
    preact_mean: np.ndarray
    preact_std: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    zero: np.ndarray
    grad_std: np.ndarray
    weight_grad_std: np.ndarray
    weight_std: np.ndarray
    grad_weight_ratio: np.ndarray
    sign_agreement: np.ndarray
    block_output: np.ndarray
    unit_spread: np.ndarray
    identical: np.ndarray
    histogram: np.ndarray
    histogram_edges: np.ndarray
    below_range: np.ndarray
    above_range: np.ndarray
    nan_fraction: np.ndarray

    @property
    def depth(self) -> int:
        """Number of layers."""
        return int(self.std.shape[0])

    @property
    def layers(self) -> np.ndarray:
        """Layer numbers 1..depth."""
        return np.arange(1, self.depth + 1)


@dataclass(frozen=True, eq=False)
class ActivationCurve:
    """An activation f and its derivative f' sampled on a grid of pre-activations z.

    Args:
      key, label: the ACTIVATIONS entry.
      z, values, slopes: the grid, f(z) and f'(z) (f' by automatic differentiation).
      saturated: the ranges of z where f saturates (empty if it cannot).
      rule: what counts as saturated, in words ("" if it cannot saturate).
    """

    key: str
    label: str
    z: np.ndarray
    values: np.ndarray
    slopes: np.ndarray
    saturated: tuple[tuple[float, float], ...]
    rule: str


@dataclass(frozen=True, eq=False)
class LayersData:
    """Everything the initialization page draws for one scene (optviz.layers.compute.compute).

    Args:
      labels: each shown network's label (A, then B).
      stats: each shown network's LayerStats.
      curve: network A's activation function.
    """

    labels: tuple[str, ...]
    stats: tuple[LayerStats, ...]
    curve: ActivationCurve
