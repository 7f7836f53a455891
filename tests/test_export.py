"""Tests of optviz.export: images (kaleido + Chromium), HTML, captions, CSV/JSON, animations.

Tests that need Chromium skip when /usr/bin/chromium is missing and no other Chromium is
configured, except under CI (env CI set), where they fail: CI must exercise the real exports.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from optviz import export
from optviz.export import _static
from optviz.export import (
    ExportUnavailable,
    animate_paths,
    figure_to_html,
    figure_to_image,
    has_remote_script,
    prepare_background,
    records_to_csv,
    to_json_bytes,
    trajectory_records,
    with_caption,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
PALETTE = ["#0072B2", "#D55E00", "#009E73"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture
def chromium() -> str:
    """Path of the Chromium kaleido uses; skip (locally) or fail (CI) without one."""
    try:
        path = export.find_chromium()
    except ExportUnavailable as e:
        path, why = None, str(e)
    else:
        why = "no Chromium found (/usr/bin/chromium missing, $OPTVIZ_CHROMIUM unset)"
    if path is None:
        if _in_ci():
            pytest.fail(f"CI is set but image export cannot run: {why}")
        if os.path.exists("/usr/bin/chromium"):  # installed but shadowed by a bad env var
            pytest.fail(f"/usr/bin/chromium exists but is not used: {why}")
        pytest.skip(f"needs Chromium for kaleido: {why}; `apt-get install -y chromium`")
    return path


# -- synthetic figures and results -----------------------------------------------------
GRID = np.linspace(-2.0, 2.0, 41)


def _z() -> np.ndarray:
    X, Y = np.meshgrid(GRID, GRID)
    return X**2 + 4 * Y**2


def contour_fig(n_paths: int = 3) -> go.Figure:
    fig = go.Figure(go.Contour(x=GRID, y=GRID, z=_z(), colorscale="Viridis", name="surface"))
    for i in range(n_paths):
        fig.add_scatter(x=[1.5 - 0.2 * i, 0.7, 0.1], y=[1.5, 0.6 - 0.1 * i, 0.05],
                        mode="lines+markers", name=f"path {i}", line=dict(color=PALETTE[i % 3]))
    fig.update_layout(title="Bowl", width=640, height=480)
    return fig


def surface_fig() -> go.Figure:
    return go.Figure(go.Surface(x=GRID, y=GRID, z=_z(), colorscale="Viridis"),
                     layout=dict(width=500, height=400, title="Bowl 3-D"))


@dataclass
class Result:
    label: str
    optimizer: str
    hparams: dict[str, Any]
    positions: np.ndarray
    losses: np.ndarray
    gradients: np.ndarray
    updates: np.ndarray
    diverged_at: int | None = None


def gd_result(lr: float, steps: int, start=(1.5, 1.2), diverged_after: int | None = None,
              label: str | None = None) -> Result:
    p = np.array(start, dtype=float)
    pos, grads = [p.copy()], []
    for _ in range(steps):
        g = np.array([2 * p[0], 8 * p[1]])
        grads.append(g)
        p = p - lr * g
        pos.append(p.copy())
    grads.append(np.array([2 * p[0], 8 * p[1]]))
    pos, grads = np.array(pos), np.array(grads)
    updates = np.diff(pos, axis=0)
    losses = pos[:, 0] ** 2 + 4 * pos[:, 1] ** 2
    if diverged_after is not None:  # caller-side truncation, as the trajectory runner does
        n = diverged_after + 1
        pos, grads, losses, updates = pos[:n], grads[:n], losses[:n], updates[: n - 1]
    return Result(label or f"GD lr={lr}", "sgd", {"learning_rate": lr}, pos, losses, grads,
                  updates, diverged_after)


# -- static images (need Chromium) ------------------------------------------------------
@pytest.mark.parametrize("scale", [1, 2])
def test_png_has_exact_size(chromium, scale):
    png = figure_to_image(contour_fig(), "png", width=640, height=480, scale=scale)
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG"
        assert im.size == (640 * scale, 480 * scale)


def test_png_default_size_is_layouts_and_fractional_scale(chromium):
    png = figure_to_image(contour_fig(), "png", scale=1.5)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (960, 720)


def test_svg_holds_path_traces(chromium):
    svg = figure_to_image(contour_fig(3), "svg")
    root = ET.fromstring(svg)
    assert root.tag == SVG_NS + "svg"
    # each scatter trace draws its line as <g class="lines"><path class="js-line">
    lines = [p for g in root.iter(SVG_NS + "g") if g.get("class") == "lines"
             for p in g if "js-line" in (p.get("class") or "")]
    assert len(lines) == 3
    assert len(re.findall(rb'class="trace scatter', svg)) == 3


def test_pdf(chromium):
    pdf = figure_to_image(contour_fig(), "pdf")
    assert pdf.startswith(b"%PDF")


def test_unknown_format_and_bad_scale():
    with pytest.raises(ValueError, match="format"):
        figure_to_image(contour_fig(), "bmp")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scale"):
        figure_to_image(contour_fig(), "png", scale=0)


def test_one_server_reused_and_offline(chromium):
    figure_to_image(contour_fig(1), "png", width=200, height=150)
    server = export.kaleido_server()
    assert server.is_running()
    proc = server._kaleido.subprocess  # the Chromium wrapper process
    figure_to_image(contour_fig(1), "svg", width=200, height=150)
    assert server._kaleido.subprocess is proc and proc.poll() is None
    # The page kaleido renders in loads local files only: no CDN plotly.js, no MathJax.
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    index = open(url2pathname(urlparse(server._kaleido._index).path), encoding="utf-8").read()
    srcs = re.findall(r'<script[^>]*src="([^"]+)"', index)
    assert len(srcs) == 2, srcs  # plotly.js from the plotly package, kaleido's own script
    for src in srcs:
        path = url2pathname(urlparse(src).path) if src.startswith("file://") else src
        assert os.path.isabs(path) and os.path.isfile(path), src
    assert "mathjax" not in index.lower()
    cli = server._kaleido._browser_impl.get_cli()
    assert "--disable-background-networking" in cli
    assert any(a.startswith("--host-resolver-rules=MAP * ~NOTFOUND") for a in cli)


def test_background_mapping_matches_kaleido(chromium):
    """prepare_background's PlotArea puts data points where plotly.js draws them."""
    pts = np.array([[-1.5, 1.0], [0.5, -0.5], [1.2, -2.5]])
    fig = go.Figure(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="markers",
                               marker=dict(size=9, color="#ff0000", symbol="square")))
    fig.update_yaxes(scaleanchor="x")  # must be ignored
    prepared, area = prepare_background(fig, xrange=(-2, 2), yrange=(-3, 1.5), width=641, height=481)
    png = figure_to_image(prepared, "png", width=641, height=481)
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    red = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    for (px, py) in area.to_pixel(pts):
        ys, xs = np.nonzero(red[int(py) - 8: int(py) + 9, int(px) - 8: int(px) + 9])
        assert len(xs) > 20, (px, py)
        # pixel (i, j) covers [i, i+1): its centre is i + 0.5
        assert abs(xs.mean() + 0.5 + int(px) - 8 - px) < 1.0
        assert abs(ys.mean() + 0.5 + int(py) - 8 - py) < 1.0


