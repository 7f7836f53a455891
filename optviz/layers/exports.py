"""The initialization page's export sources: its figures, caption and per-layer data."""

from __future__ import annotations

from typing import Any

from optviz.export.source import Exportable
from optviz.layers.figures import build_figure
from optviz.layers.report import layer_stats_records
from optviz.layers.results import LayersData
from optviz.layers.scene import LayersScene


def exportable(scene: LayersScene, data: LayersData) -> Exportable:
    """What the initialization page exports for `scene` and its computed `data`."""

    def records() -> list[dict[str, Any]]:
        rows = []
        for label, stats in zip(data.labels, data.stats):
            rows += [{"network": label, **row} for row in layer_stats_records(stats)]
        return rows

    caption = " · ".join(f"{label}: {config.depth} layers x {config.width} units, {config.batch} inputs, seed {config.seed}"
                         for label, config in scene.networks)
    return Exportable(
        figure=lambda name: build_figure(name, scene, data),
        caption=caption,
        records=records,
        data=lambda: {"scene": scene.to_json(),
                      "networks": [{"label": label, "config": config.values(), "layers": layer_stats_records(s)}
                                   for (label, config), s in zip(scene.networks, data.stats)]},
    )
