"""SymPy expressions as plain text and back, without eval: the disk cache holds data only.

sympy.srepr writes an expression as constructor calls, Mul(Symbol('x', real=True), ...).
from_srepr reads that text back with Python's ast module and builds only the classes in
CONSTRUCTORS, with string, integer and True/False arguments; anything else is refused. Every
number is bounded before SymPy computes it (a power's exponent, a product's size), so that no
text can make the reader compute for ever; symbol and function names can be limited to a
given set, so that no text can put its own TeX into a document.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from typing import Any

import sympy as sp

from solgen.base.errors import SolgenError

CONSTRUCTORS: dict[str, Any] = {
    "Add": sp.Add,
    "Mul": sp.Mul,
    "Pow": sp.Pow,
    "Symbol": sp.Symbol,
    "Integer": sp.Integer,
    "Rational": sp.Rational,
    "Max": sp.Max,
    "Abs": sp.Abs,
    "Heaviside": sp.Heaviside,
    "exp": sp.exp,
    "tanh": sp.tanh,
    "Function": sp.Function,
}
SINGLETONS: dict[str, Any] = {
    "Half": sp.S.Half,
    "NegativeOne": sp.S.NegativeOne,
    "One": sp.S.One,
    "Zero": sp.S.Zero,
}
MAX_TEXT = 100_000  # a derivation's srepr is a few kB
MAX_DEPTH = 60
MAX_INTEGER = 10**6  # a derivation's integers are exponents and small coefficients
MAX_EXPONENT = 64  # of a power, numerator and denominator (a derivation's are 1 and 2)
MAX_BITS = 256  # of any number the reader makes (numerator and denominator)
ASSUMPTIONS = frozenset({"real", "positive", "negative", "nonnegative", "nonzero", "integer"})


class NotAnExpression(ValueError, SolgenError):
    """The text is not an srepr that from_srepr builds."""


def to_srepr(expr: sp.Expr) -> str:
    """The expression as constructor calls (sympy.srepr)."""
    return str(sp.srepr(expr))


def from_srepr(text: str, names: Collection[str] | None = None) -> sp.Expr:
    """The expression that to_srepr wrote; NotAnExpression for anything else.

    names: the only names a Symbol or Function may have (None: any name).
    """
    if len(text) > MAX_TEXT:
        raise NotAnExpression("too long")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise NotAnExpression(str(exc)) from None
    return _build(tree.body, 0, None if names is None else frozenset(names))


def _build(node: ast.AST, depth: int, names: frozenset[str] | None) -> Any:
    if depth > MAX_DEPTH:
        raise NotAnExpression("nested too deeply")
    if isinstance(node, ast.Constant) and type(node.value) in (str, bool):
        return node.value
    if isinstance(node, ast.Constant) and type(node.value) is int:
        if abs(node.value) > MAX_INTEGER:  # Pow(10, 10**50) would never finish evaluating
            raise NotAnExpression("integer too large")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_build(node.operand, depth + 1, names) if _is_int(node.operand) else _refuse()
    if not isinstance(node, ast.Call):
        raise NotAnExpression(f"unexpected {type(node).__name__}")
    keywords = {}
    for keyword in node.keywords:
        value = _build(keyword.value, depth + 1, names)
        if keyword.arg not in ASSUMPTIONS or not isinstance(value, bool):
            raise NotAnExpression("only assumptions such as real=True are keywords")
        keywords[keyword.arg] = value
    args = [_build(arg, depth + 1, names) for arg in node.args]
    if isinstance(node.func, ast.Name) and node.func.id in SINGLETONS:
        if args or keywords:
            raise NotAnExpression(f"{node.func.id} takes no arguments")
        return SINGLETONS[node.func.id]
    if isinstance(node.func, ast.Name) and node.func.id in CONSTRUCTORS:
        kind = node.func.id
        if kind in ("Symbol", "Function"):
            if len(args) != 1 or not isinstance(args[0], str):
                raise NotAnExpression(f"{kind} takes one name")
            if names is not None and args[0] not in names:
                raise NotAnExpression(f"unknown {kind.lower()} {args[0]!r}")
            return _call(CONSTRUCTORS[kind], args, keywords, text=True)
        if kind == "Pow":
            _check_power(args)
        return _bounded(_call(CONSTRUCTORS[kind], args, keywords))
    if isinstance(node.func, ast.Call):  # Function('f')(z): an undefined function, applied
        function = _build(node.func, depth + 1, names)
        if not isinstance(function, sp.core.function.UndefinedFunction) or keywords:
            raise NotAnExpression("only a named function is applied")
        return _call(function, args, {})
    raise NotAnExpression("unknown constructor")


def _check_power(args: list[Any]) -> None:
    """A power's exponent is a small rational number, and a numeric power stays small: checked
    before SymPy computes it (Pow(Pow(10, 10**6), 10**6) would never finish)."""
    if len(args) != 2:
        raise NotAnExpression("a power has a base and an exponent")
    base, exponent = (sp.Integer(a) if type(a) is int else a for a in args)
    if not isinstance(exponent, sp.Rational):
        raise NotAnExpression("a power's exponent must be a number")
    if abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_EXPONENT:
        raise NotAnExpression(f"the exponent {exponent} is too large")
    if isinstance(base, sp.Rational):
        bits = max(_bits(base.p), _bits(base.q)) * abs(exponent.p)
        if bits > MAX_BITS:
            raise NotAnExpression("the power is too large")


def _bits(number: int) -> int:
    return abs(int(number)).bit_length()


def _bounded(value: Any) -> Any:
    """value, unless it is a number larger than MAX_BITS bits (a product of many integers)."""
    if isinstance(value, sp.Rational) and max(_bits(value.p), _bits(value.q)) > MAX_BITS:
        raise NotAnExpression("a number too large")
    return value


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _refuse() -> Any:
    raise NotAnExpression("only an integer can be negated")


def _call(constructor: Any, args: list[Any], keywords: dict[str, bool], text: bool = False) -> Any:
    """constructor(*args, **keywords); text (a str argument) only for a Symbol's or Function's
    name: SymPy parses a str given to any other constructor (Max, exp, an applied function)
    with sympify, which evaluates it as Python."""
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, (str, int, sp.Basic)):
            raise NotAnExpression("unexpected argument")
        if isinstance(arg, str) and not text:
            raise NotAnExpression("text is only the name of a Symbol or Function")
    try:
        return constructor(*args, **keywords)
    except (TypeError, ValueError, AttributeError) as exc:
        raise NotAnExpression(str(exc)) from None
