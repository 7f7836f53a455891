"""The training lab's runner and settings: evaluations, learning, divergence, no recompiles, the
model's evaluation mode (no dropout, running batch-norm statistics), penalties and symmetry.

The reference forward pass `_numpy_probabilities` is written from the model's equations in NumPy;
it shares nothing with the code under test but the returned parameters. Few network structures
are used on purpose: each one compiles a training kernel (seconds).
"""

import json
import math

import numpy as np
import pytest

from optviz.optimizers import OPTIMIZERS
from optviz.training import (
    LEARNING_RATES,
    MAX_WORK,
    TRAIN_PARAMS,
    TrainConfig,
    default_eval_every,
    learning_rates,
    make_data,
    predict_proba,
    run_training,
    trace_count,
    train_json,
)
from optviz.training.model import BATCHNORM_EPS

# The shared small network: 2 x 16 ReLU, Adam, batch 32, 100 samples, 200 steps (slot bucket 16).
BASE = TrainConfig(depth=2, width=16, samples=100, steps=200, eval_every=20, init="normal", scale=0.3)
# A linear network trained by plain SGD (a second kernel): divergence, symmetry.
LINEAR = BASE.replace(activation="linear", optimizer="sgd", hparams={"learning_rate": 0.1})
# Batch norm, dropout and a step schedule (a third kernel).
REGULARIZED = BASE.replace(batchnorm=True, dropout=0.3, schedule="step",
                           schedule_params={"step_size": 50, "gamma": 0.5})


@pytest.fixture(scope="module")
def base_run():
    return run_training(BASE)


def _numpy_probabilities(config, params, state, x):
    """Evaluation-mode forward pass in NumPy float64: running batch-norm statistics, no dropout."""
    f = {"relu": lambda z: np.maximum(z, 0), "linear": lambda z: z, "tanh": np.tanh}[config.activation]
    h = np.asarray(x, np.float64)
    for index, layer in enumerate(params):
        z = h @ np.asarray(layer["w"], np.float64)
        if config.bias:
            z = z + layer["b"]
        if index == len(params) - 1:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=1, keepdims=True)
        if config.batchnorm:
            running = state[index]
            z = (z - running["mean"]) / np.sqrt(running["var"] + BATCHNORM_EPS) * layer["gamma"] + layer["beta"]
        h = f(z)


def _cross_entropy(probabilities, labels):
    return float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))


# -- settings ----------------------------------------------------------------------------------

def test_params_cover_the_cli_names_and_defaults():
    names = [p.name for p in TRAIN_PARAMS]
    assert names == ["dataset", "samples", "noise", "depth", "width", "activation", "init", "scale", "gain", "bias",
                     "batchnorm", "dropout", "l2", "l1", "label_smoothing", "mixup", "augment", "restore_best",
                     "ensemble", "transfer", "transfer_data", "samples_per_class", "pretrain_steps", "finetune_factor",
                     "optimizer", "schedule", "batch_size", "steps", "seed", "eval_every"]
    config = TrainConfig()
    assert (config.dataset, config.depth, config.width, config.activation, config.batch_size, config.optimizer) == (
        "moons", 3, 32, "relu", 32, "adam")
    assert config.hparam_values["learning_rate"] == LEARNING_RATES["adam"]
    assert set(config.hparam_values) == {p.name for p in OPTIMIZERS["adam"].params}
    assert hash(config) == hash(TrainConfig()) and config == TrainConfig()
    assert TrainConfig(dataset="spiral").noise != TrainConfig(dataset="moons").noise  # each set's own default


def test_newton_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="Hessian"):
        TrainConfig(optimizer="newton")
    with pytest.raises(ValueError, match="Hessian"):
        TrainConfig.parse({"optimizer": "newton"})
    config, notices = TrainConfig.from_values({"optimizer": "newton"})
    assert config.optimizer == "adam" and any("Hessian" in n for n in notices)


