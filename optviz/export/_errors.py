"""The one error optviz's exports raise when a tool they need is not installed."""

from __future__ import annotations

INSTALL_HINT = (
    "Install Chromium: `apt-get install -y chromium` (Debian/Ubuntu), or set "
    "$OPTVIZ_CHROMIUM to the path of a Chromium/Chrome binary. "
    "HTML, CSV, JSON and GIF exports work without it."
)


class ExportUnavailable(RuntimeError):
    """An export format cannot be produced here; the message says what to install."""
