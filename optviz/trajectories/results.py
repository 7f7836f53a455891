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
      color: the path's colour: its optimizer's registry colour, a shade of it for a second or
        third copy (see optviz.palette.copy_style); a noisy fan shares its optimizer's colour.
      dash: the path's dash: solid, another dash for each further copy, "dash" for a full-batch path.
      full_batch: the noise-free path drawn with a noisy fan (the fan's paths have a `seed`).
      step_sizes: (n - 1, 2) each update's effective step size per coordinate (Optimizer.step_size:
        eta_t / (sqrt(v_hat) + eps) for the adaptive methods), or None where the optimizer has none.
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
    dash: str = "solid"
    full_batch: bool = False
    step_sizes: np.ndarray | None = field(default=None, repr=False)

    @property
    def group(self) -> str:
        """The optimizer instance this path belongs to (a fan and its full-batch path share it)."""
        return self.instance or self.optimizer

    @property
    def base_label(self) -> str:
        """The label without the seed or full-batch suffix: the instance's own label."""
        for suffix in (" (full batch)",):
            if self.label.endswith(suffix):
                return self.label[: -len(suffix)]
        return self.label.split(" (seed ")[0] if self.seed is not None else self.label

    def left_view_at(self, domain) -> int | None:
        """The first step at which the path is outside `domain` ((x0, x1), (y0, y1)), or None."""
        (x0, x1), (y0, y1) = domain
        x, y = self.positions[:, 0], self.positions[:, 1]
        outside = np.flatnonzero((x < x0) | (x > x1) | (y < y0) | (y > y1))
        return int(outside[0]) if outside.size else None

    def stop_text(self, escapes: bool, domain=None) -> str:
        """How a stopped path ended, in words: diverged, or (on a surface unbounded below) escaped;
        with the plot's `domain`, also the step at which it left the plot when that came earlier."""
        left = self.left_view_at(domain) if domain is not None else None
        if self.divergence == "out of bounds" and escapes:
            if left is not None and left < self.diverged_at:
                return f"{self.label} escaped downhill: it left the plot at step {left}, far off by step {self.diverged_at}"
            return f"{self.label} escaped downhill and left the plot at step {self.diverged_at}"
        if left is not None and left < self.diverged_at:
            return f"{self.label} left the plot at step {left} and diverged at step {self.diverged_at} ({self.divergence})"
        return f"{self.label} diverged at step {self.diverged_at} ({self.divergence})"


@dataclass(frozen=True)
class SurfaceGrid:
    """f sampled on a regular grid (over the domain, or the region a view shows): z[i, j] = f(xs[j], ys[i])."""

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


Range = tuple[float, float]
Domain = tuple[Range, Range]

# The aspect ratios (plot width / height in px) at which the figures frame the view, and how much
# wider or narrower than that a browser's plot may be: with equal scales on x and y and plotly's
# constrain="range", the browser widens one range to fill its plot. The surface grid covers all
# of that (`cover`), so no blank band appears; GIF/MP4 plot areas take ANIMATION_ASPECTS.
FIGURE_ASPECTS: Range = (1.4, 2.6)
BROWSER_SLACK = 1.6
ANIMATION_ASPECTS: Range = (0.6, 4.0)


def grow(lo: float, hi: float, size: float, within: Range) -> Range:
    """[lo, hi] grown to `size`: into `within` first (evenly while both sides have room there),
    then evenly beyond it. A larger size gives a range containing the smaller one's."""
    need = size - (hi - lo)
    if need <= 0:
        return float(lo), float(hi)
    room_lo, room_hi = max(0.0, lo - within[0]), max(0.0, within[1] - hi)
    below = min(room_lo, max(need / 2, need - room_hi))
    above = min(room_hi, need - below)
    rest = (need - below - above) / 2
    return float(lo - below - rest), float(hi + above + rest)


def framed(xrange: Range, yrange: Range, aspect: float, domain: Domain | None = None) -> tuple[Range, Range]:
    """(x, y) ranges holding `xrange` x `yrange` whose width / height is `aspect` (equal scales
    on a plot area of that aspect): the short side grows, into `domain` first."""
    (x0, x1), (y0, y1) = xrange, yrange
    dx, dy = domain if domain is not None else (xrange, yrange)
    width, height = x1 - x0, y1 - y0
    if width < aspect * height:
        return grow(x0, x1, aspect * height, dx), (float(y0), float(y1))
    return (float(x0), float(x1)), grow(y0, y1, width / aspect, dy)


