"""Scenes: URL and JSON round trips; malformed input gives notices and a valid scene, never an exception."""

import json

import numpy as np

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz.optimizers import OPTIMIZERS
from optviz.params import Param
from optviz.trajectories.scene import TrajectoryScene, max_paths
from optviz.schedules import SCHEDULES
from optviz.surfaces import SURFACES
from optviz.trajectories.runner import RUN_PARAMS


def _value(param: Param):
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "choice":
        return st.sampled_from(param.choices)
    if param.kind == "int":
        return st.integers(int(param.min), int(param.max))
    return st.floats(param.min, param.max, allow_nan=False)


def _run_within_bounds(draw, optimizers: int) -> dict:
    """Run settings a scene may hold: noisy paths cut to what MAX_POINTS allows (a scene with more is
    reduced with a notice, tested in tests/test_hostile_input.py)."""
    run = {p.name: draw(_value(p)) for p in RUN_PARAMS}
    run["paths"] = min(run["paths"], max_paths(optimizers, run["steps"]))
    return run


@st.composite
def scenes(draw):
    surface = draw(st.sampled_from(list(SURFACES)))
    optimizers = draw(st.lists(st.sampled_from(list(OPTIMIZERS)), unique=True, max_size=4))
    schedule = draw(st.sampled_from(list(SCHEDULES)))
    (x0, x1), (y0, y1) = SURFACES[surface].domain
    return TrajectoryScene.build(
        surface,
        {p.name: draw(_value(p)) for p in SURFACES[surface].params},
        optimizers,
        {o: {p.name: draw(_value(p)) for p in OPTIMIZERS[o].params} for o in optimizers},
        (draw(st.floats(x0, x1)), draw(st.floats(y0, y1))),
        _run_within_bounds(draw, len(optimizers)),
        schedule,
        {p.name: draw(_value(p)) for p in SCHEDULES[schedule].params},
        {"penalty": draw(st.sampled_from(["none", "l1", "l2"])), "strength": draw(st.floats(0, 10))},
    )


@given(scenes())
def test_json_round_trip(scene):
    text = scene.dumps()
    again, notices = TrajectoryScene.loads(text)
    assert notices == []
    assert again == scene


@given(scenes())
def test_url_round_trip_reproduces_every_value(scene):
    query = scene.to_query()
    assert all(isinstance(v, str) for v in query.values())
    again, notices = TrajectoryScene.from_query(query)
    assert notices == []
    assert again.to_query() == query
    assert again.to_json()["hparams"] == json.loads(json.dumps(scene.to_json()["hparams"]))
    # start is written with 6 decimals; everything else exactly
    assert again.surface_params == scene.surface_params and again.run == scene.run


junk = st.one_of(st.text(max_size=12), st.integers(), st.floats(), st.none(), st.lists(st.integers(), max_size=3))


@given(st.dictionaries(st.sampled_from(["surface", "opt", "start", "steps", "noise", "seed", "paths", "schedule",
                                        "adam.learning_rate", "sgd.learning_rate", "condition_number", "angle",
                                        "penalty", "strength", "gamma", "zzz", "adam.nope"]), junk))
def test_malformed_query_never_raises(query):
    scene, notices = TrajectoryScene.from_query({k: str(v) for k, v in query.items()})
    assert scene.surface in SURFACES
    assert all(o in OPTIMIZERS for o in scene.optimizers)
    TrajectoryScene.from_query(scene.to_query())  # the result is itself a valid link
    assert isinstance(notices, list)


@given(st.recursive(junk, lambda children: st.dictionaries(st.text(max_size=8), children, max_size=4) | st.lists(children, max_size=3), max_leaves=12))
def test_malformed_json_never_raises(data):
    scene, notices = TrajectoryScene.from_json(data)
    assert scene.surface in SURFACES
    if not isinstance(data, dict):
        assert notices


