"""benchmarks/bench_browser.py counts Plotly's draws per slider change with a hook on every chart
div's `emit` (`_COUNT_DRAWS`). Here it runs in a real Chromium with plotly.js and no server: one
count per draw (newPlot, a full react, a relayout), none for a hover or other events, and for
every div on the page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_browser import _COUNT_DRAWS  # noqa: E402
from test_layers_figures_browser import PLOTLY_JS  # noqa: E402

pytestmark = pytest.mark.browser

LINE = {"data": [{"type": "scatter", "x": [0, 1, 2], "y": [1, 3, 2]}], "layout": {"width": 400, "height": 300}}


def test_each_draw_is_counted_once(figure_tab):
    figure_tab.set_content("<html><body><div id=a></div><div id=b></div></body></html>")
    figure_tab.evaluate(_COUNT_DRAWS)  # before plotly.js gives the divs their `emit`, as the init script does
    figure_tab.add_script_tag(path=str(PLOTLY_JS))
    draws = lambda: figure_tab.evaluate("() => window.__draws")  # noqa: E731
    figure_tab.evaluate("f => Plotly.newPlot('a', f.data, f.layout)", LINE)
    assert draws() == 1
    figure_tab.evaluate("f => Plotly.newPlot('b', f.data, f.layout)", LINE)  # another chart counts too
    assert draws() == 2
    figure_tab.evaluate("() => document.getElementById('a').emit('plotly_hover', {points: []})")
    assert draws() == 2  # other events are not draws
    figure_tab.evaluate("() => Plotly.relayout('a', {title: {text: 'new'}})")
    assert draws() == 3
    figure_tab.evaluate("f => Plotly.react('a', [{...f.data[0], y: [3, 1, 2]}], f.layout)", LINE)
    assert draws() == 4
