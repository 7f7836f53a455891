"""benchmarks/component_app.py, the "figure alone, one draw" that bench_browser.py times: in a real
Streamlit server and Chromium, it shows the page's own main figure, and a slider change redraws
it in the same div with one Plotly draw (what it exists to measure), where `st.plotly_chart`
mounts a new chart and draws it twice."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_browser import _COUNT_DRAWS  # noqa: E402
from component_app import serving_folder  # noqa: E402
from harness import StreamlitServer, browser_unavailable  # noqa: E402
from optviz.pages import PAGES  # noqa: E402

pytestmark = pytest.mark.browser

# The trajectory map: a slider step rotates the surface, so every step is a new figure.
PAGE, KEY = "trajectories", "angle"


@pytest.fixture(scope="module")
def component_tab(playwright_instance):
    """The component app (in a temporary serving folder) and a tab on its trajectory map."""
    from browser_support import Browser

    reason = browser_unavailable()
    if reason:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set but the browser checks cannot run: {reason}")
        pytest.skip(reason)
    folder = tempfile.mkdtemp(prefix="optviz-component-app-")
    server = StreamlitServer(serving_folder(Path(folder)), args=["--server.enableStaticServing", "true"])
    try:
        server.start(timeout=120)
        browser = Browser(server.url, playwright=playwright_instance)
        browser.context.add_init_script(_COUNT_DRAWS)
        try:
            page = browser.open("", {"page": PAGE, "key": KEY}, charts=1)
            yield page
        finally:
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_it_shows_the_pages_own_main_figure(component_tab):
    spec = PAGES[PAGE]
    default = spec.build_figure(spec.main_figure, spec.scene_type(), spec.compute(spec.scene_type()))
    shown = component_tab.traces(spec.main_figure)
    assert [t["type"] or "scatter" for t in shown] == [t.type for t in default.data]
    assert [t["name"] for t in shown] == [t.name for t in default.data]
    assert component_tab.exceptions() == [] and component_tab.console_errors() == []


def test_a_slider_change_redraws_the_same_div_once(component_tab):
    from browser_support import slider

    chart = component_tab.chart_selector(PAGES[PAGE].main_figure)
    component_tab.page.evaluate("sel => { document.querySelector(sel).__kept = true; window.__draws = 0; }", chart)
    before = component_tab.traces(PAGES[PAGE].main_figure)
    s = slider(component_tab)
    s.focus()
    component_tab.rerun(lambda: s.press("ArrowRight"))
    component_tab.page.wait_for_timeout(500)  # a second draw, were there one, comes after the first
    assert component_tab.page.evaluate("sel => document.querySelector(sel).__kept === true", chart)  # not remounted
    assert component_tab.page.evaluate("() => window.__draws") == 1
    after = component_tab.traces(PAGES[PAGE].main_figure)
    assert [t["x"] for t in after] != [t["x"] for t in before]  # the rotated surface's paths
