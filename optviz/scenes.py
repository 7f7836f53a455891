"""What every page's Scene shares: the URL keys all pages reserve, lenient reading of links and
JSON objects, and scene files (`SceneFile`: dumps/loads from a type's to_json/from_json)."""

from __future__ import annotations

import json
from typing import Any, Mapping

from optviz.params import shown

MAX_LISTED = 5
"""Most names one notice lists (a file with 30,000 unknown keys gets one short notice)."""

VIEW_ONLY_KEYS = ("presenter", "view")
"""URL keys that change how, not what, a page shows: presenter mode and the open tab."""

PAGE_KEYS = (*VIEW_ONLY_KEYS, "scene")
"""URL keys every page reserves besides its scene's own: the view-only keys and the lesson (`scene=`)."""


def flat_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """A link's parameters with one value each (a repeated key: the last one wins)."""
    return {k: (v[-1] if isinstance(v, (list, tuple)) and v else v) for k, v in query.items()}


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
    unknown = [key for key in data if key not in known]
    if unknown:
        listed = ", ".join(shown(k) for k in unknown[:MAX_LISTED])
        more = f" and {len(unknown) - MAX_LISTED:,} more" if len(unknown) > MAX_LISTED else ""
        notices.append(f"scene file: unknown key(s) {listed}{more} ignored")


def parse_file(raw: str | bytes) -> Any:
    """A scene file's JSON, read as the page and the CLI both read it: bytes in UTF-8 (with or
    without a byte-order mark) or UTF-16/32, a leading byte-order mark ignored.

    Raises ValueError (bad JSON or text), RecursionError (absurd nesting)."""
    text = raw.decode(json.detect_encoding(raw)) if isinstance(raw, (bytes, bytearray)) else raw
    return json.loads(text.lstrip("\ufeff"))


class SceneFile:
    """Scene files for a Scene type that has `to_json` and a lenient `from_json` (see optviz.page.Scene)."""

    def dumps(self) -> str:
        """The scene as an indented JSON file."""
        return json.dumps(self.to_json(), indent=2)

    @classmethod
    def read(cls, text: str | bytes) -> tuple[Any, list[str]]:
        """Parse a scene file (UTF-8, with or without a BOM, or UTF-16/32): (scene, notices), or
        (None, [why]) when it is no scene of this kind at all (bad JSON, not an object, another kind)."""
        try:
            data = parse_file(text)
        except (ValueError, RecursionError) as err:  # RecursionError: absurdly deep nesting
            return None, [f"the scene file is not valid JSON ({shown(str(err), 120)})"]
        if not isinstance(data, Mapping):
            return None, [f"the scene file holds {shown(data)}, not a JSON object of settings"]
        if data.get("kind", cls.KIND) != cls.KIND:
            return None, [f"the scene file is a {shown(data.get('kind'))} scene, not a {cls.KIND} scene"]
        return cls.from_json(data)

    @classmethod
    def loads(cls, text: str | bytes) -> tuple[Any, list[str]]:
        """Parse a scene file's text; a file that is no scene gives the default scene and a notice."""
        scene, notices = cls.read(text)
        if scene is None:
            return cls(), [f"{notices[0]}; using the default scene"]
        return scene, notices
