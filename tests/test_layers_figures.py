"""figures.layers: every builder works for every activation and initializer, checked on the JSON.

Statistics are synthetic (no JAX compile) except for one end-to-end check with a real network.
"""

from __future__ import annotations

import base64
import functools

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.activations import ACTIVATIONS
from optviz.layers.figures import (
    GRID_X_TITLE,
    KIND_COLOR,
    LOG_FLOOR,
    RATIO_NAME,
    RULE_NAME,
    activation_figure,
    histogram_y_top,
    histograms_figure,
    saturation_figure,
    stats_figure,
)
from optviz.pages import PAGES
from optviz.style import Style, PALETTE
from log_ticks import check_log_axis
from optviz.initializers import INITIALIZERS
from optviz.layers.compute import activation_curve
from optviz.layers.network import HISTOGRAM_BINS, LayerStats, NetworkConfig, activation_fields, layer_stats


def synthetic_stats(activation: str = "tanh", depth: int = 10, seed: int = 0, **overrides) -> LayerStats:
    """A plausible LayerStats without running the network."""
    rng = np.random.default_rng(seed)
    low, high = ACTIVATIONS[activation].histogram_range
    histogram = rng.random((depth, HISTOGRAM_BINS))
    histogram = 0.9 * histogram / histogram.sum(axis=1, keepdims=True)
    fields = dict(
        **activation_fields(activation),
        mean=rng.normal(0, 0.01, depth),
        std=0.6 * 0.8 ** np.arange(depth),
        preact_mean=np.zeros(depth),
        preact_std=np.ones(depth),
        saturated=rng.random(depth) if ACTIVATIONS[activation].saturation else np.zeros(depth),
        dead=rng.random(depth) * 0.1 if ACTIVATIONS[activation].can_die else np.zeros(depth),
        zero=np.full(depth, 0.5) if ACTIVATIONS[activation].can_die else np.zeros(depth),
        grad_std=1.2 ** np.arange(depth),
        weight_grad_std=np.full(depth, 0.01),
        weight_std=np.full(depth, 0.045),
        grad_weight_ratio=np.full(depth, 0.01 / 0.045),
        sign_agreement=rng.random(depth),
        block_output=np.zeros(depth, dtype=bool),
        unit_spread=np.ones(depth),
        identical=np.zeros(depth, dtype=bool),
        histogram=histogram,
        histogram_edges=np.linspace(low, high, HISTOGRAM_BINS + 1),
        below_range=np.full(depth, 0.05),
        above_range=np.full(depth, 0.05),
        nan_fraction=np.zeros(depth),
    )
    fields.update(overrides)
    return LayerStats(**fields)


def _values(array_or_list) -> np.ndarray:
    """Trace data from to_plotly_json(): a list, or plotly 7's base64 {"dtype", "bdata"}."""
    if isinstance(array_or_list, dict) and "bdata" in array_or_list:
        return np.frombuffer(base64.b64decode(array_or_list["bdata"]), dtype=array_or_list["dtype"])
    return np.asarray([np.nan if v is None else v for v in array_or_list], dtype=float)


def _axis_titles(fig: go.Figure) -> dict[str, str]:
    layout = fig.to_plotly_json()["layout"]
    return {
        name: axis.get("title", {}).get("text", "")
        for name, axis in layout.items()
        if name.startswith(("xaxis", "yaxis"))
    }


def _grid_x_title(fig: go.Figure) -> str | None:
    """The histogram grid's one x title (an annotation, as make_subplots' x_title)."""
    return next((a.text for a in fig.layout.annotations if a.name == GRID_X_TITLE), None)


def _drawn(trace: dict) -> bool:
    """Whether a trace draws points (not a legend-only entry)."""
    return any(v is not None for v in _values(trace.get("y", [])) if not (isinstance(v, float) and np.isnan(v)))


