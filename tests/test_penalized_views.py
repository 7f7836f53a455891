"""Penalized surfaces: their minima are found numerically; unbounded ones stay unbounded, and every
view of them (contour, loss, distance, the page's messages) tells the truth or says why it cannot."""

import numpy as np
import pytest

from optviz.trajectories import compute
from optviz.trajectories import figures as figs
from optviz.trajectories.results import TrajectoryData
from optviz.trajectories.scene import TrajectoryScene
from optviz.trajectories.runner import hessians_at

from test_app_trajectories import page


def scene(surface, penalty, strength, **options):
    return TrajectoryScene.build(surface, penalty={"penalty": penalty, "strength": strength}, **options)


@pytest.mark.parametrize("surface, penalty, strength", [("saddle", "l2", 0.5), ("saddle", "l1", 1.0),
                                                         ("monkey_saddle", "l2", 0.5)])
def test_a_penalty_too_weak_to_bound_a_saddle_gives_no_global_minimum(surface, penalty, strength):
    # The grid's edge cells used to be refined into "global minima" outside the plot.
    s = scene(surface, penalty, strength)
    view = compute.surface_view(s)
    (x0, x1), (y0, y1) = view.domain
    assert all(x0 <= p.x <= x1 and y0 <= p.y <= y1 for p in view.critical_points)
    assert not any(p.kind == "global minimum" for p in view.critical_points)
    assert view.unbounded
    if not view.critical_points:  # nothing to measure a distance to: the view says so
        fig = figs.build_figure("distance", s, TrajectoryData(tuple(compute.trajectories(s)), view))
        assert not fig.data and "No minimum found" in fig.layout.annotations[0].text


def test_a_penalty_strong_enough_makes_the_saddle_a_minimum():
    view = compute.surface_view(scene("saddle", "l2", 2.0))  # 3x^2 + y^2
    assert [(p.x, p.y, p.kind) for p in view.critical_points] == [(pytest.approx(0, abs=1e-2), pytest.approx(0, abs=1e-2),
                                                                    "global minimum")]
    assert not view.unbounded



def test_the_threshold_penalty_shows_the_saddle_s_flat_valley_of_minima():
    # saddle + l2 at strength 1: f = 2 x^2, minimal on the whole line x = 0 (no isolated minimum).
    s = scene("saddle", "l2", 1.0)
    results, view = compute.trajectories(s), compute.surface_view(s)
    minima = view.critical_points
    (_, _), (y0, y1) = view.domain
    assert len(minima) > figs.VALLEY_POINTS and {p.kind for p in minima} == {"global minimum"}
    assert all(abs(p.x) < 1e-6 for p in minima)
    assert min(p.y for p in minima) == pytest.approx(y0) and max(p.y for p in minima) == pytest.approx(y1)
    assert not view.unbounded and view.minimum_value == pytest.approx(0, abs=1e-6)
    fig = figs.build_figure("contour", s, TrajectoryData(tuple(results), view))
    valley = [t for t in fig.data if t.name == "global minimum (a flat valley)"]
    assert len(valley) == 1 and len(valley[0].x) == len(minima)
    # Every path reaches the valley, so its distance to the nearest minimum falls to the grid's spacing.
    distance = figs.build_figure("distance", s, TrajectoryData(tuple(results), view))
    assert all(min(t.y) < 0.05 for t in distance.data if t.y is not None and len(t.y) > 1)


def test_hessians_at_match_the_formula():
    # saddle + l2: f = x^2 - y^2 + s (x^2 + y^2), H = diag(2 + 2s, -2 + 2s) everywhere
    h = hessians_at("saddle", np.array([[0.3, -1.0], [1.0, 1.0], [0.0, 0.0]]), penalty="l2", strength=0.25)
    np.testing.assert_allclose(h, np.broadcast_to(np.diag([2.5, -1.5]), (3, 2, 2)), atol=1e-5)


