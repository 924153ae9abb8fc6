"""A variant: its dataclasses and limits; merged over the default and validated, every field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from solgen.charset import unsettable_characters
from solgen.errors import InvalidInput
from solgen.messages import describe, did_you_mean, plural, shown
from solgen.tomlinput import parse_set, parse_toml, read_variant_file

Matrix = tuple[tuple[Fraction, ...], ...]
Vector = tuple[Fraction, ...]

ACTIVATIONS = ("relu", "sigmoid", "tanh")
# Bigger numbers are not an exercise any more, and squares of them overflow float64 sooner or later.
MAX_MAGNITUDE = Decimal(10) ** 6
MAX_SIZE = 4096
MAX_PLACES = 30
MAX_TEXT = 500
# Problem 1's work is N*d*h products per pass, exact: rationals for ReLU, 50-digit numbers for
# sigmoid and tanh. Bounded so that every valid variant builds (--no-pdf) within about 30 s
# on a 2-core machine (make bench times the largest sigmoid network).
MAX_WORK = {"relu": 50_000_000, "sigmoid": 1_000_000, "tanh": 1_000_000}
# ... and N*h pre-activations, each evaluated exactly (the elementwise work dominates when d
# is small): 1000 x 200 x 250 ReLU builds in about 17 s, 250 x 40 x 100 sigmoid in 18 s.
MAX_UNITS = {"relu": 250_000, "sigmoid": 25_000, "tanh": 25_000}
MAX_GENERATED_NUMBERS = 400_000  # variant --samples/--inputs/--hidden: X and W1 together
# Drawing a network redraws a hidden unit until no pre-activation is exactly 0; with
# thousands of samples that takes many tries. At this bound a draw takes at most about 6 s.
MAX_GENERATED_WORK = 5_000_000

FIELDS: dict[str, tuple[str, ...]] = {
    "meta": ("title", "author", "date", "student_id"),
    "problem1": ("X", "t", "W1", "b1", "w2", "b2", "activation"),
    "problem2": ("A",),
    "problem3": ("input", "target", "kernel_sizes", "layers", "filters"),
}


@dataclass(frozen=True)
class Meta:
    """Free text shown in the document header."""

    title: str
    author: str
    date: str
    student_id: str = ""  # a class roster's id, shown under the name


@dataclass(frozen=True)
class Problem1Input:
    """The two-layer network y_k = w2^T f(W1 x_k + b1) + b2 and its data, exact."""

    X: Matrix
    t: Vector
    W1: Matrix
    b1: Vector
    w2: Vector
    b2: Fraction
    activation: str


@dataclass(frozen=True)
class Problem2Input:
    """The matrix A of the quadratic form f(u) = u^T A u, exact."""

    A: Matrix


@dataclass(frozen=True)
class Layer:
    """One layer of problem 3: a valid convolution or a 2x2/stride-2 max-pooling."""

    kind: Literal["conv", "pool"]
    kernel: int
    filters: int | None = None


@dataclass(frozen=True)
class Problem3Input:
    """Input and target shapes (height, width, channels), allowed kernels, and given layers."""

    input: tuple[int, int, int]
    target: tuple[int, int, int]
    kernel_sizes: tuple[int, ...]
    layers: tuple[Layer, ...] | None  # None: solgen designs the architecture
    filters: tuple[int, ...] | None


@dataclass(frozen=True)
class Variant:
    """A complete, validated variant of the assignment."""

    meta: Meta
    problem1: Problem1Input
    problem2: Problem2Input
    problem3: Problem3Input


def default_text() -> str:
    """The embedded default variant (the assignment exactly as given), as TOML."""
    return resources.files("solgen").joinpath("default.toml").read_text(encoding="utf-8")


def generated_samples(inputs: int) -> int:
    """The most samples a generated network has with this many inputs per sample.

    A pre-activation is a sum of `inputs` products of tenths, exactly 0 with probability
    about 0.01 / sqrt(inputs) (measured 0.0091 to 0.0107 for 4 to 200 inputs); a hidden
    unit is redrawn until none of its N is, which takes about exp(0.01 N / sqrt(inputs))
    draws: at this bound, about 7 to 9.
    """
    return min(MAX_SIZE, int(200 * math.sqrt(inputs)))


def shape_problems(samples: int, inputs: int, hidden: int) -> list[str]:
    """Why --samples/--inputs/--hidden cannot make a valid variant ([] when they can)."""
    problems = [
        f"--{name}: expected at most {MAX_SIZE}, found {value}"
        for name, value in (("samples", samples), ("inputs", inputs), ("hidden", hidden))
        if value > MAX_SIZE
    ]
    if samples < 2:
        problems.append(
            f"--samples: expected at least 2 (each hidden unit must be active for some samples "
            f"and inactive for others), found {samples}"
        )
    work = samples * inputs * hidden
    if work > MAX_GENERATED_WORK:
        problems.append(
            f"--samples x --inputs x --hidden = {work:,}, expected at most "
            f"{MAX_GENERATED_WORK:,} for a generated network"
        )
    most = generated_samples(inputs)
    if samples > most:
        problems.append(
            f"--samples: expected at most {most} with {plural(inputs, 'input')} per sample, "
            f"found {samples} (with more, some pre-activation is almost surely exactly 0, "
            "and the generator draws each hidden unit until none is)"
        )
    if samples * hidden > MAX_UNITS["relu"]:
        problems.append(
            f"--samples x --hidden = {samples * hidden:,}, expected at most "
            f"{MAX_UNITS['relu']:,} (pre-activations)"
        )
    numbers = samples * inputs + hidden * inputs
    if numbers > MAX_GENERATED_NUMBERS:
        problems.append(
            f"X and W1 would hold {numbers:,} numbers, expected at most "
            f"{MAX_GENERATED_NUMBERS:,} (the variant file must stay readable)"
        )
    return problems


def load_variant(path: Path | None = None, sets: list[str] | tuple[str, ...] = ()) -> Variant:
    """The variant from an optional file and ``--set`` overrides, merged over the default."""
    user: dict[str, Any] = read_variant_file(path) if path is not None else {}
    errors: list[str] = []
    for assignment in sets:
        section, field, value = parse_set(assignment)
        table = user.setdefault(section, {})
        if not isinstance(table, dict):
            errors.append(f"--set {section}.{field}: {section} is not a table in the variant file")
            continue
        table[field] = value
    if errors:
        raise InvalidInput(errors)
    return build_variant(user)


def build_variant(user: dict[str, Any]) -> Variant:
    """Merge a parsed variant over the default and validate all of it, reporting every problem."""
    errors: list[str] = []
    _check_known_keys(user, errors)
    default = parse_toml(default_text(), "default variant")
    merged: dict[str, dict[str, Any]] = {}
    for section in FIELDS:
        given = user.get(section, {})
        merged[section] = dict(default.get(section, {}))
        if isinstance(given, dict):
            merged[section].update({k: v for k, v in given.items() if k in FIELDS[section]})
    # The default architecture belongs to the default problem: touching problem3 means "design it".
    if (
        isinstance(user.get("problem3"), dict)
        and user["problem3"]
        and "layers" not in user["problem3"]
    ):
        merged["problem3"].pop("layers", None)
    meta = _meta(merged["meta"], errors)
    p1 = _problem1(merged["problem1"], errors)
    p2 = _problem2(merged["problem2"], errors)
    p3 = _problem3(merged["problem3"], errors)
    if errors or meta is None or p1 is None or p2 is None or p3 is None:
        raise InvalidInput(errors)
    return Variant(meta=meta, problem1=p1, problem2=p2, problem3=p3)


def _check_known_keys(user: dict[str, Any], errors: list[str]) -> None:
    for section, table in user.items():
        if section not in FIELDS:
            hint = did_you_mean(section, tuple(FIELDS))
            errors.append(f"{section}: unknown section{hint}; known sections: {', '.join(FIELDS)}")
            continue
        if not isinstance(table, dict):
            errors.append(f"{section}: expected a table [{section}], found {describe(table)}")
            continue
        for field in table:
            if field not in FIELDS[section]:
                hint = did_you_mean(field, FIELDS[section])
                known = ", ".join(FIELDS[section])
                errors.append(f"{section}.{field}: unknown field{hint}; known fields: {known}")


def _too_big(value: int | Decimal) -> bool:
    """|value| > 1e6, decided from digits and exponent: no arithmetic that could overflow."""
    if isinstance(value, int):
        return abs(value) > MAX_MAGNITUDE
    if value.is_zero():
        return False
    return value.adjusted() > 6 or (value.adjusted() == 6 and abs(value) > MAX_MAGNITUDE)


def _decimal_places(value: Decimal) -> int:
    """Decimal places after dropping trailing zeros (0.50 -> 1, 1e-7 -> 7), without normalize()."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite: checked before
    if not any(digits):
        return 0  # 0.000...: zero has no decimal places
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def _number(value: Any, field: str, errors: list[str]) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        errors.append(f"{field}: expected a number, found {describe(value)}")
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        errors.append(f"{field}: expected a finite number, found {shown(value)}")
        return None
    if _too_big(value):
        errors.append(f"{field}: expected a number of magnitude at most 1e6, found {shown(value)}")
        return None
    if isinstance(value, Decimal) and _decimal_places(value) > MAX_PLACES:
        # 1e-100000 would make a fraction with a 100000-digit denominator
        errors.append(
            f"{field}: expected at most {MAX_PLACES} decimal places, found {shown(value)}"
        )
        return None
    return Fraction(value)


