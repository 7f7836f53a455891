"""The training lab's lesson scenes, in teaching order (one click each from the landing page).

Each has a check in tests/test_training_lessons.py that the phenomenon shows in the numbers over
several seeds and data draws, and that every number its text quotes is the measured one. Where the
lecture simplifies and the numbers say otherwise, the text says what the numbers show.

References: the lecture notes in shared/lecture-notes (002: the 300-point 2-class GD vs Adam
experiment, initialization, batch norm, regularization, early stopping; 000 and 004: dropout, mixup,
label smoothing; 001: model ensembles, transfer learning's 2x2 grid); cs231n lectures 6-7.
"""

from __future__ import annotations

from typing import Any

from optviz.page import Lesson
from optviz.training.scene import TrainScene

PAGE_KEY = "training"


def _scene(a: dict[str, Any], b: dict[str, Any] | None = None, **scene: Any):
    return lambda: TrainScene.build(a, b, **scene)


def _lesson(key: str, title: str, text: str, look_for: str, make_scene, about: tuple[str, ...] | None = None,
            view: str | None = None) -> Lesson:
    return Lesson(key, title, PAGE_KEY, text, look_for, make_scene, about, view)


SGD = dict(optimizer="sgd")

# An overfitting setting for the regularizers: 30 noisy moons, 3x64 units, full batch, Adam at
# eta = 0.001 (at the lab's 0.01 the best validation loss comes at step 0 or 30: too soon to see).
OVERFIT = dict(samples=30, noise=0.3, width=64, batch_size=30, steps=3000, hparams={"learning_rate": 0.001})

