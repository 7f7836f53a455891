"""Figures of the training lab: loss and accuracy curves, the decision boundary over training,
per-layer statistics over training, weight histograms, and for data sets that are not 2-D (the
8x8 digits) the confusion matrix and the misclassified validation images.

Pure builders: TrainingData (NumPy result types, `optviz.training.results`) -> go.Figure; no
streamlit, no JAX, no computation beyond arranging what the runner returned. Each run has one
colour on every figure (`RunInfo.color`: its optimizer's own, or palette colours 0 and 1 for A
and B when comparing). Line styles mean one thing only: training set solid, validation set
dashed. Several seeds are drawn as their mean (over the seeds still running) with a band from
the lowest to the highest seed.

Early stopping: a ★ and a dotted vertical line mark the lowest point of each run's drawn
validation-loss curve (seed 0's, or the seeds' mean), "restored" when the run keeps that network.
An ensemble (its seeds are the members) adds its own curves as thicker lines of the run's colour
beside the members' mean and band; its boundary is the members' mean probability, each member's
own boundary at the last snapshot a thin line.

Divergence is a result: a run's curves stop at its last finite evaluation and a ✗ marks where
it diverged (on the loss panel, at the step, at the last finite loss; the loss axis reaches at
most LOSS_CAP x the initial loss, so a blow-up to 1e30 leaves the top and its ✗ sits on the edge).

Animated figures (the boundary and the weights) animate only data traces (a heatmap's z, bar
heights) with a full redraw per frame, over axes that stay put; the slider under them picks a
snapshot. plotly.js hides contour traces while frames play; a heatmap stays drawn
(tests/test_training_browser.py plays one in Chromium and measures it), and lines over it are
scatter traces (`isoline`).

Which figures a scene has (`has_figure`): the boundary for data in the plane, the confusion matrix
and misclassified images for the others, B's figures when comparing.

References:
  cs231n lecture 7, "Training neural networks II" (loss curves, train/val accuracy, the
  update/weight ratio ~1e-3); TensorFlow Playground (the decision boundary over the data).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from optviz import palette
from optviz.style import CHAR_WIDTH_EM, DIVERGED_COLOR, Figure, Scatter, Style, axis_refs, log_axis, margins, styled_layout, subplot_layout
from optviz.training.results import RunInfo, TrainingData, TrainResult

LINE_HEIGHT_EM = 1.25

MIN_WIDTH = 800
"""Narrowest width (px) the full-width figures are laid out for (the gaps between panels hold labels at it)."""

PRESENTER_MIN_WIDTH = 1100
"""Narrowest width (px) of a full-width figure's title and legend in presenter mode: the main column
of a 1280 px projector, where the controls are in a popover and there is no sidebar (1104 px)."""

LEGEND_WIDTH = 1000
"""Width (px) at which the top margin holds the legend without Plotly widening it."""

KIND_COLOR = "#555555"
"""Colour of the legend's line-kind entries (solid training set, dashed validation set)."""

CLASS_COLORS = ("#0072B2", "#E69F00")
"""The classes' colours on the boundary figure: Okabe & Ito blue and orange (TensorFlow Playground's pair)."""

RATIO_RULE = 1e-3
"""cs231n's rule of thumb for the update/weight ratio ||delta W|| / ||W|| per step."""

HEIGHTS = {  # (screen, presenter) px: the main figure fits the first screen of a 1280x720 projector
    "curves": (290, 300),  # the plot area's height (the legend and titles above, the x axis below)
    "boundary": (340, 380),  # the plot area's height
    # In half a page (A and B side by side). On the projector the plane's aspect makes the plot
    # width-bound near 270 px at 1280; at 235 it and its x labels end on the first screen under a
    # lesson box, the tabs and the caption, with 15 px to spare for another machine's fonts.
    "boundary_compare": (250, 235),
    "layer_stats_row": (200, 230),  # each row of panels
    "weights_row": (230, 270),
    # The matrix's height (square), in half a page. On the projector its ten rows and their labels end
    # on a 1280x720 first screen under a lesson box, the tabs and the caption (cells of 24 px).
    "confusion": (330, 240),
    "misclassified_image": (84, 96),  # each image's height, in half a page (6 a row)
    "message": (200, 260),  # a figure with nothing to draw but a line of text
}


# -- shared helpers --------------------------------------------------------------------------------


