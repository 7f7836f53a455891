"""`python -m optviz`: list the registries, compute trajectories and layer statistics, export figures,
warm up the compilation cache.

A stable contract: JSON on stdout; a clear message on stderr and exit code 2 for unknown names,
out-of-range values and malformed arguments. Every value flag is generated from a registry's
`Param` spec (name, help, default, range), so the CLI, the sliders, the links and the scene files
accept the same values; `--set NAME=VALUE` and friends take a registry entry's own Params.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from optviz.params import Param, parse_all, shown, to_json

EXIT_USAGE = 2


class UsageError(Exception):
    """A bad argument: reported on stderr, exit code 2."""


# -- flags from Params ------------------------------------------------------------------------------


def flag(param: Param) -> str:
    """The CLI flag of a Param: `--batch-size` for `batch_size`."""
    return "--" + param.name.replace("_", "-")


def add_param_flags(parser: argparse.ArgumentParser, params: Sequence[Param], *, required: Sequence[str] = (),
                    metavars: dict[str, str] | None = None) -> None:
    """One flag per Param (`flag(param)`), parsed later by `param_values`: a yes/no Param is a switch
    (`--batchnorm`; `--no-caption` too when it defaults to on), every other kind takes a value."""
    for spec in params:
        text = spec.help + (f" ({', '.join(spec.choices)})" if spec.kind == "choice" else "")
        if spec.kind == "bool":
            action = argparse.BooleanOptionalAction if spec.default else "store_true"
            parser.add_argument(flag(spec), dest=spec.name, action=action, default=None,
                                help=f"{text} [default {spec.format(spec.default)}]")
            continue
        default = "" if spec.name in required or spec.default is None else f" [default {spec.format(spec.default)}]"
        parser.add_argument(flag(spec), dest=spec.name, required=spec.name in required,
                            metavar=(metavars or {}).get(spec.name, spec.name.upper()), help=text + default)


def param_values(args: argparse.Namespace, params: Sequence[Param], where: str = "") -> dict[str, Any]:
    """The flags' values, parsed strictly against their Params; defaults fill the gaps."""
    given = {p.name: getattr(args, p.name) for p in params if getattr(args, p.name, None) is not None}
    return _parse(params, given, where)


def _pairs(items: Sequence[str] | None, flag_name: str) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{flag_name} expects name=value, got {shown(item)}")
        pairs[name.strip()] = value.strip()
    return pairs


