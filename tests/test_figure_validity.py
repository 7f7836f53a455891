"""Every figure builder's output is a valid Plotly figure.

The builders skip Plotly's per-property validation for speed (optviz.style), so this suite
validates their output in full: every figure of every page's default scene and of every lesson
scene, on screen and in presenter mode (the pages come from the registry, optviz.pages.PAGES).
"""

import json

import plotly.graph_objects as go
import pytest

from optviz.pages import LESSONS, PAGES

SCENES = {f"default {key}": (page, page.scene_type) for key, page in PAGES.items()} | {
    key: (PAGES[lesson.page], lesson.make_scene) for key, lesson in LESSONS.items()}


@pytest.mark.parametrize("presenter", [False, True])
@pytest.mark.parametrize("key", list(SCENES))
def test_every_figure_validates(key, presenter):
    page, make_scene = SCENES[key]
    scene = make_scene()
    data = page.compute(scene)
    names = page.figure_names(scene)
    assert names and page.main_figure in names
    for name in names:
        fig = page.build_figure(name, scene, data, presenter=presenter)
        spec = fig.to_dict()
        validated = go.Figure(spec)  # raises on any unknown property or invalid value
        assert len(validated.data) == len(spec["data"]), name
        assert validated.layout.font.size == (22 if presenter else 14), name
        # Validation also normalizes (e.g. font_size -> font.size, which Plotly.js would ignore):
        # the browser must receive exactly what a validated figure would send.
        assert json.loads(validated.to_json()) == json.loads(fig.to_json()), name


def test_the_clickable_contour_validates():
    page = PAGES["trajectories"]
    scene = page.scene_type()
    fig = page.build_figure("contour", scene, page.compute(scene), clickable=True)
    assert json.loads(go.Figure(fig.to_dict()).to_json()) == json.loads(fig.to_json())
