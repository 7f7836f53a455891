"""SURFACES: the 2-D loss landscapes, written once in JAX; gradients and Hessians come from autodiff.

Each `Surface` is f(xy, params) -> scalar with its plotting domain, known critical points
(minima and saddles, possibly depending on the parameters), a default start point, the
formula in LaTeX and a one-line lesson. Surface parameters are traced JAX scalars, so moving a
slider never recompiles.

An optional penalty (L1 or L2, `PENALTY_PARAMS`) can be added to any surface (lesson 12).

References:
  cs231n, lecture 7 "Training neural networks II" (optimizers on ill-conditioned surfaces).
  Surjanovic & Bingham, "Virtual Library of Simulation Experiments: Test Functions"
  (Rosenbrock, Beale, Himmelblau, Rastrigin, six-hump camel, Styblinski-Tang).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from optviz.expression import Expression, format_domain, parse_domain, parse_expression
from optviz.params import Param

Array = Any
Domain = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class CriticalPoint:
    """A known point where the gradient vanishes."""

    x: float
    y: float
    kind: str  # "global minimum", "local minimum", "saddle" or "maximum"

    @property
    def is_minimum(self) -> bool:
        return self.kind.endswith("minimum")


@dataclass(frozen=True)
class Surface:
    """One loss landscape.

    Args:
      key: registry key (URLs, JSON, CLI).
      label: display name.
      fn: f(xy, params) -> scalar, xy of shape (2,), params a dict of JAX scalars. It must read
        only xy[0] and xy[1], elementwise, so that a pair of arrays of points also works.
      domain: ((x_min, x_max), (y_min, y_max)) shown on the page.
      default_start: where paths start unless the user picks another point.
      latex: the formula.
      lesson: one line in the lecture's terms.
      params: Param specs of the surface's own parameters.
      critical_points: function params -> list of CriticalPoint (NumPy, concrete values).
      log_contours: contour levels on a log scale (steep walls, flat valleys).
      learning_rates: the learning rate each optimizer starts with on this surface, where its
        registry default does not work (it diverges from the default start or most others);
        a student who picks this surface gets them, and links without a rate use them.
    """

    key: str
    label: str
    fn: Callable[[Array, Mapping[str, Array]], Array]
    domain: Domain
    default_start: tuple[float, float]
    latex: str
    lesson: str
    critical_points: Callable[[Mapping[str, Any]], list[CriticalPoint]]
    params: tuple[Param, ...] = field(default_factory=tuple)
    log_contours: bool = False
    learning_rates: Mapping[str, float] = field(default_factory=dict)

    def hparams_for(self, optimizer_key: str) -> dict[str, float]:
        """The hyperparameters an optimizer starts with on this surface (besides its own defaults)."""
        rate = self.learning_rates.get(optimizer_key)
        return {} if rate is None else {"learning_rate": rate}

    def minima(self, params: Mapping[str, Any]) -> np.ndarray:
        """Known minima as an (K, 2) array (K may be 0: a saddle has none)."""
        points = [(p.x, p.y) for p in self.critical_points(params) if p.is_minimum]
        return np.asarray(points, dtype=float).reshape(-1, 2)


def _fixed(*points: tuple[float, float, str]) -> Callable[[Mapping[str, Any]], list[CriticalPoint]]:
    return lambda params: [CriticalPoint(*p) for p in points]


# -- the surfaces ---------------------------------------------------------------------------


def ill_conditioned(xy, p):
    r"""Rotated quadratic ravine: f = 1/2 (u^2 / kappa + v^2), (u, v) = R(-angle) (x, y).

    The Hessian has eigenvalues 1 (steep, along v) and 1/kappa (shallow, along u), so
    `condition_number` kappa is exactly its condition number and plain gradient descent
    needs learning_rate < 2 to be stable but ~kappa/learning_rate steps to cross the valley.
    """
    angle = jnp.deg2rad(p["angle"])
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    u = cos * xy[0] + sin * xy[1]
    v = -sin * xy[0] + cos * xy[1]
    return 0.5 * (u**2 / p["condition_number"] + v**2)


def saddle(xy, p):
    """Saddle: f = x^2 - y^2 (unbounded below along y)."""
    return xy[0] ** 2 - xy[1] ** 2


def monkey_saddle(xy, p):
    """Monkey saddle: f = x^3 - 3 x y^2 (three valleys; the Hessian vanishes at the origin)."""
    return xy[0] ** 3 - 3 * xy[0] * xy[1] ** 2


def local_minimum(xy, p):
    """Tilted double well: f = (x^2 - 1)^2 + tilt * x + y^2 / 2.

    With tilt > 0 the well at x ~ -1 is deeper (global) and the one at x ~ +1 shallow (local).
    """
    return (xy[0] ** 2 - 1) ** 2 + p["tilt"] * xy[0] + 0.5 * xy[1] ** 2


def _double_well_points(params: Mapping[str, Any]) -> list[CriticalPoint]:
    # f_x = 4x^3 - 4x + tilt = 0; sorted real roots: global min, barrier (saddle), local min.
    roots = np.roots([4.0, 0.0, -4.0, float(params["tilt"])])
    real = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    if len(real) < 3:  # tilt so large that the shallow well is gone
        return [CriticalPoint(float(real[0]), 0.0, "global minimum")]
    return [
        CriticalPoint(float(real[0]), 0.0, "global minimum"),
        CriticalPoint(float(real[1]), 0.0, "saddle"),
        CriticalPoint(float(real[2]), 0.0, "local minimum"),
    ]


def rosenbrock(xy, p):
    """Rosenbrock's banana: f = (a - x)^2 + b (y - x^2)^2, minimum (a, a^2)."""
    return (p["a"] - xy[0]) ** 2 + p["b"] * (xy[1] - xy[0] ** 2) ** 2


