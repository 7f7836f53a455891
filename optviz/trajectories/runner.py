"""The trajectory runner: one jitted `lax.scan` per (surface, optimizer, schedule, penalty, steps).

Every numeric hyperparameter, surface parameter, schedule parameter, the noise level and the
seeds are traced, so moving a slider never recompiles (noise on/off is a static switch: a
noise-free run draws no random numbers). Names and step counts are static; step
counts are rounded up to a few buckets (`STEP_BUCKETS`) and the result sliced, and the number
of paths to powers of two, so the set of compiled shapes stays small. Paths are vmapped over
start points and seeds.

Divergence is a result: a path stops at its first non-finite point, or one a hundred domain
widths away (BOUNDS_MARGIN), and `diverged_at` is that point's step index (the stored path ends
with the last good point). A path that merely leaves the view runs on: the figures mark where.

One step is one `update()` of the optimizer, whatever it evaluates inside: the runner supplies
what an optimizer's `extra_args` name. Newton: the Hessian. L-BFGS: f, its gradient and f itself
for the zoom line search, which evaluates f and its gradient once or more per step (the label
counts them, up to the step where the path stops moving). SAM: a gradient function, called once
per step at the perturbed point, with the same gradient noise as the step's own gradient (one
minibatch per step). The point drawn is the optimizer's `shown` point: schedule-free AdamW's
averaged iterate x (its gradients are taken at its params y).
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from optviz.optimizers import OPTIMIZERS, traced_values
from optviz.params import Param
from optviz.schedules import SCHEDULES
from optviz.surfaces import SURFACES, objective, surface_param_values
from optviz.trajectories.results import SurfaceGrid, TrajectoryResult

STEP_BUCKETS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
MAX_STEPS = STEP_BUCKETS[-1]
# How far past the plotted domain a path may go (in domain widths) before it counts as diverged.
# Divergence means the numbers blow up: a path that swings far out of the view and comes back
# (heavy-ball momentum at a large step, spectral radius just below 1) is a result, drawn to the
# view's edge and continued; a hundred widths away, where nothing comes back, it has blown up.
BOUNDS_MARGIN = 100.0

RUN_PARAMS: tuple[Param, ...] = (
    Param("steps", "Steps", 200, 1, MAX_STEPS, kind="int", help="Number of optimizer steps."),
    Param("noise", "Gradient noise σ", 0.0, 0.0, 10.0,
          help="Standard deviation of Gaussian noise added to every gradient (mini-batch SGD)."),
    Param("seed", "Seed", 0, 0, 2**31 - 1, kind="int", help="Seed of the gradient noise; the link reproduces it."),
    Param("paths", "Noisy paths per optimizer", 1, 1, 32, kind="int",
          help="With noise, draw this many paths (seeds seed, seed+1, ...): a fan around the full-batch path."),
    Param("tune", "Tune each η (fair comparison)", False, kind="bool",
          help="Run each optimizer with the learning rate that ends nearest a minimum after these steps, found by a "
               "sweep of noise-free runs from this start (the η sliders are set aside; the legend gives the tuned η)."),
)

# Trace-time counter: incremented only when JAX traces (i.e. compiles) a new variant. Tests and
# benchmarks read it to prove that changing hyperparameters never recompiles.
TRACE_COUNT = {"paths": 0, "end_points": 0}


def step_bucket(steps: int) -> int:
    """The compiled step count for `steps`: the smallest bucket >= steps."""
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps={steps} is out of range: allowed 1 to {MAX_STEPS}")
    return next(b for b in STEP_BUCKETS if b >= steps)


def path_bucket(count: int) -> int:
    """The compiled number of paths for `count`: the next power of two."""
    return 1 << max(0, int(count) - 1).bit_length()


def size_bucket(count: int, block: int) -> int:
    """The padded size of `count` points: the next power of two up to `block`, then the next
    multiple of `block` (few compiled shapes, and little padding for large grids)."""
    return path_bucket(count) if count <= block else -(-int(count) // block) * block


# End-point runs are padded so that few sizes compile (a new count of candidate minima would
# otherwise compile while the penalty slider moves) and never to an odd size: XLA's CPU loops
# run several times slower per point on an odd-length array (benchmarks/bench_app.py, basin map).
END_POINTS_BLOCK = 1024
# Large runs are split into parts that run at once in threads, one per core: one XLA execution
# splits every elementwise loop over the cores with a barrier per loop, and concurrent parts keep
# the cores busier (benchmarks/bench_app.py, basin map against NumPy).
END_POINTS_PART = 16384


def end_point_parts(count: int, cores: int | None = None) -> tuple[int, int]:
    """How an end-point run of `count` starts is split: (parts, points per part).

    At most one part per core, and every part at least END_POINTS_PART starts (so a run of
    fewer than 2 * END_POINTS_PART starts is one part); a part's size is a power of two (at
    least 8) up to END_POINTS_BLOCK points, then a multiple of END_POINTS_BLOCK.

    Args:
      count: number of starts (>= 1).
      cores: CPU cores to use (default: os.cpu_count()).

    Returns:
      (parts, size): parts * size >= count; the last start is repeated to fill the padding.
    """
    cores = cores or os.cpu_count() or 1
    parts = max(1, min(cores, int(count) // END_POINTS_PART))
    return parts, max(8, size_bucket(-(-int(count) // parts), END_POINTS_BLOCK))


@functools.cache
def _part_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The threads that run end-point parts, one per core, shared by every caller."""
    return concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="optviz-end-points")