# Transfer learning on the digits: pretrain 2x64 on 0-4 (1000 steps), then learn 5-9 in 500 steps.
TRANSFER = dict(dataset="digits", depth=2, width=64, batch_size=25, steps=500)

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
        "Decision boundary: A's is a straight line. Loss & accuracy: A's training accuracy ends near 86%. "
        "Weights: each of A's layers stays one or two spikes.",
        _scene(dict(init="constant", scale=0.5), dict(init="he_normal")),
        view="Decision boundary",
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
        "Activation std: A's layers start 13× apart, within 1.7× by step 200; B's start within 1.6×, stay within 3×.",
        _scene(dict(SGD, depth=8, init="glorot_normal", hparams={"learning_rate": 0.03}),
               dict(SGD, depth=8, init="he_normal", hparams={"learning_rate": 0.03})),
        view="Per-layer statistics",
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
        "Decision boundary: A's is straight, B's curves. Loss & accuracy: training accuracy 86% vs 99%.",
        _scene(dict(activation="linear"), dict(activation="relu")),
        view="Decision boundary",
    ),
    _lesson(
        "lab_early_stopping", "Early stopping keeps the best network",
        "30 noisy points, 3×64 units, Adam η = 0.001. After its best step (30 to 120) A's training loss falls on "
        "to 10⁻⁵ while its validation loss climbs 4–13×. B restores the network of its best evaluation: as "
        "accurate as A's last (87%), without the climb.",
        "The ★ marks the best step; B's curves are A's, only its final network differs.",
        _scene(OVERFIT, dict(OVERFIT, restore_best=True)),
        about=("dataset", "compare", "restore_best", "b.restore_best"),
    ),
    _lesson(
        "lab_dropout", "Dropout on an overfitting net",
        "A memorizes the 30 noisy points and its validation loss climbs 4–13× above its minimum. Dropping 70% "
        "of the hidden units at each step holds B at 88% training accuracy, its validation loss flat in 8 of 12 "
        "runs. Validation accuracy ends alike: 87%, 90%.",
        "Dashed curves: A's rises, B's stays low. At p = 0.5 the climb only comes later.",
        _scene(OVERFIT, dict(OVERFIT, dropout=0.7)),
        about=("dataset", "compare", "dropout", "b.dropout"),
    ),
    _lesson(
        "lab_label_smoothing", "Label smoothing: targets 0.9, not 1",
        "With ε = 0.2 B's targets are 0.9 and 0.1. It still fits every training point, but its mean confidence on "
        "validation points is 86% (A's 99.5%), so a wrong guess costs less: A's final validation loss is 3–15× B's.",
        "Decision boundary: A is over 99% sure on 90–96% of the plane, B on 9–28%.",
        _scene(OVERFIT, dict(OVERFIT, label_smoothing=0.2)),
        about=("dataset", "compare", "label_smoothing", "b.label_smoothing"),
    ),
    _lesson(
        "lab_mixup", "Mixup: train on blends of examples",
        "B trains on blends λ·x + (1−λ)·x′ of two examples and of their labels, λ uniform (α = 1): it never sees a "
        "sure case between the classes. Its validation loss ends 1.2× its minimum (A's: 4–13×).",
        "Decision boundary: A is over 99% sure on 90–96% of the plane, B on 39–58%.",
        _scene(OVERFIT, dict(OVERFIT, mixup=1.0)),
        about=("dataset", "compare", "mixup", "b.mixup"),
        view="Decision boundary",  # what its look-for shows
    ),
    _lesson(
        "lab_ensemble", "An ensemble of 5 vs its members",
        "5 nets from different seeds, their probabilities averaged: the ensemble's validation loss is 18–51% below "
        "the members' mean (never above it: −log is convex), below every member's in 5 of 12 draws. Accuracy "
        "gains at most 1.4 points (median 0.25), not the notes' 2%.",
        "Thick dashed line: the ensemble; the thin one: the members' mean.",
        _scene(dict(ensemble=5)),
        about=("dataset", "ensemble"),
    ),
    _lesson(
        "lab_digits", "8×8 digits: which ones get confused",
        "898 training images, one hidden layer of 32 units: about 96.5% of the validation digits right; a softmax on "
        "the 64 raw pixels (B) gets within a point of it. The 8 is the hardest digit in 9 of 12 runs; a wrong 8 is "
        "most often a 1, in all 12.",
        "Confusion matrix: the darkest orange cell is row 8, column 1 (10 of 12 runs).",
        _scene(dict(dataset="digits", samples=898, depth=1, width=32, steps=1000),
               dict(dataset="digits", samples=898, depth=0, steps=1000)),
        about=("dataset", "b.dataset", "compare", "depth", "b.depth"),
        view="Confusion & errors",
    ),
    _lesson(
        "lab_transfer_freeze", "Transfer: frozen 0-4 features on 5-9",
        "Pretrained on digits 0-4 (99% right there), B's frozen hidden layers and a new head get 77% of 5-9 from 5 "
        "images each; A, from scratch, 90%. Frozen random layers do as well (80%): the 0-4 features hold nothing "
        "more for 5-9.",
        "Per-layer statistics: twice as many of B's units are dead on 5-9 as A's.",
        _scene(dict(TRANSFER, transfer="scratch"), dict(TRANSFER, transfer="freeze")),
        about=("dataset", "compare", "transfer", "b.transfer", "samples_per_class", "b.samples_per_class"),
    ),
    _lesson(
        "lab_transfer_finetune", "More data: fine-tune beats frozen, not scratch",
        "With 20 images per new digit, fine-tuning every layer at η × 0.1 (B) gets 93%, frozen features (A) 86%, "
        "as the notes' grid expects. But from scratch the net gets 95%; with 5 per class too (90% vs fine-tuned 88%).",
        "Dashed accuracy curves: B's ends above A's in every run.",
        _scene(dict(TRANSFER, transfer="freeze", samples_per_class=20),
               dict(TRANSFER, transfer="finetune", samples_per_class=20)),
        about=("dataset", "compare", "transfer", "b.transfer", "samples_per_class", "b.samples_per_class"),
    ),
    _lesson(
        "lab_transfer_different", "Permuted pixels: different to us, not to an MLP",
        "B's 5-9 have their pixels shuffled: unreadable to us, but an MLP has no notion of neighbouring pixels, and "
        "from scratch it learns them as well (91%; A, unshuffled: 90%). Frozen 0-4 features do better on real "
        "digits than on shuffled ones in only 7 of 12 runs.",
        "Misclassified images: B's look like noise.",
        _scene(dict(TRANSFER, transfer="scratch"), dict(TRANSFER, transfer="scratch", transfer_data="different")),
        about=("dataset", "compare", "transfer", "b.transfer", "transfer_data", "b.transfer_data"),
    ),
)
