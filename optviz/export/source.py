"""A scene's figure or data as a file, in any export format: shared by the page's download
buttons and `python -m optviz export`, so both give the same bytes for the same scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import plotly.graph_objects as go

from optviz import export

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
STATIC = ("png", "svg", "pdf")
ANIMATED = ("gif", "mp4")
DEFAULT_SIZE = (1200, 800)
MAX_PNG_PIXELS = 64_000_000
"""Most pixels a PNG may have (width x height x scale^2): 4000 x 4000 at 2x. A 4K slide is 8.3 million."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export: format, pixel size (before scale), scale (PNG 1x-4x), caption on or off."""

    fmt: str = "png"
    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    scale: float = 1.0
    caption: bool = False
    frames: int = 200

    def __post_init__(self):
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; choose one of: {', '.join(FORMATS)}")
        if not (100 <= self.width <= 4000 and 100 <= self.height <= 4000):
            raise ValueError(f"size {self.width}x{self.height} is out of range: 100 to 4000 pixels each way")
        if not 0.5 <= self.scale <= 4:
            raise ValueError(f"scale {self.scale} is out of range: 0.5 to 4")
        pixels = self.width * self.height * self.scale**2
        if self.fmt == "png" and pixels > MAX_PNG_PIXELS:
            raise ValueError(
                f"a {round(self.width * self.scale)}x{round(self.height * self.scale)} PNG is {pixels / 1e6:.0f} million pixels, "
                f"more than {MAX_PNG_PIXELS // 1_000_000} million: lower the scale or the size (or export SVG or PDF, which scale freely)"
            )
        if not 2 <= self.frames <= 1000:
            raise ValueError(f"frames {self.frames} is out of range: 2 to 1000")


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
            raise ValueError(f"{fmt.upper()} animates optimizer paths, and this page draws none: "
                             f"export {', '.join(STATIC)} or html instead")
        if figure_name not in source.animated_figures:
            raise ValueError(f"{fmt.upper()} animates the optimizer paths: use figure {', '.join(source.animated_figures)}")
        return source.animate(request)
    fig = go.Figure(source.figure(figure_name))
    fig.update_layout(width=request.width, height=request.height)
    if request.caption:
        fig = export.with_caption(fig, source.caption)
    if fmt in STATIC:
        return export.figure_to_image(fig, fmt, width=request.width, height=request.height, scale=request.scale)
    return export.figure_to_html(fig, offline=(fmt == "html"), title=source.caption[:120]).encode()


def trajectory_exportable(scene, results, view) -> Exportable:
    """The trajectory page's export sources for `scene` and its computed paths."""
    from optviz.trajectories import compute
    from optviz.surfaces import SURFACES

    def animate(request: ExportRequest) -> bytes:
        background = compute.build_figure("contour", scene, [], view, clickable=False)
        background.update_layout(showlegend=False)
        (x0, x1), (y0, y1) = view.domain
        colors = [d.line.color for d in compute.build_figure("contour", scene, results, view).data
                  if getattr(d, "mode", None) in ("lines", "lines+markers")]
        return export.animate_paths(background, [r.positions for r in results], colors, xrange=(x0, x1), yrange=(y0, y1),
                                    frames=request.frames, fmt=request.fmt, width=request.width, height=request.height,
                                    labels=[r.label for r in results])

    caption = export.trajectory_caption(SURFACES[scene.surface].label, results, steps=scene.run["steps"])
    return Exportable(
        figure=lambda name: compute.build_figure(name, scene, results, view),
        caption=caption,
        records=lambda: export.trajectory_records(results),
        data=lambda: {"scene": scene.to_json(), "trajectories": [
            {"label": r.label, "optimizer": r.optimizer, "hparams": r.hparams, "seed": r.seed,
             "points": r.positions, "losses": r.losses, "gradients": r.gradients, "updates": r.updates,
             "diverged_at": r.diverged_at, "divergence": r.divergence} for r in results]},
        animate=animate,
        animated_figures=("contour", "playback"),
    )


def file_name(page: str, subject: str, figure_name: str, fmt: str) -> str:
    ext = FORMATS[fmt][0]
    what = "data" if fmt in ("csv", "json") else figure_name
    return f"optviz-{page}-{subject}-{what}.{ext}"
