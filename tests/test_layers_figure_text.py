"""The initialization page's figures are readable at every width they are shown at, without a browser.

Text boxes are estimated from the figure JSON: a character is ~0.55 em of its font (as
optviz.export._caption), a digit 0.64 em and a minus sign 0.84 em (DejaVu Sans), a line
1.3 em. Subplot titles, tick labels, axis titles and the legend must not overlap each other:

* the histograms (shown side by side, A and B, in compare mode) at 550-800 px and on a full-width
  screen, in both modes (presenter fonts are larger);
* the full-width line figures (stats, saturation) at 800-1400 px.

Scenes: every lesson of the layers page (real networks) and synthetic statistics of every activation.
tests/test_browser.py checks the same in a real Chromium.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pytest

from optviz.activations import ACTIVATIONS
from optviz.layers.figures import GRID_X_TITLE, histograms_figure, saturation_figure, stats_figure
from optviz.pages import PAGES

from test_layers_figures import _values as decode
from test_layers_figures import lesson_data
from test_layers_figures import synthetic_stats

PAGE = PAGES["layers"]
LESSONS = {lesson.key: lesson for lesson in PAGE.lessons}
CHAR_EM, DIGIT_EM, MINUS_EM, LINE_EM = 0.55, 0.64, 0.84, 1.3
TICK_PAD = 8  # tick length (5) and the gap to the label
HISTOGRAM_WIDTHS = (550, 600, 650, 700, 750, 800, 1250)
ROW_WIDTHS = (860, 1000, 1120, 1440)  # one network's histograms in one row: presenter mode at 1024 to 1600 px
LINE_WIDTHS = (800, 1000, 1200, 1400)


@dataclass(frozen=True)
class Box:
    """A text's estimated box in px, y down from the figure's top edge."""

    what: str
    x0: float
    x1: float
    y0: float
    y1: float

    def overlaps(self, other: "Box") -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


def text_px(text: str, size: float) -> float:
    return max(len(line) for line in str(text).split("<br>")) * CHAR_EM * size


def label_px(label: str, size: float) -> float:
    """A tick label's width: digits, minus signs, points and a % sign."""
    widths = {"-": MINUS_EM, "−": MINUS_EM, ".": 0.32, "%": 0.95}
    return sum(widths.get(c, DIGIT_EM) for c in label) * size


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Roughly the ticks Plotly picks on a linear axis (a 1-2-5 step)."""
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [round(k * step, 12) for k in range(math.ceil(low / step), math.floor(high / step) + 1)]


class Geometry:
    """Pixel positions of a figure's panels and texts at `width` (its own height and margins)."""

    def __init__(self, fig, width: float):
        self.spec = fig.to_plotly_json()
        self.layout = layout = self.spec["layout"]
        self.width, self.height = width, layout["height"]
        margin = layout["margin"]
        self.left, self.top = margin["l"], margin["t"]
        self.plot_w = width - margin["l"] - margin["r"]
        self.plot_h = self.height - margin["t"] - margin["b"]
        self.font = layout["font"]["size"]

    def x_px(self, x: float) -> float:
        return self.left + x * self.plot_w

    def y_px(self, y: float) -> float:
        return self.top + (1 - y) * self.plot_h

    def axes(self, letter: str):
        for name, axis in self.layout.items():
            if name.startswith(letter + "axis") and axis.get("visible", True) is not False:
                yield name, axis

    def panel(self, name: str) -> Box:
        """The plot area of the panel of axis `name`."""
        axis = self.layout[name]
        other = self.layout[("y" if name[0] == "x" else "x") + "axis" + axis["anchor"][1:]]
        xs, ys = (axis, other) if name[0] == "x" else (other, axis)
        return Box(name, self.x_px(xs["domain"][0]), self.x_px(xs["domain"][1]), self.y_px(ys["domain"][1]), self.y_px(ys["domain"][0]))

    def tick_font(self, axis: dict) -> float:
        return axis.get("tickfont", {}).get("size", self.font)

    def y_label_width(self, name: str) -> float:
        """The widest tick label of y axis `name`."""
        axis, size = self.layout[name], self.tick_font(self.layout[name])
        if axis.get("type") == "log":
            low, high = axis.get("range") or self.log_range(name)
            if axis.get("dtick") == 1:  # "10⁻¹²": Plotly draws powers 1.25x, the exponent at 0.7 of that
                return max(1.25 * size * (2 * DIGIT_EM + 0.7 * label_px(str(k), 1)) if k not in (0, 1)
                           else label_px(str(10**k), 1.25 * size) for k in range(math.ceil(low), math.floor(high) + 1))
            values = [m * 10.0**k for k in range(math.floor(low), math.ceil(high) + 1) for m in (1, 2, 5)]
            labels = [f"{v:.2g}" for v in values if low <= math.log10(v) <= high] or ["0.0"]
        else:
            labels = [f"{t:g}" + axis.get("ticksuffix", "") for t in nice_ticks(*axis["range"])]
        return max(label_px(label, size) for label in labels)

    def log_range(self, name: str) -> tuple[float, float]:
        ref = "y" + name[5:]
        values = [v for trace in self.spec["data"] if trace.get("yaxis", "y") == ref
                  for v in _values(trace.get("y", [])) if v is not None and v > 0]
        return math.log10(min(values)), math.log10(max(values))

    def tick_boxes(self) -> list[Box]:
        boxes = []
        for name, axis in self.axes("y"):
            if axis.get("showticklabels", True) is False:
                continue
            panel, size = self.panel(name), self.tick_font(axis)
            right = panel.x0 - TICK_PAD
            boxes.append(Box(f"{name} tick labels", right - self.y_label_width(name), right,
                             panel.y0 - 0.65 * size, panel.y1 + 0.65 * size))
        return boxes + self.x_tick_labels()

    def x_tick_labels(self) -> list[Box]:
        """One box per x tick label."""
        boxes = []
        for name, axis in self.axes("x"):
            if axis.get("showticklabels", True) is False:
                continue
            panel, size = self.panel(name), self.tick_font(axis)
            low, high = axis["range"]
            for tick in axis.get("tickvals") or nice_ticks(low, high):
                x, half = panel.x0 + (tick - low) / (high - low) * (panel.x1 - panel.x0), label_px(f"{tick:g}", size) / 2
                boxes.append(Box(f"{name} tick label {tick:g}", x - half, x + half, panel.y1 + TICK_PAD,
                                 panel.y1 + TICK_PAD + LINE_EM * size))
        return boxes

    def subplot_titles(self) -> list[Box]:
        boxes = []
        for annotation in self.layout.get("annotations", []):
            if (annotation.get("xref"), annotation.get("yref"), annotation.get("yanchor")) != ("paper", "paper", "bottom"):
                continue
            size = annotation.get("font", {}).get("size", self.font)
            x, w = self.x_px(annotation["x"]), text_px(annotation["text"], size)
            bottom = self.y_px(annotation["y"]) - annotation.get("yshift", 0)
            lines = annotation["text"].count("<br>") + 1
            boxes.append(Box(f"title {annotation['text']!r}", x - w / 2, x + w / 2, bottom - lines * LINE_EM * size, bottom))
        return boxes

    def axis_titles(self) -> list[Box]:
        boxes = []
        for annotation in self.layout.get("annotations", []):  # a grid's title (make_subplots' x_title)
            if annotation.get("name") == GRID_X_TITLE:
                size = annotation.get("font", {}).get("size", self.font)
                x, w = self.x_px(annotation["x"]), text_px(annotation["text"], size)
                top = self.y_px(annotation["y"]) - annotation.get("yshift", 0)
                boxes.append(Box(f"grid title {annotation['text']!r}", x - w / 2, x + w / 2, top, top + LINE_EM * size))
        for name, axis in itertools.chain(self.axes("x"), self.axes("y")):
            text = axis.get("title", {}).get("text")
            if not text:
                continue
            panel, size = self.panel(name), self.font
            length, thick = text_px(text, size), LINE_EM * size
            standoff = axis.get("title", {}).get("standoff", 10)
            if name[0] == "x":
                top = panel.y1 + TICK_PAD + LINE_EM * self.tick_font(axis) + standoff
                centre = (panel.x0 + panel.x1) / 2
                boxes.append(Box(f"{name} title {text!r}", centre - length / 2, centre + length / 2, top, top + thick))
            else:
                right = panel.x0 - TICK_PAD - self.y_label_width(name) - standoff
                centre = (panel.y0 + panel.y1) / 2
                boxes.append(Box(f"{name} title {text!r}", right - thick, right, centre - length / 2, centre + length / 2))
        return boxes

    def title_bottom(self) -> float:
        """Where the figure's title and subtitle end (top-anchored at the top of the figure)."""
        title = self.layout.get("title", {})
        if not title.get("text") or title.get("yanchor") != "top":
            return 0.0
        bottom = title.get("pad", {}).get("t", 0) + LINE_EM * title["font"]["size"]
        subtitle = title.get("subtitle", {})
        if subtitle.get("text"):
            bottom += 14 + (subtitle["text"].count("<br>") + 1) * LINE_EM * subtitle["font"]["size"]
        return bottom