def test_caption_in_svg_text_2d_and_3d_png(chromium):
    fig = with_caption(contour_fig(), "Bowl · GD (learning_rate=0.1) <b> & co · 20 steps")
    root = ET.fromstring(figure_to_image(fig, "svg"))
    texts = ["".join(t.itertext()) for t in root.iter(SVG_NS + "text")]
    assert any("GD (learning_rate=0.1) <b> & co" in t for t in texts), texts
    png = figure_to_image(with_caption(surface_fig(), "A 3-D bowl"), "png", width=400, height=320)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (400, 320)
        assert np.asarray(im.convert("L")).std() > 10  # the surface was drawn (WebGL works)


# -- HTML --------------------------------------------------------------------------------
def test_html_offline_and_light():
    fig = contour_fig()
    offline = figure_to_html(fig, offline=True)
    light = figure_to_html(fig, offline=False)
    for html in (offline, light):
        assert html.lstrip().lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
        assert '"displaylogo": false' in html
        assert re.search(r'"toImageButtonOptions": \{[^}]*"scale": 2', html)
        assert re.search(r'"name":\s*"path 2"', html)  # the figure data
        assert "<title>Bowl</title>" in html
    assert not has_remote_script(offline)
    assert not re.search(r"<script[^>]*src=[\"']?https?://", offline, re.I)
    assert "Plotly.newPlot" in offline and len(offline) > 1_000_000  # plotly.js embedded
    assert has_remote_script(light) and "cdn.plot.ly" in light
    assert len(light) < 200_000