def _parallel_map(fn, items: list) -> list:
    """[fn(item) for item in items], the items at once in `_part_pool` (JAX releases the GIL)."""
    if len(items) == 1:
        return [fn(items[0])]
    return list(_part_pool().map(fn, items))


def bounds_of(surface_key: str) -> np.ndarray:
    """[[x_lo, y_lo], [x_hi, y_hi]]: the domain grown by BOUNDS_MARGIN widths on each side."""
    (x0, x1), (y0, y1) = SURFACES[surface_key].domain
    dx, dy = (x1 - x0) * BOUNDS_MARGIN, (y1 - y0) * BOUNDS_MARGIN
    return np.array([[x0 - dx, y0 - dy], [x1 + dx, y1 + dy]], dtype=np.float32)


def _transformation(optimizer_key, schedule_key, hparams, schedule_params, total_steps):
    """The optimizer's optax transformation, its learning rate times the schedule's factor at each step."""
    schedule = SCHEDULES[schedule_key]
    return OPTIMIZERS[optimizer_key].build(
        hparams, lambda count: hparams["learning_rate"] * schedule.factor(count, schedule_params, total_steps)
    )


def _extra_args(names, f, params, value, grad, noise_draw, surface_params, strength) -> dict[str, Any]:
    """The keyword arguments an optimizer's update() needs besides (gradient, state, params).

    names: its `extra_args`. value and grad are f and the (noisy) gradient at params; the gradient
    function that SAM calls at its perturbed point adds the same noise draw (one minibatch per step).
    """
    extra: dict[str, Any] = {}
    for name in names:
        if name == "hessian":
            extra[name] = jax.hessian(f)(params, surface_params, strength)
        elif name == "value":
            extra[name] = value
        elif name == "grad":
            extra[name] = grad
        elif name == "value_fn":
            extra[name] = lambda p: f(p, surface_params, strength)
        elif name == "grad_fn":
            extra[name] = lambda p, _: jax.grad(f)(p, surface_params, strength) + noise_draw
        else:
            raise ValueError(f"unknown extra argument {name!r}")
    return extra


