"""The initialization & activations page, declared once (see optviz.page.Page and optviz.pages.PAGES)."""

from __future__ import annotations

from typing import Iterable

from optviz.activations import ACTIVATIONS
from optviz.initializers import INITIALIZERS
from optviz.layers import lessons
from optviz.layers.compute import compute
from optviz.layers.exports import exportable
from optviz.layers.figures import FIGURES, build_figure, has_figure
from optviz.layers.network import NetworkConfig
from optviz.layers.scene import LayersScene
from optviz.page import Page, View


def warmup_scenes(quick: bool) -> Iterable[tuple[str, LayersScene]]:
    """The default scene, then every lesson's, every activation (with and without batch norm) and
    every initializer: each is a compiled variant a student may pick."""
    yield "default layers", LayersScene()
    if quick:
        return
    for lesson in lessons.LESSONS:
        yield f"lesson {lesson.key}", lesson.make_scene()
    for activation in ACTIVATIONS:
        for batchnorm in (False, True):
            config, _ = NetworkConfig.from_values({"activation": activation, "batchnorm": batchnorm})
            yield f"activation {activation}{' + batch norm' if batchnorm else ''}", LayersScene(config, None)
    for init in INITIALIZERS:
        config, _ = NetworkConfig.from_values({"init": init})
        yield f"initializer {init}", LayersScene(config, None)


PAGE = Page(
    key="layers",
    short_title="Initialization",
    title="Initialization & activations",
    icon="🧱",
    url_path="layers",
    script="pages/layers.py",
    summary="Per-layer activations and gradients of a deep network for every initializer and activation.",
    scene_type=LayersScene,
    compute=compute,
    figures=FIGURES,
    build_figure=build_figure,
    exportable=exportable,
    subject=lambda scene: scene.a.activation,
    views=(
        View("Mean & std per layer", ("stats",)),
        View("Histograms", ("histograms", "histograms_b")),
        View("Saturated, dead & same-sign", ("saturation",)),
        View("Activation function", ("activation",)),
    ),
    lessons=lessons.LESSONS,
    warmup_scenes=warmup_scenes,
    state_key="layers_scene",
    widget_prefix="lay.",
    key_controls=(("Gain", "gain"),),
    has_figure=has_figure,
    lesson_about=("activation", "init", "batchnorm", "compare", "b.activation", "b.init", "b.batchnorm"),
)
