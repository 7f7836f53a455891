"""Maps over many runs at once: a hyperparameter map (a phase diagram) and a basin map.

  hyperparameter map  for a surface, an optimizer and a start, the final loss after K steps over a
                      grid of two of the optimizer's hyperparameters (each on a linear or log
                      axis), or "diverged". All cells run at once: the trajectory kernel
                      (`runner._scan_paths`, end points only) vmapped over the hyperparameters,
                      which are traced, so moving another slider never recompiles.
  basin map           for a surface and an optimizer, which minimum each start of a grid over the
                      domain reaches (within BASIN_TOLERANCE of the domain's size), or none
                      (diverged, or not there after K steps): `runner.run_end_points`.

On a quadratic with Hessian eigenvalues up to lambda_max the theory's stability boundaries are
eta < 2 / lambda_max for gradient descent and eta < 2 (1 + mu) / lambda_max for heavy-ball momentum
(optax's form: v <- mu v + g, x <- x - eta v); `stability_boundary` gives them for a map's axes.

References:
  Goh, "Why Momentum Really Works", Distill 2017 (the stability region of momentum).
  cs231n lecture 7 (learning rate too high / too low; local minima and basins).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from optviz.optimizers import OPTIMIZERS
from optviz.params import Param
from optviz.surfaces import SURFACES, surface_param_values
from optviz.trajectories import runner

MAX_RESOLUTION = 256
"""Most cells per side of a map (256 x 256 = 65,536 runs)."""

BASIN_TOLERANCE = 0.02
"""A start belongs to a minimum's basin when its end point is within this fraction of the domain's
larger side from it."""

MAP_PARAMS: tuple[Param, ...] = (
    Param("resolution", "Cells per side", 32, 2, MAX_RESOLUTION, kind="int",
          help="Cells of the map per side (its runs: the square of it)."),
    Param("steps", "Steps", 200, 1, runner.MAX_STEPS, kind="int", help="Optimizer steps of every run."),
)
"""The maps' own settings (the CLI's `sweep` and `basins` flags)."""

# Trace-time counter of the map kernel (tests prove a slider does not recompile it).
TRACE_COUNT = {"sweep": 0}


@dataclass(frozen=True)
class Axis:
    """One axis of a hyperparameter map: a hyperparameter's name and its values, low to high."""

    name: str
    low: float
    high: float
    log: bool = False

    def values(self, resolution: int) -> np.ndarray:
        """`resolution` values from low to high, evenly spaced (geometrically on a log axis)."""
        if self.log:
            return np.geomspace(self.low, self.high, resolution)
        return np.linspace(self.low, self.high, resolution)


def parse_axis(text: str, optimizer_key: str) -> Axis:
    """An axis from "NAME=LO:HI" or "NAME=LO:HI:log" (the CLI's --x / --y); ValueError says what is wrong.

    NAME must be a numeric hyperparameter of the optimizer; LO < HI within its range; a log axis
    needs LO > 0.
    """
    name, sep, span = str(text).partition("=")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"an axis is NAME=LO:HI[:log], got {text!r}")
    optimizer = OPTIMIZERS[optimizer_key]
    specs = {p.name: p for p in optimizer.params}
    if name not in specs or specs[name].kind != "float":
        numeric = ", ".join(p.name for p in optimizer.params if p.kind == "float")
        raise ValueError(f"{name!r} is not a numeric hyperparameter of {optimizer_key} (choose one of: {numeric})")
    parts = span.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2].strip().lower() not in ("log", "lin", "linear")):
        raise ValueError(f"an axis is NAME=LO:HI[:log], got {text!r}")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"axis {name}: {parts[0]!r} and {parts[1]!r} must be numbers") from None
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    spec = specs[name]
    if not (np.isfinite(low) and np.isfinite(high)) or not low < high:
        raise ValueError(f"axis {name}: LO must be below HI (got {low:g}:{high:g})")
    if low < spec.min or high > spec.max:
        raise ValueError(f"axis {name}: {low:g}:{high:g} is outside its range {spec.min:g} to {spec.max:g}")
    if log and low <= 0:
        raise ValueError(f"axis {name}: a log axis needs LO > 0")
    return Axis(name, low, high, log)


