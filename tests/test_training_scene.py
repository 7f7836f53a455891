"""TrainScene: the training lab's state <-> link <-> scene file, lenient with outside values (a
notice, never an exception), strict where trusted (`build`); labels say what sets A and B apart."""

from __future__ import annotations

import json

import pytest

from optviz.pages import LESSONS, PAGES, lesson_applies, lesson_aware
from optviz.scenes import MAX_LISTED
from optviz.training.config import MAX_WORK, TrainConfig
from optviz.training.scene import MAX_SCENE_WORK, TrainScene


def test_default_scene_round_trips_through_link_and_file():
    scene = TrainScene()
    query = scene.to_query()
    assert query["learning_rate"] == "0.01" and query["optimizer"] == "adam" and query["loss_axis"] == "log"
    assert "compare" not in query and not any(k.startswith("b.") for k in query)
    assert TrainScene.from_query(query) == (scene, [])
    assert TrainScene.loads(scene.dumps()) == (scene, [])
    assert json.loads(scene.dumps())["kind"] == "training"


def test_compare_scene_keeps_b_under_its_prefix():
    scene = TrainScene.build({"optimizer": "sgd", "hparams": {"learning_rate": 0.1}},
                             {"optimizer": "adam", "batchnorm": True, "schedule": "step",
                              "schedule_params": {"step_size": 50}}, seeds=3, loss_axis="linear")
    query = scene.to_query()
    assert query["compare"] == "true" and query["b.optimizer"] == "adam" and query["b.step_size"] == "50"
    assert query["b.b1"] == "0.9" and "b1" not in query and query["momentum" if False else "learning_rate"] == "0.1"
    assert query["seeds"] == "3" and "b.seeds" not in query
    again, notices = TrainScene.from_query(query)
    assert notices == [] and again == scene
    assert TrainScene.loads(scene.dumps()) == (scene, [])
    assert scene.label("a") == "A: SGD, η = 0.1, no batch norm, constant η"
    assert scene.label("b").startswith("B: Adam, η = 0.01, batch norm, step decay (s = 50, γ = 0.5)")


def test_alike_runs_are_labelled_by_letter_and_a_single_run_by_its_optimizer():
    assert TrainScene.build({}, {}).label("a") == "A"
    assert TrainScene().label("a") == "Adam, η = 0.01"
    assert TrainScene.build({"optimizer": "momentum", "hparams": {"momentum": 0.5}}).label("a") == \
        "Momentum, η = 0.03, Momentum μ 0.5"


@pytest.mark.parametrize("query, expected, notice", [
    ({"learning_rate": "1e9"}, ("a", "learning_rate", 10.0), "clamped"),
    ({"depth": "lots"}, ("a", "depth", 3), "not a number"),
    ({"optimizer": "newton"}, ("a", "optimizer", "adam"), "Hessian"),
    ({"momentum": "0.5"}, ("a", "optimizer", "adam"), "not a setting of optimizer Adam"),
    ({"b.depth": "2"}, ("b", None, None), "compare is off"),
    ({"compare": "yes", "b.samples": "1"}, ("b", "samples", 8), "clamped"),
    ({"init": "kaiming_normal"}, ("a", "init", "he_normal"), None),  # aliases are read silently
    ({"batchnorm": "true", "batch_size": "1"}, ("a", "batch_size", 2), "batch norm"),
    ({"seeds": "99"}, (None, "seeds", 16), "clamped"),
    ({"loss_axis": "cubic"}, (None, "loss_axis", "log"), "not one of"),
])
def test_link_values_are_clamped_or_dropped_with_a_notice(query, expected, notice):
    scene, notices = TrainScene.from_query(query)
    which, name, value = expected
    if which == "b" and name is None:
        assert scene.b is None
    elif which is None:
        assert getattr(scene, name) == value
    else:
        config = scene.a if which == "a" else scene.b
        actual = config.hparam_values.get(name, getattr(config, name, None)) if name == "learning_rate" else getattr(config, name)
        assert actual == value
    if notice is None:
        assert notices == []
    else:
        assert len(notices) == 1 and notice in notices[0], notices


