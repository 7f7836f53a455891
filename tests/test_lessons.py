"""Each lesson scene shows its phenomenon in the computed numbers (not only that it loads).

Every claim of a lesson's text and look_for has a check here: `check_<key>(scene)` asserts it in
the numbers the page computes, at a size one can see on a projector (a feature of the trajectory
page must be >= 2 % of the surface's domain; layer plots are log-scale: a factor 2 shows), and
where the claim is about a landscape or about noise, from several starts or seeds. Each check
returns the measured value behind every number its lesson's text quotes, and
`test_quoted_numbers_are_the_computed_ones` compares them. Thresholds sit well away from the
measured values (noted beside them), so float32 rounding on another CPU does not move them.
The surface captions and optimizer lines that state a behaviour have checks at the end.
"""

import functools
import math
import re
from dataclasses import replace

import numpy as np
import pytest

from optviz.layers.network import layer_stats
from optviz.layers.scene import LayersScene
from optviz.pages import LESSONS, PAGES, lesson_aware
from optviz.surfaces import REGRESSION_RAW, SURFACES
from optviz.trajectories import compute
from optviz.trajectories.runner import hessians_at, run_end_points, run_paths
from optviz.trajectories.scene import TrajectoryScene, optimizer_of

# The trajectory and initialization lessons; the training lab's are checked in tests/test_training_lessons.py.
OWN_LESSONS = [key for key, lesson in LESSONS.items() if lesson.page in ("trajectories", "layers")]

_paths_cache: dict = {}


def paths(scene: TrajectoryScene) -> dict:
    """{label: TrajectoryResult} of a scene (memoized: several checks share scenes)."""
    if scene not in _paths_cache:
        _paths_cache[scene] = {r.label: r for r in compute.trajectories(scene)}
    return _paths_cache[scene]


def fan(scene: TrajectoryScene, instance: str, starts, **run) -> list:
    """One optimizer instance of `scene`, run with the scene's settings from each of `starts` (no noise)."""
    return run_paths(scene.surface, optimizer_of(instance), [tuple(map(float, s)) for s in starts],
                     steps=run.get("steps", scene.run["steps"]), hparams=scene.hparams(instance),
                     surface_params=scene.surface_params, schedule=scene.schedule, schedule_params=scene.schedule_params,
                     penalty=scene.penalty["penalty"], strength=scene.penalty["strength"])


def ends(scene: TrajectoryScene, instance: str, starts) -> np.ndarray:
    """End points of one optimizer instance of `scene` from each of `starts`."""
    return run_end_points(scene.surface, optimizer_of(instance), np.asarray(starts, float), steps=scene.run["steps"],
                          hparams=scene.hparams(instance), surface_params=scene.surface_params,
                          penalty=scene.penalty["penalty"], strength=scene.penalty["strength"]).positions


def extent(scene: TrajectoryScene) -> tuple[float, float]:
    """Width and height of the surface's domain: the scale features must be visible at."""
    (x0, x1), (y0, y1) = SURFACES[scene.surface].domain
    return x1 - x0, y1 - y0


def distance(result, target=(0.0, 0.0)) -> np.ndarray:
    return np.linalg.norm(result.positions - np.asarray(target), axis=1)


def steps_to(result, within, target=(0.0, 0.0)) -> int:
    close = np.flatnonzero(distance(result, target) < within)
    return int(close[0]) if close.size else 10**9


def distance_end(result, target=(0.0, 0.0)) -> float:
    return float(distance(result, target)[-1])


def first_beyond(result, coordinate: int, bound: float) -> int:
    """First step at which |position[coordinate]| > bound (10**9 if never)."""
    out = np.flatnonzero(np.abs(result.positions[:, coordinate]) > bound)
    return int(out[0]) if out.size else 10**9


def curvature_max(scene: TrajectoryScene, point=(0.0, 0.0)) -> float:
    return float(np.linalg.eigvalsh(hessians_at(scene.surface, np.array([point]), scene.surface_params)[0]).max())


def grid(xs, ys) -> list[tuple[float, float]]:
    return [(x, y) for x in xs for y in ys]


# -- trajectory lessons ---------------------------------------------------------------------


def check_sgd_zigzag(scene):
    width, height = extent(scene)
    sgd = paths(scene)["SGD"]
    dx, dy = sgd.updates[:, 0], sgd.updates[:, 1]
    alternating = (np.sign(dy[1:]) != np.sign(dy[:-1])) & (np.abs(dy[1:]) > 0.02 * height)
    assert alternating.sum() >= 15  # visible wall-to-wall steps (27)
    assert np.abs(dy[:10]).mean() > 5 * np.abs(dx[:10]).mean()  # mostly across (17x)
    x0 = scene.start_point[0]
    assert np.all(np.sign(dx) == -np.sign(x0)) and abs(sgd.positions[-1, 0]) < abs(x0)  # creeps toward 0, never back
    limit = 2 / curvature_max(scene)
    assert 0.85 * limit < scene.hparams("sgd")["learning_rate"] < limit  # near the stability limit, below it
    # Any start off the valley floor: the first 15 steps all cross it, visibly.
    for path in fan(scene, "sgd", grid((-9.5, -5, 5, 9.5), (-9, -2, 1.5, 6))):
        dy = path.updates[:16, 1]
        assert np.all(np.sign(dy[1:]) != np.sign(dy[:-1])) and np.all(np.abs(dy) > 0.02 * height)
    return {"2": [2.0, limit], "7.6": abs(sgd.updates[0, 1]), "0.34": abs(sgd.updates[0, 0]), "−9": x0, "0": 0.0}


def check_momentum_overshoot(scene):
    width, height = extent(scene)
    rates = {scene.hparams(k)["learning_rate"] for k in scene.optimizers}
    assert len(rates) == 1  # one η for all three
    p = paths(scene)
    sgd, mom = p["SGD"], p["Momentum"]
    side = -np.sign(scene.start_point[0])  # the far side of the minimum, seen from the start
    over = {k: float((side * p[k].positions[:, 0]).max()) for k in ("Momentum", "Nesterov")}
    assert distance_end(sgd) > 0.1 * width  # SGD still far (2.7)
    assert distance_end(mom) < 0.01 * width  # Momentum arrived (0.09)
    assert np.argmax(side * mom.positions[:, 0] > 0) < scene.run["steps"] // 2  # past the minimum by step 14
    assert over["Momentum"] > 0.06 * width  # overshoot 2.66
    assert 0.04 * width < over["Nesterov"] < over["Momentum"] - 0.02 * width  # 2.06: less, visibly (0.6 less)
    swing = {k: np.abs(p[k].positions[10:, 1]).max() for k in ("Momentum", "Nesterov")}
    assert swing["Momentum"] > 0.05 * height and swing["Nesterov"] < 0.25 * swing["Momentum"]  # 2.07 vs 0.10
    # From starts far along the valley: the same picture (linear dynamics; Nesterov/Momentum overshoot 0.78).
    starts = grid((-9.5, -7.5, 7.5, 9.5), (-8, -2, 2, 8))
    runs = {k: fan(scene, k, starts) for k in ("sgd", "momentum", "nesterov")}
    for i, (x0, _) in enumerate(starts):
        m, n = ((-np.sign(x0) * runs[k][i].positions[:, 0]).max() for k in ("momentum", "nesterov"))
        assert m > 0.06 * width and n < 0.85 * m, starts[i]
        assert distance_end(runs["sgd"][i]) > 0.08 * width and distance_end(runs["momentum"][i]) < 0.015 * width, starts[i]
        assert np.abs(runs["nesterov"][i].positions[10:, 1]).max() < 0.25 * np.abs(runs["momentum"][i].positions[10:, 1]).max()
    return {"0.4": rates.pop(), "−2.7": sgd.positions[-1, 0], "2.7": over["Momentum"], "2.1": over["Nesterov"]}


