"""Widgets generated from Param specs: one Param, one widget, keyed `{prefix}{param.name}`.

A scene is loaded into the widgets by writing their session-state keys before they render
(`set_widget_value`, `load_into_widgets`); `param_widget` draws one and returns its value.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

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


def _log_options(param: Param, value: float) -> list[float]:
    """The log slider's stops with `value` among them, so the slider shows a typed 1.9 as 1.9, not
    as the nearest stop (2 would read as past the stability limit of a ravine)."""
    return sorted({*log_grid(param), float(value)})


def _linear_step(param: Param) -> float:
    span = param.max - param.min
    return 10 ** math.floor(math.log10(span)) / 1000 if span > 0 else 1.0


def set_widget_value(param: Param, key: str, value: Any) -> None:
    """Write `value` into the widget state of `param` (before the widget renders)."""
    if param.kind == "float" and param.log:  # the slider shows the exact value (see _log_options)
        st.session_state[key + TYPED] = float(value)
        st.session_state[key] = float(value)
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
        def slid():
            st.session_state[key + TYPED] = float(st.session_state[key])

        def typed():
            st.session_state[key] = float(st.session_state[key + TYPED])

        if st.session_state.get(key) != st.session_state[key + TYPED]:  # e.g. a value typed before this run
            st.session_state[key] = float(st.session_state[key + TYPED])
        left, right = box.columns([3, 2], vertical_alignment="bottom")
        left.select_slider(label, options=_log_options(param, st.session_state[key]), key=key, help=help_text,
                           on_change=slid, format_func=lambda v: f"{v:g}")
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


