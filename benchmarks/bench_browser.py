"""Time optviz as a student sees it, in a real Chromium: slider move -> updated chart (p50/p95),
and cold start (server start -> first chart; a second session's first chart).

Starts its own server (`python -m optviz.ui.server`, 127.0.0.1, free port), the floor app
(benchmarks/floor_app.py: one slider, one Plotly line, Streamlit's own speed) on another port, and
a headless Debian Chromium through Playwright; helpers come from tests/browser_support.py.
The slider changes are interleaved: each round moves the floor's slider and every page's key
sliders once each (one tab each), so the machine's load is shared alike, and each page is
reported as a multiple of the floor's p50 and p95 (issue 22). Beside each page, its main figure
alone in a one-slider app (benchmarks/figure_app.py) splits the page's gap to the floor into
drawing its figure and the page's own work; the floor app's own cold start is measured too.
Each change also counts Plotly's draws (`plotly_afterplot`): Streamlit draws every new chart twice.
The same figure in a chart that keeps its div (benchmarks/component_app.py, one `Plotly.react` per
change) measures what a custom chart component would save: "figure alone, one draw".
Run: .venv/bin/python benchmarks/bench_browser.py [--changes 20]
Prints measured figures; asserts nothing (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))  # figure_app.scene_at
sys.path.insert(0, str(ROOT))

from component_app import serving_folder  # noqa: E402  (the figure alone in a chart that keeps its div)
from optviz.compile_cache import DEFAULT_DIR  # noqa: E402  (where the app keeps compiled variants)
from harness import AppServer, StreamlitServer, browser_unavailable  # noqa: E402
from browser_support import (  # noqa: E402
    READY,
    TRAJECTORIES,
    AppPage,
    Browser,
    PlaywrightTimeout,
    chart_pages,
    slider,
)

FLOOR_APP = ROOT / "benchmarks" / "floor_app.py"
FIGURE_APP = ROOT / "benchmarks" / "figure_app.py"  # one page's main figure alone
FLOOR_SLIDER = "Frequency"
FLOOR_CHART = "floor"  # its chart's widget key

# Page-side timing of one change: when the script started and (last) stopped running, and when the
# chart first held new data (checked every animation frame). Transitions are read from the mutation
# records (their old values), so two in one batch both count; a run already going when the key goes
# down (a page's own follow-up run) absorbs the change, and its end counts.
_WATCH = """([sel]) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (window.__benchObs) window.__benchObs.disconnect();
  const w = window.__bench = {t0: performance.now(), key: null, running: null, done: null, chart: null};
  if (app.getAttribute('data-test-script-state') === 'running') w.running = w.t0;
  // The event's own time stamp: when the key went down, even if the page was busy then.
  document.addEventListener('keydown', (event) => { w.key = event.timeStamp; }, {capture: true, once: true});
  const old = Array.from(document.querySelectorAll(sel)).map(e => e.data);
  const oldJson = old.map(d => JSON.stringify(d));
  const obs = window.__benchObs = new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      if (w.running === null) w.running = now;
      if (r.oldValue === 'running') w.done = now;
    }
  });
  obs.observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  const tick = () => {
    const now = Array.from(document.querySelectorAll(sel)).map(e => e.data);
    if (now.length && now.some((d, i) => d !== old[i] && JSON.stringify(d) !== oldJson[i])) { w.chart = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
# Done: the new chart is drawn and the page is idle. A run seen to start must be seen to end; a fast
# one (the floor's) can start and end within one React render, and then the page never shows it.
# Plotly draws per change. Plotly gives each chart div its own `emit` (an own property), and emits
# `plotly_afterplot` after every draw: a setter on the prototype wraps each div's `emit` as it is
# set, and counts those events. Streamlit 1.67 mounts a new chart for a new figure, and then draws it
# a second time: an effect on mount sets the figure state to a JSON deep copy of itself, and
# Plotly.react redraws the copy in full.
_COUNT_DRAWS = """(() => { window.__draws = 0;
  Object.defineProperty(HTMLDivElement.prototype, 'emit', {configurable: true,
    get() { return this.__optvizEmit; },
    set(emit) { this.__optvizEmit = function(name, data) {
      if (name === 'plotly_afterplot') window.__draws += 1;
      return emit.call(this, name, data); }; }});
})();"""
_DONE = ("() => window.__bench.chart !== null && (window.__bench.done !== null || window.__bench.running === null)"
         f" && !!document.querySelector('{READY}')")


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def fmt(xs: list[float]) -> str:
    return f"p50 {pct(xs, 50) * 1e3:5.0f} ms  p95 {pct(xs, 95) * 1e3:5.0f} ms  max {max(xs) * 1e3:5.0f} ms  (n={len(xs)})"


@dataclass
class Target:
    """One slider on one tab, and what its changes measured (seconds)."""

    name: str
    page: AppPage
    label: str
    chart: str  # CSS selector of the chart that must show new data
    to_chart: list[float] = field(default_factory=list)
    to_done: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    to_start: list[float] = field(default_factory=list)  # keydown -> the run seen to start
    draws: list[int] = field(default_factory=list)  # Plotly draws per change, by the time the next may come
    key: str = "ArrowRight"

    def change(self, record: bool = True) -> None:
        """Move the slider one step with the keyboard; time it until the new chart is drawn.

        Three clocks: the page's own, from the key's keydown event to the first animation frame
        with the new chart data drawn (what the student waits for: the target), and to the end of
        the run (the rest of the page settled); and the test driver's wall clock from `press` until
        the page is idle again (adds Playwright's round trips and polling).
        """
        self.page.page.bring_to_front()  # its tab in front: animation frames run there
        s = slider(self.page, self.label)
        s.focus()
        if s.input_value() == s.get_attribute("max"):
            self.key = "ArrowLeft"
        elif s.input_value() == s.get_attribute("min"):
            self.key = "ArrowRight"
        self.page.page.evaluate(_WATCH, [self.chart])
        self.page.page.evaluate("() => { window.__draws = 0; }")
        t = time.perf_counter()
        s.press(self.key)
        try:
            self.page.page.wait_for_function(_DONE, polling="raf", timeout=60_000)
        except PlaywrightTimeout:
            state = self.page.page.evaluate("() => window.__bench")
            raise SystemExit(f"{self.name} {self.label!r}: no new chart 60 s after {self.key} "
                             f"(slider at {s.input_value()}; page clock marks {state})") from None
        wall = time.perf_counter() - t
        w = self.page.page.evaluate("() => window.__bench")
        if record:
            self.wall.append(wall)
            self.to_chart.append((w["chart"] - w["key"]) / 1e3)
            self.to_done.append((max(w["done"] or w["chart"], w["chart"]) - w["key"]) / 1e3)
            if w["running"] is not None and w["done"] is not None:
                self.server.append((w["done"] - w["running"]) / 1e3)
            if w["running"] is not None and w["running"] >= w["key"]:
                self.to_start.append((w["running"] - w["key"]) / 1e3)
        time.sleep(0.2)  # a person does not move a slider every frame
        if record:
            self.draws.append(self.page.page.evaluate("() => window.__draws"))

    def report(self) -> None:
        print(f"  {self.name}: {self.label!r}:")
        print(f"      keydown -> new chart drawn (page clock):  {fmt(self.to_chart)}   <- target p50 < 400, p95 < 800")
        print(f"      keydown -> run finished, page settled:    {fmt(self.to_done)}")
        print(f"      press -> page idle (driver wall clock):   {fmt(self.wall)}")
        if self.server:
            print(f"      script running as the page sees it:       {fmt(self.server)}")
        if self.to_start:
            print(f"      keydown -> run seen to start:             {fmt(self.to_start)}")
        print(f"      Plotly draws per change (all charts):     median {pct(self.draws, 50):.0f}, "
              f"min {min(self.draws)}, max {max(self.draws)}")


def interleaved(targets: list[Target], changes: int, warmup: int) -> None:
    """`warmup` unrecorded changes of each target, then `changes` rounds; each round moves every
    target once, starting one further along each time (no target always goes first)."""
    for _ in range(warmup):
        for t in targets:
            t.change(record=False)
    for r in range(changes):
        for t in targets[r % len(targets):] + targets[:r % len(targets)]:
            t.change()


def compute_times(page_key: str, label: str, changes: int) -> list[float]:
    """Seconds of the page's own compute (`Page.compute`, warm, in this process) for `changes` moves
    of the control `label` from the default scene, the scenes benchmarks/figure_app.py draws."""
    from figure_app import scene_at
    from optviz.pages import PAGES

    page = PAGES[page_key]
    key = dict(page.key_controls)[label]
    times = []
    for step in range(changes + 1):  # the first (compiling) run is not counted
        scene = scene_at(page, key, step + 1)
        t = time.perf_counter()
        page.compute(scene)
        if step:
            times.append(time.perf_counter() - t)
    return times


def side_by_side(floor: Target, targets: list[Target], computes: dict[tuple[str, str], list[float]]) -> None:
    """Each target's keydown -> new chart p50/p95 as a multiple of the floor's, measured alongside;
    and its p50 less its page's compute p50 (issue 22: the lab within 2x the floor plus its compute)."""
    f50, f95 = pct(floor.to_chart, 50), pct(floor.to_chart, 95)
    width = max(len(f"{t.name} {t.label!r}") for t in [floor, *targets])
    print(f"side by side, keydown -> new chart drawn (page clock), {len(floor.to_chart)} interleaved rounds; "
          "compute: the page's own `Page.compute` for the same changes, warm, measured after the rounds:")
    print(f"  {'floor (one slider, one Plotly line)':<{width}}  p50 {f50 * 1e3:5.0f} ms         p95 {f95 * 1e3:5.0f} ms")
    for t in targets:
        p50, p95 = pct(t.to_chart, 50), pct(t.to_chart, 95)
        compute = pct(computes[t.name.split()[0], t.label], 50)
        print(f"  {f'{t.name} {t.label!r}':<{width}}  p50 {p50 * 1e3:5.0f} ms ({p50 / f50:4.1f}x)  "
              f"p95 {p95 * 1e3:5.0f} ms ({p95 / f95:4.1f}x)   compute p50 {compute * 1e3:4.0f} ms; "
              f"p50 = floor x {(p50 - compute) / f50:3.1f} + compute")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=20, help="slider changes per slider (p50/p95 over these)")
    ap.add_argument("--warmup", type=int, default=1, help="unrecorded changes per slider first (one-off costs)")
    args = ap.parse_args()
    reason = browser_unavailable()
    if reason:
        print(f"cannot run: {reason}")
        return 1

    print(f"{os.cpu_count()} CPUs; Chromium headless, software rendering; pages: {[p.name for p in chart_pages()]}")
    cache = os.environ.get("OPTVIZ_JAX_CACHE") or str(DEFAULT_DIR)
    entries = len(list(Path(cache).glob("*"))) if cache != "off" and Path(cache).is_dir() else 0
    print(f"JAX compilation cache: {cache} ({entries} entries; run `python -m optviz warmup` to fill it, "
          "OPTVIZ_JAX_CACHE=off to measure without)")
    server = AppServer()
    browser = None
    try:
        # Cold start: Chromium is launched first (not counted); then the server starts.
        browser = Browser(server.url)  # the port is chosen when AppServer is made; nothing is loaded yet
        browser.context.add_init_script(_COUNT_DRAWS)
        t0 = time.perf_counter()
        server.start(timeout=120)
        healthy = time.perf_counter() - t0
        t1 = time.perf_counter()
        first = browser.open_spec(TRAJECTORIES)
        first_chart = time.perf_counter() - t0
        print("cold start (default trajectory scene):")
        print(f"  server start -> /_stcore/health ok: {healthy:.1f} s")
        print(f"  server start -> first chart drawn: {first_chart:.1f} s  (page load + first run {time.perf_counter() - t1:.1f} s; "
              "includes importing JAX and compiling)")
        t = time.perf_counter()
        second = browser.open_spec(TRAJECTORIES)
        print(f"  second session (new tab, same browser) -> first chart: {time.perf_counter() - t:.1f} s")
        with browser.fresh_browser() as other:
            t = time.perf_counter()
            other.open_spec(TRAJECTORIES)
            print(f"  third session (fresh browser, empty cache) -> first chart: {time.perf_counter() - t:.1f} s")
        for spec in chart_pages():
            if spec is not TRAJECTORIES:
                t = time.perf_counter()
                browser.open_spec(spec)
                print(f"  first {spec.name} chart on this server (its first run): {time.perf_counter() - t:.1f} s")
        first.page.close()
        second.page.close()
        browser.close_pages()

        # The framework's own cold start: the floor app's server start -> first chart, and a second session.
        t0 = time.perf_counter()
        floor_server = StreamlitServer(FLOOR_APP).start(timeout=120)
        figure_server = component_server = None
        serving = tempfile.mkdtemp(prefix="optviz-component-app-")  # the component app and its static/ folder
        try:
            floor_page = AppPage(browser.context.new_page(), floor_server.url)
            floor_page.goto("", charts=1, ready=floor_page.chart_selector(FLOOR_CHART))
            print(f"  the floor app (one slider, one Plotly line): server start -> first chart {time.perf_counter() - t0:.1f} s; ", end="")
            t = time.perf_counter()
            AppPage(browser.context.new_page(), floor_server.url).goto("", charts=1, ready=floor_page.chart_selector(FLOOR_CHART))
            print(f"second session -> first chart {time.perf_counter() - t:.1f} s")
            floor = Target("floor", floor_page, FLOOR_SLIDER, floor_page.chart_selector(FLOOR_CHART))
            figure_server = StreamlitServer(FIGURE_APP).start(timeout=120)
            component_server = StreamlitServer(serving_folder(Path(serving)),
                                               args=["--server.enableStaticServing", "true"]).start(timeout=120)
            targets, pages = [], {}
            for spec in chart_pages():
                label, key = spec.sliders[0]
                for name, server_of in (("figure alone", figure_server), ("figure alone, one draw", component_server)):
                    alone = AppPage(browser.context.new_page(), server_of.url)
                    alone.goto("", {"page": spec.name, "key": key}, charts=1, ready=alone.chart_selector(spec.main_chart))
                    pages[f"{spec.name} {name}"] = alone
                    targets.append(Target(f"{spec.name} {name}", alone, label, alone.chart_selector(spec.main_chart)))
                pages[spec.name] = page = browser.open_spec(spec)
                targets += [Target(spec.name, page, label, page.chart_selector(spec.main_chart))
                            for label, _ in spec.sliders]
            print(f"slider change -> updated chart ({args.changes} changes each after {args.warmup} unrecorded, "
                  f"default scenes, interleaved with the floor app's slider; one tab each; 'figure alone': the "
                  "page's main figure in a one-slider app, benchmarks/figure_app.py; 'one draw': the same figure in a chart "
                  "that keeps its div, benchmarks/component_app.py):")
            interleaved([floor, *targets], args.changes, args.warmup)
            for t in [floor, *targets]:
                t.report()
            for name, page in {"floor": floor_page, **pages}.items():
                errors = page.console_errors()
                if errors or page.exceptions():
                    print(f"  note: {len(errors)} console errors, {len(page.exceptions())} exceptions on {name}")
            computes = {(spec.name, label): compute_times(spec.name, label, args.changes)
                        for spec in chart_pages() for label, _ in spec.sliders}
            side_by_side(floor, targets, computes)
            browser.close_pages()
        finally:
            floor_server.stop()
            for other in (figure_server, component_server):
                if other is not None:
                    other.stop()
            shutil.rmtree(serving, ignore_errors=True)
    finally:
        if browser is not None:
            browser.close()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
