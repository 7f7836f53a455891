"""Subcommands and listings beyond trajectories, registered into optviz.cli: `export` and the
lesson scenes, layers and network listings in `list`, and the `layers` command."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from optviz import cli


def _scenes_listing() -> dict[str, Any]:
    from optviz.lessons import LESSONS

    return {"scenes": {k: lesson.to_json() for k, lesson in LESSONS.items()}}


def _load_scene(args):
    """The scene to export: a lesson preset or a scene file, validated like a link."""
    from optviz.lessons import resolve_lesson

    if bool(args.scene) == bool(args.preset):
        raise cli.UsageError("give exactly one of --scene FILE.json or --preset NAME")
    if args.preset:
        try:
            lesson = resolve_lesson(args.preset)
        except ValueError as err:
            raise cli.UsageError(str(err)) from None
        return lesson.page, lesson.make_scene()
    path = Path(args.scene)
    if not path.is_file():
        raise cli.UsageError(f"scene file {args.scene!r} not found")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # RecursionError: absurdly deep nesting
        raise cli.UsageError(f"scene file {args.scene!r} is not valid JSON: {err}") from None
    kind = data.get("kind", "trajectory") if isinstance(data, dict) else None
    loader = _PAGE_LOADERS.get(kind) if isinstance(kind, str) else None
    if loader is None:
        raise cli.UsageError(f"scene file {args.scene!r}: unknown kind {kind!r} (known: {', '.join(_PAGE_LOADERS)})")
    page, scene, notices = loader(data)
    if notices:
        raise cli.UsageError(f"scene file {args.scene!r}: " + "; ".join(notices))
    return page, scene


def _trajectory_loader(data):
    from optviz.trajectories.scene import TrajectoryScene

    scene, notices = TrajectoryScene.from_json(data)
    return "trajectories", scene, notices


def _layers_loader(data):
    from optviz.layers.scene import LayersScene

    scene, notices = LayersScene.from_json(data)
    return "layers", scene, notices


# kind in the scene file -> loader returning (page, scene, notices)
_PAGE_LOADERS: dict[str, Any] = {"trajectory": _trajectory_loader, "layers": _layers_loader}
# page -> (scene -> (Exportable, figure names, main figure))
EXPORTERS: dict[str, Any] = {}


def _trajectory_exporter(scene):
    from optviz.trajectories import compute
    from optviz.export.source import trajectory_exportable

    results, view = compute.trajectories(scene), compute.surface_view(scene)
    return trajectory_exportable(scene, results, view), list(compute.FIGURES), compute.MAIN_FIGURE, scene.surface


def _layers_exporter(scene):
    from optviz.layers import compute as layers_compute

    figures = [f for f in layers_compute.FIGURES if f != "histograms_b" or scene.b is not None]
    return layers_compute.exportable(scene, layers_compute.statistics(scene)), figures, layers_compute.MAIN_FIGURE, scene.a.activation


EXPORTERS["trajectories"] = _trajectory_exporter
EXPORTERS["layers"] = _layers_exporter


def cmd_layers(args) -> int:
    from optviz.layers.network import NETWORK_PARAMS, NetworkConfig
    from optviz.layers.report import layer_stats_json

    given = {p.name: getattr(args, p.name) for p in NETWORK_PARAMS if getattr(args, p.name) is not None}
    try:  # NetworkConfig parses each value strictly and resolves initializer aliases
        config = NetworkConfig(**given)
    except ValueError as err:
        raise cli.UsageError(str(err)) from None
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


def _register_layers(sub) -> None:
    from optviz.layers.network import NETWORK_PARAMS

    p = sub.add_parser("layers", help="per-layer statistics of a deep MLP (initialization & activations)")
    for spec in NETWORK_PARAMS:
        flag = "--" + spec.name.replace("_", "-")
        if spec.kind == "bool":
            p.add_argument(flag, dest=spec.name, action="store_true", default=None, help=spec.help)
        else:
            choices = f" ({', '.join(spec.choices)})" if spec.kind == "choice" else ""
            p.add_argument(flag, dest=spec.name, metavar=spec.name.upper(), help=f"{spec.help}{choices} [default {spec.default}]")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_layers)


def cmd_export(args) -> int:
    from optviz import export
    from optviz.export.source import FORMATS, ExportRequest, render

    page, scene = _load_scene(args)
    try:
        request = ExportRequest(fmt=args.format, width=args.width, height=args.height, scale=args.scale,
                                caption=args.caption, frames=args.frames)
    except ValueError as err:
        raise cli.UsageError(str(err)) from None
    source, figures, main_figure, _ = EXPORTERS[page](scene)
    figure = args.figure or main_figure
    if figure not in figures:
        raise cli.UsageError(f"unknown figure {figure!r} for the {page} page; choose one of: {', '.join(figures)}")
    out = Path(args.output)
    if out.is_dir():
        raise cli.UsageError(f"output {str(out)!r} is a folder: give a file name, e.g. {str(out / ('figure.' + FORMATS[args.format][0]))!r}")
    if not out.parent.is_dir():  # checked before rendering, which can take seconds
        what = "is not a folder" if out.parent.exists() else "does not exist"
        raise cli.UsageError(f"output folder {str(out.parent)!r} {what}")
    try:
        data = render(source, figure, request)
    except (export.ExportUnavailable, ValueError) as err:  # no Chromium, or a format this figure cannot take
        raise cli.UsageError(str(err)) from None
    try:
        out.write_bytes(data)
    except OSError as err:  # e.g. no permission, disk full
        raise cli.UsageError(f"cannot write {str(out)!r}: {err.strerror or err}") from None
    print(f"wrote {out} ({len(data):,} bytes, {args.format}, figure {figure})")
    return 0


def _register_export(sub) -> None:
    from optviz.export.source import FORMATS

    p = sub.add_parser("export", help="a figure or the data of a scene, as a file (batch slides)")
    p.add_argument("--scene", metavar="FILE.json", help="a scene file downloaded from the app")
    p.add_argument("--preset", metavar="NAME", help="a lesson scene (see `list --json`, key scenes)")
    p.add_argument("--figure", help="which figure (default: the page's main figure)")
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("--width", type=int, default=1200)
    p.add_argument("--height", type=int, default=800)
    p.add_argument("--scale", type=float, default=1.0, help="PNG pixel scale, 1 to 4")
    p.add_argument("--frames", type=int, default=200, help="GIF/MP4 frames")
    p.add_argument("--caption", action="store_true", help="add a caption with the scene's settings")
    p.add_argument("-o", "--output", required=True, metavar="PATH")
    p.set_defaults(func=cmd_export)


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


def _register_warmup(sub) -> None:
    p = sub.add_parser("warmup", help="compile every lesson's variants into the on-disk cache (server start)")
    p.add_argument("--quick", action="store_true", help="only the two default scenes")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_warmup)


cli._EXTRA_LISTINGS.append(_scenes_listing)
cli._EXTRA_COMMANDS.append(_register_warmup)
cli._EXTRA_COMMANDS.append(_register_export)
cli._EXTRA_COMMANDS.append(_register_layers)


def _layers_listing() -> dict[str, Any]:
    from optviz.activations import ACTIVATIONS
    from optviz.initializers import INITIALIZERS
    from optviz.layers.network import NETWORK_PARAMS
    from optviz.params import to_json

    return {
        "activations": {k: {"label": a.label, "formula": a.latex} for k, a in ACTIVATIONS.items()},
        "initializers": {k: {"label": i.label, "aliases": list(i.aliases), "variance": i.formula, "uses_scale": i.uses_scale}
                         for k, i in INITIALIZERS.items()},
        "network": [to_json(p) for p in NETWORK_PARAMS],
    }


cli._EXTRA_LISTINGS.append(_layers_listing)
