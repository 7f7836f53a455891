"""Real-browser support for optviz's tests and benchmarks: one optviz server, Chromium through
Playwright, and the few page helpers every browser flow needs.

* the server, the free port and the Chromium launcher come from tests/harness.py (`AppServer`
  starts the app the only supported way, `python -m optviz.ui.server`).
* `Browser` is one headless Debian Chromium with its own profile directory; `Browser.open()` gives an
  `AppPage` (one tab = one Streamlit session), `fresh_browser()` a second, cookie-less browser.
* `AppPage` waits for reruns (`[data-testid=stApp][data-test-script-state=notRunning]` *and* the
  expected change), reads plotly figures in the page, maps data coordinates to pixels, and
  collects console errors, page errors and Streamlit exception boxes.
* `SPECS` is what a browser flow needs to know about each page of the registry
  (optviz.pages.PAGES), derived from it: a new page is picked up by every flow by itself.

Imported by tests/test_browser.py (fixtures there) and benchmarks/bench_browser.py.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # browser_unavailable() says why; keep the module importable
    class PlaywrightTimeout(Exception):  # type: ignore[no-redef]
        pass

from harness import AppServer, launch_chromium

VIEWPORT = {"width": 1400, "height": 1000}
READY = "[data-testid=stApp][data-test-script-state=notRunning]"
EXCEPTION = "[data-testid=stException]"
PLOT = ".js-plotly-plot"
FIRST_RUN_TIMEOUT_S = 180.0  # a fresh server imports JAX and compiles on its first run
RERUN_TIMEOUT_S = 60.0  # far above a rerun, even under load (benchmarks/bench_browser.py measures them)


# -- the app's pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    """What a browser flow needs to know about one page of the app (see `spec_of`).

    Attributes:
      name: short id used in test ids ("home", "trajectories", "layers").
      path: URL path ("" for the landing page).
      heading: text of the page's title (h1).
      charts: plotly charts the default scene shows (only the open tab is built; 0 for the landing page).
      ready: CSS selector of content that must be drawn before the page counts as loaded
        (Streamlit reports `notRunning` a little before lazily loaded elements are drawn).
      sliders: (label, URL key) of sidebar sliders whose move must change the main chart and the link.
      main_chart: widget key of the main chart (`st.plotly_chart(key=...)`, or a container of it).
      share_view: a tab (view) to open before sharing the link; the link must reopen it.
      share_charts: widget keys of the charts that tab shows.
      export_formats: formats of the main chart's "Export" menu.
      views: (tab label, widget keys of its charts) of the tabs besides the first (only the open
        tab is built, so each is drawn only when opened).
    """

    name: str
    path: str
    heading: str
    charts: int = 0
    ready: str | None = None
    sliders: tuple[tuple[str, str], ...] = ()
    main_chart: str | None = None
    share_view: str | None = None
    share_charts: tuple[str, ...] = ()
    export_formats: tuple[str, ...] = ()
    views: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __str__(self) -> str:
        return self.name


def spec_of(page: Any) -> PageSpec:
    """The browser flows' view of a page of the registry (optviz.pages.PAGES), from its default scene."""
    from optviz.export.source import ANIMATED, FORMATS

    scene = page.scene_type()
    views = [(view.label, tuple(name for name in view.figures if page.has_figure(name, scene))) for view in page.views]
    views = [(label, names) for label, names in views if names]  # the page offers only views with a figure
    source = page.exportable(scene, page.compute(scene))
    animated = page.main_figure in source.animated_figures
    return PageSpec(
        name=page.key, path=page.url_path, heading=page.title, charts=len(views[0][1]),
        ready=f".st-key-{page.main_figure} {PLOT}", sliders=page.key_controls, main_chart=page.main_figure,
        share_view=views[1][0] if len(views) > 1 else None, share_charts=views[1][1] if len(views) > 1 else (),
        export_formats=tuple(f for f in FORMATS if animated or f not in ANIMATED), views=tuple(views[1:]),
    )


HOME = PageSpec("home", "", "optviz", ready="[data-testid=stPageLink]")


@functools.cache
def specs() -> dict[str, PageSpec]:
    """{page key: PageSpec} of every page of the registry (computed once: it runs each default scene)."""
    from optviz.pages import PAGES

    return {key: spec_of(page) for key, page in PAGES.items()}


def __getattr__(name: str) -> Any:
    """TRAJECTORIES: the spec of the trajectory page, for the flows written for it alone (made on first use)."""
    if name == "TRAJECTORIES":
        return specs()["trajectories"]
    raise AttributeError(name)


