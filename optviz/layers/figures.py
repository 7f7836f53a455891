"""Figures of the "Initialization & activations" page: per-layer statistics of a deep MLP.

Pure builders: (LayerStats, options) -> go.Figure, no streamlit, no JAX, no computation beyond
arranging what `optviz.layers.network` returned (the activation curve comes sampled, as an
ActivationCurve). Several configurations can be drawn side by side, one palette colour each:
network A is colour 0 and network B colour 1 on every figure.

Coinciding curves stay visible (the batch-norm lesson: A and B agree): with two or more networks
A is drawn wide with large circles, underneath, and B narrow with small diamonds on top of it, so
A shows as an outline around B. Line styles mean one thing only: on the gradient panel dL/dz is
solid with filled markers and dL/dW dashed with open ones (short dashed lines between markers
hardly show), and the legend has one entry per network and one per curve kind.

Log axes cannot show 0: values <= 0 are drawn at `LOG_FLOOR` and their hover text says so;
non-finite values (an overflowing network) are left out and the hover of the last finite
point says where the overflow starts. Every log axis is `optviz.style.log_axis`.

Text is laid out for the narrowest width a figure is drawn at, with text widths estimated as
`CHAR_WIDTH_EM` per character (digits 0.64 em, the minus sign 0.84 em): the histograms for
`MIN_WIDTH` (one of two compare-mode columns on a 1280x720 projector), the full-width figures for
`LINE_MIN_WIDTH`. Subplot titles are short enough not to overlap; the room for them, for tick
labels and for axis titles is set in pixels; a figure's title is one line and a long network label
wraps in its subtitle; the legend sits above the subplot titles, outside the plot.

References:
  cs231n lecture 6, "Training neural networks I" (per-layer activation histograms).
"""

from __future__ import annotations

import math
import textwrap
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from optviz.style import (
    CHAR_WIDTH_EM,
    Bar,
    Figure,
    Scatter,
    Style,
    axis_refs,
    color,
    log_axis,
    margins,
    styled_layout,
    subplot_layout,
)
from optviz.layers.results import ActivationCurve, LayersData, LayerStats

LOG_FLOOR = 1e-12
"""Values <= 0 are drawn at this height on log axes (their hover text says so)."""

HISTOGRAM_COLUMNS = 5
"""Most panels per row of the histogram grid (the lecture shows 10 layers as 2 rows of 5)."""

MIN_WIDTH = 550
"""Narrowest width (px) the histograms are laid out for: a compare-mode column at 1280x720."""

ROW_COLUMNS = 10
"""Panels per row of one network's histograms on the projector: the whole depth in one row, the
figure short enough to end on the first screen of a 1280x720 (or 1024x768) projector."""

ROW_MIN_WIDTH = 860
"""Narrowest width (px) that one row is laid out for: presenter mode's full width at 1024 px."""

LINE_MIN_WIDTH = 800
"""Narrowest width (px) the full-width figures (stats, saturation, activation) are laid out for."""

PRESENTER_ROW_HEIGHT = 400
"""Height (px) of a row of panels (stats, saturation) in presenter mode, legend included: on a
1280x720 projector the figure starts about 300 px down, under the top bar, the lesson box and the
tabs, so its x axis and layer numbers end on the first screen."""

LEGEND_WIDTH = 1000
"""Width (px) at which the line figures' top margin holds their legend without Plotly widening it."""

LINE_HEIGHT_EM = 1.25
"""Height of one line of multi-line text, in em."""

GRID_X_TITLE = "x title"
"""`name` of the histogram grid's x title (an annotation centred under the grid, as make_subplots' x_title)."""

KIND_COLOR = "#555555"
"""Colour of the legend's curve-kind entries (solid dL/dz, dashed dL/dW, dotted ratio): no network's colour."""

RATIO_NAME = "dL/dW \u00f7 W"
"""Legend name of the gradient/weight ratio std(dL/dW) / std(W) (dotted, open markers with a dot)."""

UPDATE_RULE = 1e-3
"""The rule of thumb's update/weight ratio, drawn on the gradient panel (at learning rate 1 the
ratio std(dL/dW) / std(W) is the update's size relative to the weights)."""

RULE_NAME = "update/weight 1e-3 (lr 1)"
"""Legend name of the rule of thumb's reference band."""

RULE_COLOR = "rgba(0, 0, 0, 0.13)"
"""The reference band: a wide, pale line no curve is drawn like."""

_SYMBOLS = ("circle", "diamond", "square", "triangle-up", "x")


def _wrap(text: str, size: float, width: float = MIN_WIDTH - 30) -> str:
    """`text` broken with "<br>" into lines that fit `width` px at font `size`."""
    chars = max(12, int(width / (CHAR_WIDTH_EM * size)))
    return "<br>".join(textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False) or [text])


def _tick_px(value: float, size: float) -> float:
    """Estimated width of a tick label ("−1", "0.5") in px: digits 0.64 em, the minus sign 0.84 em."""
    return sum(0.84 if c == "-" else 0.32 if c == "." else 0.64 for c in f"{value:g}") * size


