"""OPTIMIZERS: every optimizer the lecture compares, as optax GradientTransformations.

Each entry pairs an optax transformation (optax's own wherever optax has the variant) with
its hyperparameters as `Param` specs (optax's names, the lecture's defaults) and its update
rule in LaTeX, exactly as computed. Two variants optax lacks are small `scale_by_*`
factories here: Adam with a traced bias-correction switch, and Newton's method.

Some optimizers need more than the gradient: their `extra_args` name what the runner passes to
`update()` (Newton: the Hessian; L-BFGS: the value, the gradient and the function for its line
search; SAM: a gradient function for its perturbed point). Schedule-free AdamW's parameters are its
gradient point y; the point drawn is its averaged iterate x (`shown`).

Hyperparameters arrive as traced JAX scalars (a slider never recompiles); the learning rate
arrives as a schedule, a function of the step count.

References:
  cs231n, lecture 7; Polyak 1964 (momentum); Nesterov 1983; Duchi et al. 2011 (AdaGrad);
  Tieleman & Hinton 2012 (RMSProp); Kingma & Ba 2015 (Adam); Loshchilov & Hutter 2019 (AdamW);
  Chen et al. 2023 (Lion); Liu et al. 2020 (RAdam); Dozat 2016 (NAdam); Reddi et al. 2018
  (AMSGrad); Zhuang et al. 2020 (AdaBelief); Nocedal & Wright 2006, Alg. 7.4 (L-BFGS) and 3.5-3.6
  (zoom line search); Defazio et al. 2024 (schedule-free); Foret et al. 2021 (SAM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple

import jax
import jax.numpy as jnp
import optax
import optax.contrib

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
      lesson: one line in the lecture's terms.
      color: its colour on every figure and export: Okabe & Ito's colour-blind-safe palette for the
        lecture's classics, Paul Tol's (muted, bright, dark, sunset) and ColorBrewer's for Newton
        and the modern ones, chosen so that no two are alike to normal vision (CIELAB distance >= 20)
        or with red-green colour blindness (>= 10; tests/test_modern_optimizers.py); copies of one
        optimizer get shades and dashes of it.
      extra_args: the keyword arguments update() needs besides (gradient, state, params), which the
        runner supplies: "hessian" (the Hessian at params), "value" (f at params), "grad" (the
        gradient), "value_fn" (params -> f, for a line search), "grad_fn" ((params, i) -> gradient
        there, for SAM's perturbed point). Empty for plain first-order methods.
      elementwise: whether the update acts on each coordinate alone (no norms, dot products or
        matrix solves), so that many points may run as one pair of arrays (the end-point kernel).
      shown: (params, state) -> the point drawn, where it is not the params themselves
        (schedule-free: the averaged iterate x; its params are the gradient point y). None: params.
      evaluations: state -> evaluations of f and its gradient the last update made (L-BFGS: its line
        search's); the legend reports them. None: none beyond the one gradient per step.
      step_size: (state after update t, hyperparameters, eta_t) -> the effective step size per
        coordinate of update t: what multiplies the (momentum of the) gradient in each coordinate,
        eta_t / (sqrt(v_hat_t) + eps) for the adaptive methods, eta_t itself for SGD and momentum
        (the lecture's "per-parameter learning rate"). None where no such number exists: Newton and
        L-BFGS mix the coordinates (a matrix), Lion keeps only a sign.
    """

    key: str
    label: str
    params: tuple[Param, ...]
    build: Callable[[Mapping[str, jax.Array], Schedule], optax.GradientTransformation]
    update_rule: str
    lesson: str
    color: str
    extra_args: tuple[str, ...] = ()
    elementwise: bool = True
    shown: Callable[[Any, Any], Any] | None = None
    evaluations: Callable[[Any], jax.Array] | None = None
    step_size: Callable[[Any, Mapping[str, jax.Array], jax.Array], jax.Array] | None = None

    @property
    def needs_hessian(self) -> bool:
        """Whether update() takes `hessian=` (second-order methods)."""
        return "hessian" in self.extra_args


def _learning_rate(default: float) -> Param:
    return Param("learning_rate", "Learning rate η", default, 1e-5, 10.0, log=True,
                 help="Step size. Log scale; type an exact value in the box.")


_MOMENTUM = Param("momentum", "Momentum μ", 0.9, 0.0, 0.9999,
                  help="Fraction of the velocity kept each step (friction = 1 − μ).")
