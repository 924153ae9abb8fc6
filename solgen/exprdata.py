"""SymPy expressions as plain text and back, without eval: the disk cache holds data only.

sympy.srepr writes an expression as constructor calls, Mul(Symbol('x', real=True), ...).
from_srepr reads that text back with Python's ast module and builds only the classes in
CONSTRUCTORS, with string, integer and True/False arguments; anything else is refused.
"""

from __future__ import annotations

import ast
from typing import Any

import sympy as sp

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
    "Derivative": sp.Derivative,
    "Tuple": sp.Tuple,
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


class NotAnExpression(ValueError):
    """The text is not an srepr that from_srepr builds."""


def to_srepr(expr: sp.Expr) -> str:
    """The expression as constructor calls (sympy.srepr)."""
    return str(sp.srepr(expr))


def from_srepr(text: str) -> sp.Expr:
    """The expression that to_srepr wrote; NotAnExpression for anything else."""
    if len(text) > MAX_TEXT:
        raise NotAnExpression("too long")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise NotAnExpression(str(exc)) from None
    return _build(tree.body, 0)


def _build(node: ast.AST, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise NotAnExpression("nested too deeply")
    if isinstance(node, ast.Constant) and type(node.value) in (str, bool):
        return node.value
    if isinstance(node, ast.Constant) and type(node.value) is int:
        if abs(node.value) > MAX_INTEGER:  # Pow(10, 10**50) would never finish evaluating
            raise NotAnExpression("integer too large")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_build(node.operand, depth + 1) if _is_int(node.operand) else _refuse()
    if not isinstance(node, ast.Call):
        raise NotAnExpression(f"unexpected {type(node).__name__}")
    keywords = {}
    for keyword in node.keywords:
        value = _build(keyword.value, depth + 1)
        if keyword.arg is None or not isinstance(value, bool):
            raise NotAnExpression("only assumptions such as real=True are keywords")
        keywords[keyword.arg] = value
    args = [_build(arg, depth + 1) for arg in node.args]
    if isinstance(node.func, ast.Name) and node.func.id in SINGLETONS:
        if args or keywords:
            raise NotAnExpression(f"{node.func.id} takes no arguments")
        return SINGLETONS[node.func.id]
    if isinstance(node.func, ast.Name) and node.func.id in CONSTRUCTORS:
        return _call(CONSTRUCTORS[node.func.id], args, keywords)
    if isinstance(node.func, ast.Call):  # Function('f')(z): an undefined function, applied
        function = _build(node.func, depth + 1)
        if not isinstance(function, sp.core.function.UndefinedFunction) or keywords:
            raise NotAnExpression("only a named function is applied")
        return _call(function, args, {})
    raise NotAnExpression("unknown constructor")


def _is_int(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def _refuse() -> Any:
    raise NotAnExpression("only an integer can be negated")


def _call(constructor: Any, args: list[Any], keywords: dict[str, bool]) -> Any:
    for arg in args:
        if not isinstance(arg, (str, int, sp.Basic)) or isinstance(arg, bool):
            raise NotAnExpression("unexpected argument")
    try:
        return constructor(*args, **keywords)
    except (TypeError, ValueError, AttributeError) as exc:
        raise NotAnExpression(str(exc)) from None
