"""Dump the figure JSON of every lesson scene and of each page's default scene, in both modes.

A refactoring check: run it before and after a change that must not alter what is drawn, and
compare the two folders (`diff -r`, or `--compare OTHER`). One JSON file per (scene, figure,
mode), plus each scene's export caption, CSV records and JSON data.

    .venv/bin/python tools/figure_dump.py OUT_DIR [--compare OTHER_DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import plotly.io as pio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def scenes():
    """(name, page, scene): the default scene of each page, then every lesson."""
    from optviz.pages import LESSONS, PAGES

    for page in PAGES.values():
        yield f"default-{page.key}", page, page.scene_type()
    for key, lesson in LESSONS.items():
        yield f"lesson-{key}", PAGES[lesson.page], lesson.make_scene()


def figures(page, scene):
    """{name: builder(presenter) -> figure} and the page's Exportable."""
    data = page.compute(scene)
    out = {name: (lambda presenter, name=name: page.build_figure(name, scene, data, presenter=presenter))
           for name in page.figure_names(scene)}
    if page.key == "trajectories":  # the page draws its contour clickable
        out["contour-clickable"] = lambda presenter: page.build_figure("contour", scene, data, presenter=presenter,
                                                                       clickable=True)
    return out, page.exportable(scene, data)


def dump(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, page, scene in scenes():
        builders, source = figures(page, scene)
        for figure, build in builders.items():
            for presenter in (False, True):
                text = pio.to_json(build(presenter), validate=False, pretty=True)
                (folder / f"{name}--{figure}--{'presenter' if presenter else 'normal'}.json").write_text(text)
                count += 1
        (folder / f"{name}--caption.txt").write_text(source.caption)
        (folder / f"{name}--records.json").write_text(json.dumps(source.records(), default=str, indent=1))
        from optviz import export

        (folder / f"{name}--data.json").write_bytes(export.to_json_bytes(source.data(), indent=1, sort_keys=True))
        (folder / f"{name}--scene.json").write_text(json.dumps(scene.to_json(), indent=1, sort_keys=True))
        (folder / f"{name}--query.json").write_text(json.dumps(scene.to_query(), indent=1, sort_keys=True))
    return count


def compare(a: Path, b: Path) -> int:
    names_a = {p.name for p in a.iterdir()}
    names_b = {p.name for p in b.iterdir()}
    differ = sorted(n for n in names_a & names_b if (a / n).read_bytes() != (b / n).read_bytes())
    only = sorted(names_a ^ names_b)
    print(f"{len(names_a & names_b)} files in both; {len(differ)} differ; {len(only)} in one only")
    for n in differ[:50]:
        print("differs:", n)
    for n in only[:50]:
        print("only in one:", n)
    return 1 if differ or only else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--compare", metavar="OTHER_DIR")
    args = parser.parse_args()
    count = dump(Path(args.out))
    print(f"wrote {count} figures to {args.out}")
    return compare(Path(args.out), Path(args.compare)) if args.compare else 0


if __name__ == "__main__":
    sys.exit(main())
