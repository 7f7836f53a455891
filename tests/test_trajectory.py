"""Trajectories equal plain NumPy loops of the lecture's update rules; no recompilation; divergence.

The reference loops below are written from the lecture's formulas (cs231n lecture 7), not from
optax; they share only the surface gradient with the code under test.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optviz.optimizers import OPTIMIZERS
from optviz.params import defaults
from optviz.schedules import SCHEDULES
from optviz.surfaces import SURFACES, objective, surface_param_values
from optviz.trajectories import runner as trajectory
from optviz.trajectories.runner import TRACE_COUNT, end_point_parts, run_end_points, run_paths, step_bucket


def _oracles(surface_key, params=None):
    surface = SURFACES[surface_key]
    values = {k: jnp.float32(v) for k, v in surface_param_values(surface, params or {}).items()}
    f = objective(surface_key)
    grad = jax.jit(jax.grad(lambda xy: f(xy, values, 0.0)))
    hess = jax.jit(jax.hessian(lambda xy: f(xy, values, 0.0)))
    as_np = lambda fn: lambda x: np.asarray(fn(jnp.asarray(x, jnp.float32)), dtype=np.float64)  # noqa: E731
    return as_np(grad), as_np(hess)


def reference_path(optimizer, h, grad, hess, start, steps):
    """The lecture's update rules in NumPy, float64."""
    x = np.array(start, dtype=np.float64)
    lr = h["learning_rate"]
    v = np.zeros(2)
    m = np.zeros(2)
    cache = np.full(2, h.get("initial_accumulator_value", 0.0))
    v_max = np.zeros(2)
    z, y, weights = x.copy(), x.copy(), 0.0  # schedule-free: fast iterate z, gradient point y
    path = [x.copy()]
    if optimizer == "lbfgs":
        pytest.skip("L-BFGS's step comes from a line search: tests/test_modern_optimizers.py and "
                    "tests/test_update_rules.py check its direction and the Wolfe conditions")
    for t in range(1, steps + 1):
        dx = grad(y if optimizer == "schedule_free_adamw" else x)
        if optimizer == "sgd":
            x = x - lr * dx
        elif optimizer == "momentum":
            v = h["momentum"] * v - lr * dx
            x = x + v
        elif optimizer == "nesterov":
            v_prev = v
            v = h["momentum"] * v - lr * dx
            x = x - h["momentum"] * v_prev + (1 + h["momentum"]) * v
        elif optimizer == "adagrad":
            cache = cache + dx**2
            x = x - lr * dx / np.sqrt(cache + h["eps"])
        elif optimizer == "rmsprop":
            cache = h["decay"] * cache + (1 - h["decay"]) * dx**2
            x = x - lr * dx / np.sqrt(cache + h["eps"])
        elif optimizer in ("adam", "adamw"):
            m = h["b1"] * m + (1 - h["b1"]) * dx
            v = h["b2"] * v + (1 - h["b2"]) * dx**2
            if h.get("bias_correction", True):
                m_hat, v_hat = m / (1 - h["b1"] ** t), v / (1 - h["b2"] ** t)
            else:
                m_hat, v_hat = m, v
            step = m_hat / (np.sqrt(v_hat) + h["eps"])
            if optimizer == "adamw":
                step = step + h["weight_decay"] * x
            x = x - lr * step
        elif optimizer == "newton":
            x = x - lr * np.linalg.solve(hess(x) + h["damping"] * np.eye(2), dx)
        elif optimizer == "lion":  # Chen et al. 2023, Alg. 2: the sign of an interpolated momentum
            c = h["b1"] * m + (1 - h["b1"]) * dx
            x = x - lr * (np.sign(c) + h["weight_decay"] * x)
            m = h["b2"] * m + (1 - h["b2"]) * dx
        elif optimizer in ("radam", "nadam", "amsgrad"):
            m = h["b1"] * m + (1 - h["b1"]) * dx
            v = h["b2"] * v + (1 - h["b2"]) * dx**2
            m_hat, v_hat = m / (1 - h["b1"] ** t), v / (1 - h["b2"] ** t)
            if optimizer == "radam":  # Liu et al. 2020, Alg. 2: momentum steps until the variance is tractable
                rho_inf = 2 / (1 - h["b2"]) - 1
                rho = rho_inf - 2 * t * h["b2"] ** t / (1 - h["b2"] ** t)
                if rho >= h["threshold"]:
                    r = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                    x = x - lr * r * m_hat / (np.sqrt(v_hat) + h["eps"])
                else:
                    x = x - lr * m_hat
            elif optimizer == "nadam":  # Dozat 2016: the look-ahead momentum
                m_next = h["b1"] * m / (1 - h["b1"] ** (t + 1)) + (1 - h["b1"]) * dx / (1 - h["b1"] ** t)
                x = x - lr * m_next / (np.sqrt(v_hat) + h["eps"])
            else:  # Reddi et al. 2018: the denominator never shrinks
                v_max = np.maximum(v_max, v_hat)
                x = x - lr * m_hat / (np.sqrt(v_max) + h["eps"])
        elif optimizer == "adabelief":  # Zhuang et al. 2020, Alg. 2
            m = h["b1"] * m + (1 - h["b1"]) * dx
            v = h["b2"] * v + (1 - h["b2"]) * (dx - m) ** 2 + 1e-16
            x = x - lr * (m / (1 - h["b1"] ** t)) / (np.sqrt(v / (1 - h["b2"] ** t)) + h["eps"])
        elif optimizer == "schedule_free_adamw":  # Defazio et al. 2024: x averages z, gradients at y
            v = h["b2"] * v + (1 - h["b2"]) * dx**2
            z = z - lr * (dx / (np.sqrt(v / (1 - h["b2"] ** t)) + h["eps"]) + h["weight_decay"] * y)
            weights += lr ** h["weight_lr_power"]
            c = lr ** h["weight_lr_power"] / weights
            x = (1 - c) * x + c * z
            y = h["b1"] * x + (1 - h["b1"]) * z
        elif optimizer == "sam":  # Foret et al. 2021: the gradient at the worst point rho away
            norm = np.linalg.norm(dx)
            x = x - lr * grad(x + (h["rho"] * dx / norm if norm > 0 else 0.0))
        else:
            raise AssertionError(f"no reference for {optimizer}")
        path.append(x.copy())
    return np.array(path)