def _parse(params: Sequence[Param], values: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return parse_all(params, values, where)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _resolved(resolve: Callable[[str], Any], name: str) -> Any:
    try:
        return resolve(name)
    except ValueError as err:
        raise UsageError(str(err)) from None


# -- list -------------------------------------------------------------------------------------------


def _registry_json() -> dict[str, Any]:
    from optviz.activations import ACTIVATIONS
    from optviz.initializers import INITIALIZERS
    from optviz.layers.network import NETWORK_PARAMS
    from optviz.optimizers import OPTIMIZERS
    from optviz.pages import LESSONS, PAGES
    from optviz.params import defaults
    from optviz.schedules import SCHEDULES
    from optviz.surfaces import PENALTY_PARAMS, SURFACES
    from optviz.trajectories.runner import RUN_PARAMS

    return {
        "pages": {k: {"title": p.title, "url_path": p.url_path, "kind": p.kind, "summary": p.summary,
                      "views": {v.label: list(v.figures) for v in p.views}} for k, p in PAGES.items()},
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
        "figures": {p.kind: {"main": p.main_figure, "figures": dict(p.figures)} for p in PAGES.values()},
        "scenes": {k: lesson.to_json() for k, lesson in LESSONS.items()},
        "activations": {k: {"label": a.label, "formula": a.latex} for k, a in ACTIVATIONS.items()},
        "initializers": {k: {"label": i.label, "aliases": list(i.aliases), "variance": i.formula, "uses_scale": i.uses_scale}
                         for k, i in INITIALIZERS.items()},
        "network": [to_json(p) for p in NETWORK_PARAMS],
    }


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


# -- trajectory -------------------------------------------------------------------------------------


def _trajectory_params() -> tuple[Param, ...]:
    """The `trajectory` command's value flags: surface, optimizer, schedule, start, run and penalty."""
    from optviz.optimizers import OPTIMIZERS
    from optviz.surfaces import PENALTY_PARAMS
    from optviz.trajectories.runner import RUN_PARAMS
    from optviz.trajectories.scene import SCHEDULE_PARAM, START_PARAM, SURFACE_PARAM

    optimizer = Param("optimizer", "Optimizer", "sgd", kind="choice", choices=tuple(OPTIMIZERS), help="The optimizer.")
    run = tuple(p for p in RUN_PARAMS if p.name != "paths")  # the CLI draws one path (seed --seed)
    return (SURFACE_PARAM, optimizer, SCHEDULE_PARAM, START_PARAM, *run, *PENALTY_PARAMS)


def _trajectory_surface(args):
    """(surface, expression): the Surface of `--surface`, or of `--expression` (and `--domain`), a typed
    f(x, y) that replaces `--surface` (`--surface custom` may stand beside it)."""
    from optviz.surfaces import CUSTOM, DEFAULT_DOMAIN, DEFAULT_EXPRESSION, resolve_surface, typed_surface

    typed = args.expression is not None or args.domain is not None or args.surface == CUSTOM
    if args.surface is None and not typed:
        raise UsageError("give --surface NAME or --expression \"f(x, y)\"")
    if typed and args.surface not in (None, CUSTOM):
        raise UsageError(f"--expression and --domain replace --surface (got --surface {shown(args.surface)}): give one of them")
    if not typed:
        return _resolved(resolve_surface, args.surface), None
    text = DEFAULT_EXPRESSION if args.expression is None else args.expression
    try:
        return typed_surface(text, DEFAULT_DOMAIN if args.domain is None else args.domain), text.strip()
    except ValueError as err:  # optviz.expression.ExpressionError: one line naming the column and the problem
        message = str(err)
        if message.startswith("domain"):
            raise UsageError("--" + message) from None  # "--domain: xmin 1 must be ..."
        raise UsageError(f"--expression: {message}") from None


def cmd_trajectory(args) -> int:
    from optviz.optimizers import resolve_optimizer
    from optviz.schedules import resolve_schedule
    from optviz.surfaces import CUSTOM, PENALTY_PARAMS
    from optviz.trajectories.runner import RUN_PARAMS, run_paths
    from optviz.trajectories.scene import SCHEDULE_PARAM, START_PARAM

    surface, expression = _trajectory_surface(args)
    typed = expression is not None
    optimizer = _resolved(resolve_optimizer, args.optimizer)
    schedule = _resolved(resolve_schedule, args.schedule or SCHEDULE_PARAM.default)
    name = CUSTOM if typed else surface.key
    surface_params = _parse(surface.params, _pairs(args.surface_param, "--surface-param"), f"surface {name}")
    hparams = _parse(optimizer.params, _pairs(args.set, "--set"), f"optimizer {optimizer.key}")
    schedule_params = _parse(schedule.params, _pairs(args.schedule_param, "--schedule-param"), f"schedule {schedule.key}")
    run = param_values(args, [p for p in RUN_PARAMS if p.name != "paths"], "run")
    penalty = param_values(args, PENALTY_PARAMS, "penalty")
    start = surface.default_start if args.start is None else _point(args.start, surface, START_PARAM)
    tuned = None
    if run["tune"]:  # a fair comparison: the learning rate that ends nearest a minimum (--set learning_rate is set aside)
        from optviz.trajectories.maps import tune_learning_rate

        tuned = tune_learning_rate(surface.key, optimizer.key, start, steps=run["steps"], hparams=hparams,
                                   surface_params=surface_params, schedule=schedule.key, schedule_params=schedule_params,
                                   penalty=penalty["penalty"], strength=penalty["strength"])
        hparams = hparams if tuned is None else {**hparams, "learning_rate": tuned}
    result = run_paths(surface.key, optimizer.key, [start], steps=run["steps"], hparams=hparams,
                       surface_params=surface_params, schedule=schedule.key, schedule_params=schedule_params,
                       penalty=penalty["penalty"], strength=penalty["strength"], noise=run["noise"], seeds=[run["seed"]])[0]
    typed_fields = {}
    if typed:
        (x0, x1), (y0, y1) = surface.domain
        typed_fields = {"expression": expression, "domain": [x0, x1, y0, y1],
                        "minima": surface.minima({}).tolist()}
    payload = {
        "surface": name, **typed_fields, "surface_params": surface_params, "optimizer": optimizer.key, "hparams": result.hparams,
        "schedule": schedule.key, "schedule_params": schedule_params, "penalty": penalty, "start": list(start),
        "steps": run["steps"], "noise": run["noise"], "seed": run["seed"], "tuned_learning_rate": tuned,
        # A typed f may overflow: a non-finite loss is null (JSON has no Infinity or NaN).
        "points": result.positions.tolist(), "losses": [v if math.isfinite(v) else None for v in result.losses.tolist()],
        "diverged_at": result.diverged_at, "divergence": result.divergence,
    }
    if args.json:
        print(json.dumps(payload, allow_nan=False))
    else:
        x, y = result.positions[-1]
        status = f"diverged at step {result.diverged_at} ({result.divergence})" if result.diverged_at else "finished"
        label = optimizer.label if tuned is None else f"{optimizer.label} (tuned η={tuned:.3g})"
        print(f"{label} on {surface.label}: {status}; last point ({x:.6g}, {y:.6g}), loss {result.losses[-1]:.6g}")
    return 0


def _point(text: str, surface, spec: Param) -> tuple[float, float]:
    try:
        x, y = spec.parse(text)
    except ValueError as err:
        raise UsageError(f"{flag(spec)}: {err}") from None
    (x0, x1), (y0, y1) = surface.domain
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        name = "your f(x, y)" if surface.key.startswith("custom") else surface.key
        raise UsageError(f"{flag(spec)} {text} is outside the domain of {name}: x in [{x0}, {x1}], y in [{y0}, {y1}]")
    return x, y


# -- layers -----------------------------------------------------------------------------------------


def cmd_layers(args) -> int:
    from optviz.layers.network import NETWORK_PARAMS, NetworkConfig
    from optviz.layers.report import layer_stats_json

    given = {p.name: getattr(args, p.name) for p in NETWORK_PARAMS if getattr(args, p.name) is not None}
    try:  # NetworkConfig parses each value strictly and resolves initializer aliases
        config = NetworkConfig(**given)
    except ValueError as err:
        raise UsageError(str(err)) from None
    payload = layer_stats_json(config)
    if args.json:
        print(json.dumps(payload))
    else:
        print(f"{'layer':>5} {'mean':>11} {'std':>11} {'saturated':>9} {'dead':>6} {'grad_std':>11} {'weight_grad':>11}")
        for i, row in enumerate(payload["layers"], 1):
            cells = [row[k] for k in ("mean", "std", "saturated", "dead", "grad_std", "weight_grad_std")]
            text = ["—" if v is None else f"{v:.3g}" for v in cells]
            print(f"{i:>5} {text[0]:>11} {text[1]:>11} {text[2]:>9} {text[3]:>6} {text[4]:>11} {text[5]:>11}")
    return 0


# -- sweep, basins -----------------------------------------------------------------------------------


def _map_setting(args):
    """(surface, optimizer, surface_params, hparams, map settings) of a `sweep` or `basins` call."""
    from optviz.optimizers import resolve_optimizer
    from optviz.surfaces import resolve_surface
    from optviz.trajectories.maps import MAP_PARAMS

    surface = _resolved(resolve_surface, args.surface)
    optimizer = _resolved(resolve_optimizer, args.optimizer)
    surface_params = _parse(surface.params, _pairs(args.surface_param, "--surface-param"), f"surface {surface.key}")
    given = {**surface.hparams_for(optimizer.key), **_pairs(args.set, "--set")}
    hparams = _parse(optimizer.params, given, f"optimizer {optimizer.key}")
    return surface, optimizer, surface_params, hparams, param_values(args, MAP_PARAMS)


def cmd_sweep(args) -> int:
    import numpy as np

    from optviz.trajectories.maps import hyperparameter_map, parse_axis
    from optviz.trajectories.scene import START_PARAM

    surface, optimizer, surface_params, hparams, settings = _map_setting(args)
    try:
        x_axis, y_axis = parse_axis(args.x, optimizer.key), parse_axis(args.y, optimizer.key)
    except ValueError as err:
        raise UsageError(str(err)) from None
    start = surface.default_start if args.start is None else _point(args.start, surface, START_PARAM)
    try:
        result = hyperparameter_map(surface.key, optimizer.key, x_axis, y_axis, start=start, hparams=hparams,
                                    surface_params=surface_params, **settings)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.json:
        print(json.dumps(result.to_json(), allow_nan=False))
        return 0
    share = float(result.diverged.mean())
    finite = result.final_loss[np.isfinite(result.final_loss)]
    best = f"; lowest final loss {finite.min():.4g}" if finite.size else ""
    print(f"{optimizer.label} on {surface.label}, {x_axis.name} x {y_axis.name} ({settings['resolution']}^2 runs of "
          f"{settings['steps']} steps): {share:.0%} diverged{best}")
    return 0


def cmd_basins(args) -> int:
    import numpy as np

    from optviz.trajectories.maps import basin_map

    surface, optimizer, surface_params, hparams, settings = _map_setting(args)
    try:
        result = basin_map(surface.key, optimizer.key, hparams=hparams, surface_params=surface_params, **settings)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.json:
        print(json.dumps(result.to_json(), allow_nan=False))
        return 0
    counts = [int(np.sum(result.basin == i)) for i in range(len(result.minima))]
    parts = [f"({x:.3g}, {y:.3g}): {c}" for (x, y), c in zip(result.minima, counts)]
    parts += [f"diverged: {int(np.sum(result.basin == -1))}", f"elsewhere: {int(np.sum(result.basin == -2))}"]
    print(f"{optimizer.label} on {surface.label}, {result.basin.size} starts: " + "; ".join(parts))
    return 0


# -- train ------------------------------------------------------------------------------------------


def cmd_train(args) -> int:
    from optviz.training.compute import train_json
    from optviz.training.config import TRAIN_PARAMS, TrainConfig

    given = {p.name: getattr(args, p.name) for p in TRAIN_PARAMS if getattr(args, p.name, None) is not None}
    given["hparams"] = _pairs(args.set, "--set")
    given["schedule_params"] = _pairs(args.schedule_param, "--schedule-param")
    try:  # strict: unknown names, out-of-range values, Newton and runs too large to compute are refused
        config = TrainConfig.parse(given)
    except ValueError as err:
        raise UsageError(str(err)) from None
    payload = train_json(config)
    if args.json:
        print(json.dumps(payload, allow_nan=False))
        return 0
    last = len(payload["steps"]) - 1
    status = f"diverged at step {payload['diverged_at']}" if payload["diverged_at"] is not None else "finished"
    print(f"{config.optimizer} on {config.dataset}, {config.steps} steps: {status}; at step {payload['steps'][last]} "
          f"train loss {payload['train_loss'][last]:.4g}, validation loss {payload['val_loss'][last]:.4g}, "
          f"accuracy {payload['train_accuracy'][last]:.1%} / {payload['val_accuracy'][last]:.1%}"
          + (f"; lowest validation loss {payload['best_val_loss']:.4g} at step {payload['best_step']}"
             + (" (restored)" if config.restore_best else "") if payload.get("best_step") is not None else ""))
    if "ensemble_val_accuracy" in payload:
        members = ", ".join(f"{a:.1%}" if a is not None else "diverged" for a in payload["member_val_accuracy"])
        ensemble = payload["ensemble_val_accuracy"]
        print(f"ensemble of {config.ensemble}: validation accuracy "
              f"{'diverged' if ensemble is None else format(ensemble, '.1%')} (members {members})")
    if "transfer" in payload:
        info = payload["transfer"]
        pretrained = info["pretrain_val_accuracy"]
        print(f"transfer {info['mode']} to digits 5-9 ({info['data']}, {info['samples_per_class']} per class)"
              + (f"; pretrained on 0-4 to {pretrained:.1%} validation accuracy" if pretrained is not None else ""))
    return 0


# -- export -----------------------------------------------------------------------------------------


def _load_scene(args):
    """(page, scene) to export: a lesson preset or a scene file, validated like a link."""
    from optviz.pages import PAGES, page_of_kind, resolve_lesson
    from optviz.scenes import parse_file

    if bool(args.scene) == bool(args.preset):
        raise UsageError("give exactly one of --scene FILE.json or --preset NAME")
    if args.preset:
        lesson = _resolved(resolve_lesson, args.preset)
        return PAGES[lesson.page], lesson.make_scene()
    try:  # "-" or /dev/stdin read standard input; bytes, so a BOM or UTF-16 is read as the page reads it
        raw = sys.stdin.buffer.read() if args.scene == "-" else Path(args.scene).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"scene file {shown(args.scene)} not found") from None
    except IsADirectoryError:
        raise UsageError(f"scene file {shown(args.scene)} is a folder") from None
    except OSError as err:
        raise UsageError(f"cannot read scene file {shown(args.scene)}: {err.strerror or err}") from None
    try:
        data = parse_file(raw)
    except (ValueError, RecursionError) as err:  # RecursionError: absurdly deep nesting
        raise UsageError(f"scene file {shown(args.scene)} is not valid JSON: {shown(str(err), 120)}") from None
    if not isinstance(data, dict):
        raise UsageError(f"scene file {shown(args.scene)} holds {shown(data)}, not a JSON object of settings")
    first = next(iter(PAGES.values()))
    kind = data.get("kind", first.kind)
    page = page_of_kind(kind) if isinstance(kind, str) else None
    if page is None:
        known = ", ".join(p.kind for p in PAGES.values())
        raise UsageError(f"scene file {shown(args.scene)}: unknown kind {shown(kind)} (known: {known})")
    scene, notices = page.scene_type.from_json(data)
    if notices:
        more = f" (and {len(notices) - 5} more)" if len(notices) > 5 else ""
        raise UsageError(f"scene file {shown(args.scene)}: " + "; ".join(notices[:5]) + more)
    return page, scene


