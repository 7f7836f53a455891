"""Scene exports: every lesson scene exports; data files hold the library's numbers; CLI export errors."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from optviz import export
from optviz.trajectories import compute
from optviz.cli import main
from optviz.pages import LESSONS, PAGES
from optviz.trajectories.scene import TrajectoryScene
from optviz.export.source import ExportRequest, render
from optviz.trajectories.exports import exportable as trajectory_exportable
from optviz.trajectories.results import TrajectoryData

needs_chromium = pytest.mark.skipif(
    not export.chromium_available() and not __import__("os").environ.get("CI"),
    reason="Chromium not installed (apt-get install -y chromium); CI=true makes this a failure",
)


def exportable(scene):
    return PAGES["trajectories"].exportable(scene, compute.compute(scene))


@needs_chromium
@pytest.mark.parametrize("key", [k for k, lesson in LESSONS.items() if lesson.page == "trajectories"])
def test_every_lesson_exports_to_svg_with_its_paths(key):
    scene = LESSONS[key].make_scene()
    svg = render(exportable(scene), "contour", ExportRequest(fmt="svg", width=800, height=600, caption=True))
    root = ET.fromstring(svg)
    assert root.get("width") == "800" and root.get("height") == "600"
    text = svg.decode()
    assert "js-line" in text
    first_label = scene.label(scene.optimizers[0])
    assert first_label.split(" (")[0] in text  # legend and caption name the optimizers


@needs_chromium
def test_png_has_requested_size_times_scale():
    data = render(exportable(LESSONS["sgd_zigzag"].make_scene()), "loss", ExportRequest(fmt="png", width=640, height=400, scale=2))
    assert Image.open(io.BytesIO(data)).size == (1280, 800)


def test_csv_and_json_hold_the_library_numbers():
    scene = LESSONS["momentum_overshoot"].make_scene()
    results = compute.trajectories(scene)
    source = trajectory_exportable(scene, TrajectoryData(tuple(results), compute.surface_view(scene)))
    rows = list(csv.DictReader(io.StringIO(render(source, "contour", ExportRequest(fmt="csv")).decode())))
    assert len(rows) == sum(len(r.positions) for r in results)
    momentum = [row for row in rows if row["label"] == "Momentum"]
    np.testing.assert_allclose([[float(r["x"]), float(r["y"])] for r in momentum], results[1].positions)
    np.testing.assert_allclose([float(r["loss"]) for r in momentum], results[1].losses)
    data = json.loads(render(source, "contour", ExportRequest(fmt="json")))
    assert TrajectoryScene.from_json(data["scene"]) == (scene, [])
    np.testing.assert_allclose(data["trajectories"][2]["points"], results[2].positions)


def test_gif_has_requested_frames():
    data = render(exportable(LESSONS["saddle_escape"].make_scene()), "contour", ExportRequest(fmt="gif", width=400, height=300, frames=24))
    image = Image.open(io.BytesIO(data))
    assert image.size == (400, 300) and image.n_frames == 24


def test_html_offline_holds_figure_without_remote_scripts():
    html = render(exportable(LESSONS["adagrad_stalls"].make_scene()), "distance", ExportRequest(fmt="html")).decode()
    assert "AdaGrad" in html and "RMSProp" in html and not export.has_remote_script(html)


def test_animation_only_for_path_figures():
    with pytest.raises(ValueError, match="animates what moves: use figure contour, playback"):
        render(exportable(TrajectoryScene()), "loss", ExportRequest(fmt="gif"))


def test_cli_export_preset_and_scene_file(tmp_path, capsys):
    scene_file = tmp_path / "scene.json"
    scene_file.write_text(LESSONS["local_minimum"].make_scene().dumps())
    out = tmp_path / "paths.csv"
    assert main(["export", "--scene", str(scene_file), "--format", "csv", "-o", str(out)]) == 0
    assert out.read_text().startswith("optimizer,label,step,x,y,loss")
    out = tmp_path / "anim.gif"
    assert main(["export", "--preset", "sgd_zigzag", "--format", "gif", "--frames", "10", "--width", "300", "--height", "200", "-o", str(out)]) == 0
    assert Image.open(out).n_frames == 10


@pytest.mark.parametrize("argv, message", [
    (["export", "--format", "png", "-o", "x.png"], "exactly one of"),
    (["export", "--preset", "nope", "--format", "png", "-o", "x.png"], "unknown scene"),
    (["export", "--preset", "sgd_zigzag", "--figure", "nope", "--format", "svg", "-o", "x.svg"], "unknown figure"),
    (["export", "--preset", "sgd_zigzag", "--format", "bmp", "-o", "x.bmp"], "invalid choice"),
    (["export", "--preset", "sgd_zigzag", "--format", "png", "--width", "5", "-o", "x.png"], "out of range"),
    (["export", "--preset", "sgd_zigzag", "--format", "png", "--scale", "9", "-o", "x.png"], "out of range"),
    (["export", "--scene", "/nonexistent.json", "--format", "png", "-o", "x.png"], "not found"),
    (["export", "--preset", "sgd_zigzag", "--format", "csv", "-o", "/nonexistent/dir/x.csv"], "does not exist"),
    # 4000 x 3000 at 4x is 192 million pixels (PIL refused it with a traceback)
    (["export", "--preset", "relu_he", "--format", "png", "--scale", "4", "--width", "4000", "--height", "3000",
      "-o", "x.png"], "million pixels"),
    (["export", "--preset", "relu_he", "--format", "gif", "-o", "x.gif"], "this page draws none"),
])
def test_cli_export_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(argv))
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_cli_export_rejects_an_output_path_it_cannot_write(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("")
    for output, message in [(tmp_path, "is a folder"), (a_file / "x.csv", "is not a folder")]:
        assert main(["export", "--preset", "sgd_zigzag", "--format", "csv", "-o", str(output)]) == 2
        assert message in capsys.readouterr().err


def test_cli_export_rejects_bad_scene_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"surface": "volcano"}')
    assert main(["export", "--scene", str(bad), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    assert "volcano" in capsys.readouterr().err
    bad.write_text("{nope")
    assert main(["export", "--scene", str(bad), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
    for text, message in [('{"kind": [], "network": {}}', "unknown kind"), ("[" * 100_000, "not valid JSON")]:
        bad.write_text(text)
        assert main(["export", "--scene", str(bad), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 2
        assert message in capsys.readouterr().err
