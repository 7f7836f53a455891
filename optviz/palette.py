"""Colours as data: the palette and which path gets which colour (no plotting here).

Compute assigns each path its colour and every figure and export reads it, so a path is drawn
in the same colour on the contour, the loss curve, the 3-D view and the GIF.
"""

from __future__ import annotations

from typing import Any, Sequence

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: weak on white)
)


def color(index: int) -> str:
    """The palette colour of the index-th series (wraps around)."""
    return PALETTE[index % len(PALETTE)]


def path_colors(results: Sequence[Any]) -> list[str]:
    """The colour of each path: its own `color` if it has one, else one palette colour per
    optimizer instance in order of appearance (a noisy fan shares its instance's colour)."""
    groups = list(dict.fromkeys(r.instance or r.optimizer for r in results))
    return [getattr(r, "color", None) or color(groups.index(r.instance or r.optimizer)) for r in results]
