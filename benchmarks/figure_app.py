"""One optviz page's main figure alone: one slider, one chart, none of the page around it.

benchmarks/bench_browser.py opens it beside the floor app (benchmarks/floor_app.py) and the
pages, and times the same slider change to the redrawn chart. So each page's gap to the floor
splits in two: the time Plotly needs to draw the page's richer figure (this app minus the floor),
and the page's own work around it (the page minus this app). Streamlit mounts a new chart on
every change (its element id follows the figure), so every change draws the whole figure.

The figure is built as the page builds it (registry -> compute -> figure, the default scene),
drawn as the page draws it (`theme=None`, clicks selecting points where the page's map does).
The slider sets the page control `key` (a URL key of `Page.key_controls`) to default x (1 + s/100),
or s/1000 where the default is 0: every step is a new figure.

Run: .venv/bin/python -m streamlit run benchmarks/figure_app.py, then open ?page=trajectories&key=angle
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optviz.pages import PAGES  # noqa: E402  (after the path: run by `streamlit run` from anywhere)


def scene_at(page, key: str, step: int):
    """The page's default scene with control `key` at default x (1 + step/100), or step/1000 where
    the default is 0 (bench_browser.py times the page's compute for the same scenes)."""
    query = page.scene_type().to_query()
    default = float(query[key])
    return page.scene_type.from_query({**query, key: repr(default * (1 + step / 100) if default else step / 1000)})[0]


def slider_figure(what: str):
    """The app's title ("<page>: `what`"), its one slider (the link's `page` and `key`) and the
    page's main figure at the slider's step: (page, figure). Also benchmarks/component_app.py's."""
    page = PAGES[st.query_params.get("page", "trajectories")]
    key = st.query_params.get("key", page.key_controls[0][1])
    label = dict((url_key, text) for text, url_key in page.key_controls)[key]
    st.title(f"{page.title}: {what}")
    step = st.sidebar.slider(label, 1, 40, 1)
    scene = scene_at(page, key, step)
    return page, page.build_figure(page.main_figure, scene, page.compute(scene), presenter=False)


if __name__ == "__main__":  # as `streamlit run` runs it; bench_browser.py imports scene_at
    page, figure = slider_figure("the main figure alone")
    clickable = page.main_figure == "contour"  # the trajectories map: a click starts the paths there
    with st.container(key=page.main_figure):
        st.plotly_chart(figure, theme=None, key="figure", on_select="rerun" if clickable else "ignore",
                        selection_mode="points")