def _check_common(fig: go.Figure):
    data = fig.to_plotly_json()
    assert data["data"], "no traces"
    for trace in data["data"]:
        if _drawn(trace):
            assert trace.get("hovertemplate"), f"trace {trace.get('name')} has no hover text"
        else:
            assert trace.get("hoverinfo") == "skip" and trace.get("showlegend"), f"{trace.get('name')} draws nothing"
    assert data["layout"]["template"]["layout"]  # the optviz template is applied
    assert list(data["layout"]["colorway"]) == list(PALETTE)


@pytest.mark.parametrize(
    "activation, presenter", [(key, False) for key in ACTIVATIONS] + [("tanh", True), ("relu", True)]
)
def test_every_figure_builds_for_every_activation(activation, presenter):
    first, second = synthetic_stats(activation, seed=1), synthetic_stats(activation, seed=2)
    figures = [
        histograms_figure(first, presenter=presenter, title=f"{activation} histograms"),
        saturation_figure([first, second], ["A", "B"], presenter=presenter),
        activation_figure(activation_curve(activation), presenter=presenter),
    ]
    if presenter:  # stats_figure does not depend on the activation
        figures.append(stats_figure([first, second], ["A", "B"], presenter=presenter))
    for fig in figures:
        _check_common(fig)
        titles = _axis_titles(fig)
        assert any(t for name, t in titles.items() if name.startswith("xaxis")) or _grid_x_title(fig), titles
        assert titles["yaxis"], titles


@pytest.mark.parametrize("init", list(INITIALIZERS))
def test_every_initializer_label_works_as_a_series(init):
    label = INITIALIZERS[init].label
    stats = synthetic_stats("relu")
    for fig in (stats_figure([stats], [label]), saturation_figure([stats], [label])):
        _check_common(fig)
        names = [trace["name"] for trace in fig.to_plotly_json()["data"]]
        assert names[0] == label


def test_stats_figure_layout():
    first, second = synthetic_stats(seed=1), synthetic_stats(seed=2)
    fig = stats_figure([first, second], ["Xavier", "He"])
    data = fig.to_plotly_json()
    drawn = [trace for trace in data["data"] if _drawn(trace)]
    drawn, band = drawn[:-1], drawn[-1]
    assert len(drawn) == 10  # mean, std, dL/dz, dL/dW, dL/dW ÷ W per configuration
    layout = data["layout"]
    assert layout["yaxis2"]["type"] == "log" and layout["yaxis3"]["type"] == "log"
    assert "type" not in layout["yaxis"] or layout["yaxis"]["type"] == "linear"
    titles = _axis_titles(fig)
    assert titles["xaxis"] == titles["xaxis2"] == titles["xaxis3"] == "layer"
    assert "mean" in titles["yaxis"] and "std" in titles["yaxis2"] and "ratio" in titles["yaxis3"]
    assert "gradient" in layout["annotations"][2]["text"]  # the panel's title; its rotated y title is short
    # The gradient kinds are said once, in the legend: dL/dz solid with filled markers, dL/dW dashed with
    # open ones, the ratio dotted with open markers with a dot.
    kinds = {trace["name"]: trace for trace in data["data"] if not _drawn(trace)}
    assert set(kinds) == {"dL/dz", "dL/dW", RATIO_NAME}
    assert kinds["dL/dz"]["line"]["dash"] == "solid" and not kinds["dL/dz"]["marker"]["symbol"].endswith("-open")
    assert kinds["dL/dW"]["line"]["dash"] == "dash" and kinds["dL/dW"]["marker"]["symbol"].endswith("-open")
    assert kinds[RATIO_NAME]["line"]["dash"] == "dot" and kinds[RATIO_NAME]["marker"]["symbol"].endswith("-open-dot")
    assert {kind["line"]["color"] for kind in kinds.values()} == {KIND_COLOR}
    colours = {trace["name"]: trace["line"]["color"] for trace in drawn if trace["showlegend"] is not False}
    assert colours == {"Xavier": PALETTE[0], "He": PALETTE[1]}
    dashed = [trace for trace in drawn if trace["line"]["dash"] == "dash"]
    assert [trace["name"] for trace in dashed] == ["Xavier: dL/dW", "He: dL/dW"]
    assert all(trace["marker"]["symbol"].endswith("-open") for trace in dashed)
    assert all(trace["xaxis"] == "x3" for trace in dashed)
    dotted = [trace for trace in drawn if trace["line"]["dash"] == "dot"]
    assert [trace["name"] for trace in dotted] == [f"Xavier: {RATIO_NAME}", f"He: {RATIO_NAME}"]
    np.testing.assert_allclose(_values(dotted[0]["y"]), first.grad_weight_ratio, rtol=1e-6)
    np.testing.assert_allclose(_values(data["data"][1]["y"]), first.std, rtol=1e-6)
    # The rule of thumb: a labelled band at update/weight 1e-3 across the gradient panel, last in the legend.
    assert band["name"] == RULE_NAME and band["showlegend"] and band["xaxis"] == "x3"
    assert list(_values(band["y"])) == [1e-3, 1e-3] and data["data"][-1] is band
    low, high = sorted(_values(band["x"]))
    assert low <= 1 and high >= first.depth