def check_adagrad_stalls(scene):
    width, _ = extent(scene)
    eta = {scene.hparams(k)["learning_rate"] for k in scene.optimizers}
    assert len(eta) == 1  # the same η for both
    eta = eta.pop()
    p = paths(scene)
    ada, rms = p["AdaGrad"], p["RMSProp"]
    step = np.linalg.norm(ada.updates, axis=1)
    assert distance_end(ada) > 0.2 * width and step[-1] < 0.1 * step[0]  # 6.07 short, steps 0.141 -> 0.006
    assert step[100:].sum() < 0.1 * width  # bunched: the last 200 steps cover < 2 (1.7)
    arrived = steps_to(rms, 0.5)
    assert arrived < 150 and distance_end(rms) < 0.01 * width  # step 97; ends 0.07 away
    along = np.abs(rms.updates[10:arrived, 0])
    assert 0.5 * eta < np.median(along) < 1.5 * eta  # RMSProp's steps stay ~η until it arrives
    starts = grid((-9.5, -7, 7, 9.5), (-8, -1, 1, 8))
    for a, r in zip(fan(scene, "adagrad", starts), fan(scene, "rmsprop", starts)):
        assert distance_end(a) > 0.12 * width and distance_end(r) < 0.01 * width and steps_to(r, 0.5) < 150
    return {"0.1": eta, "300": scene.run["steps"], "6": distance_end(ada), "100": arrived}


def check_adam_bias_correction(scene):
    width, _ = extent(scene)
    p = paths(scene)
    on, off = p["Adam (bias correction on)"], p["Adam (bias correction off)"]
    eta = scene.hparams("adam")["learning_rate"]
    assert scene.hparams("adam-2")["learning_rate"] == eta
    b1, b2 = scene.hparams("adam")["b1"], scene.hparams("adam")["b2"]
    length_on, length_off = np.linalg.norm(on.updates, axis=1), np.linalg.norm(off.updates, axis=1)
    assert length_on[0] > 0.03 * width and length_off[0] > 0.1 * width  # 0.71 and 2.24: both visible
    assert np.all(np.abs(on.updates[:5]) < 1.05 * eta) and np.all(np.abs(on.updates[:5]) > 0.85 * eta)  # ~η per axis (0.47-0.5)
    assert length_off[1:4].mean() > length_off[0]  # the uncorrected path keeps striding longer (2.9, 3.1, 2.7)
    # From any start the uncorrected early steps are far longer than the corrected ones.
    starts = grid((-9, -4, 4, 9), (-8, -3, 3, 8))
    for a, b in zip(fan(scene, "adam", starts), fan(scene, "adam-2", starts)):
        early_on, early_off = (np.linalg.norm(r.updates[:5], axis=1).mean() for r in (a, b))
        assert early_off > 2 * early_on
    return {"1": 1.0, "10": 1 / (1 - b1), "1000": 1 / (1 - b2), "0.1": 1 - b1, "0.001": 1 - b2,
            "3.2": length_off[0] / length_on[0], "30": 1 / math.sqrt(1 - b2), "0.5": [eta, *np.abs(on.updates[0])],
            "0.71": length_on[0], "2.24": length_off[0], "3": length_off[1:4].mean()}


def check_saddle_escape(scene):
    width, height = extent(scene)
    p = paths(scene)
    rates = {scene.hparams(k)["learning_rate"] for k in ("sgd", "momentum", "adam")}
    assert len(rates) == 1  # one η for the three first-order methods
    steps = scene.run["steps"]
    assert distance_end(p["SGD"]) < 0.05 * width and (distance(p["SGD"]) < 0.05 * width).sum() >= 60  # 0.055; 121 steps
    bound = height / 2  # |y| = 2: the edge of the domain
    exits = {k: first_beyond(p[k], 1, bound) for k in ("Momentum", "Adam")}
    assert all(t < steps - 30 for t in exits.values())  # steps 79 and 139 of 200
    assert distance(p["Newton"])[1] < 1e-3 and distance_end(p["Newton"]) < 1e-3  # onto the saddle in one step
    # Any start near the line y = 0, on either side.
    starts = grid((-1.9, -1.5, -1.0, -0.5, 0.7, 1.5), (-0.003, -0.001, 0.0005, 0.003))
    for path in fan(scene, "sgd", starts):
        assert distance_end(path) < 0.06 * width and (distance(path) < 0.05 * width).sum() >= 60  # <= 0.16; >= 89
    for k, latest in (("momentum", 120), ("adam", 175)):  # measured: <= 86 and 139
        assert max(first_beyond(path, 1, bound) for path in fan(scene, k, starts)) < latest, k
    return {"0": 0.0, "200": steps, "2": bound, "80": exits["Momentum"], "140": exits["Adam"]}


def check_local_minimum(scene):
    params = scene.surface_params
    points = SURFACES[scene.surface].critical_points(params)
    deep, ridge, shallow = sorted(c.x for c in points)
    assert scene.hparams("sgd")["learning_rate"] == scene.hparams("momentum")["learning_rate"]
    p = paths(scene)
    assert abs(p["SGD"].positions[-1, 0] - shallow) < 0.05 and abs(p["Momentum"].positions[-1, 0] - deep) < 0.05
    # Separable: only x0 matters. Momentum rolls over from every start high on the outer wall (measured
    # from x0 = 1.75 up to the domain's edge), stays right from lower; SGD stays right from everywhere.
    y0s = (-1.5, 0.0, 1.5)
    high, low = grid((1.85, 2.0, 2.2, 2.5), y0s), grid((0.3, 0.7, 1.0, 1.4, 1.6), y0s)
    assert np.all(ends(scene, "momentum", high)[:, 0] < ridge)
    assert np.all(ends(scene, "momentum", low)[:, 0] > ridge)
    assert np.all(ends(scene, "sgd", high + low)[:, 0] > ridge)
    # Where the band starts (quoted as "x ≳ 1.8").
    xs = np.round(np.arange(1.5, 2.2, 0.025), 3)
    band = xs[np.argmax(ends(scene, "momentum", [(x, 1.5) for x in xs])[:, 0] < ridge)]
    start_low = ends(scene, "momentum", [(1.4, scene.start_point[1])])[0, 0]
    assert start_low > ridge
    return {"1.8": band, "0.96": p["SGD"].positions[-1, 0], "−1.04": p["Momentum"].positions[-1, 0], "1.4": 1.4}


def check_learning_rate(scene):
    width, _ = extent(scene)
    p = paths(scene)
    small, large, good = p["SGD (η=0.01)"], p["SGD (η=2.1)"], p["SGD (η=0.5)"]
    limit = 2 / curvature_max(scene)
    assert large.diverged_at is not None and large.hparams["learning_rate"] > limit > good.hparams["learning_rate"]
    ys = large.positions[:, 1]
    assert np.all(np.sign(ys[1:]) != np.sign(ys[:-1])) and np.all(np.abs(ys[1:]) > np.abs(ys[:-1]))  # ever wider
    assert small.diverged_at is None and distance_end(small) > 0.6 * distance(small)[0]  # 76 % left
    assert distance(small)[0] - distance_end(small) > 0.05 * width  # but it does move (2.3)
    assert good.diverged_at is None and distance_end(good) < 0.005 * width  # 2e-4
    starts = grid((-9, -5, 5, 9), (-8, -1, 1, 8))
    assert all(r.diverged_at is not None for r in fan(scene, "sgd-2", starts))
    assert all(distance_end(r) < 0.005 * width for r in fan(scene, "sgd-3", starts))
    assert all(distance_end(r) > 0.3 * distance(r)[0] for r in fan(scene, "sgd", starts))  # 37-82 % left
    return {"2": [2.0, limit], "0.01": small.hparams["learning_rate"], "2.1": large.hparams["learning_rate"],
            "0.5": good.hparams["learning_rate"], "75": 100 * distance_end(small) / distance(small)[0],
            "100": scene.run["steps"]}


