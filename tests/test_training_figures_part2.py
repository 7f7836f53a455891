"""The training lab's figures of early stopping, ensembles, image data (digits) and transfer runs:
the best validation step on the curves, an ensemble's curves and boundary, the confusion matrix and
the misclassified images, which figures a scene has (2-D data or not), and a transfer run's subtitle.

Results are real small runs (`run_training`); the fields a test is about are set with
`dataclasses.replace`, so each test states the values it checks."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.pages import PAGES
from optviz.training.compute import compute, run_training
from optviz.training.config import TrainConfig
from optviz.training.data import DATASETS
from optviz.training.exports import records
from optviz.training.figures import (IMAGE_FIGURES, MAX_MISCLASSIFIED, PLANE_FIGURES, best_validation, boundary_figure,
                                     confusion_figure, curves_figure, has_figure, isoline, misclassified_figure,
                                     seed_summary, weights_figure)
from optviz.training.results import RunInfo, TrainingData
from optviz.training.scene import TrainScene

PAGE = PAGES["training"]
SMALL = dict(depth=1, width=8, samples=64, steps=50)
INFO = RunInfo(key="a", label="Adam, η = 0.01", color="#0072B2", activation="ReLU", can_die=True, saturation_rule="")
DIGITS_INFO = dataclasses.replace(INFO, classes=tuple(str(c) for c in range(10)), image_shape=(8, 8))


def decoded(value) -> np.ndarray:
    """An array of a figure's JSON (plotly 7 writes NumPy arrays as base64 {"dtype", "bdata", "shape"})."""
    from optviz.export._background import _as_array

    return _as_array(value)


def traces(fig) -> list[dict]:
    return fig.to_plotly_json()["data"]


def validates(fig) -> bool:
    """Whether Plotly's full validation accepts the figure unchanged (the builders skip it)."""
    return json.loads(go.Figure(fig.to_dict()).to_json()) == json.loads(fig.to_json())


def as_ensemble(result):
    """`result`'s seeds as an ensemble's members, with ensemble curves of their own (distinct values)."""
    return dataclasses.replace(result, config=result.config.replace(ensemble=len(result.seeds)),
                               ensemble_train_loss=0.9 * np.nanmin(result.train_loss, axis=0),
                               ensemble_val_loss=0.9 * np.nanmin(result.val_loss, axis=0),
                               ensemble_train_accuracy=np.nanmax(result.train_accuracy, axis=0),
                               ensemble_val_accuracy=np.nanmax(result.val_accuracy, axis=0))


@pytest.fixture(scope="module")
def moons():
    """{seeds: result} of the same small moons run with 1 and 3 seeds."""
    return {n: run_training(TrainConfig(**SMALL), seeds=n) for n in (1, 3)}


@pytest.fixture(scope="module")
def digits():
    if "digits" not in DATASETS:
        pytest.skip("the digits data set has not landed yet (optviz.training.data.DATASETS)")
    return run_training(TrainConfig(**dict(SMALL, dataset="digits", samples=200, width=16)), seeds=3)


# -- early stopping on the curves ----------------------------------------------------------------


@pytest.mark.parametrize("seeds", [1, 3])
def test_the_best_validation_step_is_the_lowest_point_of_the_drawn_curve(moons, seeds):
    result = moons[seeds]
    fig = curves_figure(TrainingData(runs=(INFO,), results=(result,)))
    drawn = next(t for t in traces(fig) if t.get("legendgroup") == "run a" and t.get("yaxis") == "y"
                 and t["line"].get("dash") == "dash" and "fill" not in t)
    values = np.array([np.nan if y is None else y for y in drawn["y"]])
    assert np.allclose(values, seed_summary(result.val_loss)[0], equal_nan=True)  # seed 0, or the seeds' mean
    index = int(np.nanargmin(values))
    marker = next(t for t in traces(fig) if t.get("legendgroup") == "best a")
    assert marker["x"] == [int(result.steps[index])] and marker["y"] == pytest.approx([values[index]])
    assert best_validation(result) == (int(result.steps[index]), pytest.approx(values[index]))
    assert marker["name"].startswith(f"best {'mean ' if seeds > 1 else ''}val loss ") and \
        marker["name"].endswith(f"at step {int(result.steps[index])}")
    assert ("the mean of 3 seeds" if seeds > 1 else f"seed {int(result.seeds[0])}") in marker["hovertemplate"]
    lines = [s for s in fig.to_plotly_json()["layout"]["shapes"] if s.get("legendgroup") == "best a"]
    assert len(lines) == 4 and {(s["x0"], s["x1"]) for s in lines} == {(result.steps[index], result.steps[index])}
    assert {s["xref"] for s in lines} == {"x", "x2", "x3", "x4"} and validates(fig)