def test_ratio_is_not_drawn_where_w_is_zero():
    stats = synthetic_stats(grad_weight_ratio=np.array([np.nan, 0.2] * 5), weight_std=np.array([0.0, 0.045] * 5))
    (ratio,) = [t for t in stats_figure([stats], ["zero-init last"]).data if t.name == f"zero-init last: {RATIO_NAME}"]
    assert ratio.y[0] is None and "std(W) = 0" in ratio.customdata[0][0]
    assert "learning rate near 0.005" in ratio.customdata[1][0]


def test_log_axes_floor_zeros_and_skip_overflow():
    stats = synthetic_stats(
        std=np.array([1.0, 0.0, 1e-7, np.inf, np.nan, 1.0, 1.0, 1.0, 1.0, 1.0]),
        grad_std=np.zeros(10),
    )
    fig = stats_figure([stats], ["zeros"])
    std_trace, grad_trace = fig.data[1], fig.data[2]
    assert std_trace.y[1] == LOG_FLOOR and std_trace.y[2] == pytest.approx(1e-7)
    assert std_trace.y[3] is None and std_trace.y[4] is None
    assert "floor" in std_trace.customdata[1][0] and "overflow" in std_trace.customdata[3][0]
    assert all(y == LOG_FLOOR for y in grad_trace.y)
    fig.to_plotly_json()  # still serialisable


def test_std_axis_reaches_a_network_floored_at_zero():
    # Network A is flat (its own range would be one decade), network B is all zeros: B's points sit
    # at LOG_FLOOR and the std axis must reach them.
    flat = synthetic_stats(std=np.full(10, 0.5))
    zero = synthetic_stats(std=np.zeros(10))
    layout = stats_figure([flat, zero], ["A", "B"]).layout
    low = layout.yaxis2.range[0] if layout.yaxis2.range else None
    assert low is None or low <= np.log10(LOG_FLOOR)


def test_histograms_say_when_entries_are_nan():
    stats = synthetic_stats(nan_fraction=np.array([0.0] * 8 + [0.002, 1.0]),
                            histogram=np.vstack([np.full((8, HISTOGRAM_BINS), 0.9 / HISTOGRAM_BINS),
                                                 np.full((1, HISTOGRAM_BINS), 0.898 / HISTOGRAM_BINS),
                                                 np.zeros((1, HISTOGRAM_BINS))]))
    notes = [a.text for a in histograms_figure(stats).layout.annotations if "NaN" in (a.text or "")]
    assert len(notes) == 2 and "<1% NaN" in notes[0] and "100% NaN" in notes[1]