def _values(data) -> list:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in decode(data)]


def assert_readable(fig, width: float) -> None:
    g = Geometry(fig, width)
    titles, ticks, axis_titles = g.subplot_titles(), g.tick_boxes(), g.axis_titles()
    panels = [g.panel(name) for name, _ in g.axes("y")]
    for a, b in itertools.combinations(titles + axis_titles, 2):
        assert not a.overlaps(b), f"at {width} px: {a.what} overprints {b.what}: {a} {b}"
    for a, b in itertools.combinations(g.x_tick_labels(), 2):  # within a panel and across neighbours
        assert not a.overlaps(b), f"at {width} px: {a.what} touches {b.what}: {a} {b}"
    for text in titles + axis_titles:
        assert text.x0 >= 0 and text.x1 <= width, f"at {width} px: {text.what} is cut off: {text}"
        for tick in ticks:
            assert not text.overlaps(tick), f"at {width} px: {text.what} overprints the {tick.what}: {text} {tick}"
    for title in titles:
        assert title.y0 >= g.title_bottom(), f"at {width} px: {title.what} overprints the figure's title"
    for text in axis_titles:
        for panel in panels:
            assert not text.overlaps(panel), f"at {width} px: {text.what} is drawn over the plot {panel.what}"
    legend = g.layout.get("legend", {})
    if legend.get("yanchor") == "bottom" and legend.get("y", 0) > 1 and titles:
        assert g.y_px(legend["y"]) <= min(t.y0 for t in titles), f"the legend overprints the subplot titles at {width} px"