def test_loss_below_the_lowest_known_minimum_is_plotted_as_loss_not_clipped():
    s = scene("monkey_saddle", "l2", 0.5, optimizers=("momentum",))
    results, view = compute.trajectories(s), compute.surface_view(s)
    assert results[0].losses.min() < view.minimum_value  # it escaped below the local minimum at 0
    fig = figs.build_figure("loss", s, TrajectoryData(tuple(results), view))
    assert fig.layout.yaxis.type != "log"
    np.testing.assert_allclose(fig.data[0].y, results[0].losses)


def test_a_minimum_found_numerically_keeps_the_log_loss_axis_without_clipping():
    # With an L1 penalty Adam stops a little short of the kink: the paths get lower than the
    # minimum found, and the axis then measures from the lowest loss reached.
    s = scene("linear_regression", "l1", 0.5)
    results, view = compute.trajectories(s), compute.surface_view(s)
    fig = figs.build_figure("loss", s, TrajectoryData(tuple(results), view))
    assert fig.layout.yaxis.type == "log"
    lowest = min(r.losses.min() for r in results)
    reference = min(lowest, view.minimum_value)
    for trace, r in zip([t for t in fig.data if t.mode == "lines"], results):
        np.testing.assert_allclose(trace.y, np.maximum(r.losses - reference, 1e-12))
    # The axis says what it measures from: the minimum, or the lowest loss reached (axis and title).
    below = lowest < view.minimum_value
    assert ("lowest" in fig.layout.yaxis.title.text) == below and ("(lowest " in fig.layout.title.text) == below


def test_a_single_noisy_path_and_its_full_batch_path_get_one_message():
    s = TrajectoryScene.build("ill_conditioned", optimizers=("sgd",), hparams={"sgd": {"learning_rate": 5.0}},
                              run={"noise": 0.01, "paths": 1})
    results, view = compute.trajectories(s), compute.surface_view(s)
    messages = compute.stop_messages(s, results, view)
    assert [kind for kind, _ in messages] == ["diverged"]
    (_, message), = messages
    assert "**2 paths diverged**" in message and "SGD (full batch) at step" in message and "SGD (seed 0) at step" in message
    assert message.count("learning rate") == 1 and "gradient noise (σ = 0.01)" in message  # the advice once
    assert "of 1" not in message


def test_a_noisy_fan_is_one_entry_of_one_message():
    # SGD at eta = 2.5 on the ravine blows up (x 1.5 per step across it); Adam does not.
    s = TrajectoryScene.build("ill_conditioned", optimizers=("sgd", "adam"), hparams={"sgd": {"learning_rate": 2.5}},
                              run={"noise": 1.0, "paths": 16, "steps": 100})
    results, view = compute.trajectories(s), compute.surface_view(s)
    stopped = [r for r in results if r.diverged_at is not None and r.seed is not None]
    assert len(stopped) > 2
    messages = compute.stop_messages(s, results, view)
    assert len(messages) == 1 and messages[0][0] == "diverged"
    message = messages[0][1]
    sgd = [r for r in stopped if r.optimizer == "sgd"]
    assert f"{len(sgd)} of 16 noisy SGD paths (step" in message
    first, last = min(r.diverged_at for r in sgd), max(r.diverged_at for r in sgd)
    assert (f"steps {first}–{last}" if first != last else f"step {first}") in message
    assert message.count("try smaller learning rates") == 1


def test_the_page_survives_these_links():
    for query in ({"surface": "saddle", "penalty": "l2", "strength": "1", "view": "3"},
                  {"surface": "monkey_saddle", "penalty": "l2", "strength": "0.5"},
                  {"view": "²"}):
        at = page(query, open_sections=False)
        assert not at.exception, query
    assert any("escaped downhill" in i.value for i in page({"surface": "monkey_saddle", "penalty": "l2",
                                                            "strength": "0.5"}, open_sections=False).info)
