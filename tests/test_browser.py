"""optviz in a real browser: Chromium (Playwright) against one real optviz server per session.

What AppTest cannot see: the page as drawn. Console errors, Streamlit exception boxes, keyboard
on sliders, typing in number boxes, a click on the contour map, share links in a fresh browser,
the files the export buttons download, plotly's playback animation over the surface, divergence
markers, lesson links and presenter mode.

Helpers are in tests/browser_support.py; the pages come from the registry (optviz.pages.PAGES),
and the flows below that are parametrized over pages pick a new page up by themselves.

Skipped when Playwright or Chromium is missing, unless the environment variable CI is set: then
every test fails instead (a CI without a browser must not pass silently).
Run: .venv/bin/python -m pytest tests/test_browser.py -q
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import urllib.parse
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from harness import AppServer, browser_unavailable
from browser_support import (
    HOME,
    PLOT,
    PlaywrightTimeout,
    TRAJECTORIES,
    AppPage,
    Browser,
    PageSpec,
    Unavailable,
    app_pages,
    chart_pages,
    choose_export_format,
    download,
    expand,
    sidebar,
    slider,
    switch,
    tab,
)

pytestmark = pytest.mark.browser


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def app_browser(playwright_instance):
    """One optviz server and one Chromium for the whole session (both are slow to start)."""
    reason = browser_unavailable()
    if reason:
        if _ci():
            yield Unavailable(reason)  # each test then fails when it uses the browser
            return
        pytest.skip(reason)
    server = AppServer().start(timeout=120)
    try:
        browser = Browser(server.url, playwright=playwright_instance)
        browser.server = server
        try:
            yield browser
        finally:
            browser.close()
    finally:
        server.stop()


@pytest.fixture
def browser(app_browser):
    """The session's browser; the tabs a test opens are closed after it."""
    yield app_browser
    if not isinstance(app_browser, Unavailable):
        app_browser.close_pages()


def test_the_home_pages_links_show_their_whole_labels(browser):
    """At 1280x720 every page and lesson link on the landing page shows its whole title (wrapped in
    its column, not clipped at its edge)."""
    page = browser.new_page()
    page.page.set_viewport_size(PROJECTOR)
    page.goto("", charts=0)
    page.page.wait_for_selector("[data-testid=stMain] [data-testid=stPageLink-NavLink]")
    links = page.page.evaluate("""() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stPageLink-NavLink]')]
        .map(a => { const box = a.querySelector('[data-testid=stMarkdownContainer]').parentElement;
                    return [a.innerText, box.scrollWidth - box.clientWidth]; })""")
    from optviz.pages import LESSONS

    assert len(links) >= len(LESSONS)
    clipped = [text for text, overflow in links if overflow > 1]  # the label's box clips what it cannot hold
    assert not clipped, clipped
    page.assert_healthy()


def _press_away_from_end(page: AppPage, label: str) -> float:
    """Move a sidebar slider one step with the keyboard (left if it is at its maximum); seconds
    until the rerun is shown (the main chart's data and the URL changed)."""
    s = slider(page, label)
    s.focus()
    key = "ArrowLeft" if s.input_value() == s.get_attribute("max") else "ArrowRight"
    return page.rerun(lambda: s.press(key), url=True)


# -- every page ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", app_pages(), ids=str)
def test_page_loads_without_console_errors_or_exceptions(browser, spec: PageSpec):
    page = browser.open_spec(spec)
    assert spec.heading in page.text("[data-testid=stMain] h1")
    assert len(page.page.locator(PLOT).all()) >= spec.charts
    if spec is HOME:  # every lesson is one click away
        from optviz.pages import LESSONS

        links = page.page.get_by_test_id("stMain").get_by_test_id("stPageLink")
        assert links.count() >= len(LESSONS)
    page.page.wait_for_timeout(500)  # late console errors (e.g. from plotly drawing) still count
    page.assert_healthy()


