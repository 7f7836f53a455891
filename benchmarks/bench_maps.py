"""Maps: a 64 x 64 hyperparameter map at 500 steps (a slider change redraws it) and a 256 x 256 basin
map, each against a vectorized NumPy loop doing the same work, measured in the same run; and the
fair comparison's rerun (every learning rate tuned) against the same rerun without tuning.

    .venv/bin/python benchmarks/bench_maps.py [--repeat 7]

Prints cold (compile) and warm medians, interleaved rounds, and the ratio NumPy / JAX.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_app import numpy_adam_end_points  # noqa: E402

from optviz.optimizers import OPTIMIZERS  # noqa: E402
from optviz.surfaces import SURFACES  # noqa: E402
from optviz.trajectories import maps, runner  # noqa: E402
from optviz.trajectories.compute import trajectories  # noqa: E402
from optviz.trajectories.scene import TrajectoryScene  # noqa: E402


def _ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def numpy_heavy_ball_map(rates: np.ndarray, momenta: np.ndarray, start, steps: int, kappa: float,
                         bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The map's work in vectorized float32 NumPy: heavy ball (optax: v <- mu v + g, x <- x - eta v) on
    the ravine 1/2 (x^2 / kappa + y^2) (angle 0) for every (eta, mu), frozen at the first bad step."""
    f32 = np.float32
    eta, mu = (a.astype(f32).ravel() for a in np.meshgrid(rates, momenta))
    x = np.full(eta.shape, start[0], f32)
    y = np.full(eta.shape, start[1], f32)
    vx, vy = np.zeros_like(x), np.zeros_like(y)
    alive = np.ones(eta.shape, bool)
    lo, hi = bounds.astype(f32)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            nvx, nvy = mu * vx + x / f32(kappa), mu * vy + y
            px, py = x - eta * nvx, y - eta * nvy
            ok = alive & np.isfinite(px) & np.isfinite(py) & (px >= lo[0]) & (py >= lo[1]) & (px <= hi[0]) & (py <= hi[1])
            x, y, vx, vy = np.where(ok, px, x), np.where(ok, py, y), np.where(ok, nvx, vx), np.where(ok, nvy, vy)
            alive = ok
    return 0.5 * (x * x / f32(kappa) + y * y), ~alive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU cores; load average before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))

    # -- the hyperparameter map --------------------------------------------------------------------
    rate, momentum = maps.Axis("learning_rate", 0.01, 4.0, log=True), maps.Axis("momentum", 0.0, 0.99)
    kappas = [10.0 + i for i in range(args.repeat + 1)]  # each change: a new condition number (a slider)

    def jax_map(kappa):
        return maps.hyperparameter_map("ill_conditioned", "momentum", rate, momentum, resolution=64, steps=500,
                                       start=(-9.0, 4.0), surface_params={"condition_number": kappa, "angle": 0.0})

    before = maps.TRACE_COUNT["sweep"]
    cold = _ms(lambda: jax_map(kappas[0]))
    jax_times, np_times = [], []
    bounds = runner.bounds_of("ill_conditioned")
    for kappa in kappas[1:]:
        jax_times.append(_ms(lambda: jax_map(kappa)))
        np_times.append(_ms(lambda: numpy_heavy_ball_map(rate.values(64), momentum.values(64), (-9.0, 4.0), 500,
                                                         kappa, bounds)))
    result = jax_map(kappas[-1])
    loss_np, diverged_np = numpy_heavy_ball_map(rate.values(64), momentum.values(64), (-9.0, 4.0), 500, kappas[-1], bounds)
    same = np.mean(result.diverged.ravel() == diverged_np)
    print(f"\nhyperparameter map, ravine, heavy ball, 64 x 64 = 4096 (eta, mu) x 500 steps: cold {cold:.0f} ms (compile), "
          f"a condition-number change warm median {statistics.median(jax_times):.1f} ms "
          f"({maps.TRACE_COUNT['sweep'] - before} compilation(s) in all)   target < 1000 ms")
    print(f"  NumPy vectorized loop, same work: median {statistics.median(np_times):.0f} ms; ratio "
          f"{statistics.median(np_times) / statistics.median(jax_times):.1f}x; same diverged/not for {same:.1%} of cells")

    # -- the basin map -------------------------------------------------------------------------------
    hp = {p.name: p.default for p in OPTIMIZERS["adam"].params}
    cold = _ms(lambda: maps.basin_map("rosenbrock", "adam", resolution=256, steps=500, hparams=hp))
    (x0, x1), (y0, y1) = SURFACES["rosenbrock"].domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 256), np.linspace(y0, y1, 256))
    starts = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    sp = {p.name: p.default for p in SURFACES["rosenbrock"].params}
    jax_times, np_times = [], []
    for _ in range(max(3, args.repeat // 2)):
        jax_times.append(_ms(lambda: maps.basin_map("rosenbrock", "adam", resolution=256, steps=500, hparams=hp)))
        np_times.append(_ms(lambda: numpy_adam_end_points(starts, 500, hp["learning_rate"], hp["b1"], hp["b2"], hp["eps"],
                                                          sp["a"], sp["b"], runner.bounds_of("rosenbrock"))))
    print(f"\nbasin map, Rosenbrock, Adam, 256 x 256 = 65536 starts x 500 steps (maps.basin_map: end points + "
          f"nearest minimum): cold {cold:.0f} ms, warm median {statistics.median(jax_times):.0f} ms")
    print(f"  NumPy vectorized loop (end points only): median {statistics.median(np_times):.0f} ms; ratio "
          f"{statistics.median(np_times) / statistics.median(jax_times):.1f}x")

    # -- the fair comparison: a rerun with every learning rate tuned ----------------------------------
    def scene(kappa, tune):
        return TrajectoryScene.build("ill_conditioned", {"condition_number": kappa, "angle": 0.0}, start=(-9.0, 4.0),
                                     run={"steps": 200, "tune": tune})

    for tune in (False, True):
        trajectories(scene(kappas[0], tune))  # compile
    plain, tuned = [], []
    for kappa in kappas[1:]:  # interleaved: both see the same machine
        plain.append(_ms(lambda: trajectories(scene(kappa, False))))
        tuned.append(_ms(lambda: trajectories(scene(kappa, True))))
    print(f"\nfair comparison, the default 6 optimizers x 200 steps on the ravine, a condition-number change warm: "
          f"paths alone median {statistics.median(plain):.1f} ms, with every learning rate tuned "
          f"(2 x {maps.TUNE_RESOLUTION} runs each) {statistics.median(tuned):.1f} ms "
          f"({statistics.median(tuned) / statistics.median(plain):.1f}x)")


if __name__ == "__main__":
    main()
