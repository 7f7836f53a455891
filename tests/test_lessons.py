"""Each lesson scene shows its phenomenon in the computed numbers (not only that it loads)."""

from dataclasses import replace

import numpy as np
import pytest

from optviz.trajectories import compute
from optviz.layers.scene import LayersScene
from optviz.pages import LESSONS, lesson_aware
from optviz.trajectories.scene import TrajectoryScene

_paths_cache: dict = {}


def paths(scene: TrajectoryScene) -> dict:
    """{label: TrajectoryResult} of a scene (memoized: several checks share scenes)."""
    if scene not in _paths_cache:
        _paths_cache[scene] = {r.label: r for r in compute.trajectories(scene)}
    return _paths_cache[scene]


def steps_to(result, distance, target=(0.0, 0.0)) -> int:
    close = np.flatnonzero(np.linalg.norm(result.positions - np.asarray(target), axis=1) < distance)
    return int(close[0]) if close.size else 10**9


def distance_end(result, target=(0.0, 0.0)) -> float:
    return float(np.linalg.norm(result.positions[-1] - np.asarray(target)))


def check_sgd_zigzag(scene):
    sgd = paths(scene)["SGD"]
    signs = np.sign(sgd.updates[:30, 1])
    assert np.all(signs[1:] != signs[:-1])  # every step crosses the ravine
    assert abs(sgd.positions[-1, 0]) > 0.5  # still crawling along the shallow axis after 60 steps
    assert abs(sgd.updates[:10, 1]).mean() > 5 * abs(sgd.updates[:10, 0]).mean()


def check_momentum_overshoot(scene):
    p = paths(scene)
    assert distance_end(p["Momentum"]) < 0.1 * distance_end(p["SGD"])
    overshoot = {k: p[k].positions[:, 0].max() for k in ("Momentum", "Nesterov")}  # start is at x = -9
    assert overshoot["Momentum"] > 0 and overshoot["Nesterov"] < overshoot["Momentum"]


def check_adagrad_stalls(scene):
    p = paths(scene)
    step = {k: np.linalg.norm(r.updates, axis=1) for k, r in p.items()}
    assert step["AdaGrad"][-1] / step["AdaGrad"][0] < 0.01
    assert step["RMSProp"][-1] / step["RMSProp"][0] > 0.1
    assert distance_end(p["AdaGrad"]) > 5 * distance_end(p["RMSProp"])


def check_adam_bias_correction(scene):
    p = paths(scene)
    with_bc = np.abs(p["Adam (bias correction on)"].updates[0])
    without = np.abs(p["Adam (bias correction off)"].updates[0])
    np.testing.assert_allclose(with_bc, 0.1, rtol=1e-3)
    np.testing.assert_allclose(without, 0.1 * 0.1 / np.sqrt(0.001), rtol=1e-3)


def check_saddle_escape(scene):
    p = paths(scene)
    assert distance_end(p["SGD"]) < 0.1  # crawled to the saddle and sits there
    assert distance_end(p["Newton"]) < 1e-6  # jumped into it
    for name in ("Momentum", "Adam"):
        assert np.abs(p[name].positions[:, 1]).max() > 1.0, name  # escaped downhill along y


def check_local_minimum(scene):
    p = paths(scene)
    assert p["SGD"].positions[-1, 0] == pytest.approx(0.96, abs=0.02)
    assert p["Momentum"].positions[-1, 0] == pytest.approx(-1.04, abs=0.02)


def check_learning_rate(scene):
    p = paths(scene)
    small, large, good = p["SGD (η=0.01)"], p["SGD (η=2.1)"], p["SGD (η=0.5)"]
    assert large.diverged_at is not None and large.divergence == "out of bounds"
    assert small.diverged_at is None and distance_end(small) > 5
    assert good.diverged_at is None and distance_end(good) < 1e-3


def check_step_decay(scene):
    def spread(p):  # mean distance to the minimum over the last 50 steps, averaged over the noisy paths
        return np.mean([np.linalg.norm(r.positions[-50:], axis=1).mean() for k, r in p.items() if "seed" in k])

    decayed = spread(paths(scene))
    constant = spread(paths(replace(scene, schedule="constant", schedule_values=())))
    assert decayed < constant / 2.5


def check_minibatch_noise(scene):
    p = paths(scene)
    full = p["SGD (full batch)"]
    noisy = [r for k, r in p.items() if "seed" in k]
    assert len(noisy) == 12 and full.seed is None
    ends = np.array([r.positions[-1] for r in noisy])
    assert np.std(ends, axis=0).min() > 0.05  # a fan, not one path
    mid = np.array([r.positions[20] for r in noisy]).mean(axis=0)
    assert np.linalg.norm(mid - full.positions[20]) < 1.0  # around the full-batch path


def check_newton_one_step(scene):
    p = paths(scene)
    assert np.linalg.norm(p["Newton"].positions[1]) < 1e-4
    assert distance_end(p["SGD"]) > 0.5


