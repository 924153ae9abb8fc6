"""The descent problem's random draw: a symmetric positive definite 2x2 integer matrix with
integer or clean-surd eigenvalues and a readable condition number."""

from __future__ import annotations

from collections.abc import Iterator
from math import isqrt

from solgen.base.stream import Stream

MAX_ATTEMPTS = 10_000


def _square_part(n: int) -> tuple[int, int]:
    """n = k^2 m with m square-free: (k, m)."""
    k, m = 1, n
    for p in range(2, isqrt(n) + 1):
        while m % (p * p) == 0:
            m //= p * p
            k *= p
    return k, m


# Problem 2 draws a = A11 and c = A22 from 1..MAX_DIAGONAL and b = A12 = A21 from
# +-1..MAX_OFF_DIAGONAL, keeping the nice ones (is_nice): 102,966 matrices, drawn uniformly,
# so that a class of 300 expects 0.44 pairs sharing one (C(300, 2) / 102,966), and a variant
# depends on its seed alone (never on a classmate's draw).
MAX_DIAGONAL = 99
MAX_OFF_DIAGONAL = 50
MAX_SURD = 30  # eigenvalues (a + c +- k sqrt(m)) / 2 with a square-free m of at most this
MAX_CONDITION = 30  # lambda_max / lambda_min: the descent figure stays readable


def is_nice(a: int, b: int, c: int) -> bool:
    """Whether [[a, b], [b, c]] is positive definite with integer or clean-surd eigenvalues and
    a condition number of at most MAX_CONDITION."""
    if a * c <= b * b:
        return False  # not positive definite
    disc = (a - c) ** 2 + 4 * b * b  # eigenvalues ((a + c) +- sqrt(disc)) / 2
    _, surd = _square_part(disc)
    if surd != 1 and surd > MAX_SURD:
        return False
    # lambda_max / lambda_min <= C  <=>  (1 - C) (a + c) + (1 + C) sqrt(disc) <= 0
    s = a + c
    return (MAX_CONDITION + 1) ** 2 * disc <= (MAX_CONDITION - 1) ** 2 * s * s


def space() -> Iterator[tuple[int, int, int]]:
    """Every (a, b, c) a draw can give, each equally likely."""
    for a in range(1, MAX_DIAGONAL + 1):
        for c in range(1, MAX_DIAGONAL + 1):
            for size in range(1, MAX_OFF_DIAGONAL + 1):
                for b in (size, -size):
                    if is_nice(a, b, c):
                        yield a, b, c


def draw(seed: int, section: str = "problem2") -> dict[str, object]:
    """A symmetric positive definite 2x2 integer matrix with integer or clean-surd eigenvalues,
    uniform over space()."""
    stream = Stream(seed, section)
    for _ in range(MAX_ATTEMPTS):
        a, c = stream.integer(1, MAX_DIAGONAL), stream.integer(1, MAX_DIAGONAL)
        b = stream.integer(1, MAX_OFF_DIAGONAL) * stream.choice([-1, 1])
        if is_nice(a, b, c):
            return {"A": [[a, b], [b, c]]}
    raise AssertionError("no nice matrix found")  # pragma: no cover - about 1 draw in 10 is
