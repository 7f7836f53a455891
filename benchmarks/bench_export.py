"""Time optviz's exports: kaleido PNG (cold, warm), SVG, and 200-frame GIF/MP4 animations.

Run: .venv/bin/python benchmarks/bench_export.py [--repeat 5]
Prints measured figures; asserts nothing (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

import numpy as np
import plotly.graph_objects as go
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from optviz import export  # noqa: E402
from optviz import style  # noqa: E402


def surface(n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    g = np.linspace(-2.0, 2.0, n)
    X, Y = np.meshgrid(g, g)
    return g, np.log1p((1 - X) ** 2 + 100 * (Y - X**2) ** 2)  # log Rosenbrock


def gd_paths(steps: int = 500) -> list[np.ndarray]:
    out = []
    for lr, mom in ((2e-4, 0.0), (1e-4, 0.9), (5e-4, 0.5), (1e-3, 0.0)):
        p, v, path = np.array([-1.5, 1.8]), np.zeros(2), []
        for _ in range(steps + 1):
            path.append(p.copy())
            g = np.array([-2 * (1 - p[0]) - 400 * p[0] * (p[1] - p[0] ** 2), 200 * (p[1] - p[0] ** 2)])
            v = mom * v - lr * g
            p = p + v
            if not np.isfinite(p).all() or np.abs(p).max() > 10:
                break
        out.append(np.array(path))
    return out


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5, help="warm repetitions (median is printed)")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--cold-gif-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    g, z = surface()
    paths = gd_paths()
    labels = ["SGD", "Momentum 0.9", "Momentum 0.5", "SGD lr=1e-3"]
    fig = go.Figure(go.Contour(x=g, y=g, z=z, colorscale=style.SURFACE_COLORSCALE, ncontours=25))
    for p, c, lab in zip(paths, style.PALETTE, labels):
        fig.add_scatter(x=p[:, 0], y=p[:, 1], mode="lines", line=dict(color=c), name=lab)
    style.apply(fig, title="Rosenbrock (log loss)")
    background = go.Figure(fig.data[:1], layout=fig.layout)

    if args.cold_gif_child:  # measured in a fresh process: includes starting Chromium
        t, gif = timed(lambda: export.animate_paths(background, paths, list(style.PALETTE), fmt="gif",
                                                   xrange=(-2, 2), yrange=(-2, 2), frames=args.frames,
                                                   width=800, height=600, labels=labels))
        print(f"GIF {args.frames} frames 800x600, cold process (kaleido bg incl. Chromium start): {t:6.2f} s")
        return

    print(f"machine: {os.cpu_count()} CPUs; Chromium: {export.find_chromium() or 'none'}")
    print(f"figure: contour {z.shape[0]}x{z.shape[1]} + {len(paths)} paths of up to "
          f"{max(len(p) for p in paths)} points")
    if export.chromium_available():
        import subprocess

        subprocess.run([sys.executable, os.path.abspath(__file__), "--cold-gif-child",
                        "--frames", str(args.frames)], check=False)

    if export.chromium_available():
        cold, png = timed(lambda: export.figure_to_image(fig, "png", width=800, height=600))
        print(f"PNG 800x600 cold (starts Chromium): {cold:6.2f} s  ({len(png) / 1e3:.0f} kB)")
        warm, _ = timed(lambda: export.figure_to_image(fig, "png", width=800, height=600), args.repeat)
        print(f"PNG 800x600 warm (median of {args.repeat}): {warm:6.3f} s")
        warm2, png2 = timed(lambda: export.figure_to_image(fig, "png", width=800, height=600, scale=2), args.repeat)
        print(f"PNG 1600x1200 (scale 2) warm:        {warm2:6.3f} s  ({len(png2) / 1e3:.0f} kB)")
        svg_t, svg = timed(lambda: export.figure_to_image(fig, "svg", width=800, height=600), args.repeat)
        print(f"SVG warm:                            {svg_t:6.3f} s  ({len(svg) / 1e3:.0f} kB)")
        pdf_t, pdf = timed(lambda: export.figure_to_image(fig, "pdf", width=800, height=600), args.repeat)
        print(f"PDF warm:                            {pdf_t:6.3f} s  ({len(pdf) / 1e3:.0f} kB)")
        s3 = go.Figure(go.Surface(x=g, y=g, z=z, colorscale=style.SURFACE_COLORSCALE))
        style.apply(s3)
        t3, _ = timed(lambda: export.figure_to_image(s3, "png", width=800, height=600))
        print(f"PNG 3-D surface first (WebGL init):  {t3:6.2f} s")
        t3w, _ = timed(lambda: export.figure_to_image(s3, "png", width=800, height=600), args.repeat)
        print(f"PNG 3-D surface warm:                {t3w:6.3f} s")
    else:
        print("PNG/SVG/PDF: skipped, no Chromium (" + export.INSTALL_HINT + ")")

    html_t, html = timed(lambda: export.figure_to_html(fig, offline=True))
    print(f"HTML standalone:                     {html_t:6.3f} s  ({len(html) / 1e6:.1f} MB)")
    html_t, html = timed(lambda: export.figure_to_html(fig, offline=False))
    print(f"HTML light (CDN):                    {html_t:6.3f} s  ({len(html) / 1e3:.0f} kB)")

    common = dict(xrange=(-2, 2), yrange=(-2, 2), frames=args.frames, fps=20, width=800, height=600,
                  labels=labels)
    renderers = ["auto", "raster"] if export.chromium_available() else ["raster"]
    for renderer in renderers:
        name = "kaleido bg" if renderer == "auto" else "raster bg"
        t, gif = timed(lambda: export.animate_paths(background, paths, list(style.PALETTE), fmt="gif",
                                                   renderer=renderer, **common))
        n = Image.open(io.BytesIO(gif)).n_frames
        print(f"GIF {n} frames 800x600 ({name}):   {t:6.2f} s  ({len(gif) / 1e6:.2f} MB)")
        try:
            t, mp4 = timed(lambda: export.animate_paths(background, paths, list(style.PALETTE), fmt="mp4",
                                                       renderer=renderer, **common))
            print(f"MP4 {args.frames} frames 800x600 ({name}):   {t:6.2f} s  ({len(mp4) / 1e3:.0f} kB)")
        except export.ExportUnavailable as e:
            print(f"MP4: unavailable: {e}")


if __name__ == "__main__":
    main()