def _finite(values: Sequence[float]) -> list[float | None]:
    return [float(v) if v is not None and math.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def _positive(values: Sequence[float]) -> list[float | None]:
    """Values for a log axis: non-positive and non-finite ones left out (None)."""
    return [float(v) if math.isfinite(v) and v > 0 else None for v in np.asarray(values, dtype=float)]


def seed_summary(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, lowest, highest, count) over the seeds (axis 0) of (S, E) values, finite entries only
    (a diverged seed stops counting); NaN where no seed is finite."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    safe = np.where(finite, values, 0.0)
    mean = np.where(count > 0, safe.sum(axis=0) / np.maximum(count, 1), np.nan)
    low = np.where(count > 0, np.where(finite, values, np.inf).min(axis=0), np.nan)
    high = np.where(count > 0, np.where(finite, values, -np.inf).max(axis=0), np.nan)
    return mean, low, high, count


def _text_px(text: str, size: float) -> float:
    return len(text) * CHAR_WIDTH_EM * size


def _legend_rows(names: Sequence[str], font: float, width: float, item_px: float) -> int:
    """Rows a horizontal legend of `names` takes `width` px wide (Plotly fills each row in turn)."""
    rows, used = 1, 0.0
    for name in names:
        item = _text_px(name, font) + item_px + 10
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def _top_legend(names: Sequence[str], presenter: bool, plot_h: float) -> tuple[dict, int]:
    """(legend, top margin): a horizontal legend above the subplot titles of a plot area `plot_h` px
    tall, the top margin sized to hold both as the legend wraps at LEGEND_WIDTH, so Plotly need not
    widen it (a second layout pass is a whole redraw)."""
    style = Style.for_mode(presenter)
    font = style.font_size
    item_px = 40 if presenter else 30
    legend_font = style.legend_size  # the legend's own font (a step smaller in presenter mode)
    rows = _legend_rows(names, legend_font, LEGEND_WIDTH - 2 * 80, item_px)
    legend_px = rows * 1.3 * legend_font + 26  # Plotly's row height and the legend's padding and border
    title_px = LINE_HEIGHT_EM * font + round(0.6 * font + 2)
    above = 1.3 * (title_px + 10)
    # Plotly lays a horizontal legend's groups along rows (a group's entries stacked in a column):
    # every entry is a group of its own, so the entries flow as counted above.
    legend = dict(orientation="h", x=0.0, xanchor="left", yanchor="bottom", y=round(1 + above / plot_h, 4),
                  itemwidth=item_px, tracegroupgap=0)
    # 10 px to spare: a legend row's height follows the fonts a machine has for its glyphs (CI's
    # Chromium needed 3 px more than this machine's for the same legend).
    return legend, math.ceil(above + legend_px + 10)


def _kind_entry(name: str, style: Style, *, dash: str) -> Any:
    """A legend entry for a line kind (no data), in a neutral grey."""
    return Scatter(x=[None], y=[None], mode="lines", name=name, legendgroup="kind " + name, showlegend=True,
                   line=dict(color=KIND_COLOR, width=style.line_width, dash=dash), hoverinfo="skip")


def _band(x: np.ndarray, low: np.ndarray, high: np.ndarray, colour: str, group: str, xref: str, yref: str,
          log: bool) -> Any | None:
    """The spread of the seeds as one filled polygon (None where nothing is finite)."""
    keep = np.isfinite(low) & np.isfinite(high)
    if log:
        keep &= (low > 0) & (high > 0)
    if keep.sum() < 2:
        return None
    xs, lo, hi = x[keep], low[keep], high[keep]
    return Scatter(x=np.concatenate([xs, xs[::-1]]).tolist(), y=np.concatenate([hi, lo[::-1]]).tolist(),
                   mode="lines", fill="toself", fillcolor=_rgba(colour, 0.16), line=dict(width=0), hoverinfo="skip",
                   showlegend=False, legendgroup=group, xaxis=xref, yaxis=yref)


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = palette.rgb(hex_color)
    return f"rgba({r},{g},{b},{alpha})"


def _spacing(gap_px: float, width: float, left: float, right: float) -> float:
    """A subplot spacing (fraction of the plot width) of `gap_px` px at figure width `width`."""
    return round(gap_px / (width - left - right), 3)


def _finite_span(results: Sequence[TrainResult]) -> int:
    """The longest run's step count (the shared step axis ends there)."""
    return max(int(r.config.steps) for r in results)


# -- the main figure: loss and accuracy ------------------------------------------------------------


def divergence_note(result: TrainResult) -> str | None:
    """"diverged at step 130", "3 of 4 seeds diverged (first at step 130)", or None."""
    stops = [int(s) for s in result.diverged_at if s >= 0]
    if not stops:
        return None
    if len(result.seeds) == 1:
        return f"diverged at step {stops[0]}"
    return f"{len(stops)} of {len(result.seeds)} seeds diverged (first at step {min(stops)})"


def curves_figure(data: TrainingData, presenter: bool = False, loss_axis: str = "log") -> go.Figure:
    """Train (solid) and validation (dashed) loss and accuracy against the step, one colour per run,
    with the learning rate of the schedule in a small panel under each (sharing the step axis).

    Losses are plain cross-entropy on true labels (no penalty, no dropout), so runs compare; with
    several seeds, each curve is the mean of the seeds still running with a band from the lowest to
    the highest. A diverged run's curves stop at its last finite evaluation, a ✗ marks the step.
    A ★ and dotted lines mark each run's best validation step (`best_validation`); an ensemble's
    own curves are thicker lines beside its members' (thinner) mean and band.

    Args:
      data: the runs (TrainingData).
      presenter: projector sizes.
      loss_axis: "log" or "linear".

    Returns:
      A go.Figure: 2 x 2 panels (loss, accuracy; learning rate under each).
    """
    style = Style.for_mode(presenter)
    font = style.font_size
    runs = data.pairs()
    compare = len(runs) > 1
    multi = any(len(r.seeds) > 1 for _, r in runs)
    bests = {info.key: best_validation(result) for info, result in runs}
    names = []  # in the legend's order: each run's group (its line, ensemble, best step), then the line kinds
    for info, result in runs:
        names.append(info.label)
        names += [_ensemble_name(info, result, compare)] if result.is_ensemble else []
        names += [_best_name(info, result, bests[info.key], compare)] if bests[info.key] else []
    names += ["train", "validation"]
    if multi:
        what = "members" if all(r.is_ensemble for _, r in runs if len(r.seeds) > 1) else "seeds"
        names.append(f"range of {max(len(r.seeds) for _, r in runs)} {what}")
    margin = margins(presenter, left=92, right=30)
    # Between the columns: the accuracy panel's tick labels ("100%", 2.9 em) and its axis title.
    gap = 2.9 * font + 8 + LINE_HEIGHT_EM * font + 10 + 8
    layout = subplot_layout(2, 2, ("loss (cross-entropy)", "accuracy"), shared_xaxes=True, row_heights=(0.74, 0.26),
                            vertical_spacing=0.07 if presenter else 0.06,
                            horizontal_spacing=_spacing(gap, MIN_WIDTH, margin["l"], margin["r"]))
    lift = round(0.6 * font + 2)
    for annotation in layout["annotations"]:
        annotation.update(font={**annotation.get("font", {}), "size": font}, yshift=lift)
    plot_h = HEIGHTS["curves"][presenter]
    legend, margin["t"] = _top_legend(names, presenter, plot_h)
    traces: list = []
    loss_drawn, rate_drawn, accuracy_drawn = [], [], []
    log = loss_axis == "log"
    for info, result in runs:
        steps = np.asarray(result.steps, dtype=float)
        group = "run " + info.key
        first = True
        for (values, col, dash, what) in ((result.train_loss, 1, "solid", "train loss"),
                                          (result.val_loss, 1, "dash", "validation loss"),
                                          (100 * result.train_accuracy, 2, "solid", "train accuracy"),
                                          (100 * result.val_accuracy, 2, "dash", "validation accuracy")):
            mean, low, high, count = seed_summary(values)
            xref, yref = axis_refs(1, col, 2)
            if len(result.seeds) > 1:
                band = _band(steps, low, high, info.color, group, xref, yref, log and col == 1)
                if band is not None:
                    traces.append(band)
            ys = (_positive(mean) if log else _finite(mean)) if col == 1 else _finite(mean)
            (loss_drawn if col == 1 else accuracy_drawn).extend(v for v in ys if v is not None)
            if col == 1 and len(result.seeds) > 1:
                loss_drawn.extend(v for v in (_positive(low) if log else _finite(low)) if v is not None)
                loss_drawn.extend(v for v in (_positive(high) if log else _finite(high)) if v is not None)
            unit = "%" if col == 2 else ""
            members = "members" if result.is_ensemble else "seeds"
            seeds_note = [f" (mean of {int(c)} {members})" if len(result.seeds) > 1 else "" for c in count]
            # An ensemble's members' mean is drawn thinner: the ensemble's own line is the thick one.
            width = max(1.5, 0.6 * style.line_width) if result.is_ensemble else style.line_width
            traces.append(Scatter(
                x=steps.tolist(), y=ys, mode="lines", name=info.label, legendgroup=group, showlegend=first,
                line=dict(color=info.color, width=width, dash=dash), xaxis=xref, yaxis=yref,
                customdata=[[note] for note in seeds_note],
                hovertemplate=f"<b>{info.label}</b><br>step %{{x}}<br>{what}: %{{y:.4g}}{unit}%{{customdata[0]}}<extra></extra>",
                connectgaps=False))
            first = False
        rates = np.asarray(result.learning_rate, dtype=float)
        rate_drawn.extend(v for v in _positive(rates) if v is not None)
        for col in (1, 2):
            xref, yref = axis_refs(2, col, 2)
            traces.append(Scatter(x=steps.tolist(), y=_finite(rates), mode="lines", name=f"{info.label}: η", showlegend=False,
                                  legendgroup=group, line=dict(color=info.color, width=max(1.5, 0.7 * style.line_width)),
                                  xaxis=xref, yaxis=yref,
                                  hovertemplate=f"<b>{info.label}</b><br>step %{{x}}<br>learning rate η_t = %{{y:.4g}}<extra></extra>"))
        if result.is_ensemble:
            ensemble = _ensemble_traces(info, result, style, log, compare)
            traces += ensemble
            loss_drawn.extend(v for t in ensemble if t.yaxis == "y" for v in t.y if v is not None)
            accuracy_drawn.extend(v for t in ensemble if t.yaxis == "y2" for v in t.y if v is not None)
        traces += _divergence_markers(info, result, style, log, loss_cap(data))
    traces += [_kind_entry("train", style, dash="solid"), _kind_entry("validation", style, dash="dash")]
    for info, result in runs:  # after the curves: drawn on top of them
        best = bests[info.key]
        if best is not None:
            marker, lines = _best_marker(info, result, best, style, compare)
            traces.append(marker)
            layout.setdefault("shapes", []).extend(lines)
    if multi:
        traces.append(Scatter(x=[None], y=[None], mode="lines", fill="toself", fillcolor=_rgba(KIND_COLOR, 0.25),
                              line=dict(width=0), name=names[-1], legendgroup="kind band", hoverinfo="skip"))
    total = _finite_span([r for _, r in runs])
    x_range = [0, total]
    for col in (1, 2):
        for row in (1, 2):
            x_ref, _ = axis_refs(row, col, 2)
            layout["xaxis" + x_ref[1:]].update(range=x_range)
        layout["xaxis" + axis_refs(2, col, 2)[0][1:]].update(title=dict(text="step"))
    cap = loss_cap(data)
    shown_losses = [v for v in loss_drawn if v <= cap] + ([cap] if any(v > cap for v in loss_drawn) else [])
    shown_losses = shown_losses or [1.0]
    if log:
        low, high = math.log10(min(shown_losses)), math.log10(max(shown_losses))
        pad = 0.04 * max(high - low, 0.5)
        loss_axis_spec = log_axis(shown_losses, title=dict(text="loss (log)"), range=[low - pad, high + pad])
    else:
        loss_axis_spec = dict(title=dict(text="loss"), range=[0, 1.05 * max(shown_losses)])
    low_accuracy = min(accuracy_drawn) if accuracy_drawn else 50.0
    bottom = max(0.0, math.floor((low_accuracy - 5) / 10) * 10)
    rates_spec = _rate_axis(rate_drawn)
    layout["yaxis"].update(loss_axis_spec)
    layout["yaxis2"].update(title=dict(text="accuracy"), range=[bottom, 101], ticksuffix="%")
    layout["yaxis3"].update(rates_spec, title=dict(text="η"))
    layout["yaxis4"].update(rates_spec, title=dict(text="η"))
    after = dict(legend=legend, margin=margin, height=margin["t"] + plot_h + margin["b"], hovermode="closest")
    return Figure(data=traces, layout=styled_layout(layout, presenter, after=after))


def best_validation(result: TrainResult) -> tuple[int, float] | None:
    """(step, loss) of the lowest point of the validation-loss curve the loss panel draws (seed 0's
    curve, or the mean over the seeds still running when there are several); None if it has no
    finite point."""
    mean = seed_summary(result.val_loss)[0]
    finite = np.flatnonzero(np.isfinite(mean) & (mean > 0))
    if not finite.size:
        return None
    index = int(finite[np.argmin(mean[finite])])  # the first of equal lows
    return int(result.steps[index]), float(mean[index])


def _best_name(info: RunInfo, result: TrainResult, best: tuple[int, float], compare: bool) -> str:
    """The legend entry of a run's best validation step: "best val loss 0.23 at step 640, restored"."""
    step, loss = best
    prefix = f"{info.key.upper()}: " if compare else ""
    mean = "mean " if len(result.seeds) > 1 else ""
    restored = ", restored" if result.config.restore_best else ""
    return f"{prefix}best {mean}val loss {loss:.2g} at step {step}{restored}"


def _best_marker(info: RunInfo, result: TrainResult, best: tuple[int, float], style: Style,
                 compare: bool) -> tuple[Any, list[dict]]:
    """(a ★ at a run's best validation step on the loss panel, thin dotted vertical lines at that
    step across all four panels, in the run's colour)."""
    step, loss = best
    seeds = len(result.seeds)
    curve = f"the mean of {seeds} {'members' if result.is_ensemble else 'seeds'}" if seeds > 1 else \
        f"seed {int(result.seeds[0])}"
    if not result.config.restore_best:
        kept = "the network kept is the last one (Restore best would keep this one)"
    elif seeds == 1:
        kept = "restored: the network kept is the one of this step"
    else:
        own = sorted({int(s) for s in (result.best_step if result.best_step is not None else ()) if s >= 0})
        kept = "restored: each seed keeps its network of its own lowest validation loss" + \
            (f" (steps {', '.join(map(str, own))})" if own else "")
    hover = (f"<b>{info.label}</b><br>best validation loss {loss:.4g} at step {step}<br>"
             f"(lowest point of {curve})<br>{kept}<extra></extra>")
    # Its own legend group (one legend entry per group keeps the legend's rows flowing, _top_legend):
    # a click on the entry hides the marker and its lines.
    marker = Scatter(x=[step], y=[loss], mode="markers", name=_best_name(info, result, best, compare),
                     legendgroup="best " + info.key, showlegend=True, xaxis="x", yaxis="y", cliponaxis=False,
                     marker=dict(symbol="star", size=round(2 * style.marker_size), color=info.color,
                                 line=dict(color="#222222", width=1.5 if style.font_size < 20 else 2)),
                     hovertemplate=hover)
    lines = []
    for row in (1, 2):
        for col in (1, 2):
            xref, yref = axis_refs(row, col, 2)
            lines.append(dict(type="line", xref=xref, yref=f"{yref} domain", x0=step, x1=step, y0=0, y1=1,
                              layer="below", legendgroup="best " + info.key,
                              line=dict(color=info.color, width=max(1.5, 0.4 * style.line_width), dash="dot")))
    return marker, lines


def _ensemble_name(info: RunInfo, result: TrainResult, compare: bool) -> str:
    return (f"{info.key.upper()}: " if compare else "") + f"ensemble of {len(result.seeds)}"


def _ensemble_traces(info: RunInfo, result: TrainResult, style: Style, log: bool, compare: bool) -> list:
    """The ensemble's train (solid) and validation (dashed) loss and accuracy: thick lines in the run's
    colour (the ensemble predicts the mean of its members' probabilities), a legend group of their own
    (a click hides the ensemble and leaves its members, or the reverse)."""
    name = _ensemble_name(info, result, compare)
    steps = np.asarray(result.steps, dtype=float).tolist()
    out = []
    for values, col, dash, what in ((result.ensemble_train_loss, 1, "solid", "train loss"),
                                    (result.ensemble_val_loss, 1, "dash", "validation loss"),
                                    (100 * np.asarray(result.ensemble_train_accuracy, dtype=float), 2, "solid",
                                     "train accuracy"),
                                    (100 * np.asarray(result.ensemble_val_accuracy, dtype=float), 2, "dash",
                                     "validation accuracy")):
        xref, yref = axis_refs(1, col, 2)
        ys = _positive(values) if (log and col == 1) else _finite(values)
        unit = "%" if col == 2 else ""
        out.append(Scatter(x=steps, y=ys, mode="lines", name=name, legendgroup="ensemble " + info.key, showlegend=not out,
                           line=dict(color=info.color, width=1.5 * style.line_width, dash=dash), xaxis=xref, yaxis=yref,
                           connectgaps=False,
                           hovertemplate=f"<b>{info.label}: {name}</b><br>step %{{x}}<br>{what}: %{{y:.4g}}{unit}"
                                         f"<br>(the mean of the members' probabilities)<extra></extra>"))
    return out


LOSS_CAP = 10.0
"""The loss axis reaches at most this many times the largest loss at step 0: a diverging run's last
finite losses (1e30) would flatten every other curve; its line leaves the top and its ✗ sits on the edge."""


def loss_cap(data: TrainingData) -> float:
    """The top of the loss axis: LOSS_CAP x the largest finite loss at step 0 (inf when there is none)."""
    initial = [float(v) for _, r in data.pairs() for v in (*r.train_loss[:, 0], *r.val_loss[:, 0]) if math.isfinite(v)]
    return LOSS_CAP * max(initial) if initial and max(initial) > 0 else math.inf


RATE_LABELS = 3  # labels the learning-rate panel holds (it is about a fifth of the curves' height)


def _rate_axis(rates: Sequence[float]) -> dict:
    """The learning-rate panel's axis: log when η_t spans more than a factor 3, else linear from 0."""
    values = np.asarray([v for v in rates if v > 0], dtype=float)
    if values.size and values.max() / values.min() > 3:
        axis = log_axis(values)
        decades = math.log10(values.max() / values.min())
        if decades >= 2:  # a short panel: two or three labelled powers of ten, no minor ticks
            axis.update(dtick=max(1, math.ceil(decades / 2)), minor=dict(ticks=""))
        else:  # Plotly's 2-and-5 labels (0.5, 0.2, 0.1, 0.05, 0.02) touch in the short panel: the levels η takes
            levels = np.unique(values)
            ticks = levels if len(levels) <= RATE_LABELS else np.array([values.min(), values.max()])
            axis.update(tickmode="array", tickvals=ticks.tolist(), ticktext=[f"{v:.2g}" for v in ticks], minor=dict(ticks=""))
        return axis
    top = float(values.max()) if values.size else 1.0
    return dict(range=[0, 1.25 * top], nticks=3, tickformat=".2~g", rangemode="tozero")


def _divergence_markers(info: RunInfo, result: TrainResult, style: Style, log: bool, cap: float = math.inf) -> list:
    """A ✗ per diverged seed on the loss panel: at its divergence step, at its last finite train loss
    (on the top edge when that is above the axis, `cap`)."""
    xs, ys, texts = [], [], []
    for index in range(len(result.seeds)):
        stop = result.diverged(index)
        if stop is None:
            continue
        n = result.finite_evaluations(index)
        value = float(result.train_loss[index, n - 1]) if n else float("nan")
        if not math.isfinite(value) or (log and value <= 0):
            continue
        xs.append(stop)
        ys.append(min(value, cap))
        texts.append(f"seed {int(result.seeds[index])} diverged at step {stop} (last loss {value:.3g})")
    if not xs:
        return []
    note = divergence_note(result)
    labels = [f"✗ {note}"] + [""] * (len(xs) - 1)
    return [Scatter(x=xs, y=ys, mode="markers+text", name=f"{info.label}: diverged", showlegend=False,
                    legendgroup="run " + info.key, text=labels, textposition="middle right", cliponaxis=False,
                    textfont=dict(color=DIVERGED_COLOR, size=style.font_size),
                    marker=dict(symbol="x-thin", size=2 * style.marker_size, color=DIVERGED_COLOR,
                                line=dict(color=DIVERGED_COLOR, width=max(2, 0.8 * style.line_width))),
                    customdata=[[t] for t in texts],
                    hovertemplate=f"<b>{info.label}</b><br>%{{customdata[0]}}<extra></extra>")]


# -- the decision boundary -------------------------------------------------------------------------


def class_colorscale() -> list[list[Any]]:
    """P(class 1) from 0 to 1: class 0's colour, lightened, through white to class 1's (the heatmap
    stays light, so the points on it keep their contrast)."""
    light = [palette.mix(c, "#FFFFFF", 0.5) for c in CLASS_COLORS]
    return [[0.0, light[0]], [0.5, "#FFFFFF"], [1.0, light[1]]]


def boundary_values(result: TrainResult, snapshot: int, seed: int = 0) -> np.ndarray:
    """(G, G) P(class 1) of seed `seed` at snapshot `snapshot` (NaN after a divergence)."""
    return np.asarray(result.probabilities[seed, snapshot, :, :, 1], dtype=float)


def isoline(x: np.ndarray, y: np.ndarray, z: np.ndarray, level: float = 0.5) -> tuple[list, list]:
    """The line z = `level` of a grid z[i, j] at (x[j], y[i]), as (xs, ys) of straight pieces with None
    between them (marching squares, one or two pieces per cell, crossings interpolated linearly).

    A scatter line, not a contour trace: plotly.js hides contour traces while frames play.
    """
    z = np.asarray(z, dtype=float) - level
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    corners = (z[:-1, :-1], z[:-1, 1:], z[1:, 1:], z[1:, :-1])  # each cell's corners, counter-clockwise
    xs0, xs1, ys0, ys1 = x[None, :-1], x[None, 1:], y[:-1, None], y[1:, None]
    positions = ((xs0, ys0), (xs1, ys0), (xs1, ys1), (xs0, ys1))
    crossings, points = [], []
    for edge in range(4):  # bottom, right, top, left
        a, b = corners[edge], corners[(edge + 1) % 4]
        (xa, ya), (xb, yb) = positions[edge], positions[(edge + 1) % 4]
        crosses = (a < 0) != (b < 0)  # False where either corner is NaN
        crosses &= np.isfinite(a) & np.isfinite(b)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(crosses, a / (a - b), 0.0)
        crossings.append(crosses)
        points.append((xa + t * (xb - xa), ya + t * (yb - ya)))
    crossings = np.stack(crossings, axis=-1)  # (G - 1, G - 1, 4)
    px = np.stack([np.broadcast_to(p[0], crossings.shape[:2]) for p in points], axis=-1)
    py = np.stack([np.broadcast_to(p[1], crossings.shape[:2]) for p in points], axis=-1)
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    two = crossings.sum(axis=-1) == 2
    order = np.argsort(~crossings[two], axis=-1, kind="stable")[:, :2]  # the two crossed edges
    pieces.append((np.take_along_axis(px[two], order, -1), np.take_along_axis(py[two], order, -1)))
    four = crossings.sum(axis=-1) == 4  # a saddle: pair the edges by the sign at the cell's centre
    centre = sum(c[four] for c in corners) / 4
    same = (centre < 0) == (corners[0][four] < 0)
    # Centre on the side of the bottom-left and top-right corners: the line cuts off the other two.
    for keep, pairs in ((same, ((0, 1), (2, 3))), (~same, ((3, 0), (1, 2)))):
        for pair in pairs if keep.any() else ():
            pieces.append((px[four][keep][:, list(pair)], py[four][keep][:, list(pair)]))
    xs, ys = [], []
    for piece_x, piece_y in pieces:
        for (x0, x1), (y0, y1) in zip(piece_x.tolist(), piece_y.tolist()):
            xs += [round(x0, 4), round(x1, 4), None]
            ys += [round(y0, 4), round(y1, 4), None]
    return xs, ys


def _points(result: TrainResult, style: Style, info: RunInfo) -> list:
    """The training points (filled) and validation points (open), coloured by class; the legend
    has one entry per class (its colour: points and shaded region) and one per set (the marker)."""
    traces = []
    size = style.marker_size
    for x, y, name, hollow in ((result.x_train, result.y_train, "training set", False),
                               (result.x_val, result.y_val, "validation set", True)):
        labels = np.asarray(y, dtype=int)
        colours = [CLASS_COLORS[c % len(CLASS_COLORS)] for c in labels]
        classes = [info.classes[c] if c < len(info.classes) else f"class {c}" for c in labels]
        marker = dict(size=size + (1 if hollow else 0), color=colours, symbol="circle-open" if hollow else "circle",
                      line=dict(color=colours, width=max(1.5, 0.5 * style.line_width)) if hollow else
                      dict(color="#222222", width=0.6))
        traces.append(Scatter(x=np.asarray(x)[:, 0].tolist(), y=np.asarray(x)[:, 1].tolist(), mode="markers", name=name,
                              showlegend=False, marker=marker, customdata=[[c] for c in classes],
                              hovertemplate=f"{name}: %{{customdata[0]}}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"))
    for index, name in enumerate(info.classes[:len(CLASS_COLORS)]):
        traces.append(Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                              marker=dict(symbol="square", size=size + 4, color=CLASS_COLORS[index])))
    for name, symbol in (("training set", "circle"), ("validation set", "circle-open")):
        traces.append(Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                              marker=dict(symbol=symbol, size=size + 1, color=KIND_COLOR,
                                          line=dict(color=KIND_COLOR, width=max(1.5, 0.5 * style.line_width)))))
    return traces