@functools.partial(
    jax.jit,
    static_argnames=("surface_key", "optimizer_key", "schedule_key", "penalty", "steps", "record", "noisy"),
)
def _scan_paths(
    starts,
    seeds,
    surface_params,
    hparams,
    schedule_params,
    strength,
    noise,
    total_steps,
    bounds,
    *,
    surface_key: str,
    optimizer_key: str,
    schedule_key: str,
    penalty: str,
    steps: int,
    record: bool,
    noisy: bool,
):
    TRACE_COUNT["paths"] += 1
    f = objective(surface_key, penalty)
    optimizer = OPTIMIZERS[optimizer_key]
    tx = _transformation(optimizer_key, schedule_key, hparams, schedule_params, total_steps)
    schedule = SCHEDULES[schedule_key]
    value_and_grad = jax.value_and_grad(f)
    gradient = jax.grad(f)
    shown = optimizer.shown or (lambda params, state: params)
    # The optimizer's own gradient point differs from the point drawn (schedule-free: y vs x).
    apart = optimizer.shown is not None
    needs_value = "value" in optimizer.extra_args

    def one_path(start, seed):
        key = jax.random.key(seed)

        def step(carry, t):
            params, state, alive, good_steps, x = carry
            if apart:  # the gradient drawn is the shown point's; the optimizer's is at its params
                loss, grad = value_and_grad(x, surface_params, strength) if record else (None, None)
                value, own_grad = (value_and_grad(params, surface_params, strength) if needs_value
                                   else (None, gradient(params, surface_params, strength)))
            else:
                if record or needs_value:
                    loss, grad = value_and_grad(x, surface_params, strength)
                else:  # end points only: the loss along the way is not kept
                    loss, grad = None, gradient(x, surface_params, strength)
                value, own_grad = loss, grad
            # Drawing random numbers costs ~4x the rest of a step, so noise-free runs (a static
            # switch: one extra compiled variant) draw none.
            noise_draw = noise * jax.random.normal(jax.random.fold_in(key, t), (2,), params.dtype) if noisy else 0.0
            noisy_grad = own_grad + noise_draw
            extra = _extra_args(optimizer.extra_args, f, params, value, noisy_grad, noise_draw,
                                surface_params, strength)
            update, new_state = tx.update(noisy_grad, state, params, **extra)
            proposed_params = params + update
            proposed = shown(proposed_params, new_state)
            # Comparisons are False for NaN and fail for +-inf, so this also catches non-finite points.
            inside = (proposed >= bounds[0]) & (proposed <= bounds[1])
            ok = alive & inside[0] & inside[1]
            if apart:  # the optimizer's own point must stay finite and in bounds too
                inside_params = (proposed_params >= bounds[0]) & (proposed_params <= bounds[1])
                ok = ok & inside_params[0] & inside_params[1]
            # Only the point is frozen after a path stops: its later optimizer state is never used, and a
            # per-path select over the whole state slowed the basin map a lot (benchmarks/bench_app.py).
            new_params = jnp.where(ok, proposed_params, params)
            new_x = jnp.where(ok, proposed, x) if apart else new_params
            carry = (new_params, new_state, ok, good_steps + ok, new_x)
            out = None
            if record:
                evaluations = optimizer.evaluations(new_state) if optimizer.evaluations is not None else jnp.zeros((), jnp.int32)
                # update t's learning rate, as optax's schedule saw it (its count was t)
                eta = hparams["learning_rate"] * schedule.factor(t, schedule_params, total_steps)
                step_size = (optimizer.step_size(new_state, hparams, eta) if optimizer.step_size is not None
                             else jnp.full(2, jnp.nan, params.dtype))
                out = (x, loss, grad, proposed - x, ok, proposed, evaluations, step_size.astype(params.dtype))
            return carry, out

        state0 = tx.init(start)
        init = (start, state0, jnp.array(True), jnp.array(0, jnp.int32), shown(start, state0))
        (_, _, _, good_steps, x_end), trace = jax.lax.scan(step, init, jnp.arange(steps))
        loss_end, grad_end = value_and_grad(x_end, surface_params, strength)
        if record:
            xs, losses, grads, updates, ok, proposed, evaluations, step_sizes = trace
            return (
                jnp.concatenate([xs, x_end[None]]),
                jnp.concatenate([losses, loss_end[None]]),
                jnp.concatenate([grads, grad_end[None]]),
                updates,
                ok,
                proposed,
                evaluations,
                step_sizes,
            )
        return x_end, loss_end, good_steps

    return jax.vmap(one_path)(starts, seeds)


def _first_bad(ok: np.ndarray, steps: int) -> int | None:
    """Step index of the first rejected point within the first `steps` steps, or None."""
    bad = np.flatnonzero(~ok[:steps])
    return int(bad[0]) + 1 if bad.size else None


