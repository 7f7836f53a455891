"""The trajectory page's figures drawn by a real Chromium (no server): no text is cut off or
overprinted (titles, legends, axis titles, tick labels), in normal and presenter mode, at the
widths the page gives each figure on a 1280 and a 1600 px screen (measured in the app: a map
820 / 1140 px beside the sidebar, 1120 / 1440 px in presenter mode; the curves two side by side,
402 / 562 and 552 / 712 px).

Scenes: the default one, lessons whose legends, titles or axes are the longest (two Adam
variants, a saddle whose loss goes to −150k, a surface with two minima, the flat/sharp basins),
surfaces whose colour bar is log₁₀(loss − min) with labels such as −1.25 (Himmelblau, Beale,
Rosenbrock, whose step sizes span under two decades), and twelve optimizers at once (a legend
taller than the map, on the projector).
"""

from __future__ import annotations

import functools

import pytest

from optviz.pages import LESSONS, PAGES
from optviz.trajectories.scene import TrajectoryScene
from test_layers_figures_browser import _check, _draw

pytestmark = pytest.mark.browser

PAGE = PAGES["trajectories"]
CURVES = ("loss", "distance", "step_size_x", "step_size_y")
TWELVE = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "newton", "lion", "radam", "nadam", "amsgrad"]
SCENES = {
    "default": TrajectoryScene,
    **{key: LESSONS[key].make_scene for key in ("adam_bias_correction", "saddle_escape", "local_minimum", "sam_flat_minimum",
                                                     "learning_rate")},
    **{surface: functools.partial(TrajectoryScene.build, surface) for surface in ("himmelblau", "beale", "rosenbrock")},
    "twelve optimizers": functools.partial(TrajectoryScene.build, "ill_conditioned", optimizers=TWELVE),
}


# Marker labels ("✗ Momentum: left at step 79") that reach past the plot area (into the colour bar).
_LABELS_OUTSIDE_PLOT = """() => {
  const drag = document.querySelector('.nsewdrag');
  if (!drag) return [];  // a 3-D scene
  const plot = drag.getBoundingClientRect();
  return [...document.querySelectorAll('.scatterlayer .textpoint text')].filter(t => t.textContent.trim()).filter(t => {
    const r = t.getBoundingClientRect();
    return r.left < plot.left - 1 || r.right > plot.right + 1;
  }).map(t => t.textContent);
}"""


# Marker labels that a drawn path runs through: points every 2 px along each path line, in screen
# coordinates, that fall inside a label's box.
_LABELS_CROSSED = """() => {
  const labels = [...document.querySelectorAll('.scatterlayer .textpoint text')].filter(t => t.textContent.trim())
    .map(t => [t.textContent, t.getBoundingClientRect()]);
  const crossed = new Set();
  for (const line of document.querySelectorAll('.scatterlayer .js-line')) {
    const m = line.getScreenCTM(), length = line.getTotalLength();
    for (let s = 0; s <= length; s += 2) {
      const p = line.getPointAtLength(s), x = m.a * p.x + m.c * p.y + m.e, y = m.b * p.x + m.d * p.y + m.f;
      for (const [text, r] of labels) if (x > r.left && x < r.right && y > r.top && y < r.bottom) crossed.add(text);
    }
  }
  return [...crossed];
}"""


def widths(name: str, presenter: bool) -> tuple[int, int]:
    """The figure's width in px on a 1280 and on a 1600 px wide screen."""
    if name in CURVES:
        return (552, 712) if presenter else (402, 562)
    return (1120, 1440) if presenter else (820, 1140)


@pytest.mark.parametrize("key", list(SCENES))
def test_no_text_is_cut_off_or_overprinted(figure_tab, key):
    scene = SCENES[key]()
    data = PAGE.compute(scene)
    names = PAGE.figure_names(scene)
    assert {"contour", "loss", "basin_map"} <= set(names)
    for name in names:
        for presenter in (False, True):
            fig = PAGE.build_figure(name, scene, data, presenter=presenter)
            for width in widths(name, presenter):
                _check(_draw(figure_tab, fig, width), f"{key} {name} presenter={presenter} at {width} px")
                outside = figure_tab.evaluate(_LABELS_OUTSIDE_PLOT)
                assert not outside, f"{key} {name} presenter={presenter} at {width} px: {outside} leave the plot"
                crossed = figure_tab.evaluate(_LABELS_CROSSED)
                assert not crossed, f"{key} {name} presenter={presenter} at {width} px: a path crosses {crossed}"
