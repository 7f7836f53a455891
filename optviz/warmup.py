"""Compile the jitted variants a class is likely to use, ahead of the first click.

A variant (surface x optimizer x schedule x ..., or an activation x initializer of the network
page) compiles in ~0.5-2 s the first time it is used. `python -m optviz warmup` runs every
lesson scene and every activation and initializer once, so that, with the persistent
compilation cache (optviz.compile_cache), the server loads them from disk instead. `bash
scripts.sh app` starts it beside the server at low priority.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from optviz.trajectories import compute
from optviz.layers import compute as layers_compute
from optviz.activations import ACTIVATIONS
from optviz.initializers import INITIALIZERS
from optviz.layers.scene import LayersScene
from optviz.lessons import LESSONS
from optviz.layers.network import NetworkConfig
from optviz.trajectories.scene import TrajectoryScene


def scenes(quick: bool = False) -> Iterable[tuple[str, TrajectoryScene | LayersScene]]:
    """(name, scene) in the order a class meets them: the two default scenes first."""
    yield "default trajectories", TrajectoryScene()
    yield "default layers", LayersScene()
    if quick:
        return
    for key, lesson in LESSONS.items():
        yield f"lesson {key}", lesson.make_scene()
    for activation in ACTIVATIONS:
        for batchnorm in (False, True):
            config, _ = NetworkConfig.from_values({"activation": activation, "batchnorm": batchnorm})
            yield f"activation {activation}{' + batch norm' if batchnorm else ''}", LayersScene(config, None)
    for init in INITIALIZERS:
        config, _ = NetworkConfig.from_values({"init": init})
        yield f"initializer {init}", LayersScene(config, None)


def warm_up(quick: bool = False, report: Callable[[str, float], None] | None = None) -> int:
    """Run each scene of `scenes(quick)` once (compiling what it needs); returns how many ran.

    Args:
      quick: only the two default scenes.
      report: called with (scene name, seconds) after each.
    """
    count = 0
    for name, scene in scenes(quick):
        start = time.perf_counter()
        if isinstance(scene, TrajectoryScene):
            compute.trajectories(scene)
            compute.surface_view(scene)
        else:
            layers_compute.statistics(scene)
        count += 1
        if report is not None:
            report(name, time.perf_counter() - start)
    return count