def _network_look(index: int, count: int, style: Style) -> dict:
    """Line and marker of the index-th of `count` networks (A = 0, B = 1), in its palette colour.

    With two or more, each later network is narrower and drawn on top, with a smaller marker of
    another symbol: where A and B coincide, A shows as an outline around B.
    """
    if count == 1:
        width, size = style.line_width, style.marker_size
    else:
        width = style.line_width * max(0.6, 1.7 - 0.9 * index)
        size = style.marker_size * max(0.8, 1.5 - 0.6 * index)  # A 1.5x, B 0.9x
    return dict(line=dict(color=color(index), width=round(width, 2)),
                marker=dict(color=color(index), size=round(size, 1), symbol=_SYMBOLS[index % len(_SYMBOLS)]),
                open_width=_open_marker_width(style))


def _kind_entry(name: str, style: Style, *, hollow: bool, dotted: bool = False) -> go.Scatter:
    """A legend entry for a curve kind (no data), in a neutral colour: solid line and filled
    markers, (`hollow`) dashed line and open markers, or (`dotted`) dotted line and open markers with a dot."""
    dash = "dot" if dotted else "dash" if hollow else "solid"
    symbol = "circle-open-dot" if dotted else "circle-open" if hollow else "circle"
    return Scatter(x=[None], y=[None], mode="lines+markers", name=name, legendgroup="kind " + name, showlegend=True,
                   line=dict(color=KIND_COLOR, width=style.line_width, dash=dash),
                   marker=dict(color=KIND_COLOR, size=style.marker_size, symbol=symbol,
                               line=dict(color=KIND_COLOR, width=_open_marker_width(style) if hollow or dotted else 0)),
                   hoverinfo="skip")


def _open_marker_width(style: Style) -> float:
    return round(max(1.5, 0.5 * style.line_width), 2)


def _check_series(stats_list: Sequence[LayerStats], labels: Sequence[str]) -> None:
    if len(stats_list) == 0:
        raise ValueError("no configuration to draw: pass at least one LayerStats")
    if len(stats_list) != len(labels):
        raise ValueError(f"{len(stats_list)} statistics but {len(labels)} labels: pass one label per configuration")


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "overflow (inf/NaN)"
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e4:
        return f"{value:.2e}"
    return f"{value:.3g}"


def _log_values(values: np.ndarray) -> tuple[list[float | None], list[str]]:
    """(y for a log axis, hover note per point): zeros floored, non-finite left out."""
    ys: list[float | None] = []
    notes: list[str] = []
    for value in np.asarray(values, dtype=float):
        if not math.isfinite(value):
            ys.append(None)
            notes.append("overflow: not drawn")
        elif value <= 0:
            ys.append(LOG_FLOOR)
            notes.append(f"{_fmt(value)}: drawn at the floor {LOG_FLOOR:g} of the log axis")
        else:
            ys.append(float(value))
            notes.append(_fmt(value))
    return ys, notes


def _linear_values(values: np.ndarray) -> tuple[list[float | None], list[str]]:
    ys = [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=float)]
    return ys, [_fmt(float(v)) for v in np.asarray(values, dtype=float)]


def _line(x, ys, notes, name, what, look, *, hollow=False, dotted=False, showlegend=True, group=None):
    """A network's curve: its colour, width and marker symbol (`look`); `hollow`: dashed with open
    markers; `dotted`: dotted with open markers that have a dot."""
    marker = dict(look["marker"])
    if hollow or dotted:
        marker.update(symbol=marker["symbol"] + ("-open-dot" if dotted else "-open"),
                      line=dict(color=marker["color"], width=look["open_width"]))
    return Scatter(
        x=list(x),
        y=ys,
        mode="lines+markers",
        name=name,
        legendgroup=group or name,
        showlegend=showlegend,
        line=dict(look["line"], dash="dot" if dotted else "dash" if hollow else "solid"),
        marker=marker,
        customdata=[[note] for note in notes],
        hovertemplate=f"<b>{name}</b><br>layer %{{x}}<br>{what}: %{{customdata[0]}}<extra></extra>",
        connectgaps=False,
    )


def _layer_ticks(depth: int, panel_px: float, font: float) -> list[int]:
    """Layer numbers to label on an x axis `panel_px` wide: every step-th (1, 2, 5, ...) layer whose
    labels do not touch at `font` size; from step 5 on, layer 1 too."""
    label_px = len(str(depth)) * 0.64 * font + 12
    per_layer = panel_px / max(depth, 1)
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        ticks = sorted({*range(step, depth + 1, step), *([1] if step >= 5 else [])}) or [1]
        if all((b - a) * per_layer >= label_px for a, b in zip(ticks, ticks[1:])):
            return ticks
    return [1, depth]


