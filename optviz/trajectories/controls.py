"""Controls of the trajectory page, generated from the registries (streamlit; see optviz.ui).

The custom surface adds a text box for f(x, y) and four number boxes for its domain. What cannot
be used is said under them (the message names the column and the problem) while the page keeps
drawing the last expression and domain that could."""

from __future__ import annotations

import streamlit as st

from optviz.expression import MAX_DOMAIN, MAX_LENGTH, SYNTAX_HELP, ExpressionError, parse_domain, parse_expression
from optviz.optimizers import OPTIMIZERS
from optviz.trajectories.scene import (MAP_VIEW_PARAMS, axis_defaults, default_map, numeric_params, optimizer_of as _key_of,
                                      MAX_OPTIMIZERS, SCHEDULE_PARAM, SURFACE_PARAM, TrajectoryScene, next_instance,
                                      optimizer_of, start_hparams)
from optviz.schedules import SCHEDULES
from optviz.surfaces import CUSTOM, DEFAULT_DOMAIN, DEFAULT_EXPRESSION, PENALTY_PARAMS, SURFACES, typed_surface
from optviz.trajectories.runner import RUN_PARAMS
from optviz.ui.page import lazy_expander, request_scene
from optviz.ui.widgets import load_into_widgets, param_widget, param_widgets, set_widget_value
from optviz.trajectories.page import PAGE

P = PAGE.widget_prefix  # "traj.": the widget-key prefix of this page
TUNE_PARAM = next(p for p in RUN_PARAMS if p.name == "tune")  # a toggle under the optimizers, not in the expander
STEP_PARAMS = tuple(p for p in RUN_PARAMS if p is not TUNE_PARAM)
WIDGET_KEY = P + "surface"  # one of the page's widgets (see optviz.ui.page.incoming_scene)
EXPRESSION_KEY = P + "expression"
DOMAIN_KEYS = tuple(f"{P}domain.{bound}" for bound in ("xmin", "xmax", "ymin", "ymax"))


def load(scene: TrajectoryScene) -> None:
    """Write every value of `scene` into the widget state (before the widgets render)."""
    set_widget_value(SURFACE_PARAM, P + "surface", scene.surface)
    if scene.surface == CUSTOM:
        st.session_state[EXPRESSION_KEY] = scene.expression or DEFAULT_EXPRESSION
        (x0, x1), (y0, y1) = scene.domain or DEFAULT_DOMAIN
        for key, value in zip(DOMAIN_KEYS, (x0, x1, y0, y1)):
            st.session_state[key] = float(value)
    load_into_widgets(SURFACES[scene.surface].params, P + "s.", scene.surface_params)
    load_into_widgets(PENALTY_PARAMS, P, scene.penalty)
    st.session_state[P + "optimizers"] = list(scene.optimizers)
    for name in scene.optimizers:
        load_into_widgets(OPTIMIZERS[optimizer_of(name)].params, f"{P}{name}.", scene.hparams(name))
    load_into_widgets(RUN_PARAMS, P, scene.run)
    set_widget_value(SCHEDULE_PARAM, P + "schedule", scene.schedule)
    load_into_widgets(SCHEDULES[scene.schedule].params, P + "sch.", scene.schedule_params)
    x, y = scene.start_point
    st.session_state[P + "start_x"], st.session_state[P + "start_y"] = float(x), float(y)
    _load_map(scene.map_settings)


def _load_map(settings) -> None:
    for name, value in settings.items():
        st.session_state[P + name] = value


def _map_key(instances) -> str | None:
    """The optimizer of the hyperparameter map for these instances (see TrajectoryScene.map_instance)."""
    return next((_key_of(i) for i in instances if len(numeric_params(_key_of(i))) >= 2), None)