def test_a_deep_link_is_the_first_request_of_a_fresh_server(app_browser):
    """A shared link opened before anyone visited the server: st.navigation routes it (not the
    legacy `pages/` app that Streamlit assumes until then; see optviz.ui.server)."""
    if isinstance(app_browser, Unavailable):
        app_browser.fail  # noqa: B018  (fails the test in CI: the browser must run there)
    spec = chart_pages()[-1]
    key = spec.sliders[0][1]
    with AppServer() as server:
        browser = Browser(server.url, playwright=app_browser.playwright)
        try:
            page = browser.open(spec.path, {key: "1.5"}, charts=spec.charts, ready=spec.ready)
            assert spec.heading in page.text("[data-testid=stMain] h1")
            assert page.query().get(key) == "1.5"
            # app.py's navigation (Home and the registry's titles), not the legacy list of files
            # (app, home, layers, trajectories) that an unpatched fresh server shows.
            links = page.page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
            assert len(links) == len(app_pages()) and any(spec.heading in link for link in links), links
            page.assert_healthy()
        finally:
            browser.close()


@pytest.mark.parametrize("spec", chart_pages(), ids=str)
def test_every_view_draws_its_charts_without_errors(browser, spec: PageSpec):
    page = browser.open_spec(spec)
    for label, keys in spec.views:
        page.rerun(lambda: tab(page, label).click(), charts=None, url=True, until=page.charts_shown_js(keys))
        assert tab(page, label).get_attribute("aria-selected") == "true"
    page.page.wait_for_timeout(500)
    page.assert_healthy()


@pytest.mark.parametrize("spec", chart_pages(), ids=str)
def test_moving_a_slider_changes_the_chart_and_the_link(browser, spec: PageSpec):
    page = browser.open_spec(spec)
    for label, key in spec.sliders:
        before_query, before_chart = page.query(), page.raw_data(spec.main_chart)
        _press_away_from_end(page, label)
        assert page.query()[key] != before_query[key], f"{label}: the link did not change"
        assert page.raw_data(spec.main_chart) != before_chart, f"{label}: the chart did not change"
    page.assert_healthy()


@pytest.mark.parametrize("spec", chart_pages(), ids=str)
def test_share_link_in_a_fresh_browser_shows_the_same_scene(browser, spec: PageSpec):
    page = browser.open_spec(spec)
    _press_away_from_end(page, spec.sliders[0][0])  # not the default scene
    keys = (spec.main_chart,)
    if spec.share_view:  # and not the default tab: the link holds the open view too
        keys = spec.share_charts
        page.rerun(lambda: tab(page, spec.share_view).click(), charts=None, url=True, until=page.charts_shown_js(keys))
    link, data = page.page.url, page.all_raw_data()
    assert len(data) == len(keys)

    with browser.fresh_browser() as other:
        parts = urllib.parse.urlsplit(link)
        shared = other.open(parts.path, parts.query, charts=len(keys), ready=page.chart_selector(keys[-1]))
        shared.page.wait_for_function(f"() => {shared.charts_shown_js(keys)}")
        assert shared.query() == page.query()
        if spec.share_view:
            assert tab(shared, spec.share_view).get_attribute("aria-selected") == "true"
        assert shared.all_raw_data() == data, "the shared link draws different trace data"
        shared.assert_healthy()
    page.assert_healthy()