def _legend_rows(names: Sequence[str], font: float, width: float, item_px: float) -> int:
    """Rows a horizontal legend of `names` takes `width` px wide (Plotly fills each row in turn)."""
    rows, used = 1, 0.0
    for name in names:
        item = len(name) * CHAR_WIDTH_EM * font + item_px + 10
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def _row_of_panels(titles: Sequence[str], depth: int, presenter: bool, y_label_em: float,
                   legend_names: Sequence[str]) -> tuple[dict, dict]:
    """(layout, what must win over the look) of a row of panels over the layers, with a legend on top.

    Laid out for `LINE_MIN_WIDTH`: the gap between panels holds the next panel's y tick labels
    (`y_label_em` wide) and y title; the layer ticks are as many as fit; the subplot titles sit
    above the highest y tick label; the horizontal legend (`legend_names`) sits above the titles,
    and the top margin holds it as it wraps at `LEGEND_WIDTH` (so Plotly need not widen it and draw twice).
    """
    style = Style.for_mode(presenter)
    font = style.font_size
    margin = margins(presenter, left=90)
    plot_px = LINE_MIN_WIDTH - margin["l"] - margin["r"]
    gap_px = y_label_em * font + 8 + LINE_HEIGHT_EM * font + 10 + 8
    spacing = round(gap_px / plot_px, 3)
    columns = len(titles)
    layout = subplot_layout(1, columns, titles, horizontal_spacing=spacing)
    panel_px = plot_px * (1 - (columns - 1) * spacing) / columns
    lift = round(0.6 * font + 2)  # half a tick label: a label at the top of the axis stays below the title
    for annotation in layout["annotations"]:  # the subplot titles
        annotation.update(font={**annotation.get("font", {}), "size": font}, yshift=lift)
    ticks = _layer_ticks(depth, panel_px, font)
    for col in range(1, columns + 1):
        x_ref, _ = axis_refs(1, col, columns)
        layout["xaxis" + x_ref[1:]].update(title=dict(text="layer"), range=[0.5, depth + 0.5], tickmode="array",
                                           tickvals=ticks)
    title_px = LINE_HEIGHT_EM * font + lift
    item_px = 40 if presenter else 30
    rows = _legend_rows(legend_names, style.legend_size, LEGEND_WIDTH - margin["l"], item_px)
    legend_px = rows * 1.3 * style.legend_size + 26  # Plotly's row height and the legend's padding and border
    # On the projector the whole figure, legend rows included, fits under a lesson box and the tabs
    # of a 1280x720 screen (PRESENTER_ROW_HEIGHT); on a laptop each extra legend row adds height.
    height = PRESENTER_ROW_HEIGHT if presenter else 440 + round((rows - 1) * 1.3 * style.legend_size)
    # Paper-referenced, outside the plot: a legend that wraps to more rows than the margin holds
    # grows the top margin (Plotly's automargin) and shrinks the plot, so the gap over the
    # titles keeps 30% to spare.
    above = 1.3 * (title_px + 10)
    margin["t"] = math.ceil(above + legend_px + 4)
    plot_h = height - margin["t"] - margin["b"]
    legend = dict(orientation="h", x=0.0, xanchor="left", yanchor="bottom", y=round(1 + above / plot_h, 4),
                  itemwidth=item_px, tracegroupgap=0)
    return layout, dict(legend=legend, margin=margin, height=height, hovermode="x")


def _ratio_values(stats: LayerStats) -> tuple[list[float | None], list[str]]:
    """(y, hover note) of std(dL/dW) / std(W) per layer: where std(W) = 0 there is no ratio (not drawn)."""
    ratio = np.asarray(stats.grad_weight_ratio, dtype=float)
    weight_std = np.asarray(stats.weight_std, dtype=float)
    ys, notes = _log_values(ratio)
    for i, value in enumerate(ratio):
        if not math.isfinite(value) and weight_std[i] == 0:
            notes[i] = "std(W) = 0 (zero or constant init, or a zeroed last layer): no ratio, not drawn"
        elif math.isfinite(value) and value > 0:
            notes[i] = f"{_fmt(value)}: a learning rate near {UPDATE_RULE / value:.1g} gives updates of {UPDATE_RULE:g} of W"
    return ys, notes


def _rule_band(depth: int, style: Style) -> go.Scatter:
    """The rule of thumb's update/weight ratio 1e-3, a wide pale band across the gradient panel."""
    return Scatter(x=[0.5, depth + 0.5], y=[UPDATE_RULE, UPDATE_RULE], mode="lines", name=RULE_NAME,
                   legendgroup="rule", showlegend=True, line=dict(color=RULE_COLOR, width=round(4 * style.line_width, 1)),
                   hovertemplate=(f"rule of thumb: learning rate x std(dL/dW) / std(W) ~ {UPDATE_RULE:g}<br>"
                                  f"(at learning rate 1, the ratio itself)<extra></extra>"))


