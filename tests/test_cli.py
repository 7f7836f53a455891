"""CLI contract: `python -m optviz list/trajectory` output and exit code 2 on bad input."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from optviz.cli import main
from optviz.optimizers import OPTIMIZERS
from optviz.pages import PAGES
from optviz.surfaces import SURFACES
from optviz.trajectories.runner import run_paths


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_json_has_every_registry_entry(capsys):
    code, out, _ = run_cli(capsys, "list", "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data["surfaces"]) == set(SURFACES) and set(data["optimizers"]) == set(OPTIMIZERS)
    adam = data["optimizers"]["adam"]
    assert adam["defaults"]["b2"] == 0.999 and any(h["name"] == "bias_correction" for h in adam["hyperparameters"])
    rosen = data["surfaces"]["rosenbrock"]
    assert rosen["minima"] == [[1.0, 1.0]] and rosen["domain"]["x"] == [-2.0, 2.0]


def test_trajectory_json_matches_library(capsys):
    code, out, _ = run_cli(capsys, "trajectory", "--surface", "rosenbrock", "--optimizer", "momentum",
                           "--set", "learning_rate=0.001", "--set", "momentum=0.8", "--start", "-1.5,2",
                           "--steps", "50", "--json")
    data = json.loads(out)
    assert code == 0
    assert {"surface", "optimizer", "hparams", "points", "losses", "diverged_at"} <= set(data)
    assert data["points"][0] == [-1.5, 2.0] and len(data["points"]) == 51 and data["diverged_at"] is None
    assert data["hparams"] == {"learning_rate": 0.001, "momentum": 0.8}
    expected = run_paths("rosenbrock", "momentum", [(-1.5, 2.0)], steps=50, hparams=data["hparams"])[0]
    np.testing.assert_allclose(data["points"], expected.positions)


def test_trajectory_divergence_and_noise(capsys):
    _, out, _ = run_cli(capsys, "trajectory", "--surface", "ill_conditioned", "--optimizer", "sgd",
                        "--set", "learning_rate=10", "--json")
    data = json.loads(out)
    # x 9 per step across the ravine: out of the view at once, blown up (100 widths away) at step 3.
    assert data["diverged_at"] == 3 and len(data["points"]) == 3 and data["divergence"] == "out of bounds"
    _, a, _ = run_cli(capsys, "trajectory", "--surface", "saddle", "--optimizer", "sgd", "--noise", "0.3", "--seed", "4", "--steps", "20", "--json")
    _, b, _ = run_cli(capsys, "trajectory", "--surface", "saddle", "--optimizer", "sgd", "--noise", "0.3", "--seed", "5", "--steps", "20", "--json")
    assert json.loads(a)["points"] != json.loads(b)["points"]


@pytest.mark.parametrize("argv, message", [
    (["trajectory", "--surface", "volcano", "--optimizer", "sgd"], "unknown surface"),
    (["trajectory", "--surface", "saddle", "--optimizer", "lion"], "unknown optimizer"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--set", "learning_rate=100"], "out of range"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--set", "lr=1"], "unknown setting"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--set", "learning_rate"], "name=value"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--steps", "0"], "out of range"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--steps", "ten"], "not a number"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--start", "5,5"], "outside the domain"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--start", "a,b"], "X,Y"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--start", "nan,nan"], "two finite numbers"),
    (["trajectory", "--surface", "rosenbrock", "--optimizer", "sgd", "--surface-param", "b=0"], "out of range"),
    (["trajectory", "--surface", "saddle", "--optimizer", "sgd", "--schedule", "warp"], "unknown schedule"),
    (["trajectory", "--surface", "saddle"], "required"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_message(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "optviz", "trajectory", "--surface", "saddle", "--optimizer", "nope"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown optimizer 'nope'" in proc.stderr and "Traceback" not in proc.stderr


def test_output_into_a_closed_pipe_is_not_a_traceback():
    # A 5000-step path is far larger than a pipe buffer, so the writer does hit the closed pipe.
    command = f"{sys.executable} -m optviz trajectory --surface saddle --optimizer sgd --steps 5000 --set learning_rate=1e-5 --json"
    proc = subprocess.run(f"{command} | head -c 12", shell=True, capture_output=True, text=True, timeout=120)
    assert proc.stdout == '{"surface": ' and proc.stderr == ""


def test_warmup_fills_the_compilation_cache(tmp_path):
    # Every compile is kept, however fast: the default 0.2 s floor made what lands on disk depend
    # on how busy the machine was (a quick compile of a simple optimizer is not written).
    env = {**os.environ, "OPTVIZ_JAX_CACHE": str(tmp_path / "cache"), "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}
    proc = subprocess.run([sys.executable, "-m", "optviz", "warmup", "--quick"], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "default trajectories" in proc.stdout and f"warmed {len(PAGES)} scenes" in proc.stdout, proc.stdout
    entries = {p.name.split("-")[0] for p in (tmp_path / "cache").iterdir()}
    # The trajectory runner and the network statistics of the default scenes are now on disk.
    assert {"jit__scan_paths", "jit__network_statistics"} <= entries, (sorted(entries), proc.stdout, proc.stderr)


def test_warmup_without_cache_says_so(monkeypatch, capsys):
    monkeypatch.setenv("OPTVIZ_JAX_CACHE", "off")
    code, out, _ = run_cli(capsys, "warmup", "--quick")
    assert code == 0 and "cache is off" in out and "cache: off" in out
