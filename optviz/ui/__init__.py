"""The only streamlit-importing module of the library: widgets generated from Param specs,
scene <-> URL sync, and the small page helpers every page shares.

A page's state is a scene value kept in `st.session_state[page_key]`. Widgets are keyed
`{prefix}{param.name}`; a scene is loaded into them by writing their session-state keys before
they render (URL on a page's first run, lesson buttons, uploads, clicks go through
`request_scene`, applied at the top of the next run).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import streamlit as st

from optviz.params import Param

_LOG_MANTISSAS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
TYPED = "#typed"  # suffix of the number box paired with a log slider


def log_grid(param: Param) -> list[float]:
    """Slider stops of a log-scale Param: 12 per decade (1, 1.2, 1.5, 2, 2.5, 3, 4, ..., 9), bounds included."""
    stops = {float(param.min), float(param.max)}
    for exponent in range(math.floor(math.log10(param.min)), math.ceil(math.log10(param.max)) + 1):
        for mantissa in _LOG_MANTISSAS:
            value = float(f"{mantissa}e{exponent}")
            if param.min <= value <= param.max:
                stops.add(value)
    return sorted(stops)


def _nearest(grid: Sequence[float], value: float) -> float:
    return min(grid, key=lambda g: abs(math.log10(g) - math.log10(max(value, 1e-300))))


def _linear_step(param: Param) -> float:
    span = param.max - param.min
    return 10 ** math.floor(math.log10(span)) / 1000 if span > 0 else 1.0


def set_widget_value(param: Param, key: str, value: Any) -> None:
    """Write `value` into the widget state of `param` (before the widget renders)."""
    if param.kind == "float" and param.log:
        st.session_state[key + TYPED] = float(value)
        st.session_state[key] = _nearest(log_grid(param), float(value))
    elif param.kind == "float":
        st.session_state[key] = float(value)
    elif param.kind == "int":
        st.session_state[key] = int(value)
    else:
        st.session_state[key] = value


def _ensure(param: Param, key: str, fallback: Any) -> None:
    probe = key + TYPED if param.kind == "float" and param.log else key
    if probe not in st.session_state:
        set_widget_value(param, key, fallback)


def param_widget(param: Param, key: str, fallback: Any, container=None) -> Any:
    """Render the widget for `param` (value from session state, else `fallback`) and return its value.

    float+log: a select-slider over a log grid plus a number box for an exact typed value;
    float: a slider; int: a slider (a number box for huge ranges such as seeds); bool: a toggle;
    choice: a selectbox.
    """
    box = container or st
    _ensure(param, key, fallback)
    label = param.label + (f" ({param.unit})" if param.unit else "")
    help_text = param.help or None
    if param.kind == "choice":
        return box.selectbox(label, param.choices, key=key, help=help_text, format_func=param.choice_label)
    if param.kind == "bool":
        return box.toggle(label, key=key, help=help_text)
    if param.kind == "int":
        if param.max - param.min > 10000:
            return int(box.number_input(label, min_value=int(param.min), max_value=int(param.max), step=1, key=key, help=help_text))
        return int(box.slider(label, min_value=int(param.min), max_value=int(param.max), step=1, key=key, help=help_text))
    if param.log:
        grid = log_grid(param)

        def slid():
            st.session_state[key + TYPED] = float(st.session_state[key])

        def typed():
            st.session_state[key] = _nearest(grid, float(st.session_state[key + TYPED]))

        left, right = box.columns([3, 2], vertical_alignment="bottom")
        left.select_slider(label, options=grid, key=key, help=help_text, on_change=slid, format_func=lambda v: f"{v:g}")
        right.number_input(f"{param.label} value", min_value=float(param.min), max_value=float(param.max),
                           key=key + TYPED, on_change=typed, format="%.6g", step=None, label_visibility="collapsed",
                           help=f"Type an exact value ({param.min:g} to {param.max:g}).")
        return float(st.session_state[key + TYPED])
    return float(box.slider(label, min_value=float(param.min), max_value=float(param.max), step=_linear_step(param),
                            key=key, help=help_text, format="%g"))


def param_widgets(params: Sequence[Param], prefix: str, current: Mapping[str, Any], container=None) -> dict[str, Any]:
    """Widgets for a list of Params; returns {name: value}."""
    return {p.name: param_widget(p, prefix + p.name, current.get(p.name, p.default), container) for p in params}


def load_into_widgets(params: Sequence[Param], prefix: str, values: Mapping[str, Any]) -> None:
    for p in params:
        if p.name in values:
            set_widget_value(p, prefix + p.name, values[p.name])


# -- scene lifecycle -----------------------------------------------------------------------------

PENDING = "_pending_scene"
VIEW_ONLY_KEYS = ("presenter", "view")  # URL keys that change how, not what, a page shows


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


def presenter_toggle() -> bool:
    """The presenter-mode switch (kept in the URL as presenter=1 and across pages)."""
    if "presenter" not in st.session_state:
        st.session_state["presenter"] = st.query_params.get("presenter") in ("1", "true")
    st.session_state["presenter"] = st.session_state["presenter"]  # keep the value when switching pages
    return st.toggle("Presenter mode", key="presenter", help="Large fonts and thick lines for the projector; controls move into a menu.")


def apply_presenter_css(presenter: bool) -> None:
    if presenter:
        # The sidebar (navigation, controls) is hidden: the controls live in the page's menu.
        st.html("<style>.block-container{padding-top:1.2rem;max-width:100%} h1, h1 span{font-size:3.4rem !important}"
                " [data-testid=stMarkdownContainer] p{font-size:1.3rem}"
                " section[data-testid=stSidebar], [data-testid=stSidebarCollapsedControl]{display:none}</style>")


def show_notices(notices: Sequence[str]) -> None:
    """Visible, non-fatal messages about clamped or dropped values."""
    if notices:
        st.warning("Some settings were adjusted:\n\n" + "\n".join(f"- {n}" for n in notices), icon="⚠️")


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


# -- exports, scene files, lessons ---------------------------------------------------------------

_FORMAT_LABELS = {"png": "PNG image", "svg": "SVG (vector)", "pdf": "PDF (vector)", "html": "HTML, offline (plotly.js inside)",
                  "html-light": "HTML, light (loads plotly.js online)", "csv": "CSV data", "json": "JSON data",
                  "gif": "GIF animation", "mp4": "MP4 video"}


def export_menu(source, figure_name: str, page: str, subject: str, key: str) -> None:
    """A download control for one figure: format, size, scale and caption; the file is made on click.

    GIF and MP4 are offered for the figures the source can animate (`source.animated_figures`).
    """
    from optviz import export
    from optviz.export.source import ANIMATED, FORMATS, STATIC, ExportRequest, file_name, render

    animated = source.animate is not None and figure_name in source.animated_figures
    formats = [f for f in FORMATS if animated or f not in ANIMATED]
    with st.popover("⬇ Export", help="Download this figure for slides, or its data"):
        fmt = st.selectbox("Format", formats, format_func=_FORMAT_LABELS.get, key=f"{key}.fmt")
        if fmt not in ("csv", "json"):
            left, right = st.columns(2)
            width = left.number_input("Width (px)", 100, 4000, 1200, step=50, key=f"{key}.w")
            height = right.number_input("Height (px)", 100, 4000, 800, step=50, key=f"{key}.h")
        else:
            width, height = 1200, 800
        scale = st.select_slider("Scale", [1.0, 2.0, 3.0, 4.0], value=2.0, key=f"{key}.scale",
                                 format_func=lambda s: f"{s:g}x") if fmt == "png" else 1.0
        caption = st.toggle("Caption with the settings", value=True, key=f"{key}.cap") if fmt not in ("csv", "json", *ANIMATED) else False
        if fmt in STATIC and not export.chromium_available():
            st.warning(export.INSTALL_HINT)
            return
        try:
            request = ExportRequest(fmt=fmt, width=int(width), height=int(height), scale=float(scale), caption=caption)
        except ValueError as error:  # e.g. a PNG over MAX_PNG_PIXELS
            st.warning(str(error))
            return
        st.download_button(f"Download {fmt.upper()}", data=lambda: render(source, figure_name, request),
                           file_name=file_name(page, subject, figure_name, fmt), mime=FORMATS[fmt][1],
                           on_click="ignore", key=f"{key}.dl", icon="⬇️", type="primary")


def scene_file_controls(page_key: str, scene: Any, loads: Callable[[bytes], tuple[Any, list[str]]], subject: str) -> None:
    """Download the current scene as JSON; upload one to restore it (validated like a link)."""
    expander, is_open = lazy_expander("Scene file", f"{page_key}.file_open")
    if not is_open:
        return
    with expander:
        st.download_button("Download scene (JSON)", scene.dumps(), file_name=f"optviz-scene-{subject}.json",
                           mime="application/json", on_click="ignore", key=f"{page_key}.scene_dl")
        uploaded = st.file_uploader("Load a scene file", type=["json"], key=f"{page_key}.scene_ul")
        if uploaded is not None:
            token = (uploaded.name, uploaded.size, getattr(uploaded, "file_id", ""))
            if st.session_state.get(f"{page_key}.scene_token") != token:
                st.session_state[f"{page_key}.scene_token"] = token
                new_scene, notices = loads(uploaded.getvalue())
                request_scene(page_key, new_scene, notices)


def lazy_expander(label: str, key: str, *, expanded: bool = False, container=None) -> tuple[Any, bool]:
    """An expander whose content the page builds only while it is open; returns (expander, open).

    Opening or closing it reruns the page. Closed content is not sent at all: every element
    costs the browser time on every rerun, so a page with fewer of them answers a slider sooner.
    Values behind a closed expander live on in the scene (the widgets are rebuilt from it).
    """
    expander = (container or st).expander(label, expanded=expanded, key=key, on_change="rerun")
    return expander, bool(expander.open)


def lesson_picker(page: str, page_key: str, lessons: Mapping[str, Any], container=None) -> None:
    """Buttons that load each lesson scene of this page with one click."""
    box = container or st.sidebar
    mine = [lesson for lesson in lessons.values() if lesson.page == page]
    expander, is_open = lazy_expander("📚 Lesson scenes", f"{page_key}.lessons_open", container=box)
    if not is_open:
        return
    with expander:
        for lesson in mine:
            if st.button(lesson.title, key=f"lesson.{lesson.key}", width="stretch", help=lesson.text):
                st.session_state[page_key + ".lesson"] = lesson.key
                request_scene(page_key, lesson.make_scene())


def lesson_banner(lessons: Mapping[str, Any], page: str, page_key: str) -> None:
    """The active lesson's title, text and what to look at (until the user changes the scene)."""
    key = st.session_state.get(page_key + ".lesson")
    lesson = lessons.get(key) if key else None
    if lesson is not None and lesson.page == page:
        st.info(f"**{lesson.title}.** {lesson.text}\n\n👀 *{lesson.look_for}*", icon="📚")


