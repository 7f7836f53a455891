"""The still background of an animation: the loss surface, rendered once, and its pixel map.

The surface is rendered with fixed margins and explicit axis ranges, so the data -> pixel
mapping of the plot area is known exactly (`PlotArea`): by kaleido (a PNG of the figure
without its paths) or, when no Chromium is installed, by a NumPy raster of the figure's
heatmap/contour z with its own axes. `optviz.export._animation` draws the frames on top.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageColor, ImageDraw, ImageFont

from ._errors import ExportUnavailable

_log = logging.getLogger(__name__)

BackgroundRenderer = Literal["auto", "kaleido", "raster"]

TEXT_COLOR = (17, 17, 17)
WHITE = (255, 255, 255)
BORDER = (153, 153, 153)
_SURFACE_BANDS = 16  # filled-contour bands of the raster fallback
_DEFAULT_FONT_SIZE = 14


@dataclass(frozen=True)
class PlotArea:
    """The plot area of a rendered 2-D figure, in image pixels, and its axis ranges."""

    left: int
    top: int
    width: int
    height: int
    xrange: tuple[float, float]
    yrange: tuple[float, float]

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in pixels, right/bottom exclusive."""
        return (self.left, self.top, self.left + self.width, self.top + self.height)

    def to_pixel(self, xy: np.ndarray, *, local: bool = False) -> np.ndarray:
        """Pixel coordinates (float, y down) of data points `xy` (..., 2).

        `local=True` gives coordinates relative to the plot area's top-left corner.
        """
        xy = np.asarray(xy, dtype=float)
        (x0, x1), (y0, y1) = self.xrange, self.yrange
        px = (xy[..., 0] - x0) / (x1 - x0) * self.width
        py = (y1 - xy[..., 1]) / (y1 - y0) * self.height
        if not local:
            px, py = px + self.left, py + self.top
        return np.stack([px, py], axis=-1)


def _font_size(fig: go.Figure) -> float:
    size = fig.layout.font.size
    if size is None and fig.layout.template and fig.layout.template.layout.font:
        size = fig.layout.template.layout.font.size
    return float(size or _DEFAULT_FONT_SIZE)


def prepare_background(
    background: go.Figure | dict,
    *,
    xrange: Sequence[float],
    yrange: Sequence[float],
    width: int,
    height: int,
    reserve_right: int = 0,
    reserve_top: int = 0,
) -> tuple[go.Figure, PlotArea]:
    """A copy of `background` laid out for animation, and its exact plot area.

    Fixed margins (sized to the font, no auto-expansion), the given axis ranges (no
    autorange, no `scaleanchor`), no legend and no colour bars: the plot area is then known
    before rendering. Only the primary x/y axes are supported (linear axes).
    `reserve_right`/`reserve_top` add pixels to the right margin / make the top margin at
    least that tall (for the legend and the step counter drawn there).
    """
    x0, x1 = (float(v) for v in xrange)
    y0, y1 = (float(v) for v in yrange)
    if not (math.isfinite(x0) and math.isfinite(x1) and x1 > x0):
        raise ValueError(f"xrange must be increasing and finite, got {tuple(xrange)!r}")
    if not (math.isfinite(y0) and math.isfinite(y1) and y1 > y0):
        raise ValueError(f"yrange must be increasing and finite, got {tuple(yrange)!r}")
    width, height = int(width), int(height)
    fig = go.Figure(background)
    fs = _font_size(fig)
    has_title = bool(fig.layout.title and fig.layout.title.text)
    margin = dict(
        l=int(round(4.6 * fs)), r=int(round(1.6 * fs)) + int(reserve_right),
        t=max(int(round((4.2 if has_title else 1.8) * fs)), int(reserve_top)), b=int(round(4.0 * fs)),
    )
    if width - margin["l"] - margin["r"] < 50 or height - margin["t"] - margin["b"] < 50:
        raise ValueError(f"{width} x {height} px is too small for an animation")
    fig.update_layout(
        width=width, height=height, autosize=False, showlegend=False,
        margin=dict(**margin, pad=0, autoexpand=False),
    )
    axis = dict(autorange=False, automargin=False, domain=[0, 1], scaleanchor=None,
                constrain=None, type="linear")
    fig.update_xaxes(range=[x0, x1], **axis)
    fig.update_yaxes(range=[y0, y1], **axis)
    for trace in fig.data:
        if "showscale" in trace:
            trace.showscale = False
    area = PlotArea(
        left=margin["l"], top=margin["t"],
        width=width - margin["l"] - margin["r"], height=height - margin["t"] - margin["b"],
        xrange=(x0, x1), yrange=(y0, y1),
    )
    return fig, area


# -- backgrounds ---------------------------------------------------------------------------
def render_background(fig: go.Figure, area: PlotArea, renderer: BackgroundRenderer = "auto") -> Image.Image:
    """The prepared background as an RGB image: kaleido, or the raster fallback."""
    width, height = int(fig.layout.width), int(fig.layout.height)
    if renderer in ("auto", "kaleido"):
        from ._static import figure_to_image

        try:
            png = figure_to_image(fig, "png", width=width, height=height, scale=1.0)
        except ExportUnavailable:
            if renderer == "kaleido":
                raise
            _log.info("no Chromium: animation background drawn by the NumPy raster fallback")
        else:
            with Image.open(io.BytesIO(png)) as im:
                return im.convert("RGB")
    return raster_background(fig, area)


