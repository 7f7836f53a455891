"""Trajectory figures: lean for the browser, honest geometry (clipping, framing, equal scales),
readable markers, legends and axes. Mostly on small made-up results, so each check is fast and
says exactly what it pins; tests/test_trajectory_views.py checks the same on every lesson scene."""

import base64
import io
import math

import numpy as np
import pytest
from PIL import Image

from optviz import palette, style
from log_ticks import check_log_axis
from optviz.surfaces import CriticalPoint
from optviz.trajectories import compute
from optviz.trajectories import figures as figs
from optviz.trajectories.results import SurfaceGrid, SurfaceView, TrajectoryData, TrajectoryResult, cover, framed, grow, widened
from optviz.trajectories.scene import TrajectoryScene


# -- made-up data ------------------------------------------------------------------------------


def bowl_view(box=((-2.0, 2.0), (-1.0, 1.0)), points=(CriticalPoint(0.0, 0.0, "global minimum"),), domain=((-5.0, 5.0), (-5.0, 5.0))):
    """f = x^2 + y^2 on a grid covering every frame of `box`."""
    (x0, x1), (y0, y1) = cover(*box, domain)
    xs, ys = np.linspace(x0, x1, 121), np.linspace(y0, y1, 121)
    z = xs[None, :] ** 2 + ys[:, None] ** 2
    return SurfaceView(grid=SurfaceGrid(xs, ys, z), domain=domain, critical_points=list(points), log_scale=False,
                       title="Bowl", minimum_value=0.0, xrange=box[0], yrange=box[1])


def path(points, label="SGD", optimizer="sgd", diverged_at=None, **fields):
    positions = np.asarray(points, float)
    return TrajectoryResult(label=label, optimizer=optimizer, hparams={"learning_rate": 0.1}, positions=positions,
                            losses=(positions ** 2).sum(axis=1), gradients=2 * positions, updates=np.diff(positions, axis=0),
                            diverged_at=diverged_at, divergence="out of bounds" if diverged_at else None,
                            instance=fields.pop("instance", optimizer), color=fields.pop("color", "#000000"), **fields)


def _contour(steps: int):
    scene = TrajectoryScene.build(run={"steps": steps})
    results = compute.trajectories(scene)
    return results, figs.build_figure("contour", scene, TrajectoryData(tuple(results), compute.surface_view(scene, results)),
                                      clickable=True)


# -- browser cost ------------------------------------------------------------------------------


@pytest.mark.parametrize("steps", [20, figs.PATH_MARKERS_MAX_POINTS - 1, 500])
def test_paths_carry_markers_only_when_short(steps):
    results, fig = _contour(steps)
    paths = [t for t in fig.data if t.legendgroup and t.mode in ("lines", "lines+markers")]
    assert len(paths) == len(results)
    expected = "lines+markers" if steps + 1 <= figs.PATH_MARKERS_MAX_POINTS else "lines"
    assert all(t.mode == expected for t in paths)
    # Hover keeps the step, loss and gradient of every point either way.
    assert all(len(t.customdata) == len(t.x) and "step" in t.hovertemplate for t in paths)


