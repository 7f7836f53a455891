"""Initialization & activations: per-layer statistics of a deep network (the cs231n 10-layer experiment)."""

import streamlit as st

from optviz import ui
from optviz.layers import compute as layers_compute, controls as ui_layers
from optviz.layers.scene import LayersScene
from optviz.lessons import LESSONS
from optviz.layers.network import NetworkConfig, layer_stats

PAGE = ui_layers.PAGE_KEY
VIEWS = ["Mean & std per layer", "Histograms", "Saturated & dead", "Activation function"]


@st.cache_data(max_entries=32, show_spinner="Computing the network…")
def computed(config: NetworkConfig):
    return layer_stats(config)


scene, notices, load, presenter = ui.scene_page("layers", PAGE, LayersScene, ui_layers.load, ui_layers.controls,
                                                 ui_layers.P + "a.activation", VIEWS, "lay.view")

st.title("Initialization & activations")
st.caption("Forward: how activations evolve layer by layer. Backward: how gradients reach each layer. "
           "Inputs are N(0, 1); no biases, as in the lecture.")
ui.show_notices(notices)
ui.lesson_banner(LESSONS, "layers", PAGE)

stats = [computed(config) for _, config in scene.networks]
for (label, sentences), s in zip(layers_compute.descriptions(scene, stats), stats):
    st.markdown(f"**{label}**: " + "; ".join(sentences) + ".")
    if s.identical.any():
        layers = ", ".join(str(i) for i in s.layers[s.identical])
        st.warning(f"**Units identical** ({label}) in layer(s) {layers}: every unit computes the same function, "
                   "so the layer is worth one unit.", icon="🟰")
source = layers_compute.exportable(scene, stats)


def figure(name: str, key: str) -> None:
    ui.export_menu(source, name, "layers", scene.a.activation, f"x.{name}")
    ui.chart(layers_compute.build_figure(name, scene, stats, presenter=presenter), key=key)


def histograms_tab():
    for column, name in zip(st.columns(len(stats)), ["histograms", "histograms_b"]):
        with column:
            figure(name, name)


tabs = ui.view_tabs(VIEWS, "lay.view")
for tab, draw in zip(tabs, [lambda: figure("stats", "stats"), histograms_tab, lambda: figure("saturation", "saturation"),
                            lambda: figure("activation", "activation")]):
    if tab.open:  # only the open tab is built and sent
        with tab:
            draw()

ui.scene_file_controls(PAGE, scene, LayersScene.loads, scene.a.activation)
