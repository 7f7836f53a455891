"""A fair comparison: each optimizer's learning rate tuned by a vmapped sweep (maps.tune_learning_rate),
run by the page when the scene's `tune` is on, named in the legend, and offered by the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optviz.cli import main
from optviz.surfaces import SURFACES, surface_param_values
from optviz.trajectories import maps
from optviz.trajectories.compute import trajectories
from optviz.trajectories.maps import TUNE_FLOOR, tune_learning_rate
from optviz.trajectories.runner import run_paths
from optviz.trajectories.scene import TrajectoryScene

RAVINE = {"condition_number": 50.0, "angle": 0.0}
START = (-9.0, 4.0)


def _distance(surface: str, optimizer: str, rate: float, steps: int, surface_params=None, hparams=None) -> float:
    """Final distance to the nearest minimum of one run at `rate` (inf if it diverged)."""
    path = run_paths(surface, optimizer, [START], steps=steps, surface_params=surface_params,
                     hparams={**(hparams or {}), "learning_rate": rate})[0]
    if path.diverged_at is not None:
        return np.inf
    spec = SURFACES[surface]
    minima = spec.minima(surface_param_values(spec, surface_params or {}))
    return float(np.min(np.linalg.norm(minima - path.positions[-1], axis=1)))


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "lion", "sam"])
def test_the_tuned_rate_ends_at_least_as_near_a_minimum_as_any_other(optimizer):
    steps = 80
    tuned = tune_learning_rate("ill_conditioned", optimizer, START, steps=steps, surface_params=RAVINE)
    assert tuned is not None
    best = _distance("ill_conditioned", optimizer, tuned, steps, RAVINE)
    floor = TUNE_FLOOR * 20  # the ravine's domain is 20 wide
    others = [tuned * f for f in (0.3, 0.7, 1.4, 3.0)] + [0.01, 0.1, 1.0]
    for rate in others:
        assert best <= max(_distance("ill_conditioned", optimizer, rate, steps, RAVINE), floor) * 1.05 + 1e-6, rate


def test_gradient_descent_is_tuned_below_the_stability_limit_and_faster_than_the_default():
    # f = 1/2 (u^2/kappa + v^2): eta < 2 is stable; the shallow side converges like (1 - eta/kappa)^K,
    # so the best rate for few steps sits just below the limit.
    tuned = tune_learning_rate("ill_conditioned", "sgd", START, steps=100, surface_params=RAVINE)
    assert 1.5 < tuned < 2.0
    assert _distance("ill_conditioned", "sgd", tuned, 100, RAVINE) < 0.1 * _distance("ill_conditioned", "sgd", 0.1, 100, RAVINE)


def test_newton_on_a_quadratic_is_tuned_to_its_full_step():
    tuned = tune_learning_rate("ill_conditioned", "newton", START, steps=20, surface_params=RAVINE)
    assert tuned == pytest.approx(1.0, rel=0.05)


def test_no_minimum_means_nothing_to_tune():
    assert not len(SURFACES["saddle"].minima(surface_param_values(SURFACES["saddle"], {})))
    assert tune_learning_rate("saddle", "sgd", (-1.0, 0.001), steps=50) is None


def test_the_page_runs_and_names_the_tuned_rates():
    base = TrajectoryScene.build("ill_conditioned", RAVINE, ["sgd", "momentum", "adam"], {}, START, {"steps": 100})
    tuned_scene = TrajectoryScene.build("ill_conditioned", RAVINE, ["sgd", "momentum", "adam"], {}, START,
                                        {"steps": 100, "tune": True})
    plain, tuned = trajectories(base), trajectories(tuned_scene)
    assert all("tuned" not in r.label for r in plain)
    for before, after in zip(plain, tuned):
        rate = after.hparams["learning_rate"]
        assert after.label == f"{before.label} (tuned η={rate:.3g})"
        assert rate == pytest.approx(tune_learning_rate("ill_conditioned", after.optimizer, START, steps=100,
                                                        surface_params=RAVINE, hparams=before.hparams))
        # fair: every tuned path ends nearer its minimum than with the slider's rate
        assert np.linalg.norm(after.positions[-1]) < np.linalg.norm(before.positions[-1])
    again, notices = TrajectoryScene.from_query(tuned_scene.to_query())
    assert notices == [] and again == tuned_scene and again.run["tune"] is True


def test_moving_another_slider_does_not_recompile_the_tuner():
    # 101 to 200 steps share one step bucket (runner.STEP_BUCKETS); the start, surface and momentum are traced
    tune_learning_rate("ill_conditioned", "momentum", START, steps=101, surface_params=RAVINE, hparams={"momentum": 0.9})
    before = maps.TRACE_COUNT["sweep"]
    tune_learning_rate("ill_conditioned", "momentum", START, steps=150, surface_params={"condition_number": 20.0, "angle": 30.0},
                       hparams={"momentum": 0.5})
    tune_learning_rate("ill_conditioned", "momentum", (3.0, -2.0), steps=200, surface_params=RAVINE)
    assert maps.TRACE_COUNT["sweep"] == before


def test_cli_tune_runs_the_tuned_rate(capsys):
    argv = ["trajectory", "--surface", "ill_conditioned", "--surface-param", "condition_number=50", "--optimizer", "sgd",
            "--start=-9,4", "--steps", "100"]
    assert main(argv + ["--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert plain["tuned_learning_rate"] is None and plain["hparams"]["learning_rate"] == pytest.approx(0.1)
    assert main(argv + ["--tune", "--json"]) == 0
    tuned = json.loads(capsys.readouterr().out)
    assert tuned["tuned_learning_rate"] == tuned["hparams"]["learning_rate"] and 1.5 < tuned["tuned_learning_rate"] < 2.0
    assert np.linalg.norm(tuned["points"][-1]) < np.linalg.norm(plain["points"][-1])
    assert main(argv + ["--tune"]) == 0
    assert "(tuned η=" in capsys.readouterr().out
