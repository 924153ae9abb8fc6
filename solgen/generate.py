"""Random, well-posed variants: the same seed gives the same file, byte for byte, anywhere."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from math import isqrt
from operator import mul

from solgen.errors import InvalidInput, SolgenError
from solgen.messages import shown
from solgen.problems.p3_design import designs
from solgen.tomlinput import parse_set, parse_toml
from solgen.variant import Layer, Problem3Input, default_text

GRID = Fraction(1, 10)  # problem 1's values lie on a 0.1 grid in [-1, 1]
MIN_LOSS = Fraction(1, 20)  # a loss below this looks like a trick question
MAX_ATTEMPTS = 10_000
# When no hidden unit is found for the first X (two equal samples have none, nor have the
# samples 0.9 and 1.0 of a single input), X is drawn again, from the streams "problem1/X1",
# "problem1/X2", ...; the last of these is made to have a unit (see _one_input_unit).
MAX_X_REDRAWS = 64


class Stream:
    """Deterministic pseudo-random integers from SHA-256 of (seed, label, counter).

    Unlike random.Random, the numbers depend on nothing but the seed: not on the Python
    version, the platform, or hash randomisation.
    """

    def __init__(self, seed: int, label: str) -> None:
        self._key = f"solgen:{seed}:{label}"
        self._count = 0

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high]."""
        self._count += 1
        digest = hashlib.sha256(f"{self._key}:{self._count}".encode()).digest()
        return low + int.from_bytes(digest[:16], "big") % (high - low + 1)

    def choice(self, items: Sequence[int]) -> int:
        """One of the items."""
        return items[self.integer(0, len(items) - 1)]


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


def problem1(seed: int, shape: Shape, attempt: int = 0) -> dict[str, object]:
    """A ReLU network whose every hidden unit is active for some samples and not for others.

    Well posed (see is_well_posed): on the 0.1 grid in [-1, 1], no pre-activation exactly 0,
    every hidden unit positive for some samples and negative for others, a loss of at least
    1/20. Every shape with at least 2 samples has one, and this finds one in a bounded number
    of draws: the first X, then up to MAX_X_REDRAWS others (the last made to have a unit).
    """
    if shape.samples < 2:
        raise InvalidInput(["--samples: at least 2 samples are needed for a mixed ReLU mask"])
    label = _label("problem1", attempt)
    stream = Stream(seed, label)
    X = _draw_X(stream, shape)
    try:
        return _network(stream, X, shape.hidden, None)
    except _NoUnit:
        pass  # no unit for this X (two equal samples, say): draw X again, from new streams
    for redraw in range(1, MAX_X_REDRAWS + 1):
        stream = Stream(seed, f"{label}/X{redraw}")
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


def _square_part(n: int) -> tuple[int, int]:
    """n = k^2 m with m square-free: (k, m)."""
    k, m = 1, n
    for p in range(2, isqrt(n) + 1):
        while m % (p * p) == 0:
            m //= p * p
            k *= p
    return k, m


def _label(problem: str, attempt: int) -> str:
    """The stream label of a problem's draw; attempt > 0 draws again (a classmate has it)."""
    return problem if attempt == 0 else f"{problem}/{attempt}"


# Problem 2 draws a = A11 and c = A22 from 1..MAX_DIAGONAL and b = A12 = A21 from
# +-1..MAX_OFF_DIAGONAL: about 1,200 matrices, so that a class rarely needs to draw again.
MAX_DIAGONAL = 15
MAX_OFF_DIAGONAL = 8
MAX_SURD = 30  # eigenvalues (a + c +- k sqrt(m)) / 2 with a square-free m of at most this
MAX_CONDITION = 30  # lambda_max / lambda_min: the descent figure stays readable


def problem2(seed: int, attempt: int = 0) -> dict[str, object]:
    """A symmetric positive definite 2x2 integer matrix with integer or clean-surd eigenvalues."""
    stream = Stream(seed, _label("problem2", attempt))
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


# Problem 3's set-ups: about 8,500 reachable (input, target, kernels) combinations.
INPUT_SIDES = tuple(range(20, 66, 2))
INPUT_CHANNELS = (1, 3)
TARGET_SIDES = (2, 3, 4, 5, 6, 7)
TARGET_CHANNELS = (8, 16, 24, 32, 48, 64, 96, 128)
KERNEL_SETS = ((3, 5, 7), (3, 5), (2, 3, 5), (3, 5, 7, 9))


def problem3(seed: int, attempt: int = 0) -> dict[str, object]:
    """An input and a reachable target, with the layers of the best design."""
    stream = Stream(seed, _label("problem3", attempt))
    for _ in range(MAX_ATTEMPTS):
        side = stream.choice(INPUT_SIDES)
        channels = stream.choice(INPUT_CHANNELS)
        target_side = stream.choice(TARGET_SIDES)
        target_channels = stream.choice(TARGET_CHANNELS)
        kernels = KERNEL_SETS[stream.integer(0, len(KERNEL_SETS) - 1)]
        inp = Problem3Input(
            input=(side, side, channels),
            target=(target_side, target_side, target_channels),
            kernel_sizes=kernels,
            layers=None,
            filters=None,
        )
        try:
            best = designs(inp)[0]
        except InvalidInput:
            continue  # unreachable: draw again
        return {
            "input": list(inp.input),
            "target": list(inp.target),
            "kernel_sizes": list(kernels),
            "layers": list(best.layers()),
        }
    raise AssertionError("no reachable target found")  # pragma: no cover


