"""Everything that turns a figure or data into a file: PNG/SVG/PDF (kaleido + Chromium),
standalone or light HTML, captions, CSV/JSON, and GIF/MP4 animations of optimizer paths.

Only PNG/SVG/PDF (and the kaleido-drawn animation background) need Chromium; without it
they raise `ExportUnavailable` saying what to install, and everything else still works.
"""

from ._animation import animate_paths, animation_layout
from ._background import PlotArea, prepare_background, raster_background
from ._caption import caption_text, trajectory_caption, with_caption
from ._data import TRAJECTORY_COLUMNS, records_to_csv, to_json_bytes, to_jsonable, trajectory_records
from ._errors import INSTALL_HINT, ExportUnavailable
from ._html import PLOTLY_CONFIG, figure_to_html, has_remote_script, plotly_config
from ._static import chromium_available, figure_to_image, find_chromium, kaleido_server, warm_up

__all__ = [
    "INSTALL_HINT",
    "PLOTLY_CONFIG",
    "TRAJECTORY_COLUMNS",
    "ExportUnavailable",
    "PlotArea",
    "animate_paths",
    "animation_layout",
    "caption_text",
    "chromium_available",
    "figure_to_html",
    "figure_to_image",
    "find_chromium",
    "has_remote_script",
    "kaleido_server",
    "plotly_config",
    "prepare_background",
    "raster_background",
    "records_to_csv",
    "to_json_bytes",
    "to_jsonable",
    "trajectory_caption",
    "trajectory_records",
    "warm_up",
    "with_caption",
]