LONG_CAPTION = ("A: tanh, normal (std = scale) 0.01, batch norm: 10 layers x 500 units, 1000 inputs, seed 0 · "
                "B: tanh, normal (std = scale) 1, batch norm: 10 layers x 500 units, 1000 inputs, seed 0 & <more>")


def _titled_source(title: dict | None):
    from optviz.export.source import Exportable

    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0], name="path 2"), layout=dict(title=title) if title else {})
    return Exportable(figure=lambda name: fig, caption=LONG_CAPTION, records=list, data=dict)


@pytest.mark.parametrize("fmt", ["html", "html-light"])
def test_html_export_names_the_whole_figure_and_caption(fmt):
    # The page's <title> is the figure's title, subtitle and caption, none of them cut (it was
    # the caption's first 120 characters), and the page shows the whole caption under the figure.
    from optviz.export.source import ExportRequest, render

    title = dict(text="Activations per layer", subtitle=dict(text="A: tanh, normal (std = scale) 0.01,<br>batch norm"))
    html = render(_titled_source(title), "histograms", ExportRequest(fmt=fmt, width=800, height=500)).decode()
    doc_title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    escaped = LONG_CAPTION.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert len(LONG_CAPTION) > 120
    assert doc_title == f"Activations per layer \u2014 A: tanh, normal (std = scale) 0.01, batch norm \u00b7 {escaped}"
    figure = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*(\{.*?\}),\s*\{", html, re.S).group(2))
    caption = next(a for a in figure["annotations"] if a.get("name") == export._caption.CAPTION_NAME)
    shown = re.sub(r"<br>", " ", caption["text"]).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    assert " ".join(shown.split()) == LONG_CAPTION  # every word, wrapped to the width
    assert figure["title"]["text"] == "Activations per layer" and "batch norm" in figure["title"]["subtitle"]["text"]
    # A figure without a title: the caption alone, whole.
    bare = render(_titled_source(None), "stats", ExportRequest(fmt=fmt, width=800, height=500)).decode()
    assert re.search(r"<title>(.*?)</title>", bare, re.S).group(1) == escaped


def test_html_title_text():
    assert export._html.title_text(go.Figure()) is None
    assert export._html.title_text({"layout": {"title": {"text": "<b>Bowl</b>", "subtitle": {"text": "GD<br>20 steps"}}}}) \
        == "Bowl \u2014 GD 20 steps"


# -- captions ----------------------------------------------------------------------------
def test_caption_annotation_and_margins():
    fig = contour_fig()
    fig.update_layout(margin=dict(b=60))
    text = "Rosenbrock · Adam (learning_rate=0.01, b1=0.9) · SGD (learning_rate=0.001) · 500 steps " * 2
    out = with_caption(fig, text)
    assert fig.layout.annotations == ()  # the input is untouched
    anns = [a for a in out.layout.annotations if a.name == export._caption.CAPTION_NAME]
    assert len(anns) == 1
    assert "Rosenbrock" in json.dumps(out.to_plotly_json()["layout"]["annotations"])
    assert anns[0].text.count("<br>") >= 1  # wrapped to the 640 px figure
    assert out.layout.margin.b > 60 + 30 and out.layout.height > 480
    assert export.caption_text(out).startswith("Rosenbrock")
    again = with_caption(out, "short")  # replaces, does not stack
    assert [a.text for a in again.layout.annotations] == ["short"]
    assert again.layout.margin.b < out.layout.margin.b
    assert with_caption(out, "").layout.margin.b == 60


def test_caption_3d():
    out = with_caption(surface_fig(), "A 3-D bowl")
    assert out.layout.annotations[0].text == "A 3-D bowl"
    assert out.layout.annotations[0].xref == "paper"
    assert out.layout.margin.b > 80


def test_trajectory_caption():
    rs = [gd_result(0.1, 10), gd_result(0.3, 10, diverged_after=4, label="GD fast")]
    text = export.trajectory_caption("Bowl", rs, steps=10)
    assert text == ("Bowl · 10 steps · GD lr=0.1 (learning_rate=0.1) · "
                    "GD fast (learning_rate=0.3) diverged at step 4")


# -- CSV / JSON ----------------------------------------------------------------------------
def test_records_to_csv_round_trip():
    records = [
        {"name": "a,b", "x": 1 / 3, "n": np.int64(7)},
        {"x": np.float32(0.1), "y": float("nan"), "z": 1e-300, "flag": True},
        {"name": "c", "y": -math.inf, "x": np.float64(2.5e17)},
    ]
    text = records_to_csv(records)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "x", "n", "y", "z", "flag"]
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["name"] == "a,b" and float(parsed[0]["x"]) == 1 / 3 and parsed[0]["n"] == "7"
    assert float(parsed[1]["x"]) == float(np.float32(0.1))
    assert parsed[1]["y"] == "" and float(parsed[1]["z"]) == 1e-300 and parsed[1]["flag"] == "true"
    assert parsed[2]["y"] == "-inf" and float(parsed[2]["x"]) == 2.5e17 and parsed[2]["n"] == ""
    assert "\r" not in text


