"""problems/marking.py: a student's cell read exactly as they write it, or flagged."""

from __future__ import annotations

import pytest
import sympy as sp

from solgen.problems.marking import read_number
from solgen.problems.problem import Unreadable


@pytest.mark.parametrize(
    ("text", "integer", "value"),
    [
        ("L = 1.158", False, sp.Rational(579, 500)),
        ("eta_max: 1/6", False, sp.Rational(1, 6)),
        ("dL/dW1[1,2] = -0.04", False, sp.Rational(-1, 25)),
        ("1068 params", True, sp.Integer(1068)),
        ("15,296 parameters", True, sp.Integer(15296)),
        ("15 296 learnable parameters", True, sp.Integer(15296)),
        ("0,131", False, sp.Rational(131, 1000)),
        ("56.320", False, sp.Rational(1408, 25)),  # a decimal where a decimal is expected
        ("-0.5", False, sp.Rational(-1, 2)),
    ],
)
def test_a_number_is_read_as_students_write_it(text, integer, value):
    assert read_number(text, integer) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "56.320",
            "'56.320' is ambiguous for a count: 56320 with a dot between the thousands, or the "
            "decimal 56.320? Write 56320",
        ),
        (
            "1.234.567",
            "'1.234.567' is ambiguous for a count: 1234567 with a dot between the thousands, or "
            "the decimal 1.234.567? Write 1234567",
        ),
    ],
)
def test_a_count_with_dots_for_thousands_is_flagged_not_guessed(text, message):
    with pytest.raises(Unreadable) as caught:
        read_number(text, integer=True)
    assert str(caught.value) == message
