"""The training lab's figures and exports: what each draws (colours, line kinds, bands, divergence,
the learning rate, frames), that they validate, that a slider move never recompiles through the
page's compute, and that every export format works."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from optviz import palette
from optviz.export.source import ExportRequest, render
from optviz.optimizers import OPTIMIZERS
from optviz.pages import PAGES
from optviz.training import animation
from optviz.training.compute import RunCache, compute, trace_count
from optviz.training.figures import CLASS_COLORS, FIGURES, LOSS_CAP, build_figure, seed_summary
from optviz.training.scene import TrainScene

PAGE = PAGES["training"]
SMALL = dict(depth=2, width=8, samples=64, steps=200)  # a small kernel for most tests


@pytest.fixture(scope="module")
def single():
    scene = TrainScene.build(dict(SMALL, optimizer="momentum"))
    return scene, compute(scene)


@pytest.fixture(scope="module")
def compared():
    # A: the default 3 x 32 ReLU net, where SGD at eta = 10 overflows within 10 steps for every seed.
    scene = TrainScene.build(dict(samples=64, steps=200, optimizer="sgd", hparams={"learning_rate": 10.0}), dict(SMALL),
                             seeds=2)
    return scene, compute(scene)


def decoded(value) -> np.ndarray:
    """An array of a figure's JSON (plotly 7 writes NumPy arrays as base64 {"dtype", "bdata", "shape"})."""
    from optviz.export._background import _as_array

    return _as_array(value)


def traces(fig) -> list[dict]:
    return fig.to_plotly_json()["data"]


def test_figure_names_and_the_main_figure():
    assert list(FIGURES)[0] == PAGE.main_figure == "curves"
    assert all(name in FIGURES for view in PAGE.views for name in view.figures)
    with pytest.raises(ValueError, match="unknown figure"):
        build_figure("contour", TrainScene(), None)


def test_one_colour_per_optimizer_and_a_b_in_palette_colours(single, compared):
    scene, data = single
    lines = [t for t in traces(build_figure("curves", scene, data)) if t.get("legendgroup") == "run a"]
    assert {t["line"]["color"] for t in lines} == {OPTIMIZERS["momentum"].color}
    scene, data = compared
    fig = build_figure("curves", scene, data)
    for key, index in (("a", 0), ("b", 1)):
        colours = {t["line"]["color"] for t in traces(fig) if t.get("legendgroup") == f"run {key}" and t.get("mode") == "lines"
                   and "fill" not in t}
        assert colours == {palette.color(index)}


def test_train_is_solid_validation_dashed_and_the_learning_rate_beneath(single):
    scene, data = single
    fig = build_figure("curves", scene, data)
    names = {(t.get("yaxis"), t["line"].get("dash")) for t in traces(fig) if t.get("legendgroup") == "run a"}
    assert {("y", "solid"), ("y", "dash"), ("y2", "solid"), ("y2", "dash")} <= names
    rate = [t for t in traces(fig) if t.get("yaxis") == "y3"]
    assert len(rate) == 1 and rate[0]["y"] == pytest.approx(list(data.results[0].learning_rate))
    layout = fig.to_plotly_json()["layout"]
    assert layout["xaxis"]["matches"] == "x3" and layout["yaxis"]["type"] == "log"
    linear = build_figure("curves", TrainScene.build(dict(SMALL, optimizer="momentum"), loss_axis="linear"), data)
    assert linear.to_plotly_json()["layout"]["yaxis"].get("type") != "log"


def test_seeds_are_a_mean_with_a_band(compared):
    scene, data = compared
    fig = build_figure("curves", scene, data)
    bands = [t for t in traces(fig) if t.get("fill") == "toself" and t.get("legendgroup") == "run b"]
    assert len(bands) == 4  # train and validation loss and accuracy
    result = data.results[1]
    mean, low, high, count = seed_summary(result.train_loss)
    assert np.allclose(mean, result.train_loss.mean(axis=0)) and np.all(count == 2)
    line = next(t for t in traces(fig) if t.get("legendgroup") == "run b" and t.get("yaxis") == "y" and t["line"].get("dash") == "solid")
    assert line["y"] == pytest.approx(list(mean))
    values = np.array([[1.0, np.nan], [3.0, np.nan]])  # a diverged seed stops counting; nothing finite: NaN
    mean, low, high, count = seed_summary(values)
    assert mean[0] == 2 and low[0] == 1 and high[0] == 3 and math.isnan(mean[1]) and list(count) == [2, 0]


