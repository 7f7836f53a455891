"""One page's main figure alone, drawn by a chart that keeps its div: the lever `st.plotly_chart` lacks.

`st.plotly_chart` mounts a new chart for every new figure (its element id hashes the spec) and
Streamlit 1.67 then draws it twice (bench_browser.py's `_COUNT_DRAWS`). This app draws the same
figure as benchmarks/figure_app.py through a `st.components.v2` component under a fixed key: its
div stays, and each change is one `Plotly.react` on it. bench_browser.py times it beside the floor
and the figure alone, so the report says what such a chart would save and where it would leave a
page: the ceiling of that lever, measured (issue 22).

plotly.js is plotly.py's own copy (the version the exports use), served by Streamlit's static file
serving from `static/` beside this script: bench_browser.py runs the app from a temporary folder
with `static/plotly.min.js` in it (see `serving_folder`).

Run: bench_browser.py starts it; by hand, `serving_folder(dir)` then
`streamlit run dir/component_app.py --server.enableStaticServing true`, open ?page=trajectories&key=angle
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent  # resolved: in the serving folder this file is a link here
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

# One div per mount, kept across reruns (the component's key is fixed); plotly.js is loaded once
# per page from the static folder. `Plotly.react` on a drawn div: one draw per new figure.
JS = """
export default function(component) {
  const { data, parentElement } = component;
  const draw = () => {
    let div = parentElement.querySelector('div.optviz-chart');
    if (!div) {
      div = document.createElement('div');
      div.className = 'optviz-chart';
      parentElement.appendChild(div);
    }
    window.Plotly.react(div, data.figure.data, data.figure.layout, data.config);
  };
  if (!window.__optvizPlotly) {
    window.__optvizPlotly = window.Plotly ? Promise.resolve() : new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = './app/static/plotly.min.js';
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  window.__optvizPlotly.then(draw);
}
"""


def serving_folder(folder: Path) -> Path:
    """Lay out `folder` for Streamlit's static serving: this app (a link) and static/plotly.min.js
    (a copy of plotly.py's). Returns the app's path there."""
    import plotly

    static = folder / "static"
    static.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static / "plotly.min.js")
    app = folder / "component_app.py"
    if not app.exists():
        app.symlink_to(Path(__file__).resolve())
    return app


if __name__ == "__main__":  # as `streamlit run` runs it
    import streamlit as st

    from figure_app import slider_figure
    from optviz.ui.page import PLOTLY_CONFIG

    page, figure = slider_figure("the main figure alone, one Plotly.react per change")
    plotly_chart = st.components.v2.component("optviz_bench_plotly", js=JS, isolate_styles=False)
    with st.container(key=page.main_figure):
        plotly_chart(data={"figure": json.loads(figure.to_json()), "config": PLOTLY_CONFIG}, key="figure")
