"""Layers scene URL/JSON round trips and malformed input; the `layers` CLI contract."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz.cli import main
from optviz.layers.scene import LayersScene
from optviz.layers.network import NETWORK_PARAMS, NetworkConfig, layer_stats


@st.composite
def configs(draw):
    values = {}
    for p in NETWORK_PARAMS:
        if p.kind == "bool":
            values[p.name] = draw(st.booleans())
        elif p.kind == "choice":
            values[p.name] = draw(st.sampled_from(p.choices))
        elif p.kind == "int":
            values[p.name] = draw(st.integers(int(p.min), int(min(p.max, 64))))
        else:
            values[p.name] = draw(st.floats(p.min, p.max, allow_nan=False))
    return NetworkConfig(**values)


@given(configs(), st.one_of(st.none(), configs()))
def test_round_trips(a, b):
    scene = LayersScene(a, b)
    assert LayersScene.from_query(scene.to_query()) == (scene, [])
    assert LayersScene.loads(scene.dumps()) == (scene, [])


@given(st.dictionaries(st.sampled_from(["depth", "width", "batch", "activation", "init", "scale", "gain", "batchnorm",
                                        "seed", "compare", "b.init", "b.depth", "zzz"]),
                       st.one_of(st.text(max_size=10), st.integers(-10**6, 10**6).map(str), st.floats().map(str))))
def test_malformed_query_never_raises(query):
    scene, notices = LayersScene.from_query(query)
    assert isinstance(scene.a, NetworkConfig) and isinstance(notices, list)


def test_bad_values_are_clamped_or_dropped_with_notices():
    scene, notices = LayersScene.from_query({"depth": "999", "activation": "swish", "init": "kaiming_normal", "compare": "yes",
                                             "b.width": "abc"})
    assert scene.a.depth == 50 and scene.a.activation == "tanh" and scene.a.init == "he_normal"
    assert scene.b is not None and scene.b.width == 500
    assert len(notices) == 3


def test_cli_layers_json_matches_library(capsys):
    code = main(["layers", "--depth", "3", "--width", "64", "--batch", "128", "--activation", "relu", "--init", "kaiming_normal",
                 "--seed", "5", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["config"]["init"] == "he_normal" and len(data["layers"]) == 3
    assert set(data["layers"][0]) >= {"mean", "std", "saturated", "dead", "grad_std", "weight_grad_std"}
    stats = layer_stats(NetworkConfig(depth=3, width=64, batch=128, activation="relu", init="he_normal", seed=5))
    np.testing.assert_allclose([layer["std"] for layer in data["layers"]], stats.std, rtol=1e-6)


@pytest.mark.parametrize("argv, message", [
    (["layers", "--activation", "swish"], "not one of"),
    (["layers", "--init", "foo"], "unknown initializer"),
    (["layers", "--width", "0"], "out of range"),
    (["layers", "--depth", "ten"], "not a number"),
    (["layers", "--depth", "50", "--width", "2000", "--batch", "5000"], "too large"),
])
def test_cli_layers_errors(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
