"""Typed f(x, y): good expressions match NumPy (values and gradients), bad and hostile ones get a
one-line message naming the problem, never an exception of another kind; domains; canonical text."""

import math
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz.expression import (MAX_LENGTH, ExpressionError, canonical, format_domain, parse_domain,
                               parse_expression)

jax.config.update("jax_enable_x64", False)

POINTS = np.array([[0.3, -0.7], [1.2, 0.4], [-0.8, 1.5], [0.05, 0.9]])

# (typed text, the same function in NumPy)
GOOD = [
    ("0.5*(x**2/20 + y**2)", lambda x, y: 0.5 * (x**2 / 20 + y**2)),
    ("x^2 + y^2", lambda x, y: x**2 + y**2),
    ("x**2 - y**2", lambda x, y: x**2 - y**2),
    ("-x**2 + 3*y", lambda x, y: -(x**2) + 3 * y),
    ("(-x)**3", lambda x, y: (-x) ** 3),
    ("2**-x", lambda x, y: 2.0 ** -x),
    ("x**-2 + y**-1", lambda x, y: x**-2.0 + y**-1.0),
    ("2**3**0.5 * x", lambda x, y: 2 ** (3**0.5) * x),
    ("(1 - x)**2 + 100*(y - x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2),
    ("exp(-x**2 - y**2) * sin(3*x)", lambda x, y: np.exp(-(x**2) - y**2) * np.sin(3 * x)),
    ("log(1 + x**2) + sqrt(1 + y**2)", lambda x, y: np.log(1 + x**2) + np.sqrt(1 + y**2)),
    ("ln(2 + cos(x)) - atan(y)", lambda x, y: np.log(2 + np.cos(x)) - np.arctan(y)),
    ("tanh(x)*cosh(y) + sinh(x*y)", lambda x, y: np.tanh(x) * np.cosh(y) + np.sinh(x * y)),
    ("abs(x - 0.1) + tan(y/2)", lambda x, y: np.abs(x - 0.1) + np.tan(y / 2)),
    ("log1p(x**2) + expm1(y/3)", lambda x, y: np.log1p(x**2) + np.expm1(y / 3)),
    ("sigmoid(x) + softplus(y)", lambda x, y: 1 / (1 + np.exp(-x)) + np.log1p(np.exp(y))),
    ("min(x, y) + max(x**2, y)", lambda x, y: np.minimum(x, y) + np.maximum(x**2, y)),
    ("atan2(y, x) + hypot(x, y)", lambda x, y: np.arctan2(y, x) + np.hypot(x, y)),
    ("pi*x + e*y", lambda x, y: np.pi * x + np.e * y),
    ("x²+y³", lambda x, y: x**2 + y**3),
    ("x − 2×y ÷ 4 · π", lambda x, y: x - 2 * y / 4 * np.pi),
    ("2.5e-1*x + .5*y + 3.", lambda x, y: 0.25 * x + 0.5 * y + 3.0),
    ("--x + +y", lambda x, y: x + y),
    ("x*(y + 1)/(1 + x**2)", lambda x, y: x * (y + 1) / (1 + x**2)),
    ("relu(x - 0.2) + cbrt(y + 2)", lambda x, y: np.maximum(x - 0.2, 0) + np.cbrt(y + 2)),
    ("x**(1/3 + 2)", lambda x, y: np.abs(x) ** (1 / 3 + 2) * np.where(x < 0, np.nan, 1)),
    ("7", lambda x, y: 7.0 + 0 * x),
]


def _numpy_grad(fn, x, y, h=1e-5):
    return np.array([(fn(x + h, y) - fn(x - h, y)) / (2 * h), (fn(x, y + h) - fn(x, y - h)) / (2 * h)])


@pytest.mark.parametrize("text, reference", GOOD, ids=[g[0] for g in GOOD])
def test_good_expressions_match_numpy_values_and_gradients(text, reference):
    f = parse_expression(text).function()
    value = jax.jit(lambda p: f(p, {}))
    grad = jax.jit(jax.grad(lambda p: f(p, {})))
    for x, y in POINTS:
        expected = reference(np.float64(x), np.float64(y))
        got = float(value(jnp.array([x, y], jnp.float32)))
        if np.isnan(expected):
            assert np.isnan(got), (text, x, y)
            continue
        assert got == pytest.approx(expected, rel=2e-5, abs=1e-5), (text, x, y)
        np.testing.assert_allclose(np.asarray(grad(jnp.array([x, y], jnp.float32))),
                                   _numpy_grad(reference, np.float64(x), np.float64(y)), rtol=2e-3, atol=2e-3,
                                   err_msg=f"{text} at ({x}, {y})")


@pytest.mark.parametrize("text, reference", GOOD[:12], ids=[g[0] for g in GOOD[:12]])
def test_elementwise_on_a_pair_of_arrays(text, reference):
    # The runner's end-point kernel hands f a pair (xs, ys) of arrays (optviz.surfaces.objective).
    f = parse_expression(text).function()
    xs, ys = jnp.asarray(POINTS[:, 0], jnp.float32), jnp.asarray(POINTS[:, 1], jnp.float32)
    np.testing.assert_allclose(np.asarray(f((xs, ys), {})), reference(POINTS[:, 0], POINTS[:, 1]), rtol=2e-5, atol=1e-5)


def test_a_constant_is_shaped_like_the_points_and_has_a_zero_gradient():
    f = parse_expression("3").function()
    grid = jnp.zeros((4, 5))
    assert f((grid, grid), {}).shape == (4, 5)
    assert np.all(np.asarray(jax.grad(lambda p: f(p, {}))(jnp.array([1.0, 2.0]))) == 0)


def test_where_f_is_not_finite_its_gradient_is_nan_so_a_path_stops():
    f = parse_expression("x + exp(100)").function()  # inf everywhere in float32, with a finite slope
    g = np.asarray(jax.grad(lambda p: f(p, {}))(jnp.array([1.0, 2.0])))
    assert np.isnan(g).any()
    f = parse_expression("1/0 + (1000000**16)**16 + x").function()  # constants overflow in JAX, not in Python
    assert np.isinf(float(f(jnp.array([1.0, 2.0]), {})))
    f = parse_expression("x**2 + y**2").function()
    np.testing.assert_allclose(np.asarray(jax.hessian(lambda p: f(p, {}))(jnp.array([1.0, 2.0]))), 2 * np.eye(2))


# (hostile or wrong text, a fragment of the message)
BAD = [
    ("", "empty"),
    ("   ", "empty"),
    ("z + x", "unknown name 'z' at column 1; use x and y"),
    ("x + z", "unknown name 'z' at column 5"),
    ("__import__('os')", "unknown function '__import__' at column 1"),
    ("__import__('os').system('ls')", "unknown function '__import__'"),
    ("x.__class__", "attribute access ('.' at column 2)"),
    ("().__class__.__bases__[0]", "empty parentheses"),
    ("(lambda: 1)()", "no lambdas"),
    ("lambda", "unknown name 'lambda'"),
    ("9**9**9", "exponent 9**9 = 3.8742e+08 at column 2 is too large (at most 16"),
    ("x**1e9", "exponent 1e9 at column 2 is too large (at most 16"),
    ("x^17", "exponent 17 at column 2 is too large"),
    ("x**(2*9)", "exponent 2*9 = 18"),
    ("x**log(-1)", "not a real number"),
    ("1e999", "number 1e999 at column 1 is too large"),
    ("2000000*x", "number 2000000 at column 1 is too large (at most 1e6"),
    ("9" * 400, f"at most {MAX_LENGTH}"),
    ("x+" * 200 + "x", f"at most {MAX_LENGTH}"),
    ("x+" * 140 + "x", "too long: more than 200"),
    ("(" * 40 + "x" + ")" * 40, "nested too deeply"),
    ("-" * 40 + "x", "nested too deeply"),
    ("x\x00", "character '\\x00' at column 2 is not allowed"),
    ("x + ζ", "character 'ζ' at column 5 is not allowed"),
    ("x + y\u202e", "at column 6 is not allowed"),
    ("x[0]", "subscripts ('[' at column 2)"),
    ("open", "unknown name 'open'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("exec('1')", "unknown function 'exec'"),
    ("exp(x=1)", "'=' at column 6 is not allowed"),
    ("x if y else 1", "missing operator before 'if' at column 3"),
    ("x == y", "'=' at column 3"),
    ("x < y", "comparisons ('<' at column 3)"),
    ("'x'", "strings"),
    ("x; y", "type one expression"),
    ("(x + y", "unbalanced parenthesis: '(' at column 1 is never closed"),
    ("x + y)", "unbalanced parenthesis: ')' at column 6 has no matching '('"),
    ("exp(x", "'(' at column 4 is never closed"),
    ("2x", "missing operator before 'x' at column 2"),
    ("x y", "missing operator before 'y' at column 3"),
    ("x + ", "ends too early"),
    ("*x", "'*' at column 1 comes where a number"),
    ("x,y", "',' at column 2 is outside a function's parentheses"),
    ("exp", "function 'exp' at column 1 needs parentheses"),
    ("exp()", "exp() at column 1 needs an argument"),
    ("exp(x, y)", "exp at column 1 takes 1 argument, got 2"),
    ("min(x)", "min at column 1 takes 2 arguments, got 1"),
    ("x(2)", "'x' at column 1 is not a function"),
    ("Exp(x)", "unknown function 'Exp'"),
    ("x % 2", "'%' at column 3 is not an operator here"),
    ("|x|", "write abs(...)"),
    ("0x10", "missing operator"),
    ("1j*x", "missing operator"),
    ("x.real", "attribute access"),
    ("{x}", "braces"),
    ("x @ y", "'@' at column 3"),
]


@pytest.mark.parametrize("text, fragment", BAD, ids=[repr(b[0][:30]) for b in BAD])
def test_bad_expressions_get_a_message_that_points_at_the_problem(text, fragment):
    with pytest.raises(ExpressionError) as err:
        parse_expression(text)
    message = str(err.value)
    assert fragment in message, message
    assert "\n" not in message and len(message) < 400


@pytest.mark.parametrize("value", [None, 3, 2.5, ["x"], {"x": 1}, b"x**2"])
def test_not_text_is_refused(value):
    with pytest.raises(ExpressionError, match="must be text"):
        parse_expression(value)


def test_huge_exponents_and_texts_are_refused_at_once():
    start = time.perf_counter()
    for text in ["9**9**9**9", "9^9^9", "(9**9)**(9**9)", "x" * 10_000_000, "(" * 10_000 + "x"]:
        with pytest.raises(ExpressionError):
            parse_expression(text)
    assert time.perf_counter() - start < 1.0


@given(st.text(max_size=60) | st.text(alphabet="xy0123456789.eE+-*/^()pi, expsqrtlog_[]'\"=:", max_size=60))
@settings(max_examples=400, deadline=None)
def test_any_text_parses_or_gets_an_expression_error(text):
    try:
        parsed = parse_expression(text)
    except ExpressionError as err:
        assert str(err) and "\n" not in str(err)
        return
    again = parse_expression(parsed.canonical)  # the canonical text reads back to the same function
    assert again.canonical == parsed.canonical


_atoms = st.sampled_from(["x", "y", "2", "0.5", "pi", "e", "3e-2"])


def _combine(children):
    unary = st.tuples(st.sampled_from(["-", "+"]), children).map(lambda t: f"{t[0]}{t[1]}")
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    power = st.tuples(children, st.sampled_from(["2", "-1", "3", "0.5"])).map(lambda t: f"({t[0]})^{t[1]}")
    call = st.tuples(st.sampled_from(["exp", "sin", "tanh", "abs", "log1p"]), children).map(lambda t: f"{t[0]}({t[1]})")
    return unary | binary | power | call


@given(st.recursive(_atoms, _combine, max_leaves=12))
@settings(max_examples=150, deadline=None)
def test_canonical_text_is_the_same_function(text):
    parsed = parse_expression(text)
    again = parse_expression(parsed.canonical)
    assert again.canonical == parsed.canonical
    point = jnp.array([0.37, -0.61], jnp.float32)
    a, b = float(parsed.function()(point, {})), float(again.function()(point, {}))
    assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("a, b", [("x^2+y^2", "x**2 + y**2"), ("x²", "x ** 2"), ("atan(x)", "arctan(x)"),
                                  ("ln(x)", "log( x )"), ("2.0*x", "2*x"), ("(x)", "x"), ("x**2.0", "x**2")])
def test_one_canonical_text_per_spelling(a, b):
    assert parse_expression(a).canonical == parse_expression(b).canonical


def test_canonical_keeps_the_tree():
    cases = {"-x**2": "-x**2", "(-x)**2": "(-x)**2", "x**y**2": "x**y**2", "(x**y)**2": "(x**y)**2",
             "a": None, "x - (y - 1)": "x - (y - 1)", "x - y - 1": "x - y - 1", "x/(y*2)": "x/(y*2)",
             "2*-x": "2*-x", "x**-1": "x**-1"}
    for text, expected in cases.items():
        if expected is None:
            continue
        assert canonical(parse_expression(text).tree) == expected


def test_latex():
    assert parse_expression("0.5*(x**2/20 + y**2)").latex == r"0.5 \cdot \left(\frac{x^{2}}{20} + y^{2}\right)"
    assert parse_expression("sqrt(abs(x)) + exp(-y)").latex == r"\sqrt{\left|x\right|} + \exp\left(-y\right)"
    assert parse_expression("pi*x").latex == r"\pi \cdot x"


def test_text_keeps_what_was_typed():
    parsed = parse_expression("  x^2 + y^2 \n")
    assert parsed.text == "x^2 + y^2" and parsed.canonical == "x**2 + y**2" and parsed.uses == {"x", "y"}


# -- domains -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("-10,10,-5,5", ((-10.0, 10.0), (-5.0, 5.0))),
    (" -1 , 2 , 0 , 3 ", ((-1.0, 2.0), (0.0, 3.0))),
    ([-1, 2, 0, 3.5], ((-1.0, 2.0), (0.0, 3.5))),
    (((-1, 2), (0, 3)), ((-1.0, 2.0), (0.0, 3.0))),
    (["-1", "2", "0", "3"], ((-1.0, 2.0), (0.0, 3.0))),
])
def test_domains_are_read(value, expected):
    assert parse_domain(value) == expected
    assert parse_domain(format_domain(expected)) == expected


@pytest.mark.parametrize("value, fragment", [
    ("1,0,0,1", "xmin 1 must be less than xmax 0"),
    ("0,1,2,2", "ymin 2 must be less than ymax 2"),
    ("0,1,0", "four finite numbers"),
    ("0,1,0,1,5", "four finite numbers"),
    ("a,b,c,d", "four finite numbers"),
    ("0,inf,0,1", "four finite numbers"),
    ("0,nan,0,1", "four finite numbers"),
    ("0,1e999,0,1", "four finite numbers"),
    ("-1e5,1,0,1", "reaches past"),
    ("1000,1000.0001,0,1", "too narrow"),
    ([True, 2, 0, 1], "four finite numbers"),
    (None, "four finite numbers"),
    ({"x": 1}, "four finite numbers"),
    ("x" * 5000, "characters"),
])
def test_bad_domains_get_a_message(value, fragment):
    with pytest.raises(ExpressionError) as err:
        parse_domain(value)
    assert fragment in str(err.value) and len(str(err.value)) < 300
