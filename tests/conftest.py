"""Shared test setup: hypothesis profile; JAX on CPU."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

from hypothesis import settings  # noqa: E402

settings.register_profile("optviz", deadline=None, max_examples=60)
settings.load_profile("optviz")
