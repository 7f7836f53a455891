"""netstats: the lecture's classic table, qualitatively and for several seeds; no recompiles; formats.

Compiles are the cost here: tests share a few network structures
and vary only seed, scale and gain (traced), and use small widths where the claim holds
for any width (mean-field statistics depend on the variance of W, not on the width).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from optviz.layers import network as netstats
from optviz.memo import ByteCache
from optviz.activations import ACTIVATIONS
from optviz.initializers import INITIALIZERS
from optviz.layers.network import (
    MAX_ELEMENTS,
    NETWORK_PARAMS,
    LayerStats,
    NetworkConfig,
    layer_stats,
)
from optviz.layers.report import describe, layer_stats_json, layer_stats_records
from optviz.params import defaults

SEEDS = (0, 1, 2)
# The lecture's network (10 layers of 500 units) on 500 inputs instead of 1000: the statistics
# are averages over batch x width entries, so half the batch changes nothing visible.
LECTURE = dict(depth=10, width=500, batch=500)
# A deep, narrow network reaches underflow and overflow within a few layers (one small compile).
DEEP = dict(depth=50, width=32, batch=64)


def _stats(**changes) -> tuple[NetworkConfig, LayerStats]:
    config = NetworkConfig(**{**LECTURE, **changes})
    return config, layer_stats(config)


# -- the classic table -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_small_normal_collapses_to_zero(seed):
    config, stats = _stats(activation="tanh", init="normal", scale=0.01, seed=seed)
    # std shrinks by ~0.01 * sqrt(fan_in) = 0.22 per layer (a bit less: tanh(z) ~ z there).
    assert stats.std[-1] < 1e-5
    assert np.all(np.diff(np.log(stats.std)) < 0)
    assert np.all(stats.saturated == 0)
    assert stats.weight_grad_std.max() < 1e-5  # dL/dW = h^T delta: tiny inputs, tiny weight gradients
    assert any("collapsed to zero" in s and s.startswith("layer 10 std") for s in describe(stats, config))


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_unit_normal_saturates_every_layer(seed):
    config, stats = _stats(activation="tanh", init="normal", scale=1.0, seed=seed)
    assert np.all(stats.saturated > 0.9)
    assert np.all(stats.std > 0.95)
    assert any(s.startswith("tanh saturated:") and "every layer" in s for s in describe(stats, config))


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_xavier_decays_slowly(seed):
    # Measured: layer-10 std 0.228 (seeds 0-2: 0.22-0.23); layer 1 0.63 = std of tanh of N(0, 1).
    _, stats = _stats(activation="tanh", init="glorot_normal", seed=seed)
    assert stats.std[0] == pytest.approx(0.628, abs=0.02)
    assert 0.18 < stats.std[-1] < 0.28
    assert np.all(np.diff(stats.std) < 0)
    assert stats.saturated[-1] < 0.01


def test_lecture_xavier_lecun_equals_glorot_on_square_layers():
    _, glorot = _stats(activation="tanh", init="glorot_normal", seed=3)
    _, lecun = _stats(activation="tanh", init="lecun_normal", seed=3)
    np.testing.assert_allclose(glorot.std, lecun.std, rtol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_xavier_halves_variance_per_layer(seed):
    config, stats = _stats(activation="relu", init="glorot_normal", seed=seed)
    ratio = (stats.std[-1] / stats.std[0]) ** (1 / 9)
    assert ratio == pytest.approx(1 / math.sqrt(2), abs=0.05)
    sentence = next(s for s in describe(stats, config) if "shrinks by" in s)
    assert sentence.startswith("ReLU: std shrinks by ~0.")


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_he_keeps_order_one(seed):
    config, stats = _stats(activation="relu", init="he_normal", seed=seed)
    assert np.all((stats.std > 0.5) & (stats.std < 1.5))
    assert (stats.std[-1] / stats.std[0]) ** (1 / 9) == pytest.approx(1.0, abs=0.05)
    assert 0.3 < stats.grad_std[0] / stats.grad_std[-1] < 3  # gradients neither vanish nor explode
    assert any("std stays about constant" in s for s in describe(stats, config))


@pytest.mark.parametrize("seed", SEEDS)
def test_selu_lecun_self_normalises(seed):
    _, stats = _stats(activation="selu", init="lecun_normal", seed=seed)
    np.testing.assert_allclose(stats.mean, 0.0, atol=0.05)
    np.testing.assert_allclose(stats.std, 1.0, atol=0.05)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_batchnorm_forward_statistics_do_not_depend_on_scale(seed):
    results = [_stats(activation="tanh", init="normal", batchnorm=True, scale=s, seed=seed) for s in (0.01, 1.0, 10.0)]
    reference = results[1][1]
    for config, stats in results:
        np.testing.assert_allclose(stats.std, reference.std, rtol=1e-3)
        np.testing.assert_allclose(stats.mean, reference.mean, atol=1e-3)
        np.testing.assert_allclose(stats.saturated, reference.saturated, atol=1e-3)
        np.testing.assert_allclose(stats.histogram, reference.histogram, atol=1e-3)
        assert np.all(stats.std > 0.6)  # tanh of a unit Gaussian in every layer
        assert any(s.startswith("batch norm: activation statistics do not depend on the init scale") for s in describe(stats, config))
    # Gradients w.r.t. the pre-BN z scale as 1/scale: z is proportional to W.
    np.testing.assert_allclose(results[0][1].grad_std, 100 * reference.grad_std, rtol=1e-2)


def test_constant_init_gives_identical_units():
    config, stats = _stats(activation="tanh", init="constant", scale=0.01)
    assert stats.identical.all()
    assert describe(stats, config)[0] == "every unit in a layer is identical: symmetry is never broken"
    _, random_stats = _stats(activation="tanh", init="normal", scale=0.01)
    assert not random_stats.identical.any()


def test_zeros_with_relu_kills_every_unit():
    config, stats = _stats(activation="relu", init="zeros")
    assert np.all(stats.dead == 1.0) and np.all(stats.std == 0) and stats.identical.all()
    assert np.all(stats.grad_std == 0) and np.all(stats.weight_grad_std == 0)
    sentences = describe(stats, config)
    assert "symmetry is never broken" in sentences[0]
    assert any("100% of units dead" in s for s in sentences)


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_lsuv_gives_unit_preactivation_variance(gain):
    _, stats = _stats(activation="tanh", init="lsuv", gain=gain)
    np.testing.assert_allclose(stats.preact_std, gain, rtol=1e-3)


def test_large_linear_network_overflows_without_error():
    # x 10 sqrt(32) ~ 57 per layer: past float32 by layer ~22 of 50 (its activations are inf there).
    config = NetworkConfig(**DEEP, activation="linear", init="normal", scale=10.0)
    stats = layer_stats(config)
    assert not np.isfinite(stats.std[-1]) and np.isfinite(stats.std[:15]).all()
    assert describe(stats, config)[0].endswith("the network exploded")
    payload = layer_stats_json(config, stats)
    json.dumps(payload, allow_nan=False)  # non-finite numbers are written as null
    assert payload["layers"][-1]["std"] is None
    np.testing.assert_allclose(stats.histogram.sum(axis=1) + stats.below_range + stats.above_range
                               + stats.nan_fraction, 1.0, atol=1e-5)
    assert not stats.identical.any()  # inf spreads are not "identical units"




def test_nan_entries_are_counted_apart_not_binned():
    # Deep enough that inf - inf gives NaN: those entries are in no bin (they used to land in bin 0).
    stats = layer_stats(NetworkConfig(**DEEP, activation="linear", init="normal", scale=10.0, gain=10.0))
    assert stats.nan_fraction[-1] == 1.0 and stats.histogram[-1].sum() == 0
    np.testing.assert_allclose(stats.histogram.sum(axis=1) + stats.below_range + stats.above_range
                               + stats.nan_fraction, 1.0, atol=1e-5)
    assert not stats.identical.any()


def test_underflow_to_zero_is_not_identical_units_but_zero_init_is():
    # Random weights break symmetry; the activations later underflow to exact zeros. That is a
    # vanishing signal, not units computing the same function.
    config = NetworkConfig(**DEEP, activation="tanh", init="glorot_normal", gain=0.1)
    stats = layer_stats(config)
    assert np.all(stats.std[-5:] == 0) and not stats.identical.any()
    assert not any("identical" in s for s in describe(stats, config))
    zeros = layer_stats(NetworkConfig(**DEEP, activation="tanh", init="zeros"))
    assert zeros.identical.all()
    # A layer 1 of dead ReLUs under random weights (2 units, 2 inputs: seed 4 kills both) is dead, not symmetric.
    config = NetworkConfig(depth=3, width=2, batch=2, activation="relu", init="he_normal", seed=4)
    stats = layer_stats(config)
    assert np.all(stats.dead[0] == 1) and not stats.identical.any()
    assert not any("symmetry" in s for s in describe(stats, config))


def test_a_linear_network_overflows_on_any_cpu_and_says_so():
    # A linear network scales exactly as gain^layer: 10^50 is past float32 (3.4e38) on any CPU,
    # whatever its vectorized math rounds (saturated tanh' does not give such a margin).
    config = NetworkConfig(**DEEP, activation="linear", init="orthogonal", gain=10.0)
    stats = layer_stats(config)
    assert not np.isfinite(stats.std[-1]) and not np.isfinite(stats.grad_std[0])
    assert any("activations overflowed float32" in s for s in describe(stats, config))


def test_a_backward_overflow_behind_a_finite_forward_pass_is_described():
    # The description logic on constructed statistics: finite activations, gradients past float32 below layer 30.
    config = NetworkConfig(**DEEP, activation="tanh", init="glorot_normal")
    healthy = layer_stats(config)
    grad_std = np.where(healthy.layers <= 30, np.inf, healthy.grad_std).astype(np.float32)
    stats = dataclasses.replace(healthy, grad_std=grad_std)
    sentences = describe(stats, config)
    assert "gradients overflowed float32 (inf/NaN) in layers 1 to 30: the backward pass exploded" in sentences
    assert not any("activations overflowed" in s for s in sentences)
    assert not any(s.startswith("gradients overflowed") for s in describe(healthy, config))


def test_a_slow_deep_shrink_is_described():
    # ~0.95 per layer looks flat per layer but is a 10x drop over 50 layers.
    config = NetworkConfig(**DEEP, activation="tanh", init="glorot_normal")
    stats = layer_stats(config)
    assert stats.std[-1] / stats.std[0] < 0.5
    assert any("std shrinks by" in s for s in describe(stats, config))


# -- the rest of the lecture's experiment: residual blocks, biases, inputs, batch norm's affine ----------


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_residual_blocks_grow_and_zeroed_last_layers_keep_the_identity(seed):
    config, stats = _stats(activation="relu", init="he_normal", residual=True, seed=seed)
    outs = stats.std[stats.block_output]
    growth = outs / np.concatenate([[1.0], outs[:-1]])
    assert np.all((growth > 1.55) & (growth < 1.95))  # sqrt(1 + Var(F)/Var(h)) = sqrt(3) with He
    assert describe(stats, config)[0].startswith("residual blocks: std grows by ~1.7")
    config, stats = _stats(activation="relu", init="he_normal", residual=True, zero_last=True, seed=seed)
    np.testing.assert_allclose(stats.std[stats.block_output], 1.0, atol=0.02)
    assert np.all(np.isnan(stats.grad_weight_ratio[stats.block_output]))  # std(W) = 0: no ratio
    assert np.all(stats.weight_grad_std[~stats.block_output] == 0)  # no signal through W2 = 0 yet
    assert np.all(stats.weight_grad_std[stats.block_output] > 0)  # but W2 itself learns
    sentences = describe(stats, config)
    assert any("every block starts as the identity" in s for s in sentences)
    assert "dL/dW = 0 in layers 1, 3, 5, 7, 9 (the blocks' first layers) until the zeroed last layers move, one step later" in sentences
    assert not any("vanish" in s or "will not learn" in s for s in sentences)
    _, scaled = _stats(activation="relu", init="he_normal", residual=True, branch_scale=0.5, seed=seed)
    scaled_growth = (scaled.std[scaled.block_output][-1] / scaled.std[scaled.block_output][0]) ** 0.25
    assert 1.1 < scaled_growth < 1.35  # sqrt(1 + 2 s^2) = 1.22 at s = 0.5


def test_a_negative_bias_kills_relus_and_says_why():
    config, stats = _stats(activation="relu", init="he_normal", bias=-0.5)
    assert np.all(stats.dead[5:] == 1) and stats.weight_grad_std.max() == 0
    assert "ReLU: 100% of units dead (zero on every input) in layers 6-10: the bias -0.5 pushes pre-activations below 0" \
        in describe(stats, config)
    config, stats = _stats(activation="relu", init="he_normal", batchnorm=True, bn_beta=-4.0)
    assert stats.dead[0] > 0.9 and stats.dead.min() > 0.1  # batch norm removes a bias, but beta shifts after it: z_hat - 4
    assert any("beta -4 shifts pre-activations below 0" in s for s in describe(stats, config))


def test_inputs_that_are_not_zero_centred_give_same_sign_gradients():
    config, stats = _stats(activation="sigmoid", init="glorot_normal")
    assert stats.sign_agreement[0] < 0.06 and np.all(stats.sign_agreement[1:] > 0.7)
    sentences = describe(stats, config)
    assert any(s.startswith("dL/dW of a unit has one sign in layers 2-10") and "all positive" in s for s in sentences)
    assert any(s.startswith("std(dL/dW) / std(W) spans") for s in sentences)  # 3e-7 to 0.09: vanishing gradients
    config, stats = _stats(activation="tanh", init="glorot_normal", input_mean=2.0)
    assert stats.sign_agreement[0] > 0.6 and np.all(stats.sign_agreement[1:] < 0.07)
    assert any(s.startswith("dL/dW of a unit has one sign in layer 1 ") and "the data has mean 2" in s
               for s in describe(stats, config))
    config, stats = _stats(activation="tanh", init="glorot_normal")
    assert np.all(stats.sign_agreement < 0.06)  # independent signs: ~sqrt(2 / (pi 500)) = 0.036
    assert not any("one sign" in s for s in describe(stats, config))
    ratio = next(s for s in describe(stats, config) if s.startswith("std(dL/dW) / std(W) is"))
    assert "a learning rate near 0.00" in ratio and "the rule of thumb" in ratio  # ratios 0.1-0.3


def test_batchnorm_gamma_and_beta_set_the_std_and_mean_and_can_undo_it():
    config, stats = _stats(activation="linear", init="glorot_normal", batchnorm=True, bn_gamma=2.5, bn_beta=0.7)
    np.testing.assert_allclose(stats.std, 2.5, rtol=1e-3)  # linear: h = gamma z_hat + beta exactly
    np.testing.assert_allclose(stats.mean, 0.7, atol=1e-3)
    config, stats = _stats(activation="tanh", init="normal", scale=1.0, batchnorm=True, bn_gamma=22.0)
    _, plain = _stats(activation="tanh", init="normal", scale=1.0)
    np.testing.assert_allclose(stats.std, plain.std, atol=0.01)
    assert any("the scale and shift undo the normalisation" in s for s in describe(stats, config))


def test_leaky_relu_slope_is_a_setting_and_names_the_curve():
    config, stats = _stats(activation="leaky_relu", init="he_normal", negative_slope=0.3)
    _, default = _stats(activation="leaky_relu", init="he_normal")
    assert stats.activation_label == "leaky ReLU (slope 0.3)" and default.activation_label == "leaky ReLU (slope 0.01)"
    assert stats.mean[0] < default.mean[0]  # more of the negative half passes
    assert NetworkConfig().activation_label == "tanh"


# -- every registry entry runs ------------------------------------------------------------------
# On the LECTURE network, paired so that most runs reuse a compile from the tests above.

LECTURE_INIT_FOR = {"tanh": "glorot_normal", "relu": "he_normal", "selu": "lecun_normal", "linear": "normal"}


def _check_sane(stats: LayerStats, depth: int):
    for name in ("mean", "std", "preact_std", "saturated", "dead", "grad_std", "weight_grad_std", "below_range", "above_range"):
        values = getattr(stats, name)
        assert values.shape == (depth,), name
        assert np.isfinite(values).all(), name
    assert stats.histogram.shape == (depth, netstats.HISTOGRAM_BINS)
    total = stats.histogram.sum(axis=1) + stats.below_range + stats.above_range
    np.testing.assert_allclose(total, 1.0, atol=1e-5)  # and so no NaN entries
    assert not stats.nan_fraction.any()
    assert np.all((stats.saturated >= 0) & (stats.saturated <= 1))
    assert np.all((stats.dead >= 0) & (stats.dead <= 1))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_runs(activation):
    config, stats = _stats(activation=activation, init=LECTURE_INIT_FOR.get(activation, "he_normal"))
    _check_sane(stats, LECTURE["depth"])
    low, high = ACTIVATIONS[activation].histogram_range
    assert stats.histogram_edges[0] == low and stats.histogram_edges[-1] == high
    assert stats.histogram.sum(axis=1).min() > 0.5  # the fixed range fits a healthy network
    if ACTIVATIONS[activation].saturation is None:
        assert np.all(stats.saturated == 0)
    if not ACTIVATIONS[activation].can_die:
        assert np.all(stats.dead == 0)
    assert describe(stats, config)


@pytest.mark.parametrize("init", list(INITIALIZERS))
def test_every_initializer_runs(init):
    config, stats = _stats(activation="tanh", init=init, scale=0.05)
    _check_sane(stats, LECTURE["depth"])
    if INITIALIZERS[init].variance(500, 500, 0.05, 1.0) > 0 or init == "constant":
        assert np.all(stats.std > 0)
    assert describe(stats, config)


# -- compilation -----------------------------------------------------------------------------


def test_numbers_of_the_new_settings_do_not_recompile(monkeypatch):
    # bias, input mean, batch norm's gamma and beta, branch scale, zeroed last layers and leaky ReLU's
    # slope are traced: only the structure (residual, batch norm, activation, shapes) compiles.
    monkeypatch.setattr(netstats, "MAX_COMPILED", 10**6)  # two structures: no emptying of a full cache in between
    plain = NetworkConfig(depth=4, width=24, batch=32, activation="leaky_relu", init="he_normal", residual=True)
    normed = plain.replace(batchnorm=True)
    cases = [(plain, dict(bias=-0.5)), (plain, dict(input_mean=2.0)), (plain, dict(branch_scale=0.2)),
             (plain, dict(zero_last=True)), (plain, dict(negative_slope=0.3)), (plain, dict(seed=7, gain=2.0)),
             (normed, dict(bn_gamma=3.0)), (normed, dict(bn_beta=-1.0))]
    first = {config: layer_stats(config) for config in (plain, normed)}
    traces, cache = netstats.trace_count(), netstats.compiled_cache_size()
    results = [(layer_stats(config.replace(**change)), first[config]) for config, change in cases]
    assert netstats.trace_count() == traces and netstats.compiled_cache_size() == cache
    assert all(not np.allclose(new.std, old.std) for new, old in results)  # every value did change something


def test_seed_scale_gain_do_not_recompile():
    config = NetworkConfig(**LECTURE, activation="tanh", init="normal")
    layer_stats(config)
    traces, cache = netstats.trace_count(), netstats.compiled_cache_size()
    results = [
        layer_stats(config.replace(seed=seed, scale=scale, gain=gain))
        for seed, scale, gain in [(1, 0.01, 1.0), (2, 1.0, 1.0), (2, 1.0, 3.0), (2**31 - 1, 1e-4, 0.1), (5, 10.0, 10.0)]
    ]
    assert netstats.trace_count() == traces
    assert netstats.compiled_cache_size() == cache
    assert len({float(r.std[0]) for r in results}) == len(results)  # the values did change
    layer_stats(config.replace(depth=5))  # a structural change does compile
    assert netstats.trace_count() > traces


def test_same_seed_is_reproducible():
    config = NetworkConfig(**LECTURE, init="he_normal", activation="relu", seed=42)
    first, again = layer_stats(config), layer_stats(config)
    np.testing.assert_array_equal(first.std, again.std)
    np.testing.assert_array_equal(first.grad_std, again.grad_std)
    other = layer_stats(config.replace(seed=43))
    assert not np.array_equal(first.std, other.std)


# -- config and formats ----------------------------------------------------------------------


def test_params_and_defaults():
    names = [p.name for p in NETWORK_PARAMS]
    assert names == ["depth", "width", "batch", "activation", "init", "scale", "gain", "batchnorm", "seed",
                     "negative_slope", "residual", "branch_scale", "zero_last", "bias", "input_mean", "bn_gamma", "bn_beta"]
    assert NetworkConfig().values() == defaults(NETWORK_PARAMS)
    by_name = {p.name: p for p in NETWORK_PARAMS}
    assert by_name["init"].choices == tuple(INITIALIZERS)
    assert by_name["activation"].choices == tuple(ACTIVATIONS)
    assert by_name["scale"].log and by_name["scale"].min == 1e-4 and by_name["scale"].max == 10


def test_config_resolves_aliases_and_rejects_bad_values():
    assert NetworkConfig(init="kaiming_normal").init == "he_normal"
    assert NetworkConfig(init="xavier_uniform").init == "glorot_uniform"
    with pytest.raises(ValueError, match="unknown initializer"):
        NetworkConfig(init="xavier")
    with pytest.raises(ValueError, match="out of range"):
        NetworkConfig(depth=0)
    with pytest.raises(ValueError, match="not one of"):
        NetworkConfig(activation="swish")
    with pytest.raises(ValueError, match="too large"):
        NetworkConfig(depth=50, width=2000, batch=5000)


def test_from_values_is_lenient_and_says_so():
    config, notices = NetworkConfig.from_values(
        {"depth": "12", "init": "kaiming_normal", "scale": 99, "activation": "swish", "bogus": 1, "batchnorm": "yes"}
    )
    assert config.depth == 12 and config.init == "he_normal" and config.scale == 10.0 and config.batchnorm
    assert config.activation == "tanh"
    assert len(notices) == 3 and any("bogus" in n for n in notices) and any("clamped" in n for n in notices)
    config, notices = NetworkConfig.from_values({"init": "nope"}, where="URL")
    assert config.init == "glorot_normal" and notices[0].startswith("URL: unknown initializer 'nope'")
    config, notices = NetworkConfig.from_values({"depth": 50, "width": 2000, "batch": 5000})
    assert netstats.network_elements(config.depth, config.width, config.batch) <= MAX_ELEMENTS
    assert config.depth == 50 and config.batch == 100 and any("too large" in n for n in notices)
    config, notices = NetworkConfig.from_values({"depth": 10, "width": 2000, "batch": 5000})
    assert (config.width, config.batch) == (2000, 4000) and notices
    # Residual blocks keep every layer's activations: the same network gets half the batch.
    config, notices = NetworkConfig.from_values({"depth": 10, "width": 2000, "batch": 5000, "residual": True})
    assert (config.width, config.batch) == (2000, 2000) and "residual" in notices[0]
    assert netstats.network_elements(10, 2000, 2000, residual=True) <= MAX_ELEMENTS
    config, notices = NetworkConfig.from_values({"depth": 50, "width": 4096, "batch": 5000, "residual": True})
    assert netstats.network_elements(config.depth, config.width, config.batch, True) <= MAX_ELEMENTS and notices


def test_the_notes_wide_network_fits():
    # EECS 498's 6 layers x 4096 units (the notes' experiment) on 256 inputs, with or without residual blocks.
    for residual in (False, True):
        config, notices = NetworkConfig.from_values({"depth": 6, "width": 4096, "batch": 256, "residual": residual})
        assert notices == [] and (config.width, config.batch) == (4096, 256)


def test_json_format():
    config = NetworkConfig(**LECTURE, activation="relu", init="he_normal")
    payload = layer_stats_json(config)
    assert set(payload) == {"config", "layers"}
    assert payload["config"] == {p.name: getattr(config, p.name) for p in NETWORK_PARAMS}
    assert len(payload["layers"]) == LECTURE["depth"]
    for layer in payload["layers"]:
        assert {"mean", "std", "saturated", "dead", "grad_std", "weight_grad_std", "weight_std", "grad_weight_ratio",
                "sign_agreement", "block_output"} <= set(layer)
        assert all(isinstance(layer[k], float) for k in ("mean", "std", "grad_std"))
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == payload
    stats = layer_stats(config)
    assert payload["layers"][0]["std"] == pytest.approx(float(stats.std[0]))
    ratio = payload["layers"][0]["grad_weight_ratio"]
    assert ratio == pytest.approx(float(stats.weight_grad_std[0] / stats.weight_std[0]), rel=1e-5)
    zeroed = layer_stats_json(config.replace(residual=True, zero_last=True))
    assert zeroed["layers"][1]["grad_weight_ratio"] is None and zeroed["layers"][1]["block_output"]  # std(W) = 0


def test_records_are_flat_rows():
    config = NetworkConfig(**LECTURE)
    rows = layer_stats_records(layer_stats(config))
    assert [r["layer"] for r in rows] == list(range(1, LECTURE["depth"] + 1))
    for row in rows:
        assert all(isinstance(v, (int, float, bool)) or v is None for v in row.values())
    assert {"mean", "std", "saturated", "dead", "grad_std", "weight_grad_std", "identical"} <= set(rows[0])


# -- against a plain NumPy network -------------------------------------------------------------


def _numpy_statistics(config: NetworkConfig) -> dict[str, np.ndarray]:
    """The module doc's network in float64 NumPy, with W_l drawn directly at the config's scale and
    gain (the same keys as netstats), not as c U_l: checks the factorisation netstats relies on."""
    import jax

    initializer = INITIALIZERS[config.init]
    inputs, projection = (np.asarray(a, np.float64) for a in netstats._draw_data(np.int32(config.seed), batch=config.batch,
                                                                                 width=config.width))
    keys = jax.random.split(jax.random.fold_in(jax.random.key(config.seed), netstats._WEIGHT_STREAM), config.depth)
    gain = 1.0 if initializer.data_dependent else config.gain
    weights = [np.asarray(initializer.sample(k, (config.width, config.width), config.scale, gain), np.float64) for k in keys]
    f, df = {"tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
             "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float))}[config.activation]
    h, hs, zs = inputs, [inputs], []
    for layer, w in enumerate(weights):
        z = h @ w
        if initializer.data_dependent:  # LSUV
            weights[layer] = w = w * config.gain / z.std()
            z = h @ w
        h = f(z)
        zs.append(z)
        hs.append(h)
    signal, grad_std, weight_grad_std = projection, [], []
    for layer in reversed(range(config.depth)):
        delta = signal * df(zs[layer])
        grad_std.append(delta.std())
        weight_grad_std.append((hs[layer].T @ delta / config.batch).std())
        signal = delta @ weights[layer].T
    return dict(mean=np.array([h.mean() for h in hs[1:]]), std=np.array([h.std() for h in hs[1:]]),
                preact_std=np.array([z.std() for z in zs]), grad_std=np.array(grad_std[::-1]),
                weight_grad_std=np.array(weight_grad_std[::-1]))


@pytest.mark.parametrize("init", sorted(INITIALIZERS))
def test_statistics_match_a_numpy_network(init):
    activation = "relu" if init.startswith("he") else "tanh"
    config = NetworkConfig(depth=4, width=24, batch=32, activation=activation, init=init, scale=0.3, gain=1.7, seed=3)
    stats, reference = layer_stats(config), _numpy_statistics(config)
    for name, expected in reference.items():
        np.testing.assert_allclose(getattr(stats, name), expected, rtol=2e-3, atol=1e-6, err_msg=name)
    changed = config.replace(gain=0.6)  # the cached draws, another factor
    again, reference = layer_stats(changed), _numpy_statistics(changed)
    for name, expected in reference.items():
        np.testing.assert_allclose(getattr(again, name), expected, rtol=2e-3, atol=1e-6, err_msg=name)


_NUMPY_F = {
    "tanh": (np.tanh, lambda z, a: 1 - np.tanh(z) ** 2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
}


def _numpy_network(config: NetworkConfig) -> dict[str, np.ndarray]:
    """The module doc's whole network in float64 NumPy, written out layer by layer: bias, input mean,
    batch norm with gamma and beta, residual blocks h + s N(u W2 + b) (zeroed W2 with zero_last), leaky
    ReLU's slope; the backward pass by hand (batch norm's too), the ratio and the sign agreement."""
    import jax

    a = config.negative_slope
    if config.activation == "leaky_relu":
        f, df = (lambda z: np.where(z >= 0, z, a * z)), (lambda z, a: np.where(z >= 0, 1.0, a))
    else:
        f, df = _NUMPY_F[config.activation]
    inputs, projection = (np.asarray(v, np.float64) for v in netstats._draw_data(np.int32(config.seed), batch=config.batch,
                                                                                 width=config.width))
    keys = jax.random.split(jax.random.fold_in(jax.random.key(config.seed), netstats._WEIGHT_STREAM), config.depth)
    roles = netstats.layer_roles(config.depth, config.residual)
    weights = [np.asarray(INITIALIZERS[config.init].sample(k, (config.width, config.width), config.scale, config.gain),
                          np.float64) * (0.0 if config.zero_last and role == 2 else 1.0) for k, role in zip(keys, roles)]
    eps, gamma, beta, s, b = netstats.BATCHNORM_EPS, config.bn_gamma, config.bn_beta, config.branch_scale, config.bias
    h = skip = inputs + config.input_mean
    hs, zs, ns, caches = [h], [], [], []
    for w, role in zip(weights, roles):
        z = h @ w + b
        if config.batchnorm:
            sigma = np.sqrt(z.var(axis=0) + eps)
            x_hat = (z - z.mean(axis=0)) / sigma
            n, cache = gamma * x_hat + beta, (x_hat, sigma)
        else:
            n, cache = z, None
        h = skip + s * n if role == 2 else f(n)
        skip = skip if role == 1 else h
        zs.append(z), ns.append(n), caches.append(cache), hs.append(h)
    signal, skip_signal = projection, 0.0
    grad_std, weight_grad_std, agreement = [], [], []
    for layer in reversed(range(config.depth)):
        role = roles[layer]
        dn = s * signal if role == 2 else signal * df(ns[layer], a)
        if config.batchnorm:
            x_hat, sigma = caches[layer]
            dx = gamma * dn
            dz = (dx - dx.mean(axis=0) - x_hat * (dx * x_hat).mean(axis=0)) / sigma
        else:
            dz = dn
        grad = hs[layer].T @ dz / config.batch
        grad_std.append(dz.std())
        weight_grad_std.append(grad.std())
        signs = np.sign(grad)
        agreement.append(np.mean(np.abs(signs.sum(axis=0)) / np.maximum(np.abs(signs).sum(axis=0), 1)))
        below = dz @ weights[layer].T + (skip_signal if role == 1 else 0.0)
        skip_signal = signal if role == 2 else 0.0
        signal = below
    weight_std = np.array([w.std() for w in weights])
    weight_grad_std = np.array(weight_grad_std[::-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(weight_std > 0, weight_grad_std / weight_std, np.nan)
    return dict(mean=np.array([v.mean() for v in hs[1:]]), std=np.array([v.std() for v in hs[1:]]),
                preact_std=np.array([z.std() for z in zs]), grad_std=np.array(grad_std[::-1]),
                weight_grad_std=weight_grad_std, weight_std=weight_std, grad_weight_ratio=ratio,
                sign_agreement=np.array(agreement[::-1]))


@pytest.mark.parametrize("changes", [
    dict(activation="relu", init="he_normal", residual=True),
    dict(activation="relu", init="he_normal", residual=True, zero_last=True, bias=0.1, depth=5),
    dict(activation="tanh", init="glorot_normal", residual=True, branch_scale=0.4, batchnorm=True, bn_gamma=1.7,
         bn_beta=-0.3),
    dict(activation="sigmoid", init="glorot_normal", input_mean=1.5, bias=-0.2),
    dict(activation="leaky_relu", init="he_normal", negative_slope=0.3, batchnorm=True, bn_gamma=0.5, bn_beta=0.4),
], ids=["residual", "zero-last", "residual-bn-affine", "sigmoid-offset", "leaky-bn"])
def test_every_new_setting_matches_a_numpy_network(changes):
    config = NetworkConfig(**{**dict(depth=4, width=24, batch=32, seed=3), **changes})
    stats, reference = layer_stats(config), _numpy_network(config)
    for name, expected in reference.items():
        np.testing.assert_allclose(getattr(stats, name), expected, rtol=3e-3, atol=1e-6, err_msg=name)


def test_gain_and_scale_changes_reuse_the_draws_and_a_new_seed_does_not():
    config = NetworkConfig(depth=3, width=16, batch=20, init="normal", seed=11)
    layer_stats(config)
    misses = netstats._DRAWS.misses
    layer_stats(config.replace(gain=2.5, scale=0.7))
    assert netstats._DRAWS.misses == misses  # inputs, projection and weights came from the cache
    layer_stats(config.replace(seed=12))
    assert netstats._DRAWS.misses == misses + 2  # a new seed draws data and weights


def test_draw_cache_keeps_within_its_byte_budget():
    cache = ByteCache(budget=1000)
    for key in range(5):
        cache.get(("k", key), lambda: np.zeros(100, np.float32))  # 400 bytes each
    assert len(cache._entries) == 2 and ("k", 4) in cache._entries and ("k", 0) not in cache._entries
    big = cache.get("big", lambda: np.zeros(1000, np.float32))  # over budget: returned, not kept
    assert big.shape == (1000,) and "big" not in cache._entries


def test_finite_activations_always_give_finite_statistics():
    # Every activation here is finite (max |h| ~ 3e34 at layer 10): their float32 sum of squares is
    # not, and the page said "layer 5: activations overflowed float32".
    config = NetworkConfig(init="normal", scale=10.0, gain=10.0, activation="linear", depth=10, width=100, batch=200)
    stats = layer_stats(config)
    assert np.isfinite(stats.std).all() and np.isfinite(stats.mean).all() and np.isfinite(stats.grad_std).all()
    ratios = stats.std[1:] / stats.std[:-1]  # W = 100 N(0,1) over 100 inputs: x1000 per layer
    assert np.all((ratios > 500) & (ratios < 2000))
    assert not any("overflowed" in s for s in describe(stats, config))
    # Batch norm of such pre-activations is finite and normalised too.
    bn = layer_stats(config.replace(batchnorm=True))
    np.testing.assert_allclose(bn.std, 1.0, rtol=0.02)


def test_compiled_variants_stay_bounded(monkeypatch):
    # Every new width is a new compiled variant; past the bound the caches are emptied, not grown.
    monkeypatch.setattr(netstats, "MAX_COMPILED", 4)
    sizes = []
    for width in range(20, 32):
        layer_stats(NetworkConfig(depth=2, width=width, batch=8, activation="relu", init="he_normal"))
        sizes.append(netstats.compiled_cache_size())
    assert max(sizes) <= 4 + 3  # at most one structure's three stages over the bound
    assert sizes[-1] >= 3  # the last structure is compiled and kept