_EPS = Param("eps", "ε", 1e-8, 1e-12, 1e-1, log=True, help="Added to the denominator for numerical safety.")
_B1 = Param("b1", "β₁", 0.9, 0.0, 0.9999, help="Decay of the first moment (momentum).")
_B2 = Param("b2", "β₂", 0.999, 0.0, 0.9999, help="Decay of the second moment (squared gradients).")

# -- modern optimizers, from optax ------------------------------------------------------------


def _sam(learning_rate, rho) -> optax.GradientTransformationExtraArgs:
    r"""SAM as optax's drop-in example builds it: optax.contrib.sam in opaque mode, one SAM step per update.

    epsilon_t = rho g_t / ||g_t||, x_{t+1} = x_t - eta_t grad f(x_t + epsilon_t): the adversarial optimizer
    (normalize, then SGD with step rho) moves to the perturbed point, `grad_fn` gives the gradient there,
    and the outer SGD steps from x_t with it. The perturbation is 0 where g_t = 0 (`zero_nans`: 0 / 0
    would be NaN at an exact critical point, e.g. a start at the minimum).

    Args:
      learning_rate: the outer SGD's step size (a schedule).
      rho: the perturbation radius.

    Returns:
      An optax GradientTransformationExtraArgs; call update(g, state, x, grad_fn=(x, i) -> gradient).

    References:
      Foret et al., "Sharpness-Aware Minimization for Efficiently Improving Generalization", ICLR 2021;
      optax's example notebook examples/contrib/sam.ipynb (lr 0.01, rho 0.1, sync_period 2).
    """
    adversarial = optax.chain(optax.contrib.normalize(), optax.zero_nans(), optax.sgd(rho))
    return optax.contrib.sam(optax.sgd(learning_rate), adversarial, sync_period=2, opaque_mode=True)


def _line_search_evaluations(state) -> jax.Array:
    """Evaluations of f and its gradient that L-BFGS's zoom line search made in its last update."""
    return optax.tree.get(state, "info").num_linesearch_steps


# -- effective step sizes per coordinate (Optimizer.step_size) -------------------------------------
# Each reads the optimizer's own state after update t (so its count is t + 1) and returns the factor
# that update applied to each coordinate; tests/test_step_sizes.py rebuilds them from the gradients.


def _same_for_all(state, h, eta) -> jax.Array:
    """SGD, momentum, SAM: one step size eta_t for every coordinate."""
    del state, h
    return jnp.full(2, eta)


def _moment(state, name: str) -> jax.Array:
    """A field of the scaling transformation's state: the first of optax's chain (a learning-rate
    schedule's own state, later in the chain, has a `count` too)."""
    return getattr(state[0], name)


def _over_root(v_hat, eps, eta) -> jax.Array:
    """eta / (sqrt(v_hat) + eps)."""
    return eta / (jnp.sqrt(v_hat) + eps)


def _adam_like(state, h, eta) -> jax.Array:
    """optax's scale_by_adam (AdamW, NAdam): eta_t / (sqrt(v_t / (1 - b2^t)) + eps)."""
    count = _moment(state, "count")
    return _over_root(_moment(state, "nu") / (1 - h["b2"] ** count), h["eps"], eta)


def _adam_switchable(state, h, eta) -> jax.Array:
    """`scale_by_adam_switchable`: as `_adam_like`, the correction only when switched on."""
    count = _moment(state, "count")
    factor = jnp.where(h["bias_correction"] > 0.5, 1 / (1 - h["b2"] ** count), 1.0)
    return _over_root(_moment(state, "nu") * factor, h["eps"], eta)


def _adagrad(state, h, eta) -> jax.Array:
    """optax's scale_by_rss: eta_t / sqrt(G_t + eps) (0 before any gradient)."""
    total = _moment(state, "sum_of_squares")
    return jnp.where(total > 0, eta * jax.lax.rsqrt(total + h["eps"]), 0.0)


def _rmsprop(state, h, eta) -> jax.Array:
    """optax's scale_by_rms (eps inside the root, no correction): eta_t / sqrt(s_t + eps)."""
    return eta * jax.lax.rsqrt(_moment(state, "nu") + h["eps"])


def _amsgrad(state, h, eta) -> jax.Array:
    """eta_t / (sqrt(max_{i<=t} v_hat_i) + eps)."""
    return _over_root(_moment(state, "nu_max"), h["eps"], eta)


