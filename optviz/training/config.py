"""TRAIN_PARAMS and TrainConfig: every setting of one training-lab run, validated.

One Param spec per setting drives the page's widgets, URL keys, JSON and the CLI flags of
`python -m optviz train` (`--samples`, `--batch-size`, ...: the name with `_` as `-`). The
optimizer's hyperparameters (`--set NAME=VALUE`) and the schedule's parameters
(`--schedule-param NAME=VALUE`) are the registries' own Params; the lab replaces only the
learning-rate defaults, which are set for the 2-D surfaces there (`optimizer_params`).

`TrainConfig(...)` is strict (a ValueError names the bad value; strings are parsed as the CLI
gives them); `TrainConfig.from_values` is lenient for URLs and files (clamps, falls back,
and says so in notices), as `optviz.params.coerce_all` does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from optviz.activations import ACTIVATIONS
from optviz.initializers import INITIALIZERS, resolve_initializer
from optviz.optimizers import OPTIMIZERS
from optviz.params import Param, coerce_all
from optviz.schedules import SCHEDULES
from optviz.training.data import DATASETS, MAX_SAMPLES
from optviz.training.model import NetworkSpec

MAX_STEPS = 10_000
"""Most optimizer steps of one run."""

MAX_WORK = 6e10
"""Bound on `training_work` (multiply-adds of one seed's run): a few seconds of a 2-core server
(benchmarks/bench_train.py measures the rate; narrow deep nets are the slowest per multiply-add).

`TrainConfig(...)` refuses a run above it; `TrainConfig.from_values` shortens it (fewer steps).
"""

# The lab's learning rates: the registry's defaults suit the 2-D surfaces (Adam's 0.1 is fine
# there, too large for a network). Everything else keeps the registry's defaults.
LEARNING_RATES: dict[str, float] = {
    "sgd": 0.1,
    "momentum": 0.03,
    "nesterov": 0.03,
    "adagrad": 0.1,
    "rmsprop": 0.003,
    "adam": 0.01,
    "adamw": 0.01,
    "lion": 0.001,  # sign steps of size eta on every weight: 3-10x below Adam's (Chen et al. 2023)
    "radam": 0.01,
    "nadam": 0.01,
    "amsgrad": 0.01,
    "adabelief": 0.01,
    "schedule_free_adamw": 0.01,  # the lab evaluates its params, the gradient point y (not the average x)
}

TRANSFER_DATASET = "digits"
TRANSFER_CLASSES = 5
"""Classes of the transfer target (digits 5-9)."""
TRANSFER_EVALUATED = 900
"""About the images of each transfer task's validation set (digits 0-4 or 5-9: 901 and 896 images)."""

MAX_ENSEMBLE = 8
"""Most ensemble members (they are seeds, vmapped)."""

TRANSFER_MODES = ("none", "scratch", "freeze", "finetune")
"""`transfer` values: off, or how the 5-9 task starts (random init; the 0-4 network frozen with a new
head; the 0-4 network fine-tuned with a new head)."""

TRAINABLE_OPTIMIZERS: tuple[str, ...] = tuple(k for k, o in OPTIMIZERS.items() if not o.extra_args)
"""OPTIMIZERS keys that can train a network: those whose update needs nothing but the minibatch gradient
(the lab's kernel calls `tx.update(grads, state, params)`). Not Newton (the Hessian over every pair of
weights), not L-BFGS (its line search evaluates the loss at trial points: `value_fn`), not SAM (a
second gradient, at a perturbed point, every step: `grad_fn`)."""

TRAIN_PARAMS: tuple[Param, ...] = (
    Param("dataset", "Data set", "moons", kind="choice", choices=tuple(DATASETS),
          choice_labels=tuple(d.label for d in DATASETS.values()), help="The data to classify."),
    Param("samples", "Training samples", 200, 8, MAX_SAMPLES, kind="int",
          help="Examples in the training set; the validation set is an independent draw of the same size."),
    Param("noise", "Noise σ", 0.2, 0.0, 1.0,
          help="Std of the Gaussian noise added to every point (the default depends on the data set)."),
    Param("depth", "Hidden layers", 3, 0, 8, kind="int", help="0 is a linear softmax classifier."),
    Param("width", "Units per layer", 32, 1, 256, kind="int", help="Units in every hidden layer."),
    Param("activation", "Activation", "relu", kind="choice", choices=tuple(ACTIVATIONS),
          choice_labels=tuple(a.label for a in ACTIVATIONS.values()), help="Nonlinearity of every hidden layer."),
    Param("init", "Weight init", "he_normal", kind="choice", choices=tuple(INITIALIZERS),
          choice_labels=tuple(i.label for i in INITIALIZERS.values()),
          help="Weight initializer (xavier_* and kaiming_* are aliases of glorot_* and he_*)."),
    Param("scale", "Init scale", 0.01, 1e-4, 10.0, log=True,
          help="Std of 'normal', half-width of 'uniform', value of 'constant' (ignored by the others)."),
    Param("gain", "Init gain", 1.0, 0.1, 10.0, help="Multiplies W for every initializer (Var(W) times gain²)."),
    Param("bias", "Biases", True, kind="bool", help="Every layer adds a bias (initialised to 0)."),
    Param("batchnorm", "Batch norm", False, kind="bool",
          help="Normalise each hidden unit over the batch (learned γ, β; running statistics at evaluation)."),
    Param("dropout", "Dropout p", 0.0, 0.0, 0.9,
          help="Probability of zeroing each hidden activation in training (inverted dropout; none at evaluation)."),
    Param("l2", "L2 λ", 0.0, 0.0, 1.0,
          help="Adds λ/2 Σ‖W‖² over the weights (not biases) to the training loss."),
    Param("l1", "L1 λ", 0.0, 0.0, 1.0, help="Adds λ Σ|W| over the weights (not biases) to the training loss."),
    Param("label_smoothing", "Label smoothing ε", 0.0, 0.0, 0.5,
          help="Training targets (1 - ε) one-hot + ε / C (reported losses stay the plain cross-entropy)."),
    Param("mixup", "Mixup α", 0.0, 0.0, 2.0,
          help="Mixes each minibatch with a shuffled copy of itself, inputs and one-hot targets, by λ ~ Beta(α, α); "
               "0 = off."),
    Param("augment", "Augment data", False, kind="bool",
          help="Each step sees altered copies: Gaussian jitter of the points (2-D sets), a random shift of "
               "±1 pixel (digits)."),
    Param("restore_best", "Restore best (early stopping)", False, kind="bool",
          help="Keep the network of the evaluation with the lowest validation loss instead of the last one."),
    Param("ensemble", "Ensemble members", 1, 1, MAX_ENSEMBLE, kind="int",
          help="Trains K networks at once (seeds seed, seed + 1, ...); the ensemble predicts their mean probability."),
    Param("transfer", "Transfer learning", "none", kind="choice", choices=TRANSFER_MODES,
          choice_labels=("off", "from scratch", "frozen features, new head", "fine-tune all"),
          help="Digits only: pretrain on digits 0-4, then learn 5-9 from a few samples per class."),
    Param("transfer_data", "Target data", "similar", kind="choice", choices=("similar", "different"),
          choice_labels=("similar: digits 5-9", "different: digits 5-9, pixels permuted"),
          help="The grid's columns: the new task looks like the old one, or its pixels are shuffled (a fixed permutation)."),
    Param("samples_per_class", "Samples per class", 5, 1, 100, kind="int",
          help="Training examples of each new class (5-9) in a transfer run."),
    Param("pretrain_steps", "Pretraining steps", 1000, 0, MAX_STEPS, kind="int",
          help="Steps on digits 0-4 before the transfer (same optimizer, η and batch)."),
    Param("finetune_factor", "Fine-tune η factor", 0.1, 0.001, 1.0, log=True,
          help="Fine-tuning trains every layer at η times this factor."),
    Param("optimizer", "Optimizer", "adam", kind="choice", choices=TRAINABLE_OPTIMIZERS,
          choice_labels=tuple(OPTIMIZERS[k].label for k in TRAINABLE_OPTIMIZERS),
          help="First-order optimizers only: Newton's method needs the Hessian of every parameter pair."),
    Param("schedule", "LR schedule", "constant", kind="choice", choices=tuple(SCHEDULES),
          choice_labels=tuple(s.label for s in SCHEDULES.values()), help="Learning rate over the steps."),
    Param("batch_size", "Batch size", 32, 1, MAX_SAMPLES, kind="int",
          help="Examples per step: 1 is plain SGD, the number of samples or more is full batch."),
    Param("steps", "Steps", 2000, 1, MAX_STEPS, kind="int", help="Optimizer steps."),
    Param("seed", "Seed", 0, 0, 2**31 - 1, kind="int",
          help="Seed of the data, the weights, the minibatches and dropout; the link reproduces the run."),
    Param("eval_every", "Evaluate every", 0, 0, MAX_STEPS, kind="int",
          help="Steps between evaluations on the full sets; 0 = steps / 100 (at least 1)."),
)

SEEDS_PARAM = Param("seeds", "Seeds", 1, 1, 16, kind="int",
                    help="Runs with seeds seed, seed + 1, ... at once (same data): the mean and its spread.")

_BY_NAME = {p.name: p for p in TRAIN_PARAMS}


def newton_message(optimizer_key: str) -> str:
    """Why a second-order optimizer cannot train the lab's network."""
    label = OPTIMIZERS[optimizer_key].label
    return (
        f"optimizer {optimizer_key!r} ({label}) needs the Hessian of the loss: an N x N matrix over all N "
        f"weights of the network (thousands), built and solved at every step, which is not applicable "
        f"to a network here; choose one of: {', '.join(TRAINABLE_OPTIMIZERS)}"
    )


def optimizer_params(optimizer_key: str) -> tuple[Param, ...]:
    """The optimizer's Param specs with the lab's learning-rate default (LEARNING_RATES)."""
    if OPTIMIZERS[optimizer_key].needs_hessian:
        raise ValueError(newton_message(optimizer_key))
    return tuple(
        dataclasses.replace(p, default=LEARNING_RATES.get(optimizer_key, p.default)) if p.name == "learning_rate" else p
        for p in OPTIMIZERS[optimizer_key].params
    )


def dataset_noise_default(dataset_key: str) -> float:
    """The data set's own noise default (0 when it has no noise setting)."""
    return float(next((p.default for p in DATASETS[dataset_key].params if p.name == "noise"), 0.0))


def default_eval_every(steps: int) -> int:
    """steps // 100, at least 1."""
    return max(1, int(steps) // 100)


def eval_steps(steps: int, eval_every: int) -> list[int]:
    """The evaluated steps: 0, k, 2k, ... below `steps`, then `steps`."""
    return list(range(0, int(steps), int(eval_every))) + [int(steps)]


def training_work(spec: NetworkSpec, batch: int, samples: int, steps: int, evaluations: int) -> float:
    """Multiply-adds of one seed's run: 3 per weight per example per step (forward, two backward
    products), plus 1 per weight per example of each evaluation on the training and validation sets."""
    return float(spec.num_weights) * (3.0 * batch * steps + 2.0 * samples * evaluations)


def _as_pairs(values: Any, where: str) -> dict[str, Any]:
    """{name: value} from a mapping or (name, value) pairs (None: empty); ValueError otherwise."""
    if values is None:
        return {}
    try:
        return dict(values)
    except (TypeError, ValueError):
        raise ValueError(f"{where} must be a mapping of name to value, got {values!r}") from None


@dataclass(frozen=True)
class TrainConfig:
    """One run of the training lab: every value of TRAIN_PARAMS plus the optimizer's and the
    schedule's parameters. Frozen and hashable (a cache key).

    Args:
      dataset, samples, noise: the data (noise None: the data set's default).
      depth, width, activation, init, scale, gain, bias, batchnorm, dropout: the network.
      l2, l1: weight penalties of the training loss.
      optimizer, schedule: OPTIMIZERS / SCHEDULES keys (Newton is refused: it needs a Hessian).
      batch_size: examples per step (>= samples: full batch).
      steps, seed: optimizer steps; seed of data, weights, minibatches and dropout.
      eval_every: steps between evaluations (0: steps // 100, at least 1).
      hparams: the optimizer's hyperparameters by name (a mapping or (name, value) pairs);
        missing ones take the lab's defaults (`optimizer_params`). Stored as pairs in Param order.
      schedule_params: the schedule's parameters likewise.

    Raises:
      ValueError: for an unknown name, an out-of-range value, Newton, batch norm with batch
        size 1, or a run above MAX_WORK.
    """

    dataset: str = "moons"
    samples: int = 200
    noise: float | None = None
    depth: int = 3
    width: int = 32
    activation: str = "relu"
    init: str = "he_normal"
    scale: float = 0.01
    gain: float = 1.0
    bias: bool = True
    batchnorm: bool = False
    dropout: float = 0.0
    l2: float = 0.0
    l1: float = 0.0
    label_smoothing: float = 0.0
    mixup: float = 0.0
    augment: bool = False
    restore_best: bool = False
    ensemble: int = 1
    transfer: str = "none"
    transfer_data: str = "similar"
    samples_per_class: int = 5
    pretrain_steps: int = 1000
    finetune_factor: float = 0.1
    optimizer: str = "adam"
    schedule: str = "constant"
    batch_size: int = 32
    steps: int = 2000
    seed: int = 0
    eval_every: int = 0
    hparams: Any = ()
    schedule_params: Any = ()

    def __post_init__(self):
        if self.optimizer in OPTIMIZERS and OPTIMIZERS[self.optimizer].needs_hessian:
            raise ValueError(newton_message(self.optimizer))
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("init", resolve_initializer(self.init))
        dataset = _BY_NAME["dataset"].parse(self.dataset)
        if self.noise is None:
            set_("noise", dataset_noise_default(dataset))
        for spec in TRAIN_PARAMS:
            set_(spec.name, spec.parse(getattr(self, spec.name)))
        set_("hparams", _parse_named(optimizer_params(self.optimizer), _as_pairs(self.hparams, "hparams"),
                                     f"optimizer {self.optimizer}"))
        set_("schedule_params", _parse_named(SCHEDULES[self.schedule].params,
                                             _as_pairs(self.schedule_params, "schedule_params"),
                                             f"schedule {self.schedule}"))
        if self.transfer != "none" and self.dataset != TRANSFER_DATASET:
            raise ValueError(f"transfer learning runs on the digits (pretrain on 0-4, learn 5-9): "
                             f"use dataset={TRANSFER_DATASET} or transfer=none")
        most = DATASETS[self.dataset].max_samples
        if self.samples > most:
            raise ValueError(f"samples={self.samples} is out of range for {self.dataset}: allowed 8 to {most} "
                             "(the validation set takes the other half of its images)")
        if self.batchnorm and self.effective_batch < 2:
            raise ValueError("batch norm needs at least 2 examples per batch (the variance of one is 0): "
                             "use batch_size >= 2 or turn batch norm off")
        work = self.work
        if work > MAX_WORK:
            raise ValueError(
                f"run too large: about {work:.2g} multiply-adds > {MAX_WORK:.2g} (steps x batch x weights); "
                "use fewer steps, a smaller batch or a smaller network"
            )

    # -- derived values -------------------------------------------------------------------
    @property
    def spec(self) -> NetworkSpec:
        """The network's static structure."""
        dataset = DATASETS[self.dataset]
        return NetworkSpec(dataset.input_dim, dataset.num_classes, self.depth, self.width, self.activation,
                           self.init, self.bias, self.batchnorm, self.dropout > 0)

    @property
    def train_count(self) -> int:
        """Examples in the training set: `samples`, or samples_per_class x 5 new classes for transfer."""
        return TRANSFER_CLASSES * self.samples_per_class if self.transfer != "none" else self.samples

    @property
    def full_batch(self) -> bool:
        """Whether every step uses the whole training set (batch_size >= its examples)."""
        return self.batch_size >= self.train_count

    @property
    def effective_batch(self) -> int:
        """Examples per step: batch_size, or the training set's size for full batch."""
        return self.train_count if self.full_batch else self.batch_size

    @property
    def members(self) -> int:
        """Networks trained per seed setting: the ensemble's K (1: a single model)."""
        return self.ensemble

    @property
    def eval_interval(self) -> int:
        """Steps between evaluations: eval_every, or steps // 100 (at least 1) when it is 0."""
        return self.eval_every or default_eval_every(self.steps)

    @property
    def eval_steps(self) -> list[int]:
        """The evaluated steps: 0, k, 2k, ... and always `steps`."""
        return eval_steps(self.steps, self.eval_interval)

    @property
    def work(self) -> float:
        """`training_work` of one seed's run (a transfer run: its pretraining too; an ensemble: every member)."""
        if self.transfer == "none":
            return self.ensemble * training_work(self.spec, self.effective_batch, self.samples, self.steps,
                                                 len(self.eval_steps))
        evaluated = TRANSFER_EVALUATED  # the target's validation set holds every other image of 5-9
        work = training_work(self.spec, self.effective_batch, evaluated, self.steps, len(self.eval_steps))
        if self.transfer != "scratch":
            batch = min(self.batch_size, TRANSFER_EVALUATED)
            work += training_work(self.spec, batch, TRANSFER_EVALUATED, self.pretrain_steps,
                                  len(eval_steps(self.pretrain_steps, default_eval_every(self.pretrain_steps))))
        return self.ensemble * work

    @property
    def hparam_values(self) -> dict[str, Any]:
        """The optimizer's hyperparameters by name."""
        return dict(self.hparams)

    @property
    def schedule_values(self) -> dict[str, Any]:
        """The schedule's parameters by name."""
        return dict(self.schedule_params)

    def values(self) -> dict[str, Any]:
        """{name: value} of every TRAIN_PARAMS entry, plus "hparams" and "schedule_params" dicts; JSON-ready."""
        out = {p.name: getattr(self, p.name) for p in TRAIN_PARAMS}
        out["hparams"] = self.hparam_values
        out["schedule_params"] = self.schedule_values
        return out

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed (validated again).

        Changing the optimizer or schedule drops the other's parameters unless new ones are given;
        changing the data set resets the noise to its default unless a noise is given.
        """
        if "optimizer" in changes and changes["optimizer"] != self.optimizer:
            changes.setdefault("hparams", ())
        if "schedule" in changes and changes["schedule"] != self.schedule:
            changes.setdefault("schedule_params", ())
        if "dataset" in changes and changes["dataset"] != self.dataset:
            changes.setdefault("noise", None)
        return dataclasses.replace(self, **changes)

    # -- construction from outside values ------------------------------------------------------
    @staticmethod
    def parse(values: Mapping[str, Any]) -> "TrainConfig":
        """Strictly build a config from outside values (CLI): unknown names and out-of-range values
        raise ValueError. `values` holds TRAIN_PARAMS names (strings are parsed), and optionally
        "hparams" and "schedule_params" mappings (from `--set` and `--schedule-param`)."""
        raw = dict(values)
        known = {p.name for p in TRAIN_PARAMS} | {"hparams", "schedule_params"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
        return TrainConfig(**raw)

    @staticmethod
    def from_values(values: Mapping[str, Any], where: str = "") -> tuple["TrainConfig", list[str]]:
        """Build a config from outside values (URL, JSON), leniently.

        Unknown keys are dropped; unreadable values fall back to the default; numbers are clamped;
        initializer aliases resolved; Newton is replaced by the default optimizer; the optimizer's
        and schedule's parameters come as "hparams"/"schedule_params" mappings or as flat keys of
        their names; batch norm with batch size 1 gets batch size 2; a run over MAX_WORK gets fewer
        steps. Each change gives a notice.

        Args:
          values: {name: raw value}.
          where: prefix for the notices (e.g. "URL").

        Returns:
          (config, notices).
        """
        raw = dict(values)
        notices: list[str] = []
        prefix = f"{where}: " if where else ""
        nested_h = raw.pop("hparams", None)
        nested_s = raw.pop("schedule_params", None)
        if isinstance(raw.get("optimizer"), str) and raw["optimizer"] in OPTIMIZERS and \
                OPTIMIZERS[raw["optimizer"]].needs_hessian:
            notices.append(f"{prefix}{newton_message(raw.pop('optimizer'))}; using {_BY_NAME['optimizer'].default}")
        if "init" in raw:
            try:
                raw["init"] = resolve_initializer(raw["init"])
            except ValueError as err:
                notices.append(f"{prefix}{err}; using the default {_BY_NAME['init'].default}")
                raw.pop("init")
        own = {k: raw.pop(k) for k in list(raw) if k in _BY_NAME}
        noise_given = "noise" in own
        coerced, more = coerce_all(TRAIN_PARAMS, own, where)
        notices.extend(more)
        if not noise_given:
            coerced["noise"] = dataset_noise_default(coerced["dataset"])
        # Flat keys left over name the optimizer's or the schedule's parameters (URL style).
        o_specs = optimizer_params(coerced["optimizer"])
        s_specs = SCHEDULES[coerced["schedule"]].params
        flat_h = {k: raw.pop(k) for k in list(raw) if k in {p.name for p in o_specs}}
        flat_s = {k: raw.pop(k) for k in list(raw) if k in {p.name for p in s_specs}}
        for key in raw:
            notices.append(f"{prefix}unknown setting {key!r} ignored")
        for nested, flat, specs, label, field in (
            (nested_h, flat_h, o_specs, f"optimizer {coerced['optimizer']}", "hparams"),
            (nested_s, flat_s, s_specs, f"schedule {coerced['schedule']}", "schedule_params"),
        ):
            try:
                given = {**_as_pairs(nested, field), **flat}
            except ValueError as err:
                notices.append(f"{prefix}{err}; using the defaults")
                given = {}
            values_, more = coerce_all(specs, given, f"{where + ' ' if where else ''}{label}".strip())
            notices.extend(more)
            coerced[field] = values_
        if coerced["transfer"] != "none" and coerced["dataset"] != TRANSFER_DATASET:
            notices.append(f"{prefix}transfer learning runs on the digits; using dataset {TRANSFER_DATASET}")
            coerced["dataset"] = TRANSFER_DATASET
        most = DATASETS[coerced["dataset"]].max_samples
        if coerced["samples"] > most:
            notices.append(f"{prefix}{coerced['dataset']} has {most} images for training (the rest validate); "
                           f"using {most} samples")
            coerced["samples"] = most
        if coerced["batchnorm"] and min(coerced["batch_size"], coerced["samples"]) < 2:
            coerced["batch_size"] = 2
            notices.append(f"{prefix}batch norm needs at least 2 examples per batch; using batch size 2")
        config = _unchecked(coerced)
        if config.work > MAX_WORK:
            per_step = config.work / config.steps
            steps = max(1, int(MAX_WORK / per_step * 0.98))
            while steps > 1 and _unchecked({**coerced, "steps": steps}).work > MAX_WORK:
                steps = int(steps * 0.95)
            notices.append(f"{prefix}{config.steps} steps of this network and batch are too much to compute here; "
                           f"using {steps} steps")
            coerced["steps"] = steps
        return TrainConfig(**coerced), notices


def _unchecked(values: Mapping[str, Any]) -> TrainConfig:
    """A TrainConfig built without validation (to measure `work` before shortening a run)."""
    config = object.__new__(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        object.__setattr__(config, field.name, values.get(field.name, field.default))
    object.__setattr__(config, "hparams", tuple(dict(values.get("hparams", {})).items()))
    object.__setattr__(config, "schedule_params", tuple(dict(values.get("schedule_params", {})).items()))
    return config


def _parse_named(specs: tuple[Param, ...], given: Mapping[str, Any], where: str) -> tuple[tuple[str, Any], ...]:
    """Strictly parse named values against specs, defaults filling gaps; pairs in spec order."""
    by_name = {p.name: p for p in specs}
    for name in given:
        if name not in by_name:
            raise ValueError(f"{where}: unknown setting {name!r} (known: {', '.join(by_name) or 'none'})")
    out = []
    for spec in specs:
        try:
            out.append((spec.name, spec.parse(given[spec.name]) if spec.name in given else spec.default))
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
    return tuple(out)