def app_pages() -> list[PageSpec]:
    """The pages to test: the landing page and every page of the registry."""
    return [HOME, *specs().values()]


def chart_pages() -> list[PageSpec]:
    return [p for p in app_pages() if p.charts]


# -- availability ------------------------------------------------------------------------------


class Unavailable:
    """Stands in for a fixture value when the browser is missing in CI: any use fails the test
    (in its call phase, so it reports FAILED, not SKIPPED)."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def __getattr__(self, name: str) -> Any:
        import pytest

        pytest.fail(f"browser tests must run in CI (CI is set) but cannot: {self._reason}", pytrace=False)


# -- the browser -------------------------------------------------------------------------------


class Browser:
    """One headless Chromium with its own (temporary) profile: a fresh browser context."""

    def __init__(self, base_url: str, playwright: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._own_pw = playwright is None
        self._pw_cm = None
        if playwright is None:
            from playwright.sync_api import sync_playwright

            self._pw_cm = sync_playwright()
            playwright = self._pw_cm.start()
        self.playwright = playwright
        self._profile = tempfile.mkdtemp(prefix="optviz-chromium-")
        self.context = launch_chromium(playwright, self._profile, VIEWPORT, accept_downloads=True, locale="en-US",
                                       timezone_id="UTC")
        self.context.set_default_timeout(RERUN_TIMEOUT_S * 1000)
        self._spare = list(self.context.pages)  # the blank tab a persistent context opens with
        self.pages: list[AppPage] = []
        self.server: AppServer | None = None  # set by whoever started the server, for its log

    def new_page(self, track: bool = True) -> "AppPage":
        """A new tab (closed by `close_pages` unless `track` is False)."""
        page = self._spare.pop() if self._spare else self.context.new_page()
        app_page = AppPage(page, self.base_url)
        if track:
            self.pages.append(app_page)
        return app_page

    def open(self, path: str = "", query: dict[str, str] | str | None = None, charts: int | None = None,
             ready: str | None = None, timeout: float = FIRST_RUN_TIMEOUT_S, track: bool = True) -> "AppPage":
        """A new tab showing `path?query` once its first run is done (see `AppPage.goto`)."""
        page = self.new_page(track)
        page.goto(path, query, charts=charts, ready=ready, timeout=timeout)
        return page

    def open_spec(self, spec: PageSpec, query: dict[str, str] | str | None = None, **kwargs: Any) -> "AppPage":
        """A new tab on a page of the app (its default scene, or `query`)."""
        return self.open(spec.path, query, charts=spec.charts, ready=spec.ready, **kwargs)

    def close_pages(self) -> None:
        for p in self.pages:
            with contextlib.suppress(Exception):
                p.page.close()
        self.pages.clear()

    @contextlib.contextmanager
    def fresh_browser(self) -> Iterator["Browser"]:
        """Another Chromium with an empty profile (no cookies, no cache, no storage)."""
        other = Browser(self.base_url, self.playwright)
        try:
            yield other
        finally:
            other.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()
        shutil.rmtree(self._profile, ignore_errors=True)
        if self._own_pw and self._pw_cm is not None:
            with contextlib.suppress(Exception):
                self._pw_cm.__exit__(None, None, None)


# -- one tab -----------------------------------------------------------------------------------

# Plotly figures in the page. `gd.data` holds the figure as sent (arrays as plotly 7's base64
# {dtype, bdata}); `gd._fullData` holds them decoded. Data coordinates map to pixels through the
# axes' `l2p` plus their offsets inside the plot div.
_JS = r"""
window.__ov = {
  finished: 0,  // script runs seen to end (running -> notRunning), counted from the page load
  plots(sel) { return Array.from(document.querySelectorAll(sel)).filter(el => el.data); },
  arr(v) {
    if (v === undefined || v === null) return null;
    if (typeof v === 'object' && typeof v.length === 'number') return Array.from(v, a => (a && typeof a === 'object' && typeof a.length === 'number') ? Array.from(a) : a);
    return v;
  },
  traces(sel) {
    const el = document.querySelector(sel);
    if (!el || !el._fullData) return null;
    return el._fullData.map(t => ({name: t.name, type: t.type, mode: t.mode || null, visible: t.visible,
      x: t.type === 'contour' || t.type === 'surface' ? null : __ov.arr(t.x),
      y: t.type === 'contour' || t.type === 'surface' ? null : __ov.arr(t.y),
      text: __ov.arr(t.text)}));
  },
  rawData(sel) { const el = document.querySelector(sel); return el && el.data ? JSON.stringify(el.data) : null; },
  snapshot(sel) { const els = __ov.plots(sel); __ov._snap = {sel, data: els.map(e => e.data), json: els.map(e => JSON.stringify(e.data))}; },
  changed() {
    const s = __ov._snap; if (!s) return true;
    const els = __ov.plots(s.sel);
    if (els.length !== s.data.length) return els.length > 0;
    return els.some((e, i) => e.data !== s.data[i] && JSON.stringify(e.data) !== s.json[i]);
  },
  layout(sel) {
    const el = document.querySelector(sel); if (!el || !el._fullLayout) return null;
    const L = el._fullLayout, r = el.getBoundingClientRect();
    const out = {left: r.left, top: r.top, width: r.width, height: r.height, layoutHeight: L.height,
                 fontSize: L.font.size, titleSize: L.title && L.title.font ? L.title.font.size : null,
                 images: (L.images || []).length, currentFrame: L._currentFrame || null};
    if (L.xaxis && L.yaxis && L.xaxis._length) out.plotArea = {left: r.left + L.xaxis._offset, top: r.top + L.yaxis._offset,
                                                  width: L.xaxis._length, height: L.yaxis._length};
    return out;
  },
  toPixel(sel, x, y) {
    const el = document.querySelector(sel); const L = el._fullLayout, r = el.getBoundingClientRect();
    return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)];
  },
};
(() => {
  const observer = new MutationObserver(records => records.forEach(r => {
    if (r.oldValue === 'running' && r.target.getAttribute('data-test-script-state') === 'notRunning') __ov.finished++;
  }));
  const start = () => observer.observe(document.documentElement, {subtree: true, attributes: true, attributeOldValue: true,
                                                                 attributeFilter: ['data-test-script-state']});
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, {once: true});
})();
"""

_PROBE_404 = re.compile(r"^Failed to load resource: the server responded with a status of 404")


@dataclass
class ConsoleEntry:
    kind: str  # "console" or "pageerror"
    text: str
    url: str = ""


@dataclass
class AppPage:
    """One tab on the app: navigation, rerun waiting, figure reading, error collection."""

    page: Any
    base_url: str
    console: list[ConsoleEntry] = field(default_factory=list)
    responses: dict[str, int] = field(default_factory=dict)  # url -> status of /_stcore/ requests

    def __post_init__(self) -> None:
        self.page.add_init_script(_JS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda err: self.console.append(ConsoleEntry("pageerror", str(err))))
        self.page.on("response", self._on_response)

    def _on_console(self, msg: Any) -> None:
        if msg.type == "error":
            self.console.append(ConsoleEntry("console", msg.text, (msg.location or {}).get("url", "")))

    def _on_response(self, resp: Any) -> None:
        if "/_stcore/" in resp.url:
            self.responses[resp.url] = resp.status

    # -- navigation and reruns -----------------------------------------------------------------
    def url_for(self, path: str = "", query: dict[str, str] | str | None = None) -> str:
        url = f"{self.base_url}/{path.strip('/')}"
        if query:
            url += "?" + (query.lstrip("?") if isinstance(query, str) else urllib.parse.urlencode(query))
        return url

    def goto(self, path: str = "", query: dict[str, str] | str | None = None, charts: int | None = None,
             ready: str | None = None, timeout: float = FIRST_RUN_TIMEOUT_S) -> "AppPage":
        """Load the page and wait until its first run is shown: the script is not running, the
        title is drawn, `charts` plotly charts hold data and the selector `ready` matches; or a
        Streamlit exception is shown (then fail at once with its text)."""
        self.page.goto(self.url_for(path, query), wait_until="domcontentloaded", timeout=timeout * 1000)
        self.wait_shown(charts, ready, timeout)
        return self

    def wait_shown(self, charts: int | None = None, ready: str | None = None, timeout: float = FIRST_RUN_TIMEOUT_S) -> None:
        """Wait for a run to be shown (see `goto`)."""
        shown = [f"document.querySelector('{READY}')", "document.querySelector('[data-testid=stMain] h1')",
                 f"__ov.plots('{PLOT}').length >= {int(charts or 0)}"]
        if ready:
            shown.append(f"document.querySelector({json.dumps(ready)})")
        self.page.wait_for_function(
            f"() => document.querySelector('{READY}') && document.querySelector('{EXCEPTION}') || ({' && '.join(shown)})",
            timeout=timeout * 1000, polling=100)
        boxes = self.exceptions()
        assert not boxes, f"{self.page.url} shows a Streamlit exception:\n" + "\n".join(b[:2000] for b in boxes)

    def wait_ready(self, timeout: float = RERUN_TIMEOUT_S) -> None:
        self.page.wait_for_selector(READY, timeout=timeout * 1000, state="attached")

    def rerun(self, action: Callable[[], Any], *, charts: str | None = PLOT, url: bool = False,
              until: str | None = None, timeout: float = RERUN_TIMEOUT_S) -> float:
        """Do `action` (a widget change) and wait until the rerun it caused is shown; returns seconds.

        Shown means: the script is not running and, as asked, the data of a chart matching the
        CSS selector `charts` changed, the URL changed, and/or the JS expression `until` holds.
        """
        if charts:
            self.page.evaluate("sel => __ov.snapshot(sel)", charts)
        old_url = self.page.url
        t0 = time.perf_counter()
        action()
        conditions = [f"document.querySelector('{READY}')"]
        if charts:
            conditions.append("__ov.changed()")
        if until:
            conditions.append(f"({until})")
        if url:
            conditions.append(f"window.location.href !== {json.dumps(old_url)}")
        self.page.wait_for_function("() => " + " && ".join(conditions), timeout=timeout * 1000, polling="raf")
        return time.perf_counter() - t0

    def charts_shown_js(self, keys: tuple[str, ...]) -> str:
        """JS condition: exactly the charts with these widget keys are drawn (and hold data)."""
        each = " && ".join(f"__ov.plots({json.dumps(self.chart_selector(k))}).length === 1" for k in keys)
        return f"({each} && __ov.plots('{PLOT}').length === {len(keys)})"

    def runs_finished(self) -> int:
        """How many script runs this tab has seen end since it loaded."""
        return int(self.page.evaluate("() => __ov.finished"))

    # -- reading ---------------------------------------------------------------------------------
    def query(self) -> dict[str, str]:
        """The query parameters of the current URL (last value wins)."""
        return {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(self.page.url).query,
                                                           keep_blank_values=True).items()}

    def chart_selector(self, key: str | None = None) -> str:
        return f".st-key-{key} {PLOT}" if key else f"[data-testid=stPlotlyChart] {PLOT}"

    def traces(self, key: str | None = None) -> list[dict[str, Any]]:
        """The traces of a chart (by widget key) as plotly.js holds them: name, type, mode, x, y, text."""
        traces = self.page.evaluate("sel => __ov.traces(sel)", self.chart_selector(key))
        assert traces is not None, f"no plotly chart {key!r} in the page"
        return traces

    def raw_data(self, key: str | None = None) -> Any:
        """`gd.data` of a chart, exactly as the server sent it (for comparing two sessions)."""
        text = self.page.evaluate("sel => __ov.rawData(sel)", self.chart_selector(key))
        return json.loads(text) if text else None

    def all_raw_data(self) -> list[Any]:
        return [json.loads(t) for t in self.page.evaluate(f"() => __ov.plots('{PLOT}').map(e => JSON.stringify(e.data))")]

    def layout(self, key: str | None = None) -> dict[str, Any]:
        out = self.page.evaluate("sel => __ov.layout(sel)", self.chart_selector(key))
        assert out is not None, f"no plotly chart {key!r} in the page"
        return out

    def to_pixel(self, key: str, x: float, y: float) -> tuple[float, float]:
        """Viewport pixel of data point (x, y) of chart `key` (scrolled into view first)."""
        self.page.locator(self.chart_selector(key)).scroll_into_view_if_needed()
        px, py = self.page.evaluate("([sel, x, y]) => __ov.toPixel(sel, x, y)", [self.chart_selector(key), x, y])
        return float(px), float(py)

    def exceptions(self) -> list[str]:
        return self.page.locator(EXCEPTION).all_inner_texts()

    def text(self, selector: str = "[data-testid=stMain]") -> str:
        return self.page.locator(selector).first.inner_text()

    # -- errors ----------------------------------------------------------------------------------
    def is_streamlit_base_probe(self, entry: ConsoleEntry) -> bool:
        """Whether a console error is the 404 of Streamlit's own base-URL probe, and nothing else.

        Streamlit's frontend (static/js/index.*.js, the connection manager) does not know under
        which path the server is mounted: for a page URL with a path such as `/trajectories` it
        tries the base URLs `[/trajectories, /]` in turn, fetching `<base>/_stcore/health` and
        `<base>/_stcore/host-config` from each. On a server mounted at `/` the first pair answers
        404 and Chrome logs "Failed to load resource: ... 404" for each. Only those two URLs, for
        a one-segment path, and only when the same endpoints at the root answered 200, count as
        this probe.
        """
        if entry.kind != "console" or not _PROBE_404.match(entry.text):
            return False
        m = re.fullmatch(re.escape(self.base_url) + r"/[^/?#]+/(_stcore/(?:health|host-config))", entry.url)
        return bool(m) and self.responses.get(f"{self.base_url}/{m.group(1)}") == 200

    def console_errors(self) -> list[ConsoleEntry]:
        """Console errors and uncaught page errors, less Streamlit's base-URL probe 404s."""
        return [e for e in self.console if not self.is_streamlit_base_probe(e)]

    def assert_healthy(self) -> None:
        """No browser console errors (see `is_streamlit_base_probe`) and no Streamlit exception box."""
        errors = self.console_errors()
        assert not errors, "browser console errors:\n" + "\n".join(f"  [{e.kind}] {e.text} ({e.url})" for e in errors)
        boxes = self.exceptions()
        assert not boxes, "Streamlit exception shown:\n" + "\n".join(b[:2000] for b in boxes)