@pytest.mark.parametrize("presenter", [False, True])
def test_click_grid_covers_the_view_on_round_steps_within_hover_reach(presenter):
    scene = TrajectoryScene()
    data = compute.compute(scene)
    fig = figs.build_figure("contour", scene, data, presenter=presenter, clickable=True)
    grid = next(t for t in fig.data if t.name == "click to start here")
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    xs, ys = np.unique(np.asarray(grid.x, float)), np.unique(np.asarray(grid.y, float))
    step = xs[1] - xs[0]
    assert np.allclose(np.diff(xs), step, rtol=1e-4) and np.allclose(np.diff(ys), step, rtol=1e-4)
    assert np.allclose(xs / step, np.round(xs / step), atol=1e-3)  # a click starts at round coordinates
    # It covers the frame (a cell beyond each edge at most), and every point is a point of the grid.
    assert xs.min() <= x0 + step and xs.max() >= x1 - step and ys.min() <= y0 + step and ys.max() >= y1 - step
    assert len(grid.x) == len(xs) * len(ys) <= figs.CLICK_GRID_MAX
    # Plotly reports a click within 20 px (its hover distance) of a point: with equal scales a data
    # unit is at most plot height / y span px, so neighbours must be at most ~28 px apart.
    margin = fig.layout.margin
    plot_height = fig.layout.height - margin.t - margin.b
    assert step * plot_height / (y1 - y0) <= figs.CLICK_SPACING_PX + 1e-6
    # Empty text points: selectable and hoverable, but no per-point marker for Plotly to style on every draw.
    assert grid.mode == "text" and grid.text == "" and grid.marker.size is None


# -- geometry ----------------------------------------------------------------------------------


def test_grow_fills_the_domain_first_then_grows_evenly_and_monotonically():
    assert grow(-1, 1, 6, (-2, 10)) == (-2, 4)  # one unit of room below, the rest above
    assert grow(-1, 1, 10, (-2, 2)) == (-5, 5)  # past the domain: evenly
    assert grow(0, 1, 0.5, (0, 1)) == (0, 1)  # never shrinks
    sizes = np.linspace(2, 30, 29)
    ranges = [grow(-9.5, 1, s, (-10, 10)) for s in sizes]
    assert all(a[0] >= b[0] and a[1] <= b[1] for a, b in zip(ranges, ranges[1:]))
    assert all(r[1] - r[0] == pytest.approx(max(s, 10.5)) for r, s in zip(ranges, sizes))


@pytest.mark.parametrize("aspect", [0.6, 1.0, 1.8, 2.6, 4.0])
def test_a_frame_has_the_aspect_and_holds_the_box(aspect):
    box = ((-9.6, 1.0), (-3.0, 4.6))
    (x0, x1), (y0, y1) = framed(*box, aspect, ((-10, 10), (-10, 10)))
    assert (x1 - x0) / (y1 - y0) == pytest.approx(aspect)
    assert x0 <= box[0][0] and x1 >= box[0][1] and y0 <= box[1][0] and y1 >= box[1][1]
    # The grid's cover holds every frame a figure shows and what a browser may add to it.
    (cx0, cx1), (cy0, cy1) = cover(*box, ((-10, 10), (-10, 10)))
    (wx0, wx1), (wy0, wy1) = widened((x0, x1), (y0, y1), (aspect / 1.6, aspect * 1.6)) if 1.4 <= aspect <= 2.6 else ((x0, x1), (y0, y1))
    assert cx0 <= wx0 and cx1 >= wx1 and cy0 <= wy0 and cy1 >= wy1


def test_clipping_breaks_a_path_that_leaves_and_comes_back_and_marks_its_exit():
    # Out through the right edge, back in through the top: no chord across the outside.
    points = np.array([[0, 0], [1, 0], [3, 0], [3, 3], [1, 0.5], [0, 0.5]])
    clip = figs.clip_path(points, (-1, 2), (-1, 1))
    xy = clip.xy
    assert np.isnan(xy[:, 0]).sum() == 1  # one break
    drawn = [seg for seg in zip(xy[:-1], xy[1:]) if np.isfinite(seg[0]).all() and np.isfinite(seg[1]).all()]
    for a, b in drawn:  # every drawn segment lies inside
        for p in (a, b, (a + b) / 2):
            assert -1 - 1e-6 <= p[0] <= 2 + 1e-6 and -1 - 1e-6 <= p[1] <= 1 + 1e-6
    (t, side), = clip.exits
    assert side == "right" and 1 < t < 2
    assert xy[np.flatnonzero(np.isnan(xy[:, 0]))[0] - 1] == pytest.approx([2, 0], abs=1e-3)  # the exit, on the edge
    assert np.allclose(xy[-1], [0, 0.5])
    # A path that stays inside is drawn as it is.
    inside = figs.clip_path(points[:2], (-1, 2), (-1, 1))
    assert np.array_equal(inside.xy, points[:2]) and not inside.exits