@dataclass(frozen=True)
class HyperparameterMap:
    """Final losses over a grid of two hyperparameters (rows follow y, columns follow x).

    Attributes:
      x, y: the axes; x_values (Nx,), y_values (Ny,) their values.
      final_loss: (Ny, Nx) f at the last point (NaN where the run diverged).
      diverged: (Ny, Nx) whether the run blew up (non-finite, or 100 domain widths away).
      distance: (Ny, Nx) distance of the last point to the nearest known minimum (NaN if none / diverged).
      steps_to: (Ny, Nx) the first step at which f - f_min <= tolerance (-1: never), or None when
        no tolerance was asked for (f_min: the lowest known minimum's value; -1 everywhere without one).
      tolerance: that tolerance, or None.
    """

    x: Axis
    y: Axis
    x_values: np.ndarray
    y_values: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    distance: np.ndarray
    steps_to: np.ndarray | None = None
    tolerance: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI's `sweep --json` payload: x, y (name, values), final_loss (null where diverged), diverged."""
        loss = [[None if d or not np.isfinite(v) else float(v) for v, d in zip(row, flags)]
                for row, flags in zip(self.final_loss, self.diverged)]
        return {"x": {"name": self.x.name, "values": [float(v) for v in self.x_values]},
                "y": {"name": self.y.name, "values": [float(v) for v in self.y_values]},
                "final_loss": loss, "diverged": [[bool(d) for d in row] for row in self.diverged]}