def _adabelief(state, h, eta) -> jax.Array:
    """optax's scale_by_belief: eta_t / (sqrt(s_hat_t + eps_root) + eps), s_t already holding its eps_root."""
    count = _moment(state, "count")
    return _over_root(_moment(state, "nu") / (1 - h["b2"] ** count) + 1e-16, h["eps"], eta)


def _radam(state, h, eta) -> jax.Array:
    """optax's scale_by_radam: eta_t r_t / (sqrt(v_hat_t) + eps) once rho_t >= threshold, else eta_t (momentum steps)."""
    count = _moment(state, "count").astype(jnp.float32)
    rho_inf = 2 / (1 - h["b2"]) - 1
    b2t = h["b2"] ** count
    rho = rho_inf - 2 * count * b2t / (1 - b2t)
    rectifier = jnp.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
    adaptive = _over_root(_moment(state, "nu") / (1 - b2t), h["eps"], eta * rectifier)
    return jnp.where(rho >= h["threshold"], adaptive, jnp.full(2, eta))


def _schedule_free(state, h, eta) -> jax.Array:
    """Schedule-free AdamW's step of z: eta_t / (sqrt(v_t / (1 - b2^t)) + eps) (optax's scale_by_rms with count)."""
    base = state.base_optimizer_state[0]
    return _over_root(base.nu / (1 - h["b2"] ** base.count), h["eps"], eta)


_ADAM_MOMENTS = (
    r"m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,\quad "
)
_BIAS_CORRECTED = r"\hat m_t = \frac{m_t}{1 - \beta_1^t},\ \hat v_t = \frac{v_t}{1 - \beta_2^t},\quad "