def widened(xrange: Range, yrange: Range, aspects: Range) -> tuple[Range, Range]:
    """The region a browser may show of a plot whose ranges are `xrange` x `yrange`, at equal
    scales, when its plot area's aspect is anywhere in `aspects` (constrain="range" grows one
    range about its centre)."""
    (x0, x1), (y0, y1) = xrange, yrange
    cx, cy, width, height = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    half_w = max(width, aspects[1] * height) / 2
    half_h = max(height, width / aspects[0]) / 2
    return (cx - half_w, cx + half_w), (cy - half_h, cy + half_h)


def _bounding(ranges) -> tuple[Range, Range]:
    ranges = list(ranges)
    return ((min(r[0][0] for r in ranges), max(r[0][1] for r in ranges)),
            (min(r[1][0] for r in ranges), max(r[1][1] for r in ranges)))


def cover(xrange: Range, yrange: Range, domain: Domain) -> tuple[Range, Range]:
    """The region the surface grid must cover so that no figure of this view shows a blank band:
    every frame at FIGURE_ASPECTS widened by a browser (BROWSER_SLACK), and every animation frame."""
    regions = []
    for aspect in np.geomspace(*FIGURE_ASPECTS, 7):
        x, y = framed(xrange, yrange, aspect, domain)
        regions.append(widened(x, y, (aspect / BROWSER_SLACK, aspect * BROWSER_SLACK)))
    regions += [framed(xrange, yrange, aspect, domain) for aspect in ANIMATION_ASPECTS]
    (x0, x1), (y0, y1) = _bounding(regions)
    pad = 0.01 * max(x1 - x0, y1 - y0)
    return (x0 - pad, x1 + pad), (y0 - pad, y1 + pad)


