"""The trajectory page's result types: paths, the sampled surface and what the figures frame.

NumPy only (no JAX): the runner and `optviz.trajectories.compute` make them, the figure builders
and exports read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from optviz.surfaces import CriticalPoint


@dataclass(frozen=True)
class TrajectoryResult:
    """One optimizer's path from one start (and one noise seed).

    Attributes:
      label: legend text, e.g. "Adam" or "SGD (seed 3)".
      optimizer: registry key.
      hparams: hyperparameters used.
      positions: (n, 2) points; positions[0] is the start; n = steps + 1, or diverged_at.
      losses: (n,) loss at each point (penalty included).
      gradients: (n, 2) true gradient at each point (without the added noise).
      updates: (n - 1, 2) applied steps, positions[t + 1] - positions[t].
      diverged_at: step index of the first non-finite or out-of-bounds point, or None.
      divergence: why it stopped: "non-finite" or "out of bounds" (None if it did not).
      seed: noise seed of this path (None without noise).
      instance: which copy of the optimizer (scenes may hold several); "" = the optimizer itself.
      attempted: the rejected point (why the path stopped), or None.
      color: the path's colour (see optviz.palette.path_colors).
    """

    label: str
    optimizer: str
    hparams: dict
    positions: np.ndarray
    losses: np.ndarray
    gradients: np.ndarray
    updates: np.ndarray
    diverged_at: int | None = None
    divergence: str | None = None
    seed: int | None = None
    instance: str = ""
    attempted: np.ndarray | None = field(default=None, repr=False)
    color: str | None = None

    def stop_text(self, escapes: bool) -> str:
        """How a stopped path ended, in words: diverged, or (on a surface unbounded below) escaped."""
        if self.divergence == "out of bounds" and escapes:
            return f"{self.label} escaped downhill and left the plot at step {self.diverged_at}"
        return f"{self.label} diverged at step {self.diverged_at} ({self.divergence})"


@dataclass(frozen=True)
class SurfaceGrid:
    """f sampled on a regular grid over the surface's domain: z[i, j] = f(xs[j], ys[i])."""

    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray

    def border_below(self, value: float) -> bool:
        """Whether f on the grid's border goes below `value`: downhill leads out of the plot."""
        border = np.concatenate([self.z[0], self.z[-1], self.z[:, 0], self.z[:, -1]])
        return bool(np.nanmin(border) < value - 1e-6 * (1 + abs(value)))

    @property
    def falls_off_the_edge(self) -> bool:
        """f is lowest on the border, below everything inside: unbounded below, as far as the plot shows."""
        return self.z.shape[0] > 2 and self.z.shape[1] > 2 and self.border_below(float(np.nanmin(self.z[1:-1, 1:-1])))


@dataclass(frozen=True)
class SurfaceView:
    """What the surface figures need besides the paths."""

    grid: SurfaceGrid
    domain: tuple[tuple[float, float], tuple[float, float]]
    critical_points: Sequence[CriticalPoint]
    log_scale: bool  # colour by log10(f - f_min) instead of f
    title: str = ""
    minimum_value: float | None = None  # loss at the lowest known minimum (None: the surface has none)

    @property
    def floor(self) -> float:
        """The value subtracted before taking logs: the lowest value seen on the grid."""
        return float(np.nanmin(self.grid.z))

    def colour_values(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, float)
        if self.log_scale:
            return np.log10(np.maximum(z - self.floor, 0) + 1e-3)
        return z

    @property
    def unbounded(self) -> bool:
        """No global minimum and f lowest on the plot's border (a saddle): paths that leave the
        plot escaped downhill rather than diverged."""
        return not any(p.kind == "global minimum" for p in self.critical_points) and self.grid.falls_off_the_edge

    def distance_targets(self) -> tuple[np.ndarray, str]:
        """(points (K, 2), what they are): the minima if the surface has any, otherwise its other
        critical points (a saddle's centre), for the distance view."""
        minima = [p for p in self.critical_points if p.is_minimum]
        points, target = (minima, "minimum") if minima else (list(self.critical_points), "critical point")
        return np.array([[p.x, p.y] for p in points], float).reshape(-1, 2), target

    @property
    def colour_title(self) -> str:
        return "log₁₀(loss − min)" if self.log_scale else "loss"


@dataclass(frozen=True)
class TrajectoryData:
    """Everything the trajectory page draws for one scene (optviz.trajectories.compute.compute)."""

    results: tuple[TrajectoryResult, ...]
    view: SurfaceView
