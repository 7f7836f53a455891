"""The modern optimizers (issue 23, part 1): optax's own, with optax's names and defaults, run the way
optax's documentation runs them; one colour each; the sharp/flat surface's caption holds on a grid.

The update rules themselves are reproduced from their formulas in tests/test_update_rules.py and
tests/test_trajectory.py; here each optimizer is compared with optax's documented loop (L-BFGS with
`value_and_grad_from_state`, schedule-free with `schedule_free_eval_params`, SAM in opaque mode).
"""

from __future__ import annotations

import inspect
import itertools
import re

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.contrib
import pytest

from optviz.optimizers import OPTIMIZERS
from optviz.surfaces import SURFACES, objective
from optviz.trajectories.runner import run_end_points, run_paths

MODERN = ("lion", "radam", "nadam", "amsgrad", "adabelief", "lbfgs", "schedule_free_adamw", "sam")
OPTAX_FUNCTIONS = {
    "lion": optax.lion, "radam": optax.radam, "nadam": optax.nadam, "amsgrad": optax.amsgrad,
    "adabelief": optax.adabelief, "lbfgs": optax.lbfgs, "schedule_free_adamw": optax.contrib.schedule_free_adamw,
}
# Learning rates where optax has none or one for networks: L-BFGS's None means 1 (the line search sets
# the step); schedule-free AdamW's 0.0025 suits networks, 0.1 (Adam's here) the 2-D surfaces.
LEARNING_RATES = {"lbfgs": (None, 1.0), "schedule_free_adamw": (0.0025, 0.1)}


@pytest.mark.parametrize("key", [k for k in MODERN if k != "sam"])
def test_optax_names_and_defaults(key):
    signature = inspect.signature(OPTAX_FUNCTIONS[key]).parameters
    for p in OPTIMIZERS[key].params:
        assert p.name in signature, (key, p.name)
        if p.name == "learning_rate":
            expected = LEARNING_RATES.get(key)
            if expected is not None:
                assert (signature[p.name].default, p.default) == expected
            continue
        assert p.default == pytest.approx(signature[p.name].default), (key, p.name)


def test_sam_is_optax_example_drop_in():
    # optax's SAM has no hyperparameters of its own: its example uses SGD outside and normalized SGD with
    # step rho = 0.1 for the perturbation; the outer learning rate is SGD's here.
    params = {p.name: p.default for p in OPTIMIZERS["sam"].params}
    assert params == {"learning_rate": OPTIMIZERS["sgd"].params[0].default, "rho": 0.1}
    assert OPTIMIZERS["sam"].extra_args == ("grad_fn",) and not OPTIMIZERS["sam"].elementwise


# -- colours --------------------------------------------------------------------------------

# Machado, Oliveira & Fernandes (2009), severity 1: how the colours look with each deficiency.
_DEFICIENCIES = {
    "normal": np.eye(3),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]),
}


def _lab(hex_color: str, deficiency: str) -> np.ndarray:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    linear = np.clip(_DEFICIENCIES[deficiency] @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.9505, 1.0, 1.089])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_every_optimizer_has_its_own_distinguishable_colour():
    colours = {k: o.color.upper() for k, o in OPTIMIZERS.items()}
    assert len(set(colours.values())) == len(colours)
    for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2):
        # CIELAB distance: >= 20 to normal vision (the closest pair is AdaGrad / RAdam, 22), >= 10 with
        # deuteranopia or protanopia (the closest: Adam / Schedule-free AdamW, 11; sixteen colours
        # cannot all be far apart for red-green colour blindness).
        assert np.linalg.norm(_lab(ca, "normal") - _lab(cb, "normal")) >= 20, (a, b)
        for deficiency in ("deuteranopia", "protanopia"):
            assert np.linalg.norm(_lab(ca, deficiency) - _lab(cb, deficiency)) >= 10, (a, b, deficiency)
    # Nor like the figures' own marks: the diverged marker's red, the minima's yellow, the surface's greys.
    for mark in ("#D00000", "#F0E442", "#868C96", "#B9BEC6"):
        assert min(np.linalg.norm(_lab(c, "normal") - _lab(mark, "normal")) for c in colours.values()) >= 20, mark


def test_update_rules_and_lessons_are_written():
    for key in MODERN:
        o = OPTIMIZERS[key]
        assert r"\eta_t" in o.update_rule and o.lesson and o.label, key
        assert o.update_rule.count("{") == o.update_rule.count("}"), key  # LaTeX braces balance


# -- optax's own loops ----------------------------------------------------------------------

START = (-0.5, -0.5)
STEPS = 25


