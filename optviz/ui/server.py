"""Start the Streamlit server for optviz: `python -m optviz.ui.server [streamlit run options]`.

Why a launcher: Streamlit decides once per process whether a `pages/` folder beside the entry
point means "legacy multipage app" (`PagesManager.uses_pages_directory`), and only clears that
after the first run of a script that calls `st.navigation`. On a fresh server the first visitor
who opens a deep link (a shared `/trajectories?...` link) would get the legacy page instead of
app.py's navigation. optviz always routes with `st.navigation`, so the flag is cleared here,
before the server accepts a session.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    args = list(sys.argv[1:] if argv is None else argv)
    return cli.main(["run", str(ROOT / "app.py"), *args], standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
