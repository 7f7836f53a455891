"""Pure Plotly builders for the trajectory page: contour, 3-D surface, loss and distance curves,
and the playback figure. (results, options) -> go.Figure; no streamlit, no JAX, no compute:
paths, their colours and dashes, the surface grid, the framed view and the critical points come
in as data (optviz.trajectories.results).

Framing: every map shows the view's action (`SurfaceView.box`) grown to its plot's aspect at equal
scales on x and y (`SurfaceView.frame`); on screen plotly's constrain="range" lets the browser
widen one range to fill the real plot, and the grid covers that. Paths are clipped at the frame's
edge: a path that leaves it breaks there (no chord across the outside) and is marked on the edge.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
import plotly.graph_objects as go

from optviz import palette, style
from optviz.trajectories.map_figures import MAP_FIGURES, build_map_figure
from optviz.trajectories.results import BROWSER_SLACK, FIGURE_ASPECTS, SurfaceView, TrajectoryData, TrajectoryResult, widened

if TYPE_CHECKING:
    from optviz.surfaces import CriticalPoint

Range = tuple[float, float]

# The invisible points that make the contour clickable (a click on a contour returns nothing) lie
# on multiples of a round step (a click starts at (5, -5), not at (4.97, -5.03)), at most this
# many px apart on the plot: within Plotly's 20 px hover distance of every pixel, so a click
# anywhere lands on one. They are empty text points, not markers: Plotly styles every marker one
# by one on each draw and selection, and skips an empty text (benchmarks/bench_browser.py).
CLICK_SPACING_PX = 28
CLICK_GRID_MAX = 1600  # at most this many points (a coarser step beyond)
# Paths longer than this are drawn as lines only: per-point markers were the largest single cost of
# a redraw in the browser (benchmarks/bench_browser.py); the steps of a long path show in its kinks.
# A noisy fan's paths never get per-point markers.
PATH_MARKERS_MAX_POINTS = 120
# More minima of one kind than this are a flat valley (a line or region of equal minima), drawn small.
VALLEY_POINTS = 12
# Grid points sent per contour map and per 3-D surface (the figure's payload and the browser's work).
CONTOUR_POINTS = 14_000
SURFACE3D_POINTS = 6_000
CONTOUR_LEVELS = 20
# Exits of one path from the view marked on the edge (a path oscillating about the edge would
# otherwise get a marker per step).
EXITS_MARKED = 3

# Figure heights in px (normal, presenter): the main figure fits the first screen at 1280 x 720.
MAP_HEIGHT = (520, 500)
CURVE_HEIGHT = (400, 420)  # legend included
CURVE_WIDTH = (400, 540)  # two side by side: half the page beside the sidebar (402 px at 1280), or in presenter mode (552)
PLAYBACK_HEIGHT = (560, 540)  # a map plus its play button and step slider
# The page width the maps are laid out for (the browser then fills the real width at equal scale):
# beside the sidebar of a 1280 px screen 820 px (measured), in presenter mode 1120-1440.
_ASSUMED_WIDTH = (820, 1140)
GLOBAL_MINIMUM_FILL = palette.PALETTE[-1]  # yellow: no optimizer's colour; black outline


@dataclass(frozen=True)
class _Marker:
    symbol: str  # 2-D
    symbol3d: str  # scatter3d has no star: a diamond, filled or open like the 2-D star
    filled: bool
    name: str


_MARKERS = {
    "global minimum": _Marker("star", "diamond", True, "global minimum"),
    "local minimum": _Marker("star-open", "diamond-open", False, "local minimum"),
    "saddle": _Marker("x-thin-open", "x", False, "saddle point"),
    "maximum": _Marker("triangle-up-open", "square-open", False, "maximum"),
}
_EDGE_SYMBOL = {"left": "triangle-left", "right": "triangle-right", "bottom": "triangle-down", "top": "triangle-up"}
_TEXT_HALO = "1px 1px 2px white, -1px -1px 2px white, 1px -1px 2px white, -1px 1px 2px white"


# -- geometry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clipped:
    """A path clipped to a rectangle: the points to draw, NaN where the path is outside.

    t: the fractional step of each drawn point (an edge point lies between two steps; NaN at a
    break); exits: (t, side) where the path leaves the rectangle ("left", "right", "bottom", "top").
    """

    t: np.ndarray
    xy: np.ndarray
    exits: tuple[tuple[float, str], ...]

    @property
    def last(self) -> np.ndarray:
        """The last drawn point: the path's end, or where it last left the rectangle."""
        return self.xy[-1]


