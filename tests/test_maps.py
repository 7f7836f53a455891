"""Hyperparameter and basin maps: every cell is the run it stands for, the theory's stability
boundary shows on the quadratic, and the CLI's `sweep` / `basins` contracts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optviz.cli import main
from optviz.surfaces import SURFACES
from optviz.trajectories import maps
from optviz.trajectories.maps import Axis, basin_map, hyperparameter_map, parse_axis, stability_boundary
from optviz.trajectories.runner import run_paths

RATE = Axis("learning_rate", 0.05, 3.5, log=True)
MOMENTUM = Axis("momentum", 0.0, 0.95)


def test_every_cell_is_the_run_of_its_hyperparameters():
    result = hyperparameter_map("rosenbrock", "momentum", Axis("learning_rate", 1e-4, 3e-3, log=True), MOMENTUM,
                                resolution=6, steps=150)
    assert result.final_loss.shape == result.diverged.shape == (6, 6)  # rows follow y
    start = SURFACES["rosenbrock"].default_start
    for i, j in ((0, 0), (2, 5), (5, 1), (4, 3)):
        hparams = {"learning_rate": result.x_values[j], "momentum": result.y_values[i]}
        path = run_paths("rosenbrock", "momentum", [start], steps=150, hparams=hparams)[0]
        assert result.diverged[i, j] == (path.diverged_at is not None)
        if not result.diverged[i, j]:
            assert result.final_loss[i, j] == pytest.approx(path.losses[-1], rel=1e-4, abs=1e-7)


def test_gradient_descent_on_the_quadratic_diverges_past_two_over_lambda_max():
    # f = 1/2 (u^2 / kappa + v^2): lambda_max = 1, so GD is stable for eta < 2 (each run: one cell of a map).
    limit = stability_boundary("ill_conditioned", "sgd")["rule"]()
    rates = np.linspace(0.05, 3.5, 70)
    diverged = np.array([run_paths("ill_conditioned", "sgd", [(-9.0, 4.0)], steps=400, hparams={"learning_rate": r})[0]
                         .diverged_at is not None for r in rates])
    away = np.abs(rates - limit) > 0.05
    assert limit == 2.0 and np.array_equal(diverged[away], (rates > limit)[away])


def test_heavy_ball_diverges_where_the_theory_says():
    # Heavy ball (optax: v <- mu v + g, x <- x - eta v) is stable for eta < 2 (1 + mu) / lambda_max.
    rule = stability_boundary("ill_conditioned", "momentum")["rule"]
    result = hyperparameter_map("ill_conditioned", "momentum", Axis("learning_rate", 0.1, 8.0, log=True), MOMENTUM,
                                resolution=24, steps=400, start=(-9.0, 4.0))
    limit = np.array([rule(mu) for mu in result.y_values])[:, None]
    predicted = result.x_values[None, :] > limit
    away = np.abs(np.log(result.x_values[None, :] / limit)) > 0.05  # cells on the boundary may go either way
    assert np.array_equal(result.diverged[away], predicted[away])
    assert 0.1 < result.diverged.mean() < 0.9


def test_moving_a_slider_does_not_recompile_the_map():
    hyperparameter_map("ill_conditioned", "momentum", RATE, MOMENTUM, resolution=16, steps=100)
    before = maps.TRACE_COUNT["sweep"]
    hyperparameter_map("ill_conditioned", "momentum", Axis("learning_rate", 0.1, 1.0), Axis("momentum", 0.5, 0.9),
                       resolution=16, steps=100, start=(3.0, -2.0), surface_params={"condition_number": 30.0})
    assert maps.TRACE_COUNT["sweep"] == before


@pytest.mark.parametrize("text, message", [
    ("lr=0.1:1", "not a numeric hyperparameter"),
    ("learning_rate=1:0.1", "below"),
    ("learning_rate=0:1:log", "outside its range"),
    ("learning_rate=0.1", "NAME=LO:HI"),
    ("learning_rate=a:b", "must be numbers"),
    ("learning_rate=0.1:1:cubic", "NAME=LO:HI"),
])
def test_bad_axes_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_axis(text, "momentum")


def test_basins_are_the_minima_the_runs_reach():
    result = basin_map("himmelblau", "adam", resolution=12, steps=500)
    assert len(result.minima) == 4 and set(np.unique(result.basin)) <= {0, 1, 2, 3}
    assert len(set(np.unique(result.basin))) == 4  # every basin shows on the grid
    for i, j in ((0, 0), (3, 8), (11, 11), (6, 2)):
        end = run_paths("himmelblau", "adam", [(result.xs[j], result.ys[i])], steps=500)[0].positions[-1]
        assert np.argmin(np.linalg.norm(result.minima - end, axis=1)) == result.basin[i, j]


def test_momentum_carries_some_starts_over_the_barrier():
    # "From where does momentum escape the shallow well?": starts that SGD leaves in the shallow
    # well and momentum takes to the deep one (and, honestly, the other way round too).
    sgd = basin_map("local_minimum", "sgd", resolution=24, steps=400)
    momentum = basin_map("local_minimum", "momentum", resolution=24, steps=400)
    deep = int(np.argmin(sgd.minima[:, 0]))  # the global minimum lies on the left (x = -1.04)
    shallow = 1 - deep
    assert np.any((sgd.basin == shallow) & (momentum.basin == deep))
    assert np.mean(sgd.basin >= 0) > 0.7  # SGD at its default rate converges from most of the domain


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_sweep_json_contract(capsys):
    code, out, _ = _cli(capsys, "sweep", "--surface", "ill_conditioned", "--optimizer", "momentum",
                        "--x", "learning_rate=0.05:4:log", "--y", "momentum=0:0.95", "--resolution", "5",
                        "--steps", "200", "--start", "-9,4", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"x", "y", "final_loss", "diverged"}
    assert data["x"]["name"] == "learning_rate" and data["y"]["name"] == "momentum"
    assert data["x"]["values"][0] == pytest.approx(0.05) and data["x"]["values"][-1] == pytest.approx(4.0)
    assert len(data["final_loss"]) == len(data["y"]["values"]) == 5 and all(len(r) == 5 for r in data["final_loss"])
    flat = [(v, d) for row, flags in zip(data["final_loss"], data["diverged"]) for v, d in zip(row, flags)]
    assert any(d for _, d in flat) and all((v is None) == d for v, d in flat)  # a diverged cell's loss is null


def test_basins_json_contract(capsys):
    code, out, _ = _cli(capsys, "basins", "--surface", "local_minimum", "--optimizer", "sgd", "--resolution", "6",
                        "--steps", "300", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"minima", "basin"}
    assert len(data["basin"]) == 6 and all(len(row) == 6 for row in data["basin"])
    assert all(v is None or 0 <= v < len(data["minima"]) for row in data["basin"] for v in row)


@pytest.mark.parametrize("argv, message", [
    (["sweep", "--surface", "ravine", "--optimizer", "sgd", "--x", "learning_rate=0.1:1", "--y", "learning_rate=1:2"],
     "unknown surface"),
    (["sweep", "--surface", "ill_conditioned", "--optimizer", "sgd", "--x", "learning_rate=0.1:1",
      "--y", "learning_rate=0.2:1"], "different"),
    (["sweep", "--surface", "ill_conditioned", "--optimizer", "adam", "--x", "b1=0:0.9", "--y", "eps=1e-9:1e-3:log",
      "--resolution", "300"], "out of range"),
    (["basins", "--surface", "himmelblau", "--optimizer", "adam", "--steps", "0"], "out of range"),
    (["basins", "--surface", "himmelblau", "--optimizer", "adam", "--set", "learning_rate=huge"], "not a number"),
])
def test_bad_map_arguments_exit_2(capsys, argv, message):
    code, out, err = _cli(capsys, *argv)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
