"""TrajectoryScene: everything the trajectory page shows, validated; <-> URL query params <-> JSON.

One frozen value per page state. Outside values (URL, uploaded JSON) go through `Param.coerce`:
out-of-range numbers are clamped, unreadable or unknown values dropped, and every change is
reported as a notice, never raised. URL keys are the Param names; an optimizer's hyperparameters
are prefixed by its instance id (`adam.learning_rate`), so two optimizers never collide.

An optimizer may appear several times (three learning rates of SGD; Adam with and without bias
correction): each appearance is an *instance* `key` or `key-N` (`sgd`, `sgd-2`, `sgd-3`).

The `custom` surface is a typed f(x, y): its `expression` (the text as typed) and `domain` sit
beside `surface`, not among the traced surface parameters, because they select code (see
optviz.surfaces, typed surfaces). Links and files carry them as `expression=` and
`domain=XMIN,XMAX,YMIN,YMAX`; an expression that cannot be used gives a notice and the default
surface, a domain that cannot be used the default domain. `surface_key` is the key compute uses.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping

from optviz.expression import Domain, ExpressionError, format_domain, parse_domain, parse_expression
from optviz.optimizers import OPTIMIZERS
from optviz.params import Param, coerce_all, defaults, shown
from optviz.scenes import PAGE_KEYS, SceneFile, flat_query, mapping, unknown_keys
from optviz.schedules import SCHEDULES
from optviz.surfaces import CUSTOM, DEFAULT_DOMAIN, DEFAULT_EXPRESSION, PENALTY_PARAMS, SURFACES, Surface, typed_key
from optviz.trajectories.runner import RUN_PARAMS

SCENE_VERSION = 1
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
MAX_OPTIMIZERS = 12  # paths on one figure; more is unreadable
MAX_POINTS = 400_000
"""Most path points one scene may compute and keep (optimizers x (noisy paths + 1) x (steps + 1)):
about 25 MB of results. A class shares one server: 12 optimizers x 32 noisy paths x 5000 steps
was an 80 MB cache entry and a 68 MB figure."""


def max_paths(optimizers: int, steps: int) -> int:
    """The most noisy paths per optimizer that keep a scene within MAX_POINTS (at least 1)."""
    return max(1, MAX_POINTS // (max(1, optimizers) * (int(steps) + 1)) - 1)
# The keys of a scene file (TrajectoryScene.to_json); others get a notice.
_JSON_KEYS = ("kind", "version", "surface", "expression", "domain", "surface_params", "penalty", "optimizers", "hparams",
              "start", "run", "schedule", "schedule_params", "map")

SURFACE_PARAM = Param("surface", "Surface", "ill_conditioned", kind="choice", choices=tuple(SURFACES),
                      choice_labels=tuple(s.label for s in SURFACES.values()))
SCHEDULE_PARAM = Param("schedule", "Learning-rate schedule", "constant", kind="choice", choices=tuple(SCHEDULES),
                       choice_labels=tuple(s.label for s in SCHEDULES.values()))
START_PARAM = Param("start", "Start point", None, kind="point",
                    help="Where every path starts (x,y); default: the surface's own start. Or click the contour map.")

# -- the maps' settings ---------------------------------------------------------------------------
# The hyperparameter map sweeps two numeric hyperparameters of the first shown optimizer that has
# two (SGD has one: its map is Momentum's row mu = 0); the basin map runs the first shown optimizer.
# Axis names are checked against that optimizer; values against the hyperparameter's own range.
MAP_RESOLUTION_MAX = 128
"""Most cells per side of a map on the page (16,384 runs; the CLI's `sweep` allows maps.MAX_RESOLUTION)."""
MAP_METRICS = ("final_loss", "steps", "distance")
_NUMERIC_NAMES = tuple(dict.fromkeys(p.name for o in OPTIMIZERS.values() for p in o.params if p.kind == "float"))
_WIDE = 1e12  # the number boxes' own bounds; each axis is then clamped to its hyperparameter's range
MAP_VIEW_PARAMS: tuple[Param, ...] = (
    Param("map_x", "x axis", "learning_rate", kind="choice", choices=_NUMERIC_NAMES,
          help="The hyperparameter along the map's x axis."),
    Param("map_xlo", "x from", 0.001, -_WIDE, _WIDE, help="The x axis' lowest value."),
    Param("map_xhi", "x to", 10.0, -_WIDE, _WIDE, help="The x axis' highest value."),
    Param("map_xlog", "x log scale", True, kind="bool", help="Space the x values geometrically (a log axis)."),
    Param("map_y", "y axis", "momentum", kind="choice", choices=_NUMERIC_NAMES,
          help="The hyperparameter along the map's y axis."),
    Param("map_ylo", "y from", 0.0, -_WIDE, _WIDE, help="The y axis' lowest value."),
    Param("map_yhi", "y to", 0.99, -_WIDE, _WIDE, help="The y axis' highest value."),
    Param("map_ylog", "y log scale", False, kind="bool", help="Space the y values geometrically (a log axis)."),
    Param("map_metric", "Colour by", "final_loss", kind="choice", choices=MAP_METRICS,
          choice_labels=("final loss", "steps to tolerance", "distance to nearest minimum"),
          help="What each cell's colour shows; diverged cells are marked whatever is chosen."),
    Param("map_tol", "Tolerance", 1e-3, 1e-12, 1e3, log=True,
          help="Steps to tolerance: the first step with loss − minimum ≤ this."),
    Param("map_res", "Cells per side", 32, 2, MAP_RESOLUTION_MAX, kind="int",
          help="Cells of each map per side (its runs: the square of it)."),
)
_MAP = {p.name: p for p in MAP_VIEW_PARAMS}
_SECOND_AXES = ("momentum", "b1", "decay", "rho", "damping", "initial_accumulator_value", "threshold", "weight_decay")


def numeric_params(key: str | None) -> list[Param]:
    """The numeric (float) hyperparameters of optimizer `key` (none for None)."""
    return [p for p in OPTIMIZERS[key].params if p.kind == "float"] if key else []


def axis_defaults(surface: str, key: str, name: str) -> tuple[float, float, bool]:
    """(low, high, log) of a map axis over hyperparameter `name` of optimizer `key` on `surface`:
    the learning rate two decades each side of the one it starts with there (log); another log
    hyperparameter three decades each side of its default; a linear one its range (to 0.99 for a
    decay rate like momentum or b1, whose range ends at 0.9999)."""
    spec = next(p for p in OPTIMIZERS[key].params if p.name == name)
    if name == "learning_rate" or spec.log:
        centre = start_hparams(surface, key)[name] if name == "learning_rate" else spec.default
        span = 100.0 if name == "learning_rate" else 1000.0
        low, high = max(spec.min, centre / span), min(spec.max, centre * span)
        if spec.log or low > 0:
            return float(low), float(high), True
    high = 0.99 if spec.max == 0.9999 else spec.max
    return float(spec.min), float(high), False


def default_map(surface: str, key: str | None) -> dict[str, Any]:
    """The map settings a scene starts with: learning rate (log) x the optimizer's momentum-like
    hyperparameter (momentum, b1, decay, ...), 32 cells per side, coloured by the final loss."""
    values = defaults(MAP_VIEW_PARAMS)
    names = [p.name for p in numeric_params(key)]
    if len(names) < 2:
        return values
    x = "learning_rate" if "learning_rate" in names else names[0]
    y = next((n for n in _SECOND_AXES if n in names and n != x), next(n for n in names if n != x))
    for axis, name in (("x", x), ("y", y)):
        low, high, log = axis_defaults(surface, key, name)
        values.update({f"map_{axis}": name, f"map_{axis}lo": low, f"map_{axis}hi": high, f"map_{axis}log": log})
    return values


def resolve_map(surface: str, key: str | None, given: Mapping[str, Any], notices: list[str] | None = None) -> dict[str, Any]:
    """The map settings of optimizer `key` from coerced `given` values (MAP_VIEW_PARAMS names),
    checked against it: an axis that is not one of its numeric hyperparameters falls back to the
    default axis, a range is clamped into the hyperparameter's own, a backwards or empty range or a
    log axis through zero falls back too; each change adds a notice to `notices`."""
    notes = [] if notices is None else notices
    values = {**default_map(surface, key), **{k: v for k, v in given.items() if k in ("map_metric", "map_tol", "map_res")}}
    specs = {p.name: p for p in numeric_params(key)}
    if len(specs) < 2:
        return values
    label = OPTIMIZERS[key].label
    taken = None
    for axis in ("x", "y"):
        name_key, lo_key, hi_key, log_key = (f"map_{axis}", f"map_{axis}lo", f"map_{axis}hi", f"map_{axis}log")
        default_name = values[name_key]
        asked = given.get(name_key, default_name)
        name = asked
        if name not in specs:
            notes.append(f"map: {axis} axis {shown(name)} is not a numeric hyperparameter of {label} "
                         f"({', '.join(specs)}); using {default_name}")
            name = default_name
        if name == taken:
            other = next(n for n in [default_name, *specs] if n != taken)
            notes.append(f"map: both axes are {name}; the y axis shows {other}")
            name = other
        taken = name
        low, high, log = ((values[lo_key], values[hi_key], values[log_key]) if name == default_name
                          else axis_defaults(surface, key, name))
        if name == asked:  # the given range applies to the axis asked for
            lo, hi, lg = given.get(lo_key, low), given.get(hi_key, high), given.get(log_key, log)
        else:
            lo, hi, lg = low, high, log
        spec = specs[name]
        clamped = (min(max(lo, spec.min), spec.max), min(max(hi, spec.min), spec.max))
        if clamped != (lo, hi):
            notes.append(f"map: {axis} axis {name} {lo:g} to {hi:g} is outside its range {spec.min:g} to {spec.max:g}; "
                         f"clamped to {clamped[0]:g} to {clamped[1]:g}")
            lo, hi = clamped
        if not lo < hi:
            notes.append(f"map: {axis} axis {name} needs from < to (got {lo:g} to {hi:g}); using {low:g} to {high:g}")
            lo, hi, lg = low, high, log
        if lg and lo <= 0:
            notes.append(f"map: a log {axis} axis needs from > 0 (got {lo:g}); {axis} axis made linear")
            lg = False
        values.update({name_key: name, lo_key: float(lo), hi_key: float(hi), log_key: bool(lg)})
    return values


# The link's keys that are not a Param of the surface, penalty, run or schedule.
RESERVED_KEYS = ("surface", "expression", "domain", "opt", START_PARAM.name, "schedule", *PAGE_KEYS)


_INSTANCE = re.compile(r"^([a-z0-9_]+?)(?:-([1-9][0-9]?))?$")


def optimizer_of(instance: str) -> str | None:
    """The optimizer key of an instance id (`sgd-2` -> `sgd`), or None if it names none."""
    match = _INSTANCE.match(instance)
    return match.group(1) if match and match.group(1) in OPTIMIZERS else None


def next_instance(instances, key: str) -> str:
    """A fresh instance id for another copy of optimizer `key`."""
    if key not in instances:
        return key
    n = 2
    while f"{key}-{n}" in instances:
        n += 1
    return f"{key}-{n}"


def _frozen(d: Mapping[str, Any]) -> tuple:
    return tuple(sorted(d.items()))


@dataclass(frozen=True)
class TrajectoryScene(SceneFile):
    """The trajectory page's state (an optviz.page.Scene). Mappings are stored as sorted tuples
    so the scene is hashable (a cache key); the properties read them as dicts."""

    KIND: ClassVar[str] = "trajectory"

    surface: str = SURFACE_PARAM.default
    expression: str = ""  # the custom surface's f(x, y) as typed ("" elsewhere; the default if custom)
    domain: Domain | None = None  # the custom surface's ((xmin, xmax), (ymin, ymax)); None: the default
    surface_values: tuple = ()
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    hparam_values: tuple = ()  # ((optimizer, ((name, value), ...)), ...)
    start: tuple[float, float] | None = None  # None: the surface's default start
    run_values: tuple = ()
    schedule: str = SCHEDULE_PARAM.default
    schedule_values: tuple = ()
    penalty_values: tuple = ()
    map_values: tuple = ()  # the map settings that differ from default_map's (see map_settings)

    # -- typed access ------------------------------------------------------------------------
    @property
    def surface_key(self) -> str:
        """The key of the surface compute uses: `surface`, or for `custom` the typed surface's own
        key (optviz.surfaces.typed_key), so each expression and domain is its own compiled function."""
        if self.surface != CUSTOM:
            return self.surface
        return _typed_key(self.expression or DEFAULT_EXPRESSION, self.domain or DEFAULT_DOMAIN)

    @property
    def surface_spec(self) -> Surface:
        """The Surface shown: the registry's, or the typed f(x, y) over its domain."""
        return SURFACES[self.surface_key]

    @property
    def surface_params(self) -> dict[str, Any]:
        return {**defaults(SURFACES[self.surface].params), **dict(self.surface_values)}

    def hparams(self, optimizer: str) -> dict[str, Any]:
        """An optimizer instance's hyperparameters: given ones, else the surface's, else its defaults."""
        given = dict(self.hparam_values).get(optimizer, ())
        return {**start_hparams(self.surface, optimizer_of(optimizer)), **dict(given)}

    def label(self, instance: str) -> str:
        """Legend text: the optimizer's name, plus what sets this copy apart from its siblings."""
        key = optimizer_of(instance)
        spec = OPTIMIZERS[key]
        siblings = [i for i in self.optimizers if optimizer_of(i) == key]
        if len(siblings) < 2:
            return spec.label
        differing = [p for p in spec.params if len({self.hparams(i)[p.name] for i in siblings}) > 1]
        if not differing:
            return f"{spec.label} #{siblings.index(instance) + 1}"
        own = self.hparams(instance)
        parts = [f"{p.label.lower()} {'on' if own[p.name] else 'off'}" if p.kind == "bool"
                 else f"{_symbol(p)}={p.format(own[p.name])}" for p in differing]
        return f"{spec.label} ({', '.join(parts)})"

    @property
    def run(self) -> dict[str, Any]:
        return {**defaults(RUN_PARAMS), **dict(self.run_values)}

    @property
    def schedule_params(self) -> dict[str, Any]:
        return {**defaults(SCHEDULES[self.schedule].params), **dict(self.schedule_values)}

    @property
    def penalty(self) -> dict[str, Any]:
        return {**defaults(PENALTY_PARAMS), **dict(self.penalty_values)}

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else self.surface_spec.default_start

    @property
    def map_instance(self) -> str | None:
        """The optimizer instance of the hyperparameter map: the first shown one with two or more
        numeric hyperparameters (SGD has one), or None."""
        return next((i for i in self.optimizers if len(numeric_params(optimizer_of(i))) >= 2), None)

    @property
    def basin_instance(self) -> str | None:
        """The optimizer instance of the basin map: the first shown one, or None."""
        return self.optimizers[0] if self.optimizers else None

    @property
    def map_settings(self) -> dict[str, Any]:
        """Every map setting (MAP_VIEW_PARAMS names), valid for the map's optimizer."""
        instance = self.map_instance
        return resolve_map(self.surface, optimizer_of(instance) if instance else None, dict(self.map_values))

    def with_hparams(self, instance: str, values: Mapping[str, Any]) -> "TrajectoryScene":
        """The same scene with some hyperparameters of `instance` set (clamped to their ranges)."""
        params = {p.name: p for p in OPTIMIZERS[optimizer_of(instance)].params}
        own = {**self.hparams(instance)}
        for name, value in values.items():
            spec = params[name]
            own[name] = spec.coerce(value)[0]
        hparam_values = tuple((i, _frozen(own) if i == instance else v) for i, v in self.hparam_values)
        return replace(self, hparam_values=hparam_values)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        surface: str = SURFACE_PARAM.default,
        surface_params: Mapping[str, Any] | None = None,
        optimizers=DEFAULT_OPTIMIZERS,
        hparams: Mapping[str, Mapping[str, Any]] | None = None,
        start=None,
        run: Mapping[str, Any] | None = None,
        schedule: str = SCHEDULE_PARAM.default,
        schedule_params: Mapping[str, Any] | None = None,
        penalty: Mapping[str, Any] | None = None,
        *,
        expression: str | None = None,
        domain: Any = None,
        map: Mapping[str, Any] | None = None,
    ) -> "TrajectoryScene":
        """A scene from plain values (trusted: registry code and lesson scenes); full values are stored.
        `expression` and `domain` (text or pairs) belong to the `custom` surface.

        Raises ValueError naming every value that had to be adjusted."""
        scene, notices = cls.from_values(surface, surface_params, optimizers, hparams, start, run, schedule,
                                         schedule_params, penalty, expression=expression, domain=domain, map=map)
        if notices:
            raise ValueError("; ".join(notices))
        return scene

    @classmethod
    def from_values(cls, surface: str = SURFACE_PARAM.default, surface_params: Mapping[str, Any] | None = None,
                    optimizers=DEFAULT_OPTIMIZERS, hparams: Mapping[str, Mapping[str, Any]] | None = None, start=None,
                    run: Mapping[str, Any] | None = None, schedule: str = SCHEDULE_PARAM.default,
                    schedule_params: Mapping[str, Any] | None = None,
                    penalty: Mapping[str, Any] | None = None, *, expression: str | None = None,
                    domain: Any = None, map: Mapping[str, Any] | None = None) -> tuple["TrajectoryScene", list[str]]:
        """`build`'s arguments read leniently (the widgets): (scene, notices), e.g. too many paths reduced."""
        data = {
            "surface": surface, "surface_params": dict(surface_params or {}), "optimizers": list(optimizers),
            "hparams": {k: dict(v) for k, v in (hparams or {}).items()}, "start": start, "run": dict(run or {}),
            "schedule": schedule, "schedule_params": dict(schedule_params or {}), "penalty": dict(penalty or {}),
            "map": dict(map or {}),
        }
        if surface == CUSTOM:
            data.update({k: v for k, v in (("expression", expression), ("domain", domain)) if v is not None})
        return cls.from_json(data)

    def with_start(self, x: float, y: float) -> "TrajectoryScene":
        """The same scene started at (x, y), clamped to the domain."""
        (x0, x1), (y0, y1) = self.surface_spec.domain
        return replace(self, start=(min(max(float(x), x0), x1), min(max(float(y), y0), y1)))

    # -- JSON --------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Plain JSON with every value (defaults included), so a file reproduces the figure exactly."""
        return {
            "kind": self.KIND,
            "version": SCENE_VERSION,
            "surface": self.surface,
            **self._typed_json(),
            "surface_params": self.surface_params,
            "penalty": self.penalty,
            "optimizers": list(self.optimizers),
            "hparams": {o: self.hparams(o) for o in self.optimizers},
            "start": list(self.start_point),
            "run": self.run,
            "schedule": self.schedule,
            "schedule_params": self.schedule_params,
            "map": self.map_settings,
        }

    def _typed_json(self) -> dict[str, Any]:
        """{"expression", "domain": [xmin, xmax, ymin, ymax]} of the custom surface; {} for the others."""
        if self.surface != CUSTOM:
            return {}
        (x0, x1), (y0, y1) = self.domain or DEFAULT_DOMAIN
        return {"expression": self.expression or DEFAULT_EXPRESSION, "domain": [x0, x1, y0, y1]}

    @classmethod
    def from_json(cls, data: Any) -> tuple["TrajectoryScene", list[str]]:
        """Validate a JSON object (e.g. an uploaded file); never raises on bad content."""
        notices: list[str] = []
        if not isinstance(data, Mapping):
            return TrajectoryScene(), ["scene file: expected a JSON object; using the default scene"]
        if data.get("kind", cls.KIND) != cls.KIND:
            return TrajectoryScene(), [f"scene file: kind {shown(data.get('kind'))} is not a trajectory scene; using the default scene"]
        unknown_keys(data, _JSON_KEYS, notices)

        # An expression without a surface (a hand-written link) means the custom surface.
        surface, note = SURFACE_PARAM.coerce(data.get("surface", CUSTOM if "expression" in data else SURFACE_PARAM.default))
        notices += [note] if note else []
        surface, expression, domain = _coerce_typed(surface, data, notices)
        spec = SURFACES[surface] if surface != CUSTOM else SURFACES[_typed_key(expression, domain)]
        surface_values, n = coerce_all(SURFACES[surface].params, mapping(data.get("surface_params"), notices, "surface_params"), "surface")
        notices += n
        penalty_values, n = coerce_all(PENALTY_PARAMS, mapping(data.get("penalty"), notices, "penalty"), "penalty")
        notices += n

        optimizers: list[str] = []
        raw_optimizers = data.get("optimizers", list(DEFAULT_OPTIMIZERS))
        if isinstance(raw_optimizers, str):
            raw_optimizers = [o for o in raw_optimizers.split(",") if o]
        if not isinstance(raw_optimizers, (list, tuple)):
            notices.append("optimizers: expected a list; using the defaults")
            raw_optimizers = list(DEFAULT_OPTIMIZERS)
        for name in raw_optimizers:
            name = str(name)
            if optimizer_of(name) is None:
                notices.append(f"optimizers: unknown optimizer {shown(name)} ignored (known: {', '.join(OPTIMIZERS)})")
            elif name in optimizers:
                notices.append(f"optimizers: {shown(name)} listed twice; kept once")
            elif len(optimizers) >= MAX_OPTIMIZERS:
                notices.append(f"optimizers: more than {MAX_OPTIMIZERS} paths; {shown(name)} ignored")
            else:
                optimizers.append(name)
        raw_hparams = mapping(data.get("hparams"), notices, "hparams")
        hparam_values = []
        for name in optimizers:
            given = mapping(raw_hparams.get(name), notices, name)
            key = optimizer_of(name)
            # Values the file or link leaves out start where they work on this surface.
            values, n = coerce_all(OPTIMIZERS[key].params, {**SURFACES[surface].hparams_for(key), **given}, name)
            notices += n
            hparam_values.append((name, _frozen(values)))

        start = None
        if data.get("start") is not None:
            start, note = _coerce_start(data["start"], spec.domain)
            notices += [note] if note else []

        run_values, n = coerce_all(RUN_PARAMS, mapping(data.get("run"), notices, "run"))
        notices += n
        paths = max_paths(len(optimizers), run_values["steps"]) if run_values["noise"] > 0 else run_values["paths"]
        if run_values["paths"] > paths:
            notices.append(f"run: {len(optimizers)} optimizers x {run_values['paths']} noisy paths x "
                           f"{run_values['steps']} steps is more than one scene may draw ({MAX_POINTS:,} points); "
                           f"paths reduced to {paths}")
            run_values["paths"] = paths
        schedule, note = SCHEDULE_PARAM.coerce(data.get("schedule", SCHEDULE_PARAM.default))
        notices += [note] if note else []
        schedule_values, n = coerce_all(SCHEDULES[schedule].params, mapping(data.get("schedule_params"), notices, "schedule_params"), schedule)
        notices += n
        raw_map = mapping(data.get("map"), notices, "map")
        map_given = {}
        for key, value in raw_map.items():  # only the settings given: the others follow the optimizer
            spec = _MAP.get(key)
            if spec is None:
                notices.append(f"map: unknown setting {shown(key)} ignored (known: {', '.join(_MAP)})")
                continue
            map_given[key], note = spec.coerce(value)
            notices += [note] if note else []
        map_instance = next((i for i in optimizers if len(numeric_params(optimizer_of(i))) >= 2), None)
        map_key = optimizer_of(map_instance) if map_instance else None
        map_values = resolve_map(surface, map_key, map_given, notices)
        map_default = default_map(surface, map_key)
        scene = TrajectoryScene(
            surface=surface, expression=expression, domain=domain, surface_values=_frozen(surface_values), optimizers=tuple(optimizers),
            hparam_values=tuple(hparam_values), start=start, run_values=_frozen(run_values), schedule=schedule,
            schedule_values=_frozen(schedule_values), penalty_values=_frozen(penalty_values),
            map_values=_frozen({k: v for k, v in map_values.items() if v != map_default[k]}),
        )
        return scene, notices

    # -- URL ---------------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Flat query parameters: every control, so the link reproduces the figure exactly."""
        surface = SURFACES[self.surface]
        query = {"surface": self.surface}
        if self.surface == CUSTOM:
            query["expression"] = self.expression or DEFAULT_EXPRESSION
            query["domain"] = format_domain(self.domain or DEFAULT_DOMAIN)
        query.update({p.name: p.format(self.surface_params[p.name]) for p in surface.params})
        query.update({p.name: p.format(self.penalty[p.name]) for p in PENALTY_PARAMS})
        query["opt"] = ",".join(self.optimizers)
        for name in self.optimizers:
            values = self.hparams(name)
            query.update({f"{name}.{p.name}": p.format(values[p.name]) for p in OPTIMIZERS[optimizer_of(name)].params})
        query[START_PARAM.name] = START_PARAM.format(self.start_point)
        query.update({p.name: p.format(self.run[p.name]) for p in RUN_PARAMS})
        query["schedule"] = self.schedule
        query.update({p.name: p.format(self.schedule_params[p.name]) for p in SCHEDULES[self.schedule].params})
        settings = self.map_settings
        query.update({p.name: p.format(settings[p.name]) for p in MAP_VIEW_PARAMS})
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> tuple["TrajectoryScene", list[str]]:
        """Read query parameters (values may be lists: the last one wins); never raises."""
        flat = flat_query(query)
        surface = str(flat.get("surface", SURFACE_PARAM.default))
        schedule = str(flat.get("schedule", SCHEDULE_PARAM.default))
        optimizers = [o for o in str(flat.get("opt", ",".join(DEFAULT_OPTIMIZERS))).split(",") if o]
        data: dict[str, Any] = {"surface": surface, "schedule": schedule, "optimizers": optimizers,
                                "surface_params": {}, "penalty": {}, "hparams": {}, "run": {}, "schedule_params": {},
                                "map": {}}
        for key in ("expression", "domain"):  # text in a link, as in a scene file (the domain also [x0, x1, y0, y1])
            if key in flat:
                data[key] = str(flat[key])
        if "expression" in flat and "surface" not in flat:
            data.pop("surface")  # a link with only an expression means the custom surface (see from_json)
        if START_PARAM.name in flat:  # "x,y" in a link; a scene file holds [x, y]
            data["start"] = str(flat[START_PARAM.name]).split(",")
        # An unknown surface or schedule falls back to the default (with a notice from from_json),
        # whose parameters in the link then still apply.
        surface_names = {p.name for p in SURFACES.get(surface, SURFACES[SURFACE_PARAM.default]).params}
        schedule_names = {p.name for p in SCHEDULES.get(schedule, SCHEDULES[SCHEDULE_PARAM.default]).params}
        notices = []
        for key, value in flat.items():
            if key in RESERVED_KEYS:
                continue
            if "." in key:
                name, _, param = key.partition(".")
                data["hparams"].setdefault(name, {})[param] = value
                if name not in optimizers:
                    notices.append(f"link: {shown(key)} ignored ({shown(name)} is not among the chosen optimizers)")
            elif key in surface_names:
                data["surface_params"][key] = value
            elif key in {p.name for p in PENALTY_PARAMS}:
                data["penalty"][key] = value
            elif key in {p.name for p in RUN_PARAMS}:
                data["run"][key] = value
            elif key in schedule_names:
                data["schedule_params"][key] = value
            elif key in _MAP:
                data["map"][key] = value
            else:
                notices.append(f"link: unknown parameter {shown(key)} ignored")
        scene, more = TrajectoryScene.from_json(data)
        return scene, notices + more


