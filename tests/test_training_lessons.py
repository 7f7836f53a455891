"""Each training-lab lesson shows its phenomenon in the numbers, over several seeds and data draws.

As tests/test_lessons.py does for the other pages: `check_<key>(scene)` asserts every sentence of the
lesson's text and look_for in the computed numbers, and returns the measured value behind every
number the text quotes; `test_quoted_numbers_are_the_computed_ones` compares them (10 %, or the
rounding of the last digit). Where noise matters, the numbers are medians over 12 runs: 4 seeds
(weights, minibatches) on each of 3 data draws, so no phenomenon rests on one tuned seed; and a
noisy number must also be the one the lesson's own run shows on the page (`shown`).
Thresholds sit well away from the measured values (noted beside them).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from optviz.pages import LESSONS, PAGES
from optviz.training.compute import run_training
from optviz.training.config import TrainConfig
from test_lessons import agrees, quoted_numbers

TRAINING_LESSONS = {key: lesson for key, lesson in LESSONS.items() if lesson.page == "training"}
DATA_SEEDS = (0, 1000, 2000)
SEEDS = 4


@functools.lru_cache(maxsize=None)
def runs(config: TrainConfig) -> tuple:
    """The config trained with 4 seeds on each of 3 data draws (the config's seed is replaced)."""
    return tuple(run_training(config.replace(seed=seed), seeds=SEEDS) for seed in DATA_SEEDS)


def stack(config: TrainConfig, name: str) -> np.ndarray:
    """A per-seed result array of every run of `config`, seeds stacked (12, ...)."""
    return np.concatenate([getattr(r, name) for r in runs(config)])


def at(config: TrainConfig, name: str, step: int) -> np.ndarray:
    """(12,) values of `name` at evaluated step `step`."""
    index = list(runs(config)[0].steps).index(step)
    return stack(config, name)[:, index]


def final(config: TrainConfig, name: str) -> np.ndarray:
    return stack(config, name)[:, -1]


def shown(config: TrainConfig, name: str) -> float:
    """The final `name` of the run the lesson draws (data seed and seed = the config's, 0)."""
    assert config.seed == DATA_SEEDS[0] == 0
    return float(np.asarray(getattr(runs(config)[0], name))[0, -1])


def med(values) -> float:
    return float(np.median(np.asarray(values, dtype=float)))


def log_noise(config: TrainConfig, start: int, stop: int) -> np.ndarray:
    """(12,) std of the step-to-step change of log(train loss) over evaluations in [start, stop)."""
    steps = runs(config)[0].steps
    window = (steps >= start) & (steps < stop)
    return np.std(np.diff(np.log(stack(config, "train_loss")[:, window]), axis=1), axis=1)


def weight_norms(config: TrainConfig) -> np.ndarray:
    """(12,) Frobenius norm of all weight matrices of each final network."""
    return np.concatenate([np.sqrt(sum(np.sum(np.square(layer["w"]), axis=(1, 2)) for layer in r.params))
                           for r in runs(config)])


# -- the checks ------------------------------------------------------------------------------------


def check_lab_learning_rate(scene):
    high, low = scene.a, scene.b
    stops = stack(high, "diverged_at")
    early = (stops >= 0) & (stops <= 15)
    assert np.mean(early) >= 0.75  # most runs explode within 15 steps (11 of 12, at steps 5 to 13)
    losses, accuracy = stack(high, "train_loss"), stack(high, "train_accuracy")
    for i in np.flatnonzero(~early):  # the rest: every ReLU dead, a constant output at 50%
        last = np.flatnonzero(np.isfinite(losses[i]))[-1]
        assert abs(accuracy[i, last] - 0.5) < 0.03, i
    assert np.all(stack(low, "diverged_at") < 0)  # the small steps are safe
    good = low.replace(hparams={"learning_rate": 0.1})
    crawl, reference = final(low, "train_loss"), final(good, "train_loss")
    assert crawl.min() > 0.3 and med(crawl) > 5 * med(reference)  # 0.37 at least; medians 0.53 vs 0.044
    assert np.all(np.diff(np.median(stack(low, "train_loss"), axis=0)) < 0)  # still falling, slowly, at every step
    return {"5": [high.hparam_values["learning_rate"], 5], "15": 15, "50": 50, "0.0001": low.hparam_values["learning_rate"],
            "1000": low.steps, "0.3": 0.3, "0.1": 0.1}


def check_lab_batch_size(scene):
    single, full = scene.a, scene.b
    assert single.batch_size == 1 and full.full_batch and full.samples == 200
    middle = single.replace(batch_size=32)
    noise = {name: med(log_noise(config, 500, 2001)) for name, config in (("1", single), ("32", middle), ("full", full))}
    assert noise["1"] > 1.1 * noise["32"] and noise["32"] > 5 * noise["full"], noise  # 0.39, 0.29, 0.015
    losses = stack(single, "train_loss")[:, single.eval_steps.index(500):]
    assert med(losses.max(axis=1) / losses.min(axis=1)) > 10  # A jitters across a decade and more
    work = full.effective_batch / single.effective_batch
    return {"1": single.batch_size, "200": [full.samples, work], "32": 32}


def check_lab_step_decay(scene):
    decayed, constant = scene.a, scene.b
    gamma, size = decayed.schedule_values["gamma"], decayed.schedule_values["step_size"]
    steps = runs(decayed)[0].steps
    losses = stack(decayed, "train_loss")
    for drop in (size, 2 * size):
        before = np.mean(losses[:, (steps >= drop - 200) & (steps < drop)], axis=1)
        after = np.mean(losses[:, (steps >= drop + 50) & (steps < drop + 250)], axis=1)
        assert np.mean(after < before) >= 0.9 and med(after) < 0.9 * med(before), drop  # the loss steps down
        calm = log_noise(decayed, drop + 20, drop + 220) < log_noise(decayed, drop - 200, drop)
        assert np.mean(calm) >= 0.9, drop  # its noise calms
    assert med(log_noise(constant, 800, 2001)) > 3 * med(log_noise(decayed, 800, 2001))  # B keeps bouncing
    rates = runs(decayed)[0].learning_rate
    assert rates[steps == size][0] == pytest.approx(gamma * rates[0])  # the η panel shows the step
    return {"5": 1 / gamma, "700": size, "1400": 2 * size}


def check_lab_adam_sgd(scene):
    sgd, adam = scene.a, scene.b
    assert sgd.samples == 300 and (sgd.depth, sgd.width) == (2, 5) and sgd.hparam_values == {"learning_rate": 0.0007}
    sgd_accuracy, adam_accuracy = final(sgd, "train_accuracy"), final(adam, "train_accuracy")
    assert np.all(adam_accuracy > sgd_accuracy)  # in every run
    half = sgd.eval_steps.index(sgd.steps // 2)
    assert med(stack(adam, "train_accuracy")[:, half]) > med(sgd_accuracy) + 0.05  # Adam's accuracy climbs far sooner
    # Adam moves each weight by about η a step; SGD by η times a gradient far below 1.
    ratio = med(np.nanmedian(stack(adam, "update_ratio"), axis=1)) / med(np.nanmedian(stack(sgd, "update_ratio"), axis=1))
    assert ratio > 3, ratio  # 6
    faster = sgd.replace(hparams={"learning_rate": 0.03})
    assert med(final(faster, "train_accuracy")) > med(adam_accuracy) - 0.02  # SGD catches up (98.0% vs 98.2%)
    return {"300": sgd.samples, "2": [2, sgd.depth], "5": sgd.width, "32": sgd.batch_size, "0.0007": 0.0007,
            "10000": sgd.steps,
            "84": [100 * med(sgd_accuracy), 100 * shown(sgd, "train_accuracy")],
            "98": [100 * med(adam_accuracy), 100 * shown(adam, "train_accuracy")], "0.03": 0.03}


def _one_direction(result, index: int) -> bool:
    """Whether seed `index`'s final boundary is one straight line: P(class 1) on the grid is a
    function of w·x alone (w: the first layer's common column) and crosses 0.5 once along it."""
    w = result.params[0]["w"][index][:, 0]
    gx, gy = np.meshgrid(result.grid_x, result.grid_y)
    t = (w[0] * gx + w[1] * gy).ravel()
    p = result.probabilities[index, -1, :, :, 1].ravel()
    order = np.argsort(t)
    side = np.sign(p[order] - 0.5)
    side = side[side != 0]
    return int(np.sum(side[1:] != side[:-1])) <= 1


def check_lab_symmetry(scene):
    constant, random = scene.a, scene.b
    for result in runs(constant):
        for layer in result.params[:-1]:
            w = layer["w"]
            assert np.abs(w - w[:, :, :1]).max() <= 1e-6 * np.abs(w).max()  # every unit's weights stay equal
        assert all(_one_direction(result, i) for i in range(SEEDS))  # a straight boundary
        counts = (result.weight_histograms[:, -1] > 0).sum(axis=-1)  # nonempty bins per layer, final snapshot
        assert counts.max() <= 2 and result.weight_outside[:, -1].max() == 0  # one or two spikes
    spread = [np.abs(r.params[0]["w"] - r.params[0]["w"][:, :, :1]).max() for r in runs(random)]
    assert min(spread) > 0.1  # B's units differ
    accuracy = final(constant, "train_accuracy")
    assert med(final(random, "train_accuracy")) > med(accuracy) + 0.1
    return {"32": constant.width, "86": [100 * med(accuracy), 100 * shown(constant, "train_accuracy")]}


def check_lab_small_init(scene):
    small, normalized = scene.a, scene.b
    stds = stack(small, "activation_std")[:, 0, :]  # (12, layers) at step 0
    shrink = med(stds[:, :-1] / stds[:, 1:])
    assert 15 < shrink < 40  # each layer multiplies the std by about 0.01 √32 / √2 = 1 / 25 (25.6)
    assert med(stack(small, "grad_std")[:, 0, 0]) < 1e-6  # the first layer's gradient has vanished
    losses = stack(small, "train_loss")
    assert np.all(np.abs(losses - math.log(2)) < 0.01)  # flat at ln 2 at every evaluation
    assert np.all(np.abs(final(small, "train_accuracy") - 0.5) < 0.03)
    assert final(normalized, "train_loss").max() < 0.1  # B learns
    return {"0.01": small.scale, "6": small.depth, "25": [shrink, med(stds[0, :-1] / stds[0, 1:])], "2": 2,
            "0.69": [med(losses[:, -1]), shown(small, "train_loss")],
            "50": [100 * med(final(small, "train_accuracy")), 100 * shown(small, "train_accuracy")], "0.1": 0.1}


def check_lab_xavier_he(scene):
    xavier, he = scene.a, scene.b
    start_x, start_h = stack(xavier, "activation_std")[:, 0, :], stack(he, "activation_std")[:, 0, :]
    per_layer = med(start_x[:, 2:] / start_x[:, 1:-1])  # past the 2-input first layer
    assert abs(per_layer - 1 / math.sqrt(2)) < 0.05  # 0.69
    gap = med(start_h[:, -1] / start_x[:, -1])
    assert gap > 20  # 46x
    assert med(start_h.max(axis=1) / start_h.min(axis=1)) < 2  # He's layers start together
    step = xavier.eval_steps.index(300)
    spread_start = med(start_x.max(axis=1) / start_x.min(axis=1))
    spread_later = med(stack(xavier, "activation_std")[:, step, :].max(axis=1) / stack(xavier, "activation_std")[:, step, :].min(axis=1))
    assert spread_start > 8 and spread_later < 3  # training evens Xavier's layers out by step 300
    early = xavier.eval_steps.index(100)
    assert med(stack(xavier, "train_loss")[:, early]) > 1.5 * med(stack(he, "train_loss")[:, early])  # He learns sooner
    assert med(final(xavier, "train_accuracy")) > 0.95 and med(final(he, "train_accuracy")) > 0.95  # both learn
    return {"1": 1, "2": 2, "8": xavier.depth, "46": [gap, start_h[0, -1] / start_x[0, -1]], "300": 300}


def check_lab_l2(scene):
    plain, penalized = scene.a, scene.b
    assert plain.samples == 30 and (plain.depth, plain.width) == (3, 64)
    assert final(plain, "train_accuracy").min() == 1 and med(final(plain, "train_loss")) < 1e-3  # memorized
    val_plain, val_l2 = stack(plain, "val_loss"), stack(penalized, "val_loss")
    assert val_plain[:, -1].min() > 1 and med(val_plain[:, -1] / val_plain.min(axis=1)) > 4  # A's climbs (8x)
    assert np.all(val_l2[:, -1] / val_l2.min(axis=1) < 1.3) and np.all(val_l2[:, -1] < val_plain[:, -1])  # B's stays flat
    shrink = med(weight_norms(plain) / weight_norms(penalized))
    assert shrink > 4  # smaller weights, narrower histograms
    narrower = [np.std(r.params[1]["w"], axis=(1, 2)) for r in runs(penalized)], [np.std(r.params[1]["w"], axis=(1, 2)) for r in runs(plain)]
    assert np.all(np.concatenate(narrower[0]) < np.concatenate(narrower[1]))
    return {"30": plain.samples, "3": plain.depth, "64": plain.width, "0.03": penalized.l2,
            "6": [shrink, weight_norms(plain)[0] / weight_norms(penalized)[0]]}


def check_lab_linear(scene):
    linear, relu = scene.a, scene.b
    for result in runs(linear):
        gx, gy = np.meshgrid(result.grid_x, result.grid_y)
        for index in range(SEEDS):
            p = result.probabilities[index, -1, :, :, 1]
            inside = (p > 0.01) & (p < 0.99)
            logit = np.log(p[inside] / (1 - p[inside]))
            design = np.stack([gx[inside], gy[inside], np.ones(inside.sum())], axis=1)
            fit, *_ = np.linalg.lstsq(design, logit, rcond=None)
            assert np.abs(design @ fit - logit).max() < 1e-2 * np.abs(logit).max()  # log-odds affine: a straight boundary
    accuracy_linear, accuracy_relu = final(linear, "train_accuracy"), final(relu, "train_accuracy")
    assert accuracy_linear.max() < 0.92 and med(accuracy_relu) > med(accuracy_linear) + 0.07
    return {"3": linear.depth, "86": [100 * med(accuracy_linear), 100 * shown(linear, "train_accuracy")],
            "99": [100 * med(accuracy_relu), 100 * shown(relu, "train_accuracy")]}


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}
_measured: dict = {}


def measured(key: str) -> dict:
    if key not in _measured:
        _measured[key] = CHECKS[key](TRAINING_LESSONS[key].make_scene())
    return _measured[key]


@pytest.mark.parametrize("key", list(TRAINING_LESSONS))
def test_lesson_shows_its_phenomenon(key):
    lesson = TRAINING_LESSONS[key]
    assert key in CHECKS, f"lesson {key} has no check"
    assert lesson.title and lesson.text.count(".") >= 2 and lesson.look_for
    assert len(lesson.title) <= 50 and len(lesson.text) + len(lesson.look_for) <= 330  # a small box on a projector
    assert isinstance(measured(key), dict)


@pytest.mark.parametrize("key", list(TRAINING_LESSONS))
def test_quoted_numbers_are_the_computed_ones(key):
    lesson = TRAINING_LESSONS[key]
    quoted = quoted_numbers(" ".join((lesson.title, lesson.text, lesson.look_for)))
    numbers = measured(key)
    assert set(quoted) == set(numbers), f"{key}: quoted {sorted(quoted)}, measured {sorted(numbers)}"
    for token, q in quoted.items():
        values = numbers[token] if isinstance(numbers[token], list) else [numbers[token]]
        for value in values:
            assert agrees(q, token, value), f"{key}: the text says {token}, the numbers give {value}"


def test_every_lesson_is_on_the_page_and_round_trips_through_its_link():
    assert [lesson.key for lesson in PAGES["training"].lessons] == list(TRAINING_LESSONS)
    assert len(TRAINING_LESSONS) >= 9
    for lesson in TRAINING_LESSONS.values():
        scene = lesson.make_scene()
        again, notices = type(scene).from_query(scene.to_query())
        assert notices == [] and again == scene
