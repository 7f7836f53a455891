"""Every lesson scene (and the default scene) on the projector: each figure frames the action at
equal scales, every marker lies inside the plotted range, one colour per optimizer across scenes,
copies told apart, one message for many stopped paths, a caption in the lecture's symbols."""

import math

import numpy as np
import pytest

from optviz import palette
from optviz.optimizers import OPTIMIZERS
from optviz.pages import LESSONS, PAGES
from optviz.trajectories import compute, exports
from optviz.trajectories.results import BROWSER_SLACK, widened
from optviz.trajectories.scene import TrajectoryScene, optimizer_of

PAGE = PAGES["trajectories"]
SCENES = {"default": TrajectoryScene} | {key: lesson.make_scene for key, lesson in LESSONS.items() if lesson.page == "trajectories"}
_data: dict = {}


def scene_and_data(key):
    if key not in _data:
        scene = SCENES[key]()
        _data[key] = scene, PAGE.compute(scene)
    return _data[key]


def _inside(x, y, xrange, yrange) -> bool:
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    (x0, x1), (y0, y1) = xrange, yrange
    return bool(np.all((x[keep] >= x0) & (x[keep] <= x1) & (y[keep] >= y0) & (y[keep] <= y1)))


@pytest.mark.parametrize("presenter", [False, True])
@pytest.mark.parametrize("key", list(SCENES))
def test_every_point_of_every_map_lies_inside_the_plotted_range(key, presenter):
    scene, data = scene_and_data(key)
    for name in ("contour", "playback"):
        fig = PAGE.build_figure(name, scene, data, presenter=presenter, clickable=True)
        xrange, yrange = fig.layout.xaxis.range, fig.layout.yaxis.range
        for trace in fig.data:
            if trace.type == "scatter" and trace.name != "click to start here":
                assert _inside(trace.x, trace.y, xrange, yrange), (name, trace.name)
        for frame in fig.frames:
            for trace in frame.data:
                assert _inside(trace.x, trace.y, xrange, yrange), (name, frame.name)
    fig = PAGE.build_figure("surface3d", scene, data, presenter=presenter)
    axes = fig.layout.scene
    for trace in fig.data:
        if trace.type == "scatter3d":
            assert _inside(trace.x, trace.y, axes.xaxis.range, axes.yaxis.range), trace.name
            z = np.asarray(trace.z, float)
            assert np.all(z[np.isfinite(z)] <= axes.zaxis.range[1]) and np.all(z[np.isfinite(z)] >= axes.zaxis.range[0]), trace.name


@pytest.mark.parametrize("key", list(SCENES))
def test_the_view_frames_the_action_at_equal_scales(key):
    scene, data = scene_and_data(key)
    view = data.view
    (bx0, bx1), (by0, by1) = view.box
    (dx0, dx1), (dy0, dy1) = view.domain
    start = np.asarray(scene.start_point)
    assert bx0 < start[0] < bx1 and by0 < start[1] < by1
    for r in data.results:  # every path point inside the domain is inside the box
        p = r.positions
        in_domain = (p[:, 0] >= dx0) & (p[:, 0] <= dx1) & (p[:, 1] >= dy0) & (p[:, 1] <= dy1)
        assert _inside(p[in_domain, 0], p[in_domain, 1], view.box[0], view.box[1]), r.label
    fig = PAGE.build_figure("contour", scene, data, presenter=True)
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert x0 <= bx0 and x1 >= bx1 and y0 <= by0 and y1 >= by1
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    minima = [p for p in view.critical_points if p.is_minimum and dx0 <= p.x <= dx1 and dy0 <= p.y <= dy1]
    shown = [(x, y) for t in fig.data if t.name and "minimum" in t.name for x, y in zip(t.x, t.y)]
    assert len(shown) == len(minima)  # every minimum in the domain is in the view, and drawn
    # The grid the contour draws covers what a browser may show when it widens one range.
    contour = fig.data[0]
    aspect = (x1 - x0) / (y1 - y0)
    (wx0, wx1), (wy0, wy1) = widened((x0, x1), (y0, y1), (aspect / BROWSER_SLACK, aspect * BROWSER_SLACK))
    xs, ys = np.asarray(contour.x, float), np.asarray(contour.y, float)
    cell = max(np.diff(xs).max(), np.diff(ys).max())
    assert xs.min() <= wx0 + cell and xs.max() >= wx1 - cell and ys.min() <= wy0 + cell and ys.max() >= wy1 - cell


