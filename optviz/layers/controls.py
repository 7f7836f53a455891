"""Controls of the initialization page, generated from NETWORK_PARAMS (streamlit; see optviz.ui)."""

from __future__ import annotations

import dataclasses

import streamlit as st

from optviz.activations import ACTIVATIONS
from optviz.initializers import INITIALIZERS
from optviz.layers.scene import LayersScene
from optviz.layers.network import NETWORK_PARAMS, NetworkConfig
from optviz.ui.page import lazy_expander, request_scene
from optviz.ui.widgets import load_into_widgets, param_widgets
from optviz.layers.page import PAGE

P = PAGE.widget_prefix  # "lay.": the widget-key prefix of this page
WIDGET_KEY = P + "a.activation"  # one of the page's widgets (see optviz.ui.page.incoming_scene)
_LABELS = {"activation": tuple(a.label for a in ACTIVATIONS.values()), "init": tuple(i.label for i in INITIALIZERS.values())}
# The page's widgets: NETWORK_PARAMS with display labels for the choices.
PARAMS = tuple(dataclasses.replace(p, label=p.label[:1].upper() + p.label[1:], choice_labels=_LABELS.get(p.name, ()))
               for p in NETWORK_PARAMS)


def load(scene: LayersScene) -> None:
    """Write every value of `scene` into the widget state (before the widgets render)."""
    load_into_widgets(PARAMS, P + "a.", scene.a.values())
    st.session_state[P + "compare"] = scene.b is not None
    if scene.b is not None:
        load_into_widgets(PARAMS, P + "b.", scene.b.values())


def _network(prefix: str, current: NetworkConfig, box) -> tuple[NetworkConfig, list[str]]:
    main = [p for p in PARAMS if p.name in ("activation", "init", "scale", "gain", "batchnorm")]
    shape = [p for p in PARAMS if p.name not in {q.name for q in main}]
    values = param_widgets(main, prefix, current.values(), box)
    if not INITIALIZERS[values["init"]].uses_scale:
        box.caption(f"Init scale is not used by {INITIALIZERS[values['init']].label}.")
    expander, is_open = lazy_expander("Network size and seed", prefix + "size.open", container=box)
    if is_open:
        with expander:
            values.update(param_widgets(shape, prefix, current.values()))
    else:
        values.update({p.name: current.values()[p.name] for p in shape})
    config, notices = NetworkConfig.from_values(values)
    return config, notices if config.values() != values else []


def controls(scene: LayersScene, box) -> LayersScene:
    """Render every control into `box` and return the scene they describe."""
    box.markdown("**Network A**")
    a, notices = _network(P + "a.", scene.a, box)
    compare = box.toggle("Compare with a second network", key=P + "compare",
                         help="Show network B beside A, e.g. Xavier vs He on ReLU.")
    b = None
    if compare:
        box.markdown("**Network B**")
        # Turning compare off and on again brings back the B the user had, not a copy of A.
        b, more = _network(P + "b.", scene.b or st.session_state.get(P + "last_b") or a, box)
        st.session_state[P + "last_b"] = b
        notices += more
    if notices:  # the widgets asked for a network too large to compute: show the one computed
        request_scene(PAGE.state_key, LayersScene(a, b), notices)
    return LayersScene(a, b)
