"""The training lab's figures drawn by a real Chromium (no server): the decision boundary's heatmap
stays visible while its playback plays (plotly.js hides some backgrounds during animation), the
weights replay, and no text of any figure is cut off or overprinted, on screen and in presenter
mode, at full width and in a compare-mode column.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import threading

import numpy as np
import pytest
from PIL import Image

from harness import browser_unavailable, launch_chromium
from optviz.pages import PAGES
from optviz.training.compute import compute
from optviz.training.figures import class_colorscale
from optviz.training.scene import TrainScene
from test_layers_figures_browser import PLOTLY_JS, TEXTS, _check

pytestmark = pytest.mark.browser

PAGE = PAGES["training"]
SMALL = dict(depth=2, width=8, samples=64, steps=400)


def in_chromium(check):
    """`check(page)` in a Chromium tab, run in a thread of its own with its own Playwright.

    A sync Playwright already running in the test thread (tests/test_browser.py's session-wide
    browser) refuses to start a second one there; a thread has no event loop of its own yet.
    """
    reason = browser_unavailable()
    if reason:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set but the browser checks cannot run: {reason}")
        pytest.skip(reason)
    outcome: dict = {}

    def work() -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
                context = launch_chromium(playwright, profile, {"width": 1600, "height": 1200})
                try:
                    outcome["value"] = check(context.new_page())
                finally:
                    context.close()
        except BaseException as error:  # noqa: BLE001  (re-raised in the test's thread)
            outcome["error"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture(scope="module")
def compared():
    scene = TrainScene.build(dict(SMALL), dict(SMALL, optimizer="sgd", hparams={"learning_rate": 0.3}, batchnorm=True),
                             seeds=2)
    return scene, compute(scene)


def _draw(page, fig, width: int) -> None:
    spec = json.loads(fig.to_json())
    spec["layout"]["width"] = width
    page.set_content("<html><body style='margin:0'><div id=g></div></body></html>")
    page.add_script_tag(path=str(PLOTLY_JS))
    page.evaluate("spec => Plotly.newPlot('g', spec.data, spec.layout, {displayModeBar: false})"
                  ".then(gd => Plotly.addFrames(gd, spec.frames || []))", spec)
    page.wait_for_selector(".main-svg")


def _plot_area(page) -> dict:
    return page.evaluate("""() => { const gd = document.getElementById('g'), l = gd._fullLayout, r = gd.getBoundingClientRect();
        return {x: r.left + l.xaxis._offset, y: r.top + l.yaxis._offset, width: l.xaxis._length, height: l.yaxis._length}; }""")


def _shaded(png: bytes) -> float:
    """Fraction of pixels in the heatmap's blue or orange tint (not white, not a point's saturated colour)."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    tints = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) for c in (class_colorscale()[0][1], class_colorscale()[2][1])]
    near = np.zeros(image.shape[:2], bool)
    for tint in tints:
        near |= np.abs(image - tint).sum(axis=-1) < 90
    return float(near.mean())


def test_the_boundary_stays_visible_while_it_plays(compared):
    scene, data = compared
    fig = PAGE.build_figure("boundary", scene, data)
    steps = [int(s) for s in data.results[0].snapshot_steps]
    # Play from the second half (a trained net: a tinted plane; early frames are near white, P ~ 0.5).
    start, last = steps[len(steps) // 2], steps[-1]

    def check(page):
        _draw(page, fig, 900)
        frames = page.evaluate("() => document.getElementById('g')._transitionData._frames.length")
        area = _plot_area(page)
        clip = {"x": area["x"], "y": area["y"], "width": area["width"], "height": area["height"]}
        still = _shaded(page.screenshot(clip=clip))
        page.evaluate("name => Plotly.animate('g', [name], {mode: 'immediate', frame: {duration: 0, redraw: true}, "
                      "transition: {duration: 0}})", str(start))
        page.wait_for_function(f"() => +document.getElementById('g')._fullLayout._currentFrame === {start}")
        page.locator(".updatemenu-button", has_text="Play").click()
        page.wait_for_function(f"() => {{ const f = +document.getElementById('g')._fullLayout._currentFrame; "
                               f"return f > {start} && f < {last}; }}", polling="raf")
        playing = _shaded(page.screenshot(clip=clip))
        current = page.evaluate("() => +document.getElementById('g')._fullLayout._currentFrame")
        return frames, still, playing, current

    frames, still, playing, current = in_chromium(check)
    assert frames == len(steps) > 10
    assert start < current < last, current  # still playing when the screenshot was taken
    assert still > 0.5 and playing > 0.5, (still, playing)  # the heatmap fills the plot while frames play


def test_the_weights_replay_from_the_slider(compared):
    scene, data = compared
    fig = PAGE.build_figure("weights", scene, data)

    def check(page):
        _draw(page, fig, 900)
        before = page.evaluate("() => Array.from(document.getElementById('g')._fullData[0].y)")
        page.evaluate("() => Plotly.animate('g', ['0'], {mode: 'immediate', frame: {duration: 0, redraw: true}, "
                      "transition: {duration: 0}})")
        page.wait_for_function("() => document.getElementById('g')._fullLayout._currentFrame === '0'")
        return before, page.evaluate("() => Array.from(document.getElementById('g')._fullData[0].y)")

    before, after = in_chromium(check)
    assert after != before and sum(after) == pytest.approx(100 * data.results[0].weight_histograms[0, 0, 0].sum(), abs=0.01)


@pytest.mark.parametrize("presenter", [False, True], ids=["screen", "presenter"])
def test_no_text_is_cut_off_or_overprinted(compared, presenter):
    scene, data = compared
    jobs = [(name, 560 if name.startswith(("boundary", "weights")) else 1000,
             PAGE.build_figure(name, scene, data, presenter=presenter)) for name in PAGE.figure_names(scene)]

    def check(page):
        out = []
        for name, width, fig in jobs:
            _draw(page, fig, width)
            out.append((name, width, page.evaluate(TEXTS), page.evaluate(
                "() => { const gd = document.getElementById('g'); return [gd.layout.margin, gd._fullLayout._size]; }")))
        return out

    for name, width, texts, (given, drawn) in in_chromium(check):
        _check(texts, f"{name} presenter={presenter} at {width} px")
        for side in "lrtb":
            assert abs(drawn[side] - given[side]) <= 1, f"{name}: margin {side} given {given[side]}, needed {drawn[side]:.0f}"
