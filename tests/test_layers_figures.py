"""figures.layers: every builder works for every activation and initializer, checked on the JSON.

Statistics are synthetic (no JAX compile) except for one end-to-end check with a real network.
"""

from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.activations import ACTIVATIONS
from optviz.layers.figures import (
    LOG_FLOOR,
    activation_figure,
    histograms_figure,
    saturation_figure,
    stats_figure,
)
from optviz.style import PALETTE
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
        preact_std=np.ones(depth),
        saturated=rng.random(depth) if ACTIVATIONS[activation].saturation else np.zeros(depth),
        dead=rng.random(depth) * 0.1 if ACTIVATIONS[activation].can_die else np.zeros(depth),
        zero=np.full(depth, 0.5) if ACTIVATIONS[activation].can_die else np.zeros(depth),
        grad_std=1.2 ** np.arange(depth),
        weight_grad_std=np.full(depth, 0.01),
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


def _check_common(fig: go.Figure):
    data = fig.to_plotly_json()
    assert data["data"], "no traces"
    for trace in data["data"]:
        assert trace.get("hovertemplate"), f"trace {trace.get('name')} has no hover text"
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
        assert any(t for name, t in titles.items() if name.startswith("xaxis")), titles
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
    assert len(data["data"]) == 8  # mean, std, dL/dz, dL/dW per configuration
    layout = data["layout"]
    assert layout["yaxis2"]["type"] == "log" and layout["yaxis3"]["type"] == "log"
    assert "type" not in layout["yaxis"] or layout["yaxis"]["type"] == "linear"
    titles = _axis_titles(fig)
    assert titles["xaxis"] == titles["xaxis2"] == titles["xaxis3"] == "layer"
    assert "mean" in titles["yaxis"] and "std" in titles["yaxis2"] and "gradient" in titles["yaxis3"]
    assert any("dL/dz solid, dL/dW dashed" in a["text"] for a in layout["annotations"])
    colours = {trace["name"]: trace["line"]["color"] for trace in data["data"] if trace["showlegend"] is not False}
    assert colours == {"Xavier": PALETTE[0], "He": PALETTE[1]}
    dashed = [trace for trace in data["data"] if trace["line"]["dash"] == "dash"]
    assert [trace["name"] for trace in dashed] == ["Xavier: dL/dW", "He: dL/dW"]
    np.testing.assert_allclose(_values(data["data"][1]["y"]), first.std, rtol=1e-6)


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
    assert texts[0].startswith("layer 1: mean")
    assert any("5% < -1" in t and "5% > 1" in t for t in texts)
    titles = _axis_titles(fig)
    assert titles["yaxis"] == "% of entries" and "activation h" in titles["xaxis6"]
    assert layout["title"]["text"] == "tanh"


def test_relu_histograms_set_exact_zeros_apart():
    stats = synthetic_stats("relu", depth=3)
    fig = histograms_figure(stats)
    first_bar = fig.data[0]
    assert first_bar.y[0] == pytest.approx(max(100 * stats.histogram[0, 0] - 50.0, 0.0))
    assert any("50% = 0" in a.text for a in fig.layout.annotations)
    assert "exactly 0" in first_bar.hovertemplate


@pytest.mark.parametrize("depth", [1, 7, 50])
def test_histograms_any_depth(depth):
    fig = histograms_figure(synthetic_stats("gelu", depth=depth), presenter=depth == 50)
    assert len(fig.data) == depth
    titles = _axis_titles(fig)
    assert sum("activation h" in t for name, t in titles.items() if name.startswith("xaxis")) == min(5, depth)


def test_saturation_figure_says_not_applicable():
    tanh, relu = synthetic_stats("tanh"), synthetic_stats("relu")
    fig = saturation_figure([tanh, relu], ["tanh", "relu"])
    assert len(fig.data) == 4
    assert "|a| > 0.97" in fig.data[0].customdata[0][0]
    assert "does not saturate" in fig.data[2].customdata[0][0]
    assert "cannot die" in fig.data[1].customdata[0][0]
    np.testing.assert_allclose(fig.data[0].y, 100 * tanh.saturated)
    titles = _axis_titles(fig)
    assert "%" in titles["yaxis"] and "%" in titles["yaxis2"]


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