def check_step_decay(scene):
    width, _ = extent(scene)
    size, gamma = scene.schedule_params["step_size"], scene.schedule_params["gamma"]

    def spreads(s):  # RMS distance to the minimum over the last 50 steps of each phase, mean over the noisy paths
        noisy = [r for k, r in paths(s).items() if "seed" in k]
        assert len(noisy) == s.run["paths"] and all(r.diverged_at is None for r in noisy)
        assert max(np.abs(r.positions[20:]).max() for r in noisy) < 0.4 * width  # the cloud stays in the plot (5.9)
        phases = [(k * size - 50, k * size) for k in (1, 2, 3)]
        return np.array([np.mean([np.sqrt(np.mean(np.sum(r.positions[a:b + 1] ** 2, axis=1))) for r in noisy])
                         for a, b in phases])

    ratios = []
    for seed in (scene.run["seed"], scene.run["seed"] + 8, scene.run["seed"] + 100):
        s = replace(scene, run_values=tuple(sorted({**scene.run, "seed": seed}.items())))
        decayed, constant = spreads(s), spreads(replace(s, schedule="constant", schedule_values=()))
        assert decayed[0] > 0.05 * width  # the bouncing is visible (1.8-2.0)
        assert decayed[1] < 0.7 * decayed[0] and decayed[2] < 0.7 * decayed[1]  # each drop shrinks it (0.42-0.59)
        assert constant[2] > 0.8 * constant[0]  # a constant rate keeps bouncing
        ratios += list(decayed[1:] / decayed[:-1])
    assert 0.3 < min(ratios) and max(ratios) < 0.7  # "about halving"
    return {"0.3": gamma, "100": [size, size], "200": 2 * size}


def check_minibatch_noise(scene):
    width, _ = extent(scene)
    for seed in (scene.run["seed"], scene.run["seed"] + 12, scene.run["seed"] + 36):
        p = paths(replace(scene, run_values=tuple(sorted({**scene.run, "seed": seed}.items()))))
        full = p["SGD (full batch)"]
        noisy = np.stack([r.positions for k, r in p.items() if "seed" in k])
        assert len(noisy) == 12 and full.seed is None
        spread = np.sqrt((noisy.std(axis=0) ** 2).sum(-1))[10:]
        off = np.linalg.norm(noisy.mean(axis=0) - full.positions, axis=1)[10:]
        assert spread.mean() > 0.03 * width  # a fan (1.4, 7 % of the plot)
        assert off.mean() < 0.75 * spread.mean()  # around the dashed path (0.16-0.56 of the spread over seeds)
    return {}


def check_newton_one_step(scene):
    width, _ = extent(scene)
    p = paths(scene)
    assert np.linalg.norm(p["Newton"].positions[1]) < 1e-3  # 1.5e-5
    angle = math.radians(scene.surface_params["angle"])
    along, across = np.array([math.cos(angle), math.sin(angle)]), np.array([-math.sin(angle), math.cos(angle)])
    sgd = p["SGD"]
    eta = scene.hparams("sgd")["learning_rate"]
    assert abs(sgd.positions[1] @ across) < 0.01 and abs(sgd.positions[0] @ across) > 0.1 * width  # 7.96 -> 4e-8
    assert abs(sgd.positions[-1] @ along) > 0.6 * abs(sgd.positions[0] @ along)  # 74 % of the way left
    assert abs(sgd.positions[1] @ along) - abs(sgd.positions[-1] @ along) > 0.05 * width  # but it crawls visibly (1.4)
    # Whatever the conditioning, from anywhere: one step.
    starts = grid((-9, -3, 6), (-7, 2, 9))
    for kappa in (1.0, 10.0, 1000.0):
        for angle in (0.0, 30.0, 70.0):
            s = replace(scene, surface_values=(("angle", angle), ("condition_number", kappa)))
            assert max(np.linalg.norm(r.positions[1]) for r in fan(s, "newton", starts, steps=2)) < 1e-2, (kappa, angle)
    return {"1": [eta, 1 / curvature_max(scene)], "4.3": distance_end(sgd), "30": scene.run["steps"]}


def check_axis_alignment(scene):
    rotated = paths(scene)
    angle = scene.surface_params["angle"]
    aligned_scene = replace(scene, surface_values=(("angle", 0.0), ("condition_number", scene.surface_params["condition_number"])))
    aligned = paths(aligned_scene)  # what the student sees after setting the angle to 0 (the start stays)
    names = ("Momentum", "AdaGrad", "Adam")
    T = {k: (steps_to(rotated[k], 0.5), steps_to(aligned[k], 0.5)) for k in names}
    assert abs(T["Momentum"][0] - T["Momentum"][1]) <= 1  # momentum does not care (94, 94)
    for k in ("AdaGrad", "Adam"):
        assert T[k][0] > 1.5 * T[k][1], k  # rotation costs them (251 vs 68, 125 vs 37)
        assert T[k][1] < 0.8 * T["Momentum"][1] and T[k][0] > T["Momentum"][0], k  # edge at 0°, lost at 45°
    # Each method against itself, from the same start relative to the valley: 45° is slower for
    # AdaGrad and Adam from every start (1.26x at least), the same for momentum; at 0° they beat it.
    a = math.radians(angle)
    base = grid((-9.5, -8, -6, 6, 9.5), (-8, -4, -1.5, 1.5, 8))
    turned = [(math.cos(a) * x - math.sin(a) * y, math.sin(a) * x + math.cos(a) * y) for x, y in base]
    time = {k: np.array([(steps_to(r45, 0.5), steps_to(r0, 0.5)) for r45, r0 in
                         zip(fan(scene, k, turned), fan(aligned_scene, k, base))]) for k in ("momentum", "adagrad", "adam")}
    assert np.abs(time["momentum"][:, 0] - time["momentum"][:, 1]).max() <= 1
    for k in ("adagrad", "adam"):
        assert np.all(time[k][:, 0] > 1.15 * time[k][:, 1]) and np.all(time[k][:, 1] < time["momentum"][:, 1]), k
    return {"45": angle, "0": 0.0, "0.5": 0.5, "125": T["Adam"][0], "37": T["Adam"][1], "251": T["AdaGrad"][0],
            "68": T["AdaGrad"][1], "94": list(T["Momentum"])}


def settled_at(result, within, target=(0.0, 0.0)) -> int:
    """The step from which the path stays within `within` of target (10**9 if it never does by its end)."""
    outside = np.flatnonzero(distance(result, target) >= within)
    if outside.size and outside[-1] == len(result.positions) - 1:
        return 10**9
    return int(outside[-1]) + 1 if outside.size else 0


