"""TrainScene: the training lab's state (a run A, optionally a run B to compare, the number of
seeds and the loss axis) <-> URL query params <-> JSON, validated like the other pages' scenes
(out-of-range values clamped, unreadable ones dropped, each with a notice; never an exception).

URL keys are TRAIN_PARAMS names, the optimizer's hyperparameters and the schedule's parameters by
their own names (`learning_rate`, `step_size`) for run A, the same prefixed `b.` for run B
(`compare=true`), and `seeds` and `loss_axis` for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from optviz.activations import ACTIVATIONS
from optviz.initializers import INITIALIZERS
from optviz.optimizers import OPTIMIZERS
from optviz.params import Param, parse_bool, shown
from optviz.scenes import MAX_LISTED, PAGE_KEYS, SceneFile, flat_query, mapping, unknown_keys
from optviz.schedules import SCHEDULES
from optviz.training.config import MAX_WORK, SEEDS_PARAM, TRAIN_PARAMS, TrainConfig, optimizer_params
from optviz.training.data import DATASETS

SCENE_VERSION = 1
B_PREFIX = "b."
COMPARE_KEY = "compare"  # the link's switch for run B

LOSS_AXIS_PARAM = Param("loss_axis", "Loss axis", "log", kind="choice", choices=("log", "linear"),
                        choice_labels=("log scale", "linear scale"),
                        help="The loss curves on a log scale (late progress shows) or a linear one.")
SCENE_PARAMS: tuple[Param, ...] = (SEEDS_PARAM, LOSS_AXIS_PARAM)
"""Settings of the scene that A and B share."""

RESERVED_KEYS = (COMPARE_KEY, *(p.name for p in SCENE_PARAMS), *PAGE_KEYS)

MAX_SCENE_WORK = 4 * MAX_WORK
"""Bound on seeds x (work of A + work of B): the seeds are cut to fit (each run alone is within
MAX_WORK; benchmarks/bench_train.py measures the rate)."""

_JSON_KEYS = ("kind", "version", "run", "compare", *(p.name for p in SCENE_PARAMS))
_CONFIG_NAMES = frozenset(p.name for p in TRAIN_PARAMS)
_HPARAM_NAMES = frozenset(p.name for o in OPTIMIZERS.values() for p in o.params)
_SCHEDULE_NAMES = frozenset(p.name for s in SCHEDULES.values() for p in s.params)
_LINK_NAMES = _CONFIG_NAMES | _HPARAM_NAMES | _SCHEDULE_NAMES


def short_label(label: str) -> str:
    """A registry label without its parenthesised remarks: "Glorot (Xavier) normal" -> "Glorot normal"."""
    return re.sub(r"\s*\([^)]*\)", "", label).strip()


def _init_text(config: TrainConfig) -> str:
    """The initializer as a legend writes it: "W = 0", "0.01·randn", "He normal"."""
    scale = f"{config.scale:g}"
    text = {"zeros": "W = 0", "constant": f"W = {scale}", "normal": f"{scale}·randn",
            "uniform": f"U(±{scale})"}.get(config.init, short_label(INITIALIZERS[config.init].label))
    return text + (f" ×{config.gain:g}" if config.gain != 1 else "")


def describe(config: TrainConfig) -> dict[str, str]:
    """Each setting of `config` as a label writes it ("η = 0.01", "batch norm", "3×32 ReLU"), by group."""
    hparams = config.hparam_values
    rate = hparams["learning_rate"]
    parts = {
        "optimizer": OPTIMIZERS[config.optimizer].label,
        "learning_rate": f"η = {rate:g}",
        "hparams": ", ".join(f"{p.label} {p.format(hparams[p.name])}" for p in optimizer_params(config.optimizer)
                             if p.name != "learning_rate" and hparams[p.name] != p.default),
        "data": _data_text(config),
        # Depth 0 is a softmax on the inputs: no units, no activation (not "0×32 ReLU").
        "network": (f"{config.depth}×{config.width} {short_label(ACTIVATIONS[config.activation].label)}"
                    if config.depth else "no hidden layer"),
        "init": _init_text(config),
        "bias": "" if config.bias else "no biases",
        "batchnorm": "batch norm" if config.batchnorm else "no batch norm",
        "dropout": f"dropout {config.dropout:g}" if config.dropout else "no dropout",
        "l2": f"L2 λ = {config.l2:g}" if config.l2 else "no L2",
        "l1": f"L1 λ = {config.l1:g}" if config.l1 else "",
        "label_smoothing": f"label smoothing ε = {config.label_smoothing:g}" if config.label_smoothing else "",
        "mixup": f"mixup α = {config.mixup:g}" if config.mixup else "",
        "augment": "augmented" if config.augment else "",
        "restore_best": "best restored" if config.restore_best else "",
        "ensemble": f"ensemble of {config.ensemble}" if config.ensemble > 1 else "",
        "transfer": _transfer_text(config),
        "batch": "full batch" if config.full_batch else f"batch {config.batch_size}",
        "schedule": _schedule_text(config),
        "steps": f"{config.steps} steps",
        "seed": f"seed {config.seed}",
    }
    return parts


ABSENT = {
    "hparams": "default settings", "bias": "biases", "l1": "no L1", "label_smoothing": "no label smoothing",
    "mixup": "no mixup", "augment": "not augmented", "restore_best": "last network kept", "ensemble": "one model",
}
"""How a label says a run lacks what `describe` names only when present (the other run's "augmented")."""


def _data_text(config: TrainConfig) -> str:
    """The data as a label writes it: "two moons, 200 samples, noise 0.2"; "digits 5-9, 5 per class"."""
    dataset = DATASETS[config.dataset]
    if config.transfer != "none":
        permuted = ", pixels permuted" if config.transfer_data == "different" else ""
        return f"digits 5-9{permuted}, {config.samples_per_class} per class"
    noise = f", noise {config.noise:g}" if dataset.params else ""
    return f"{dataset.label}, {config.samples} samples{noise}"


def _transfer_text(config: TrainConfig) -> str:
    """How a transfer run starts: "from scratch", "frozen features from 0-4 (1000 steps)", ..."""
    if config.transfer == "none":
        return ""
    pretrained = f"0-4 ({config.pretrain_steps} steps)"
    return {"scratch": "from scratch",
            "freeze": f"frozen features from {pretrained}, new head",
            "finetune": f"fine-tuned from {pretrained}, η × {config.finetune_factor:g}"}[config.transfer]


def _schedule_text(config: TrainConfig) -> str:
    schedule = SCHEDULES[config.schedule]
    if not schedule.params:
        return "constant η" if config.schedule == "constant" else schedule.label.lower()
    values = config.schedule_values
    settings = ", ".join(f"{_symbol(p)} = {p.format(values[p.name])}" for p in schedule.params)
    return f"{schedule.label.lower()} ({settings})"


def _symbol(param: Param) -> str:
    """The one-letter symbol in a Param's label ("Decay every s steps" -> "s", "Drop factor γ" -> "γ")."""
    return next((word for word in param.label.split() if len(word) == 1), param.name)


@dataclass(frozen=True)
class TrainScene(SceneFile):
    """Run A, and run B when comparing (e.g. SGD vs Adam); an optviz.page.Scene.

    Attributes:
      a, b: the runs' settings (b None: no comparison).
      seeds: runs per configuration (seeds seed, seed + 1, ...), drawn as a mean with a band.
      loss_axis: "log" or "linear".
    """

    KIND: ClassVar[str] = "training"

    a: TrainConfig = TrainConfig()
    b: TrainConfig | None = None
    seeds: int = SEEDS_PARAM.default
    loss_axis: str = LOSS_AXIS_PARAM.default

    @classmethod
    def build(cls, run: Mapping[str, Any] | None = None, compare: Mapping[str, Any] | None = None,
              **scene: Any) -> "TrainScene":
        """A scene from plain values (trusted: registry code and lessons); ValueError on any notice.

        Args:
          run: run A's settings (TRAIN_PARAMS names, "hparams", "schedule_params").
          compare: run B's settings, or None.
          scene: `seeds`, `loss_axis`.
        """
        data = {"run": dict(run or {}), "compare": dict(compare) if compare is not None else None, **scene}
        built, notices = cls.from_json(data)
        if notices:
            raise ValueError("; ".join(notices))
        return built

    @property
    def configs(self) -> list[tuple[str, TrainConfig]]:
        """[("a", A), ("b", B)] of the shown runs."""
        return [("a", self.a)] + ([("b", self.b)] if self.b is not None else [])

    def label(self, which: str) -> str:
        """Legend text of run `which`: "Adam, η = 0.01"; when comparing, "A: " and what sets it
        apart from B ("A: SGD", "B: Adam"), or just "A" and "B" when they are alike."""
        config = self.a if which == "a" else self.b
        parts = describe(config)
        if self.b is None:
            return ", ".join(filter(None, (parts["optimizer"], parts["learning_rate"], parts["hparams"])))
        other = describe(self.b if which == "a" else self.a)
        differing = [text for key, text in parts.items() if text and text != other[key]]
        if not differing:  # only the other run names its difference ("augmented"): say this one lacks it
            differing = [text or ABSENT.get(key, "") for key, text in parts.items() if other[key] != text]
            differing = [text for text in differing if text]
        return f"{which.upper()}: " + ", ".join(differing) if differing else which.upper()

    # -- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"kind": self.KIND, "version": SCENE_VERSION, "run": self.a.values(),
                "compare": self.b.values() if self.b is not None else None,
                "seeds": self.seeds, "loss_axis": self.loss_axis}

    @classmethod
    def from_json(cls, data: Any) -> tuple["TrainScene", list[str]]:
        """Validate a JSON object (a scene file, or a link read by `from_query`); never raises."""
        if not isinstance(data, Mapping):
            return TrainScene(), ["scene file: expected a JSON object; using the default scene"]
        if data.get("kind", cls.KIND) != cls.KIND:
            return TrainScene(), [f"scene file: kind {shown(data.get('kind'))} is not a training scene; "
                                  "using the default scene"]
        notices: list[str] = []
        unknown_keys(data, _JSON_KEYS, notices)
        a = _config(mapping(data.get("run"), notices, "run"), "run A", notices)
        b = None
        if data.get("compare") is not None and data.get("compare") is not False:  # false: no run B, as null
            b = _config(mapping(data.get("compare"), notices, "compare"), "run B", notices)
        values = {}
        for param in SCENE_PARAMS:
            value, note = param.coerce(data.get(param.name, param.default))
            values[param.name] = value
            notices += [note] if note else []
        # An ensemble's members are its seeds (its work counts them): the seeds setting repeats the rest.
        singles = sum(c.work for c in (a, b) if c is not None and c.ensemble == 1)
        members = sum(c.work for c in (a, b) if c is not None and c.ensemble > 1)
        most = max(1, int((MAX_SCENE_WORK - members) // singles)) if singles else values["seeds"]
        if values["seeds"] > most:
            notices.append(f"{values['seeds']} seeds of these runs are too much to compute here; using {most}")
            values["seeds"] = most
        return TrainScene(a, b, **values), notices

    # -- URL ---------------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Flat query parameters: every setting, so the link reproduces the runs exactly."""
        query = _config_query(self.a, "")
        query.update({p.name: p.format(getattr(self, p.name)) for p in SCENE_PARAMS})
        if self.b is not None:
            query[COMPARE_KEY] = "true"  # TRUE_WORDS of optviz.params
            query.update(_config_query(self.b, B_PREFIX))
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> tuple["TrainScene", list[str]]:
        """Read query parameters (values may be lists: the last one wins); never raises."""
        flat = flat_query(query)
        a_values, b_values, unknown = {}, {}, []
        for key, value in flat.items():
            if key in RESERVED_KEYS:
                continue
            is_b = isinstance(key, str) and key.startswith(B_PREFIX)
            name = key[len(B_PREFIX):] if is_b else key
            if name not in _LINK_NAMES:
                unknown.append(key)
            else:
                (b_values if is_b else a_values)[name] = value
        notices = []
        if unknown:
            listed = ", ".join(shown(k) for k in unknown[:MAX_LISTED])
            more = f" and {len(unknown) - MAX_LISTED:,} more" if len(unknown) > MAX_LISTED else ""
            notices.append(f"link: unknown parameter(s) {listed}{more} ignored")
        compare = parse_bool(flat.get(COMPARE_KEY, False)) is True
        if b_values and not compare:
            notices.append("link: b.* settings ignored (compare is off)")
        notices += _misplaced(a_values, "link")
        if compare:
            notices += _misplaced(b_values, "link, run B")
        data = {"run": a_values, "compare": b_values if compare else None,
                **{p.name: flat[p.name] for p in SCENE_PARAMS if p.name in flat}}
        scene, more = TrainScene.from_json(data)
        return scene, notices + more


def _config(values: Mapping[str, Any], where: str, notices: list[str]) -> TrainConfig:
    """TrainConfig.from_values, with its notices added to `notices` (the default run if the values
    cannot be read at all)."""
    try:
        config, more = TrainConfig.from_values(values, where)
    except (TypeError, ValueError) as err:  # e.g. a list where a name belongs: read nothing of it
        notices.append(f"{where}: {shown(str(err), 200)}; using the default run")
        return TrainConfig()
    notices.extend(more)
    return config


def _misplaced(values: dict[str, Any], where: str) -> list[str]:
    """Drop from a link's run settings the parameters of another optimizer or schedule (say which)."""
    optimizer, _ = TRAIN_PARAMS_BY_NAME["optimizer"].coerce(values.get("optimizer", TrainConfig.optimizer))
    schedule, _ = TRAIN_PARAMS_BY_NAME["schedule"].coerce(values.get("schedule", TrainConfig.schedule))
    own = {p.name for p in OPTIMIZERS[optimizer].params} | {p.name for p in SCHEDULES[schedule].params}
    notices = []
    for name in [k for k in values if k not in _CONFIG_NAMES and k not in own]:
        values.pop(name)
        owner = "optimizer " + OPTIMIZERS[optimizer].label if name in _HPARAM_NAMES else f"schedule {schedule}"
        notices.append(f"{where}: {name} is not a setting of {owner}; ignored")
    return notices


TRAIN_PARAMS_BY_NAME = {p.name: p for p in TRAIN_PARAMS}


def _config_query(config: TrainConfig, prefix: str) -> dict[str, str]:
    """A run's link keys: every TRAIN_PARAMS value, its optimizer's and its schedule's parameters."""
    query = {prefix + p.name: p.format(getattr(config, p.name)) for p in TRAIN_PARAMS}
    hparams, schedule = config.hparam_values, config.schedule_values
    query.update({prefix + p.name: p.format(hparams[p.name]) for p in optimizer_params(config.optimizer)})
    query.update({prefix + p.name: p.format(schedule[p.name]) for p in SCHEDULES[config.schedule].params})
    return query
