"""The UI toolkit, the only part of optviz that imports streamlit (besides each page's controls):

* `optviz.ui.widgets`: widgets generated from Param specs;
* `optviz.ui.page`: routing, the page helper (`scene_page`, `draw_views`), lessons, notices, charts;
* `optviz.ui.exports`: a figure's export menu and the scene file controls;
* `optviz.ui.server`: the launcher `python -m optviz.ui.server` (deep links on a fresh server).
"""