def check_lion_sign_steps(scene):
    rotated = paths(scene)
    angle, kappa = scene.surface_params["angle"], scene.surface_params["condition_number"]
    aligned_scene = replace(scene, surface_values=(("angle", 0.0), ("condition_number", kappa)))
    aligned = paths(aligned_scene)  # what the student sees after setting the angle to 0 (the start stays)
    T = {k: (settled_at(rotated[k], 0.5), settled_at(aligned[k], 0.5)) for k in ("Lion", "Adam", "Momentum")}
    eta = scene.hparams("lion")["learning_rate"]
    lion = rotated["Lion"]
    assert np.all(np.abs(np.abs(lion.updates) / eta - 1) < 0.02)  # every coordinate moves η a step (weight decay: ±1 %)
    first = steps_to(lion, 0.5)
    assert distance(lion)[first:].max() > 0.1 * extent(scene)[0]  # the overshoot: visible (6.3, 16 % of the plot)
    assert T["Lion"][0] < T["Adam"][0] < T["Momentum"][0]  # turned: Lion first (312, 391, 559)
    assert T["Adam"][1] < T["Lion"][1]  # aligned: Adam first (58 vs 225)
    assert T["Adam"][0] > 4 * T["Adam"][1] and T["Lion"][0] < 2 * T["Lion"][1]  # turning costs Adam 6.7x, Lion 1.4x
    assert abs(T["Momentum"][0] - T["Momentum"][1]) < 0.05 * T["Momentum"][0]  # momentum does not care
    # From other starts relative to the valley, and at other κ: turning costs Adam far more than Lion.
    a = math.radians(angle)
    base = grid((-9.5, -7, 7, 9.5), (-6, -2, 2, 6))
    turned = [(math.cos(a) * x - math.sin(a) * y, math.sin(a) * x + math.cos(a) * y) for x, y in base]
    for k in (30.0, 100.0, 300.0):
        at = {name: replace(s, surface_values=(("angle", s.surface_params["angle"]), ("condition_number", k)))
              for name, s in (("turned", scene), ("aligned", aligned_scene))}
        time = {o: np.array([(settled_at(r, 0.5), settled_at(q, 0.5)) for r, q in
                             zip(fan(at["turned"], o, turned, steps=3000), fan(at["aligned"], o, base, steps=3000))])
                for o in ("lion", "adam")}
        assert time["lion"].max() < 10**9 and time["adam"].max() < 10**9, k
        lion_cost, adam_cost = time["lion"][:, 0] / time["lion"][:, 1], time["adam"][:, 0] / time["adam"][:, 1]
        assert np.all(adam_cost > 1.5 * lion_cost) and np.median(adam_cost) > 2 * np.median(lion_cost), k
    return {"45": angle, "0": 0.0, "0.5": 0.5, "312": T["Lion"][0], "225": T["Lion"][1], "391": T["Adam"][0],
            "58": T["Adam"][1], "559": T["Momentum"][0], "563": T["Momentum"][1]}


def check_sam_flat_minimum(scene):
    from optviz.surfaces import FLAT_X, SHARP_FLAT, SHARP_X
    from optviz.trajectories.maps import basin_map

    width, _ = extent(scene)
    sharp, flat = np.array([SHARP_X, 0.0]), np.array([FLAT_X, 0.0])
    assert np.linalg.norm(sharp - flat) > 0.1 * width  # the two minima far apart on the plot (15 % of its width)
    by = paths(scene)
    for name in ("SGD", "Adam"):
        assert distance_end(by[name], sharp) < 0.01 * width, name  # stopped at the end of the crack
    assert distance_end(by["SAM"], flat) < 0.01 * width
    rho = scene.hparams("sam")["rho"]
    assert rho > 2 * SHARP_FLAT["crack_width"]  # its uphill probe reaches out of the crack
    resolution = scene.map_settings["map_res"]

    def shares(s):
        instance = s.basin_instance
        made = basin_map(s.surface, optimizer_of(instance), resolution=resolution, steps=s.run["steps"],
                         hparams=s.hparams(instance), surface_params=s.surface_params)
        index = {i: ("sharp" if np.linalg.norm(m - sharp) < 0.02 else "flat") for i, m in enumerate(made.minima)}
        kinds = np.vectorize(lambda b: index.get(int(b), "none"))(made.basin)
        return {kind: float(np.mean(kinds == kind)) for kind in ("sharp", "flat", "none")}

    assert scene.basin_instance == "sam"
    sam = shares(scene)
    assert sam["flat"] == 1.0
    without = TrajectoryScene.build(scene.surface, {}, ["sgd", "adam"], {}, None, dict(scene.run))
    sgd = shares(without)
    assert without.basin_instance == "sgd" and 0.6 < sgd["sharp"] < 0.9  # 74 %
    return {"0.04": SHARP_FLAT["crack_width"], "0.1": rho, "32": resolution, "74": 100 * sgd["sharp"]}


def check_per_parameter_rates(scene):
    by = paths(scene)
    ratio = {k: by[k].step_sizes[:, 0] / by[k].step_sizes[:, 1] for k in ("SGD", "AdaGrad", "Adam")}
    assert np.all(ratio["SGD"] == 1)  # one η for both
    for k in ("AdaGrad", "Adam"):
        assert np.all(ratio[k] > 10), k  # x's steps the longer throughout (14.6 at least): a log-scale gap
    assert by["Adam"].step_sizes[0] == pytest.approx(by["AdaGrad"].step_sizes[0], rel=1e-3)  # "both" at step 1
    # From starts off the valley floor (|y| >= 2), the shallow coordinate gets the longer steps all along
    # (a median 5.3x to 97x); turned 45°, steep and shallow mix in both coordinates and the two get about the
    # same (a median 0.72x to 1.39x), from the same places relative to the valley.
    starts = grid((-9.5, -5, 6, 9.5), (-8, -2, 2, 3))
    turned = replace(scene, surface_values=(("angle", 45.0), ("condition_number", scene.surface_params["condition_number"])))
    for k in ("adagrad", "adam"):
        for path in fan(scene, k, starts):
            ratio_k = path.step_sizes[:, 0] / path.step_sizes[:, 1]
            assert np.all(ratio_k > 1.5) and np.median(ratio_k) > 4, (k, path.positions[0])
        rotated_starts = [(math.cos(math.pi / 4) * x - math.sin(math.pi / 4) * y, math.sin(math.pi / 4) * x + math.cos(math.pi / 4) * y)
                          for x, y in starts]  # the same places relative to the turned valley
        for path in fan(turned, k, rotated_starts):
            assert 0.6 < np.median(path.step_sizes[:, 0] / path.step_sizes[:, 1]) < 1.6, (k, path.positions[0])
    at_45 = {r.label: r for r in compute.trajectories(turned)}
    assert all(abs(np.median(at_45[k].step_sizes[:, 0] / at_45[k].step_sizes[:, 1]) - 1) < 0.1 for k in ("AdaGrad", "Adam"))
    return {"1": 1, "22": [ratio["AdaGrad"][0], ratio["Adam"][0]], "0.56": by["Adam"].step_sizes[0, 0],
            "0.025": by["Adam"].step_sizes[0, 1], "15": ratio["Adam"][-1], "100": scene.run["steps"], "45": 45.0}


