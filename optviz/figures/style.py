"""One look for every figure: template, colour-blind-safe palette, presenter sizes.

Figures are built with `theme=None` in Streamlit, so what is set here is exactly what the
screen and the exports show.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

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

# Loss surfaces: a light, neutral, monotone scale (low = white, high = grey), so the coloured
# paths stand out on it for every colour-vision type and on a washed-out projector.
SURFACE_COLORSCALE = [[0.0, "#ffffff"], [0.35, "#e3e6ea"], [0.7, "#b9bec6"], [1.0, "#868c96"]]
CONTOUR_LINE_COLOR = "rgba(40,40,40,0.35)"
DIVERGED_COLOR = "#D00000"


@dataclass(frozen=True)
class Style:
    """Sizes for the screen or the projector (presenter mode)."""

    font_size: int = 14
    title_size: int = 18
    line_width: float = 2.5
    marker_size: int = 7
    start_marker_size: int = 13

    @staticmethod
    def for_mode(presenter: bool) -> "Style":
        if presenter:
            return Style(font_size=22, title_size=28, line_width=5.0, marker_size=11, start_marker_size=20)
        return Style()


def color(index: int) -> str:
    """The palette colour of the index-th series (wraps around)."""
    return PALETTE[index % len(PALETTE)]


_AXIS = dict(gridcolor="#e5e5e5", linecolor="#444444", zerolinecolor="#cccccc", ticks="outside", showline=True,
             automargin=True, title=dict(standoff=10))
# A small template of our own: plotly's "plotly_white" is ~10 kB that Plotly validates and
# deep-copies into every figure (~50 ms each here), for the few settings below.
TEMPLATE = go.layout.Template(layout=dict(
    paper_bgcolor="white", plot_bgcolor="white", xaxis=_AXIS, yaxis=_AXIS,
    scene=dict(xaxis=dict(backgroundcolor="white", gridcolor="#dddddd"), yaxis=dict(backgroundcolor="white", gridcolor="#dddddd"),
               zaxis=dict(backgroundcolor="white", gridcolor="#dddddd")),
))


def apply(fig: go.Figure, presenter: bool = False, title: str | None = None) -> go.Figure:
    """Apply the optviz template to `fig` in place and return it."""
    style = Style.for_mode(presenter)
    fig.update_layout(
        template=TEMPLATE,
        font=dict(family="DejaVu Sans, Arial, sans-serif", size=style.font_size, color="#111111"),
        colorway=list(PALETTE),
        margin=dict(l=70, r=30, t=60 if title else 30, b=60),
        legend=dict(bgcolor="rgba(255,255,255,0.8)", bordercolor="#cccccc", borderwidth=1),
        hoverlabel=dict(font_size=style.font_size),
        uirevision="keep",
    )
    if title:
        fig.update_layout(title=dict(text=title, font=dict(size=style.title_size), x=0.02, xanchor="left"))
    if presenter:
        fig.update_xaxes(linewidth=2, gridwidth=1.5, tickfont=dict(size=style.font_size))
        fig.update_yaxes(linewidth=2, gridwidth=1.5, tickfont=dict(size=style.font_size))
    return fig