def test_hostile_links_and_files_never_raise_and_repeat_little():
    huge = "x" * 100_000
    scene, notices = TrainScene.from_query({huge: "1", "dataset": huge, "steps": "9" * 5000, "noise": "nan",
                                            **{f"k{i}": "1" for i in range(1000)}})
    assert scene.a.dataset == "moons" and scene.a.steps <= 10_000
    assert all(len(n) < 300 for n in notices) and any(f"and {1001 - MAX_LISTED:,} more" in n for n in notices)
    for data in ({"run": [1, 2]}, {"run": {"hparams": [1]}}, {"run": {"init": {"a": 1}}}, {"compare": "yes"},
                 {"seeds": True}, [1], {"kind": "layers"}, {"run": {"optimizer": ["adam"]}}):
        scene, notices = TrainScene.from_json(data)
        assert isinstance(scene, TrainScene) and notices
        json.dumps(scene.to_json(), allow_nan=False)


def test_seeds_are_cut_to_what_a_scene_may_compute():
    big = {"depth": 8, "width": 256, "samples": 512, "batch_size": 512, "steps": 10_000}
    scene, notices = TrainScene.from_json({"run": big, "compare": big, "seeds": 16})
    assert (scene.a.work + scene.b.work) * scene.seeds <= MAX_SCENE_WORK and scene.a.work <= MAX_WORK
    assert scene.seeds >= 1 and any("seeds" in n for n in notices)
    with pytest.raises(ValueError):
        TrainScene.build(big, big, seeds=16)


def test_build_refuses_what_a_link_would_adjust():
    for run in ({"optimizer": "newton"}, {"depth": 99}, {"colour": "red"}):
        with pytest.raises(ValueError):
            TrainScene.build(run)


def test_a_lesson_link_stays_the_lesson_while_exploring_and_leaves_it_on_a_new_subject():
    lesson = LESSONS["lab_adam_sgd"]
    read = lesson_aware(TrainScene.from_query, "training")
    scene, notices = read({"scene": lesson.key, "learning_rate": "0.03"})
    assert notices == [] and scene.a.hparam_values["learning_rate"] == 0.03 and scene.b.optimizer == "adam"
    assert lesson_applies(lesson, scene.to_query())
    scene, notices = read({"scene": lesson.key, "compare": "true", "b.optimizer": "rmsprop"})
    assert notices == [] and not lesson_applies(lesson, scene.to_query())
    scene, notices = read({"scene": lesson.key, "compare": "false"})  # the lesson's b.* are moot: no notice
    assert scene.b is None and notices == []


def test_the_page_declaration():
    page = PAGES["training"]
    assert page.main_figure == "curves" and page.kind == "training" and page.url_path == "training"
    assert [label for label, _ in page.key_controls] == ["Learning rate η", "L2 λ"]
    assert all(key in TrainScene().to_query() for _, key in page.key_controls)
    assert [name for name, _ in page.warmup_scenes(False)][1:] == [f"lesson {l.key}" for l in page.lessons]
    assert page.figure_names(TrainScene()) == ["curves", "boundary", "layer_stats", "weights"]
    assert "boundary_b" in page.figure_names(TrainScene.build({}, {}))
    assert TrainConfig().eval_steps[-1] == 2000


@pytest.mark.parametrize("change, b_says, a_says", [
    ({"augment": True}, "augmented", "not augmented"),
    ({"mixup": 0.2}, "mixup α = 0.2", "no mixup"),
    ({"label_smoothing": 0.1}, "label smoothing ε = 0.1", "no label smoothing"),
    ({"restore_best": True}, "best restored", "last network kept"),
    ({"ensemble": 3}, "ensemble of 3", "one model"),
])
def test_labels_name_a_setting_only_one_run_has(change, b_says, a_says):
    scene = TrainScene.build({}, change)
    assert scene.label("b") == f"B: {b_says}" and scene.label("a") == f"A: {a_says}"


def test_a_net_without_hidden_layers_is_labelled_so_not_by_width_and_activation():
    scene = TrainScene.build({"depth": 1, "width": 32}, {"depth": 0, "width": 32})
    assert scene.label("a") == "A: 1×32 ReLU" and scene.label("b") == "B: no hidden layer"
