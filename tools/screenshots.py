"""Screenshots of optviz as the class sees it: every page and lesson at projector and laptop sizes.

Starts the app (or uses --url), opens each (page, link) in headless Chromium at each viewport, in
normal and presenter mode, waits for the charts, and saves what is on the first screen (PNG) plus
a JSON line per shot with where the main chart's plotting area lies. Look at them before a release.

    .venv/bin/python tools/screenshots.py OUT_DIR [--viewports 1280x720,1600x1000] [--lessons] [--url URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from browser_support import Browser, app_pages  # noqa: E402
from harness import AppServer  # noqa: E402

# The main chart's plotting area (the rectangle of its first x/y axes) in viewport pixels.
PLOT_AREA_JS = """(sel) => {
  const gd = document.querySelector(sel);
  if (!gd || !gd._fullLayout) return null;
  const r = gd.getBoundingClientRect(), l = gd._fullLayout, xa = l.xaxis, ya = l.yaxis;
  if (!xa || !ya) return {x: r.left, y: r.top, width: r.width, height: r.height};
  return {x: r.left + xa._offset, y: r.top + ya._offset, width: xa._length, height: ya._length};
}"""


def any_chart(spec):
    """`spec` for a shot of another tab than the page's first: wait for any chart, not the main one."""
    return dataclasses.replace(spec, charts=1, ready=None, main_chart=None)


def shots(lessons: bool) -> list[tuple[str, object, dict]]:
    """(name, spec, query) of every page's default scene, and of every lesson if asked."""
    from optviz.pages import LESSONS, PAGES

    specs = {spec.name: spec for spec in app_pages()}
    out = [(spec.name, spec, {}) for spec in specs.values()]
    if lessons:
        for key, lesson in LESSONS.items():
            page, spec = PAGES[lesson.page], specs[lesson.page]
            if page.lesson_view(lesson) != page.views[0].label:  # it opens another tab
                spec = any_chart(spec)
            out.append((f"lesson-{key}", spec, {"scene": key}))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--viewports", default="1280x720,1600x1000")
    parser.add_argument("--lessons", action="store_true", help="also every lesson scene")
    parser.add_argument("--modes", default="presenter,normal")
    parser.add_argument("--url", help="an optviz server already running (default: start one)")
    parser.add_argument("--only", help="comma-separated shot names to take")
    parser.add_argument("--link", action="append", default=[], metavar="NAME=PAGE?QUERY",
                        help="also a shot of this share link, e.g. steps=trajectories?view=3&opt=sgd,adam (repeatable)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = None if args.url else AppServer().start(timeout=180)
    url = args.url or server.url
    browser = Browser(url)
    records = []
    try:
        specs = {spec.name: spec for spec in app_pages()}
        links = []
        for link in args.link:
            name, _, target = link.partition("=")
            page_name, _, query = target.partition("?")
            # a link may open another view
            links.append((name, any_chart(specs[page_name]), dict(urllib.parse.parse_qsl(query))))
        for name, spec, query in shots(args.lessons) + links:
            if args.only and name not in args.only.split(",") and name not in {n for n, _, _ in links}:
                continue
            for viewport in args.viewports.split(","):
                width, height = (int(v) for v in viewport.split("x"))
                for mode in args.modes.split(","):
                    page = browser.new_page()
                    page.page.set_viewport_size({"width": width, "height": height})
                    q = dict(query, **({"presenter": "1"} if mode == "presenter" else {}))
                    page.goto(spec.path, q, charts=spec.charts or None, ready=spec.ready)
                    page.page.wait_for_timeout(800)  # plotly's last redraws
                    file = out / f"{name}-{viewport}-{mode}.png"
                    page.page.screenshot(path=str(file))
                    area = page.page.evaluate(PLOT_AREA_JS, page.chart_selector(spec.main_chart)) if spec.main_chart else None
                    visible = None
                    if area:
                        top, bottom = max(area["y"], 0), min(area["y"] + area["height"], height)
                        visible = round(max(0.0, bottom - top) / area["height"], 3) if area["height"] else 0.0
                    record = {"shot": file.name, "viewport": viewport, "mode": mode, "plot_area": area,
                              "first_screen_fraction": visible, "exceptions": len(page.exceptions())}
                    records.append(record)
                    print(json.dumps(record), flush=True)
                    page.page.close()
                    browser.pages.remove(page)
    finally:
        browser.close()
        if server:
            server.stop()
    (out / "shots.json").write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
