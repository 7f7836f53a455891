"""Animated GIF/MP4 of optimizer paths racing over a loss surface.

Rendering 200 frames with kaleido would take a minute. Instead the surface is rendered once
(`optviz.export._background`: kaleido PNG, or a NumPy raster when no Chromium is installed)
with fixed margins and explicit axis ranges, so the data -> pixel mapping of the plot area is
known exactly (`PlotArea`). Each frame is then that background plus the path
prefixes, current points, a step counter and a legend, drawn with PIL straight into palette
("P") images: the background is median-cut to an adapted palette once, with entries reserved
for the path colours and the text, so no frame is ever re-quantised. Paths are drawn
incrementally on a trail layer, so the cost is O(steps + frames), not O(steps x frames).
"""

from __future__ import annotations

import io
import itertools
import logging
import math
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Iterator, Literal, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageColor, ImageDraw

from ._background import BORDER, TEXT_COLOR, WHITE, BackgroundRenderer, PlotArea, load_font, prepare_background, render_background
from ._errors import ExportUnavailable

_log = logging.getLogger(__name__)

AnimationFormat = Literal["gif", "mp4"]

_NEAR_WHITE = (254, 254, 254)  # toggled in one corner pixel so identical frames stay separate
_TEXT_LEVELS = 8  # antialiasing ramp white -> text colour