def stats_figure(stats_list: Sequence[LayerStats], labels: Sequence[str], presenter: bool = False) -> go.Figure:
    """Per-layer activation mean, activation std (log) and gradients (log), one colour per configuration.

    Panels: mean of h_l; std of h_l (log axis: collapse to 1e-7 is visible); std of the
    backpropagated signal B dL/dz_l (solid, filled markers), of dL/dW_l (dashed, open markers) and
    the ratio std(dL/dW_l) / std(W_l) (dotted, open markers with a dot), log axis, over a pale band
    at the rule of thumb's update/weight ratio 1e-3 (an SGD step at learning rate eta changes W by
    eta times the ratio; cs231n). The legend has one entry per configuration (colour and marker
    symbol), one per gradient kind (line style and marker fill, in grey) and one for the band.

    Args:
      stats_list: one LayerStats per configuration (e.g. two inits to compare).
      labels: legend label of each configuration.
      presenter: projector sizes.

    Returns:
      A go.Figure with 5 traces per configuration, then the three curve-kind legend entries, then the band.
    """
    _check_series(stats_list, labels)
    style = Style.for_mode(presenter)
    depth = max(stats.depth for stats in stats_list)
    # Log-axis labels are up to 3.45 em wide: Plotly draws "10⁻¹²" at 1.25 times the tick font.
    layout, after = _row_of_panels(("activation mean", "activation std", "gradient std"), depth, presenter, 3.6,
                                   [*labels, "dL/dz", "dL/dW", RATIO_NAME, RULE_NAME])
    traces = []
    std_drawn, grad_drawn = [], [UPDATE_RULE]
    for index, (stats, label) in enumerate(zip(stats_list, labels)):
        look = _network_look(index, len(stats_list), style)
        layers = stats.layers
        std, grad, weight_grad = _log_values(stats.std), _log_values(stats.grad_std), _log_values(stats.weight_grad_std)
        ratio = _ratio_values(stats)
        std_drawn += std[0]
        grad_drawn += grad[0] + weight_grad[0] + ratio[0]
        panels = [
            (1, _linear_values(stats.mean), dict(name=label, what="mean of h")),
            (2, std, dict(name=label, what="std of h", showlegend=False)),
            (3, grad, dict(name=label, what="std of dL/dz (per example)", showlegend=False)),
            (3, weight_grad, dict(name=f"{label}: dL/dW", what="std of dL/dW", hollow=True, showlegend=False, group=label)),
            (3, ratio, dict(name=f"{label}: {RATIO_NAME}", what="std(dL/dW) / std(W)", dotted=True, showlegend=False,
                            group=label)),
        ]
        for col, (ys, notes), options in panels:
            trace = _line(layers, ys, notes, look=look, **options)
            trace.xaxis, trace.yaxis = axis_refs(1, col, 3)
            traces.append(trace)
    traces += [_kind_entry("dL/dz", style, hollow=False), _kind_entry("dL/dW", style, hollow=True),
               _kind_entry(RATIO_NAME, style, hollow=False, dotted=True)]
    band = _rule_band(depth, style)
    band.xaxis, band.yaxis = axis_refs(1, 3, 3)
    traces.append(band)  # pale enough to lie over the curves; last in the legend too
    # Minimum spans, so that sampling noise on a flat curve (e.g. with batch norm) is not zoomed
    # into a jagged line: the mean axis spans at least 0.2, the std axis at least one decade.
    means = np.concatenate([s.mean[np.isfinite(s.mean)] for s in stats_list] or [np.zeros(1)])
    centre = float((means.max() + means.min()) / 2) if means.size else 0.0
    half = max(0.1, float(means.max() - means.min()) / 2 * 1.1) if means.size else 0.1
    # Zeros are drawn at LOG_FLOOR: the range must reach them (a collapsed network B beside a flat A).
    stds = np.asarray([v for v in std_drawn if v is not None], dtype=float)
    std_range = {}
    if stds.size:
        lo, hi = np.log10(stds.min()), np.log10(stds.max())
        if hi - lo < 1:
            mid = (hi + lo) / 2
            std_range = {"range": [mid - 0.5, mid + 0.5]}
    # Labelled decades as many as the plot's height holds at the tick font (no overprinted labels).
    sized = dict(length_px=after["height"] - after["margin"]["t"] - after["margin"]["b"], font_size=style.font_size)
    y_axes = [
        dict(title=dict(text="mean of h"), range=[centre - half, centre + half]),
        log_axis([v for v in std_drawn if v is not None], title=dict(text="std of h (log)"), **sized, **std_range),
        log_axis([v for v in grad_drawn if v is not None], title=dict(text="std, ratio"), **sized)  # short: rotated, it fits the presenter plot's height,
    ]
    for col, y_axis in enumerate(y_axes, start=1):
        _, y_ref = axis_refs(1, col, 3)  # "y2" -> layout key "yaxis2"
        layout["yaxis" + y_ref[1:]].update(y_axis)
    layout = styled_layout(layout, presenter, after=after)
    # One dict, one constructor: every update_* call costs Plotly a walk over the figure.
    return Figure(data=traces, layout=layout)