def check_data_preprocessing(scene):
    width, _ = extent(scene)
    raw = paths(scene)["SGD"]
    standardized_scene = replace(scene, surface_values=(("standardize", True),))
    std = paths(standardized_scene)["SGD"]
    raw_min = np.array([(c.x, c.y) for c in compute.critical_points(scene)][0])
    std_min = np.array([(c.x, c.y) for c in compute.critical_points(standardized_scene)][0])
    curvature = np.linalg.eigvalsh(hessians_at(scene.surface, raw_min[None], scene.surface_params)[0])
    eta = scene.hparams("sgd")["learning_rate"]
    assert 0.5 * 2 / curvature[1] < eta < 2 / curvature[1]  # η suits the steep direction (82 % of its limit)
    round_ = np.linalg.eigvalsh(hessians_at(scene.surface, np.zeros((1, 2)), standardized_scene.surface_params)[0])
    assert round_[1] < 1.5 * round_[0]  # standardized: round contours (1.22)
    assert distance_end(raw, raw_min) > 0.25 * width  # still 2.2 away after 500 steps
    arrived = steps_to(std, 0.05, std_min)
    assert arrived < 300 and steps_to(raw, 0.05, raw_min) > 2 * arrived
    starts = [s for s in grid(np.linspace(-0.9, 2.9, 6), np.linspace(-0.9, 2.9, 6)) if np.linalg.norm(np.subtract(s, raw_min)) > 0.5]
    far = np.linalg.norm(ends(scene, "sgd", starts) - raw_min, axis=1) > 0.2
    assert far.mean() > 0.8  # from most starts the raw run is still far (91 % of the audit's 78 starts)
    scene300 = replace(standardized_scene, run_values=tuple(sorted({**scene.run, "steps": 300}.items())))
    assert np.all(np.linalg.norm(ends(scene300, "sgd", starts) - std_min, axis=1) < 0.05)
    scales = REGRESSION_RAW.std(axis=0)
    return {"100": (scales.max() / scales.min(), 0.15), "8000": curvature[1] / curvature[0], "500": scene.run["steps"],
            "2.2": distance_end(raw, raw_min), "0.05": 0.05, "200": arrived}


def check_l2_penalty(scene):
    _, height = extent(scene)
    (penalized,) = compute.critical_points(scene)
    (plain,) = compute.critical_points(replace(scene, penalty_values=()))
    p, q = np.array([penalized.x, penalized.y]), np.array([plain.x, plain.y])
    assert 0.4 * np.linalg.norm(q) < np.linalg.norm(p) < 0.6 * np.linalg.norm(q)  # half as far out (0.505)
    assert np.all(np.abs(p) < np.abs(q)) and p[1] > 0.02 * height and p[0] > 0.1  # toward 0, off both axes (0.146)
    assert distance_end(paths(scene)["SGD"], p) < 0.01
    return {"0.92": p[0], "0.15": p[1], "1.84": q[0], "0.20": q[1], "0": 0.0}


def check_l1_penalty(scene):
    (penalized,) = compute.critical_points(scene)
    assert abs(penalized.y) < 0.01 and penalized.x > 1  # (1.363, 0.0002)
    assert abs(paths(scene)["SGD"].positions[-1, 1]) < 0.05  # SGD lands on the axis
    strength = scene.penalty["strength"]
    for other in (0.4, 0.8):  # not a tuned λ
        (q,) = compute.critical_points(replace(scene, penalty_values=(("penalty", "l1"), ("strength", other))))
        assert abs(q.y) < 0.01 and q.x > 0.5, other
    (ridge,) = compute.critical_points(replace(scene, penalty_values=(("penalty", "l2"), ("strength", strength))))
    assert ridge.y > 0.1  # L2 at the same λ keeps the weight
    return {"1.36": penalized.x, "0": penalized.y, "0.5": strength, "0.15": ridge.y}


# -- initialization lessons -----------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def stats_of(config):
    return layer_stats(config)


def networks(scene: LayersScene, seeds=(0, 1, 2)) -> list[list]:
    """[[stats of A (, B)] for the scene's seed and two more]: init claims must not hang on one draw."""
    out = []
    for extra in seeds:
        configs = [config.replace(seed=config.seed + extra) for _, config in scene.networks]
        out.append([stats_of(c) for c in configs])
    return out


def per_layer(values: np.ndarray) -> float:
    """Geometric mean factor per layer from layer 1 to the last."""
    return float((values[-1] / values[0]) ** (1 / (len(values) - 1)))


def check_tanh_small_init(scene):
    for (a,), seed in zip(networks(scene), range(3)):
        xavier = stats_of(scene.a.replace(init="glorot_normal", scale=1.0, seed=scene.a.seed + seed))
        assert a.std[-1] < 1e-4 * a.std[0] and np.all(np.diff(np.log(a.std)) < 0)  # collapse (1e-6)
        assert 0.15 < per_layer(a.std) < 0.3  # 0.223
        assert a.weight_grad_std.max() < 1e-3 * xavier.weight_grad_std.min()  # 4e-8 vs 7e-3
        assert a.weight_grad_std.max() < 1.5 * a.weight_grad_std.min()  # flat
        centre = a.histogram.shape[1] // 2
        assert a.histogram[-1, centre - 1:centre + 1].sum() > 0.9  # a spike at 0
    (a,) = networks(scene, (0,))[0]
    return {"0.01": scene.a.scale, "500": scene.a.width, "0.22": per_layer(a.std), "0": [a.std[-1], a.weight_grad_std.max()],
            "10⁶": (a.std[0] / a.std[-1], "log"), "10": a.depth, "4·10⁻⁸": np.median(a.weight_grad_std)}


def check_tanh_large_init(scene):
    for (a,) in networks(scene):
        assert a.saturated.min() > 0.85  # 92 %
        assert 18 < a.preact_std.mean() < 27  # ~sqrt(500) = 22
        assert a.grad_std[0] > 1e3 * a.grad_std[-1] and a.weight_grad_std[0] > 1e3 * a.weight_grad_std[-1]  # 7.5e4: not vanishing
        assert 2.5 < per_layer(a.grad_std[::-1]) < 5  # ~3.5x per layer toward the input
        assert a.grad_std[-1] < 0.3  # one tanh' cut of the std-1 output gradient: 0.155
    (a,) = networks(scene, (0,))[0]
    growth = per_layer(a.grad_std[::-1])
    return {"1.0": scene.a.scale, "1": [scene.a.scale, 1.0], "500": scene.a.width,
            "22": [a.preact_std.mean(), growth / a.grad_std[-1]], "92": [100 * a.saturated.mean()] * 2,
            "6": 1 / a.grad_std[-1], "3.5": growth, "8·10⁴": (a.grad_std[0] / a.grad_std[-1], "log"), "10": a.depth}


def check_tanh_xavier(scene):
    for (a,) in networks(scene):
        assert abs(a.preact_std[0] - 1) < 0.05  # Var(W) = 1/500: N(0, 1) inputs give std-1 pre-activations
        assert np.all(np.abs(a.preact_std[1:] / a.std[:-1] - 1) < 0.05)  # W keeps the variance (0.99-1.01)
        assert 0.8 < per_layer(a.std) < 0.97 and 0.15 < a.std[-1] < 0.35  # tanh shrinks it a little (0.89)
        assert a.saturated.max() < 0.1 and a.histogram.max() < 0.15  # spread out: no spike, no pile at ±1
    (a,) = networks(scene, (0,))[0]
    return {"2": 2.0, "1": 1.0, "500": scene.a.width, "0.89": per_layer(a.std), "0.63": a.std[0], "0.23": a.std[-1],
            "10": a.depth}


def check_relu_xavier(scene):
    for a, b in networks(scene):
        assert abs(per_layer(a.std) - 2**-0.5) < 0.05  # 0.706-0.728
        assert np.all(np.abs(a.zero - 0.5) < 0.05)  # half of the entries are zero
        assert a.std[-1] < 0.1 * a.std[0]  # A slopes down 1.3 decades
        assert np.all((b.std > 0.6) & (b.std < 1.25))  # B flat (0.80-1.08)
    a, b = networks(scene, (0,))[0]
    return {"1": 1.0, "2": [2.0, 2.0], "0.71": per_layer(a.std), "0.59": a.std[0], "0.027": a.std[-1],
            "0.85": np.median(b.std)}


