"""Training lab: a small network trains live (loss and accuracy, decision boundary, per-layer statistics, weights)."""

import streamlit as st

from optviz.memo import RESULTS_BYTES
from optviz.training import controls
from optviz.training.compute import RunCache, compute
from optviz.training.figures import divergence_note
from optviz.training.page import PAGE
from optviz.ui.exports import export_menu, scene_file_controls
from optviz.ui.page import chart, draw_views, lesson_banner, page_title, scene_page, show_notices


@st.cache_resource
def results() -> RunCache:  # one for the server: every session's runs, bounded by bytes
    return RunCache(RESULTS_BYTES)


scene, notices, load, presenter = scene_page(PAGE, controls)
page_title(PAGE, "Train and validation loss are plain cross-entropy on the true labels (no penalty, no dropout), "
                 "so runs compare. Solid: training set; dashed: validation set.")
show_notices(notices)
lesson_banner(PAGE, scene)

data = compute(scene, results())  # A and B are dispatched together, then collected
exportable = PAGE.exportable(scene, data)


def draw_figure(name: str) -> None:
    chart(PAGE.build_figure(name, scene, data, presenter=presenter), key=name)
    if name == "curves":  # below the chart: the figure comes first on the screen
        stopped = [f"{info.label}: {note}" for info, result in data.pairs() if (note := divergence_note(result))]
        if stopped:
            st.error("✗ " + "; ".join(stopped) + ". The loss became infinite: its curves stop at the last finite "
                     "evaluation. Lower the learning rate.", icon="💥")
    export_menu(PAGE, exportable, name, scene.a.dataset)


draw_views(PAGE, scene, draw_figure)
scene_file_controls(PAGE, scene)