def _slider(steps: Sequence[int], style: Style, *, y: float, redraw: bool = True) -> dict:
    """A step slider under the plot, one stop per frame (frames are named by their step)."""
    return dict(active=len(steps) - 1, x=0.0, len=1.0, y=y, yanchor="top", pad=dict(t=0, b=0),
                currentvalue=dict(prefix="step ", font=dict(size=style.font_size)),
                font=dict(size=round(style.font_size * 0.8)),
                steps=[dict(label=str(s), method="animate",
                            args=[[str(s)], dict(mode="immediate", frame=dict(duration=0, redraw=redraw),
                                                 transition=dict(duration=0))]) for s in steps])


def _controls_px(style: Style) -> tuple[int, int]:
    """(height of the play/pause row, height of the slider) under the x axis, in px."""
    return round(1.4 * style.font_size + 22), round(4.0 * style.font_size + 28)


def _play_buttons(style: Style, *, y: float, redraw: bool = True, duration: int = 150) -> dict:
    """Play and pause at the left, on a row of their own under the x axis (the slider under them
    takes the whole width, so a narrow column fits both); `y` is their top, in paper coordinates."""
    play = dict(label="▶ Play", method="animate",
                args=[None, dict(frame=dict(duration=duration, redraw=redraw), transition=dict(duration=0),
                                 fromcurrent=True, mode="immediate")])
    pause = dict(label="❚❚ Pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=redraw), transition=dict(duration=0), mode="immediate")])
    return dict(type="buttons", direction="left", x=0.0, y=y, xanchor="left", yanchor="top", pad=dict(t=0, r=0, b=0),
                showactive=False, buttons=[play, pause], font=dict(size=style.font_size))


def _wrap(text: str, size: float, width: float) -> str:
    """`text` broken with "<br>" into lines that fit `width` px at font `size`."""
    import textwrap

    chars = max(12, int(width / (CHAR_WIDTH_EM * size)))
    return "<br>".join(textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False) or [text])