def _traced_args(surface_key, optimizer_key, schedule_key, hparams, surface_params, schedule_params):
    surface = SURFACES[surface_key]
    optimizer = OPTIMIZERS[optimizer_key]
    schedule = SCHEDULES[schedule_key]
    # NumPy scalars, not jnp ones: jit takes them as float32[] just the same, without an eager
    # JAX op per value (a visible share of a rerun's server time: benchmarks/bench_app.py).
    as_f32 = lambda d: {k: np.float32(v) for k, v in d.items()}  # noqa: E731
    return (
        as_f32(surface_param_values(surface, surface_params or {})),
        as_f32(traced_values(optimizer, hparams or {})),
        as_f32({p.name: float((schedule_params or {}).get(p.name, p.default)) for p in schedule.params}),
    )


def run_paths(*args: Any, **kwargs: Any) -> list["TrajectoryResult"]:
    """Run one optimizer from each start (paired with each seed) and return whole paths.

    Arguments as `dispatch_paths`; waits for the result. Returns one TrajectoryResult per path,
    truncated at its divergence point.
    """
    return dispatch_paths(*args, **kwargs).collect()


def _evaluations_used(positions: np.ndarray, evaluations: np.ndarray, diverged_at: int | None, steps: int) -> tuple[int, int]:
    """(evaluations of f and its gradient, steps) that took a line-search path to where it ends.

    One evaluation at the start, then the line search's at each step (it ends at the new point, whose
    value and gradient the next step reuses, as optax.value_and_grad_from_state does), counted up to
    the last step that moved the point: a converged L-BFGS would stop there, while the runner's further
    steps fail to find a decrease at float32's precision and spend up to 20 evaluations each.
    """
    if diverged_at is not None:
        used = diverged_at
    else:
        moves = np.linalg.norm(np.diff(positions, axis=0), axis=1)
        moved = np.flatnonzero(moves > 1e-6 * (1 + np.linalg.norm(positions[:-1], axis=1)))
        used = int(moved[-1]) + 1 if moved.size else 0
    return 1 + int(np.sum(evaluations[:used])), min(used, steps)


def with_evaluations(label: str, count: int, steps: int) -> str:
    """`label` with the evaluations of f and its gradient it took and over how many steps
    ("L-BFGS · 48 evaluations in 13 steps"), before a trailing " (full batch)"."""
    suffix = " (full batch)"
    base, end = (label[: -len(suffix)], suffix) if label.endswith(suffix) else (label, "")
    return f"{base} · {count} evaluations in {steps} step{'' if steps == 1 else 's'}{end}"


@dataclass(frozen=True)
class PendingPaths:
    """Paths whose computation has been dispatched (JAX runs it asynchronously); `collect()` waits.

    Dispatching every optimizer of a scene before collecting any lets them overlap on the cores.
    """

    arrays: Any
    optimizer_key: str
    starts: np.ndarray
    seeds: np.ndarray
    steps: int
    noise: float
    hparams: Mapping[str, Any] | None
    labels: Sequence[str] | None
    instance: str

    def collect(self) -> list[TrajectoryResult]:
        positions, losses, grads, updates, ok, proposed, evaluations, step_sizes = jax.device_get(self.arrays)
        optimizer = OPTIMIZERS[self.optimizer_key]
        used = traced_values(optimizer, self.hparams or {})
        used = {p.name: (bool(used[p.name]) if p.kind == "bool" else used[p.name]) for p in optimizer.params}
        results = []
        for i in range(len(self.starts)):
            diverged_at = _first_bad(ok[i], self.steps)
            n = diverged_at if diverged_at is not None else self.steps + 1
            attempted = proposed[i, diverged_at - 1] if diverged_at is not None else None
            reason = None
            if attempted is not None:
                reason = "non-finite" if not np.all(np.isfinite(attempted)) else "out of bounds"
            label = self.labels[i] if self.labels is not None else optimizer.label
            if optimizer.evaluations is not None and self.noise == 0:
                label = with_evaluations(label, *_evaluations_used(positions[i, :n], evaluations[i], diverged_at, self.steps))
            results.append(
                TrajectoryResult(
                    label=label,
                    optimizer=self.optimizer_key,
                    hparams=used,
                    positions=np.asarray(positions[i, :n], dtype=np.float64),
                    losses=np.asarray(losses[i, :n], dtype=np.float64),
                    gradients=np.asarray(grads[i, :n], dtype=np.float64),
                    updates=np.asarray(updates[i, : n - 1], dtype=np.float64),
                    step_sizes=(np.asarray(step_sizes[i, : n - 1], dtype=np.float64)
                                if optimizer.step_size is not None else None),
                    diverged_at=diverged_at,
                    divergence=reason,
                    seed=int(self.seeds[i]) if self.noise > 0 else None,
                    instance=self.instance or self.optimizer_key,
                    attempted=attempted,
                )
            )
        return results


