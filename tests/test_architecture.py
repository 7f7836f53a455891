"""The house rules, checked: the library is a library, data flows one way, pages are declared once,
and the deep-link patch still fits the installed Streamlit."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import optviz
from optviz.page import Page, Scene, View
from optviz.pages import LESSONS, PAGES, page_of_kind

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(m.name for m in pkgutil.walk_packages(optviz.__path__, "optviz.") if m.name != "optviz.__main__")
UI_MODULES = [m for m in MODULES if m == "optviz.ui" or m.startswith("optviz.ui.") or m.endswith(".controls")]
FIGURE_MODULES = [m for m in MODULES if m.endswith(".figures")] + ["optviz.style", "optviz.palette"]
COMPUTE_MODULES = [m for m in MODULES if m.rsplit(".", 1)[-1] in ("compute", "runner", "network", "report", "results")]


def _loaded_after_import(modules: list[str]) -> dict[str, list[str]]:
    """{module: top-level packages it loaded}, each module imported in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        "out = {}\n"
        f"for name in {modules!r}:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    out[name] = sorted({m.split('.')[0] for m in set(sys.modules) - before})\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_module_lists_are_not_empty():
    assert "optviz.pages" in MODULES and "optviz.ui.page" in UI_MODULES
    assert {"optviz.trajectories.figures", "optviz.layers.figures"} <= set(FIGURE_MODULES)
    assert {"optviz.trajectories.compute", "optviz.layers.compute"} <= set(COMPUTE_MODULES)


def test_importing_the_library_loads_no_streamlit():
    library = [m for m in MODULES if m not in UI_MODULES]
    code = ("import importlib, sys\n"
            f"for name in ['optviz', *{library!r}]:\n"
            "    importlib.import_module(name)\n"
            "    assert 'streamlit' not in sys.modules, name + ' loaded streamlit'\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr


def test_figure_builders_load_no_jax():
    # Each figure module in a fresh interpreter: it must not pull in JAX, even through a result type.
    loaded = {}
    for module in FIGURE_MODULES:
        loaded.update(_loaded_after_import([module]))
    assert all("jax" not in packages for packages in loaded.values()), loaded
    assert all("plotly" in packages for name, packages in loaded.items() if name.endswith("figures")), loaded


def _imports(module: str) -> set[str]:
    path = ROOT / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", COMPUTE_MODULES)
def test_compute_and_result_modules_import_no_figures_or_ui(module):
    bad = {name for name in _imports(module)
           if name.endswith((".figures", ".style", ".exports")) or "optviz.ui" in name or name in ("plotly", "streamlit")
           or name.startswith(("plotly.", "streamlit."))}
    assert not bad, f"{module} imports {sorted(bad)}: data flows registries -> compute -> results -> figures -> UI"


@pytest.mark.parametrize("module", FIGURE_MODULES)
def test_figure_modules_import_no_compute(module):
    bad = {name for name in _imports(module) if name.startswith("jax") or name.rsplit(".", 1)[-1] in ("compute", "runner", "network")}
    assert not bad, f"{module} imports {sorted(bad)}: figures are pure Plotly builders of result types"


@pytest.mark.parametrize("key", list(PAGES))
def test_every_page_is_declared_whole(key):
    page = PAGES[key]
    assert isinstance(page, Page) and page.key == key
    assert (ROOT / page.script).is_file() and page.script.startswith("pages/")
    scene = page.scene_type()
    assert isinstance(scene, Scene)  # the Scene protocol: to/from query and JSON, files
    assert page_of_kind(page.kind) is page
    for restored, notices in (type(scene).from_query(scene.to_query()), type(scene).from_json(json.loads(scene.dumps())),
                              type(scene).loads(scene.dumps())):
        assert notices == [] and restored.to_json() == scene.to_json() and restored.to_query() == scene.to_query()
    assert page.scene_type.build().to_json() == scene.to_json()  # the validated build of the defaults
    assert page.views and page.views[0].figures[0] == page.main_figure
    assert all(lesson.page == key for lesson in page.lessons)
    names = [name for name, _ in page.warmup_scenes(True)]
    assert len(names) == 1  # quick: the default scene only
    assert page.subject(scene) and isinstance(page.subject(scene), str)


def test_pages_are_distinct_and_lessons_unique():
    assert len({p.url_path for p in PAGES.values()}) == len(PAGES) == len({p.kind for p in PAGES.values()})
    assert len({p.state_key for p in PAGES.values()}) == len({p.widget_prefix for p in PAGES.values()}) == len(PAGES)
    assert len(LESSONS) == sum(len(p.lessons) for p in PAGES.values())


def test_a_page_refuses_views_of_unknown_figures_and_stray_lessons():
    page = PAGES["trajectories"]
    fields = {f: getattr(page, f) for f in page.__dataclass_fields__}
    with pytest.raises(ValueError, match="unknown figures"):
        Page(**{**fields, "views": (View("Bad", ("nope",)),)})
    stray = next(iter(PAGES["layers"].lessons))
    with pytest.raises(ValueError, match="belong to another page"):
        Page(**{**fields, "lessons": (stray,)})


@pytest.mark.parametrize("scene_type, values", [
    ("trajectories", dict(surface="volcano")), ("trajectories", dict(run={"steps": 10**6})),
    ("layers", dict(network={"depth": 0})), ("layers", dict(compare={"activation": "swish"})),
])
def test_build_refuses_what_a_link_would_adjust(scene_type, values):
    with pytest.raises(ValueError):
        PAGES[scene_type].scene_type.build(**values)


def test_app_routes_through_the_registry_only():
    app = (ROOT / "app.py").read_text()
    assert "navigation()" in app and "pages/" not in app  # no page listed by hand
    home = (ROOT / "pages" / "home.py").read_text()
    assert "PAGES" in home and "pages/" not in home


def test_the_deep_link_patch_still_fits_streamlit(tmp_path):
    """optviz.ui.server clears PagesManager.uses_pages_directory: the flag must still exist, be read
    by the script runner, and stay cleared for an app with a pages/ folder."""
    import inspect

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner

    from optviz.ui.server import route_with_navigation

    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner)
    saved = PagesManager.uses_pages_directory
    try:
        (tmp_path / "pages").mkdir()
        (tmp_path / "app.py").write_text("")
        PagesManager.uses_pages_directory = None
        PagesManager(str(tmp_path / "app.py"))
        assert PagesManager.uses_pages_directory is True  # what a fresh server would do without the patch
        route_with_navigation()
        PagesManager(str(tmp_path / "app.py"))
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = saved
