"""Scenes: URL and JSON round trips; malformed input gives notices and a valid scene, never an exception."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz.optimizers import OPTIMIZERS
from optviz.params import Param
from optviz.trajectories.scene import TrajectoryScene
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
        {p.name: draw(_value(p)) for p in RUN_PARAMS},
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
    scene, notices = TrajectoryScene.from_query({"surface": "volcano", "opt": "adam,lion", "zzz": "1"})
    assert scene.surface == "ill_conditioned" and scene.optimizers == ("adam",)
    assert any("volcano" in n for n in notices) and any("lion" in n for n in notices) and any("zzz" in n for n in notices)



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