# (surface, start, steps, learning-rate override per optimizer) where float32 vs float64 stays close.
CASES = [
    ("ill_conditioned", (-9.0, 4.0), 40, {}),
    ("rosenbrock", (-1.5, 2.5), 30, {"sgd": 1e-4, "momentum": 1e-4, "nesterov": 1e-4, "newton": 0.5,
                                     "radam": 1e-4, "sam": 1e-4}),  # their first steps are SGD-sized
    ("himmelblau", (-0.5, -0.5), 30, {"sgd": 0.005, "momentum": 0.002, "nesterov": 0.002, "newton": 0.5}),
    ("saddle", (-1.8, 0.05), 30, {"newton": 0.5}),
]


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("surface, start, steps, lrs", CASES, ids=[c[0] for c in CASES])
def test_matches_lecture_update_rule(optimizer, surface, start, steps, lrs):
    spec = OPTIMIZERS[optimizer]
    h = {**defaults(spec.params), "learning_rate": lrs.get(optimizer, defaults(spec.params)["learning_rate"] * 0.1)}
    grad, hess = _oracles(surface)
    expected = reference_path(optimizer, h, grad, hess, start, steps)
    result = run_paths(surface, optimizer, [start], steps=steps, hparams=h)[0]
    n = len(result.positions)
    assert result.diverged_at is None or n == result.diverged_at
    scale = np.maximum(1.0, np.abs(expected[:n]))
    np.testing.assert_allclose(result.positions, expected[:n], rtol=0, atol=2e-3 * scale.max())
    assert result.positions.shape == (n, 2) and result.updates.shape == (n - 1, 2)
    np.testing.assert_allclose(result.updates, np.diff(result.positions, axis=0), atol=1e-4)


