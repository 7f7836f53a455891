"""Shared test setup: hypothesis profile; JAX on CPU; a private compilation cache."""

import os
import tempfile

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# The app and the CLI keep compiled JAX variants on disk (optviz.compile_cache); tests, and the
# servers they start, use a folder of their own instead of the user's ~/.cache.
os.environ.setdefault("OPTVIZ_JAX_CACHE", tempfile.mkdtemp(prefix="optviz-test-jax-cache-"))

from hypothesis import settings  # noqa: E402

settings.register_profile("optviz", deadline=None, max_examples=60)
settings.load_profile("optviz")
