"""The network problem's random draw: a ReLU network on a 0.1 grid whose every hidden unit is
active for some samples and not for others, with a loss worth computing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from operator import mul

from solgen.base.errors import InvalidInput, SolgenError
from solgen.base.stream import Stream

GRID = Fraction(1, 10)  # problem 1's values lie on a 0.1 grid in [-1, 1]
MIN_LOSS = Fraction(1, 20)  # a loss below this looks like a trick question
MAX_ATTEMPTS = 10_000
# When no hidden unit is found for the first X (two equal samples have none, nor have the
# samples 0.9 and 1.0 of a single input), X is drawn again, from the streams "problem1/X1",
# "problem1/X2", ...; the last of these is made to have a unit (see _one_input_unit).
MAX_X_REDRAWS = 64


@dataclass(frozen=True)
class Shape:
    """Problem 1's sizes: N samples, d inputs, h hidden units."""

    samples: int = 3
    inputs: int = 4
    hidden: int = 2


# Problem 1 works in integers: tenths for X, t, W1, b1, w2, b2; Z times 100; y times 1000.


def _mixed(column: Sequence[int]) -> bool:
    """A well-posed unit's pre-activations: none exactly 0, some positive, some negative."""
    return all(column) and max(column) > 0 > min(column)


def _loss(y: Sequence[int], t: Sequence[int]) -> Fraction:
    """The loss of outputs y (times 1000) against targets t (in tenths)."""
    errors = (Fraction(yk, 1000) - Fraction(tk, 10) for yk, tk in zip(y, t, strict=True))
    return sum((e * e for e in errors), Fraction(0)) / 2


def _preactivations(X: Sequence[Sequence[int]], row: Sequence[int], bias: int) -> list[int]:
    """A unit's column of Z (times 100): z_k = x_k . row + b, in tenths."""
    return [sum(map(mul, xs, row)) + 10 * bias for xs in X]


def _one_input_unit(X: Sequence[Sequence[int]]) -> tuple[list[int], int] | None:
    """The first unit that reads one input i alone and splits the samples, or None if none does.

    With weight w (1..10 tenths) on input i and bias b (-10..10 tenths), z_k * 100 =
    w x_ki + 10 b (x_ki in tenths) is 0 only at x_ki = -10 b / w. A threshold strictly between
    two neighbouring distinct values of input i is no sample's value and has samples on both
    sides: the unit is well posed. An input whose values include -0.5 and 0.5 always has one:
    two neighbouring values 0.2 or more apart have a tenth between them (w = 10, b = minus
    it), and if no two are, every tenth from -0.5 to 0.5 is there, 0.3 and 0.4 among them,
    with 1/3 between (w = 3, b = -1).
    """
    for i in range(len(X[0])):
        values = sorted({xs[i] for xs in X})
        for low, high in pairwise(values):
            for w in range(1, 11):
                for b in range(-10, 11):
                    if low * w < -10 * b < high * w:
                        row = [0] * len(X[0])
                        row[i] = w
                        return row, b
    return None


class _NoUnit(SolgenError):
    """No hidden unit was found for this X (and no fallback unit was given)."""


