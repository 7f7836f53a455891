"""Landing page: what optviz shows, and every lesson scene one click away."""

import streamlit as st

from optviz.lessons import LESSONS

PAGES = {"trajectories": "pages/trajectories.py", "layers": "pages/layers.py"}

st.title("optviz")
st.markdown(
    "Interactive figures for the *training neural networks* lecture: how **SGD, Momentum, Nesterov, AdaGrad, "
    "RMSProp, Adam** and friends move on ill-conditioned, saddle and local-minimum surfaces, and how the choice "
    "of **weight initialization and activation** makes a deep network's activations and gradients vanish, "
    "saturate, explode or stay healthy. Every control lives in the link: share it and students see the same figure."
)
left, right = st.columns(2)
left.page_link(PAGES["trajectories"], label="**Optimizer trajectories** — free play", icon="📉")
if "layers" in {lesson.page for lesson in LESSONS.values()}:
    right.page_link(PAGES["layers"], label="**Initialization & activations** — free play", icon="🧱")

for page, heading, column in (("trajectories", "Optimizers", left), ("layers", "Initialization", right)):
    lessons = [lesson for lesson in LESSONS.values() if lesson.page == page]
    if not lessons:
        continue
    column.subheader(f"Lesson scenes: {heading}")
    for number, lesson in enumerate(lessons, 1):
        column.page_link(PAGES[page], label=f"{number}. {lesson.title}", query_params={"scene": lesson.key}, help=lesson.text)