@pytest.mark.parametrize("restore_best", [False, True])
def test_restored_is_said_only_when_the_best_network_is_kept(moons, restore_best):
    result = moons[1]
    result = dataclasses.replace(result, config=result.config.replace(restore_best=restore_best))
    fig = curves_figure(TrainingData(runs=(INFO,), results=(result,)))
    marker = next(t for t in traces(fig) if t.get("legendgroup") == "best a")
    assert marker["name"].endswith(", restored") == restore_best
    assert ("restored" in json.dumps(fig.to_plotly_json(), ensure_ascii=False)) == restore_best


def test_a_run_without_a_finite_validation_loss_has_no_best_step(moons):
    result = dataclasses.replace(moons[1], val_loss=np.full_like(moons[1].val_loss, np.nan))
    assert best_validation(result) is None
    fig = curves_figure(TrainingData(runs=(INFO,), results=(result,)))
    assert not [t for t in traces(fig) if t.get("legendgroup") == "best a"]


# -- ensembles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ensemble", [False, True])
def test_an_ensemble_draws_its_own_thick_curves(moons, ensemble):
    result = as_ensemble(moons[3]) if ensemble else moons[3]
    assert result.is_ensemble == ensemble
    fig = curves_figure(TrainingData(runs=(INFO,), results=(result,)), loss_axis="linear")
    drawn = [t for t in traces(fig) if t.get("legendgroup") == "ensemble a"]
    if not ensemble:
        assert not drawn and "ensemble" not in json.dumps(fig.to_plotly_json())
        return
    assert [t["name"] for t in drawn] == ["ensemble of 3"] * 4 and [t["showlegend"] for t in drawn] == [True] + [False] * 3
    expected = {("y", "solid"): result.ensemble_train_loss, ("y", "dash"): result.ensemble_val_loss,
                ("y2", "solid"): 100 * result.ensemble_train_accuracy, ("y2", "dash"): 100 * result.ensemble_val_accuracy}
    assert {(t["yaxis"], t["line"]["dash"]) for t in drawn} == set(expected)
    for t in drawn:
        assert t["y"] == pytest.approx(list(expected[(t["yaxis"], t["line"]["dash"])]))
        assert t["line"]["color"] == INFO.color
    members = [t for t in traces(fig) if t.get("legendgroup") == "run a" and t.get("yaxis") in ("y", "y2") and "fill" not in t]
    assert max(t["line"]["width"] for t in members) < min(t["line"]["width"] for t in drawn)  # the ensemble stands out
    assert "range of 3 members" in [t.get("name") for t in traces(fig)] and validates(fig)


@pytest.mark.parametrize("ensemble", [False, True])
def test_an_ensembles_boundary_is_the_members_mean(moons, ensemble):
    result = as_ensemble(moons[3]) if ensemble else moons[3]
    fig = boundary_figure(INFO, result)
    spec = fig.to_plotly_json()
    last = decoded(spec["frames"][-1]["data"][0]["z"])
    source = result.ensemble_grid_probabilities()[-1] if ensemble else result.probabilities[0, -1]
    assert np.abs(last - 100 * source[:, :, 1]).max() <= 0.5
    assert spec["layout"]["title"]["text"].startswith("Ensemble decision boundary") == ensemble
    members = [t for t in spec["data"] if t.get("name", "").startswith("members at step")]
    assert len(members) == ensemble  # the members' own boundaries: thin scatter lines, never contours
    assert all(t["type"] != "contour" for t in spec["data"]) and validates(fig)
    if ensemble:
        assert "mean probability of 3 members" in spec["layout"]["title"]["subtitle"]["text"]
        assert members[0]["type"] == "scatter" and len(members[0]["x"]) > 0


