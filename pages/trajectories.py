"""Optimizer trajectories: paths of SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, ... on 2-D surfaces."""

import streamlit as st

from optviz import ui
from optviz.trajectories import compute, controls as ui_trajectory
from optviz.lessons import LESSONS
from optviz.export.source import trajectory_exportable
from optviz.optimizers import OPTIMIZERS
from optviz.trajectories.scene import TrajectoryScene, optimizer_of
from optviz.surfaces import SURFACES

PAGE = "trajectory_scene"
VIEWS = ["Contour", "3-D surface", "Loss & distance", "Playback"]


@st.cache_data(max_entries=64, show_spinner=False)
def computed(scene: TrajectoryScene):
    return compute.trajectories(scene), compute.surface_view(scene)


scene, notices, load, presenter = ui.scene_page("trajectories", PAGE, TrajectoryScene, ui_trajectory.load,
                                                 ui_trajectory.controls, ui_trajectory.P + "surface", VIEWS, "traj.view")

surface = SURFACES[scene.surface]
st.title("Optimizer trajectories")
st.caption(surface.lesson)
ui.show_notices(notices)
ui.lesson_banner(LESSONS, "trajectories", PAGE)
if not scene.optimizers:
    st.info("Choose at least one optimizer in the controls to draw its path.")

tabs = ui.view_tabs(VIEWS, "traj.view")
results, view = computed(scene)
exportable = trajectory_exportable(scene, results, view)
for kind, message in compute.stop_messages(scene, results, view):
    (st.info if kind == "escaped" else st.error)(message, icon="🏃" if kind == "escaped" else "💥")



def contour_tab():
    ui.export_menu(exportable, "contour", "trajectories", scene.surface, "x.contour")
    # Keyed by the start point: each new start gets a fresh selection state, so a click always
    # counts (also on the point clicked last), and an applied click is not applied again.
    x0, y0 = scene.start_point
    with st.container(key="contour"):  # a stable handle for the page's CSS and tests
        event = ui.chart(compute.build_figure("contour", scene, results, view, presenter=presenter, clickable=True),
                         key=f"contour@{x0:.6g},{y0:.6g}", on_select="rerun", selection_mode="points")
    clicked = ui.selected_point(event)
    if clicked and scene.with_start(*clicked) != scene:
        ui.request_scene(PAGE, scene.with_start(*clicked))


def figure_tab(*names):
    for column, name in zip(st.columns(len(names)), names):
        with column:
            ui.export_menu(exportable, name, "trajectories", scene.surface, f"x.{name}")
            ui.chart(compute.build_figure(name, scene, results, view, presenter=presenter), key=name)


def playback_tab():
    st.caption("▶ Play moves every path at once; drag the step slider to stop at any step. "
               "⬇ Export makes it a GIF or MP4 for slides.")
    figure_tab("playback")


for tab, draw in zip(tabs, [contour_tab, lambda: figure_tab("surface3d"), lambda: figure_tab("loss", "distance"), playback_tab]):
    if tab.open:  # only the open tab is built and sent
        with tab:
            draw()

with st.expander("Update rules and the surface", expanded=not presenter):
    st.latex(surface.latex)
    for key in dict.fromkeys(optimizer_of(i) for i in scene.optimizers):
        st.markdown(f"**{OPTIMIZERS[key].label}**: {OPTIMIZERS[key].lesson}")
        st.latex(OPTIMIZERS[key].update_rule)

ui.scene_file_controls(PAGE, scene, TrajectoryScene.loads, scene.surface)
