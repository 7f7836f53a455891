"""Surfaces: gradients vanish at listed critical points; Hessian signs at saddles; domains sane."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optviz.params import defaults
from optviz.surfaces import SURFACES, objective, surface_param_values

jax.config.update("jax_enable_x64", False)


def _grad_hess(surface, params):
    values = {k: jnp.float32(v) for k, v in surface_param_values(surface, params).items()}
    f = lambda xy: surface.fn(xy, values)  # noqa: E731
    return jax.grad(f), jax.hessian(f), f


def _param_variants(surface):
    """Default parameters plus each numeric parameter at its bounds (bool: both values)."""
    variants = [defaults(surface.params)]
    for p in surface.params:
        if p.kind == "bool":
            variants.append({**defaults(surface.params), p.name: not p.default})
        elif p.kind == "float":
            for value in (p.min, p.max):
                variants.append({**defaults(surface.params), p.name: value})
    return variants


@pytest.mark.parametrize("key", list(SURFACES))
def test_gradient_vanishes_at_critical_points(key):
    surface = SURFACES[key]
    for params in _param_variants(surface):
        grad, hess, f = _grad_hess(surface, params)
        for point in surface.critical_points(params):
            xy = jnp.array([point.x, point.y], jnp.float32)
            scale = max(1.0, float(jnp.max(jnp.abs(hess(xy)))))  # float32 rounding grows with curvature
            assert float(jnp.linalg.norm(grad(xy))) < 2e-3 * scale, (key, params, point)


@pytest.mark.parametrize("key", list(SURFACES))
def test_hessian_signs_at_critical_points(key):
    surface = SURFACES[key]
    params = defaults(surface.params)
    grad, hess, f = _grad_hess(surface, params)
    for point in surface.critical_points(params):
        eig = np.linalg.eigvalsh(np.asarray(hess(jnp.array([point.x, point.y], jnp.float32)), dtype=float))
        if point.is_minimum:
            assert np.all(eig > 0), (key, point, eig)
        elif point.kind == "maximum":
            assert np.all(eig < 0), (key, point, eig)
        elif key == "monkey_saddle":
            assert np.allclose(eig, 0), eig  # degenerate: the Hessian vanishes
        else:
            assert eig.min() < 0 < eig.max(), (key, point, eig)


@pytest.mark.parametrize("key", list(SURFACES))
def test_global_minimum_is_lowest_listed_point(key):
    surface = SURFACES[key]
    params = defaults(surface.params)
    _, _, f = _grad_hess(surface, params)
    points = surface.critical_points(params)
    values = {p: float(f(jnp.array([p.x, p.y], jnp.float32))) for p in points}
    best = min(values.values())
    for p, v in values.items():
        if p.kind == "global minimum":
            assert v == pytest.approx(best, abs=1e-3 * max(1, abs(best)))


@pytest.mark.parametrize("key", list(SURFACES))
def test_domain_and_start(key):
    surface = SURFACES[key]
    (x0, x1), (y0, y1) = surface.domain
    assert x0 < x1 and y0 < y1
    sx, sy = surface.default_start
    assert x0 <= sx <= x1 and y0 <= sy <= y1
    assert surface.lesson and surface.latex and surface.label
    for point in surface.critical_points(defaults(surface.params)):
        assert x0 <= point.x <= x1 and y0 <= point.y <= y1, point


def test_ill_conditioned_condition_number_is_hessian_ratio():
    surface = SURFACES["ill_conditioned"]
    for kappa, angle in [(1.0, 0.0), (20.0, 30.0), (1000.0, -45.0)]:
        _, hess, _ = _grad_hess(surface, {"condition_number": kappa, "angle": angle})
        eig = np.linalg.eigvalsh(np.asarray(hess(jnp.zeros(2)), dtype=float))
        assert eig.max() / eig.min() == pytest.approx(kappa, rel=1e-3)


def test_linear_regression_standardizing_rounds_the_valley():
    surface = SURFACES["linear_regression"]
    conds = []
    for standardize in (False, True):
        _, hess, _ = _grad_hess(surface, {"standardize": standardize})
        eig = np.linalg.eigvalsh(np.asarray(hess(jnp.zeros(2)), dtype=float))
        conds.append(eig.max() / eig.min())
    assert conds[0] > 1000 and conds[1] < 2, conds


@pytest.mark.parametrize("penalty", ["none", "l1", "l2"])
def test_penalty_adds_to_any_surface(penalty):
    f = objective("himmelblau", penalty)
    xy = jnp.array([1.0, -2.0])
    base = float(SURFACES["himmelblau"].fn(xy, {}))
    expected = {"none": 0.0, "l1": 0.5 * 3.0, "l2": 0.5 * 5.0}[penalty]
    assert float(f(xy, {}, 0.5)) == pytest.approx(base + expected, rel=1e-6)


@pytest.mark.parametrize("penalty", ["none", "l1", "l2"])
@pytest.mark.parametrize("key", list(SURFACES))
def test_pair_of_arrays_gives_each_points_value_and_gradient(key, penalty):
    # The end-point runner evaluates f on a pair (xs, ys) of arrays: each entry must equal f at
    # that point alone, and the gradient of the sum must be each point's own gradient.
    surface = SURFACES[key]
    values = {k: jnp.float32(v) for k, v in surface_param_values(surface, defaults(surface.params)).items()}
    f = objective(key, penalty)
    (x0, x1), (y0, y1) = surface.domain
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(x0, x1, 37), rng.uniform(y0, y1, 37)]).astype(np.float32)
    per_point = jax.vmap(lambda p: f(p, values, 0.3))(jnp.asarray(points))
    per_grad = jax.vmap(jax.grad(lambda p: f(p, values, 0.3)))(jnp.asarray(points))
    pair = (jnp.asarray(points[:, 0]), jnp.asarray(points[:, 1]))
    together = f(pair, values, 0.3)
    gx, gy = jax.grad(lambda xy: jnp.sum(f(xy, values, 0.3)))(pair)
    assert together.shape == (37,)
    np.testing.assert_allclose(together, per_point, rtol=1e-5, atol=1e-5 * float(jnp.max(jnp.abs(per_point))))
    scale = 1e-5 * float(jnp.max(jnp.abs(per_grad)))
    np.testing.assert_allclose(np.column_stack([gx, gy]), per_grad, rtol=1e-5, atol=scale)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_optimizer_starts_with_settings_that_work_on_every_surface(surface):
    """From the surface's default start, with the learning rate it starts with there, no optimizer
    diverges in the default 200 steps (a path leaving a surface unbounded below escapes: allowed)."""
    from optviz.optimizers import OPTIMIZERS
    from optviz.trajectories.compute import compute
    from optviz.trajectories.scene import MAX_OPTIMIZERS, TrajectoryScene

    keys = list(OPTIMIZERS)
    stopped = []
    for first in range(0, len(keys), MAX_OPTIMIZERS):  # a scene draws at most MAX_OPTIMIZERS paths
        scene = TrajectoryScene.build(surface, optimizers=keys[first:first + MAX_OPTIMIZERS])
        data = compute(scene)
        gone = [r for r in data.results if r.diverged_at is not None]
        if data.view.unbounded:
            gone = [r for r in gone if r.divergence != "out of bounds"]
        stopped += gone
    assert not stopped, [(r.label, r.diverged_at, r.divergence) for r in stopped]


# -- typed surfaces (your own f(x, y)) -------------------------------------------------------

from optviz.expression import ExpressionError  # noqa: E402
from optviz.surfaces import CUSTOM, DEFAULT_DOMAIN, is_typed, typed_key, typed_surface  # noqa: E402
from optviz.expression import parse_expression  # noqa: E402


@pytest.mark.parametrize("text, domain, expected", [
    ("0.5*(x**2/20 + y**2)", DEFAULT_DOMAIN, [(0.0, 0.0, "global minimum")]),
    ("(x**2 - 1)**2 + y**2", "-2,2,-2,2", [(-1.0, 0.0, "global minimum"), (1.0, 0.0, "global minimum")]),
    ("(x**2 - 1)**2 + 0.3*x + 0.5*y**2", "-2.5,2.5,-2,2", [(-1.0356, 0.0, "global minimum"), (0.9601, 0.0, "local minimum")]),
    ("(1 - x)**2 + 100*(y - x**2)**2", "-2,2,-1,3", [(1.0, 1.0, "global minimum")]),
    ("x**4 + y**4", "-1,1,-1,1", [(0.0, 0.0, "global minimum")]),
    ("x**3 - 3*x + y**2", "-3,3,-2,2", [(1.0, 0.0, "local minimum")]),  # lower at x = -3: unbounded in view
    ("x**2 - y**2", "-2,2,-2,2", []),
    ("x - y", "-1,1,-1,1", []),
    ("7", "-1,1,-1,1", []),
    ("exp(exp(x))", DEFAULT_DOMAIN, []),
    ("log(x) + y**2", "-1,1,-1,1", []),
])
def test_typed_surfaces_find_their_minima_numerically(text, domain, expected):
    surface = typed_surface(text, domain)
    found = sorted((p.x, p.y, p.kind) for p in surface.critical_points({}))
    assert len(found) == len(expected), found
    for (x, y, kind), (ex, ey, ekind) in zip(found, sorted(expected)):
        assert (x, y) == pytest.approx((ex, ey), abs=2e-3) and kind == ekind, found


def test_typed_himmelblau_finds_the_registry_minima():
    registry = SURFACES["himmelblau"].minima({})
    typed = typed_surface("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", "-5,5,-5,5").minima({})
    assert len(typed) == 4
    for point in registry:
        assert np.min(np.linalg.norm(typed - point, axis=1)) < 2e-3


def test_a_typed_key_is_answered_by_the_registry_but_not_listed():
    surface = typed_surface("x^2 + y^2", "-3,3,-2,2")
    assert surface.key == typed_key(parse_expression("x**2 + y**2"), ((-3.0, 3.0), (-2.0, 2.0)))
    assert surface.key == "custom:x**2 + y**2@-3,3,-2,2" and is_typed(surface) and is_typed(CUSTOM)
    assert SURFACES[surface.key] is surface  # built once (bounded cache)
    assert surface.key not in SURFACES and surface.key not in list(SURFACES) and SURFACES.get(surface.key) is None
    assert surface.domain == ((-3.0, 3.0), (-2.0, 2.0)) and surface.label == "f(x, y) = x**2 + y**2"
    assert surface.latex == "f(x, y) = x^{2} + y^{2}" and not surface.params
    sx, sy = surface.default_start
    assert -3 <= sx <= 3 and -2 <= sy <= 2
    for bad in ["custom:x +@-1,1,-1,1", "custom:x**2@1,0,0,1", "custom:x**2", "custom:", "volcano"]:
        with pytest.raises(KeyError):
            SURFACES[bad]


def test_typed_surface_raises_expression_errors():
    with pytest.raises(ExpressionError, match="unknown name 'z'"):
        typed_surface("z")
    with pytest.raises(ExpressionError, match="xmin 1 must be less than xmax 0"):
        typed_surface("x", "1,0,0,1")


def test_the_custom_entry_is_the_ravine():
    custom, ravine = SURFACES[CUSTOM], SURFACES["ill_conditioned"]
    assert custom.domain == ravine.domain and custom.default_start == ravine.default_start
    params = {k: jnp.float32(v) for k, v in surface_param_values(ravine, defaults(ravine.params)).items()}
    for point in ([1.0, 2.0], [-9.0, 4.0], [0.3, -7.0]):
        xy = jnp.array(point, jnp.float32)
        assert float(custom.fn(xy, {})) == pytest.approx(float(ravine.fn(xy, params)), rel=1e-6)
