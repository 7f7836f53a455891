"""Pure Plotly builders of the trajectory page's maps: the hyperparameter map (a phase diagram) and
the basin map. (map data, options) -> go.Figure; no streamlit, no JAX, no compute: the maps come
in as NumPy result types (optviz.trajectories.results.HyperparameterMapData, BasinMapData).

Both are heatmaps under a layer of invisible text points, one per cell: a click on a heatmap returns
nothing in Streamlit, a click on a point returns its coordinates (the page loads that cell), and the
points carry each cell's hover text. A log axis is drawn in log10 coordinates with its values as
tick labels, so every cell is equally wide on screen.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from optviz import style
from optviz.trajectories.results import BasinMapData, HyperparameterMapData

MAP_HEIGHT = (520, 470)  # (normal, presenter) px: fits the first screen at 1280 x 720
MAP_COLORSCALE = "Viridis"  # colour-blind safe, light = high; no red in it
DIVERGED = style.DIVERGED_COLOR  # red: never in the colour scale
NOT_REACHED = "#bdbdbd"  # light grey: within the steps the run never came within the tolerance
NOT_CONVERGED = "#d4d4d4"  # basin map: ended elsewhere
BASIN_DIVERGED = "#6f6f6f"  # basin map: blew up
# One colour per minimum (a qualitative set, none of them grey); more minima than colours repeat them.
BASIN_COLORS = ("#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494", "#80b1d3",
                "#fb8072", "#bebada")
LEGEND_MINIMA = 6  # minima named in the basin map's legend; the rest summed up in one entry
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_TITLE_ON_TOP = dict(y=1.0, yref="container", yanchor="top", pad=dict(t=8))


def _power(k: int) -> str:
    return f"10{str(k).translate(_SUPERSCRIPT)}"


def _coordinates(values: np.ndarray, log: bool) -> np.ndarray:
    return np.log10(values) if log else np.asarray(values, float)


def _axis(title: str, values: np.ndarray, log: bool, st: style.Style) -> dict:
    """An axis over the cells: log10 coordinates with value labels on a log axis."""
    coords = _coordinates(values, log)
    half = (coords[-1] - coords[0]) / (len(coords) - 1) / 2 if len(coords) > 1 else 0.5
    axis = dict(title=dict(text=title, font=dict(size=st.font_size)), range=[coords[0] - half, coords[-1] + half],
                showgrid=False, zeroline=False, tickfont=dict(size=st.font_size))
    if log:
        lo, hi = math.ceil(coords[0] - 1e-9), math.floor(coords[-1] + 1e-9)
        ticks = list(range(lo, hi + 1))
        step = max(1, math.ceil(len(ticks) / 6))
        ticks = ticks[::step] or [round(coords[0])]
        axis.update(tickmode="array", tickvals=ticks, ticktext=[f"{10.0 ** k:g}" for k in ticks])
    return axis


def _legend_square(name: str, color: str, st: style.Style) -> go.Scatter:
    """A legend entry for a colour of the heatmap (a heatmap has none of its own)."""
    return style.Scatter(x=[None], y=[None], mode="markers", name=name, showlegend=True, hoverinfo="skip",
                         marker=dict(symbol="square", size=st.marker_size * 1.8, color=color,
                                     line=dict(color="#444444", width=1)))


def _overlay(mask: np.ndarray, x: np.ndarray, y: np.ndarray, color: str) -> go.Heatmap:
    """Cells where `mask` holds, in one flat colour (the others transparent)."""
    z = np.where(mask, 1.0, np.nan).astype(np.float32)
    return go.Heatmap(x=x, y=y, z=z, colorscale=[[0, color], [1, color]], zmin=0, zmax=1, showscale=False,
                      hoverinfo="skip", name="")


def _click_layer(px: np.ndarray, py: np.ndarray, customdata: np.ndarray, template: str, name: str) -> go.Scatter:
    """Invisible points at cell centres: hover text and clicks (empty text points draw nothing)."""
    return style.Scatter(x=px.astype(np.float32), y=py.astype(np.float32), mode="text", text="", name=name,
                         showlegend=False, customdata=customdata, hovertemplate=template + "<extra></extra>",
                         hoverlabel=dict(bgcolor="black"))


TITLE_WIDTH = (800, 1050)
"""Width (px) a map's title may take on one line (normal, presenter): the chart's width at 1280x720."""
LEGEND_WIDTH = (600, 860)
"""Width (px) a map's legend wraps at (normal, presenter): at 1280x720 the figure is 820 px wide beside
the sidebar, 1120 px in presenter mode, less the y axis and the colour bar."""


def fitted_title(title: str, st: style.Style, presenter: bool) -> str:
    """`title` on two lines, broken after its ": ", where one line would be wider than TITLE_WIDTH
    (a long surface name, a typed f(x, y)): Plotly cuts a title at the chart's edge."""
    if len(title) * 0.55 * st.title_size <= TITLE_WIDTH[presenter] or ": " not in title:
        return title
    head, _, tail = title.partition(": ")
    return f"{head}:<br>{tail}"