def test_a_path_leaving_the_view_is_marked_on_its_edge_with_its_label_inside():
    view = bowl_view()
    results = [path([[-1, 0], [0, 0.5], [1, -0.5], [4, 6], [9, 20]], label="SGD", diverged_at=5),
               path([[-1, 0], [-0.5, 0.2], [0, 0]], label="Adam", optimizer="adam", color="#0072B2")]
    fig = figs.contour_figure(view, results, (-1, 0), clickable=False)
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    marker = next(t for t in fig.data if t.name == "diverged")
    (mx,), (my,) = marker.x, marker.y
    assert x0 <= mx <= x1 and y0 <= my <= y1
    assert min(abs(mx - x0), abs(mx - x1), abs(my - y0), abs(my - y1)) < 1e-3 * (x1 - x0)  # on the edge
    # The label gives the step it left the view (3), as the hover and the page's message do; the
    # blow-up (step 5) came later, off the plot.
    assert marker.text[0].startswith("✗ SGD: left at step 3")
    assert "left the plot at step 3 and diverged at step 5" in marker.hovertemplate[0]
    assert marker.textposition[0].startswith("bottom")  # it left through the top: the label goes below
    sgd = next(t for t in fig.data if t.name == "SGD")
    assert np.isfinite(sgd.x[-1]) and (sgd.x[-1], sgd.y[-1]) == pytest.approx((mx, my))
    assert all(y0 <= y <= y1 for y in np.asarray(sgd.y, float) if np.isfinite(y))
    # Adam ends inside: a dot at its end, in its colour.
    ends = next(t for t in fig.data if t.name == "end of a path")
    assert list(ends.x) == [0] and list(ends.marker.color) == ["#0072B2"]


def test_labels_of_paths_stopping_at_one_place_share_one_label():
    view = bowl_view()
    out = [[-1, 0], [0.5, 0.5], [3, 8]]
    results = [path(out, label=name, optimizer=key, diverged_at=2, instance=key)
               for name, key in (("SGD", "sgd"), ("Momentum", "momentum"), ("Nesterov", "nesterov"), ("Adam", "adam"))]
    fig = figs.contour_figure(view, results, (-1, 0), clickable=False)
    marker = next(t for t in fig.data if t.name == "diverged")
    labels = [t for t in marker.text if t]
    assert len(labels) == 1 and len(marker.text) == 4  # one marker per path, one label for the cluster
    assert labels[0].startswith("✗ SGD: left at step 2") and labels[0].count("<br>") == 2 and "+2 more" in labels[0]


# -- markers, legends, axes ----------------------------------------------------------------------


def test_global_and_local_minima_do_not_share_a_marker():
    points = [CriticalPoint(0, 0, "global minimum"), CriticalPoint(1, 0.5, "local minimum"), CriticalPoint(-1, 0.5, "saddle")]
    view = bowl_view(points=points)
    results = [path([[-1.5, -0.5], [0, 0]])]
    contour = figs.contour_figure(view, results, (-1.5, -0.5), clickable=False)
    playback = figs.playback_figure(view, results, (-1.5, -0.5))
    surface = figs.surface3d_figure(view, results, (-1.5, -0.5))
    for fig in (contour, playback, surface):
        kinds = {t.name: t.marker for t in fig.data if t.name in ("global minimum", "local minimum", "saddle point")}
        assert set(kinds) == {"global minimum", "local minimum", "saddle point"}
        assert kinds["global minimum"].symbol != kinds["local minimum"].symbol
        assert kinds["global minimum"].color != kinds["local minimum"].color  # filled (yellow) vs open (black)
        assert kinds["global minimum"].symbol.replace("-open", "") == kinds["local minimum"].symbol.replace("-open", "")


