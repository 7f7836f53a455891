"""optviz: see how optimizers move and how initializations shape a deep network (routing only)."""

import streamlit as st

from optviz.compile_cache import enable_compile_cache

enable_compile_cache()  # compiled JAX variants survive server restarts
st.set_page_config(page_title="optviz", page_icon="📉", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/trajectories.py", title="Optimizer trajectories", icon="📉", url_path="trajectories"),
    st.Page("pages/layers.py", title="Initialization & activations", icon="🧱", url_path="layers"),
]
st.navigation(pages).run()
