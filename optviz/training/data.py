"""DATASETS: the training lab's data sets, one entry each, drawn in JAX with explicit PRNG keys.

A sampler fills a fixed-size array of `size` rows of which the first `count` are the data set
(`size` is static, a bucket of the sample count; `count`, the noise and the key are traced),
so moving the samples or noise slider never recompiles. Padding rows are zeros and carry weight
0 in every mean (`valid_mask`). Rows come in class blocks (scikit-learn's order before its
shuffle); nothing depends on the order, since training draws random minibatch indices.

The 2-D sets:

  moons:     scikit-learn's make_moons: n_out = n // 2 points (cos s, sin s), s = linspace(0, pi,
             n_out), label 0; n_in = n - n_out points (1 - cos s, 1 - sin s - 0.5), s =
             linspace(0, pi, n_in), label 1; plus N(0, noise^2 I).
  circles:   scikit-learn's make_circles(factor=0.5): n_out points (cos s, sin s), s = linspace(0,
             2 pi, n_out, endpoint=False), label 0; n_in points 0.5 (cos s, sin s), label 1; plus noise.
  spiral:    two interleaved arms, r = linspace(0, 1, n_c), angle 2 pi SPIRAL_TURNS r + pi c for
             arm c in {0, 1}; plus noise.
  xor:       x ~ U(-1, 1)^2, label 1 where x_1 x_2 < 0 (the off-diagonal quadrants); plus noise.
  gaussians: two blobs, centres (-0.5, -0.5) (label 0) and (0.5, 0.5) (label 1), std = noise.

The validation set is an independent draw of the same size from the same distribution
(`train_validation`). A data set whose examples come from a fixed pool (scikit-learn's 8x8
digits: 1797 images, 10 classes, 64 inputs) declares `pool_size` and a `split` that draws
both sets at once (disjoint, without replacement) instead of two independent samples.

References:
  scikit-learn, sklearn/datasets/_samples_generator.py (make_moons, make_circles).
  TensorFlow Playground, src/dataset.ts (spiral, xor, gaussians).
  cs231n, "Putting it together: Minimal Neural Network Case Study" (spiral data).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from optviz.params import Param

SPIRAL_TURNS = 1.5
"""Turns of each spiral arm from the centre to radius 1 (arms are 1 / (2 * 1.5) = 0.33 apart)."""

CIRCLES_FACTOR = 0.5
"""Radius of the inner circle (scikit-learn's make_circles `factor`)."""

GAUSSIAN_CENTRE = 0.5
"""The blobs of `gaussians` are centred at -(c, c) and (c, c)."""

SAMPLE_BUCKETS = (16, 32, 64, 128, 256, 512, 1024, 2048)
"""Compiled array sizes: a sample count is padded to the smallest bucket that holds it."""

MAX_SAMPLES = SAMPLE_BUCKETS[-1]

# Independent streams of one data key: the training set, the validation set.
_TRAIN_STREAM, _VALIDATION_STREAM = 0, 1

# sample(key, size, count, values) -> (x (size, input_dim) float32, y (size,) int32); rows >= count are padding.
Sampler = Callable[[jax.Array, int, Any, Mapping[str, Any]], tuple[jax.Array, jax.Array]]
# split(key, size, count, values) -> (x_train, y_train, x_val, y_val), each padded to size.
Splitter = Callable[[jax.Array, int, Any, Mapping[str, Any]], tuple[jax.Array, jax.Array, jax.Array, jax.Array]]


@dataclass(frozen=True)
class Dataset:
    """One data set of the training lab.

    Args:
      key: registry key (URL/CLI value).
      label: human name for widgets and legends.
      num_classes: number of classes (softmax outputs).
      input_dim: number of inputs per example.
      params: Param specs of the set's own settings (the `noise` std of the 2-D sets, with this
        set's default and range); traced.
      sample: (key, size, count, values) -> (x, y), the first `count` of `size` rows valid.
      extent: ((x_lo, x_hi), (y_lo, y_hi)) of the noise-free points, for the decision-boundary
        grid (`grid_bounds`); None when the inputs are not 2-D.
      description: one line: how the points are made.
      pool_size: number of examples of a fixed pool (digits: 1797), None for generated sets.
      split: draws training and validation sets at once (a fixed pool is split without
        replacement); None: two independent `sample` draws.
      augment: (x, uniforms (rows, 2) U(0, 1)) -> altered x, the `augment` setting's transform
        (Gaussian jitter of points, a ±1 pixel shift of images).
      image_shape: (rows, columns) of an example drawn as an image; None for points.
    """

    key: str
    label: str
    num_classes: int
    input_dim: int
    params: tuple[Param, ...]
    sample: Sampler
    extent: tuple[tuple[float, float], tuple[float, float]] | None
    description: str
    pool_size: int | None = None
    split: Splitter | None = field(default=None, repr=False)
    augment: Callable[[jax.Array, jax.Array], jax.Array] | None = field(default=None, repr=False)
    image_shape: tuple[int, int] | None = None

    @property
    def max_samples(self) -> int:
        """Most examples of the training set: MAX_SAMPLES, or half a fixed pool (the validation
        set is the other half)."""
        return MAX_SAMPLES if self.pool_size is None else min(MAX_SAMPLES, self.pool_size // 2)

    @property
    def two_d(self) -> bool:
        """Whether the inputs are points in the plane (a decision boundary can be drawn)."""
        return self.input_dim == 2 and self.extent is not None


def _noise_param(default: float) -> Param:
    return Param("noise", "Noise σ", default, 0.0, 1.0,
                 help="Standard deviation of the Gaussian noise added to every point's coordinates.")


def _blocks(size: int, count) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Row i of two class blocks (n_0 = count // 2 rows of class 0, then n_1 = count - n_0):
    (label, index j within its block, block length), as in scikit-learn's make_moons/make_circles."""
    i = jnp.arange(size)
    n_0 = count // 2
    first = i < n_0
    label = jnp.where(first, 0, 1).astype(jnp.int32)
    return label, jnp.where(first, i, i - n_0), jnp.where(first, n_0, count - n_0)


def _add_noise(key, points, values):
    return points + values["noise"] * jax.random.normal(key, points.shape, jnp.float32)


def _moons(key, size, count, values):
    label, j, n = _blocks(size, count)
    # np.linspace(0, pi, n): step pi / (n - 1); a single point sits at 0.
    s = jnp.pi * j / jnp.maximum(n - 1, 1)
    outer = label == 0
    x = jnp.where(outer, jnp.cos(s), 1 - jnp.cos(s))
    y = jnp.where(outer, jnp.sin(s), 1 - jnp.sin(s) - 0.5)
    return _add_noise(key, jnp.stack([x, y], axis=1), values), label


def _circles(key, size, count, values):
    label, j, n = _blocks(size, count)
    s = 2 * jnp.pi * j / jnp.maximum(n, 1)  # np.linspace(0, 2 pi, n, endpoint=False)
    radius = jnp.where(label == 0, 1.0, CIRCLES_FACTOR)
    points = radius[:, None] * jnp.stack([jnp.cos(s), jnp.sin(s)], axis=1)
    return _add_noise(key, points, values), label


def _spiral(key, size, count, values):
    label, j, n = _blocks(size, count)
    r = j / jnp.maximum(n - 1, 1)
    angle = 2 * jnp.pi * SPIRAL_TURNS * r + jnp.pi * label
    points = r[:, None] * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    return _add_noise(key, points, values), label


def _xor(key, size, count, values):
    position_key, noise_key = jax.random.split(key)
    points = jax.random.uniform(position_key, (size, 2), jnp.float32, -1.0, 1.0)
    label = (points[:, 0] * points[:, 1] < 0).astype(jnp.int32)  # labelled before the noise moves them
    return _add_noise(noise_key, points, values), label


def _gaussians(key, size, count, values):
    label, _, _ = _blocks(size, count)
    centre = jnp.where(label == 0, -GAUSSIAN_CENTRE, GAUSSIAN_CENTRE).astype(jnp.float32)
    return _add_noise(key, jnp.stack([centre, centre], axis=1), values), label


DIGITS_POOL = 1797
"""Images of scikit-learn's 8x8 digits (load_digits): 10 classes, about 180 each."""

DIGITS_SHAPE = (8, 8)

AUGMENT_JITTER = 0.1
"""Std of the Gaussian jitter `augment` adds to a 2-D point (the moons are 3 wide: a small nudge)."""


@functools.cache
def digits_pool() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits as (images (1797, 64) float32 in [0, 1] (ink / 16), labels (1797,) int32).

    Shipped inside the scikit-learn package (sklearn/datasets/data/digits.csv.gz): no download.
    """
    from sklearn.datasets import load_digits  # imported on first use: the 2-D sets need none of it

    digits = load_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int32)


def _digits_split(key, size, count, values):
    """Training and validation sets of `count` images each, disjoint: the first 2 count images of
    a random permutation of the pool (no image in both)."""
    images, labels = digits_pool()
    order = jax.random.permutation(key, DIGITS_POOL)
    rows = jnp.arange(size)
    valid = rows < count
    train_rows = order[jnp.where(valid, rows, 0)]
    val_rows = order[jnp.where(valid, jnp.minimum(rows + count, DIGITS_POOL - 1), 0)]
    images, labels = jnp.asarray(images), jnp.asarray(labels)
    return images[train_rows], labels[train_rows], images[val_rows], labels[val_rows]


def _digits_sample(key, size, count, values):
    x, y, _, _ = _digits_split(key, size, count, values)
    return x, y


def jitter_points(x: jax.Array, uniforms: jax.Array) -> jax.Array:
    """x + N(0, AUGMENT_JITTER² I) for 2-D points, from (rows, 2) U(0, 1) draws (Box–Muller)."""
    radius = jnp.sqrt(-2.0 * jnp.log1p(-uniforms[:, 0]))  # 1 - u is in (0, 1]: finite
    angle = 2.0 * jnp.pi * uniforms[:, 1]
    return x + AUGMENT_JITTER * radius[:, None] * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)


def shift_images(x: jax.Array, uniforms: jax.Array, shape: tuple[int, int] = DIGITS_SHAPE) -> jax.Array:
    """Each image moved by (dy, dx) in {-1, 0, 1}² pixels (zeros shifted in), from (rows, 2) U(0, 1) draws."""
    rows, columns = shape
    images = jnp.pad(x.reshape(-1, rows, columns), ((0, 0), (1, 1), (1, 1)))
    offsets = jnp.clip(jnp.floor(3.0 * uniforms), 0, 2).astype(jnp.int32)  # 0, 1, 2 = shift +1, 0, -1
    moved = jax.vmap(lambda image, o: jax.lax.dynamic_slice(image, (o[0], o[1]), (rows, columns)))(images, offsets)
    return moved.reshape(x.shape)


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in (
        Dataset("moons", "two moons", 2, 2, (_noise_param(0.2),), _moons, ((-1.0, 2.0), (-0.5, 1.0)),
                "scikit-learn's make_moons: two interleaving half circles.", augment=jitter_points),
        Dataset("circles", "circles", 2, 2, (_noise_param(0.1),), _circles, ((-1.0, 1.0), (-1.0, 1.0)),
                "scikit-learn's make_circles(factor=0.5): a circle inside a circle of twice its radius.",
                augment=jitter_points),
        Dataset("spiral", "spiral", 2, 2, (_noise_param(0.05),), _spiral, ((-1.0, 1.0), (-1.0, 1.0)),
                f"Two interleaved spiral arms of {SPIRAL_TURNS} turns, radius up to 1.", augment=jitter_points),
        Dataset("xor", "XOR", 2, 2, (_noise_param(0.05),), _xor, ((-1.0, 1.0), (-1.0, 1.0)),
                "Uniform points in [-1, 1]^2, class 1 in the quadrants where x1 x2 < 0.", augment=jitter_points),
        Dataset("gaussians", "two Gaussians", 2, 2, (_noise_param(0.4),), _gaussians,
                ((-GAUSSIAN_CENTRE, GAUSSIAN_CENTRE), (-GAUSSIAN_CENTRE, GAUSSIAN_CENTRE)),
                "Two Gaussian blobs centred at (-0.5, -0.5) and (0.5, 0.5) with std = noise.",
                augment=jitter_points),
        Dataset("digits", "8×8 digits", 10, 64, (), _digits_sample, None,
                "scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes), ink scaled to [0, 1]; "
                "training and validation sets are disjoint.",
                pool_size=DIGITS_POOL, split=_digits_split, augment=shift_images, image_shape=DIGITS_SHAPE),
    )
}


def resolve_dataset(name: str) -> Dataset:
    """The Dataset named `name`; ValueError listing the valid names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}") from None


def sample_bucket(count: int) -> int:
    """The compiled array size for `count` samples: the smallest SAMPLE_BUCKETS entry >= count."""
    if not 1 <= count <= MAX_SAMPLES:
        raise ValueError(f"samples={count} is out of range: allowed 1 to {MAX_SAMPLES}")
    return next(b for b in SAMPLE_BUCKETS if b >= count)


def valid_mask(size: int, count) -> jax.Array:
    """(size,) float32 weights: 1 for the first `count` rows, 0 for padding."""
    return (jnp.arange(size) < count).astype(jnp.float32)


def dataset_values(dataset: Dataset, values: Mapping[str, Any]) -> dict[str, float]:
    """The set's own settings as floats for tracing, defaults filling gaps (unknown keys ignored)."""
    return {p.name: float(values.get(p.name, p.default)) for p in dataset.params}


def draw(dataset_key: str, key: jax.Array, size: int, count, values: Mapping[str, Any]) -> tuple[jax.Array, jax.Array]:
    """One draw of `count` examples padded to `size` rows (padding: zeros, label 0).

    Args:
      dataset_key: DATASETS key (static: selects code).
      key: PRNG key.
      size: rows of the returned arrays (static).
      count: valid rows, 1 <= count <= size (may be traced).
      values: the set's settings by Param name (may be traced).

    Returns:
      x (size, input_dim) float32 and y (size,) int32.
    """
    x, y = DATASETS[dataset_key].sample(key, size, count, values)
    valid = jnp.arange(size) < count
    return jnp.where(valid[:, None], x, 0.0).astype(jnp.float32), jnp.where(valid, y, 0).astype(jnp.int32)


def train_validation(
    dataset_key: str, key: jax.Array, size: int, count, values: Mapping[str, Any]
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Training and validation sets: independent draws of `count` examples (the set's `split`
    for a fixed pool), each padded to `size` rows.

    Returns:
      x_train, y_train, x_val, y_val.
    """
    dataset = DATASETS[dataset_key]
    if dataset.split is not None:
        return dataset.split(key, size, count, values)
    x_train, y_train = draw(dataset_key, jax.random.fold_in(key, _TRAIN_STREAM), size, count, values)
    x_val, y_val = draw(dataset_key, jax.random.fold_in(key, _VALIDATION_STREAM), size, count, values)
    return x_train, y_train, x_val, y_val


DATA_STREAM = 0
"""fold_in stream of the run seed's key that draws the data (training draws use other streams)."""


def data_key(seed) -> jax.Array:
    """The data key of a run seed: fold_in(key(seed), DATA_STREAM)."""
    return jax.random.fold_in(jax.random.key(seed), DATA_STREAM)


# Times `_draw_both` has been traced (= compiled) in this process.
TRACE_COUNT = {"data": 0}


@partial(jax.jit, static_argnames=("dataset_key", "size"))
def _draw_both(seed, count, values, *, dataset_key: str, size: int):
    TRACE_COUNT["data"] += 1
    return train_validation(dataset_key, data_key(seed), size, count, values)


def draw_arrays(
    dataset_key: str, samples: int, seed: int, values: Mapping[str, Any] | None = None
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """The training and validation sets of a run as JAX arrays padded to `sample_bucket(samples)` rows.

    Compiled once per (data set, bucket); the seed, sample count and noise are traced. The data
    key is fold_in(key(seed), DATA_STREAM).

    Returns:
      x_train, y_train, x_val, y_val (rows past `samples` are zeros).
    """
    dataset = resolve_dataset(dataset_key)
    traced = {k: np.float32(v) for k, v in dataset_values(dataset, values or {}).items()}
    return _draw_both(np.uint32(seed), np.int32(samples), traced, dataset_key=dataset_key, size=sample_bucket(samples))


def make_data(
    dataset_key: str, samples: int, seed: int, values: Mapping[str, Any] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The training and validation sets of a run, as NumPy (the first `samples` rows only).

    The same draw as `optviz.training.compute` makes for a run with this seed.

    Args:
      dataset_key: DATASETS key.
      samples: examples in each set.
      seed: the run's seed.
      values: the set's settings (noise), defaults filling gaps.

    Returns:
      x_train (samples, input_dim), y_train (samples,), x_val, y_val.
    """
    arrays = jax.device_get(draw_arrays(dataset_key, samples, seed, values))
    x_train, y_train, x_val, y_val = (np.asarray(a)[:samples] for a in arrays)
    return x_train, y_train, x_val, y_val


def grid_bounds(dataset_key: str, noise: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_lo, x_hi), (y_lo, y_hi)) of the decision-boundary grid of a 2-D set.

    The noise-free extent grown on each side by 10% of its larger side plus 2.5 noise std: it
    depends only on the set and the noise, never on the seed, so the view stays framed while
    seeds change and two runs on the same data share the grid.
    """
    extent = DATASETS[dataset_key].extent
    if extent is None:
        raise ValueError(f"dataset {dataset_key!r} is not 2-D: no decision-boundary grid")
    (x0, x1), (y0, y1) = extent
    pad = 0.1 * max(x1 - x0, y1 - y0) + 2.5 * float(noise)
    return (x0 - pad, x1 + pad), (y0 - pad, y1 + pad)
