"""From a scene to what the trajectory page draws: paths (each with its colour), the surface view,
critical points and the messages about stopped paths.

Shared by the page (cached per scene), the CLI and the tests, so all show the same thing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from optviz import palette
from optviz.optimizers import OPTIMIZERS
from optviz.surfaces import CUSTOM, CriticalPoint
from optviz.trajectories import maps
from optviz.trajectories.results import (BasinMapData, HyperparameterMapData, MapSource, SurfaceGrid, SurfaceView,
                                         TrajectoryData, TrajectoryResult, cover, grow)
from optviz.trajectories.scene import TrajectoryScene, optimizer_of
from optviz.trajectories.runner import RUN_PARAMS, dispatch_paths, hessians_at, losses_at, run_end_points, surface_grid

GRID_RESOLUTION = 101
_SEED = next(p for p in RUN_PARAMS if p.name == "seed")


def trajectories(scene: TrajectoryScene) -> list[TrajectoryResult]:
    """Every chosen optimizer's path, in the scene's order. With noise on, each optimizer draws a
    fan of noisy paths (seeds seed, seed+1, ..., wrapping to 0 past the largest seed) plus its noise-free (full-batch) path.

    Each path carries its colour and dash: its optimizer's registry colour, whatever its place in
    the scene; a second or third copy of one optimizer gets a darker (or, for black, grey) shade and
    its own dash; a noisy fan and its full-batch path share their optimizer's colour, the
    full-batch path dashed."""
    run = scene.run
    noisy = run["noise"] > 0
    # The fan's seeds wrap past the seed slider's maximum, so every label names a seed one can type in.
    seed_count = int(_SEED.max) + 1
    seeds = [(run["seed"] + i) % seed_count for i in range(run["paths"] if noisy else 1)]
    common = dict(steps=run["steps"], surface_params=scene.surface_params, schedule=scene.schedule,
                  schedule_params=scene.schedule_params, penalty=scene.penalty["penalty"], strength=scene.penalty["strength"])
    pending = []  # dispatch every optimizer before waiting for any: they overlap on the cores
    styles = instance_styles(scene.optimizers)
    tuned = tuned_learning_rates(scene) if run["tune"] else {}
    for instance in scene.optimizers:
        label = scene.label(instance)
        key, hparams = optimizer_of(instance), scene.hparams(instance)
        if tuned.get(instance) is not None:
            hparams = {**hparams, "learning_rate": tuned[instance]}
            label = f"{label} (tuned η={tuned[instance]:.3g})"
        color, dash = styles[instance]
        if noisy:
            pending.append((dispatch_paths(scene.surface_key, key, [scene.start_point], instance=instance, hparams=hparams,
                                           labels=[f"{label} (full batch)"], **common),
                            dict(color=color, dash=palette.FULL_BATCH_DASH, full_batch=True)))
        labels = [f"{label} (seed {s})" if noisy else label for s in seeds]
        pending.append((dispatch_paths(scene.surface_key, key, [scene.start_point], instance=instance, hparams=hparams,
                                       noise=run["noise"], seeds=seeds, labels=labels, **common),
                        dict(color=color, dash="solid" if noisy else dash)))
    return [replace(result, **style) for p, style in pending for result in p.collect()]


def tuned_learning_rates(scene: TrajectoryScene) -> dict[str, float | None]:
    """{instance: the learning rate that ends nearest a minimum}, each tuned on the scene's surface,
    start, steps, schedule and penalty with its other hyperparameters as set (`maps.tune_learning_rate`);
    None where no rate works or the surface has no known minimum (the instance keeps its own)."""
    common = dict(steps=scene.run["steps"], surface_params=scene.surface_params, schedule=scene.schedule,
                  schedule_params=scene.schedule_params, penalty=scene.penalty["penalty"], strength=scene.penalty["strength"])
    return {instance: maps.tune_learning_rate(scene.surface_key, optimizer_of(instance), scene.start_point,
                                              hparams=scene.hparams(instance), **common)
            for instance in scene.optimizers}


def instance_styles(instances: Sequence[str]) -> dict[str, tuple[str, str]]:
    """{instance: (colour, dash)}: each optimizer's registry colour; its k-th copy in `instances`
    (sgd, sgd-2, sgd-3: k = 0, 1, 2) a shade of it and a dash of its own (optviz.palette.copy_style)."""
    seen: dict[str, int] = {}
    styles = {}
    for instance in instances:
        key = optimizer_of(instance)
        copy = seen[key] = seen.get(key, -1) + 1
        styles[instance] = palette.copy_style(OPTIMIZERS[key].color, copy)
    return styles


def stop_messages(scene: TrajectoryScene, results: Sequence[TrajectoryResult], view: SurfaceView) -> list[tuple[str, str]]:
    """What the page says about paths that stopped early: [(kind, markdown)], kind "diverged" or "escaped".

    At most one message of each kind, however many paths stopped: which paths (a noisy fan as one
    entry: how many of its seeds, at which steps), at which steps, and the advice once. "escaped":
    the path left the bounds on a surface unbounded below (downhill goes on forever), which is no
    divergence. Paths that reached a point where f itself is not finite (a typed f(x, y) that
    overflows or is undefined there) get a "diverged" message of their own: no step was too large.
    """
    stopped = [r for r in results if r.diverged_at is not None]
    messages = []
    undefined = [r for r in stopped if r.divergence == "non-finite" and len(r.losses) and not np.isfinite(r.losses[-1])]
    if undefined:
        messages.append(("diverged", _undefined_message(results, undefined)))
        stopped = [r for r in stopped if all(r is not u for u in undefined)]
    for r in list(stopped):  # Newton's undefined step is no step too large: say what happened
        singular = _singular_newton(scene, r)
        if singular:
            messages.append(("diverged", singular))
            stopped.remove(r)
    downhill = _went_downhill(scene, stopped) if view.unbounded else [False] * len(stopped)
    escaped = [r for r, down in zip(stopped, downhill) if down]
    diverged = [r for r, down in zip(stopped, downhill) if not down]
    if diverged:
        messages.append(("diverged", _diverged_message(scene, results, diverged)))
    if escaped:
        messages.append(("escaped", _escaped_message(results, escaped, scene.surface_spec.domain)))
    return messages


def _singular_newton(scene: TrajectoryScene, r: TrajectoryResult) -> str | None:
    """The message for a Newton path that stopped because H + lambda I is singular at its last point
    (its step (H + lambda I)^-1 g is undefined there: a non-finite point), else None."""
    if r.optimizer != "newton" or r.divergence != "non-finite" or not len(r.positions):
        return None
    damping = float(r.hparams.get("damping", 0.0))
    hessian = hessians_at(scene.surface_key, r.positions[-1:], scene.surface_params, penalty=scene.penalty["penalty"],
                          strength=scene.penalty["strength"])[0]
    eigenvalues = np.linalg.eigvalsh(hessian + damping * np.eye(2))
    if np.min(np.abs(eigenvalues)) > 1e-6 * max(1.0, float(np.max(np.abs(eigenvalues)))):
        return None
    x, y = r.positions[-1]
    return (f"**{r.label} stopped at step {r.diverged_at}**: the Hessian plus damping, H + λI with λ = {damping:g}, is "
            f"singular at ({x:.3g}, {y:.3g}) (eigenvalues {eigenvalues[0]:.3g} and {eigenvalues[1]:.3g}), so Newton's step "
            "(H + λI)⁻¹g is undefined there. A smaller learning rate does not help: change the damping λ or the start.")


def _went_downhill(scene: TrajectoryScene, stopped: Sequence[TrajectoryResult]) -> list[bool]:
    """Whether each path left the bounds downhill (its rejected point lower than its last one): on a
    surface unbounded below that is an escape; a step that overshoots uphill (a learning rate too
    large for the bounded direction of a saddle) is still a divergence."""
    out = [r.divergence == "out of bounds" and r.attempted is not None and len(r.losses) > 0 for r in stopped]
    rows = [i for i, ok in enumerate(out) if ok]
    if rows:
        attempted = np.array([stopped[i].attempted for i in rows], float)
        losses = losses_at(scene.surface_key, attempted, scene.surface_params, penalty=scene.penalty["penalty"],
                           strength=scene.penalty["strength"])
        for i, loss in zip(rows, losses):
            out[i] = bool(loss < stopped[i].losses[-1])
    return out


def _steps(paths: Sequence[TrajectoryResult]) -> str:
    first, last = min(r.diverged_at for r in paths), max(r.diverged_at for r in paths)
    return f"step {first}" if first == last else f"steps {first}–{last}"


def _entries(results: Sequence[TrajectoryResult], stopped: Sequence[TrajectoryResult]) -> list[str]:
    """One entry per stopped path, a noisy fan as one entry ("7 of 12 noisy SGD paths (steps 5–31)"), in scene order."""
    fans: dict[str, list[TrajectoryResult]] = {}
    for r in results:
        if r.seed is not None:
            fans.setdefault(r.group, []).append(r)
    ids = {id(r) for r in stopped}
    entries, done = [], set()
    for r in results:
        if id(r) not in ids:
            continue
        fan = fans.get(r.group, []) if r.seed is not None else []
        if len(fan) > 1:
            if r.group not in done:
                done.add(r.group)
                gone = [f for f in fan if id(f) in ids]
                entries.append(f"{len(gone)} of {len(fan)} noisy {r.base_label} paths ({_steps(gone)})")
        else:
            entries.append(f"{r.label} at step {r.diverged_at}")
    return entries


def _count(n: int) -> str:
    return "1 path" if n == 1 else f"{n} paths"


def _joined(entries: Sequence[str]) -> str:
    return entries[0] if len(entries) == 1 else ", ".join(entries[:-1]) + " and " + entries[-1]


def _diverged_message(scene: TrajectoryScene, results, diverged: Sequence[TrajectoryResult]) -> str:
    noise = scene.run["noise"]
    if len(diverged) == 1 and not any(r.seed is not None and r.group == diverged[0].group for r in results if r is not diverged[0]):
        r = diverged[0]
        advice = "Try a smaller learning rate" + (f" or less gradient noise (σ = {noise:g})" if noise > 0 else "")
        return (f"**{r.stop_text(False, scene.surface_spec.domain)}**: the step was too large for this surface. {advice}. "
                "The path ends at its last good point (✗).")
    entries = _entries(results, diverged)
    advice = "try smaller learning rates" + (f" or less gradient noise (σ = {noise:g}): the noise adds to every step"
                                             if noise > 0 else "")
    return (f"**{_count(len(diverged))} diverged**: {_joined(entries)}. The steps were too large for this surface: "
            f"{advice}. Each path ends at its last good point (✗), on the edge where it leaves the view.")


def _undefined_message(results, undefined: Sequence[TrajectoryResult]) -> str:
    entries = _entries(results, undefined)
    r = undefined[0]
    x, y = r.positions[-1]
    where = f" at ({x:.3g}, {y:.3g})" if len(undefined) == 1 else " at their last points"
    return (f"**{_count(len(undefined))} stopped where f(x, y) is not finite** ({_joined(entries)}): f{where} "
            "overflows or is undefined (log or sqrt of a negative number, division by zero), so its gradient "
            "is too. A smaller learning rate does not help there: choose another start, domain or expression.")


def _escaped_message(results, escaped: Sequence[TrajectoryResult], domain) -> str:
    reason = ("this surface is unbounded below (no global minimum in view), so downhill goes on forever")
    if len(escaped) == 1 and escaped[0].seed is None:
        return f"**{escaped[0].stop_text(True, domain)}**: {reason}. The path is drawn up to where it leaves the view (✗)."
    entries = _entries(results, escaped)
    return (f"**{_count(len(escaped))} escaped downhill and left the plot** ({_joined(entries)}): {reason}. "
            "Each path is drawn up to where it leaves the view (✗).")


def critical_points(scene: TrajectoryScene, grid=None) -> list[CriticalPoint]:
    """Known critical points; with a penalty they move, so minima are found numerically."""
    surface = scene.surface_spec
    penalty = scene.penalty
    if penalty["penalty"] == "none" or penalty["strength"] == 0:
        return surface.critical_points(scene.surface_params)
    grid = grid or surface_grid(scene.surface_key, scene.surface_params, penalty=penalty["penalty"],
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
    ends = run_end_points(scene.surface_key, "adam", starts, steps=1000, hparams={"learning_rate": 1e-3},
                          surface_params=scene.surface_params, penalty=penalty["penalty"], strength=penalty["strength"])
    # Keep what descent settled on inside the plot at a true minimum (Hessian positive
    # semi-definite): on a surface unbounded below (a saddle with a weak penalty) the grid's edge
    # cells are candidates too, and descent from them slides away downhill, not to a minimum.
    (x0, x1), (y0, y1) = scene.surface_spec.domain
    x, y = ends.positions[:, 0], ends.positions[:, 1]
    keep = (ends.diverged_at < 0) & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    if keep.any():
        hessians = hessians_at(scene.surface_key, ends.positions[keep], scene.surface_params, penalty=penalty["penalty"],
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


# Points of the surface grid the figures draw from (over the region any view of the scene may
# show: results.cover). A fixed count: one compiled shape for every scene of a surface.
VIEW_GRID = 201
# The action is padded by this fraction of its larger side, and is at least this fraction of
# the domain's larger side (a path that barely moves still shows its neighbourhood).
FRAME_PAD = 0.07
FRAME_MIN = 0.2


def action_box(scene: TrajectoryScene, results: Sequence[TrajectoryResult], points: Sequence[CriticalPoint]):
    """(xrange, yrange) of what the views must show: the start, every path's points inside the
    domain, the minima (or, on a surface without any, its other critical points), padded."""
    domain = scene.surface_spec.domain
    (dx0, dx1), (dy0, dy1) = domain
    minima = [p for p in points if p.is_minimum] or list(points)
    chosen = [np.asarray([scene.start_point], float), np.array([[p.x, p.y] for p in minima], float).reshape(-1, 2)]
    for r in results:
        xy = r.positions
        chosen.append(xy[(xy[:, 0] >= dx0) & (xy[:, 0] <= dx1) & (xy[:, 1] >= dy0) & (xy[:, 1] <= dy1)])
    xy = np.concatenate(chosen)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    extent = max(dx1 - dx0, dy1 - dy0)
    ranges = [grow(lo[k], hi[k], FRAME_MIN * extent, domain[k]) for k in (0, 1)]
    pad = FRAME_PAD * max(r[1] - r[0] for r in ranges)
    return tuple((r[0] - pad, r[1] + pad) for r in ranges)


def surface_view(scene: TrajectoryScene, results: Sequence[TrajectoryResult] | None = None) -> SurfaceView:
    """The surface as the figures draw it, framed on the action: `results` (default: the scene's
    trajectories, computed here), the start and the minima; the grid covers every frame of it."""
    surface = scene.surface_spec
    penalty, strength = scene.penalty["penalty"], scene.penalty["strength"]
    grid = surface_grid(scene.surface_key, scene.surface_params, penalty=penalty, strength=strength, resolution=GRID_RESOLUTION)
    grid = SurfaceGrid(grid.xs, grid.ys, _drawable(grid.z))
    points = critical_points(scene, grid)
    minima = np.array([[p.x, p.y] for p in points if p.is_minimum], float).reshape(-1, 2)
    lowest = None
    if len(minima):
        lowest = float(losses_at(scene.surface_key, minima, scene.surface_params, penalty=penalty, strength=strength).min())
    if results is None:
        results = trajectories(scene)
    xrange, yrange = action_box(scene, results, points)
    if not _finite_within(grid, xrange, yrange):  # a typed f undefined around the start: show the whole domain
        xrange, yrange = surface.domain
    (cx0, cx1), (cy0, cy1) = cover(xrange, yrange, surface.domain)
    xs, ys = np.linspace(cx0, cx1, VIEW_GRID), np.linspace(cy0, cy1, VIEW_GRID)
    z = _drawable(losses_at(scene.surface_key, np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2), scene.surface_params,
                            penalty=penalty, strength=strength).reshape(VIEW_GRID, VIEW_GRID))
    return SurfaceView(grid=SurfaceGrid(xs, ys, z), domain=surface.domain, critical_points=points,
                       log_scale=surface.log_contours, title=surface.label, minimum_value=lowest,
                       xrange=xrange, yrange=yrange, falls_off=grid.falls_off_the_edge)


def _drawable(z: np.ndarray) -> np.ndarray:
    """z with every non-finite value NaN (a gap in the figures; an infinite value would break their
    colour scale); all zeros if nothing is finite (a typed f finite nowhere: surface_messages says so)."""
    z = np.where(np.isfinite(z), z, np.nan)
    return z if np.isfinite(z).any() else np.zeros_like(z)


def _finite_within(grid: SurfaceGrid, xrange, yrange) -> bool:
    """Whether f is finite at some grid point inside xrange x yrange (or the box holds no grid point)."""
    mx = (grid.xs >= xrange[0]) & (grid.xs <= xrange[1])
    my = (grid.ys >= yrange[0]) & (grid.ys <= yrange[1])
    return not (mx.any() and my.any()) or bool(np.isfinite(grid.z[np.ix_(my, mx)]).any())


NOT_FINITE_NOTICE = 0.5
"""A typed surface not finite on more than this share of its domain gets a notice (surface_messages)."""


def surface_messages(scene: TrajectoryScene) -> list[str]:
    """What the page says about the surface itself: a typed f(x, y) that is not finite (overflow,
    log or sqrt of a negative number, division by zero) on most of its domain, or anywhere."""
    if scene.surface != CUSTOM:
        return []
    penalty = scene.penalty
    z = surface_grid(scene.surface_key, scene.surface_params, penalty=penalty["penalty"], strength=penalty["strength"],
                     resolution=GRID_RESOLUTION).z
    share = 1.0 - float(np.isfinite(z).mean())
    why = "it overflows, or is undefined there: log or sqrt of a negative number, division by zero"
    if share >= 1.0:
        return [f"**f(x, y) is not finite anywhere in the domain** ({why}), so there is no surface to draw and "
                "every path stops at once. Try another expression or domain."]
    if share > NOT_FINITE_NOTICE:
        return [f"**f(x, y) is not finite on {share:.0%} of the domain** ({why}). Those parts are left blank, and "
                "a path that reaches them stops there (diverged)."]
    return []


def compute(scene: TrajectoryScene) -> TrajectoryData:
    """What the trajectory page draws for `scene`: every path and the surface view."""
    results = tuple(trajectories(scene))
    return TrajectoryData(results=results, view=surface_view(scene, results),
                          maps=MapSource(lambda name: MAP_COMPUTE[name](scene)))


def hyperparameter_map_data(scene: TrajectoryScene) -> HyperparameterMapData | None:
    """The hyperparameter map of `scene` (its map settings, its map optimizer's other hyperparameters,
    start, steps, surface, schedule and penalty), or None when no shown optimizer has two numeric
    hyperparameters."""
    instance = scene.map_instance
    if instance is None:
        return None
    key, settings = optimizer_of(instance), scene.map_settings
    x = maps.Axis(settings["map_x"], settings["map_xlo"], settings["map_xhi"], settings["map_xlog"])
    y = maps.Axis(settings["map_y"], settings["map_ylo"], settings["map_yhi"], settings["map_ylog"])
    steps, metric = scene.run["steps"], settings["map_metric"]
    penalty = scene.penalty
    result = maps.hyperparameter_map(
        scene.surface_key, key, x, y, resolution=settings["map_res"], steps=steps, start=scene.start_point,
        hparams=scene.hparams(instance), surface_params=scene.surface_params, schedule=scene.schedule,
        schedule_params=scene.schedule_params, penalty=penalty["penalty"], strength=penalty["strength"],
        tolerance=settings["map_tol"] if metric == "steps" else None)
    surface = scene.surface_spec
    minima = surface.minima(scene.surface_params)
    f_min = None
    if len(minima):
        f_min = float(np.min(losses_at(scene.surface_key, minima, scene.surface_params, penalty=penalty["penalty"],
                                       strength=penalty["strength"])))
    labels = {p.name: p.label for p in OPTIMIZERS[key].params}
    own = scene.hparams(instance)
    boundary, boundary_label = _boundary(scene, key, x, y)
    return HyperparameterMapData(
        instance=instance, label=scene.label(instance), surface_label=surface.label, x_name=x.name, y_name=y.name,
        x_label=labels[x.name], y_label=labels[y.name], x_values=result.x_values, y_values=result.y_values,
        x_log=x.log, y_log=y.log, final_loss=result.final_loss, diverged=result.diverged, distance=result.distance,
        steps_to=result.steps_to, metric=metric, tolerance=float(settings["map_tol"]), f_min=f_min, steps=steps,
        current=(float(own[x.name]), float(own[y.name])), boundary=boundary, boundary_label=boundary_label)


def _boundary(scene: TrajectoryScene, key: str, x, y) -> tuple[np.ndarray | None, str]:
    """The theory's stability boundary over a map's axes as (K, 2) points (x value, y value), with its
    legend text; (None, "") where the theory does not apply (another surface or optimizer, a
    schedule, a penalty) or the map has no learning-rate axis."""
    theory = maps.stability_boundary(scene.surface, key, scene.surface_params)
    penalized = scene.penalty["penalty"] != "none" and scene.penalty["strength"] > 0
    names = {x.name, y.name}
    if theory is None or penalized or scene.schedule != "constant" or "learning_rate" not in names:
        return None, ""
    rule, lam = theory["rule"], theory["lambda_max"]
    other = (names - {"learning_rate"}).pop()
    if key == "momentum" and other == "momentum":
        axis = x if x.name == "momentum" else y
        mu = np.linspace(axis.low, axis.high, 200)
        eta = np.array([rule(m) for m in mu])
        points = np.column_stack([eta, mu]) if x.name == "learning_rate" else np.column_stack([mu, eta])
        label = f"theory: η < 2(1+μ)/λ_max (λ_max = {lam:g})"
    else:  # the rate is fixed by the other hyperparameters: a straight line across the other axis
        mu = scene.hparams(scene.map_instance).get("momentum", 0.0)
        eta = rule(mu) if key == "momentum" else rule()
        axis = x if x.name != "learning_rate" else y
        span = np.array([axis.low, axis.high])
        points = (np.column_stack([np.full(2, eta), span]) if x.name == "learning_rate"
                  else np.column_stack([span, np.full(2, eta)]))
        label = f"theory: η < {eta:g}"
    rate = points[:, 0] if x.name == "learning_rate" else points[:, 1]
    rate_axis = x if x.name == "learning_rate" else y
    inside = (rate >= rate_axis.low) & (rate <= rate_axis.high)
    if not inside.any():
        return None, ""
    return points[inside], label


def basin_map_data(scene: TrajectoryScene) -> BasinMapData | None:
    """The basin map of `scene`'s first shown optimizer (its hyperparameters, the scene's steps and
    schedule), or None when none is shown. The penalty is not applied (maps.basin_map has none)."""
    instance = scene.basin_instance
    if instance is None:
        return None
    settings = scene.map_settings
    result = maps.basin_map(scene.surface_key, optimizer_of(instance), resolution=settings["map_res"],
                            steps=scene.run["steps"], hparams=scene.hparams(instance), surface_params=scene.surface_params,
                            schedule=scene.schedule, schedule_params=scene.schedule_params)
    penalized = scene.penalty["penalty"] != "none" and scene.penalty["strength"] > 0
    return BasinMapData(instance=instance, label=scene.label(instance), surface_label=scene.surface_spec.label,
                        xs=result.xs, ys=result.ys, minima=result.minima, basin=result.basin, steps=scene.run["steps"],
                        start=scene.start_point, penalty_ignored=penalized)


MAP_COMPUTE = {"hyperparameter_map": hyperparameter_map_data, "basin_map": basin_map_data}
"""Figure name -> the compute of its map (MapSource makes each on first use)."""


def map_click(scene: TrajectoryScene, data: TrajectoryData, name: str, point: tuple[float, float]) -> TrajectoryScene:
    """The scene a click on map figure `name` at plotted `point` asks for: the hyperparameter map's
    cell loads its two hyperparameters into the map's optimizer; the basin map's sets the start."""
    if name == "basin_map":
        return scene.with_start(*point)
    found = data.maps.get(name) if data.maps is not None else None
    if found is None:
        return scene
    x, y = found.cell_at(*point)
    return scene.with_hparams(found.instance, {found.x_name: x, found.y_name: y})