@pytest.mark.parametrize("spec", chart_pages(), ids=str)
def test_presenter_mode_hides_the_sidebar_and_enlarges_figure_and_fonts(browser, spec: PageSpec):
    page = browser.open_spec(spec)
    before = page.layout(spec.main_chart)
    text_px = lambda: float(page.page.evaluate(  # noqa: E731  (a paragraph of the page, e.g. a label)
        "getComputedStyle(document.querySelector('[data-testid=stMain] [data-testid=stMarkdownContainer] p')).fontSize")
        .rstrip("px"))
    text_before = text_px()

    sel = page.chart_selector(spec.main_chart)
    page.rerun(lambda: switch(page, "Presenter mode").click(), charts=sel, url=True)
    with contextlib.suppress(PlaywrightTimeout):  # the chart is resized after the sidebar is hidden
        page.page.wait_for_function("([sel, w]) => document.querySelector(sel).getBoundingClientRect().width > w",
                                    arg=[sel, before["width"]], timeout=5000)
    on = page.layout(spec.main_chart)
    assert page.query().get("presenter") == "1"
    assert on["fontSize"] > before["fontSize"], (before, on)
    # It takes the width the sidebar leaves (its height is set to fit a 1280x720 projector's first
    # screen, so the layers figure is no taller): wider, and no smaller.
    assert on["width"] > 1.2 * before["width"] and on["width"] * on["height"] > before["width"] * before["height"], \
        (before, on)
    assert text_px() > text_before
    assert not sidebar(page).is_visible()  # the controls moved into a menu
    assert page.page.get_by_role("button", name="⚙ Controls").is_visible()

    page.rerun(lambda: switch(page, "Presenter mode").click(), charts=sel, url=True)
    with contextlib.suppress(PlaywrightTimeout):
        page.page.wait_for_function("([sel, w]) => document.querySelector(sel).getBoundingClientRect().width <= w",
                                    arg=[sel, before["width"]], timeout=5000)
    off = page.layout(spec.main_chart)
    assert "presenter" not in page.query()
    assert (off["fontSize"], off["width"], off["height"]) == (before["fontSize"], before["width"], before["height"])
    assert sidebar(page).is_visible()
    page.assert_healthy()


PROJECTOR = {"width": 1280, "height": 720}
# The main chart's plotting area (the union of its subplots' axes rectangles) in viewport pixels,
# and the chart's own width.
_PLOT_AREA_JS = """(sel) => {
  const gd = document.querySelector(sel), r = gd.getBoundingClientRect(), l = gd._fullLayout;
  const xs = Object.keys(l).filter(k => /^xaxis\\d*$/.test(k)).map(k => l[k]);
  const ys = Object.keys(l).filter(k => /^yaxis\\d*$/.test(k)).map(k => l[k]);
  const left = Math.min(...xs.map(a => a._offset)), right = Math.max(...xs.map(a => a._offset + a._length));
  const top = Math.min(...ys.map(a => a._offset)), bottom = Math.max(...ys.map(a => a._offset + a._length));
  return {top: r.top + top, height: bottom - top, left: r.left + left, width: right - left, chart: r.width};
}"""


def _wordiest_lesson(page_key: str):
    from optviz.pages import PAGES

    return max(PAGES[page_key].lessons, key=lambda lesson: len(lesson.text) + len(lesson.look_for))


def _lesson_chart(spec: PageSpec, lesson) -> tuple[str, int, str]:
    """(main chart, charts, ready selector) a lesson opens: its view's first figure when it names a
    view (a lesson opens the tab its claim is on), else the page's main chart."""
    from optviz.pages import PAGES

    page = PAGES[spec.name]
    if lesson is None or page.lesson_view(lesson) is None:
        return spec.main_chart, spec.charts, spec.ready
    scene = lesson.make_scene()
    view = next(v for v in page.views if v.label == page.lesson_view(lesson))
    names = [name for name in view.figures if page.has_figure(name, scene)]
    return names[0], len(names), f".st-key-{names[0]} {PLOT}"


def _first_screen_cases():
    cases = []
    for spec in chart_pages():
        for query, what in (({}, "default"), ({"scene": _wordiest_lesson(spec.name).key}, "wordiest-lesson")):
            for presenter in (False, True):
                cases.append(pytest.param(spec, query, presenter, id=f"{spec.name}-{what}-{'presenter' if presenter else 'screen'}"))
    return cases


