"""optviz.ui.server.prewarm: after it, the first run of every page's default scene (its compute
and its main figure) traces and compiles nothing. Run in a fresh Python process, so that nothing
this test process compiled before can stand in for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = """
import json
import jax
from jax._src import dispatch
events = []
def listen(event, duration, **kwargs):
    if event in (dispatch.JAXPR_TRACE_EVENT, dispatch.BACKEND_COMPILE_EVENT):
        events.append(event)
jax.monitoring.register_event_duration_secs_listener(listen)
from optviz.ui.server import prewarm
prewarm()
during = len(events)
events.clear()
from optviz.pages import PAGES
for page in PAGES.values():
    scene = page.scene_type()
    page.build_figure(page.main_figure, scene, page.compute(scene))
print(json.dumps({"during_prewarm": during, "after": len(events)}))
"""


def test_every_pages_default_scene_is_compiled_by_the_prewarm():
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "OPTVIZ_JAX_CACHE": "off"}  # compile for real, write no cache
    done = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["during_prewarm"] > 0  # the listener hears compilations: the prewarm did them
    assert counts["after"] == 0, counts  # and the pages' first runs need none
