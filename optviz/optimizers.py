"""OPTIMIZERS: every optimizer the lecture compares, as optax GradientTransformations.

Each entry pairs an optax transformation (optax's own wherever optax has the variant) with
its hyperparameters as `Param` specs (optax's names, the lecture's defaults) and its update
rule in LaTeX, exactly as computed. Two variants optax lacks are small `scale_by_*`
factories here: Adam with a traced bias-correction switch, and Newton's method.

Hyperparameters arrive as traced JAX scalars (a slider never recompiles); the learning rate
arrives as a schedule, a function of the step count.

References:
  cs231n, lecture 7; Polyak 1964 (momentum); Nesterov 1983; Duchi et al. 2011 (AdaGrad);
  Tieleman & Hinton 2012 (RMSProp); Kingma & Ba 2015 (Adam); Loshchilov & Hutter 2019 (AdamW).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple

import jax
import jax.numpy as jnp
import optax

from optviz.params import Param

Schedule = Callable[[jax.Array], jax.Array]


class ScaleByAdamState(NamedTuple):
    """State of `scale_by_adam_switchable`."""

    count: jax.Array
    mu: Any
    nu: Any


def scale_by_adam_switchable(b1, b2, eps, bias_correction) -> optax.GradientTransformation:
    r"""Adam's scaling with a traced switch for bias correction.

    m_t = b1 m_{t-1} + (1 - b1) g_t,  v_t = b2 v_{t-1} + (1 - b2) g_t^2,
    with correction: m_hat = m_t / (1 - b1^t), v_hat = v_t / (1 - b2^t); without: m_hat = m_t, v_hat = v_t;
    update = m_hat / (sqrt(v_hat) + eps).

    Without correction the first step is (1 - b1) g / (sqrt(1 - b2) |g|) ~ 3.16 x the corrected one
    for b1 = 0.9, b2 = 0.999, and later steps stay distorted for ~1/(1 - b2) steps.

    Args:
      b1, b2: decay rates of the first and second moments.
      eps: added to the denominator.
      bias_correction: 1.0 (on) or 0.0 (off); traced, so toggling never recompiles.

    Returns:
      An optax GradientTransformation (matches optax.scale_by_adam when the switch is on).

    References:
      Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Sec. 3.
    """

    def init_fn(params):
        zeros = optax.tree.zeros_like(params)
        return ScaleByAdamState(count=jnp.zeros([], jnp.int32), mu=zeros, nu=optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        del params
        mu = optax.tree.update_moment(updates, state.mu, b1, 1)
        nu = optax.tree.update_moment_per_elem_norm(updates, state.nu, b2, 2)
        count = optax.safe_increment(state.count)
        on = bias_correction > 0.5
        # Scalar correction factors: one multiply per element instead of a select and a divide.
        mu_factor = jnp.where(on, 1 / (1 - b1**count), 1.0)
        nu_factor = jnp.where(on, 1 / (1 - b2**count), 1.0)
        scaled = jax.tree.map(lambda m, v: m * mu_factor / (jnp.sqrt(v * nu_factor) + eps), mu, nu)
        return scaled, ScaleByAdamState(count=count, mu=mu, nu=nu)

    return optax.GradientTransformation(init_fn, update_fn)


def scale_by_newton(damping) -> optax.GradientTransformationExtraArgs:
    r"""Newton's direction: g -> (H + damping I)^{-1} g, the Hessian H passed as an extra arg.

    With damping 0 this is the pure Newton step, which jumps to the critical point of the local
    quadratic model: a minimum of a convex quadratic in one step, but just as readily a saddle.

    Args:
      damping: Levenberg-Marquardt damping lambda >= 0 (traced).

    Returns:
      An optax GradientTransformationExtraArgs; call update(g, state, params, hessian=H).

    References:
      Nocedal & Wright, "Numerical Optimization", 2nd ed., Ch. 3; Dauphin et al. 2014 (saddles).
    """

    def init_fn(params):
        del params
        return optax.EmptyState()

    def update_fn(updates, state, params=None, *, hessian=None, **extra_args):
        del params, extra_args
        if hessian is None:
            raise ValueError("scale_by_newton needs the Hessian: update(..., hessian=H)")
        eye = jnp.eye(updates.shape[0], dtype=updates.dtype)
        return jnp.linalg.solve(hessian + damping * eye, updates), state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@dataclass(frozen=True)
class Optimizer:
    """One optimizer of the lecture.

    Args:
      key: registry key (URLs, JSON, CLI).
      label: display name.
      params: Param specs (optax's names), learning_rate first.
      build: (hyperparameters, learning-rate schedule) -> optax GradientTransformation.
      update_rule: LaTeX of the update as computed (g = gradient; eta_t = the learning rate times the
        schedule's factor at step t, which is what optax applies).
      needs_hessian: whether update() takes `hessian=` (second-order methods).
      lesson: one line in the lecture's terms.
      color: its colour on every figure and export (Okabe & Ito's colour-blind-safe palette, and
        Paul Tol's wine for Newton;
        copies of one optimizer get shades and dashes of it).
    """

    key: str
    label: str
    params: tuple[Param, ...]
    build: Callable[[Mapping[str, jax.Array], Schedule], optax.GradientTransformation]
    update_rule: str
    lesson: str
    color: str
    needs_hessian: bool = False


def _learning_rate(default: float) -> Param:
    return Param("learning_rate", "Learning rate η", default, 1e-5, 10.0, log=True,
                 help="Step size. Log scale; type an exact value in the box.")


_MOMENTUM = Param("momentum", "Momentum μ", 0.9, 0.0, 0.9999,
                  help="Fraction of the velocity kept each step (friction = 1 − μ).")
_EPS = Param("eps", "ε", 1e-8, 1e-12, 1e-1, log=True, help="Added to the denominator for numerical safety.")
_B1 = Param("b1", "β₁", 0.9, 0.0, 0.9999, help="Decay of the first moment (momentum).")
_B2 = Param("b2", "β₂", 0.999, 0.0, 0.9999, help="Decay of the second moment (squared gradients).")

OPTIMIZERS: dict[str, Optimizer] = {
    o.key: o
    for o in [
        Optimizer(
            key="sgd",
            label="SGD",
            params=(_learning_rate(0.1),),
            build=lambda h, lr: optax.sgd(lr),
            update_rule=r"x_{t+1} = x_t - \eta_t\, g_t",
            lesson="Follows the steepest slope: crawls along ravines (zigzagging across when η > 1/curvature), slows down on plateaus and near saddles.",
            color="#000000",
        ),
        Optimizer(
            key="momentum",
            label="Momentum",
            params=(_learning_rate(0.1), _MOMENTUM),
            build=lambda h, lr: optax.sgd(lr, momentum=h["momentum"]),
            # optax's trace: the velocity sums raw gradients and the current step size scales it, so
            # with a schedule eta_t multiplies all of the velocity (not only the newest gradient).
            update_rule=r"v_{t+1} = \mu v_t + g_t,\quad x_{t+1} = x_t - \eta_t\, v_{t+1}",
            lesson="A heavy ball: velocity builds along consistent directions and speeds up the crawl along a ravine, but it overshoots and swings across steep walls.",
            color="#D55E00",
        ),
        Optimizer(
            key="nesterov",
            label="Nesterov",
            params=(_learning_rate(0.1), _MOMENTUM),
            build=lambda h, lr: optax.sgd(lr, momentum=h["momentum"], nesterov=True),
            update_rule=r"v_{t+1} = \mu v_t + g_t,\quad x_{t+1} = x_t - \eta_t\,(g_t + \mu v_{t+1})",
            lesson="Momentum with a look-ahead: the gradient is taken where the velocity is about to carry it, so it overshoots less.",
            color="#E69F00",
        ),
        Optimizer(
            key="adagrad",
            label="AdaGrad",
            params=(
                _learning_rate(0.5),
                Param("initial_accumulator_value", "Initial accumulator", 0.0, 0.0, 1.0,
                      help="Starting value of the sum of squared gradients."),
                Param("eps", "ε", 1e-7, 1e-12, 1e-1, log=True, help="Added inside the square root."),
            ),
            build=lambda h, lr: optax.adagrad(lr, initial_accumulator_value=h["initial_accumulator_value"], eps=h["eps"]),
            update_rule=r"G_t = G_{t-1} + g_t^2,\quad x_{t+1} = x_t - \eta_t\, g_t / \sqrt{G_t + \varepsilon}",
            lesson="Per-coordinate steps divided by the root of the sum of all past squared gradients: they shrink like η/√t, so with a small η it stalls short of the minimum.",
            color="#009E73",
        ),
        Optimizer(
            key="rmsprop",
            label="RMSProp",
            params=(
                _learning_rate(0.05),
                Param("decay", "Decay ρ", 0.9, 0.0, 0.9999, help="Decay of the running mean of squared gradients (0.9 or 0.99)."),
                _EPS,
            ),
            build=lambda h, lr: optax.rmsprop(lr, decay=h["decay"], eps=h["eps"]),
            update_rule=r"s_t = \rho s_{t-1} + (1 - \rho)\, g_t^2,\quad x_{t+1} = x_t - \eta_t\, g_t / \sqrt{s_t + \varepsilon}",
            lesson="AdaGrad with a leaky memory: recent gradients set the step, so it keeps going.",
            color="#56B4E9",
        ),
        Optimizer(
            key="adam",
            label="Adam",
            params=(
                _learning_rate(0.1),
                _B1,
                _B2,
                _EPS,
                Param("bias_correction", "Bias correction", True, kind="bool",
                      help="Divide the moments by (1 − βᵗ); without it the first steps are distorted."),
            ),
            build=lambda h, lr: optax.chain(
                scale_by_adam_switchable(h["b1"], h["b2"], h["eps"], h["bias_correction"]),
                optax.scale_by_learning_rate(lr),
            ),
            update_rule=(
                r"m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,\quad "
                r"\hat m_t = \frac{m_t}{1 - \beta_1^t},\ \hat v_t = \frac{v_t}{1 - \beta_2^t},\quad "
                r"x_{t+1} = x_t - \eta_t\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}"
            ),
            lesson="Momentum plus RMSProp plus bias correction: the default choice; each early step is about η per coordinate.",
            color="#0072B2",
        ),
        Optimizer(
            key="adamw",
            label="AdamW",
            params=(
                _learning_rate(0.1),
                _B1,
                _B2,
                _EPS,
                Param("weight_decay", "Weight decay λ", 0.01, 0.0, 1.0, help="Decoupled weight decay: shrinks x by η λ x each step."),
            ),
            build=lambda h, lr: optax.adamw(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], weight_decay=h["weight_decay"]),
            update_rule=(
                r"x_{t+1} = x_t - \eta_t\left(\frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon} + \lambda x_t\right)"
                r"\quad(\hat m_t, \hat v_t \text{ as in Adam})"
            ),
            lesson="Adam with weight decay applied to the weights directly, not through the gradient.",
            color="#CC79A7",
        ),
        Optimizer(
            key="newton",
            label="Newton",
            params=(
                _learning_rate(1.0),
                Param("damping", "Damping λ", 0.0, 0.0, 100.0,
                      help="Adds λI to the Hessian; 0 is the pure Newton step, which is drawn to saddles."),
            ),
            build=lambda h, lr: optax.chain(scale_by_newton(h["damping"]), optax.scale_by_learning_rate(lr)),
            update_rule=r"x_{t+1} = x_t - \eta_t\, (H_t + \lambda I)^{-1} g_t",
            lesson="Second order: uses the curvature (Hessian) to jump to the minimum of the local quadratic model; no learning rate needed on a quadratic, but a saddle attracts it too.",
            color="#882255",
            needs_hessian=True,
        ),
    ]
}


def resolve_optimizer(name: str) -> Optimizer:
    """The Optimizer named `name`; ValueError listing the valid names otherwise."""
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}") from None


def traced_values(optimizer: Optimizer, values: Mapping[str, Any]) -> dict[str, float]:
    """Hyperparameters as floats for tracing (bools become 0/1), defaults filling gaps."""
    return {p.name: float(values.get(p.name, p.default)) for p in optimizer.params}