def init_view(labels: Sequence[str], key: str, load: bool) -> None:
    """Select the tab named by the URL's `view` (1-based index or label) when a scene is loaded.

    Call before `publish_scene`, which rewrites the URL.
    """
    if load:
        wanted = st.query_params.get("view")
        if wanted is not None:
            # str.isdigit is also true for "²", which int() refuses: test the ASCII digits only
            index = int(wanted) if wanted.isascii() and wanted.isdigit() else 0
            chosen = labels[index - 1] if 1 <= index <= len(labels) else wanted
            if chosen in labels:
                st.session_state[key] = chosen
    if st.session_state.get(key) not in labels:
        st.session_state[key] = labels[0]


def view_tabs(labels: Sequence[str], key: str) -> list:
    """Tabs that render only the open one (a rerun builds one view, not all); see init_view."""
    return st.tabs(list(labels), key=key, on_change="rerun")


def view_query(labels: Sequence[str], key: str) -> dict[str, str]:
    """The `view` URL entry for the open tab (omitted for the first, default tab)."""
    current = st.session_state.get(key, labels[0])
    return {} if current == labels[0] or current not in labels else {"view": str(list(labels).index(current) + 1)}


def scene_page(page: str, page_key: str, scene_type: Any, load_widgets: Callable[[Any], None],
               controls: Callable[[Any, Any], Any], widget_key: str, views: Sequence[str], view_key: str):
    """The shared top of a scene page: read the link or pending scene, presenter mode, lesson
    picker, the controls, and the share link. Returns (scene, notices, load, presenter).

    Args:
      page: lesson page name ("trajectories", "layers").
      page_key: session-state key of the page's scene.
      scene_type: the scene class (from_query, default constructor, to_query).
      load_widgets: writes a scene into the widget state.
      controls: (scene, container) -> scene, renders the widgets.
      widget_key: one of the page's widget keys (see incoming_scene).
      views, view_key: the page's tabs and their state key.
    """
    from optviz.lessons import LESSONS, lesson_aware

    lesson_key = page_key + ".lesson"
    scene, notices, load = incoming_scene(page_key, lesson_aware(scene_type.from_query, page), scene_type, widget_key)
    if load:
        load_widgets(scene)
        wanted = st.query_params.get("scene")
        if wanted in LESSONS and LESSONS[wanted].page == page:
            st.session_state[lesson_key] = wanted
    presenter = presenter_toggle()
    apply_presenter_css(presenter)
    box = st.popover("⚙ Controls") if presenter else st.sidebar
    lesson_picker(page, page_key, LESSONS, box)
    previous = scene
    scene = controls(scene, box)
    if scene != previous and not load:
        st.session_state.pop(lesson_key, None)  # the user changed the lesson's scene: free play
    query = scene.to_query() | ({"scene": st.session_state[lesson_key]} if st.session_state.get(lesson_key) else {})
    init_view(views, view_key, load)
    publish_scene(page_key, scene, query | view_query(views, view_key), presenter)
    return scene, notices, load, presenter
