"""Coordinates for TikZ and pgfplots, as text: four significant digits, never 1e-05 notation.

May import: the standard library and solgen.markup.latex.
"""

from __future__ import annotations

from collections.abc import Sequence

from solgen.markup.latex import Tex


def cm(value: float) -> str:
    """A coordinate for TikZ/pgfplots: four significant digits, never 1e-05 notation."""
    text = f"{value:.4g}"
    return fixed(value, 6) if "e" in text else text  # -1e-17 from rounding: 0, not -0.000000


def coords(points: Sequence[tuple[float, float]]) -> Tex:
    return Tex(" ".join(f"({cm(x)},{cm(y)})" for x, y in points))


def fixed(value: float, decimals: int) -> str:
    """value with at most this many decimals: 0.123456789 -> 0.123, 1.000 -> 1, -0.0001 -> 0."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