def test_strict_and_lenient_construction():
    assert TrainConfig.parse({"samples": "150", "batchnorm": "true", "hparams": {"learning_rate": "0.5"}}) == (
        TrainConfig(samples=150, batchnorm=True, hparams={"learning_rate": 0.5}))
    with pytest.raises(ValueError, match="out of range"):
        TrainConfig(dropout=0.95)
    with pytest.raises(ValueError, match="unknown setting 'momentum'"):
        TrainConfig(hparams={"momentum": 0.9})  # Adam has no momentum
    with pytest.raises(ValueError, match="unknown setting"):
        TrainConfig.parse({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="batch norm"):
        TrainConfig(batchnorm=True, batch_size=1)
    with pytest.raises(ValueError, match="too large"):
        TrainConfig(depth=8, width=256, samples=2000, batch_size=2000, steps=10_000)

    config, notices = TrainConfig.from_values(
        {"samples": 5, "dropout": "lots", "init": "kaiming_normal", "learning_rate": 1e9, "colour": "red",
         "schedule": "step", "gamma": 0.25}, where="URL")
    assert config.samples == 8 and config.dropout == 0.0 and config.init == "he_normal"
    assert config.hparam_values["learning_rate"] == 10.0 and config.schedule_values["gamma"] == 0.25
    assert len(notices) == 4 and all(n.startswith("URL") for n in notices)

    config, notices = TrainConfig.from_values({"batchnorm": True, "batch_size": 1})
    assert config.batch_size == 2 and notices
    config, notices = TrainConfig.from_values({"depth": 8, "width": 256, "samples": 2000, "batch_size": 2000,
                                               "steps": 10_000})
    assert config.steps < 10_000 and config.work <= MAX_WORK and "steps" in notices[0]


def test_replace_keeps_settings_consistent():
    config = TrainConfig(optimizer="momentum", hparams={"momentum": 0.5})
    assert config.replace(optimizer="adam").hparam_values["b1"] == 0.9
    assert config.replace(steps=10).hparam_values["momentum"] == 0.5
    spiral_default = TrainConfig(dataset="spiral").noise
    assert TrainConfig(dataset="moons", noise=0.5).replace(dataset="spiral").noise == spiral_default


# -- evaluations -------------------------------------------------------------------------------

def test_evaluation_steps_include_zero_and_the_last_step():
    assert TrainConfig(steps=2000).eval_steps == list(range(0, 2001, 20))
    assert TrainConfig(steps=57, eval_every=5).eval_steps == list(range(0, 56, 5)) + [57]
    assert TrainConfig(steps=50, eval_every=100).eval_steps == [0, 50]
    assert [default_eval_every(k) for k in (1, 99, 100, 250, 10_000)] == [1, 1, 1, 2, 100]
    # 57 steps every 5 share the compiled kernel of BASE (ceil(57 / 5) = 12 slots -> 16).
    payload = train_json(BASE.replace(steps=57, eval_every=5))
    assert payload["steps"] == list(range(0, 56, 5)) + [57]
    assert payload["config"]["eval_every"] == 5 and payload["diverged_at"] is None
    lengths = {len(payload[k]) for k in ("steps", "train_loss", "val_loss", "train_accuracy", "val_accuracy")}
    assert lengths == {13}


def test_evaluations_do_not_disturb_training(base_run):
    # Every 13 steps instead of 20 (ceil(200 / 13) = 16 slots: the same kernel): the same run.
    other = run_training(BASE.replace(eval_every=13))
    assert other.steps.tolist() == list(range(0, 200, 13)) + [200]
    np.testing.assert_allclose(other.train_loss[0, -1], base_run.train_loss[0, -1], rtol=1e-4)
    np.testing.assert_allclose(other.val_loss[0, 0], base_run.val_loss[0, 0], rtol=1e-6)


def test_result_shapes(base_run):
    r = base_run
    evals, layers = len(BASE.eval_steps), BASE.depth + 1
    assert r.steps.tolist() == BASE.eval_steps
    for name in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        assert getattr(r, name).shape == (1, evals) and np.all(np.isfinite(getattr(r, name)))
    assert r.learning_rate.shape == (evals,)
    assert r.activation_std.shape == r.dead_fraction.shape == r.saturated_fraction.shape == (1, evals, BASE.depth)
    assert r.grad_std.shape == r.update_ratio.shape == (1, evals, layers)
    snaps = len(r.snapshot_steps)
    assert r.snapshot_steps[0] == 0 and r.snapshot_steps[-1] == BASE.steps and set(r.snapshot_steps) <= set(r.steps)
    grid = len(r.grid_x)
    assert r.probabilities.shape == (1, snaps, grid, grid, 2)
    np.testing.assert_allclose(r.probabilities.sum(axis=-1), 1, atol=1e-5)
    assert r.weight_histograms.shape == (1, snaps, layers, r.weight_edges.shape[1] - 1)
    np.testing.assert_allclose(r.weight_histograms.sum(-1) + r.weight_outside.sum(-1), 1, atol=1e-5)
    assert r.x_train.shape == r.x_val.shape == (BASE.samples, 2)
    np.testing.assert_array_equal(r.x_train, make_data("moons", BASE.samples, BASE.seed)[0])


def test_untrained_loss_is_log_num_classes_for_a_small_init():
    r = run_training(BASE.replace(scale=0.01))
    assert abs(r.train_loss[0, 0] - math.log(2)) < 0.01
    assert abs(r.val_loss[0, 0] - math.log(2)) < 0.01


def test_training_reduces_the_training_loss_on_moons():
    ratios, accuracies = [], []
    for seed in range(4):
        r = run_training(BASE.replace(seed=seed))
        ratios.append(r.train_loss[0, -1] / r.train_loss[0, 0])
        accuracies.append(r.val_accuracy[0, -1])
    assert np.median(ratios) < 0.3
    assert np.median(accuracies) > 0.85


def test_seeds_are_vmapped_and_the_first_is_the_single_run():
    single = run_training(BASE.replace(steps=40, eval_every=4))
    several = run_training(BASE.replace(steps=40, eval_every=4), seeds=3)
    assert several.train_loss.shape == (3, 11) and several.seeds.tolist() == [0, 1, 2]
    np.testing.assert_allclose(several.train_loss[0], single.train_loss[0], rtol=1e-3, atol=1e-5)
    assert not np.allclose(several.train_loss[1], several.train_loss[0])
    np.testing.assert_array_equal(several.x_train, single.x_train)  # one data set for every seed


def test_learning_rate_follows_the_schedule():
    config = REGULARIZED.replace(hparams={"learning_rate": 0.02})  # step decay: x 0.5 every 50 steps
    r = run_training(config)
    expected = 0.02 * 0.5 ** np.floor(np.asarray(config.eval_steps) / 50)
    np.testing.assert_allclose(r.learning_rate, expected, rtol=1e-6)
    per_step = learning_rates(config)
    assert per_step.shape == (config.steps,)
    np.testing.assert_allclose(per_step, 0.02 * 0.5 ** np.floor(np.arange(config.steps) / 50), rtol=1e-6)


def test_update_ratio_and_gradient_statistics_are_sane(base_run):
    ratio = base_run.update_ratio[0]
    assert np.all(np.isfinite(ratio)) and np.all(ratio > 0)
    assert 1e-4 < np.median(ratio) < 0.1  # around the 1e-3 rule of thumb for Adam at 0.01
    assert np.all(base_run.grad_std[0] >= 0)
    assert np.all((base_run.dead_fraction >= 0) & (base_run.dead_fraction <= 1))
    assert np.all(base_run.saturated_fraction == 0)  # ReLU cannot saturate
    assert np.all(base_run.activation_std[0] > 0)


# -- compilation -------------------------------------------------------------------------------

def test_traced_settings_never_recompile(base_run):
    run_training(REGULARIZED)
    before = trace_count()
    for config in (
        BASE.replace(hparams={"learning_rate": 0.003, "b1": 0.5, "b2": 0.99, "eps": 1e-6, "bias_correction": False}),
        BASE.replace(l2=0.01, l1=0.001),
        BASE.replace(scale=0.1, gain=2.0),
        BASE.replace(noise=0.05, samples=120, seed=7),
        BASE.replace(steps=150, eval_every=10),
        REGULARIZED.replace(dropout=0.6, schedule_params={"step_size": 20, "gamma": 0.9}),
        REGULARIZED.replace(hparams={"learning_rate": 0.05}, seed=3),
    ):
        run_training(config)
    assert trace_count() == before


# -- divergence --------------------------------------------------------------------------------

def test_huge_learning_rate_diverges_and_the_json_stays_strict():
    config = LINEAR.replace(init="he_normal", hparams={"learning_rate": 10.0})
    r = run_training(config)
    stop = r.diverged(0)
    assert stop is not None and 0 < stop <= config.steps
    n = r.finite_evaluations(0)
    assert np.all(np.isfinite(r.train_loss[0, :n])) and np.all(np.isnan(r.train_loss[0, n:]))
    payload = train_json(config)
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text)["diverged_at"] == stop
    assert payload["steps"] == [s for s in config.eval_steps if s < stop]
    assert len(payload["train_loss"]) == len(payload["val_accuracy"]) == len(payload["steps"]) >= 1
    # The kept network is the last finite one: its loss is the last one reported.
    params, state = r.seed_params(0)
    probabilities = _numpy_probabilities(config, params, state, r.x_train)
    assert abs(_cross_entropy(probabilities, r.y_train) - payload["train_loss"][-1]) < 1e-3


