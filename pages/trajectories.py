"""Optimizer trajectories: paths of SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, ... on 2-D surfaces."""

import streamlit as st

from optviz import compute, ui, ui_trajectory
from optviz.optimizers import OPTIMIZERS
from optviz.scene import TrajectoryScene, optimizer_of
from optviz.surfaces import SURFACES

PAGE = "trajectory_scene"


@st.cache_data(max_entries=64, show_spinner=False)
def computed(scene: TrajectoryScene):
    return compute.trajectories(scene), compute.surface_view(scene)


scene, notices, load = ui.incoming_scene(PAGE, TrajectoryScene.from_query, TrajectoryScene)
if load:
    ui_trajectory.load(scene)

presenter = ui.presenter_toggle()
ui.apply_presenter_css(presenter)
controls_box = st.popover("⚙ Controls") if presenter else st.sidebar
scene = ui_trajectory.controls(scene, controls_box)
ui.publish_scene(PAGE, scene, scene.to_query(), presenter)

surface = SURFACES[scene.surface]
st.title("Optimizer trajectories")
st.caption(surface.lesson)
ui.show_notices(notices)
if not scene.optimizers:
    st.info("Choose at least one optimizer in the controls to draw its path.")

results, view = computed(scene)
for r in results:
    if r.diverged_at is not None:
        st.error(f"**{r.label} diverged at step {r.diverged_at}** ({r.divergence}): the step was too large for this "
                 "surface. The path ends at its last good point (✗). Try a smaller learning rate.", icon="💥")

tabs = st.tabs(["Contour", "3-D surface", "Loss & distance", "Playback"])
with tabs[0]:
    event = ui.chart(compute.build_figure("contour", scene, results, view, presenter=presenter, clickable=True),
                     key="contour", on_select="rerun", selection_mode="points")
    clicked = ui.selected_point(event)
    if clicked and clicked != st.session_state.get("_last_click"):
        st.session_state["_last_click"] = clicked
        ui.request_scene(PAGE, scene.with_start(*clicked))
with tabs[1]:
    ui.chart(compute.build_figure("surface3d", scene, results, view, presenter=presenter), key="surface3d")
with tabs[2]:
    left, right = st.columns(2)
    with left:
        ui.chart(compute.build_figure("loss", scene, results, view, presenter=presenter), key="loss")
    with right:
        ui.chart(compute.build_figure("distance", scene, results, view, presenter=presenter), key="distance")
with tabs[3]:
    ui.chart(compute.build_figure("playback", scene, results, view, presenter=presenter), key="playback")

with st.expander("Update rules and the surface", expanded=not presenter):
    st.latex(surface.latex)
    for key in dict.fromkeys(optimizer_of(i) for i in scene.optimizers):
        st.markdown(f"**{OPTIMIZERS[key].label}**: {OPTIMIZERS[key].lesson}")
        st.latex(OPTIMIZERS[key].update_rule)
