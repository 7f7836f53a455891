"""Shared test setup: hypothesis profile; JAX on CPU; a private compilation cache."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# The app and the CLI keep compiled JAX variants on disk (optviz.compile_cache); tests, and the
# servers they start, use a folder of their own instead of the user's ~/.cache.
if "OPTVIZ_JAX_CACHE" not in os.environ:
    os.environ["OPTVIZ_JAX_CACHE"] = tempfile.mkdtemp(prefix="optviz-test-jax-cache-")
    atexit.register(shutil.rmtree, os.environ["OPTVIZ_JAX_CACHE"], ignore_errors=True)

import jax  # noqa: E402

# The pytest process itself writes no compilation cache (its children, the servers and CLI runs
# the tests start, still use the folder above): in one full run JAX 0.10.2 segfaulted inside
# executable.serialize() while writing a training kernel to the cache from this long-lived
# process (not reproduced alone); a cache only helps across processes anyway.
jax.config.update("jax_enable_compilation_cache", False)

from hypothesis import settings  # noqa: E402

settings.register_profile("optviz", deadline=None, max_examples=60)
settings.load_profile("optviz")


import pytest  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _release_compiled_variants():
    """Drop JAX's compiled executables after each test module. One pytest process compiles
    thousands of variants (every optimizer x surface x schedule, hypothesis scenes); full runs
    segfaulted inside XLA's compile late in the run (three times, never in a shorter run),
    consistent with a per-process limit such as vm.max_map_count being reached."""
    yield
    jax.clear_caches()


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright for the whole session: a second sync_playwright() in the same thread while the
    first runs fails ("Sync API inside the asyncio loop"). None when Playwright is not installed."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        yield None
        return
    manager = sync_playwright()
    playwright = manager.start()
    try:
        yield playwright
    finally:
        manager.__exit__(None, None, None)


@pytest.fixture(scope="module")
def figure_tab(playwright_instance):
    """A blank Chromium tab, 1600x1200, for drawing figures with plotly.js and measuring them.
    Skips without Chromium on a laptop; fails under CI, where the browser checks must run."""
    from harness import browser_unavailable, launch_chromium

    reason = browser_unavailable()
    if reason:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set but the browser checks cannot run: {reason}")
        pytest.skip(reason)
    with tempfile.TemporaryDirectory() as profile:
        context = launch_chromium(playwright_instance, profile, {"width": 1600, "height": 1200})
        try:
            yield context.new_page()
        finally:
            context.close()
