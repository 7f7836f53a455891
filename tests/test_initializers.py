"""INITIALIZERS: empirical Var(W) matches `variance()`, aliases resolve, ranges and gain hold.

Parametrized over the registry: a new initializer is tested by adding its entry.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optviz.activations import ACTIVATIONS, saturated_mask
from optviz.initializers import ALIASES, INITIALIZERS, resolve_initializer

SHAPES = [(200, 200), (150, 300)]  # square (the demo network) and wide


def _sample(key_name, shape, scale, gain, seed=0):
    """W as float64 NumPy (checks the float32 dtype on the way).

    Called eagerly: jax.random's own jitted samplers are then compiled once per shape and
    shared by all initializers, which keeps this file fast; netstats tests cover use under jit.
    """
    init = INITIALIZERS[key_name]
    weights = init.sample(jax.random.key(seed), tuple(shape), jnp.float32(scale), jnp.float32(gain))
    assert weights.dtype == jnp.float32
    return np.asarray(weights, dtype=np.float64)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key_name", list(INITIALIZERS))
def test_empirical_variance_matches_theory(key_name, shape):
    init = INITIALIZERS[key_name]
    scale, gain = 0.3, 1.7
    weights = _sample(key_name, shape, scale, gain)
    assert weights.shape == shape
    assert weights.dtype == np.float64 and np.isfinite(weights).all()
    expected = init.variance(shape[0], shape[1], scale, gain)
    empirical = weights.var()
    if expected == 0:
        assert empirical == pytest.approx(0.0, abs=1e-12)
    else:
        # >= 40k samples: the relative standard error of a variance is ~sqrt(2/n) < 0.7%.
        assert empirical == pytest.approx(expected, rel=0.03)
    assert abs(weights.mean()) < 0.05 * np.sqrt(max(expected, 1e-12)) + 1e-9 or key_name == "constant"


@pytest.mark.parametrize("key_name", list(INITIALIZERS))
def test_gain_and_scale(key_name):
    """gain multiplies W for every initializer; scale only where `uses_scale` says so."""
    init = INITIALIZERS[key_name]
    shape = SHAPES[1]
    base = _sample(key_name, shape, 0.1, 1.0, seed=3)
    np.testing.assert_array_equal(base, _sample(key_name, shape, 0.1, 1.0, seed=3))  # deterministic
    np.testing.assert_allclose(_sample(key_name, shape, 0.1, 2.5, seed=3), 2.5 * base, rtol=1e-5, atol=1e-7)
    assert init.variance(*shape, 0.1, 2.5) == pytest.approx(2.5**2 * init.variance(*shape, 0.1, 1.0))
    large_scale = _sample(key_name, shape, 2.0, 1.0, seed=3)
    if init.uses_scale:
        np.testing.assert_allclose(large_scale, 20.0 * base, rtol=1e-5)
    else:
        np.testing.assert_array_equal(large_scale, base)


def test_uniform_is_symmetric_with_half_width_scale():
    weights = _sample("uniform", SHAPES[0], 0.2, 1.5)
    assert weights.min() >= -0.3 - 1e-6 and weights.max() <= 0.3 + 1e-6
    assert weights.min() < -0.29 and weights.max() > 0.29  # covers (-s g, s g), not [0, s g)
    assert abs(weights.mean()) < 1e-3


@pytest.mark.parametrize("key_name, fan", [("glorot_uniform", "avg"), ("he_uniform", "in")])
def test_variance_scaled_uniforms_bounds(key_name, fan):
    fan_in, fan_out = SHAPES[1]
    weights = _sample(key_name, (fan_in, fan_out), 1.0, 1.0)
    bound = np.sqrt(6 / (fan_in + fan_out)) if fan == "avg" else np.sqrt(6 / fan_in)
    assert np.abs(weights).max() <= bound * (1 + 1e-6)
    assert np.abs(weights).max() > 0.99 * bound


@pytest.mark.parametrize("key_name", ["glorot_normal", "lecun_normal", "he_normal"])
def test_jax_normals_are_truncated_at_two_stds_with_exact_variance(key_name):
    """What jax 0.10 really samples: a normal truncated at ±2 sigma, rescaled to the stated variance."""
    init = INITIALIZERS[key_name]
    weights = _sample(key_name, SHAPES[0], 1.0, 1.0)
    target_std = np.sqrt(init.variance(*SHAPES[0], 1.0, 1.0))
    cut = 2 * target_std / 0.87962566103423978
    assert np.abs(weights).max() <= cut * (1 + 1e-5)
    assert weights.std() == pytest.approx(target_std, rel=0.01)


def test_normal_is_not_truncated():
    weights = _sample("normal", SHAPES[0], 1.0, 1.0)
    assert np.abs(weights).max() > 4.0


@pytest.mark.parametrize("key_name", ["orthogonal", "lsuv"])
def test_orthogonal_columns(key_name):
    wide = _sample(key_name, SHAPES[1], 1.0, 1.0)  # (150, 300): orthonormal rows
    np.testing.assert_allclose(wide @ wide.T, np.eye(SHAPES[1][0]), atol=1e-4)
    square = _sample(key_name, SHAPES[0], 1.0, 2.0)
    np.testing.assert_allclose(square @ square.T, 4.0 * np.eye(SHAPES[0][0]), atol=1e-3)


def test_constant_and_zeros_values():
    np.testing.assert_array_equal(_sample("constant", SHAPES[0], 0.25, 2.0), np.full(SHAPES[0], 0.5))
    np.testing.assert_array_equal(_sample("zeros", SHAPES[0], 0.25, 2.0), np.zeros(SHAPES[0]))


def test_lecture_xavier_is_lecun_and_equals_glorot_on_square_layers():
    assert "Xavier" in INITIALIZERS["lecun_normal"].label
    for fan in (10, 500):
        assert INITIALIZERS["lecun_normal"].variance(fan, fan, 1, 1) == pytest.approx(1 / fan)
        assert INITIALIZERS["glorot_normal"].variance(fan, fan, 1, 1) == pytest.approx(1 / fan)
    assert INITIALIZERS["he_normal"].variance(500, 500, 1, 1) == pytest.approx(2 / 500)


@pytest.mark.parametrize("alias, target", sorted(ALIASES.items()))
def test_aliases_resolve(alias, target):
    assert resolve_initializer(alias) == target
    assert resolve_initializer(alias.upper() + " ") == target
    assert alias in INITIALIZERS[target].aliases


def test_registry_aliases_are_all_in_ALIASES():
    for key, init in INITIALIZERS.items():
        assert init.key == key
        for alias in init.aliases:
            assert ALIASES[alias] == key
    assert set(ALIASES).isdisjoint(INITIALIZERS)


@pytest.mark.parametrize("key_name", list(INITIALIZERS))
def test_keys_resolve_to_themselves_and_have_text(key_name):
    init = INITIALIZERS[key_name]
    assert resolve_initializer(key_name) == key_name
    assert init.label and init.formula and init.lesson
    assert r"\mathrm{Var}(W)" in init.formula or "Var" in init.formula


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(ValueError) as err:
        resolve_initializer("xavier")
    message = str(err.value)
    assert "'xavier'" in message
    for name in list(INITIALIZERS) + list(ALIASES):
        assert name in message


def test_registry_keys_are_exactly_the_documented_ones():
    assert list(INITIALIZERS) == [
        "zeros", "constant", "normal", "uniform", "glorot_normal", "glorot_uniform",
        "lecun_normal", "he_normal", "he_uniform", "orthogonal", "lsuv",
    ]  # fmt: skip
    assert list(ACTIVATIONS) == ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu"]


@pytest.mark.parametrize("key_name", list(ACTIVATIONS))
def test_activation_entries(key_name):
    activation = ACTIVATIONS[key_name]
    assert activation.key == key_name and activation.label and activation.latex and activation.lesson
    z = jnp.linspace(-4.0, 4.0, 81)
    a = np.asarray(activation.fn(z))
    assert a.shape == z.shape and np.isfinite(a).all()
    low, high = activation.histogram_range
    assert low < high
    assert activation.can_die == (key_name == "relu")
    mask = np.asarray(saturated_mask(activation, activation.fn(jnp.array([-20.0, 0.0, 20.0]))))
    if activation.saturation is None:
        assert not mask.any()
    else:
        np.testing.assert_array_equal(mask, [True, False, True])


def test_activation_functions_values():
    z = jnp.array([-2.0, 0.0, 2.0])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].fn(z), [-0.02, 0.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(ACTIVATIONS["relu"].fn(z), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(ACTIVATIONS["linear"].fn(z), z)
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].fn(jnp.array(0.0)), 0.5)


@pytest.mark.parametrize("key_name", list(ACTIVATIONS))
def test_activation_apply_with_defaults_is_fn(key_name):
    activation = ACTIVATIONS[key_name]
    z = jnp.linspace(-4.0, 4.0, 81)
    np.testing.assert_allclose(activation.apply(z), activation.fn(z), rtol=1e-6)
    np.testing.assert_allclose(activation.apply(z, {"unrelated": 3.0}), activation.fn(z), rtol=1e-6)
    assert activation.label_for() == activation.label  # the registry label is the default's


def test_leaky_relu_slope_is_a_traced_param():
    from optviz.activations import ACTIVATION_PARAMS
    from optviz.layers.network import NETWORK_PARAMS

    leaky = ACTIVATIONS["leaky_relu"]
    (slope,) = leaky.params
    assert slope.name == "negative_slope" and slope.default == 0.01 and slope in ACTIVATION_PARAMS
    assert slope in NETWORK_PARAMS  # a slider, a link key, JSON and a CLI flag on the layers page
    traces = []

    @jax.jit
    def f(z, a):
        traces.append(1)
        return leaky.apply(z, {"negative_slope": a})

    z = jnp.array([-2.0, 0.0, 2.0])
    np.testing.assert_allclose(f(z, 0.2), [-0.4, 0.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(f(z, 0.5), [-1.0, 0.0, 2.0], rtol=1e-6)
    assert len(traces) == 1  # a new slope does not recompile
    assert leaky.label_for({"negative_slope": 0.2}) == "leaky ReLU (slope 0.2)"