def cmd_export(args) -> int:
    from optviz import export
    from optviz.export.source import EXPORT_PARAMS, FORMATS, ExportRequest, render

    page, scene = _load_scene(args)
    values = param_values(args, [p for p in EXPORT_PARAMS if p.name != "format"], "export")
    try:
        request = ExportRequest(fmt=args.format, width=values["width"], height=values["height"], scale=values["scale"],
                                caption=values["caption"], frames=values["frames"])
    except ValueError as err:
        raise UsageError(str(err)) from None
    figures = page.figure_names(scene)
    figure = args.figure or page.main_figure
    if figure not in figures:
        raise UsageError(f"unknown figure {figure!r} for the {page.key} page; choose one of: {', '.join(figures)}")
    out = Path(args.output)
    if out.is_dir():
        raise UsageError(f"output {str(out)!r} is a folder: give a file name, e.g. {str(out / ('figure.' + FORMATS[args.format][0]))!r}")
    if not out.parent.is_dir():  # checked before rendering, which can take seconds
        what = "is not a folder" if out.parent.exists() else "does not exist"
        raise UsageError(f"output folder {str(out.parent)!r} {what}")
    source = page.exportable(scene, page.compute(scene))
    try:
        data = render(source, figure, request)
    except (export.ExportUnavailable, ValueError) as err:  # no Chromium, or a format this figure cannot take
        raise UsageError(str(err)) from None
    try:
        out.write_bytes(data)
    except OSError as err:  # e.g. no permission, disk full
        raise UsageError(f"cannot write {str(out)!r}: {err.strerror or err}") from None
    print(f"wrote {out} ({len(data):,} bytes, {args.format}, figure {figure})")
    return 0