def _himmelblau():
    f = objective("himmelblau")
    return lambda p: f(p, {}, 0.0)


def test_lbfgs_is_optax_loop_and_counts_its_evaluations():
    f, calls = _himmelblau(), []

    def counted(p):
        jax.debug.callback(lambda: calls.append(1))
        return f(p)

    tx = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(counted)  # optax's documented loop
    x = jnp.array(START, jnp.float32)
    state, path, counts = tx.init(x), [np.asarray(x)], []
    for _ in range(STEPS):
        value, grad = value_and_grad(x, state=state)
        updates, state = tx.update(grad, state, x, value=value, grad=grad, value_fn=counted)
        x = optax.apply_updates(x, updates)
        path.append(np.asarray(x))
        jax.effects_barrier()
        counts.append(len(calls))  # evaluations so far
    result = run_paths("himmelblau", "lbfgs", [START], steps=STEPS)[0]
    np.testing.assert_allclose(result.positions, np.array(path), atol=1e-4)
    # Each evaluation of f is one of f and its gradient (value_and_grad); the label says how many it took
    # to where it ends: up to its last move. After that, at float32's precision, each line search fails
    # to find a decrease and spends up to 20 evaluations without moving.
    moved = np.flatnonzero(np.linalg.norm(np.diff(np.array(path), axis=0), axis=1) > 1e-5)
    last = int(moved[-1]) + 1
    assert 5 < last < STEPS and counts[-1] > counts[last - 1] + 10 * (STEPS - last)
    assert result.label == f"L-BFGS · {counts[last - 1]} evaluations in {last} steps"


def test_schedule_free_draws_optax_eval_params():
    f = _himmelblau()
    tx = optax.contrib.schedule_free_adamw(0.1)
    y = jnp.array(START, jnp.float32)
    state, drawn = tx.init(y), [np.asarray(y)]
    for _ in range(STEPS):
        updates, state = tx.update(jax.grad(f)(y), state, y)
        y = optax.apply_updates(y, updates)
        drawn.append(np.asarray(optax.contrib.schedule_free_eval_params(state, y)))
    result = run_paths("himmelblau", "schedule_free_adamw", [START], steps=STEPS)[0]
    np.testing.assert_allclose(result.positions, np.array(drawn), atol=1e-4)
    # The gradient and loss shown are those of the point drawn (x), not of the gradient point y.
    np.testing.assert_allclose(result.gradients[-1], np.asarray(jax.grad(f)(jnp.asarray(drawn[-1], jnp.float32))),
                               rtol=1e-4, atol=1e-4)
    assert not np.allclose(drawn[-1], np.asarray(y))  # x and y differ: the path is x


def test_sam_is_optax_opaque_mode():
    f = _himmelblau()
    grad = jax.grad(f)
    tx = optax.contrib.sam(optax.sgd(0.01), optax.chain(optax.contrib.normalize(), optax.sgd(0.1)),
                           sync_period=2, opaque_mode=True)  # optax's example, opaque
    x = jnp.array(START, jnp.float32)
    state, path = tx.init(x), [np.asarray(x)]
    for _ in range(STEPS):
        updates, state = tx.update(grad(x), state, x, grad_fn=lambda p, _: grad(p))
        x = optax.apply_updates(x, updates)
        path.append(np.asarray(x))
    result = run_paths("himmelblau", "sam", [START], steps=STEPS, hparams={"learning_rate": 0.01, "rho": 0.1})[0]
    np.testing.assert_allclose(result.positions, np.array(path), atol=1e-4)


def test_sam_started_at_a_critical_point_stays_there():
    # g = 0 there: optax's normalize gives 0/0; the perturbation is taken as 0 (zero_nans), no NaN.
    result = run_paths("ill_conditioned", "sam", [(0.0, 0.0)], steps=20)[0]
    assert result.diverged_at is None
    np.testing.assert_array_equal(result.positions[-1], [0.0, 0.0])


@pytest.mark.parametrize("key", ["sam", "lbfgs", "schedule_free_adamw"])
def test_gradient_noise_reaches_them_and_reproduces(key):
    kwargs = dict(steps=40, noise=0.5, seeds=[1, 2])
    a, b = (run_paths("himmelblau", key, [START], **kwargs) for _ in range(2))
    for p, q in zip(a, b):
        assert np.all(np.isfinite(p.positions))
        np.testing.assert_array_equal(p.positions, q.positions)
    assert not np.allclose(a[0].positions, a[1].positions)
    clean = run_paths("himmelblau", key, [START], steps=40)[0]
    assert not np.allclose(clean.positions, a[0].positions)
    assert all(" evaluations" not in r.label for r in a)  # a noisy fan's labels stay plain


