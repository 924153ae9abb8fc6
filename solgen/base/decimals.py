"""Exact decimals: the one writer of a terminating fraction as a decimal (0.4, -2, 0.0625),
for TeX, the data files and variant files alike.

May import: the standard library only.
"""

from __future__ import annotations

from fractions import Fraction


def terminating_places(value: Fraction) -> int | None:
    """Decimal places of an exact fraction, or None if its decimal expansion does not end:
    2^a 5^b in the denominator needs max(a, b) places."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    return max(twos, fives) if den == 1 else None


def exact_decimal(value: Fraction | int) -> str:
    """The shortest fixed-point decimal equal to value: -2/5 -> '-0.4', 3 -> '3', 1/16 ->
    '0.0625'; ValueError when the decimal does not end (1/3)."""
    value = Fraction(value)
    places = terminating_places(value)
    if places is None:
        raise ValueError(f"{value} has no terminating decimal form")
    digits = str(abs(value.numerator) * 10**places // value.denominator).rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return f"-{text}" if value < 0 else text