def _narrowest(presenter: bool, compare: bool) -> float:
    """Narrowest width (px) a figure's title and legend are laid out for: the page's, or half of it
    for A and B side by side."""
    return (PRESENTER_MIN_WIDTH if presenter else MIN_WIDTH) / (2 if compare else 1)


def _fits_title_line(heading: str, subtitle: str, style: Style, width: float) -> bool:
    """Whether "heading · subtitle" fits one title line `width` px wide (see `_titled`, lines=0)."""
    return _text_px(f"{heading} · ", style.title_size) + _text_px(subtitle, style.font_size) <= width - 40


def _titled(title: str, subtitle: str, style: Style, width: float, lines: int = 1) -> tuple[dict, float]:
    """(title layout, its height in px): one title line at the top and the subtitle wrapped under
    it (`width`: the narrowest the figure is drawn), padded to `lines` lines (so that A's and B's
    figures side by side put their plots at the same height). `lines=0`: the subtitle on the title
    line, after "title · " in the subtitle's size (where `_fits_title_line`; a line less above the
    plot)."""
    if lines == 0:
        text = f"{title} · <span style=\"font-size:{style.font_size}px\">{subtitle}</span>"
        return dict(text=text, yref="container", y=1.0, yanchor="top", pad=dict(t=8)), 8 + 1.3 * style.title_size + 8
    text = _wrap(subtitle, style.font_size, width - 40)
    text += "<br> " * max(0, lines - text.count("<br>") - 1)
    spec = dict(text=title, yref="container", y=1.0, yanchor="top", pad=dict(t=8),
                subtitle=dict(text=text, font=dict(size=style.font_size, color="#333333")))
    return spec, 8 + 1.3 * style.title_size + 8 + (text.count("<br>") + 1) * 1.3 * style.font_size


def boundary_figure(info: RunInfo, result: TrainResult, presenter: bool = False, seed: int = 0,
                    compare: bool = False, title_lines: int = 1) -> go.Figure:
    """The decision boundary as a heatmap of P(class 1) under the training (filled) and validation
    (open) points, with playback over training from the stored snapshots.

    The heatmap is the only animated trace (its z per snapshot, redrawn each frame); the points
    and axes stay. The boundary is where the colour turns white (P = 0.5). An ensemble's heatmap
    is the mean of its members' probabilities, with each member's boundary at the last snapshot
    as a thin line (static: it stays while the heatmap plays).

    Args:
      info, result: the run.
      presenter: projector sizes.
      seed: which of the run's seeds (index) to draw; the link's seed is index 0.
      compare: laid out for half the page (A and B side by side).
      title_lines: lines the subtitle (the run's label) takes at least; 0: on the title line (where
        the run's label starts with its letter, "A: ...", the heading then leaves it out).

    Returns:
      A go.Figure with frames named by step, play/pause and a step slider.
    """
    style = Style.for_mode(presenter)
    font = style.font_size
    steps = [int(s) for s in result.snapshot_steps]
    grid_x, grid_y = np.asarray(result.grid_x, dtype=float), np.asarray(result.grid_y, dtype=float)
    ensemble = result.is_ensemble
    heading = _heading("boundary", result) + (f" · {info.key.upper()}" if compare and title_lines else "")
    subtitle = boundary_subtitle(info, result, seed)
    narrowest = _narrowest(presenter, compare)
    title, title_px = _titled(heading, subtitle, style, narrowest, title_lines)
    if grid_x.size == 0:  # not a 2-D data set: nothing to draw over the plane
        layout = styled_layout({}, presenter, heading, after=dict(height=HEIGHTS["boundary"][presenter], title=title, annotations=[dict(
            text="The decision boundary is drawn for 2-D data sets only.", xref="paper", yref="paper", x=0.5, y=0.5,
            showarrow=False)], xaxis=dict(visible=False), yaxis=dict(visible=False)))
        return Figure(data=[], layout=layout)

    if ensemble:
        with warnings.catch_warnings():  # the nanmean of members that all diverged: NaN, drawn blank
            warnings.simplefilter("ignore", RuntimeWarning)
            ensemble_values = np.asarray(result.ensemble_grid_probabilities(), dtype=float)

    def z_of(index: int) -> np.ndarray:
        # Whole percents as bytes: a quarter of float32 in every frame the browser receives, and
        # finer than the colour scale shows. A snapshot after a divergence (NaN) is drawn blank.
        values = ensemble_values[index, :, :, 1] if ensemble else boundary_values(result, index, seed)
        if not np.isfinite(values).all():
            return np.full(values.shape, np.nan, np.float32)
        return np.rint(100 * values).astype(np.uint8)

    heatmap = dict(type="heatmap", x=grid_x.astype(np.float32), y=grid_y.astype(np.float32), z=z_of(len(steps) - 1),
                   zmin=0, zmax=100, colorscale=class_colorscale(), showscale=False, zsmooth="best", name="P(class 1)",
                   hovertemplate="(%{x:.2f}, %{y:.2f})<br>P(class 1) = %{z}%<extra></extra>")
    traces = [heatmap, *(t.to_plotly_json() for t in _points(result, style, info))]
    names = [*info.classes[:len(CLASS_COLORS)], "training set", "validation set"]
    if ensemble:  # static lines: they show the last snapshot whichever step the heatmap plays
        members = _member_boundaries(result, grid_x, grid_y, style)
        if members is not None:
            traces.append(members)
            names.append(members["name"])
    frames = [{"name": str(step), "traces": [0], "data": [{"type": "heatmap", "z": z_of(i)}]} for i, step in enumerate(steps)]
    annotations = []
    stop = result.diverged(seed)
    note = (divergence_note(result) if ensemble else None) or (f"diverged at step {stop}" if stop is not None else None)
    if note is not None:
        after_it = ": no boundary after it" if not ensemble or all(s >= 0 for s in result.diverged_at) else \
            ": the others' mean is drawn"
        annotations.append(dict(text=f"✗ {note}{after_it}", xref="paper", yref="paper", x=0.01,
                                y=0.99, xanchor="left", yanchor="top", showarrow=False, bgcolor="rgba(255,255,255,0.85)",
                                font=dict(color=DIVERGED_COLOR, size=font)))
    legend_font = style.legend_size  # the legend's own font (a step smaller in presenter mode)
    legend_px = _legend_rows(names, legend_font, narrowest - 90, 30) * 1.3 * legend_font + 26
    margin = margins(presenter, left=82, right=24)  # "−0.5" and the axis title x₂
    margin["t"] = math.ceil(title_px + legend_px + 8)
    buttons_px, slider_px = _controls_px(style)
    axis_px = margin["b"]
    margin["b"] = axis_px + buttons_px + slider_px
    plot_h = HEIGHTS["boundary_compare" if compare else "boundary"][presenter]
    height = margin["t"] + plot_h + margin["b"]
    after = dict(
        height=height, margin=margin, title=title, **({"annotations": annotations} if annotations else {}),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom", itemwidth=30, tracegroupgap=0),
        xaxis=dict(range=[float(grid_x[0]), float(grid_x[-1])], title=dict(text="x₁"), constrain="domain", showgrid=False,
                   zeroline=False),
        # Equal scales: a plot narrower than the data's aspect shrinks from below, so it stays under the legend.
        yaxis=dict(range=[float(grid_y[0]), float(grid_y[-1])], title=dict(text="x₂"), scaleanchor="x", scaleratio=1,
                   constrain="domain", constraintoward="top", showgrid=False, zeroline=False),
        hovermode="closest", dragmode="pan",
        updatemenus=[_play_buttons(style, y=-(axis_px - 4) / plot_h)],
        sliders=[_slider(steps, style, y=-(axis_px + buttons_px) / plot_h)],
    )
    layout = styled_layout({}, presenter, heading, after=after)
    return go.Figure({"data": traces, "layout": layout, "frames": frames}, _validate=False)