def test_to_json_bytes():
    obj = {"b": np.arange(3), "a": {"arr": np.array([[0.5, np.nan], [np.inf, -1.0]])},
           "s": np.float32(0.25), "i": np.int32(3), "t": (1, 2), "ok": np.bool_(True), 3: "three"}
    data = to_json_bytes(obj)
    back = json.loads(data)
    assert back == {"b": [0, 1, 2], "a": {"arr": [[0.5, None], [None, -1.0]]}, "s": 0.25, "i": 3,
                    "t": [1, 2], "ok": True, "3": "three"}
    assert data == to_json_bytes(dict(reversed(list(obj.items()))))  # stable key order
    assert b"NaN" not in data and b"Infinity" not in data
    with pytest.raises(TypeError):
        to_json_bytes({"f": object()})


def test_trajectory_records_and_csv():
    results = [gd_result(0.1, 5), gd_result(0.3, 20, diverged_after=3, label="GD fast")]
    rows = trajectory_records(results)
    assert [len([r for r in rows if r["label"] == lab]) for lab in ("GD lr=0.1", "GD fast")] == [6, 4]
    assert list(rows[0]) == list(export.TRAJECTORY_COLUMNS)
    r0, last = rows[0], rows[5]
    res = results[0]
    assert (r0["x"], r0["y"], r0["loss"]) == (res.positions[0, 0], res.positions[0, 1], res.losses[0])
    assert (r0["grad_x"], r0["update_y"]) == (res.gradients[0, 0], res.updates[0, 1])
    assert math.isnan(last["update_x"]) and last["step"] == 5
    parsed = list(csv.DictReader(io.StringIO(records_to_csv(rows))))
    assert len(parsed) == 10
    assert parsed[9]["label"] == "GD fast" and parsed[9]["update_x"] == "" and parsed[9]["step"] == "3"
    assert float(parsed[1]["x"]) == res.positions[1, 0]  # exact round trip
    back = json.loads(to_json_bytes(rows))
    assert back[5]["update_x"] is None and back[1]["x"] == res.positions[1, 0]


# -- animations ----------------------------------------------------------------------------
def _anim_inputs():
    fig = go.Figure(go.Contour(x=GRID, y=GRID, z=_z(), colorscale="Viridis"))
    fig.update_layout(title="Bowl")
    results = [gd_result(0.05, 60), gd_result(0.2, 60, start=(-1.5, 1.0)),
               gd_result(0.3, 60, start=(1.0, -0.3), diverged_after=5)]  # ends in view
    return fig, [r.positions for r in results]


def _near_colour(rgb: np.ndarray, px: float, py: float, colour: str, radius: int = 6) -> bool:
    target = np.array(Image.new("RGB", (1, 1), colour).getpixel((0, 0)))
    x, y = int(round(px)), int(round(py))
    patch = rgb[max(0, y - radius): y + radius + 1, max(0, x - radius): x + radius + 1]
    return bool((np.abs(patch.astype(int) - target).sum(axis=-1) < 40).any())