def check_relu_he(scene):
    for (a,) in networks(scene):
        assert np.all((a.std > 0.6) & (a.std < 1.25))  # flat near 0.85 (0.80-1.08 over seeds)
        assert 0.5 * np.abs(a.histogram[0] - a.histogram[-1]).sum() < 0.15  # layer 1 and 10 alike (TV 0.009-0.066)
    (a,) = networks(scene, (0,))[0]
    return {"2": 2.0, "0.85": np.median(a.std), "1": 1, "10": a.depth}


def check_constant_init(scene):
    for (a,), seed in zip(networks(scene), range(3)):
        assert np.all(a.identical)
        floor = np.flatnonzero(a.weight_grad_std < 1e-6 * a.weight_grad_std.max()) + 1
        assert list(floor) == list(range(2, a.depth))  # every entry of dL/dW equal in layers 2-9 (<= 7e-12 vs 1.4e-3)
        assert a.weight_grad_std[-1] > 1e-4  # layer 10, read by the random loss, is not
        control = stats_of(scene.a.replace(init="glorot_normal", scale=1.0, seed=scene.a.seed + seed))
        assert not np.any(control.identical)
    (a,) = networks(scene, (0,))[0]
    return {"500": scene.a.width, "2": 2, "9": a.depth - 1}


def check_batchnorm(scene):
    for a, b in networks(scene):
        assert np.all(np.abs(a.std - b.std) < 0.02) and np.all(np.abs(a.mean - b.mean) < 0.02)  # the panels coincide
        for s in (a, b):
            assert 0.3 < s.grad_std[0] / s.grad_std[-1] < 3  # flat: no vanishing, no exploding (1.33)
        ratio = a.weight_grad_std / b.weight_grad_std
        assert np.all((ratio > 30) & (ratio < 300))  # two decades apart (100)
        assert np.all(a.grad_std > 30 * b.grad_std)
    plain = [stats_of(config.replace(batchnorm=False)) for _, config in scene.networks]
    assert plain[0].std[-1] < 1e-4 and plain[1].saturated.min() > 0.85  # without it: A collapses, B saturates
    a, b = networks(scene, (0,))[0]
    return {"0.01": scene.a.scale, "1.0": scene.b.scale, "1": 1.0,
            "100": [float(np.median(a.weight_grad_std / b.weight_grad_std)), float(np.median(a.grad_std / b.grad_std))]}


def check_wide_6x4096(scene):
    assert (scene.a.depth, scene.a.width, scene.a.batch) == (6, 4096, 16)  # the notes' x = randn(16, 4096)
    assert scene.b.scale == pytest.approx(1 / math.sqrt(scene.b.width))  # the notes' Xavier: randn / sqrt(D_in)
    for a, b in networks(scene):
        gain = a.preact_std[1:] / a.std[:-1]  # std(h W) / std(h): 0.01 sqrt(4096) = 0.64 (0.637-0.643)
        assert np.all(np.abs(gain - 0.64) < 0.03) and np.all(np.diff(a.std) < 0)  # shrinks layer by layer
        assert 0.45 < a.std[0] < 0.53 and 0.04 < a.std[-1] < 0.06  # 0.49 -> 0.046
        assert a.std[0] / a.std[-1] > 8  # a decade on the log axis
        gain = b.preact_std[1:] / b.std[:-1]  # W keeps the variance (0.99-1.01)
        assert np.all(np.abs(gain - 1) < 0.03) and np.all(np.diff(b.std) < 0)  # only tanh shrinks it
        assert 1.7 < b.std[0] / b.std[-1] < 2.5 and 0.27 < b.std[-1] < 0.33  # 0.63 -> 0.29: 2.1x
        assert a.saturated.max() < 0.01 and b.saturated.max() < 0.1
    a, b = networks(scene, (0,))[0]
    return {"6": [scene.a.depth, 6], "4096": [scene.a.width] * 3, "16": scene.a.batch, "0.01": [scene.a.scale] * 2,
            "0.64": float(np.median(a.preact_std[1:] / a.std[:-1])), "0": a.std[-1], "0.49": a.std[0],
            "0.05": a.std[-1], "2": b.std[0] / b.std[-1], "0.63": b.std[0], "0.30": b.std[-1]}


def check_residual_growth(scene):
    for a, b in networks(scene):
        assert np.all(a.block_output == [False, True] * 5)  # 5 blocks of two layers
        outs = a.std[a.block_output]
        growth = outs / np.concatenate([[1.0], outs[:-1]])  # the input has std 1
        assert np.all((growth > 1.6) & (growth < 1.9))  # x1.69-1.85 per block, sqrt(3) = 1.73
        assert np.all(np.abs(growth**2 - 1 - 2) < 0.5)  # Var(F(h)) / Var(h): 1.86-2.41
        assert 13 < outs[-1] < 19  # 15.1-17.4 at layer 10: past a decade on the log axis
        assert np.all(np.abs(b.std[b.block_output] - 1) < 0.02)  # B: the identity, std 1.00
        assert b.std[b.block_output].max() < outs[0] / 1.5  # visibly apart from A's first block
    a, b = networks(scene, (0,))[0]
    outs = a.std[a.block_output]
    growth = outs / np.concatenate([[1.0], outs[:-1]])
    return {"2": float(np.median(growth**2 - 1)), "1.7": float(np.exp(np.log(growth).mean())), "15": outs[-1],
            "10": a.depth, "1.0": float(np.median(b.std[b.block_output]))}


def check_dead_relu_bias(scene):
    for a, b in networks(scene):
        assert np.all(a.dead[5:] == 1) and np.all(a.dead[:4] < 0.05) and 0.3 < a.dead[4] < 0.7  # dies at layer 6
        assert np.all(np.diff(a.zero[:6]) > 0)  # each layer more negative than the last, until all are 0
        assert a.grad_std.max() == 0 and a.weight_grad_std.max() == 0  # no gradient flows anywhere
        assert 0.07 < b.dead[-1] < 0.15  # B: 10-11 % at layer 10
        assert 1.3 < np.median(b.preact_std) < 1.7  # 0.01 against std 1.44-1.59
    for seed in range(3):  # +0.01 changes nothing visible: B's curves are those of bias 0
        b = stats_of(scene.b.replace(seed=scene.b.seed + seed))
        plain = stats_of(scene.b.replace(bias=0.0, seed=scene.b.seed + seed))
        assert np.all(np.abs(b.dead - plain.dead) <= 0.01) and np.all(np.abs(np.log(b.std / plain.std)) < 0.1)
        assert np.all(np.abs(np.log(b.grad_std / plain.grad_std)) < 0.1)
    a, b = networks(scene, (0,))[0]
    return {"−0.5": scene.a.bias, "0": 0.0, "6": 1 + int(np.argmax(a.dead == 1)), "0.01": scene.b.bias,
            "1.5": float(np.median(b.preact_std)), "100": 100 * a.dead[5], "11": 100 * b.dead[-1], "10": b.depth}


def check_not_zero_centred(scene):
    for a, b in networks(scene):
        assert a.mean.min() > 0.45  # sigmoid's outputs: all positive, mean 0.5
        assert a.sign_agreement[0] < 0.06  # layer 1: zero-centred data, random signs (0.035)
        assert np.all(a.sign_agreement[1:] > 0.7) and np.all(a.sign_agreement[4:] > 0.98)  # 0.74 ... 1.0
        assert 0.6 < b.sign_agreement[0] < 0.8  # 0.69-0.74
        assert np.all(b.sign_agreement[1:] < 0.07)  # tanh's outputs are zero-centred again: a few %
        assert np.all(np.abs(b.mean[1:]) < 0.05)
    a, b = networks(scene, (0,))[0]
    return {"2": [2, scene.b.input_mean], "1": 1, "100": 100 * a.sign_agreement[4:].min(), "5": 5, "10": a.depth,
            "70": 100 * b.sign_agreement[0]}