@dataclass(frozen=True)
class SurfaceView:
    """What the surface figures need besides the paths.

    `xrange` x `yrange` is the action (compute frames it: the start, the paths inside the domain,
    the minima, padded); every figure shows at least that, grown to its plot's aspect at equal
    scales (`frame`). The grid covers every such frame (`cover`), possibly beyond the domain.
    """

    grid: SurfaceGrid
    domain: Domain
    critical_points: Sequence[CriticalPoint]
    log_scale: bool  # colour by log10(f - f_min) instead of f
    title: str = ""
    minimum_value: float | None = None  # loss at the lowest known minimum (None: the surface has none)
    xrange: Range | None = None  # the action to frame (None: the domain)
    yrange: Range | None = None
    falls_off: bool | None = None  # f lowest on the domain's border (None: judge by the grid)

    @property
    def box(self) -> tuple[Range, Range]:
        """(xrange, yrange): what every view shows at least."""
        (x0, x1), (y0, y1) = self.domain
        return (self.xrange or (x0, x1)), (self.yrange or (y0, y1))

    def frame(self, aspect: float) -> tuple[Range, Range]:
        """The (x, y) ranges a plot area of width / height `aspect` shows at equal scales: the
        action, its short side grown into the domain first."""
        return framed(*self.box, aspect, self.domain)

    def shown_points(self, xrange: Range, yrange: Range) -> list[CriticalPoint]:
        """The critical points inside `xrange` x `yrange` (the others are not drawn)."""
        (x0, x1), (y0, y1) = xrange, yrange
        return [p for p in self.critical_points if x0 <= p.x <= x1 and y0 <= p.y <= y1]

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
        """No global minimum and f lowest on the domain's border (a saddle): paths that leave the
        plot escaped downhill rather than diverged."""
        falls_off = self.grid.falls_off_the_edge if self.falls_off is None else self.falls_off
        return not any(p.kind == "global minimum" for p in self.critical_points) and falls_off

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
class HyperparameterMapData:
    """A hyperparameter map as the page draws it (optviz.trajectories.compute.hyperparameter_map_data).

    Rows follow y, columns follow x. `metric` is what the colour shows: "final_loss" (f - f_min,
    log), "steps" (steps to come within `tolerance` of f_min; -1 never) or "distance" (to the
    nearest known minimum, log). `boundary`: (K, 2) points of the theory's stability boundary in
    (x value, y value), or None; `current`: the scene's own (x value, y value)."""

    instance: str
    label: str
    surface_label: str
    x_name: str
    y_name: str
    x_label: str
    y_label: str
    x_values: np.ndarray
    y_values: np.ndarray
    x_log: bool
    y_log: bool
    final_loss: np.ndarray
    diverged: np.ndarray
    distance: np.ndarray
    steps_to: np.ndarray | None
    metric: str
    tolerance: float
    f_min: float | None
    steps: int
    current: tuple[float, float]
    boundary: np.ndarray | None = None
    boundary_label: str = ""

    def cell_at(self, x: float, y: float, log_coordinates: bool = True) -> tuple[float, float]:
        """The (x value, y value) of the cell nearest to the plotted point (x, y) (log10 coordinates on a log axis)."""
        px = 10.0 ** x if self.x_log and log_coordinates else x
        py = 10.0 ** y if self.y_log and log_coordinates else y
        near = lambda values, v, log: float(values[np.argmin(np.abs(np.log(values / v) if log else values - v))])  # noqa: E731
        return near(self.x_values, px, self.x_log and px > 0), near(self.y_values, py, self.y_log and py > 0)

    def records(self) -> list[dict]:
        """One row per cell: the two hyperparameters, the final loss, diverged, the distance and steps."""
        rows = []
        for i, y in enumerate(self.y_values):
            for j, x in enumerate(self.x_values):
                row = {self.x_name: float(x), self.y_name: float(y), "diverged": bool(self.diverged[i, j]),
                       "final_loss": None if self.diverged[i, j] else float(self.final_loss[i, j]),
                       "distance": None if not np.isfinite(self.distance[i, j]) else float(self.distance[i, j])}
                if self.steps_to is not None:
                    row["steps_to_tolerance"] = None if self.steps_to[i, j] < 0 else int(self.steps_to[i, j])
                rows.append(row)
        return rows


@dataclass(frozen=True)
class BasinMapData:
    """Which minimum each start of a grid reaches (optviz.trajectories.compute.basin_map_data).

    basin[i, j] (start (xs[j], ys[i])): an index into minima, -1 diverged, -2 not converged."""

    instance: str
    label: str
    surface_label: str
    xs: np.ndarray
    ys: np.ndarray
    minima: np.ndarray
    basin: np.ndarray
    steps: int
    start: tuple[float, float]
    penalty_ignored: bool = False

    def records(self) -> list[dict]:
        """One row per start: x, y and the minimum reached (its index and point), or none."""
        rows = []
        for i, y in enumerate(self.ys):
            for j, x in enumerate(self.xs):
                k = int(self.basin[i, j])
                rows.append({"x": float(x), "y": float(y), "basin": k if k >= 0 else None,
                             "outcome": "minimum" if k >= 0 else "diverged" if k == -1 else "not converged",
                             "minimum_x": float(self.minima[k, 0]) if k >= 0 else None,
                             "minimum_y": float(self.minima[k, 1]) if k >= 0 else None})
        return rows


class MapSource:
    """The maps of one scene, made on first use and kept (a figure of a map view asks for them;
    the other views never pay for them). `make(name)` is the compute, injected by compute.compute."""

    def __init__(self, make):
        self._make, self._made = make, {}

    def get(self, name: str):
        if name not in self._made:
            self._made[name] = self._make(name)
        return self._made[name]

    @property
    def nbytes(self) -> int:
        return sum(int(getattr(a, "nbytes", 0)) for m in self._made.values() if m is not None
                   for a in vars(m).values())


@dataclass(frozen=True)
class TrajectoryData:
    """Everything the trajectory page draws for one scene (optviz.trajectories.compute.compute).
    `maps`: the scene's hyperparameter and basin maps, made when a map view first asks (MapSource)."""

    results: tuple[TrajectoryResult, ...]
    view: SurfaceView
    maps: MapSource | None = field(default=None, compare=False, repr=False)
