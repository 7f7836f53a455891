"""`python -m optviz`: list the registries, compute trajectories and layer statistics, export figures.

A stable contract: JSON on stdout; a clear message on stderr and exit code 2 for unknown names,
out-of-range values and malformed arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from typing import Any, Callable, Sequence

from optviz.params import Param, parse_all, to_json

EXIT_USAGE = 2


class UsageError(Exception):
    """A bad argument: reported on stderr, exit code 2."""


def _pairs(items: Sequence[str] | None, flag: str) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{flag} expects name=value, got {item!r}")
        pairs[name.strip()] = value.strip()
    return pairs


def _parse(params: Sequence[Param], values: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return parse_all(params, values, where)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _registry_json() -> dict[str, Any]:
    from optviz.trajectories.compute import FIGURES, MAIN_FIGURE
    from optviz.optimizers import OPTIMIZERS
    from optviz.params import defaults
    from optviz.schedules import SCHEDULES
    from optviz.surfaces import PENALTY_PARAMS, SURFACES
    from optviz.trajectories.runner import RUN_PARAMS

    out: dict[str, Any] = {
        "surfaces": {
            k: {
                "label": s.label, "formula": s.latex, "lesson": s.lesson,
                "domain": {"x": list(s.domain[0]), "y": list(s.domain[1])},
                "default_start": list(s.default_start),
                "params": [to_json(p) for p in s.params],
                "critical_points": [{"x": p.x, "y": p.y, "kind": p.kind} for p in s.critical_points(defaults(s.params))],
                "minima": s.minima(defaults(s.params)).tolist(),
            }
            for k, s in SURFACES.items()
        },
        "optimizers": {
            k: {"label": o.label, "update_rule": o.update_rule, "lesson": o.lesson,
                "hyperparameters": [to_json(p) for p in o.params], "defaults": defaults(o.params)}
            for k, o in OPTIMIZERS.items()
        },
        "schedules": {k: {"label": s.label, "formula": s.latex, "params": [to_json(p) for p in s.params]}
                      for k, s in SCHEDULES.items()},
        "penalty": [to_json(p) for p in PENALTY_PARAMS],
        "run": [to_json(p) for p in RUN_PARAMS],
        "figures": {"trajectory": {"main": MAIN_FIGURE, "figures": FIGURES}},
    }
    for extra in _EXTRA_LISTINGS:
        out.update(extra())
    from optviz.layers import compute as layers_compute

    out["figures"]["layers"] = {"main": layers_compute.MAIN_FIGURE, "figures": layers_compute.FIGURES}
    return out


# Other parts of optviz (layers, scenes) add their listings here.
_EXTRA_LISTINGS: list[Callable[[], dict[str, Any]]] = []


def cmd_list(args) -> int:
    data = _registry_json()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for section, entries in data.items():
        if isinstance(entries, dict) and all(isinstance(v, dict) for v in entries.values()):
            print(f"{section}:")
            for key, value in entries.items():
                label = value.get("label", value.get("title", ""))
                print(f"  {key:<22} {label}")
    return 0


def cmd_trajectory(args) -> int:
    from optviz.optimizers import resolve_optimizer
    from optviz.schedules import resolve_schedule
    from optviz.surfaces import PENALTY_PARAMS, resolve_surface
    from optviz.trajectories.runner import RUN_PARAMS, run_paths

    try:
        surface = resolve_surface(args.surface)
        optimizer = resolve_optimizer(args.optimizer)
        schedule = resolve_schedule(args.schedule)
    except ValueError as err:
        raise UsageError(str(err)) from None
    surface_params = _parse(surface.params, _pairs(args.surface_param, "--surface-param"), f"surface {surface.key}")
    hparams = _parse(optimizer.params, _pairs(args.set, "--set"), f"optimizer {optimizer.key}")
    schedule_params = _parse(schedule.params, _pairs(args.schedule_param, "--schedule-param"), f"schedule {schedule.key}")
    run = _parse(RUN_PARAMS, {"steps": args.steps, "noise": args.noise, "seed": args.seed}, "run")
    penalty = _parse(PENALTY_PARAMS, {"penalty": args.penalty, "strength": args.strength}, "penalty")
    start = surface.default_start if args.start is None else _point(args.start, surface)
    result = run_paths(surface.key, optimizer.key, [start], steps=run["steps"], hparams=hparams,
                       surface_params=surface_params, schedule=schedule.key, schedule_params=schedule_params,
                       penalty=penalty["penalty"], strength=penalty["strength"], noise=run["noise"], seeds=[run["seed"]])[0]
    payload = {
        "surface": surface.key, "surface_params": surface_params, "optimizer": optimizer.key, "hparams": result.hparams,
        "schedule": schedule.key, "schedule_params": schedule_params, "penalty": penalty, "start": list(start),
        "steps": run["steps"], "noise": run["noise"], "seed": run["seed"],
        "points": result.positions.tolist(), "losses": result.losses.tolist(),
        "diverged_at": result.diverged_at, "divergence": result.divergence,
    }
    if args.json:
        print(json.dumps(payload))
    else:
        x, y = result.positions[-1]
        status = f"diverged at step {result.diverged_at} ({result.divergence})" if result.diverged_at else "finished"
        print(f"{optimizer.label} on {surface.label}: {status}; last point ({x:.6g}, {y:.6g}), loss {result.losses[-1]:.6g}")
    return 0


def _point(text: str, surface) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ValueError
    except ValueError:
        raise UsageError(f"--start expects X,Y (two finite numbers), got {text!r}") from None
    (x0, x1), (y0, y1) = surface.domain
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        raise UsageError(f"--start {text} is outside the domain of {surface.key}: x in [{x0}, {x1}], y in [{y0}, {y1}]")
    return x, y


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: same format and exit code as ours
        self.print_usage(sys.stderr)
        print(f"optviz: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m optviz", description="optviz: optimizer trajectories and deep-network statistics.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="surfaces, optimizers, schedules, figures, scenes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("trajectory", help="one optimizer's path on one surface")
    p.add_argument("--surface", required=True)
    p.add_argument("--surface-param", action="append", metavar="NAME=VALUE", help="a surface parameter (repeatable)")
    p.add_argument("--optimizer", required=True)
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="a hyperparameter, e.g. learning_rate=0.1 (repeatable)")
    p.add_argument("--start", metavar="X,Y", help="start point (default: the surface's)")
    p.add_argument("--steps", default="200")
    p.add_argument("--noise", default="0", help="std of Gaussian gradient noise")
    p.add_argument("--seed", default="0")
    p.add_argument("--schedule", default="constant")
    p.add_argument("--schedule-param", action="append", metavar="NAME=VALUE")
    p.add_argument("--penalty", default="none", help="none, l1 or l2")
    p.add_argument("--strength", default="0", help="penalty strength")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trajectory)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


# Other parts of optviz (layers, export) add their subcommands here.
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def _attach_negative_values(argv: list[str]) -> list[str]:
    """`--start -1.5,2` -> `--start=-1.5,2`: argparse would take the negative value for an option."""
    out: list[str] = []
    for token in argv:
        if out and out[-1].startswith("--") and "=" not in out[-1] and re.match(r"^-\.?\d", token):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from optviz import cli_extras  # noqa: F401  (registers the layers and export subcommands)
    from optviz.compile_cache import enable_compile_cache

    enable_compile_cache()  # a second CLI call loads its compiled variants instead of compiling

    parser = build_parser()
    args = parser.parse_args(_attach_negative_values(list(sys.argv[1:] if argv is None else argv)))
    try:
        return args.func(args)
    except UsageError as err:
        print(f"optviz: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader stopped early (`... | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush stays quiet
        return 0
