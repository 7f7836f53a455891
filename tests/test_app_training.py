"""Streamlit AppTest: the training lab renders, its controls change the curves and the link without
recompiling, compare mode trains A and B, links and lessons load, divergence shows one message."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support import export_menus, warnings_text
from optviz.training.compute import trace_count

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "training.py")
SMALL = {"depth": "2", "width": "8", "samples": "64", "steps": "200"}  # one small kernel for most of these

# Expanders build their content only while open; AppTest opens them through their state keys.
SECTIONS = ["lab.a.data.open", "lab.a.network.open", "lab.a.training.open", "lab.a.opt.open", "lab.b.data.open",
            "lab.b.network.open", "lab.b.training.open", "lab.b.opt.open", "training_scene.lessons_open",
            "training_scene.file_open"] + export_menus("training")


def page(query: dict | None = None, open_sections: bool = True) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if open_sections:
        for key in SECTIONS:
            at.session_state[key] = True
    return at.run()


def curves(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_renders_the_curves_and_the_link():
    at = page(SMALL)
    assert not at.exception
    assert at.title[0].value == "Training lab" and len(at.get("plotly_chart")) == 1  # only the open tab is built
    names = {t.get("name") for t in curves(at)["data"]}
    assert {"Adam, η = 0.01", "train", "validation"} <= names
    assert at.query_params["learning_rate"] == "0.01" and at.query_params["depth"] == "2"


def test_the_learning_rate_and_l2_move_the_curves_and_the_link_without_recompiling():
    at = page(SMALL)
    before, compiled = curves(at)["data"], trace_count()
    at.session_state["lab.a.adam.learning_rate#typed"] = 0.02
    at.run()
    assert not at.exception and at.query_params["learning_rate"] == "0.02"
    moved = curves(at)["data"]
    assert moved != before
    at.slider(key="lab.a.l2").set_value(0.01).run()
    assert not at.exception and at.query_params["l2"] == "0.01" and curves(at)["data"] != moved
    assert trace_count() == compiled  # traced settings: the same kernels


def test_widgets_of_every_group_change_the_run():
    at = page(SMALL)
    at.selectbox(key="lab.a.dataset").set_value("circles").run()
    assert not at.exception and at.query_params["dataset"] == "circles"
    assert at.query_params["noise"] == "0.1"  # a new data set starts at its own noise
    at.selectbox(key="lab.a.schedule").set_value("step").run()
    assert not at.exception and at.query_params["step_size"] == "100"
    at.selectbox(key="lab.a.optimizer").set_value("sgd").run()
    assert not at.exception and at.query_params["learning_rate"] == "0.1" and "b1" not in at.query_params
    at.toggle(key="lab.a.batchnorm").set_value(True).run()
    assert not at.exception and at.query_params["batchnorm"] == "true"


def test_compare_mode_trains_both_and_keeps_b_when_toggled():
    at = page({**SMALL, "compare": "true", **{f"b.{k}": v for k, v in SMALL.items()}, "b.optimizer": "sgd"})
    assert not at.exception
    names = {t.get("name") for t in curves(at)["data"]}
    assert {"A: Adam, η = 0.01", "B: SGD, η = 0.1"} <= names
    at.toggle(key="lab.compare").set_value(False).run()
    assert not at.exception and "b.optimizer" not in at.query_params
    at.toggle(key="lab.compare").set_value(True).run()
    assert not at.exception and at.query_params["b.optimizer"] == "sgd"


def test_views_draw_both_runs_side_by_side():
    query = {**SMALL, "compare": "true", **{f"b.{k}": v for k, v in SMALL.items()}}
    for view, charts in (("2", 2), ("3", 1), ("4", 2)):
        at = page({**query, "view": view}, open_sections=False)
        assert not at.exception and len(at.get("plotly_chart")) == charts, view


def test_a_diverging_run_is_a_result_with_one_message():
    at = page({"optimizer": "sgd", "learning_rate": "10", "steps": "200", "samples": "64"})
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "diverged at step" in errors[0]
    assert any(str(t.get("name", "")).endswith("diverged") for t in curves(at)["data"])


def test_bad_and_foreign_link_values_get_a_short_notice():
    at = page({**SMALL, "optimizer": "newton", "depth": "99", "colour": "red", "momentum": "0.5"})
    assert not at.exception
    text = warnings_text(at)
    assert "Hessian" in text and "depth" in text and "'colour'" in text and "momentum is not a setting" in text
    assert at.query_params["optimizer"] == "adam" and at.query_params["depth"] == "8"


def test_seeds_draw_bands():
    at = page({**SMALL, "seeds": "3"})
    assert not at.exception
    assert any(t.get("fill") == "toself" for t in curves(at)["data"])
    assert any(t.get("name") == "range of 3 seeds" for t in curves(at)["data"])


def test_a_lesson_button_loads_its_scene_and_banner():
    at = page(SMALL)
    at.button(key="lesson.lab_linear").click().run()
    assert not at.exception
    assert at.query_params["scene"] == "lab_linear" and at.query_params["activation"] == "linear"
    assert any("linear activation" in info.value for info in at.info)



def test_a_widget_value_that_cannot_run_is_adjusted_with_a_notice():
    at = page(SMALL)
    at.slider(key="lab.a.batch_size").set_value(1).run()
    at.toggle(key="lab.a.batchnorm").set_value(True).run()
    assert not at.exception
    assert "batch norm needs at least 2 examples" in warnings_text(at)
    assert at.query_params["batch_size"] == "2" and at.session_state["lab.a.batch_size"] == 2
