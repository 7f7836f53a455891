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
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def route_with_navigation() -> None:
    """Tell Streamlit that this app routes with `st.navigation`, not with its `pages/` folder."""
    from streamlit.runtime.pages_manager import PagesManager

    if not hasattr(PagesManager, "uses_pages_directory"):
        raise RuntimeError("streamlit's PagesManager.uses_pages_directory is gone: check optviz.ui.server "
                           "against the installed streamlit (deep links on a fresh server)")
    PagesManager.uses_pages_directory = False


def main(argv: list[str] | None = None) -> int:
    from streamlit.web import cli

    route_with_navigation()
    args = list(sys.argv[1:] if argv is None else argv)
    return cli.main(["run", str(ROOT / "app.py"), *args], standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
