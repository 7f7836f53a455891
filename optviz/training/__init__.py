"""The training lab: a small MLP trained on 2-D toy data, in one jitted scan per run.

  data      DATASETS (moons, circles, spiral, xor, gaussians), drawn in JAX with explicit keys.
  model     the MLP (biases, batch norm, dropout), its loss, penalty and per-layer statistics.
  config    TRAIN_PARAMS and TrainConfig: every setting of a run, validated.
  compute   run_training -> TrainResult (vmapped seeds), train_json for the CLI.
"""

from optviz.training.compute import (
    GRID_RESOLUTION,
    HISTOGRAM_BINS,
    MAX_SEEDS,
    TRACE_COUNT,
    PendingTraining,
    TrainResult,
    dispatch_training,
    learning_rates,
    predict_proba,
    run_training,
    trace_count,
    train_json,
)
from optviz.training.config import (
    LEARNING_RATES,
    MAX_STEPS,
    MAX_WORK,
    SEEDS_PARAM,
    TRAIN_PARAMS,
    TRAINABLE_OPTIMIZERS,
    TrainConfig,
    default_eval_every,
    eval_steps,
    optimizer_params,
)
from optviz.training.data import DATASETS, Dataset, grid_bounds, make_data, resolve_dataset
from optviz.training.model import NetworkSpec

__all__ = [
    "DATASETS", "Dataset", "GRID_RESOLUTION", "HISTOGRAM_BINS", "LEARNING_RATES", "MAX_SEEDS", "MAX_STEPS",
    "MAX_WORK", "NetworkSpec", "PendingTraining", "SEEDS_PARAM", "TRACE_COUNT", "TRAIN_PARAMS",
    "TRAINABLE_OPTIMIZERS", "TrainConfig", "TrainResult", "default_eval_every", "dispatch_training",
    "eval_steps", "grid_bounds", "learning_rates", "make_data", "optimizer_params", "predict_proba",
    "resolve_dataset", "run_training", "trace_count", "train_json",
]
