"""Figures of the "Initialization & activations" page: per-layer statistics of a deep MLP.

Pure builders: (LayerStats, options) -> go.Figure, no streamlit, no JAX, no computation beyond
arranging what `optviz.layers.network` returned (the activation curve comes sampled, as an
ActivationCurve). Several configurations can be drawn side by side, one palette colour each.

Log axes cannot show 0: values <= 0 are drawn at `LOG_FLOOR` and their hover text says so;
non-finite values (an overflowing network) are left out and the hover of the last finite
point says where the overflow starts.

References:
  cs231n lecture 6, "Training neural networks I" (per-layer activation histograms).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from optviz.style import Bar, Figure, Scatter, Style, axis_refs, color, margins, styled_layout, subplot_layout
from optviz.layers.results import ActivationCurve, LayersData, LayerStats

LOG_FLOOR = 1e-12
"""Values <= 0 are drawn at this height on log axes (their hover text says so)."""

HISTOGRAM_COLUMNS = 5
"""Panels per row of the histogram grid (the lecture shows 10 layers as 2 rows of 5)."""


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


def _brief(value: float) -> str:
    """Two significant digits ("0.63", "0.00094", "3e-07"), for panel titles."""
    return f"{value:.2g}" if math.isfinite(value) else "overflow"


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


def _line(x, ys, notes, name, what, index, style, *, dash="solid", showlegend=True, group=None):
    return Scatter(
        x=list(x),
        y=ys,
        mode="lines+markers",
        name=name,
        legendgroup=group or name,
        showlegend=showlegend,
        line=dict(color=color(index), width=style.line_width, dash=dash),
        marker=dict(color=color(index), size=style.marker_size),
        customdata=[[note] for note in notes],
        hovertemplate=f"<b>{name}</b><br>layer %{{x}}<br>{what}: %{{customdata[0]}}<extra></extra>",
        connectgaps=False,
    )


def stats_figure(stats_list: Sequence[LayerStats], labels: Sequence[str], presenter: bool = False) -> go.Figure:
    """Per-layer activation mean, activation std (log) and gradient std (log), one colour per configuration.

    Panels: mean of h_l; std of h_l (log axis: collapse to 1e-7 is visible); std of the
    backpropagated signal B dL/dz_l (solid) and of dL/dW_l (dashed), log axis.

    Args:
      stats_list: one LayerStats per configuration (e.g. two inits to compare).
      labels: legend label of each configuration.
      presenter: projector sizes.

    Returns:
      A go.Figure with 4 traces per configuration.
    """
    _check_series(stats_list, labels)
    style = Style.for_mode(presenter)
    layout = subplot_layout(1, 3, ("activation mean", "activation std", "gradient std: dL/dz solid, dL/dW dashed"),
                            horizontal_spacing=0.1)
    traces = []
    for index, (stats, label) in enumerate(zip(stats_list, labels)):
        layers = stats.layers
        panels = [
            (1, _linear_values(stats.mean), dict(name=label, what="mean of h")),
            (2, _log_values(stats.std), dict(name=label, what="std of h", showlegend=False)),
            (3, _log_values(stats.grad_std), dict(name=label, what="std of dL/dz (per example)", showlegend=False)),
            (3, _log_values(stats.weight_grad_std),
             dict(name=f"{label}: dL/dW", what="std of dL/dW", dash="dash", showlegend=False, group=label)),
        ]
        for col, (ys, notes), options in panels:
            trace = _line(layers, ys, notes, index=index, style=style, **options)
            trace.xaxis, trace.yaxis = axis_refs(1, col, 3)
            traces.append(trace)
    depth = max(stats.depth for stats in stats_list)
    # Minimum spans, so that sampling noise on a flat curve (e.g. with batch norm) is not zoomed
    # into a jagged line: the mean axis spans at least 0.2, the std axis at least one decade.
    means = np.concatenate([s.mean[np.isfinite(s.mean)] for s in stats_list] or [np.zeros(1)])
    centre = float((means.max() + means.min()) / 2) if means.size else 0.0
    half = max(0.1, float(means.max() - means.min()) / 2 * 1.1) if means.size else 0.1
    # Zeros are drawn at LOG_FLOOR: the range must reach them (a collapsed network B beside a flat A).
    stds = np.concatenate([np.maximum(s.std[np.isfinite(s.std)], LOG_FLOOR) for s in stats_list] or [np.ones(1)])
    std_range = None
    if stds.size:
        lo, hi = np.log10(stds.min()), np.log10(stds.max())
        if hi - lo < 1:
            mid = (hi + lo) / 2
            std_range = [mid - 0.5, mid + 0.5]
    x_axis = dict(title=dict(text="layer"), **(dict(tickmode="linear", dtick=1) if depth <= 20 else dict(tickmode="auto")))
    y_axes = [
        dict(title=dict(text="mean of h"), range=[centre - half, centre + half]),
        dict(title=dict(text="std of h (log)"), type="log", exponentformat="power", **({"range": std_range} if std_range else {})),
        dict(title=dict(text="gradient std (log)"), type="log", exponentformat="power"),
    ]
    for col, y_axis in enumerate(y_axes, start=1):
        x_ref, y_ref = axis_refs(1, col, 3)  # "x2" -> layout key "xaxis2"
        layout["xaxis" + x_ref[1:]].update(x_axis)
        layout["yaxis" + y_ref[1:]].update(y_axis)
    for annotation in layout["annotations"]:  # the subplot titles
        annotation["font"] = {**annotation.get("font", {}), "size": style.font_size}
    # Log-axis labels ("10⁻⁵") and the first panel's title need ~86 px (120 presenter).
    layout = styled_layout(layout, presenter, after=dict(legend=dict(orientation="h", yanchor="bottom", y=1.12, x=0.0),
                                                         margin={**margins(presenter, left=90), "t": 90}))
    # One dict, one constructor: every update_* call costs Plotly a walk over the figure.
    return Figure(data=traces, layout=layout)


def histograms_figure(stats: LayerStats, presenter: bool = False, title: str | None = None) -> go.Figure:
    """One histogram of the activations per layer, shared axes, fixed bins (as in the lecture).

    Bars are the percentage of (input, unit) entries in each bin of the activation's fixed
    range (`Activation.histogram_range`); what falls outside the range is written in the
    panel ("3% > 4"). For ReLU the entries exactly 0 (half of them in a healthy layer) are
    not drawn as a bar, which would flatten everything else; the panel says how many there are.

    Args:
      stats: LayerStats of one configuration.
      presenter: projector sizes.
      title: optional figure title.

    Returns:
      A go.Figure with one bar trace per layer.
    """
    style = Style.for_mode(presenter)
    depth = stats.depth
    columns = min(HISTOGRAM_COLUMNS, depth)
    rows = math.ceil(depth / columns)
    edges = np.asarray(stats.histogram_edges, dtype=float)
    centres = (edges[:-1] + edges[1:]) / 2
    bin_width = float(edges[1] - edges[0])
    percent = 100.0 * np.asarray(stats.histogram, dtype=float)
    zero_apart = stats.can_die
    zero_bin = int(np.clip(np.searchsorted(edges, 0.0, side="right") - 1, 0, len(centres) - 1))
    if zero_apart:
        percent = percent.copy()
        percent[:, zero_bin] = np.maximum(percent[:, zero_bin] - 100.0 * np.asarray(stats.zero, dtype=float), 0.0)
    compact = presenter or depth > 10
    titles = [
        (f"L{i + 1}: \u03bc {_brief(float(stats.mean[i]))}, \u03c3 {_brief(float(stats.std[i]))}" if compact
         else f"layer {i + 1}: mean {_brief(float(stats.mean[i]))}, std {_brief(float(stats.std[i]))}")
        for i in range(depth)
    ]
    layout = subplot_layout(rows, columns, titles, shared_xaxes="all", shared_yaxes="all", horizontal_spacing=0.03,
                            vertical_spacing=min(0.12, 0.5 / rows))
    note_size = max(10, style.font_size - 3)
    bars, notes_layout = [], []
    for i in range(depth):
        zero_note = f" (+ {100 * stats.zero[i]:.1f}% exactly 0, not drawn)" if zero_apart else ""
        x_ref, y_ref = axis_refs(i // columns + 1, i % columns + 1, columns)
        bars.append(
            Bar(
                x=centres.tolist(),
                y=percent[i].tolist(),
                width=bin_width,
                name=f"layer {i + 1}",
                showlegend=False,
                marker=dict(color=color(0), line=dict(width=0)),
                customdata=np.stack([edges[:-1], edges[1:]], axis=1).tolist(),
                hovertemplate=(
                    f"layer {i + 1}<br>h in [%{{customdata[0]:.3g}}, %{{customdata[1]:.3g}}): "
                    f"%{{y:.2f}}% of entries{zero_note}<extra></extra>"
                ),
                xaxis=x_ref,
                yaxis=y_ref,
            )
        )
        notes = []
        if zero_apart and stats.zero[i] > 0.005:
            notes.append(f"{100 * stats.zero[i]:.0f}% = 0")
        if stats.below_range[i] > 0.005:
            notes.append(f"{100 * stats.below_range[i]:.0f}% < {edges[0]:g}")
        if stats.above_range[i] > 0.005:
            notes.append(f"{100 * stats.above_range[i]:.0f}% > {edges[-1]:g}")
        if stats.nan_fraction[i] > 0:  # one NaN entry already means the layer overflowed: say so
            share = 100 * stats.nan_fraction[i]
            notes.append(f"{share:.0f}% NaN (overflow)" if share >= 1 else "<1% NaN (overflow)")
        if notes:
            notes_layout.append(
                dict(
                    text="<br>".join(notes),
                    xref=f"{x_ref} domain",
                    yref=f"{y_ref} domain",
                    x=0.98,
                    y=0.95,
                    xanchor="right",
                    yanchor="top",
                    align="right",
                    showarrow=False,
                    font=dict(size=note_size, color="#D00000"),
                )
            )
    # The layout is filled in as one dict (like stats_figure): plotly's update_* calls walk the
    # whole figure, 20 axes and 20 annotations, once per call (benchmarks/bench_netstats.py times the builds).
    for annotation in layout.get("annotations", []):  # the subplot titles
        annotation["font"] = {**annotation.get("font", {}), "size": note_size}
    layout["annotations"] = layout.get("annotations", []) + notes_layout
    top = float(percent.max()) if percent.size else 0.0
    x_range, y_range = [float(edges[0]), float(edges[-1])], [0.0, 1.05 * top if top > 0 else 1.0]
    for index in range(rows * columns):
        row, col = index // columns + 1, index % columns + 1
        x_ref, y_ref = axis_refs(row, col, columns)
        x_axis, y_axis = layout["xaxis" + x_ref[1:]], layout["yaxis" + y_ref[1:]]
        x_axis["range"], y_axis["range"] = list(x_range), list(y_range)
        if row == (depth - col) // columns + 1:  # x title under the last panel of each column
            x_axis["title"] = {**x_axis.get("title", {}), "text": f"activation h ({stats.activation_label})"}
        if col == 1:
            y_axis["title"] = {**y_axis.get("title", {}), "text": "% of entries"}
    layout.update(bargap=0, height=max(300, (300 if presenter else 230) * rows + 80))
    return Figure(data=bars, layout=styled_layout(layout, presenter, title))


def saturation_figure(stats_list: Sequence[LayerStats], labels: Sequence[str], presenter: bool = False) -> go.Figure:
    """Saturated and dead fractions per layer, one colour per configuration.

    Saturated: tanh |h| > 0.97, sigmoid h < 0.03 or h > 0.97 (fraction of entries); dead:
    ReLU units that are 0 on every input (fraction of units). Activations for which a
    notion does not apply are drawn at 0 and say so in their hover text.

    Args:
      stats_list: one LayerStats per configuration.
      labels: legend label of each configuration.
      presenter: projector sizes.

    Returns:
      A go.Figure with 2 traces per configuration.
    """
    _check_series(stats_list, labels)
    style = Style.for_mode(presenter)
    layout = subplot_layout(1, 2, ("saturated activations", "dead units"), horizontal_spacing=0.1)
    traces = []
    for index, (stats, label) in enumerate(zip(stats_list, labels)):
        rule = stats.saturation_rule
        saturated = 100.0 * np.asarray(stats.saturated, dtype=float)
        notes = [f"{v:.1f}% of entries ({rule})" if rule else f"n/a: {stats.activation_label} does not saturate" for v in saturated]
        trace = _line(stats.layers, saturated.tolist(), notes, label, "saturated", index, style)
        trace.xaxis, trace.yaxis = axis_refs(1, 1, 2)
        traces.append(trace)
        dead = 100.0 * np.asarray(stats.dead, dtype=float)
        notes = [
            f"{v:.1f}% of units are 0 on every input" if stats.can_die else f"n/a: {stats.activation_label} units cannot die"
            for v in dead
        ]
        trace = _line(stats.layers, dead.tolist(), notes, label, "dead", index, style, showlegend=False)
        trace.xaxis, trace.yaxis = axis_refs(1, 2, 2)
        traces.append(trace)
    depth = max(stats.depth for stats in stats_list)
    for col, y_title in enumerate(["saturated (% of inputs x units)", "dead (% of units)"], start=1):
        x_ref, y_ref = axis_refs(1, col, 2)
        layout["xaxis" + x_ref[1:]].update(title=dict(text="layer"), **(dict(tickmode="linear", dtick=1) if depth <= 20
                                                                          else dict(tickmode="auto")))
        layout["yaxis" + y_ref[1:]].update(range=[-3, 103], ticksuffix="%", title=dict(text=y_title))
    for annotation in layout["annotations"]:  # the subplot titles
        annotation["font"] = {**annotation.get("font", {}), "size": style.font_size}
    layout = styled_layout(layout, presenter, after=dict(legend=dict(orientation="h", yanchor="bottom", y=1.12, x=0.0),
                                                         margin=dict(t=90)))
    return Figure(data=traces, layout=layout)  # one dict, one constructor (see stats_figure)


def activation_figure(curve: ActivationCurve, presenter: bool = False) -> go.Figure:
    """The activation f(z) and its derivative f'(z), saturated regions shaded.

    Args:
      curve: the sampled function (optviz.layers.compute.activation_curve).
      presenter: projector sizes.

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
                line=dict(color=color(1), width=style.line_width, dash="dash"),
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
                                      font=dict(size=max(10, style.font_size - 2)))]
    layout = styled_layout(layout, presenter, f"{curve.label}: f(z) and f'(z)",
                           after=dict(legend=dict(orientation="h", x=1.0, xanchor="right", y=1.02, yanchor="bottom"),
                                      margin=dict(t=110 if presenter else 80)))
    return Figure(data=traces, layout=layout)  # one dict, one constructor (see stats_figure)


FIGURES: dict[str, str] = {
    "stats": "Per-layer activation mean and std, and gradient std (main figure)",
    "histograms": "Per-layer activation histograms of network A",
    "histograms_b": "Per-layer activation histograms of network B (compare mode)",
    "saturation": "Saturated and dead fractions per layer",
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
        return histograms_figure(stats[which], presenter=presenter, title=f"Activations per layer — {labels[which]}")
    if name == "saturation":
        return saturation_figure(stats, labels, presenter=presenter)
    return activation_figure(data.curve, presenter=presenter)
