"""From a LayersScene to what the initialization page draws and exports (shared by page and CLI)."""

from __future__ import annotations

from typing import Any, Callable

import plotly.graph_objects as go

from optviz.layers import figures as figs
from optviz.layers.scene import LayersScene
from optviz.layers.network import LayerStats, layer_stats
from optviz.layers.report import describe, layer_stats_records

FIGURES: dict[str, str] = {
    "stats": "Per-layer activation mean and std, and gradient std (main figure)",
    "histograms": "Per-layer activation histograms of network A",
    "histograms_b": "Per-layer activation histograms of network B (compare mode)",
    "saturation": "Saturated and dead fractions per layer",
    "activation": "The activation function and its derivative",
}
MAIN_FIGURE = "stats"


def statistics(scene: LayersScene) -> list[LayerStats]:
    """LayerStats of each shown network (A, then B)."""
    return [layer_stats(config) for _, config in scene.networks]


def build_figure(name: str, scene: LayersScene, stats: list[LayerStats], *, presenter: bool = False) -> go.Figure:
    labels = [label for label, _ in scene.networks]
    builders: dict[str, Callable[[], go.Figure]] = {
        "stats": lambda: figs.stats_figure(stats, labels, presenter=presenter),
        "histograms": lambda: figs.histograms_figure(stats[0], presenter=presenter, title=f"Activations per layer — {labels[0]}"),
        "histograms_b": lambda: figs.histograms_figure(stats[1], presenter=presenter, title=f"Activations per layer — {labels[1]}"),
        "saturation": lambda: figs.saturation_figure(stats, labels, presenter=presenter),
        "activation": lambda: figs.activation_figure(scene.a.activation, presenter=presenter),
    }
    if name not in builders:
        raise ValueError(f"unknown figure {name!r}; choose one of: {', '.join(FIGURES)}")
    if name == "histograms_b" and scene.b is None:
        raise ValueError("figure 'histograms_b' needs a second network (compare mode)")
    return builders[name]()


def descriptions(scene: LayersScene, stats: list[LayerStats]) -> list[tuple[str, list[str]]]:
    """[(network label, sentences naming what is shown)]."""
    return [(label, describe(s, config)) for (label, config), s in zip(scene.networks, stats)]


def exportable(scene: LayersScene, stats: list[LayerStats]):
    """The page's export sources (see optviz.export.source)."""
    from optviz.export.source import Exportable

    def records() -> list[dict[str, Any]]:
        rows = []
        for (label, _), s in zip(scene.networks, stats):
            rows += [{"network": label, **row} for row in layer_stats_records(s)]
        return rows

    caption = " · ".join(f"{label}: {config.depth} layers x {config.width} units, {config.batch} inputs, seed {config.seed}"
                         for label, config in scene.networks)
    return Exportable(
        figure=lambda name: build_figure(name, scene, stats),
        caption=caption,
        records=records,
        data=lambda: {"scene": scene.to_json(),
                      "networks": [{"label": label, "config": config.values(), "layers": layer_stats_records(s)}
                                   for (label, config), s in zip(scene.networks, stats)]},
    )