def check_axis_alignment(scene):
    rotated = paths(scene)
    aligned_scene = replace(scene, surface_values=(("angle", 0.0), ("condition_number", 20.0)), start=(-9.0, 4.0))
    aligned = paths(aligned_scene)
    for name in ("Adam", "AdaGrad"):
        assert steps_to(aligned[name], 0.5) < steps_to(aligned["Momentum"], 0.5), name  # faster when aligned
        assert steps_to(rotated[name], 0.5) > steps_to(rotated["Momentum"], 0.5), name  # edge lost at 45 degrees
    assert steps_to(rotated["Momentum"], 0.5) == steps_to(aligned["Momentum"], 0.5)  # momentum is rotation-invariant


def check_data_preprocessing(scene):
    raw = paths(scene)["SGD"]
    standardized_scene = replace(scene, surface_values=(("standardize", True),))
    std = paths(standardized_scene)["SGD"]
    raw_min = compute.critical_points(scene)[0]
    std_min = compute.critical_points(standardized_scene)[0]
    raw_steps = steps_to(raw, 0.05, (raw_min.x, raw_min.y))
    std_steps = steps_to(std, 0.05, (std_min.x, std_min.y))
    assert std_steps < 400 and raw_steps > 10 * std_steps


def check_l2_penalty(scene):
    penalized = compute.critical_points(scene)
    plain = compute.critical_points(replace(scene, penalty_values=()))
    assert len(penalized) == 1 and len(plain) == 1
    p, q = np.array([penalized[0].x, penalized[0].y]), np.array([plain[0].x, plain[0].y])
    assert np.linalg.norm(p) < 0.6 * np.linalg.norm(q) and abs(p[1]) > 0.05
    assert distance_end(paths(scene)["SGD"], p) < 0.01


def check_l1_penalty(scene):
    penalized = compute.critical_points(scene)
    assert len(penalized) == 1 and abs(penalized[0].y) < 0.01 and penalized[0].x > 1
    assert abs(paths(scene)["SGD"].positions[-1, 1]) < 0.05


def layer_stats_of(scene):
    from optviz.layers.compute import statistics

    return statistics(scene)


def check_tanh_small_init(scene):
    (a,) = layer_stats_of(scene)
    assert a.std[-1] < 1e-5 and np.all(np.diff(np.log(a.std)) < 0)
    assert a.weight_grad_std[-1] < 1e-5


def check_tanh_large_init(scene):
    (a,) = layer_stats_of(scene)
    assert np.all(a.saturated > 0.9)


def check_tanh_xavier(scene):
    (a,) = layer_stats_of(scene)
    assert 0.1 < a.std[-1] < 0.4 and not np.any(a.saturated > 0.1)


def check_relu_xavier(scene):
    a, b = layer_stats_of(scene)
    ratio = np.exp(np.mean(np.diff(np.log(a.std))))
    assert ratio == pytest.approx(1 / np.sqrt(2), abs=0.05)
    assert 0.5 < b.std[-1] / b.std[0] < 2


def check_relu_he(scene):
    (a,) = layer_stats_of(scene)
    assert np.all((a.std > 0.3) & (a.std < 3))


def check_constant_init(scene):
    (a,) = layer_stats_of(scene)
    assert np.all(a.identical)
    free, _ = layer_stats_of(type(scene)(scene.a.replace(init="glorot_normal"))), None
    assert not np.any(free[0].identical)


def check_batchnorm(scene):
    a, b = layer_stats_of(scene)
    np.testing.assert_allclose(a.std, b.std, rtol=0.02)
    np.testing.assert_allclose(a.mean, b.mean, atol=0.02)
    plain = layer_stats_of(type(scene)(scene.a.replace(batchnorm=False), scene.b.replace(batchnorm=False)))
    assert plain[1].std[-1] > 100 * plain[0].std[-1]  # without batch norm the two differ wildly


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}


@pytest.mark.parametrize("key", list(LESSONS))
def test_lesson_shows_its_phenomenon(key):
    lesson = LESSONS[key]
    assert key in CHECKS, f"lesson {key} has no check"
    assert lesson.title and lesson.text.count(".") >= 2 and lesson.look_for
    CHECKS[key](lesson.make_scene())


def test_lessons_round_trip_through_links():
    for lesson in LESSONS.values():
        scene = lesson.make_scene()
        again, notices = type(scene).from_query(scene.to_query())
        assert notices == [] and again.to_query() == scene.to_query()


def test_a_link_overriding_a_lesson_blames_only_its_own_keys():
    read = lesson_aware(TrajectoryScene.from_query, "trajectories")
    scene, notices = read({"scene": "sgd_zigzag", "opt": "adam"})  # the lesson's sgd.learning_rate is moot
    assert scene.optimizers == ("adam",) and dict(scene.surface_values)["condition_number"] == 50
    assert notices == []
    _, notices = read({"scene": "sgd_zigzag", "opt": "adam", "sgd.learning_rate": "0.5"})  # the link's own key
    assert len(notices) == 1 and "sgd.learning_rate" in notices[0]

    read = lesson_aware(LayersScene.from_query, "layers")
    scene, notices = read({"scene": "relu_xavier", "compare": "false"})  # the lesson's b.* are moot
    assert scene.b is None and scene.a.activation == "relu" and notices == []
    _, notices = read({"scene": "relu_xavier", "compare": "false", "b.gain": "2"})
    assert notices == ["link: b.* settings ignored (compare is off)"]