def _layout(st: style.Style, presenter: bool, title: str, xaxis: dict, yaxis: dict, names: Sequence[str]) -> dict:
    """The map's layout: the title on top, the legend's rows under it (`horizontal_legend` across
    LEGEND_WIDTH), then the plot, whose top tick label stays clear of the legend."""
    title = fitted_title(title, st, presenter)
    lines = title.count("<br>") + 1
    title_px = 10 + (round(st.title_size * 1.5) + (lines - 1) * round(st.title_size * 1.6) if title else 0)
    _, legend_px = style.horizontal_legend(names, st.legend_size, LEGEND_WIDTH[presenter])
    tick_room = style.top_tick_room(st.font_size)
    top, bottom = title_px + legend_px + tick_room, 80 if presenter else 60
    plot_px = MAP_HEIGHT[presenter] - top - bottom
    return style.styled_layout({}, presenter, title, after=dict(
        # Plotly anchors a title's first line, so the lines above the last one need room of their own.
        xaxis=xaxis, yaxis=yaxis, height=MAP_HEIGHT[presenter],
        title=dict(_TITLE_ON_TOP, pad=dict(t=8 + (lines - 1) * round(st.title_size * 1.25))), clickmode="event+select",
        dragmode=False, hovermode="closest", plot_bgcolor="white",
        legend=dict(orientation="h", x=0, xanchor="left", y=1 + tick_room / plot_px, yanchor="bottom",
                    font=dict(size=st.legend_size), bgcolor="rgba(255,255,255,0)"),
        margin=dict(l=90 if presenter else 70, r=20, t=top, b=bottom)))


def _format(value: float) -> str:
    return f"{value:.3g}"


