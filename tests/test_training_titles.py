"""The titles of the training lab's run figures with A and B side by side (decision boundary,
weights): where both runs' labels fit the title line ("Decision boundary · A: 3×32 linear", the
run's letter once), they go there and the plots start a line higher; where one does not, both put
the label under "Decision boundary · A", padded to the same lines, so the plots still line up."""

from __future__ import annotations

import re

import pytest

from optviz.pages import PAGES
from optviz.style import Style
from optviz.training.scene import TrainScene

PAGE = PAGES["training"]
SMALL = dict(depth=1, width=8, samples=64, steps=20)
HEADINGS = {"boundary": "Decision boundary", "weights": "Weights"}


def _plain(text: str | None) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text or "").split())


def _figures(scene: TrainScene, kind: str, presenter: bool):
    data = PAGE.compute(scene)
    return [PAGE.build_figure(name, scene, data, presenter=presenter) for name in (kind, kind + "_b")]


@pytest.mark.parametrize("presenter", [False, True])
@pytest.mark.parametrize("kind", ["boundary", "weights"])
def test_short_labels_go_on_the_title_line_with_the_letter_once(kind, presenter):
    scene = TrainScene.build(dict(SMALL, activation="linear"), dict(SMALL, activation="relu"))
    figures = _figures(scene, kind, presenter)
    for which, fig in zip("ab", figures):
        label = scene.label(which)
        assert label.startswith(f"{which.upper()}: ")
        assert _plain(fig.layout.title.text) == f"{HEADINGS[kind]} · {label}"
        assert not (fig.layout.title.subtitle and fig.layout.title.subtitle.text)
    assert figures[0].layout.margin.t == figures[1].layout.margin.t  # (that it fits: tests/test_browser.py)


@pytest.mark.parametrize("presenter", [False, True])
def test_a_long_label_goes_under_the_title_for_both_runs(presenter):
    # B's label names its L2 penalty, dropout and label smoothing: too long for the title line.
    scene = TrainScene.build(dict(SMALL), dict(SMALL, l2=0.001, dropout=0.3, label_smoothing=0.1,
                                               activation="tanh", init="glorot_normal"))
    figures = _figures(scene, "boundary", presenter)
    for which, fig in zip("ab", figures):
        assert _plain(fig.layout.title.text) == f"Decision boundary · {which.upper()}"
        assert _plain(fig.layout.title.subtitle.text) == scene.label(which)
    lines = [fig.layout.title.subtitle.text.count("<br>") for fig in figures]
    assert lines[0] == lines[1]  # A's padded to B's: the plots start at the same height
    assert figures[0].layout.margin.t == figures[1].layout.margin.t


def test_the_title_line_saves_a_line_above_the_plot():
    short = TrainScene.build(dict(SMALL, activation="linear"), dict(SMALL, activation="relu"))
    long = TrainScene.build(dict(SMALL, activation="linear"), dict(SMALL, activation="relu", dropout=0.3,
                                                                  l2=0.001, label_smoothing=0.1))
    inline, under = (_figures(scene, "boundary", True)[0] for scene in (short, long))
    assert not (under.layout.title.subtitle.text or "").startswith("<br>")
    assert inline.layout.margin.t <= under.layout.margin.t - 1.3 * Style.for_mode(True).font_size
