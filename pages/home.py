"""Landing page: what optviz shows, every page, and every lesson scene one click away."""

import streamlit as st

from optviz.pages import PAGES

st.title("optviz")
st.markdown(
    "Interactive figures for the *training neural networks* lecture: how **SGD, Momentum, Nesterov, AdaGrad, "
    "RMSProp, Adam** and friends move on ill-conditioned, saddle and local-minimum surfaces, and how the choice "
    "of **weight initialization and activation** makes a deep network's activations and gradients vanish, "
    "saturate, explode or stay healthy; and in the **training lab** a small network trains live: loss curves, "
    "decision boundary, learning-rate schedules, batch norm, regularization. Every control lives in the link: "
    "share it and students see the same figure."
)
# A link's label wraps: Streamlit keeps it on one line and clips it at the column's edge
# ("Momentum rushes through, Nesterov ov" in a third of a 1280 px screen).
st.html("<style>[data-testid=stMain] [data-testid=stPageLink-NavLink] *{white-space:normal}</style>")
for column, page in zip(st.columns(len(PAGES)), PAGES.values()):
    column.page_link(page.script, label=f"**{page.title}** — free play", icon=page.icon, help=page.summary)
    if page.lessons:
        column.subheader(f"Lesson scenes: {page.title}")
    for number, lesson in enumerate(page.lessons, 1):
        column.page_link(page.script, label=f"{number}. {lesson.title}", query_params={"scene": lesson.key}, help=lesson.text)
