"""The answer key of a batch: one model, read by grade and by every export.

Each student's key is a list of items, from each problem of the student's assignment (its
`items` hook, numbered by the assignment). An item has an id (the answers.csv column, as
answerids names them), a kind (number, interval, or its problem's own), the exact value (SymPy
syntax, read back with numparse, never evaluated as code) and its float, a tolerance and
points. The points are each problem's groups' (Problem.groups), scaled to the points the
assignment gives the problem, unless a grading policy says otherwise (policy.py). Nothing here
recomputes an answer: the values come from the builds' results.json, a problem's set-up from
the variant file.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from solgen.base.errors import InvalidInput
from solgen.base.files import NotReadable, read_regular
from solgen.base.tomlinput import read_variant_file
from solgen.course import manifest as mf
from solgen.course.manifest import Manifest, sha256_bytes, sha256_text
from solgen.course.roster import Identity
from solgen.document.variant import Variant, build_variant
from solgen.problems.problem import Item as Item  # re-exported: the key's items
from solgen.problems.problem import Tolerance as Tolerance
from solgen.problems.registry import DEFAULT, Assignment


@dataclass(frozen=True)
class StudentKey:
    """One student's (or practice variant's) key, with the variant it was built from."""

    id: str
    name: str
    folder: str
    variant: Variant
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if there is none)."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


@dataclass(frozen=True)
class ClassKey:
    """Every student's key, in id order."""

    kind: str  # "roster" or "seeded"
    students: tuple[StudentKey, ...]
    lms: dict[str, Identity] = field(default_factory=dict)  # id -> identity (manifest.lms)
    # What the class is, whoever is on its roster: the course key's fingerprint (a roster
    # batch) or the batch's plan (a practice set); the LMS exports' stable identity.
    origin: str = ""


def default_points(assignment: Assignment = DEFAULT) -> dict[str, Fraction]:
    """Each answer group's points: its problem's, scaled to the points the assignment gives
    that problem (the default assignment's 20 / 15 / 15 are the problems' own)."""
    points: dict[str, Fraction] = {}
    for placed in assignment:
        scale = Fraction(placed.points, placed.problem.points)
        points |= {group: share * scale for group, share in placed.problem.groups.items()}
    return points


def items_of(results: dict[str, Any], assignment: Assignment = DEFAULT) -> list[Item]:
    """The items of one results.json, with the default points split over each group."""
    items = [
        replace(item, problem=placed.number)
        for placed in assignment
        for item in placed.problem.items(results[placed.section])
    ]
    return with_points(items, default_points(assignment))


def with_points(items: list[Item], points: dict[str, Fraction]) -> list[Item]:
    """Items with points from a table of group or item ids (an item id wins over its group);
    a group's points are split evenly over its items. An item the table names neither by its
    id nor by its group keeps its points."""
    sizes: dict[str, int] = {}
    for item in items:
        sizes[item.group] = sizes.get(item.group, 0) + 1
    result = []
    for item in items:
        if item.id in points and item.id != item.group:
            given = points[item.id]
        elif item.group in points:
            given = points[item.group] / sizes[item.group]
        else:
            given = item.points
        result.append(replace(item, points=given))
    return result


def load_key(directory: Path) -> ClassKey:
    """The answer key of a batch directory (solgen batch, or merge); InvalidInput naming what
    is missing or damaged."""
    if not directory.is_dir():
        raise InvalidInput([f"--key: {directory} is not a directory (expected a batch directory)"])
    found = mf.load(directory)
    if found is None:
        raise InvalidInput(
            [f"--key: {directory} has no {mf.MANIFEST}; expected a directory made by solgen batch"]
        )
    answers = collect_answers(directory, found)
    damaged = sorted(set(found.records) - set(answers))
    if damaged:
        raise InvalidInput(
            [
                f"--key: {directory}: results.json of {', '.join(damaged[:10])} is missing or "
                f"differs from the manifest; {_repair(found.kind, damaged[0])}"
            ]
        )
    students = []
    for student_id, record in sorted(found.records.items()):
        path = directory / record.folder / "variant.toml"
        repair = _repair(found.kind, student_id)
        if not (directory / record.folder).exists():
            raise InvalidInput([f"--key: {directory / record.folder}/ was deleted; {repair}"])
        if mf.file_sha(path) != record.variant:
            raise InvalidInput([f"--key: {path} differs from {mf.MANIFEST}; {repair}"])
        variant = build_variant(read_variant_file(path))
        items = tuple(items_of(answers[student_id], variant.assignment))
        students.append(StudentKey(student_id, record.name, record.folder, variant, items))
    origin = found.key if found.kind == "roster" else found.plan
    return ClassKey(kind=found.kind, students=tuple(students), lms=found.lms, origin=origin)


def _repair(kind: str, student_id: str) -> str:
    """The ways on when a variant's files in a batch directory are missing or damaged."""
    if kind != "roster":
        return "rerun the batch to rebuild them"
    return (
        f"rerun the batch with {student_id} on the roster to rebuild them, or with "
        f"--withdraw {student_id} to take {student_id} out of the class"
    )


# --- a batch directory's answers -----------------------------------------------------------

ANSWERS_JSON = "answers.json"
MAX_ANSWERS_BYTES = 1024 * 1024 * 1024  # answers.json, read only for a student's last answers


def collect_answers(out: Path, manifest: Manifest) -> dict[str, dict[str, Any]]:
    """id -> results.json of every recorded variant whose results.json is the recorded one.

    A variant whose results.json is missing or damaged (a rebuild that failed, a deleted
    folder) keeps its last good answers: its entry in DIR/answers.json, when that entry is
    byte for byte the recorded results.json (its hash is the record's). Reads are bounded
    and of regular files only.
    """
    answers: dict[str, dict[str, Any]] = {}
    missing = []
    for variant_id, record in sorted(manifest.records.items()):
        path = out / record.folder / "results.json"
        expected = record.outputs.get("results.json")
        try:
            data = read_regular(path, mf.MAX_RESULTS_BYTES)
        except NotReadable:
            missing.append(variant_id)
            continue
        if sha256_bytes(data) == expected:
            with contextlib.suppress(ValueError, RecursionError):
                answers[variant_id] = json.loads(data)
                continue
        missing.append(variant_id)
    if missing:
        answers.update(_last_answers(out, manifest, missing))
    return dict(sorted(answers.items()))


def _last_answers(out: Path, manifest: Manifest, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The entries of DIR/answers.json for these ids that are their recorded results.json."""
    try:
        earlier = json.loads(read_regular(out / ANSWERS_JSON, MAX_ANSWERS_BYTES))
    except (NotReadable, ValueError, RecursionError):
        return {}
    if not isinstance(earlier, dict):
        return {}
    found = {}
    for variant_id in ids:
        entry = earlier.get(variant_id)
        expected = manifest.records[variant_id].outputs.get("results.json")
        if isinstance(entry, dict) and sha256_text(_results_text(entry)) == expected:
            found[variant_id] = entry
    return found


def _results_text(results: dict[str, Any]) -> str:
    """results.json's text for its data, as results.py writes it."""
    return json.dumps(results, indent=2, ensure_ascii=False) + "\n"
