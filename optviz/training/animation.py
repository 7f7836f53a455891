"""GIF/MP4 of the decision boundary over training: the heatmap of P(class 1) changes every frame,
the data points, axes and labels do not.

Rendering every frame with kaleido would take a second each. Instead the axes are rendered once
per run (`optviz.export.prepare_background` + `render_background`: kaleido, or a NumPy raster
without Chromium) with fixed margins and explicit ranges, so the data -> pixel map of the plot
area is exact (`PlotArea`). Frames are then palette ("P") images composed in NumPy: the
background's indices, the heatmap's indices in the plot area (the grid's probabilities sampled
bilinearly at every pixel, precomputed weights, through a fixed colour ramp), the points drawn
once as an overlay, and the step counter. One palette for every frame: nothing is re-quantised,
and frames stream to the encoder one at a time. Pixels x frames are capped like a PNG's pixels
(`MAX_ANIMATION_PIXELS`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageColor, ImageDraw

from optviz.export import ExportUnavailable, PlotArea, prepare_background
from optviz.export._animation import _encode_mp4
from optviz.export._background import load_font, render_background
from optviz.style import DIVERGED_COLOR
from optviz.style import layout as style_layout
from optviz.training.figures import CLASS_COLORS, class_colorscale
from optviz.training.results import RunInfo, TrainResult

MAX_ANIMATION_PIXELS = 200_000_000
"""Most width x height x frames of one boundary animation (1200 x 800 px x 200 frames); more frames
are cut to fit (at least 2)."""

HEAT_LEVELS = 160
"""Palette entries of the P(class 1) colour ramp (the rest hold the axes, points and text)."""

_WHITE = (255, 255, 255)
_TEXT = (17, 17, 17)
_OUTLINE = (34, 34, 34)
_DIVERGED = ImageColor.getrgb(DIVERGED_COLOR)[:3]


def frame_count(width: int, height: int, frames: int) -> int:
    """`frames`, cut so that width x height x frames stays within MAX_ANIMATION_PIXELS (at least 2)."""
    return max(2, min(int(frames), MAX_ANIMATION_PIXELS // max(1, int(width) * int(height))))


def frame_steps(frames: int, total: int) -> list[int]:
    """The step each of `frames` frames shows: evenly from 0 to `total`."""
    return [int(round(k * total / max(1, frames - 1))) for k in range(frames)]


def _ramp(levels: int) -> list[tuple[int, int, int]]:
    """The heatmap's colours (figures.class_colorscale, piecewise linear) at `levels` even stops."""
    stops = [(float(p), np.array(ImageColor.getrgb(c)[:3], float)) for p, c in class_colorscale()]
    out = []
    for t in np.linspace(0.0, 1.0, levels):
        for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
            if p0 <= t <= p1:
                mixed = c0 + (c1 - c0) * ((t - p0) / (p1 - p0) if p1 > p0 else 0.0)
                out.append(tuple(int(round(v)) for v in mixed))
                break
    return out


@dataclass(frozen=True)
class _Panel:
    """One run's part of the frame: its plot area in the whole image and its sampling weights."""

    result: TrainResult
    area: PlotArea  # in whole-image pixels
    offset: int  # x offset of the panel in the image
    cols: tuple[np.ndarray, np.ndarray, np.ndarray]  # grid column i0, i1, weight per pixel column
    rows: tuple[np.ndarray, np.ndarray, np.ndarray]  # grid row j0, j1, weight per pixel row
    inside: np.ndarray  # (h, w) pixels inside the grid


def _axis_weights(grid: np.ndarray, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i0, i1, weight of i1, inside) of linear interpolation on an increasing grid at `pixels`."""
    f = np.interp(pixels, grid, np.arange(len(grid), dtype=float))
    i0 = np.clip(np.floor(f).astype(int), 0, len(grid) - 1)
    i1 = np.minimum(i0 + 1, len(grid) - 1)
    return i0, i1, f - i0, (pixels >= grid[0]) & (pixels <= grid[-1])


def _framed(result: TrainResult, aspect: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The grid's ranges widened on one axis to the plot area's aspect (equal scales on x and y)."""
    (x0, x1), (y0, y1) = (float(result.grid_x[0]), float(result.grid_x[-1])), (float(result.grid_y[0]), float(result.grid_y[-1]))
    width, height = x1 - x0, y1 - y0
    if width / height < aspect:
        grow = (height * aspect - width) / 2
        return (x0 - grow, x1 + grow), (y0, y1)
    grow = (width / aspect - height) / 2
    return (x0, x1), (y0 - grow, y1 + grow)


def _background(info: RunInfo, font_size: int, xrange, yrange, width: int, height: int,
                reserve_right: int, reserve_top: int) -> tuple[go.Figure, PlotArea]:
    look = style_layout(False, info.label)
    look["font"] = dict(look["font"], size=font_size)
    look["title"]["font"] = dict(size=round(1.25 * font_size))
    fig = go.Figure(layout=dict(look, xaxis=dict(title=dict(text="x₁"), showgrid=False, zeroline=False),
                                yaxis=dict(title=dict(text="x₂"), showgrid=False, zeroline=False)))
    return prepare_background(fig, xrange=xrange, yrange=yrange, width=width, height=height,
                              reserve_right=reserve_right, reserve_top=reserve_top)


