"""The training lab's runner: one jitted scan trains the MLP for several seeds at once.

Three jitted stages, each compiled once per what it depends on: the data (`data.draw_arrays`:
per data set and sample bucket), the initial networks (`_init`: per structure and init) and the
training kernel (`_train`), which for each seed (vmapped) does

    for each evaluation slot e = 0, 1, 2, ... (one `lax.scan`):
        run steps min((e-1) k, K) .. min(e k, K)   (a fori_loop whose bounds are traced)
        evaluate at step min(e k, K)               (slot 0: the initial network)
        every `group` slots, and at step K, store a snapshot (decision boundary, weight histograms).

The number of slots is static (ceil(K / k) rounded up to a power of two, `slot_bucket`); slots
past step K do nothing (a `lax.cond`) and are sliced off. So the step count K and the evaluation interval k are traced,
as are every numeric hyperparameter: the learning rate, the optimizer's and the schedule's
parameters, L1 and L2, the dropout rate, the init's scale and gain, the noise, the seed and the
sample count (within a bucket, `data.sample_bucket`). Static, compiling a new training kernel:
the network's structure (depth, width, activation, biases, batch norm, dropout on/off), the
input size and number of classes, the optimizer and schedule names, the batch size (full batch
is one variant whatever the count), the sample bucket, the slot bucket and the number of seeds
(a power of two). A new init or data set with the same shapes reuses the kernel. `TRACE_COUNT`
and `trace_count()` count compilations.

A step: minibatch rows drawn uniformly with replacement from the training set (full batch:
every example once), loss = cross-entropy (dropout, batch statistics) + penalty, its gradient,
the optimizer's update. Evaluations use the full training and validation sets in evaluation mode
(no dropout, running batch-norm statistics) and report the plain cross-entropy on the true
labels, without the penalty, so runs compare.

Minibatch indices and dropout masks come from `counter_bits`, a hash of (the seed's JAX key, step,
index): the same numbers whatever the evaluation interval, and at an evaluation the "step taken
there" is exactly the next training step.

Divergence is a result: `diverged_at` is the first step whose parameters give a non-finite loss,
on the step's minibatch or at an evaluation (a non-finite parameter, gradient or update shows
there at the next step). The run is frozen from then on: its later values are NaN in the result
and absent from the JSON, and its final network is the one of its last finite evaluation.
(Under vmap a seed cannot stop alone; its steps go on in NaN and are discarded, never reported.)

Per-layer statistics at each evaluation step s: the std of each hidden layer's activations and
its dead (ReLU: 0 on every training example) and saturated fractions, on the training set in
evaluation mode; and, from the optimizer step taken at s (the same minibatch and dropout masks;
at step K the step that would come next), the std of each weight gradient dL/dW_l and the
update/parameter ratio ||delta W_l|| / ||W_l|| (Frobenius norms; cs231n's rule of thumb: about 1e-3).

The page's `compute(scene, cache)` trains each shown run of a TrainScene (A, and B when
comparing) with the scene's seeds, dispatching the runs its cache lacks before collecting any,
and returns TrainingData (`optviz.training.results`: NumPy only, what the figures read).

References:
  cs231n lecture 7, "Training neural networks II" (babysitting the learning process: loss
  curves, train/val accuracy, the update/parameter ratio).
  Karpathy, "A Recipe for Training Neural Networks" (2019).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from optviz import palette
from optviz.activations import ACTIVATIONS, saturation_rule
from optviz.initializers import INITIALIZERS
from optviz.memo import ByteCache
from optviz.optimizers import OPTIMIZERS, traced_values
from optviz.schedules import SCHEDULES
from optviz.training import model
from optviz.training.config import TrainConfig
from optviz.training.data import DATASETS, draw_arrays, grid_bounds, valid_mask
from optviz.training.data import TRACE_COUNT as DATA_TRACE_COUNT
from optviz.training.model import NetworkSpec
from optviz.training.results import RunInfo, TrainingData, TrainResult

if TYPE_CHECKING:
    from optviz.training.scene import TrainScene

GRID_RESOLUTION = 41
"""Points per side of the decision-boundary grid."""

HISTOGRAM_BINS = 30
"""Equal-width bins of each weight histogram."""

HISTOGRAM_RANGE = 5.0
"""Weight histograms of layer l span [-r_l, r_l], r_l = 5 std(W_l) at initialisation (the first seed's)."""

MAX_SEEDS = 16
"""Most seeds of one run (vmapped)."""

MAX_SNAPSHOT_GROUPS = 64
"""At most this many snapshots after step 0 (plus the one at step 0): one every `group` evaluations."""

SLOT_BUCKETS = tuple(2**i for i in range(3, 15))
"""Compiled numbers of evaluation slots after step 0 (powers of two, 8 to 16384)."""

# fold_in streams of a seed's key (data uses data.DATA_STREAM = 0 of the run seed's key).
_INIT_STREAM, _STEP_STREAM = 1, 2

# Times `_init`, `_train` and `_schedule_curve` have been traced (= compiled) in this process.
TRACE_COUNT = {"init": 0, "train": 0, "schedule": 0}


def trace_count() -> int:
    """Compilations of the lab's jitted stages (data, init, training, schedule curve) in this process."""
    return sum(TRACE_COUNT.values()) + DATA_TRACE_COUNT["data"]


def slot_bucket(slots: int) -> int:
    """The compiled number of evaluation slots for `slots` evaluations after step 0."""
    return next(b for b in SLOT_BUCKETS if b >= slots)


def seed_bucket(count: int) -> int:
    """The compiled number of seeds for `count`: the next power of two."""
    return 1 << max(0, int(count) - 1).bit_length()


def _mix(x: jax.Array) -> jax.Array:
    """lowbias32 (C. Wellons' integer hash): a bijection of uint32 with near-ideal avalanche."""
    x = (x ^ (x >> 16)) * jnp.uint32(0x7FEB352D)
    x = (x ^ (x >> 15)) * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def counter_bits(words: jax.Array, step, n: int) -> jax.Array:
    """n pseudo-random uint32 for step `step` of a run keyed by `words` (the uint32[2] data of a JAX key).

    x_j = mix(mix(j + mix(step ^ w_0)) ^ w_1), j = 0..n-1: a counter-based hash keyed by the
    run's explicit PRNG key, for the minibatch indices and dropout masks of every step. A threefry
    draw per step (jax.random.fold_in + bits) is a rolled loop on CPU and a large share of a step
    (benchmarks/bench_train.py); these are a few fused integer operations, the same on every
    platform and version.
    """
    stream = _mix(jnp.asarray(step).astype(jnp.uint32) ^ words[0])
    return _mix(_mix(jnp.arange(n, dtype=jnp.uint32) + stream) ^ words[1])


def _histogram(values: jax.Array, limit: jax.Array, bins: int) -> jax.Array:
    """Fractions of `values` in `bins` equal bins over [-limit, limit], then below, above and NaN."""
    position = (values + limit) * (bins / (2 * limit))
    index = jnp.clip(jnp.floor(position), 0, bins - 1).astype(jnp.int32)
    index = jnp.where(values < -limit, bins, jnp.where(values > limit, bins + 1, index))
    index = jnp.where(jnp.isnan(values), bins + 2, index)
    return jnp.bincount(index.ravel(), length=bins + 3).astype(jnp.float32) / values.size


def _histogram_limits(params: model.Params, spec: NetworkSpec) -> jax.Array:
    """r_l per weight matrix: HISTOGRAM_RANGE x std of the first seed's initial W_l (every seed
    shares the bins, and they do not change with the number of seeds).

    A constant W (std 0) gets 2 max|W|; an all-zero W gets 1 / sqrt(fan_in), a typical trained scale.
    """
    limits = []
    for layer, (fan_in, _) in zip(params, spec.shapes):
        w = layer["w"][0]  # the first seed's
        spread, largest = jnp.std(w), jnp.max(jnp.abs(w))
        fallback = jnp.where(largest > 0, 2 * largest, 1 / math.sqrt(fan_in))
        limit = jnp.where(spread > 0, HISTOGRAM_RANGE * spread, fallback)
        limits.append(jnp.where(jnp.isfinite(limit), limit, 1.0))
    return jnp.stack(limits)


@functools.partial(jax.jit, static_argnames=("spec",))
def _init(seeds, scale, gain, x_train, count, *, spec: NetworkSpec):
    """Initial networks of every seed (vmapped), their histogram limits and step-key words.

    A stage of its own: the initializers' samplers (truncated normals, orthogonal QR) compile
    once per structure and init, and changing the init leaves the training kernel compiled.

    Returns:
      (params, state) with a leading seed axis, limits (L,), step words (S, 2) uint32.
    """
    TRACE_COUNT["init"] += 1
    mask = valid_mask(x_train.shape[0], count)
    seed_keys = jax.vmap(jax.random.key)(seeds)
    init_keys = jax.vmap(lambda k: jax.random.fold_in(k, _INIT_STREAM))(seed_keys)
    step_keys = jax.vmap(lambda k: jax.random.fold_in(k, _STEP_STREAM))(seed_keys)
    params, state = jax.vmap(lambda k: model.init_network(spec, k, scale, gain, x_train, mask))(init_keys)
    return params, state, _histogram_limits(params, spec), jax.vmap(jax.random.key_data)(step_keys)


def _train(
    params0,
    state0,
    limits,
    step_words,
    data,
    counts,
    hparams,
    schedule_params,
    knobs,
    trainable,
    member_weights,
    *,
    spec: NetworkSpec,
    optimizer_key: str,
    schedule_key: str,
    batch: int,
    slots: int,
    group: int,
    grid: int,
    bins: int,
    augment: str = "",
    mixup: bool = False,
    frozen: bool = False,
    ensemble: bool = False,
):
    """Train one network per seed (vmapped); see the module docstring.

    Args:
      params0, state0: initial networks, leading seed axis (from `_init`).
      limits: (L,) weight-histogram limits r_l.
      step_words: (S, 2) uint32 key data of each seed's step stream (`counter_bits`).
      data: (x_train, y_train, x_val, y_val), each padded to the same number of rows.
      counts: (2,) real rows of the training and the validation set.
      hparams, schedule_params: traced settings by name.
      knobs: traced scalars: l1, l2, dropout, label_smoothing, mixup (alpha), restore_best,
        total_steps (K), eval_every (k), grid_lo, grid_hi ((2,) each).
      trainable: flat 0/1 vector over the parameters: updates are multiplied by it (when `frozen`).
      member_weights: (S,) 1 for a real seed, 0 for a padding copy (the ensemble's mean).
      spec: the structure (its `init` is unused here: pass "", so a new init reuses this kernel).
      optimizer_key, schedule_key: registry names.
      batch: minibatch size, 0 for full batch.
      slots: evaluation slots after step 0. group: slots per snapshot.
      grid: grid points per side, 0 for none. bins: histogram bins.
      augment: DATASETS key whose `augment` alters each minibatch, "" for none.
      mixup: mix each minibatch with a permutation of itself by lambda ~ Beta(alpha, alpha).
      frozen: multiply the updates by `trainable` (transfer learning's frozen features).
      ensemble: also return the ensemble's (the real seeds' mean probability) curves.

    Returns:
      A dict of arrays with a leading seed axis (see `_result`), and the learning rate at each
      slot's step.
    """
    TRACE_COUNT["train"] += 1
    x_train, y_train, x_val, y_val = data
    size = x_train.shape[0]
    total, every = knobs["total_steps"], knobs["eval_every"]
    count, val_count = counts[0], counts[1]
    mask, val_mask = valid_mask(size, count), valid_mask(size, val_count)
    augment_rows = DATASETS[augment].augment if augment else None
    schedule = SCHEDULES[schedule_key]
    total_f = total.astype(jnp.float32)
    learning_rate = lambda t: hparams["learning_rate"] * schedule.factor(t, schedule_params, total_f)  # noqa: E731
    tx = OPTIMIZERS[optimizer_key].build(hparams, learning_rate)
    if grid:
        xs = jnp.linspace(knobs["grid_lo"][0], knobs["grid_hi"][0], grid)
        ys = jnp.linspace(knobs["grid_lo"][1], knobs["grid_hi"][1], grid)
        grid_points = jnp.stack(jnp.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # row i: y = ys[i]

    # The parameters travel as one flat vector: the optimizer's update and the penalty are then
    # one fused loop each, not one per layer and leaf.
    _, unravel = ravel_pytree(jax.tree.map(lambda a: a[0], params0))
    theta0 = jax.vmap(lambda p: ravel_pytree(p)[0])(params0)
    rows_drawn = batch if batch else 0
    rows_used = batch if batch else size
    dropout_draws = spec.depth * rows_used * spec.width if spec.dropout else 0
    augment_draws = 2 * rows_used if augment else 0
    mixup_draws = rows_used if mixup else 0
    draws = rows_drawn + dropout_draws + augment_draws + mixup_draws

    # The penalty acts on the weight matrices' entries of the flat vector (a fixed 0/1 mask):
    # one fused reduction per step instead of two per layer.
    weight_mask = ravel_pytree([
        {name: jnp.full(leaf.shape[1:], name == "w", jnp.float32) for name, leaf in layer.items()} for layer in params0
    ])[0]

    def propose(theta, state, opt_state, step_words, t):
        """One optimizer step from (theta, state) at step t: (loss, grads, updates, new theta, state, opt state)."""
        if draws:
            bits = counter_bits(step_words, t, draws)
        if batch:
            # Uniform with replacement; the modulo bias is below count / 2^32 < 1e-6.
            rows = (bits[:batch] % count.astype(jnp.uint32)).astype(jnp.int32)
            xb, yb, wb = x_train[rows], y_train[rows], None
        else:
            xb, yb, wb = x_train, y_train, mask
        uniforms = None
        if dropout_draws:
            uniforms = model.uniform_from_bits(bits[rows_drawn:rows_drawn + dropout_draws]).reshape(
                spec.depth, rows_used, spec.width)
        start = rows_drawn + dropout_draws
        if augment_draws:
            xb = augment_rows(xb, model.uniform_from_bits(bits[start:start + augment_draws]).reshape(rows_used, 2))
        smoothing = knobs["label_smoothing"]
        if mixup_draws:
            # Partners: a random permutation of the batch's real rows (padding sorts last), one
            # lambda ~ Beta(alpha, alpha) per step (Zhang et al. 2018).
            order = bits[start + augment_draws:]
            if wb is not None:
                order = jnp.where(wb > 0, order >> 1, order | jnp.uint32(1 << 31))
            partner = jnp.argsort(order)
            key = jax.random.fold_in(jax.random.wrap_key_data(step_words), t)
            lam = jax.random.beta(key, knobs["mixup"], knobs["mixup"]).astype(jnp.float32)
            xb = lam * xb + (1 - lam) * xb[partner]

        def objective(flat):
            logits, new_state, _ = model.apply_network(
                spec, unravel(flat), state, xb, train=True, weights=wb, rate=knobs["dropout"], uniforms=uniforms
            )
            penalty = jnp.sum(weight_mask * (0.5 * knobs["l2"] * jnp.square(flat) + knobs["l1"] * jnp.abs(flat)))
            rows = model.smoothed_cross_entropy(logits, yb, smoothing)
            if mixup_draws:
                rows = lam * rows + (1 - lam) * model.smoothed_cross_entropy(logits, yb[partner], smoothing)
            return model.weighted_mean(rows, wb) + penalty, new_state

        (loss, new_state), grads = jax.value_and_grad(objective, has_aux=True)(theta)
        updates, new_opt_state = tx.update(grads, opt_state, theta)
        if frozen:
            updates = updates * trainable
        return loss, grads, updates, theta + updates, new_state, new_opt_state

    def one_run(theta, state, step_words):
        def train_step(t, carry):
            # No per-step freeze (a select over every parameter was a third of a step): a run whose
            # loss turns non-finite is marked here and its later values are discarded; the
            # parameters at its last finite evaluation are kept (`good`, in `evaluate`).
            theta, state, opt_state, alive, diverged_at, good, best = carry
            loss, _, _, theta, state, opt_state = propose(theta, state, opt_state, step_words, t)
            bad = alive & ~jnp.isfinite(loss)
            return theta, state, opt_state, alive & ~bad, jnp.where(bad, t, diverged_at), good, best

        def evaluate(carry, s):
            theta, state, opt_state, alive, diverged_at, good, best = carry
            params = unravel(theta)
            logits, _, hidden = model.apply_network(spec, params, state, x_train, train=False, keep_hidden=True)
            val_logits, _, _ = model.apply_network(spec, params, state, x_val, train=False)
            out = dict(
                train_loss=model.cross_entropy(logits, y_train, mask),
                train_accuracy=model.accuracy(logits, y_train, mask),
                val_loss=model.cross_entropy(val_logits, y_val, val_mask),
                val_accuracy=model.accuracy(val_logits, y_val, val_mask),
                **model.hidden_statistics(spec, hidden, mask),
            )
            # The step taken from s (same key: same minibatch and masks); its result is discarded.
            step_loss, grads, updates, _, _, _ = propose(theta, state, opt_state, step_words, s)
            weights, grad_w, update_w = (model.weight_matrices(unravel(v)) for v in (theta, grads, updates))
            out["grad_std"] = jnp.stack([jnp.std(g) for g in grad_w])
            norms = [jnp.linalg.norm(w) for w in weights]
            ratio = lambda u, n: jnp.where(n > 0, jnp.linalg.norm(u) / jnp.where(n > 0, n, 1.0), jnp.nan)  # noqa: E731
            out["update_ratio"] = jnp.stack([ratio(u, n) for u, n in zip(update_w, norms)])  # NaN for W = 0
            # The step's loss too: the step from s flags s, so s is never both reported and diverged.
            bad = alive & ~(jnp.isfinite(out["train_loss"]) & jnp.isfinite(out["val_loss"]) & jnp.isfinite(step_loss))
            alive, diverged_at = alive & ~bad, jnp.where(bad, s, diverged_at)
            good = jax.tree.map(lambda new, old: jnp.where(alive, new, old), (theta, state), good)
            # Early stopping: the evaluation with the lowest validation loss so far (its network too).
            better = alive & (out["val_loss"] < best[0])
            best = jax.tree.map(lambda new, old: jnp.where(better, new, old),
                                (out["val_loss"], s.astype(jnp.int32), theta, state), best)
            if ensemble:  # log-probabilities: a member's p of the true class may underflow float32
                out["train_log_probabilities"] = jax.nn.log_softmax(logits, axis=-1)
                out["val_log_probabilities"] = jax.nn.log_softmax(val_logits, axis=-1)
            return (theta, state, opt_state, alive, diverged_at, good, best), out

        def snapshot(theta, state):
            params = unravel(theta)
            weights = model.weight_matrices(params)
            out = {"histograms": jnp.stack([_histogram(w, r, bins) for w, r in zip(weights, limits)])}
            if grid:
                logits, _, _ = model.apply_network(spec, params, state, grid_points, train=False)
                out["probabilities"] = jax.nn.softmax(logits, axis=-1).reshape(grid, grid, spec.num_classes)
            return out

        snapshot_shapes = jax.eval_shape(snapshot, theta, state)
        snapshots = 1 + slots // group

        def slot(carry, e):
            """Slot e: the steps since the previous evaluation, the evaluation at min(e k, K), and a
            snapshot at every `group`-th slot and at step K. Slot 0 evaluates the initial network."""
            run, buffers = carry
            start, end = jnp.clip((e - 1) * every, 0, total), jnp.minimum(e * every, total)
            active = (e == 0) | (start < total)  # slots past K do nothing
            run = jax.lax.fori_loop(start, end, train_step, run)
            shapes = jax.eval_shape(evaluate, run, end)[1]
            skip = lambda c, s: (c, jax.tree.map(lambda a: jnp.full(a.shape, jnp.nan, a.dtype), shapes))  # noqa: E731
            run, out = jax.lax.cond(active, evaluate, skip, run, end)
            # Written in place into a buffer of snapshots (index ceil(e / group)): only a few of the
            # slots store one, and one code path serves step 0, the regular ones and step K.
            take = active & ((e % group == 0) | (end == total))
            index = (e + group - 1) // group
            def store(b):
                return jax.tree.map(lambda buf, v: buf.at[index].set(v), b, snapshot(run[0], run[1]))

            buffers = jax.lax.cond(take, store, lambda b: b, buffers)
            return (run, buffers), out

        best = (jnp.array(jnp.inf, jnp.float32), jnp.array(-1, jnp.int32), theta, state)
        run = (theta, state, tx.init(theta), jnp.array(True), jnp.array(-1, jnp.int32), (theta, state), best)
        buffers = jax.tree.map(lambda a: jnp.full((snapshots,) + a.shape, jnp.nan, a.dtype), snapshot_shapes)
        (run, buffers), evaluations = jax.lax.scan(slot, (run, buffers), jnp.arange(slots + 1))
        best_loss, best_step, best_theta, best_state = run[6]
        restore = knobs["restore_best"] & (best_step >= 0)
        kept_theta, kept_state = jax.tree.map(lambda b, g: jnp.where(restore, b, g), (best_theta, best_state), run[5])
        val_logits, _, _ = model.apply_network(spec, unravel(kept_theta), kept_state, x_val, train=False)
        return dict(evaluations=evaluations, snapshots=buffers, diverged_at=run[4], params=unravel(kept_theta),
                    state=kept_state, best_step=best_step, best_val_loss=best_loss,
                    val_log_probabilities=jax.nn.log_softmax(val_logits, axis=-1))

    out = jax.vmap(one_run)(theta0, state0, step_words)
    out["learning_rate"] = learning_rate(jnp.minimum(jnp.arange(slots + 1) * every, total))
    if ensemble:
        # The ensemble predicts the mean of its members' probabilities (padding seeds weigh 0):
        # log p_ens = logsumexp_k(log p_k + log w_k), finite where a member's p underflows.
        members = (member_weights / jnp.sum(member_weights))[:, None, None, None]
        for part, x_labels, rows in (("train", y_train, mask), ("val", y_val, val_mask)):
            log_mean = jax.nn.logsumexp(out["evaluations"].pop(f"{part}_log_probabilities"), axis=0, b=members)
            picked = jnp.take_along_axis(log_mean, jnp.broadcast_to(x_labels[None, :, None], log_mean.shape[:-1] + (1,)),
                                         axis=-1)[..., 0]
            out[f"ensemble_{part}_loss"] = -jnp.sum(jnp.where(rows > 0, picked, 0.0), axis=-1) / jnp.sum(rows)
            correct = (jnp.argmax(log_mean, axis=-1) == x_labels).astype(jnp.float32)
            out[f"ensemble_{part}_accuracy"] = jnp.sum(correct * rows, axis=-1) / jnp.sum(rows)
    return out


# XLA's YNNPACK fusions of reductions run on a thread pool and, on a busy CPU (a server with a
# class on it), wait for its threads: batch norm on a full batch ran several times slower with
# them (benchmarks/bench_train.py). Keep YNNPACK for single dots only, where this (experimental)
# option exists.
_CPU_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"}


@functools.cache
def _compiler_options() -> dict[str, str]:
    """_CPU_OPTIONS on a CPU backend whose XLA knows them, when OPTVIZ_XLA_YNN_DOTS_ONLY=1; else none.

    Opt-in: the option is experimental, and a full test run of JAX 0.10.2 segfaulted twice while
    compiling a training kernel in one long process (not reproduced in a shorter one).
    """
    if jax.default_backend() != "cpu" or os.environ.get("OPTVIZ_XLA_YNN_DOTS_ONLY") != "1":
        return {}
    try:
        jax.jit(lambda x: x + 1, compiler_options=_CPU_OPTIONS).lower(np.float32(0)).compile()
    except Exception:  # noqa: BLE001  (an XLA without the option: compile as usual)
        return {}
    return dict(_CPU_OPTIONS)


@functools.cache
def _train_kernel():
    """`_train`, jitted (once per process: the compiler options are known at the first run)."""
    return jax.jit(
        _train,
        static_argnames=("spec", "optimizer_key", "schedule_key", "batch", "slots", "group", "grid", "bins", "augment",
                         "mixup", "frozen", "ensemble"),
        compiler_options=_compiler_options(),
    )


def _init_spec(spec: NetworkSpec) -> NetworkSpec:
    """What the init stage depends on: the activation only for LSUV, never dropout."""
    keep_activation = INITIALIZERS[spec.init].data_dependent
    return spec._replace(activation=spec.activation if keep_activation else "", dropout=False)


def _static_args(config: TrainConfig) -> dict[str, Any]:
    """The static arguments of `_train`: what compiles a new training kernel."""
    slots = slot_bucket(len(config.eval_steps) - 1)
    return dict(
        spec=config.spec._replace(init=""),  # the init runs in `_init`: a new one reuses this kernel
        optimizer_key=config.optimizer,
        schedule_key=config.schedule,
        batch=0 if config.full_batch else config.batch_size,
        slots=slots,
        group=max(1, slots // MAX_SNAPSHOT_GROUPS),
        grid=GRID_RESOLUTION if DATASETS[config.dataset].two_d else 0,
        bins=HISTOGRAM_BINS,
        augment=config.dataset if config.augment else "",
        mixup=config.mixup > 0,
        frozen=config.transfer == "freeze",
        ensemble=config.ensemble > 1,
    )


def _f32(values: dict[str, Any]) -> dict[str, np.float32]:
    # NumPy scalars: jit takes them as float32[] without an eager JAX op per value.
    return {k: np.float32(v) for k, v in values.items()}


def dispatch_training(config: TrainConfig, seeds: int = 1) -> "PendingTraining":
    """Start training (JAX runs it asynchronously); `.collect()` waits and returns the TrainResult.

    Arguments as `run_training`. A transfer-learning config (config.transfer != "none") runs its
    pretraining first (`optviz.training.transfer`); an ensemble's members are its seeds.
    """
    seeds = member_count(config, seeds)
    if config.transfer != "none":
        from optviz.training import transfer  # pretraining on digits 0-4 goes through this module

        return transfer.dispatch_transfer(config, seeds)
    wanted = seed_numbers(config, seeds)
    data = draw_arrays(config.dataset, config.samples, config.seed, {"noise": config.noise})
    counts = np.array([config.samples, config.samples], np.int32)
    params0, state0, limits, step_words = init_networks(config, wanted, data[0], counts[0])
    return dispatch_kernel(config, wanted, data, counts, params0, state0, limits, step_words)


def member_count(config: TrainConfig, seeds: int) -> int:
    """Seeds to train: the ensemble's K members, else `seeds` (1..MAX_SEEDS)."""
    seeds = config.ensemble if config.ensemble > 1 else int(seeds)
    if not 1 <= seeds <= MAX_SEEDS:
        raise ValueError(f"seeds={seeds} is out of range: allowed 1 to {MAX_SEEDS}")
    return seeds


def seed_numbers(config: TrainConfig, seeds: int) -> np.ndarray:
    """config.seed, config.seed + 1, ... (`seeds` of them)."""
    return config.seed + np.arange(int(seeds), dtype=np.int64)


def seed_slots(config: TrainConfig, count: int) -> int:
    """Seeds the kernels compute for `count` wanted: `seed_bucket(count)`, or exactly the K members
    of an ensemble (K is static there anyway: padding to 8 made an ensemble of 5 cost 8 runs)."""
    return int(count) if config.ensemble > 1 else seed_bucket(count)


def _padded_seeds(config: TrainConfig, wanted: np.ndarray) -> np.ndarray:
    """The seeds padded to `seed_slots` by repeating the last one (uint32, for the kernels)."""
    pad = seed_slots(config, len(wanted)) - len(wanted)
    return np.concatenate([wanted, np.repeat(wanted[-1:], pad)]).astype(np.uint32)


def init_networks(config: TrainConfig, wanted: np.ndarray, x_train, count):
    """`_init` for the seeds `wanted` (padded): (params, state, histogram limits, step words)."""
    return _init(_padded_seeds(config, wanted), np.float32(config.scale), np.float32(config.gain), x_train, np.int32(count),
                 spec=_init_spec(config.spec))


def dispatch_kernel(config: TrainConfig, wanted: np.ndarray, data, counts, params0, state0, limits, step_words, *,
                    learning_rate_factor: float = 1.0, trainable=None, extra: dict | None = None) -> "PendingTraining":
    """Dispatch the training kernel on given data and initial networks.

    Args:
      config: the run (its data set, noise and samples are not read here: `data` is given).
      wanted: the real seeds. data: (x_train, y_train, x_val, y_val) padded alike. counts: (2,)
        real rows of the training and validation sets.
      params0, state0, limits, step_words: as `_init` returns them (padded seeds).
      learning_rate_factor: multiplies the optimizer's learning rate (fine-tuning).
      trainable: flat 0/1 vector over the parameters (config.transfer == "freeze"), None: all.
      extra: what the result's `transfer` reports.
    """
    dataset = DATASETS[config.dataset]
    if dataset.two_d:
        (x0, x1), (y0, y1) = grid_bounds(config.dataset, config.noise)
    else:
        x0 = x1 = y0 = y1 = 0.0
    knobs = dict(
        l1=np.float32(config.l1), l2=np.float32(config.l2), dropout=np.float32(config.dropout),
        label_smoothing=np.float32(config.label_smoothing), mixup=np.float32(config.mixup),
        restore_best=np.bool_(config.restore_best),
        total_steps=np.int32(config.steps), eval_every=np.int32(config.eval_interval),
        grid_lo=np.array([x0, y0], np.float32), grid_hi=np.array([x1, y1], np.float32),
    )
    schedule = SCHEDULES[config.schedule]
    static = _static_args(config)
    hparams = dict(config.hparam_values)
    hparams["learning_rate"] = hparams["learning_rate"] * learning_rate_factor
    padded = seed_slots(config, len(wanted))
    member_weights = (np.arange(padded) < len(wanted)).astype(np.float32)
    if trainable is None:
        trainable = np.float32(1.0)
    arrays = _train_kernel()(
        params0, state0, limits, step_words, data, np.asarray(counts, np.int32),
        _f32(traced_values(OPTIMIZERS[config.optimizer], hparams)),
        _f32({p.name: config.schedule_values.get(p.name, p.default) for p in schedule.params}),
        knobs, trainable, member_weights, **static,
    )
    return PendingTraining(config, wanted, arrays, limits, data, static, np.asarray(counts), extra)


@dataclass(frozen=True)
class PendingTraining:
    """A dispatched training run; `collect()` waits for it and returns the TrainResult.

    Dispatching both runs of an A/B comparison before collecting either lets them overlap.
    """

    config: TrainConfig
    seeds: np.ndarray
    arrays: Any
    limits: Any
    data: Any
    static: dict
    counts: np.ndarray = None
    transfer: dict | None = None

    def collect(self) -> "TrainResult":
        raw, limits, data = jax.device_get((self.arrays, self.limits, self.data))
        counts = self.counts if self.counts is not None else np.array([self.config.samples] * 2)
        return _result(self.config, self.seeds, dict(raw, limits=limits, data=data), self.static, counts,
                       self.transfer)


def run_training(config: TrainConfig, seeds: int = 1) -> "TrainResult":
    """Train the network of `config` with seeds config.seed, config.seed + 1, ... (vmapped).

    The data are drawn once from config.seed and shared; each seed draws its own weights,
    minibatches and dropout masks. Seed config.seed's run is the same whatever `seeds` is.

    Args:
      config: the run.
      seeds: how many seeds (1..MAX_SEEDS).

    Returns:
      A TrainResult.
    """
    return dispatch_training(config, seeds).collect()


def _result(config: TrainConfig, seeds: np.ndarray, raw: dict, static: dict, counts: np.ndarray,
            transfer: dict | None = None) -> TrainResult:
    """Slice the padded arrays of `_train` to the real seeds, evaluations and snapshots; NaN after divergence."""
    n_seeds = len(seeds)
    steps = np.asarray(config.eval_steps)
    n_evals = len(steps)
    group = static["group"]
    n_snaps = 1 + -(-(n_evals - 1) // group)
    snapshot_steps = np.minimum(np.arange(n_snaps) * group * config.eval_interval, config.steps)
    diverged_at = np.asarray(raw["diverged_at"][:n_seeds], dtype=np.int64)
    evals = {k: np.asarray(v[:n_seeds, :n_evals], dtype=np.float64) for k, v in raw["evaluations"].items()}
    snaps = {k: np.asarray(v[:n_seeds, :n_snaps], dtype=np.float64) for k, v in raw["snapshots"].items()}
    for i, stop in enumerate(diverged_at):
        if stop >= 0:
            for values in evals.values():
                values[i, steps >= stop] = np.nan
            for values in snaps.values():
                values[i, snapshot_steps >= stop] = np.nan
    limits = np.asarray(raw["limits"], dtype=np.float64)
    bins = static["bins"]
    histograms = snaps["histograms"]
    n_train, n_val = (int(c) for c in counts)
    x_train, y_train, x_val, y_val = (np.asarray(a)[:n] for a, n in zip(raw["data"], (n_train, n_train, n_val, n_val)))
    grid = static["grid"]
    if grid:
        (x0, x1), (y0, y1) = grid_bounds(config.dataset, config.noise)
        grid_x, grid_y = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
        probabilities = snaps["probabilities"]
    else:
        grid_x = grid_y = np.zeros(0)
        probabilities = np.zeros((n_seeds, n_snaps, 0, 0, config.spec.num_classes))
    pick = lambda tree: jax.tree.map(lambda a: np.asarray(a[:n_seeds]), tree)  # noqa: E731
    return TrainResult(
        config=config,
        seeds=seeds,
        steps=steps,
        train_loss=evals["train_loss"],
        val_loss=evals["val_loss"],
        train_accuracy=evals["train_accuracy"],
        val_accuracy=evals["val_accuracy"],
        learning_rate=np.asarray(raw["learning_rate"][:n_evals], dtype=np.float64),
        diverged_at=diverged_at,
        activation_std=evals["activation_std"],
        dead_fraction=evals["dead"],
        saturated_fraction=evals["saturated"],
        grad_std=evals["grad_std"],
        update_ratio=evals["update_ratio"],
        snapshot_steps=snapshot_steps,
        grid_x=grid_x,
        grid_y=grid_y,
        probabilities=probabilities,
        weight_edges=np.stack([np.linspace(-r, r, bins + 1) for r in limits]),
        weight_histograms=histograms[..., :bins],
        weight_outside=histograms[..., bins:],
        x_train=x_train,
        y_train=y_train.astype(np.int64),
        x_val=x_val,
        y_val=y_val.astype(np.int64),
        params=pick(raw["params"]),
        state=pick(raw["state"]),
        best_step=np.where(np.isfinite(raw["best_val_loss"][:n_seeds]), raw["best_step"][:n_seeds], -1).astype(np.int64),
        best_val_loss=np.where(np.isfinite(raw["best_val_loss"][:n_seeds]), raw["best_val_loss"][:n_seeds],
                               np.nan).astype(np.float64),
        val_log_probabilities=np.asarray(raw["val_log_probabilities"][:n_seeds, :n_val], dtype=np.float64),
        **{f"ensemble_{k}": np.asarray(raw[f"ensemble_{k}"][:n_evals], dtype=np.float64)
           for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy") if f"ensemble_{k}" in raw},
        transfer=transfer,
    )


def train_json(config: TrainConfig) -> dict[str, Any]:
    """The JSON payload of `python -m optviz train --json` for seed config.seed.

    {"config": {...}, "steps": [0, ..., K], "train_loss", "val_loss", "train_accuracy",
    "val_accuracy": equal-length lists, "diverged_at": null or the step}; after a divergence the
    lists stop at the last finite evaluation. Safe for json.dumps(..., allow_nan=False).
    """
    return run_training(config, seeds=1).to_json(0)


@functools.partial(jax.jit, static_argnames=("spec",))
def _predict(params, state, x, *, spec: NetworkSpec):
    logits, _, _ = model.apply_network(spec, params, state, x, train=False)
    return jax.nn.softmax(logits, axis=-1)


def predict_proba(config: TrainConfig, params: list, state: list, x: np.ndarray) -> np.ndarray:
    """Class probabilities of a trained network (evaluation mode: no dropout, running batch-norm
    statistics) for the rows of `x`, shape (rows, num_classes)."""
    spec = config.spec._replace(init="", dropout=False)  # neither matters at evaluation: fewer variants
    return np.asarray(_predict(params, state, np.asarray(x, np.float32), spec=spec), dtype=np.float64)


@functools.partial(jax.jit, static_argnames=("schedule_key", "length"))
def _schedule_curve(learning_rate, schedule_params, total, *, schedule_key: str, length: int):
    TRACE_COUNT["schedule"] += 1
    counts = jnp.arange(length)
    return learning_rate * SCHEDULES[schedule_key].factor(counts, schedule_params, total)


def learning_rates(config: TrainConfig) -> np.ndarray:
    """(steps,) learning rate of every step t (eta x the schedule's factor at count t)."""
    schedule = SCHEDULES[config.schedule]
    length = 1 << max(0, config.steps - 1).bit_length()  # power of two: few compiled lengths
    params = {p.name: np.float32(config.schedule_values.get(p.name, p.default)) for p in schedule.params}
    curve = _schedule_curve(np.float32(config.hparam_values["learning_rate"]), params, np.float32(config.steps),
                            schedule_key=config.schedule, length=length)
    return np.asarray(curve, dtype=np.float64)[: config.steps]



# -- the page: a scene's runs -------------------------------------------------------------------


RunCache = ByteCache  # TrainResults keyed by (config, seeds): the page dispatches only the runs it lacks


def run_info(scene: "TrainScene", which: str, config: TrainConfig) -> RunInfo:
    """What the figures say about run `which` ("a" or "b") of `scene`: label, colour, activation facts.

    The colour is the optimizer's own (OPTIMIZERS[key].color) for a single run, palette colour 0 / 1
    for A / B when comparing (as on the initialization page).
    """
    from optviz.training.scene import short_label  # the scene module reads the registries too

    activation = ACTIVATIONS[config.activation]
    colour = OPTIMIZERS[config.optimizer].color if scene.b is None else palette.color(0 if which == "a" else 1)
    dataset = DATASETS[config.dataset]
    return RunInfo(key=which, label=scene.label(which), color=colour, activation=short_label(activation.label),
                   can_die=activation.can_die, saturation_rule=saturation_rule(activation),
                   classes=dataset_classes(config.dataset), image_shape=dataset.image_shape)


def dataset_classes(dataset_key: str) -> tuple[str, ...]:
    """Class names in label order: the digit for the digits, "class k" for the 2-D sets."""
    dataset = DATASETS[dataset_key]
    if dataset.image_shape is not None:
        return tuple(str(k) for k in range(dataset.num_classes))
    return tuple(f"class {k}" for k in range(dataset.num_classes))


def compute(scene: "TrainScene", cache: RunCache | None = None) -> TrainingData:
    """What the training lab draws for `scene`: each shown run trained with `scene.seeds` seeds.

    Args:
      scene: the page's TrainScene.
      cache: results by (config, seeds), shared by every session (the page's); None computes all.

    Returns:
      TrainingData: one RunInfo and TrainResult per run (A, then B). Runs missing from the cache
      are dispatched together before any is collected (A and B overlap).
    """
    keys = [(config, member_count(config, scene.seeds)) for _, config in scene.configs]
    pending = {key: dispatch_training(*key) for key in dict.fromkeys(keys) if cache is None or key not in cache}
    if cache is None:
        results = [pending[key].collect() for key in keys]
    else:
        results = [cache.get(key, pending[key].collect if key in pending else (lambda key=key: run_training(*key)))
                   for key in keys]
    infos = tuple(run_info(scene, which, config) for which, config in scene.configs)
    return TrainingData(runs=infos, results=tuple(results))
