"""optviz: see how optimizers move and how initializations shape a deep network (routing only)."""

import streamlit as st

from optviz.compile_cache import enable_compile_cache
from optviz.ui.page import navigation

enable_compile_cache()  # compiled JAX variants survive server restarts
st.set_page_config(page_title="optviz", page_icon="📉", layout="wide")
navigation()  # the landing page and every page of optviz.pages.PAGES
