"""The trajectory page's export sources: its figures, caption, data and the GIF/MP4 of the paths."""

from __future__ import annotations

from typing import Any

import numpy as np

from optviz import export, palette
from optviz.export.source import Exportable, ExportRequest
from optviz.optimizers import OPTIMIZERS
from optviz.params import Param
from optviz.schedules import SCHEDULES
from optviz.surfaces import PENALTY_PARAMS
from optviz.trajectories.figures import build_figure, contour_figure
from optviz.trajectories.results import TrajectoryData, TrajectoryResult
from optviz.trajectories.runner import RUN_PARAMS
from optviz.trajectories.scene import TrajectoryScene, _symbol


def exportable(scene: TrajectoryScene, data: TrajectoryData) -> Exportable:
    """What the trajectory page exports for `scene` and its computed `data`."""
    results, view = list(data.results), data.view

    def animate(request: ExportRequest) -> bytes:
        # The frame of the GIF: the view's action grown to the animation's plot area, at equal scales.
        paths, colors = [r.positions for r in results], palette.path_colors(results)
        labels = animation_labels(results)
        options = dict(width=request.width, height=request.height, labels=labels)
        background = contour_figure(view, [], scene.start_point, clickable=False, frame=view.box)
        _, area = export.animation_layout(background, paths, xrange=view.box[0], yrange=view.box[1], **options)
        xrange, yrange = view.frame(area.width / area.height)
        background = contour_figure(view, [], scene.start_point, clickable=False, frame=(xrange, yrange))
        return export.animate_paths(background, paths, colors, xrange=xrange, yrange=yrange, frames=request.frames,
                                    fmt=request.fmt, **options)

    return Exportable(
        figure=lambda name: build_figure(name, scene, data),
        caption=caption(scene, results, escapes=view.unbounded),
        records=lambda: export.trajectory_records(results),
        data=lambda: {"scene": scene.to_json(), "trajectories": [
            {"label": r.label, "optimizer": r.optimizer, "hparams": r.hparams, "seed": r.seed,
             "points": r.positions, "losses": r.losses, "gradients": r.gradients, "updates": r.updates,
             "step_sizes": r.step_sizes,
             "diverged_at": r.diverged_at, "divergence": r.divergence} for r in results]},
        animate=animate,
        animated_figures=("contour", "playback"),
    )


def map_exportable(scene: TrajectoryScene, data: TrajectoryData, name: str) -> Exportable:
    """What a map view exports: its figure, the trajectory caption with the map's settings, and the
    map's cells as CSV rows and JSON (with the scene)."""
    made = data.maps.get(name) if data.maps is not None else None
    settings = scene.map_settings
    if name == "hyperparameter_map" and made is not None:
        axes = ", ".join(f"{made_name} {lo:g}–{hi:g}{' (log)' if log else ''}" for made_name, lo, hi, log in (
            (made.x_name, settings["map_xlo"], settings["map_xhi"], settings["map_xlog"]),
            (made.y_name, settings["map_ylo"], settings["map_yhi"], settings["map_ylog"])))
        about = f"Hyperparameter map of {made.label}: {axes}, {settings['map_res']}² runs of {made.steps} steps"
    elif made is not None:
        about = f"Basin map of {made.label}: {settings['map_res']}² starts, {made.steps} steps"
    else:
        about = "No map"
    base = exportable(scene, data)
    return Exportable(
        figure=lambda figure_name: build_figure(figure_name, scene, data),
        caption=f"{about}. {base.caption}",
        records=lambda: made.records() if made is not None else [],
        data=lambda: {"scene": scene.to_json(), "map": _map_json(made)},
    )


def _map_json(made) -> Any:
    if made is None:
        return None
    out = {k: v for k, v in vars(made).items() if not isinstance(v, (np.ndarray, tuple)) or k in ("current", "start")}
    out.update({k: v for k, v in vars(made).items() if isinstance(v, np.ndarray)})
    return out


