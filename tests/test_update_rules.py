"""The update rule each optimizer shows is the one that runs: every displayed formula, written out in
NumPy, reproduces the runner's path, with a step schedule (the learning rate changes mid-run)."""

from __future__ import annotations

import numpy as np
import pytest

from optviz.optimizers import OPTIMIZERS
from optviz.params import defaults
from optviz.trajectories.runner import run_paths

KAPPA = 10.0  # ravine f = (x^2 / kappa + y^2) / 2 at angle 0: gradient (x / kappa, y), Hessian diag(1/kappa, 1)
START = np.array([-6.0, 3.0])
STEPS, EVERY, GAMMA = 40, 10, 0.5  # eta_t = eta * 0.5^floor(t / 10)


def _gradient(x):
    return np.array([x[0] / KAPPA, x[1]])


def _by_the_rule(key: str, h: dict) -> np.ndarray:
    """The path the LaTeX rule of `key` describes (see OPTIMIZERS[key].update_rule)."""
    x, v, G, m, s = START.copy(), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    path = [x.copy()]
    for t in range(STEPS):
        eta = h["learning_rate"] * GAMMA ** (t // EVERY)
        g = _gradient(x)
        if key == "sgd":
            x = x - eta * g
        elif key == "momentum":
            v = h["momentum"] * v + g
            x = x - eta * v
        elif key == "nesterov":
            v = h["momentum"] * v + g
            x = x - eta * (g + h["momentum"] * v)
        elif key == "adagrad":
            G = G + g**2
            x = x - eta * g / np.sqrt(G + h["eps"])
        elif key == "rmsprop":
            s = h["decay"] * s + (1 - h["decay"]) * g**2
            x = x - eta * g / np.sqrt(s + h["eps"])
        elif key in ("adam", "adamw"):
            m = h["b1"] * m + (1 - h["b1"]) * g
            s = h["b2"] * s + (1 - h["b2"]) * g**2
            m_hat, v_hat = m / (1 - h["b1"] ** (t + 1)), s / (1 - h["b2"] ** (t + 1))
            step = m_hat / (np.sqrt(v_hat) + h["eps"]) + (h["weight_decay"] * x if key == "adamw" else 0)
            x = x - eta * step
        elif key == "newton":
            H = np.diag([1 / KAPPA, 1.0]) + h["damping"] * np.eye(2)
            x = x - eta * np.linalg.solve(H, g)
        path.append(x.copy())
    return np.array(path)


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_the_shown_rule_is_the_computed_one(key):
    h = {**defaults(OPTIMIZERS[key].params), "learning_rate": 0.5 if key == "newton" else 0.3}
    result = run_paths("ill_conditioned", key, [tuple(START)], steps=STEPS, hparams=h,
                       surface_params={"condition_number": KAPPA, "angle": 0.0}, schedule="step",
                       schedule_params={"step_size": EVERY, "gamma": GAMMA})[0]
    expected = _by_the_rule(key, h)
    np.testing.assert_allclose(result.positions, expected, rtol=2e-4, atol=2e-4)
    rule = OPTIMIZERS[key].update_rule
    assert r"\eta_t" in rule  # the step size of step t: the schedule's
    # The old momentum rule (v = mu v - eta g, x = x + v) differs from this path once eta changes.
    if key == "momentum":
        x, v = START.copy(), np.zeros(2)
        for t in range(STEPS):
            v = h["momentum"] * v - h["learning_rate"] * GAMMA ** (t // EVERY) * _gradient(x)
            x = x + v
        assert np.linalg.norm(x - expected[-1]) > 1e-2