def _member_boundaries(result: TrainResult, grid_x: np.ndarray, grid_y: np.ndarray, style: Style) -> dict | None:
    """Each ensemble member's boundary (P = 0.5) at the last snapshot, thin dark lines as one trace
    (None when no member has one there)."""
    xs: list = []
    ys: list = []
    for member in range(len(result.seeds)):
        more_x, more_y = isoline(grid_x, grid_y, result.probabilities[member, -1, :, :, 1])
        xs += more_x
        ys += more_y
    if not xs:
        return None
    step = int(result.snapshot_steps[-1])
    return dict(type="scatter", x=xs, y=ys, mode="lines", name=f"members at step {step}", hoverinfo="skip",
                line=dict(color="rgba(34,34,34,0.55)", width=max(1.0, 0.3 * style.line_width)), connectgaps=False)


# -- per-layer statistics --------------------------------------------------------------------------


def layer_colors(colour: str, count: int) -> list[str]:
    """`count` shades of a run's colour, light (near the input) to dark (the output layer)."""
    if count == 1:
        return [colour]
    dark = palette.luminance(colour) < 0.02  # black (SGD): greys from light to black
    shades = []
    for i in range(count):
        t = i / (count - 1)
        shades.append(palette.mix(colour, "#FFFFFF", 0.7 * (1 - t)) if dark else
                      palette.mix(palette.mix(colour, "#FFFFFF", 0.6 * (1 - t)), "#000000", 0.45 * t))
    return shades


def _layer_names(depth: int) -> list[str]:
    return [f"layer {i + 1}" for i in range(depth)] + ["output"]


def _fourth_panel(runs: Sequence[tuple[RunInfo, TrainResult]]) -> str:
    """The fourth panel's title: "dead units" (ReLU), "saturated" (tanh, sigmoid), or both words."""
    kinds = {("dead units" if info.can_die else "saturated" if info.saturation_rule else "n/a") for info, _ in runs}
    kinds.discard("n/a")
    return kinds.pop() if len(kinds) == 1 else "dead or saturated"