def test_a_noisy_fan_is_one_legend_entry_drawn_below_its_full_batch_path():
    scene = TrajectoryScene.build(optimizers=("sgd", "adam"), run={"noise": 1.0, "paths": 5, "steps": 30})
    data = compute.compute(scene)
    for name in ("contour", "loss", "distance", "playback", "surface3d"):
        fig = figs.build_figure(name, scene, data)
        entries = [t.name for t in fig.data if t.showlegend is not False and t.legendgroup]
        assert len(entries) == len(set(entries)), (name, entries)
        assert {"SGD (5 noisy paths)", "SGD (full batch)", "Adam (5 noisy paths)", "Adam (full batch)"} <= set(entries), name
        paths = [t for t in fig.data if t.legendgroup and (t.legendgroup.endswith(":fan") or t.legendgroup.endswith(":full"))]
        last_fan = max(i for i, t in enumerate(paths) if t.legendgroup.endswith(":fan"))
        first_full = min(i for i, t in enumerate(paths) if t.legendgroup.endswith(":full"))
        assert last_fan < first_full, name  # every fan below every full-batch path
        full = [t for t in paths if t.legendgroup.endswith(":full")]
        assert all(t.line.dash == palette.FULL_BATCH_DASH for t in full), name


def test_curves_use_the_optviz_log_axis():
    scene = TrajectoryScene.build(optimizers=("sgd", "momentum"), run={"steps": 40})
    data = compute.compute(scene)
    for name in ("loss", "distance"):
        for presenter in (False, True):
            fig = figs.build_figure(name, scene, data, presenter=presenter)
            values = np.concatenate([np.asarray(t.y, float) for t in fig.data if t.mode == "lines"])
            check_log_axis(fig.to_plotly_json()["layout"], "yaxis", values)
            assert fig.layout.yaxis.title.text


def test_step_decay_curves_span_what_the_noisy_paths_show():
    """The full-batch path converges to the float noise (10⁻¹⁶); the axis stops a decade under the
    noisy paths, so their halvings at steps 100 and 200 keep the height; titles stay short."""
    from optviz.pages import LESSONS, PAGES

    lesson = LESSONS["step_decay"]
    page = PAGES[lesson.page]
    scene = lesson.make_scene()
    data = page.compute(scene)
    for name in ("loss", "distance"):
        fig = page.build_figure(name, scene, data, presenter=True)
        layout = fig.to_plotly_json()["layout"]
        noisy = np.concatenate([np.asarray(t.y, float) for t in fig.data if t.mode == "lines" and t.opacity < 1])
        low, high = layout["yaxis"]["range"]
        assert high - low <= figs.CURVE_DECADES + 1, name
        assert low <= np.log10(noisy.min()) and high >= np.log10(noisy.max()), name
        assert high - np.log10(noisy.min()) >= 0.6 * (high - low), name  # the noisy paths fill most of the height
        labels = check_log_axis(layout, "yaxis", noisy)
        assert len(labels) >= 2, name
        # The rotated y title fits the plot's height; the legend is above the plot, not beside it.
        plot_px = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        assert len(layout["yaxis"]["title"]["text"]) * 0.6 * style.Style.for_mode(True).font_size <= plot_px, name
        assert layout["legend"]["orientation"] == "h" and layout["legend"]["yanchor"] == "bottom", name