def check_batchnorm_affine(scene):
    for a, b in networks(scene):
        assert scene.a.batchnorm and not scene.b.batchnorm
        assert np.all(np.abs(scene.a.bn_gamma / a.preact_std - 1) < 0.03)  # gamma = std(z): 21.9-22.4
        assert np.all(np.abs(a.preact_mean) < 0.1 * a.preact_std)  # beta = 0 = mean(z)
        for name in ("mean", "std", "saturated", "dead", "sign_agreement"):
            assert np.all(np.abs(getattr(a, name) - getattr(b, name)) < 0.01), name  # the curves coincide
        for name in ("grad_std", "weight_grad_std", "grad_weight_ratio"):  # within 10 % on log axes
            assert np.all(np.abs(np.log(getattr(a, name) / getattr(b, name))) < np.log(1.15)), name
        assert a.saturated.min() > 0.9 and b.saturated.min() > 0.9
        normalised = stats_of(scene.a.replace(bn_gamma=1.0, seed=scene.a.seed))
        assert normalised.saturated.max() < 0.1  # without the scale, batch norm's healthy network
    a, b = networks(scene, (0,))[0]
    return {"22": [scene.a.bn_gamma, float(np.median(a.preact_std))], "0": [scene.a.bn_beta, float(np.median(a.preact_mean))],
            "92": [100 * a.saturated.mean(), 100 * b.saturated.mean()]}


CHECKS = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}
_measured: dict = {}


def measured(key: str) -> dict:
    """The check of lesson `key` (run once) and the numbers it measured for the text."""
    if key not in _measured:
        _measured[key] = CHECKS[key](LESSONS[key].make_scene())
    return _measured[key]


@pytest.mark.parametrize("key", OWN_LESSONS)
def test_lesson_shows_its_phenomenon(key):
    lesson = LESSONS[key]
    assert key in CHECKS, f"lesson {key} has no check"
    assert lesson.title and lesson.text.count(".") >= 2 and lesson.look_for
    assert len(lesson.title) <= 50 and len(lesson.text) + len(lesson.look_for) <= 330  # a small box on a projector
    assert isinstance(measured(key), dict)


@pytest.mark.parametrize("key", list(LESSONS))
def test_a_look_for_names_a_tab_by_its_label(key):
    """A look-for that sends the class to a tab ("Decision boundary: ...", "Mean & std per layer tab:
    ...") names it as the tab bar shows it: a short form that is part of a label ("Boundary:") or
    holds one is not found on the screen at a glance."""
    lesson = LESSONS[key]
    labels = [view.label for view in PAGES[lesson.page].views]
    for sentence in re.split(r"(?<=[.;!?])\s+", lesson.look_for):
        head = sentence.split(":", 1)[0].removesuffix(" tab") if ":" in sentence else ""
        near = [label for label in labels if head and (head.lower() in label.lower() or label.lower() in head.lower())]
        assert not near or head in labels, f"{key}: {head!r} for the tab {near[0]!r}"


# -- the numbers a text quotes --------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
# A number not glued to a word (L2, β1, fan_in stay out), with an optional sign and power of ten:
# "0.96", "−1.04", "92", "10⁶", "4·10⁻⁸".
_NUMBER = re.compile(r"(?<![\w.])(−?\d+(?:\.\d+)?)(?:(·10)?([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?")


def quoted_numbers(text: str) -> dict[str, float]:
    """{token: value} of every number in `text` ("4·10⁻⁸" -> 4e-8, "10⁶" -> 1e6)."""
    found = {}
    for match in _NUMBER.finditer(text):
        digits, times_ten, exponent = match.groups()
        value = float(digits.replace("−", "-"))
        if exponent is not None:
            power = int(exponent.translate(_SUPERSCRIPT))
            if times_ten:
                value *= 10.0**power
            elif digits == "10":
                value = 10.0**power
            else:
                raise AssertionError(f"{match.group(0)!r}: a power of what?")
        found[match.group(0)] = value
    return found


def agrees(quoted: float, token: str, value) -> bool:
    """A quoted number matches a measured one: 10 % (or the rounding of its last digit), a factor 2.5 for powers of ten."""
    value, tolerance = value if isinstance(value, tuple) else (value, 0.1)
    if tolerance == "log":
        return value > 0 and abs(math.log10(value / quoted)) < math.log10(2.5)
    decimals = len(token.split(".")[1]) if "." in token else 0
    return abs(float(value) - quoted) <= max(tolerance * abs(quoted), 0.5 * 10.0**-decimals if quoted == 0 else 0.0,
                                             0.5 * 10.0**-decimals if decimals else 0.0)


@pytest.mark.parametrize("key", OWN_LESSONS)
def test_quoted_numbers_are_the_computed_ones(key):
    lesson = LESSONS[key]
    quoted = quoted_numbers(" ".join((lesson.title, lesson.text, lesson.look_for)))
    numbers = measured(key)
    assert set(quoted) == set(numbers), f"{key}: quoted {sorted(quoted)}, measured {sorted(numbers)}"
    for token, q in quoted.items():
        values = numbers[token] if isinstance(numbers[token], list) else [numbers[token]]
        for value in values:
            assert agrees(q, token, value), f"{key}: the text says {token}, the numbers give {value}"


# Lessons that point at single steps of a path: its dots, its segments, "every step".
STEPS_SHOWN = re.compile(r"\b(dots?|segments?|every step)\b", re.IGNORECASE)
STEP_LESSONS = [key for key, lesson in LESSONS.items()
                if lesson.page == "trajectories" and STEPS_SHOWN.search(f"{lesson.text} {lesson.look_for}")]


@pytest.mark.parametrize("key", STEP_LESSONS)
def test_steps_a_lesson_points_at_are_drawn(key):
    """The map draws each step of the lesson's paths as a dot: only paths of at most
    PATH_MARKERS_MAX_POINTS points get them (a longer one is a plain line, its steps unseen)."""
    from optviz.trajectories.figures import PATH_MARKERS_MAX_POINTS, build_figure

    scene = LESSONS[key].make_scene()
    data = compute.compute(scene)
    labels = {r.label for r in data.results}
    paths = [t for t in build_figure("contour", scene, data, presenter=True).data
             if (t.name or "").replace("<br>", " ") in labels]  # a long name is wrapped in the legend
    assert len(paths) == len(labels), key
    for trace in paths:
        assert "markers" in trace.mode, (key, trace.name, f"paths over {PATH_MARKERS_MAX_POINTS} points draw no dots")


def test_quoted_numbers_parse():
    assert quoted_numbers("x ≈ −1.04, 92 %, L2 at λ = 0.5, ~10⁶×, 4·10⁻⁸, β1") == {
        "−1.04": -1.04, "92": 92.0, "0.5": 0.5, "10⁶": 1e6, "4·10⁻⁸": 4e-8}
    assert agrees(0.96, "0.96", 0.9601) and not agrees(0.96, "0.96", 0.85)
    assert agrees(1e6, "10⁶", (7.3e5, "log")) and not agrees(1e6, "10⁶", (1e4, "log"))


# -- links ----------------------------------------------------------------------------------


def test_lessons_round_trip_through_links():
    for lesson in LESSONS.values():
        scene = lesson.make_scene()
        again, notices = type(scene).from_query(scene.to_query())
        assert notices == [] and again.to_query() == scene.to_query()


