"""Every figure builder's output is a valid Plotly figure.

The builders skip Plotly's per-property validation for speed (optviz.style), so this
suite validates their output in full: every figure of every lesson scene, on screen and in
presenter mode.
"""

import json

import plotly.graph_objects as go
import pytest

from optviz.trajectories import compute
from optviz.layers import compute as layers_compute
from optviz.layers.scene import LayersScene
from optviz.lessons import LESSONS
from optviz.trajectories.scene import TrajectoryScene


def _figures(scene, presenter):
    if isinstance(scene, TrajectoryScene):
        results, view = compute.trajectories(scene), compute.surface_view(scene)
        return {name: compute.build_figure(name, scene, results, view, presenter=presenter, clickable=True)
                for name in compute.FIGURES}
    stats = layers_compute.statistics(scene)
    return {name: layers_compute.build_figure(name, scene, stats, presenter=presenter)
            for name in layers_compute.FIGURES if not (name.endswith("_b") and scene.b is None)}


SCENES = {"default trajectories": TrajectoryScene(), "default layers": LayersScene()} | {
    key: lesson.make_scene() for key, lesson in LESSONS.items()}


@pytest.mark.parametrize("presenter", [False, True])
@pytest.mark.parametrize("key", list(SCENES))
def test_every_figure_validates(key, presenter):
    figures = _figures(SCENES[key], presenter)
    assert figures
    for name, fig in figures.items():
        spec = fig.to_dict()
        validated = go.Figure(spec)  # raises on any unknown property or invalid value
        assert len(validated.data) == len(spec["data"]), name
        assert validated.layout.font.size == (22 if presenter else 14), name
        # Validation also normalizes (e.g. font_size -> font.size, which Plotly.js would ignore):
        # the browser must receive exactly what a validated figure would send.
        assert json.loads(validated.to_json()) == json.loads(fig.to_json()), name
