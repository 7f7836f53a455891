"""Param: one hyperparameter's spec, the single source for sliders, URL keys, JSON and CLI flags.

A registry entry (surface, optimizer, schedule, initializer, activation) lists its `Param`s.
From each spec the UI builds a widget, the scene (de)serialises URL and JSON values, and the
CLI parses `--set name=value`. Values coming from outside are parsed strictly (`parse`, for
the CLI: out of range is an error) or leniently (`coerce`, for URLs and uploaded files: out of
range is clamped, garbage falls back to the default, and both say so in a notice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

Kind = Literal["float", "int", "bool", "choice", "point"]

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def parse_bool(value: Any) -> bool | None:
    """True or False for a yes/no value (True, 1, "true", "Yes", "on", ...); None if it is neither.

    The one reading of yes/no values in links, scene files and the CLI.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None


@dataclass(frozen=True)
class Param:
    """Spec of one named, bounded value.

    Args:
      name: key in URLs, JSON and CLI (optax's names for hyperparameters).
      label: human label for widgets and captions.
      default: the lecture's default.
      min, max: inclusive bounds for numeric kinds.
      log: slider on a log10 scale (learning rates, eps).
      help: one-line tooltip.
      kind: "float", "int", "bool", "choice" or "point" (an x,y pair; default None: the
        registry entry's own, e.g. a surface's default start; bounds checked by the scene).
      choices: allowed values of a "choice".
      unit: optional unit shown after the label (e.g. "deg").
    """

    name: str
    label: str
    default: Any
    min: float | None = None
    max: float | None = None
    log: bool = False
    help: str = ""
    kind: Kind = "float"
    choices: tuple[str, ...] = field(default_factory=tuple)
    unit: str = ""
    choice_labels: tuple[str, ...] = field(default_factory=tuple)  # display text of each choice

    def __post_init__(self):
        if self.kind in ("float", "int"):
            if self.min is None or self.max is None or not self.min <= self.default <= self.max:
                raise ValueError(f"Param {self.name}: default {self.default} outside [{self.min}, {self.max}]")
            if self.log and self.min <= 0:
                raise ValueError(f"Param {self.name}: a log scale needs min > 0")
        if self.kind == "choice" and self.default not in self.choices:
            raise ValueError(f"Param {self.name}: default {self.default!r} not in {self.choices}")
        if self.choice_labels and len(self.choice_labels) != len(self.choices):
            raise ValueError(f"Param {self.name}: one label per choice")

    def choice_label(self, value: Any) -> str:
        """Display text of a choice (the value itself when no labels are given)."""
        if self.choice_labels and value in self.choices:
            return self.choice_labels[self.choices.index(value)]
        return str(value)

    # -- strict parsing (CLI) -------------------------------------------------------------
    def parse(self, value: Any) -> Any:
        """Return `value` converted to this kind; raise ValueError with a clear message.

        Out-of-range numbers are errors here (the CLI exits 2); use `coerce` to clamp.
        """
        converted = self._convert(value)
        if self.kind in ("float", "int") and not self.min <= converted <= self.max:
            raise ValueError(
                f"{self.name}={shown(value)} is out of range: allowed {_fmt(self.min)} to {_fmt(self.max)}"
            )
        return converted

    # -- lenient parsing (URL, JSON files) --------------------------------------------------
    def coerce(self, value: Any) -> tuple[Any, str | None]:
        """Return (value, notice): clamped to range, or the default if unreadable.

        The notice is None when the value was taken as given.
        """
        try:
            converted = self._convert(value)
        except ValueError as err:
            return self.default, f"{err}; using the default {self.format(self.default)}"
        if self.kind in ("float", "int"):
            clamped = min(max(converted, self.min), self.max)
            clamped = int(clamped) if self.kind == "int" else float(clamped)
            if clamped != converted:
                return clamped, (
                    f"{self.name}={shown(converted if math.isfinite(converted) else value)} is out of range "
                    f"[{_fmt(self.min)}, {_fmt(self.max)}]; clamped to {self.format(clamped)}"
                )
            return clamped, None
        return converted, None

    def format(self, value: Any) -> str:
        """Short text for URLs, captions and JSON-free contexts (round-trips through parse)."""
        if self.kind == "bool":
            return "true" if value else "false"
        if self.kind == "point":
            return ",".join(_fmt(round(float(v), 6)) for v in value)
        if self.kind == "int":
            return str(int(value))
        if self.kind == "float":
            return _fmt(float(value))
        return str(value)

    def _convert(self, value: Any) -> Any:
        if self.kind == "bool":
            flag = parse_bool(value)
            if flag is None:
                raise ValueError(f"{self.name}={shown(value)} is not a yes/no value (use true or false)")
            return flag
        if self.kind == "point":
            return self._point(value)
        if self.kind == "choice":
            text = str(value).strip() if isinstance(value, (str, int, float)) else None
            if text not in self.choices:
                raise ValueError(f"{self.name}={shown(value)} is not one of {', '.join(self.choices)}")
            return text
        if isinstance(value, bool):
            raise ValueError(f"{self.name}={shown(value)} is not a number")
        try:
            number = float(value)
        except OverflowError:  # an integer past float range (a 400-digit step count): far out of range
            return -math.inf if value < 0 else math.inf
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}={shown(value)} is not a number") from None
        if not math.isfinite(number):
            # Digits too many for a float ("999...9") are far out of range; "inf" and "nan" are not numbers to clamp.
            if isinstance(value, str) and math.isinf(number) and value.strip().lstrip("+-").lower() not in ("inf", "infinity"):
                return number
            raise ValueError(f"{self.name}={shown(value)} is not a finite number")
        if self.kind == "int":
            if number != int(number):
                raise ValueError(f"{self.name}={shown(value)} is not a whole number")
            return int(number)
        return number

    def _point(self, value: Any) -> tuple[float, float]:
        """(x, y) from "x,y" or a pair of numbers; "12" is not (1, 2) and [true, false] not (1, 0)."""
        parts = value.split(",") if isinstance(value, str) else value
        try:
            if isinstance(parts, (bytes, Mapping)) or len(parts) != 2 or any(isinstance(v, bool) for v in parts):
                raise TypeError
            x, y = (float(v) for v in parts)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{self.name} expects X,Y (two finite numbers), got {shown(value)}") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError(f"{self.name} expects X,Y (two finite numbers), got {shown(value)}")
        return x, y


