"""Typed surfaces: f(x, y) as a user types it, read safely into a JAX function, and its domain.

The text is never given to `eval`, `exec` or Python's parser: a small tokenizer and a
recursive-descent parser read only what the grammar below allows, and anything else is a
one-line `ExpressionError` that names the column and what is wrong:

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | power
    power   := atom (("**" | "^") unary)?          right-associative; -x**2 is -(x**2)
    atom    := NUMBER | "x" | "y" | "pi" | "e" | FUNCTION "(" sum ("," sum)* ")" | "(" sum ")"

`^` is power, as on a blackboard (Python's XOR means nothing here). A few characters pasted
from slides are read as what they show: − × · ÷ π ² ³. There are no attribute access, subscripts,
strings, keywords, comparisons, assignments or lambdas in the grammar, so none can be typed.

Bounds (a text box on a shared classroom server): at most MAX_LENGTH characters, MAX_NODES
numbers, names and operators, MAX_DEPTH levels of nesting; every number at most MAX_CONSTANT in
absolute value; a constant exponent (2, 0.5, -1, 1/3, 2**3) at most MAX_EXPONENT. An exponent
that depends on x or y (2**x, x**y) is allowed: it is exp(y log x) in disguise, as large as
exp's argument lets it be, and where it overflows the surface is not finite, which the
trajectory runner turns into a divergence result, like exp(exp(x)). Constant exponents are
checked by evaluating them in floats with every error caught (never Python's big integers:
9**9**9 is refused in microseconds, not computed).

The parsed `Expression` gives the JAX function f(xy, params) (elementwise in xy[0] and xy[1],
as optviz.surfaces requires), its canonical text (the cache key: "x^2+y^2" and "x**2 + y**2"
are one compiled function), and LaTeX for the page. Where f is not finite its gradient is NaN,
so a path that reaches such a point stops there (diverged) instead of walking on with an
infinite loss.

References:
  Python's operator precedence (the grammar follows it, with ^ as **).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

MAX_LENGTH = 300
MAX_NODES = 200
MAX_DEPTH = 30
MAX_CONSTANT = 1e6
MAX_EXPONENT = 16
MAX_DOMAIN = 1e4
"""Largest |bound| of a domain (float32 paths, 100 domain widths of margin, readable ticks)."""
MIN_DOMAIN_WIDTH = 1e-3
"""Narrowest side of a domain, relative to its largest |bound| (at least 1): float32 resolves it."""

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}


class ExpressionError(ValueError):
    """A typed expression or domain that cannot be used; the message is one line for the user."""


# -- the functions one may call ---------------------------------------------------------------


def _jnp():
    import jax.numpy as jnp  # imported when a function is built: parsing needs no JAX

    return jnp


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0


def _softplus(x):
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


@dataclass(frozen=True)
class Function:
    """One callable name: its arity, its JAX version, a float version (to check constant exponents) and LaTeX."""

    name: str
    arity: int
    jax: Callable[..., Any]
    scalar: Callable[..., float]
    latex: str  # "\\exp" etc.; "" for \operatorname{name}


def _f(name, arity, jax_name, scalar, latex=""):
    def jax_fn(*args):
        module = _jnp()
        if jax_name.startswith("nn."):
            import jax.nn

            return getattr(jax.nn, jax_name[3:])(*args)
        return getattr(module, jax_name)(*args)

    return Function(name, arity, jax_fn, scalar, latex)


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    _f("exp", 1, "exp", math.exp, r"\exp"),
    _f("expm1", 1, "expm1", math.expm1),
    _f("log", 1, "log", math.log, r"\log"),
    _f("log1p", 1, "log1p", math.log1p),
    _f("log2", 1, "log2", math.log2, r"\log_2"),
    _f("log10", 1, "log10", math.log10, r"\log_{10}"),
    _f("sqrt", 1, "sqrt", math.sqrt),
    _f("cbrt", 1, "cbrt", lambda v: math.copysign(abs(v) ** (1 / 3), v)),
    _f("abs", 1, "abs", abs),
    _f("sin", 1, "sin", math.sin, r"\sin"),
    _f("cos", 1, "cos", math.cos, r"\cos"),
    _f("tan", 1, "tan", math.tan, r"\tan"),
    _f("arcsin", 1, "arcsin", math.asin, r"\arcsin"),
    _f("arccos", 1, "arccos", math.acos, r"\arccos"),
    _f("arctan", 1, "arctan", math.atan, r"\arctan"),
    _f("sinh", 1, "sinh", math.sinh, r"\sinh"),
    _f("cosh", 1, "cosh", math.cosh, r"\cosh"),
    _f("tanh", 1, "tanh", math.tanh, r"\tanh"),
    _f("arcsinh", 1, "arcsinh", math.asinh),
    _f("arccosh", 1, "arccosh", math.acosh),
    _f("arctanh", 1, "arctanh", math.atanh),
    _f("sigmoid", 1, "nn.sigmoid", _sigmoid, r"\sigma"),
    _f("softplus", 1, "nn.softplus", _softplus),
    _f("relu", 1, "nn.relu", lambda v: max(v, 0.0)),
    _f("min", 2, "minimum", min, r"\min"),
    _f("max", 2, "maximum", max, r"\max"),
    _f("arctan2", 2, "arctan2", math.atan2),
    _f("hypot", 2, "hypot", math.hypot),
]}
ALIASES = {"ln": "log", "asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
           "acosh": "arccosh", "atanh": "arctanh", "atan2": "arctan2"}

SYNTAX_HELP = (
    "Type f(x, y) with numbers, x, y, + − * /, ** or ^ for powers, parentheses, pi, e and "
    f"{', '.join(f for f in FUNCTIONS if FUNCTIONS[f].arity == 1)}, "
    f"{', '.join(f + '(a, b)' for f in FUNCTIONS if FUNCTIONS[f].arity == 2)} "
    f"(also {', '.join(ALIASES)}). Example: 0.5*(x**2/20 + y**2). "
    f"At most {MAX_LENGTH} characters; numbers up to {MAX_CONSTANT:,.0f}; constant exponents up to {MAX_EXPONENT}."
)


# -- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float
    text: str
    column: int


@dataclass(frozen=True)
class Name:
    name: str  # "x", "y", "pi" or "e"
    column: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: Any
    column: int


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/" or "**"
    left: Any
    right: Any
    column: int  # the operator's


@dataclass(frozen=True)
class Call:
    name: str  # canonical (aliases resolved)
    args: tuple
    column: int


Node = Number | Name | Unary | Binary | Call

# Binding strength, for printing with the fewest parentheses.
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = range(1, 6)


def _strength(node: Node) -> int:
    if isinstance(node, Binary):
        return {"+": _SUM, "-": _SUM, "*": _PRODUCT, "/": _PRODUCT, "**": _POWER}[node.op]
    if isinstance(node, Unary):
        return _UNARY
    return _ATOM


# -- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    column: int  # 1-based, in the text as typed


_TOKEN = re.compile(r"(?P<space>\s+)|(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/^(),])", re.ASCII)
# Characters pasted from slides, read as what they show.
_PASTED = {"−": [("op", "-")], "–": [("op", "-")], "×": [("op", "*")], "·": [("op", "*")], "⋅": [("op", "*")],
           "∗": [("op", "*")], "÷": [("op", "/")], "π": [("name", "pi")],
           "²": [("op", "**"), ("number", "2")], "³": [("op", "**"), ("number", "3")]}
# Why a character is refused, where a general "not allowed" says too little ({c}: its column).
_OPERATORS_HINT = "use + - * / and ** (or ^)"
_REFUSED = {
    ".": "attribute access ('.' at column {c}) is not allowed",
    "[": "subscripts ('[' at column {c}) are not allowed", "]": "subscripts (']' at column {c}) are not allowed",
    "=": "'=' at column {c} is not allowed: no comparisons, assignments or keyword arguments",
    "<": "comparisons ('<' at column {c}) are not allowed", ">": "comparisons ('>' at column {c}) are not allowed",
    "!": "'!' at column {c} is not allowed: no comparisons or factorials",
    "'": "strings (a quote at column {c}) are not allowed", '"': "strings (a quote at column {c}) are not allowed",
    ":": "':' at column {c} is not allowed: no lambdas or slices",
    "%": "'%' at column {c} is not an operator here; " + _OPERATORS_HINT,
    "@": "'@' at column {c} is not an operator here; " + _OPERATORS_HINT,
    "&": "'&' at column {c} is not an operator here; " + _OPERATORS_HINT,
    "~": "'~' at column {c} is not an operator here; " + _OPERATORS_HINT,
    "|": "'|' at column {c} is not an operator here; write abs(...) for |...|",
    "{": "braces ('{' at column {c}) are not allowed; use parentheses",
    "}": "braces ('}' at column {c}) are not allowed; use parentheses",
    ";": "';' at column {c} is not allowed: type one expression",
}


def _show(text: str, limit: int = 24) -> str:
    """A piece of the user's text for a message: quoted, control characters escaped, short."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return "'" + "".join(c if c.isprintable() else ascii(c)[1:-1] for c in cut) + "'"


