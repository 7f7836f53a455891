"""The training lab's export sources: its figures, caption, curves as data and the GIF/MP4 of the
decision boundary over training (A and B side by side when comparing)."""

from __future__ import annotations

from typing import Any

from optviz.export.source import Exportable, ExportRequest
from optviz.training.animation import animate_boundary
from optviz.training.figures import ANIMATED_FIGURES, build_figure, has_figure
from optviz.training.results import TrainingData


def records(data: TrainingData) -> list[dict[str, Any]]:
    """One row per run, seed and evaluation: the curves the main figure draws (empty cells after a
    divergence); an ensemble's own curves follow its members', with seed "ensemble"."""
    rows = []
    for info, result in data.pairs():
        curves = [(int(seed), result.train_loss[index], result.val_loss[index], result.train_accuracy[index],
                   result.val_accuracy[index]) for index, seed in enumerate(result.seeds)]
        if result.is_ensemble:
            curves.append(("ensemble", result.ensemble_train_loss, result.ensemble_val_loss,
                           result.ensemble_train_accuracy, result.ensemble_val_accuracy))
        for seed, train_loss, val_loss, train_accuracy, val_accuracy in curves:
            for e, step in enumerate(result.steps):
                rows.append({"run": info.key.upper(), "label": info.label, "seed": seed, "step": int(step),
                             "train_loss": train_loss[e], "val_loss": val_loss[e], "train_accuracy": train_accuracy[e],
                             "val_accuracy": val_accuracy[e], "learning_rate": result.learning_rate[e]})
    return rows


def caption(scene, data: TrainingData) -> str:
    """What an exported figure shows, in one line per run: the data, network, training and seeds."""
    from optviz.training.scene import describe  # registries: the page has them loaded anyway

    lines = []
    for (which, config), info in zip(scene.configs, data.runs):
        parts = describe(config)
        keys = ("optimizer", "learning_rate", "hparams", "data", "network", "init", "bias", "batchnorm", "dropout", "l2",
                "l1", "label_smoothing", "mixup", "augment", "restore_best", "ensemble", "transfer", "batch", "schedule",
                "steps", "seed")
        text = ", ".join(parts[key] for key in keys if parts[key] and parts[key] not in ("no dropout", "no L2", "no batch norm"))
        prefix = f"{which.upper()}: " if scene.b is not None else ""
        lines.append(prefix + text + (f" ({scene.seeds} seeds)" if scene.seeds > 1 else ""))
    return "\n".join(lines)


def exportable(scene, data: TrainingData) -> Exportable:
    """What the training lab exports for `scene` and its computed `data`."""

    def animate(request: ExportRequest) -> bytes:
        return animate_boundary(data.pairs(), fmt=request.fmt, width=request.width, height=request.height,
                                frames=request.frames)

    def payload() -> dict[str, Any]:
        return {"scene": scene.to_json(), "runs": [
            {"run": info.key.upper(), "label": info.label, "seeds": [result.to_json(i) for i in range(len(result.seeds))]}
            for info, result in data.pairs()]}

    return Exportable(
        figure=lambda name: build_figure(name, scene, data),
        caption=caption(scene, data),
        records=lambda: records(data),
        data=payload,
        animate=animate,
        animated_figures=tuple(name for name in ANIMATED_FIGURES if has_figure(name, scene)),  # 2-D data only
    )
