"""Read a number exactly as people write it: 0.131, -1.2e-3, 1/6, (15 - sqrt(5))/110, 3√13/2.

A small recursive-descent parser that builds SymPy numbers itself. Nothing is ever evaluated
as code (no eval, no sympify): a student's answer, a key's exact form and an instructor's
policy all go through here. Intervals such as (0, 1/6) are read by parse_interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy as sp

MAX_LENGTH = 200
MAX_DEPTH = 20
MAX_EXPONENT = 12  # 10^12 at most: 2^(2^99) must not hang the grader
MAX_DIGITS = 60
# A decimal is read when its value's order of magnitude (1.55e-99: -99; 123.456e2: 4) lies in
# this range: beyond float64's (about 1e-324 to 1e308) at the small end, so that every float a
# program prints is read, and 1e100 at the large end, far beyond any answer.
MIN_MAGNITUDE = -400
MAX_MAGNITUDE = 100

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>sqrt|√)|(?P<op>\*\*|[-+*/^(),]))"
)
_DASHES = str.maketrans({"−": "-", "–": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/"})


class NumberError(ValueError):
    """The text is not a number this parser reads; the message says why, in a few words."""


@dataclass(frozen=True)
class Interval:
    """An interval read from (a, b), [a, b), (a, b] or [a, b]."""

    low: sp.Expr
    high: sp.Expr
    low_closed: bool
    high_closed: bool


def _tokens(text: str) -> list[tuple[str, str]]:
    text = text.translate(_DASHES).strip()
    if not text:
        raise NumberError("empty")
    if len(text) > MAX_LENGTH:
        raise NumberError(f"more than {MAX_LENGTH} characters")
    found, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            rest = text[position:].strip()
            if not rest:
                break
            raise NumberError(f"unexpected {rest[:12]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    """expr := term (('+'|'-') term)*; term := unary (('*'|'/') unary | implicit)*;
    unary := ('+'|'-') unary | power; power := atom (('^'|'**') unary)?;
    atom := number | sqrt '(' expr ')' | √ atom | '(' expr ')'."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.at, self.depth = tokens, 0, 0

    def peek(self) -> str:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise NumberError("ends too soon" if expected is None else f"missing {expected!r}")
        token = self.tokens[self.at]
        if expected is not None and token[1] != expected:
            raise NumberError(f"expected {expected!r}, found {token[1]!r}")
        self.at += 1
        return token

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise NumberError("nested too deeply")

    def expr(self) -> Any:
        value = self.term()
        while self.peek() in ("+", "-"):
            sign = self.take()[1]
            right = self.term()
            value = value + right if sign == "+" else value - right
        return value

    def term(self) -> Any:
        value = self.unary()
        while True:
            if self.peek() in ("*", "/"):
                op = self.take()[1]
                right = self.unary()
                if op == "/" and right == 0:
                    raise NumberError("division by zero")
                value = value * right if op == "*" else value / right
            elif self.at < len(self.tokens) and self.tokens[self.at][0] == "name":
                value = value * self.power()  # 3 sqrt(13), 3√13
            elif self.peek() == "(":
                value = value * self.power()  # 2(1 + sqrt(2))
            else:
                return value

    def unary(self) -> Any:
        if self.peek() in ("+", "-"):
            sign = self.take()[1]
            self.nested()
            value = self.unary()
            self.depth -= 1
            return -value if sign == "-" else value
        return self.power()

    def power(self) -> Any:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            exponent = self.unary()
            if not (exponent.is_Integer and abs(int(exponent)) <= MAX_EXPONENT):
                raise NumberError(f"only whole exponents up to {MAX_EXPONENT} are read")
            if base == 0 and exponent < 0:
                raise NumberError("division by zero")
            return base**exponent
        return base

    def atom(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return _decimal(text)
        if kind == "name":
            self.nested()
            if text == "sqrt":
                self.take("(")
                inner = self.expr()
                self.take(")")
            else:
                inner = self.atom()
            self.depth -= 1
            if inner.is_negative:
                raise NumberError("square root of a negative number")
            return sp.sqrt(inner)
        if text == "(":
            self.nested()
            inner = self.expr()
            self.take(")")
            self.depth -= 1
            return inner
        raise NumberError(f"unexpected {text!r}")


def _decimal(text: str) -> sp.Rational:
    """A decimal such as 0.131, 7., .5 or 6.919482633683688e-88, exactly.

    Its value is bounded, not the digits it is written with: the order of magnitude (the
    written exponent plus the position of the first nonzero digit) must lie within
    MIN_MAGNITUDE..MAX_MAGNITUDE, and at most MAX_DIGITS digits may follow the leading zeros,
    so that no decimal is expensive to read."""
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    written = whole + fraction
    digits = written.lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise NumberError(f"more than {MAX_DIGITS} digits")
    if not digits:
        return sp.Integer(0)  # 0, 0.000, 0e-999: zero whatever the exponent
    shift = int(exponent or "0")  # at most MAX_LENGTH digits: cheap to read, then bounded
    magnitude = shift + len(whole) - (len(written) - len(digits)) - 1
    if magnitude > MAX_MAGNITUDE:
        raise NumberError(f"an exponent beyond 1e{MAX_MAGNITUDE}")
    if magnitude < MIN_MAGNITUDE:
        raise NumberError(f"an exponent below 1e{MIN_MAGNITUDE}")
    power = shift - len(fraction)  # value = int(digits) * 10^power
    if power >= 0:
        return sp.Integer(int(digits) * 10**power)
    return sp.Rational(int(digits), 10**-power)


def parse_number(text: str) -> sp.Expr:
    """An exact real number (rational, or with square roots); NumberError if it is not one."""
    parser = _Parser(_tokens(text))
    value = parser.expr()
    if parser.at != len(parser.tokens):
        raise NumberError(f"unexpected {parser.peek()!r}")
    if not value.is_real:
        raise NumberError("not a real number")
    return sp.nsimplify(value) if value.is_Float else value


_INTERVAL = re.compile(r"^\s*([(\[])(.*),(.*)([)\]])\s*$", re.S)
_CHAIN = re.compile(r"^\s*(.*?)\s*(<=?|≤)\s*(?:eta|η|\\eta)\s*(<=?|≤)\s*(.*?)\s*$")


def parse_interval(text: str) -> Interval | None:
    """(a, b), [a, b), ... or a < eta < b; None when text is not written as an interval."""
    match = _INTERVAL.match(text)
    if match is not None and match.group(2).count(",") == 0 and "," not in match.group(3):
        return Interval(
            parse_number(match.group(2)),
            parse_number(match.group(3)),
            match.group(1) == "[",
            match.group(4) == "]",
        )
    chain = _CHAIN.match(text)
    if chain is not None:
        return Interval(
            parse_number(chain.group(1)),
            parse_number(chain.group(4)),
            chain.group(2) != "<",
            chain.group(3) != "<",
        )
    return None