def animation_labels(results: list[TrajectoryResult]) -> list[str | None]:
    """The GIF legend's entry of each path: its label; a noisy fan one entry (None for its other paths)."""
    labels: list[str | None] = []
    fans = {}
    for r in results:
        if r.seed is not None:
            fans.setdefault(r.group, []).append(r)
    seen = set()
    for r in results:
        fan = fans.get(r.group, [])
        if r.seed is not None and len(fan) > 1:
            labels.append(None if r.group in seen else f"{r.base_label} ({len(fan)} noisy paths)")
            seen.add(r.group)
        else:
            labels.append(r.label)
    return labels


def term(param: Param, value: Any) -> str:
    """A setting as a caption writes it: "η = 0.2", "κ = 50", "rotation angle 0°", "bias correction off"."""
    if param.kind == "bool":
        return f"{param.label.lower()} {'on' if value else 'off'}"
    if param.kind == "choice":
        labels = dict(zip(param.choices, param.choice_labels or param.choices))
        return f"{param.label.lower()} {labels.get(value, value)}"
    unit = "°" if param.unit == "deg" else f" {param.unit}" if param.unit else ""
    text = param.format(value).replace("-", "−") + unit
    symbol = _symbol(param)
    if symbol == param.name:  # no symbol at the label's end: one inside it ("Decay every s steps"), or the label
        symbol = next((w for w in param.label.split() if len(w) == 1), None)
        if symbol is None:
            return f"{param.label.lower()} {text}"
    return f"{symbol} = {text}"


def _described(result: TrajectoryResult) -> str:
    """"SGD (η = 0.1)": the optimizer, its learning rate and every hyperparameter not at its default
    (a copy's label, "SGD (η=2.1)", says no more than that; "SGD #2" says which copy)."""
    spec = OPTIMIZERS[result.optimizer]
    settings = ", ".join(term(p, result.hparams[p.name]) for p in spec.params
                         if p.name in result.hparams and (p.name == "learning_rate" or not _same(result.hparams[p.name], p.default)))
    name = spec.label if result.base_label.startswith(spec.label + " (") else result.base_label
    return f"{name} ({settings})" if settings else name


def _same(value: Any, default: Any) -> bool:
    if isinstance(default, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return abs(value - default) <= 1e-6 * max(1.0, abs(default))  # float32 round trips
    return value == default


def caption(scene: TrajectoryScene, results: list[TrajectoryResult], escapes: bool = False) -> str:
    """The caption of an exported trajectory figure: the surface with its parameters, the start,
    the steps, the schedule (if not constant), the gradient noise and penalty (if any), and each
    optimizer with its learning rate and changed hyperparameters (symbols, as on the sliders)."""
    surface = scene.surface_spec  # a typed f(x, y): its formula
    values = scene.surface_params
    text = ", ".join([surface.label, *(term(p, values[p.name]) for p in surface.params)])
    details = []
    if scene.schedule != "constant":
        schedule = SCHEDULES[scene.schedule]
        settings = ", ".join(term(p, scene.schedule_params[p.name]) for p in schedule.params)
        details.append(schedule.label.lower() + (f" ({settings})" if settings else ""))
    run = scene.run
    if run["noise"] > 0:
        noise = next(p for p in RUN_PARAMS if p.name == "noise")
        seeds = f"seed {run['seed']}" if run["paths"] == 1 else f"seeds from {run['seed']}"
        details.append(f"gradient noise {term(noise, run['noise'])} ({seeds})")
    penalty = scene.penalty
    if penalty["penalty"] != "none" and penalty["strength"] > 0:
        kind, strength = PENALTY_PARAMS
        label = dict(zip(kind.choices, kind.choice_labels))[penalty["penalty"]]
        details.append(f"{label} penalty, {term(strength, penalty['strength'])}")
    return export.trajectory_caption(text, results, steps=run["steps"], details=details, describe=_described,
                                     start=scene.start_point, escapes=escapes)