@pytest.mark.parametrize("spec, query, presenter", _first_screen_cases())
def test_the_main_figure_is_on_the_first_screen_of_a_projector(browser, spec: PageSpec, query: dict, presenter: bool):
    """At 1280x720 at least two-thirds of the main chart's plotting area is visible without scrolling,
    with the page's wordiest lesson too, in both modes; the pages stay reachable in presenter mode."""
    page = browser.new_page()
    page.page.set_viewport_size(PROJECTOR)
    main, charts, ready = _lesson_chart(spec, _wordiest_lesson(spec.name) if query else None)
    page.goto(spec.path, {**query, **({"presenter": "1"} if presenter else {})}, charts=charts, ready=ready)
    page.page.wait_for_timeout(300)  # plotly's last relayout
    area = page.page.evaluate(_PLOT_AREA_JS, page.chart_selector(main))
    visible = max(0.0, min(area["top"] + area["height"], PROJECTOR["height"]) - max(area["top"], 0.0))
    assert visible >= 2 / 3 * area["height"], f"{visible:.0f} of {area['height']:.0f} px of the plot on the first screen"
    assert area["width"] >= 0.6 * area["chart"], area  # and it uses the chart's width
    if query:
        assert page.page.get_by_test_id("stAlert").filter(has_text=_wordiest_lesson(spec.name).title).count() == 1
    if presenter:  # the sidebar is hidden: every page is one click away in the top bar
        for other in chart_pages():
            if other is not spec:
                assert page.page.locator(f'.st-key-ov-topbar a[href$="{other.path}"]').first.is_visible(), other.name
    page.assert_healthy()


def _lessons_opening(view: str) -> list[str]:
    from optviz.pages import LESSONS, PAGES

    return [key for key, lesson in LESSONS.items() if PAGES[lesson.page].lesson_view(lesson) == view]


def _projector_lesson(browser, lesson: str, ready: str) -> AppPage:
    """A training-lab lesson at 1280x720 in presenter mode, once the chart `ready` is drawn."""
    spec = next(s for s in chart_pages() if s.name == "training")
    page = browser.new_page()
    page.page.set_viewport_size(PROJECTOR)
    page.goto(spec.path, {"scene": lesson, "presenter": "1"}, ready=ready)
    page.page.wait_for_timeout(300)  # plotly's last relayout
    return page