@pytest.mark.parametrize("renderer", ["raster", "auto"])
def test_gif_frames_size_and_end_points(renderer, request):
    if renderer == "auto":
        request.getfixturevalue("chromium")
    fig, paths = _anim_inputs()
    gif = animate_paths(fig, paths, PALETTE, xrange=(-2, 2), yrange=(-2, 2), frames=37, fps=10,
                        width=480, height=360, labels=["slow", "fast", "diverged"], renderer=renderer)
    _, area = export.animation_layout(fig, paths, xrange=(-2, 2), yrange=(-2, 2), width=480, height=360,
                                      labels=["slow", "fast", "diverged"])
    with Image.open(io.BytesIO(gif)) as im:
        assert im.format == "GIF" and im.n_frames == 37 and im.size == (480, 360)
        assert im.info.get("loop") == 0 and im.info.get("duration") == 100
        im.seek(0)
        first = np.asarray(im.convert("RGB"))
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB"))
    for path, colour in zip(paths, PALETTE):
        end = area.to_pixel(path[-1])
        assert _near_colour(last, *end, colour), colour
    # the first frame shows the start points only: no path colour near the end of the long path
    assert _near_colour(first, *area.to_pixel(paths[0][0]), PALETTE[0])
    assert not _near_colour(first, *area.to_pixel(paths[0][-1]), PALETTE[0], radius=3)


def test_gif_raster_from_figure_json():
    """A background that went through JSON (plotly's base64 arrays) still rasterises."""
    fig, paths = _anim_inputs()
    as_json = json.loads(fig.to_json())
    gif = animate_paths(as_json, paths, PALETTE, xrange=(-2, 2), yrange=(-2, 2), frames=3,
                        width=320, height=240, renderer="raster")
    with Image.open(io.BytesIO(gif)) as im:
        rgb = np.asarray(im.convert("RGB"))
    _, area = export.animation_layout(fig, paths, xrange=(-2, 2), yrange=(-2, 2), width=320, height=240)
    l, t, r, b = area.box
    assert len(np.unique(rgb[t + 5: b - 5, l + 5: r - 5].reshape(-1, 3), axis=0)) > 8  # the surface


def test_gif_more_frames_than_steps_keeps_count():
    fig, paths = _anim_inputs()
    short = [p[:6] for p in paths]  # T = 5 < frames - 1: consecutive frames show equal steps
    gif = animate_paths(fig, short, PALETTE, xrange=(-2, 2), yrange=(-2, 2), frames=20,
                        width=320, height=240, renderer="raster")
    with Image.open(io.BytesIO(gif)) as im:
        assert im.n_frames == 20


def test_mp4_decodes_with_frame_count():
    pytest.importorskip("imageio_ffmpeg", reason="MP4 export needs imageio-ffmpeg")
    import imageio.v3 as iio

    fig, paths = _anim_inputs()
    mp4 = animate_paths(fig, paths, PALETTE, xrange=(-2, 2), yrange=(-2, 2), frames=24, fps=12,
                        fmt="mp4", width=321, height=241, renderer="raster")
    assert mp4[4:8] == b"ftyp"
    frames = list(iio.imiter(mp4, extension=".mp4", plugin="FFMPEG"))
    assert len(frames) == 24
    assert frames[0].shape == (242, 322, 3)  # padded to even sizes for yuv420p


def test_animation_argument_errors():
    fig, paths = _anim_inputs()
    with pytest.raises(ValueError, match="colours"):
        animate_paths(fig, paths, PALETTE[:1], xrange=(-2, 2), yrange=(-2, 2), renderer="raster")
    with pytest.raises(ValueError, match="xrange"):
        animate_paths(fig, paths, PALETTE, xrange=(2, -2), yrange=(-2, 2), renderer="raster")
    with pytest.raises(ValueError, match="format"):
        animate_paths(fig, paths, PALETTE, xrange=(-2, 2), yrange=(-2, 2), fmt="avi")  # type: ignore[arg-type]


# -- without Chromium ------------------------------------------------------------------
def test_without_chromium(monkeypatch):
    monkeypatch.setattr(_static, "find_chromium", lambda: None)
    monkeypatch.setattr(_static, "_SERVER", _static.KaleidoServer())  # a server not yet started
    with pytest.raises(ExportUnavailable, match=re.escape("apt-get install -y chromium")) as err:
        figure_to_image(contour_fig(), "png")
    assert isinstance(err.value, RuntimeError)
    assert not export.chromium_available()
    # everything else still works
    assert not has_remote_script(figure_to_html(contour_fig()))
    assert records_to_csv(trajectory_records([gd_result(0.1, 3)])).count("\n") == 5
    assert json.loads(to_json_bytes({"a": np.ones(2)})) == {"a": [1.0, 1.0]}
    fig, paths = _anim_inputs()
    gif = animate_paths(fig, paths, PALETTE, xrange=(-2, 2), yrange=(-2, 2), frames=5,
                        width=320, height=240)  # renderer="auto" falls back to the raster
    with Image.open(io.BytesIO(gif)) as im:
        assert im.n_frames == 5
    with pytest.raises(ExportUnavailable, match="chromium"):
        animate_paths(fig, paths, PALETTE, xrange=(-2, 2), yrange=(-2, 2), frames=5,
                      width=320, height=240, renderer="kaleido")