SHOWN_CHARACTERS = 40
"""Most characters of an outside value that a message repeats (a notice must not carry a 5 MB string)."""


def shown(value: Any, limit: int = SHOWN_CHARACTERS) -> str:
    """An outside value as a message repeats it: short (a long text is cut, saying how long it
    was), numbers readable (1e+308, not 309 digits), never a conversion that raises."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if abs(value) < 10**15:
            return str(value)
        try:
            return f"{float(value):.6g}"  # 1e+308, not 309 digits
        except OverflowError:  # past float range; str() itself refuses more than 4300 digits
            return f"{'-' if value < 0 else ''}a {int(value.bit_length() * 0.30103) + 1}-digit number"
    if isinstance(value, float):
        return _fmt(value) if math.isfinite(value) and abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, str):
        return repr(value) if len(value) <= limit else f"{value[:limit]!r}… ({len(value):,} characters)"
    try:
        text = repr(value) if not isinstance(value, (list, tuple, dict)) or len(value) <= 8 else f"a {type(value).__name__} of {len(value):,} items"
    except (ValueError, RecursionError):  # a huge integer inside, or absurd nesting
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else f"{text[:limit]}… ({type(value).__name__})"


def _fmt(number: float) -> str:
    """Shortest text that round-trips a float (`repr`), without a trailing `.0`."""
    if isinstance(number, int) or float(number).is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(float(number))


def defaults(params: Sequence[Param]) -> dict[str, Any]:
    """{name: default} of a Param list."""
    return {p.name: p.default for p in params}


def coerce_all(
    params: Sequence[Param], values: Mapping[str, Any], where: str = ""
) -> tuple[dict[str, Any], list[str]]:
    """Coerce a mapping against specs: defaults fill gaps, unknown keys are dropped with a notice."""
    by_name = {p.name: p for p in params}
    result = defaults(params)
    notices: list[str] = []
    prefix = f"{where}: " if where else ""
    for key, raw in values.items():
        spec = by_name.get(key)
        if spec is None:
            notices.append(f"{prefix}unknown setting {shown(key)} ignored (known: {', '.join(by_name) or 'none'})")
            continue
        value, notice = spec.coerce(raw)
        result[key] = value
        if notice:
            notices.append(prefix + notice)
    return result, notices


def parse_all(params: Sequence[Param], values: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """Strictly parse a mapping against specs (CLI); unknown keys raise ValueError."""
    by_name = {p.name: p for p in params}
    result = defaults(params)
    for key, raw in values.items():
        spec = by_name.get(key)
        if spec is None:
            known = ", ".join(by_name) or "none"
            raise ValueError(f"{where + ': ' if where else ''}unknown setting {shown(key)} (known: {known})")
        try:
            result[key] = spec.parse(raw)
        except ValueError as err:
            raise ValueError(f"{where + ': ' if where else ''}{err}") from None
    return result


def to_json(param: Param) -> dict[str, Any]:
    """The spec as plain JSON (for `list --json` and docs)."""
    out: dict[str, Any] = {"name": param.name, "label": param.label, "kind": param.kind, "default": param.default}
    if param.kind in ("float", "int"):
        out.update(min=param.min, max=param.max, log=param.log)
    if param.kind == "choice":
        out["choices"] = list(param.choices)
    if param.unit:
        out["unit"] = param.unit
    if param.help:
        out["help"] = param.help
    return out