@pytest.mark.parametrize("lesson", _lessons_opening("Confusion & errors"))
def test_a_lessons_confusion_matrices_are_whole_on_a_projectors_first_screen(browser, lesson: str):
    """A lesson on the confusion matrix names cells by row and column (lab_digits: row 8, column 1):
    at 1280x720 in presenter mode every row of each matrix shown and the column labels under it are
    on the first screen."""
    page = _projector_lesson(browser, lesson, ".st-key-confusion .js-plotly-plot")
    matrices = page.page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-confusion"] .js-plotly-plot')]
        .map(gd => [gd.querySelector('.nsewdrag').getBoundingClientRect().bottom,
                    Math.max(...[...gd.querySelectorAll('.xtick text')].map(t => t.getBoundingClientRect().bottom))])""")
    assert matrices, "no confusion matrix drawn"
    for plot_bottom, labels_bottom in matrices:
        assert plot_bottom <= PROJECTOR["height"] and labels_bottom <= PROJECTOR["height"], (plot_bottom, labels_bottom)
    page.assert_healthy()


@pytest.mark.parametrize("lesson", _lessons_opening("Decision boundary"))
def test_a_lessons_decision_boundaries_are_whole_on_a_projectors_first_screen(browser, lesson: str):
    """A lesson on the decision boundary (lab_linear: A's is straight, B's curves) shows each run's
    plane, its x labels and its title line whole at 1280x720 in presenter mode, under the lesson
    box, the tabs and the caption."""
    page = _projector_lesson(browser, lesson, ".st-key-boundary .js-plotly-plot")
    planes = page.page.evaluate("""() => [...document.querySelectorAll('[class*="st-key-boundary"] .js-plotly-plot')]
        .map(gd => [gd.querySelector('.nsewdrag').getBoundingClientRect().bottom,
                    Math.max(...[...gd.querySelectorAll('.xtick text')].map(t => t.getBoundingClientRect().bottom)),
                    gd.querySelector('.gtitle').getBoundingClientRect().right, gd.getBoundingClientRect().right])""")
    assert len(planes) == 2, planes  # the lessons compare A and B
    for plot_bottom, labels_bottom, title_right, chart_right in planes:
        assert plot_bottom <= PROJECTOR["height"] and labels_bottom <= PROJECTOR["height"], (plot_bottom, labels_bottom)
        assert title_right <= chart_right, (title_right, chart_right)
    page.assert_healthy()


def test_compare_mode_subplot_titles_never_overlap(browser):
    """The histograms of A and B side by side at 1280x720: no two subplot titles' boxes overlap."""
    from optviz.pages import LESSONS

    lesson = next(lesson for lesson in LESSONS.values() if lesson.page == "layers" and "b.activation" in lesson.make_scene().to_query())
    spec = next(s for s in chart_pages() if s.name == "layers")
    for presenter in (False, True):
        page = browser.new_page()
        page.page.set_viewport_size(PROJECTOR)
        query = {"scene": lesson.key, "view": "2", **({"presenter": "1"} if presenter else {})}
        page.goto(spec.path, query, charts=2, ready=".st-key-histograms_b .js-plotly-plot")
        page.page.wait_for_timeout(300)
        boxes = page.page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(gd =>
            [...gd.querySelectorAll('.annotation-text, .g-xtitle text, .g-ytitle text, .gtitle')].map(el => {
                const r = el.getBoundingClientRect(); return [el.textContent, r.left, r.top, r.right, r.bottom]; }))""")
        assert len(boxes) == 2 and all(len(b) >= 10 for b in boxes), boxes
        for chart in boxes:
            for i, (text_a, *a) in enumerate(chart):
                for text_b, *b in chart[i + 1:]:
                    overlap = min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1
                    assert not overlap, f"{'presenter' if presenter else 'screen'}: {text_a!r} overlaps {text_b!r}"
        page.assert_healthy()


@pytest.mark.parametrize("presenter", [False, True], ids=["screen", "presenter"])
@pytest.mark.parametrize("spec", chart_pages(), ids=str)
def test_main_chart_margins_already_hold_its_labels(browser, spec: PageSpec, presenter: bool):
    """Automargin found nothing to widen, so Plotly drew the chart once (a second pass is a whole redraw)."""
    page = browser.open_spec(spec, query={"presenter": "1"} if presenter else None)
    given, drawn = page.page.evaluate(
        "(sel) => { const gd = document.querySelector(sel); const s = gd._fullLayout._size;"
        " return [gd.layout.margin, {l: s.l, r: s.r, t: s.t, b: s.b}]; }", page.chart_selector(spec.main_chart))
    for side in "lrtb":
        assert abs(drawn[side] - given[side]) <= 1, f"margin {side}: given {given[side]} px, labels needed {drawn[side]} px"
    page.assert_healthy()


def _lessons() -> list:
    """The first lesson of each page (one click from the landing page each)."""
    from optviz.pages import LESSONS

    firsts = {}
    for lesson in LESSONS.values():
        firsts.setdefault(lesson.page, lesson)
    return [firsts[spec.name] for spec in chart_pages() if spec.name in firsts]


@pytest.mark.parametrize("lesson", _lessons(), ids=lambda lesson: f"{lesson.page}-{lesson.key}")
def test_lesson_link_on_the_landing_page_opens_the_lesson_scene(browser, lesson):
    from optviz.pages import LESSONS

    spec = next(s for s in chart_pages() if s.name == lesson.page)
    _, charts, ready = _lesson_chart(spec, lesson)  # the tab of the lesson's claim
    number = [item.key for item in LESSONS.values() if item.page == lesson.page].index(lesson.key) + 1
    page = browser.open_spec(HOME)
    link = page.page.get_by_test_id("stMain").get_by_role("link", name=f"{number}. {lesson.title}")
    page.rerun(lambda: link.click(), charts=None, url=True, until=f"__ov.plots('{PLOT}').length >= {charts}")
    page.wait_shown(charts, ready)

    assert urllib.parse.urlsplit(page.page.url).path == f"/{spec.path}"
    query = page.query()
    assert query.get("scene") == lesson.key
    expected = lesson.make_scene().to_query()
    assert {k: query.get(k) for k in expected} == expected
    assert lesson.title in page.text()  # the lesson banner
    page.assert_healthy()


# -- the trajectory page ---------------------------------------------------------------------------


def _paths(page: AppPage) -> dict[str, dict]:
    return {t["name"]: t for t in page.traces("contour") if t["mode"] in ("lines", "lines+markers")}


def _sgd_learning_rate_box(page: AppPage):
    return expand(page, "SGD hyperparameters").get_by_role("spinbutton", name="Learning rate η value")


def test_typing_a_learning_rate_changes_the_path_the_slider_and_the_link(browser):
    page = browser.open_spec(TRAJECTORIES)
    box = _sgd_learning_rate_box(page)
    before = _paths(page)
    page.rerun(lambda: (box.fill("0.37"), box.press("Enter")), charts=page.chart_selector("contour"), url=True)

    assert page.query()["sgd.learning_rate"] == "0.37"
    after = _paths(page)
    assert after["SGD"]["x"] != before["SGD"]["x"]
    assert after["Adam"]["x"] == before["Adam"]["x"]  # only SGD's hyperparameter changed
    select_slider = expand(page, "SGD hyperparameters").get_by_role("slider", name="Learning rate η")
    assert select_slider.get_attribute("aria-valuetext") == "0.37"  # the slider shows the typed value itself
    assert box.input_value() == "0.37"  # the exact typed value is kept
    page.assert_healthy()


def _point_at(page: AppPage, target: tuple[float, float]) -> tuple[float, float]:
    """Put the pointer over data point `target` of the contour map and wait until plotly hovers the
    invisible click-grid marker there; returns the pixel (a click there selects that marker)."""
    sel = page.chart_selector("contour")
    x, y = page.to_pixel("contour", *target)
    area = page.layout("contour")["plotArea"]
    assert area["left"] < x < area["left"] + area["width"] and area["top"] < y < area["top"] + area["height"]
    page.page.mouse.move(x - 6, y - 6)
    page.page.mouse.move(x, y)
    page.page.wait_for_function(
        "([sel, tx, ty]) => (document.querySelector(sel)._hoverdata || [])"
        ".some(p => p.data.name === 'click to start here' && p.x === tx && p.y === ty)",
        arg=[sel, *target])
    return x, y


GRID_POINT = (-2.0, 3.5)  # a node of the invisible click grid (round steps of 0.5 here), in view, away from the default paths


def test_clicking_the_contour_moves_the_start_point_and_redraws_the_paths(browser):
    page = browser.open_spec(TRAJECTORIES)
    x, y = _point_at(page, GRID_POINT)
    page.rerun(lambda: page.page.mouse.click(x, y), charts=page.chart_selector("contour"), url=True)

    assert page.query()["start"] == "-2,3.5"
    paths = _paths(page)
    assert len(paths) == 6
    for name, path in paths.items():
        assert (path["x"][0], path["y"][0]) == pytest.approx(GRID_POINT), name
    start = next(t for t in page.traces("contour") if t["name"] == "start")
    assert (start["x"][0], start["y"][0]) == pytest.approx(GRID_POINT)
    assert slider(page, "start x").input_value() == "-2"
    page.assert_healthy()


def test_clicking_the_same_point_again_after_moving_the_start_moves_it_back(browser):
    page = browser.open_spec(TRAJECTORIES)
    x, y = _point_at(page, GRID_POINT)
    page.rerun(lambda: page.page.mouse.click(x, y), charts=page.chart_selector("contour"), url=True)
    assert page.query()["start"] == "-2,3.5"
    start_x = slider(page, "start x")
    start_x.focus()
    # wait for the redrawn map too: the next click is aimed with its axes (the view follows the start)
    page.rerun(lambda: start_x.press("End"), charts=page.chart_selector("contour"), url=True)
    assert page.query()["start"] == "10,3.5"

    x, y = _point_at(page, GRID_POINT)
    runs = page.runs_finished()
    page.rerun(lambda: page.page.mouse.click(x, y), charts=None, until=f"__ov.finished > {runs}")  # the click reran
    with contextlib.suppress(PlaywrightTimeout):  # the start point is applied on a second run (st.rerun)
        page.page.wait_for_function("() => new URLSearchParams(location.search).get('start') === '-2,3.5'", timeout=5000)
    assert page.query()["start"] == "-2,3.5"


def test_learning_rate_10_diverges_with_a_marker_and_no_exception(browser):
    page = browser.open_spec(TRAJECTORIES)
    box = _sgd_learning_rate_box(page)
    page.rerun(lambda: (box.fill("10"), box.press("Enter")), charts=page.chart_selector("contour"), url=True)

    assert page.query()["sgd.learning_rate"] == "10"
    message = page.page.get_by_text(re.compile(r"SGD (left the plot at step \d+ and )?diverged at step \d+"))
    assert message.count() == 1 and message.is_visible()
    traces = page.traces("contour")
    marker = next((t for t in traces if t["name"] == "diverged"), None)
    assert marker is not None, [t["name"] for t in traces]
    assert marker["text"][0].startswith("✗ SGD")
    sgd = _paths(page)["SGD"]
    assert (marker["x"][0], marker["y"][0]) == (sgd["x"][-1], sgd["y"][-1])  # at its last good point
    xrange = page.page.evaluate("sel => document.querySelector(sel)._fullLayout.xaxis.range", page.chart_selector("contour"))
    assert -10.5 <= xrange[0] <= sgd["x"][0] and 0 <= xrange[1] <= 10.5  # the view stays on the surface and its action
    page.assert_healthy()


def test_playback_plays_with_the_surface_visible(browser):
    page = browser.open_spec(TRAJECTORIES)
    page.rerun(lambda: tab(page, "Playback").click(), charts=None, url=True,
               until="!!(document.querySelector('.st-key-playback .js-plotly-plot') || {}).data")
    sel = page.chart_selector("playback")
    info = page.page.evaluate("""sel => { const gd = document.querySelector(sel);
        return {frames: gd._transitionData._frames.map(f => +f.name), images: (gd.layout.images || []).length,
                colors: gd._fullData.filter(t => t.mode === 'lines+markers').map(t => t.line.color),
                full: gd._fullData.filter(t => t.mode === 'lines+markers').map(t => t.x.length)} }""", sel)
    assert info["images"] == 1 and len(info["frames"]) > 10 and len(info["colors"]) == 6
    last = info["frames"][-1]

    page.page.locator(f"{sel} .updatemenu-button", has_text="Play").click()
    page.page.wait_for_function(
        "([sel, lo, hi]) => { const f = +document.querySelector(sel)._fullLayout._currentFrame; return f >= lo && f <= hi; }",
        arg=[sel, 0.25 * last, 0.6 * last], polling="raf")
    area = page.layout("playback")["plotArea"]
    shot = page.page.screenshot(clip={"x": area["left"], "y": area["top"], "width": area["width"], "height": area["height"]})
    now = page.page.evaluate("""sel => { const gd = document.querySelector(sel);
        return {frame: +gd._fullLayout._currentFrame, points: gd._fullData.filter(t => t.mode === 'lines+markers').map(t => t.x.length)} }""", sel)
    assert 0 < now["frame"] < last, now  # still playing
    assert sum(now["points"]) < sum(info["full"])  # the paths are drawn only up to the current step

    img = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    white = (r > 250) & (g > 250) & (b > 250)
    surface = (np.abs(r - g) < 14) & (np.abs(g - b) < 18) & (r < 245) & (r > 110)  # the grey surface image
    assert white.mean() < 0.6, f"plot area mostly blank while playing: {white.mean():.0%} white"
    assert surface.mean() > 0.3, f"surface image not visible while playing: {surface.mean():.0%} of the plot area"
    seen = {}
    for color in info["colors"]:
        rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
        seen[color] = int((np.abs(img - rgb).sum(axis=-1) < 60).sum())
    assert sum(n >= 20 for n in seen.values()) >= 3, f"path colours in the mid-play screenshot: {seen}"
    page.assert_healthy()


# -- exports ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def export_page(app_browser):
    """One tab per page for all its export downloads (each format is a rerun and a download)."""
    pages: dict[str, AppPage] = {}

    def get(spec: PageSpec) -> AppPage:
        if spec.name not in pages:
            pages[spec.name] = app_browser.open_spec(spec, track=False)
        return pages[spec.name]

    yield get
    for p in pages.values():
        p.page.close()


def _export_cases() -> list:
    return [pytest.param(spec, fmt, id=f"{spec.name}-{fmt}") for spec in chart_pages() for fmt in spec.export_formats]


def _check_export(fmt: str, data: bytes, page: AppPage, spec: PageSpec) -> None:
    assert data, "empty file"
    if fmt == "png":
        img = Image.open(io.BytesIO(data))
        img.load()
        assert img.format == "PNG" and img.size == (2400, 1600)  # 1200 x 800 px at the default 2x scale
        lo_hi = img.convert("L").getextrema()
        assert lo_hi[1] - lo_hi[0] > 100, "a flat image"
    elif fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg") and (root.get("width"), root.get("height")) == ("1200", "800")
        assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10
    elif fmt == "pdf":
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    elif fmt in ("html", "html-light"):
        text = data.decode()
        assert text.lstrip().lower().startswith("<!doctype html") and "Plotly.newPlot" in text
        cdn = re.search(r'<script[^>]+src="https://cdn\.plot\.ly/', text)
        if fmt == "html":
            assert not cdn and len(data) > 1_000_000, "the offline HTML must embed plotly.js"
        else:
            assert cdn and len(data) < 1_000_000
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert len(rows) > 1 and len(rows[0]) > 2 and all(len(r) == len(rows[0]) for r in rows)
        if spec is TRAJECTORIES:
            assert rows[0][:5] == ["optimizer", "label", "step", "x", "y"]
            assert len(rows) - 1 == sum(len(p["x"]) for p in _paths(page).values())  # one row per drawn point
    elif fmt == "json":
        doc = json.loads(data)
        assert isinstance(doc, dict) and isinstance(doc.get("scene"), dict)
        if spec is TRAJECTORIES:
            assert doc["scene"]["kind"] == "trajectory"
            assert [t["label"] for t in doc["trajectories"]] == list(_paths(page))
    elif fmt == "gif":
        img = Image.open(io.BytesIO(data))
        assert img.format == "GIF" and img.size == (1200, 800) and img.n_frames > 10
    elif fmt == "mp4":
        assert data[4:8] == b"ftyp" and len(data) > 10_000
    else:  # a new format: at least a file
        assert len(data) > 100


@pytest.mark.parametrize("spec, fmt", _export_cases())
def test_export_download_is_a_valid_file(export_page, spec: PageSpec, fmt: str):
    from optviz.export.source import FORMAT_LABELS, FORMATS

    page = export_page(spec)
    button = choose_export_format(page, FORMAT_LABELS[fmt], fmt)
    name, data = download(page, button, timeout=120)
    assert re.fullmatch(rf"optviz-{spec.name}-[\w.-]+\.{FORMATS[fmt][0]}", name), name
    _check_export(fmt, data, page, spec)
    page.assert_healthy()


def test_markdown_in_a_link_is_shown_as_text_not_rendered(browser):
    """A link's values and keys are repeated in the notice as text: no image fetched, no link, no styling."""
    query = {"surface": "![x](http://127.0.0.1:9/pixel.png)", "[**Click here: exam solutions**](http://127.0.0.1:9/x)": "1",
             ":red[styled]": "2"}
    page = browser.open_spec(TRAJECTORIES, query)
    alert = page.page.get_by_test_id("stAlert").filter(has_text="Some settings were adjusted").first
    assert alert.is_visible()
    assert alert.locator("img").count() == 0 and alert.locator("a").count() == 0
    assert alert.locator("strong, [style*='color']").count() == 0
    text = alert.inner_text().replace("\u200b", "")  # zero-width spaces keep URLs from being auto-linked
    assert "![x](http://127.0.0.1:9/pixel.png)" in text and "[**Click here" in text and ":red[styled]" in text
    page.assert_healthy()