def _tokens(text: str):
    """The tokens of `text`, then an "end" token; ExpressionError at the first character that is none."""
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        column = position + 1
        if match is None:
            char = text[position]
            if char in _PASTED:
                for kind, value in _PASTED[char]:
                    yield Token(kind, value, column)
                position += 1
                continue
            if char in _REFUSED:
                raise ExpressionError(_REFUSED[char].replace("{c}", str(column)))
            what = f"character {_show(char)} at column {column} is not allowed"
            raise ExpressionError(what + "; " + _GRAMMAR_HINT)
        kind = match.lastgroup
        if kind != "space":
            yield Token(kind, match.group(), column)
        position = match.end()
    yield Token("end", "", len(text) + 1)


_GRAMMAR_HINT = "use numbers, x, y, + - * / ** ^, parentheses and functions such as exp(...)"


# -- the parser -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.token = next(self.tokens)
        self.nodes = 0
        self.depth = 0
        self.open: list[int] = []  # columns of the open parentheses

    def advance(self) -> Token:
        token = self.token
        if token.kind != "end":  # the end token stays the current one
            self.token = next(self.tokens)
        return token

    def node(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"the expression is too long: more than {MAX_NODES} numbers, names and operators "
                                  f"(at column {node.column})")
        return node

    def deeper(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply: more than {MAX_DEPTH} levels (at column {column})")

    def parse(self) -> Node:
        tree = self.sum()
        token = self.token
        if token.kind != "end":
            if token.text == ")":
                raise ExpressionError(f"unbalanced parenthesis: ')' at column {token.column} has no matching '('")
            if token.text == ",":
                raise ExpressionError(f"',' at column {token.column} is outside a function's parentheses")
            raise self.missing_operator(token)
        return tree

    def missing_operator(self, token: Token) -> ExpressionError:
        return ExpressionError(f"missing operator before {_show(token.text)} at column {token.column} "
                               "(write * to multiply: 2*x, not 2x)")

    def sum(self) -> Node:
        left = self.product()
        while self.token.text in ("+", "-") and self.token.kind == "op":
            op = self.advance()
            left = self.node(Binary(op.text, left, self.product(), op.column))
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.token.text in ("*", "/") and self.token.kind == "op":
            op = self.advance()
            left = self.node(Binary(op.text, left, self.unary(), op.column))
        return left

    def unary(self) -> Node:
        if self.token.kind == "op" and self.token.text in ("+", "-"):
            op = self.advance()
            self.deeper(op.column)
            operand = self.unary()
            self.depth -= 1
            return self.node(Unary(op.text, operand, op.column))
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.token.kind == "op" and self.token.text in ("**", "^"):
            op = self.advance()
            self.deeper(op.column)
            exponent = self.unary()
            self.depth -= 1
            return self.node(Binary("**", base, exponent, op.column))
        return base

    def atom(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            return self.node(Number(float(token.text), token.text, token.column))
        if token.kind == "name":
            return self.name(token)
        if token.text == "(":
            self.deeper(token.column)
            self.open.append(token.column)
            if self.token.text == ")":
                raise ExpressionError(f"empty parentheses at column {token.column}")
            inner = self.sum()
            self.close(token)
            self.open.pop()
            self.depth -= 1
            return inner
        raise self.expected(token)

    def close(self, opening: Token) -> None:
        if self.token.text == ")":
            self.advance()
            return
        if self.token.kind == "end":
            raise ExpressionError(f"unbalanced parenthesis: '(' at column {opening.column} is never closed")
        if self.token.text == ",":
            raise ExpressionError(f"',' at column {self.token.column} is outside a function's parentheses")
        raise self.missing_operator(self.token)

    def expected(self, token: Token) -> ExpressionError:
        if token.kind == "end":
            if not self.text.strip():
                return ExpressionError("the expression is empty; type f(x, y), e.g. x**2 + y**2")
            return ExpressionError(f"the expression ends too early (at column {token.column}): expected a number, x, y or '('")
        if token.text == ")":
            if self.open:
                return ExpressionError(f"')' at column {token.column} comes where a number, x, y or '(' is expected")
            return ExpressionError(f"unbalanced parenthesis: ')' at column {token.column} has no matching '('")
        return ExpressionError(f"{_show(token.text)} at column {token.column} comes where a number, x, y or '(' is expected")

    def name(self, token: Token) -> Node:
        name = ALIASES.get(token.text, token.text)
        if self.token.text == "(":
            if name not in FUNCTIONS:
                if token.text in VARIABLES or token.text in CONSTANTS:
                    raise ExpressionError(f"{_show(token.text)} at column {token.column} is not a function; "
                                          f"write {token.text}*(...) to multiply")
                raise ExpressionError(f"unknown function {_show(token.text)} at column {token.column}; "
                                      f"use one of {', '.join(FUNCTIONS)}")
            return self.call(token, FUNCTIONS[name])
        if name in FUNCTIONS:
            raise ExpressionError(f"function {_show(token.text)} at column {token.column} needs parentheses: {token.text}(...)")
        if token.text in VARIABLES or token.text in CONSTANTS:
            return self.node(Name(token.text, token.column))
        raise ExpressionError(f"unknown name {_show(token.text)} at column {token.column}; use x and y "
                              "(and pi, e, or functions such as exp(...))")

    def call(self, name: Token, function: Function) -> Node:
        opening = self.advance()  # "("
        self.deeper(opening.column)
        self.open.append(opening.column)
        if self.token.text == ")":
            raise ExpressionError(f"{name.text}() at column {name.column} needs "
                                  f"{'an argument' if function.arity == 1 else f'{function.arity} arguments'}")
        args = [self.sum()]
        while self.token.text == ",":
            self.advance()
            args.append(self.sum())
        if len(args) != function.arity and self.token.text == ")":
            wanted = "1 argument" if function.arity == 1 else f"{function.arity} arguments"
            raise ExpressionError(f"{name.text} at column {name.column} takes {wanted}, got {len(args)}")
        self.close(opening)
        self.open.pop()
        self.depth -= 1
        return self.node(Call(function.name, tuple(args), name.column))


# -- checks that need the whole tree ----------------------------------------------------------


def _constant(node: Node) -> float | None:
    """The value of a subtree without x or y, in floats (inf on overflow, nan on a domain error);
    None if it depends on x or y."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        return CONSTANTS.get(node.name)
    if isinstance(node, Unary):
        value = _constant(node.operand)
        return None if value is None else (-value if node.op == "-" else value)
    if isinstance(node, Call):
        values = [_constant(a) for a in node.args]
        return None if any(v is None for v in values) else _safely(FUNCTIONS[node.name].scalar, *values)
    left, right = _constant(node.left), _constant(node.right)
    if left is None or right is None:
        return None
    operation = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                 "/": lambda a, b: a / b, "**": math.pow}[node.op]
    return _safely(operation, left, right)


def _safely(fn, *args: float) -> float:
    if any(math.isnan(a) for a in args):
        return math.nan
    try:
        value = fn(*args)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan
    return float(value) if not isinstance(value, complex) else math.nan


def _check(node: Node) -> None:
    """Numbers and constant exponents within bounds, in reading order."""
    if isinstance(node, Number):
        if not math.isfinite(node.value) or abs(node.value) > MAX_CONSTANT:
            raise ExpressionError(f"number {_show(node.text, 30)[1:-1]} at column {node.column} is too large "
                                  f"(at most {_fmt_bound(MAX_CONSTANT)} in absolute value)")
        return
    if isinstance(node, Binary) and node.op == "**":
        _check(node.left)
        exponent = _constant(node.right)
        if exponent is not None and not (math.isfinite(exponent) and abs(exponent) <= MAX_EXPONENT):
            text = node.right.text if isinstance(node.right, Number) else canonical(node.right)
            shown_text = _show(text, 30)[1:-1]
            if math.isnan(exponent):
                raise ExpressionError(f"exponent {shown_text} at column {node.column} is not a real number")
            if math.isfinite(exponent) and text != _number_text(exponent) and not isinstance(node.right, Number):
                shown_text += f" = {exponent:.6g}"
            raise ExpressionError(f"exponent {shown_text} at column {node.column} is too large "
                                  f"(at most {MAX_EXPONENT} in absolute value)")
        _check(node.right)
        return
    for child in _children(node):
        _check(child)


def _fmt_bound(value: float) -> str:
    """1e6, not 1e+06."""
    return f"{value:g}".replace("e+0", "e").replace("e+", "e")


def _children(node: Node) -> tuple:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


# -- printing ---------------------------------------------------------------------------------


def _number_text(value: float) -> str:
    """Shortest text that reads back as `value` (no trailing .0)."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def canonical(node: Node) -> str:
    """The tree as text with `**`, the functions' canonical names and the fewest parentheses: one
    spelling per function ("x^2+y^2" and "x**2 + y**2" read the same); it parses to the same tree."""
    if isinstance(node, Number):
        return _number_text(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{node.name}({', '.join(canonical(a) for a in node.args)})"
    if isinstance(node, Unary):
        return node.op + _wrapped(node.operand, _strength(node.operand) < _UNARY)
    strength = _strength(node)
    if node.op == "**":  # right-associative: the base must be an atom, the exponent may be a unary
        left = _wrapped(node.left, _strength(node.left) <= _POWER)
        right = _wrapped(node.right, _strength(node.right) < _UNARY)
        return f"{left}**{right}"
    left = _wrapped(node.left, _strength(node.left) < strength)
    right = _wrapped(node.right, _strength(node.right) <= strength)
    return f"{left} {node.op} {right}" if node.op in "+-" else f"{left}{node.op}{right}"


def _wrapped(node: Node, wrap: bool) -> str:
    text = canonical(node)
    return f"({text})" if wrap else text


def latex(node: Node) -> str:
    """The tree in LaTeX (fractions, powers, |.|, named functions), for the page."""
    if isinstance(node, Number):
        text = _number_text(node.value)
        if "e" in text:
            mantissa, _, power = text.partition("e")
            return rf"{mantissa} \times 10^{{{int(power)}}}"
        return text
    if isinstance(node, Name):
        return r"\pi" if node.name == "pi" else node.name
    if isinstance(node, Call):
        args = ", ".join(latex(a) for a in node.args)
        if node.name == "sqrt":
            return rf"\sqrt{{{args}}}"
        if node.name == "abs":
            return rf"\left|{args}\right|"
        function = FUNCTIONS[node.name]
        head = function.latex or rf"\operatorname{{{node.name}}}"
        return rf"{head}\left({args}\right)"
    if isinstance(node, Unary):
        return node.op + _latex_wrapped(node.operand, _strength(node.operand) < _UNARY)
    if node.op == "/":
        return rf"\frac{{{latex(node.left)}}}{{{latex(node.right)}}}"
    if node.op == "**":
        plain_base = isinstance(node.left, Name) or (isinstance(node.left, Number) and "e" not in _number_text(node.left.value))
        return f"{_latex_wrapped(node.left, not plain_base)}^{{{latex(node.right)}}}"
    strength = _strength(node)
    left = _latex_wrapped(node.left, _strength(node.left) < strength)
    right = _latex_wrapped(node.right, _strength(node.right) <= strength and not _is_fraction(node.right))
    return f"{left} {node.op} {right}" if node.op in "+-" else rf"{left} \cdot {right}"


def _is_fraction(node: Node) -> bool:
    return isinstance(node, Binary) and node.op == "/"


def _latex_wrapped(node: Node, wrap: bool) -> str:
    text = latex(node)
    return rf"\left({text}\right)" if wrap else text


# -- the JAX function -------------------------------------------------------------------------


def _evaluator(node: Node) -> Callable[[Any, Any], Any]:
    """A function (x, y) -> the tree's value, built once (no tree walk while JAX traces)."""
    if isinstance(node, (Number, Name)):
        if isinstance(node, Name) and node.name in VARIABLES:
            return (lambda x, y: x) if node.name == "x" else (lambda x, y: y)
        value = node.value if isinstance(node, Number) else CONSTANTS[node.name]
        # A JAX scalar, not a Python float: 1/0 or (1e6**16)**16 is inf, never a Python exception.
        return lambda x, y: _jnp().asarray(value, x.dtype)
    if isinstance(node, Unary):
        operand = _evaluator(node.operand)
        return (lambda x, y: -operand(x, y)) if node.op == "-" else operand
    if isinstance(node, Call):
        function = FUNCTIONS[node.name].jax
        args = [_evaluator(a) for a in node.args]
        if len(args) == 1:
            (arg,) = args
            return lambda x, y: function(arg(x, y))
        return lambda x, y: function(*(a(x, y) for a in args))
    left, right = _evaluator(node.left), _evaluator(node.right)
    if node.op == "**":
        exponent = _constant(node.right)
        if exponent is not None and float(exponent).is_integer():
            power = int(exponent)  # x**2 as an integer power: exact for x < 0, and its gradient too
            return lambda x, y: left(x, y) ** power
        return lambda x, y: _jnp().power(left(x, y), right(x, y))
    import operator

    operation = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}[node.op]
    return lambda x, y: operation(left(x, y), right(x, y))


@functools.cache
def _finite_or_stop():
    """value -> value, whose derivative is NaN where value is not finite (built on first use: JAX)."""
    import jax
    import jax.numpy as jnp

    @jax.custom_jvp
    def finite_or_stop(value):
        return value

    @finite_or_stop.defjvp
    def _jvp(primals, tangents):
        (value,), (tangent,) = primals, tangents
        # Linear in the tangent (a factor 1 or NaN), so reverse mode and Hessians work through it.
        return value, tangent * jnp.where(jnp.isfinite(value), 1.0, jnp.nan).astype(value.dtype)

    return finite_or_stop


@dataclass(frozen=True)
class Expression:
    """A parsed, checked f(x, y).

    Attributes:
      text: as typed (surrounding whitespace removed).
      tree: the parsed tree.
    """

    text: str
    tree: Any

    @property
    def canonical(self) -> str:
        """One spelling per function: the key of its compiled variants."""
        return canonical(self.tree)

    @property
    def latex(self) -> str:
        return latex(self.tree)

    @property
    def uses(self) -> frozenset[str]:
        """The variables it reads ("x", "y")."""
        found, stack = set(), [self.tree]
        while stack:
            node = stack.pop()
            if isinstance(node, Name) and node.name in VARIABLES:
                found.add(node.name)
            stack.extend(_children(node))
        return frozenset(found)

    def function(self) -> Callable[[Any, Any], Any]:
        """f(xy, params) for optviz.surfaces: elementwise in xy[0] and xy[1], shaped like them
        (a constant too), and with a NaN gradient wherever f is not finite (overflow, log of a
        negative number), so the runner stops a path there."""
        evaluate = _evaluator(self.tree)

        def f(xy, params):
            jnp = _jnp()
            x, y = jnp.asarray(xy[0]), jnp.asarray(xy[1])
            dtype = jnp.result_type(x, y, jnp.float32)
            x, y = x.astype(dtype), y.astype(dtype)
            value = jnp.broadcast_to(jnp.asarray(evaluate(x, y), dtype), jnp.broadcast_shapes(x.shape, y.shape))
            return _finite_or_stop()(value)

        return f


def parse_expression(text: Any) -> Expression:
    """Read a typed f(x, y); ExpressionError (a ValueError) with a one-line message if it cannot be used.

    Never evaluates the text: see the module docstring for what is allowed.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text):,} characters long; at most {MAX_LENGTH} are allowed")
    stripped = text.strip()
    if not stripped:
        raise ExpressionError("the expression is empty; type f(x, y), e.g. x**2 + y**2")
    tree = _Parser(text).parse()
    _check(tree)
    return Expression(stripped, tree)


# -- the domain -------------------------------------------------------------------------------

Domain = tuple[tuple[float, float], tuple[float, float]]


def parse_domain(value: Any) -> Domain:
    """((xmin, xmax), (ymin, ymax)) from "XMIN,XMAX,YMIN,YMAX", four numbers or two pairs.

    Each bound finite and within ±MAX_DOMAIN, min < max, and each side at least MIN_DOMAIN_WIDTH
    of the largest |bound| (so float32 still resolves it). ValueError with a one-line message."""
    numbers = _four_numbers(value)
    (x0, x1), (y0, y1) = numbers[:2], numbers[2:]
    for axis, lo, hi in (("x", x0, x1), ("y", y0, y1)):
        if max(abs(lo), abs(hi)) > MAX_DOMAIN:
            raise ExpressionError(f"domain: {axis} from {lo:g} to {hi:g} reaches past ±{MAX_DOMAIN:,.0f}")
        if not lo < hi:
            raise ExpressionError(f"domain: {axis}min {lo:g} must be less than {axis}max {hi:g}")
        if hi - lo < MIN_DOMAIN_WIDTH * max(1.0, abs(lo), abs(hi)):
            raise ExpressionError(f"domain: {axis} from {lo:g} to {hi:g} is too narrow")
    return (float(x0), float(x1)), (float(y0), float(y1))


def _four_numbers(value: Any) -> list[float]:
    from optviz.params import shown

    wrong = ExpressionError(f"domain expects XMIN,XMAX,YMIN,YMAX (four finite numbers), got {shown(value)}")
    if isinstance(value, str):
        parts: Sequence[Any] = value.split(",")
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (list, tuple)) for v in value):
        parts = [*value[0], *value[1]]
    elif isinstance(value, (list, tuple)):
        parts = value
    else:
        raise wrong
    if len(parts) != 4 or any(isinstance(v, bool) or not isinstance(v, (str, int, float)) for v in parts):
        raise wrong
    try:
        numbers = [float(v) for v in parts]
    except (ValueError, OverflowError):
        raise wrong from None
    if not all(math.isfinite(v) for v in numbers):
        raise wrong
    return numbers


def format_domain(domain: Domain) -> str:
    """"XMIN,XMAX,YMIN,YMAX" (reads back with parse_domain)."""
    (x0, x1), (y0, y1) = domain
    return ",".join(_number_text(float(v)) for v in (x0, x1, y0, y1))