def hyperparameter_map_figure(data: HyperparameterMapData | None, *, presenter: bool = False) -> go.Figure:
    """The final loss (log colour), steps to a tolerance or distance to the nearest minimum of every
    (x, y) hyperparameter pair; diverged cells red, the theory's stability boundary dashed, the
    current setting a white dot."""
    st = style.Style.for_mode(presenter)
    if data is None:
        return _message_figure("No hyperparameter map: choose an optimizer with two numeric hyperparameters "
                               "(Momentum, Adam, RMSProp, …); SGD has only its learning rate.", presenter)
    cx, cy = _coordinates(data.x_values, data.x_log), _coordinates(data.y_values, data.y_log)
    diverged = np.asarray(data.diverged, bool)
    traces: list = []
    legend: list = []
    if data.metric == "steps" and data.steps_to is not None:
        steps = np.asarray(data.steps_to, float)
        missed = (steps < 0) & ~diverged
        z = np.where(diverged | missed, np.nan, steps)
        colour_title, colorbar = f"steps to loss − min ≤ {data.tolerance:g}", {}
        shown_value = z
        value_text = "%{customdata[2]:.0f} steps"
        what = f"steps to come within {data.tolerance:g} of the minimum"
    elif data.metric == "distance":
        missed = np.zeros_like(diverged)
        dist = np.asarray(data.distance, float)
        shown_value = np.where(diverged, np.nan, dist)
        z = np.log10(np.maximum(shown_value, 1e-12))
        colour_title, colorbar = "distance to nearest minimum", _log_colorbar(z)
        value_text = "distance %{customdata[2]:.3g}"
        what = "distance to the nearest minimum"
    else:
        missed = np.zeros_like(diverged)
        floor = data.f_min if data.f_min is not None else float(np.nanmin(data.final_loss)) if np.isfinite(data.final_loss).any() else 0.0
        gap = np.asarray(data.final_loss, float) - floor
        shown_value = np.where(diverged, np.nan, np.asarray(data.final_loss, float))
        z = np.log10(np.maximum(np.where(diverged, np.nan, gap), 1e-12))
        colour_title = "loss − min" if data.f_min is not None else "loss − lowest"
        colorbar = _log_colorbar(z)
        value_text = "final loss %{customdata[2]:.4g}"
        what = "final loss"
    finite = np.isfinite(z)
    heat = go.Heatmap(x=cx, y=cy, z=z.astype(np.float32), colorscale=MAP_COLORSCALE, hoverinfo="skip", name=what,
                      zmin=float(np.min(z[finite])) if finite.any() else 0, zmax=float(np.max(z[finite])) if finite.any() else 1,
                      colorbar=dict(title=dict(text=colour_title, side="right", font=dict(size=st.font_size)),
                                    thickness=22 if presenter else 16, len=1, y=0.5, yanchor="middle", outlinewidth=0,
                                    tickfont=dict(size=st.font_size), **colorbar))
    traces.append(heat)
    if diverged.any():
        traces.append(_overlay(diverged, cx, cy, DIVERGED))
    legend.append(_legend_square("diverged", DIVERGED, st))
    if missed.any():
        traces.append(_overlay(missed, cx, cy, NOT_REACHED))
        legend.append(_legend_square(f"not within {data.tolerance:g} in {data.steps} steps", NOT_REACHED, st))
    gx, gy = np.meshgrid(cx, cy)
    vx, vy = np.meshgrid(data.x_values, data.y_values)
    custom = np.stack([vx, vy, np.nan_to_num(shown_value, nan=-1.0)], axis=-1).astype(np.float32)
    head = f"{data.x_name} %{{customdata[0]:.4g}}, {data.y_name} %{{customdata[1]:.4g}}<br>"
    ok = ~diverged & ~missed
    for mask, text in ((ok, value_text), (diverged, "diverged"), (missed, f"not within {data.tolerance:g} in {data.steps} steps")):
        if mask.any():
            traces.append(_click_layer(gx[mask], gy[mask], custom[mask], head + text + "<br>click: run this setting",
                                       name="click to run this setting"))
    if data.boundary is not None and len(data.boundary):
        bx = _coordinates(data.boundary[:, 0], data.x_log)
        by = _coordinates(data.boundary[:, 1], data.y_log)
        traces.append(style.Scatter(x=bx, y=by, mode="lines", name=data.boundary_label, hoverinfo="skip",
                                    line=dict(color="white", width=st.line_width * 1.6)))
        traces.append(style.Scatter(x=bx, y=by, mode="lines", name=data.boundary_label, showlegend=True,
                                    line=dict(color="black", width=st.line_width, dash="dash"),
                                    hovertemplate=data.boundary_label + "<extra></extra>"))
        traces[-2]["showlegend"] = False
    x0, y0 = data.current
    if x0 > 0 or not data.x_log:
        if y0 > 0 or not data.y_log:
            traces.append(style.Scatter(
                x=[_coordinates(np.array([x0]), data.x_log)[0]], y=[_coordinates(np.array([y0]), data.y_log)[0]],
                mode="markers", name=f"current: {data.x_name} {_format(x0)}, {data.y_name} {_format(y0)}",
                marker=dict(symbol="circle", size=st.start_marker_size, color="white", line=dict(color="black", width=3)),
                hovertemplate=f"current setting ({_format(x0)}, {_format(y0)})<extra></extra>"))
    traces += legend
    names = [t["name"] for t in traces if t["showlegend"] is not False and isinstance(t, go.Scatter) and t["name"]]
    title = f"{data.label} on {data.surface_label}: {what} after {data.steps} steps"
    xaxis = _axis(f"{data.x_label} ({'log' if data.x_log else 'linear'})", data.x_values, data.x_log, st)
    yaxis = _axis(f"{data.y_label} ({'log' if data.y_log else 'linear'})", data.y_values, data.y_log, st)
    return style.Figure(data=traces, layout=_layout(st, presenter, title, xaxis, yaxis, names))


def _log_colorbar(z: np.ndarray) -> dict:
    """Colour bar ticks at whole decades of a log10-coloured heatmap, labelled 10ⁿ."""
    finite = z[np.isfinite(z)]
    if not finite.size:
        return {}
    lo, hi = math.ceil(float(finite.min())), math.floor(float(finite.max()))
    ticks = list(range(lo, hi + 1)) or [round(float(finite.mean()))]
    step = max(1, math.ceil(len(ticks) / 7))
    ticks = ticks[::step]
    return dict(tickmode="array", tickvals=ticks, ticktext=[_power(k) for k in ticks])


