"""A scene's figure or data as a file, in any export format: shared by every page's download
buttons and `python -m optviz export`, so both give the same bytes for the same scene.

The formats and the request's settings (size, scale, frames, caption) are declared once, as
`FORMATS` and `EXPORT_PARAMS`: the page's export menu, the CLI's flags and `ExportRequest`'s
validation all read them. A page provides an `Exportable` (its named figures, caption, data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import plotly.graph_objects as go

from optviz import export
from optviz.params import Param

FORMATS: dict[str, tuple[str, str]] = {  # format -> (file extension, MIME type)
    "png": ("png", "image/png"),
    "svg": ("svg", "image/svg+xml"),
    "pdf": ("pdf", "application/pdf"),
    "html": ("html", "text/html"),  # standalone: plotly.js embedded, works offline
    "html-light": ("html", "text/html"),  # small: loads plotly.js from the CDN
    "csv": ("csv", "text/csv"),
    "json": ("json", "application/json"),
    "gif": ("gif", "image/gif"),
    "mp4": ("mp4", "video/mp4"),
}
FORMAT_LABELS = {"png": "PNG image", "svg": "SVG (vector)", "pdf": "PDF (vector)", "html": "HTML, offline (plotly.js inside)",
                 "html-light": "HTML, light (loads plotly.js online)", "csv": "CSV data", "json": "JSON data",
                 "gif": "GIF animation", "mp4": "MP4 video"}
STATIC = ("png", "svg", "pdf")
ANIMATED = ("gif", "mp4")
DATA = ("csv", "json")
MAX_PNG_PIXELS = 64_000_000
"""Most pixels a PNG may have (width x height x scale^2): 4000 x 4000 at 2x. A 4K slide is 8.3 million."""
MAX_ANIMATION_PIXELS = 400_000_000
"""Most pixels x frames a GIF or MP4 may have: 1920 x 1080 at 190 frames, the default 1200 x 800 at
416. Frames are streamed to the encoder, so this bounds the time a click may cost the server."""

EXPORT_PARAMS: tuple[Param, ...] = (
    Param("format", "Format", "png", kind="choice", choices=tuple(FORMATS),
          choice_labels=tuple(FORMAT_LABELS[f] for f in FORMATS), help="File format of the figure or of its data."),
    Param("width", "Width (px)", 1200, 100, 4000, kind="int", help="Figure width in pixels (before the scale)."),
    Param("height", "Height (px)", 800, 100, 4000, kind="int", help="Figure height in pixels (before the scale)."),
    Param("scale", "Scale", 2.0, 0.5, 4.0, help="PNG pixel scale: 2 makes a crisp slide."),
    Param("frames", "Frames", 200, 2, 1000, kind="int", help="Frames of a GIF or MP4."),
    Param("caption", "Caption with the settings", True, kind="bool",
          help="Add a line with the scene's settings under the figure (PNG, SVG, PDF, HTML)."),
)
_EXPORT = {p.name: p for p in EXPORT_PARAMS}
SCALE_STOPS = tuple(s for s in (1.0, 2.0, 3.0, 4.0) if _EXPORT["scale"].min <= s <= _EXPORT["scale"].max)
"""The scales the page's menu offers (the CLI takes any scale in range)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export: format, pixel size (before scale), scale (PNG), frames (GIF/MP4), caption.

    Every value is checked against EXPORT_PARAMS; ValueError says what is out of range.
    """

    fmt: str = _EXPORT["format"].default
    width: int = _EXPORT["width"].default
    height: int = _EXPORT["height"].default
    scale: float = _EXPORT["scale"].default
    caption: bool = _EXPORT["caption"].default
    frames: int = _EXPORT["frames"].default

    def __post_init__(self):
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; choose one of: {', '.join(FORMATS)}")
        for name in ("width", "height", "scale", "frames"):
            _EXPORT[name].parse(getattr(self, name))
        pixels = self.width * self.height * self.scale**2
        if self.fmt == "png" and pixels > MAX_PNG_PIXELS:
            raise ValueError(
                f"a {round(self.width * self.scale)}x{round(self.height * self.scale)} PNG is {pixels / 1e6:.0f} million pixels, "
                f"more than {MAX_PNG_PIXELS // 1_000_000} million: lower the scale or the size (or export SVG or PDF, which scale freely)"
            )
        work = self.width * self.height * self.frames
        if self.fmt in ANIMATED and work > MAX_ANIMATION_PIXELS:
            raise ValueError(
                f"a {self.width}x{self.height} {self.fmt.upper()} of {self.frames} frames is {work / 1e6:,.0f} million "
                f"pixels, more than {MAX_ANIMATION_PIXELS // 1_000_000} million: lower the size or the frames"
            )


@dataclass(frozen=True)
class Exportable:
    """One page's export sources: the named figures, a caption, data records and an animation."""

    figure: Callable[[str], go.Figure]  # name -> figure
    caption: str
    records: Callable[[], list[dict[str, Any]]]
    data: Callable[[], Any]  # the JSON payload
    animate: Callable[[ExportRequest], bytes] | None = None
    animated_figures: tuple[str, ...] = ()  # figures whose GIF/MP4 is `animate`


def render(source: Exportable, figure_name: str, request: ExportRequest) -> bytes:
    """The bytes of `figure_name` (or the page's data) in `request.fmt`.

    Raises ExportUnavailable (no Chromium for PNG/SVG/PDF) and ValueError (a format the figure
    cannot take, e.g. a GIF of the layer statistics).
    """
    fmt = request.fmt
    if fmt == "csv":
        return export.records_to_csv(source.records()).encode()
    if fmt == "json":
        return export.to_json_bytes(source.data(), indent=2, sort_keys=False)
    if fmt in ANIMATED:
        if source.animate is None or not source.animated_figures:
            raise ValueError(f"{fmt.upper()} animates a figure that moves, and this page draws none: "
                             f"export {', '.join(STATIC)} or html instead")
        if figure_name not in source.animated_figures:
            raise ValueError(f"{fmt.upper()} animates what moves: use figure {', '.join(source.animated_figures)}")
        return source.animate(request)
    fig = go.Figure(source.figure(figure_name))
    fig.update_layout(width=request.width, height=request.height)
    if request.caption:
        fig = export.with_caption(fig, source.caption)
    if fmt in STATIC:
        scale = request.scale if fmt == "png" else 1.0  # vector formats keep the figure's size
        return export.figure_to_image(fig, fmt, width=request.width, height=request.height, scale=scale)
    # The page's <title>: the figure's title and the caption, whole (a browser tab shortens it itself).
    doc_title = " \u00b7 ".join(text for text in (export._html.title_text(fig), source.caption) if text) or None
    return export.figure_to_html(fig, offline=(fmt == "html"), title=doc_title).encode()


def file_name(page: str, subject: str, figure_name: str, fmt: str) -> str:
    ext = FORMATS[fmt][0]
    what = "data" if fmt in DATA else figure_name
    return f"optviz-{page}-{subject}-{what}.{ext}"
