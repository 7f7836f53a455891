"""Helpers for the AppTest suites."""

from __future__ import annotations

import re


def warnings_text(at) -> str:
    """The text of every warning box as a reader sees it (notices escape markdown: optviz.ui.page)."""
    return " ".join(unescaped(w.value) for w in at.warning)


def unescaped(markdown: str) -> str:
    """Escaped markdown (optviz.ui.page.escape_markdown) as the reader sees it."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def export_menus(page_key: str) -> list[str]:
    """Session-state keys that open every export menu of a page (a menu is built only while open;
    AppTest cannot click a popover)."""
    from optviz.pages import PAGES
    from optviz.ui.exports import menu_key

    return [menu_key(name) for name in PAGES[page_key].figures]
