"""The training lab's lesson scenes, in teaching order (one click each from the landing page).

Each has a check in tests/test_training_lessons.py that the phenomenon shows in the numbers over
several seeds and data draws, and that every number its text quotes is the measured one. Where the
lecture simplifies and the numbers say otherwise, the text says what the numbers show.

References: the lecture notes in shared/lecture-notes (002: the 300-point 2-class GD vs Adam
experiment, initialization, batch norm, regularization); cs231n lectures 6-7.
"""

from __future__ import annotations

from typing import Any

from optviz.page import Lesson
from optviz.training.scene import TrainScene

PAGE_KEY = "training"


def _scene(a: dict[str, Any], b: dict[str, Any] | None = None, **scene: Any):
    return lambda: TrainScene.build(a, b, **scene)


def _lesson(key: str, title: str, text: str, look_for: str, make_scene, about: tuple[str, ...] | None = None) -> Lesson:
    return Lesson(key, title, PAGE_KEY, text, look_for, make_scene, about)


SGD = dict(optimizer="sgd")

LESSONS: tuple[Lesson, ...] = (
    _lesson(
        "lab_learning_rate", "Learning rate: too high diverges, too low crawls",
        "With η = 5 plain SGD overshoots: in most runs the loss explodes within 15 steps (✗), in the rest the ReLUs "
        "die at 50% accuracy. With η = 0.0001 steps are safe but tiny: after 1000 the loss is still above 0.3, "
        "more than 5× what η = 0.1 reaches.",
        "A's ✗ at the top left; B creeps down. Try η = 0.1 on either.",
        _scene(dict(SGD, hparams={"learning_rate": 5.0}, steps=1000, eval_every=5),
               dict(SGD, hparams={"learning_rate": 0.0001}, steps=1000, eval_every=5)),
        about=("dataset", "optimizer", "compare", "b.optimizer"),
    ),
    _lesson(
        "lab_batch_size", "Batch size 1 vs full batch: the noise",
        "One example per step (SGD) points the step a different way each time: the loss jumps up and down. The full "
        "batch (200) follows the true gradient: a smooth curve, for 200× the work per step.",
        "A's curve jitters across a decade; B's is smooth. Batch 32 lies between.",
        _scene(dict(SGD, hparams={"learning_rate": 0.1}, batch_size=1, eval_every=10),
               dict(SGD, hparams={"learning_rate": 0.1}, batch_size=200, eval_every=10)),
        about=("dataset", "optimizer", "compare", "b.optimizer", "batch_size", "b.batch_size"),
    ),
    _lesson(
        "lab_step_decay", "Step decay: the loss drops at each drop of η",
        "SGD with a small batch and a large η bounces around the minimum. Each time the schedule divides η by 5, the "
        "loss steps down and its noise calms; B keeps η and keeps bouncing.",
        "At steps 700 and 1400 A's loss drops and smooths; the η panel shows the steps.",
        _scene(dict(SGD, hparams={"learning_rate": 0.5}, batch_size=8, schedule="step",
                    schedule_params={"step_size": 700, "gamma": 0.2}, eval_every=10),
               dict(SGD, hparams={"learning_rate": 0.5}, batch_size=8, eval_every=10)),
        about=("dataset", "optimizer", "compare", "b.optimizer", "schedule", "b.schedule"),
    ),
    _lesson(
        "lab_adam_sgd", "Adam vs SGD at the same learning rate",
        "The notes' experiment: 300 points, 2 classes, 2 hidden layers of 5 units, batch 32, η = 0.0007. After 10000 "
        "steps SGD is at 84% training accuracy, Adam at 98%: Adam steps η per weight, SGD η × a small gradient.",
        "B's accuracy climbs far sooner. Give A η = 0.03: SGD catches up.",
        _scene(dict(SGD, samples=300, depth=2, width=5, hparams={"learning_rate": 0.0007}, steps=10000),
               dict(optimizer="adam", samples=300, depth=2, width=5, hparams={"learning_rate": 0.0007}, steps=10000)),
    ),
    _lesson(
        "lab_symmetry", "Constant init: the units stay equal",
        "If every weight starts equal, all units of a layer compute the same value and get the same gradient, so they "
        "stay equal: 32 units work like one. B's random init breaks the symmetry.",
        "Boundary: A's is a straight line (86% accuracy). Weights: each of A's layers stays one or two spikes.",
        _scene(dict(init="constant", scale=0.5), dict(init="he_normal")),
    ),
    _lesson(
        "lab_small_init", "0.01·randn stalls a deep net; batch norm fixes it",
        "With W = 0.01·randn each of 6 ReLU layers shrinks the signal about 25×: activations and gradients vanish "
        "and SGD leaves the loss at ln 2 = 0.69. Batch norm rescales every layer: B learns.",
        "A stays flat at 0.69 (50% accuracy); B's loss falls below 0.1.",
        _scene(dict(SGD, depth=6, init="normal", scale=0.01, hparams={"learning_rate": 0.1}),
               dict(SGD, depth=6, init="normal", scale=0.01, hparams={"learning_rate": 0.1}, batchnorm=True)),
    ),
    _lesson(
        "lab_xavier_he", "Xavier vs He on a deep ReLU net",
        "ReLU zeroes half its inputs, so with Xavier the activations shrink by 1/√2 per layer: the 8th layer's std "
        "starts 46× below He's. He learns sooner, but SGD repairs Xavier too: both nets end up trained.",
        "Per-layer statistics: A's std curves start fanned out and join by step 300; B's stay together.",
        _scene(dict(SGD, depth=8, init="glorot_normal", hparams={"learning_rate": 0.03}),
               dict(SGD, depth=8, init="he_normal", hparams={"learning_rate": 0.03})),
    ),
    _lesson(
        "lab_l2", "L2 on an overfitting net: smaller weights",
        "30 noisy points, 3×64 units: without a penalty the net memorizes them and its validation loss climbs far "
        "above its minimum. L2 with λ = 0.03 keeps the weights 6× smaller and the validation loss flat.",
        "Dashed curves: A's rises, B's stays low. Weights: B's histograms are narrower.",
        _scene(dict(samples=30, noise=0.3, width=64, batch_size=30, steps=3000),
               dict(samples=30, noise=0.3, width=64, batch_size=30, steps=3000, l2=0.03)),
        about=("dataset", "optimizer", "compare", "b.optimizer", "samples", "b.samples"),
    ),
    _lesson(
        "lab_linear", "A linear activation cannot bend the boundary",
        "Without a nonlinearity, 3 layers collapse into one linear map: the boundary is a straight line whatever the "
        "depth, and the moons stay 86% separable. ReLU (B) bends it around them.",
        "Boundary: A's is straight, B's curves; accuracy 86% vs 99%.",
        _scene(dict(activation="linear"), dict(activation="relu")),
    ),
)
