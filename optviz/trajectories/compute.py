"""From a scene to what the trajectory page draws: paths (each with its colour), the surface view,
critical points and the messages about stopped paths.

Shared by the page (cached per scene), the CLI and the tests, so all show the same thing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from optviz import palette
from optviz.surfaces import SURFACES, CriticalPoint
from optviz.trajectories.results import SurfaceView, TrajectoryData, TrajectoryResult
from optviz.trajectories.scene import TrajectoryScene, optimizer_of
from optviz.trajectories.runner import RUN_PARAMS, dispatch_paths, hessians_at, losses_at, run_end_points, surface_grid

GRID_RESOLUTION = 101
_SEED = next(p for p in RUN_PARAMS if p.name == "seed")


def trajectories(scene: TrajectoryScene) -> list[TrajectoryResult]:
    """Every chosen optimizer's path, in the scene's order. With noise on, each optimizer draws a
    fan of noisy paths (seeds seed, seed+1, ..., wrapping to 0 past the largest seed) plus its noise-free (full-batch) path."""
    run = scene.run
    noisy = run["noise"] > 0
    # The fan's seeds wrap past the seed slider's maximum, so every label names a seed one can type in.
    seed_count = int(_SEED.max) + 1
    seeds = [(run["seed"] + i) % seed_count for i in range(run["paths"] if noisy else 1)]
    common = dict(steps=run["steps"], surface_params=scene.surface_params, schedule=scene.schedule,
                  schedule_params=scene.schedule_params, penalty=scene.penalty["penalty"], strength=scene.penalty["strength"])
    pending = []  # dispatch every optimizer before waiting for any: they overlap on the cores
    for instance in scene.optimizers:
        label = scene.label(instance)
        key, hparams = optimizer_of(instance), scene.hparams(instance)
        if noisy:
            pending.append(dispatch_paths(scene.surface, key, [scene.start_point], instance=instance, hparams=hparams,
                                          labels=[f"{label} (full batch)"], **common))
        labels = [f"{label} (seed {s})" if noisy else label for s in seeds]
        pending.append(dispatch_paths(scene.surface, key, [scene.start_point], instance=instance, hparams=hparams,
                                      noise=run["noise"], seeds=seeds, labels=labels, **common))
    results = [result for p in pending for result in p.collect()]
    return [replace(r, color=c) for r, c in zip(results, palette.path_colors(results))]


def stop_messages(scene: TrajectoryScene, results: Sequence[TrajectoryResult], view: SurfaceView) -> list[tuple[str, str]]:
    """What the page says about paths that stopped early: [(kind, markdown)], kind "escaped" or "diverged".

    One message per noise-free path; a fan of noisy paths gets one summary per optimizer (how many of
    its seeds stopped, and the first step), not one box per seed.
    """
    messages: list[tuple[str, str]] = []
    fans: dict[str, list[TrajectoryResult]] = {}
    for r in results:
        if r.seed is not None:
            fans.setdefault(r.instance or r.optimizer, []).append(r)
        elif r.diverged_at is not None:
            messages.append(_stop_message(r, view))
    for instance, fan in fans.items():
        stopped = [r for r in fan if r.diverged_at is not None]
        if len(fan) == 1:
            messages += [_stop_message(r, view) for r in stopped]
        elif stopped:
            kinds = {_stop_message(r, view)[0] for r in stopped}
            verb = {frozenset({"escaped"}): "escaped downhill and left the plot",
                    frozenset({"diverged"}): "diverged"}.get(frozenset(kinds), "stopped (some diverged, some escaped downhill)")
            first = min(stopped, key=lambda r: r.diverged_at)
            advice = ("the surface is unbounded below" if kinds == {"escaped"} else
                      "the noise adds to every step: try a smaller learning rate or less noise")
            messages.append(("escaped" if kinds == {"escaped"} else "diverged",
                             f"**{len(stopped)} of {len(fan)} noisy {scene.label(instance)} paths {verb}** (first "
                             f"{first.label}, at step {first.diverged_at}; gradient noise σ = {scene.run['noise']:g}): "
                             f"{advice}. Each ends at its last good point (✗)."))
    return messages


def _stop_message(r: TrajectoryResult, view: SurfaceView) -> tuple[str, str]:
    if view.unbounded and r.divergence == "out of bounds":
        return "escaped", (f"**{r.stop_text(True)}**: this surface is unbounded below (no global minimum in view), "
                           "so downhill goes on forever. The path is drawn up to its last point (✗).")
    return "diverged", (f"**{r.stop_text(False)}**: the step was too large for this surface. The path ends at its "
                        "last good point (✗). Try a smaller learning rate.")


def critical_points(scene: TrajectoryScene, grid=None) -> list[CriticalPoint]:
    """Known critical points; with a penalty they move, so minima are found numerically."""
    surface = SURFACES[scene.surface]
    penalty = scene.penalty
    if penalty["penalty"] == "none" or penalty["strength"] == 0:
        return surface.critical_points(scene.surface_params)
    grid = grid or surface_grid(scene.surface, scene.surface_params, penalty=penalty["penalty"],
                                strength=penalty["strength"], resolution=GRID_RESOLUTION)
    z = grid.z
    # Grid cells lower than their 8 neighbours are candidate minima; refine them by descent.
    padded = np.pad(z, 1, constant_values=np.inf)
    neighbours = np.stack([padded[1 + dy:1 + dy + z.shape[0], 1 + dx:1 + dx + z.shape[1]]
                           for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])
    lowest_neighbour = neighbours.min(axis=0)
    iy, ix = np.nonzero(z < lowest_neighbour)
    if iy.size == 0:
        # No isolated minimum: a flat valley (e.g. x^2 - y^2 + |w|^2 is 2x^2, minimal on the whole
        # line x = 0) is a plateau of the grid's lowest value; its cells are the minima to show.
        lowest = np.nanmin(z)
        iy, ix = np.nonzero((z <= lowest_neighbour) & (z <= lowest + 1e-6 * max(1.0, abs(lowest))))
    if iy.size == 0:
        return []
    starts = np.column_stack([grid.xs[ix], grid.ys[iy]])
    ends = run_end_points(scene.surface, "adam", starts, steps=1000, hparams={"learning_rate": 1e-3},
                          surface_params=scene.surface_params, penalty=penalty["penalty"], strength=penalty["strength"])
    # Keep what descent settled on inside the plot at a true minimum (Hessian positive
    # semi-definite): on a surface unbounded below (a saddle with a weak penalty) the grid's edge
    # cells are candidates too, and descent from them slides away downhill, not to a minimum.
    (x0, x1), (y0, y1) = SURFACES[scene.surface].domain
    x, y = ends.positions[:, 0], ends.positions[:, 1]
    keep = (ends.diverged_at < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    if keep.any():
        hessians = hessians_at(scene.surface, ends.positions[keep], scene.surface_params, penalty=penalty["penalty"],
                               strength=penalty["strength"])
        curvature = np.linalg.eigvalsh(hessians)
        keep[keep] = curvature.min(axis=1) >= -1e-3 * np.maximum(1.0, np.abs(curvature).max(axis=1))
    points, values = ends.positions[keep], ends.losses[keep]
    unique: list[tuple[np.ndarray, float]] = []
    for p, v in sorted(zip(points, values), key=lambda pv: pv[1]):
        if all(np.linalg.norm(p - q) > 1e-2 for q, _ in unique):
            unique.append((p, v))
    best = unique[0][1] if unique else 0.0
    # If the border goes lower than the best minimum, the surface falls off the plot (unbounded
    # below, e.g. a monkey saddle with a penalty): its minima are all local.
    unbounded = grid.border_below(best)
    return [CriticalPoint(float(p[0]), float(p[1]),
                          "global minimum" if v <= best + 1e-6 * max(1, abs(best)) and not unbounded else "local minimum")
            for p, v in unique]


def surface_view(scene: TrajectoryScene) -> SurfaceView:
    surface = SURFACES[scene.surface]
    grid = surface_grid(scene.surface, scene.surface_params, penalty=scene.penalty["penalty"],
                        strength=scene.penalty["strength"], resolution=GRID_RESOLUTION)
    points = critical_points(scene, grid)
    minima = np.array([[p.x, p.y] for p in points if p.is_minimum], float).reshape(-1, 2)
    lowest = None
    if len(minima):
        lowest = float(losses_at(scene.surface, minima, scene.surface_params, penalty=scene.penalty["penalty"],
                                 strength=scene.penalty["strength"]).min())
    return SurfaceView(grid=grid, domain=surface.domain, critical_points=points, log_scale=surface.log_contours,
                            title=surface.label, minimum_value=lowest)


def compute(scene: TrajectoryScene) -> TrajectoryData:
    """What the trajectory page draws for `scene`: every path and the surface view."""
    return TrajectoryData(results=tuple(trajectories(scene)), view=surface_view(scene))
