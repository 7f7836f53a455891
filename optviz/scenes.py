"""Helpers shared by the scene types: lenient reading of JSON objects and files."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping


def mapping(value: Any, notices: list[str], where: str) -> Mapping[str, Any]:
    """`value` if it is a JSON object; {} (and a notice, unless it is missing) otherwise."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    notices.append(f"{where}: expected an object of name: value; ignored")
    return {}


def unknown_keys(data: Mapping[str, Any], known: Any, notices: list[str]) -> None:
    """Add a notice naming the keys of a scene file that `known` lacks (e.g. the other page's scene)."""
    unknown = [str(key) for key in data if key not in known]
    if unknown:
        notices.append(f"scene file: unknown key(s) {', '.join(repr(k) for k in unknown)} ignored")


def loads(text: str | bytes, from_json: Callable[[Any], tuple[Any, list[str]]], default: Callable[[], Any]):
    """Parse a scene file's text with `from_json`; bad JSON gives `default()` and a notice."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:  # RecursionError: absurdly deep nesting
        return default(), [f"scene file is not valid JSON ({err}); using the default scene"]
    return from_json(data)
