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
# A select's labels stay fixed (an activation with its own Params, leaky ReLU, is named without their
# values: its slope slider shows right under it); the figures' labels follow the values.
_LABELS = {"activation": tuple(a.label.split(" (")[0] if a.params else a.label for a in ACTIVATIONS.values()),
           "init": tuple(i.label for i in INITIALIZERS.values())}
# The page's widgets: NETWORK_PARAMS with display labels for the choices.
PARAMS = tuple(dataclasses.replace(p, label=p.label[:1].upper() + p.label[1:], choice_labels=_LABELS.get(p.name, ()))
               for p in NETWORK_PARAMS)
_BY_NAME = {p.name: p for p in PARAMS}
MAIN = ("activation", "init", "scale", "gain", "batchnorm")
SIZE = ("depth", "width", "batch", "seed")
EXTRAS = ("residual", "branch_scale", "zero_last", "bias", "input_mean", "bn_gamma", "bn_beta")
"""The lazy expander "Biases, inputs, residual, batch-norm affine": the rest of the lecture's experiment."""
ONLY_WITH = {"branch_scale": "residual", "zero_last": "residual", "bn_gamma": "batchnorm", "bn_beta": "batchnorm"}
"""Settings shown only while the switch they belong to is on (their values live on in the scene)."""


def load(scene: LayersScene) -> None:
    """Write every value of `scene` into the widget state (before the widgets render)."""
    load_into_widgets(PARAMS, P + "a.", scene.a.values())
    st.session_state[P + "compare"] = scene.b is not None
    if scene.b is not None:
        load_into_widgets(PARAMS, P + "b.", scene.b.values())


def _network(prefix: str, current: NetworkConfig, box) -> tuple[NetworkConfig, list[str]]:
    values = current.values()  # every setting not drawn now keeps its value
    values.update(param_widgets([_BY_NAME["activation"]], prefix, values, box))
    own = [_BY_NAME[p.name] for p in ACTIVATIONS[values["activation"]].params]  # leaky ReLU: its slope
    values.update(param_widgets(own, prefix, values, box))
    values.update(param_widgets([_BY_NAME[name] for name in MAIN[1:]], prefix, values, box))
    if not INITIALIZERS[values["init"]].uses_scale:
        box.caption(f"Init scale is not used by {INITIALIZERS[values['init']].label}.")
    for label, names, key in (("Network size and seed", SIZE, "size.open"),
                              ("Biases, inputs, residual, batch-norm affine", EXTRAS, "extras.open")):
        expander, is_open = lazy_expander(label, prefix + key, container=box)
        if not is_open:
            continue
        with expander:
            for name in names:
                switch = ONLY_WITH.get(name)
                if switch is None or values[switch]:
                    values.update(param_widgets([_BY_NAME[name]], prefix, values))
            if not values["batchnorm"]:
                st.caption("Batch norm's gamma and beta show when batch norm is on.")
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