@pytest.mark.parametrize("bias_correction", [True, False])
def test_adam_bias_correction_switch(bias_correction):
    h = {**defaults(OPTIMIZERS["adam"].params), "learning_rate": 0.1, "bias_correction": bias_correction}
    grad, hess = _oracles("ill_conditioned")
    expected = reference_path("adam", h, grad, hess, (-9.0, 4.0), 20)
    result = run_paths("ill_conditioned", "adam", [(-9.0, 4.0)], steps=20, hparams=h)[0]
    np.testing.assert_allclose(result.positions, expected, atol=1e-4)
    first_step = np.abs(result.updates[0])
    if bias_correction:
        np.testing.assert_allclose(first_step, 0.1, rtol=1e-3)  # ~ the learning rate
    else:
        np.testing.assert_allclose(first_step, 0.1 * 0.1 / np.sqrt(0.001), rtol=1e-3)  # ~3.16x larger


def test_adam_switch_on_equals_optax_adam():
    grad, _ = _oracles("himmelblau")
    tx = optax.adam(0.05)
    x = jnp.array([-0.5, -0.5])
    state = tx.init(x)
    path = [np.asarray(x)]
    for _ in range(25):
        u, state = tx.update(jnp.asarray(grad(x), jnp.float32), state, x)
        x = x + u
        path.append(np.asarray(x))
    result = run_paths("himmelblau", "adam", [(-0.5, -0.5)], steps=25, hparams={"learning_rate": 0.05})[0]
    np.testing.assert_allclose(result.positions, np.array(path), atol=1e-4)


@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_schedules_match_optax(schedule):
    spec = SCHEDULES[schedule]
    params = {p.name: jnp.float32(p.default) for p in spec.params}
    steps = 300
    counts = jnp.arange(steps + 50)
    ours = np.asarray(jax.vmap(lambda c: spec.factor(c, params, jnp.float32(steps)))(counts))
    reference = {
        "constant": lambda c: 1.0,
        "step": optax.piecewise_constant_schedule(1.0, {100 * k: 0.5 for k in range(1, 4)}),
        "exponential": optax.exponential_decay(1.0, transition_steps=1, decay_rate=0.99),
        "cosine": optax.cosine_decay_schedule(1.0, decay_steps=steps, alpha=0.0),
    }[schedule]
    expected = np.array([float(reference(int(c))) for c in counts])
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def test_step_decay_schedule_applies_to_updates():
    h = {"learning_rate": 0.1}
    result = run_paths("ill_conditioned", "sgd", [(-9.0, 4.0)], steps=150, hparams=h,
                       schedule="step", schedule_params={"step_size": 50, "gamma": 0.1})[0]
    ratio = np.linalg.norm(result.updates[60]) / np.linalg.norm(result.gradients[60])
    assert ratio == pytest.approx(0.01, rel=1e-3)


def test_changing_numbers_never_recompiles():
    kwargs = dict(steps=120, surface_params={"condition_number": 10.0, "angle": 5.0})
    for optimizer in OPTIMIZERS:  # warm up both variants: noise on/off is a static switch
        run_paths("ill_conditioned", optimizer, [(-9.0, 4.0)], **kwargs)
        run_paths("ill_conditioned", optimizer, [(-9.0, 4.0)], noise=0.5, **kwargs)
    before = TRACE_COUNT["paths"]
    rng = np.random.default_rng(0)
    for optimizer, spec in OPTIMIZERS.items():
        for _ in range(3):
            h = {p.name: (bool(rng.integers(2)) if p.kind == "bool" else float(rng.uniform(p.min, p.max)))
                 for p in spec.params}
            sp = {"condition_number": float(rng.uniform(1, 1000)), "angle": float(rng.uniform(-90, 90))}
            start = rng.uniform(-9, 9, size=2)
            run_paths("ill_conditioned", optimizer, [start], steps=int(rng.integers(101, 201)),
                      hparams=h, surface_params=sp, noise=float(rng.uniform(0.01, 1)), seeds=[int(rng.integers(1000))])
    assert TRACE_COUNT["paths"] == before


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_learning_rate_10_diverges_cleanly(optimizer):
    for surface in ("ill_conditioned", "rosenbrock", "beale"):
        result = run_paths(surface, optimizer, [SURFACES[surface].default_start], steps=200,
                           hparams={"learning_rate": 10.0})[0]
        assert np.all(np.isfinite(result.positions)) and np.all(np.isfinite(result.losses))
        if result.diverged_at is not None:
            assert len(result.positions) == result.diverged_at
            assert result.divergence in ("non-finite", "out of bounds")
            assert result.attempted is not None