def _sample_grid(z: np.ndarray, xs: np.ndarray, ys: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Bilinear samples of z[j, i] (on grid xs[i], ys[j]) at px x py; NaN off the grid."""
    def frac(coords: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(coords, kind="stable")
        c = coords[order]
        f = np.interp(values, c, np.arange(len(c), dtype=float))
        return f, order, (values >= c[0]) & (values <= c[-1])

    fx, ox, inx = frac(xs, px)
    fy, oy, iny = frac(ys, py)
    z = z[oy][:, ox]
    x0 = np.clip(np.floor(fx).astype(int), 0, z.shape[1] - 1)
    y0 = np.clip(np.floor(fy).astype(int), 0, z.shape[0] - 1)
    x1, y1 = np.minimum(x0 + 1, z.shape[1] - 1), np.minimum(y0 + 1, z.shape[0] - 1)
    wx, wy = (fx - x0)[None, :], (fy - y0)[:, None]
    top = z[y0][:, x0] * (1 - wx) + z[y0][:, x1] * wx
    bottom = z[y1][:, x0] * (1 - wx) + z[y1][:, x1] * wx
    out = top * (1 - wy) + bottom * wy
    out[~iny[:, None] | ~inx[None, :]] = np.nan
    return out


def _colorscale_lut(colorscale: Any, n: int = 256) -> np.ndarray:
    import plotly.colors as pc

    if not colorscale:
        from optviz.style import SURFACE_COLORSCALE

        colorscale = SURFACE_COLORSCALE
    if isinstance(colorscale, str):
        colorscale = pc.get_colorscale(colorscale)
    else:
        colorscale = [[float(p), c] for p, c in colorscale]
    samples = pc.sample_colorscale(colorscale, list(np.linspace(0, 1, n)), colortype="rgb")
    return np.array([ImageColor.getrgb(s)[:3] for s in samples], dtype=np.uint8)


def _as_array(value: Any) -> np.ndarray | None:
    """A trace's data array as float NumPy, decoding plotly's base64 {"dtype", "bdata"} form."""
    if value is None:
        return None
    if isinstance(value, dict) and "bdata" in value:
        import base64

        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value.get("dtype", "f8")))
        shape = value.get("shape")
        if shape is not None:
            dims = [int(v) for v in (shape.split(",") if isinstance(shape, str) else shape)]
            arr = arr.reshape(dims)
        return arr.astype(float)
    return np.asarray(value, dtype=float)


def raster_background(fig: go.Figure, area: PlotArea) -> Image.Image:
    """A plain rendering of the first heatmap/contour trace's z in the plot area, with a frame
    and tick labels: what the animation shows when kaleido cannot run."""
    width, height = int(fig.layout.width), int(fig.layout.height)
    img = Image.new("RGB", (width, height), WHITE)
    trace = next((t for t in fig.data if t.type in ("heatmap", "contour") and t.z is not None), None)
    z = _as_array(trace.z) if trace is not None else None
    if z is not None and z.ndim == 2 and z.size:
        ny, nx = z.shape
        xs = _as_array(trace.x) if trace.x is not None else np.arange(nx, dtype=float)
        ys = _as_array(trace.y) if trace.y is not None else np.arange(ny, dtype=float)
        (x0, x1), (y0, y1) = area.xrange, area.yrange
        px = x0 + (np.arange(area.width) + 0.5) / area.width * (x1 - x0)
        py = y1 - (np.arange(area.height) + 0.5) / area.height * (y1 - y0)
        vals = _sample_grid(z, xs, ys, px, py)
        finite = vals[np.isfinite(vals)]
        zmin = trace.zmin if trace.zmin is not None else (finite.min() if finite.size else 0.0)
        zmax = trace.zmax if trace.zmax is not None else (finite.max() if finite.size else 1.0)
        t = np.clip((vals - zmin) / ((zmax - zmin) or 1.0), 0.0, 1.0)
        if trace.type == "contour":  # filled bands, like plotly's contours
            t = np.minimum(np.floor(t * _SURFACE_BANDS), _SURFACE_BANDS - 1) / (_SURFACE_BANDS - 1)
        lut = _colorscale_lut(trace.colorscale)
        if trace.reversescale:
            lut = lut[::-1]
        rgb = lut[np.nan_to_num(t * 255, nan=0).astype(np.int64)]
        rgb[~np.isfinite(vals)] = 255
        img.paste(Image.fromarray(rgb, "RGB"), (area.left, area.top))
    _draw_axes(img, area, _font_size(fig))
    if fig.layout.title and fig.layout.title.text:
        import re

        title = re.sub(r"<[^>]+>", " ", fig.layout.title.text).strip()
        ImageDraw.Draw(img).text((area.left // 4, area.top // 3), title, fill=TEXT_COLOR,
                                 font=load_font(int(round(_font_size(fig) * 1.25))))
    return img


def _nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step - 1e-9) * step
    return np.arange(start, hi + step * 1e-9, step)


def _draw_axes(img: Image.Image, area: PlotArea, font_px: float) -> None:
    draw = ImageDraw.Draw(img)
    font = load_font(int(round(font_px)))
    l, t, r, b = area.box
    draw.rectangle([l - 1, t - 1, r, b], outline=BORDER, width=1)
    for v in _nice_ticks(*area.xrange):
        x = area.to_pixel(np.array([v, area.yrange[0]]))[0]
        draw.line([(x, b), (x, b + 5)], fill=BORDER)
        draw.text((x, b + 7), f"{v:g}", fill=TEXT_COLOR, font=font, anchor="ma")
    for v in _nice_ticks(*area.yrange):
        y = area.to_pixel(np.array([area.xrange[0], v]))[1]
        draw.line([(l - 6, y), (l - 1, y)], fill=BORDER)
        draw.text((l - 8, y), f"{v:g}", fill=TEXT_COLOR, font=font, anchor="rm")


@lru_cache(maxsize=16)
def load_font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "Arial.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()
