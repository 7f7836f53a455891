"""The update rule each optimizer shows is the one that runs: every displayed formula, written out in
NumPy, reproduces the runner's path, with a step schedule (the learning rate changes mid-run).

L-BFGS's step length comes from its zoom line search, which the rule states as the conditions it
meets: each step is checked to be along the rule's two-loop direction and to meet them."""

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


def _loss(x):
    return 0.5 * (x[0] ** 2 / KAPPA + x[1] ** 2)


def _eta(h: dict, t: int) -> float:
    return h["learning_rate"] * GAMMA ** (t // EVERY)


def _by_the_rule(key: str, h: dict) -> np.ndarray:
    """The path the LaTeX rule of `key` describes (see OPTIMIZERS[key].update_rule)."""
    x, v, G, m, s = START.copy(), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    v_max, z, y, weights, eta_max = np.zeros(2), START.copy(), START.copy(), 0.0, 0.0
    path = [x.copy()]
    for t in range(STEPS):
        eta = _eta(h, t)
        g = _gradient(y if key == "schedule_free_adamw" else x)
        n = t + 1  # the moments' step count in the rules (t there counts from 1)
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
        elif key == "lion":
            c = h["b1"] * m + (1 - h["b1"]) * g
            x = x - eta * (np.sign(c) + h["weight_decay"] * x)
            m = h["b2"] * m + (1 - h["b2"]) * g
        elif key in ("radam", "nadam", "amsgrad"):
            m = h["b1"] * m + (1 - h["b1"]) * g
            s = h["b2"] * s + (1 - h["b2"]) * g**2
            m_hat, v_hat = m / (1 - h["b1"] ** n), s / (1 - h["b2"] ** n)
            if key == "radam":
                rho_inf = 2 / (1 - h["b2"]) - 1
                rho = rho_inf - 2 * n * h["b2"] ** n / (1 - h["b2"] ** n)
                r = np.sqrt(max(0.0, (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)))
                x = x - eta * (r * m_hat / (np.sqrt(v_hat) + h["eps"]) if rho >= h["threshold"] else m_hat)
            elif key == "nadam":
                m_hat = h["b1"] * m / (1 - h["b1"] ** (n + 1)) + (1 - h["b1"]) * g / (1 - h["b1"] ** n)
                x = x - eta * m_hat / (np.sqrt(v_hat) + h["eps"])
            else:
                v_max = np.maximum(v_max, v_hat)
                x = x - eta * m_hat / (np.sqrt(v_max) + h["eps"])
        elif key == "adabelief":
            m = h["b1"] * m + (1 - h["b1"]) * g
            s = h["b2"] * s + (1 - h["b2"]) * (g - m) ** 2 + 1e-16  # + eps_root
            x = x - eta * (m / (1 - h["b1"] ** n)) / (np.sqrt(s / (1 - h["b2"] ** n)) + h["eps"])
        elif key == "schedule_free_adamw":
            s = h["b2"] * s + (1 - h["b2"]) * g**2
            z = z - eta * (g / (np.sqrt(s / (1 - h["b2"] ** n)) + h["eps"]) + h["weight_decay"] * y)
            # c_{t+1}: the weights are the running maximum of the step size, one step ahead (eta_bar_{t+1})
            eta_max = max(eta_max, _eta(h, t + 1))
            weights += eta_max ** h["weight_lr_power"]
            c = eta_max ** h["weight_lr_power"] / weights
            x = (1 - c) * x + c * z
            y = h["b1"] * x + (1 - h["b1"]) * z
        elif key == "sam":
            norm = np.linalg.norm(g)
            x = x - eta * _gradient(x + (h["rho"] * g / norm if norm > 0 else 0.0))
        path.append(x.copy())
    return np.array(path)


def _lbfgs_direction(g: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """-H g by the two-loop recursion over the last 10 pairs (s, y), H0 = (s'y / y'y) I of the newest
    pair (Nocedal & Wright, Alg. 7.4); with no pair yet, H0 = min(1, 1 / |g|) I, as optax starts."""
    pairs = pairs[-10:]
    q, alphas = g.copy(), []
    for s_i, y_i in reversed(pairs):
        alpha = (s_i @ q) / (y_i @ s_i)
        q = q - alpha * y_i
        alphas.append(alpha)
    if pairs:
        s_k, y_k = pairs[-1]
        q = q * (s_k @ y_k) / (y_k @ y_k)
    else:
        q = q * min(1.0, 1.0 / np.linalg.norm(g))
    for (s_i, y_i), alpha in zip(pairs, reversed(alphas)):
        beta = (y_i @ q) / (y_i @ s_i)
        q = q + (alpha - beta) * s_i
    return -q


def _check_line_search_rule(positions: np.ndarray, updates: np.ndarray) -> None:
    """Each L-BFGS step is a positive multiple of the two-loop direction and meets the strong Wolfe
    conditions of the rule (sufficient decrease 1e-4, curvature 0.9), while the gradient is not yet tiny."""
    pairs, g0 = [], np.linalg.norm(_gradient(positions[0]))
    checked = 0
    for t, u in enumerate(updates):
        x, g = positions[t], _gradient(positions[t])
        if np.linalg.norm(g) < 1e-3 * g0:
            break
        d = _lbfgs_direction(g, pairs)
        scale = (u @ d) / (d @ d)
        assert scale > 0, t
        np.testing.assert_allclose(u, scale * d, rtol=1e-3, atol=1e-5 * np.linalg.norm(u))
        assert _loss(x + u) <= _loss(x) + 1e-4 * (g @ u) + 1e-6, t
        assert abs(_gradient(x + u) @ u) <= 0.9 * abs(g @ u) + 1e-6, t
        pairs.append((positions[t + 1] - x, _gradient(positions[t + 1]) - g))
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_the_shown_rule_is_the_computed_one(key):
    h = {**defaults(OPTIMIZERS[key].params), "learning_rate": 0.5 if key == "newton" else 0.3}
    result = run_paths("ill_conditioned", key, [tuple(START)], steps=STEPS, hparams=h,
                       surface_params={"condition_number": KAPPA, "angle": 0.0}, schedule="step",
                       schedule_params={"step_size": EVERY, "gamma": GAMMA})[0]
    rule = OPTIMIZERS[key].update_rule
    if key == "lbfgs":  # the step length comes from the line search: check the direction and the conditions
        _check_line_search_rule(result.positions, result.updates)
        assert r"\eta_t" in rule
        return
    expected = _by_the_rule(key, h)
    np.testing.assert_allclose(result.positions, expected, rtol=2e-4, atol=2e-4)
    assert r"\eta_t" in rule  # the step size of step t: the schedule's
    # The old momentum rule (v = mu v - eta g, x = x + v) differs from this path once eta changes.
    if key == "momentum":
        x, v = START.copy(), np.zeros(2)
        for t in range(STEPS):
            v = h["momentum"] * v - h["learning_rate"] * GAMMA ** (t // EVERY) * _gradient(x)
            x = x + v
        assert np.linalg.norm(x - expected[-1]) > 1e-2