def test_a_link_overriding_a_lesson_blames_only_its_own_keys():
    read = lesson_aware(TrajectoryScene.from_query, "trajectories")
    scene, notices = read({"scene": "sgd_zigzag", "sgd.learning_rate": "1.5"})  # still the lesson, one value moved
    assert dict(scene.surface_values)["condition_number"] == 50 and scene.hparams("sgd")["learning_rate"] == 1.5
    assert notices == []
    scene, notices = read({"scene": "sgd_zigzag", "opt": "adam"})  # the lesson's sgd.learning_rate is moot
    assert scene.optimizers == ("adam",) and notices == []
    _, notices = read({"scene": "sgd_zigzag", "opt": "adam", "sgd.learning_rate": "0.5"})  # the link's own key
    assert len(notices) == 1 and "sgd.learning_rate" in notices[0]

    read = lesson_aware(LayersScene.from_query, "layers")
    scene, notices = read({"scene": "relu_xavier", "b.gain": "1.5"})
    assert scene.a.activation == scene.b.activation == "relu" and scene.b.gain == 1.5 and notices == []
    scene, notices = read({"scene": "relu_xavier", "compare": "false"})  # the lesson's b.* are moot
    assert scene.b is None and notices == []
    _, notices = read({"scene": "relu_xavier", "compare": "false", "b.gain": "2"})
    assert notices == ["link: b.* settings ignored (compare is off)"]


# -- surface captions and optimizer lines ---------------------------------------------------


def test_ravine_caption_and_sgd_momentum_lines():
    """ill_conditioned, sgd, momentum: SGD crawls (zigzags only when η > 1 = 1/steepest curvature); momentum
    speeds along but swings across."""
    starts = [(-9, 4), (6, 8), (-5, -9)]

    def half_life(values):  # steps until |value| first falls below half its start
        below = np.flatnonzero(np.abs(values) < 0.5 * abs(values[0]))
        return int(below[0]) if below.size else len(values)

    for eta in (0.01, 0.1, 0.5, 0.9):
        for r in run_paths("ill_conditioned", "sgd", starts, steps=1000, hparams={"learning_rate": eta}):
            dy = r.updates[:, 1][np.abs(r.updates[:, 1]) > 1e-3]
            assert np.all(np.sign(dy[1:]) == np.sign(dy[:-1])), eta  # no zigzag: every step on the same side
            assert half_life(r.positions[:, 0]) > 10 * half_life(r.positions[:, 1]), eta  # crawls along (kappa = 20x)
    for r in run_paths("ill_conditioned", "sgd", starts, steps=60, hparams={"learning_rate": 1.5}):
        assert np.all(np.sign(r.updates[1:20, 1]) != np.sign(r.updates[:19, 1]))  # zigzag
    for eta in (0.03, 0.1):
        moms = run_paths("ill_conditioned", "momentum", starts, steps=200, hparams={"learning_rate": eta})
        sgds = run_paths("ill_conditioned", "sgd", starts, steps=200, hparams={"learning_rate": eta})
        for m, s in zip(moms, sgds):
            y = m.positions[:, 1]
            assert (np.sign(y[1:]) != np.sign(y[:-1])).sum() >= 5  # swings across
            assert distance_end(m) < 0.2 * distance_end(s)  # faster along


def test_adagrad_line_small_rate_stalls():
    a = run_paths("ill_conditioned", "adagrad", [(-9, 4), (9, -6)], steps=300, hparams={"learning_rate": 0.1})
    for r in a:
        step = np.linalg.norm(r.updates, axis=1)
        assert distance_end(r) > 2 and step[-1] < 0.1 * step[0]


def test_saddle_caption():
    """Near the ridge gradient descent lingers; momentum and Adam leave much sooner (several η)."""
    starts = [(-1.8, 0.001), (-1.0, -0.001), (-1.5, 0.01)]
    for eta in (0.01, 0.05, 0.1):
        exits = {k: np.array([first_beyond(r, 1, 2.0) for r in run_paths("saddle", k, starts, steps=300, hparams={"learning_rate": eta})])
                 for k in ("sgd", "momentum", "adam")}
        assert np.all(exits["sgd"] > 1.4 * exits["momentum"]) and np.all(exits["sgd"] > 1.4 * exits["adam"]), eta


def test_local_minimum_caption():
    """A small step stays in the first well from everywhere right of the ridge; a large step can jump."""
    ridge = sorted(c.x for c in SURFACES["local_minimum"].critical_points({"tilt": 0.3}))[1]
    starts = grid(np.linspace(0.2, 2.5, 12), (-1.5, 0.0, 1.5))
    for eta in (0.005, 0.02):
        e = run_end_points("local_minimum", "sgd", np.array(starts), steps=500, hparams={"learning_rate": eta}).positions
        assert np.all(e[:, 0] > ridge)
    e = run_end_points("local_minimum", "sgd", np.array([(2.0, 1.5)]), steps=300, hparams={"learning_rate": 0.1}).positions
    assert e[0, 0] < ridge


def test_rastrigin_caption():
    """At a stable step (< 2/397 for A = 10) gradient descent is trapped by the ripples; at 0.1 it is
    unstable on every ripple and is thrown far out of the view."""
    g = np.linspace(-4.8, 4.8, 9)
    starts = np.array(grid(g, g))
    for eta in (0.001, 0.004):
        e = run_end_points("rastrigin", "sgd", starts, steps=500, hparams={"learning_rate": eta})
        assert (np.linalg.norm(e.positions, axis=1) < 0.1).mean() < 0.05 and np.all(e.diverged_at < 0)
    thrown = [np.abs(p.positions).max() > 5.12 for p in run_paths("rastrigin", "sgd", starts, steps=200, hparams={"learning_rate": 0.1})]
    assert np.mean(thrown) > 0.8


def test_rosenbrock_caption():
    """At a stable step gradient descent falls into the valley fast, then follows it slowly."""
    for r in run_paths("rosenbrock", "sgd", [(1.5, -0.5), (-1.0, -0.5), (0.5, 2.5)], steps=200, hparams={"learning_rate": 0.001}):
        off = np.abs(r.positions[:, 1] - r.positions[:, 0] ** 2)
        assert r.diverged_at is None and off[:20].min() < 0.1 and distance_end(r, (1.0, 1.0)) > 0.3


def test_linear_regression_caption():
    """Raw features: GD needs η < 2/86 ≈ 0.023 and then crawls; standardized it converges; adaptive methods cope with raw."""
    (m_raw,), (m_std,) = ([np.array([c.x, c.y]) for c in SURFACES["linear_regression"].critical_points({"standardize": s})]
                          for s in (False, True))
    starts = np.array(grid((-0.9, 1.0, 2.9), (-0.9, 1.0, 2.9)))

    def run(opt, eta, standardize):
        return run_end_points("linear_regression", opt, starts, steps=200, hparams={"learning_rate": eta},
                              surface_params={"standardize": standardize})

    assert np.all(run("sgd", 0.03, False).diverged_at >= 0)
    crawl = np.linalg.norm(run("sgd", 0.019, False).positions - m_raw, axis=1)
    assert np.median(crawl) > 0.3
    assert np.all(np.linalg.norm(run("sgd", 0.1, True).positions - m_std, axis=1) < 0.01)
    assert np.median(np.linalg.norm(run("adam", 0.1, False).positions - m_raw, axis=1)) < 0.05


def test_styblinski_tang_caption():
    """Descent ends in the deepest basin from about a quarter of the starts (28 %)."""
    g = np.linspace(-4.8, 4.8, 13)
    e = run_end_points("styblinski_tang", "sgd", np.array(grid(g, g)), steps=500, hparams={"learning_rate": 0.01}).positions
    deepest = (e[:, 0] < 0) & (e[:, 1] < 0)
    assert 0.15 < deepest.mean() < 0.4
