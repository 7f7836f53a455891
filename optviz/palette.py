"""Colours as data: the palette, each path's colour and dash, and their variants (no plotting here).

Compute assigns each path its colour and dash (optviz.trajectories.compute: the optimizer's own
registry colour) and every figure and export reads them, so a path is drawn in the same colour
on the contour, the loss curve, the 3-D view and the GIF, whatever its place in the scene.
No JAX and no registry imports: the figure modules import this one.
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

# The dash of each copy of one optimizer (sgd, sgd-2, sgd-3, ...): copy 0 is solid. "dash" is not
# among them: it marks a noisy fan's full-batch path (FULL_BATCH_DASH).
COPY_DASHES: tuple[str, ...] = ("solid", "dot", "dashdot", "longdash", "longdashdot")
FULL_BATCH_DASH = "dash"
# How far each copy's shade moves from the optimizer's colour: toward black, or toward white for
# black itself. Far enough apart to tell copies at a glance (each copy also gets its own dash);
# darker rather than lighter, because a lighter blue or purple reads as another optimizer (sky
# blue, reddish purple) and a light shade fades into the grey surface.
_COPY_SHADES: tuple[float, ...] = (0.0, 0.4, 0.6, 0.2, 0.5)


def color(index: int) -> str:
    """The palette colour of the index-th series (wraps around)."""
    return PALETTE[index % len(PALETTE)]


def rgb(hex_color: str) -> tuple[int, int, int]:
    """(r, g, b) of "#rrggbb"."""
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(values) -> str:
    return "#" + "".join(f"{int(round(min(max(v, 0), 255))):02X}" for v in values)


def luminance(hex_color: str) -> float:
    """Relative luminance in [0, 1] (WCAG's formula)."""
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb(hex_color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def mix(hex_color: str, other: str, fraction: float) -> str:
    """`hex_color` moved `fraction` of the way to `other` (both "#rrggbb")."""
    return _hex(a + (b - a) * fraction for a, b in zip(rgb(hex_color), rgb(other)))


def shade(hex_color: str, copy: int) -> str:
    """The colour of the copy-th copy of an optimizer drawn in `hex_color` (copy 0: the colour
    itself): darker shades, or grey ones of black."""
    if copy == 0:
        return hex_color
    target = "#FFFFFF" if luminance(hex_color) < 0.02 else "#000000"
    return mix(hex_color, target, _COPY_SHADES[copy % len(_COPY_SHADES)] or 0.3)


def copy_style(hex_color: str, copy: int) -> tuple[str, str]:
    """(colour, dash) of the copy-th copy of an optimizer whose registry colour is `hex_color`."""
    return shade(hex_color, copy), COPY_DASHES[copy % len(COPY_DASHES)]


def path_colors(results: Sequence[Any]) -> list[str]:
    """The colour of each path: its own `color` if it has one, else (a fallback for results built
    without compute) one palette colour per optimizer instance in order of appearance (a noisy
    fan shares its instance's colour)."""
    groups = list(dict.fromkeys(r.instance or r.optimizer for r in results))
    return [getattr(r, "color", None) or color(groups.index(r.instance or r.optimizer)) for r in results]


def path_dashes(results: Sequence[Any]) -> list[str]:
    """The dash of each path: its own `dash` if it has one, else solid."""
    return [getattr(r, "dash", None) or "solid" for r in results]
