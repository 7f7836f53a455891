"""Optimizer trajectories: paths of SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, ... on 2-D surfaces."""

import streamlit as st

from optviz.memo import RESULTS_BYTES, ByteCache
from optviz.optimizers import OPTIMIZERS
from optviz.trajectories import controls
from optviz.trajectories.compute import compute, map_click, stop_messages, surface_messages
from optviz.trajectories.exports import map_exportable
from optviz.trajectories.map_figures import MAP_FIGURES
from optviz.trajectories.page import PAGE
from optviz.trajectories.scene import optimizer_of
from optviz.ui.exports import export_menu, scene_file_controls
from optviz.ui.page import (PENDING_VIEW, chart, draw_views, lazy_expander, lesson_banner, page_title, request_scene,
                            scene_page, selected_point, show_notices)


@st.cache_resource
def results() -> ByteCache:  # one for the server: every session's scenes, bounded by bytes
    return ByteCache(RESULTS_BYTES)


scene, notices, load, presenter = scene_page(PAGE, controls)
surface = scene.surface_spec  # a typed f(x, y) is its own Surface
page_title(PAGE, surface.lesson)
show_notices(notices)
lesson_banner(PAGE, scene)
if not scene.optimizers:
    st.info("Choose at least one optimizer in the controls to draw its path.")

data = results().get(scene, lambda: compute(scene))
exportable = PAGE.exportable(scene, data)
for message in surface_messages(scene):
    st.warning(message, icon="⚠️")


def draw_figure(name: str) -> None:
    if name in MAP_FIGURES:  # a click on a cell loads its setting (keyed by the scene: a fresh selection each time)
        with st.container(key=name):
            event = chart(PAGE.build_figure(name, scene, data, presenter=presenter), key=f"{name}@{hash(scene)}",
                          on_select="rerun", selection_mode="points")
        export_menu(PAGE, map_exportable(scene, data, name), name, scene.surface)
        clicked = selected_point(event)
        if clicked and map_click(scene, data, name, clicked) != scene:
            if name == "hyperparameter_map":  # see the run of the setting clicked
                st.session_state[PENDING_VIEW + PAGE.state_key] = "Contour"
            request_scene(PAGE.state_key, map_click(scene, data, name, clicked))
        return
    if name != "contour":
        chart(PAGE.build_figure(name, scene, data, presenter=presenter), key=name)
        export_menu(PAGE, exportable, name, scene.surface)  # below: the figure comes first on the screen
        return
    # Keyed by the start point: each new start gets a fresh selection state, so a click always
    # counts (also on the point clicked last), and an applied click is not applied again.
    x0, y0 = scene.start_point
    with st.container(key="contour"):  # a stable handle for the page's CSS and tests
        event = chart(PAGE.build_figure(name, scene, data, presenter=presenter, clickable=True),
                      key=f"contour@{x0:.6g},{y0:.6g}", on_select="rerun", selection_mode="points")
    export_menu(PAGE, exportable, name, scene.surface)
    clicked = selected_point(event)
    if clicked and scene.with_start(*clicked) != scene:
        request_scene(PAGE.state_key, scene.with_start(*clicked))


draw_views(PAGE, scene, draw_figure)
# Below the figures, which mark each stop (✗ and its step): above, the message pushed a
# projector's chart below the fold.
for kind, message in stop_messages(scene, data.results, data.view):
    (st.info if kind == "escaped" else st.error)(message, icon="🏃" if kind == "escaped" else "💥")

# Built only while open (see lazy_expander): its formulas are typeset again on every rerun.
rules, rules_open = lazy_expander("Update rules and the surface", f"{PAGE.state_key}.rules_open")
if rules_open:
    with rules:
        st.latex(surface.latex)
        for key in dict.fromkeys(optimizer_of(i) for i in scene.optimizers):
            st.markdown(f"**{OPTIMIZERS[key].label}**: {OPTIMIZERS[key].lesson}")
            st.latex(OPTIMIZERS[key].update_rule)

scene_file_controls(PAGE, scene)
