"""A tiny Streamlit app for testing the protocol client and the load test.

Two ``st.navigation`` pages (like optviz's app.py):

* ``surface`` (default): a slider, a range slider, an int and a float
  number_input, a selectbox, a checkbox, a text_input, and a plotly chart of
  gradient descent that depends on all of them; a second, large chart (a
  contour map, > 10 kB, so the forward-message cache applies) depends only on
  the selectbox.  Checking "Raise an error" raises ``ValueError``.
  ``?seed=N`` in the URL shifts the start point.  Each run sleeps
  ``TOY_SLEEP`` seconds (default 0.05) to mimic compute.
* ``other``: one slider and a chart.

Run: ``streamlit run benchmarks/toy_app.py``.
"""

from __future__ import annotations

import os
import time

import numpy as np
import plotly.graph_objects as go
import streamlit as st

SURFACES = {
    "quadratic": lambda x, y: 0.5 * x**2 + 5.0 * y**2,
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 10.0 * (y - x**2) ** 2,
    "saddle": lambda x, y: x**2 - y**2,
}
GRADS = {
    "quadratic": lambda x, y: np.array([x, 10.0 * y]),
    "rosenbrock": lambda x, y: np.array(
        [-2 * (1 - x) - 40.0 * x * (y - x**2), 20.0 * (y - x**2)]
    ),
    "saddle": lambda x, y: np.array([2 * x, -2 * y]),
}


@st.cache_data
def surface_map(name: str) -> go.Figure:
    """A contour map of the named surface (same figure for the same name)."""
    xs = np.linspace(-2, 2, 80)
    X, Y = np.meshgrid(xs, xs)
    Z = SURFACES[name](X, Y)
    fig = go.Figure(go.Contour(x=xs, y=xs, z=Z, ncontours=30, showscale=False))
    fig.update_layout(title=f"{name} surface", height=350, margin=dict(l=20, r=20, t=40, b=20))
    return fig


def descend(name: str, lr: float, steps: int, noise: float, seed: int) -> np.ndarray:
    """Gradient descent from a seed-dependent start; stops at a non-finite point."""
    rng = np.random.default_rng(seed)
    p = np.array([-1.5, 1.2]) + 0.1 * seed
    path = [p.copy()]
    for _ in range(steps):
        p = p - lr * GRADS[name](*p) + noise * rng.normal(size=2)
        if not np.all(np.isfinite(p)) or np.abs(p).max() > 1e6:
            break
        path.append(p.copy())
    return np.array(path)


def surface_page() -> None:
    """The main toy page: controls -> compute -> figures."""
    st.title("Toy optimizer")
    lr = st.slider("Learning rate", 0.001, 1.0, 0.1, step=0.001)
    window = st.slider("Window", 0, 100, (0, 100))
    steps = st.number_input("Steps", min_value=1, max_value=500, value=50, step=1)
    noise = st.number_input("Noise", min_value=0.0, max_value=1.0, value=0.0, step=0.05)
    name = st.selectbox("Surface", list(SURFACES))
    markers = st.checkbox("Show markers")
    title = st.text_input("Title", "gradient descent")
    if st.checkbox("Raise an error"):
        raise ValueError("toy error requested")
    try:
        seed = int(st.query_params.get("seed", "0"))
    except ValueError:
        seed = 0

    time.sleep(float(os.environ.get("TOY_SLEEP", "0.05")))
    path = descend(name, lr, int(steps), noise, seed)
    lo, hi = window
    shown = path[int(len(path) * lo / 100) : max(1, int(len(path) * hi / 100))]
    fig = go.Figure(
        go.Scatter(
            x=shown[:, 0],
            y=shown[:, 1],
            mode="lines+markers" if markers else "lines",
            name=f"lr={lr:g}",
        )
    )
    fig.update_layout(title=f"{title} ({name}, seed {seed})", height=350)
    st.plotly_chart(fig, theme=None)
    st.plotly_chart(surface_map(name), theme=None)
    st.caption(f"{len(path) - 1} steps, final point {path[-1].round(4).tolist()}")


def other_page() -> None:
    """A second page, to test multipage navigation."""
    st.title("Other page")
    k = st.slider("Frequency", 1, 10, 3)
    xs = np.linspace(0, 1, 100)
    st.plotly_chart(go.Figure(go.Scatter(x=xs, y=np.sin(2 * np.pi * k * xs))), theme=None)


pg = st.navigation(
    [
        st.Page(surface_page, title="Surface", url_path="surface", default=True),
        st.Page(other_page, title="Other", url_path="other"),
    ]
)
pg.run()
