"""Helpers for the AppTest suites."""

from __future__ import annotations

import re


def warnings_text(at) -> str:
    """The text of every warning box as a reader sees it (notices escape markdown: optviz.ui.page)."""
    return " ".join(re.sub(r"\\(.)", r"\1", w.value) for w in at.warning)
