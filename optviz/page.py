"""What a page of optviz is: its Scene protocol, its views, its lessons and its declaration.

A page (trajectories, layers, ...) is one package under `optviz/` (scene, compute, figures,
controls, lessons) that declares one `Page` in its `page.py`; `optviz.pages.PAGES` lists them.
Everything that serves every page iterates over that registry: `app.py`'s navigation, the
landing page, the page helper (`optviz.ui.page`), the CLI (`list`, `export`), `warmup`, and
the tests (AppTest, figure validity, browser flows). Nothing here imports streamlit or JAX.

One rerun of a page, as data: widgets -> a frozen Scene -> URL query -> `compute(scene)` (a
page's own result type) -> `build_figure(name, scene, data)` -> chart and export buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Mapping, Protocol, runtime_checkable

import plotly.graph_objects as go


@runtime_checkable
class Scene(Protocol):
    """A page's whole state as one frozen, hashable value (a cache key).

    Outside values go through `from_query` (a share link) or `from_json` (a scene file): they
    never raise; out-of-range values are clamped and unreadable ones dropped, each with a notice.
    `build` is for trusted values (registry code, lessons) and raises ValueError on any notice.
    The default constructor gives the page's default scene.
    """

    KIND: ClassVar[str]  # the "kind" of a scene file ("trajectory", "layers")

    def to_query(self) -> dict[str, str]: ...

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> tuple["Scene", list[str]]: ...

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: Any) -> tuple["Scene", list[str]]: ...

    def dumps(self) -> str: ...

    @classmethod
    def loads(cls, text: str | bytes) -> tuple["Scene", list[str]]: ...

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> "Scene": ...


@dataclass(frozen=True)
class View:
    """One tab of a page: its label and the figures it shows side by side (only the open tab is built)."""

    label: str
    figures: tuple[str, ...]
    caption: str = ""


@dataclass(frozen=True)
class Lesson:
    """A lesson scene: one click to a claim of the lecture, shown on its page.

    Args:
      key: registry key (URL `scene=`, CLI `--preset`).
      title: short title for buttons.
      page: the key of its page ("trajectories", "layers").
      text: two or three sentences in the lecture's terms.
      look_for: what to point at on the figure.
      make_scene: builds the scene (a fresh value each call).
      about: the link keys that say what the lesson is about (default: its page's
        `lesson_about`); a scene with other values there is no longer the lesson's.
      view: the label of the page's tab that shows the lesson's claim (default: the first tab);
        choosing the lesson (its button or a `?scene=` link without `view=`) opens it.
    """

    key: str
    title: str
    page: str
    text: str
    look_for: str
    make_scene: Callable[[], Any]
    about: tuple[str, ...] | None = None
    view: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "page": self.page, "text": self.text,
                "look_for": self.look_for, "scene": self.make_scene().to_json()}


@dataclass(frozen=True)
class Page:
    """One page of the app, declared once.

    Args:
      key: registry key; lessons name their page by it; file names and CLI messages use it.
      title, icon: the navigation entry and the page's heading.
      short_title: the page's name in presenter mode's top bar (room for every page on one row).
      url_path: the page's URL path (`/trajectories`).
      script: the thin Streamlit script that draws it (`pages/trajectories.py`).
      summary: one line for the landing page.
      scene_type: its Scene class (`KIND` names it in scene files).
      compute: scene -> the page's data (its own result type), shared by the page, CLI and tests.
      figures: figure name -> description, main figure first.
      build_figure: (name, scene, data, presenter=..., **options) -> go.Figure.
      exportable: (scene, data) -> optviz.export.source.Exportable.
      subject: scene -> the word that names a file of it (the surface, the activation).
      views: the page's tabs.
      lessons: its lesson scenes, in teaching order.
      warmup_scenes: (quick) -> (name, scene) pairs whose compiled variants `warmup` prepares.
      state_key: session-state key of the page's scene; widget_prefix: its widgets' key prefix.
      key_controls: (widget label, URL key) of controls that change the main figure (browser
        tests, benchmarks and the load test move them).
      has_figure: (name, scene) -> whether the scene draws that figure (e.g. B's histograms only
        when comparing); every figure by default.
      lesson_about: the link keys that say what a lesson of this page is about (the surface and
        the optimizers; the networks' activations and inits): a student who changes those has
        left the lesson, one who moves a learning rate is still in it.
    """

    key: str
    title: str
    icon: str
    url_path: str
    script: str
    summary: str
    scene_type: type
    compute: Callable[[Any], Any]
    figures: Mapping[str, str]
    build_figure: Callable[..., go.Figure]
    exportable: Callable[[Any, Any], Any]
    subject: Callable[[Any], str]
    views: tuple[View, ...]
    lessons: tuple[Lesson, ...]
    warmup_scenes: Callable[[bool], Iterable[tuple[str, Any]]]
    state_key: str
    widget_prefix: str
    key_controls: tuple[tuple[str, str], ...] = ()
    has_figure: Callable[[str, Any], bool] = field(default=lambda name, scene: True)
    lesson_about: tuple[str, ...] = ()
    short_title: str = ""

    def __post_init__(self):
        if not self.figures:
            raise ValueError(f"page {self.key}: at least one figure")
        unknown = [name for view in self.views for name in view.figures if name not in self.figures]
        if unknown:
            raise ValueError(f"page {self.key}: views name unknown figures {unknown}")
        strays = [lesson.key for lesson in self.lessons if lesson.page != self.key]
        if strays:
            raise ValueError(f"page {self.key}: lessons {strays} belong to another page")
        labels = [view.label for view in self.views]
        lost = [lesson.key for lesson in self.lessons if lesson.view is not None and lesson.view not in labels]
        if lost:
            raise ValueError(f"page {self.key}: lessons {lost} name a view the page lacks ({', '.join(labels)})")

    @property
    def main_figure(self) -> str:
        """The first figure: what the page shows first and exports by default."""
        return next(iter(self.figures))

    @property
    def kind(self) -> str:
        """The `kind` of this page's scene files."""
        return self.scene_type.KIND

    def lesson_view(self, lesson: Lesson) -> str:
        """The label of the tab `lesson` opens: its own `view`, else the page's first."""
        return lesson.view if lesson.view is not None else self.views[0].label

    def figure_names(self, scene: Any) -> list[str]:
        """The figures `scene` draws."""
        return [name for name in self.figures if self.has_figure(name, scene)]
