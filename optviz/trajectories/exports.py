"""The trajectory page's export sources: its figures, caption, data and the GIF/MP4 of the paths."""

from __future__ import annotations

from optviz import export, palette
from optviz.export.source import Exportable, ExportRequest
from optviz.surfaces import SURFACES
from optviz.trajectories.figures import build_figure
from optviz.trajectories.results import TrajectoryData
from optviz.trajectories.scene import TrajectoryScene


def exportable(scene: TrajectoryScene, data: TrajectoryData) -> Exportable:
    """What the trajectory page exports for `scene` and its computed `data`."""
    results, view = list(data.results), data.view

    def animate(request: ExportRequest) -> bytes:
        background = build_figure("contour", scene, TrajectoryData((), view))
        background.update_layout(showlegend=False)
        (x0, x1), (y0, y1) = view.domain
        return export.animate_paths(background, [r.positions for r in results], palette.path_colors(results),
                                    xrange=(x0, x1), yrange=(y0, y1), frames=request.frames, fmt=request.fmt,
                                    width=request.width, height=request.height, labels=[r.label for r in results])

    return Exportable(
        figure=lambda name: build_figure(name, scene, data),
        caption=export.trajectory_caption(SURFACES[scene.surface].label, results, steps=scene.run["steps"]),
        records=lambda: export.trajectory_records(results),
        data=lambda: {"scene": scene.to_json(), "trajectories": [
            {"label": r.label, "optimizer": r.optimizer, "hparams": r.hparams, "seed": r.seed,
             "points": r.positions, "losses": r.losses, "gradients": r.gradients, "updates": r.updates,
             "diverged_at": r.diverged_at, "divergence": r.divergence} for r in results]},
        animate=animate,
        animated_figures=("contour", "playback"),
    )
