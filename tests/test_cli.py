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
    (["trajectory", "--surface", "saddle", "--optimizer", "shampoo"], "unknown optimizer"),
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


# -- --expression / --domain: your own f(x, y) ------------------------------------------------


def test_trajectory_of_a_typed_expression_matches_the_library(capsys):
    code, out, err = run_cli(capsys, "trajectory", "--expression", "0.5*(x**2/20 + y**2)", "--optimizer", "sgd",
                             "--steps", "30", "--json")
    data = json.loads(out)
    assert code == 0 and err == ""
    assert data["surface"] == "custom" and data["expression"] == "0.5*(x**2/20 + y**2)"
    assert data["domain"] == [-10.0, 10.0, -10.0, 10.0] and data["minima"] == [[0.0, 0.0]]
    assert data["start"] == [-9.0, 4.0] and len(data["points"]) == 31 and data["diverged_at"] is None
    ravine = run_paths("ill_conditioned", "sgd", [(-9.0, 4.0)], steps=30, hparams={"learning_rate": 0.1})[0]
    np.testing.assert_allclose(data["points"], ravine.positions, rtol=1e-6, atol=1e-6)  # the same function


def test_trajectory_domain_and_an_expression_that_starts_with_a_minus(capsys):
    code, out, _ = run_cli(capsys, "trajectory", "--expression", "-x**2 + y**2", "--domain", "-2,2,-1,1",
                           "--optimizer", "adam", "--start", "0.5,0.5", "--steps", "10", "--json")
    data = json.loads(out)
    assert code == 0 and data["domain"] == [-2.0, 2.0, -1.0, 1.0] and data["minima"] == []
    assert data["points"][0] == [0.5, 0.5]
    code, out, _ = run_cli(capsys, "trajectory", "--surface", "custom", "--optimizer", "sgd", "--steps", "2", "--json")
    assert code == 0 and json.loads(out)["expression"] == "0.5*(x**2/20 + y**2)"


def test_an_expression_that_overflows_is_a_divergence_in_valid_json(capsys):
    code, out, _ = run_cli(capsys, "trajectory", "--expression", "x + exp(100)", "--optimizer", "sgd", "--json")
    data = json.loads(out)  # strict JSON: a non-finite loss is null, never Infinity
    assert code == 0 and data["diverged_at"] == 1 and data["divergence"] == "non-finite" and data["losses"] == [None]
    code, out, _ = run_cli(capsys, "trajectory", "--expression", "exp(exp(x))", "--optimizer", "sgd", "--start", "5,0")
    assert code == 0 and "diverged at step 1" in out


@pytest.mark.parametrize("argv, message", [
    (["--expression", "__import__('os')"], "--expression: unknown function '__import__' at column 1"),
    (["--expression", "__import__('os').system('echo hi')"], "unknown function '__import__'"),
    (["--expression", "x.__class__"], "attribute access"),
    (["--expression", "(lambda: 1)()"], "no lambdas"),
    (["--expression", "9**9**9"], "exponent 9**9"),
    (["--expression", "1e999"], "number 1e999 at column 1 is too large"),
    (["--expression", "x" * 100_000], "100,000 characters long; at most 300"),
    (["--expression", "x + ζ"], "character 'ζ' at column 5"),
    (["--expression", "x\x00"], "character '\\x00' at column 2"),
    (["--expression", "x[0]"], "subscripts"),
    (["--expression", "open"], "unknown name 'open'"),
    (["--expression", ""], "empty"),
    (["--expression", "-h"], "unknown name 'h'"),
    (["--expression", "--json"], "unknown name 'json' at column 3"),
    (["--expression", "(x + y"], "unbalanced parenthesis"),
    (["--expression", "x", "--domain", "1,0,0,1"], "--domain: xmin 1 must be less than xmax 0"),
    (["--expression", "x", "--domain", "0,1"], "--domain expects XMIN,XMAX,YMIN,YMAX"),
    (["--expression", "x", "--domain", "0,1e9,0,1"], "reaches past"),
    (["--expression", "x", "--start", "20,0"], "outside the domain of your f(x, y)"),
    (["--expression", "x", "--surface", "saddle"], "replace --surface"),
    (["--expression"], "expected one argument"),
    ([], "give --surface NAME or --expression"),
])
def test_a_bad_expression_exits_2_with_a_one_line_message(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["trajectory", "--optimizer", "sgd", *argv]))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("optviz: error")]) == 1 and len(err) < 1200


def test_a_hostile_expression_runs_nothing():
    marker = "/tmp/optviz-hostile-marker"
    if os.path.exists(marker):
        os.remove(marker)
    proc = subprocess.run([sys.executable, "-m", "optviz", "trajectory", "--optimizer", "sgd", "--expression",
                           f"__import__('os').system('touch {marker}')"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown function '__import__'" in proc.stderr and "Traceback" not in proc.stderr
    assert not os.path.exists(marker)
