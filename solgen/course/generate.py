"""Random, well-posed variants of an assignment: the same seed gives the same file, byte for
byte, anywhere.

Each problem draws its own table (Problem.draw); this module puts them in the assignment's
order and writes the file. A student's variant is a function of the course key, their id and
the batch's settings alone: never of a classmate's draw, the roster's order or what a
directory already holds, so a key and a roster rebuild every handed-out variant.

May import: base modules (errors, messages, tomlinput), the registry and variant; a problem
only through the registry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from solgen.base.decimals import exact_decimal, terminating_places
from solgen.base.errors import InvalidInput
from solgen.base.messages import shown
from solgen.base.tomlinput import parse_set, parse_toml
from solgen.document.variant import ASSIGNMENT, default_text
from solgen.markup.names import printed_name
from solgen.problems.registry import DEFAULT, Assignment

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # a TOML key that needs no quotes


def draw_settings(
    assignment: Assignment = DEFAULT, given: Mapping[str, int] | None = None
) -> dict[str, int]:
    """The draw options of the assignment's problems (--samples, ...): given ones, else their
    defaults; keyed by DrawOption.dest, in the problems' order."""
    given = given or {}
    settings: dict[str, int] = {}
    for placed in assignment:
        for option in placed.problem.draw_options:
            settings.setdefault(option.dest, given.get(option.dest, option.default))
    return settings


def draw_problems(assignment: Assignment, settings: Mapping[str, int]) -> list[str]:
    """Why these draw options cannot make a valid variant of the assignment ([] if they can)."""
    return [problem for placed in assignment for problem in placed.problem.draw_problems(settings)]


def assignment_table(assignment: Assignment) -> dict[str, object] | None:
    """The [assignment] table of a variant of this assignment (its problems and their points),
    or None for the default assignment, whose variant files have none."""
    placed = list(assignment)
    if _problems_and_points(assignment) == _problems_and_points(DEFAULT):
        return None
    return {"problems": [p.problem.name for p in placed], "points": [p.points for p in placed]}


def _problems_and_points(assignment: Assignment) -> list[list[object]]:
    return [[p.problem.name, p.points] for p in assignment]


def plan_key(assignment: Assignment, given: Mapping[str, int] | None = None) -> list[object]:
    """What decides every variant's draw besides its seed, as JSON-ready data: the assignment
    (problems and points) and the draw options its problems use."""
    return [
        _problems_and_points(assignment),
        sorted(draw_settings(assignment, given).items()),
    ]


def practice_meta(seed: int) -> dict[str, str]:
    """A practice variant's header: the default title and 'Variant N' (never a command)."""
    title = parse_toml(default_text(), "default variant")["meta"]["title"]
    return {"title": title, "author": f"Variant {seed}", "date": "", "student_id": ""}


def variant(
    seed: int,
    assignment: Assignment = DEFAULT,
    options: Mapping[str, int] | None = None,
    meta: dict[str, str] | None = None,
) -> dict[str, dict[str, object]]:
    """A complete random variant (every field present) of the assignment for one seed: [meta],
    [assignment] unless it is the default one, then each problem's table in order."""
    settings = draw_settings(assignment, options)
    data: dict[str, dict[str, object]] = {
        "meta": dict(meta if meta is not None else practice_meta(seed))
    }
    table = assignment_table(assignment)
    if table is not None:
        data[ASSIGNMENT] = table
    for place in assignment:
        data[place.section] = place.problem.draw(seed, place.section, settings)
    return data


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


VARIANT_PLACES = 6  # a generated or --set number has at most this many decimal places


def _decimal(value: Fraction) -> str:
    """A terminating fraction as a TOML float: 7/10 -> '0.7', -2 -> '-2.0'."""
    places = terminating_places(value)
    if places is None or places > VARIANT_PLACES:
        raise ValueError(f"{value} has no short decimal form")
    text = exact_decimal(value)
    return text if "." in text else f"{text}.0"


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


def practice_comment(seed: int) -> str:
    """The first line of a practice variant file."""
    return f"solgen variant --seed {seed}: a random, well-posed variant of the assignment."


def variant_text(
    seed: int, assignment: Assignment = DEFAULT, options: Mapping[str, int] | None = None
) -> str:
    """The TOML text of the random variant of the assignment for one seed."""
    return to_toml(variant(seed, assignment, options), practice_comment(seed))


def apply_sets(data: dict[str, dict[str, object]], sets: Sequence[str]) -> None:
    """Apply --set SECTION.FIELD=VALUE overrides to a generated variant (validated later)."""
    for assignment in sets:
        section, name, value = parse_set(assignment)
        if section == ASSIGNMENT:
            raise InvalidInput(
                [f"--set {section}.{name}: the problems and their points come from --assignment"]
            )
        if section not in data:
            raise InvalidInput([f"--set {section}.{name}: unknown section {section!r}"])
        data[section][name] = value


def student_variant_text(
    seed: int,
    student_id: str,
    name: str,
    assignment: Assignment = DEFAULT,
    options: Mapping[str, int] | None = None,
    sets: Sequence[str] = (),
) -> str:
    """The TOML text of one student's variant: their name (or their id in its place when the
    name cannot be set) and id, never their seed."""
    meta = practice_meta(seed) | {
        "author": printed_name(name, student_id),
        "student_id": student_id,
    }
    data = variant(seed, assignment, options, meta)
    apply_sets(data, sets)
    return to_toml(data, f"The variant of student {student_id}, drawn from the course key.")
