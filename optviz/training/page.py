"""The training lab, declared once (see optviz.page.Page and optviz.pages.PAGES)."""

from __future__ import annotations

from typing import Iterable

from optviz.page import Page, View
from optviz.training import lessons
from optviz.training.compute import compute
from optviz.training.exports import exportable
from optviz.training.figures import FIGURES, build_figure, has_figure
from optviz.training.scene import TrainScene


def warmup_scenes(quick: bool) -> Iterable[tuple[str, TrainScene]]:
    """The default scene, then every lesson's: each compiles its own training kernels (a structure,
    an optimizer, a schedule, a batch size), which is what a class meets first."""
    yield "default training", TrainScene()
    if not quick:
        for lesson in lessons.LESSONS:
            yield f"lesson {lesson.key}", lesson.make_scene()


PAGE = Page(
    key="training",
    title="Training lab",
    icon="🧪",
    url_path="training",
    script="pages/training.py",
    summary="A small network trains live: train/validation curves, the decision boundary (digits: the confusion "
            "matrix), per-layer statistics, weights; two runs side by side.",
    scene_type=TrainScene,
    compute=compute,
    figures=FIGURES,
    build_figure=build_figure,
    exportable=exportable,
    subject=lambda scene: scene.a.dataset,
    views=(
        View("Loss & accuracy", ("curves",)),
        View("Decision boundary", ("boundary", "boundary_b"),
             caption="Shaded: the class the network predicts (white: the boundary, P = 0.5). ▶ Play replays "
                     "training from the stored snapshots; ⬇ Export makes it a GIF or MP4."),
        View("Per-layer statistics", ("layer_stats",),
             caption="Lighter lines: layers nearer the input. The update/weight ratio of a healthy layer is "
                     "about 10⁻³ per step (cs231n's rule of thumb)."),
        View("Weights", ("weights", "weights_b")),
        # Data sets that are not 2-D (digits): has_figure leaves the boundary out and these in.
        View("Confusion & errors", ("confusion", "confusion_b", "misclassified", "misclassified_b"),
             caption="Rows: the true class; columns: the class the network predicts. Blue: right (the diagonal); "
                     "orange: mistakes, darker the more. Beside it, the validation images it gets wrong, most "
                     "confidently wrong first (p: the probability it gives the wrong class)."),
    ),
    lessons=lessons.LESSONS,
    warmup_scenes=warmup_scenes,
    state_key="training_scene",
    widget_prefix="lab.",
    key_controls=(("Learning rate η", "learning_rate"), ("L2 λ", "l2")),
    has_figure=has_figure,
    lesson_about=("dataset", "optimizer", "activation", "init", "batchnorm", "compare",
                  "b.dataset", "b.optimizer", "b.activation", "b.init", "b.batchnorm"),
)