# -- palette frames ------------------------------------------------------------------------
class _Palette:
    """An adaptive palette for the background plus reserved entries for what frames draw."""

    def __init__(self, background: Image.Image, colors: Sequence[tuple[int, int, int]]):
        distinct = list(dict.fromkeys(colors))  # a fan of 32 paths in one colour takes one entry
        reserved = [*distinct, WHITE, _NEAR_WHITE, BORDER]
        ramp = [tuple(int(round(w + (c - w) * i / (_TEXT_LEVELS - 1))) for w, c in zip(WHITE, TEXT_COLOR))
                for i in range(_TEXT_LEVELS)]
        reserved += ramp
        n_bg = 256 - len(reserved)
        if n_bg < 16:
            raise ValueError(f"too many path colours ({len(distinct)}) for a GIF palette")
        self.background = background.quantize(colors=n_bg, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
        pal = (self.background.getpalette() or [])[: 3 * n_bg]
        pal += [0] * (3 * n_bg - len(pal))
        base = n_bg
        for rgb in reserved:
            pal.extend(rgb)
        self.palette = pal
        self.background.putpalette(pal)
        self.paths = [base + distinct.index(c) for c in colors]
        self.white = base + len(distinct)
        self.near_white = self.white + 1
        self.border = self.white + 2
        self.ramp = np.arange(self.border + 1, self.border + 1 + _TEXT_LEVELS, dtype=np.uint8)
        self.text = int(self.ramp[-1])

    def text_box(self, box: "_TextBox") -> Image.Image:
        """`box` drawn white with antialiased text (through the grey ramp) and swatches."""
        w, h = box.size
        mask = Image.new("L", (w, h), 0)
        md = ImageDraw.Draw(mask)
        for i, (text, _) in enumerate(box.lines):
            md.text((box.text_x, box.pad + i * box.line_h), text, fill=255, font=box.font)
        levels = (np.asarray(mask, dtype=np.uint16) * (_TEXT_LEVELS - 1) + 127) // 255
        img = Image.fromarray(self.ramp[levels])
        img.putpalette(self.palette)
        d = ImageDraw.Draw(img)
        if box.border:
            d.rectangle([0, 0, w - 1, h - 1], outline=self.border, width=1)
        for i, (_, c) in enumerate(box.lines):
            if c is None:
                continue
            cy = box.pad + i * box.line_h + box.ascent * 0.6
            x0, x1 = box.pad, box.pad + box.swatch_w
            d.line([(x0, cy), (x1, cy)], fill=self.paths[c], width=max(2, box.swatch_w // 8))
            r = max(3, box.swatch_w // 6)
            d.ellipse([(x0 + x1) / 2 - r, cy - r, (x0 + x1) / 2 + r, cy + r], fill=self.paths[c])
        return img


@dataclass(frozen=True)
class _TextBox:
    """Geometry of a box of text lines, some with a colour swatch (path index) in front."""

    lines: tuple[tuple[str, int | None], ...]
    font: Any
    pad: int
    border: bool = True

    @property
    def ascent(self) -> int:
        return self.font.getmetrics()[0]

    @property
    def line_h(self) -> int:
        ascent, descent = self.font.getmetrics()
        return ascent + descent + self.pad // 2

    @property
    def swatch_w(self) -> int:
        return 2 * self.ascent if any(c is not None for _, c in self.lines) else 0

    @property
    def text_x(self) -> int:
        return self.pad + (self.swatch_w + self.pad if self.swatch_w else 0)

    @property
    def size(self) -> tuple[int, int]:
        text_w = max(int(math.ceil(self.font.getlength(t))) for t, _ in self.lines)
        return (self.text_x + text_w + self.pad, 2 * self.pad + self.line_h * len(self.lines) - self.pad // 2)


def _fit_label(text: str, font: Any, max_w: float) -> str:
    if font.getlength(text) <= max_w:
        return text
    while text and font.getlength(text + "…") > max_w:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class _Overlay:
    """Sizes of what frames draw besides paths: the step counter (top margin, right-aligned
    above the plot) and the legend (right margin), so they never hide a path."""

    font: Any
    pad: int
    line_w: int
    dot_r: int
    counter: _TextBox
    legend: _TextBox | None

    @staticmethod
    def build(width: int, height: int, labels: Sequence[str | None] | None, total: int) -> "_Overlay":
        s = min(width, height)
        font = load_font(max(11, int(round(s * 0.027))))
        pad = max(4, int(round(s * 0.01)))
        line_w = max(2, int(round(s / 200)))
        counter = _TextBox(((f"step {total} / {total}", None),), font, pad, border=False)
        legend = None
        if labels and any(lab is not None for lab in labels):
            max_w = 0.28 * width - 6 * pad - 2 * font.getmetrics()[0]
            legend = _TextBox(tuple((_fit_label(str(lab), font, max_w), i) for i, lab in enumerate(labels) if lab is not None),
                              font, pad)
        return _Overlay(font, pad, line_w, max(3, int(round(2.2 * line_w))), counter, legend)

    @property
    def reserve_right(self) -> int:
        return self.legend.size[0] + 2 * self.pad if self.legend else 0

    @property
    def reserve_top(self) -> int:
        return self.counter.size[1] + self.pad


def _clean_path(path: np.ndarray) -> np.ndarray:
    p = np.asarray(path, dtype=float).reshape(-1, 2)
    bad = ~np.isfinite(p).all(axis=1)
    if bad.any():
        p = p[: int(np.argmax(bad))]
    return p


def _clip_segment(a: np.ndarray, b: np.ndarray, lo: float, hi_x: float, hi_y: float):
    """Liang-Barsky clip of segment a-b to [lo, hi_x] x [lo, hi_y]; None if outside."""
    d = b - a
    t0, t1 = 0.0, 1.0
    for p, q in ((-d[0], a[0] - lo), (d[0], hi_x - a[0]), (-d[1], a[1] - lo), (d[1], hi_y - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return a + t0 * d, a + t1 * d


def _frame_steps(frames: int, total: int) -> list[int]:
    if frames == 1:
        return [total]
    return [int(round(k * total / (frames - 1))) for k in range(frames)]


def iter_frames(
    base: Image.Image,
    area: PlotArea,
    paths: Sequence[np.ndarray],
    colors: Sequence[str],
    *,
    frames: int,
    labels: Sequence[str | None] | None = None,
    steps: int | None = None,
) -> Iterator[Image.Image]:
    """The animation's frames ("P" images sharing one palette) over the RGB background `base`
    (laid out by `prepare_background` with `_Overlay.build(...).reserve_*`)."""
    rgb_colors = [ImageColor.getrgb(c)[:3] for c in colors]
    pal = _Palette(base, rgb_colors)
    clean = [_clean_path(p) for p in paths]
    px = [area.to_pixel(p, local=True) if len(p) else np.zeros((0, 2)) for p in clean]
    total = max(int(steps) if steps is not None else max((len(p) - 1 for p in clean), default=0), 0)
    width, height = base.size
    ov = _Overlay.build(width, height, labels, total)
    lw, dot_r, pad = ov.line_w, ov.dot_r, ov.pad

    trail = pal.background.crop(area.box)  # plot area only: PIL clips what falls outside
    tdraw = ImageDraw.Draw(trail)
    bound = 4.0 * max(area.width, area.height)  # far-away points are clipped before drawing
    drawn = [0] * len(px)  # index of the last point already on the trail

    right, top = area.left + area.width, area.top
    if ov.legend is not None:
        pal.background.paste(pal.text_box(ov.legend), (right + pad, top))
    counter_w, counter_h = ov.counter.size
    counter_xy = (right - counter_w, max(0, (top - counter_h) // 2))
    if counter_xy[0] < area.left + area.width // 2:  # a long title may be there: go inside
        counter_xy = (right - counter_w - pad, top + pad)
    digits = len(str(total))
    counters: dict[int, Image.Image] = {}
    previous_step, toggle = None, False

    for step in _frame_steps(frames, total):
        for i, pts in enumerate(px):
            end = min(step, len(pts) - 1)
            if end <= drawn[i]:
                continue
            chunk = pts[drawn[i]: end + 1]
            if np.abs(chunk).max() < bound:
                tdraw.line([tuple(p) for p in chunk], fill=pal.paths[i], width=lw, joint="curve")
                x, y = chunk[0]
                tdraw.ellipse([x - lw / 2, y - lw / 2, x + lw / 2, y + lw / 2], fill=pal.paths[i])
            else:
                for a, b in zip(chunk[:-1], chunk[1:]):
                    seg = _clip_segment(a, b, -bound / 4, area.width + bound / 4, area.height + bound / 4)
                    if seg is not None:
                        tdraw.line([tuple(seg[0]), tuple(seg[1])], fill=pal.paths[i], width=lw)
            drawn[i] = end

        frame = pal.background.copy()
        frame.paste(trail, area.box[:2])
        fdraw = ImageDraw.Draw(frame)
        for i, pts in enumerate(px):
            if not len(pts):
                continue
            x, y = pts[min(step, len(pts) - 1)]
            # A path outside the plot keeps its dot on the edge, toward where it went.
            x, y = min(max(x, 0.0), float(area.width)) + area.left, min(max(y, 0.0), float(area.height)) + area.top
            fdraw.ellipse([x - dot_r, y - dot_r, x + dot_r, y + dot_r],
                          fill=pal.paths[i], outline=pal.text, width=max(1, lw // 2))
        counter = counters.get(step)
        if counter is None:
            box = _TextBox(((f"step {step:>{digits}d} / {total}", None),), ov.font, pad, border=False)
            counter = counters[step] = pal.text_box(box)
        frame.paste(counter, (counter_xy[0] + counter_w - counter.width, counter_xy[1]))
        if step == previous_step:  # keep identical frames distinct (encoders merge them)
            toggle = not toggle
        frame.putpixel((width - 1, height - 1), pal.near_white if toggle else pal.white)
        previous_step = step
        yield frame


def _encode_gif(frames: Iterator[Image.Image], fps: float) -> bytes:
    """The GIF of `frames` (P images sharing one palette), written one frame at a time.

    Pillow's save(append_images=...) keeps every frame until the end (a 4000 x 4000 GIF of 200
    frames held 3 GB); here each frame is encoded as it comes and dropped, so memory stays at one
    frame plus the compressed file.
    """
    from PIL import GifImagePlugin

    duration = max(20, int(round(1000 / fps)))
    buf = io.BytesIO()
    first = next(frames)
    header, _ = GifImagePlugin.getheader(first, None, {"loop": 0, "duration": duration})
    for chunk in header:
        buf.write(chunk)
    previous = None
    for frame in itertools.chain([first], frames):
        pixels = np.asarray(frame)
        part, offset, extra = frame, (0, 0), {}
        if previous is not None:
            # Only the rectangle that changed, its unchanged pixels transparent (frames are drawn over
            # the last one, disposal 1): long runs of one index compress well, as Pillow's optimize did.
            changed = pixels != previous
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            y0, y1, x0, x1 = (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1) if rows.size else (0, 1, 0, 1)
            window, window_changed = pixels[y0:y1, x0:x1].copy(), changed[y0:y1, x0:x1]
            unused = np.setdiff1d(np.arange(256), window[window_changed])
            if unused.size:
                window[~window_changed] = unused[-1]
                extra = {"transparency": int(unused[-1])}
            part, offset = Image.fromarray(window, "P"), (int(x0), int(y0))
            part.putpalette(frame.getpalette())
        for chunk in GifImagePlugin.getdata(part, offset, duration=duration, disposal=1, **extra):
            buf.write(chunk)
        previous = pixels
    buf.write(b";")  # the GIF trailer
    return buf.getvalue()


def _encode_mp4(frames: Iterator[Image.Image], fps: float) -> bytes:
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401 - ships the ffmpeg binary
    except ImportError as e:
        raise ExportUnavailable(
            "MP4 export needs imageio-ffmpeg (it ships its own ffmpeg): `pip install imageio-ffmpeg`. "
            "GIF export works without it."
        ) from e
    fd, path = tempfile.mkstemp(suffix=".mp4", prefix="optviz-")
    os.close(fd)
    try:
        writer = imageio.get_writer(
            path, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
            macro_block_size=2, quality=None, ffmpeg_log_level="error",
            output_params=["-crf", "20", "-preset", "veryfast", "-movflags", "+faststart"],
        )
        try:
            for frame in frames:
                rgb = np.asarray(frame.convert("RGB"))
                h, w = rgb.shape[:2]
                if h % 2 or w % 2:  # yuv420p needs even sizes: pad with white
                    rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), constant_values=255)
                writer.append_data(rgb)
        finally:
            writer.close()
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def animation_layout(
    background: go.Figure | dict,
    paths: Sequence[np.ndarray],
    *,
    xrange: Sequence[float],
    yrange: Sequence[float],
    width: int = 800,
    height: int = 600,
    labels: Sequence[str | None] | None = None,
    steps: int | None = None,
) -> tuple[go.Figure, PlotArea]:
    """The background figure `animate_paths` renders and its plot area (where data points
    land in the frames), with room for the step counter above and the legend on the right."""
    total = steps if steps is not None else max((len(_clean_path(p)) - 1 for p in paths), default=0)
    overlay = _Overlay.build(int(width), int(height), labels, max(int(total), 0))
    return prepare_background(background, xrange=xrange, yrange=yrange, width=width, height=height,
                              reserve_right=overlay.reserve_right, reserve_top=overlay.reserve_top)


def animate_paths(
    background: go.Figure | dict,
    paths: Sequence[np.ndarray],
    colors: Sequence[str],
    *,
    xrange: Sequence[float],
    yrange: Sequence[float],
    frames: int = 200,
    fps: float = 20,
    fmt: AnimationFormat = "gif",
    width: int = 800,
    height: int = 600,
    labels: Sequence[str | None] | None = None,
    steps: int | None = None,
    renderer: BackgroundRenderer = "auto",
) -> bytes:
    """A GIF or MP4 of the optimizer paths racing over the surface.

    Frame k (of `frames`) shows every path up to step round(k * T / (frames - 1)), its current
    point as a dot (on the plot's edge while the path is outside it), "step s / T" above the plot's
    top-right corner and, given `labels`, a legend right of the plot (outside the plot area, so
    neither hides a path). A path shorter than T + 1 points (diverged early) stays at its last
    point; rows after a non-finite point are dropped.

    Args:
      background: the 2-D surface figure without paths (a contour/heatmap over x/y axes).
      paths: one (n_i, 2) array of positions per optimizer.
      colors: one colour per path (hex, "rgb(...)" or a CSS name).
      xrange, yrange: the data ranges of the axes (the view stays framed on these).
      frames: number of frames (exactly this many are written).
      fps: frames per second.
      fmt: "gif" (Pillow, loops forever, adapted palette) or "mp4" (H.264, yuv420p).
      width, height: pixels.
      labels: legend entries, one per path (None: the path has no entry of its own, e.g. the
        second and later paths of a noisy fan).
      steps: T; default the longest path's length - 1.
      renderer: background by "kaleido", by the NumPy "raster" fallback, or "auto"
        (kaleido when a Chromium is found).

    Returns:
      The file's bytes.

    Raises:
      ExportUnavailable: mp4 without imageio-ffmpeg, or renderer="kaleido" without Chromium.
      ValueError: bad arguments.
    """
    if fmt not in ("gif", "mp4"):
        raise ValueError(f"unknown animation format {fmt!r}; expected 'gif' or 'mp4'")
    if int(frames) < 1:
        raise ValueError(f"frames must be >= 1, got {frames!r}")
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps!r}")
    if len(colors) < len(paths):
        raise ValueError(f"{len(paths)} paths but only {len(colors)} colours")
    if labels is not None and len(labels) != len(paths):
        raise ValueError(f"{len(paths)} paths but {len(labels)} labels")
    if fmt == "mp4":  # fail before spending time on the background
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError as e:
            raise ExportUnavailable(
                "MP4 export needs imageio-ffmpeg (it ships its own ffmpeg): `pip install imageio-ffmpeg`. "
                "GIF export works without it."
            ) from e
    fig, area = animation_layout(background, paths, xrange=xrange, yrange=yrange, width=width,
                                 height=height, labels=labels, steps=steps)
    base = render_background(fig, area, renderer)
    if base.size != (width, height):
        base = base.resize((width, height), Image.Resampling.LANCZOS)
    frame_iter = iter_frames(base, area, paths, list(colors)[: len(paths)], frames=int(frames),
                             labels=labels, steps=steps)
    return _encode_gif(frame_iter, fps) if fmt == "gif" else _encode_mp4(frame_iter, fps)