def test_the_3d_view_is_seen_as_the_contour_map_with_its_markers():
    view = bowl_view(points=[CriticalPoint(0, 0, "global minimum"), CriticalPoint(1, 0.5, "local minimum")])
    fig = figs.surface3d_figure(view, [path([[-1.5, -0.5], [0, 0]])], (-1.5, -0.5), presenter=True)
    camera = fig.layout.scene.camera
    eye = np.array([camera.eye.x, camera.eye.y, camera.eye.z]) - np.array([camera.center.x, camera.center.y, camera.center.z])
    right = np.cross(-eye, [camera.up.x, camera.up.y, camera.up.z])  # the screen's rightward direction
    away = -eye[:2]
    assert right[0] > 2 * abs(right[1])  # x grows to the right
    assert away[1] > 2 * abs(away[0])  # y grows away from the viewer
    names = {t.name for t in fig.data}
    assert {"start", "global minimum", "local minimum"} <= names
    ratio = fig.layout.scene.aspectratio
    (x0, x1), (y0, y1) = fig.layout.scene.xaxis.range, fig.layout.scene.yaxis.range
    assert ratio.x / ratio.y == pytest.approx((x1 - x0) / (y1 - y0))  # equal scales on x and y
    assert fig.layout.scene.xaxis.nticks <= 4 and fig.layout.scene.yaxis.nticks <= 4  # presenter: few, large ticks


@pytest.mark.parametrize("presenter", [False, True])
def test_map_sizes_and_the_colour_bar_beside_the_plot(presenter):
    view = bowl_view()
    fig = figs.contour_figure(view, [path([[-1.5, -0.5], [0, 0]])], (-1.5, -0.5), presenter=presenter)
    assert fig.layout.height <= (500 if presenter else 540)
    bar = fig.data[0].colorbar
    assert bar.x == 1 and bar.xanchor == "left" and bar.xpad <= 10  # right next to the plot
    xaxis, yaxis = fig.layout.xaxis, fig.layout.yaxis
    assert yaxis.scaleanchor == "x" and yaxis.scaleratio == 1
    assert xaxis.constrain == "range" and yaxis.constrain == "range"  # the browser fills the width, not a square
    assert "x" in xaxis.title.text and "y" in yaxis.title.text


def test_playback_moves_a_dot_on_every_path_over_an_image_with_isolines():
    view = bowl_view()
    results = [path([[-1.8, -0.8], [-1, -0.4], [-0.5, 0.2], [0, 0]]),
               path([[-1.8, -0.8], [-1.9, 0.5], [0.5, 0.9], [3, 2]], label="Adam", optimizer="adam", color="#0072B2")]
    fig = figs.playback_figure(view, results, (-1.8, -0.8))
    dots = next(i for i, t in enumerate(fig.data) if t.name == "current step")
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    for frame in fig.frames:
        assert dots in frame.traces
        data = frame.data[list(frame.traces).index(dots)]
        assert len(data.x) == len(results)
        assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in zip(data.x, data.y))
    last = fig.frames[-1].data[list(fig.frames[-1].traces).index(dots)]
    assert (last.x[0], last.y[0]) == pytest.approx((0, 0))
    assert y0 < last.y[1] == pytest.approx(y1, abs=1e-3 * (y1 - y0))  # Adam left through the top: its dot waits on the edge
    # The background image has contour lines: along a row across the bowl the grey deepens
    # smoothly but for thin darker lines at each level.
    png = base64.b64decode(fig.layout.images[0].source.split(",", 1)[1])
    row = np.asarray(Image.open(io.BytesIO(png)).convert("L"), float)
    row = row[row.shape[0] // 2]
    dips = np.flatnonzero((row[1:-1] < row[:-2] - 2) & (row[1:-1] < row[2:] - 2))
    assert len(dips) >= 4


def test_copy_styles_differ_and_the_palette_stays_jax_free():
    shades = {palette.copy_style("#000000", k) for k in range(3)}
    assert len({c for c, _ in shades}) == 3 and len({d for _, d in shades}) == 3
    for color in ("#000000", "#0072B2", "#E69F00"):
        first, second = palette.copy_style(color, 0), palette.copy_style(color, 1)
        assert math.dist(palette.rgb(first[0]), palette.rgb(second[0])) > 60 and first[1] != second[1]
    assert palette.FULL_BATCH_DASH not in palette.COPY_DASHES
