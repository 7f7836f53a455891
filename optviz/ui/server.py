"""Start the Streamlit server for optviz: `python -m optviz.ui.server [streamlit run options]`.

Why a launcher: Streamlit decides once per process whether a `pages/` folder beside the entry
point means a legacy (v1) multipage app (`PagesManager.uses_pages_directory`), and clears that
only after the first run of a script that calls `st.navigation` (streamlit/streamlit PR #10276
calls the flag a relic of v1). On a fresh server the first visitor who opens a deep link (a
shared `/trajectories?...` link) would get the legacy page instead of app.py's navigation.
optviz keeps `pages/` (the project's layout) and always routes with `st.navigation`, so the flag
is cleared here, before the server accepts a session. Streamlit 1.67 has no supported setting
for this; tests/test_server.py fails if an upgrade renames the flag or stops reading it, and
tests/test_browser.py opens a deep link on a fresh server.

It also starts `prewarm` in a background thread (off with OPTVIZ_PREWARM=off): the imports and
every page's default scene run while Streamlit starts and the first browser loads the page.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def route_with_navigation() -> None:
    """Tell Streamlit that this app routes with `st.navigation`, not with its `pages/` folder."""
    from streamlit.runtime.pages_manager import PagesManager

    if not hasattr(PagesManager, "uses_pages_directory"):
        raise RuntimeError("streamlit's PagesManager.uses_pages_directory is gone: check optviz.ui.server "
                           "against the installed streamlit (deep links on a fresh server)")
    PagesManager.uses_pages_directory = False


def prewarm() -> None:
    """Import optviz's pages and run every page's default scene (compute and main figure) once.

    What the first visitor's first run would otherwise wait for: importing JAX, optax and the
    pages, loading the default scenes' compiled variants (from the on-disk cache when
    `python -m optviz warmup` filled it, else compiling them) and Plotly's figure classes.
    Compiled functions stay in the process, so the first run of every page finds them warm.
    """
    from optviz.compile_cache import enable_compile_cache

    enable_compile_cache()  # before the first compilation, as app.py does
    from optviz.warmup import warm_up

    warm_up(quick=True, figures=True)  # every page's default scene


def _prewarm_in_background() -> None:
    def run() -> None:
        try:
            prewarm()
        except Exception as err:  # a failed warm-up costs the first visitor time, never the server
            print(f"optviz: prewarm failed ({type(err).__name__}: {err}); the first run will compile", file=sys.stderr)

    threading.Thread(target=run, name="optviz-prewarm", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    from streamlit.web import cli

    from optviz.params import parse_bool

    route_with_navigation()
    if parse_bool(os.environ.get("OPTVIZ_PREWARM", "on")) is not False:
        # While Streamlit starts and the first browser loads its page (benchmarks/bench_browser.py:
        # "server start -> first chart").
        _prewarm_in_background()
    args = list(sys.argv[1:] if argv is None else argv)
    return cli.main(["run", str(ROOT / "app.py"), *args], standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
