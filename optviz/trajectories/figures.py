"""Pure Plotly builders for the trajectory page: contour, 3-D surface, loss and distance curves,
and the playback figure. (results, options) -> go.Figure; no streamlit, no JAX, no compute:
paths, their colours, the surface grid and its critical points come in as data
(optviz.trajectories.results).
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Sequence

import numpy as np
import plotly.graph_objects as go

from optviz import palette, style
from optviz.trajectories.results import SurfaceView, TrajectoryData, TrajectoryResult

if TYPE_CHECKING:
    from optviz.surfaces import CriticalPoint

# Invisible points per axis that make the contour clickable (a click on a contour returns nothing).
# 25 x 25: ~20 px apart on the default plot, within Plotly's 20 px hover distance, so a click
# anywhere lands on one. They are empty text points, not markers: Plotly styles every marker one
# by one on each draw and selection, and skips an empty text (benchmarks/bench_browser.py).
CLICK_GRID = 25
# Paths longer than this are drawn as lines only: per-point markers were the largest single cost of
# a redraw in the browser (benchmarks/bench_browser.py); the steps of a long path show in its kinks.
PATH_MARKERS_MAX_POINTS = 120
# More minima of one kind than this are a flat valley (a line or region of equal minima), drawn small.
VALLEY_POINTS = 12
_MARKER_SYMBOL = {"global minimum": "star", "local minimum": "star-open", "saddle": "x-thin-open", "maximum": "triangle-up-open"}


def _hover(result: TrajectoryResult) -> tuple[np.ndarray, str]:
    n = len(result.positions)
    custom = np.column_stack([np.arange(n), result.losses, result.gradients]).astype(np.float32)
    template = (
        f"<b>{result.label}</b><br>step %{{customdata[0]:.0f}}<br>x %{{x:.4g}}, y %{{y:.4g}}"
        "<br>loss %{customdata[1]:.4g}<br>gradient (%{customdata[2]:.3g}, %{customdata[3]:.3g})<extra></extra>"
    )
    return custom, template


def _axes(domain) -> tuple[dict, dict]:
    """The x and y axes of a map of the domain: fixed ranges, equal scales, no grid."""
    (x0, x1), (y0, y1) = domain
    return (dict(range=[x0, x1], title=dict(text="x (parameter 1)"), constrain="domain", showgrid=False, zeroline=False),
            dict(range=[y0, y1], title=dict(text="y (parameter 2)"), scaleanchor="x", scaleratio=1, constrain="domain",
                 showgrid=False, zeroline=False))


def _frame(fig: go.Figure, domain) -> None:
    xaxis, yaxis = _axes(domain)
    fig.update_layout(xaxis=xaxis, yaxis=yaxis)


def _critical_point_traces(points: Sequence["CriticalPoint"], st: style.Style) -> list[go.Scatter]:
    traces = []
    for kind in _MARKER_SYMBOL:
        chosen = [p for p in points if p.kind == kind]
        if chosen:
            valley = len(chosen) > VALLEY_POINTS  # a flat valley of minima, sampled on the grid: small marks
            traces.append(style.Scatter(
                x=[p.x for p in chosen], y=[p.y for p in chosen], mode="markers",
                name=f"{kind} (a flat valley)" if valley else kind,
                marker=dict(symbol=_MARKER_SYMBOL[kind], size=st.start_marker_size // 2 if valley else st.start_marker_size + 2,
                            color="black" if _MARKER_SYMBOL[kind].endswith("open") else "white",
                            line=dict(color="black", width=1 if valley else 2)),
                hovertemplate=f"{kind}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            ))
    return traces


def _path_traces(results: Sequence[TrajectoryResult], st: style.Style, fan_opacity: float = 0.55) -> list[go.Scatter]:
    traces = []
    shown = set()
    colors = palette.path_colors(results)
    for i, result in enumerate(results):
        custom, template = _hover(result)
        group = result.instance or result.optimizer
        fan = result.seed is not None
        traces.append(style.Scatter(
            x=result.positions[:, 0], y=result.positions[:, 1], customdata=custom, hovertemplate=template,
            mode="lines+markers" if len(result.positions) <= PATH_MARKERS_MAX_POINTS else "lines",
            name=result.label.split(" (seed")[0] + (" (noisy)" if fan else ""), legendgroup=group,
            showlegend=(group, fan) not in shown,
            opacity=fan_opacity if fan else 1.0,
            line=dict(color=colors[i], width=st.line_width * (0.6 if fan else 1.0),
                      dash="dash" if result.label.endswith("(full batch)") else "solid"),
            marker=dict(size=st.marker_size * 0.5, color=colors[i]),
        ))
        shown.add((group, fan))
    return traces


def _divergence_traces(results: Sequence[TrajectoryResult], st: style.Style, escapes: bool) -> list[go.Scatter]:
    """✗ at the last good point of each stopped path. `escapes`: the surface has no minimum, so
    leaving the bounds is an escape downhill rather than a divergence."""
    diverged = [r for r in results if r.diverged_at is not None]
    if not diverged:
        return []
    escaped = escapes and all(r.divergence == "out of bounds" for r in diverged)
    return [style.Scatter(
        x=[r.positions[-1, 0] for r in diverged], y=[r.positions[-1, 1] for r in diverged],
        mode="markers+text", name="left the plot" if escaped else "diverged",
        text=[f"✗ {r.label}: step {r.diverged_at}" for r in diverged],
        textposition="top center", textfont=dict(color=style.DIVERGED_COLOR, size=st.font_size),
        marker=dict(symbol="x", size=st.start_marker_size + 4, color=style.DIVERGED_COLOR, line=dict(width=2)),
        hovertemplate=[f"<b>{r.stop_text(escapes)}</b><extra></extra>" for r in diverged],
    )]


def _start_trace(start, st: style.Style) -> go.Scatter:
    return style.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                      marker=dict(symbol="circle", size=st.start_marker_size, color="white", line=dict(color="black", width=3)),
                      hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>")


def click_grid_trace(domain) -> go.Scatter:
    """Invisible points covering the domain: a click on one returns its coordinates as a selection.

    Empty text points: hoverable and selectable like markers (a lines-only trace is not
    selectable), but drawn as nothing.
    """
    (x0, x1), (y0, y1) = domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
    return style.Scatter(x=gx.ravel().astype(np.float32), y=gy.ravel().astype(np.float32), mode="text", text="",
                         name="click to start here", showlegend=False, hoverlabel=dict(bgcolor="black"),
                         hovertemplate="click: start at (%{x:.3g}, %{y:.3g})<extra></extra>")


def contour_figure(view: SurfaceView, results: Sequence[TrajectoryResult], start, *, presenter: bool = False,
                   clickable: bool = True) -> go.Figure:
    """Contour map of the surface with the paths, start, known critical points and divergence markers."""
    st = style.Style.for_mode(presenter)
    grid = view.grid
    # On a linear colour scale the colour value is the loss, so the hover reads it from z; only a
    # log-coloured map sends the raw loss again (customdata), which would double the payload.
    hover_loss = "%{customdata:.4g}" if view.log_scale else "%{z:.4g}"
    traces = [style.Contour(
        x=grid.xs.astype(np.float32), y=grid.ys.astype(np.float32), z=view.colour_values(grid.z).astype(np.float32),
        colorscale=style.SURFACE_COLORSCALE, ncontours=25,
        contours=dict(coloring="heatmap", showlines=True), line=dict(width=0.8, color=style.CONTOUR_LINE_COLOR),
        colorbar=dict(title=dict(text=view.colour_title, side="right")), name="surface",
        customdata=grid.z.astype(np.float32) if view.log_scale else None,
        hovertemplate=f"x %{{x:.3g}}, y %{{y:.3g}}<br>loss {hover_loss}<extra></extra>",
    )]
    if clickable:
        traces.append(click_grid_trace(view.domain))
    traces += _path_traces(results, st) + _critical_point_traces(view.critical_points, st)
    traces += _divergence_traces(results, st, view.unbounded) + [_start_trace(start, st)]
    # One layout dict in the constructor: each update_layout call costs Plotly a tree walk.
    xaxis, yaxis = _axes(view.domain)
    layout = style.styled_layout({}, presenter, view.title or None, after=dict(
        xaxis=xaxis, yaxis=yaxis, legend=_LEGEND_ON_TOP,
        margin={**style.margins(presenter, right=110), "t": _legend_top_margin(presenter)},  # right: the colour bar
        title=_TITLE_ON_TOP, clickmode="event+select", dragmode="pan", height=640 if presenter else 560,
    ))
    return style.Figure(data=traces, layout=layout)


_LEGEND_ON_TOP = dict(orientation="h", yanchor="bottom", y=1.02, x=0, xanchor="left")
_TITLE_ON_TOP = dict(y=1.0, yref="container", yanchor="top", pad=dict(t=12))


def _legend_top_margin(presenter: bool) -> int:
    """Top margin in px that holds the title and, below it, the horizontal legend."""
    return 130 if presenter else 100


def _legend_on_top(fig: go.Figure, presenter: bool) -> None:
    """A horizontal legend between the title and the plot (the right side holds the colour bar)."""
    fig.update_layout(legend=_LEGEND_ON_TOP, margin=dict(t=_legend_top_margin(presenter)), title=_TITLE_ON_TOP)


def surface3d_figure(view: SurfaceView, results: Sequence[TrajectoryResult], *, presenter: bool = False) -> go.Figure:
    """3-D surface with the paths drawn on it (z = loss)."""
    st = style.Style.for_mode(presenter)
    grid = view.grid
    z_range = float(np.nanmax(grid.z) - np.nanmin(grid.z)) or 1.0
    lift = 0.01 * z_range  # draw paths just above the surface so they are not hidden in it
    fig = style.Figure(style.Surface(x=grid.xs, y=grid.ys, z=grid.z.astype(np.float32), colorscale=style.SURFACE_COLORSCALE, opacity=0.85,
                               showscale=False, name="surface",
                               hovertemplate="x %{x:.3g}, y %{y:.3g}<br>loss %{z:.4g}<extra></extra>"))
    z_lo, z_hi = float(np.nanmin(grid.z)), float(np.nanmax(grid.z))
    colors = palette.path_colors(results)
    for i, result in enumerate(results):
        inside = _inside(result.positions, view.domain)
        custom, template = _hover(result)
        fig.add_trace(go.Scatter3d(
            x=np.where(inside, result.positions[:, 0], np.nan), y=np.where(inside, result.positions[:, 1], np.nan),
            z=np.clip(result.losses, z_lo, z_hi) + lift, customdata=custom,
            hovertemplate=template.replace("x %{x:.4g}, y %{y:.4g}", "x %{x:.4g}, y %{y:.4g}"),
            mode="lines", name=result.label, line=dict(color=colors[i], width=st.line_width * 2),
        ))
    (x0, x1), (y0, y1) = view.domain
    style.apply(fig, presenter, view.title or None)
    fig.update_layout(scene=dict(xaxis=dict(title="x", range=[x0, x1]), yaxis=dict(title="y", range=[y0, y1]),
                                 zaxis=dict(title="loss"), aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.6)),
                      height=640 if presenter else 560, margin=dict(l=0, r=0, t=40, b=0))
    return fig


def _inside(points: np.ndarray, domain) -> np.ndarray:
    (x0, x1), (y0, y1) = domain
    return (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)


def loss_figure(results: Sequence[TrajectoryResult], f_min: float | None, *, presenter: bool = False) -> go.Figure:
    """Loss vs step; log scale of (loss − f_min) when the surface has a minimum (f_min not None)."""
    st = style.Style.for_mode(presenter)
    fig = style.Figure()
    reference = "minimum"
    lowest = min((float(np.nanmin(r.losses, initial=np.inf)) for r in results), default=np.inf)
    if f_min is not None and lowest < f_min - 1e-6 * (1 + abs(f_min)):  # float32 rounding is not "lower"
        # The minimum was found numerically (a penalized surface): a path may get a little lower
        # than descent did. Measure from the lowest loss reached, so that no point is clipped.
        f_min, reference = lowest, "lowest loss reached"
    colors = palette.path_colors(results)
    for i, result in enumerate(results):
        steps = np.arange(len(result.losses))
        y = result.losses - f_min if f_min is not None else result.losses
        if f_min is not None:
            y = np.maximum(y, 1e-12)  # a log axis cannot show 0: the floor is labelled in the axis title
        fig.add_trace(style.Scatter(x=steps, y=y, mode="lines", name=result.label, legendgroup=result.instance or result.optimizer,
                                 line=dict(color=colors[i], width=st.line_width),
                                 customdata=result.losses.astype(np.float32),
                                 hovertemplate=f"<b>{result.label}</b><br>step %{{x}}<br>loss %{{customdata:.5g}}<extra></extra>"))
        if result.diverged_at is not None:
            fig.add_trace(style.Scatter(x=[steps[-1]], y=[y[-1]], mode="markers", showlegend=False,
                                     marker=dict(symbol="x", size=st.start_marker_size, color=style.DIVERGED_COLOR),
                                     hovertemplate=f"{result.label} diverged at step {result.diverged_at}<extra></extra>"))
    style.apply(fig, presenter, "Loss vs step")
    fig.update_xaxes(title_text="step")
    if f_min is not None:
        fig.update_yaxes(type="log", title_text=f"loss − {reference} ({f_min:.4g}), log scale", exponentformat="power")
    else:
        fig.update_yaxes(title_text="loss")
    fig.update_layout(height=380)
    return fig


def distance_figure(results: Sequence[TrajectoryResult], minima: np.ndarray, *, presenter: bool = False,
                    target: str = "minimum") -> go.Figure:
    """Distance to the nearest known minimum (or other `target` point) vs step, log scale."""
    st = style.Style.for_mode(presenter)
    fig = style.Figure()
    if len(minima) == 0:  # e.g. a penalized saddle: unbounded below, or minimal on a whole line
        fig.add_annotation(text="No minimum found in view: no distance to plot.",
                           xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font=dict(size=st.font_size))
        results = []
    colors = palette.path_colors(results)
    for i, result in enumerate(results):
        distance = np.min(np.linalg.norm(result.positions[:, None, :] - minima[None, :, :], axis=-1), axis=1)
        fig.add_trace(style.Scatter(x=np.arange(len(distance)), y=np.maximum(distance, 1e-12), mode="lines",
                                 name=result.label, legendgroup=result.instance or result.optimizer,
                                 line=dict(color=colors[i], width=st.line_width),
                                 hovertemplate=f"<b>{result.label}</b><br>step %{{x}}<br>distance %{{y:.3g}}<extra></extra>"))
    style.apply(fig, presenter, f"Distance to the nearest {target}")
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(type="log", title_text="distance (log scale)", exponentformat="power")
    fig.update_layout(height=380)
    return fig


def surface_image(view: SurfaceView, max_pixels: int = 400) -> str:
    """The colour map of the surface as a PNG data URI (the playback background: plotly.js
    hides contour traces while frames play, so the background is an image)."""
    from PIL import Image  # local: only playback needs it

    values = view.colour_values(view.grid.z)
    lo, hi = np.nanmin(values), np.nanmax(values)
    normalized = (values - lo) / (hi - lo if hi > lo else 1.0)
    rgb = _surface_colors(np.nan_to_num(normalized))[::-1]  # image rows go top-down, y goes up
    image = Image.fromarray(rgb, "RGB")
    if max(image.size) > max_pixels:
        image = image.resize((max_pixels, max_pixels))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _surface_colors(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB through style.SURFACE_COLORSCALE (piecewise linear)."""
    stops = np.array([stop for stop, _ in style.SURFACE_COLORSCALE])
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in style.SURFACE_COLORSCALE], float)
    flat = np.clip(values, 0, 1).ravel()
    channels = [np.interp(flat, stops, rgb[:, k]) for k in range(3)]
    return np.stack(channels, axis=-1).reshape(*values.shape, 3).astype(np.uint8)


