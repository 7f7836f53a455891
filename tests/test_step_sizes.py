"""The effective step size per coordinate (Optimizer.step_size, recorded by the runner): each
optimizer's rebuilt in NumPy from the gradients it saw, the lecture's per-parameter learning rate
visible on the ravine, and the "Step sizes" view and exports that show it."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib
import pytest

from optviz import export
from optviz.optimizers import OPTIMIZERS, traced_values
from optviz.surfaces import SURFACES, surface_param_values
from optviz.trajectories.compute import compute
from optviz.trajectories.figures import step_size_figure
from optviz.trajectories.runner import objective, run_paths
from optviz.trajectories.scene import TrajectoryScene

# A rotated ravine mixes both coordinates into every gradient; a step decay makes eta_t vary.
SURFACE = {"condition_number": 30.0, "angle": 30.0}
START = (-7.0, 5.0)
STEPS = 40
SCHEDULE = {"step_size": 15, "gamma": 0.5}


def _eta(h, t: int) -> float:
    return h["learning_rate"] * SCHEDULE["gamma"] ** (t // SCHEDULE["step_size"])


def _moments(grads, b1, b2):
    """Adam's m_t, v_t (t = 1..n) of the gradients g_1..g_n."""
    m, v, ms, vs = np.zeros(2), np.zeros(2), [], []
    for g in grads:
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        ms.append(m)
        vs.append(v)
    return np.array(ms), np.array(vs)


def _reference(key: str, h: dict, grads: np.ndarray) -> np.ndarray:
    """Each update's step size per coordinate, from the gradients g_t the optimizer saw (NumPy, float64)."""
    n = len(grads)
    eta = np.array([_eta(h, t) for t in range(n)])[:, None]
    t = np.arange(1, n + 1)[:, None]
    if key in ("sgd", "momentum", "nesterov", "sam"):
        return np.repeat(eta, 2, axis=1)
    if key == "adagrad":
        total = h["initial_accumulator_value"] + np.cumsum(grads**2, axis=0)
        return eta / np.sqrt(total + h["eps"])
    if key == "rmsprop":
        s, out = np.zeros(2), []
        for g in grads:
            s = h["decay"] * s + (1 - h["decay"]) * g * g
            out.append(s)
        return eta / np.sqrt(np.array(out) + h["eps"])
    if key == "adabelief":
        m, s, out = np.zeros(2), np.zeros(2), []
        for g in grads:
            m = h["b1"] * m + (1 - h["b1"]) * g
            s = h["b2"] * s + (1 - h["b2"]) * (g - m) ** 2 + 1e-16
            out.append(s)
        return eta / (np.sqrt(np.array(out) / (1 - h["b2"] ** t) + 1e-16) + h["eps"])
    _, v = _moments(grads, h["b1"], h["b2"])
    v_hat = v / (1 - h["b2"] ** t)
    if key == "amsgrad":
        return eta / (np.sqrt(np.maximum.accumulate(v_hat, axis=0)) + h["eps"])
    if key == "radam":
        rho_inf = 2 / (1 - h["b2"]) - 1
        rho = rho_inf - 2 * t * h["b2"] ** t / (1 - h["b2"] ** t)
        with np.errstate(invalid="ignore"):
            r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        return np.where(rho >= h["threshold"], eta * r / (np.sqrt(v_hat) + h["eps"]), eta)
    assert key in ("adam", "adamw", "nadam")
    return eta / (np.sqrt(v_hat) + h["eps"])


WITH_STEP_SIZE = [k for k, o in OPTIMIZERS.items() if o.step_size is not None]
# Newton and L-BFGS mix the coordinates (a matrix); Lion keeps only a sign: no per-coordinate number.
assert {k for k in OPTIMIZERS if k not in WITH_STEP_SIZE} == {"newton", "lbfgs", "lion"}


@pytest.mark.parametrize("key", [k for k in WITH_STEP_SIZE if k != "schedule_free_adamw"])
def test_step_sizes_are_rebuilt_from_the_gradients(key):
    path = run_paths("ill_conditioned", key, [START], steps=STEPS, surface_params=SURFACE, schedule="step",
                     schedule_params=SCHEDULE)[0]
    assert path.diverged_at is None and path.step_sizes.shape == (STEPS, 2)
    h = traced_values(OPTIMIZERS[key], path.hparams)
    expected = _reference(key, h, path.gradients[:-1])  # the gradient at each point before its update
    np.testing.assert_allclose(path.step_sizes, expected, rtol=2e-3)


