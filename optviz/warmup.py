"""Compile the jitted variants a class is likely to use, ahead of the first click.

A variant (surface x optimizer x schedule x ..., or an activation x initializer of the network
page) compiles in about a second the first time it is used. `python -m optviz warmup` computes
every page's warm-up scenes once (`Page.warmup_scenes`: its default scene, its lessons, and what
else a student is likely to pick) so that, with the persistent compilation cache
(optviz.compile_cache), the server loads them from disk instead. `bash scripts.sh app` starts it
beside the server at low priority.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Iterable, Iterator

from optviz.page import Page
from optviz.pages import PAGES


def scenes(quick: bool = False) -> Iterable[tuple[Page, str, Any]]:
    """(page, name, scene) in the order a class meets them: every page's default scene first."""
    def stream(page: Page) -> Iterator[tuple[Page, str, Any]]:
        for name, scene in page.warmup_scenes(quick):
            yield page, name, scene

    streams = [stream(page) for page in PAGES.values()]
    firsts = [next(s) for s in streams]
    return itertools.chain(firsts, *streams)


def warm_up(quick: bool = False, report: Callable[[str, float], None] | None = None, figures: bool = False) -> int:
    """Compute each scene of `scenes(quick)` once (compiling what it needs); returns how many ran.

    Args:
      quick: only every page's default scene.
      report: called with (scene name, seconds) after each.
      figures: also build each scene's main figure (a server's own prewarm: Plotly's figure
        classes load once, before the first visitor).
    """
    count = 0
    for page, name, scene in scenes(quick):
        start = time.perf_counter()
        data = page.compute(scene)
        if figures:
            page.build_figure(page.main_figure, scene, data)
        count += 1
        if report is not None:
            report(name, time.perf_counter() - start)
    return count
