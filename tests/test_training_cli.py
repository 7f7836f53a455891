"""CLI contract of `python -m optviz train`: flags generated from the Params, strict JSON of the
curves, divergence as a result, and exit code 2 with one line for bad input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optviz.cli import build_parser, main
from optviz.training.compute import train_json
from optviz.training.config import TRAIN_PARAMS, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--depth", "2", "--width", "8", "--samples", "64"]  # one small kernel shared by these tests


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_every_contract_flag_exists():
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for flag in ("--dataset", "--samples", "--noise", "--depth", "--width", "--activation", "--init", "--scale", "--gain",
                 "--batchnorm", "--dropout", "--l2", "--l1", "--optimizer", "--set", "--schedule", "--schedule-param",
                 "--batch-size", "--steps", "--seed", "--eval-every", "--json"):
        assert flag in help_text, flag
    assert all(f"--{p.name.replace('_', '-')}" in help_text for p in TRAIN_PARAMS)  # generated from the Params


def test_json_curves_match_the_library_and_the_contract(capsys):
    argv = ["train", "--dataset", "circles", *SMALL, "--optimizer", "momentum", "--set", "learning_rate=0.05",
            "--set", "momentum=0.8", "--schedule", "step", "--schedule-param", "step_size=50", "--schedule-param",
            "gamma=0.5", "--batch-size", "16", "--steps", "250", "--seed", "3", "--l2", "0.001", "--dropout", "0.1",
            "--json"]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"config", "steps", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "diverged_at",
                         "best_step", "best_val_loss"}
    assert data["steps"][0] == 0 and data["steps"][-1] == 250 and data["steps"][1] == 2  # 250 // 100
    best = int(np.argmin(data["val_loss"]))
    assert (data["best_step"], data["best_val_loss"]) == (data["steps"][best], data["val_loss"][best])
    n = len(data["steps"])
    assert all(len(data[k]) == n for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"))
    assert data["diverged_at"] is None
    config = data["config"]
    assert config["dataset"] == "circles" and config["hparams"]["momentum"] == 0.8 and config["eval_every"] == 2
    assert config["schedule_params"] == {"step_size": 50, "gamma": 0.5} and config["seed"] == 3
    expected = train_json(TrainConfig(dataset="circles", depth=2, width=8, samples=64, optimizer="momentum",
                                      hparams={"learning_rate": 0.05, "momentum": 0.8}, schedule="step",
                                      schedule_params={"step_size": 50, "gamma": 0.5}, batch_size=16, steps=250, seed=3,
                                      l2=0.001, dropout=0.1))
    assert data == json.loads(json.dumps(expected))
    assert all(0 <= a <= 1 for a in data["train_accuracy"]) and data["train_loss"][-1] < data["train_loss"][0]


def test_eval_every_and_the_last_step(capsys):
    _, out, _ = run_cli(capsys, "train", *SMALL, "--steps", "100", "--eval-every", "30", "--json")
    assert json.loads(out)["steps"] == [0, 30, 60, 90, 100]
    _, out, _ = run_cli(capsys, "train", *SMALL, "--steps", "7", "--json")
    assert json.loads(out)["steps"] == list(range(8))  # 7 // 100 -> at least 1


def test_divergence_stops_the_lists_and_stays_strict_json(capsys):
    # The default 3 x 32 ReLU net: SGD at eta = 10 overflows within 10 steps for every seed (tests/test_training_lessons.py).
    code, out, _ = run_cli(capsys, "train", "--optimizer", "sgd", "--set", "learning_rate=10", "--steps", "200",
                           "--eval-every", "1", "--json")
    assert code == 0
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    stop = data["diverged_at"]
    assert isinstance(stop, int) and 0 < stop < 200
    assert data["steps"] == list(range(stop))  # up to the last finite evaluation, before the divergence
    assert all(math.isfinite(v) for k in ("train_loss", "val_loss") for v in data[k])


def test_the_text_output_is_one_line(capsys):
    code, out, _ = run_cli(capsys, "train", *SMALL, "--steps", "50")
    assert code == 0 and out.count("\n") == 1 and "train loss" in out


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "volcano"], "dataset='volcano' is not one of"),
    (["--optimizer", "newton"], "Hessian"),
    (["--optimizer", "shampoo"], "not one of"),
    (["--samples", "5"], "out of range"),
    (["--steps", "0"], "out of range"),
    (["--init", "kaiming_sideways"], "initializer"),
    (["--set", "momentum=0.9"], "unknown setting 'momentum'"),  # Adam has none
    (["--set", "learning_rate"], "expects name=value"),
    (["--set", "learning_rate=fast"], "not a number"),
    (["--schedule", "step", "--schedule-param", "gamma=2"], "out of range"),
    (["--batchnorm", "--batch-size", "1"], "batch norm"),
    (["--depth", "8", "--width", "256", "--samples", "2048", "--batch-size", "2048", "--steps", "10000"], "too large"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "train", *argv)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_module_entry_point_runs_in_a_fresh_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "optviz", "train", "--dataset", "xor", *SMALL, "--steps", "20", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin", "OPTVIZ_JAX_CACHE": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["config"]["dataset"] == "xor"
    proc = subprocess.run([sys.executable, "-m", "optviz", "train", "--noise", "lots"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin", "OPTVIZ_JAX_CACHE": "off"})
    assert proc.returncode == 2 and proc.stderr.strip().endswith("noise='lots' is not a number")


def test_export_a_lesson_and_a_scene_file_of_the_lab(capsys, tmp_path):
    from optviz.pages import LESSONS

    out = tmp_path / "curves.csv"
    code, text, err = run_cli(capsys, "export", "--preset", "lab_linear", "--format", "csv", "-o", str(out))
    assert code == 0, err
    assert out.read_text().splitlines()[0].startswith("run,label,seed,step,train_loss")
    scene = tmp_path / "scene.json"
    scene.write_text(LESSONS["lab_symmetry"].make_scene().dumps())
    gif = tmp_path / "boundary.gif"
    code, _, err = run_cli(capsys, "export", "--scene", str(scene), "--figure", "boundary_b", "--format", "gif",
                           "--width", "640", "--height", "320", "--frames", "12", "-o", str(gif))
    assert code == 0, err
    assert gif.read_bytes()[:6] == b"GIF89a"
    code, _, err = run_cli(capsys, "export", "--preset", "lab_linear", "--figure", "layer_stats", "--format", "gif",
                           "-o", str(tmp_path / "x.gif"))
    assert code == 2 and "use figure boundary" in err