def start_hparams(surface: str, optimizer: str) -> dict[str, Any]:
    """The hyperparameters an optimizer starts with on a surface: its defaults, with the surface's
    learning rate where its default does not work there (optviz.surfaces.Surface.learning_rates)."""
    return {**defaults(OPTIMIZERS[optimizer].params), **SURFACES[surface].hparams_for(optimizer)}


def _symbol(param: Param) -> str:
    """The math symbol ending a label ("Learning rate η" -> "η"), else the Param's name."""
    last = param.label.split(" ")[-1]
    return last if len(last) <= 2 else param.name


@functools.lru_cache(maxsize=256)
def _typed_key(expression: str, domain: Domain) -> str:
    """typed_key of a valid expression text (parsed once per text: scenes ask for it often)."""
    return typed_key(parse_expression(expression), domain)


def _coerce_typed(surface: str, data: Mapping[str, Any], notices: list[str]) -> tuple[str, str, Domain | None]:
    """(surface, expression, domain) read leniently: for `custom`, the expression and domain of
    `data` (defaults where missing); an expression that cannot be used gives a notice and the
    default surface, a domain that cannot be used the default domain. Other surfaces have none."""
    given = [k for k in ("expression", "domain") if data.get(k) is not None]
    if surface != CUSTOM:
        if given:
            notices.append(f"{' and '.join(given)} ignored: only the custom surface (your own f(x, y)) has one")
        return surface, "", None
    raw = data.get("expression")
    raw = DEFAULT_EXPRESSION if raw is None else raw
    try:
        expression = parse_expression(raw).text
    except ExpressionError as err:
        notices.append(f"expression: {err}; using the default surface")
        return SURFACE_PARAM.default, "", None
    domain = DEFAULT_DOMAIN
    if data.get("domain") is not None:
        try:
            domain = parse_domain(data["domain"])
        except ExpressionError as err:
            notices.append(f"{err}; using the default domain {format_domain(DEFAULT_DOMAIN)}")
    return surface, expression, domain


def _coerce_start(value: Any, domain) -> tuple[tuple[float, float] | None, str | None]:
    (x0, x1), (y0, y1) = domain
    try:
        if isinstance(value, str):
            raise ValueError  # a scene file holds [x, y]: "12" must not read as (1, 2)
        x, y = START_PARAM.parse(value)
    except ValueError:
        return None, f"start={shown(value)} is not a point x,y; using the surface's default start"
    clamped = (min(max(x, x0), x1), min(max(y, y0), y1))
    if clamped != (x, y):
        return clamped, f"start ({x:g}, {y:g}) is outside the surface's domain; clamped to ({clamped[0]:g}, {clamped[1]:g})"
    return clamped, None
