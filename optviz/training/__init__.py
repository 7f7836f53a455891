"""The training lab: a small MLP trained on 2-D toy data, in one jitted scan per run.

  data      DATASETS (moons, circles, spiral, xor, gaussians), drawn in JAX with explicit keys.
  model     the MLP (biases, batch norm, dropout), its loss, penalty and per-layer statistics.
  config    TRAIN_PARAMS and TrainConfig: every setting of a run, validated.
  compute   run_training -> TrainResult (vmapped seeds), train_json for the CLI; the page's compute.
  results   TrainResult, RunInfo, TrainingData: NumPy only, what the figures read.
  scene, figures, exports, controls, lessons, page: the lab page (see optviz.page.Page).

The names below load lazily: importing `optviz.training.results` (as the figure builders do)
must not import JAX through this package.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "compute": ("GRID_RESOLUTION", "HISTOGRAM_BINS", "MAX_SEEDS", "TRACE_COUNT", "PendingTraining", "dispatch_training",
                "learning_rates", "predict_proba", "run_training", "trace_count", "train_json"),
    "config": ("LEARNING_RATES", "MAX_STEPS", "MAX_WORK", "SEEDS_PARAM", "TRAIN_PARAMS", "TRAINABLE_OPTIMIZERS",
               "TrainConfig", "default_eval_every", "eval_steps", "optimizer_params"),
    "data": ("DATASETS", "Dataset", "grid_bounds", "make_data", "resolve_dataset"),
    "model": ("NetworkSpec",),
    "results": ("TrainResult",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'optviz.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"optviz.training.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
