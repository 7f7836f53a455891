"""Initialization & activations: per-layer statistics of a deep network (the cs231n 10-layer experiment)."""

import streamlit as st

from optviz.layers import controls
from optviz.layers.compute import compute, descriptions
from optviz.layers.network import NetworkConfig, layer_stats
from optviz.layers.page import PAGE
from optviz.ui.exports import export_menu, scene_file_controls
from optviz.ui.page import active_lesson, chart, draw_views, lesson_banner, page_title, scene_page, show_notices


@st.cache_data(max_entries=32, show_spinner="Computing the network…")
def computed(config: NetworkConfig):  # per network: changing B leaves A's entry in the cache
    return layer_stats(config)


scene, notices, load, presenter = scene_page(PAGE, controls)
page_title(PAGE, "Forward: how activations evolve layer by layer. Backward: how gradients reach each layer. "
                 "Inputs are N(0, 1) and there are no biases, as in the lecture, unless set under 'Biases, inputs, residual'.")
show_notices(notices)
lesson_banner(PAGE, scene)

stats = [computed(config) for _, config in scene.networks]


def layer_runs(layers) -> str:
    """"1–4, 7" for layers 1, 2, 3, 4, 7."""
    runs = []
    for layer in layers:
        if runs and layer == runs[-1][1] + 1:
            runs[-1][1] = layer
        else:
            runs.append([layer, layer])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


described = [(label, sentences, s) for (label, sentences), s in zip(descriptions(scene, stats), stats)]
identical = [(label.split(":")[0], layer_runs(int(i) for i in s.layers[s.identical])) for label, _, s in described
             if s.identical.any()]
# What the numbers show, one line per network; under a lesson (whose box says what to look at)
# folded away, so that the figure stays on the first screen of a projector. Identical units (no
# chart shows them) stay in sight: in the folded section's label.
label = "What the numbers show" + (" · 🟰 **:orange[Units identical]** in " +
                                   "; ".join(f"{net}: layer(s) {runs}" for net, runs in identical) if identical else "")
with st.expander(label, expanded=False, key="descriptions") if active_lesson(PAGE) else \
        st.container(key="descriptions"):
    for label, sentences, s in described:
        same = ""
        if s.identical.any():
            layers = ", ".join(str(i) for i in s.layers[s.identical])
            same = f" 🟰 **:orange[Units identical]** in layer(s) {layers}: each layer is worth one unit."
        st.markdown(f"**{label}**: " + "; ".join(sentences) + "." + same)
data = compute(scene, stats)
exportable = PAGE.exportable(scene, data)


def draw_figure(name: str) -> None:
    chart(PAGE.build_figure(name, scene, data, presenter=presenter), key=name)
    export_menu(PAGE, exportable, name, scene.a.activation)  # below: the figure comes first on the screen


draw_views(PAGE, scene, draw_figure)
scene_file_controls(PAGE, scene)
