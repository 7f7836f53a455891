"""The training lab's result types: NumPy arrays and plain values only (no JAX), so the figure
builders can read them without loading the compute core.

  TrainResult   seeds' runs of one TrainConfig (optviz.training.compute.run_training).
  RunInfo       what the figures say about one configuration: its label, colour and activation facts.
  TrainingData  what the page draws for a scene: one (RunInfo, TrainResult) per shown configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # the config module imports the registries (JAX); figures must not load it
    from optviz.training.config import TrainConfig


def _pick(tree: Any, index: int) -> Any:
    """Entry `index` of the leading axis of every array in a tree of lists, tuples and dicts."""
    if isinstance(tree, dict):
        return {k: _pick(v, index) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_pick(v, index) for v in tree)
    return np.asarray(tree)[index]


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Seeds' runs of one TrainConfig, NumPy arrays; S seeds, E evaluations, P snapshots,
    L = depth + 1 weight matrices (the output layer last). Entries from a seed's
    `diverged_at` on are NaN.

    Attributes:
      config: the run's settings.
      seeds: (S,) seed of each run (config.seed, config.seed + 1, ...).
      steps: (E,) evaluated steps: 0, k, 2k, ... and config.steps.
      train_loss, val_loss: (S, E) plain cross-entropy on the full sets (no dropout, no penalty).
      train_accuracy, val_accuracy: (S, E) fraction classified correctly.
      learning_rate: (E,) learning rate of the step taken at each evaluated step (eta x schedule factor).
      diverged_at: (S,) first rejected step (non-finite), -1 where the run did not diverge.
      activation_std, dead_fraction, saturated_fraction: (S, E, depth) per hidden layer, on the
        training set in evaluation mode (dead: ReLU units 0 on every example; saturated:
        `optviz.activations.saturated_mask`).
      grad_std: (S, E, L) std of dL/dW_l of the training objective at the step taken there.
      update_ratio: (S, E, L) ||delta W_l|| / ||W_l|| of that step (NaN where W_l = 0).
      snapshot_steps: (P,) steps of the snapshots (step 0, every few evaluations, and the last).
      grid_x, grid_y: (G,) decision-boundary grid coordinates (empty for sets that are not 2-D).
      probabilities: (S, P, G, G, C) class probabilities at grid point (grid_y[i], grid_x[j]) [.., i, j, :].
      weight_edges: (L, bins + 1) fixed bin edges of each weight matrix's histograms.
      weight_histograms: (S, P, L, bins) fraction of W_l's entries in each bin.
      weight_outside: (S, P, L, 3) fraction below the first edge, above the last, NaN.
      x_train, y_train, x_val, y_val: the data (shared by every seed).
      params, state: final parameters and batch-norm state (per-layer dicts of (S, ...) arrays);
        for a diverged run, those of its last finite evaluation; with config.restore_best, those
        of the evaluation with the lowest validation loss (early stopping).
      best_step: (S,) evaluated step with the lowest validation loss (-1 if none is finite).
      best_val_loss: (S,) that validation loss (NaN if none is finite).
      val_log_probabilities: (S, N_val, C) log class probabilities of the final network (the
        restored one with config.restore_best) on the validation set: the confusion matrix, the
        misclassified examples and the final losses come from them (`val_probabilities` = exp).
      ensemble_train_loss, ensemble_val_loss, ensemble_train_accuracy, ensemble_val_accuracy:
        (E,) the ensemble of the S seeds (members) at each evaluation: it predicts the mean of
        the members' probabilities (config.ensemble > 1); None for a single model.
      transfer: what a transfer-learning run reports beside its curves ({"mode", "pretrain_steps",
        "pretrain_val_accuracy", ...}); None for an ordinary run.
    """

    config: "TrainConfig"
    seeds: np.ndarray
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    train_accuracy: np.ndarray
    val_accuracy: np.ndarray
    learning_rate: np.ndarray
    diverged_at: np.ndarray
    activation_std: np.ndarray
    dead_fraction: np.ndarray
    saturated_fraction: np.ndarray
    grad_std: np.ndarray
    update_ratio: np.ndarray
    snapshot_steps: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    probabilities: np.ndarray
    weight_edges: np.ndarray
    weight_histograms: np.ndarray
    weight_outside: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    params: list
    state: list
    best_step: np.ndarray | None = None
    best_val_loss: np.ndarray | None = None
    val_log_probabilities: np.ndarray | None = None
    ensemble_train_loss: np.ndarray | None = None
    ensemble_val_loss: np.ndarray | None = None
    ensemble_train_accuracy: np.ndarray | None = None
    ensemble_val_accuracy: np.ndarray | None = None
    transfer: dict | None = None

    @property
    def val_probabilities(self) -> np.ndarray | None:
        """(S, N_val, C) class probabilities of the final networks (exp of `val_log_probabilities`)."""
        return None if self.val_log_probabilities is None else np.exp(self.val_log_probabilities)

    def ensemble_val_log_probabilities(self) -> np.ndarray:
        """(N_val, C) log of the members' mean probability (a log-sum-exp: finite where a member's
        probability underflows)."""
        logs = self.val_log_probabilities
        top = np.max(logs, axis=0)
        top = np.where(np.isfinite(top), top, 0.0)
        return top + np.log(np.mean(np.exp(logs - top), axis=0))

    @property
    def is_ensemble(self) -> bool:
        """Whether the seeds are an ensemble's members (config.ensemble > 1)."""
        return self.ensemble_val_loss is not None

    def ensemble_grid_probabilities(self) -> np.ndarray:
        """(P, G, G, C) the ensemble's class probabilities on the boundary grid: the mean over
        the members (seeds) of theirs, at each snapshot."""
        return np.nanmean(self.probabilities, axis=0) if len(self.seeds) else self.probabilities[0]

    def ensemble_val_probabilities(self) -> np.ndarray:
        """(N_val, C) the ensemble's probabilities on the validation set: the members' mean."""
        return np.exp(self.ensemble_val_log_probabilities())

    def predictions(self, index: int | None = 0) -> np.ndarray:
        """(N_val,) predicted class of each validation example: seed `index`'s, or the
        ensemble's (the members' mean probability) for index None."""
        probabilities = self.ensemble_val_probabilities() if index is None else self.val_probabilities[index]
        return np.argmax(np.nan_to_num(probabilities, nan=-1.0), axis=-1)

    def confusion_matrix(self, index: int | None = 0) -> np.ndarray:
        """(C, C) counts of validation examples: row = true class, column = predicted class
        (seed `index`, or the ensemble for None)."""
        classes = self.val_probabilities.shape[-1]
        matrix = np.zeros((classes, classes), dtype=np.int64)
        np.add.at(matrix, (self.y_val, self.predictions(index)), 1)
        return matrix

    def misclassified(self, index: int | None = 0) -> np.ndarray:
        """Indices of the validation examples seed `index` (or the ensemble) gets wrong, the most
        confidently wrong first."""
        probabilities = self.ensemble_val_probabilities() if index is None else self.val_probabilities[index]
        predicted = self.predictions(index)
        wrong = np.flatnonzero(predicted != self.y_val)
        confidence = np.nan_to_num(probabilities[wrong, predicted[wrong]], nan=0.0)
        return wrong[np.argsort(-confidence, kind="stable")]

    def final_val_metrics(self) -> tuple[np.ndarray, np.ndarray]:
        """((S,) validation loss, (S,) validation accuracy) of each member's final network (the
        restored one with restore_best), from `val_probabilities`."""
        rows = np.arange(len(self.y_val))
        loss = -np.mean(self.val_log_probabilities[:, rows, self.y_val], axis=1)
        logs = np.nan_to_num(self.val_log_probabilities, nan=-np.inf)
        accuracy = np.mean(np.argmax(logs, axis=-1) == self.y_val, axis=1)
        return loss, accuracy

    def diverged(self, index: int = 0) -> int | None:
        """The step where seed `index`'s run diverged, or None."""
        value = int(self.diverged_at[index])
        return None if value < 0 else value

    def finite_evaluations(self, index: int = 0) -> int:
        """How many evaluations of seed `index` come before its divergence (all, if none)."""
        stop = self.diverged(index)
        return len(self.steps) if stop is None else int(np.searchsorted(self.steps, stop, side="left"))

    def seed_params(self, index: int = 0) -> tuple[list, list]:
        """(params, state) of seed `index`'s final network."""
        return _pick(self.params, index), _pick(self.state, index)

    def to_json(self, index: int = 0) -> dict[str, Any]:
        """The CLI's JSON payload for seed `index` (strict JSON: no NaN or Infinity).

        {"config", "steps", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "diverged_at"}:
        equal-length lists that stop at the last finite evaluation.
        """
        n = self.finite_evaluations(index)
        config = self.config.values()
        config["eval_every"] = self.config.eval_interval
        config["seed"] = int(self.seeds[index])
        as_list = lambda a: [float(v) for v in a[index, :n]]  # noqa: E731
        out = {
            "config": config,
            "steps": [int(s) for s in self.steps[:n]],
            "train_loss": as_list(self.train_loss),
            "val_loss": as_list(self.val_loss),
            "train_accuracy": as_list(self.train_accuracy),
            "val_accuracy": as_list(self.val_accuracy),
            "diverged_at": self.diverged(index),
        }
        if self.best_step is not None:
            best = int(self.best_step[index])
            out["best_step"] = best if best >= 0 else None
            out["best_val_loss"] = float(self.best_val_loss[index]) if best >= 0 else None
        if self.is_ensemble:
            member_loss, member_accuracy = self.final_val_metrics()
            ensemble = self.ensemble_val_log_probabilities()
            out["ensemble_val_loss"] = _finite_or_none(-np.mean(ensemble[np.arange(len(self.y_val)), self.y_val]))
            out["ensemble_val_accuracy"] = _finite_or_none(np.mean(self.predictions(None) == self.y_val))
            out["member_val_loss"] = [_finite_or_none(v) for v in member_loss]
            out["member_val_accuracy"] = [_finite_or_none(v) for v in member_accuracy]
        if self.transfer is not None:
            out["transfer"] = self.transfer
        return out


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