def test_lbfgs_full_batch_label_keeps_its_suffix():
    result = run_paths("himmelblau", "lbfgs", [START], steps=10, labels=["L-BFGS (full batch)"])[0]
    assert re.fullmatch(r"L-BFGS · \d+ evaluations in \d+ steps \(full batch\)", result.label)
    assert result.base_label.startswith("L-BFGS · ")


# -- the sharp/flat surface -----------------------------------------------------------------

SHARP_FLAT_STEPS = 300


def _basins(key: str, starts: np.ndarray, steps: int) -> np.ndarray:
    """Per start: 0 = ends within 0.05 of the sharp minimum, 1 = of the flat one, -1 = neither."""
    surface = SURFACES["sharp_flat"]
    minima = surface.minima({})
    ends = run_end_points("sharp_flat", key, starts, steps=steps, hparams=surface.hparams_for(key)).positions
    d = np.linalg.norm(ends[:, None] - minima[None], axis=2)
    return np.where(d.min(axis=1) < 0.05, d.argmin(axis=1), -1)


def test_sharp_flat_caption_holds_on_a_grid_of_starts():
    surface = SURFACES["sharp_flat"]
    (x0, x1), (y0, y1) = surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 25), np.linspace(y0, y1, 25))
    starts = np.column_stack([gx.ravel(), gy.ravel()])
    sgd, adam, sam = (_basins(k, starts, SHARP_FLAT_STEPS) for k in ("sgd", "adam", "sam"))
    quoted = {f"{round(100 * share)}%" for share in (np.mean(sgd == 0), np.mean(adam == 0), np.mean(sam == 1))}
    assert quoted == {"73%", "64%", "97%"} and all(q in surface.lesson for q in quoted)
    assert np.mean((sam == 1) & (sgd == 0) & (adam == 0)) > 0.55  # the contrast itself, from most starts
    right = starts[:, 0] > 0.35
    assert all(np.mean(b[right] == 1) > 0.98 for b in (sgd, adam, sam))  # "all three reach the flat one"
    on_line = np.abs(starts[:, 1]) < 1e-9
    assert np.all(sam[~on_line] != 0)  # SAM stops in the sharp one only from starts on the crack's line
    assert f"({SHARP_FLAT_STEPS} steps" in surface.lesson
    # SGD and SAM at one learning rate, below SGD's stability limit in the crack (2 / 192, its largest curvature).
    assert surface.hparams_for("sgd") == surface.hparams_for("sam") == {"learning_rate": 0.008}


def test_sharp_flat_default_start_and_curvatures():
    surface = SURFACES["sharp_flat"]
    sharp, flat = surface.minima({})
    start = np.array([surface.default_start])
    for key, expected in (("sgd", 0), ("adam", 0), ("sam", 1)):  # the default 200 steps
        assert _basins(key, start, 200)[0] == expected, key
    f = objective("sharp_flat")
    hessian = jax.hessian(lambda p: f(p, {}, 0.0))
    curvature = {name: np.linalg.eigvalsh(np.asarray(hessian(jnp.asarray(p, jnp.float32)))) for name, p in
                 (("sharp", sharp), ("flat", flat))}
    assert curvature["sharp"].max() == pytest.approx(155, rel=0.05) and curvature["flat"].max() == pytest.approx(20, rel=0.05)
    assert "curvature 155" in surface.lesson and "20 at the flat one" in surface.lesson
    values = [float(f(jnp.asarray(p, jnp.float32), {}, 0.0)) for p in (sharp, flat)]
    assert values[0] == pytest.approx(values[1], abs=1e-6)  # "of the same depth"


# -- the training lab -----------------------------------------------------------------------


def test_lab_trains_with_the_new_first_order_optimizers():
    from optviz.training.compute import run_training
    from optviz.training.config import TRAINABLE_OPTIMIZERS, TrainConfig

    assert {"lbfgs", "sam", "newton"}.isdisjoint(TRAINABLE_OPTIMIZERS)  # they need more than the gradient
    for key in ("lion", "radam", "nadam", "amsgrad", "adabelief", "schedule_free_adamw"):
        assert key in TRAINABLE_OPTIMIZERS
        loss = run_training(TrainConfig(optimizer=key, steps=300)).train_loss[0]
        assert np.all(np.isfinite(loss)) and loss[-1] < 0.3 * loss[0], (key, loss[0], loss[-1])
    for key in ("lbfgs", "sam"):
        with pytest.raises(ValueError):
            TrainConfig(optimizer=key)