def test_divergence_stops_the_curves_and_marks_the_step(compared):
    scene, data = compared
    result = data.results[0]
    assert all(s >= 0 for s in result.diverged_at)  # SGD at eta = 10 on this net
    fig = build_figure("curves", scene, data)
    marks = [t for t in traces(fig) if t.get("name", "").endswith("diverged")]
    assert len(marks) == 1 and sorted(marks[0]["x"]) == sorted(int(s) for s in result.diverged_at)
    assert marks[0]["text"][0].startswith("✗ 2 of 2 seeds diverged (first at step")
    loss = next(t for t in traces(fig) if t.get("legendgroup") == "run a" and t.get("yaxis") == "y" and "fill" not in t)
    finite = [y for y in loss["y"] if y is not None]
    assert len(finite) < len(loss["y"])  # the curve stops
    # The axis stays framed on the runs that learn: the blow-up leaves the top, its ✗ sits on the edge.
    top = 10 ** fig.to_plotly_json()["layout"]["yaxis"]["range"][1]
    initial = max(r.train_loss[:, 0].max() for r in data.results)
    assert top <= 1.5 * LOSS_CAP * initial and max(marks[0]["y"]) <= top
    assert "✗ diverged at step" in json.dumps(build_figure("boundary", scene, data).to_plotly_json()["layout"]["annotations"],
                                               ensure_ascii=False)


def test_the_boundary_animates_only_its_heatmap_over_the_points(single):
    scene, data = single
    fig = build_figure("boundary", scene, data)
    spec = fig.to_plotly_json()
    result = data.results[0]
    assert spec["data"][0]["type"] == "heatmap" and spec["data"][0]["zmax"] == 100
    assert [f["name"] for f in spec["frames"]] == [str(s) for s in result.snapshot_steps]
    assert all(f["traces"] == [0] and f["data"][0]["type"] == "heatmap" for f in spec["frames"])
    last = decoded(spec["frames"][-1]["data"][0]["z"])
    assert np.abs(last - 100 * result.probabilities[0, -1, :, :, 1]).max() <= 0.5
    points = [t for t in spec["data"] if t.get("mode") == "markers" and t["x"] and t["x"][0] is not None]
    assert [len(t["x"]) for t in points] == [64, 64]
    assert {c for t in points for c in t["marker"]["color"]} == set(CLASS_COLORS)
    slider = spec["layout"]["sliders"][0]
    assert slider["active"] == len(result.snapshot_steps) - 1 and spec["layout"]["yaxis"]["scaleanchor"] == "x"


def test_per_layer_statistics_and_the_rule_of_thumb(single, compared):
    scene, data = single
    fig = build_figure("layer_stats", scene, data)
    layout = fig.to_plotly_json()["layout"]
    titles = [a["text"] for a in layout["annotations"]]
    assert titles[:4] == ["activation std", "gradient std (dL/dW)", "update / weight ratio", "dead units"]
    rule = [t for t in traces(fig) if t["name"].startswith("rule of thumb")]
    assert len(rule) == 1 and rule[0]["y"] == [1e-3, 1e-3] and rule[0]["yaxis"] == "y3"
    assert len([t for t in traces(fig) if t.get("yaxis") == "y2"]) == SMALL["depth"] + 1  # every weight matrix, output too
    scene, data = compared
    fig = build_figure("layer_stats", scene, data)
    titles = [a["text"] for a in fig.to_plotly_json()["layout"]["annotations"]]
    # A beside B: the first row (what a projector's first screen shows) compares the activation std
    assert titles[:4] == ["A: activation std", "B: activation std", "A: gradient std (dL/dW)", "B: gradient std (dL/dW)"]
    hidden = {t["yaxis"] for t in traces(fig) if t.get("hovertemplate", "").startswith("<b>B") and "std of h" in t["hovertemplate"]}
    assert hidden == {"y2"}
    rule = [t["yaxis"] for t in traces(fig) if t["name"].startswith("rule of thumb")]
    assert rule == ["y5", "y6"]  # row 3: the update/weight ratio of A and of B
    # Every row labels its steps: row 1 is all a projector's first screen shows of it ("by step 200").
    axes = {k: v for k, v in fig.to_plotly_json()["layout"].items() if k.startswith("xaxis")}
    assert len(axes) == 8 and all(axis.get("showticklabels") for axis in axes.values())