# -- widget helpers ----------------------------------------------------------------------------


def sidebar(page: AppPage) -> Any:
    return page.page.get_by_test_id("stSidebar")


def slider(page: AppPage, label: str | None = None) -> Any:
    """A sidebar slider by label (st.slider and st.select_slider both have role slider), or the first."""
    sliders = sidebar(page).get_by_role("slider", name=label) if label else sidebar(page).get_by_role("slider")
    return sliders.first


def expand(page: AppPage, title: str) -> Any:
    """Open a (closed) st.expander by its title text; returns the expander."""
    exp = page.page.get_by_test_id("stExpander").filter(has=page.page.locator("summary", has_text=title)).first
    details = exp.locator("details").first
    if details.get_attribute("open") is None:
        exp.locator("summary").first.click()
        details.wait_for(state="attached")
        page.page.wait_for_function("el => el.open", arg=details.element_handle())
    return exp


def switch(page: AppPage, label: str) -> Any:
    """The clickable label of an st.toggle (its input is visually hidden)."""
    return page.page.locator("label", has=page.page.get_by_role("switch", name=label)).first


def tab(page: AppPage, label: str) -> Any:
    return page.page.get_by_role("tab", name=label).first


def export_popover(page: AppPage) -> Any:
    """Open the "⬇ Export" popover of the open tab's (first) figure; returns its body."""
    body = page.page.get_by_test_id("stPopoverBody")
    if not body.first.is_visible():
        page.page.get_by_test_id("stMain").get_by_role("button", name="⬇ Export").first.click()
        body.first.wait_for(state="visible")
    # Its content is built by the run that opening it starts (optviz.ui.exports.export_menu).
    body.first.get_by_role("combobox", name="Format").wait_for(state="visible", timeout=RERUN_TIMEOUT_S * 1000)
    page.wait_ready()
    return body.first