def test_histograms_one_panel_per_layer_with_shared_axes():
    stats = synthetic_stats("tanh", depth=10)
    fig = histograms_figure(stats, title="tanh")
    data = fig.to_plotly_json()
    bars = [trace for trace in data["data"] if trace["type"] == "bar"]
    assert len(bars) == 10
    assert len({trace["xaxis"] for trace in bars}) == 10
    layout = data["layout"]
    assert layout["xaxis"]["range"] == [-1.0, 1.0]
    # shared axes: every panel's axes match one anchor panel's
    for letter in "xy":
        matches = {layout[f"{letter}axis{i if i > 1 else ''}"].get("matches") for i in range(1, 11)}
        assert len(matches - {None}) == 1
    np.testing.assert_allclose(_values(bars[0]["y"]), 100 * stats.histogram[0], rtol=1e-6)
    texts = [a["text"] for a in layout["annotations"]]
    # Two short lines a panel: the layer and its std (the mean is in the hover and on the stats figure).
    assert texts[0] == f"layer 1<br>\u03c3 {stats.std[0]:.2g}"
    assert "mean" in bars[0]["hovertemplate"] and "std" in bars[0]["hovertemplate"]
    assert any("5% < -1" in t and "5% > 1" in t for t in texts)
    titles = _axis_titles(fig)
    assert titles["yaxis"] == "% of entries" and titles["yaxis6"] == "% of entries"  # first panel of each row
    assert not any(t for name, t in titles.items() if name.startswith("xaxis"))
    assert _grid_x_title(fig) == "activation h (tanh)"  # one x title, under the grid
    assert layout["title"]["text"] == "tanh"


def test_relu_histograms_set_exact_zeros_apart():
    stats = synthetic_stats("relu", depth=3)
    fig = histograms_figure(stats)
    first_bar = fig.data[0]
    assert first_bar.y[0] == pytest.approx(max(100 * stats.histogram[0, 0] - 50.0, 0.0))
    assert any("50% = 0" in a.text for a in fig.layout.annotations)
    assert "exactly 0" in first_bar.hovertemplate


@pytest.mark.parametrize("depth, rows, columns", [(1, 1, 1), (4, 1, 4), (7, 2, 4), (10, 2, 5), (50, 10, 5)])
def test_histograms_any_depth(depth, rows, columns):
    fig = histograms_figure(synthetic_stats("gelu", depth=depth), presenter=depth == 50)
    assert len(fig.data) == depth
    assert "activation h" in _grid_x_title(fig)
    layout = fig.to_plotly_json()["layout"]
    cells = [name for name in layout if name.startswith("xaxis")]
    assert len(cells) == rows * columns  # rows filled evenly: 7 layers are 4 + 3, not 5 + 2
    visible = [name for name in cells if layout[name].get("visible", True)]
    assert len(visible) == depth  # the empty cells of the last row draw no axes
    # Every column labels its x ticks under its last panel, the last row or the one above it.
    labelled = sorted(int(name[5:] or 1) for name in visible if layout[name].get("showticklabels", True))
    assert labelled == list(range(depth - columns + 1, depth + 1))


def test_saturation_figure_says_not_applicable():
    tanh, relu = synthetic_stats("tanh"), synthetic_stats("relu")
    fig = saturation_figure([tanh, relu], ["tanh", "relu"])
    assert len(fig.data) == 6  # saturated, dead, sign agreement per network
    assert "|a| > 0.97" in fig.data[0].customdata[0][0]
    assert "does not saturate" in fig.data[3].customdata[0][0]
    assert "cannot die" in fig.data[1].customdata[0][0]
    np.testing.assert_allclose(fig.data[0].y, 100 * tanh.saturated)
    np.testing.assert_allclose(fig.data[2].y, 100 * tanh.sign_agreement)
    assert fig.data[2].xaxis == "x3" and "%: the weights into a unit move" in fig.data[2].customdata[0][0]
    titles = _axis_titles(fig)
    assert "%" in titles["yaxis"] and "%" in titles["yaxis2"] and "agreeing" in titles["yaxis3"]