def map_controls(scene: TrajectoryScene, surface_key: str, chosen, box) -> dict:
    """The maps' settings: the two axes (hyperparameter, from, to, log), what the colour shows, the
    tolerance, the cells per side. A new map optimizer or surface starts from its default map."""
    key = _map_key(chosen)
    current = scene.map_settings
    if key != _map_key(scene.optimizers) or surface_key != scene.surface:
        current = default_map(surface_key, key)
        _load_map(current)
    expander, is_open = lazy_expander("Maps (hyperparameters, basins)", P + "map.open", container=box)
    if not is_open:
        return current
    spec = {p.name: p for p in MAP_VIEW_PARAMS}
    values = dict(current)
    with expander:
        params = numeric_params(key)
        if len(params) >= 2:
            labels = {p.name: p.label for p in params}
            st.caption(f"Hyperparameter map of {OPTIMIZERS[key].label}")
            for axis in ("x", "y"):
                name_key = P + f"map_{axis}"
                if st.session_state.get(name_key) not in labels:
                    st.session_state[name_key] = current[f"map_{axis}"]
                name = st.selectbox(f"{axis} axis", list(labels), key=name_key, format_func=labels.get,
                                    help=spec[f"map_{axis}"].help)
                if name != current[f"map_{axis}"]:  # another hyperparameter: its own range
                    lo, hi, log = axis_defaults(surface_key, key, name)
                    st.session_state.update({P + f"map_{axis}lo": lo, P + f"map_{axis}hi": hi, P + f"map_{axis}log": log})
                left, right, flag = st.columns([2, 2, 1], vertical_alignment="bottom")
                values[f"map_{axis}"] = name
                values[f"map_{axis}lo"] = left.number_input("from", key=P + f"map_{axis}lo", format="%g", step=None)
                values[f"map_{axis}hi"] = right.number_input("to", key=P + f"map_{axis}hi", format="%g", step=None)
                values[f"map_{axis}log"] = flag.checkbox("log", key=P + f"map_{axis}log", help=spec[f"map_{axis}log"].help)
        metric = spec["map_metric"]
        values["map_metric"] = st.selectbox(metric.label, metric.choices, key=P + "map_metric",
                                            format_func=metric.choice_label, help=metric.help)
        if values["map_metric"] == "steps":
            values["map_tol"] = st.number_input("Tolerance (loss − min)", min_value=spec["map_tol"].min,
                                                max_value=spec["map_tol"].max, key=P + "map_tol", format="%g", step=None,
                                                help=spec["map_tol"].help)
        res = spec["map_res"]
        values["map_res"] = st.slider(res.label, int(res.min), int(res.max), key=P + "map_res", help=res.help)
    return values


def _add_copy() -> None:
    """Callback of "Add another copy of": append a new instance to the optimizer multiselect.

    A callback, because it runs before the widgets of the next run exist: the multiselect's state
    may not be written once the widget is drawn.
    """
    copy_of = st.session_state.get(P + "copy")
    st.session_state[P + "copy"] = None
    if copy_of is None:
        return
    chosen = list(st.session_state.get(P + "optimizers", []))
    if len(chosen) >= MAX_OPTIMIZERS:
        st.session_state[P + "copy_notice"] = f"At most {MAX_OPTIMIZERS} paths: remove one to add another copy."
        return
    st.session_state[P + "optimizers"] = chosen + [next_instance(chosen, copy_of)]


