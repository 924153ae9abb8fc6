"""A variant: its meta data and each of its assignment's problems' input, merged over the
default and validated, every field, with a message naming each problem found.

May import: base modules (fields, tomlinput, messages, errors) and the registry; a problem's
fields only through the registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from solgen.base.errors import InvalidInput
from solgen.base.fields import text
from solgen.base.messages import describe, did_you_mean
from solgen.base.tomlinput import parse_set, parse_toml, read_variant_file
from solgen.problems.registry import DEFAULT, Assignment, Placed, assignment_of

META_FIELDS = ("title", "author", "date", "student_id")
ASSIGNMENT = "assignment"  # the optional table that lists the problems


@dataclass(frozen=True)
class Meta:
    """Free text shown in the document header."""

    title: str
    author: str
    date: str
    student_id: str = ""  # a class roster's id, shown under the name


@dataclass(frozen=True)
class Variant:
    """A complete, validated variant: its meta data and one input per problem, in order."""

    meta: Meta
    inputs: tuple[Any, ...]
    assignment: Assignment = DEFAULT

    def __iter__(self) -> Iterator[tuple[Placed, Any]]:
        """Each problem of the assignment with its input."""
        return zip(self.assignment, self.inputs, strict=True)

    def input_of(self, section: str) -> Any:
        """The input of the problem whose table is `section` (its number after 'problem')."""
        for placed, inp in self:
            if placed.section == section:
                return inp
        raise KeyError(section)


def default_text() -> str:
    """The embedded default meta data (the assignment as given), as TOML."""
    return resources.files("solgen").joinpath("default.toml").read_text(encoding="utf-8")


def fields_of(assignment: Assignment = DEFAULT) -> dict[str, tuple[str, ...]]:
    """Every table of a variant file of this assignment and its fields, in order."""
    return {"meta": META_FIELDS} | {p.section: p.problem.fields for p in assignment}


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
    assignment = assignment_of(user.get(ASSIGNMENT))
    fields = fields_of(assignment)
    _check_known_keys(user, fields, errors)
    meta_table = dict(parse_toml(default_text(), "default variant")["meta"])
    given_meta = user.get("meta", {})
    if isinstance(given_meta, dict):
        meta_table.update({k: v for k, v in given_meta.items() if k in META_FIELDS})
    meta = _meta(meta_table, errors)
    inputs = []
    for placed in assignment:
        given = user.get(placed.section, {})
        table = placed.problem.merge(
            placed.problem.default(), given if isinstance(given, dict) else {}
        )
        inputs.append(placed.problem.parse(table, placed.section, errors))
    if errors or meta is None or any(inp is None for inp in inputs):
        raise InvalidInput(errors)
    return Variant(meta=meta, inputs=tuple(inputs), assignment=assignment)


def _check_known_keys(
    user: dict[str, Any], fields: dict[str, tuple[str, ...]], errors: list[str]
) -> None:
    for section, table in user.items():
        if section == ASSIGNMENT:
            continue
        if section not in fields:
            hint = did_you_mean(section, tuple(fields))
            errors.append(f"{section}: unknown section{hint}; known sections: {', '.join(fields)}")
            continue
        if not isinstance(table, dict):
            errors.append(f"{section}: expected a table [{section}], found {describe(table)}")
            continue
        for field in table:
            if field not in fields[section]:
                hint = did_you_mean(field, fields[section])
                known = ", ".join(fields[section])
                errors.append(f"{section}.{field}: unknown field{hint}; known fields: {known}")


def _meta(table: dict[str, Any], errors: list[str]) -> Meta | None:
    title = text(table["title"], "meta.title", errors)
    author = text(table["author"], "meta.author", errors, name=True)
    date = text(table["date"], "meta.date", errors)
    student_id = text(table["student_id"], "meta.student_id", errors)
    if title is None or author is None or date is None or student_id is None:
        return None
    return Meta(title=title, author=author, date=date, student_id=student_id)
