"""JAX's persistent compilation cache for the app and the CLI.

Every jitted variant (a surface x optimizer x schedule, an activation, an initializer ...)
otherwise compiles afresh in every new process, the first time a student picks one, and that is
most of a cold server start (benchmarks/bench_browser.py measures it). With the cache on disk a restarted server or a new CLI call
loads them instead. Off with OPTVIZ_JAX_CACHE=off; elsewhere with OPTVIZ_JAX_CACHE=/a/folder.

References:
  https://docs.jax.dev/en/latest/persistent_compilation_cache.html
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import jax

from optviz.params import parse_bool

DEFAULT_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "optviz" / "jax"


def enable_compile_cache() -> Path | None:
    """Point JAX at the on-disk cache (before the first compilation); returns the folder or None.

    The folder must be private to the user: JAX trusts what it loads from it.
    """
    return _enable(os.environ.get("OPTVIZ_JAX_CACHE", ""))


@functools.cache  # app.py calls it on every rerun: each setting is applied once per process
def _enable(setting: str) -> Path | None:
    if parse_bool(setting) is False:
        return None
    folder = Path(setting) if setting else DEFAULT_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None  # read-only home, say: run without the cache
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    if "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS" not in os.environ:  # JAX's own setting wins
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)  # skip trivial kernels
    return folder
