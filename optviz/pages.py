"""PAGES: every page of optviz, one line each; and LESSONS, every page's lesson scenes.

app.py's navigation, the landing page, the CLI (`list`, `export`), `warmup` and the tests
iterate over these. Adding a page is one package (scene, compute, figures, controls, lessons,
page) plus one line here plus its tests.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from optviz.layers.page import PAGE as LAYERS
from optviz.page import Lesson, Page
from optviz.params import shown
from optviz.scenes import flat_query
from optviz.trajectories.page import PAGE as TRAJECTORIES
from optviz.training.page import PAGE as TRAINING

PAGES: dict[str, Page] = {page.key: page for page in (TRAJECTORIES, LAYERS, TRAINING)}

LESSONS: dict[str, Lesson] = {lesson.key: lesson for page in PAGES.values() for lesson in page.lessons}


def page_of_kind(kind: Any) -> Page | None:
    """The page whose scene files have this `kind` ("trajectory", "layers"), or None."""
    return next((page for page in PAGES.values() if page.kind == kind), None)


def resolve_lesson(name: str) -> Lesson:
    """The lesson named `name`; ValueError listing the valid names otherwise."""
    try:
        return LESSONS[name]
    except KeyError:
        raise ValueError(f"unknown scene {name!r}; choose one of: {', '.join(LESSONS)}") from None


def lesson_applies(lesson: Lesson, query: Mapping[str, Any]) -> bool:
    """Whether a scene's link still shows what `lesson` is about: its `about` keys (by default its
    page's `lesson_about`) have the lesson's own values."""
    about = lesson.about if lesson.about is not None else PAGES[lesson.page].lesson_about
    own, given = lesson.make_scene().to_query(), flat_query(query)
    return all(given.get(key) == own.get(key) for key in about)


def lesson_aware(from_query: Callable[[Mapping[str, Any]], tuple[Any, list[str]]],
                 page: str) -> Callable[[Mapping[str, Any]], tuple[Any, list[str]]]:
    """Wrap a page's from_query so `?scene=KEY` loads that lesson (other parameters override it).

    A link whose own keys change what the lesson is about (`lesson_applies`: another surface or
    other optimizers) is read without the lesson: its scene is the link's alone.
    """

    def read(query: Mapping[str, Any]) -> tuple[Any, list[str]]:
        key = flat_query(query).get("scene")
        if key is None:
            return from_query(query)
        if key not in LESSONS or LESSONS[key].page != page:
            known = ", ".join(k for k, lesson in LESSONS.items() if lesson.page == page)
            scene, notices = from_query(query)
            return scene, [f"link: unknown scene {shown(key)} for this page ignored (known: {known})"] + notices
        lesson_query = LESSONS[key].make_scene().to_query()
        user = {k: v for k, v in query.items() if k != "scene"}
        merged = {**lesson_query, **user}
        if not lesson_applies(LESSONS[key], merged):
            return from_query(user)
        scene, notices = from_query(merged)
        # The link's own keys may make some of the lesson's irrelevant (opt=adam drops the lesson's
        # sgd.*, compare=false its b.*): those go silently, a notice would blame the link for them.
        groups: dict[str, list[str]] = {}
        for name in lesson_query:
            if name not in user:
                groups.setdefault(name.split(".")[0], []).append(name)
        for names in groups.values():
            if not notices:
                break
            trial = {k: v for k, v in merged.items() if k not in names}
            trial_scene, trial_notices = from_query(trial)
            if trial_scene == scene and len(trial_notices) < len(notices):
                merged, notices = trial, trial_notices
        return scene, notices

    return read