def _short(value: float) -> str:
    """At most 7 characters, two significant digits: "0.63", "0.0094", "9.4e-5", "1.2e15", "∞"."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "\u221e" if value > 0 else "-\u221e"
    if value == 0:
        return "0"
    text = f"{value:.2g}" if 1e-3 <= abs(value) < 100 else f"{value:.1e}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return text


def _drawn_percent(stats: LayerStats) -> np.ndarray:
    """(depth, bins) percentages the bars show: for ReLU the entries exactly 0 are taken out of their bin."""
    percent = 100.0 * np.asarray(stats.histogram, dtype=float)
    if stats.can_die:
        edges = np.asarray(stats.histogram_edges, dtype=float)
        zero_bin = int(np.clip(np.searchsorted(edges, 0.0, side="right") - 1, 0, percent.shape[1] - 1))
        percent = percent.copy()
        percent[:, zero_bin] = np.maximum(percent[:, zero_bin] - 100.0 * np.asarray(stats.zero, dtype=float), 0.0)
    return percent


def _panel_notes(stats: LayerStats, i: int) -> list[str]:
    """What layer i's panel says in red (at most 8 characters a line): exact zeros, entries out of range, NaN."""
    edges = np.asarray(stats.histogram_edges, dtype=float)
    notes = []
    if stats.can_die and stats.zero[i] > 0.005:
        notes.append(f"{100 * stats.zero[i]:.0f}% = 0")
    if stats.below_range[i] > 0.005:
        notes.append(f"{100 * stats.below_range[i]:.0f}% < {edges[0]:g}")
    if stats.above_range[i] > 0.005:
        notes.append(f"{100 * stats.above_range[i]:.0f}% > {edges[-1]:g}")
    if stats.nan_fraction[i] > 0:  # one NaN entry already means the layer overflowed: say so
        share = 100 * stats.nan_fraction[i]
        notes.append(f"{share:.0f}% NaN" if share >= 1 else "<1% NaN")
    return notes


def _histogram_grid(depth: int, most: int = HISTOGRAM_COLUMNS) -> tuple[int, int]:
    """(rows, columns): at most `most` a row, rows filled evenly (7 layers: 4 + 3)."""
    rows = math.ceil(depth / most)
    return rows, math.ceil(depth / rows)


class _HistogramSizes:
    """Pixel sizes of the histogram grid in one mode (see `histograms_figure`)."""

    def __init__(self, presenter: bool, width: float = MIN_WIDTH):
        style = Style.for_mode(presenter)
        self.width = width
        # two-line subplot titles: "layer 10" / "σ 0.0094"; a row of ten narrow panels: as wide as one
        self.title_font = (14 if width > MIN_WIDTH else 16) if presenter else 13
        self.note_font = 14 if presenter else 12  # "50% = 0" fits the narrowest panel
        self.title_px = 2 * LINE_HEIGHT_EM * self.title_font
        self.gap_px = self.title_px + 10  # between rows: the lower row's titles (upper rows show no x labels)
        self.panel_px = 200 if presenter else 165
        self.margin = {**margins(presenter, left=60, right=16)}  # right: half the last x tick label
        self.tick_font = style.font_size
        # Between columns: room for a panel's last x tick label and the next panel's first ("1" and "−1");
        # in one row of narrow panels a wider gap, or "1 −1" reads as one label.
        plot = width - self.margin["l"] - self.margin["r"]
        gap = 4 if width <= MIN_WIDTH else 14
        self.spacing = round(((_tick_px(1, self.tick_font) + _tick_px(-1, self.tick_font)) / 2 + gap) / plot, 3)
        self.figure_title_size = style.title_size
        self.subtitle_size = style.font_size

    def panel_width(self, columns: int) -> float:
        plot = self.width - self.margin["l"] - self.margin["r"]
        return plot * (1 - (columns - 1) * self.spacing) / columns


def _histogram_ticks(low: float, high: float, panel_px: float, gap_px: float, font: float) -> list[float]:
    """x tick values for panels `panel_px` wide, `gap_px` apart: the multiples of the smallest step
    whose labels ("−1", "0.5") touch neither each other nor the next panel's first label."""
    span = high - low
    for step in (0.25, 0.5, 1, 2, 4, 5, 10, 20, 50, 100):
        ticks = [k * step for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]
        if len(ticks) < 2:
            continue
        widths = [_tick_px(t, font) for t in ticks]
        inside = all((b - a) / span * panel_px >= (wa + wb) / 2 + 6
                     for a, b, wa, wb in zip(ticks, ticks[1:], widths, widths[1:]))
        # The last label of a panel beside the first of the next one (panels share the x axis).
        across = (high - ticks[-1] + ticks[0] - low) / span * panel_px + gap_px >= (widths[-1] + widths[0]) / 2 + 4
        if inside and across:
            return ticks
    return [low, high]


def histogram_y_top(stats_list: Sequence[LayerStats], presenter: bool = False) -> float:
    """Top of the % axis shared by the histograms of every network in `stats_list` (A and B):
    the highest bar of any, plus room above it for the panels' notes."""
    sizes = _HistogramSizes(presenter)
    top = max((float(_drawn_percent(s).max()) if s.depth else 0.0) for s in stats_list)
    lines = max((len(_panel_notes(s, i)) for s in stats_list for i in range(s.depth)), default=0)
    room = min(0.5, (lines * LINE_HEIGHT_EM * sizes.note_font + 8) / sizes.panel_px) if lines else 0.0
    return (1.05 * top if top > 0 else 1.0) / (1 - room)


