"""Read a number exactly as people write it: 0.131, -1.2e-3, 1/6, (15 - sqrt(5))/110, 3√13/2.

A small recursive-descent parser that builds SymPy numbers itself. Nothing is ever evaluated
as code (no eval, no sympify): a student's answer, a key's exact form and an instructor's
policy all go through here. Intervals such as (0, 1/6) are read by parse_interval.

Every step has a cost bound before it computes: the text's length, the nesting, each decimal's
value, each exponent, and the size of every intermediate result. The parser carries an upper
bound of the bits of the numerators and denominators of each subexpression and refuses an
operation whose result could need more than MAX_BITS, before computing it; so
(((((((9^12)^12)^12)^12)^12)^12)^12)^12 (12^8 x 3.17 bits) is refused at once instead of
running for minutes. Intervals are split in linear time (no backtracking pattern).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import sympy as sp

from solgen.base.errors import UnreadableInput

MAX_LENGTH = 200
MAX_DEPTH = 20
MAX_EXPONENT = 12  # 10^12 at most: 2^(2^99) must not hang the grader
MAX_DIGITS = 60
# A decimal is read when its value's order of magnitude (1.55e-99: -99; 123.456e2: 4) lies in
# this range: beyond float64's (about 1e-324 to 1e308) at the small end, so that every float a
# program prints is read, and 1e100 at the large end, far beyond any answer.
MIN_MAGNITUDE = -400
MAX_MAGNITUDE = 100
# The most bits any numerator or denominator of a cell may need, at every step: a decimal at the
# bounds needs at most 1,526 (60 digits at 1e-400), three such multiplied 4,578 is too many, and
# a product of numbers this size is cheap.
MAX_BITS = 4096

_TOO_BIG = f"a power, product or sum of more than {MAX_BITS} bits"
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>sqrt|√)|(?P<op>\*\*|[-+*/^(),]))"
)
_DASHES = str.maketrans({"−": "-", "–": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/"})


class NumberError(ValueError, UnreadableInput):
    """The text is not a number this parser reads; the message says why, in a few words."""


@dataclass(frozen=True)
class Interval:
    """An interval read from (a, b), [a, b), (a, b] or [a, b]."""

    low: sp.Expr
    high: sp.Expr
    low_closed: bool
    high_closed: bool


class _Num(NamedTuple):
    """A value read so far, and an upper bound of the bits of its rational parts: for p/q,
    max(bits of p, bits of q); sums, products and powers bound it by the rules in _Parser."""

    value: Any
    bits: int


def _bits(value: sp.Rational) -> int:
    return max(1, abs(int(value.p)).bit_length(), int(value.q).bit_length())


def _bounded(bits: int) -> int:
    """bits, or NumberError when a result of that size must not be computed."""
    if bits > MAX_BITS:
        raise NumberError(_TOO_BIG)
    return bits


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
    atom := number | sqrt '(' expr ')' | √ atom | '(' expr ')'.

    Each rule returns the value with a bound of its bits (_Num), checked before computing:
    a ± b <= bits(a) + bits(b) + 1; a * b, a / b <= bits(a) + bits(b); a^n <= |n| bits(a);
    sqrt(a) <= 2 bits(a) + 1 (sqrt(p/q) = sqrt(pq)/q)."""

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

    def expr(self) -> _Num:
        value = self.term()
        while self.peek() in ("+", "-"):
            sign = self.take()[1]
            right = self.term()
            bits = _bounded(value.bits + right.bits + 1)
            total = value.value + right.value if sign == "+" else value.value - right.value
            value = _Num(total, bits)
        return value

    def term(self) -> _Num:
        value = self.unary()
        while True:
            if self.peek() in ("*", "/"):
                op = self.take()[1]
                right = self.unary()
                if op == "/" and right.value == 0:
                    raise NumberError("division by zero")
                bits = _bounded(value.bits + right.bits)
                product = value.value * right.value if op == "*" else value.value / right.value
                value = _Num(product, bits)
            elif (self.at < len(self.tokens) and self.tokens[self.at][0] == "name") or (
                self.peek() == "("
            ):
                right = self.power()  # 3 sqrt(13), 3√13, 2(1 + sqrt(2))
                value = _Num(value.value * right.value, _bounded(value.bits + right.bits))
            else:
                return value

    def unary(self) -> _Num:
        if self.peek() in ("+", "-"):
            sign = self.take()[1]
            self.nested()
            value = self.unary()
            self.depth -= 1
            return _Num(-value.value, value.bits) if sign == "-" else value
        return self.power()

    def power(self) -> _Num:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            exponent = self.unary().value
            if not (exponent.is_Integer and abs(int(exponent)) <= MAX_EXPONENT):
                raise NumberError(f"only whole exponents up to {MAX_EXPONENT} are read")
            if base.value == 0 and exponent < 0:
                raise NumberError("division by zero")
            bits = _bounded(max(1, abs(int(exponent))) * base.bits)
            return _Num(base.value**exponent, bits)
        return base

    def atom(self) -> _Num:
        kind, text = self.take()
        if kind == "number":
            value = _decimal(text)
            return _Num(value, _bits(value))
        if kind == "name":
            self.nested()
            if text == "sqrt":
                self.take("(")
                inner = self.expr()
                self.take(")")
            else:
                inner = self.atom()
            self.depth -= 1
            bits = _bounded(2 * inner.bits + 1)
            if inner.value.is_negative:
                raise NumberError("square root of a negative number")
            return _Num(sp.sqrt(inner.value), bits)
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
    value = parser.expr().value
    if parser.at != len(parser.tokens):
        raise NumberError(f"unexpected {parser.peek()!r}")
    if not value.is_real:
        raise NumberError("not a real number")
    return sp.nsimplify(value) if value.is_Float else value


# The middle of a < eta < b. Searched, not matched with groups around it: .*? and \s* side by
# side backtracked cubically in the length of a run of spaces; this pattern is linear in the text.
_CHAIN = re.compile(r"(<=?|≤)\s*(?:eta|η|\\eta)\s*(<=?|≤)")


def parse_interval(text: str) -> Interval | None:
    """(a, b), [a, b), ... or a < eta < b; None when text is not written as an interval.

    Text longer than MAX_LENGTH is not looked at (None: parse_number refuses it)."""
    text = text.strip()
    if len(text) > MAX_LENGTH:
        return None
    inner = text[1:-1]
    if len(text) >= 2 and text[0] in "([" and text[-1] in ")]" and inner.count(",") == 1:
        low, high = inner.split(",")
        return Interval(parse_number(low), parse_number(high), text[0] == "[", text[-1] == "]")
    chain = _CHAIN.search(text)
    if chain is not None:
        low, high = text[: chain.start()].strip(), text[chain.end() :].strip()
        if "\n" not in low and "\n" not in high:  # each end on one line, as before
            return Interval(
                parse_number(low), parse_number(high), chain.group(1) != "<", chain.group(2) != "<"
            )
    return None