def test_sgd_divergence_index():
    # On f = (x^2/kappa + y^2)/2 with eta = 2.5 the y coordinate multiplies by -1.5 each step.
    result = run_paths("ill_conditioned", "sgd", [(0.0, 1.0)], steps=100, hparams={"learning_rate": 2.5})[0]
    # It leaves the view (|y| > 10) at step 6 and runs on; it has blown up 100 domain widths out
    # (|y| > 10 + 100 * 20 = 2010): 1.5^19 = 2217 is the first point there.
    assert result.diverged_at == 19 and result.divergence == "out of bounds"
    np.testing.assert_allclose(result.positions[-1, 1], (-1.5) ** 18, rtol=1e-5)
    assert np.abs(result.positions[:, 1]).max() > 10  # the run went on past the view


def test_noise_seeds_fan_out_and_reproduce():
    runs = [run_paths("ill_conditioned", "sgd", [(-9.0, 4.0)], steps=50, noise=0.5, seeds=[1, 2, 3]) for _ in range(2)]
    ends = np.array([r.positions[-1] for r in runs[0]])
    assert len({tuple(e) for e in np.round(ends, 6)}) == 3
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a.positions, b.positions)
    clean = run_paths("ill_conditioned", "sgd", [(-9.0, 4.0)], steps=50, noise=0.0, seeds=[1])[0]
    assert not np.allclose(clean.positions, runs[0][0].positions)


def test_step_bucketing_gives_exact_step_count():
    for steps in (1, 7, 199, 201, 500):
        result = run_paths("himmelblau", "adam", [(0.0, 0.0)], steps=steps)[0]
        assert len(result.positions) == steps + 1
    assert step_bucket(199) == 200 and step_bucket(201) == 500
    with pytest.raises(ValueError):
        step_bucket(0)


@pytest.mark.parametrize("learning_rate", [0.02, 3.0])
@pytest.mark.parametrize("surface", ["rosenbrock", "saddle", "linear_regression"])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_end_points_match_paths(optimizer, surface, learning_rate):
    # run_end_points uses a structure-of-arrays kernel and reruns diverged paths in the path
    # runner; either way each end point, loss and divergence step must be the path's own.
    (x0, x1), (y0, y1) = SURFACES[surface].domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 5), np.linspace(y0, y1, 4))
    starts = np.column_stack([gx.ravel(), gy.ravel()])
    hparams = {"learning_rate": learning_rate}
    # A large step that does not blow up wanders chaotically: few steps, so that the two kernels'
    # different float32 orderings stay far below the tolerance on any CPU.
    steps = 40 if learning_rate < 1 else 12
    ends = run_end_points(surface, optimizer, starts, steps=steps, hparams=hparams)
    paths = run_paths(surface, optimizer, starts, steps=steps, hparams=hparams)
    for end, loss, diverged_at, path in zip(ends.positions, ends.losses, ends.diverged_at, paths):
        assert diverged_at == (path.diverged_at if path.diverged_at is not None else -1)
        scale = 1 + np.abs(path.positions[-1])
        np.testing.assert_allclose(end, path.positions[-1], atol=1e-4 * scale.max())
        assert loss == pytest.approx(path.losses[-1], rel=1e-4, abs=1e-4)
    if learning_rate == 3.0 and optimizer == "sgd":
        assert (ends.diverged_at >= 0).any()  # the rerun branch is exercised