def choose_export_format(page: AppPage, label: str, fmt: str) -> Any:
    """Pick `label` in the export popover's Format box; returns the popover's download button."""
    body = export_popover(page)
    box = body.get_by_role("combobox", name="Format")
    button = body.get_by_role("button", name=f"Download {fmt.upper()}", exact=True)
    make = body.get_by_role("button", name=re.compile(rf"Make the {fmt.upper()}$"))
    if box.input_value() != label:
        box.click()
        # Typed, not clicked: the options list is re-laid out while the popover grows (a detached
        # option is never clickable), the keyboard picks the same option without aiming at it.
        box.fill(label)
        page.page.keyboard.press("Enter")
        button.or_(make).first.wait_for(state="visible")
        page.wait_ready()
    if not button.is_visible() and make.is_visible():  # an animation is made first, in the page's run
        make.click()
        button.wait_for(state="visible", timeout=FIRST_RUN_TIMEOUT_S * 1000)
        page.wait_ready()
    return button


def download(page: AppPage, button: Any, timeout: float = RERUN_TIMEOUT_S) -> tuple[str, bytes]:
    """Click a download button; (suggested file name, bytes) of the file the browser saved."""
    with page.page.expect_download(timeout=timeout * 1000) as info:
        button.click()
    dl = info.value
    failure = dl.failure()
    assert failure is None, f"download of {dl.suggested_filename} failed: {failure}"
    return dl.suggested_filename, Path(dl.path()).read_bytes()
