"""The optimizer-trajectory page, declared once (see optviz.page.Page and optviz.pages.PAGES)."""

from __future__ import annotations

from typing import Iterable

from optviz.page import Page, View
from optviz.trajectories import lessons
from optviz.trajectories.compute import compute
from optviz.trajectories.exports import exportable
from optviz.trajectories.figures import FIGURES, build_figure
from optviz.trajectories.scene import TrajectoryScene


def warmup_scenes(quick: bool) -> Iterable[tuple[str, TrajectoryScene]]:
    """The default scene, then every lesson's (their jitted variants are what a class meets first)."""
    yield "default trajectories", TrajectoryScene()
    if not quick:
        for lesson in lessons.LESSONS:
            yield f"lesson {lesson.key}", lesson.make_scene()


PAGE = Page(
    key="trajectories",
    short_title="Trajectories",
    title="Optimizer trajectories",
    icon="📉",
    url_path="trajectories",
    script="pages/trajectories.py",
    summary="SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam and Newton on ravines, saddles and local minima.",
    scene_type=TrajectoryScene,
    compute=compute,
    figures=FIGURES,
    build_figure=build_figure,
    exportable=exportable,
    subject=lambda scene: scene.surface,
    views=(
        View("Contour", ("contour",)),
        View("3-D surface", ("surface3d",)),
        View("Loss & distance", ("loss", "distance")),
        View("Playback", ("playback",), caption="▶ Play moves every path at once; drag the step slider to stop at any "
                                                "step. ⬇ Export makes it a GIF or MP4 for slides."),
        View("Hyperparameter map", ("hyperparameter_map",),
             caption="Every cell is one run from the start point for the scene's steps: two hyperparameters of the first "
                     "shown optimizer that has two (SGD has only η: Momentum's row μ = 0 is SGD), the others as set. "
                     "Red: diverged. Dashed: the theory's stability boundary (quadratic). Click a cell to run it."),
        View("Basin map", ("basin_map",),
             caption="Every start of a grid over the surface, run with the first shown optimizer, coloured by the minimum "
                     "(★) it reaches; grey: diverged or not at a minimum after the steps. Click a cell to start there."),
        # last: links name views by number, and earlier links keep theirs
        View("Step sizes", ("step_size_x", "step_size_y"),
             caption="Each update's step size per coordinate: η for SGD and momentum, η/(√v̂+ε) for the adaptive "
                     "methods, whose small gradients get long steps and steep ones short (the per-parameter learning "
                     "rate). With noise, the full-batch path's."),
    ),
    lessons=lessons.LESSONS,
    warmup_scenes=warmup_scenes,
    state_key="trajectory_scene",
    widget_prefix="traj.",
    key_controls=(("Rotation angle (deg)", "angle"), ("Condition number κ", "condition_number")),
    lesson_about=("surface", "opt"),
    has_figure=lambda name, scene: (name != "hyperparameter_map" or scene.map_instance is not None)
                                   and (name != "basin_map" or scene.basin_instance is not None),
)
