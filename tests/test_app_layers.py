"""Streamlit AppTest: the initialization page renders, responds to its controls and to links."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support import export_menus, warnings_text

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "layers.py")


# Expanders build their content only while open; AppTest opens them through their state keys.
SECTIONS = ["lay.a.size.open", "lay.b.size.open", "lay.a.extras.open", "lay.b.extras.open", "layers_scene.lessons_open",
            "layers_scene.file_open"] + export_menus("layers")


def page(query: dict | None = None, open_sections: bool = True) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if open_sections:
        for key in SECTIONS:
            at.session_state[key] = True
    return at.run()


def stats_spec(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_renders_with_descriptions():
    at = page()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1  # only the open tab is built
    assert any("std" in m.value for m in at.markdown if m.value.startswith("**"))


def test_controls_change_the_figure_and_url():
    at = page({"depth": "6", "width": "100", "batch": "200"})
    before = stats_spec(at)
    at.selectbox(key="lay.a.activation").set_value("relu").run()
    assert not at.exception and at.query_params["activation"] == "relu"
    assert stats_spec(at)["data"] != before["data"]


def test_compare_mode_draws_both_networks():
    at = page({"depth": "6", "width": "100", "batch": "200", "activation": "relu", "compare": "true",
               "b.depth": "6", "b.width": "100", "b.batch": "200", "b.activation": "relu", "b.init": "he_normal"})
    assert not at.exception and len(at.get("plotly_chart")) == 1
    names = {t.get("legendgroup") or t.get("name") for t in stats_spec(at)["data"]}
    assert any("A:" in str(n) for n in names) and any("B:" in str(n) for n in names)


def test_compare_off_and_on_again_brings_back_network_b():
    at = page({"depth": "4", "width": "50", "batch": "100", "compare": "true", "b.depth": "4", "b.width": "50",
               "b.batch": "100", "b.activation": "relu", "b.init": "he_normal"})
    at.toggle(key="lay.compare").set_value(False).run()
    assert not at.exception and "b.init" not in at.query_params
    at.toggle(key="lay.compare").set_value(True).run()
    assert not at.exception
    assert at.query_params["b.init"] == "he_normal" and at.query_params["b.activation"] == "relu"
    assert at.selectbox(key="lay.b.init").value == "he_normal"


def test_histograms_view_shows_both_networks_in_compare_mode():
    at = page({"depth": "4", "width": "50", "batch": "100", "compare": "true", "b.depth": "4", "b.width": "50",
               "b.batch": "100", "view": "2"})
    assert not at.exception and len(at.get("plotly_chart")) == 2


def test_lesson_link_shows_banner_and_description():
    at = page({"scene": "tanh_small_init", "width": "100", "batch": "200"})
    assert not at.exception
    assert any("collapse" in i.value for i in at.info)
    assert any("collapsed" in m.value for m in at.markdown)


def test_bad_link_values_get_a_notice():
    at = page({"depth": "999", "activation": "swish", "width": "100", "batch": "200"})
    assert not at.exception
    text = warnings_text(at)
    assert "depth" in text and "swish" in text


def test_units_identical_indicator():
    at = page({"scene": "constant_init", "width": "50", "batch": "100"})
    assert not at.exception
    assert any("Units identical" in m.value and "layer(s) 1, 2, 3" in m.value for m in at.markdown)
    at = page({"width": "50", "batch": "100"})
    assert not any("Units identical" in m.value for m in at.markdown)


def test_a_lesson_of_the_other_page_is_refused_with_a_notice():
    at = page({"scene": "sgd_zigzag", "width": "50", "batch": "100"})
    assert not at.exception
    assert "unknown scene 'sgd_zigzag' for this page" in warnings_text(at)
    assert "scene" not in at.query_params


def test_a_network_too_large_from_the_widgets_is_shrunk_and_the_widgets_follow():
    # 50 x 2000 x (2 + 2000) elements is over MAX_ELEMENTS: the page computes a narrower network,
    # says so, and the width widget and the link show the width actually computed.
    at = page({"depth": "50", "width": "100", "batch": "2"})
    at.slider(key="lay.a.width").set_value(2000).run()
    assert not at.exception
    width = at.session_state["lay.a.width"]
    assert width < 2000 and at.query_params["width"] == str(width)
    assert "too large" in warnings_text(at) and f"width {width}" in warnings_text(at)


def test_a_png_export_too_large_is_refused_with_a_message():
    at = page({"depth": "4", "width": "50", "batch": "100"}, open_sections=False)
    at.session_state["x.stats.open"] = True  # the export menu (built only while open)
    at.run()
    at.number_input(key="x.stats.w").set_value(4000)
    at.number_input(key="x.stats.h").set_value(4000)
    at.select_slider(key="x.stats.scale").set_value(4.0).run()
    assert not at.exception
    assert any("million pixels" in w.value for w in at.warning)
    assert not [b for b in at.get("download_button") if b.proto.label == "Download PNG"]
    at.select_slider(key="x.stats.scale").set_value(2.0).run()  # 64 million: allowed
    assert not any("million pixels" in w.value for w in at.warning)
    assert [b for b in at.get("download_button") if b.proto.label == "Download PNG"]


def test_the_new_settings_are_widgets_and_link_keys():
    # Residual blocks, bias, input mean, batch norm's gamma/beta and leaky ReLU's slope: generated from
    # NETWORK_PARAMS, each a widget and a link key; settings of a switch that is off are not drawn.
    at = page({"depth": "4", "width": "50", "batch": "100", "activation": "leaky_relu", "negative_slope": "0.2"})
    assert not at.exception
    assert at.session_state["lay.a.negative_slope"] == 0.2
    keys = {w.key for w in [*at.slider, *at.toggle, *at.select_slider]}
    assert {"lay.a.bias", "lay.a.input_mean", "lay.a.residual"} <= keys
    assert not {"lay.a.branch_scale", "lay.a.zero_last", "lay.a.bn_gamma"} & keys  # residual and batch norm are off
    at.toggle(key="lay.a.residual").set_value(True).run()
    at.slider(key="lay.a.bias").set_value(-0.5).run()
    assert not at.exception and at.query_params["residual"] == "true" and at.query_params["bias"] == "-0.5"
    at.toggle(key="lay.a.zero_last").set_value(True).run()
    assert not at.exception and at.query_params["zero_last"] == "true"
    assert any("leaky_relu 0.2" in m.value for m in at.markdown)  # the network's label follows the slope


def test_bad_values_of_the_new_settings_get_a_notice():
    at = page({"depth": "4", "width": "50", "batch": "100", "bias": "-99", "bn_gamma": "abc", "residual": "maybe",
               "negative_slope": "0"})
    assert not at.exception
    text = warnings_text(at)
    assert all(name in text for name in ("bias", "bn_gamma", "residual", "negative_slope"))
    assert at.query_params["bias"] == "-3" and at.query_params["bn_gamma"] == "1"