def _vector(value: Any, field: str, errors: list[str]) -> Vector | None:
    if not isinstance(value, list):
        errors.append(f"{field}: expected a list of numbers, found {describe(value)}")
        return None
    if not value:
        errors.append(f"{field}: expected a non-empty list of numbers, found an empty list")
        return None
    if len(value) > MAX_SIZE:
        errors.append(f"{field}: expected at most {MAX_SIZE} entries, found {len(value)}")
        return None
    entries = [_number(v, f"{field}[{i}]", errors) for i, v in enumerate(value)]
    if any(e is None for e in entries):
        return None
    return tuple(e for e in entries if e is not None)


def _matrix(value: Any, field: str, errors: list[str]) -> Matrix | None:
    if not isinstance(value, list) or (value and not all(isinstance(r, list) for r in value)):
        errors.append(
            f"{field}: expected a matrix (a list of rows of numbers), found {describe(value)}"
        )
        return None
    if not value or not value[0]:
        errors.append(f"{field}: expected a non-empty matrix, found an empty one")
        return None
    widths = [len(row) for row in value]
    if len(set(widths)) != 1:
        errors.append(
            f"{field}: rows have different lengths {widths}; "
            f"expected every row of length {widths[0]}"
        )
        return None
    rows = [_vector(row, f"{field}[{i}]", errors) for i, row in enumerate(value)]
    if any(r is None for r in rows):
        return None
    return tuple(r for r in rows if r is not None)


