"""Interactive HTML files: standalone (plotly.js embedded, works offline) or light (CDN)."""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

# The modebar config of every exported and on-screen figure: no plotly logo, and the camera
# button saves a 2x PNG (sharp on a projector and in slides).
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "optviz"},
    "responsive": True,
}

_REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)


def plotly_config(filename: str | None = None) -> dict[str, Any]:
    """A fresh copy of PLOTLY_CONFIG, optionally with the download file name."""
    config = {**PLOTLY_CONFIG, "toImageButtonOptions": dict(PLOTLY_CONFIG["toImageButtonOptions"])}
    if filename:
        config["toImageButtonOptions"]["filename"] = filename
    return config


def figure_to_html(fig: go.Figure | dict, offline: bool = True, *, title: str | None = None,
                   filename: str | None = None) -> str:
    """A complete HTML document showing the interactive figure.

    Args:
      fig: a `go.Figure` or figure dict.
      offline: True embeds plotly.js (~4.7 MB; opens with no network); False loads it from
        the plotly CDN (a few kB plus the data).
      title: the document's <title>, in full (default: the figure's title and subtitle, else "optviz").
      filename: base name the modebar's "download as PNG" button uses.

    Returns:
      The HTML text (UTF-8).
    """
    fig = fig if isinstance(fig, go.Figure) else go.Figure(fig)
    html = pio.to_html(
        fig,
        config=plotly_config(filename),
        include_plotlyjs=True if offline else "cdn",
        include_mathjax=False,
        full_html=True,
        validate=False,
    )
    doc_title = title or title_text(fig) or "optviz"
    html = html.replace("<head>", f"<head>\n    <title>{_escape(doc_title)}</title>", 1)
    return html


def has_remote_script(html: str) -> bool:
    """Whether an HTML text loads any <script> from the network."""
    return _REMOTE_SCRIPT.search(html) is not None


def title_text(fig: go.Figure | dict) -> str | None:
    """The figure's title and subtitle as plain text ("Title — subtitle"), or None if it has none."""
    fig = fig if isinstance(fig, go.Figure) else go.Figure(fig)
    title = fig.layout.title
    parts = [title.text, title.subtitle.text if title.subtitle else None] if title else []
    text = " \u2014 ".join(" ".join(re.sub(r"<[^>]+>", " ", part).split()) for part in parts if part and part.strip())
    return text or None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