def test_a_stable_run_does_not_diverge(base_run):
    assert base_run.diverged(0) is None and base_run.finite_evaluations(0) == len(base_run.steps)


# -- the model ---------------------------------------------------------------------------------

def test_reported_loss_is_plain_cross_entropy_without_the_penalty():
    config = BASE.replace(l2=0.05, l1=0.001)
    r = run_training(config)
    params, state = r.seed_params(0)
    penalty = sum(0.025 * np.sum(layer["w"] ** 2) + 0.001 * np.sum(np.abs(layer["w"])) for layer in params)
    assert penalty > 0.05  # far above the tolerance below: a loss that included it would fail
    for x, y, reported in ((r.x_train, r.y_train, r.train_loss), (r.x_val, r.y_val, r.val_loss)):
        probabilities = _numpy_probabilities(config, params, state, x)
        assert abs(_cross_entropy(probabilities, y) - reported[0, -1]) < 1e-4
        accuracy = np.mean(np.argmax(probabilities, axis=1) == y)
        reported_accuracy = (r.train_accuracy if x is r.x_train else r.val_accuracy)[0, -1]
        assert abs(accuracy - reported_accuracy) <= 1.01 / len(y)  # a point on the boundary may round either way


def test_evaluation_uses_running_statistics_and_no_dropout():
    r = run_training(REGULARIZED)
    params, state = r.seed_params(0)
    assert all(np.abs(s["mean"]).max() > 1e-3 for s in state)  # the running statistics moved in training
    # The reported losses are the deterministic evaluation-mode network (no dropout, running stats).
    probabilities = _numpy_probabilities(REGULARIZED, params, state, r.x_val)
    assert abs(_cross_entropy(probabilities, r.y_val) - r.val_loss[0, -1]) < 1e-4
    full = predict_proba(REGULARIZED, params, state, r.x_val)
    np.testing.assert_allclose(full, probabilities, atol=1e-5)
    np.testing.assert_array_equal(predict_proba(REGULARIZED, params, state, r.x_val), full)
    # One example alone gets the same output: batch statistics of one row would normalise it to 0.
    np.testing.assert_allclose(predict_proba(REGULARIZED, params, state, r.x_val[:1])[0], full[0], atol=1e-5)


def test_l2_makes_the_weights_smaller():
    def squared_norm(config):
        params, _ = run_training(config).seed_params(0)
        return sum(float(np.sum(layer["w"] ** 2)) for layer in params)

    plain, decayed = squared_norm(BASE), squared_norm(BASE.replace(l2=0.05))
    assert decayed < 0.5 * plain


def test_symmetric_init_is_never_broken():
    for init, scale in (("constant", 0.1), ("zeros", 0.01)):
        config = LINEAR.replace(init=init, scale=scale)
        r = run_training(config)
        params, _ = r.seed_params(0)
        hidden, output = params[:-1], params[-1]
        for layer in hidden:  # every hidden unit has the same incoming weights and bias
            np.testing.assert_allclose(layer["w"], np.repeat(layer["w"][:, :1], layer["w"].shape[1], 1), atol=1e-6)
            np.testing.assert_allclose(layer["b"], layer["b"][0], atol=1e-6)
        np.testing.assert_allclose(output["w"], np.repeat(output["w"][:1], output["w"].shape[0], 0), atol=1e-6)
        if init == "constant":  # and they did train
            assert np.abs(hidden[0]["w"] - scale).max() > 1e-3
            assert r.train_loss[0, -1] < r.train_loss[0, 0]
