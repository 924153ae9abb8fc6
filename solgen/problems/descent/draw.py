"""The descent problem's random draw: a symmetric positive definite 2x2 integer matrix with
integer or clean-surd eigenvalues and a readable condition number."""

from __future__ import annotations

from math import isqrt

from solgen.base.stream import Stream, draw_label

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
# +-1..MAX_OFF_DIAGONAL: about 1,200 matrices, so that a class rarely needs to draw again.
MAX_DIAGONAL = 15
MAX_OFF_DIAGONAL = 8
MAX_SURD = 30  # eigenvalues (a + c +- k sqrt(m)) / 2 with a square-free m of at most this
MAX_CONDITION = 30  # lambda_max / lambda_min: the descent figure stays readable


def draw(seed: int, attempt: int = 0, section: str = "problem2") -> dict[str, object]:
    """A symmetric positive definite 2x2 integer matrix with integer or clean-surd eigenvalues."""
    stream = Stream(seed, draw_label(section, attempt))
    for _ in range(MAX_ATTEMPTS):
        a, c = stream.integer(1, MAX_DIAGONAL), stream.integer(1, MAX_DIAGONAL)
        b = stream.integer(1, MAX_OFF_DIAGONAL) * stream.choice([-1, 1])
        if a * c <= b * b:
            continue  # not positive definite
        disc = (a - c) ** 2 + 4 * b * b  # eigenvalues ((a + c) +- sqrt(disc)) / 2
        _, surd = _square_part(disc)
        if surd != 1 and surd > MAX_SURD:
            continue
        # lambda_max / lambda_min <= C  <=>  (1 - C) (a + c) + (1 + C) sqrt(disc) <= 0
        s = a + c
        if (MAX_CONDITION + 1) ** 2 * disc > (MAX_CONDITION - 1) ** 2 * s * s:
            continue
        return {"A": [[a, b], [b, c]]}
    raise AssertionError("no nice matrix found")  # pragma: no cover - the search space is rich