def dispatch_paths(
    surface_key: str,
    optimizer_key: str,
    starts: Sequence[Sequence[float]],
    *,
    steps: int,
    hparams: Mapping[str, Any] | None = None,
    surface_params: Mapping[str, Any] | None = None,
    schedule: str = "constant",
    schedule_params: Mapping[str, Any] | None = None,
    penalty: str = "none",
    strength: float = 0.0,
    noise: float = 0.0,
    seeds: Sequence[int] | None = None,
    labels: Sequence[str] | None = None,
    instance: str = "",
) -> PendingPaths:
    """Start running one optimizer from each start (paired with each seed); returns PendingPaths.

    Args:
      surface_key, optimizer_key, schedule, penalty: registry names (static: they select code).
      starts: (N, 2) start points; a single start with several seeds is broadcast.
      steps: number of steps (1..MAX_STEPS).
      hparams, surface_params, schedule_params: values by Param name; defaults fill gaps.
      strength: penalty strength.
      noise: std of the Gaussian noise added to each gradient.
      seeds: noise seeds, one per path (default 0 for all).
      labels: legend text per path (default: the optimizer's label).
      instance: which copy of the optimizer this is (scenes may hold several).

    Returns:
      PendingPaths; `.collect()` gives one TrajectoryResult per path (see run_paths).
    """
    starts_np = np.asarray(starts, dtype=np.float32).reshape(-1, 2)
    seeds_np = np.asarray(seeds if seeds is not None else [0] * len(starts_np), dtype=np.int64)
    if len(starts_np) == 1 and len(seeds_np) > 1:
        starts_np = np.repeat(starts_np, len(seeds_np), axis=0)
    if len(seeds_np) != len(starts_np):
        raise ValueError(f"{len(starts_np)} starts but {len(seeds_np)} seeds")
    count = len(starts_np)
    padded = path_bucket(count)
    starts_pad = np.concatenate([starts_np, np.repeat(starts_np[-1:], padded - count, 0)])
    seeds_pad = np.concatenate([seeds_np, np.repeat(seeds_np[-1:], padded - count)]).astype(np.uint32)
    sp, hp, schp = _traced_args(surface_key, optimizer_key, schedule, hparams, surface_params, schedule_params)
    arrays = _scan_paths(
        starts_pad,
        seeds_pad,
        sp,
        hp,
        schp,
        np.float32(strength),
        np.float32(noise),
        np.float32(steps),
        np.asarray(bounds_of(surface_key)),
        surface_key=surface_key,
        optimizer_key=optimizer_key,
        schedule_key=schedule,
        penalty=penalty,
        steps=step_bucket(steps),
        record=True,
        noisy=noise > 0,
    )
    return PendingPaths(arrays, optimizer_key, starts_np, seeds_np, steps, noise, hparams, labels, instance)


@dataclass(frozen=True)
class EndPoints:
    """Where each start ends up (basin maps, benchmarks): no whole paths are kept."""

    positions: np.ndarray  # (N, 2) last good point
    losses: np.ndarray  # (N,)
    diverged_at: np.ndarray  # (N,) int, -1 where the path did not diverge


