"""benchmarks/figure_app.py, the "figure alone" that bench_browser.py times beside each page: for
every key control of every page of the registry, it shows the page's main figure under the page's
own chart key, and each step of its slider draws a new figure (else the benchmark's wait for a
redrawn chart would time out instead of measuring)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optviz.pages import PAGES

FIGURE_APP = Path(__file__).resolve().parents[1] / "benchmarks" / "figure_app.py"
CONTROLS = [(page.key, label, key) for page in PAGES.values() for label, key in page.key_controls]


def _run(page: str, key: str) -> AppTest:
    at = AppTest.from_file(str(FIGURE_APP), default_timeout=300)
    at.query_params["page"] = page
    at.query_params["key"] = key
    return at.run()


def _shape(spec: str) -> tuple[list[str], dict[str, str]]:
    """A figure's trace types and axis titles: what the slider's setting does not change."""
    figure = json.loads(spec)
    axes = {k: (v.get("title") or {}).get("text") for k, v in figure["layout"].items() if k[1:5] == "axis"}
    return [t.get("type", "scatter") for t in figure["data"]], axes


@pytest.mark.parametrize("page,label,key", CONTROLS, ids=[f"{p}-{k}" for p, _, k in CONTROLS])
def test_each_step_draws_the_pages_main_figure_anew(page, label, key):
    at = _run(page, key)
    assert not at.exception, at.exception
    assert [s.label for s in at.sidebar.slider] == [label]
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    first = charts[0].proto.spec
    spec = PAGES[page]
    default = spec.build_figure(spec.main_figure, spec.scene_type(), spec.compute(spec.scene_type()))
    assert _shape(first) == _shape(default.to_json())  # the page's own figure, not a stand-in
    at.sidebar.slider[0].set_value(7).run()
    assert not at.exception, at.exception
    assert at.get("plotly_chart")[0].proto.spec != first