def test_schedule_free_step_sizes_follow_the_gradients_at_y():
    # Its gradients are taken at y, not at the drawn x: rebuild them with optax step by step.
    key = "schedule_free_adamw"
    path = run_paths("ill_conditioned", key, [START], steps=STEPS, surface_params=SURFACE)[0]
    h = traced_values(OPTIMIZERS[key], path.hparams)
    spec = SURFACES["ill_conditioned"]
    params = {k: jnp.float32(v) for k, v in surface_param_values(spec, SURFACE).items()}
    grad = jax.grad(lambda p: objective("ill_conditioned", "none")(p, params, jnp.float32(0.0)))
    tx = optax.contrib.schedule_free_adamw(h["learning_rate"], b1=h["b1"], b2=h["b2"], eps=h["eps"],
                                           weight_decay=h["weight_decay"], weight_lr_power=h["weight_lr_power"])
    y = jnp.asarray(START, jnp.float32)
    state, v, expected = tx.init(y), np.zeros(2), []
    for t in range(1, STEPS + 1):
        g = grad(y)
        v = h["b2"] * v + (1 - h["b2"]) * np.asarray(g, np.float64) ** 2
        expected.append(h["learning_rate"] / (np.sqrt(v / (1 - h["b2"] ** t)) + h["eps"]))
        update, state = tx.update(g, state, y)
        y = optax.apply_updates(y, update)
    np.testing.assert_allclose(path.step_sizes, np.array(expected), rtol=2e-3)


@pytest.mark.parametrize("key", ["adagrad", "rmsprop", "adam", "adamw", "nadam", "amsgrad", "adabelief"])
@pytest.mark.parametrize("start", [(-9.0, 4.0), (6.0, -3.0), (-2.0, 8.0)])
def test_adaptive_methods_give_the_shallow_coordinate_the_longer_steps(key, start):
    # The ravine along x (kappa 50): |df/dx| = |x|/50 is small, |df/dy| = |y| large. Dividing by the root of
    # the squared gradients gives x the long steps: a learning rate per parameter. SGD's are equal.
    ravine = {"condition_number": 50.0, "angle": 0.0}
    adaptive = run_paths("ill_conditioned", key, [start], steps=60, surface_params=ravine)[0].step_sizes
    sgd = run_paths("ill_conditioned", "sgd", [start], steps=60, surface_params=ravine)[0].step_sizes
    assert np.all(sgd[:, 0] == sgd[:, 1])
    ratio = adaptive[:, 0] / adaptive[:, 1]
    assert np.all(ratio > 2) and np.median(ratio) > 5, np.round(ratio[:5], 2)


def test_the_step_size_view_draws_the_recorded_sizes_and_names_the_rest():
    scene = TrajectoryScene.build("ill_conditioned", {"condition_number": 50.0, "angle": 0.0}, ["sgd", "adam", "newton", "lion"],
                                  {}, (-9.0, 4.0), {"steps": 60})
    data = compute(scene)
    for axis, name in ((0, "x"), (1, "y")):
        fig = step_size_figure(data.results, axis)
        lines = [t for t in fig.data if t.mode == "lines"]
        assert sorted(t.name for t in lines) == ["Adam", "SGD"]
        for trace in lines:
            result = next(r for r in data.results if r.label == trace.name)
            np.testing.assert_allclose(np.asarray(trace.y, float), result.step_sizes[:, axis])
        assert fig.layout.yaxis.type == "log" and name in fig.layout.title.text
        note = " ".join(a.text for a in fig.layout.annotations)
        assert "Newton" in note and "Lion" in note and "SGD" not in note
    # The shallow x gets Adam's long steps, the steep y short ones; SGD draws the same eta on both.
    adam = next(r for r in data.results if r.optimizer == "adam")
    assert np.median(adam.step_sizes[:, 0]) > 10 * np.median(adam.step_sizes[:, 1])


def test_without_any_step_size_the_view_says_so():
    scene = TrajectoryScene.build("ill_conditioned", {}, ["newton"], {}, None, {"steps": 10})
    fig = step_size_figure(compute(scene).results, 0)
    assert not [t for t in fig.data if t.mode == "lines"]
    assert "No optimizer shown has a per-coordinate step size" in fig.layout.annotations[0].text


def test_noisy_fans_leave_only_their_full_batch_path():
    scene = TrajectoryScene.build("ill_conditioned", {}, ["adam"], {}, None, {"steps": 30, "noise": 1.0, "paths": 5})
    data = compute(scene)
    lines = [t for t in step_size_figure(data.results, 1).data if t.mode == "lines"]
    assert len(lines) == 1 and "full batch" in lines[0].name


def test_the_csv_carries_each_update_s_step_sizes():
    path = run_paths("ill_conditioned", "adam", [START], steps=12, surface_params=SURFACE)[0]
    newton = run_paths("ill_conditioned", "newton", [START], steps=3, surface_params=SURFACE)[0]
    rows = export.trajectory_records([path, newton])
    adam_rows = [r for r in rows if r["optimizer"] == "adam"]
    assert [r["step_size_x"] for r in adam_rows[:-1]] == pytest.approx(path.step_sizes[:, 0].tolist())
    assert math.isnan(adam_rows[-1]["step_size_y"])  # the last point has no update
    assert all(math.isnan(r["step_size_x"]) for r in rows if r["optimizer"] == "newton")