def _text(value: Any, field: str, errors: list[str]) -> str | None:
    if not isinstance(value, str):
        errors.append(f"{field}: expected a string, found {describe(value)}")
        return None
    unsettable = unsettable_characters(value)
    if unsettable:
        listed = ", ".join(f"{c} (U+{ord(c):04X})" for c in unsettable[:5])
        errors.append(
            f"{field}: pdflatex cannot set {listed}; expected Latin letters, digits and punctuation"
        )
        return None
    if len(value) > MAX_TEXT:
        errors.append(f"{field}: expected at most {MAX_TEXT} characters, found {len(value)}")
        return None
    return value


def _meta(table: dict[str, Any], errors: list[str]) -> Meta | None:
    title = _text(table["title"], "meta.title", errors)
    author = _text(table["author"], "meta.author", errors)
    date = _text(table["date"], "meta.date", errors)
    student_id = _text(table["student_id"], "meta.student_id", errors)
    if title is None or author is None or date is None or student_id is None:
        return None
    return Meta(title=title, author=author, date=date, student_id=student_id)


def _shape(m: Matrix) -> str:
    return f"{len(m)} x {len(m[0])}"


def _problem1(table: dict[str, Any], errors: list[str]) -> Problem1Input | None:
    X = _matrix(table["X"], "problem1.X", errors)
    t = _vector(table["t"], "problem1.t", errors)
    W1 = _matrix(table["W1"], "problem1.W1", errors)
    b1 = _vector(table["b1"], "problem1.b1", errors)
    w2 = _vector(table["w2"], "problem1.w2", errors)
    b2 = _number(table["b2"], "problem1.b2", errors)
    activation = table["activation"]
    problems_before = len(errors)
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        hint = did_you_mean(activation, ACTIVATIONS) if isinstance(activation, str) else ""
        errors.append(
            f"problem1.activation: expected one of {', '.join(map(repr, ACTIVATIONS))}, "
            f"found {describe(activation)}{hint}"
        )
    if X is not None and t is not None and len(t) != len(X):
        errors.append(
            f"problem1.t: expected {plural(len(X), 'target')}, one per row of problem1.X "
            f"({_shape(X)}), "
            f"found {len(t)}"
        )
    if X is not None and W1 is not None and len(W1[0]) != len(X[0]):
        errors.append(
            f"problem1.W1: expected {plural(len(X[0]), 'column')} to match the "
            f"{plural(len(X[0]), 'input')} per sample "
            f"of problem1.X ({_shape(X)}), found W1 of shape {_shape(W1)}"
        )
    for name, vec in (("b1", b1), ("w2", w2)):
        if W1 is not None and vec is not None and len(vec) != len(W1):
            errors.append(
                f"problem1.{name}: expected {plural(len(W1), 'entry')}, one per hidden unit "
                f"(rows of problem1.W1, {_shape(W1)}), found {len(vec)}"
            )
    if X is not None and W1 is not None and isinstance(activation, str) and activation in MAX_WORK:
        N, d, h = len(X), len(X[0]), len(W1)
        if N * d * h > MAX_WORK[activation]:
            errors.append(
                f"problem1: N x d x h = {N} x {d} x {h} = {N * d * h:,} products per pass, "
                f"expected at most {MAX_WORK[activation]:,} with activation {activation!r} "
                "(exact arithmetic); use a smaller network"
                + (" or relu" if activation != "relu" else "")
            )
        elif N * h > MAX_UNITS[activation]:
            errors.append(
                f"problem1: N x h = {N} x {h} = {N * h:,} pre-activations, expected at most "
                f"{MAX_UNITS[activation]:,} with activation {activation!r} (exact arithmetic); "
                "use fewer samples or hidden units" + (" or relu" if activation != "relu" else "")
            )
    if len(errors) > problems_before:
        return None
    if X is None or t is None or W1 is None or b1 is None or w2 is None or b2 is None:
        return None
    return Problem1Input(X=X, t=t, W1=W1, b1=b1, w2=w2, b2=b2, activation=activation)


