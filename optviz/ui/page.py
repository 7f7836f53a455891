"""The page helper every page shares: routing, the scene's lifecycle (link, lesson, click, upload
-> scene -> link), presenter mode, lessons, notices, charts and view tabs.

A page's state is a scene value kept in `st.session_state[page.state_key]`. Widgets are keyed
`{page.widget_prefix}{param.name}`; a scene is loaded into them by writing their session-state
keys before they render (a link on a page's first run, lesson buttons, uploads and clicks go
through `request_scene`, applied at the top of the next run). Everything page-specific comes
from the page's `optviz.page.Page` declaration and its controls module.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import streamlit as st

from optviz.page import Page
from optviz.params import parse_bool, shown
from optviz.scenes import VIEW_ONLY_KEYS


def navigation() -> None:
    """Route to the landing page or to a page of optviz.pages.PAGES (app.py calls only this)."""
    from optviz.pages import PAGES

    pages = [st.Page("pages/home.py", title="Home", icon="🏠", default=True)]
    pages += [st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path) for p in PAGES.values()]
    st.navigation(pages).run()


# -- scene lifecycle -----------------------------------------------------------------------------

PENDING = "_pending_scene"
PENDING_VIEW = "_pending_view"



def request_scene(page_key: str, scene: Any, notices: Sequence[str] = ()) -> None:
    """Ask for `scene` to be shown on the next run (from a button, upload or click), then rerun."""
    st.session_state[PENDING + page_key] = (scene, list(notices))
    st.rerun()


def incoming_scene(page_key: str, from_query: Callable[[Mapping[str, Any]], tuple[Any, list[str]]],
                   default: Callable[[], Any], widget_key: str) -> tuple[Any, list[str], bool]:
    """(scene, notices, load): the scene to show this run and whether widgets must be (re)loaded.

    A pending scene (button, upload, click) wins. Otherwise the URL is read when it holds a
    scene this page did not write itself (a shared link, a lesson link from another page);
    an empty URL (e.g. after switching pages) keeps the scene this session last showed.
    `widget_key` is one of the page's widget keys: Streamlit drops widget state when the page is
    left, so its absence means the widgets must be reloaded from the stored scene.
    """
    pending = st.session_state.pop(PENDING + page_key, None)
    if pending is not None:
        return pending[0], pending[1], True
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in VIEW_ONLY_KEYS}
    published = st.session_state.get(page_key + ".published")
    if query and query != published:
        scene, notices = from_query(query)
        return scene, notices, True
    if page_key in st.session_state:
        return st.session_state[page_key], [], widget_key not in st.session_state
    return default(), [], True


def publish_scene(page_key: str, scene: Any, query: Mapping[str, str], presenter: bool) -> None:
    """Remember the scene for this session and write it into the URL (the share link)."""
    st.session_state[page_key] = scene
    # Compared with the URL in incoming_scene, so it leaves out the same view-only keys.
    st.session_state[page_key + ".published"] = {k: v for k, v in query.items() if k not in VIEW_ONLY_KEYS}
    wanted = dict(query)
    if presenter:
        wanted["presenter"] = "1"
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def presenter_toggle(container: Any = None) -> bool:
    """The presenter-mode switch (kept in the URL as presenter=1 and across pages)."""
    if "presenter" not in st.session_state:
        st.session_state["presenter"] = parse_bool(st.query_params.get("presenter", False)) is True
    st.session_state["presenter"] = st.session_state["presenter"]  # keep the value when switching pages
    return (container or st).toggle("Presenter mode", key="presenter",
                                    help="Large fonts and thick lines for the projector; controls move into a menu.")


# The page's look: little space above the content, a compact title, and in presenter mode
# larger text and no sidebar (its navigation and controls move into the top bar), so that the
# main figure is on the first screen of a 1280x720 projector (tests/test_browser.py checks it).
_CSS = (".block-container{padding-top:2.6rem;padding-bottom:2rem}"
        " [data-testid=stMain] h1{font-size:2rem;padding:0 0 0.2rem 0}"
        " [data-testid=stMain] [data-testid=stAlert] p{margin-bottom:0.2rem}"
        " [data-testid=stMain] [data-testid=stAlertContainer]{padding:0.55rem 0.9rem}"
        " .st-key-ov-topbar [data-testid=stPageLink] a{padding:0.2rem 0.5rem}")
_PRESENTER_CSS = (".block-container{padding-top:2.4rem;max-width:100%}"
                  " [data-testid=stMain] h1, [data-testid=stMain] h1 span{font-size:1.45rem !important;padding:0}"
                  " .st-key-ov-topbar [data-testid=stPageLink] p{font-size:1.05rem}"
                  " [data-testid=stMarkdownContainer] p{font-size:1.3rem}"
                  " [data-testid=stMain] [data-testid=stAlert] p{font-size:1.12rem}"
                  " [data-testid=stMain] [data-testid=stCaptionContainer]{font-size:1.05rem}"
                  " .st-key-descriptions [data-testid=stMarkdownContainer] p{font-size:1.05rem;margin-bottom:0}"
                  " section[data-testid=stSidebar], [data-testid=stSidebarCollapsedControl]{display:none}")


def apply_page_css(presenter: bool) -> None:
    """The page's CSS (see _CSS), for the screen or the projector."""
    st.html(f"<style>{_CSS}{_PRESENTER_CSS if presenter else ''}</style>")


