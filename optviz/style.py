"""One look for every figure: template, colour-blind-safe palette, presenter sizes.

Figures are built with `theme=None` in Streamlit, so what is set here is exactly what the
screen and the exports show.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from dataclasses import dataclass
from typing import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optviz.palette import PALETTE, color  # noqa: F401  (re-exported: the figures' palette)

# Loss surfaces: a light, neutral, monotone scale (low = white, high = grey), so the coloured
# paths stand out on it for every colour-vision type and on a washed-out projector.
SURFACE_COLORSCALE = [[0.0, "#ffffff"], [0.35, "#e3e6ea"], [0.7, "#b9bec6"], [1.0, "#868c96"]]
CONTOUR_LINE_COLOR = "rgba(40,40,40,0.35)"
DIVERGED_COLOR = "#D00000"
CHAR_WIDTH_EM = 0.55
"""Mean glyph width of the figures' text (DejaVu Sans / Arial), in em: every estimate of a text's width."""


@dataclass(frozen=True)
class Style:
    """Sizes for the screen or the projector (presenter mode)."""

    font_size: int = 14
    legend_size: int = 14
    title_size: int = 18
    line_width: float = 2.5
    marker_size: int = 7
    start_marker_size: int = 13

    @staticmethod
    def for_mode(presenter: bool) -> "Style":
        if presenter:
            return Style(font_size=22, legend_size=18, title_size=28, line_width=5.0, marker_size=11, start_marker_size=20)
        return Style()


# Unvalidated constructors. Plotly checks every property on every assignment, a large share of a
# rerun's script time (benchmarks/bench_app.py times every figure build). The builders use these;
# tests/test_figure_validity.py validates their output.
Figure = functools.partial(go.Figure, _validate=False)
Scatter = functools.partial(go.Scatter, _validate=False)
Contour = functools.partial(go.Contour, _validate=False)
Surface = functools.partial(go.Surface, _validate=False)
Bar = functools.partial(go.Bar, _validate=False)


@functools.lru_cache(maxsize=32)
def _subplot_skeleton(rows: int, cols: int, titles: int, options: tuple) -> dict:
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[" "] * titles, **dict(options))
    return {"layout": fig.layout.to_plotly_json(), "_grid_ref": fig._grid_ref, "_grid_str": fig._grid_str}


def subplots(rows: int, cols: int, titles=(), **options) -> go.Figure:
    """plotly's make_subplots, unvalidated and with its grid cached (the grid is slow to build).

    Same figure as make_subplots(rows, cols, subplot_titles=titles, **options); the row/col
    arguments of add_trace and update_*axes work on it as usual.
    """
    skeleton = _subplot_skeleton(rows, cols, len(titles), tuple(sorted(options.items())))
    return Figure({"layout": subplot_layout(rows, cols, titles, **options),
                   "_grid_ref": copy.deepcopy(skeleton["_grid_ref"]), "_grid_str": skeleton["_grid_str"]})


def subplot_layout(rows: int, cols: int, titles=(), **options) -> dict:
    """make_subplots' layout as a plain dict (cached grid), for builders that fill in a dict.

    Axes are "xaxis", "xaxis2", ... numbered row by row; `axis_refs` gives a cell's names.
    """
    skeleton = _subplot_skeleton(rows, cols, len(titles), tuple(sorted(options.items())))
    layout = copy.deepcopy(skeleton["layout"])
    for annotation, text in zip(layout.get("annotations", []), titles):
        annotation["text"] = text
    return layout


def axis_refs(row: int, col: int, cols: int) -> tuple[str, str]:
    """("x2", "y2")-style references of subplot (row, col), 1-based; the layout keys are xaxis2, yaxis2."""
    index = (row - 1) * cols + col
    suffix = "" if index == 1 else str(index)
    return "x" + suffix, "y" + suffix


# ticklabeloverflow "allow": Plotly's default ("hide past div") measures every tick label's box
# after each draw to hide labels past the edge (a slow redraw: benchmarks/bench_browser.py); with
# automargin no label reaches past the edge.
_AXIS = dict(gridcolor="#e5e5e5", linecolor="#444444", zerolinecolor="#cccccc", ticks="outside", showline=True,
             automargin=True, ticklabeloverflow="allow", title=dict(standoff=10))
# A small template of our own: plotly's "plotly_white" is ~10 kB that Plotly validates and
# deep-copies into every figure, for the few settings below.
TEMPLATE = go.layout.Template(layout=dict(
    paper_bgcolor="white", plot_bgcolor="white", xaxis=_AXIS, yaxis=_AXIS,
    scene=dict(xaxis=dict(backgroundcolor="white", gridcolor="#dddddd"), yaxis=dict(backgroundcolor="white", gridcolor="#dddddd"),
               zaxis=dict(backgroundcolor="white", gridcolor="#dddddd")),
))


MAX_LOG_LABELS = 7
"""Most labelled ticks on a log axis: a projector shows 10⁻¹² … 10² as seven labels, not fifteen."""

LOG_LABEL_PITCH_EM = 2.0
"""Least distance between two labelled ticks of a log y axis, in tick-font sizes: "10⁻¹²" with its
raised exponent is about 1.4 em tall, and a gap keeps neighbours apart."""


def log_dtick(span: float, length_px: float | None = None, font_size: float = 22) -> int:
    """Decades between labelled ticks of a log axis `span` decades long and `length_px` long:
    at most MAX_LOG_LABELS labels, at least LOG_LABEL_PITCH_EM * `font_size` px apart.

    Labels sit on the multiples of the step (10⁰, 10⁻³, 10⁻⁶ for 3), so a span of s decades shows
    at most floor(s / step) + 1 of them. Without a length (the axis's size is not known) only the
    count bounds the step.
    """
    span = max(float(span), 0.0)
    step = span / (MAX_LOG_LABELS - 1)
    if length_px:
        step = max(step, LOG_LABEL_PITCH_EM * font_size * span / length_px)
    return max(1, math.ceil(step - 1e-9))


def log_axis(values=(), *, length_px: float | None = None, font_size: float | None = None, **settings) -> dict:
    """A log axis whose labels read as values: powers of ten (10⁻³, 10⁰) when the data spans two
    decades or more, full numbers (0.02, 0.05, 0.1) otherwise, and evenly spaced round values
    (0.75, 1, 1.25) where the data holds fewer than two of 1, 2, 5 x 10ⁿ; minor ticks stay, unlabelled.

    Plotly's default labels a log axis's minor ticks "2" and "5" as bare digits between the powers
    of ten, which a class reads as values. On a wide span the powers of ten are labelled every
    `log_dtick` decades (at most MAX_LOG_LABELS, apart enough at `font_size` on an axis `length_px`
    long: the plot's height in px, where the builder knows it) and every other decade gets an
    unlabelled tick. `values`: the data drawn on the axis (non-positive and non-finite values are
    ignored); `settings` (title, range, ...) are merged in; a `range` (log10 units) sets the span.
    """
    import numpy as np  # local: style is imported by every figure, NumPy only here

    data = np.asarray([v for v in np.ravel(np.asarray(values, dtype=float)) if np.isfinite(v) and v > 0])
    low, high = (float(data.min()), float(data.max())) if data.size else (None, None)
    if settings.get("range") is not None and len(settings["range"]) == 2:
        # The axis shows the range, not the data's span: labels for the data alone (0.628 to 0.6295
        # on a decade's range) would lie within a few px of one another and overprint.
        low, high = sorted(10.0 ** float(bound) for bound in settings["range"])
    span = math.log10(high / low) if low is not None else 99.0
    if span >= 2:
        dtick = log_dtick(span, length_px, font_size or Style.for_mode(True).font_size)
        minor = dict(ticks="outside", ticklen=4, dtick="D1" if dtick == 1 else 1)
        ticks = dict(dtick=dtick, exponentformat="power", minor=minor)
    else:
        ticks = dict(dtick="D2", tickformat=".2~g", minor=dict(ticks="outside", ticklen=4, dtick="D1"))
        if low is not None and sum(low <= v <= high for v in _one_two_five(low, high)) < 2:
            # A narrow span (0.8 to 1.3) holds one 1-2-5 value or none: Plotly would label "1" alone,
            # and a class could not read a ratio off the axis. Evenly spaced round values instead.
            values = linear_labels(low, high)
            ticks = dict(tickmode="array", tickvals=values, ticktext=[f"{v:.4g}" for v in values],
                         minor=dict(ticks="outside", ticklen=4, dtick="D1"))
    return {"type": "log", **ticks, **settings}


def _one_two_five(low: float, high: float) -> list[float]:
    """The values 1, 2 and 5 times a power of ten from the decade of `low` to that of `high`."""
    return [m * 10.0 ** k for k in range(math.floor(math.log10(low)), math.floor(math.log10(high)) + 1)
            for m in (1, 2, 5)]


def linear_labels(low: float, high: float, most: int = 5) -> list[float]:
    """At most `most` round values (a step of 1, 2, 2.5 or 5 times a power of ten) from `low` to `high`."""
    raw = max(high - low, abs(high) * 1e-6, 1e-300) / (most - 1)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [float(f"{i * step:.12g}") for i in range(first, last + 1)]


def log_labels(low: float, high: float, dtick) -> list[int]:
    """The exponents a log axis from 10^low to 10^high labels with an integer `dtick` (tick0 = 0)."""
    if not isinstance(dtick, (int, float)) or isinstance(dtick, bool):
        return []
    step = int(dtick)
    first = math.ceil(min(low, high) / step - 1e-9) * step
    return list(range(first, int(math.floor(max(low, high) + 1e-9)) + 1, step))


def legend_row_px(font: float) -> int:
    """Height (px) of one legend entry at `font` px: the text's line and Plotly's gap to the next."""
    return round(font * 1.35 + 6)


def top_tick_room(font_size: float) -> int:
    """Room (px) above a plot for its top y tick label, half of which is above the plot's edge: a
    legend placed just above the plot keeps clear of it."""
    return round(0.6 * font_size)


def horizontal_legend(names: Sequence[str], font: float, width: float) -> tuple[int, int]:
    """(rows, px) of a horizontal legend of `names` across a plot `width` px wide.

    An entry is its text (about 0.55 em a character) plus its symbol and gaps (50 px). Plotly keeps
    the legend on one row when all of it fits; otherwise it gives every entry the widest entry's
    width, as many a row as fit (plotly.js legend/draw.js, computeLegendDimensions). The px hold
    the rows, the legend's padding and its border.
    """
    items = [max(len(line) for line in name.split("<br>")) * CHAR_WIDTH_EM * font + 50 for name in names]
    if sum(items) <= width:
        rows = 1
    else:
        rows = math.ceil(len(items) / max(1, int(width // max(items))))
    return rows, rows * legend_row_px(font) + 4


def margins(presenter: bool = False, *, title: bool = False, left: int = 70, right: int = 30) -> dict:
    """Plot margins in px that already hold the axis titles and tick labels (presenter fonts too).

    Axes keep `automargin`, but Plotly draws a figure once, measures every label, and draws it
    all again whenever the measured margins differ from these (benchmarks/bench_browser.py).
    Margins wide enough from the start skip that second pass; `left` and `right` are
    for figures with wider y tick labels or a colour bar.
    """
    scale = 1.4 if presenter else 1.0  # presenter labels are 22 px instead of 14
    return dict(l=round(left * scale), r=round(right * scale), t=60 if title else 30, b=round(60 * scale))


def layout(presenter: bool = False, title: str | None = None) -> dict:
    """The optviz look as a layout dict (template, font, palette, margins, legend, title)."""
    style = Style.for_mode(presenter)
    result = dict(
        template=TEMPLATE,
        font=dict(family="DejaVu Sans, Arial, sans-serif", size=style.font_size, color="#111111"),
        colorway=list(PALETTE),
        margin=margins(presenter, title=bool(title)),
        # Legends a step smaller than the axes in presenter mode: their entries are names, read once,
        # and a legend of five entries must stay one row above a projector's figure.
        legend=dict(bgcolor="rgba(255,255,255,0.8)", bordercolor="#cccccc", borderwidth=1,
                    font=dict(size=style.legend_size)),
        hoverlabel=dict(font=dict(size=style.font_size)),
        uirevision="keep",
    )
    if title:
        result["title"] = dict(text=title, font=dict(size=style.title_size), x=0.02, xanchor="left")
    if presenter:
        axis = dict(linewidth=2, gridwidth=1.5, tickfont=dict(size=style.font_size))
        result["xaxis"], result["yaxis"] = dict(axis), dict(axis)
    return result


def styled_layout(base: dict, presenter: bool = False, title: str | None = None, after: dict | None = None) -> dict:
    """`base` (a layout as a plain dict) with the optviz look merged in, then `after`, as a new dict.

    The same as fig.update_layout(**look) followed, in presenter mode, by update_xaxes and
    update_yaxes with the presenter axis settings on every x and y axis, then
    fig.update_layout(**after), but on plain dicts: plotly's update_* walk was a large share of
    each build (benchmarks/bench_app.py and bench_netstats.py time them). Builders that fill in a
    layout dict call this last, with what must win over the look
    (a legend placement, a taller top margin) as `after`; `apply` does it for a built figure.
    """
    look = layout(presenter, title)
    axis = {k: look.pop(k) for k in ("xaxis", "yaxis") if k in look}
    merged = _merged(base, look)
    if axis:  # every x and y axis of the figure, subplots included (as update_xaxes/update_yaxes)
        axes = dict.fromkeys(["xaxis", "yaxis", *(key for key in merged if re.fullmatch(r"[xy]axis\d*", key))])
        for name in axes:
            merged[name] = _merged(merged.get(name, {}), axis[name[0] + "axis"])
    return _merged(merged, after) if after else merged


def apply(fig: go.Figure, presenter: bool = False, title: str | None = None) -> go.Figure:
    """Apply the optviz look to `fig` in place (see `styled_layout`) and return it."""
    fig.layout = styled_layout(fig.layout.to_plotly_json(), presenter, title)
    return fig


def _merged(base: dict, changes: dict) -> dict:
    """`base` updated by `changes`, nested dicts merged key by key (plotly's update semantics)."""
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