def _problem2(table: dict[str, Any], errors: list[str]) -> Problem2Input | None:
    A = _matrix(table["A"], "problem2.A", errors)
    if A is None:
        return None
    if len(A) != len(A[0]):
        errors.append(f"problem2.A: expected a square matrix, found shape {_shape(A)}")
        return None
    if len(A) > 8:
        errors.append(f"problem2.A: expected at most 8 x 8 (exact eigenvalues), found {_shape(A)}")
        return None
    return Problem2Input(A=A)


def _positive_int(value: Any, field: str, errors: list[str], limit: int = MAX_SIZE) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{field}: expected a positive integer, found {describe(value)}")
        return None
    if not 1 <= value <= limit:
        errors.append(f"{field}: expected a positive integer at most {limit}, found {value}")
        return None
    return value


def _int_list(
    value: Any, field: str, errors: list[str], length: int | None = None
) -> tuple[int, ...] | None:
    if not isinstance(value, list) or not value:
        errors.append(
            f"{field}: expected a non-empty list of positive integers, found {describe(value)}"
        )
        return None
    if length is not None and len(value) != length:
        errors.append(
            f"{field}: expected {length} integers (height, width, channels), found {len(value)}"
        )
        return None
    items = [_positive_int(v, f"{field}[{i}]", errors) for i, v in enumerate(value)]
    if any(i is None for i in items):
        return None
    return tuple(i for i in items if i is not None)


