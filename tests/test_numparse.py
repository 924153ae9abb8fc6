"""numparse.py: numbers and intervals read exactly, nothing evaluated as code."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from solgen.numparse import Interval, NumberError, parse_interval, parse_number

S = sp.sqrt


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.131", sp.Rational(131, 1000)),
        ("-1.2e-3", sp.Rational(-3, 2500)),
        ("1E3", sp.Integer(1000)),
        (".5", sp.Rational(1, 2)),
        ("7.", sp.Integer(7)),
        ("1/6", sp.Rational(1, 6)),
        ("−0.5", sp.Rational(-1, 2)),  # a typographic minus
        ("(15 - sqrt(5))/110", (15 - S(5)) / 110),
        ("(5-√13)/18", (5 - S(13)) / 18),
        ("3√13/2", 3 * S(13) / 2),
        ("3 sqrt(13) / 2", 3 * S(13) / 2),
        ("2(1 + sqrt(2))", 2 + 2 * S(2)),
        ("2^3", sp.Integer(8)),
        ("2**-2", sp.Rational(1, 4)),
        ("-(-3)", sp.Integer(3)),
        ("sqrt(8)", 2 * S(2)),
        ("1 / (7 + sqrt(5))", 1 / (7 + S(5))),
        ("  42  ", sp.Integer(42)),
        ("0.1 + 0.2", sp.Rational(3, 10)),  # exact: no binary float
    ],
)
def test_numbers_are_read_exactly(text, value):
    assert sp.simplify(parse_number(text) - value) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("abc", "unexpected 'abc'"),
        ("1/0", "division by zero"),
        ("0^-1", "division by zero"),
        ("sqrt(-1)", "square root of a negative number"),
        ("2**99", "only whole exponents up to 12 are read"),
        ("2^0.5", "only whole exponents up to 12 are read"),
        ("1e101", "an exponent beyond 1e100"),
        ("1" * 61, "more than 60 digits"),
        ("(" * 25 + "1" + ")" * 25, "nested too deeply"),
        ("-" * 30 + "1", "nested too deeply"),
        ("1 2", "unexpected '2'"),
        ("(1", "missing ')'"),
        ("1+", "ends too soon"),
        ("__import__('os').system('true')", 'unexpected "__import__(\'"'),
        ("x" * 201, "more than 200 characters"),
    ],
)
def test_what_is_not_a_number_is_refused(text, message):
    with pytest.raises(NumberError) as info:
        parse_number(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("(0, 1/6)", Interval(sp.Integer(0), sp.Rational(1, 6), False, False)),
        ("[0, 0.167]", Interval(sp.Integer(0), sp.Rational(167, 1000), True, True)),
        ("(0, 1/6]", Interval(sp.Integer(0), sp.Rational(1, 6), False, True)),
        ("0 < eta < 1/6", Interval(sp.Integer(0), sp.Rational(1, 6), False, False)),
        ("0 <= η < 1/6", Interval(sp.Integer(0), sp.Rational(1, 6), True, False)),
        ("0.2", None),
        ("1/6", None),
    ],
)
def test_intervals(text, interval):
    assert parse_interval(text) == interval


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789.eE+-*/^()√sqrt ,<=η[]abc_'", max_size=40))
def test_any_text_is_a_number_or_a_number_error(text):
    try:
        value = parse_number(text)
    except NumberError:
        return
    assert value.is_real and value.is_number