# -- histograms: 550-800 px (a compare-mode column), both modes ---------------------------------


@pytest.mark.parametrize("presenter", [False, True], ids=["screen", "presenter"])
@pytest.mark.parametrize("key", list(LESSONS))
def test_lesson_histograms_are_readable_side_by_side(key, presenter):
    scene, data = lesson_data(key)
    for name in ("histograms", "histograms_b"):
        if not PAGE.has_figure(name, scene):
            continue
        fig = PAGE.build_figure(name, scene, data, presenter=presenter)
        alone = presenter and scene.b is None  # one network on the projector: one row at full width
        for width in ROW_WIDTHS if alone else HISTOGRAM_WIDTHS:
            assert_readable(fig, width)


@pytest.mark.parametrize("key", list(LESSONS))
def test_one_networks_histograms_end_on_the_projectors_first_screen(key):
    """Presenter mode, one network: every layer in one row, the figure at most 450 px tall (on a
    1280x720 projector it starts about 270 px down, under the top bar, the captions and the tabs)."""
    scene, data = lesson_data(key)
    fig = PAGE.build_figure("histograms", scene, data, presenter=True)
    rows = len({tuple(fig.layout[name].domain) for name in fig.layout if name.startswith("yaxis")})
    if scene.b is None:
        assert rows == 1 and fig.layout.height <= 450, (rows, fig.layout.height)
    else:  # half the page each: rows of five, as in the lecture
        assert rows == 2 and fig.layout.height > 450


@pytest.mark.parametrize("presenter", [False, True], ids=["screen", "presenter"])
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_histograms_of_every_activation_are_readable(activation, presenter):
    for depth in (1, 4, 7, 10):
        stats = synthetic_stats(activation, depth=depth, std=np.geomspace(0.9, 3e-10, depth),
                                nan_fraction=np.r_[np.zeros(depth - 1), 1.0])
        fig = histograms_figure(stats, presenter, "Activations per layer",
                                subtitle=f"B: {activation}, normal (std = scale) 0.01, gain 1.5, batch norm", index=1)
        for width in HISTOGRAM_WIDTHS:
            assert_readable(fig, width)
        if presenter:
            fig = histograms_figure(stats, presenter, "Activations per layer", subtitle=f"{activation}, He", one_row=True)
            for width in ROW_WIDTHS:
                assert_readable(fig, width)


def test_the_estimate_catches_overlapping_titles():
    # The check is not vacuous: long titles, as the page drew them before, overlap at 550 px.
    fig = histograms_figure(synthetic_stats("tanh"), presenter=True)
    for annotation in fig.layout.annotations[:10]:
        annotation.text = annotation.text.replace("<br>", ": mean 0.00029, ")
    with pytest.raises(AssertionError, match="overprints"):
        assert_readable(fig, 550)


# -- the full-width line figures: 800-1400 px --------------------------------------------------


@pytest.mark.parametrize("presenter", [False, True], ids=["screen", "presenter"])
@pytest.mark.parametrize("key", list(LESSONS))
def test_lesson_line_figures_are_readable(key, presenter):
    scene, data = lesson_data(key)
    for name in ("stats", "saturation"):
        fig = PAGE.build_figure(name, scene, data, presenter=presenter)
        for width in LINE_WIDTHS:
            assert_readable(fig, width)


@pytest.mark.parametrize("depth", [1, 3, 10, 20, 50])
@pytest.mark.parametrize("presenter", [False, True], ids=["screen", "presenter"])
def test_line_figures_of_any_depth_are_readable(depth, presenter):
    a = synthetic_stats("relu", depth=depth, std=np.geomspace(1, 1e-12, depth))
    b = synthetic_stats("relu", depth=depth, seed=3)
    for fig in (stats_figure([a, b], ["A: relu, He", "B: relu, Xavier"], presenter),
                saturation_figure([a, b], ["A: relu, He", "B: relu, Xavier"], presenter)):
        for width in LINE_WIDTHS:
            assert_readable(fig, width)