# -- warmup -----------------------------------------------------------------------------------------


def cmd_warmup(args) -> int:
    from optviz.compile_cache import enable_compile_cache
    from optviz.warmup import warm_up

    folder = enable_compile_cache()
    if folder is None and not args.quiet:
        print("note: the compilation cache is off (OPTVIZ_JAX_CACHE), so nothing is kept after this run")
    report = None if args.quiet else (lambda name, seconds: print(f"{seconds:6.2f} s  {name}", flush=True))
    start = time.perf_counter()
    count = warm_up(quick=args.quick, report=report)
    if not args.quiet:
        print(f"warmed {count} scenes in {time.perf_counter() - start:.1f} s; cache: {folder or 'off'}")
    return 0


# -- the parser -------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: same format and exit code as ours
        self.print_usage(sys.stderr)
        print(f"optviz: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from optviz.export.source import EXPORT_PARAMS, FORMATS
    from optviz.layers.network import NETWORK_PARAMS

    parser = _Parser(prog="python -m optviz", description="optviz: optimizer trajectories and deep-network statistics.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("list", help="pages, surfaces, optimizers, schedules, figures, scenes, ...")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("trajectory", help="one optimizer's path on one surface")
    add_param_flags(p, _trajectory_params(), required=("optimizer",), metavars={"start": "X,Y"})
    p.add_argument("--expression", metavar="F", help="your own surface f(x, y), e.g. \"0.5*(x**2/20 + y**2)\" (replaces "
                   "--surface): numbers, x, y, + - * / ** ^, parentheses, pi, e and functions such as exp, log, sqrt, "
                   "sin, cos, tanh, abs")
    p.add_argument("--domain", metavar="XMIN,XMAX,YMIN,YMAX", help="the domain of --expression [default -10,10,-10,10]")
    p.add_argument("--surface-param", action="append", metavar="NAME=VALUE", help="a surface parameter (repeatable)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="a hyperparameter, e.g. learning_rate=0.1 (repeatable)")
    p.add_argument("--schedule-param", action="append", metavar="NAME=VALUE", help="a schedule parameter (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_trajectory)

    p = sub.add_parser("layers", help="per-layer statistics of a deep MLP (initialization & activations)")
    add_param_flags(p, NETWORK_PARAMS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_layers)

    from optviz.trajectories.maps import MAP_PARAMS

    for name, func, text in (("sweep", cmd_sweep, "a hyperparameter map: the final loss over a grid of two "
                                                  "hyperparameters"),
                             ("basins", cmd_basins, "a basin map: the minimum each start of a grid reaches")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--surface", required=True, metavar="NAME", help="the surface")
        p.add_argument("--optimizer", required=True, metavar="NAME", help="the optimizer")
        p.add_argument("--surface-param", action="append", metavar="NAME=VALUE", help="a surface parameter (repeatable)")
        p.add_argument("--set", action="append", metavar="NAME=VALUE",
                       help="a hyperparameter kept fixed, e.g. momentum=0.9 (repeatable)")
        add_param_flags(p, MAP_PARAMS)
        if name == "sweep":
            p.add_argument("--x", required=True, metavar="NAME=LO:HI[:log]", help="the hyperparameter along x")
            p.add_argument("--y", required=True, metavar="NAME=LO:HI[:log]", help="the hyperparameter along y")
            p.add_argument("--start", metavar="X,Y", help="the start point [default: the surface's]")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)

    from optviz.training.config import TRAIN_PARAMS

    p = sub.add_parser("train", help="train the training lab's network: loss and accuracy curves as JSON")
    add_param_flags(p, TRAIN_PARAMS)
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="an optimizer hyperparameter, e.g. learning_rate=0.1 (repeatable)")
    p.add_argument("--schedule-param", action="append", metavar="NAME=VALUE", help="a schedule parameter (repeatable)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="a figure or the data of a scene, as a file (batch slides)")
    p.add_argument("--scene", metavar="FILE.json", help="a scene file downloaded from the app (- for standard input)")
    p.add_argument("--preset", metavar="NAME", help="a lesson scene (see `list --json`, key scenes)")
    p.add_argument("--figure", help="which figure (default: the page's main figure)")
    p.add_argument("--format", required=True, choices=list(FORMATS))
    add_param_flags(p, [spec for spec in EXPORT_PARAMS if spec.name != "format"])
    p.add_argument("-o", "--output", required=True, metavar="PATH")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("warmup", help="compile every page's warm-up scenes into the on-disk cache (server start)")
    p.add_argument("--quick", action="store_true", help="only each page's default scene")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_warmup)
    return parser


def _attach_negative_values(argv: list[str]) -> list[str]:
    """`--start -1.5,2` -> `--start=-1.5,2`: argparse would take the negative value for an option."""
    out: list[str] = []
    for token in argv:
        # An expression is text that may start with "-" (-x**2): it always takes the next token.
        if out and out[-1] in ("--expression", "--domain") or (
                out and out[-1].startswith("--") and "=" not in out[-1] and re.match(r"^-\.?\d", token)):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: Sequence[str] | None = None) -> int:
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