def playback_figure(view: SurfaceView, results: Sequence[TrajectoryResult], *, frames: int = 60,
                    presenter: bool = False, max_points: int = 150) -> go.Figure:
    """Paths racing over the surface: play/pause and a step scrubber move every path at once.

    Only the path traces are animated, over a background image, so the surface stays visible.
    """
    st = style.Style.for_mode(presenter)
    (x0, x1), (y0, y1) = view.domain
    total = max(len(r.positions) for r in results) - 1 if results else 0
    stride = max(1, int(np.ceil((total + 1) / max_points)))
    shown_steps = np.unique(np.linspace(0, total, min(frames, total + 1)).round().astype(int))

    def prefix(result, step):
        k = min(step, len(result.positions) - 1)
        idx = np.unique(np.append(np.arange(0, k + 1, stride), k))
        return result.positions[idx]

    fig = style.Figure()
    colors = palette.path_colors(results)
    for i, result in enumerate(results):
        p = prefix(result, total)
        fig.add_trace(style.Scatter(x=p[:, 0], y=p[:, 1], mode="lines+markers", name=result.label,
                                 line=dict(color=colors[i], width=st.line_width),
                                 marker=dict(size=st.marker_size * 0.5), hoverinfo="skip"))
    for trace in _critical_point_traces(view.critical_points, st):
        fig.add_trace(trace)
    path_indices = list(range(len(results)))
    # Frames as plain dicts, not validated graph objects: plotly would validate every frame's
    # traces on every rerun, and these are only arrays for the traces declared above.
    frames = [
        {"name": str(step), "traces": path_indices,
         "data": [{"type": "scatter", "x": prefix(r, step)[:, 0].astype(np.float32), "y": prefix(r, step)[:, 1].astype(np.float32)}
                  for r in results]}
        for step in shown_steps
    ]
    fig.add_layout_image(dict(source=surface_image(view), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                              sizing="stretch", layer="below", opacity=1.0))
    _frame(fig, view.domain)
    style.apply(fig, presenter, view.title or None)
    _legend_on_top(fig, presenter)
    play = dict(label="▶ Play", method="animate",
                args=[None, dict(frame=dict(duration=60, redraw=False), transition=dict(duration=0), fromcurrent=True, mode="immediate")])
    pause = dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")])
    fig.update_layout(
        height=640 if presenter else 560,
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.08, xanchor="left", yanchor="top",
                          showactive=False, buttons=[play, pause], font=dict(size=st.font_size))],
        sliders=[dict(active=len(shown_steps) - 1, x=0.2, len=0.8, y=-0.05, yanchor="top",
                      currentvalue=dict(prefix="step ", font=dict(size=st.font_size)),
                      steps=[dict(label=str(s), method="animate",
                                  args=[[str(s)], dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))])
                             for s in shown_steps])],
    )
    spec = fig.to_dict()
    spec["frames"] = frames
    return go.Figure(spec, _validate=False)