def _legend_lines(info: RunInfo) -> list[tuple[str, str]]:
    """(text, what its swatch is): the classes' colours and the sets' markers."""
    return [(name, f"class{i}") for i, name in enumerate(info.classes[:len(CLASS_COLORS)])] + [
        ("training", "filled"), ("validation", "open")]


def iter_boundary_frames(runs: Sequence[tuple[RunInfo, TrainResult]], *, width: int, height: int, frames: int,
                         renderer: str = "auto") -> Iterator[Image.Image]:
    """The animation's frames ("P" images, one shared palette): each run's boundary side by side.

    Frame k shows every run's last snapshot at or before step round(k T / (frames - 1)) (T: the
    longest run's steps); "step s / T" (the snapshot's step) sits above each plot's top-right corner.
    """
    panel_w = width // len(runs)
    font_size = max(11, int(round(min(panel_w, height) * 0.026)))
    font = load_font(font_size)
    pad = max(4, font_size // 3)
    legend_w = int(max(font.getlength(text) for info, _ in runs for text, _ in _legend_lines(info))) + 3 * pad + font_size
    counter_h = font_size + 2 * pad
    ramp = _ramp(HEAT_LEVELS)
    reserved = [_WHITE, _TEXT, _OUTLINE, _DIVERGED, *(ImageColor.getrgb(c)[:3] for c in CLASS_COLORS)]
    white, text_index, outline, diverged = HEAT_LEVELS, HEAT_LEVELS + 1, HEAT_LEVELS + 2, HEAT_LEVELS + 3
    class_index = [HEAT_LEVELS + 4 + i for i in range(len(CLASS_COLORS))]
    base_entries = HEAT_LEVELS + len(reserved)
    background = Image.new("RGB", (width, height), _WHITE)
    panels = []
    for index, (info, result) in enumerate(runs):
        _, area = _background(info, font_size, (0, 1), (0, 1), panel_w, height, legend_w + 2 * pad, counter_h + pad)
        xrange, yrange = _framed(result, area.width / area.height)
        fig, area = _background(info, font_size, xrange, yrange, panel_w, height, legend_w + 2 * pad, counter_h + pad)
        background.paste(render_background(fig, area, renderer).resize((panel_w, height)), (index * panel_w, 0))
        xs = xrange[0] + (np.arange(area.width) + 0.5) / area.width * (xrange[1] - xrange[0])
        ys = yrange[1] - (np.arange(area.height) + 0.5) / area.height * (yrange[1] - yrange[0])
        c0, c1, cw, cin = _axis_weights(np.asarray(result.grid_x, float), xs)
        r0, r1, rw, rin = _axis_weights(np.asarray(result.grid_y, float), ys)
        shifted = PlotArea(area.left + index * panel_w, area.top, area.width, area.height, area.xrange, area.yrange)
        panels.append(_Panel(result, shifted, index * panel_w, (c0, c1, cw), (r0, r1, rw), rin[:, None] & cin[None, :]))
    quantized = background.quantize(colors=256 - base_entries, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    base = np.asarray(quantized, dtype=np.uint8).astype(np.int32) + base_entries
    colours = [*ramp, *reserved]
    colours += [tuple(quantized.getpalette()[3 * i: 3 * i + 3]) for i in range(256 - base_entries)]
    flat_palette = [v for rgb in colours for v in rgb][:768]
    flat_palette += [0] * (768 - len(flat_palette))

    # The points, once: an index per pixel of the whole image (-1: nothing drawn there).
    overlay = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(overlay)
    draw.fontmode = "1"  # no antialiasing: every pixel is one palette index
    radius = max(2.5, min(panel_w, height) / 200)
    for panel in panels:
        result = panel.result
        for x, y, hollow in ((result.x_train, result.y_train, False), (result.x_val, result.y_val, True)):
            pixels = panel.area.to_pixel(np.asarray(x, float))
            for (px, py), label in zip(pixels, np.asarray(y, int)):
                if not (panel.area.left <= px < panel.area.left + panel.area.width and
                        panel.area.top <= py < panel.area.top + panel.area.height):
                    continue
                colour = class_index[label % len(class_index)] + 1
                box = [px - radius, py - radius, px + radius, py + radius]
                if hollow:
                    draw.ellipse(box, outline=colour, width=max(1, int(radius / 2.5)))
                else:
                    draw.ellipse(box, fill=colour, outline=outline + 1, width=1)
        # The legend, right of the plot: the classes' colours, then the sets' markers.
        lx, ly = panel.area.left + panel.area.width + 2 * pad, panel.area.top
        lines = _legend_lines(runs[panels.index(panel)][0])
        for row, (text, kind) in enumerate(lines):
            cy = ly + row * (font_size + pad) + font_size / 2
            swatch = [lx, cy - font_size / 3, lx + 2 * font_size / 3, cy + font_size / 3]
            if kind.startswith("class"):
                draw.rectangle(swatch, fill=class_index[int(kind[5:])] + 1)
            elif kind == "filled":
                draw.ellipse(swatch, fill=text_index + 1)
            else:
                draw.ellipse(swatch, outline=text_index + 1, width=max(1, font_size // 8))
            draw.text((lx + font_size, cy), text, fill=text_index + 1, font=font, anchor="lm")
    drawn = np.asarray(overlay, dtype=np.int32) - 1

    total = max(int(panel.result.config.steps) for panel in panels)
    digits = len(str(total))
    for step in frame_steps(frames, total):
        index_image = base.copy()
        shown_steps = []
        for panel in panels:
            result, area = panel.result, panel.area
            snapshot = max(0, int(np.searchsorted(np.asarray(result.snapshot_steps), step, side="right")) - 1)
            shown_steps.append(int(result.snapshot_steps[snapshot]))  # the counter says which snapshot is drawn
            # The figure's boundary: an ensemble's (the members' mean probability) or seed 0's.
            grid = result.ensemble_grid_probabilities() if result.is_ensemble else result.probabilities[0]
            values = np.asarray(grid[snapshot, :, :, 1], dtype=float)
            (c0, c1, cw), (r0, r1, rw) = panel.cols, panel.rows
            top = values[r0][:, c0] * (1 - cw) + values[r0][:, c1] * cw
            bottom = values[r1][:, c0] * (1 - cw) + values[r1][:, c1] * cw
            sampled = top * (1 - rw[:, None]) + bottom * rw[:, None]
            heat = np.rint(np.clip(sampled, 0, 1) * (HEAT_LEVELS - 1))
            heat = np.where(panel.inside & np.isfinite(sampled), np.nan_to_num(heat), white).astype(np.int32)
            l, t, r, b = area.box
            index_image[t:b, l:r] = heat
        index_image = np.where(drawn >= 0, drawn, index_image)
        frame = Image.fromarray(index_image.astype(np.uint8), "P")
        frame.putpalette(flat_palette)
        ink = ImageDraw.Draw(frame)
        ink.fontmode = "1"
        for panel, shown in zip(panels, shown_steps):
            area = panel.area
            ink.text((area.left + area.width, area.top - pad), f"step {shown:>{digits}d} / {total}", fill=text_index,
                     font=font, anchor="rd")
            stop = panel.result.diverged(0)
            if stop is not None and shown >= stop:
                ink.text((area.left + pad, area.top + pad), f"✗ diverged at step {stop}", fill=diverged, font=font,
                         anchor="la")
        yield frame


def encode(frames: Iterator[Image.Image], fmt: str, fps: float) -> bytes:
    """GIF (Pillow, loops forever) or MP4 (H.264 through imageio-ffmpeg) of `frames`, streamed."""
    if fmt == "gif":
        first = next(frames)
        buffer = io.BytesIO()
        first.save(buffer, format="GIF", save_all=True, append_images=frames, duration=max(20, int(round(1000 / fps))),
                   loop=0, optimize=False, disposal=1)
        return buffer.getvalue()
    return _encode_mp4(frames, fps)  # the export package's H.264 writer (imageio-ffmpeg)


def animate_boundary(runs: Sequence[tuple[RunInfo, TrainResult]], *, fmt: str = "gif", width: int = 1200,
                     height: int = 800, frames: int = 200, fps: float = 20, renderer: str = "auto") -> bytes:
    """A GIF or MP4 of each run's decision boundary over training, side by side (A and B).

    Args:
      runs: (RunInfo, TrainResult) of each run (their first seed is drawn).
      fmt: "gif" or "mp4".
      width, height: pixels of the whole animation.
      frames: frames written (cut to MAX_ANIMATION_PIXELS; see `frame_count`).
      fps: frames per second.
      renderer: the axes by "kaleido", by the NumPy "raster" fallback, or "auto".

    Returns:
      The file's bytes.

    Raises:
      ValueError: a format other than gif and mp4, or data that is not 2-D.
      ExportUnavailable: mp4 without imageio-ffmpeg, or renderer="kaleido" without Chromium.
    """
    if fmt not in ("gif", "mp4"):
        raise ValueError(f"unknown animation format {fmt!r}; expected 'gif' or 'mp4'")
    if any(np.asarray(result.grid_x).size == 0 for _, result in runs):
        raise ValueError("the decision boundary is drawn for 2-D data sets only: nothing to animate")
    if fmt == "mp4":  # fail before spending time on the frames
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError as error:
            raise ExportUnavailable("MP4 export needs imageio-ffmpeg (it ships its own ffmpeg): "
                                    "`pip install imageio-ffmpeg`. GIF export works without it.") from error
    count = frame_count(width, height, frames)
    return encode(iter_boundary_frames(runs, width=int(width), height=int(height), frames=count, renderer=renderer),
                  fmt, fps)
