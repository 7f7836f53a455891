"""The initialization page's figures and their HTML export, drawn by a real Chromium (no server).

Text boxes measured in the page: subplot titles, axis titles, tick labels, the legend, the
figure's title and subtitle and an export's caption must lie inside the figure and not overlap.
The histograms are measured at the widths of a compare-mode column (550-750 px), the line
figures at full width; tests/test_layers_figure_text.py estimates the same without a browser.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import plotly
import pytest

from optviz.export.source import ExportRequest, render
from optviz.pages import PAGES
from test_layers_figures import COMPARE_KEYS, LESSON_KEYS, lesson_data

pytestmark = pytest.mark.browser

PAGE = PAGES["layers"]
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

# Every text of a drawn figure with its box (viewport px) and kind.
TEXTS = r"""
() => {
  const svg = document.querySelector('.main-svg').getBoundingClientRect();
  const out = [];
  const add = (kind, el, group) => {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && el.textContent.trim()) out.push({kind, group: group || kind, text: el.textContent,
                                                      x0: r.left, x1: r.right, y0: r.top, y1: r.bottom});
  };
  document.querySelectorAll('.infolayer .annotation').forEach(el => add('annotation', el.querySelector('text') || el));
  document.querySelectorAll('.infolayer .g-gtitle text').forEach(el => add('title', el));
  document.querySelectorAll('text[class$="title"]').forEach(el => { if (!el.closest('.g-gtitle')) add('axis title', el); });
  document.querySelectorAll('g[class$="tick"] > text').forEach(el => add('tick', el, el.parentNode.getAttribute('class')));
  const legend = document.querySelector('.legend .bg');
  if (legend) { const r = legend.getBoundingClientRect(); out.push({kind: 'legend', group: 'legend', text: 'legend',
                                                                      x0: r.left, x1: r.right, y0: r.top, y1: r.bottom}); }
  return {svg: {x0: svg.left, x1: svg.right, y0: svg.top, y1: svg.bottom}, texts: out};
}
"""


def _overlaps(a: dict, b: dict, pad: float = 1.0) -> bool:
    return a["x0"] < b["x1"] - pad and b["x0"] < a["x1"] - pad and a["y0"] < b["y1"] - pad and b["y0"] < a["y1"] - pad


def _check(measured: dict, what: str) -> None:
    svg, texts = measured["svg"], measured["texts"]
    for text in texts:
        inside = (text["x0"] >= svg["x0"] - 1 and text["x1"] <= svg["x1"] + 1 and text["y0"] >= svg["y0"] - 1
                  and text["y1"] <= svg["y1"] + 1)
        assert inside, f"{what}: {text['kind']} {text['text'][:50]!r} is cut off"
    for a, b in itertools.combinations(texts, 2):
        if a["kind"] == b["kind"] == "tick" and a["group"] == b["group"]:
            continue  # Plotly spaces one axis's own labels
        assert not _overlaps(a, b), f"{what}: {a['kind']} {a['text'][:40]!r} overlaps {b['kind']} {b['text'][:40]!r}"


def _draw(page, fig, width: int) -> dict:
    spec = json.loads(fig.to_json())
    spec["layout"]["width"] = width
    if not page.evaluate("() => typeof Plotly !== 'undefined' && !!document.getElementById('g')"):
        page.set_content("<html><body style='margin:0'><div id=g></div></body></html>")
        page.add_script_tag(path=str(PLOTLY_JS))  # once per page: plotly.js is 4.7 MB
    page.evaluate("spec => Plotly.newPlot('g', spec.data, spec.layout, {displayModeBar: false})", spec)
    page.wait_for_selector(".main-svg")
    return page.evaluate(TEXTS)


@pytest.mark.parametrize("key", COMPARE_KEYS)
def test_compare_histograms_in_chromium(figure_tab, key):
    scene, data = lesson_data(key)
    for name in ("histograms", "histograms_b"):
        for presenter in (False, True):
            fig = PAGE.build_figure(name, scene, data, presenter=presenter)
            for width in (550, 750):
                _check(_draw(figure_tab, fig, width), f"{key} {name} presenter={presenter} at {width} px")


@pytest.mark.parametrize("key", [key for key in LESSON_KEYS if key not in COMPARE_KEYS])
def test_one_row_of_histograms_in_chromium(figure_tab, key):
    """One network on the projector: its layers in one row, at presenter widths from 1024 to 1600 px."""
    scene, data = lesson_data(key)
    fig = PAGE.build_figure("histograms", scene, data, presenter=True)
    for width in (860, 1120, 1440):
        _check(_draw(figure_tab, fig, width), f"{key} histograms presenter at {width} px")


@pytest.mark.parametrize("key", COMPARE_KEYS)
def test_line_figures_in_chromium(figure_tab, key):
    scene, data = lesson_data(key)
    for name in ("stats", "saturation", "activation"):
        for presenter in (False, True):
            fig = PAGE.build_figure(name, scene, data, presenter=presenter)
            _check(_draw(figure_tab, fig, 900), f"{key} {name} presenter={presenter} at 900 px")


def test_html_export_shows_the_whole_title_and_caption(figure_tab, tmp_path):
    scene, data = lesson_data(COMPARE_KEYS[0])
    source = PAGE.exportable(scene, data)
    jobs = [(name, (1200, 800)) for name in PAGE.figure_names(scene)] + [("histograms_b", (800, 560))]
    for name, (width, height) in jobs:
        path = tmp_path / f"{name}-{width}.html"
        path.write_bytes(render(source, name, ExportRequest(fmt="html", width=width, height=height)))
        figure_tab.goto(path.as_uri())
        figure_tab.wait_for_selector(".main-svg")
        measured = figure_tab.evaluate(TEXTS)
        _check(measured, f"{name} exported at {width}x{height}")  # title, subtitle, caption: inside, apart
        shown = "".join(t["text"] for t in measured["texts"] if t["kind"] == "annotation")
        assert "".join(source.caption.split()) in "".join(shown.split()), f"{name}: the caption is not shown whole"
        assert source.caption in figure_tab.title(), name
        fig_title = PAGE.build_figure(name, scene, data).layout.title
        if fig_title.text:
            assert fig_title.text in figure_tab.title()
            assert fig_title.text in [t["text"] for t in measured["texts"] if t["kind"] == "title"]


@pytest.mark.parametrize("key", list(dict.fromkeys([LESSON_KEYS[0], *COMPARE_KEYS])))
def test_margins_already_hold_the_labels(figure_tab, key):
    """Plotly's automargin finds nothing to widen (a second pass is a whole redraw): the line figures
    at 1100 px (a full-width figure on a projector), the histograms at 650 px (a compare-mode column)."""
    scene, data = lesson_data(key)
    for name in PAGE.figure_names(scene):
        for presenter in (False, True):
            fig = PAGE.build_figure(name, scene, data, presenter=presenter)
            width = 650 if name.startswith("histograms") else 1100
            _draw(figure_tab, fig, width)
            given, drawn = figure_tab.evaluate("() => { const gd = document.getElementById('g');"
                                         " return [gd.layout.margin, gd._fullLayout._size]; }")
            for side in "lrtb":
                assert abs(drawn[side] - given[side]) <= 1, \
                    f"{key} {name} presenter={presenter}: margin {side} given {given[side]} px, labels needed {drawn[side]:.0f}"
