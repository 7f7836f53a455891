"""Time optviz as a student sees it, in a real Chromium: slider move -> updated chart (p50/p95),
and cold start (server start -> first chart; a second session's first chart).

Starts its own server (`python -m optviz.ui.server`, 127.0.0.1, free port) and a headless Debian
Chromium through Playwright; helpers come from tests/browser_support.py.
Run: .venv/bin/python benchmarks/bench_browser.py [--changes 20]
Prints measured figures; asserts nothing (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from optviz.compile_cache import DEFAULT_DIR  # noqa: E402  (where the app keeps compiled variants)
from harness import AppServer, browser_unavailable  # noqa: E402
from browser_support import (  # noqa: E402
    READY,
    TRAJECTORIES,
    AppPage,
    Browser,
    PageSpec,
    chart_pages,
    slider,
)

# Page-side timing of one change: when the script started and stopped running, and when the chart
# first held new data (checked every animation frame).
_WATCH = """([sel]) => {
  const app = document.querySelector('[data-testid=stApp]');
  const w = window.__bench = {t0: performance.now(), key: null, running: null, done: null, chart: null};
  // The event's own time stamp: when the key went down, even if the page was busy then.
  document.addEventListener('keydown', (event) => { w.key = event.timeStamp; }, {capture: true, once: true});
  const old = Array.from(document.querySelectorAll(sel)).map(e => e.data);
  const oldJson = old.map(d => JSON.stringify(d));
  const obs = new MutationObserver(() => {
    const s = app.getAttribute('data-test-script-state');
    if (s === 'running' && w.running === null) w.running = performance.now();
    if (s === 'notRunning' && w.running !== null && w.done === null) { w.done = performance.now(); obs.disconnect(); }
  });
  obs.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const tick = () => {
    const now = Array.from(document.querySelectorAll(sel)).map(e => e.data);
    if (now.length && now.some((d, i) => d !== old[i] && JSON.stringify(d) !== oldJson[i])) { w.chart = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
_DONE = f"() => window.__bench.chart !== null && window.__bench.done !== null && !!document.querySelector('{READY}')"


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def fmt(xs: list[float]) -> str:
    return f"p50 {pct(xs, 50) * 1e3:5.0f} ms  p95 {pct(xs, 95) * 1e3:5.0f} ms  max {max(xs) * 1e3:5.0f} ms  (n={len(xs)})"


def slider_changes(page: AppPage, spec: PageSpec, label: str, changes: int) -> None:
    """Move one slider `changes` times with the keyboard; time each until the new chart is drawn.

    Three clocks: the page's own, from the key's keydown event to the first animation frame with
    the new chart data drawn (what the student waits for: the target), and to the end of the run
    (the rest of the page settled); and the test driver's wall clock from `press` until the page is
    idle again (adds Playwright's round trips and polling).
    """
    s = slider(page, label)
    s.focus()
    sel = page.chart_selector(spec.main_chart)
    to_chart, to_done, wall, server = [], [], [], []
    key = "ArrowRight"
    for _ in range(changes):
        if s.input_value() == s.get_attribute("max"):
            key = "ArrowLeft"
        elif s.input_value() == s.get_attribute("min"):
            key = "ArrowRight"
        page.page.evaluate(_WATCH, [sel])
        t = time.perf_counter()
        s.press(key)
        page.page.wait_for_function(_DONE, polling="raf", timeout=60_000)
        wall.append(time.perf_counter() - t)
        w = page.page.evaluate("() => window.__bench")
        to_chart.append((w["chart"] - w["key"]) / 1e3)
        to_done.append((max(w["done"], w["chart"]) - w["key"]) / 1e3)
        if w["running"] is not None:
            server.append((w["done"] - w["running"]) / 1e3)
        time.sleep(0.2)  # a person does not move a slider every frame
    print(f"  {spec.name}: {label!r}:")
    print(f"      keydown -> new chart drawn (page clock):  {fmt(to_chart)}   <- target p50 < 400, p95 < 800")
    print(f"      keydown -> run finished, page settled:    {fmt(to_done)}")
    print(f"      press -> page idle (driver wall clock):   {fmt(wall)}")
    if server:
        print(f"      script running as the page sees it:       {fmt(server)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--changes", type=int, default=20, help="slider changes per slider (p50/p95 over these)")
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

        print(f"slider change -> updated chart ({args.changes} changes each, default scenes):")
        for spec in chart_pages():
            page = browser.open_spec(spec)
            for label, _ in spec.sliders:
                slider_changes(page, spec, label, args.changes)
            errors = page.console_errors()
            if errors or page.exceptions():
                print(f"  note: {len(errors)} console errors, {len(page.exceptions())} exceptions on {spec.name}")
            browser.close_pages()
    finally:
        if browser is not None:
            browser.close()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