@dataclass(frozen=True)
class RunInfo:
    """What the figures say about one shown configuration (text and flags, worked out in compute).

    Attributes:
      key: "a" or "b".
      label: legend text ("Adam, η = 0.01", or "A: Adam, η = 0.01" when comparing).
      color: its colour on every figure: the optimizer's own, or palette colour 0 / 1 for A / B.
      activation: activation label ("ReLU").
      can_die: its units can die (ReLU): the fourth statistic is the dead fraction.
      saturation_rule: how saturation is counted ("|h| > 0.97"), "" when it does not saturate.
      classes: class names of the data set, in label order.
      image_shape: (rows, columns) of an example drawn as an image (digits: (8, 8)); None for
        points in the plane.
    """

    key: str
    label: str
    color: str
    activation: str
    can_die: bool
    saturation_rule: str
    classes: tuple[str, ...] = ("class 0", "class 1")
    image_shape: tuple[int, int] | None = None


@dataclass(frozen=True, eq=False)
class TrainingData:
    """What the training lab draws for a scene: one RunInfo and TrainResult per configuration (A, then B)."""

    runs: tuple[RunInfo, ...]
    results: tuple[TrainResult, ...]

    def pairs(self) -> list[tuple[RunInfo, TrainResult]]:
        return list(zip(self.runs, self.results))