@dataclass(frozen=True)
class Draws:
    """Which draw of each problem a variant takes (0: the first; more when a classmate had it)."""

    problem1: int = 0
    problem2: int = 0
    problem3: int = 0


MAX_REDRAWS = 64  # a class larger than a problem's space shares some of its values


def _identity(problem: dict[str, object], names: tuple[str, ...]) -> str:
    """What makes two draws of a problem the same for a student (its data, not its answers)."""
    return repr([problem[name] for name in names])


def class_draws(seeds: Sequence[int], shape: Shape | None = None) -> list[Draws]:
    """Draws for each seed, in the given order, so that no two share a problem's data.

    The first seed keeps its first draws; a later seed whose draw of a problem an earlier one
    already has draws that problem again, up to MAX_REDRAWS times (then the space is spent
    and it keeps the last draw: the class report counts such repeats).
    """
    size = shape or Shape()

    def network(seed: int, attempt: int) -> dict[str, object]:
        return problem1(seed, size, attempt)

    drawers = (
        (network, ("X", "t", "W1", "b1", "w2", "b2")),
        (problem2, ("A",)),
        (problem3, ("input", "target", "kernel_sizes")),
    )
    taken: list[set[str]] = [set(), set(), set()]
    result = []
    for seed in seeds:
        attempts = []
        for number, (draw, names) in enumerate(drawers):
            for attempt in range(MAX_REDRAWS):
                identity = _identity(draw(seed, attempt), names)
                if identity not in taken[number]:
                    break
            taken[number].add(identity)
            attempts.append(attempt)
        result.append(Draws(*attempts))
    return result


def practice_meta(seed: int) -> dict[str, str]:
    """A practice variant's header: the default title and 'Variant N' (never a command)."""
    title = parse_toml(default_text(), "default variant")["meta"]["title"]
    return {"title": title, "author": f"Variant {seed}", "date": "", "student_id": ""}


def variant(
    seed: int,
    shape: Shape | None = None,
    draws: Draws = Draws(),
    meta: dict[str, str] | None = None,
) -> dict[str, dict[str, object]]:
    """A complete random variant (every field present) for one seed."""
    return {
        "meta": dict(meta if meta is not None else practice_meta(seed)),
        "problem1": problem1(seed, shape or Shape(), draws.problem1),
        "problem2": problem2(seed, draws.problem2),
        "problem3": problem3(seed, draws.problem3),
    }


def _value(value: object) -> str:
    """One TOML value: exact decimals, integers, strings, lists, layer and inline tables."""
    if isinstance(value, bool):
        raise TypeError("no booleans in a variant")
    if isinstance(value, Fraction):
        return _decimal(value)
    if isinstance(value, Decimal):  # from --set: as TOML writes it, exactly
        return shown(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, Layer):
        if value.kind == "pool":
            return "{ pool = 2 }"
        return f"{{ conv = {value.kernel}, filters = {value.filters} }}"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)} = {_value(v)}" for k, v in value.items()
        )
        return "{ " + ", ".join(items) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _decimal(value: Fraction) -> str:
    """A terminating fraction as a decimal string: 7/10 -> '0.7', -2 -> '-2.0'."""
    scaled = value * 10**6
    if scaled.denominator != 1:
        raise ValueError(f"{value} has no short decimal form")
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(scaled.numerator), 10**6)
    digits = str(part).rjust(6, "0").rstrip("0") or "0"
    return f"{sign}{whole}.{digits}"


def to_toml(data: dict[str, dict[str, object]], comment: str) -> str:
    """The variant as a TOML file under a comment line, one field a line, layers one a line."""
    lines = [f"# {comment}"]
    for section, fields in data.items():
        lines += ["", f"[{section}]"]
        for name, value in fields.items():
            if name == "layers" and isinstance(value, list):
                lines.append(f"{name} = [")
                lines += [f"    {_value(layer)}," for layer in value]
                lines.append("]")
            else:
                lines.append(f"{name} = {_value(value)}")
    return "\n".join(lines) + "\n"


def variant_text(seed: int, shape: Shape | None = None) -> str:
    """The TOML text of the random variant for one seed."""
    comment = f"solgen variant --seed {seed}: a random, well-posed variant of the assignment."
    return to_toml(variant(seed, shape), comment)


def apply_sets(data: dict[str, dict[str, object]], sets: Sequence[str]) -> None:
    """Apply --set SECTION.FIELD=VALUE overrides to a generated variant (validated later)."""
    for assignment in sets:
        section, name, value = parse_set(assignment)
        if section not in data:
            raise InvalidInput([f"--set {section}.{name}: unknown section {section!r}"])
        data[section][name] = value


def student_variant_text(
    seed: int,
    student_id: str,
    name: str,
    draws: Draws = Draws(),
    shape: Shape | None = None,
    sets: Sequence[str] = (),
) -> str:
    """The TOML text of one student's variant: their name and id, never their seed."""
    meta = practice_meta(seed) | {"author": name, "student_id": student_id}
    data = variant(seed, shape, draws, meta)
    apply_sets(data, sets)
    return to_toml(data, f"The variant of student {student_id}, drawn from the course key.")