@functools.partial(
    jax.jit, static_argnames=("surface_key", "optimizer_key", "schedule_key", "penalty", "steps")
)
def _scan_end_points(
    xs,
    ys,
    surface_params,
    hparams,
    schedule_params,
    strength,
    total_steps,
    bounds,
    *,
    surface_key: str,
    optimizer_key: str,
    schedule_key: str,
    penalty: str,
    steps: int,
):
    """End points of many noise-free paths at once, the points held as a pair of (N,) arrays.

    Structure of arrays: every surface is elementwise in x and y (see `objective`), so the
    gradient of sum_i f(x_i, y_i) is each point's own gradient, and every per-step array is one
    contiguous (N,) vector that XLA fuses and vectorizes (vmap over (N, 2) points is slower).
    Paths are not frozen when they leave the bounds, only flagged (`left`, one bool each): a path
    never flagged took every step inside, exactly as in the freezing runner, so its end point is
    final; the caller reruns the few flagged paths in `_scan_paths`, which finds their step of
    divergence. Freezing here (a select per coordinate each step) cost a third of the run time.

    Returns:
      (x_end, y_end) and left (N,) bool: whether the path ever proposed a point out of bounds or
      non-finite; the end points are valid where it did not.
    """
    TRACE_COUNT["end_points"] += 1
    f = objective(surface_key, penalty)
    shown = OPTIMIZERS[optimizer_key].shown
    tx = _transformation(optimizer_key, schedule_key, hparams, schedule_params, total_steps)
    grad = jax.grad(lambda xy: jnp.sum(f(xy, surface_params, strength)))
    (x_lo, y_lo), (x_hi, y_hi) = bounds

    def outside(x, y):
        # Comparisons are False for NaN and fail for +-inf, so this also catches non-finite points.
        return ~((x >= x_lo) & (x <= x_hi) & (y >= y_lo) & (y <= y_hi))

    def step(carry, t):
        xy, state, left = carry
        update, state = tx.update(grad(xy), state, xy)
        x, y = xy[0] + update[0], xy[1] + update[1]
        left = left | outside(x, y)
        if shown is not None:  # the point drawn (schedule-free: x) must stay inside too
            sx, sy = shown((x, y), state)
            left = left | outside(sx, sy)
        return ((x, y), state, left), None

    start = (xs, ys)
    init = (start, tx.init(start), jnp.zeros(xs.shape, bool))
    # Two steps per loop iteration let XLA fuse across them; more unrolling was slower (benchmarks/bench_app.py).
    (end, state, left), _ = jax.lax.scan(step, init, jnp.arange(steps), unroll=2)
    return (end if shown is None else tuple(shown(end, state))), left


def run_end_points(
    surface_key: str,
    optimizer_key: str,
    starts: np.ndarray,
    *,
    steps: int,
    hparams: Mapping[str, Any] | None = None,
    surface_params: Mapping[str, Any] | None = None,
    schedule: str = "constant",
    schedule_params: Mapping[str, Any] | None = None,
    penalty: str = "none",
    strength: float = 0.0,
) -> EndPoints:
    """Run one optimizer from every start in `starts` (N, 2) and keep only the end points.

    Same semantics as the last point of `run_paths` (frozen at the last good point). Paths that
    stay inside run in the structure-of-arrays kernel `_scan_end_points` (in padded parts, at
    once: see `end_point_parts`); those that diverge, and every path of an optimizer that is not
    elementwise (Newton, L-BFGS, SAM: norms, dot products, solves per point), run in `_scan_paths`.
    `steps` is used exactly (not bucketed): end points of a longer run would differ.
    """
    starts_np = np.asarray(starts, dtype=np.float32).reshape(-1, 2)
    sp, hp, schp = _traced_args(surface_key, optimizer_key, schedule, hparams, surface_params, schedule_params)
    traced = (sp, hp, schp, np.float32(strength))
    bounds = np.asarray(bounds_of(surface_key))
    static = dict(surface_key=surface_key, optimizer_key=optimizer_key, schedule_key=schedule, penalty=penalty, steps=steps)
    positions = starts_np.copy()
    good_steps = np.zeros(len(starts_np), np.int64)
    rerun = np.arange(len(starts_np))
    if OPTIMIZERS[optimizer_key].elementwise and len(starts_np):
        total = len(starts_np)
        parts, size = end_point_parts(total)
        # Padding repeats the last start; its copies' results are dropped.
        padded = np.concatenate([starts_np, np.repeat(starts_np[-1:], size * parts - total, axis=0)])

        def run_part(part: np.ndarray):
            return jax.device_get(_scan_end_points(np.ascontiguousarray(part[:, 0]), np.ascontiguousarray(part[:, 1]),
                                                   *traced, np.float32(steps), bounds, **static))

        ends = _parallel_map(run_part, np.split(padded, parts))
        positions = np.column_stack([np.concatenate([x for (x, _), _ in ends]),
                                     np.concatenate([y for (_, y), _ in ends])])[:total]
        left = np.concatenate([flags for _, flags in ends])[:total]
        good_steps = np.full(total, steps, np.int64)
        rerun = np.flatnonzero(left)
    if rerun.size:
        count = path_bucket(len(rerun))  # padded to a power of two: few compiled variants
        picked = np.concatenate([rerun, np.repeat(rerun[-1:], count - len(rerun))])
        x_end, _, good = jax.device_get(
            _scan_paths(starts_np[picked], np.zeros(count, np.uint32), *traced[:3], traced[3],
                        np.float32(0.0), np.float32(steps), bounds, **static, record=False, noisy=False)
        )
        positions[rerun] = x_end[: len(rerun)]
        good_steps[rerun] = good[: len(rerun)]
    losses = np.asarray(losses_at(surface_key, positions, surface_params, penalty=penalty, strength=strength))
    first_bad = np.where(good_steps >= steps, -1, good_steps + 1)
    return EndPoints(positions=positions, losses=losses, diverged_at=first_bad)


