"""base/decimals.py: the one writer of exact decimals, against its readers and the old writers'
outputs (TeX, data files and variant files print these strings)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solgen.base.decimals import exact_decimal, terminating_places
from solgen.course.generate import _decimal as toml_decimal


@pytest.mark.parametrize(
    ("value", "text", "places"),
    [
        (Fraction(-2, 5), "-0.4", 1),
        (Fraction(3), "3", 0),
        (Fraction(0), "0", 0),
        (Fraction(1, 16), "0.0625", 4),
        (Fraction(-7, 1000), "-0.007", 3),
        (Fraction(123456789, 100), "1234567.89", 2),
        (Fraction(1, 2**10), "0.0009765625", 10),
    ],
)
def test_a_terminating_fraction_is_written_exactly(value, text, places):
    assert (exact_decimal(value), terminating_places(value)) == (text, places)


@pytest.mark.parametrize("value", [Fraction(1, 3), Fraction(-5, 7), Fraction(1, 6)])
def test_a_decimal_that_does_not_end_is_refused(value):
    assert terminating_places(value) is None
    with pytest.raises(ValueError, match="has no terminating decimal form"):
        exact_decimal(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(7, 10), "0.7"),
        (Fraction(-2), "-2.0"),
        (Fraction(0), "0.0"),
        (Fraction(1, 8), "0.125"),
    ],
)
def test_a_variant_file_writes_a_toml_float(value, text):
    assert toml_decimal(value) == text


def test_a_variant_file_refuses_more_than_six_places():
    with pytest.raises(ValueError, match="has no short decimal form"):
        toml_decimal(Fraction(1, 10**7))


@given(st.integers(-(10**12), 10**12), st.integers(0, 12), st.integers(0, 12))
def test_the_written_decimal_reads_back_as_the_same_fraction(numerator, twos, fives):
    value = Fraction(numerator, 2**twos * 5**fives)
    text = exact_decimal(value)
    assert Fraction(text) == value
    assert not text.endswith(".") and (text == "0" or "." not in text or not text.endswith("0"))
