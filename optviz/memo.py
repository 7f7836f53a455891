"""ByteCache: the most recently used results up to a budget of bytes, shared by every session.

A class shares one server, so what it keeps must be bounded by memory, not by a count of entries:
one trajectory scene can be 25 KB or 25 MB. Used for the network page's random draws and the
trajectory page's results.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any, Callable



RESULTS_BYTES = 256 * 2**20
"""What a page keeps of computed results for every session together. A scene is at most ~25 MB
(optviz.trajectories.scene.MAX_POINTS), so the cache holds 10 of the heaviest or hundreds of the
usual ones, and a class of 30 on a 24 GB machine cannot grow the server past it with links."""


def size_of(value: Any) -> int:
    """Bytes of the arrays in `value` (NumPy or JAX arrays, inside dataclasses, tuples, lists, dicts)."""
    if hasattr(value, "nbytes") and not isinstance(value, (bytes, str)):
        return int(value.nbytes)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(size_of(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (list, tuple)):
        return sum(size_of(v) for v in value)
    if isinstance(value, dict):
        return sum(size_of(v) for v in value.values())
    return 0


class ByteCache:
    """The most recently used values, up to `budget` bytes (`size_of`); thread-safe."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()  # key -> (value, bytes)
        self._bytes = 0
        self._lock = threading.Lock()
        self.misses = 0  # values computed (tests read it)

    @property
    def bytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __contains__(self, key: Any) -> bool:
        """Whether a value is held for `key` (a page dispatches only what it lacks)."""
        with self._lock:
            return key in self._entries

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The value cached under `key`, or `compute()` (kept if it fits, the oldest entries evicted)."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
            self.misses += 1
        value = compute()  # outside the lock: two sessions may compute the same thing once each, never wait
        size = size_of(value)
        with self._lock:
            if size <= self.budget and key not in self._entries:
                self._entries[key] = (value, size)
                self._bytes += size
                while self._bytes > self.budget:
                    _, (_, evicted) = self._entries.popitem(last=False)
                    self._bytes -= evicted
        return value

