"""Transfer learning on the 8x8 digits: pretrain on digits 0-4, then learn 5-9 from a few examples.

The notes' 2x2 grid (data size x similarity of the new task to the old one) as runs of the lab:

  - source task: classes SOURCE_CLASSES, every image of them, split in halves (train, validation);
  - target task: classes TARGET_CLASSES, `samples_per_class` training images of each, every other
    image of those classes for validation; "different" data permutes the target's pixels by one
    fixed permutation (PIXEL_PERMUTATION_SEED): the same digits, but nothing the pretrained first
    layer learned lines up with them;
  - three ways to start the target run (config.transfer):
      scratch   a fresh network (the init of the run's seed), every layer trained at eta;
      freeze    the pretrained hidden layers kept fixed, a new (freshly drawn) output layer trained;
      finetune  the pretrained hidden layers and a new output layer, all trained at eta x
                config.finetune_factor.

The output layer keeps 10 units (one per digit) in both tasks, so the network's structure and its
compiled kernels are those of the digits set; the new head is drawn fresh for the target, as a
new layer would be. Batch-norm running statistics continue from the pretrained ones (a frozen
net still updates them in training mode, as PyTorch's train() does).

References:
  cs231n lecture 7, "Transfer learning with CNNs" (the 2x2 table: very little / quite a lot of
  data x similar / different data set); Yosinski et al. 2014, "How transferable are features in
  deep neural networks?".
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax.flatten_util import ravel_pytree

from optviz.training.config import TrainConfig
from optviz.training.data import digits_pool, sample_bucket

SOURCE_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)

PIXEL_PERMUTATION_SEED = 20_240_905
"""Seed of the fixed pixel permutation of the "different" target data (the same for every run)."""


def pixel_permutation() -> np.ndarray:
    """The fixed permutation of the 64 pixels that makes the target data "different"."""
    return np.random.default_rng(PIXEL_PERMUTATION_SEED).permutation(64)


def _padded(x: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.zeros((size, x.shape[1]), np.float32)
    labels = np.zeros(size, np.int32)
    rows[: len(x)], labels[: len(y)] = x, y
    return rows, labels


def source_data(seed: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Digits 0-4 shuffled by `seed` and split in halves: ((x_train, y_train, x_val, y_val) padded
    to one bucket, (2,) real rows)."""
    images, labels = digits_pool()
    rows = np.flatnonzero(np.isin(labels, SOURCE_CLASSES))
    rows = np.random.default_rng([int(seed), 1]).permutation(rows)
    half = len(rows) // 2
    train, val = rows[:half], rows[half: 2 * half]
    size = sample_bucket(half)
    return (*_padded(images[train], labels[train], size), *_padded(images[val], labels[val], size)), \
        np.array([half, half], np.int32)


def target_data(seed: int, samples_per_class: int, different: bool) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Digits 5-9: `samples_per_class` training images of each class (drawn by `seed`), every
    other one for validation; pixels permuted when `different`. Returns (arrays padded to one
    bucket, (2,) real rows)."""
    images, labels = digits_pool()
    rng = np.random.default_rng([int(seed), 2])
    train, val = [], []
    for digit in TARGET_CLASSES:
        rows = rng.permutation(np.flatnonzero(labels == digit))
        train.append(rows[:samples_per_class])
        val.append(rows[samples_per_class:])
    train, val = np.concatenate(train), np.concatenate(val)
    if different:
        images = images[:, pixel_permutation()]
    size = sample_bucket(max(len(train), len(val)))
    return (*_padded(images[train], labels[train], size), *_padded(images[val], labels[val], size)), \
        np.array([len(train), len(val)], np.int32)


def pretrain_config(config: TrainConfig) -> TrainConfig:
    """The source run of a transfer config: digits 0-4, `pretrain_steps` steps, the same network,
    optimizer, eta, batch and regularizers, one model (no ensemble, no restore)."""
    # The target's settings are reset: runs that differ only there share one pretraining (cached).
    return config.replace(transfer="none", steps=max(1, config.pretrain_steps), eval_every=0, ensemble=1,
                          restore_best=False, samples=int(source_data(config.seed)[1][0]),
                          transfer_data=TrainConfig.transfer_data, samples_per_class=TrainConfig.samples_per_class,
                          finetune_factor=TrainConfig.finetune_factor, pretrain_steps=TrainConfig.pretrain_steps)


def pretrained(config: TrainConfig, seeds: tuple[int, ...]):
    """(params, state, validation accuracy per seed) of the pretraining of transfer config `config`."""
    return _pretrained(pretrain_config(config), tuple(int(s) for s in seeds))


@functools.lru_cache(maxsize=8)
def _pretrained(source: TrainConfig, seeds: tuple[int, ...]):
    """`pretrained` of the source run `source` (cached by it: the freeze and fine-tune runs of a grid,
    at any samples per class, share one pretraining)."""
    from optviz.training.compute import dispatch_kernel, init_networks

    data, counts = source_data(source.seed)
    wanted = np.asarray(seeds, np.int64)
    params0, state0, limits, words = init_networks(source, wanted, data[0], counts[0])
    result = dispatch_kernel(source, wanted, data, counts, params0, state0, limits, words).collect()
    return result.params, result.state, result.val_accuracy[:, -1]


def dispatch_transfer(config: TrainConfig, seeds: int):
    """Start the target run of a transfer config (pretraining first, when it needs one).

    Returns:
      PendingTraining whose result's `transfer` says the mode, data and pretraining accuracy.
    """
    from optviz.training.compute import dispatch_kernel, init_networks, seed_numbers

    wanted = seed_numbers(config, seeds)
    data, counts = target_data(config.seed, config.samples_per_class, config.transfer_data == "different")
    fresh, state, limits, words = init_networks(config, wanted, data[0], counts[0])
    extra = {"mode": config.transfer, "data": config.transfer_data, "samples_per_class": config.samples_per_class,
             "pretrain_steps": 0 if config.transfer == "scratch" else config.pretrain_steps,
             "pretrain_val_accuracy": None}
    factor, trainable = 1.0, None
    if config.transfer != "scratch":
        if config.pretrain_steps > 0:
            params, pre_state, accuracy = pretrained(config, tuple(int(s) for s in wanted))
            pad = fresh[0]["w"].shape[0] - len(wanted)
            repeat = lambda a: np.concatenate([a, np.repeat(a[-1:], pad, axis=0)])  # noqa: E731
            # The pretrained hidden layers with the fresh output layer (a new head for 5-9).
            fresh = [jax.tree.map(repeat, layer) for layer in params[:-1]] + [fresh[-1]]
            state = jax.tree.map(repeat, pre_state)
            extra["pretrain_val_accuracy"] = float(np.mean(accuracy))
        if config.transfer == "freeze":
            one = jax.tree.map(lambda a: np.asarray(a)[0], fresh)
            last = len(one) - 1
            trainable = ravel_pytree([{k: np.full(v.shape, float(i == last), np.float32) for k, v in layer.items()}
                                      for i, layer in enumerate(one)])[0]
        else:
            factor = config.finetune_factor
    return dispatch_kernel(config, wanted, data, counts, fresh, state, limits, words, learning_rate_factor=factor,
                           trainable=trainable, extra=extra)