def test_block_outputs_say_they_are_sums():
    blocks = np.array([False, True] * 5)
    stats = synthetic_stats("relu", block_output=blocks)
    fig = saturation_figure([stats], ["residual"])
    assert all(("sum, not an activation" in note[0]) == block for note, block in zip(fig.data[1].customdata, blocks))
    histograms = histograms_figure(stats)
    assert "h + F(h)" in _grid_x_title(histograms) and "block output" in histograms.data[1].hovertemplate
    assert "block output" not in histograms.data[0].hovertemplate


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_activation_curve_and_derivative(activation):
    curve = activation_curve(activation)
    z, values, slopes = curve.z, curve.values, curve.slopes
    assert z[0] == -4 and z[-1] == 4
    np.testing.assert_allclose(values, np.asarray(ACTIVATIONS[activation].fn(z.astype(np.float32))), rtol=1e-5, atol=1e-6)
    numeric = np.gradient(values, z)
    interior = np.abs(z) > 0.05  # kinks at 0
    np.testing.assert_allclose(slopes[interior][1:-1], numeric[interior][1:-1], atol=0.02)


def test_bad_inputs_give_clear_errors():
    with pytest.raises(ValueError, match="one label per configuration"):
        stats_figure([synthetic_stats()], ["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        saturation_figure([], [])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        activation_curve("swish")


def test_end_to_end_with_a_real_network():
    # The shape and pairing of test_netstats.py's LECTURE network: a compile it shares in a full run.
    config = NetworkConfig(depth=10, width=500, batch=500, activation="relu", init="he_normal")
    stats = layer_stats(config)
    for fig in (stats_figure([stats], ["He"]), histograms_figure(stats), saturation_figure([stats], ["He"])):
        _check_common(fig)


# -- every lesson scene of the page, in both modes: compare mode, coinciding curves, legends, log axes --

LAYERS = PAGES["layers"]
LESSON_KEYS = [lesson.key for lesson in LAYERS.lessons]
COMPARE_KEYS = [lesson.key for lesson in LAYERS.lessons if lesson.make_scene().b is not None]
MODES = pytest.mark.parametrize("presenter", [False, True], ids=["screen", "presenter"])


@functools.cache
def lesson_data(key: str):
    """(scene, LayersData) of a lesson (computed once per test session)."""
    scene = next(lesson for lesson in LAYERS.lessons if lesson.key == key).make_scene()
    return scene, LAYERS.compute(scene)


def _networks(fig: go.Figure, labels) -> dict[str, list]:
    """Each network's drawn traces, in drawing order."""
    return {label: [t for t in fig.data if t.legendgroup == label and _drawn(t.to_plotly_json())] for label in labels}


def test_there_are_compare_lessons():
    assert "batchnorm" in COMPARE_KEYS  # A and B coincide: the case the drawing order is for


@MODES
@pytest.mark.parametrize("key", COMPARE_KEYS)
def test_compare_histograms_share_the_y_range_and_network_colours(key, presenter):
    scene, data = lesson_data(key)
    a, b = (LAYERS.build_figure(name, scene, data, presenter=presenter) for name in ("histograms", "histograms_b"))
    ranges = {tuple(fig.layout[name].range) for fig in (a, b) for name in fig.layout if name.startswith("yaxis")
              and fig.layout[name].visible is not False}
    assert len(ranges) == 1, "A's and B's histograms must share one % axis, so that their shapes compare"
    highest = max(max(bar.y) for fig in (a, b) for bar in fig.data)
    top = ranges.pop()[1]
    assert highest < top <= 2.2 * highest  # the highest bar of either, room above it for the panels' notes
    assert {bar.marker.color for bar in a.data} == {PALETTE[0]} and {bar.marker.color for bar in b.data} == {PALETTE[1]}
    for fig, label in zip((a, b), data.labels):
        assert fig.layout.title.subtitle.text.replace("<br>", " ") == label  # which network, whole
        assert label in fig.data[0].hovertemplate


def test_histogram_y_range_is_common_for_any_pair():
    flat, spiky = synthetic_stats("tanh", seed=1), synthetic_stats("tanh", seed=2)
    spiky.histogram[3, 7] = 0.6
    top = histogram_y_top([flat, spiky])
    assert top > 60
    for stats in (flat, spiky):
        assert histograms_figure(stats, y_top=top).layout.yaxis.range[1] == top
    assert histograms_figure(flat).layout.yaxis.range[1] < 60  # alone: its own range


def _check_distinguishable(fig: go.Figure, labels) -> None:
    drawn = [t for t in fig.data if _drawn(t.to_plotly_json())]
    networks = _networks(fig, labels)
    a, b = networks[labels[0]], networks[labels[1]]
    assert a and len(a) == len(b)
    assert drawn.index(a[-1]) < drawn.index(b[0]), "B is drawn on top of A"
    for ta, tb in zip(a, b):
        assert ta.line.color == ta.marker.color == PALETTE[0] and tb.line.color == tb.marker.color == PALETTE[1]
        assert ta.line.width >= 1.8 * tb.line.width, "A, wider, shows as an outline around B where they coincide"
        assert ta.marker.size >= 1.5 * tb.marker.size
        assert ta.marker.symbol.replace("-open", "") != tb.marker.symbol.replace("-open", "")
        assert ta.line.dash == tb.line.dash  # line styles name curve kinds, never networks


@MODES
@pytest.mark.parametrize("figure", [stats_figure, saturation_figure])
def test_coinciding_networks_stay_distinguishable(figure, presenter):
    same = synthetic_stats("tanh", seed=4)
    _check_distinguishable(figure([same, same], ["A: tanh", "B: tanh"], presenter), ["A: tanh", "B: tanh"])


@MODES
@pytest.mark.parametrize("key", COMPARE_KEYS)
def test_lesson_networks_stay_distinguishable(key, presenter):
    scene, data = lesson_data(key)
    for name in ("stats", "saturation"):
        _check_distinguishable(LAYERS.build_figure(name, scene, data, presenter=presenter), data.labels)


@MODES
@pytest.mark.parametrize("key", LESSON_KEYS)
def test_legend_has_one_entry_per_network_and_curve_kind(key, presenter):
    scene, data = lesson_data(key)
    for name in LAYERS.figure_names(scene):
        fig = LAYERS.build_figure(name, scene, data, presenter=presenter)
        entries = [t.name for t in fig.data if t.showlegend is not False]
        expected = {"stats": [*data.labels, "dL/dz", "dL/dW", RATIO_NAME, RULE_NAME], "saturation": list(data.labels),
                    "activation": [f"f(z) = {data.curve.label}", "f'(z) (local gradient)"]}.get(name, [])
        assert entries == expected, name
        if entries:  # outside the plot, above it, in the figure's (projector) font
            legend = fig.layout.legend
            assert legend.orientation == "h" and legend.yanchor == "bottom" and legend.y >= 1, name
            assert (legend.font.size or fig.layout.font.size) == Style.for_mode(presenter).legend_size


@MODES
@pytest.mark.parametrize("key", LESSON_KEYS)
def test_every_log_axis_labels_few_decades_that_do_not_overprint(key, presenter):
    """Every log axis is style.log_axis's: at most MAX_LOG_LABELS labelled decades, apart enough
    for the tick font on the plot's height (the projector's 10 … 10⁻¹² no longer overprint)."""
    scene, data = lesson_data(key)
    for name in LAYERS.figure_names(scene):
        spec = LAYERS.build_figure(name, scene, data, presenter=presenter).to_plotly_json()
        for axis_name, axis in spec["layout"].items():
            if not axis_name.startswith(("xaxis", "yaxis")) or axis.get("type") != "log":
                continue
            ref, letter = axis_name[0] + axis_name[5:], axis_name[0]
            values = [v for trace in spec["data"] if trace.get(f"{letter}axis", letter) == ref
                      for v in _values(trace.get(letter, [])) if np.isfinite(v)]
            check_log_axis(spec["layout"], axis_name, values)