def test_out_of_range_is_clamped_with_notice():
    scene, notices = TrajectoryScene.from_query({"opt": "adam", "adam.learning_rate": "1e9", "steps": "-4",
                                                 "start": "999,0", "surface": "saddle"})
    assert scene.hparams("adam")["learning_rate"] == 10.0
    assert scene.run["steps"] == 1
    assert scene.start_point == (2.0, 0.0)
    assert len(notices) == 3 and any("learning_rate" in n and "clamped" in n for n in notices)


def test_unknown_names_are_dropped_with_notice():
    scene, notices = TrajectoryScene.from_query({"surface": "volcano", "opt": "adam,shampoo", "zzz": "1"})
    assert scene.surface == "ill_conditioned" and scene.optimizers == ("adam",)
    assert any("volcano" in n for n in notices) and any("shampoo" in n for n in notices) and any("zzz" in n for n in notices)



def test_an_unknown_surface_falls_back_with_its_link_parameters_applied():
    scene, notices = TrajectoryScene.from_query({"surface": "volcano", "condition_number": "5", "schedule": "zigzag"})
    assert scene.surface == "ill_conditioned" and dict(scene.surface_values)["condition_number"] == 5.0
    assert len(notices) == 2 and "volcano" in notices[0] + notices[1]
    assert not any("condition_number" in n for n in notices)  # the default surface has it: not "unknown"

def test_bad_json_text():
    scene, notices = TrajectoryScene.loads("{not json")
    assert scene == TrajectoryScene() and "not valid JSON" in notices[0]


def test_a_scene_file_of_the_other_page_says_so():
    from optviz.layers.scene import LayersScene

    trajectory = TrajectoryScene().to_json()
    trajectory.pop("kind")  # without its kind, a trajectory file is read as a layers file ...
    scene, notices = LayersScene.from_json(trajectory)
    assert scene == LayersScene() and any("unknown key(s) 'surface'" in n for n in notices)  # ... and says so
    _, notices = TrajectoryScene.from_json({**TrajectoryScene().to_json(), "network": {}})
    assert notices == ["scene file: unknown key(s) 'network' ignored"]
    assert TrajectoryScene.from_json(TrajectoryScene().to_json())[1] == []
    assert LayersScene.from_json(LayersScene().to_json())[1] == []
    # "compare": false means no network B, like null
    assert LayersScene.from_json({"kind": "layers", "network": {}, "compare": False}) == (LayersScene(), [])
    assert LayersScene.from_json({"kind": "layers", "network": {}, "compare": 0})[1]  # 0 is not false: a notice
    # absurdly deep nesting is bad JSON, not a RecursionError
    assert "not valid JSON" in LayersScene.loads("[" * 100_000)[1][0]


@pytest.mark.parametrize("start", ["12", [True, False], [1.0], "1,2", None, [float("nan"), 0.0]])
def test_a_start_that_is_not_two_numbers_gets_the_default_and_a_notice(start):
    scene, notices = TrajectoryScene.from_json({**TrajectoryScene().to_json(), "start": start})
    assert scene.start_point == TrajectoryScene().start_point
    assert any("start" in n for n in notices) or start is None


# -- the custom surface: a typed f(x, y) and its domain ----------------------------------------

from optviz.surfaces import CUSTOM, DEFAULT_DOMAIN, DEFAULT_EXPRESSION, typed_surface  # noqa: E402

TYPED = ["x^2 + y^2", "(1 - x)**2 + 100*(y - x**2)**2", "exp(-x**2) * sin(3*y) + 0.1*(x**2 + y**2)", "-x", "x − y²"]


@given(st.sampled_from(TYPED), st.floats(-50, 0), st.floats(0.5, 50), st.floats(-50, 0), st.floats(0.5, 50))
def test_typed_scenes_round_trip_through_links_and_files(expression, x0, width, y0, height):
    domain = ((x0, x0 + width), (y0, y0 + height))
    scene = TrajectoryScene.build(CUSTOM, optimizers=["sgd", "adam"], expression=expression, domain=domain)
    assert scene.expression == expression.strip() and scene.domain == domain
    assert scene.surface_spec.domain == domain and scene.surface_key.startswith("custom:")
    query = scene.to_query()
    assert query["surface"] == CUSTOM and query["expression"] == expression
    again, notices = TrajectoryScene.from_query(query)
    assert notices == [] and again.expression == scene.expression and again.domain == domain
    assert again.to_query() == query
    loaded, notices = TrajectoryScene.loads(scene.dumps())
    assert notices == [] and loaded.to_json() == scene.to_json() and loaded.surface_key == scene.surface_key
    data = scene.to_json()
    assert data["expression"] == expression and data["domain"] == [x0, x0 + width, y0, y0 + height]


