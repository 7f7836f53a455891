"""The maps on the trajectory page: the hyperparameter map's cells are maps.hyperparameter_map's,
diverged cells are marked, the stability boundary follows the theory, a click loads a cell, and
links carry the map settings (bad ones give a notice)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app_support import export_menus

from optviz.surfaces import SURFACES
from optviz.trajectories import maps
from optviz.trajectories.compute import compute, map_click
from optviz.trajectories.exports import map_exportable
from optviz.trajectories.figures import build_figure
from optviz.trajectories.map_figures import DIVERGED, legend_names
from optviz.trajectories.runner import run_paths
from optviz.trajectories.scene import TrajectoryScene

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"map_res": 8}


def scene(**map_values) -> TrajectoryScene:
    return TrajectoryScene.build("ill_conditioned", optimizers=["momentum", "sgd"], map={**SMALL, **map_values})


def test_the_heatmap_is_the_map_of_the_library_and_marks_the_diverged_cells():
    s = scene()
    data = compute(s)
    fig = build_figure("hyperparameter_map", s, data)
    settings = s.map_settings
    expected = maps.hyperparameter_map(
        "ill_conditioned", "momentum", maps.Axis("learning_rate", settings["map_xlo"], settings["map_xhi"], True),
        maps.Axis("momentum", settings["map_ylo"], settings["map_yhi"]), resolution=8, steps=s.run["steps"],
        start=s.start_point, hparams=s.hparams("momentum"))
    heat = fig.data[0]
    z = np.asarray(heat.z, float)
    gap = np.where(expected.diverged, np.nan, expected.final_loss - 0.0)  # the quadratic's minimum is 0
    finite = ~expected.diverged
    assert np.allclose(z[finite], np.log10(np.maximum(gap[finite], 1e-12)), atol=1e-4)
    assert np.isnan(z[expected.diverged]).all()
    assert np.allclose(heat.x, np.log10(expected.x_values)) and np.allclose(heat.y, expected.y_values)
    assert expected.diverged.any() and not expected.diverged.all()
    overlay = next(t for t in fig.data if t.type == "heatmap" and t.colorscale[0][1] == DIVERGED)
    assert np.array_equal(np.isfinite(np.asarray(overlay.z, float)), expected.diverged)
    assert "diverged" in legend_names(fig)


def test_the_boundary_follows_the_heavy_ball_rule():
    s = scene()
    fig = build_figure("hyperparameter_map", s, compute(s))
    line = next(t for t in fig.data if t.type == "scatter" and t.mode == "lines" and t.showlegend)
    eta, mu = 10 ** np.asarray(line.x, float), np.asarray(line.y, float)
    assert np.allclose(eta, 2 * (1 + mu), rtol=1e-6)
    assert "2(1+μ)" in line.name


def test_steps_to_tolerance_are_the_single_runs_steps():
    s = scene(map_metric="steps", map_tol=1e-3)
    made = compute(s).maps.get("hyperparameter_map")
    start = SURFACES["ill_conditioned"].default_start
    checked = 0
    for i in range(8):
        for j in range(8):
            if made.diverged[i, j]:
                continue
            path = run_paths("ill_conditioned", "momentum", [start], steps=s.run["steps"],
                             hparams={"learning_rate": made.x_values[j], "momentum": made.y_values[i]})[0]
            reached = np.flatnonzero(path.losses <= 1e-3)
            assert made.steps_to[i, j] == (reached[0] if reached.size else -1), (i, j)
            checked += 1
    assert checked > 10 and (made.steps_to >= 0).any()


def test_a_click_on_a_cell_loads_its_setting_and_on_the_basin_map_the_start():
    s = scene()
    data = compute(s)
    made = data.maps.get("hyperparameter_map")
    picked = map_click(s, data, "hyperparameter_map", (np.log10(made.x_values[5]) + 0.01, made.y_values[2] - 0.01))
    assert picked.hparams("momentum")["learning_rate"] == pytest.approx(made.x_values[5])
    assert picked.hparams("momentum")["momentum"] == pytest.approx(made.y_values[2])
    assert picked.hparams("sgd") == s.hparams("sgd") and picked.map_settings == s.map_settings
    moved = map_click(s, data, "basin_map", (2.0, -3.0))
    assert moved.start_point == (2.0, -3.0)


def test_basin_map_colours_starts_by_the_minimum_they_reach():
    s = TrajectoryScene.build("himmelblau", optimizers=["adam"], map=SMALL)
    data = compute(s)
    made = data.maps.get("basin_map")
    fig = build_figure("basin_map", s, data)
    assert len(made.minima) == 4 and (made.basin >= 0).any()
    stars = next(t for t in fig.data if t.name == "minima")
    assert stars.marker.symbol == "star" and len(stars.x) == 4
    rows = map_exportable(s, data, "basin_map").records()
    assert len(rows) == 64 and {"x", "y", "basin", "outcome"} <= set(rows[0])


def test_links_and_files_carry_the_map_settings():
    s = TrajectoryScene.build("rosenbrock", optimizers=["adam"], map={
        "map_x": "b2", "map_xlo": 0.5, "map_xhi": 0.999, "map_xlog": False, "map_y": "learning_rate", "map_ylo": 1e-4,
        "map_yhi": 0.1, "map_ylog": True, "map_metric": "distance", "map_tol": 1e-5, "map_res": 48})
    again, notices = TrajectoryScene.from_query(s.to_query())
    assert notices == [] and again.map_settings == s.map_settings and again.to_query() == s.to_query()
    loaded, notices = TrajectoryScene.loads(s.dumps())
    assert notices == [] and loaded.map_settings == s.map_settings


@pytest.mark.parametrize("bad, says", [
    ({"map_x": "b1"}, "not a numeric hyperparameter of Momentum"),
    ({"map_xlo": "5", "map_xhi": "1"}, "needs from < to"),
    ({"map_ylo": "-1"}, "outside its range"),
    ({"map_res": "9999"}, "clamped to 128"),
    ({"map_metric": "speed"}, "not one of"),
    ({"map_y": "learning_rate"}, "both axes"),
])
def test_bad_map_settings_from_a_link_give_a_notice(bad, says):
    query = {**scene().to_query(), **bad}
    fixed, notices = TrajectoryScene.from_query(query)
    assert any(says in n for n in notices), notices
    assert fixed.map_settings["map_x"] != fixed.map_settings["map_y"]
    assert fixed.map_settings["map_xlo"] < fixed.map_settings["map_xhi"]


def test_presenter_figures_fit_the_projector():
    s = scene()
    data = compute(s)
    for name in ("hyperparameter_map", "basin_map"):
        layout = build_figure(name, s, data, presenter=True).layout
        assert layout.height <= 560 and layout.font.size == 22
        assert layout.xaxis.title.text and layout.yaxis.title.text


def _page(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "trajectories.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    for key in export_menus("trajectories"):  # built only while open
        at.session_state[key] = True
    return at.run()


@pytest.mark.parametrize("view, name", [("5", "hyperparameter_map"), ("6", "basin_map")])
def test_the_map_views_render_with_exports(view, name):
    at = _page({**scene().to_query(), "view": view})
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["data"][0]["type"] == "heatmap"
    assert "CSV data" in at.selectbox(key=f"x.{name}.fmt").options


def test_a_bad_map_setting_in_a_link_shows_a_notice_on_the_page():
    at = _page({**scene().to_query(), "map_x": "nonsense", "view": "5"})
    assert not at.exception
    assert any("map" in w.value and "nonsense" in w.value for w in at.warning)


@pytest.mark.parametrize("presenter", [False, True])
def test_a_long_map_title_breaks_after_its_colon_and_keeps_its_room(presenter, monkeypatch):
    from optviz.trajectories.map_figures import TITLE_WIDTH, fitted_title
    from optviz.style import Style

    st = Style.for_mode(presenter)
    short = "SGD on Rosenbrock: final loss after 200 steps"
    assert fitted_title(short, st, presenter) == short
    long = "SAM on Sharp and flat minima (SAM): which minimum each start reaches in 200 steps"
    lines = fitted_title(long, st, presenter).split("<br>")
    assert lines == ["SAM on Sharp and flat minima (SAM):", "which minimum each start reaches in 200 steps"]
    assert all(len(line) * 0.55 * st.title_size <= TITLE_WIDTH[presenter] for line in lines)
    long_scene = TrajectoryScene.build("sharp_flat", optimizers=["sam", "sgd"], map=SMALL)
    data = compute(long_scene)
    two = build_figure("basin_map", long_scene, data, presenter=presenter).layout
    monkeypatch.setattr("optviz.trajectories.map_figures.TITLE_WIDTH", (10_000, 10_000))  # as if it fitted on one line
    one = build_figure("basin_map", long_scene, data, presenter=presenter).layout
    assert "<br>" in two.title.text and "<br>" not in one.title.text
    # the second line gets room above the legend, and the first line is pushed down into the figure
    assert two.margin.t - one.margin.t >= 1.25 * st.title_size and two.title.pad.t - one.title.pad.t >= 1.2 * st.title_size