def layer_stats_figure(data: TrainingData, presenter: bool = False) -> go.Figure:
    """Per-layer statistics over training, four panels per run (2 x 2; comparing, one column per run,
    A beside B, so each row puts the same statistic of both side by side): the std of
    each hidden layer's activations, the std of each weight gradient dL/dW, the update/weight ratio
    ||ΔW|| / ||W|| of each step (with cs231n's ~1e-3 rule of thumb as a line), and the dead (ReLU)
    or saturated fraction of each hidden layer.

    Layers are shades of the run's colour, light near the input and dark at the output; with
    several seeds each curve is their mean.

    Args:
      data: the runs.
      presenter: projector sizes.

    Returns:
      A go.Figure: 4 panels per run.
    """
    style = Style.for_mode(presenter)
    font = style.font_size
    runs = data.pairs()
    fourth = _fourth_panel(runs)
    base = ("activation std", "gradient std (dL/dW)", "update / weight ratio", fourth)
    compare = len(runs) > 1
    # Comparing, row 1 holds both runs' activation std: the lessons compare them, and on a 1280x720
    # projector the first row is what is on the first screen (tests/test_browser.py).
    titles = (tuple(f"{info.key.upper()}: {t}" for t in base for info, _ in runs) if compare else base)
    rows = 4 if compare else 2
    margin = margins(presenter, left=90, right=30)
    gap = 3.6 * font + 8 + LINE_HEIGHT_EM * font + 10 + 8  # the right panel's log tick labels ("10⁻¹²": 3.45 em) and title
    spacing = _spacing(gap, MIN_WIDTH, margin["l"], margin["r"])
    row_px = HEIGHTS["layer_stats_row"][presenter]
    title_px = LINE_HEIGHT_EM * font + round(0.6 * font + 2)
    # Under each row its step labels (a lesson reads row 1 "by step 200" on a projector's first
    # screen, where the bottom row's labels are not), then the lower panel's title.
    row_gap = 1.3 * font + 4 + title_px + 14
    grid_px = rows * row_px + (rows - 1) * row_gap
    depth_max = max(int(r.config.depth) for _, r in runs)
    names = _layer_names(depth_max)
    legend_names = names + [f"rule of thumb {RATIO_RULE:g}"]
    layout = subplot_layout(rows, 2, titles, shared_xaxes=True, horizontal_spacing=spacing,
                            vertical_spacing=round(row_gap / grid_px, 4))
    lift = round(0.6 * font + 2)
    for annotation in layout["annotations"]:
        annotation.update(font={**annotation.get("font", {}), "size": font}, yshift=lift)
    legend, margin["t"] = _top_legend(legend_names, presenter, grid_px)
    traces: list = []
    drawn: dict[tuple[int, int], list[float]] = {}
    shown_layer: set[str] = set()

    def cell(run: int, panel: int) -> tuple[str, str]:
        return axis_refs(panel + 1, run + 1, 2) if compare else axis_refs(panel // 2 + 1, panel % 2 + 1, 2)

    for run, (info, result) in enumerate(runs):
        steps = np.asarray(result.steps, dtype=float).tolist()
        depth = int(result.config.depth)
        shades = layer_colors(info.color, depth + 1)
        width = max(1.5, 0.8 * style.line_width)
        for panel, values, count, what in ((0, result.activation_std, depth, "std of h"),
                                           (1, result.grad_std, depth + 1, "std of dL/dW"),
                                           (2, result.update_ratio, depth + 1, "‖ΔW‖/‖W‖")):
            xref, yref = cell(run, panel)
            for layer in range(count):
                name = names[layer] if layer < depth else "output"
                ys = _positive(seed_summary(np.asarray(values, dtype=float)[:, :, layer])[0])
                drawn.setdefault((run, panel), []).extend(v for v in ys if v is not None)
                traces.append(Scatter(x=steps, y=ys, mode="lines", name=name, legendgroup=name,
                                      showlegend=name not in shown_layer, line=dict(color=shades[min(layer, depth)], width=width),
                                      xaxis=xref, yaxis=yref,
                                      hovertemplate=f"<b>{info.label}</b>, {name}<br>step %{{x}}<br>{what} = %{{y:.3g}}<extra></extra>"))
                shown_layer.add(name)
        xref, yref = cell(run, 2)
        total = int(result.config.steps)
        traces.append(Scatter(x=[0, total], y=[RATIO_RULE, RATIO_RULE], mode="lines", name=legend_names[-1],
                              legendgroup="rule", showlegend=run == 0, xaxis=xref, yaxis=yref, hoverinfo="skip",
                              line=dict(color=KIND_COLOR, width=max(1.5, 0.6 * style.line_width), dash="dot")))
        xref, yref = cell(run, 3)
        kind, values = ("dead", result.dead_fraction) if info.can_die else ("saturated", result.saturated_fraction)
        rule = "units 0 on every example" if info.can_die else f"entries with {info.saturation_rule}"
        for layer in range(depth):
            mean = seed_summary(100 * np.asarray(values, dtype=float)[:, :, layer])[0]
            traces.append(Scatter(x=steps, y=_finite(mean), mode="lines", name=names[layer], legendgroup=names[layer],
                                  showlegend=False, line=dict(color=shades[layer], width=width), xaxis=xref, yaxis=yref,
                                  hovertemplate=f"<b>{info.label}</b>, {names[layer]}<br>step %{{x}}<br>{kind}: "
                                                f"%{{y:.1f}}% ({rule})<extra></extra>"))
        notes = [(3, f"{info.activation} neither dies nor saturates")] if not (info.can_die or info.saturation_rule) else []
        if depth == 0:
            notes = [(0, "no hidden layer"), (3, "no hidden layer")]
        for panel, text in notes:
            xref, yref = cell(run, panel)
            layout["annotations"].append(dict(text=text, xref=f"{xref} domain", yref=f"{yref} domain", x=0.5, y=0.5,
                                              showarrow=False, font=dict(size=font - 2, color=KIND_COLOR)))
        for panel in range(4):
            x_ref, _ = cell(run, panel)
            layout["xaxis" + x_ref[1:]].update(range=[0, total], showticklabels=True)
        for panel, title in ((0, "std of h"), (1, "std of dL/dW"), (2, "‖ΔW‖ / ‖W‖")):
            _, y_ref = cell(run, panel)
            values = drawn.get((run, panel), []) + ([RATIO_RULE] if panel == 2 else [])
            layout["yaxis" + y_ref[1:]].update(log_axis(values, title=dict(text=title)))
        _, y_ref = cell(run, 3)
        layout["yaxis" + y_ref[1:]].update(range=[-3, 103], ticksuffix="%",
                                           title=dict(text="% of units" if info.can_die else "% of activations"))
    for col in (1, 2):
        x_ref, _ = axis_refs(rows, col, 2)
        layout["xaxis" + x_ref[1:]].update(title=dict(text="step"))
    after = dict(legend=legend, margin=margin, height=round(margin["t"] + grid_px + margin["b"]), hovermode="closest")
    return Figure(data=traces, layout=styled_layout(layout, presenter, after=after))


# -- weight histograms -----------------------------------------------------------------------------


def _weight_titles(result: TrainResult) -> list[str]:
    config = result.config
    sizes = [int(config.width)] * int(config.depth)
    fan_in = int(np.asarray(result.x_train).shape[1]) if np.asarray(result.x_train).ndim == 2 else 2
    dims = [fan_in] + sizes
    outputs = sizes + [int(np.asarray(result.probabilities).shape[-1])]  # C, also when the grid is empty (digits)
    names = [f"W{i + 1}" for i in range(int(config.depth))] + ["W out"]
    return [f"{n} ({a}×{b})" for n, a, b in zip(names, dims, outputs)]


def weights_figure(info: RunInfo, result: TrainResult, presenter: bool = False, seed: int = 0,
                   compare: bool = False, title_lines: int = 1) -> go.Figure:
    """Histograms of every weight matrix's entries at each snapshot (fixed bins per layer, from
    ±5 std of its initial weights), with a step slider and playback over training.

    Args:
      info, result: the run.
      presenter: projector sizes.
      seed: which seed (index) to draw.
      compare: laid out for half the page (A and B side by side).
      title_lines: lines the subtitle (the run's label) takes at least; 0: on the title line.

    Returns:
      A go.Figure: one panel per weight matrix (at most 5 a row, 3 when comparing), frames named by step.
    """
    style = Style.for_mode(presenter)
    font = style.font_size
    count = int(result.weight_histograms.shape[2])
    most = 3 if compare else 5
    columns = min(count, most) if count <= most else math.ceil(count / math.ceil(count / most))
    rows = math.ceil(count / columns)
    steps = [int(s) for s in result.snapshot_steps]
    edges = np.asarray(result.weight_edges, dtype=float)
    percent = 100 * np.asarray(result.weight_histograms[seed], dtype=float)  # (P, L, bins)
    top = float(np.nanmax(percent)) if np.isfinite(percent).any() else 1.0
    titles = _weight_titles(result)
    heading = _heading("weights", result) + (f" · {info.key.upper()}" if compare and title_lines else "")
    subtitle = _subtitle(info, result, seed)
    title, title_px = _titled(heading, subtitle, style, _narrowest(presenter, compare), title_lines)
    row_px = HEIGHTS["weights_row"][presenter]
    panel_title_px = LINE_HEIGHT_EM * round(font * 0.9) + 8
    row_gap = panel_title_px + 1.3 * font + 16  # the lower row's titles and the upper row's x tick labels
    margin = margins(presenter, left=70, right=24)
    margin["t"] = math.ceil(title_px + panel_title_px + 8)
    buttons_px, slider_px = _controls_px(style)
    axis_px = margin["b"]
    margin["b"] = axis_px + buttons_px + slider_px
    grid_px = rows * row_px + (rows - 1) * row_gap
    height = round(margin["t"] + margin["b"] + grid_px)
    layout = subplot_layout(rows, columns, tuple(titles), shared_yaxes="all",
                            horizontal_spacing=round(min(0.08, 40 / (MIN_WIDTH / 2)), 3),
                            vertical_spacing=round(row_gap / grid_px, 3) if rows > 1 else 0.0)
    for annotation in layout["annotations"]:
        annotation.update(font={**annotation.get("font", {}), "size": round(font * 0.9)})

    def bars(index: int) -> list[dict]:
        out = []
        for layer in range(count):
            centres = (edges[layer, :-1] + edges[layer, 1:]) / 2
            out.append({"type": "bar", "x": centres.astype(np.float32),
                        "y": np.nan_to_num(percent[index, layer]).astype(np.float32)})
        return out

    traces = []
    for layer, spec in enumerate(bars(len(steps) - 1)):
        x_ref, y_ref = axis_refs(layer // columns + 1, layer % columns + 1, columns)
        width = float(edges[layer, 1] - edges[layer, 0])
        traces.append({**spec, "name": titles[layer], "showlegend": False, "width": width, "xaxis": x_ref, "yaxis": y_ref,
                       "marker": {"color": info.color, "line": {"width": 0}},
                       "hovertemplate": f"{titles[layer]}<br>w ≈ %{{x:.3g}}: %{{y:.1f}}% of entries<extra></extra>"})
    for cell in range(rows * columns):
        x_ref, y_ref = axis_refs(cell // columns + 1, cell % columns + 1, columns)
        x_axis, y_axis = layout["xaxis" + x_ref[1:]], layout["yaxis" + y_ref[1:]]
        if cell >= count:
            x_axis["visible"] = y_axis["visible"] = False
            continue
        # Few labels, never turned: a compare-mode column holds 3 narrow panels.
        x_axis.update(range=[float(edges[cell, 0]), float(edges[cell, -1])], nticks=3 if compare else 5, tickangle=0)
        y_axis.update(range=[0, 1.05 * top])
        if cell % columns == 0:
            y_axis["title"] = dict(text="% of entries")
    frames = [{"name": str(step), "traces": list(range(count)), "data": bars(i)} for i, step in enumerate(steps)]
    plot_h = height - margin["t"] - margin["b"]
    annotations = layout.get("annotations", [])
    annotations.append(dict(text="weight w", xref="paper", yref="paper", x=0.5, y=0, yanchor="top", showarrow=False,
                            yshift=-round(8 + 1.3 * font + 4), font=dict(size=font)))
    after = dict(height=height, margin=margin, bargap=0, hovermode="closest", annotations=annotations, title=title,
                 updatemenus=[_play_buttons(style, y=-(axis_px - 4) / plot_h)],
                 sliders=[_slider(steps, style, y=-(axis_px + buttons_px) / plot_h)])
    layout = styled_layout(layout, presenter, heading, after=after)
    return go.Figure({"data": traces, "layout": layout, "frames": frames}, _validate=False)


# -- image data: the confusion matrix and the misclassified examples ------------------------------


CORRECT_COLOR = "#0072B2"
"""The confusion matrix's diagonal (examples classified correctly): Okabe & Ito blue, darker with the count."""

ERROR_COLOR = "#D55E00"
"""Its off-diagonal cells (the mistakes): Okabe & Ito vermilion, so a confusion stands out from the diagonal."""

MAX_MISCLASSIFIED = 24
"""Most examples the misclassified figure shows (the most confidently wrong)."""

MISCLASSIFIED_COLUMNS = 6
MISCLASSIFIED_COLUMNS_COMPARED = 4
"""Images per row of the misclassified figure (it is laid out for half the page)."""


def class_names(info: RunInfo, count: int) -> list[str]:
    """The names of `count` classes: the run's own (RunInfo.classes) when it names that many, else "0", "1", ..."""
    return list(info.classes) if len(info.classes) == count else [str(c) for c in range(count)]


def _who(result: TrainResult) -> tuple[int | None, str]:
    """(index for TrainResult.predictions and friends, what it is): the ensemble (None) or seed 0."""
    if result.is_ensemble:
        return None, f"ensemble of {len(result.seeds)}"
    return 0, (f"seed {int(result.seeds[0])}" if len(result.seeds) > 1 else "")


def _kept_network(result: TrainResult) -> str:
    """Which network the validation figures judge: "" (the last), or "restored: step 640" (early stopping)."""
    if not result.config.restore_best or result.best_step is None:
        return ""
    if result.is_ensemble:
        return "restored: each member's best"
    step = int(result.best_step[0])  # seed 0's: the one the figures draw
    return f"restored: step {step}" if step >= 0 else ""


def _image_shape(info: RunInfo, result: TrainResult) -> tuple[int, int] | None:
    """(rows, columns) of an example drawn as an image: RunInfo.image_shape, else a square one when
    the input count is a square (64 -> 8 x 8), else None."""
    if info.image_shape is not None:
        return tuple(info.image_shape)
    inputs = int(np.asarray(result.x_val).shape[1]) if np.asarray(result.x_val).ndim == 2 else 0
    side = math.isqrt(inputs)
    return (side, side) if inputs > 2 and side * side == inputs else None


def confusion_subtitle(info: RunInfo, result: TrainResult) -> str:
    """The line under the confusion matrix's title: the run, its validation accuracy, whose predictions."""
    if result.val_probabilities is None:
        return info.label
    matrix = result.confusion_matrix(_who(result)[0])
    accuracy = np.trace(matrix) / max(1, matrix.sum())
    details = [text for text in (_who(result)[1], _kept_network(result)) if text]
    parts = [f"{info.label}: validation accuracy {100 * accuracy:.1f}% ({int(matrix.sum())} images)"
             + (f" ({', '.join(details)})" if details else "")]
    return "; ".join(parts + ([transfer_note(result)] if result.transfer else []))


def confusion_figure(info: RunInfo, result: TrainResult, presenter: bool = False, compare: bool = False,
                     title_lines: int = 1) -> go.Figure:
    """The confusion matrix of the validation set: a C x C heatmap of counts, row = true class,
    column = predicted class, each non-zero count written in its cell.

    The diagonal (correct) is blue, darker with the count; the mistakes are vermilion, darker with
    theirs, so a confusion between two classes stands out. An ensemble's matrix is the ensemble's
    (the mean of its members' probabilities); with several seeds, seed 0's.

    Args:
      info, result: the run (result.val_probabilities: the final, or restored, network's).
      presenter: projector sizes.
      compare: run B is shown too (the title names the run); the figure is laid out for half the
        page either way (beside the misclassified examples, or beside B's matrix).
      title_lines: lines the subtitle takes at least (figures side by side align their plots).

    Returns:
      A go.Figure: trace 0 is the heatmap of every count (z = TrainResult.confusion_matrix, less the
      classes neither in the validation set nor predicted), trace 1 the mistakes drawn over it.
    """
    style = Style.for_mode(presenter)
    font = style.font_size
    heading = _heading("confusion", result) + (f" · {info.key.upper()}" if compare else "")
    title, title_px = _titled(heading, confusion_subtitle(info, result), style, _narrowest(presenter, True), title_lines)
    if result.val_probabilities is None:
        return _message_figure("No validation predictions in this result.", title, heading, presenter)
    index, _ = _who(result)
    full = result.confusion_matrix(index)
    # Classes neither in the validation set nor predicted are left out (a transfer run's new task
    # has digits 5-9 only; a 5-9 network that still predicts a 3 keeps the 3's column).
    shown = np.flatnonzero((full.sum(axis=0) > 0) | (full.sum(axis=1) > 0))
    matrix = full[np.ix_(shown, shown)]
    count = matrix.shape[0]
    names = [class_names(info, full.shape[0])[c] for c in shown]
    per_class = matrix.sum(axis=1)
    hover = [[f"true {names[t]}, predicted {names[p]}: {matrix[t, p]} of the {per_class[t]} {names[t]}s"
              for p in range(count)] for t in range(count)]
    diagonal = np.eye(count, dtype=bool)
    correct_text = [[str(matrix[t, p]) if diagonal[t, p] and matrix[t, p] else "" for p in range(count)]
                    for t in range(count)]
    errors = np.where(~diagonal & (matrix > 0), matrix, np.nan)
    error_text = [[str(matrix[t, p]) if not diagonal[t, p] and matrix[t, p] else "" for p in range(count)]
                  for t in range(count)]
    text_size = round(font * (1.0 if count <= 6 else 0.75 if presenter else 0.9))  # "99" fits a cell of 10
    cells = dict(type="heatmap", x=list(range(count)), y=list(range(count)), showscale=False, xgap=1, ygap=1,
                 texttemplate="%{text}", textfont=dict(size=text_size), hovertext=hover,
                 hovertemplate="%{hovertext}<extra></extra>")
    top_error = float(np.nanmax(errors)) if np.isfinite(errors).any() else 1.0
    traces = [
        {**cells, "name": "counts", "z": matrix.astype(np.int32), "text": correct_text, "zmin": 0,
         "zmax": max(1, int(matrix.max())), "colorscale": [[0.0, "#FFFFFF"], [1.0, CORRECT_COLOR]]},
        {**cells, "name": "mistakes", "z": errors.astype(np.float32), "text": error_text, "zmin": 0,
         "zmax": max(1.0, top_error), "colorscale": [[0.0, palette.mix(ERROR_COLOR, "#FFFFFF", 0.8)], [1.0, ERROR_COLOR]]},
    ]
    margin = margins(presenter, left=70, right=24)
    margin["t"] = math.ceil(title_px + 8)
    plot_h = HEIGHTS["confusion"][presenter]
    ticks = dict(tickvals=list(range(count)), ticktext=names, ticks="", showgrid=False, zeroline=False, showline=False)
    after = dict(
        height=round(margin["t"] + plot_h + margin["b"]), margin=margin, title=title, hovermode="closest",
        xaxis=dict(ticks, range=[-0.5, count - 0.5], title=dict(text="predicted class"), constrain="domain"),
        yaxis=dict(ticks, range=[count - 0.5, -0.5], title=dict(text="true class"), scaleanchor="x", scaleratio=1,
                   constrain="domain"),
        plot_bgcolor="#FFFFFF")
    layout = styled_layout({}, presenter, heading, after=after)
    return Figure(data=traces, layout=layout)


def misclassified_subtitle(info: RunInfo, result: TrainResult) -> str:
    """The line under the misclassified examples' title: how many of how many, whose predictions."""
    if result.val_probabilities is None:
        return info.label
    index, who = _who(result)
    wrong = len(result.misclassified(index))
    shown = min(wrong, MAX_MISCLASSIFIED)
    what = (f"the {shown} most confidently wrong of {wrong} mistakes" if wrong > shown else
            f"all {wrong} mistake{'s' if wrong != 1 else ''}") + f" on {len(result.y_val)} validation images"
    details = [text for text in (who, _kept_network(result)) if text]
    text = f"{info.label}: {what}" + (f" ({', '.join(details)})" if details else "")
    return "; ".join([text] + ([transfer_note(result)] if result.transfer else []))


def misclassified_figure(info: RunInfo, result: TrainResult, presenter: bool = False, compare: bool = False,
                         title_lines: int = 1) -> go.Figure:
    """The validation images the network gets wrong, the most confidently wrong first: up to
    MAX_MISCLASSIFIED small grayscale images (ink dark), each titled "true 3 → 8 (p = 0.91)" (p: the
    probability of the wrong class it predicts).

    Args:
      info, result: the run (an ensemble's mistakes are the ensemble's; with several seeds, seed 0's).
      presenter: projector sizes.
      compare: run B is shown too (the title names the run); laid out for half the page either way.
      title_lines: lines the subtitle takes at least.

    Returns:
      A go.Figure: one heatmap per image, in `TrainResult.misclassified` order.
    """
    style = Style.for_mode(presenter)
    font = style.font_size
    heading = _heading("misclassified", result) + (f" · {info.key.upper()}" if compare else "")
    title, title_px = _titled(heading, misclassified_subtitle(info, result), style, _narrowest(presenter, True), title_lines)
    shape = _image_shape(info, result)
    if result.val_probabilities is None or shape is None:
        return _message_figure("Examples are drawn as images for image data sets only." if shape is None else
                               "No validation predictions in this result.", title, heading, presenter)
    index, _ = _who(result)
    # Compared runs share the page's width: 4 images a row keep "true 9 → 8" inside its image.
    columns = MISCLASSIFIED_COLUMNS_COMPARED if compare else MISCLASSIFIED_COLUMNS
    order = result.misclassified(index)[:MAX_MISCLASSIFIED if not compare else 4 * columns]
    if not len(order):
        return _message_figure("No validation image is misclassified.", title, heading, presenter)
    probabilities = result.ensemble_val_probabilities() if index is None else result.val_probabilities[index]
    predicted = result.predictions(index)
    names = class_names(info, probabilities.shape[-1])
    labels = [(names[int(result.y_val[i])], names[int(predicted[i])], float(probabilities[i, predicted[i]])) for i in order]
    titles = tuple(f"true {t} → {p}<br>(p = {c:.2f})" for t, p, c in labels)
    rows = math.ceil(len(order) / columns)
    title_font = round(font * (0.8 if presenter else 0.9))  # "true 3 → 8" fits an image's width
    panel_title_px = 2 * LINE_HEIGHT_EM * title_font + 6
    image_px = HEIGHTS["misclassified_image"][presenter]
    grid_px = rows * image_px + (rows - 1) * (panel_title_px + 8)
    margin = dict(l=12, r=12, t=math.ceil(title_px + panel_title_px + 8), b=12)
    layout = subplot_layout(rows, columns, titles, horizontal_spacing=0.02,
                            vertical_spacing=round((panel_title_px + 8) / grid_px, 4) if rows > 1 else 0.0)
    for annotation in layout["annotations"]:
        annotation.update(font=dict(size=title_font))
    pixels = np.asarray(result.x_val, dtype=float)
    traces = []
    for cell in range(rows * columns):
        x_ref, y_ref = axis_refs(cell // columns + 1, cell % columns + 1, columns)
        x_axis, y_axis = layout["xaxis" + x_ref[1:]], layout["yaxis" + y_ref[1:]]
        if cell >= len(order):
            x_axis["visible"] = y_axis["visible"] = False
            continue
        example = int(order[cell])
        true, guess, confidence = labels[cell]
        traces.append(dict(type="heatmap", z=pixels[example].reshape(shape).astype(np.float32), zmin=0, zmax=1,
                           colorscale=[[0.0, "#FFFFFF"], [1.0, "#000000"]], showscale=False, xaxis=x_ref, yaxis=y_ref,
                           name=f"validation image {example}",
                           hovertemplate=f"validation image {example}: true {true}, predicted {guess} "
                                         f"(p = {confidence:.2f})<br>pixel (row %{{y}}, column %{{x}}) = %{{z:.2f}}"
                                         "<extra></extra>"))
        frame = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False, showline=True, mirror=True,
                     linecolor="#999999", linewidth=1)
        x_axis.update(frame, range=[-0.5, shape[1] - 0.5], constrain="domain")
        y_axis.update(frame, range=[shape[0] - 0.5, -0.5], scaleanchor=x_ref, scaleratio=1, constrain="domain")
    after = dict(height=round(margin["t"] + grid_px + margin["b"]), margin=margin, title=title, hovermode="closest",
                 plot_bgcolor="#FFFFFF")
    layout = styled_layout(layout, presenter, heading, after=after)
    if presenter:  # the look's thicker axis lines would frame each small image heavily
        for key in layout:
            if key.startswith(("xaxis", "yaxis")):
                layout[key]["linewidth"] = 1
    return Figure(data=traces, layout=layout)


def _message_figure(text: str, title: dict, heading: str, presenter: bool) -> go.Figure:
    """A figure of one centred line of text under `title` (nothing to draw)."""
    after = dict(height=HEIGHTS["message"][presenter], title=title, xaxis=dict(visible=False), yaxis=dict(visible=False),
                 annotations=[dict(text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False)])
    return Figure(data=[], layout=styled_layout({}, presenter, heading, after=after))


# -- by name ---------------------------------------------------------------------------------------


FIGURES: dict[str, str] = {
    "curves": "Train and validation loss and accuracy vs step, the learning rate beneath, the best validation step "
              "marked (main figure)",
    "boundary": "Decision boundary of run A over the data, with playback over training (2-D data sets)",
    "boundary_b": "Decision boundary of run B (compare mode)",
    "layer_stats": "Per-layer activation std, gradient std, update/weight ratio and dead or saturated fraction over training",
    "weights": "Weight histograms of run A at each snapshot, with a step slider and playback",
    "weights_b": "Weight histograms of run B (compare mode)",
    "confusion": "Confusion matrix of run A on the validation set, row = true class, column = predicted (image data)",
    "confusion_b": "Confusion matrix of run B (compare mode)",
    "misclassified": "The validation images run A gets wrong, the most confidently wrong first (image data)",
    "misclassified_b": "The validation images run B gets wrong (compare mode)",
}

ANIMATED_FIGURES = ("boundary", "boundary_b")
"""The figures whose GIF/MP4 the page exports (the boundary's playback)."""

PLANE_FIGURES = ("boundary", "boundary_b")
"""Figures of data sets whose examples are points in the plane (2 inputs)."""

IMAGE_FIGURES = ("confusion", "confusion_b", "misclassified", "misclassified_b")
"""Figures of the other data sets (digits: 8 x 8 images)."""


def in_plane(config) -> bool:
    """Whether a run's examples are points in the plane (a decision boundary can be drawn).

    Decided from the network's input size, `config.spec.input_dim == 2`: this module must not
    import optviz.training.data (it loads JAX), and a TrainConfig already knows its data set's
    input size (the config module has the registry loaded). Every 2-input data set is a 2-D one
    (`Dataset.two_d`), the same test as `len(TrainResult.grid_x) > 0` once computed.
    """
    return int(config.spec.input_dim) == 2


def has_figure(name: str, scene) -> bool:
    """Whether `scene` draws figure `name`: B's figures only when comparing; the decision boundary
    only for data in the plane, the confusion matrix and misclassified images only for the others."""
    config = scene.b if name.endswith("_b") else scene.a
    if config is None:
        return False
    if name in PLANE_FIGURES:
        return in_plane(config)
    if name in IMAGE_FIGURES:
        return not in_plane(config)
    return True


def build_figure(name: str, scene, data: TrainingData, *, presenter: bool = False) -> go.Figure:
    """The named figure of the training lab (see FIGURES) for `scene` and its computed `data`."""
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}; choose one of: {', '.join(FIGURES)}")
    if not has_figure(name, scene):
        if name.endswith("_b") and scene.b is None:
            raise ValueError(f"figure {name!r} needs a second run (compare mode)")
        needs = "2-D data (points in the plane)" if name in PLANE_FIGURES else "a data set that is not 2-D (digits)"
        raise ValueError(f"figure {name!r} needs {needs}")
    if name == "curves":
        return curves_figure(data, presenter=presenter, loss_axis=scene.loss_axis)
    if name == "layer_stats":
        return layer_stats_figure(data, presenter=presenter)
    pairs = data.pairs()
    info, result = pairs[1 if name.endswith("_b") else 0]
    compare = scene.b is not None
    style = Style.for_mode(presenter)
    kind = name.removesuffix("_b")
    if kind in ("confusion", "misclassified"):
        # Laid out for half the page: the view shows A's matrix beside A's misclassified images, or
        # (comparing) beside B's matrix, and the images in a row of their own under them. The two
        # side by side have subtitles of the same number of lines, so their plots line up; padding
        # to the other row's longer subtitle would push the matrix below a projector's first screen.
        subtitle = confusion_subtitle if kind == "confusion" else misclassified_subtitle
        beside = [(subtitle, i, r) for i, r in pairs] if compare else [
            (text, *pairs[0]) for text in (confusion_subtitle, misclassified_subtitle)]
        lines = _subtitle_lines([text(i, r) for text, i, r in beside], style, _narrowest(presenter, True))  # half the page
        builder = confusion_figure if kind == "confusion" else misclassified_figure
        return builder(info, result, presenter=presenter, compare=compare, title_lines=lines)
    # A and B side by side: each run's label on its title line ("Decision boundary · A: linear", the
    # letter once) where both fit there, else under it, padded to the same lines (plots aligned).
    subtitle = boundary_subtitle if kind == "boundary" else _subtitle
    width = _narrowest(presenter, compare)
    if compare and all(_fits_title_line(_heading(kind, r), subtitle(i, r), style, width) for i, r in pairs):
        lines = 0
    else:
        lines = _subtitle_lines([subtitle(i, r) for i, r in pairs], style, width)
    options = dict(presenter=presenter, compare=compare, title_lines=lines if compare else 1)
    if kind == "boundary":
        return boundary_figure(info, result, **options)
    return weights_figure(info, result, **options)


def _heading(kind: str, result: TrainResult) -> str:
    """The title of a run's figure of `kind` ("boundary", "weights", "confusion", "misclassified"),
    before the run's letter."""
    if kind == "boundary":
        return "Ensemble decision boundary" if result.is_ensemble else "Decision boundary"
    return {"weights": "Weights", "confusion": "Confusion matrix", "misclassified": "Misclassified"}[kind]


def _subtitle_lines(subtitles: Sequence[str], style: Style, width: float) -> int:
    """Lines the longest of `subtitles` takes wrapped under a title `width` px wide (see `_titled`)."""
    return max(_wrap(text, style.font_size, width - 40).count("<br>") + 1 for text in subtitles)


def transfer_note(result: TrainResult) -> str | None:
    """How a transfer-learning run started, for its subtitle: "fine-tuned from digits 0-4 (1000
    steps), η × 0.1; digits 5-9, 5 samples per class"; None for an ordinary run."""
    transfer = result.transfer
    if not transfer:
        return None
    config = result.config
    steps = int(transfer.get("pretrain_steps", getattr(config, "pretrain_steps", 0)))
    accuracy = transfer.get("pretrain_val_accuracy")
    source = f"digits 0-4 ({steps} steps" + (f", {100 * float(accuracy):.0f}% validation accuracy"
                                            if accuracy is not None and math.isfinite(float(accuracy)) else "") + ")"
    mode = transfer.get("mode")
    if mode == "finetune":
        factor = float(transfer.get("finetune_factor", getattr(config, "finetune_factor", 1.0)))
        start = f"fine-tuned from {source}, η × {factor:g}"
    elif mode == "freeze":
        start = f"frozen features of {source} + new head"
    else:
        start = "from scratch"
    target = "digits 5-9" + (", pixels permuted" if transfer.get("data") == "different" else "")
    samples = transfer.get("samples_per_class", getattr(config, "samples_per_class", None))
    return f"{start}; {target}" + (f", {int(samples)} samples per class" if samples is not None else "")


def _subtitle(info: RunInfo, result: TrainResult, seed: int = 0) -> str:
    """The line under a run's weights title: its label (and seed, when there are several; how a
    transfer run started)."""
    text = info.label + (f" (seed {int(result.seeds[seed])})" if len(result.seeds) > 1 else "")
    note = transfer_note(result)
    return text + (f"; {note}" if note else "")


def boundary_subtitle(info: RunInfo, result: TrainResult, seed: int = 0) -> str:
    """The line under a run's decision-boundary title: an ensemble's says whose mean is drawn."""
    if not result.is_ensemble:
        return _subtitle(info, result, seed)
    seeds = [int(s) for s in result.seeds]
    return f"{info.label}: the mean probability of {len(seeds)} members (seeds {seeds[0]}–{seeds[-1]})"