def test_isoline_follows_the_level_and_skips_nan():
    x = y = np.linspace(-1, 1, 41)
    gx, gy = np.meshgrid(x, y)
    radius = np.sqrt(0.5)
    xs, ys = isoline(x, y, 1 / (1 + np.exp(-5 * (gx ** 2 + gy ** 2 - radius ** 2))))
    points = np.array([(a, b) for a, b in zip(xs, ys) if a is not None])
    assert len(points) > 100 and np.allclose(np.hypot(points[:, 0], points[:, 1]), radius, atol=2e-3)
    assert xs[2::3] == [None] * (len(xs) // 3)  # straight pieces, None between them
    assert isoline(x, y, np.full((41, 41), np.nan)) == ([], [])


def test_ensemble_curves_are_exported_beside_the_members(moons):
    result = as_ensemble(moons[3])
    rows = records(TrainingData(runs=(INFO,), results=(result,)))
    assert len(rows) == 4 * len(result.steps)
    ensemble = [row for row in rows if row["seed"] == "ensemble"]
    assert [row["val_loss"] for row in ensemble] == pytest.approx(list(result.ensemble_val_loss))


# -- image data: the confusion matrix and the misclassified images ---------------------------------


@pytest.mark.parametrize("ensemble", [False, True])
def test_the_confusion_matrix_counts_the_validation_set(digits, ensemble):
    result = as_ensemble(digits) if ensemble else digits
    index = None if ensemble else 0
    fig = confusion_figure(DIGITS_INFO, result)
    counts = traces(fig)[0]
    z = decoded(counts["z"])
    assert np.array_equal(z, result.confusion_matrix(index)) and z.sum() == len(result.y_val)
    mistakes = decoded(traces(fig)[1]["z"])
    off = ~np.eye(10, dtype=bool) & (z > 0)
    assert np.array_equal(mistakes[off], z[off]) and np.isnan(mistakes[~off]).all()
    texts = np.array(counts["text"])
    assert all(texts[c, c] == (str(int(z[c, c])) if z[c, c] else "") for c in range(10))  # counts written in the cells
    accuracy = 100 * np.trace(z) / z.sum()
    subtitle = fig.to_plotly_json()["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")
    assert f"validation accuracy {accuracy:.1f}%" in subtitle and ("ensemble of 3" in subtitle) == ensemble
    layout = fig.to_plotly_json()["layout"]
    assert layout["xaxis"]["ticktext"] == list("0123456789") and layout["yaxis"]["range"] == [9.5, -0.5]  # row 0 on top
    assert validates(fig)


def test_the_confusion_matrix_leaves_out_classes_never_seen_nor_predicted(digits):
    keep = digits.y_val >= 5  # a transfer run's task: digits 5-9
    probabilities = digits.val_probabilities[:, keep].copy()
    probabilities[..., :5] = 0.0  # ... and a network that never predicts 0-4
    with np.errstate(divide="ignore"):
        logs = np.log(probabilities)
    result = dataclasses.replace(digits, y_val=digits.y_val[keep], x_val=digits.x_val[keep], val_log_probabilities=logs)
    fig = confusion_figure(DIGITS_INFO, result)
    assert np.array_equal(decoded(traces(fig)[0]["z"]), result.confusion_matrix()[5:, 5:])
    assert fig.to_plotly_json()["layout"]["xaxis"]["ticktext"] == ["5", "6", "7", "8", "9"]


@pytest.mark.parametrize("ensemble", [False, True])
def test_the_misclassified_images_most_confidently_wrong_first(digits, ensemble):
    result = as_ensemble(digits) if ensemble else digits
    index = None if ensemble else 0
    fig = misclassified_figure(DIGITS_INFO, result)
    order = result.misclassified(index)[:MAX_MISCLASSIFIED]
    assert len(order) > 0  # 50 steps on 200 images: it gets some wrong
    probabilities = result.ensemble_val_probabilities() if ensemble else result.val_probabilities[0]
    predicted = result.predictions(index)
    expected = [f"true {result.y_val[i]} → {predicted[i]} (p = {probabilities[i, predicted[i]]:.2f})" for i in order]
    titles = [a["text"].replace("<br>", " ") for a in fig.to_plotly_json()["layout"]["annotations"]][:len(order)]
    assert titles == expected
    images = [t for t in traces(fig) if t["type"] == "heatmap"]
    assert len(images) == len(order)
    for image, example in zip(images, order):
        assert np.allclose(decoded(image["z"]), result.x_val[example].reshape(8, 8), atol=1e-6)
    assert validates(fig)


def test_no_misclassified_image_is_said_in_words(digits):
    perfect = np.eye(10)[digits.y_val][None].repeat(len(digits.seeds), axis=0)
    with np.errstate(divide="ignore"):
        fig = misclassified_figure(DIGITS_INFO, dataclasses.replace(digits, val_log_probabilities=np.log(perfect)))
    assert not traces(fig) and "No validation image is misclassified" in fig.to_plotly_json()["layout"]["annotations"][0]["text"]


def test_the_weights_of_digits_have_64_inputs_and_10_outputs(digits):
    titles = [a["text"] for a in weights_figure(DIGITS_INFO, digits).to_plotly_json()["layout"]["annotations"]]
    assert titles[:2] == ["W1 (64×16)", "W out (16×10)"]


# -- which figures a scene has ------------------------------------------------------------------------


def stub_scene(a_inputs: int, b_inputs: int | None = None):
    """What has_figure reads of a scene: each run's network input size (config.spec.input_dim)."""
    config = lambda inputs: SimpleNamespace(spec=SimpleNamespace(input_dim=inputs))  # noqa: E731
    return SimpleNamespace(a=config(a_inputs), b=None if b_inputs is None else config(b_inputs))


@pytest.mark.parametrize("a, b, expected", [
    (2, None, {"curves", "boundary", "layer_stats", "weights"}),
    (64, None, {"curves", "layer_stats", "weights", "confusion", "misclassified"}),
    (2, 2, {"curves", "boundary", "boundary_b", "layer_stats", "weights", "weights_b"}),
    (64, 64, {"curves", "layer_stats", "weights", "weights_b", "confusion", "confusion_b", "misclassified",
              "misclassified_b"}),
    (2, 64, {"curves", "boundary", "layer_stats", "weights", "weights_b", "confusion_b", "misclassified_b"}),
])
def test_boundaries_for_2d_data_confusion_and_errors_for_the_rest(a, b, expected):
    assert set(PAGE.figure_names(stub_scene(a, b))) == expected
    assert all(not has_figure(name, stub_scene(a, b)) for name in set(PLANE_FIGURES + IMAGE_FIGURES) - expected)


def test_a_real_2d_scene_has_the_boundary_and_no_confusion_matrix():
    names = PAGE.figure_names(TrainScene.build(dict(SMALL)))
    assert "boundary" in names and not set(IMAGE_FIGURES) & set(names)


def test_the_digits_scene_draws_the_confusion_matrix_and_errors_not_the_boundary():
    """The real digits scene end to end (skipped until the data set lands)."""
    if "digits" not in DATASETS:
        pytest.skip("the digits data set has not landed yet (optviz.training.data.DATASETS)")
    scene = TrainScene.build(dict(SMALL, dataset="digits", samples=200))
    names = PAGE.figure_names(scene)
    assert {"confusion", "misclassified"} <= set(names) and not set(PLANE_FIGURES) & set(names)
    data = compute(scene)
    assert data.results[0].grid_x.size == 0 and data.results[0].val_probabilities.shape[-1] == 10
    for presenter in (False, True):
        for name in names:
            assert validates(PAGE.build_figure(name, scene, data, presenter=presenter)), name
    with pytest.raises(ValueError, match="needs 2-D data"):
        PAGE.build_figure("boundary", scene, data)
    assert PAGE.exportable(scene, data).animated_figures == ()  # nothing moves: no boundary to animate


# -- transfer runs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, data, says", [
    ("finetune", "similar", "fine-tuned from digits 0-4 (1000 steps, 97% validation accuracy), η × 0.1; digits 5-9, "
                            "5 samples per class"),
    ("freeze", "similar", "frozen features of digits 0-4 (1000 steps, 97% validation accuracy) + new head; digits 5-9, "
                          "5 samples per class"),
    ("scratch", "different", "from scratch; digits 5-9, pixels permuted, 5 samples per class"),
])
def test_a_transfer_runs_subtitle_names_its_start(moons, mode, data, says):
    transfer = {"mode": mode, "data": data, "samples_per_class": 5, "pretrain_steps": 1000, "pretrain_val_accuracy": 0.97}
    result = dataclasses.replace(moons[1], config=moons[1].config.replace(finetune_factor=0.1), transfer=transfer)
    subtitle = weights_figure(INFO, result).to_plotly_json()["layout"]["title"]["subtitle"]["text"].replace("<br>", " ")
    assert subtitle == f"{INFO.label}; {says}"
    assert "; " not in weights_figure(INFO, moons[1]).to_plotly_json()["layout"]["title"]["subtitle"]["text"]


@pytest.mark.parametrize("rates, labels", [
    ([0.5] * 700 + [0.1] * 700 + [0.02] * 600, [0.5, 0.1, 0.02]),  # step decay: its three levels, no 0.2 or 0.05
    (list(0.5 * 0.998 ** np.arange(1000)), None),  # exponential decay over 0.9 decades: only its two ends
])
def test_the_learning_rate_panel_labels_only_what_its_height_holds(rates, labels):
    """The η panel is about a fifth of the curves' height: Plotly's own labels of a log axis under
    two decades (0.5, 0.2, 0.1, 0.05, 0.02) touch there; it labels η's levels, or its range."""
    from optviz.training.figures import RATE_LABELS, _rate_axis

    axis = _rate_axis(rates)
    assert axis["type"] == "log" and len(axis["tickvals"]) <= RATE_LABELS
    expected = labels if labels is not None else [min(rates), max(rates)]
    assert sorted(axis["tickvals"]) == pytest.approx(sorted(expected))
    assert axis["ticktext"] == [f"{v:.2g}" for v in axis["tickvals"]]