@pytest.mark.parametrize("count", [1, 7, 8, 9, 100, 4095, 4096, 4097, 10_001, 16_383, 16_384, 32_768, 65_536, 100_003])
@pytest.mark.parametrize("cores", [1, 2, 16])
def test_end_point_parts_cover_every_start_with_few_even_sizes(count, cores):
    parts, size = end_point_parts(count, cores)
    assert 1 <= parts <= cores and parts * size >= count
    assert size % 8 == 0  # never odd: XLA's CPU loops are several times slower on odd lengths
    assert parts * size - count < max(8, size)  # the padding is less than one part
    assert parts == 1 or size >= trajectory.END_POINTS_PART // 2  # parts are large
    small = size <= trajectory.END_POINTS_BLOCK
    assert (size & (size - 1) == 0) if small else size % trajectory.END_POINTS_BLOCK == 0


@pytest.mark.parametrize("count, cores, expected", [
    (1, 2, (1, 8)), (9, 2, (1, 16)), (1025, 2, (1, 2048)),  # powers of two (at least 8), then 1024-blocks
    (10_001, 2, (1, 10_240)), (32_767, 2, (1, 32_768)),  # one part below 2 x 16,384 starts
    (32_768, 2, (2, 16_384)), (65_536, 2, (2, 32_768)), (65_536, 1, (1, 65_536)),
    (65_536, 16, (4, 16_384)), (100_003, 16, (6, 17_408)),  # 100,003 / 6 -> 16,668 -> 17 blocks
])
def test_end_point_parts_examples(count, cores, expected):
    assert end_point_parts(count, cores) == expected


def test_end_points_split_into_parallel_parts_equal_one_run(monkeypatch):
    (x0, x1), (y0, y1) = SURFACES["himmelblau"].domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 5))
    starts = np.column_stack([gx.ravel(), gy.ravel()])  # 35 starts: padded in either layout
    hparams = {"learning_rate": 0.05}
    whole = run_end_points("himmelblau", "adam", starts, steps=30, hparams=hparams)
    monkeypatch.setattr(trajectory, "END_POINTS_PART", 8)
    monkeypatch.setattr(trajectory.os, "cpu_count", lambda: 4)
    assert end_point_parts(len(starts)) == (4, 16)
    split = run_end_points("himmelblau", "adam", starts, steps=30, hparams=hparams)
    np.testing.assert_allclose(split.positions, whole.positions, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(split.diverged_at, whole.diverged_at)
    assert split.positions.shape == (35, 2)


def test_penalty_strength_changes_do_not_recompile_the_minimum_search():
    from optviz.trajectories import compute
    from optviz.trajectories.scene import TrajectoryScene

    # The number of candidate minima changes with the strength (6, 4, 2 on the camel); the
    # end-point kernel is compiled for a padded size, so the slider does not recompile it.
    scenes = [TrajectoryScene.from_query({"surface": "six_hump_camel", "penalty": "l2", "strength": s})[0]
              for s in ("0.01", "0.5", "2")]
    compute.critical_points(scenes[0])
    before = TRACE_COUNT["end_points"]
    counts = {len(compute.critical_points(scene)) for scene in scenes}
    assert len(counts) > 1  # the candidate count did change
    assert TRACE_COUNT["end_points"] == before


def test_a_fan_past_the_largest_seed_wraps_to_seeds_one_can_type():
    from optviz.trajectories import compute
    from optviz.trajectories.scene import TrajectoryScene

    top = 2**31 - 1
    scene, notices = TrajectoryScene.from_query({"noise": "0.5", "paths": "3", "seed": str(top), "opt": "sgd", "steps": "5"})
    assert notices == []
    fan = [r for r in compute.trajectories(scene) if r.seed is not None]
    assert [r.seed for r in fan] == [top, 0, 1] and fan[1].label == "SGD (seed 0)"
    # The wrapped path is the one a scene with seed 0 draws first.
    seed_zero, _ = TrajectoryScene.from_query({**scene.to_query(), "seed": "0"})
    again = [r for r in compute.trajectories(seed_zero) if r.seed is not None]
    np.testing.assert_array_equal(fan[1].positions, again[0].positions)