def _hparam_grid(hparams: Mapping[str, np.float32], swept: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One float32 column per hyperparameter for a vmapped sweep: the `swept` ones their values (all of
    one length), the others their fixed value; padded to a power of two (few compiled sizes) by
    repeating the last row."""
    count = len(next(iter(swept.values())))
    padded = runner.path_bucket(count)
    grid = {name: np.full(padded, value, np.float32) for name, value in hparams.items()}
    for name, values in swept.items():
        column = np.asarray(values, np.float32)
        grid[name] = np.concatenate([column, np.repeat(column[-1:], padded - count)])
    return grid


@functools.partial(jax.jit, static_argnames=("surface_key", "optimizer_key", "schedule_key", "penalty", "steps"))
def _sweep(start, hparam_grid, surface_params, schedule_params, strength, total_steps, bounds, *,
           surface_key: str, optimizer_key: str, schedule_key: str, penalty: str, steps: int):
    """End point, its loss and the good steps of one path per hyperparameter set (vmapped)."""
    TRACE_COUNT["sweep"] += 1

    def one(hparams):
        x_end, loss_end, good = runner._scan_paths(
            start[None], jnp.zeros(1, jnp.uint32), surface_params, hparams, schedule_params, strength,
            jnp.float32(0.0), total_steps, bounds, surface_key=surface_key, optimizer_key=optimizer_key,
            schedule_key=schedule_key, penalty=penalty, steps=steps, record=False, noisy=False)
        return x_end[0], loss_end[0], good[0]

    return jax.vmap(one)(hparam_grid)


@functools.partial(jax.jit, static_argnames=("surface_key", "optimizer_key", "schedule_key", "penalty", "steps"))
def _sweep_steps(start, hparam_grid, surface_params, schedule_params, strength, total_steps, bounds, f_min, tolerance, *,
                 surface_key: str, optimizer_key: str, schedule_key: str, penalty: str, steps: int):
    """The first step at which f - f_min <= tolerance of one path per hyperparameter set (-1: never), vmapped.

    The whole loss curve is scanned (record mode), but only the index leaves the kernel."""
    TRACE_COUNT["sweep"] += 1

    def one(hparams):
        losses = runner._scan_paths(
            start[None], jnp.zeros(1, jnp.uint32), surface_params, hparams, schedule_params, strength,
            jnp.float32(0.0), total_steps, bounds, surface_key=surface_key, optimizer_key=optimizer_key,
            schedule_key=schedule_key, penalty=penalty, steps=steps, record=True, noisy=False)[1][0]
        reached = (losses - f_min) <= tolerance
        return jnp.where(jnp.any(reached), jnp.argmax(reached), -1)

    return jax.vmap(one)(hparam_grid)


def hyperparameter_map(surface_key: str, optimizer_key: str, x: Axis, y: Axis, *, resolution: int, steps: int,
                       start: tuple[float, float] | None = None, hparams: Mapping[str, Any] | None = None,
                       surface_params: Mapping[str, Any] | None = None, schedule: str = "constant",
                       schedule_params: Mapping[str, Any] | None = None, penalty: str = "none",
                       strength: float = 0.0, tolerance: float | None = None) -> HyperparameterMap:
    """The final loss after `steps` steps from `start` for every (x, y) hyperparameter pair.

    Args:
      surface_key, optimizer_key: registry keys.
      x, y: the two hyperparameters swept (distinct names); the others keep `hparams` (or defaults).
      resolution: cells per side (2..MAX_RESOLUTION).
      steps: optimizer steps of every run (1..runner.MAX_STEPS).
      start: the start point (default: the surface's).
      hparams, surface_params, schedule, schedule_params, penalty, strength: as `runner.run_paths`.
      tolerance: also find the steps each run needs to come within `tolerance` of the lowest known
        minimum's value (`steps_to`); a second kernel that scans the loss curves.

    Returns:
      A HyperparameterMap (rows follow y).
    """
    if x.name == y.name:
        raise ValueError(f"the two axes must be different hyperparameters (both are {x.name!r})")
    if not 2 <= int(resolution) <= MAX_RESOLUTION:
        raise ValueError(f"resolution={resolution} is out of range: allowed 2 to {MAX_RESOLUTION}")
    if not 1 <= int(steps) <= runner.MAX_STEPS:
        raise ValueError(f"steps={steps} is out of range: allowed 1 to {runner.MAX_STEPS}")
    surface = SURFACES[surface_key]
    start = surface.default_start if start is None else start
    sp, hp, schp = runner._traced_args(surface_key, optimizer_key, schedule, hparams, surface_params, schedule_params)
    x_values, y_values = x.values(resolution), y.values(resolution)
    grid_x, grid_y = np.meshgrid(x_values, y_values)  # row i: y = y_values[i]
    count = grid_x.size
    grid = _hparam_grid(hp, {x.name: grid_x.ravel(), y.name: grid_y.ravel()})
    args = (np.asarray(start, np.float32), grid, sp, schp, np.float32(strength), np.float32(steps),
            np.asarray(runner.bounds_of(surface_key)))
    static = dict(surface_key=surface_key, optimizer_key=optimizer_key, schedule_key=schedule, penalty=penalty,
                  steps=int(steps))
    ends, losses, good = jax.device_get(_sweep(*args, **static))
    shape = grid_x.shape
    diverged = (np.asarray(good)[:count] < steps).reshape(shape)
    final = np.where(diverged, np.nan, np.asarray(losses, np.float64)[:count].reshape(shape))
    minima = surface.minima(surface_param_values(surface, surface_params or {}))
    ends = np.asarray(ends, np.float64)[:count]
    if len(minima):
        nearest = np.min(np.linalg.norm(ends[:, None, :] - minima[None, :, :], axis=-1), axis=1).reshape(shape)
        distance = np.where(diverged, np.nan, nearest)
    else:
        distance = np.full(shape, np.nan)
    steps_to = None
    if tolerance is not None:
        if len(minima):
            f_min = float(np.min(runner.losses_at(surface_key, minima, surface_params, penalty=penalty,
                                                  strength=strength)))
            found = jax.device_get(_sweep_steps(*args, np.float32(f_min), np.float32(tolerance), **static))
            steps_to = np.asarray(found, np.int64)[:count].reshape(shape)
        else:
            steps_to = np.full(shape, -1, np.int64)
    return HyperparameterMap(x, y, x_values, y_values, final, diverged, distance, steps_to,
                             None if tolerance is None else float(tolerance))


TUNE_RESOLUTION = 48
"""Learning rates per pass of `tune_learning_rate` (a log grid over the whole range, then a finer one
around the best)."""

TUNE_FLOOR = 1e-4
"""Final distances below this fraction of the domain's larger side count as arrived (float32 leaves
the last digits to chance); among those, the path with the lowest mean loss along the way wins."""


@functools.partial(jax.jit, static_argnames=("surface_key", "optimizer_key", "schedule_key", "penalty", "steps"))
def _tune_scores(start, hparam_grid, surface_params, schedule_params, strength, total_steps, bounds, *,
                 surface_key: str, optimizer_key: str, schedule_key: str, penalty: str, steps: int):
    """(end point, mean loss along the path, whether it stayed finite and in bounds) for each
    hyperparameter set, over the first `total_steps` of a scan `steps` long (a step bucket: moving
    the steps slider within a bucket never recompiles)."""
    TRACE_COUNT["sweep"] += 1
    count = total_steps.astype(jnp.int32)

    def one(hparams):
        xs, losses, _, _, ok, _, _, _ = runner._scan_paths(
            start[None], jnp.zeros(1, jnp.uint32), surface_params, hparams, schedule_params, strength,
            jnp.float32(0.0), total_steps, bounds, surface_key=surface_key, optimizer_key=optimizer_key,
            schedule_key=schedule_key, penalty=penalty, steps=steps, record=True, noisy=False)
        within = jnp.arange(steps + 1) <= count
        alive = jnp.all(ok[0] | ~within[1:])
        mean_loss = jnp.sum(jnp.where(within, losses[0], 0.0)) / (count + 1)
        return xs[0][count], mean_loss, alive

    return jax.vmap(one)(hparam_grid)


def tune_learning_rate(surface_key: str, optimizer_key: str, start: tuple[float, float], *, steps: int,
                       hparams: Mapping[str, Any] | None = None, surface_params: Mapping[str, Any] | None = None,
                       schedule: str = "constant", schedule_params: Mapping[str, Any] | None = None,
                       penalty: str = "none", strength: float = 0.0) -> float | None:
    """The learning rate that brings the optimizer nearest a minimum after `steps` noise-free steps.

    A fair comparison gives every optimizer its best learning rate for the task (Wilson et al. 2017;
    Choi et al. 2019): score(eta) = min_k ||x_K(eta) - x*_k|| over the known minima x*_k, distances
    under TUNE_FLOOR x the domain's size counted as equal and then the lowest mean loss along the path
    winning (the one that got there first). Pass 1 sweeps TUNE_RESOLUTION rates log-spaced over the
    learning rate's whole range; pass 2 as many between the best one's neighbours. Both are one
    vmapped kernel over the traced learning rate (the other hyperparameters as given).

    Args:
      surface_key, optimizer_key, start, steps: the run to tune.
      hparams, surface_params, schedule, schedule_params, penalty, strength: as `runner.run_paths`.

    Returns:
      The tuned learning rate, or None where the surface has no known minimum or every rate diverged.

    References:
      Choi et al., "On Empirical Comparisons of Optimizers for Deep Learning", 2019 (tune each one).
    """
    surface = SURFACES[surface_key]
    minima = surface.minima(surface_param_values(surface, surface_params or {}))
    if not len(minima):
        return None
    spec = next(p for p in OPTIMIZERS[optimizer_key].params if p.name == "learning_rate")
    sp, hp, schp = runner._traced_args(surface_key, optimizer_key, schedule, hparams, surface_params, schedule_params)
    (x0, x1), (y0, y1) = surface.domain
    floor = TUNE_FLOOR * max(x1 - x0, y1 - y0)
    start_f32 = np.asarray(start, np.float32)
    rest = (sp, schp, np.float32(strength), np.float32(steps), np.asarray(runner.bounds_of(surface_key)))
    static = dict(surface_key=surface_key, optimizer_key=optimizer_key, schedule_key=schedule, penalty=penalty,
                  steps=runner.step_bucket(int(steps)))

    def scores(rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grid = _hparam_grid(hp, {"learning_rate": rates})
        ends, mean_loss, alive = jax.device_get(_tune_scores(start_f32, grid, *rest, **static))
        ends, mean_loss, alive = (np.asarray(a)[: len(rates)] for a in (ends, mean_loss, alive))
        distance = np.min(np.linalg.norm(ends[:, None, :].astype(np.float64) - minima[None], axis=-1), axis=1)
        ok = alive & np.isfinite(distance) & np.isfinite(mean_loss)
        return np.where(ok, np.maximum(distance, floor), np.inf), np.where(ok, mean_loss, np.inf)

    coarse = np.geomspace(spec.min, spec.max, TUNE_RESOLUTION)
    distance, mean_loss = scores(coarse)
    if not np.isfinite(distance).any():
        return None
    best = int(np.lexsort((mean_loss, distance))[0])
    fine = np.geomspace(coarse[max(best - 1, 0)], coarse[min(best + 1, len(coarse) - 1)], TUNE_RESOLUTION)
    fine_distance, fine_loss = scores(fine)
    rates = np.concatenate([coarse, fine])
    order = np.lexsort((np.concatenate([mean_loss, fine_loss]), np.concatenate([distance, fine_distance])))
    return float(np.float32(rates[order[0]]))


def stability_boundary(surface_key: str, optimizer_key: str, surface_params: Mapping[str, Any] | None = None,
                       ) -> dict[str, Any] | None:
    """The theory's largest stable learning rate on a quadratic surface (the ravine), or None.

    Gradient descent: eta < 2 / lambda_max; heavy-ball momentum (optax's sgd with momentum mu):
    eta < 2 (1 + mu) / lambda_max. Returns {"lambda_max", "rule"} with rule(mu) -> eta_max, only
    for the ill-conditioned quadratic (whose Hessian's largest eigenvalue is 1) and these two methods.
    """
    if surface_key != "ill_conditioned" or optimizer_key not in ("sgd", "momentum"):
        return None
    lambda_max = 1.0  # f = 1/2 (u^2 / kappa + v^2): eigenvalues 1/kappa and 1
    if optimizer_key == "sgd":
        return {"lambda_max": lambda_max, "rule": lambda momentum=0.0: 2.0 / lambda_max}
    return {"lambda_max": lambda_max, "rule": lambda momentum: 2.0 * (1.0 + momentum) / lambda_max}


@dataclass(frozen=True)
class BasinMap:
    """Which minimum each start of a grid reaches (rows follow y, columns follow x).

    Attributes:
      xs, ys: the starts' coordinates; minima: (K, 2) the surface's minima.
      basin: (Ny, Nx) index into minima, -1 where the run diverged, -2 where it ended elsewhere
        (not converged within the steps, or at a point that is no known minimum).
    """

    xs: np.ndarray
    ys: np.ndarray
    minima: np.ndarray
    basin: np.ndarray

    def to_json(self) -> dict[str, Any]:
        """The CLI's `basins --json` payload: minima, basin (null: diverged or not converged)."""
        return {"minima": [[float(a), float(b)] for a, b in self.minima],
                "basin": [[int(v) if v >= 0 else None for v in row] for row in self.basin]}


def basin_map(surface_key: str, optimizer_key: str, *, resolution: int, steps: int,
              hparams: Mapping[str, Any] | None = None, surface_params: Mapping[str, Any] | None = None,
              schedule: str = "constant", schedule_params: Mapping[str, Any] | None = None) -> BasinMap:
    """The basin of every start on a resolution x resolution grid over the surface's domain.

    Args:
      surface_key, optimizer_key: registry keys.
      resolution: starts per side (2..MAX_RESOLUTION). steps: optimizer steps from each.
      hparams, surface_params, schedule, schedule_params: as `runner.run_end_points`.

    Returns:
      A BasinMap.
    """
    if not 2 <= int(resolution) <= MAX_RESOLUTION:
        raise ValueError(f"resolution={resolution} is out of range: allowed 2 to {MAX_RESOLUTION}")
    if not 1 <= int(steps) <= runner.MAX_STEPS:
        raise ValueError(f"steps={steps} is out of range: allowed 1 to {runner.MAX_STEPS}")
    surface = SURFACES[surface_key]
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    starts = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    ends = runner.run_end_points(surface_key, optimizer_key, starts, steps=int(steps), hparams=hparams,
                                 surface_params=surface_params, schedule=schedule, schedule_params=schedule_params)
    minima = surface.minima(surface_param_values(surface, surface_params or {}))
    basin = np.full(len(starts), -2, np.int64)
    if len(minima):
        gaps = np.linalg.norm(ends.positions[:, None, :] - minima[None, :, :], axis=-1)
        nearest = np.argmin(gaps, axis=1)
        close = gaps[np.arange(len(starts)), nearest] <= BASIN_TOLERANCE * max(x1 - x0, y1 - y0)
        basin = np.where(close, nearest, -2)
    basin = np.where(ends.diverged_at >= 0, -1, basin)
    return BasinMap(xs, ys, minima, basin.reshape(grid_x.shape))
