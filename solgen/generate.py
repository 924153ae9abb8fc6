"""Random, well-posed variants: the same seed gives the same file, byte for byte, anywhere."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from solgen.errors import InvalidInput
from solgen.messages import shown
from solgen.problems.convnet.draw import draw as problem3
from solgen.problems.descent.draw import draw as problem2
from solgen.problems.network.draw import Shape
from solgen.problems.network.draw import draw as problem1
from solgen.tomlinput import parse_set, parse_toml
from solgen.variant import default_text


@dataclass(frozen=True)
class Draws:
    """Which draw of each problem a variant takes (0: the first; more when a classmate had it)."""

    problem1: int = 0
    problem2: int = 0
    problem3: int = 0


MAX_REDRAWS = 64  # a class larger than a problem's space shares some of its values
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # a TOML key that needs no quotes


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


def _key(name: object) -> str:
    """A TOML key: bare when it may be, else a basic string."""
    text = str(name)
    return text if _BARE_KEY.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _value(value: object) -> str:
    """One TOML value: exact decimals, integers, strings, lists and inline tables."""
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
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_key(k)} = {_value(v)}" for k, v in value.items())
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
    """The variant as a TOML file under a comment line, one field a line, a list of tables one
    table a line."""
    lines = [f"# {comment}"]
    for section, fields in data.items():
        lines += ["", f"[{section}]"]
        for name, value in fields.items():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                lines.append(f"{_key(name)} = [")
                lines += [f"    {_value(table)}," for table in value]
                lines.append("]")
            else:
                lines.append(f"{_key(name)} = {_value(value)}")
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
