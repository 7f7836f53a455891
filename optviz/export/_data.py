"""Data exports: CSV of records, canonical JSON, and per-step rows of optimizer trajectories."""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import enum
import io
import json
import math
import numbers
from pathlib import PurePath
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

TRAJECTORY_COLUMNS: tuple[str, ...] = (
    "optimizer", "label", "step", "x", "y", "loss", "grad_x", "grad_y", "update_x", "update_y", "step_size_x", "step_size_y",
)


# -- CSV ---------------------------------------------------------------------------------
def _csv_cell(value: Any) -> str:
    """One CSV cell: floats at repr precision (round-trip exact), NaN/None as empty."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        return "" if math.isnan(f) else repr(f)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _csv_cell(value.item())
    return str(value)


def records_to_csv(records: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of `records` (dicts), one row each.

    The header is the union of the keys in first-seen order; a missing key is an empty cell.
    Floats are written with `repr` (the shortest text that parses back to the same float),
    NaN and None as empty cells, infinities as `inf`/`-inf`, booleans as `true`/`false`.
    Lines end with "\\n".
    """
    rows = list(records)
    header: dict[str, None] = {}
    for row in rows:
        for key in row:
            header.setdefault(str(key), None)
    columns = list(header)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = {str(k): v for k, v in row.items()}
        writer.writerow([_csv_cell(cells.get(col)) for col in columns])
    return buf.getvalue()


# -- JSON --------------------------------------------------------------------------------
def to_jsonable(obj: Any) -> Any:
    """`obj` as plain JSON types: NumPy arrays/scalars converted, NaN/inf -> None.

    Also handles tuples/sets, dataclasses, enums, paths, dates and plotly objects
    (`to_plotly_json`). Raises TypeError for anything else.
    """
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" or obj.dtype == object:
            return to_jsonable(obj.tolist())
        return obj.tolist()  # ints/bools/strings: already plain and finite
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Mapping):
        return {_json_key(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        items = [to_jsonable(v) for v in obj]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, PurePath):
        return str(obj)
    if isinstance(obj, (_dt.datetime, _dt.date)):
        return obj.isoformat()
    if hasattr(obj, "to_plotly_json"):
        return to_jsonable(obj.to_plotly_json())
    if hasattr(obj, "__array__"):  # jax arrays and friends
        return to_jsonable(np.asarray(obj))
    raise TypeError(f"cannot write {type(obj).__name__} as JSON: {obj!r:.80}")


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, np.generic):
        key = key.item()
    if isinstance(key, (bool, int, float)) or key is None:
        return json.dumps(key)
    if isinstance(key, enum.Enum):
        return str(key.value)
    return str(key)


def to_json_bytes(obj: Any, *, indent: int | None = None, sort_keys: bool = True) -> bytes:
    """UTF-8 JSON of `obj` (see `to_jsonable`), strict (no NaN tokens), ending in a newline.

    Keys are sorted by default so equal objects give equal bytes (stable diffs and hashes);
    pass sort_keys=False to keep insertion order.
    """
    text = json.dumps(
        to_jsonable(obj),
        allow_nan=False,
        ensure_ascii=False,
        sort_keys=sort_keys,
        indent=indent,
        separators=(",", ":") if indent is None else (",", ": "),
    )
    return (text + "\n").encode("utf-8")


# -- trajectories ------------------------------------------------------------------------
def _column(arr: Any, ndim: int) -> np.ndarray:
    a = np.asarray(arr if arr is not None else [], dtype=float)
    if ndim == 2:
        return a.reshape(-1, 2) if a.size else np.zeros((0, 2))
    return a.reshape(-1)


def trajectory_records(results: Sequence[Any]) -> list[dict[str, Any]]:
    """One row per (optimizer, step) of trajectory results, columns TRAJECTORY_COLUMNS.

    A result has `label`, `optimizer`, `positions (n, 2)`, `losses (n,)`, `gradients (n, 2)`
    and `updates (n-1, 2)`: the update at step k moves positions[k] to positions[k+1], so the
    last row's update is empty (NaN). Arrays already truncated at divergence may be shorter;
    the row count is len(positions) and a missing value is NaN (an empty CSV cell, JSON null).
    """
    rows: list[dict[str, Any]] = []
    for r in results:
        pos = _column(r.positions, 2)
        loss = _column(getattr(r, "losses", None), 1)
        grad = _column(getattr(r, "gradients", None), 2)
        upd = _column(getattr(r, "updates", None), 2)
        sizes = _column(getattr(r, "step_sizes", None), 2)  # the per-coordinate step sizes (none for Newton, Lion, ...)
        name, label = str(r.optimizer), str(getattr(r, "label", None) or r.optimizer)
        nan = math.nan
        for k in range(len(pos)):
            g = grad[k] if k < len(grad) else (nan, nan)
            u = upd[k] if k < len(upd) and k < len(pos) - 1 else (nan, nan)
            size = sizes[k] if k < len(sizes) and k < len(pos) - 1 else (nan, nan)
            rows.append({
                "optimizer": name, "label": label, "step": k,
                "x": float(pos[k, 0]), "y": float(pos[k, 1]),
                "loss": float(loss[k]) if k < len(loss) else nan,
                "grad_x": float(g[0]), "grad_y": float(g[1]),
                "update_x": float(u[0]), "update_y": float(u[1]),
                "step_size_x": float(size[0]), "step_size_y": float(size[1]),
            })
    return rows