def _at(points: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Points at fractional steps t along the polyline `points` (NaN where t is NaN)."""
    finite = np.isfinite(t)
    k = np.clip(np.floor(np.where(finite, t, 0)).astype(int), 0, len(points) - 1)
    k1 = np.minimum(k + 1, len(points) - 1)
    f = (np.where(finite, t, 0) - k)[..., None]
    out = points[k] * (1 - f) + points[k1] * f
    out[~finite] = np.nan
    return out


def clip_path(points: np.ndarray, xrange: Range, yrange: Range) -> Clipped:
    """`points` (n, 2) clipped to xrange x yrange: the segments inside (a segment crossing the edge
    ends on it), a break (NaN) while the path is outside, and where it leaves."""
    p = np.asarray(points, float).reshape(-1, 2)
    # A hair inside: Plotly hides a point on the very edge (rounding puts it just outside the range).
    inset = 1e-5 * max(xrange[1] - xrange[0], yrange[1] - yrange[0])
    (x0, x1), (y0, y1) = (xrange[0] + inset, xrange[1] - inset), (yrange[0] + inset, yrange[1] - inset)
    inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    n = len(p)
    if inside.all():
        return Clipped(np.arange(n, dtype=float), p, ())
    seg = np.flatnonzero(~(inside[:-1] & inside[1:]))
    a, d = p[seg], p[seg + 1] - p[seg]
    t0, t1 = np.zeros(len(seg)), np.ones(len(seg))
    miss = np.zeros(len(seg), bool)
    with np.errstate(divide="ignore", invalid="ignore"):  # Liang-Barsky, every crossing segment at once
        for pk, qk in ((-d[:, 0], a[:, 0] - x0), (d[:, 0], x1 - a[:, 0]), (-d[:, 1], a[:, 1] - y0), (d[:, 1], y1 - a[:, 1])):
            r = qk / pk
            t0 = np.where(pk < 0, np.maximum(t0, r), t0)
            t1 = np.where(pk > 0, np.minimum(t1, r), t1)
            miss |= (pk == 0) & (qk < 0)
    hit = ~miss & (t0 <= t1)
    chunks: list[np.ndarray] = []
    exits: list[float] = []
    cursor = 0
    for k, s0, s1 in zip(seg[hit], t0[hit], t1[hit]):
        if inside[cursor]:  # between two crossings the points are all inside or all outside
            chunks.append(np.arange(cursor, k + 1, dtype=float))
        if not inside[k]:
            chunks.append(np.array([k + s0]))
        if not inside[k + 1]:
            chunks.append(np.array([k + s1, np.nan]))
            exits.append(k + s1)
        cursor = k + 1
    if inside[cursor]:
        chunks.append(np.arange(cursor, n, dtype=float))
    t = np.concatenate(chunks) if chunks else np.zeros(0)
    while len(t) and np.isnan(t[-1]):
        t = t[:-1]
    xy = _at(p, t)
    return Clipped(t, xy, tuple((e, _side(_at(p, np.array([e]))[0], xrange, yrange)) for e in exits))


def _side(point: np.ndarray, xrange: Range, yrange: Range) -> str:
    (x0, x1), (y0, y1) = xrange, yrange
    gaps = {"left": abs(point[0] - x0) / (x1 - x0), "right": abs(point[0] - x1) / (x1 - x0),
            "bottom": abs(point[1] - y0) / (y1 - y0), "top": abs(point[1] - y1) / (y1 - y0)}
    return min(gaps, key=gaps.get)


def _crop(view: SurfaceView, xrange: Range, yrange: Range, max_points: int):
    """(xs, ys, z) of the view's grid over xrange x yrange (one cell beyond), at most max_points."""
    grid = view.grid
    dx = (grid.xs[-1] - grid.xs[0]) / max(len(grid.xs) - 1, 1)
    dy = (grid.ys[-1] - grid.ys[0]) / max(len(grid.ys) - 1, 1)
    ix = np.flatnonzero((grid.xs >= xrange[0] - dx) & (grid.xs <= xrange[1] + dx))
    iy = np.flatnonzero((grid.ys >= yrange[0] - dy) & (grid.ys <= yrange[1] + dy))
    if len(ix) < 2 or len(iy) < 2:  # a frame off the grid: fall back to the whole grid
        ix, iy = np.arange(len(grid.xs)), np.arange(len(grid.ys))
    stride = max(1, math.ceil(math.sqrt(len(ix) * len(iy) / max_points)))
    ix, iy = ix[::stride], iy[::stride]
    return grid.xs[ix], grid.ys[iy], grid.z[np.ix_(iy, ix)]


def _colour_range(view: SurfaceView, xrange: Range, yrange: Range) -> Range:
    """The colour values' range over the frame (what is outside it does not stretch the scale)."""
    grid = view.grid
    mx = (grid.xs >= xrange[0]) & (grid.xs <= xrange[1])
    my = (grid.ys >= yrange[0]) & (grid.ys <= yrange[1])
    z = grid.z[np.ix_(my, mx)] if mx.any() and my.any() else grid.z
    values = view.colour_values(z)
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def _interp_grid(view: SurfaceView, xy: np.ndarray) -> np.ndarray:
    """f at points xy (k, 2), bilinear on the view's grid (for markers on the 3-D surface)."""
    grid = view.grid
    fx = np.interp(xy[:, 0], grid.xs, np.arange(len(grid.xs)))
    fy = np.interp(xy[:, 1], grid.ys, np.arange(len(grid.ys)))
    i0, j0 = np.floor(fy).astype(int), np.floor(fx).astype(int)
    i1, j1 = np.minimum(i0 + 1, len(grid.ys) - 1), np.minimum(j0 + 1, len(grid.xs) - 1)
    wy, wx = fy - i0, fx - j0
    z = grid.z
    return (z[i0, j0] * (1 - wx) + z[i0, j1] * wx) * (1 - wy) + (z[i1, j0] * (1 - wx) + z[i1, j1] * wx) * wy


# -- layout --------------------------------------------------------------------------------------


def _legend_font(st: style.Style, presenter: bool) -> int:
    return round(st.font_size * 0.85) if presenter else st.font_size


def _legend_name(text: str, limit: int = 22) -> str:
    """Long legend entries on two lines, before the parenthesis if there is one (the legend sits
    right of the plot: its width is taken from the plot's)."""
    if len(text) <= limit or "<br>" in text:
        return text
    if 0 < text.find(" (") <= limit:
        return text.replace(" (", "<br>(", 1)
    cut = text.rfind(" ", 0, limit)
    cut = cut if cut > 0 else text.find(" ")
    return text if cut <= 0 else text[:cut] + "<br>" + text[cut + 1:]


def _legend_width(names: Sequence[str], font: int) -> int:
    longest = max((len(line) for name in names for line in name.split("<br>")), default=8)
    return int(longest * 0.53 * font + 48)


@dataclass(frozen=True)
class _MapLayout:
    """Where a map's legend goes and what that leaves the plot: margins (px) and plot aspect."""

    margin: dict
    aspect: float
    legend: dict


def _map_layout(presenter: bool, names: Sequence[str], colour_bar: int, box_aspect: float, bottom_extra: int = 0,
                height: int | None = None) -> _MapLayout:
    """The legend right of the plot or above it, whichever shows the action (of width / height
    `box_aspect`) larger on a page of the assumed width; the colour bar right next to the plot
    (`colour_bar`: the characters of its widest tick label, 0 for none)."""
    st = style.Style.for_mode(presenter)
    scale = 1.4 if presenter else 1.0
    font = _legend_font(st, presenter)
    names = list(dict.fromkeys(names))  # as they read on one line (above the plot)
    wrapped = [_legend_name(n) for n in names]  # as they read right of the plot
    height = height or MAP_HEIGHT[presenter]
    width = _ASSUMED_WIDTH[presenter]
    # The colour bar: its gap to the plot, thickness, tick labels, rotated title.
    bar = (4 + (22 if presenter else 16) + 8 + round(colour_bar * 0.6 * st.font_size) + round(1.3 * st.font_size) + 8
           if colour_bar else 0)
    left, bottom, title = round(70 * scale), round(58 * scale) + bottom_extra, round(34 * scale)
    # Above: entries in rows across the plot's width, clear of the top y tick label.
    tick_room = style.top_tick_room(st.font_size)
    top = title + style.horizontal_legend(names, font, width - left - bar)[1] + tick_room
    # autoexpand off: these margins already hold the legend and the colour bar (a legend placed
    # against the figure's right edge would otherwise push the margin by its width once more).
    choices = [
        _MapLayout(dict(l=left, r=bar + _legend_width(wrapped, font) + 8, t=title, b=bottom, autoexpand=False), 0.0,
                   _right_legend(presenter)),
        # (right: half of the last x tick label, "10", where no colour bar is there to hold it)
        _MapLayout(dict(l=left, r=max(bar + 4, st.font_size), t=top, b=bottom, autoexpand=False), 0.0,
                   dict(orientation="h", xref="paper", x=0, xanchor="left", yref="paper",
                        y=1 + tick_room / max(height - top - bottom, 100), yanchor="bottom",
                        font=dict(size=font), itemsizing="constant", tracegroupgap=0)),
    ]

    def plot(layout: _MapLayout) -> tuple[float, float]:
        m = layout.margin
        return max(width - m["l"] - m["r"], 100), max(height - m["t"] - m["b"], 100)

    # A legend right of the plot taller than the plot is cut (twelve optimizers on the projector): above it.
    right_px = sum(n.count("<br>") + 1 for n in wrapped) * style.legend_row_px(font) + 10
    fits = [c for c in choices if c.legend.get("orientation") != "v" or right_px <= plot(c)[1]]
    best = max(fits, key=lambda c: min(plot(c)[0] / box_aspect, plot(c)[1]))  # px per unit of the action
    w, h = plot(best)
    return _MapLayout(best.margin, float(np.clip(w / h, *FIGURE_ASPECTS)), best.legend)


def _map_axes(xrange: Range, yrange: Range, st: style.Style, presenter: bool) -> tuple[dict, dict]:
    """Axes of a map: the frame's ranges at equal scales; the browser widens one range to fill the plot."""
    ticks = dict(nticks=7 if presenter else 9)
    return (dict(range=list(xrange), title=dict(text="x (parameter 1)"), constrain="range", showgrid=False,
                 zeroline=False, **ticks),
            dict(range=list(yrange), title=dict(text="y (parameter 2)"), scaleanchor="x", scaleratio=1,
                 constrain="range", showgrid=False, zeroline=False, **ticks))


def _right_legend(presenter: bool) -> dict:
    st = style.Style.for_mode(presenter)
    return dict(xref="container", x=1, xanchor="right", yref="paper", y=1, yanchor="top", orientation="v",
                font=dict(size=_legend_font(st, presenter)), tracegroupgap=2, itemsizing="constant")


# -- traces --------------------------------------------------------------------------------------


def _hover(result: TrajectoryResult, t: np.ndarray) -> tuple[np.ndarray, str]:
    """customdata (step, loss, gradient) of the drawn points at fractional steps t, and the template."""
    n = len(result.positions)
    steps = np.arange(n, dtype=float)
    finite = np.where(np.isfinite(t), t, 0)
    nearest = np.clip(np.round(finite).astype(int), 0, n - 1)
    loss = np.interp(finite, steps, result.losses)
    custom = np.column_stack([nearest, loss, result.gradients[nearest]]).astype(np.float32)
    template = (
        f"<b>{result.label}</b><br>step %{{customdata[0]:.0f}}<br>x %{{x:.4g}}, y %{{y:.4g}}"
        "<br>loss %{customdata[1]:.4g}<br>gradient (%{customdata[2]:.3g}, %{customdata[3]:.3g})<extra></extra>"
    )
    return custom, template


def draw_order(results: Sequence[TrajectoryResult]) -> list[int]:
    """Indices of `results` in drawing order: every noisy fan first (below), then the full-batch
    and plain paths in the scene's order."""
    return [i for i, r in enumerate(results) if r.seed is not None and _fan_size(results, r) > 1] + \
           [i for i, r in enumerate(results) if not (r.seed is not None and _fan_size(results, r) > 1)]


def _fan_size(results: Sequence[TrajectoryResult], result: TrajectoryResult) -> int:
    return sum(1 for r in results if r.seed is not None and r.group == result.group)


def _in_fan(results, result) -> bool:
    return result.seed is not None and _fan_size(results, result) > 1


def _legend_entry(results: Sequence[TrajectoryResult], result: TrajectoryResult) -> tuple[str, str]:
    """(legend name, legend group) of a path: one entry per optimizer instance, a noisy fan as one entry."""
    if _in_fan(results, result):
        return f"{result.base_label} ({_fan_size(results, result)} noisy paths)", f"{result.group}:fan"
    return result.label, f"{result.group}:full" if result.full_batch else result.group


def _widths(results: Sequence[TrajectoryResult], order: Sequence[int], st: style.Style) -> dict[int, float]:
    """Line width of each path: a fan's paths thin; the others nested, the first drawn widest, so
    that paths drawn on top of one another still show every colour."""
    plain = [i for i in order if not _in_fan(results, results[i])]
    widths = {i: st.line_width * 0.45 for i in order if _in_fan(results, results[i])}
    step = min(0.6, 1.2 / max(len(plain) - 1, 1))  # 2 or 3 paths: each shows on both sides of the next
    for rank, i in enumerate(plain):
        # A full-batch path over its fan a little wider: the dashes stand out of the fan's lines.
        widths[i] = st.line_width * (1 + step * (len(plain) - 1 - rank)) * (1.2 if results[i].full_batch else 1.0)
    return widths


def _path_traces(results: Sequence[TrajectoryResult], clipped: Sequence[Clipped], st: style.Style,
                 wrap: bool = True) -> list[go.Scatter]:
    traces = []
    shown = set()
    colors, dashes = palette.path_colors(results), palette.path_dashes(results)
    order = draw_order(results)
    widths = _widths(results, order, st)
    for i in order:
        result, clip = results[i], clipped[i]
        fan = _in_fan(results, result)
        name, group = _legend_entry(results, result)
        custom, template = _hover(result, clip.t)
        # No per-point markers on a fan (cost, clutter) nor on its full-batch path (they hide its dashes).
        markers = not fan and not result.full_batch and len(result.positions) <= PATH_MARKERS_MAX_POINTS
        traces.append(style.Scatter(
            x=clip.xy[:, 0], y=clip.xy[:, 1], customdata=custom, hovertemplate=template,
            mode="lines+markers" if markers else "lines", name=_legend_name(name) if wrap else name, legendgroup=group,
            showlegend=group not in shown, opacity=0.45 if fan else 1.0,
            line=dict(color=colors[i], width=widths[i], dash=dashes[i]),
            marker=dict(size=st.marker_size * 0.6, color=colors[i], line=dict(color="white", width=0.5)),
        ))
        shown.add(group)
    return traces


def _critical_point_traces(points: Sequence["CriticalPoint"], st: style.Style) -> list[go.Scatter]:
    traces = []
    for kind, spec in _MARKERS.items():
        chosen = [p for p in points if p.kind == kind]
        if not chosen:
            continue
        valley = len(chosen) > VALLEY_POINTS  # a flat valley of minima, sampled on the grid: small marks
        size = st.start_marker_size // 2 if valley else st.start_marker_size + 4
        marker = (dict(symbol=spec.symbol, size=size, color=GLOBAL_MINIMUM_FILL, line=dict(color="black", width=1.5))
                  if spec.filled else dict(symbol=spec.symbol, size=size, color="black", line=dict(color="black", width=2)))
        traces.append(style.Scatter(
            x=[p.x for p in chosen], y=[p.y for p in chosen], mode="markers",
            name=f"{kind} (a flat valley)" if valley else spec.name, marker=marker,
            hovertemplate=f"{spec.name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        ))
    return traces


def _label_positions(points: np.ndarray, xrange: Range, yrange: Range, paths: Sequence[np.ndarray] = (),
                     widths: Sequence[float] = ()) -> list[tuple[str, bool]]:
    """Text positions that keep each label inside the view (to the left near the right edge, below
    near the top) and off the paths, each with whether its side is clear of path points.

    Away from the edges a label goes to the side of its marker where it fits (`widths[i]`: label
    i's width as a fraction of the view's) and fewer path points lie in its band, instead of centred
    over the path that ends there; "center" when it fits on neither side.
    """
    (x0, x1), (y0, y1) = xrange, yrange
    width, height = x1 - x0, y1 - y0
    drawn = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in paths]) if len(paths) else np.zeros((0, 2))
    drawn = drawn[np.isfinite(drawn).all(axis=1)]
    out = []
    for i, (x, y) in enumerate(points):
        fx, fy = (x - x0) / width, (y - y0) / height
        vertical = "bottom" if fy > 0.78 else "top"
        horizontal = "left" if fx > 0.7 else "right" if fx < 0.3 else "center"
        # The label's band: its lines of text above or below the marker.
        band = (drawn[:, 1] <= y) & (drawn[:, 1] >= y - 0.15 * height) if vertical == "bottom" else (
            (drawn[:, 1] >= y) & (drawn[:, 1] <= y + 0.15 * height))
        offset = drawn[band, 0] - x
        label = widths[i] if i < len(widths) else 0.4
        crossings = {"left": int(np.sum((offset < -0.02 * width) & (offset > -(label + 0.02) * width))),
                     "right": int(np.sum((offset > 0.02 * width) & (offset < (label + 0.02) * width)))}
        if horizontal == "center":
            fits = {"left": fx - label >= 0.02, "right": fx + label <= 0.98}
            for side in sorted(("right", "left"), key=lambda side: crossings[side]):
                if fits[side]:
                    horizontal = side
                    break
        clear = horizontal != "center" and crossings[horizontal] == 0
        out.append((f"{vertical} {horizontal}", clear))
    return out


def _stop_labels(stopped: Sequence[tuple[TrajectoryResult, np.ndarray]], results, xrange: Range, yrange: Range,
                 left_at: Sequence[int | None] | None = None) -> list[str]:
    """One label per cluster of nearby stop markers (on its first marker; the others get none):
    "✗ SGD: step 12", several entries on separate lines, a noisy fan as one entry. `left_at[i]`:
    the step at which stopped path i left the view, when its ✗ sits on the edge there: the label
    then says "left at step t", as the page's message does (the blow-up came later, off the plot)."""
    left_at = list(left_at) if left_at is not None else [None] * len(stopped)
    shown_step = {id(r): (left if left is not None else r.diverged_at) for (r, _), left in zip(stopped, left_at)}
    off_view = {id(r) for (r, _), left in zip(stopped, left_at) if left is not None}
    (x0, x1), (y0, y1) = xrange, yrange
    labels = [""] * len(stopped)
    clusters: list[list[int]] = []
    for i, (_, point) in enumerate(stopped):
        for cluster in clusters:
            anchor = stopped[cluster[0]][1]
            if abs(point[0] - anchor[0]) < 0.18 * (x1 - x0) and abs(point[1] - anchor[1]) < 0.12 * (y1 - y0):
                cluster.append(i)
                break
        else:
            clusters.append([i])
    for cluster in clusters:
        entries: dict[str, list[TrajectoryResult]] = {}
        for i in cluster:
            r = stopped[i][0]
            key = r.group + ":fan" if _in_fan(results, r) else r.label
            entries.setdefault(key, []).append(r)
        texts = []
        for paths in entries.values():
            r = paths[0]
            if _in_fan(results, r):
                steps = sorted(shown_step[id(p)] for p in paths)
                span = f"step {steps[0]}" if steps[0] == steps[-1] else f"steps {steps[0]}–{steps[-1]}"
                left = "left at " if all(id(p) in off_view for p in paths) else ""
                texts.append(f"{r.base_label} ×{len(paths)}: {left}{span}")
            else:
                left = "left at " if id(r) in off_view else ""
                texts.append(f"{r.label}: {left}step {shown_step[id(r)]}")
        if len(texts) > 3:
            texts = texts[:2] + [f"+{len(texts) - 2} more"]
        labels[cluster[0]] = "✗ " + "<br>".join(texts)
    return labels


def _divergence_traces(results: Sequence[TrajectoryResult], clipped: Sequence[Clipped], st: style.Style, escapes: bool,
                       xrange: Range, yrange: Range, presenter: bool) -> list[go.Scatter]:
    """✗ at the last good point of each stopped path, or on the edge where it left the view, with
    its label inside the view. `escapes`: the surface has no minimum, so leaving the bounds is an
    escape downhill rather than a divergence."""
    # Clipped.last: the last good point, or the edge where the path last left the view.
    stopped = [(r, c.last) for r, c in zip(results, clipped) if r.diverged_at is not None]
    if not stopped:
        return []
    escaped = escapes and all(r.divergence == "out of bounds" for r, _ in stopped)
    points = np.array([p for _, p in stopped])
    # A ✗ on the view's edge: the path stopped off the plot; its label gives the step at which it
    # first left the view, as the hover and the page's message do.
    left_at = [r.left_view_at((xrange, yrange)) if c.exits and not np.allclose(c.last, r.positions[-1]) else None
               for r, c in zip(results, clipped) if r.diverged_at is not None]
    labels = _stop_labels(stopped, results, xrange, yrange, left_at)
    # Each label's width as a fraction of the plot's: the plot is about 0.63 of the page width the maps
    # are laid out for (presenter at 1280x720: 722 px).
    widths = [max(map(len, label.split("<br>"))) * style.CHAR_WIDTH_EM * st.font_size / (0.63 * _ASSUMED_WIDTH[presenter])
              for label in labels]
    paths = [r.positions for r in results]
    placed = _label_positions(points, xrange, yrange, paths, widths)
    positions = [position for position, _ in placed]
    for i, (position, clear) in enumerate(placed):
        # Fitting beside its marker only where a path runs, or on neither side (then centred across
        # the path that ends there), a label on two lines ("✗ SGD (η=2.1):" over "left at step 10")
        # may fit clear of them.
        if not clear and ": " in labels[i] and "<br>" not in labels[i]:
            wrapped = labels[i].replace(": ", ":<br>", 1)
            beside, beside_clear = _label_positions(points[i:i + 1], xrange, yrange, paths,
                                                    [widths[i] * max(map(len, wrapped.split("<br>"))) / len(labels[i])])[0]
            if beside_clear:
                labels[i], positions[i] = wrapped, beside
    return [style.Scatter(
        x=points[:, 0], y=points[:, 1], mode="markers+text", name="left the plot" if escaped else "diverged", cliponaxis=False,
        text=labels, textposition=positions,
        textfont=dict(color=style.DIVERGED_COLOR, size=st.font_size, shadow=_TEXT_HALO),
        marker=dict(symbol="x", size=st.start_marker_size + 2, color=style.DIVERGED_COLOR, line=dict(width=1.5, color="white")),
        hovertemplate=[f"<b>{r.stop_text(escapes, (xrange, yrange))}</b><extra></extra>" for r, _ in stopped],
    )]


def _edge_traces(results: Sequence[TrajectoryResult], clipped: Sequence[Clipped], st: style.Style) -> list[go.Scatter]:
    """A triangle on the edge, pointing out, where a path leaves the view (its first few exits; a
    stopped path's last exit carries its ✗ instead)."""
    colors = palette.path_colors(results)
    xs, ys, symbols, marker_colors, hover = [], [], [], [], []
    for i, (r, clip) in enumerate(zip(results, clipped)):
        exits = list(clip.exits)
        if r.diverged_at is not None and exits and not np.allclose(clip.last, r.positions[-1]):
            exits.pop()  # it stopped outside the view: its ✗ is on the edge where it last left
        exits = exits[:EXITS_MARKED]
        for t, side in exits:
            x, y = _at(r.positions, np.array([t]))[0]
            xs.append(x), ys.append(y), symbols.append(_EDGE_SYMBOL[side]), marker_colors.append(colors[i])
            hover.append(f"<b>{r.label}</b> leaves the view after step {int(t)}")
    if not xs:
        return []
    return [style.Scatter(x=xs, y=ys, mode="markers", name="leaves the view", showlegend=False, cliponaxis=False,
                          marker=dict(symbol=symbols, size=st.marker_size + 3, color=marker_colors, line=dict(color="white", width=1)),
                          hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")]


def _end_traces(results: Sequence[TrajectoryResult], clipped: Sequence[Clipped], st: style.Style) -> list[go.Scatter]:
    """A dot in the path's colour at the end of each path that ends inside the view (a stopped
    path's end is its ✗; one that ends outside is marked where it leaves)."""
    colors = palette.path_colors(results)
    rows = [(i, r) for i, (r, c) in enumerate(zip(results, clipped))
            if r.diverged_at is None and np.allclose(c.last, r.positions[-1])]
    if not rows:
        return []
    sizes = [st.marker_size * (0.9 if _in_fan(results, r) else 1.25) for _, r in rows]
    return [style.Scatter(
        x=[r.positions[-1, 0] for _, r in rows], y=[r.positions[-1, 1] for _, r in rows], mode="markers",
        name="end of a path", showlegend=False,
        marker=dict(symbol="circle", size=sizes, color=[colors[i] for i, _ in rows], line=dict(color="white", width=1.5)),
        hovertext=[f"<b>{r.label}</b>: end, step {len(r.positions) - 1}, loss {r.losses[-1]:.4g}" for _, r in rows],
        hovertemplate="%{hovertext}<extra></extra>",
    )]


def _start_trace(start, st: style.Style) -> go.Scatter:
    return style.Scatter(x=[start[0]], y=[start[1]], mode="markers", name="start",
                         marker=dict(symbol="circle", size=st.start_marker_size, color="white", line=dict(color="black", width=3)),
                         hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>")


def _round_step(size: float) -> float:
    """A round number (1, 2, 2.5 or 5 times a power of ten) near `size`: contour levels at round values."""
    if not size > 0:
        return 1.0
    power = 10 ** math.floor(math.log10(size))
    return min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda step: abs(math.log(step / size)))


def _nice_step(limit: float) -> float:
    """The largest of 1, 1.25, 2, 2.5, 5 times a power of ten not above `limit`."""
    power = 10 ** math.floor(math.log10(limit))
    return max(m * power for m in (1, 1.25, 2, 2.5, 5) if m * power <= limit * (1 + 1e-9))


def click_grid_trace(xrange: Range, yrange: Range, step: float) -> go.Scatter:
    """Invisible points on multiples of `step` covering xrange x yrange: a click on one returns its
    coordinates as a selection.

    Empty text points: hoverable and selectable like markers (a lines-only trace is not
    selectable), but drawn as nothing.
    """
    (x0, x1), (y0, y1) = xrange, yrange
    gx = np.arange(math.ceil(x0 / step), math.floor(x1 / step) + 1) * step
    gy = np.arange(math.ceil(y0 / step), math.floor(y1 / step) + 1) * step
    px, py = np.meshgrid(gx, gy)
    return style.Scatter(x=px.ravel().astype(np.float32), y=py.ravel().astype(np.float32), mode="text", text="",
                         name="click to start here", showlegend=False, hoverlabel=dict(bgcolor="black"),
                         hovertemplate="click: start at (%{x:.3g}, %{y:.3g})<extra></extra>")


def click_grid(view: SurfaceView, xrange: Range, yrange: Range, aspect: float, plot_height: float) -> go.Scatter:
    """The click grid of a map framed on xrange x yrange: CLICK_SPACING_PX apart on a plot
    `plot_height` px tall, over what the browser may show (at most CLICK_GRID_MAX points)."""
    (cx0, cx1), (cy0, cy1) = widened(xrange, yrange, (aspect / 1.3, aspect * 1.3))
    grid = view.grid
    cx0, cx1 = max(cx0, grid.xs[0]), min(cx1, grid.xs[-1])
    cy0, cy1 = max(cy0, grid.ys[0]), min(cy1, grid.ys[-1])
    step = _nice_step(CLICK_SPACING_PX * (yrange[1] - yrange[0]) / plot_height)
    while ((cx1 - cx0) / step + 1) * ((cy1 - cy0) / step + 1) > CLICK_GRID_MAX:
        step = _nice_step(step * 2)  # the next coarser round step (x 2 always passes one)
    return click_grid_trace((cx0, cx1), (cy0, cy1), step)


# -- figures -------------------------------------------------------------------------------------


def _box_aspect(view: SurfaceView) -> float:
    (x0, x1), (y0, y1) = view.box
    return (x1 - x0) / (y1 - y0)


def _marker_names(view: SurfaceView, points, results) -> list[str]:
    names = [_legend_entry(results, r)[0] for r in results] + ["start"]
    names += ["diverged"] if any(r.diverged_at is not None for r in results) else []
    return names + [_MARKERS[p.kind].name for p in points if p.kind in _MARKERS]


def contour_figure(view: SurfaceView, results: Sequence[TrajectoryResult], start, *, presenter: bool = False,
                   clickable: bool = True, frame: tuple[Range, Range] | None = None) -> go.Figure:
    """Contour map of the surface with the paths, start, critical points, path ends and divergence
    markers, framed on the action at equal scales (`frame`: explicit x and y ranges instead)."""
    st = style.Style.for_mode(presenter)
    # A log colour bar is labelled like "−1.25" (log₁₀ of the loss), a linear one like "62.5".
    map_layout = _map_layout(presenter, _marker_names(view, view.critical_points, results),
                             colour_bar=5 if view.log_scale else 4, box_aspect=_box_aspect(view))
    margin, aspect = map_layout.margin, map_layout.aspect
    xrange, yrange = frame or view.frame(aspect)
    shown = frame or widened(xrange, yrange, (aspect / BROWSER_SLACK, aspect * BROWSER_SLACK))
    xs, ys, z = _crop(view, *shown, CONTOUR_POINTS)
    lo, hi = _colour_range(view, xrange, yrange)
    size = _round_step((hi - lo) / CONTOUR_LEVELS)
    # On a linear colour scale the colour value is the loss, so the hover reads it from z; only a
    # log-coloured map sends the raw loss again (customdata), which would double the payload.
    hover_loss = "%{customdata:.4g}" if view.log_scale else "%{z:.4g}"
    # Filled bands, not a heatmap under the lines: with CONTOUR_LEVELS bands the two look alike, and
    # Plotly draws the fill in about half the time (Streamlit redraws the whole chart on each change;
    # benchmarks/bench_browser.py's "figure alone" line).
    traces = [style.Contour(
        x=xs.astype(np.float32), y=ys.astype(np.float32), z=view.colour_values(z).astype(np.float32),
        colorscale=style.SURFACE_COLORSCALE, zmin=lo, zmax=hi, autocontour=False,
        contours=dict(start=math.floor(lo / size) * size + size, end=hi, size=size, coloring="fill", showlines=True),
        line=dict(width=0.8, color=style.CONTOUR_LINE_COLOR),
        colorbar=dict(title=dict(text=view.colour_title, side="right"), x=1, xanchor="left", xpad=4,
                      thickness=22 if presenter else 16, len=1, y=0.5, yanchor="middle", outlinewidth=0,
                      tickfont=dict(size=st.font_size)),
        name="surface", showlegend=False,
        customdata=z.astype(np.float32) if view.log_scale else None,
        hovertemplate=f"x %{{x:.3g}}, y %{{y:.3g}}<br>loss {hover_loss}<extra></extra>",
    )]
    plot_height = MAP_HEIGHT[presenter] - margin["t"] - margin["b"]
    if clickable:
        traces.append(click_grid(view, xrange, yrange, aspect, plot_height))
    clipped = [clip_path(r.positions, xrange, yrange) for r in results]
    traces += _path_traces(results, clipped, st, wrap=map_layout.legend["orientation"] == "v") + _critical_point_traces(view.shown_points(xrange, yrange), st)
    traces += _edge_traces(results, clipped, st) + _end_traces(results, clipped, st)
    traces += _divergence_traces(results, clipped, st, view.unbounded, xrange, yrange, presenter) + [_start_trace(start, st)]
    xaxis, yaxis = _map_axes(xrange, yrange, st, presenter)
    # One layout dict in the constructor: each update_layout call costs Plotly a tree walk.
    layout = style.styled_layout({}, presenter, view.title or None, after=dict(
        xaxis=xaxis, yaxis=yaxis, legend=map_layout.legend, margin=margin,
        title=_TITLE_ON_TOP, clickmode="event+select", dragmode="pan", height=MAP_HEIGHT[presenter],
    ))
    return style.Figure(data=traces, layout=layout)


_TITLE_ON_TOP = dict(y=1.0, yref="container", yanchor="top", pad=dict(t=8))


def _marker3d(view: SurfaceView, xy: np.ndarray, lift: float) -> np.ndarray:
    return _interp_grid(view, np.asarray(xy, float).reshape(-1, 2)) + lift


def surface3d_figure(view: SurfaceView, results: Sequence[TrajectoryResult], start=None, *, presenter: bool = False) -> go.Figure:
    """3-D surface with the paths drawn on it (z = loss), seen as the contour map is: x to the right,
    y away from the viewer; the start, critical points, path ends and divergences marked."""
    st = style.Style.for_mode(presenter)
    aspect = 1.6
    xrange, yrange = view.frame(aspect)
    xs, ys, z = _crop(view, xrange, yrange, SURFACE3D_POINTS)
    keep_x, keep_y = (xs >= xrange[0]) & (xs <= xrange[1]), (ys >= yrange[0]) & (ys <= yrange[1])
    xs, ys, z = xs[keep_x], ys[keep_y], z[np.ix_(keep_y, keep_x)]
    z_lo, z_hi = float(np.nanmin(z)), float(np.nanmax(z))
    lift = 0.01 * ((z_hi - z_lo) or 1.0)  # draw paths just above the surface so they are not hidden in it
    traces: list = [style.Surface(x=xs, y=ys, z=z.astype(np.float32), colorscale=style.SURFACE_COLORSCALE, opacity=0.85,
                                  showscale=False, name="surface", showlegend=False,
                                  hovertemplate="x %{x:.3g}, y %{y:.3g}<br>loss %{z:.4g}<extra></extra>")]
    colors, dashes = palette.path_colors(results), palette.path_dashes(results)
    order = draw_order(results)
    widths = _widths(results, order, st)
    clipped = [clip_path(r.positions, xrange, yrange) for r in results]
    shown = set()
    for i in order:
        result, clip = results[i], clipped[i]
        custom, template = _hover(result, clip.t)
        name, group = _legend_entry(results, result)
        loss = np.where(np.isfinite(clip.t), custom[:, 1], np.nan)
        traces.append(go.Scatter3d(
            x=clip.xy[:, 0], y=clip.xy[:, 1], z=np.clip(loss, z_lo, z_hi) + lift, customdata=custom,
            hovertemplate=template, mode="lines", name=_legend_name(name), legendgroup=group, showlegend=group not in shown,
            opacity=0.5 if _in_fan(results, result) else 1.0,
            line=dict(color=colors[i], width=widths[i] * 1.6, dash=dashes[i]),
        ))
        shown.add(group)
    for kind, spec in _MARKERS.items():
        chosen = [p for p in view.shown_points(xrange, yrange) if p.kind == kind]
        if chosen:
            xy = np.array([[p.x, p.y] for p in chosen])
            marker = dict(symbol=spec.symbol3d, size=st.marker_size * (0.5 if len(chosen) > VALLEY_POINTS else 0.7 if spec.symbol3d == "x" else 0.9),
                          color=GLOBAL_MINIMUM_FILL if spec.filled else "black", line=dict(color="black", width=2))
            traces.append(go.Scatter3d(x=xy[:, 0], y=xy[:, 1], z=np.clip(_marker3d(view, xy, lift), z_lo, z_hi), mode="markers",
                                       name=spec.name, marker=marker,
                                       hovertemplate=f"{spec.name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>"))
    ends = [(i, r, c.last) for i, (r, c) in enumerate(zip(results, clipped))]
    if ends:
        xy = np.array([p for _, _, p in ends])
        stopped = [r.diverged_at is not None for _, r, _ in ends]
        traces.append(go.Scatter3d(
            x=xy[:, 0], y=xy[:, 1], z=np.clip(_marker3d(view, xy, 2 * lift), z_lo, z_hi), mode="markers", name="end of a path",
            showlegend=False, marker=dict(symbol=["x" if s else "circle" for s in stopped], size=st.marker_size * 0.8,
                                          color=[style.DIVERGED_COLOR if s else colors[i] for (i, _, _), s in zip(ends, stopped)],
                                          line=dict(color="white", width=1)),
            hovertext=[r.stop_text(view.unbounded) if r.diverged_at is not None else f"{r.label}: end, step {len(r.positions) - 1}"
                       for _, r, _ in ends], hovertemplate="%{hovertext}<extra></extra>"))
    if start is not None:
        traces.append(go.Scatter3d(x=[start[0]], y=[start[1]], z=np.clip(_marker3d(view, [start], 2 * lift), z_lo, z_hi),
                                   mode="markers", name="start",
                                   marker=dict(symbol="circle", size=st.marker_size + 3, color="white", line=dict(color="black", width=3)),
                                   hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>"))
    width, height = xrange[1] - xrange[0], yrange[1] - yrange[0]
    tick = dict(nticks=4 if presenter else 6, tickfont=dict(size=round(st.font_size * (0.7 if presenter else 0.85))))
    axis_title = dict(font=dict(size=st.font_size))
    scene = dict(
        xaxis=dict(title=dict(text="x", **axis_title), range=list(xrange), **tick),
        yaxis=dict(title=dict(text="y", **axis_title), range=list(yrange), **tick),
        zaxis=dict(title=dict(text="loss", **axis_title), range=[z_lo, z_hi + 3 * lift],
                   **{**tick, "nticks": 3 if presenter else 5}),  # fewer: the axis title sits beside the middle tick
        aspectmode="manual", aspectratio=dict(x=1.9 * width / max(width, height), y=1.9 * height / max(width, height), z=0.85),
        # Seen from in front (negative y), a little to the left and above: x grows to the right and
        # y away from the viewer, as on the contour map.
        camera=dict(eye=dict(x=-0.55, y=-1.45, z=1.05), up=dict(x=0, y=0, z=1), center=dict(x=0.05, y=0, z=-0.2),
                    projection=dict(type="orthographic")),
    )
    layout = style.styled_layout({}, presenter, view.title or None, after=dict(
        scene=scene, legend=_right_legend(presenter), height=MAP_HEIGHT[presenter],
        margin=dict(l=0, r=_legend_width([_legend_name(n) for n in _marker_names(view, view.critical_points, results)], _legend_font(st, presenter)) + 10,
                    t=round(40 * (1.3 if presenter else 1)), b=0),
        title=_TITLE_ON_TOP,
    ))
    return style.Figure(data=traces, layout=layout)


def _curve_traces(results: Sequence[TrajectoryResult], ys: Sequence[np.ndarray], st: style.Style, template: str,
                  customdata: Sequence[np.ndarray] | None = None) -> list[go.Scatter]:
    """One line per path over the steps, one legend entry per optimizer instance (a fan as one).

    `customdata`: per path, the true value of each step for the hover (`ys` may be floored)."""
    traces, shown = [], set()
    colors, dashes = palette.path_colors(results), palette.path_dashes(results)
    for i in draw_order(results):
        r, y = results[i], ys[i]
        fan = _in_fan(results, r)
        name, group = _legend_entry(results, r)
        custom = r.losses if customdata is None else customdata[i]
        traces.append(style.Scatter(
            x=np.arange(len(y)), y=y, mode="lines", name=name, legendgroup=group, showlegend=group not in shown,
            opacity=0.45 if fan else 1.0, line=dict(color=colors[i], width=st.line_width * (0.5 if fan else 1.0), dash=dashes[i]),
            customdata=np.asarray(custom).astype(np.float32), hovertemplate=f"<b>{r.label}</b><br>{template}<extra></extra>"))
        shown.add(group)
    return traces


CURVE_DECADES = 6
"""Most decades a loss or distance axis spans below its highest value: a path that converges to the
float noise (10⁻¹⁶) leaves through the bottom edge, and the paths that stay above (a noisy fan, a
step decay's halvings) keep the height."""

CURVE_ZERO = 1e-12
"""A loss or distance of 0 (or below) is drawn at this height: a log axis cannot show 0."""


def curve_range(ys: Sequence[np.ndarray], floor_of: Sequence[bool] | None = None) -> list[float] | None:
    """The log10 range of a loss or distance axis: from the highest value down to the lowest value
    above CURVE_ZERO, but at most CURVE_DECADES; a little room at both ends.

    `floor_of`: which curves set the bottom (e.g. only a noisy fan's: a full-batch path that
    converges to the float noise leaves through the bottom edge); the lowest of them, a decade lower.
    """
    def finite(chosen):
        values = np.concatenate([np.ravel(y) for y in chosen]) if len(chosen) else np.zeros(0)
        return values[np.isfinite(values) & (values > CURVE_ZERO)]

    values = finite(ys)
    if values.size == 0:
        return None
    high = float(np.log10(values.max()))
    bottom = finite([y for y, keep in zip(ys, floor_of) if keep]) if floor_of is not None and any(floor_of) else values
    lowest = float(np.log10(bottom.min())) - (1 if bottom is not values else 0) if bottom.size else high - CURVE_DECADES
    low = max(lowest, high - CURVE_DECADES)
    if high - low < 1:  # flat curves: one decade around them
        low, high = (low + high) / 2 - 0.5, (low + high) / 2 + 0.5
    pad = 0.03 * (high - low)
    return [low - pad, high + pad]


def loss_figure(results: Sequence[TrajectoryResult], f_min: float | None, *, presenter: bool = False) -> go.Figure:
    """Loss vs step; log scale of (loss − f_min) when the surface has a minimum (f_min not None)."""
    st = style.Style.for_mode(presenter)
    reference = "minimum"
    lowest = min((float(np.nanmin(r.losses, initial=np.inf)) for r in results), default=np.inf)
    if f_min is not None and lowest < f_min - 1e-6 * (1 + abs(f_min)):  # float32 rounding is not "lower"
        # The minimum was found numerically (a penalized surface): a path may get a little lower
        # than descent did. Measure from the lowest loss reached, so that no point is clipped.
        f_min, reference = lowest, "lowest"
    ys = []
    for r in results:
        y = r.losses - f_min if f_min is not None else r.losses
        ys.append(np.maximum(y, CURVE_ZERO) if f_min is not None else y)  # a log axis cannot show 0
    traces = _curve_traces(results, ys, st, "step %{x}<br>loss %{customdata:.5g}")
    for r, y in zip(results, ys):
        if r.diverged_at is not None:
            traces.append(style.Scatter(x=[len(y) - 1], y=[y[-1]], mode="markers", showlegend=False, name="diverged",
                                        marker=dict(symbol="x", size=st.start_marker_size, color=style.DIVERGED_COLOR),
                                        hovertemplate=f"{r.label} diverged at step {r.diverged_at}<extra></extra>"))
    if f_min is not None:
        # Short: the rotated title stays within the plot's height (the figure title names the minimum).
        return _curve_figure(traces, presenter, f"Loss vs step ({reference} {f_min:.4g})", ys,
                             "loss − min (log)" if reference == "minimum" else "loss − lowest (log)",
                             [_in_fan(results, r) for r in results])
    return _curve_figure(traces, presenter, "Loss vs step", None, "loss")


def _curve_figure(traces, presenter: bool, title: str, ys: Sequence[np.ndarray] | None, y_title: str,
                  floor_of: Sequence[bool] | None = None) -> go.Figure:
    """A curve over the steps, half the page wide: the title on top, the legend in rows under it
    (the plot keeps the width), the y axis log (ys given, see curve_range) or linear."""
    st = style.Style.for_mode(presenter)
    font = _legend_font(st, presenter)
    margin = style.margins(presenter, title=True)
    # Plotly measures a label such as 10⁻¹ without its superscript: keep the axis title clear of it.
    standoff = round(st.font_size * 0.6) if ys is not None else None
    margin["l"] += standoff or 0
    names = [t.name for t in traces if t.showlegend is not False and t.name and t.mode == "lines"]
    width = CURVE_WIDTH[presenter] - margin["l"] - margin["r"]
    rows, legend_px = style.horizontal_legend(names, font, width) if names else (0, 0)
    title_px = round(st.title_size * 1.3 + 8)
    margin.update(t=title_px + legend_px)
    height = CURVE_HEIGHT[presenter]  # the legend's rows take from the plot: the x axis stays on a projector's first screen
    plot_px = height - margin["t"] - margin["b"]
    if ys is not None:
        y_axis = style.log_axis(np.concatenate(ys) if len(ys) else (), title=dict(text=y_title, standoff=standoff),
                                range=curve_range(ys, floor_of), length_px=plot_px, font_size=st.font_size)
    else:
        y_axis = dict(title=dict(text=y_title))
    # Labels 10ⁿ fit the margin set here; others (0.0005 on a log axis under two decades, −150k on a
    # saddle's linear one) Plotly fits itself.
    margin["autoexpand"] = y_axis.get("exponentformat") != "power"
    layout = style.styled_layout({}, presenter, title, after=dict(
        xaxis=dict(title=dict(text="step")), yaxis=y_axis, height=height, margin=margin,
        title=dict(y=1, yref="container", yanchor="top", pad=dict(t=6)),
        legend=dict(orientation="h", x=0, xanchor="left", xref="paper", y=1, yref="paper", yanchor="bottom",
                    font=dict(size=font), tracegroupgap=0, itemsizing="constant"),
    ))
    return style.Figure(data=traces, layout=layout)


def distance_figure(results: Sequence[TrajectoryResult], minima: np.ndarray, *, presenter: bool = False,
                    target: str = "minimum") -> go.Figure:
    """Distance to the nearest known minimum (or other `target` point) vs step, log scale."""
    st = style.Style.for_mode(presenter)
    if len(minima) == 0:  # e.g. a penalized saddle: unbounded below, or minimal on a whole line
        fig = _curve_figure([], presenter, f"Distance to the nearest {target}", None, "distance")
        fig.add_annotation(text="No minimum found in view: no distance to plot.",
                           xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font=dict(size=st.font_size))
        return fig
    true = [np.min(np.linalg.norm(r.positions[:, None, :] - minima[None, :, :], axis=-1), axis=1) for r in results]
    ys = [np.maximum(d, CURVE_ZERO) for d in true]
    traces = _curve_traces(results, ys, st, "step %{x}<br>distance %{customdata:.3g}", customdata=true)
    return _curve_figure(traces, presenter, f"Distance to the nearest {target}", ys, "distance (log)",
                         [_in_fan(results, r) for r in results])


COORDINATES = ("x", "y")


def _wrapped(text: str, width: int) -> list[str]:
    """`text` in lines of at most about `width` characters, broken at spaces."""
    lines = [""]
    for word in text.split(" "):
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def step_size_figure(results: Sequence[TrajectoryResult], axis: int, *, presenter: bool = False) -> go.Figure:
    """The effective step size of coordinate `axis` (0: x, 1: y) at each update, log scale: eta_t for
    SGD and momentum, eta_t / (sqrt(v_hat_t) + eps) for the adaptive methods (Optimizer.step_size, as
    recorded by the runner). A noisy fan is left out (its full-batch path stays); optimizers without
    a per-coordinate step size (Newton, L-BFGS, Lion) are named under the plot."""
    st = style.Style.for_mode(presenter)
    name = COORDINATES[axis]
    shown = [r for r in results if r.step_sizes is not None and not _in_fan(results, r)]
    ys = [np.asarray(r.step_sizes[:, axis], dtype=float) for r in shown]
    traces = _curve_traces(shown, ys, st, f"update %{{x}}<br>step size in {name} %{{customdata:.4g}}", customdata=ys)
    title = f"Step size along {name} per update"
    fig = (_curve_figure(traces, presenter, title, ys, "ηₜ / (√v̂ₜ + ε)  (log)") if shown
           else _curve_figure([], presenter, title, None, "step size"))
    without = list(dict.fromkeys(r.base_label for r in results if r.step_sizes is None))
    if not shown:
        fig.add_annotation(text="No optimizer shown has a per-coordinate step size.", xref="paper", yref="paper",
                           x=0.5, y=0.5, showarrow=False, font=dict(size=st.font_size))
    elif without:  # lines under the x axis' title, the figure that much taller (the plot keeps its size)
        font = round(st.font_size * 0.8)
        lines = _wrapped("No step size per coordinate (a matrix or a sign): " + ", ".join(without), 48)
        added = round(len(lines) * font * 1.3) + 6
        bottom = fig.layout.margin.b
        fig.add_annotation(text="<br>".join(lines), xref="paper", yref="paper", x=0, xanchor="left", align="left",
                           y=0, yanchor="top", yshift=-bottom, showarrow=False, font=dict(size=font, color="#444444"))
        fig.update_layout(height=fig.layout.height + added, margin=dict(b=bottom + added))
    return fig


# -- playback ------------------------------------------------------------------------------------


def surface_image(view: SurfaceView, xrange: Range, yrange: Range, colour_range: Range | None = None,
                  level: float | None = None, max_pixels: int = 720) -> str:
    """The colour map of the surface over xrange x yrange with its contour lines, as a PNG data URI
    (the playback background: plotly.js hides contour traces while frames play, so the background
    is an image, its isolines drawn into it at the contour map's levels)."""
    from PIL import Image  # local: only playback needs it

    grid = view.grid
    width, height = xrange[1] - xrange[0], yrange[1] - yrange[0]
    nx = max(2, int(max_pixels * min(1.0, width / height)))
    ny = max(2, int(max_pixels * min(1.0, height / width)))
    px = xrange[0] + (np.arange(nx) + 0.5) / nx * width
    py = yrange[1] - (np.arange(ny) + 0.5) / ny * height  # image rows go top-down, y goes up
    fx = np.interp(px, grid.xs, np.arange(len(grid.xs)))
    fy = np.interp(py, grid.ys, np.arange(len(grid.ys)))
    j0, i0 = np.floor(fx).astype(int), np.floor(fy).astype(int)
    j1, i1 = np.minimum(j0 + 1, len(grid.xs) - 1), np.minimum(i0 + 1, len(grid.ys) - 1)
    wx, wy = (fx - j0)[None, :], (fy - i0)[:, None]
    z = grid.z
    sampled = (z[np.ix_(i0, j0)] * (1 - wx) + z[np.ix_(i0, j1)] * wx) * (1 - wy) + \
              (z[np.ix_(i1, j0)] * (1 - wx) + z[np.ix_(i1, j1)] * wx) * wy
    values = view.colour_values(sampled)
    lo, hi = colour_range or (float(np.nanmin(values)), float(np.nanmax(values)))
    normalized = np.nan_to_num((values - lo) / (hi - lo if hi > lo else 1.0))
    rgb = _surface_colors(normalized).astype(float)
    level = level or _round_step((hi - lo) / CONTOUR_LEVELS)
    band = np.floor(np.clip(values, lo, hi) / level)
    line = np.zeros(band.shape, bool)
    line[:, 1:] |= band[:, 1:] != band[:, :-1]
    line[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[line] = rgb[line] * 0.7 + 40 * 0.3  # about style.CONTOUR_LINE_COLOR over the colour
    buffer = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8), "RGB").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _surface_colors(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB through style.SURFACE_COLORSCALE (piecewise linear)."""
    stops = np.array([stop for stop, _ in style.SURFACE_COLORSCALE])
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in style.SURFACE_COLORSCALE], float)
    flat = np.clip(values, 0, 1).ravel()
    channels = [np.interp(flat, stops, rgb[:, k]) for k in range(3)]
    return np.stack(channels, axis=-1).reshape(*values.shape, 3).astype(np.uint8)


def playback_figure(view: SurfaceView, results: Sequence[TrajectoryResult], start=None, *, frames: int = 60,
                    presenter: bool = False, max_points: int = 150) -> go.Figure:
    """Paths racing over the surface: play/pause and a step scrubber move every path at once, a dot
    on each path's current point.

    Only the path traces and the dots are animated, over a background image of the surface with
    its contour lines, so the surface stays visible while frames play.
    """
    st = style.Style.for_mode(presenter)
    scale = 1.4 if presenter else 1.0
    controls = round(84 * scale)  # below the x axis: the play/pause buttons and the step slider
    map_layout = _map_layout(presenter, _marker_names(view, view.critical_points, results), colour_bar=0,
                             box_aspect=_box_aspect(view), bottom_extra=controls, height=PLAYBACK_HEIGHT[presenter])
    margin, aspect = map_layout.margin, map_layout.aspect
    plot_height = PLAYBACK_HEIGHT[presenter] - margin["t"] - margin["b"]
    below_axis = -(margin["b"] - controls + 2) / plot_height  # paper y just under the axis title
    xrange, yrange = view.frame(aspect)
    (ix0, ix1), (iy0, iy1) = widened(xrange, yrange, (aspect / BROWSER_SLACK, aspect * BROWSER_SLACK))
    ix0, ix1 = max(ix0, view.grid.xs[0]), min(ix1, view.grid.xs[-1])
    iy0, iy1 = max(iy0, view.grid.ys[0]), min(iy1, view.grid.ys[-1])
    total = max(len(r.positions) for r in results) - 1 if results else 0
    stride = max(1, int(np.ceil((total + 1) / max_points)))
    shown_steps = np.unique(np.linspace(0, total, min(frames, total + 1)).round().astype(int))
    colors, dashes = palette.path_colors(results), palette.path_dashes(results)
    order = draw_order(results)
    widths = _widths(results, order, st)

    clipped = {i: clip_path(results[i].positions, xrange, yrange) for i in order}

    def prefix(i: int, step: int) -> np.ndarray:
        """Path i up to `step`, clipped, every stride-th step (and the edge points and `step` itself)."""
        t = clipped[i].t
        k = min(step, len(results[i].positions) - 1)
        finite = np.nan_to_num(t, nan=-1.0)
        keep = (finite <= k) & ((finite % stride == 0) | (finite != np.floor(finite)) | (finite == k)) & (finite >= 0)
        keep[1:] |= np.isnan(t[1:]) & (finite[:-1] <= k) & (finite[:-1] >= 0)  # a break after a kept point
        xy = clipped[i].xy[keep]
        while len(xy) > 1 and np.isnan(xy[-1, 0]):
            xy = xy[:-1]
        return xy

    traces, shown = [], set()
    for i in order:
        r = results[i]
        p = prefix(i, total)
        name, group = _legend_entry(results, r)
        fan = _in_fan(results, r)
        traces.append(style.Scatter(x=p[:, 0], y=p[:, 1], mode="lines" if fan else "lines+markers",
                                    name=_legend_name(name) if map_layout.legend["orientation"] == "v" else name,
                                    legendgroup=group, showlegend=group not in shown, opacity=0.45 if fan else 1.0,
                                    line=dict(color=colors[i], width=widths[i], dash=dashes[i]),
                                    marker=dict(size=st.marker_size * 0.5, color=colors[i]), hoverinfo="skip"))
        shown.add(group)

    now = np.array([prefix(i, total)[-1] for i in order]).reshape(-1, 2)
    traces.append(style.Scatter(x=now[:, 0], y=now[:, 1], mode="markers", name="current step", showlegend=False,
                                marker=dict(symbol="circle", size=st.marker_size * 1.6, color=[colors[i] for i in order],
                                            line=dict(color="white", width=2)), hoverinfo="skip"))
    traces += _critical_point_traces(view.shown_points(xrange, yrange), st)
    if start is not None:
        traces.append(_start_trace(start, st))
    animated = list(range(len(order) + 1))  # the paths and the current-step dots
    # Frames as plain dicts, not validated graph objects: plotly would validate every frame's
    # traces on every rerun, and these are only arrays for the traces declared above.
    frame_list = []
    for step in shown_steps:
        paths = [prefix(i, step) for i in order]
        dots = np.array([p[-1] for p in paths]).reshape(-1, 2)
        frame_list.append({"name": str(step), "traces": animated,
                           "data": [{"type": "scatter", "x": p[:, 0].astype(np.float32), "y": p[:, 1].astype(np.float32)}
                                    for p in paths] + [{"type": "scatter", "x": dots[:, 0].astype(np.float32),
                                                        "y": dots[:, 1].astype(np.float32)}]})
    image = dict(source=surface_image(view, (ix0, ix1), (iy0, iy1), _colour_range(view, xrange, yrange)),
                 xref="x", yref="y", x=ix0, y=iy1, sizex=ix1 - ix0, sizey=iy1 - iy0, sizing="stretch", layer="below", opacity=1.0)
    play = dict(label="▶ Play", method="animate",
                args=[None, dict(frame=dict(duration=60, redraw=False), transition=dict(duration=0), fromcurrent=True, mode="immediate")])
    pause = dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")])
    xaxis, yaxis = _map_axes(xrange, yrange, st, presenter)
    layout = style.styled_layout({}, presenter, view.title or None, after=dict(
        xaxis=xaxis, yaxis=yaxis, legend=map_layout.legend, margin=margin, title=_TITLE_ON_TOP,
        height=PLAYBACK_HEIGHT[presenter], images=[image], dragmode="pan",
        updatemenus=[dict(type="buttons", direction="left", x=0, y=below_axis, xanchor="left", yanchor="top",
                          pad=dict(t=round(30 * scale), r=10), showactive=False, buttons=[play, pause], font=dict(size=st.font_size))],
        sliders=[dict(active=len(shown_steps) - 1, x=0.3, len=0.7, y=below_axis, yanchor="top", pad=dict(t=0, b=0),
                      currentvalue=dict(prefix="step ", font=dict(size=st.font_size)), font=dict(size=round(st.font_size * 0.8)),
                      steps=[dict(label=str(s), method="animate",
                                  args=[[str(s)], dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))])
                             for s in shown_steps])],
    ))
    spec = {"data": [t.to_plotly_json() for t in traces], "layout": layout, "frames": frame_list}
    return go.Figure(spec, _validate=False)


FIGURES: dict[str, str] = {
    "contour": "Contour map with the paths (main figure)",
    "surface3d": "3-D surface with the paths",
    "loss": "Loss vs step",
    "distance": "Distance to the nearest minimum vs step",
    "playback": "Animated playback (play/pause, step scrubber)",
    "step_size_x": "Effective step size along x per update (the per-parameter learning rate)",
    "step_size_y": "Effective step size along y per update (the per-parameter learning rate)",
    **MAP_FIGURES,
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
        return surface3d_figure(view, results, scene.start_point, presenter=presenter)
    if name == "loss":  # on a surface unbounded below, a local minimum is no floor: plot the loss itself
        return loss_figure(results, None if view.unbounded else view.minimum_value, presenter=presenter)
    if name == "distance":
        points, target = view.distance_targets()
        return distance_figure(results, points, presenter=presenter, target=target)
    if name == "playback":
        return playback_figure(view, results, scene.start_point, presenter=presenter)
    if name in ("step_size_x", "step_size_y"):
        return step_size_figure(results, COORDINATES.index(name[-1]), presenter=presenter)
    if name in MAP_FIGURES:  # made on first use by compute (data.maps), then kept with the data
        if data.maps is None:
            raise ValueError(f"figure {name!r} needs the maps of optviz.trajectories.compute.compute(scene)")
        return build_map_figure(name, data.maps.get(name), presenter=presenter)
    raise ValueError(f"unknown figure {name!r}; choose one of: {', '.join(FIGURES)}")