def histograms_figure(stats: LayerStats, presenter: bool = False, title: str | None = None, *, subtitle: str | None = None,
                      index: int = 0, label: str | None = None, y_top: float | None = None,
                      one_row: bool = False) -> go.Figure:
    """One histogram of the activations per layer, shared axes, fixed bins (as in the lecture).

    Bars are the percentage of (input, unit) entries in each bin of the activation's fixed
    range (`Activation.histogram_range`); what falls outside the range is written in the
    panel ("3% > 4"). For ReLU the entries exactly 0 (half of them in a healthy layer) are
    not drawn as a bar, which would flatten everything else; the panel says how many there are.
    Each panel's title is its layer and std ("layer 3" / "σ 0.63"); the hover adds the mean.

    Args:
      stats: LayerStats of one configuration.
      presenter: projector sizes.
      title: optional figure title (one short line, e.g. "Activations per layer").
      subtitle: optional line under it, wrapped to fit the width (e.g. the network's label).
      index: the configuration's palette colour (network B: 1).
      label: the configuration's name in the hover text.
      y_top: top of the % axis; pass `histogram_y_top([A, B])` to both networks' figures so
        that their shapes compare (default: this network's own).
      one_row: up to ROW_COLUMNS panels a row, laid out for ROW_MIN_WIDTH (one network at full
        width on the projector); else HISTOGRAM_COLUMNS a row for MIN_WIDTH (a compare column).

    Returns:
      A go.Figure with one bar trace per layer.
    """
    style = Style.for_mode(presenter)
    sizes = _HistogramSizes(presenter, ROW_MIN_WIDTH if one_row else MIN_WIDTH)
    depth = stats.depth
    rows, columns = _histogram_grid(depth, ROW_COLUMNS if one_row else HISTOGRAM_COLUMNS)
    edges = np.asarray(stats.histogram_edges, dtype=float)
    centres = (edges[:-1] + edges[1:]) / 2
    bin_width = float(edges[1] - edges[0])
    percent = _drawn_percent(stats)
    titles = [f"layer {i + 1}<br>\u03c3 {_short(float(stats.std[i]))}" for i in range(depth)]
    grid_px = rows * sizes.panel_px + (rows - 1) * sizes.gap_px
    layout = subplot_layout(rows, columns, titles, shared_xaxes="all", shared_yaxes="all",
                            horizontal_spacing=sizes.spacing,
                            vertical_spacing=round(sizes.gap_px / grid_px, 4) if rows > 1 else 0.0)
    bars, notes_layout = [], []
    who = f"{label}<br>" if label else ""
    for i in range(depth):
        zero_note = f" (+ {100 * stats.zero[i]:.1f}% exactly 0, not drawn)" if stats.can_die else ""
        x_ref, y_ref = axis_refs(i // columns + 1, i % columns + 1, columns)
        bars.append(
            Bar(
                x=centres.tolist(),
                y=percent[i].tolist(),
                width=bin_width,
                name=f"layer {i + 1}",
                showlegend=False,
                marker=dict(color=color(index), line=dict(width=0)),
                customdata=np.stack([edges[:-1], edges[1:]], axis=1).tolist(),
                hovertemplate=(
                    f"{who}layer {i + 1}{' (block output h + s F(h))' if stats.block_output[i] else ''}: "
                    f"mean {_fmt(float(stats.mean[i]))}, std {_fmt(float(stats.std[i]))}<br>"
                    f"h in [%{{customdata[0]:.3g}}, %{{customdata[1]:.3g}}): "
                    f"%{{y:.2f}}% of entries{zero_note}<extra></extra>"
                ),
                xaxis=x_ref,
                yaxis=y_ref,
            )
        )
        notes = _panel_notes(stats, i)
        if notes:
            notes_layout.append(
                dict(
                    text="<br>".join(notes),
                    xref=f"{x_ref} domain",
                    yref=f"{y_ref} domain",
                    x=1.0,
                    y=1.0,
                    xanchor="right",
                    yanchor="top",
                    align="right",
                    showarrow=False,
                    bgcolor="rgba(255,255,255,0.8)",
                    font=dict(size=sizes.note_font, color="#D00000"),
                )
            )
    # The layout is filled in as one dict (like stats_figure): plotly's update_* calls walk the
    # whole figure, 20 axes and 20 annotations, once per call (benchmarks/bench_netstats.py times the builds).
    for annotation in layout.get("annotations", []):  # the subplot titles
        annotation["font"] = {**annotation.get("font", {}), "size": sizes.title_font}
    # One x title for the grid, centred under it below the tick labels (as make_subplots' x_title).
    grid_title = f"activation h ({stats.activation_label})"
    if np.any(stats.block_output):  # residual blocks: every second layer shows the block's sum
        grid_title = f"h ({stats.activation_label}; layers 2, 4, ...: h + F(h))"
    x_title = dict(name=GRID_X_TITLE, text=grid_title, xref="paper", yref="paper",
                   x=0.5, y=0.0, xanchor="center", yanchor="top", showarrow=False, font=dict(size=style.font_size),
                   yshift=-round(8 + 1.3 * sizes.tick_font + 10))
    layout["annotations"] = layout.get("annotations", []) + notes_layout + [x_title]
    top = y_top if y_top is not None else histogram_y_top([stats], presenter)
    x_range, y_range = [float(edges[0]), float(edges[-1])], [0.0, float(top)]
    plot_px = sizes.width - sizes.margin["l"] - sizes.margin["r"]
    ticks = _histogram_ticks(x_range[0], x_range[1], sizes.panel_width(columns), sizes.spacing * plot_px, sizes.tick_font)
    for cell in range(rows * columns):
        row, col = cell // columns + 1, cell % columns + 1
        x_ref, y_ref = axis_refs(row, col, columns)
        x_axis, y_axis = layout["xaxis" + x_ref[1:]], layout["yaxis" + y_ref[1:]]
        if cell >= depth:  # an empty cell of the last row
            x_axis["visible"] = y_axis["visible"] = False
            continue
        x_axis.update(range=list(x_range), tickmode="array", tickvals=ticks)
        y_axis["range"] = list(y_range)
        if cell + columns >= depth:  # the last panel of its column shows the x tick labels
            x_axis["showticklabels"] = True
        if col == 1:
            y_axis["title"] = {**y_axis.get("title", {}), "text": "% of entries"}
    margin = dict(sizes.margin)
    after: dict = {}
    title_block = 0.0
    if title or subtitle:
        # One title line at the top (Plotly misplaces a multi-line title), the subtitle's lines under it.
        after["title"] = dict(text=title or "", yref="container", y=1.0, yanchor="top", pad=dict(t=8))
        title_block = 8 + 1.3 * sizes.figure_title_size + 6
        if subtitle:
            text = _wrap(subtitle, sizes.subtitle_size, sizes.width - 30)
            after["title"]["subtitle"] = dict(text=text, font=dict(size=sizes.subtitle_size, color="#333333"))
            title_block += 8 + (text.count("<br>") + 1) * 1.3 * sizes.subtitle_size
    margin["t"] = round(title_block + sizes.title_px + 6)
    layout.update(bargap=0, height=round(margin["t"] + margin["b"] + grid_px), hovermode="closest")
    after["margin"] = margin
    return Figure(data=bars, layout=styled_layout(layout, presenter, title, after=after))


def saturation_figure(stats_list: Sequence[LayerStats], labels: Sequence[str], presenter: bool = False) -> go.Figure:
    """Saturated and dead fractions and the sign agreement of the weight gradients per layer, one colour
    per configuration.

    Saturated: tanh |h| > 0.97, sigmoid h < 0.03 or h > 0.97 (fraction of entries); dead:
    ReLU units that are 0 on every input (fraction of units). Activations for which a
    notion does not apply, and the outputs of residual blocks (sums, not activations), are drawn
    at 0 and say so in their hover text. Same-sign dL/dW: the sign agreement of each unit's weight
    gradients, mean_j |sum_i sign(dL/dW[i, j])| / #non-zero, in % (100: every weight into a unit
    moves the same way, as with all-positive inputs; ~4 for independent signs over 500 inputs).

    Args:
      stats_list: one LayerStats per configuration.
      labels: legend label of each configuration.
      presenter: projector sizes.

    Returns:
      A go.Figure with 3 traces per configuration.
    """
    _check_series(stats_list, labels)
    style = Style.for_mode(presenter)
    depth = max(stats.depth for stats in stats_list)
    layout, after = _row_of_panels(("saturated activations", "dead units", "same-sign dL/dW"), depth, presenter, 2.9,
                                   labels)  # "100%"
    traces = []
    for index, (stats, label) in enumerate(zip(stats_list, labels)):
        look = _network_look(index, len(stats_list), style)
        rule = stats.saturation_rule
        blocks = np.asarray(stats.block_output, dtype=bool)
        saturated = 100.0 * np.asarray(stats.saturated, dtype=float)
        notes = ["n/a: a residual block's output h + s F(h) is a sum, not an activation" if block
                 else f"{v:.1f}% of entries ({rule})" if rule else f"n/a: {stats.activation_label} does not saturate"
                 for v, block in zip(saturated, blocks)]
        trace = _line(stats.layers, saturated.tolist(), notes, label, "saturated", look)
        trace.xaxis, trace.yaxis = axis_refs(1, 1, 3)
        traces.append(trace)
        dead = 100.0 * np.asarray(stats.dead, dtype=float)
        notes = [
            "n/a: a residual block's output h + s F(h) is a sum, not an activation" if block
            else f"{v:.1f}% of units are 0 on every input" if stats.can_die else f"n/a: {stats.activation_label} units cannot die"
            for v, block in zip(dead, blocks)
        ]
        trace = _line(stats.layers, dead.tolist(), notes, label, "dead", look, showlegend=False)
        trace.xaxis, trace.yaxis = axis_refs(1, 2, 3)
        traces.append(trace)
        agreement = 100.0 * np.asarray(stats.sign_agreement, dtype=float)
        ys, _ = _linear_values(agreement)
        notes = [f"{v:.0f}%: the weights into a unit move {'together (one sign)' if v > 50 else 'in mixed directions'}"
                 if math.isfinite(v) else "overflow (inf/NaN)" for v in agreement]
        trace = _line(stats.layers, ys, notes, label, "sign agreement of dL/dW", look, showlegend=False)
        trace.xaxis, trace.yaxis = axis_refs(1, 3, 3)
        traces.append(trace)
    titles = ["% of entries", "% of units", "% agreeing"]  # short: rotated, they fit the presenter plot's height
    for col, y_title in enumerate(titles, start=1):
        _, y_ref = axis_refs(1, col, 3)
        layout["yaxis" + y_ref[1:]].update(range=[-3, 103], ticksuffix="%", title=dict(text=y_title))
    layout = styled_layout(layout, presenter, after=after)
    return Figure(data=traces, layout=layout)  # one dict, one constructor (see stats_figure)


def activation_figure(curve: ActivationCurve, presenter: bool = False, *, network: str | None = None) -> go.Figure:
    """The activation f(z) and its derivative f'(z), saturated regions shaded.

    f is drawn in network A's colour; f' is dashed, thinner and in a neutral grey (the colours of
    this page name networks), on top, so that it shows where it meets f (ReLU for z < 0).

    Args:
      curve: the sampled function (optviz.layers.compute.activation_curve).
      presenter: projector sizes.
      network: whose activation it is, said in the title in compare mode: "A" or "A and B".

    Returns:
      A go.Figure with two traces, f (solid) and f' (dashed).
    """
    style = Style.for_mode(presenter)
    z, values, slopes = curve.z, curve.values, curve.slopes
    traces = [
        Scatter(x=z.tolist(), y=values.tolist(), mode="lines", name=f"f(z) = {curve.label}",
                line=dict(color=color(0), width=style.line_width),
                hovertemplate="z = %{x:.2f}<br>f(z) = %{y:.3f}<extra></extra>"),
        Scatter(x=z.tolist(), y=slopes.tolist(), mode="lines", name="f'(z) (local gradient)",
                line=dict(color=KIND_COLOR, width=round(0.7 * style.line_width, 2), dash="dash"),
                hovertemplate="z = %{x:.2f}<br>f'(z) = %{y:.3f}<extra></extra>"),
    ]
    layout: dict = dict(xaxis=dict(title=dict(text="pre-activation z"), range=[math.floor(z[0]), math.ceil(z[-1])], zeroline=True),
                        yaxis=dict(title=dict(text="f(z), f'(z)"), zeroline=True))
    if curve.saturated:
        # What fig.add_vrect makes: a rectangle over the whole plot height, behind the traces.
        layout["shapes"] = [dict(type="rect", x0=x0, x1=x1, xref="x", y0=0, y1=1, yref="y domain", fillcolor="#999999",
                                 opacity=0.15, line=dict(width=0), layer="below")
                            for x0, x1 in curve.saturated]
        layout["annotations"] = [dict(text=f"shaded: saturated ({curve.rule})", xref="paper",
                                      yref="paper", x=0.01, y=0.99, xanchor="left", yanchor="top", showarrow=False,
                                      bgcolor="rgba(255,255,255,0.8)", font=dict(size=max(10, style.font_size - 2)))]
    title = f"{curve.label}: f(z) and f'(z)"
    if network:
        title += f" \u2014 network{'s' if ' and ' in network else ''} {network}"
    # Title on the first line, legend (one row) under it, on top of the plot.
    title_px = LINE_HEIGHT_EM * style.title_size
    legend_px = 1.3 * style.legend_size + 26
    layout = styled_layout(layout, presenter, title,
                           after=dict(title=dict(yref="container", y=1.0, yanchor="top", pad=dict(t=8)),
                                      legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom",
                                                  itemwidth=40 if presenter else 30),
                                      height=520 if presenter else 440,
                                      margin={**margins(presenter, left=80), "t": round(8 + title_px + legend_px + 10)}))
    return Figure(data=traces, layout=layout)  # one dict, one constructor (see stats_figure)


