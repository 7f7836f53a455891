"""Streamlit AppTest: the trajectory page renders, answers its controls, reads links, survives bad input."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_support import export_menus, warnings_text

from optviz.optimizers import OPTIMIZERS
from optviz.surfaces import SURFACES
from optviz.trajectories.scene import start_hparams

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # the first run imports JAX and compiles


# The page builds the content of its (keyed) expanders only while they are open; AppTest cannot
# click an expander, so tests open them through their session-state keys.
SECTIONS = ["traj.run.open", "traj.penalty.open", "trajectory_scene.lessons_open", "trajectory_scene.file_open"] + [
    f"traj.{name}{copy}.open" for name in OPTIMIZERS for copy in ("", "-2", "-3")] + [
    "trajectory_scene.rules_open"] + export_menus("trajectories")


def page(query: dict | None = None, open_sections: bool = True) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "trajectories.py"), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if open_sections:
        for key in SECTIONS:
            at.session_state[key] = True
    return at.run()


def contour_json(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert charts, "no chart rendered"
    return json.loads(charts[0].proto.spec)


def path_names(spec: dict) -> list[str]:
    return [t.get("name") for t in spec["data"] if t.get("mode") in ("lines", "lines+markers")]


@pytest.mark.parametrize("view, traces", [("1", "contour"), ("2", "surface"), ("3", "scatter"), ("4", "scatter")])
def test_each_view_renders_alone(view, traces):
    at = page({"view": view})
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == (2 if view == "3" else 1)  # only the open tab is built: loss + distance side by side
    assert any(t["type"] == traces for t in json.loads(charts[0].proto.spec)["data"])
    assert at.query_params.get("view", "1") == view


@pytest.mark.parametrize("view, figures, animated", [("1", ["contour"], True), ("2", ["surface3d"], False),
                                                     ("3", ["loss", "distance"], False), ("4", ["playback"], True)])
def test_gif_and_mp4_are_offered_where_paths_move(view, figures, animated):
    at = page({"view": view})
    for name in figures:
        formats = at.selectbox(key=f"x.{name}.fmt").options
        assert ("GIF animation" in formats and "MP4 video" in formats) == animated, (name, formats)


def test_renders_default_scene():
    at = page()
    assert not at.exception
    names = path_names(contour_json(at))
    assert names == ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]
    assert at.query_params["surface"] == "ill_conditioned"
    assert any("Update rules" in e.label for e in at.expander)


def test_slider_change_changes_figure_and_url():
    at = page()
    before = contour_json(at)
    at.slider(key="traj.s.angle").set_value(45.0).run()
    assert not at.exception
    after = contour_json(at)
    assert before["data"][0]["z"] != after["data"][0]["z"]
    assert at.query_params["angle"] == "45"


def test_typed_learning_rate_is_used_exactly():
    at = page({"opt": "sgd"})
    at.number_input(key="traj.sgd.learning_rate#typed").set_value(0.0123).run()
    assert at.query_params["sgd.learning_rate"] == "0.0123"
    assert at.select_slider(key="traj.sgd.learning_rate").value == 0.0123  # the slider shows it, not 0.012


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_learning_rate_10_shows_divergence_not_traceback(optimizer):
    at = page({"opt": optimizer, f"{optimizer}.learning_rate": "10", "surface": "rosenbrock"})
    assert not at.exception
    messages = [e.value for e in at.error]
    spec = contour_json(at)
    diverged = [t for t in spec["data"] if t.get("name") == "diverged"]
    assert bool(messages) == bool(diverged)
    if messages:
        assert "diverged at step" in messages[0]
    x0, x1 = spec["layout"]["xaxis"]["range"]
    assert x0 < 0 < x1 and 1.0 < x1 - x0 <= 3 * 4.0  # the view stays on the surface (framed on its action, at most
    # stretched to the plot's shape), not on where the diverging path went


def test_shared_link_reproduces_scene():
    link = {"surface": "himmelblau", "opt": "adam,momentum", "adam.learning_rate": "0.05", "start": "1.5,-2", "steps": "77"}
    at = page(link)
    assert not at.exception and not at.warning
    assert path_names(contour_json(at)) == ["Adam", "Momentum"]
    assert at.select_slider(key="traj.adam.learning_rate").value == pytest.approx(0.05)
    assert at.slider(key="traj.steps").value == 77
    assert at.query_params["start"] == "1.5,-2"


def test_bad_link_values_get_a_visible_notice():
    at = page({"surface": "volcano", "opt": "adam", "adam.learning_rate": "1e9", "steps": "abc"})
    assert not at.exception
    warning = warnings_text(at)
    assert "volcano" in warning and "clamped" in warning and "steps" in warning
    assert at.query_params["adam.learning_rate"] == "10"


def test_no_optimizer_is_a_message_not_an_error():
    at = page()
    at.multiselect(key="traj.optimizers").set_value([]).run()
    assert not at.exception
    assert any("at least one optimizer" in i.value for i in at.info)


def test_surface_switch_moves_start_to_its_default():
    at = page()
    at.selectbox(key="traj.surface").set_value("local_minimum").run()
    assert not at.exception
    assert at.query_params["start"] == "2,1.5"
    assert at.slider(key="traj.s.tilt").value == pytest.approx(0.3)


def test_changes_stick_on_a_non_default_view():
    at = page({"view": "3"})
    at.slider(key="traj.s.angle").set_value(30.0).run()
    at.slider(key="traj.steps").set_value(50).run()
    assert at.query_params["angle"] == "30" and at.query_params["steps"] == "50" and at.query_params["view"] == "3"
    assert at.slider(key="traj.s.angle").value == 30.0


def test_escape_from_a_saddle_is_not_called_divergence():
    at = page({"scene": "saddle_escape"})
    assert not at.exception and not at.error
    assert any("escaped downhill" in i.value for i in at.info)
    names = [t.get("name") for t in contour_json(at)["data"]]
    assert "left the plot" in names and "diverged" not in names


def test_closed_sections_send_no_widgets_but_keep_their_values():
    # Closed expanders are not built (fewer elements per rerun); what they hold stays in the scene.
    link = {"opt": "sgd,momentum,nesterov,adagrad,rmsprop,adam", "adam.learning_rate": "0.05", "steps": "77",
            "penalty": "l2", "strength": "0.5"}
    at = page(link, open_sections=False)
    assert not at.exception
    keys = {getattr(w, "key", None) for kind in ("slider", "select_slider", "number_input", "toggle", "button") for w in at.get(kind)}
    assert not any(k and (k.startswith("traj.adam.") or k.startswith("lesson.") or k in ("traj.steps", "traj.strength")) for k in keys)
    assert "traj.s.condition_number" in keys  # the surface's own sliders stay in view
    at.slider(key="traj.s.angle").set_value(30.0).run()
    assert not at.exception
    assert at.query_params["adam.learning_rate"] == "0.05" and at.query_params["steps"] == "77"
    assert at.query_params["penalty"] == "l2" and at.query_params["strength"] == "0.5"
    at.session_state["traj.adam.open"] = True
    at.run()
    assert at.select_slider(key="traj.adam.learning_rate").value == pytest.approx(0.05)


def test_add_another_copy_adds_a_path_up_to_the_cap():
    at = page({"opt": "sgd"})
    at.selectbox(key="traj.copy").set_value("sgd").run()
    assert not at.exception
    assert at.multiselect(key="traj.optimizers").value == ["sgd", "sgd-2"]
    assert at.query_params["opt"] == "sgd,sgd-2" and path_names(contour_json(at)) == ["SGD #1", "SGD #2"]
    assert at.selectbox(key="traj.copy").value is None  # ready for the next copy
    full = ",".join(["sgd"] + [f"sgd-{n}" for n in range(2, 13)])  # MAX_OPTIMIZERS = 12 paths
    at = page({"opt": full}, open_sections=False)
    assert at.multiselect(key="traj.optimizers").proto.max_selections == 12
    at.selectbox(key="traj.copy").set_value("adam").run()
    assert not at.exception and len(at.multiselect(key="traj.optimizers").value) == 12
    assert any("At most 12 paths" in w.value for w in at.warning)


def test_a_typed_learning_rate_is_what_the_slider_shows():
    # 1.9 is just under SGD's stability limit 2 on the ravine: the slider must not round it to 2.
    at = page({"scene": "sgd_zigzag"})
    assert at.query_params["sgd.learning_rate"] == "1.9"
    slider = at.select_slider(key="traj.sgd.learning_rate")
    assert slider.value == 1.9 and at.number_input(key="traj.sgd.learning_rate#typed").value == 1.9
    at.number_input(key="traj.sgd.learning_rate#typed").set_value(0.37).run()
    assert at.select_slider(key="traj.sgd.learning_rate").value == 0.37 and at.query_params["sgd.learning_rate"] == "0.37"
    at.select_slider(key="traj.sgd.learning_rate").set_value(0.5).run()
    assert at.number_input(key="traj.sgd.learning_rate#typed").value == 0.5 and at.query_params["sgd.learning_rate"] == "0.5"


@pytest.mark.parametrize("surface", [s for s in SURFACES if s != "ill_conditioned"])
def test_a_new_surface_starts_with_learning_rates_that_work_there(surface):
    # The ravine's rates on Rosenbrock or Beale diverge in 1-3 steps; a switch must not keep them.
    at = page({"opt": "sgd,momentum,adam", "sgd.learning_rate": "0.1"})
    at.selectbox(key="traj.surface").set_value(surface).run()
    assert not at.exception
    expected = {name: start_hparams(surface, name)["learning_rate"] for name in ("sgd", "momentum", "adam")}
    assert {name: float(at.query_params[f"{name}.learning_rate"]) for name in expected} == expected
    assert not at.error, [e.value for e in at.error]  # nothing diverged


def test_an_animation_is_made_in_the_page_and_a_size_past_the_bound_is_said():
    at = page({"steps": "20"})
    at.selectbox(key="x.contour.fmt").set_value("gif").run()
    assert not at.exception
    at.button(key="x.contour.make").click().run()
    assert not at.exception and not at.error
    assert at.get("download_button"), "no download after making the GIF"
    at.number_input(key="x.contour.w").set_value(4000).run()
    at.number_input(key="x.contour.h").set_value(4000).run()
    assert any("million pixels" in w.value and "frames" in w.value for w in at.warning)


def test_the_fair_comparison_switch_tunes_every_path_and_says_so():
    at = page({"opt": "sgd,adam", "steps": "100"}, open_sections=False)
    assert path_names(contour_json(at)) == ["SGD", "Adam"]
    at.toggle(key="traj.tune").set_value(True).run()
    assert not at.exception and at.query_params["tune"] == "true"
    names = path_names(contour_json(at))
    assert len(names) == 2 and all(n.startswith(o) and "(tuned η=" in n for n, o in zip(names, ("SGD", "Adam")))
    # the sliders keep their own rates, set aside while the switch is on, and the link brings the switch back
    assert at.query_params["sgd.learning_rate"] == "0.1"
    again = page(dict(at.query_params), open_sections=False)
    assert path_names(contour_json(again)) == names
    at.toggle(key="traj.tune").set_value(False).run()
    assert path_names(contour_json(at)) == ["SGD", "Adam"]


def test_the_step_size_view_draws_both_coordinates():
    at = page({"opt": "sgd,adam,newton", "view": "7"}, open_sections=False)
    assert not at.exception
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 2
    for spec, axis in zip(charts, "xy"):
        assert f"along {axis}" in spec["layout"]["title"]["text"]
        assert [t["name"] for t in spec["data"] if t.get("mode") == "lines"] == ["SGD", "Adam"]
        assert "Newton" in spec["layout"]["annotations"][0]["text"]