FIGURES: dict[str, str] = {
    "contour": "Contour map with the paths (main figure)",
    "surface3d": "3-D surface with the paths",
    "loss": "Loss vs step",
    "distance": "Distance to the nearest minimum vs step",
    "playback": "Animated playback (play/pause, step scrubber)",
}


def build_figure(name: str, scene, data: TrajectoryData, *, presenter: bool = False, clickable: bool = False) -> go.Figure:
    """The named figure of the trajectory page (see FIGURES) for `scene` and its computed `data`.

    Args:
      name: a FIGURES key.
      scene: the TrajectoryScene (its start point is marked).
      data: TrajectoryData of the scene.
      presenter: projector sizes.
      clickable: the contour map answers clicks (a grid of invisible points).
    """
    results, view = list(data.results), data.view
    if name == "contour":
        return contour_figure(view, results, scene.start_point, presenter=presenter, clickable=clickable)
    if name == "surface3d":
        return surface3d_figure(view, results, presenter=presenter)
    if name == "loss":  # on a surface unbounded below, a local minimum is no floor: plot the loss itself
        return loss_figure(results, None if view.unbounded else view.minimum_value, presenter=presenter)
    if name == "distance":
        points, target = view.distance_targets()
        return distance_figure(results, points, presenter=presenter, target=target)
    if name == "playback":
        return playback_figure(view, results, presenter=presenter)
    raise ValueError(f"unknown figure {name!r}; choose one of: {', '.join(FIGURES)}")
