"""The floor: Streamlit's own speed for one slider and one Plotly line chart, nothing else.

benchmarks/bench_browser.py times a slider change to the redrawn chart here, interleaved with the
same change on optviz's pages in one Chromium, and reports each page as a multiple of this floor
(issue 22). Like the pages: the slider in the sidebar, the chart drawn with `theme=None` under a
widget key, a line of a few hundred points.

Run: .venv/bin/python -m streamlit run benchmarks/floor_app.py
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.title("Floor")
k = st.sidebar.slider("Frequency", 1.0, 10.0, 3.0, step=0.1)
x = np.linspace(0.0, 1.0, 300)
fig = go.Figure(go.Scatter(x=x, y=np.sin(2 * np.pi * k * x), mode="lines"))
fig.update_layout(height=450, margin=dict(l=40, r=20, t=30, b=40))
st.plotly_chart(fig, theme=None, key="floor")
