"""Controls of the training lab, generated from TRAIN_PARAMS, the optimizer's and the schedule's
Params (streamlit; see optviz.ui).

Each run (A, and B when comparing) has the same widgets, keyed `lab.a.<name>` and `lab.b.<name>`;
an optimizer's hyperparameters are keyed by optimizer (`lab.a.adam.learning_rate`), so switching
optimizers back and forth keeps each one's values. The learning rate and L2 λ sit on top (what a
class moves most); the rest is in expanders that are built only while open.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from optviz.schedules import SCHEDULES
from optviz.training.config import TRAIN_PARAMS, TrainConfig, optimizer_params
from optviz.training.data import DATASETS
from optviz.training.page import PAGE
from optviz.training.scene import LOSS_AXIS_PARAM, SEEDS_PARAM, TrainScene
from optviz.ui.page import lazy_expander, request_scene
from optviz.ui.widgets import load_into_widgets, param_widget, param_widgets, set_widget_value

P = PAGE.widget_prefix  # "lab.": the widget-key prefix of this page
WIDGET_KEY = P + "a.optimizer"  # one of the page's widgets (see optviz.ui.page.incoming_scene)
_BY_NAME = {p.name: p for p in TRAIN_PARAMS}
TRANSFER_ONLY = ("transfer_data", "samples_per_class", "pretrain_steps", "finetune_factor")
GROUPS = {  # expander title -> the TRAIN_PARAMS it holds
    "Data": ("dataset", "samples", "noise", "seed"),
    "Network": ("depth", "width", "activation", "init", "scale", "gain", "bias", "batchnorm"),
    "Training": ("batch_size", "steps", "schedule", "eval_every"),
    "Regularization": ("dropout", "l1", "label_smoothing", "mixup", "augment", "restore_best", "ensemble"),
    "Transfer learning (digits)": ("transfer", "transfer_data", "samples_per_class", "pretrain_steps",
                                   "finetune_factor"),
}


def _hparam_key(which: str, optimizer: str) -> str:
    return f"{P}{which}.{optimizer}."


def _schedule_key(which: str, schedule: str) -> str:
    return f"{P}{which}.sch.{schedule}."


def _load_run(which: str, config: TrainConfig) -> None:
    load_into_widgets(TRAIN_PARAMS, f"{P}{which}.", config.values())
    load_into_widgets(optimizer_params(config.optimizer), _hparam_key(which, config.optimizer), config.hparam_values)
    load_into_widgets(SCHEDULES[config.schedule].params, _schedule_key(which, config.schedule), config.schedule_values)


def load(scene: TrainScene) -> None:
    """Write every value of `scene` into the widget state (before the widgets render)."""
    _load_run("a", scene.a)
    st.session_state[P + "compare"] = scene.b is not None
    if scene.b is not None:
        _load_run("b", scene.b)
    load_into_widgets((SEEDS_PARAM, LOSS_AXIS_PARAM), P, {"seeds": scene.seeds, "loss_axis": scene.loss_axis})


def _run(which: str, current: TrainConfig, box) -> dict:
    """One run's widgets; returns its values (TrainConfig.from_values reads them)."""
    prefix = f"{P}{which}."
    values = current.values()
    optimizer = param_widget(_BY_NAME["optimizer"], prefix + "optimizer", current.optimizer, box)
    specs = optimizer_params(optimizer)
    own = current.hparam_values if optimizer == current.optimizer else {}
    rate = [p for p in specs if p.name == "learning_rate"]
    hparams = param_widgets(rate, _hparam_key(which, optimizer), own, box)
    values["l2"] = param_widget(_BY_NAME["l2"], prefix + "l2", current.l2, box)
    others = [p for p in specs if p.name != "learning_rate"]
    expander, is_open = lazy_expander(f"{_BY_NAME['optimizer'].choice_label(optimizer)} settings", prefix + "opt.open",
                                      container=box)
    if is_open:
        with expander:
            hparams.update(param_widgets(others, _hparam_key(which, optimizer), own))
    else:
        hparams.update({p.name: own.get(p.name, p.default) for p in others})
    values.update(optimizer=optimizer, hparams=hparams)
    for title, names in GROUPS.items():
        expander, is_open = lazy_expander(title, f"{prefix}{title.split()[0].lower()}.open", container=box)
        if not is_open:
            continue
        with expander:
            for name in names:
                if name == "noise" and not DATASETS[values["dataset"]].params:
                    continue  # the digits have no noise setting
                if name in TRANSFER_ONLY and values["transfer"] == "none":
                    continue  # shown once transfer learning is on
                if name == "noise" and values["dataset"] != current.dataset:  # a new data set starts at its own noise
                    noise = dataclasses.replace(_BY_NAME["noise"], default=TrainConfig(dataset=values["dataset"]).noise)
                    set_widget_value(noise, prefix + "noise", noise.default)
                values[name] = param_widget(_BY_NAME[name], prefix + name, values[name])
                if name == "dataset":
                    st.caption(DATASETS[values["dataset"]].description)
                if name == "schedule":
                    schedule = values["schedule"]
                    given = current.schedule_values if schedule == current.schedule else {}
                    values["schedule_params"] = param_widgets(SCHEDULES[schedule].params, _schedule_key(which, schedule),
                                                              given)
    if values["schedule"] != current.schedule and "schedule_params" not in values:
        values["schedule_params"] = {}
    return values


def controls(scene: TrainScene, box) -> TrainScene:
    """Render every control into `box` (sidebar or popover) and return the scene they describe."""
    compare = st.session_state.get(P + "compare", scene.b is not None)
    if compare:
        box.markdown("**Run A**")
    a = _run("a", scene.a, box)
    seeds = param_widget(SEEDS_PARAM, P + "seeds", scene.seeds, box)
    loss_axis = param_widget(LOSS_AXIS_PARAM, P + "loss_axis", scene.loss_axis, box)
    compare = box.toggle("Compare with a second run", key=P + "compare",
                         help="Train run B beside A, e.g. SGD vs Adam or without and with batch norm.")
    b = None
    if compare:
        box.markdown("**Run B**")
        # Turning compare off and on again brings back the B the user had, not a copy of A.
        last = scene.b or st.session_state.get(P + "last_b") or TrainConfig.from_values(a)[0]
        b = _run("b", last, box)
    new, notices = TrainScene.from_json({"run": a, "compare": b, "seeds": seeds, "loss_axis": loss_axis})
    if b is not None:
        st.session_state[P + "last_b"] = new.b
    if notices:  # the widgets asked for a run too large to compute (or batch norm with batch 1): show the one computed
        request_scene(PAGE.state_key, new, notices)
    return new
