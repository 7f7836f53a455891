"""optviz.style.log_axis on spans under two decades: full numbers (0.02, 0.05, 0.1), and on a span
too narrow to hold two of the 1-2-5 values, evenly spaced round values, never a lone "1"."""

from __future__ import annotations

import math

import pytest

from optviz.style import linear_labels, log_axis


@pytest.mark.parametrize("low, high, labels", [
    (0.8, 1.3, [0.8, 1.0, 1.2]),
    (0.55, 1.9, [1.0, 1.5]),
    (1.0, 1.1, [1.0, 1.025, 1.05, 1.075, 1.1]),
    (0.0031, 0.0042, [0.0035, 0.004]),
    (120.0, 180.0, [120.0, 140.0, 160.0, 180.0]),
])
def test_a_narrow_span_is_labelled_with_round_values_inside_it(low, high, labels):
    axis = log_axis([low, (low + high) / 2, high], title=dict(text="std"))
    assert axis["type"] == "log" and axis["title"] == {"text": "std"}
    assert axis["tickmode"] == "array" and axis["tickvals"] == pytest.approx(labels)
    assert all(low <= v <= high for v in axis["tickvals"])
    assert axis["ticktext"] == [f"{v:.4g}" for v in labels]


@pytest.mark.parametrize("low, high", [(0.4, 2.5), (0.03, 0.9), (0.15, 0.6), (1.0, 2.0)])
def test_a_span_holding_two_one_two_five_values_keeps_plotlys_labels(low, high):
    axis = log_axis([low, high])
    assert axis["dtick"] == "D2" and "tickvals" not in axis


@pytest.mark.parametrize("low, high", [(0.8, 1.3), (1.0, 1.0001), (3e-7, 4e-7), (5.0, 9.0)])
def test_linear_labels_are_few_round_and_inside(low, high):
    values = linear_labels(low, high)
    assert 1 <= len(values) <= 5 and all(low - 1e-12 <= v <= high + 1e-12 for v in values)
    steps = {round(b - a, 15) for a, b in zip(values, values[1:])}
    assert len(steps) <= 1  # evenly spaced
    for step in steps:
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5)), step


@pytest.mark.parametrize("data, log_range, labels", [
    ([0.628, 0.6295], [-0.7016, 0.2984], None),  # batch norm's flat std on a decade's range: Plotly's 0.2, 0.5, 1
    ([0.0434, 0.044], [-1.8594, -0.8594], None),
    ([1.001, 1.002], [-0.05, 0.05], [0.9, 1.0, 1.1]),  # a range under 1-2-5 values: round values across it
])
def test_a_given_range_is_labelled_not_the_datas_narrower_span(data, log_range, labels):
    """A near-constant curve on an axis given a wider range: the labels spread over the range shown
    (labels for the data alone sat within a few px and overprinted: "06229")."""
    axis = log_axis(data, range=log_range)
    if labels is None:
        assert axis["dtick"] == "D2" and "tickvals" not in axis
    else:
        assert axis["tickvals"] == pytest.approx(labels)