def basin_map_figure(data: BasinMapData | None, *, presenter: bool = False) -> go.Figure:
    """Every start of a grid over the domain coloured by the minimum its run reaches (stars), grey
    where it diverged or did not converge; the scene's start a white dot."""
    st = style.Style.for_mode(presenter)
    if data is None:
        return _message_figure("No basin map: choose an optimizer.", presenter)
    basin = np.asarray(data.basin)
    n = len(BASIN_COLORS)
    # Categories: 0..n-1 a minimum's colour (index mod n), n not converged, n + 1 diverged.
    category = np.where(basin >= 0, basin % n, np.where(basin == -1, n + 1, n)).astype(np.float32)
    colors = list(BASIN_COLORS) + [NOT_CONVERGED, BASIN_DIVERGED]
    scale = []
    for k, c in enumerate(colors):
        scale += [[k / len(colors), c], [(k + 1) / len(colors), c]]
    traces: list = [go.Heatmap(x=data.xs, y=data.ys, z=category, colorscale=scale, zmin=-0.5, zmax=len(colors) - 0.5,
                               showscale=False, hoverinfo="skip", name="basins")]
    gx, gy = np.meshgrid(data.xs, data.ys)
    minima = np.asarray(data.minima).reshape(-1, 2)
    target = np.where(basin >= 0, basin, 0)
    mx = minima[target, 0] if len(minima) else np.zeros_like(gx)
    my = minima[target, 1] if len(minima) else np.zeros_like(gy)
    custom = np.stack([mx, my], axis=-1).astype(np.float32)
    for mask, text in ((basin >= 0, "→ minimum (%{customdata[0]:.3g}, %{customdata[1]:.3g})"),
                       (basin == -1, "diverged"), (basin == -2, f"not at a minimum after {data.steps} steps")):
        if mask.any():
            traces.append(_click_layer(gx[mask], gy[mask], custom[mask],
                                       "start (%{x:.3g}, %{y:.3g})<br>" + text + "<br>click: start here",
                                       name="click to start here"))
    reached = sorted(set(int(k) for k in basin.ravel() if k >= 0))
    if len(minima):
        traces.append(style.Scatter(x=minima[:, 0], y=minima[:, 1], mode="markers", name="minima",
                                    marker=dict(symbol="star", size=st.start_marker_size * 1.3, color="black",
                                                line=dict(color="white", width=1.5)),
                                    hovertemplate="minimum (%{x:.3g}, %{y:.3g})<extra></extra>"))
    for k in reached[:LEGEND_MINIMA]:
        traces.append(_legend_square(f"→ ({minima[k, 0]:.2g}, {minima[k, 1]:.2g})", BASIN_COLORS[k % n], st))
    if len(reached) > LEGEND_MINIMA:
        traces.append(_legend_square(f"+{len(reached) - LEGEND_MINIMA} more minima", "#ffffff", st))
    traces.append(_legend_square("not converged", NOT_CONVERGED, st))
    traces.append(_legend_square("diverged", BASIN_DIVERGED, st))
    traces.append(style.Scatter(x=[data.start[0]], y=[data.start[1]], mode="markers", name="start",
                                marker=dict(symbol="circle", size=st.start_marker_size, color="white",
                                            line=dict(color="black", width=3)),
                                hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>"))
    names = [t["name"] for t in traces[1:] if t["showlegend"] is not False and t["name"] and "click" not in t["name"]]
    title = f"{data.label} on {data.surface_label}: which minimum each start reaches in {data.steps} steps"
    if data.penalty_ignored:
        title += " (without the penalty)"
    half_x = (data.xs[1] - data.xs[0]) / 2 if len(data.xs) > 1 else 0.5
    half_y = (data.ys[1] - data.ys[0]) / 2 if len(data.ys) > 1 else 0.5
    xaxis = dict(title=dict(text="start x", font=dict(size=st.font_size)), range=[data.xs[0] - half_x, data.xs[-1] + half_x],
                 showgrid=False, zeroline=False, constrain="domain")
    yaxis = dict(title=dict(text="start y", font=dict(size=st.font_size)), range=[data.ys[0] - half_y, data.ys[-1] + half_y],
                 showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1, constrain="domain")
    return style.Figure(data=traces, layout=_layout(st, presenter, title, xaxis, yaxis, names))


def _message_figure(text: str, presenter: bool) -> go.Figure:
    st = style.Style.for_mode(presenter)
    layout = style.styled_layout({}, presenter, None, after=dict(
        height=240, xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                          font=dict(size=st.font_size))]))
    return style.Figure(data=[], layout=layout)


MAP_FIGURES: dict[str, str] = {
    "hyperparameter_map": "Hyperparameter map: the final loss over two hyperparameters, diverged cells marked",
    "basin_map": "Basin map: the minimum each start reaches",
}


def build_map_figure(name: str, data, *, presenter: bool = False) -> go.Figure:
    """The named map figure (MAP_FIGURES) of its map data."""
    if name == "hyperparameter_map":
        return hyperparameter_map_figure(data, presenter=presenter)
    if name == "basin_map":
        return basin_map_figure(data, presenter=presenter)
    raise ValueError(f"unknown map figure {name!r}; choose one of: {', '.join(MAP_FIGURES)}")


def legend_names(fig: go.Figure) -> Sequence[str]:
    """The legend's entries of a map figure (tests)."""
    return [t.name for t in fig.data if t.showlegend is not False and t.name and t.type == "scatter" and t.mode != "text"]
