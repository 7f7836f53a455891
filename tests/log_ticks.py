"""The rule every log axis of optviz keeps (optviz.style.log_axis): few labelled decades, never
overprinted on the projector. Shared by the figure tests."""

from __future__ import annotations

import math

import numpy as np

from optviz.style import MAX_LOG_LABELS, log_labels

LABEL_HEIGHT_EM = 1.45
"""Height of a "10⁻¹²" tick label (a raised exponent over the digits) in tick-font sizes."""


def check_log_axis(layout: dict, name: str, values) -> list[int]:
    """Assert that log axis `name` ("yaxis2") of a figure's layout labels at most MAX_LOG_LABELS
    decades, far enough apart for its tick font on the plot's height, minor ticks unlabelled;
    returns the labelled exponents."""
    axis = layout[name]
    assert axis.get("type") == "log", name
    data = np.asarray([v for v in np.ravel(np.asarray(values, dtype=float)) if np.isfinite(v) and v > 0])
    if axis.get("range") is not None:
        low, high = sorted(float(v) for v in axis["range"])
    else:
        assert data.size, name
        low, high = float(np.log10(data.min())), float(np.log10(data.max()))
    dtick = axis.get("dtick")
    if high - low < 2 and axis.get("tickmode") == "array":  # a narrow span: evenly spaced round values
        values = [float(v) for v in axis["tickvals"]]
        assert len(values) >= 2 and len(axis["ticktext"]) == len(values), (name, values)
        assert all(10 ** low * (1 - 1e-9) <= v <= 10 ** high * (1 + 1e-9) for v in values), (name, values, low, high)
        return []
    if high - low < 2:  # full numbers, 2 and 5 in a decade
        assert dtick == "D2" and axis.get("tickformat"), name
        return []
    assert isinstance(dtick, int) and dtick >= 1 and axis.get("exponentformat") == "power", (name, dtick)
    labels = log_labels(low, high, dtick)
    assert 1 <= len(labels) <= MAX_LOG_LABELS, (name, labels)
    minor = axis.get("minor", {})
    assert minor.get("ticks") == "outside" and minor.get("dtick") == ("D1" if dtick == 1 else 1), (name, minor)
    margin = layout.get("margin", {})
    domain = axis.get("domain", [0, 1])
    length = (layout["height"] - margin.get("t", 0) - margin.get("b", 0)) * (domain[1] - domain[0])
    font = (axis.get("tickfont") or {}).get("size") or layout.get("font", {}).get("size", 12)
    if len(labels) >= 2:
        pitch = length * dtick / (high - low)
        assert pitch >= LABEL_HEIGHT_EM * font, (name, f"labels {pitch:.0f} px apart at font {font}")
    assert math.isfinite(length) and length > 0
    return labels