def _network(
    stream: Stream,
    X: list[list[int]],
    hidden: int,
    fallback: tuple[list[int], int] | None,
) -> dict[str, object]:
    """t, W1, b1, w2, b2 from the stream for a drawn X (in tenths); _NoUnit if none is found.

    Each hidden unit is drawn up to MAX_ATTEMPTS times; when none is well posed it is the
    fallback unit, if there is one (the redrawn X's), else _NoUnit.
    """
    N, d = len(X), len(X[0])
    t = [stream.integer(-10, 10) for _ in range(N)]
    W1: list[list[int]] = []
    b1: list[int] = []
    columns: list[list[int]] = []  # of Z, times 100
    # Pure Python on purpose: a batch rerun regenerates variants and must not import NumPy.
    for _ in range(hidden):  # each hidden unit on its own: its column of Z depends on it alone
        for _ in range(MAX_ATTEMPTS):
            row = [stream.integer(-10, 10) for _ in range(d)]
            bias = stream.integer(-10, 10)
            column = _preactivations(X, row, bias)
            if _mixed(column):
                break
        else:
            if fallback is None:
                raise _NoUnit
            row, bias = list(fallback[0]), fallback[1]
            column = _preactivations(X, row, bias)
        W1.append(row)
        b1.append(bias)
        columns.append(column)
    # The rows of H (times 100): ReLU of the accepted columns
    hidden_rows = [[max(z, 0) for z in zs] for zs in zip(*columns, strict=True)]

    def outputs(w2: list[int], b2: int) -> list[int]:
        # y_k * 1000 = sum_j w_j*10 * max(z_kj*100, 0) + b2*10 * 100
        return [sum(map(mul, w2, hs)) + 100 * b2 for hs in hidden_rows]

    for _ in range(MAX_ATTEMPTS):
        w2 = [stream.choice([v for v in range(-10, 11) if v]) for _ in range(hidden)]
        b2 = stream.integer(-10, 10)
        if _loss(outputs(w2, b2), t) >= MIN_LOSS:
            break
    else:
        # Never needed so far: a loss below 1/20 needs |y_1 - t_1| < sqrt(1/10) < 0.32, and
        # b2's 21 values put y_1 - t_1 on 21 points 0.1 apart, at most 7 of them in that
        # interval: the other 14 give a loss of at least 1/20 (with the last w2 drawn).
        b2 = next(b for b in range(-10, 11) if _loss(outputs(w2, b), t) >= MIN_LOSS)

    def tenths(values: list[int]) -> list[Fraction]:
        return [v * GRID for v in values]

    return {
        "X": [tenths(xs) for xs in X],
        "t": tenths(t),
        "W1": [tenths(row) for row in W1],
        "b1": tenths(b1),
        "w2": tenths(w2),
        "b2": b2 * GRID,
        "activation": "relu",
    }


def _draw_X(stream: Stream, shape: Shape) -> list[list[int]]:
    """X in tenths, row by row: the stream's first N x d draws."""
    return [[stream.integer(-10, 10) for _ in range(shape.inputs)] for _ in range(shape.samples)]


def draw(seed: int, shape: Shape, section: str = "problem1") -> dict[str, object]:
    """A ReLU network whose every hidden unit is active for some samples and not for others.

    Well posed (see is_well_posed): on the 0.1 grid in [-1, 1], no pre-activation exactly 0,
    every hidden unit positive for some samples and negative for others, a loss of at least
    1/20. Every shape with at least 2 samples has one, and this finds one in a bounded number
    of draws: the first X, then up to MAX_X_REDRAWS others (the last made to have a unit).
    """
    if shape.samples < 2:
        raise InvalidInput(["--samples: at least 2 samples are needed for a mixed ReLU mask"])
    stream = Stream(seed, section)
    X = _draw_X(stream, shape)
    try:
        return _network(stream, X, shape.hidden, None)
    except _NoUnit:
        pass  # no unit for this X (two equal samples, say): draw X again, from new streams
    for redraw in range(1, MAX_X_REDRAWS + 1):
        stream = Stream(seed, f"{section}/X{redraw}")
        X = _draw_X(stream, shape)
        unit = _one_input_unit(X)
        if unit is None and redraw == MAX_X_REDRAWS:
            X[0][0], X[1][0] = -5, 5  # now input 1 has a unit (see _one_input_unit)
            unit = _one_input_unit(X)
        if unit is not None:
            return _network(stream, X, shape.hidden, unit)
    raise AssertionError("the last redraw of X has a unit")  # pragma: no cover


def is_well_posed(network: dict[str, object]) -> bool:
    """Whether a generated problem 1 is well posed, by the generator's own tests."""

    def ints(values: object) -> list[int]:
        if not isinstance(values, list):
            raise ValueError("not a list")
        scaled = [Fraction(v) * 10 for v in values]
        if any(v.denominator != 1 or abs(v) > 10 for v in scaled):
            raise ValueError("off the 0.1 grid in [-1, 1]")
        return [int(v) for v in scaled]

    def rows(values: object) -> list[list[int]]:
        if not isinstance(values, list):
            raise ValueError("not a list")
        return [ints(row) for row in values]

    try:
        X, W1 = rows(network["X"]), rows(network["W1"])
        t, b1, w2 = ints(network["t"]), ints(network["b1"]), ints(network["w2"])
        (b2,) = ints([network["b2"]])
    except ValueError:
        return False
    columns = [_preactivations(X, row, bias) for row, bias in zip(W1, b1, strict=True)]
    if not all(map(_mixed, columns)):
        return False
    y = [
        sum(w * max(z, 0) for w, z in zip(w2, zs, strict=True)) + 100 * b2
        for zs in zip(*columns, strict=True)
    ]
    return network["activation"] == "relu" and _loss(y, t) >= MIN_LOSS