def top_bar(page: Page) -> tuple[bool, Any]:
    """The presenter switch, the controls' container and, in presenter mode, the page navigation.

    Returns (presenter, box): in presenter mode the sidebar is hidden, so the switch, a "⚙ Controls"
    menu and a link to every page sit in one row at the top; otherwise the switch and the controls
    are in the sidebar, under its navigation.
    """
    from optviz.pages import PAGES

    if "presenter" not in st.session_state:
        st.session_state["presenter"] = parse_bool(st.query_params.get("presenter", False)) is True
    if not st.session_state["presenter"]:
        presenter = presenter_toggle(st.sidebar)
        apply_page_css(False)
        return presenter, st.sidebar
    bar = st.container(key="ov-topbar", horizontal=True, vertical_alignment="center", gap="small")
    presenter = presenter_toggle(bar)
    apply_page_css(True)
    box = bar.popover("⚙ Controls")
    bar.page_link("pages/home.py", label="Home", icon="🏠")
    for other in PAGES.values():
        if other.key == page.key:  # the page's own title, in the bar: the figure needs the height
            bar.markdown(f"# {other.icon} {other.title}")
        else:
            bar.page_link(other.script, label=other.short_title or other.title, icon=other.icon, help=other.title)
    return presenter, box


def page_title(page: Page, subtitle: str = "") -> None:
    """The page's title (compact) and one line under it; in presenter mode the title is in the top
    bar (see top_bar), so only the line is shown, and not under a lesson."""
    presenter = st.session_state.get("presenter")
    if not presenter:
        st.title(page.title, anchor=False)
    if subtitle and not (presenter and active_lesson(page)):  # on the projector the lesson's box says more
        st.caption(subtitle)


MAX_NOTICES = 8
"""Most notices shown at once; the rest are counted (30,000 duplicate optimizers give one line)."""
MAX_NOTICE_CHARACTERS = 300


def escape_markdown(text: str) -> str:
    """`text` shown as written: every ASCII punctuation character backslash-escaped, so a value
    from a link or a file cannot become a link, an image or a styled text; and a zero-width space
    inside "://", "www." and "@", which GitHub-flavoured markdown would auto-link even escaped."""
    return _AUTOLINK.sub(lambda m: m.group(1) + "\u200b", _MARKDOWN_SYNTAX.sub(r"\\\1", text))


_MARKDOWN_SYNTAX = re.compile(r"([!-/:-@\[-`{-~])")
_AUTOLINK = re.compile(r"(\\:|www|\\@)", re.IGNORECASE)


def show_notices(notices: Sequence[str]) -> None:
    """Visible, non-fatal messages about clamped or dropped values: escaped (they repeat outside
    values), at most MAX_NOTICES, each cut to MAX_NOTICE_CHARACTERS, saying how much was left out."""
    if not notices:
        return
    lines = []
    for notice in notices[:MAX_NOTICES]:
        cut = notice if len(notice) <= MAX_NOTICE_CHARACTERS else notice[:MAX_NOTICE_CHARACTERS] + f"… ({len(notice):,} characters)"
        lines.append(f"- {escape_markdown(cut)}")
    if len(notices) > MAX_NOTICES:
        lines.append(f"- … and {len(notices) - MAX_NOTICES:,} more")
    st.warning("Some settings were adjusted:\n\n" + "\n".join(lines), icon="⚠️")


PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}, "scrollZoom": False}


def chart(fig, key: str, **kwargs) -> Any:
    """st.plotly_chart with the optviz config; theme=None so the screen matches the exports."""
    return st.plotly_chart(fig, theme=None, key=key, config=PLOTLY_CONFIG, width="stretch", **kwargs)


def selected_point(event: Any) -> tuple[float, float] | None:
    """The (x, y) of the first selected point of a plotly selection event, if any."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    if not points:
        return None
    x, y = points[0].get("x"), points[0].get("y")
    if x is None or y is None or not (np.isfinite(x) and np.isfinite(y)):
        return None
    return float(x), float(y)




# -- lessons and views ---------------------------------------------------------------------------


def lazy_expander(label: str, key: str, *, expanded: bool = False, container=None) -> tuple[Any, bool]:
    """An expander whose content the page builds only while it is open; returns (expander, open).

    Opening or closing it reruns the page. Closed content is not sent at all: every element
    costs the browser time on every rerun, so a page with fewer of them answers a slider sooner.
    Values behind a closed expander live on in the scene (the widgets are rebuilt from it).
    """
    expander = (container or st).expander(label, expanded=expanded, key=key, on_change="rerun")
    return expander, bool(expander.open)


def lesson_picker(page: Page, container=None) -> None:
    """Buttons that load each lesson scene of this page with one click."""
    box = container or st.sidebar
    expander, is_open = lazy_expander("📚 Lesson scenes", f"{page.state_key}.lessons_open", container=box)
    if not is_open:
        return
    with expander:
        for lesson in page.lessons:
            if st.button(lesson.title, key=f"lesson.{lesson.key}", width="stretch", help=lesson.text):
                st.session_state[page.state_key + ".lesson"] = lesson.key
                st.session_state[PENDING_VIEW + page.state_key] = page.lesson_view(lesson)  # its tab opens
                request_scene(page.state_key, lesson.make_scene())


def active_lesson(page: Page) -> Any:
    """The lesson this page shows (chosen by a button or a lesson link), or None."""
    key = st.session_state.get(page.state_key + ".lesson")
    return next((lesson for lesson in page.lessons if lesson.key == key), None)


def lesson_banner(page: Page, scene: Any) -> None:
    """The active lesson's title, text and what to look at, compact, above the figure.

    It stays while the student explores what the lesson invites (a learning rate, a start): then
    it says that the scene was changed and offers the lesson's own scene back. A change of what
    the lesson is about (the surface, the optimizers) ends the lesson (see scene_page).
    """
    lesson = active_lesson(page)
    if lesson is None:
        return
    lesson_scene = lesson.make_scene()
    text = f"**{lesson.title}.** {lesson.text} 👀 *{lesson.look_for}*"
    if scene.to_query() == lesson_scene.to_query():
        st.info(text, icon="📚")
        return
    left, right = st.columns([6, 1], vertical_alignment="center")
    left.info(text + "\n\n✏️ *You changed the lesson's scene: the text describes the lesson's own settings.*", icon="📚")
    if right.button("↺ Lesson", key=f"{page.state_key}.lesson_reset", help="Back to the lesson's own scene",
                    width="stretch"):
        request_scene(page.state_key, lesson_scene)


def view_of(labels: Sequence[str], wanted: str) -> tuple[str | None, str | None]:
    """(tab label, notice) for a link's `view` (a 1-based index or a tab's label); an unknown value
    gives (None, a notice). Never raises: `int()` refuses "²" and numbers of 4301 digits."""
    text = str(wanted).strip()
    if text in labels:
        return text, None
    if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= len(labels):
        return labels[int(text) - 1], None
    return None, (f"link: view={shown(wanted)} is not a view of this page (1 to {len(labels)}: "
                  f"{', '.join(labels)}); showing {labels[0]}")


def init_view(labels: Sequence[str], key: str, load: bool, lesson_view: str | None = None) -> str | None:
    """Select the tab to show when a scene is loaded: `lesson_view` (the tab of a lesson just chosen
    by its button, or by a link without `view`), else the one the URL's `view` names; returns a
    notice for an unknown one. Call before `publish_scene`, which rewrites the URL."""
    notice = None
    if lesson_view in labels:
        st.session_state[key] = lesson_view
    elif load:
        wanted = st.query_params.get("view")
        if wanted is not None:
            chosen, notice = view_of(labels, wanted)
            if chosen is not None:
                st.session_state[key] = chosen
    if st.session_state.get(key) not in labels:
        st.session_state[key] = labels[0]
    return notice


def view_tabs(labels: Sequence[str], key: str) -> list:
    """Tabs that render only the open one (a rerun builds one view, not all); see init_view."""
    return st.tabs(list(labels), key=key, on_change="rerun")


def view_query(labels: Sequence[str], key: str) -> dict[str, str]:
    """The `view` URL entry for the open tab (omitted for the first, default tab)."""
    current = st.session_state.get(key, labels[0])
    return {} if current == labels[0] or current not in labels else {"view": str(list(labels).index(current) + 1)}




def scene_page(page: Page, controls: ModuleType) -> tuple[Any, list[str], bool, bool]:
    """The shared top of a scene page: read the link or pending scene, presenter mode, lesson
    picker, the controls, and the share link. Returns (scene, notices, load, presenter).

    Args:
      page: the page's declaration (optviz.pages.PAGES).
      controls: its controls module: `load(scene)` writes a scene into the widget state,
        `controls(scene, container) -> scene` renders the widgets, `WIDGET_KEY` is one of their
        keys (see incoming_scene).
    """
    from optviz.pages import lesson_applies, lesson_aware

    lesson_key = page.state_key + ".lesson"
    labels, view_key = [view.label for view in page.views], page.widget_prefix + "view"
    chosen = PENDING + page.state_key in st.session_state  # a button, upload or click, not the URL
    lesson_view = st.session_state.pop(PENDING_VIEW + page.state_key, None)
    scene, notices, load = incoming_scene(page.state_key, lesson_aware(page.scene_type.from_query, page.key),
                                          page.scene_type, controls.WIDGET_KEY)
    if load:
        controls.load(scene)
    if load and not chosen:  # a link (or a return to the page): its `scene=` names the lesson
        wanted = st.query_params.get("scene")
        linked = next((lesson for lesson in page.lessons if lesson.key == wanted), None)
        if linked is not None:
            st.session_state[lesson_key] = wanted
            if "view" not in st.query_params and wanted != st.session_state.get(page.state_key + ".linked"):
                lesson_view = page.lesson_view(linked)  # a lesson link opens the lesson's tab
            st.session_state[page.state_key + ".linked"] = wanted
    presenter, box = top_bar(page)
    lesson_picker(page, box)
    scene = controls.controls(scene, box)
    lesson = active_lesson(page)
    if lesson is not None and not lesson_applies(lesson, scene.to_query()):
        st.session_state.pop(lesson_key, None)  # another surface or other optimizers: free play
    query = scene.to_query() | ({"scene": st.session_state[lesson_key]} if st.session_state.get(lesson_key) else {})
    notice = init_view(labels, view_key, load, lesson_view)
    notices = notices + [notice] if notice else notices
    publish_scene(page.state_key, scene, query | view_query(labels, view_key), presenter)
    return scene, notices, load, presenter


def draw_views(page: Page, scene: Any, draw_figure: Callable[[str], None]) -> None:
    """The page's view tabs; only the open one is built and sent.

    Each view shows its caption and its figures side by side, one `draw_figure(name)` each (the
    figures `scene` has).
    """
    # A view with no figure for this scene (the decision boundary of the digits) is not offered.
    views = [view for view in page.views if any(page.has_figure(name, scene) for name in view.figures)]
    labels, key = [view.label for view in views], page.widget_prefix + "view"
    if st.session_state.get(key) not in labels:  # e.g. the boundary was open and the digits came
        st.session_state[key] = labels[0]
    tabs = view_tabs(labels, key)
    for tab, view in zip(tabs, views):
        if not tab.open:
            continue
        with tab:
            if view.caption:
                st.caption(view.caption)
            names = [name for name in view.figures if page.has_figure(name, scene)]
            # At most two side by side (A | B): four figures of a compared view make two rows.
            for row in range(0, len(names), 2):
                pair = names[row:row + 2]
                for column, name in zip(st.columns(len(pair)), pair):
                    with column:
                        draw_figure(name)