def test_broken_chromium_raises_instead_of_hanging(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("OPTVIZ_CHROMIUM", str(fake))
    server = _static.KaleidoServer()
    monkeypatch.setattr(_static, "_SERVER", server)
    with pytest.raises(ExportUnavailable, match="could not be started") as err:
        figure_to_image(contour_fig(), "png")
    assert str(fake) in str(err.value) and "apt-get install -y chromium" in str(err.value)
    assert not server.is_running()


def test_browser_env_var_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("OPTVIZ_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(ExportUnavailable, match="OPTVIZ_CHROMIUM"):
        export.find_chromium()
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("OPTVIZ_CHROMIUM", str(fake))
    assert export.find_chromium() == str(fake)
    monkeypatch.delenv("OPTVIZ_CHROMIUM")
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert export.find_chromium() == str(fake)


def test_a_gif_streams_its_frames_and_many_paths_of_few_colours_fit_its_palette():
    # 300 paths in 3 colours (noisy fans share their optimizer's colour): one palette entry per colour.
    import io as _io

    import numpy as _np
    from PIL import Image as _Image

    from optviz.export import animate_paths
    import plotly.graph_objects as _go

    rng = _np.random.default_rng(0)
    paths = [_np.cumsum(rng.normal(0, 0.1, (30, 2)), axis=0) for _ in range(300)]
    colors = ["#000000", "#D55E00", "#0072B2"] * 100
    background = _go.Figure(_go.Contour(z=[[0, 1], [1, 2]], x=[-3, 3], y=[-3, 3], showscale=False))
    data = animate_paths(background, paths, colors, xrange=(-3, 3), yrange=(-3, 3), frames=8, fmt="gif",
                         width=300, height=200, labels=[f"p{i}" for i in range(300)])
    image = _Image.open(_io.BytesIO(data))
    assert image.n_frames == 8 and image.size == (300, 200) and image.info.get("loop") == 0
    image.seek(7)
    pixels = _np.asarray(image.convert("RGB")).reshape(-1, 3)
    for hex_colour in ("#000000", "#D55E00", "#0072B2"):  # every colour is drawn, exactly
        rgb = _np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (_np.abs(pixels - rgb).sum(axis=1) == 0).sum() > 20, hex_colour


def test_an_animation_past_the_pixel_bound_is_refused_before_it_is_made():
    from optviz.export.source import MAX_ANIMATION_PIXELS, ExportRequest

    with pytest.raises(ValueError, match="million pixels"):
        ExportRequest(fmt="gif", width=4000, height=4000, frames=200)
    assert 1200 * 800 * 200 <= MAX_ANIMATION_PIXELS  # the default GIF is allowed
    ExportRequest(fmt="png", width=4000, height=4000, scale=1, frames=1000)  # a still image has no frames to bound


def test_the_streamed_gif_decodes_to_exactly_its_frames():
    # Frames are written as changed rectangles with unchanged pixels transparent: decoded, every
    # frame must still be the whole picture it was.
    import io as _io

    import numpy as _np
    from PIL import Image as _Image

    from optviz.export._animation import _encode_gif

    rng = _np.random.default_rng(1)
    base = rng.integers(0, 200, (60, 80)).astype(_np.uint8)
    palette = [int(v) for v in rng.integers(0, 256, 768)]
    frames = []
    for k in range(6):
        array = base.copy()
        array[10 + k: 20 + k, 5 * k: 5 * k + 9] = 250 - k  # a moving block
        if k == 3:
            array = frames[-1].copy()  # a frame with no change at all
        frames.append(array)
    images = []
    for array in frames:
        image = _Image.fromarray(array, "P")
        image.putpalette(palette)
        images.append(image)
    data = _encode_gif(iter(images), fps=10)
    decoded = _Image.open(_io.BytesIO(data))
    assert decoded.n_frames == len(frames)
    for k, image in enumerate(images):
        decoded.seek(k)
        assert _np.array_equal(_np.asarray(decoded.convert("RGB")), _np.asarray(image.convert("RGB"))), k
