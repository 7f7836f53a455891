"""AppTest: the custom surface's text box draws a typed f(x, y); a bad one gets a message and keeps the last."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app_support import warnings_text

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # the first run imports JAX and compiles


def page(query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "trajectories.py"), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def contour(at: AppTest) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_typing_an_expression_draws_it_and_a_bad_one_says_why():
    at = page({"surface": "custom", "expression": "x**2 + 2*y**2", "domain": "-3,3,-2,2", "opt": "sgd,adam"})
    assert not at.exception and not at.error
    box = at.text_input(key="traj.expression")
    assert box.value == "x**2 + 2*y**2"
    assert [at.number_input(key=f"traj.domain.{b}").value for b in ("xmin", "xmax", "ymin", "ymax")] == [-3, 3, -2, 2]
    before = contour(at)
    assert before["data"][0]["type"] == "contour" and "x**2 + 2*y**2" in json.dumps(before["layout"]["title"])

    box.input("(x^2 + y^2)/4 + x*y/8").run()
    assert not at.exception and not at.error
    after = contour(at)
    assert after["data"][0]["type"] == "contour" and after["data"][0]["z"] != before["data"][0]["z"]
    assert at.query_params["expression"] == "(x^2 + y^2)/4 + x*y/8" and at.query_params["domain"] == "-3,3,-2,2"

    at.text_input(key="traj.expression").input("x + z").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "unknown name 'z' at column 5" in errors and "(x^2 + y^2)/4 + x*y/8" in errors
    assert at.query_params["expression"] == "(x^2 + y^2)/4 + x*y/8"  # the last expression that could be drawn
    assert contour(at)["data"][0]["z"] == after["data"][0]["z"]

    at.number_input(key="traj.domain.xmin").set_value(5.0).run()
    assert not at.exception and "xmin 5 must be less than xmax 3" in " ".join(e.value for e in at.error)


def test_a_bad_expression_in_a_link_falls_back_with_a_notice():
    at = page({"surface": "custom", "expression": "__import__('os')", "opt": "sgd"})
    assert not at.exception
    assert "unknown function '__import__' at column 1" in warnings_text(at)
    assert at.query_params["surface"] == "ill_conditioned"


def test_a_surface_finite_nowhere_draws_with_a_notice():
    at = page({"surface": "custom", "expression": "x + exp(100)", "domain": "-1,1,-1,1", "opt": "sgd"})
    assert not at.exception
    assert "not finite anywhere in the domain" in warnings_text(at)
    assert "stopped where f(x, y) is not finite" in " ".join(e.value for e in at.error)
