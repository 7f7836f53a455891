"""SCHEDULES: learning-rate schedules as multipliers of the base learning rate.

Each is factor(count, params, total_steps) in JAX with traced parameters, so moving a slider
never recompiles. They equal optax's schedules (tested against optax.exponential_decay,
optax.cosine_decay_schedule and optax.piecewise_constant_schedule at concrete values); optax's
own constructors validate their arguments with Python comparisons and so cannot take tracers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import jax.numpy as jnp

from optviz.params import Param


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: eta_t = eta * factor(t).

    Args:
      key: registry key.
      label: display name.
      factor: (count, params, total_steps) -> multiplier of the base learning rate.
      latex: the formula of eta_t.
      params: Param specs.
    """

    key: str
    label: str
    factor: Callable[[Any, Mapping[str, Any], Any], Any]
    latex: str
    params: tuple[Param, ...] = field(default_factory=tuple)


def _constant(count, p, total_steps):
    return jnp.ones_like(count, dtype=jnp.float32)


def _step(count, p, total_steps):
    # Multiply by gamma every step_size steps (optax.piecewise_constant_schedule / PyTorch StepLR).
    return p["gamma"] ** jnp.floor(count / p["step_size"])


def _exponential(count, p, total_steps):
    # optax.exponential_decay(init, transition_steps=1, decay_rate): eta * rate^t.
    return p["decay_rate"] ** count


def _cosine(count, p, total_steps):
    # optax.cosine_decay_schedule(init, decay_steps=total_steps, alpha).
    progress = jnp.minimum(count, total_steps) / jnp.maximum(total_steps, 1)
    cosine = 0.5 * (1 + jnp.cos(jnp.pi * progress))
    return (1 - p["alpha"]) * cosine + p["alpha"]


SCHEDULES: dict[str, Schedule] = {
    s.key: s
    for s in [
        Schedule("constant", "Constant", _constant, r"\eta_t = \eta"),
        Schedule(
            "step",
            "Step decay",
            _step,
            r"\eta_t = \eta\, \gamma^{\lfloor t / s \rfloor}",
            (
                Param("step_size", "Decay every s steps", 100, 1, 5000, kind="int", help="Steps between drops."),
                Param("gamma", "Drop factor γ", 0.5, 0.01, 1.0, help="Multiply the learning rate by γ at each drop."),
            ),
        ),
        Schedule(
            "exponential",
            "Exponential decay",
            _exponential,
            r"\eta_t = \eta\, r^t",
            (Param("decay_rate", "Decay per step r", 0.99, 0.5, 1.0, help="Multiplier applied every step."),),
        ),
        Schedule(
            "cosine",
            "Cosine decay",
            _cosine,
            r"\eta_t = \eta\left((1-\alpha)\tfrac12\left(1 + \cos\frac{\pi t}{T}\right) + \alpha\right)",
            (Param("alpha", "Final fraction α", 0.0, 0.0, 1.0, help="Learning rate at the end, as a fraction of η."),),
        ),
    ]
}


def resolve_schedule(name: str) -> Schedule:
    """The Schedule named `name`; ValueError listing the valid names otherwise."""
    try:
        return SCHEDULES[name]
    except KeyError:
        raise ValueError(f"unknown schedule {name!r}; choose one of: {', '.join(SCHEDULES)}") from None