def beale(xy, p):
    """Beale: f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2."""
    x, y = xy[0], xy[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def himmelblau(xy, p):
    """Himmelblau: f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2, four equal minima."""
    x, y = xy[0], xy[1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def rastrigin(xy, p):
    """Rastrigin: f = 2A + sum_i (x_i^2 - A cos(2 pi x_i)), a grid of local minima."""
    x, y = xy[0], xy[1]  # written per coordinate so xy may also be a pair of arrays (see objective)
    return 2 * p["A"] + x**2 - p["A"] * jnp.cos(2 * jnp.pi * x) + y**2 - p["A"] * jnp.cos(2 * jnp.pi * y)


def _rastrigin_points(params: Mapping[str, Any]) -> list[CriticalPoint]:
    points = [CriticalPoint(0.0, 0.0, "global minimum")]
    if float(params["A"]) > 1 / (2 * np.pi**2):  # otherwise the ripples have no local minima
        # The nearest local minima: one ripple out along each axis (x = +-0.995 for A = 10).
        offset = _rastrigin_ripple(float(params["A"]))
        points += [CriticalPoint(s * offset, 0.0, "local minimum") for s in (-1, 1)]
        points += [CriticalPoint(0.0, s * offset, "local minimum") for s in (-1, 1)]
    return points


def _rastrigin_ripple(amplitude: float) -> float:
    # Solve 2x + 2 pi A sin(2 pi x) = 0 near x = 1 by Newton's method (concrete NumPy).
    x = 1.0
    for _ in range(50):
        g = 2 * x + 2 * np.pi * amplitude * np.sin(2 * np.pi * x)
        h = 2 + 4 * np.pi**2 * amplitude * np.cos(2 * np.pi * x)
        x -= g / h
    return float(x)


def six_hump_camel(xy, p):
    """Six-hump camel: f = (4 - 2.1 x^2 + x^4/3) x^2 + x y + (-4 + 4 y^2) y^2."""
    x, y = xy[0], xy[1]
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def styblinski_tang(xy, p):
    """Styblinski-Tang: f = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i)."""
    x, y = xy[0], xy[1]
    return 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y)


# Linear regression (lesson 11, data preprocessing): least squares on a small generated data set
# whose two raw features differ ~100x in scale; `standardize` rescales them to unit variance.
_REGRESSION_SAMPLES = 200


def _regression_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(231)
    latent = rng.standard_normal((_REGRESSION_SAMPLES, 2))
    raw = latent * np.array([10.0, 0.1])  # feature scales 10 and 0.1: a 100x difference
    target = raw @ np.array([0.2, 2.0]) + 0.05 * rng.standard_normal(_REGRESSION_SAMPLES)
    standardized = (raw - raw.mean(0)) / raw.std(0)
    return raw.astype(np.float32), standardized.astype(np.float32), target.astype(np.float32)


REGRESSION_RAW, REGRESSION_STANDARDIZED, REGRESSION_TARGET = _regression_data()


def linear_regression(xy, p):
    """Least squares: f(w) = 1/(2n) ||X w - y||^2, X raw or standardized features.

    Hessian X^T X / n: raw features (scales 10 and 0.1) give condition number ~1e4, a long
    thin valley; standardized features give ~1, round contours.
    """
    features = jnp.where(p["standardize"] > 0.5, REGRESSION_STANDARDIZED, REGRESSION_RAW)
    w0, w1 = jnp.asarray(xy[0]), jnp.asarray(xy[1])
    # Samples along a new leading axis, so w0 and w1 may be arrays of points (see objective).
    expand = (slice(None),) + (None,) * w0.ndim
    residual = features[:, 0][expand] * w0 + features[:, 1][expand] * w1 - REGRESSION_TARGET[expand]
    return 0.5 * jnp.mean(residual**2, axis=0)


def _regression_points(params: Mapping[str, Any]) -> list[CriticalPoint]:
    features = REGRESSION_STANDARDIZED if params["standardize"] else REGRESSION_RAW
    weights = np.linalg.lstsq(features.astype(float), REGRESSION_TARGET.astype(float), rcond=None)[0]
    return [CriticalPoint(float(weights[0]), float(weights[1]), "global minimum")]


# Sharp and flat minima (SAM): a wide valley whose floor slopes to a flat minimum at x ~ 0.6,
# with a narrow crack (width 0.04, well under SAM's rho = 0.1) cut along the floor that ends in
# a sharp minimum at x ~ 0.135. The crack's depth `SHARP_FLAT_DEPTH` is chosen (below) so that both
# minima have the same value. Both lie on y = 0, where f is the profile h(x) = b (x - x_F)^2 - d s(x).
SHARP_FLAT = dict(a=10.0, b=1.0, x_flat=0.6, x_cut=0.2, cut_width=0.05, crack_width=0.04)


def _crack_profile(x, depth: float):
    """h(x) = f(x, 0), h' and h'' (NumPy, float64)."""
    c = SHARP_FLAT
    sig = 1 / (1 + np.exp(-(c["x_cut"] - x) / c["cut_width"]))
    h = c["b"] * (x - c["x_flat"]) ** 2 - depth * sig
    dh = 2 * c["b"] * (x - c["x_flat"]) + depth * sig * (1 - sig) / c["cut_width"]
    d2h = 2 * c["b"] - depth * sig * (1 - sig) * (1 - 2 * sig) / c["cut_width"] ** 2
    return h, dh, d2h


def _crack_minima(depth: float) -> list[float]:
    """x of the profile's local minima (the sharp one first), by a grid search and Newton's method."""
    xs = np.linspace(-2.0, 1.0, 30001)
    h = _crack_profile(xs, depth)[0]
    found = []
    for x in xs[1:-1][(h[1:-1] < h[:-2]) & (h[1:-1] < h[2:])]:
        for _ in range(50):
            _, dh, d2h = _crack_profile(x, depth)
            x -= dh / d2h
        found.append(float(x))
    return found


def _equal_depth() -> tuple[float, float, float]:
    """(depth, x_sharp, x_flat): the crack depth at which both minima have the same value (bisection)."""
    lo, hi = 0.1, 1.0
    for _ in range(60):
        depth = (lo + hi) / 2
        sharp, flat = _crack_minima(depth)[0], _crack_minima(depth)[-1]
        if _crack_profile(sharp, depth)[0] < _crack_profile(flat, depth)[0]:
            hi = depth
        else:
            lo = depth
    minima = _crack_minima(depth)
    return depth, minima[0], minima[-1]


SHARP_FLAT_DEPTH, SHARP_X, FLAT_X = _equal_depth()  # 0.2753, 0.1353, 0.5991


def sharp_flat(xy, p):
    """Sharp and flat minima: f = a y^2 + b (x - x_F)^2 - d sigmoid((x_c - x) / w) exp(-y^2 / (2 s^2)).

    A valley (curvature 2a across, 2b along) with its flat minimum near (x_F, 0), and a crack of width
    s along its floor for x < x_c, whose end is a sharp minimum of the same value: Hessian
    eigenvalues about 2 and 20 at the flat one, 13 and 155 at the sharp one.
    """
    c = SHARP_FLAT
    x, y = xy[0], xy[1]
    crack = jnp.exp(-(y**2) / (2 * c["crack_width"] ** 2)) / (1 + jnp.exp(-(c["x_cut"] - x) / c["cut_width"]))
    return c["a"] * y**2 + c["b"] * (x - c["x_flat"]) ** 2 - SHARP_FLAT_DEPTH * crack


# -- typed surfaces ------------------------------------------------------------------------
#
# A user types f(x, y) and its domain (optviz.expression reads both safely). The text is code, not
# a traced value: it selects a compiled function just as a registry key does. So a typed surface
# gets a key of its own, `custom:<canonical text>@<xmin,xmax,ymin,ymax>`, which SURFACES answers
# (SurfaceRegistry.__missing__) by parsing it again: the runner's jitted variants, keyed by the
# surface key as for every surface, are compiled once per expression and domain, and moving a
# slider never recompiles. The registry's own entry `custom` ("Your own f(x, y)") is the default
# expression, so that the selectbox, `list`, the links and the registry-parametrized tests see it.

CUSTOM = "custom"
TYPED_PREFIX = CUSTOM + ":"
DEFAULT_EXPRESSION = "0.5*(x**2/20 + y**2)"
DEFAULT_DOMAIN: Domain = ((-10.0, 10.0), (-10.0, 10.0))
TYPED_SURFACES_KEPT = 64
"""Typed surfaces kept built (each holds its function and its numerically found minima)."""
TYPED_LESSON = ("Your own surface: gradients and Hessians come from JAX as for every other surface; the minima "
                "marked are found numerically (a grid search over the domain, then Newton's method). Where f "
                "overflows or is undefined a path stops: a divergence.")
# The numerical search for minima: a grid over the domain, its lowest local minima polished.
FINDER_GRID = 81
FINDER_CANDIDATES = 16
FINDER_STEPS = 60


def typed_key(expression: Expression, domain: Domain) -> str:
    """The surface key of a parsed expression over a domain: one key per canonical text and domain."""
    return f"{TYPED_PREFIX}{expression.canonical}@{format_domain(domain)}"


def typed_surface(expression: str | Expression, domain: Any = DEFAULT_DOMAIN) -> Surface:
    """The Surface of a typed f(x, y) over `domain` ("XMIN,XMAX,YMIN,YMAX" or two pairs).

    Raises optviz.expression.ExpressionError (a ValueError) with a one-line message if the
    expression or the domain cannot be used."""
    parsed = expression if isinstance(expression, Expression) else parse_expression(expression)
    return SURFACES[typed_key(parsed, parse_domain(domain))]


def is_typed(surface: Surface | str) -> bool:
    """Whether a Surface (or key) is a typed f(x, y): the registry's `custom` or a derived key."""
    key = surface if isinstance(surface, str) else surface.key
    return key == CUSTOM or key.startswith(TYPED_PREFIX)


@functools.lru_cache(maxsize=TYPED_SURFACES_KEPT)
def _typed_from_key(key: str) -> Surface:
    text, sep, domain_text = key[len(TYPED_PREFIX):].rpartition("@")
    try:
        if not sep:
            raise ValueError
        return _typed(key, parse_expression(text), parse_domain(domain_text))
    except ValueError:
        raise KeyError(key) from None


def _typed(key: str, expression: Expression, domain: Domain, label: str | None = None) -> Surface:
    (x0, x1), (y0, y1) = domain
    fn = expression.function()
    text = expression.text if len(expression.text) <= 60 else expression.text[:59] + "…"

    @functools.cache
    def points() -> tuple[CriticalPoint, ...]:
        return tuple(numeric_minima(fn, domain))

    return Surface(
        key=key,
        label=label or f"f(x, y) = {text}",
        fn=fn,
        domain=domain,
        default_start=(x0 + 0.05 * (x1 - x0), y0 + 0.7 * (y1 - y0)),
        latex=f"f(x, y) = {expression.latex}",
        lesson=TYPED_LESSON,
        critical_points=lambda params: list(points()),
    )


def numeric_minima(fn: Callable[[Array, Mapping[str, Array]], Array], domain: Domain) -> list[CriticalPoint]:
    """The minima of f(xy, {}) inside `domain`, found numerically.

    A FINDER_GRID^2 grid over the domain; its cells lower than their 8 neighbours (the lowest
    FINDER_CANDIDATES) are polished by Levenberg-Marquardt (Newton's step with H + lambda I,
    lambda shrunk after a step that lowers f, grown after one that does not). A point counts if it
    stays inside the domain where f is finite, its gradient is below 0.1% of the grid's typical
    slope and its Hessian is positive semi-definite. Near-duplicates merge. The lowest are global
    minima unless f goes lower elsewhere on the grid (e.g. at the border: unbounded below), in
    which case all are local.
    """
    (x0, x1), (y0, y1) = domain
    xs = np.linspace(x0, x1, FINDER_GRID, dtype=np.float32)
    ys = np.linspace(y0, y1, FINDER_GRID, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z, points, values, gradient_norms, eigenvalues, valid = jax.device_get(_finder(fn)(grid_x, grid_y))
    finite = np.isfinite(z)
    if not finite.any():
        return []
    z_lo, z_hi = float(z[finite].min()), float(z[finite].max())
    extent = max(x1 - x0, y1 - y0)
    slope = max(z_hi - z_lo, 1e-12) / extent
    margin = 1e-6 * extent
    inside = ((points[:, 0] >= x0 - margin) & (points[:, 0] <= x1 + margin)
              & (points[:, 1] >= y0 - margin) & (points[:, 1] <= y1 + margin))
    curvature = np.nan_to_num(np.abs(eigenvalues).max(axis=1), nan=np.inf)
    keep = (valid & inside & np.isfinite(values) & np.all(np.isfinite(points), axis=1)
            & (gradient_norms <= 1e-3 * slope) & (eigenvalues.min(axis=1) >= -1e-3 * np.maximum(curvature, 1e-6)))
    found: list[tuple[np.ndarray, float]] = []
    for i in np.argsort(np.where(keep, values, np.inf)):
        if not keep[i]:
            break
        if all(np.linalg.norm(points[i] - p) > 1e-3 * extent for p, _ in found):
            found.append((points[i].astype(float), float(values[i])))
    if not found:
        return []
    best = found[0][1]
    tolerance = 1e-5 * max(1.0, abs(best)) + 1e-6 * (z_hi - z_lo)
    unbounded = z_lo < best - tolerance  # f goes lower on the grid than at any minimum found
    return [CriticalPoint(float(p[0]), float(p[1]),
                          "global minimum" if v <= best + tolerance and not unbounded else "local minimum")
            for p, v in found]


def _finder(fn):
    """The jitted search of `numeric_minima` for one f (compiled once per typed surface)."""
    f = lambda p: fn(p, {})  # noqa: E731
    grad, hessian = jax.grad(f), jax.hessian(f)

    def polish(start):
        h0 = hessian(start)
        scale = 1.0 + jnp.nan_to_num(jnp.max(jnp.abs(h0)), nan=0.0, posinf=0.0)

        def step(_, state):
            p, fp, damping = state
            proposal = p - jnp.linalg.solve(hessian(p) + damping * jnp.eye(2, dtype=p.dtype), grad(p))
            fq = f(proposal)
            better = jnp.isfinite(fq) & (fq <= fp) & jnp.all(jnp.isfinite(proposal))
            damping = jnp.clip(jnp.where(better, damping * 0.3, damping * 4.0), 1e-9 * scale, 1e9 * scale)
            return jnp.where(better, proposal, p), jnp.where(better, fq, fp), damping

        p, fp, _ = jax.lax.fori_loop(0, FINDER_STEPS, step, (start, f(start), 1e-3 * scale))
        return p, fp, jnp.linalg.norm(grad(p)), jnp.linalg.eigvalsh(hessian(p))

    @jax.jit
    def search(grid_x, grid_y):
        z = fn((grid_x, grid_y), {})
        high = jnp.where(jnp.isfinite(z), z, jnp.inf)
        padded = jnp.pad(high, 1, constant_values=jnp.inf)
        rows, cols = z.shape
        neighbours = jnp.stack([padded[1 + dy:1 + dy + rows, 1 + dx:1 + dx + cols]
                                for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx])
        lowest = (high < neighbours.min(axis=0)).ravel()
        score = jnp.where(lowest, high.ravel(), jnp.inf)
        _, index = jax.lax.top_k(-score, FINDER_CANDIDATES)
        starts = jnp.stack([grid_x.ravel()[index], grid_y.ravel()[index]], axis=1)
        points, values, gradient_norms, eigenvalues = jax.vmap(polish)(starts)
        return z, points, values, gradient_norms, eigenvalues, jnp.isfinite(score[index])

    return search


class SurfaceRegistry(dict):
    """{key: Surface}, which also answers the key of a typed surface (`typed_key`): `SURFACES[key]`
    works for it wherever a registry key is used (the runner's compiled variants, the views), while
    listing, `in` and `.get` see only the registry's own entries."""

    def __missing__(self, key):
        if isinstance(key, str) and key.startswith(TYPED_PREFIX):
            return _typed_from_key(key)
        raise KeyError(key)


SURFACES: dict[str, Surface] = SurfaceRegistry({
    s.key: s
    for s in [
        Surface(
            key="ill_conditioned",
            label="Ill-conditioned quadratic (ravine)",
            fn=ill_conditioned,
            domain=((-10.0, 10.0), (-10.0, 10.0)),
            default_start=(-9.0, 4.0),
            latex=r"f = \tfrac12\left(u^2/\kappa + v^2\right),\ (u, v) = R(-\theta)\,(x, y)",
            lesson="A ravine: steep across, shallow along. SGD's step must suit the steep walls, so it crawls along "
            "the floor (and zigzags across when η > 1); momentum speeds up the crawl but swings across.",
            critical_points=_fixed((0.0, 0.0, "global minimum")),
            params=(
                Param("condition_number", "Condition number κ", 20.0, 1.0, 1000.0, log=True,
                      help="Ratio of the steepest to the shallowest curvature (Hessian eigenvalues 1 and 1/κ)."),
                Param("angle", "Rotation angle", 0.0, -90.0, 90.0, unit="deg",
                      help="Rotates the ravine; at 45° it no longer lies along an axis, which hurts per-coordinate (adaptive) methods."),
            ),
        ),
        Surface(
            key="saddle",
            label="Saddle x² − y²",
            fn=saddle,
            domain=((-2.0, 2.0), (-2.0, 2.0)),
            default_start=(-1.8, 0.001),
            latex=r"f = x^2 - y^2",
            lesson="Near a saddle the gradient is tiny: started close to its ridge (y ≈ 0), gradient descent lingers "
            "there; momentum and Adam escape downhill much sooner.",
            critical_points=_fixed((0.0, 0.0, "saddle")),
        ),
        Surface(
            key="monkey_saddle",
            label="Monkey saddle x³ − 3xy²",
            fn=monkey_saddle,
            domain=((-2.0, 2.0), (-2.0, 2.0)),
            default_start=(0.6, 0.02),
            latex=r"f = x^3 - 3xy^2",
            lesson="A flat saddle with three ways down: the gradient and the Hessian both vanish at the origin.",
            critical_points=_fixed((0.0, 0.0, "saddle")),
        ),
        Surface(
            key="local_minimum",
            label="Local minimum (tilted double well)",
            fn=local_minimum,
            domain=((-2.5, 2.5), (-2.0, 2.0)),
            default_start=(2.0, 1.5),
            latex=r"f = (x^2 - 1)^2 + t\,x + \tfrac12 y^2",
            lesson="With a small step gradient descent stops in the first (shallow) well it meets; momentum falling "
            "from high enough, or a large step, can carry it over the ridge into the deeper one.",
            critical_points=_double_well_points,
            params=(
                Param("tilt", "Tilt t", 0.3, 0.0, 1.0,
                      help="How much deeper the left well is than the right one."),
            ),
            learning_rates={'sgd': 0.01, 'momentum': 0.01, 'nesterov': 0.01, 'newton': 0.3},
        ),
        Surface(
            key="rosenbrock",
            label="Rosenbrock (banana valley)",
            fn=rosenbrock,
            domain=((-2.0, 2.0), (-1.0, 3.0)),
            default_start=(-1.5, 2.5),
            latex=r"f = (a - x)^2 + b\,(y - x^2)^2",
            lesson="A curved, flat-bottomed valley: at a stable step (η ≲ 0.001 for b = 100) gradient descent falls "
            "in fast, then follows it slowly to the minimum at (a, a²).",
            critical_points=lambda p: [CriticalPoint(float(p["a"]), float(p["a"]) ** 2, "global minimum")],
            params=(
                Param("a", "a", 1.0, -1.5, 1.5, help="The minimum sits at (a, a²)."),
                Param("b", "b", 100.0, 1.0, 1000.0, log=True, help="Steepness of the valley walls."),
            ),
            log_contours=True,
            learning_rates={'sgd': 0.002, 'momentum': 0.001, 'nesterov': 0.0005, 'radam': 0.003, 'sam': 0.001},
        ),
        Surface(
            key="beale",
            label="Beale",
            fn=beale,
            domain=((-4.5, 4.5), (-4.5, 4.5)),
            default_start=(-1.0, 1.5),
            latex=r"f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            lesson="Sharp ridges and flat plateaus: step sizes that suit one region fail in another.",
            critical_points=_fixed((3.0, 0.5, "global minimum"), (0.0, 1.0, "saddle")),
            log_contours=True,
            # L-BFGS follows the valley toward x -> -inf (f -> 0.45) from the default start, at any rate: at
            # 1 (optax's) it is 100 domain widths out by step 151, at 0.3 by step 251.
            learning_rates={'sgd': 0.0002, 'momentum': 0.0001, 'nesterov': 0.0001, 'newton': 0.03, 'radam': 0.03,
                            'sam': 0.0002, 'lbfgs': 0.3},
        ),
        Surface(
            key="himmelblau",
            label="Himmelblau (four minima)",
            fn=himmelblau,
            domain=((-5.0, 5.0), (-5.0, 5.0)),
            default_start=(-0.5, -0.5),
            latex=r"f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            lesson="Four equally good minima: which one an optimizer finds depends on where it starts and how it moves.",
            critical_points=_fixed(
                (3.0, 2.0, "global minimum"),
                (-2.805118086952745, 3.131312518250573, "global minimum"),
                (-3.779310253377747, -3.283185991286170, "global minimum"),
                (3.584428340330492, -1.848126526964404, "global minimum"),
                (-0.270844590667, -0.923038556480, "maximum"),
            ),
            log_contours=True,
            learning_rates={'sgd': 0.03, 'momentum': 0.015, 'nesterov': 0.01, 'newton': 0.7, 'sam': 0.03},
        ),
        Surface(
            key="rastrigin",
            label="Rastrigin (many local minima)",
            fn=rastrigin,
            domain=((-5.12, 5.12), (-5.12, 5.12)),
            default_start=(3.1, 2.2),
            latex=r"f = 2A + \sum_i \left(x_i^2 - A\cos 2\pi x_i\right)",
            lesson="A bowl covered in ripples: every ripple is a local minimum that traps plain gradient descent at "
            "any stable step (η < 0.005 for A = 10).",
            critical_points=_rastrigin_points,
            params=(Param("A", "Ripple amplitude A", 10.0, 0.0, 20.0, help="Height of the ripples."),),
            learning_rates={'sgd': 0.002, 'momentum': 0.001, 'nesterov': 0.001},
        ),
        Surface(
            key="six_hump_camel",
            label="Six-hump camel",
            fn=six_hump_camel,
            domain=((-3.0, 3.0), (-2.0, 2.0)),
            default_start=(-1.5, -1.0),
            latex=r"f = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2",
            lesson="Two global minima among four local ones.",
            critical_points=_fixed(
                (0.0898420131003, -0.712656403020, "global minimum"),
                (-0.0898420131003, 0.712656403020, "global minimum"),
                (1.70360671418, -0.796083568565, "local minimum"),
                (-1.70360671418, 0.796083568565, "local minimum"),
                (1.60710475292, 0.568651454656, "local minimum"),
                (-1.60710475292, -0.568651454656, "local minimum"),
            ),
            learning_rates={'sgd': 0.07, 'momentum': 0.03, 'nesterov': 0.03},
        ),
        Surface(
            key="styblinski_tang",
            label="Styblinski–Tang",
            fn=styblinski_tang,
            domain=((-5.0, 5.0), (-5.0, 5.0)),
            default_start=(4.5, 4.5),
            latex=r"f = \tfrac12\sum_i \left(x_i^4 - 16x_i^2 + 5x_i\right)",
            lesson="Four basins, only one of them the deepest: descent from a random start ends there only about "
            "a quarter of the time.",
            critical_points=_fixed(
                (-2.903534027771, -2.903534027771, "global minimum"),
                (2.746802772, -2.903534027771, "local minimum"),
                (-2.903534027771, 2.746802772, "local minimum"),
                (2.746802772, 2.746802772, "local minimum"),
                (0.156731259, 0.156731259, "maximum"),
            ),
            learning_rates={'sgd': 0.07, 'momentum': 0.03, 'nesterov': 0.02, 'radam': 0.03, 'sam': 0.07},
        ),
        Surface(
            key="linear_regression",
            label="Linear regression (least squares)",
            fn=linear_regression,
            domain=((-1.0, 3.0), (-1.0, 3.0)),
            default_start=(-0.5, -0.5),
            latex=r"f(w) = \tfrac{1}{2n}\lVert Xw - y\rVert^2",
            lesson="Raw features on scales 100x apart make a long thin valley: gradient descent needs η < 0.023 "
            "and then crawls along it; standardized features make it round and it converges in far fewer steps "
            "(adaptive methods rescale each feature themselves).",
            critical_points=_regression_points,
            params=(
                Param("standardize", "Standardize features", False, kind="bool",
                      help="Subtract the mean and divide by the standard deviation of each feature."),
            ),
            learning_rates={'sgd': 0.02, 'momentum': 0.03, 'nesterov': 0.015, 'sam': 0.02},
        ),
        Surface(
            key="sharp_flat",
            label="Sharp and flat minima (SAM)",
            fn=sharp_flat,
            domain=((-2.0, 1.0), (-0.6, 0.6)),
            default_start=(-0.6, 0.45),
            latex=r"f = 10y^2 + (x - 0.6)^2 - 0.275\,\sigma\!\left(\tfrac{0.2 - x}{0.05}\right) e^{-y^2/(2 \cdot 0.04^2)}",
            lesson="A valley slopes to a flat minimum (right); a crack 0.04 wide along its floor ends in a sharp "
            "minimum of the same depth (curvature 155 across it, 20 at the flat one). From a 25 × 25 grid of starts "
            "(300 steps): SGD stops in the sharp one from 73%, Adam from 64%; SAM, its gradient taken ρ = 0.1 uphill, "
            "reaches the flat one from 97%; all three do from right of the crack's end (x > 0.35).",
            critical_points=_fixed((SHARP_X, 0.0, "global minimum"), (FLAT_X, 0.0, "global minimum")),
            log_contours=True,
            # SGD and SAM at one rate, stable all along the crack (2 / 192 = 0.0104, its largest curvature);
            # Adam's and Lion's steps (~η) must be shorter than the crack is wide, or they step over it.
            learning_rates={'sgd': 0.008, 'momentum': 0.008, 'nesterov': 0.008, 'sam': 0.008, 'adam': 0.01,
                            'adamw': 0.01, 'lion': 0.01},
        ),
    ]
})
SURFACES[CUSTOM] = _typed(CUSTOM, parse_expression(DEFAULT_EXPRESSION), DEFAULT_DOMAIN, label="Your own f(x, y)")

# -- penalties (any surface) ---------------------------------------------------------------

PENALTIES = ("none", "l1", "l2")
PENALTY_PARAMS: tuple[Param, ...] = (
    Param("penalty", "Penalty", "none", kind="choice", choices=PENALTIES, choice_labels=("None", "L1 (lasso)", "L2 (ridge)"),
          help="Add a weight penalty: L2 (strength·‖w‖²) or L1 (strength·‖w‖₁)."),
    Param("strength", "Penalty strength λ", 0.0, 0.0, 10.0,
          help="Regularization strength λ."),
)


def penalty_value(xy, penalty: str, strength):
    """Penalty term: lambda ||w||_2^2 (l2), lambda ||w||_1 (l1) or 0 (none)."""
    if penalty == "l2":
        return strength * (xy[0] ** 2 + xy[1] ** 2)
    if penalty == "l1":
        return strength * (jnp.abs(xy[0]) + jnp.abs(xy[1]))
    return 0.0


def objective(surface_key: str, penalty: str = "none") -> Callable[[Array, Mapping[str, Array], Array], Array]:
    """f(xy, surface_params, strength) = surface + penalty; surface_key and penalty are static.

    Every surface and penalty reads only xy[0] and xy[1], elementwise, so xy is a point of shape
    (2,) or a pair (x, y) of equally shaped arrays, giving f at every point at once: the end-point
    runner keeps its points in that structure-of-arrays form, which vectorizes far better.
    """
    surface_fn = SURFACES[surface_key].fn

    def f(xy, surface_params, strength):
        return surface_fn(xy, surface_params) + penalty_value(xy, penalty, strength)

    return f


def surface_param_values(surface: Surface, values: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter values as JAX-ready floats (bools become 0/1 so they can be traced)."""
    return {p.name: float(values.get(p.name, p.default)) for p in surface.params}


def resolve_surface(name: str) -> Surface:
    """The Surface named `name`; ValueError listing the valid names otherwise."""
    try:
        return SURFACES[name]
    except KeyError:
        raise ValueError(f"unknown surface {name!r}; choose one of: {', '.join(SURFACES)}") from None
