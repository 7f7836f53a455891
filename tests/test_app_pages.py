"""AppTest over the page registry: every page renders its default scene and every lesson link,
with its title, its main chart, the lesson banner and no exception (optviz.pages.PAGES)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optviz.pages import LESSONS, PAGES

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # the first run imports JAX and compiles


def run(page, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / page.script), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize("key", list(PAGES))
def test_every_page_renders_its_default_scene(key):
    page = PAGES[key]
    at = run(page)
    assert not at.exception, at.exception
    assert at.title[0].value == page.title
    charts = at.get("plotly_chart")
    assert len(charts) == len(page.views[0].figures) or page.main_figure == "histograms"
    main = json.loads(charts[0].proto.spec)
    expected = page.build_figure(page.main_figure, page.scene_type(), page.compute(page.scene_type())).to_plotly_json()
    assert {t.get("name") for t in expected["data"]} <= {t.get("name") for t in main["data"]}
    assert dict(at.query_params) == page.scene_type().to_query()  # the share link holds the scene


@pytest.mark.parametrize("key", list(LESSONS))
def test_every_lesson_link_shows_its_scene_and_banner(key):
    lesson = LESSONS[key]
    page = PAGES[lesson.page]
    at = run(page, {"scene": key})
    assert not at.exception, at.exception
    adjusted = [w.value for w in at.warning if "adjusted" in w.value]
    assert not adjusted, adjusted  # a lesson's own link adjusts nothing
    assert any(lesson.title in info.value for info in at.info), "no lesson banner"
    scene = lesson.make_scene()
    assert {k: at.query_params[k] for k in scene.to_query()} == scene.to_query()
    assert at.query_params["scene"] == key
    # The lesson opens the tab its claim is on (Lesson.view; the first by default), and the link says so.
    labels = [view.label for view in page.views]
    assert at.session_state[page.widget_prefix + "view"] == page.lesson_view(lesson)
    assert at.query_params.get("view", "1") == str(labels.index(page.lesson_view(lesson)) + 1)


def test_a_lesson_with_a_view_opens_it_from_its_button_and_its_link():
    lesson = LESSONS["step_decay"]
    page = PAGES[lesson.page]
    assert lesson.view == "Loss & distance"
    at = run(page, {"view": "2"})  # on the 3-D tab, the lesson picker open
    assert at.session_state[page.widget_prefix + "view"] == "3-D surface"
    at.session_state[page.state_key + ".lessons_open"] = True
    at.run()
    at.button(key=f"lesson.{lesson.key}").click().run()
    assert not at.exception, at.exception
    assert at.session_state[page.widget_prefix + "view"] == "Loss & distance"
    assert at.query_params["view"] == "3" and at.query_params["scene"] == lesson.key
    assert len(at.get("plotly_chart")) == 2  # loss and distance, side by side
    assert any(lesson.title in info.value for info in at.info)
    # Another lesson's button: its own (first) tab.
    at.button(key="lesson.sgd_zigzag").click().run()
    assert at.session_state[page.widget_prefix + "view"] == "Contour" and "view" not in at.query_params
    # A link that names a view keeps it over the lesson's.
    at = run(page, {"scene": lesson.key, "view": "1"})
    assert at.session_state[page.widget_prefix + "view"] == "Contour"


def test_a_lesson_must_name_a_view_of_its_page():
    import dataclasses

    page = PAGES["trajectories"]
    stray = dataclasses.replace(page.lessons[0], view="No such tab")
    with pytest.raises(ValueError, match="view"):
        dataclasses.replace(page, lessons=(stray,))


def test_a_link_that_changes_what_the_lesson_is_about_drops_the_lesson():
    # The momentum lesson's link with another surface and optimizer: Adam on a saddle is not that lesson.
    page = PAGES["trajectories"]
    at = run(page, {"scene": "momentum_overshoot", "surface": "saddle", "opt": "adam"})
    assert not at.exception
    assert "scene" not in at.query_params and at.query_params["surface"] == "saddle"
    assert not any("Momentum" in info.value for info in at.info)  # no banner
    assert not [w.value for w in at.warning if "adjusted" in w.value]  # the lesson's start is not blamed on the link


@pytest.mark.parametrize("key, explore, leave", [
    ("momentum_overshoot", {"traj.s.angle": 10.0}, {"traj.surface": "saddle"}),
    ("relu_xavier", {"lay.a.gain": 1.5}, {"lay.a.activation": "tanh"}),
])
def test_the_lesson_box_stays_while_exploring_and_goes_when_the_lesson_is_left(key, explore, leave):
    lesson = LESSONS[key]
    at = run(PAGES[lesson.page], {"scene": key})
    (name, value), = explore.items()
    at.session_state[name] = value
    at.run()
    banner = [info.value for info in at.info if lesson.title in info.value]
    assert banner and "You changed the lesson's scene" in banner[0]
    assert at.query_params["scene"] == key and any(b.label == "↺ Lesson" for b in at.button)
    at.button(key=f"{PAGES[lesson.page].state_key}.lesson_reset").click().run()
    assert [info.value for info in at.info if lesson.title in info.value and "You changed" not in info.value]
    (name, value), = leave.items()
    at.session_state[name] = value
    at.run()
    assert not [info.value for info in at.info if lesson.title in info.value]
    assert "scene" not in at.query_params
