"""Trajectory figures stay lean for the browser: what is drawn per point, and the click grid."""

import numpy as np
import pytest

from optviz.trajectories import compute
from optviz.trajectories import figures as figs
from optviz.trajectories.results import TrajectoryData
from optviz.trajectories.scene import TrajectoryScene


def _contour(steps: int):
    scene = TrajectoryScene.build(run={"steps": steps})
    results = compute.trajectories(scene)
    return results, figs.build_figure("contour", scene, TrajectoryData(tuple(results), compute.surface_view(scene)), clickable=True)


@pytest.mark.parametrize("steps", [20, figs.PATH_MARKERS_MAX_POINTS - 1, 500])
def test_paths_carry_markers_only_when_short(steps):
    results, fig = _contour(steps)
    paths = [t for t in fig.data if t.legendgroup and t.mode in ("lines", "lines+markers")]
    assert len(paths) == len(results)
    expected = "lines+markers" if steps + 1 <= figs.PATH_MARKERS_MAX_POINTS else "lines"
    assert all(t.mode == expected for t in paths if len(t.x) == steps + 1)
    # Hover keeps the step, loss and gradient of every point either way.
    assert all(len(t.customdata) == len(t.x) and "step" in t.hovertemplate for t in paths)


def test_click_grid_spans_the_domain_within_hover_reach():
    scene = TrajectoryScene()
    _, fig = _contour(50)
    grid = next(t for t in fig.data if t.name == "click to start here")
    (x0, x1), (y0, y1) = compute.surface_view(scene).domain
    xs, ys = np.unique(grid.x), np.unique(grid.y)
    assert xs.min() == pytest.approx(x0) and xs.max() == pytest.approx(x1)
    assert ys.min() == pytest.approx(y0) and ys.max() == pytest.approx(y1)
    assert len(grid.x) == figs.CLICK_GRID**2 <= 700
    # Empty text points: selectable and hoverable, but no per-point marker for Plotly to style on every draw.
    assert grid.mode == "text" and grid.text == "" and grid.marker.size is None
    # Plotly reports a click within 20 px (its default hoverdistance) of a marker; the plot area is
    # at most ~600 px wide, so neighbours must be closer than 2 x 20 px apart.
    assert 600 / (figs.CLICK_GRID - 1) < 40