FIGURES: dict[str, str] = {
    "stats": "Per-layer activation mean and std, and gradient std (main figure)",
    "histograms": "Per-layer activation histograms of network A",
    "histograms_b": "Per-layer activation histograms of network B (compare mode)",
    "saturation": "Saturated and dead fractions and the sign agreement of dL/dW per layer",
    "activation": "The activation function and its derivative",
}


def has_figure(name: str, scene) -> bool:
    """Whether `scene` draws figure `name`: B's histograms only when comparing."""
    return name != "histograms_b" or scene.b is not None


def build_figure(name: str, scene, data: LayersData, *, presenter: bool = False) -> go.Figure:
    """The named figure of the initialization page (see FIGURES) for `scene` and its computed `data`."""
    stats, labels = list(data.stats), list(data.labels)
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; choose one of: {', '.join(FIGURES)}")
    if not has_figure(name, scene):
        raise ValueError("figure 'histograms_b' needs a second network (compare mode)")
    if name == "stats":
        return stats_figure(stats, labels, presenter=presenter)
    if name in ("histograms", "histograms_b"):
        which = 0 if name == "histograms" else 1
        # One % axis for A and B, so that their shapes compare side by side. One network alone on
        # the projector: every layer in one row, on the first screen (A | B: two rows a column).
        return histograms_figure(stats[which], presenter=presenter, title="Activations per layer", subtitle=labels[which],
                                 index=which, label=labels[which], y_top=histogram_y_top(stats, presenter),
                                 one_row=presenter and scene.b is None)
    if name == "saturation":
        return saturation_figure(stats, labels, presenter=presenter)
    same = scene.b is not None and scene.b.activation_label == scene.a.activation_label
    network = None if scene.b is None else ("A and B" if same else "A")
    return activation_figure(data.curve, presenter=presenter, network=network)