def test_one_compiled_surface_per_canonical_text():
    a = TrajectoryScene.build(CUSTOM, expression="x^2+y^2", domain="-1,1,-1,1")
    b = TrajectoryScene.build(CUSTOM, expression="x**2 + y**2", domain=[-1, 1, -1, 1])
    assert a != b and a.surface_key == b.surface_key  # the link keeps what was typed; compute shares the function


def test_the_custom_surface_defaults():
    scene = TrajectoryScene.build(CUSTOM)
    assert scene.expression == DEFAULT_EXPRESSION and scene.domain == DEFAULT_DOMAIN
    assert scene.start_point == (-9.0, 4.0) and scene.surface_params == {}
    assert TrajectoryScene(surface=CUSTOM).surface_spec.domain == DEFAULT_DOMAIN  # even unvalidated
    # other surfaces carry no expression, in the scene, the link or the file
    plain = TrajectoryScene()
    assert plain.expression == "" and plain.domain is None and "expression" not in plain.to_query()
    assert "expression" not in plain.to_json() and plain.surface_key == plain.surface


@pytest.mark.parametrize("expression, fragment", [
    ("__import__('os').system('ls')", "unknown function '__import__' at column 1"),
    ("x.__class__", "attribute access"), ("9**9**9", "too large"), ("1e999", "too large"),
    ("z", "unknown name 'z'"), ("(x", "never closed"), ("", "empty"), ("x\x00", "not allowed"), ("x" * 5000, "5,000 characters"),
])
def test_a_bad_expression_in_a_link_gives_a_notice_and_the_default_surface(expression, fragment):
    scene, notices = TrajectoryScene.from_query({"surface": "custom", "expression": expression, "opt": "sgd"})
    assert scene.surface == "ill_conditioned" and scene.expression == "" and scene.optimizers == ("sgd",)
    assert len(notices) == 1 and notices[0].startswith("expression: ") and fragment in notices[0]
    assert "default surface" in notices[0] and len(notices[0]) < 400


@pytest.mark.parametrize("expression", [None, 3, ["x"], {"a": 1}, True])
def test_an_expression_that_is_not_text_in_a_file(expression):
    scene, notices = TrajectoryScene.from_json({"surface": "custom", "expression": expression})
    if expression is None:
        assert scene.surface == CUSTOM and scene.expression == DEFAULT_EXPRESSION and notices == []
    else:
        assert scene.surface == "ill_conditioned" and "must be text" in notices[0]


@pytest.mark.parametrize("domain, fragment", [("1,0,0,1", "xmin 1 must be less than xmax 0"), ("a,b", "four finite"),
                                              ([0, 1, 0, float("inf")], "four finite"), ("0,1e9,0,1", "reaches past"),
                                              ({"x": 1}, "four finite")])
def test_a_bad_domain_gives_a_notice_and_the_default_domain(domain, fragment):
    scene, notices = TrajectoryScene.from_json({"surface": "custom", "expression": "x**2 + y**2", "domain": domain})
    assert scene.surface == CUSTOM and scene.expression == "x**2 + y**2" and scene.domain == DEFAULT_DOMAIN
    assert len(notices) == 1 and fragment in notices[0] and "default domain" in notices[0]


def test_a_link_with_only_an_expression_means_the_custom_surface():
    scene, notices = TrajectoryScene.from_query({"expression": "x**2 + 2*y**2", "domain": "-2,2,-1,1"})
    assert notices == [] and scene.surface == CUSTOM and scene.domain == ((-2.0, 2.0), (-1.0, 1.0))