def test_weight_histograms_at_each_snapshot(single):
    scene, data = single
    spec = build_figure("weights", scene, data).to_plotly_json()
    result = data.results[0]
    bars = [t for t in spec["data"] if t["type"] == "bar"]
    assert len(bars) == SMALL["depth"] + 1 and len(spec["frames"]) == len(result.snapshot_steps)
    first = spec["frames"][0]["data"]
    assert np.allclose([decoded(b["y"]).sum() for b in first], 100 * result.weight_histograms[0, 0].sum(axis=-1),
                       atol=1e-3)


@pytest.mark.parametrize("presenter", [False, True])
def test_every_figure_validates_in_compare_mode(compared, presenter):
    scene, data = compared
    for name in PAGE.figure_names(scene):
        fig = build_figure(name, scene, data, presenter=presenter)
        assert json.loads(go.Figure(fig.to_dict()).to_json()) == json.loads(fig.to_json()), name


def test_moving_a_traced_setting_never_recompiles_through_the_page():
    cache = RunCache(10**9)
    scene = TrainScene.build(dict(SMALL), dict(SMALL, optimizer="sgd"))
    compute(scene, cache)
    before = trace_count()
    for changes in ({"hparams": {"learning_rate": 0.02}}, {"l2": 0.01}, {"noise": 0.3}, {"seed": 5}, {"dropout": 0.0},
                    {"scale": 0.5}, {"gain": 2.0}, {"samples": 60}, {"steps": 250}):  # 125 evaluations: the same slots
        moved = TrainScene.build(dict(SMALL, **changes), dict(SMALL, optimizer="sgd"))
        compute(moved, cache)
    assert trace_count() == before
    assert cache.misses == 1 + 9 + 0 and (scene.b, 1) in cache  # B was computed once and kept


def test_data_exports_are_strict_and_complete(compared):
    scene, data = compared
    source = PAGE.exportable(scene, data)
    rows = list(csv.DictReader(io.StringIO(render(source, "curves", ExportRequest(fmt="csv")).decode())))
    assert len(rows) == sum(len(r.seeds) * len(r.steps) for r in data.results)
    assert rows[0].keys() >= {"run", "label", "seed", "step", "train_loss", "val_loss", "train_accuracy", "learning_rate"}
    assert any(row["train_loss"] == "" for row in rows if row["run"] == "A")  # after the divergence
    doc = json.loads(render(source, "curves", ExportRequest(fmt="json")), parse_constant=pytest.fail)
    assert doc["scene"] == scene.to_json() and [r["run"] for r in doc["runs"]] == ["A", "B"]
    assert all(s["diverged_at"] is not None for s in doc["runs"][0]["seeds"])
    html = render(source, "curves", ExportRequest(fmt="html-light")).decode()
    assert "Plotly.newPlot" in html and "A: SGD" in html
    assert "A: SGD, η = 10" in source.caption and "B: Momentum" not in source.caption


def test_the_boundary_animation_is_a_gif_or_mp4_of_both_runs(compared):
    scene, data = compared
    source = PAGE.exportable(scene, data)
    assert source.animated_figures == ("boundary", "boundary_b")
    gif = render(source, "boundary_b", ExportRequest(fmt="gif", width=800, height=300, frames=30))
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF" and image.size == (800, 300) and 2 <= image.n_frames <= 30
    mp4 = render(source, "boundary", ExportRequest(fmt="mp4", width=800, height=300, frames=12))
    assert mp4[4:8] == b"ftyp"
    with pytest.raises(ValueError, match="use figure"):
        render(source, "curves", ExportRequest(fmt="gif"))


def test_animation_frames_are_capped_and_stream(single):
    assert animation.frame_count(4000, 4000, 1000) == animation.MAX_ANIMATION_PIXELS // (4000 * 4000)
    assert animation.frame_count(1200, 800, 200) == 200 and animation.frame_count(4000, 4000, 1000) >= 2
    scene, data = single
    frames = animation.iter_boundary_frames(data.pairs(), width=300, height=200, frames=5, renderer="raster")
    first = next(frames)
    assert first.mode == "P" and first.size == (300, 200)
    rest = list(frames)
    assert len(rest) == 4 and all(f.getpalette() == first.getpalette() for f in rest)
    assert animation.frame_steps(5, 200) == [0, 50, 100, 150, 200]
