"""Landing page: what optviz shows and where to start."""

import streamlit as st

st.title("optviz")
st.markdown(
    "Interactive figures for the *training neural networks* lecture: how **SGD, Momentum, Nesterov, "
    "AdaGrad, RMSProp, Adam** and friends move on ill-conditioned, saddle and local-minimum surfaces."
)
st.page_link("pages/trajectories.py", label="Optimizer trajectories", icon="📉")