_MODERN = [
    Optimizer(
        key="lion",
        label="Lion",
        params=(
            _learning_rate(0.1),
            _B1,
            Param("b2", "β₂", 0.99, 0.0, 0.9999, help="Decay of the momentum that Lion keeps (optax's default 0.99)."),
            Param("weight_decay", "Weight decay λ", 1e-3, 0.0, 1.0,
                  help="Decoupled weight decay: shrinks x by η λ x each step (optax's default 0.001)."),
        ),
        build=lambda h, lr: optax.lion(lr, b1=h["b1"], b2=h["b2"], weight_decay=h["weight_decay"]),
        update_rule=(
            r"c_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad "
            r"x_{t+1} = x_t - \eta_t\left(\operatorname{sign}(c_t) + \lambda x_t\right),\quad "
            r"m_t = \beta_2 m_{t-1} + (1 - \beta_2) g_t"
        ),
        lesson="Only the sign of a momentum: every coordinate moves exactly η per step (plus weight decay), "
        "so it heads off diagonally whatever the slope and rattles ±η around the minimum; the axes are special to it.",
        color="#332288",  # Tol's indigo (muted)
    ),
    Optimizer(
        key="radam",
        label="RAdam",
        params=(
            _learning_rate(0.1),
            _B1,
            _B2,
            _EPS,
            Param("threshold", "Threshold ρ", 5.0, 0.0, 100.0,
                  help="Adam steps start once ρₜ ≥ this (optax's default 5: from step 6 with β₂ = 0.999); "
                  "before that, plain momentum steps."),
        ),
        build=lambda h, lr: optax.radam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], threshold=h["threshold"]),
        update_rule=(
            _ADAM_MOMENTS + _BIAS_CORRECTED
            + r"\rho_\infty = \frac{2}{1 - \beta_2} - 1,\ \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1 - \beta_2^t},\quad "
            r"r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\rho_t}},\quad "
            r"x_{t+1} = x_t - \eta_t \begin{cases} r_t\, \hat m_t / (\sqrt{\hat v_t} + \varepsilon) & \rho_t \ge \text{threshold} \\"
            r" \hat m_t & \text{otherwise} \end{cases}"
        ),
        lesson="Adam with a built-in warm-up: while too few squared gradients have been seen to trust v̂ (ρₜ < 5, "
        "the first 5 steps) it takes plain momentum steps η m̂, as large as the gradient; then Adam's steps times rₜ < 1.",
        color="#117733",  # Tol's green (muted)
        step_size=_radam,
    ),
    Optimizer(
        key="nadam",
        label="NAdam",
        params=(_learning_rate(0.1), _B1, _B2, _EPS),
        build=lambda h, lr: optax.nadam(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
        update_rule=(
            _ADAM_MOMENTS
            + r"\hat m_t = \frac{\beta_1 m_t}{1 - \beta_1^{t+1}} + \frac{(1 - \beta_1) g_t}{1 - \beta_1^t},\ "
            r"\hat v_t = \frac{v_t}{1 - \beta_2^t},\quad x_{t+1} = x_t - \eta_t\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}"
        ),
        lesson="Adam with Nesterov's look-ahead: the step uses the momentum it is about to have (β₁ mₜ plus the "
        "fresh gradient), so it turns a little sooner.",
        color="#999933",  # Tol's olive (muted)
        step_size=_adam_like,
    ),
    Optimizer(
        key="amsgrad",
        label="AMSGrad",
        params=(_learning_rate(0.1), _B1, _B2, _EPS),
        build=lambda h, lr: optax.amsgrad(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
        update_rule=(
            _ADAM_MOMENTS + _BIAS_CORRECTED
            + r"\hat v^{\max}_t = \max(\hat v^{\max}_{t-1}, \hat v_t),\quad "
            r"x_{t+1} = x_t - \eta_t\, \frac{\hat m_t}{\sqrt{\hat v^{\max}_t} + \varepsilon}"
        ),
        lesson="Adam whose denominator never shrinks (the running maximum of v̂): after a steep stretch its steps "
        "stay small, which fixes Adam's convergence counterexample but slows it on gentle slopes.",
        color="#EE6677",  # Tol's red (bright)
        step_size=_amsgrad,
    ),
    Optimizer(
        key="adabelief",
        label="AdaBelief",
        params=(
            _learning_rate(0.1),
            _B1,
            _B2,
            Param("eps", "ε", 1e-16, 1e-20, 1e-1, log=True,
                  help="Added to the denominator (optax's default 1e-16; 1e-16 is also added to sₜ each step)."),
        ),
        build=lambda h, lr: optax.adabelief(lr, b1=h["b1"], b2=h["b2"], eps=h["eps"]),
        update_rule=(
            r"m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t,\quad "
            r"s_t = \beta_2 s_{t-1} + (1 - \beta_2)(g_t - m_t)^2 + \varepsilon_{\text{root}},\quad "
            r"\hat m_t = \frac{m_t}{1 - \beta_1^t},\ \hat s_t = \frac{s_t}{1 - \beta_2^t},\quad "
            r"x_{t+1} = x_t - \eta_t\, \frac{\hat m_t}{\sqrt{\hat s_t} + \varepsilon}\quad(\varepsilon_{\text{root}} = 10^{-16})"
        ),
        lesson="Adam divided by how far the gradient strays from its mean, (g − m)², not by g²: on a steady slope "
        "it believes the gradient and takes long strides; where the gradient keeps changing, short ones.",
        color="#C51B7D",  # magenta (ColorBrewer's PiYG)
        step_size=_adabelief,
    ),
    Optimizer(
        key="lbfgs",
        label="L-BFGS",
        params=(
            Param("learning_rate", "Learning rate η", 1.0, 1e-5, 10.0, log=True,
                  help="Scales the direction before the line search (optax's default None is 1: the line search sets the step)."),
        ),
        build=lambda h, lr: optax.lbfgs(lr),
        update_rule=(
            r"d_t = -H_t g_t\ \text{(two-loop recursion over the last 10 pairs } s_i = x_{i+1} - x_i,\ "
            r"y_i = g_{i+1} - g_i,\ H^0_t = \tfrac{s^\top y}{y^\top y} I \text{ of the newest pair; } "
            r"H^0_0 = \min(1, 1/\lVert g_0 \rVert) I),\quad "
            r"x_{t+1} = x_t + \alpha_t\, \eta_t\, d_t,\ \alpha_t:\ f(x_{t+1}) \le f(x_t) + 10^{-4} \alpha_t \eta_t\, g_t^\top d_t,\ "
            r"|\nabla f(x_{t+1})^\top d_t| \le 0.9\, |g_t^\top d_t|\ \text{(zoom line search)}"
        ),
        lesson="Quasi-Newton: estimates the curvature from the last 10 gradient differences, then a line search "
        "picks a step that lowers f enough; few steps on a smooth bowl, each costing one or more evaluations of f and ∇f "
        "(the legend counts them, up to where it stops moving).",
        color="#663333",  # Tol's dark red (dark set)
        extra_args=("value", "grad", "value_fn"),
        elementwise=False,
        evaluations=_line_search_evaluations,
    ),
    Optimizer(
        key="schedule_free_adamw",
        label="Schedule-free AdamW",
        params=(
            Param("learning_rate", "Learning rate η", 0.1, 1e-5, 10.0, log=True,
                  help="Step size of z (optax's default 0.0025 suits networks; 0.1 here, as Adam's). Meant to stay constant: no schedule."),
            _B1,
            _B2,
            _EPS,
            Param("weight_decay", "Weight decay λ", 0.0, 0.0, 1.0, help="Decoupled weight decay on y (optax's default 0)."),
            Param("weight_lr_power", "Averaging power p", 2.0, 0.0, 4.0,
                  help="x averages the z's with weights ηᵖ (the running maximum of η): equal weights at a constant η."),
        ),
        build=lambda h, lr: optax.contrib.schedule_free_adamw(
            lr, b1=h["b1"], b2=h["b2"], eps=h["eps"], weight_decay=h["weight_decay"], weight_lr_power=h["weight_lr_power"]),
        update_rule=(
            r"g_t = \nabla f(y_t),\ v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2,\quad "
            r"z_{t+1} = z_t - \eta_t\left(\frac{g_t}{\sqrt{v_t / (1 - \beta_2^t)} + \varepsilon} + \lambda y_t\right),\quad "
            r"x_{t+1} = (1 - c_{t+1})\, x_t + c_{t+1} z_{t+1},\ c_{t+1} = \frac{\bar\eta_{t+1}^{\,p}}{\sum_{i \le t+1} \bar\eta_i^{\,p}},\ "
            r"\bar\eta_i = \max_{j \le i} \eta_j,\quad y_{t+1} = \beta_1 x_{t+1} + (1 - \beta_1) z_{t+1}\quad"
            r"\text{(the path drawn is } x_t\text{, the point to evaluate; } x_0 = y_0 = z_0)"
        ),
        lesson="No schedule needed: fast steps move z, x is the running average of the z's (the path drawn: the point "
        "one evaluates), and gradients are taken at y between them; averaging does what a decaying η would.",
        color="#364B9A",  # Tol's dark blue (sunset scheme)
        step_size=_schedule_free,
        shown=lambda params, state: optax.contrib.schedule_free_eval_params(state, params),
    ),
    Optimizer(
        key="sam",
        label="SAM",
        params=(
            _learning_rate(0.1),
            Param("rho", "Radius ρ", 0.1, 0.0, 2.0,
                  help="How far uphill the gradient is taken (optax's example: 0.1). Minima narrower than ρ push SAM out."),
        ),
        build=lambda h, lr: _sam(lr, h["rho"]),
        update_rule=(
            r"\epsilon_t = \rho\, \frac{g_t}{\lVert g_t \rVert}\ (0 \text{ if } g_t = 0),\quad "
            r"x_{t+1} = x_t - \eta_t\, \nabla f(x_t + \epsilon_t)\quad\text{(two gradients per step)}"
        ),
        lesson="Sharpness-aware: takes its gradient at the worst point a distance ρ uphill, so it cannot settle in "
        "a minimum narrower than about ρ and ends in a flat one; each step costs two gradients.",
        color="#8C510A",  # brown (ColorBrewer's BrBG)
        step_size=_same_for_all,
        extra_args=("grad_fn",),
        elementwise=False,
    ),
]


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
            step_size=_same_for_all,
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
            step_size=_same_for_all,
        ),
        Optimizer(
            key="nesterov",
            label="Nesterov",
            params=(_learning_rate(0.1), _MOMENTUM),
            build=lambda h, lr: optax.sgd(lr, momentum=h["momentum"], nesterov=True),
            update_rule=r"v_{t+1} = \mu v_t + g_t,\quad x_{t+1} = x_t - \eta_t\,(g_t + \mu v_{t+1})",
            lesson="Momentum with a look-ahead: the gradient is taken where the velocity is about to carry it, so it overshoots less.",
            color="#E69F00",
            step_size=_same_for_all,
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
            step_size=_adagrad,
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
            step_size=_rmsprop,
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
            step_size=_adam_switchable,
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
            step_size=_adam_like,
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
            extra_args=("hessian",),
            elementwise=False,
        ),
        *_MODERN,
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