def _layer(value: Any, position: int, errors: list[str]) -> Layer | None:
    field = f"problem3.layers[{position}]"
    if not isinstance(value, dict):
        errors.append(
            f"{field}: expected a table {{conv = K, filters = F}} or {{pool = 2}}, "
            f"found {describe(value)}"
        )
        return None
    keys = set(value)
    if keys == {"pool"}:
        size = _positive_int(value["pool"], f"{field}.pool", errors)
        if size is not None and size != 2:
            errors.append(f"{field}.pool: expected 2 (2x2 max-pooling, stride 2), found {size}")
            return None
        return None if size is None else Layer(kind="pool", kernel=2)
    if keys == {"conv", "filters"}:
        kernel = _positive_int(value["conv"], f"{field}.conv", errors)
        filters = _positive_int(value["filters"], f"{field}.filters", errors)
        if kernel is None or filters is None:
            return None
        return Layer(kind="conv", kernel=kernel, filters=filters)
    if keys == {"conv"}:
        errors.append(f"{field}: a conv layer needs filters (e.g. {{conv = 5, filters = 8}})")
        return None
    errors.append(
        f"{field}: expected the keys conv and filters, or pool, "
        f"found {', '.join(sorted(keys)) or 'none'}"
    )
    return None


def _problem3(table: dict[str, Any], errors: list[str]) -> Problem3Input | None:
    shape_in = _int_list(table["input"], "problem3.input", errors, length=3)
    target = _int_list(table["target"], "problem3.target", errors, length=3)
    kernels = _int_list(table["kernel_sizes"], "problem3.kernel_sizes", errors)
    layers: tuple[Layer, ...] | None = None
    if "layers" in table:
        raw = table["layers"]
        if not isinstance(raw, list) or not raw:
            errors.append(
                f"problem3.layers: expected a non-empty list of layer tables, found {describe(raw)}"
            )
            return None
        parsed = [_layer(item, i, errors) for i, item in enumerate(raw)]
        if any(p is None for p in parsed):
            return None
        layers = tuple(p for p in parsed if p is not None)
    filters = (
        _int_list(table["filters"], "problem3.filters", errors) if "filters" in table else None
    )
    if shape_in is None or target is None or kernels is None:
        return None
    if "filters" in table and filters is None:
        return None
    if filters is not None and filters[-1] != target[2]:
        errors.append(
            f"problem3.filters: the last convolution makes the output channels, so the last "
            f"entry must be problem3.target's {target[2]} channels, found {filters[-1]}"
        )
        return None
    if filters is not None and layers is not None:
        errors.append("problem3.filters: only used to design an architecture; remove it or layers")
        return None
    return Problem3Input(
        input=(shape_in[0], shape_in[1], shape_in[2]),
        target=(target[0], target[1], target[2]),
        kernel_sizes=tuple(sorted(set(kernels))),
        layers=layers,
        filters=filters,
    )