@functools.partial(jax.jit, static_argnames=("surface_key", "penalty"))
def _values_at(points, surface_params, strength, *, surface_key: str, penalty: str):
    f = objective(surface_key, penalty)
    return jax.vmap(lambda p: f(p, surface_params, strength))(points)


def losses_at(
    surface_key: str,
    points: np.ndarray,
    surface_params: Mapping[str, Any] | None = None,
    *,
    penalty: str = "none",
    strength: float = 0.0,
) -> np.ndarray:
    """The (penalized) loss at each of `points` (N, 2), as float64 NumPy."""
    return _at_points(_values_at, surface_key, points, surface_params, penalty, strength)


def _at_points(kernel, surface_key: str, points, surface_params, penalty: str, strength: float) -> np.ndarray:
    """`kernel` (a jitted per-point function of the loss) at each of `points` (N, 2), as float64 NumPy."""
    surface = SURFACES[surface_key]
    sp = {k: np.float32(v) for k, v in surface_param_values(surface, surface_params or {}).items()}
    points_np = np.asarray(points, np.float32).reshape(-1, 2)
    # Padded (size_bucket) so that a new number of points rarely compiles a new variant.
    count = len(points_np)
    padded = np.zeros((size_bucket(count, 4096), 2), np.float32)
    padded[:count] = points_np
    values = kernel(padded, sp, np.float32(strength), surface_key=surface_key, penalty=penalty)
    return np.asarray(jax.device_get(values), dtype=float)[:count]


@functools.partial(jax.jit, static_argnames=("surface_key", "penalty"))
def _hessians_at(points, surface_params, strength, *, surface_key: str, penalty: str):
    f = objective(surface_key, penalty)
    return jax.vmap(jax.hessian(lambda p: f(p, surface_params, strength)))(points)


def hessians_at(
    surface_key: str,
    points: np.ndarray,
    surface_params: Mapping[str, Any] | None = None,
    *,
    penalty: str = "none",
    strength: float = 0.0,
) -> np.ndarray:
    """The Hessian of the (penalized) loss at each of `points` (N, 2), shape (N, 2, 2), by autodiff."""
    return _at_points(_hessians_at, surface_key, points, surface_params, penalty, strength)


def surface_grid(
    surface_key: str,
    surface_params: Mapping[str, Any] | None = None,
    *,
    penalty: str = "none",
    strength: float = 0.0,
    resolution: int = 121,
) -> SurfaceGrid:
    """Evaluate the (penalized) surface on a resolution x resolution grid over its domain."""
    (x0, x1), (y0, y1) = SURFACES[surface_key].domain
    xs = np.linspace(x0, x1, resolution, dtype=np.float32)
    ys = np.linspace(y0, y1, resolution, dtype=np.float32)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    z = losses_at(surface_key, points, surface_params, penalty=penalty, strength=strength)
    return SurfaceGrid(xs.astype(float), ys.astype(float), z.reshape(resolution, resolution))