@pytest.mark.parametrize("key", [k for k in SCENES if k != "default" and SCENES[k]().surface == "ill_conditioned"])
def test_ravines_are_shown_wide_not_square(key):
    scene, data = scene_and_data(key)
    for presenter, least in ((False, 1.35), (True, 1.75)):
        fig = PAGE.build_figure("contour", scene, data, presenter=presenter)
        (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
        assert (x1 - x0) / (y1 - y0) >= least, presenter
        assert fig.layout.height <= (500 if presenter else 540)


def test_one_colour_per_optimizer_in_every_scene_whatever_its_place():
    seen: dict[str, set] = {}
    for key in SCENES:
        scene, data = scene_and_data(key)
        copies: dict[str, list] = {}
        for instance in scene.optimizers:
            copies.setdefault(optimizer_of(instance), []).append(instance)
        for r in data.results:
            if copies[r.optimizer].index(r.instance) == 0:
                seen.setdefault(r.optimizer, set()).add(r.color)
        fig = PAGE.build_figure("contour", scene, data)
        drawn = {t.name: t.line.color for t in fig.data if t.legendgroup and t.mode and "lines" in t.mode}
        for r in data.results:
            if r.seed is None and r.label in drawn:
                assert drawn[r.label] == r.color, (key, r.label)
    assert "sgd" in seen and len(seen) >= 6
    for optimizer, colours in seen.items():
        assert colours == {OPTIMIZERS[optimizer].color}, optimizer
    # SGD is black whether it comes first (default scene) or second (Newton's lesson).
    assert TrajectoryScene().optimizers[0] == "sgd" and LESSONS["newton_one_step"].make_scene().optimizers[1] == "sgd"


@pytest.mark.parametrize("key", ["learning_rate", "adam_bias_correction"])
def test_copies_of_one_optimizer_are_told_apart(key):
    _, data = scene_and_data(key)
    styles = [(r.color, r.dash) for r in data.results]
    assert len(set(c for c, _ in styles)) == len(styles) and len(set(d for _, d in styles)) == len(styles)
    for (a, _), (b, _) in zip(styles, styles[1:]):
        assert math.dist(palette.rgb(a), palette.rgb(b)) > 40


def test_a_noisy_fan_shares_its_optimizers_colour_and_dashes_its_full_batch_path():
    _, data = scene_and_data("minibatch_noise")
    assert {r.color for r in data.results} == {OPTIMIZERS["sgd"].color}
    full = [r for r in data.results if r.full_batch]
    assert len(full) == 1 and full[0].seed is None and full[0].dash == palette.FULL_BATCH_DASH
    assert all(r.dash == "solid" for r in data.results if r.seed is not None)


def test_several_stopped_paths_get_one_message():
    scene = TrajectoryScene.build("rosenbrock", optimizers=("sgd", "momentum", "adam"),
                                  hparams={k: {"learning_rate": 10.0} for k in ("sgd", "momentum", "adam")}, run={"steps": 50})
    data = compute.compute(scene)
    stopped = [r for r in data.results if r.diverged_at is not None]
    assert len(stopped) >= 2
    messages = compute.stop_messages(scene, data.results, data.view)
    assert [kind for kind, _ in messages] == ["diverged"]
    text = messages[0][1]
    assert f"**{len(stopped)} paths diverged**" in text
    for r in stopped:
        assert f"{r.label} at step {r.diverged_at}" in text
    assert text.lower().count("learning rate") == 1


def test_escaping_downhill_stays_apart_from_diverging():
    scene = TrajectoryScene.build("saddle", optimizers=("momentum", "adam", "sgd"),
                                  hparams={"momentum": {"learning_rate": 0.05}, "adam": {"learning_rate": 0.2},
                                           "sgd": {"learning_rate": 5.0}}, start=(-1.0, 0.01), run={"steps": 200})
    data = compute.compute(scene)
    kinds = dict(compute.stop_messages(scene, data.results, data.view))
    assert set(kinds) == {"escaped", "diverged"}
    assert "escaped downhill" in kinds["escaped"] and "Momentum" in kinds["escaped"]
    assert "SGD left the plot at step 1 and diverged at step" in kinds["diverged"] and "Momentum" not in kinds["diverged"]
    # Adam walks off the view at about eta per step: it left the plot but did not blow up, so it runs on
    # (the figure marks where it leaves) and no message calls it stopped.
    adam = next(r for r in data.results if r.optimizer == "adam")
    assert adam.diverged_at is None and np.abs(adam.positions[:, 1]).max() > 2 and "Adam" not in " ".join(kinds.values())


@pytest.mark.parametrize("key", ["momentum_overshoot", "step_decay", "l1_penalty", "adam_bias_correction"])
def test_the_caption_speaks_in_symbols(key):
    scene, data = scene_and_data(key)
    text = exports.caption(scene, list(data.results), escapes=data.view.unbounded)
    assert "η = " in text and "learning_rate" not in text
    x, y = scene.start_point
    assert f"start ({x:.4g}, {y:.4g})".replace("-", "−") in text
    assert f"{scene.run['steps']} steps" in text
    if scene.surface == "ill_conditioned":
        assert f"κ = {scene.surface_params['condition_number']:g}" in text and "angle" in text
    if scene.schedule != "constant":
        assert "step decay" in text and "γ = " in text
    if scene.run["noise"] > 0:
        assert f"σ = {scene.run['noise']:g}" in text and f"{scene.run['paths']} noisy paths" in text
    if scene.penalty["penalty"] != "none":
        assert "λ = " in text
    if key == "adam_bias_correction":
        assert "bias correction off" in text
    assert len(text) < 3 * 160  # at most 3 lines at 1200 px


def test_the_animation_legend_has_one_entry_per_fan():
    _, data = scene_and_data("minibatch_noise")
    labels = exports.animation_labels(list(data.results))
    assert [label for label in labels if label] == ["SGD (full batch)", "SGD (12 noisy paths)"]


def test_a_swing_out_of_the_view_that_comes_back_is_no_divergence():
    # Heavy ball at eta 3.9, mu 0.99 on a round bowl: spectral radius 0.995, so it swings out to |x| ~ 62
    # (three plot widths) and converges. It used to be called diverged (out of bounds) at step 2.
    scene, notices = TrajectoryScene.from_query({"condition_number": "1", "opt": "momentum", "momentum.learning_rate": "3.9",
                                                 "momentum.momentum": "0.99", "steps": "5000", "start": "-9,4"})
    assert not notices
    data = compute.compute(scene)
    path = data.results[0]
    assert path.diverged_at is None and np.abs(path.positions).max() > 30
    assert np.linalg.norm(path.positions[-1]) < 1e-3
    assert not compute.stop_messages(scene, data.results, data.view)


def test_newton_with_a_singular_damped_hessian_says_so():
    scene = TrajectoryScene.build("saddle", optimizers=["newton"], hparams={"newton": {"damping": 2.0}}, start=(0.5, 0.5))
    data = compute.compute(scene)
    (kind, message), = compute.stop_messages(scene, data.results, data.view)
    assert kind == "diverged" and "singular" in message and "learning rate" in message and "damping" in message
    assert "Try a smaller learning rate" not in message