def controls(scene: TrajectoryScene, box) -> TrajectoryScene:
    """Render every control into `box` (sidebar or popover) and return the scene they describe."""
    surface_key = param_widget(SURFACE_PARAM, P + "surface", scene.surface, box)
    expression = domain = None
    if surface_key == CUSTOM:
        expression, domain = typed_controls(scene, box)
        surface = typed_surface(expression, domain)
    else:
        surface = SURFACES[surface_key]
    if surface_key != scene.surface or surface.domain != scene.surface_spec.domain:
        # a new surface (or a new domain of your own f) starts at its own default start
        st.session_state[P + "start_x"], st.session_state[P + "start_y"] = map(float, surface.default_start)
    surface_params = param_widgets(surface.params, P + "s.", scene.surface_params if surface_key == scene.surface else {}, box)

    box.markdown("**Optimizers**")
    copies = dict.fromkeys(i for i in (*scene.optimizers, *st.session_state.get(P + "optimizers", ())) if i not in OPTIMIZERS)
    chosen = box.multiselect("Optimizers", list(OPTIMIZERS) + list(copies), default=None, key=P + "optimizers",
                             format_func=_instance_label, label_visibility="collapsed", max_selections=MAX_OPTIMIZERS,
                             help=f"Up to {MAX_OPTIMIZERS}; each has its own hyperparameters below.")
    hparams = {}
    for name in chosen:
        key = optimizer_of(name)
        params = OPTIMIZERS[key].params
        current = scene.hparams(name) if name in scene.optimizers else start_hparams(surface_key, key)
        if surface_key != scene.surface:  # a new surface starts each optimizer at a learning rate that works there
            rate = {"learning_rate": start_hparams(surface_key, key)["learning_rate"]}
            current = {**current, **rate}
            load_into_widgets([p for p in params if p.name == "learning_rate"], f"{P}{name}.", rate)
        expander, is_open = lazy_expander(f"{_instance_label(name)} hyperparameters", f"{P}{name}.open",
                                             expanded=len(chosen) <= 2, container=box)
        if is_open:
            with expander:
                hparams[name] = param_widgets(params, f"{P}{name}.", current)
        else:
            hparams[name] = current
    box.selectbox("Add another copy of", list(OPTIMIZERS), index=None, format_func=_instance_label,
                  key=P + "copy", placeholder="Add another copy of…", on_change=_add_copy,
                  help="Compare one optimizer with itself, e.g. three learning rates of SGD.")
    if notice := st.session_state.pop(P + "copy_notice", None):
        box.warning(notice)
    tune = param_widget(TUNE_PARAM, P + "tune", scene.run["tune"], box)

    box.markdown("**Start point** (or click on the contour map)")
    (x0, x1), (y0, y1) = surface.domain
    for axis, lo, hi in (("x", x0, x1), ("y", y0, y1)):
        key = f"{P}start_{axis}"
        st.session_state[key] = min(max(float(st.session_state.get(key, lo)), lo), hi)
        box.slider(f"start {axis}", min_value=float(lo), max_value=float(hi), step=(hi - lo) / 400, key=key, format="%.3g")
    start = (st.session_state[P + "start_x"], st.session_state[P + "start_y"])

    run, schedule, schedule_params, penalty = scene.run, scene.schedule, scene.schedule_params, scene.penalty
    expander, is_open = lazy_expander("Steps, noise and schedule", P + "run.open", container=box)
    if is_open:
        with expander:
            run = param_widgets(STEP_PARAMS, P, scene.run)
            schedule = param_widget(SCHEDULE_PARAM, P + "schedule", scene.schedule)
            schedule_params = param_widgets(SCHEDULES[schedule].params, P + "sch.", scene.schedule_params if schedule == scene.schedule else {})
    expander, is_open = lazy_expander("Penalty (L1 / L2)", P + "penalty.open", container=box)
    if is_open:
        with expander:
            penalty = param_widgets(PENALTY_PARAMS, P, scene.penalty)
    run = {**run, "tune": tune}
    map_values = map_controls(scene, surface_key, chosen, box)
    scene, notices = TrajectoryScene.from_values(surface_key, surface_params, chosen, hparams, start, run, schedule,
                                                 schedule_params, penalty, expression=expression, domain=domain,
                                                 map=map_values)
    if notices:  # the widgets asked for more than a scene may compute: show the scene computed
        request_scene(PAGE.state_key, scene, notices)
    return scene


def typed_controls(scene: TrajectoryScene, box) -> tuple[str, tuple]:
    """The text box of f(x, y) and the domain's number boxes; returns (expression, domain).

    An expression or domain that cannot be used gets its message under the boxes, and the scene's
    own (the last that could, or the defaults) is returned instead."""
    typed_before = scene.surface == CUSTOM
    current = (scene.expression or DEFAULT_EXPRESSION) if typed_before else DEFAULT_EXPRESSION
    current_domain = (scene.domain or DEFAULT_DOMAIN) if typed_before else DEFAULT_DOMAIN
    if EXPRESSION_KEY not in st.session_state:
        st.session_state[EXPRESSION_KEY] = current
    text = box.text_input("f(x, y) =", key=EXPRESSION_KEY, max_chars=MAX_LENGTH, help=SYNTAX_HELP,
                          placeholder="e.g. 0.5*(x**2/20 + y**2)")
    try:
        expression = parse_expression(text).text
    except ExpressionError as err:
        box.error(f"**f(x, y)**: {err}. Still showing f = {current}.")
        expression = current
    (x0, x1), (y0, y1) = current_domain
    for key, value in zip(DOMAIN_KEYS, (x0, x1, y0, y1)):
        if key not in st.session_state:
            st.session_state[key] = float(value)
    values = []
    for row, axis in enumerate("xy"):
        low, high = box.columns(2)
        for column, bound in ((low, "min"), (high, "max")):
            values.append(column.number_input(f"{axis} {bound}", min_value=-MAX_DOMAIN, max_value=MAX_DOMAIN,
                                              key=DOMAIN_KEYS[2 * row + (bound == "max")], format="%g", step=None,
                                              help=f"The domain drawn and searched for minima: {axis} from min to max."))
    try:
        domain = parse_domain(values)
    except ExpressionError as err:
        box.error(f"**Domain**: {str(err).removeprefix('domain: ')}. Still showing the last domain that could be drawn.")
        domain = current_domain
    return expression, domain


def _instance_label(instance: str) -> str:
    key = optimizer_of(instance)
    suffix = instance[len(key):].replace("-", " #")
    return OPTIMIZERS[key].label + suffix
