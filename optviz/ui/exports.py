"""Download controls: a figure's export menu (formats and settings from optviz.export.source)
and the scene file (download the scene as JSON, upload one to restore it)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from optviz.page import Page
from optviz.ui.page import lazy_expander, request_scene


def menu_key(figure_name: str) -> str:
    """The session-state key of a figure's export menu: True while it is open."""
    return f"x.{figure_name}.open"


def export_menu(page: Page, source: Any, figure_name: str, subject: str) -> None:
    """A download control for one figure: format, size, scale and caption; the file is made on click.

    Formats and settings are EXPORT_PARAMS (the CLI's flags are the same); GIF and MP4 are offered
    for the figures the source can animate (`source.animated_figures`).
    """
    from optviz import export
    from optviz.export.source import (ANIMATED, DATA, EXPORT_PARAMS, FORMATS, SCALE_STOPS, STATIC, ExportRequest,
                                      file_name, render)

    spec = {p.name: p for p in EXPORT_PARAMS}
    key = f"x.{figure_name}"
    animated = source.animate is not None and figure_name in source.animated_figures
    formats = [f for f in FORMATS if animated or f not in ANIMATED]
    # Built only while open (opening it reruns the page): closed, the menu is one element on every
    # rerun instead of about nine (benchmarks/bench_browser.py).
    menu = st.popover("⬇ Export", help="Download this figure for slides, or its data", key=menu_key(figure_name),
                      on_change="rerun")
    if not menu.open:
        return
    with menu:
        fmt = st.selectbox(spec["format"].label, formats, format_func=spec["format"].choice_label, key=f"{key}.fmt")
        width, height = spec["width"].default, spec["height"].default
        if fmt not in DATA:
            left, right = st.columns(2)
            width = left.number_input(spec["width"].label, int(spec["width"].min), int(spec["width"].max), width,
                                      step=50, key=f"{key}.w", help=spec["width"].help)
            height = right.number_input(spec["height"].label, int(spec["height"].min), int(spec["height"].max), height,
                                        step=50, key=f"{key}.h", help=spec["height"].help)
        scale = 1.0
        if fmt == "png":
            scale = st.select_slider(spec["scale"].label, SCALE_STOPS, value=spec["scale"].default, key=f"{key}.scale",
                                     format_func=lambda s: f"{s:g}x", help=spec["scale"].help)
        caption = False
        if fmt not in (*DATA, *ANIMATED):
            caption = st.toggle(spec["caption"].label, value=spec["caption"].default, key=f"{key}.cap",
                                help=spec["caption"].help)
        if fmt in STATIC and not export.chromium_available():
            st.warning(export.INSTALL_HINT)
            return
        try:
            request = ExportRequest(fmt=fmt, width=int(width), height=int(height), scale=float(scale), caption=caption)
        except ValueError as error:  # e.g. a PNG over MAX_PNG_PIXELS
            st.warning(str(error))
            return
        name, mime = file_name(page.key, subject, figure_name, fmt), FORMATS[fmt][1]
        if fmt not in ANIMATED:  # made on click, in the download itself
            st.download_button(f"Download {fmt.upper()}", data=lambda: render(source, figure_name, request),
                               file_name=name, mime=mime, on_click="ignore", key=f"{key}.dl", icon="⬇️", type="primary")
            return
        # An animation takes seconds and can fail (no ffmpeg, a size past the bound): it is made in
        # the page's run, with a spinner, so that a failure is said here, not only in the server log.
        if st.button(f"Make the {fmt.upper()}", key=f"{key}.make", icon="🎞️", help="Renders the animation (seconds)"):
            try:
                with st.spinner(f"Making the {fmt.upper()}…"):
                    data = render(source, figure_name, request)
            except (export.ExportUnavailable, ValueError, OSError) as error:
                st.error(f"The {fmt.upper()} could not be made: {error}")
                return
            st.download_button(f"Download {fmt.upper()}", data=data, file_name=name, mime=mime, on_click="ignore",
                               key=f"{key}.dl", icon="⬇️", type="primary")


def scene_file_controls(page: Page, scene: Any) -> None:
    """Download the current scene as JSON; upload one to restore it (validated like a link)."""
    state = page.state_key
    expander, is_open = lazy_expander("Scene file", f"{state}.file_open")
    if not is_open:
        return
    with expander:
        st.download_button("Download scene (JSON)", scene.dumps(), file_name=f"optviz-scene-{page.subject(scene)}.json",
                           mime="application/json", on_click="ignore", key=f"{state}.scene_dl")
        uploaded = st.file_uploader("Load a scene file", type=["json"], key=f"{state}.scene_ul")
        if uploaded is not None:
            token = (uploaded.name, uploaded.size, getattr(uploaded, "file_id", ""))
            if st.session_state.get(f"{state}.scene_token") != token:
                st.session_state[f"{state}.scene_token"] = token
                new_scene, notices = page.scene_type.read(uploaded.getvalue())
                if new_scene is None:  # no scene at all: keep the one shown, say why
                    new_scene, notices = scene, [f"{notices[0]}; the scene is unchanged"]
                request_scene(state, new_scene, notices)