def test_an_expression_for_another_surface_is_ignored_with_a_notice():
    scene, notices = TrajectoryScene.from_query({"surface": "saddle", "expression": "x", "domain": "0,1,0,1"})
    assert scene.surface == "saddle" and scene.expression == "" and scene.domain is None
    assert notices == ["expression and domain ignored: only the custom surface (your own f(x, y)) has one"]


def test_the_start_is_clamped_to_the_typed_domain():
    scene, notices = TrajectoryScene.from_query({"surface": "custom", "expression": "x**2", "domain": "0,1,0,2",
                                                 "start": "5,-3"})
    assert scene.start_point == (1.0, 0.0) and "outside the surface's domain" in notices[0]
    assert scene.with_start(-4, 9).start_point == (0.0, 2.0)
    assert TrajectoryScene.build(CUSTOM, expression="x", domain="0,1,0,2").start_point == (0.05, 1.4)


@given(st.dictionaries(st.sampled_from(["surface", "expression", "domain", "start", "opt"]),
                       st.one_of(st.text(max_size=40), st.sampled_from(["custom", "x**2", "-1,1,-1,1", "x^", "1,0,0,1"]))))
def test_malformed_typed_links_never_raise(query):
    scene, notices = TrajectoryScene.from_query(query)
    assert scene.surface in SURFACES
    assert typed_surface(scene.expression, scene.domain) if scene.surface == CUSTOM else scene.expression == ""
    again, more = TrajectoryScene.from_query(scene.to_query())
    assert more == [] and again.surface_key == scene.surface_key


def test_a_typed_scene_computes_its_view_and_minima():
    from optviz.trajectories.compute import compute, stop_messages, surface_messages

    scene = TrajectoryScene.build(CUSTOM, optimizers=["sgd", "adam"], expression="(x**2 - 1)**2 + 0.5*y**2",
                                  domain="-2,2,-2,2", start=(0.1, 1.5), run={"steps": 100})
    data = compute(scene)
    assert data.view.domain == ((-2.0, 2.0), (-2.0, 2.0)) and data.view.title == "f(x, y) = (x**2 - 1)**2 + 0.5*y**2"
    assert sorted(round(p.x, 3) for p in data.view.critical_points) == [-1.0, 1.0]
    assert all(r.diverged_at is None for r in data.results)
    assert stop_messages(scene, data.results, data.view) == [] and surface_messages(scene) == []


@pytest.mark.parametrize("expression, domain, stops, notice", [
    ("x + exp(100)", "-1,1,-1,1", True, "not finite anywhere"),  # inf everywhere (float32)
    ("log(x) + y**2", "-1,1,-1,1", True, "not finite on 5"),  # undefined left of x = 0, where the start is
    ("exp(exp(x))", "-10,10,-10,10", False, None),  # overflows for x > ~4.5 only
])
def test_a_surface_that_overflows_is_a_divergence_and_a_notice_never_a_crash(expression, domain, stops, notice):
    from optviz.trajectories.compute import compute, stop_messages, surface_messages
    from optviz.trajectories.figures import FIGURES, build_figure

    scene = TrajectoryScene.build(CUSTOM, optimizers=["sgd", "adam"], expression=expression, domain=domain)
    data = compute(scene)
    assert all((r.diverged_at is not None) == stops for r in data.results)
    messages = [text for _, text in stop_messages(scene, data.results, data.view)]
    if stops:
        assert any("stopped where f(x, y) is not finite" in m for m in messages), messages
    notices = surface_messages(scene)
    assert (notice in notices[0]) if notice else notices == []
    assert not np.isinf(data.view.grid.z).any()  # gaps are NaN; an infinity would break the colour scale
    for name in FIGURES:
        build_figure(name, scene, data).to_json()
    hot = TrajectoryScene.build(CUSTOM, optimizers=["sgd"], expression="exp(exp(x))", start=(5.0, 0.0))
    result = compute(hot).results[0]
    assert result.diverged_at == 1 and result.divergence == "non-finite"
