"""The class report: how many distinct values each problem has, and the spread of the answers.

In the spirit of R/exams' stresstest_exercise: before sheets go out, an instructor sees
whether students share data (and who), and whether the answers vary within a sane range. Each
problem of the students' assignments says what makes two of its variants the same for a
student (distinct_label, report_identity: the data, not the wording) and which of its answers
to spread (report_spread, report_tally).
"""

from __future__ import annotations

import statistics
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from solgen.base.errors import InvalidInput
from solgen.base.files import NotReadable, read_regular
from solgen.base.tomlinput import MAX_VARIANT_BYTES
from solgen.course.manifest import Manifest
from solgen.problems.registry import DEFAULT, Assignment, Placed, assignment_of

RESULTS_CHECKS = "checks"  # results.json's list of checks, beside the problems' sections


def _variant(path: Path) -> dict[str, Any] | None:
    """A student's variant.toml, read as checked data (a regular file of bounded size: a FIFO
    or /dev/zero there never blocks or floods the report), or None."""
    try:
        text = read_regular(path, MAX_VARIANT_BYTES).decode("utf-8")
        return tomllib.loads(text, parse_float=Decimal)
    except (OSError, NotReadable, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def assignment_in(data: dict[str, Any]) -> Assignment | None:
    """The assignment a variant file (read by _variant) lists; None when it is not valid."""
    try:
        return assignment_of(data.get("assignment"))
    except InvalidInput:
        return None


def assignments_of(out: Path, manifest: Manifest) -> dict[str, Assignment | None]:
    """Each recorded variant's assignment, as its variant.toml lists it (None when that cannot
    be read: see assignment_for). manifest: a readable view (classfiles._readable_view)."""
    found: dict[str, Assignment | None] = {}
    for variant_id, record in sorted(manifest.records.items()):
        data = _variant(out / record.folder / "variant.toml")
        found[variant_id] = None if data is None else assignment_in(data)
    return found


def assignment_for(results: dict[str, Any], assignment: Assignment | None) -> Assignment:
    """The assignment of a variant's results.json: its own when known (its variant.toml read);
    else the default's when results.json has exactly its sections, and none otherwise (its
    answers are then left out, never read as another problem's)."""
    if assignment is not None:
        return assignment
    if set(results) - {RESULTS_CHECKS} == set(DEFAULT.sections):
        return DEFAULT
    return Assignment(())


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}"


def _spread(values: Sequence[float]) -> str:
    if not values:
        return "none"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{_number(low)} / {_number(mid)} / {_number(high)}"


def _has(assignment: Assignment | None, placed: Placed) -> bool:
    """Whether an assignment (None: the default's) has this problem at this place."""
    return any(
        p.number == placed.number and p.problem.name == placed.problem.name
        for p in assignment or DEFAULT
    )


def class_report(out: Path, manifest: Manifest, answers: dict[str, dict[str, Any]]) -> str:
    """The report's text (also written to DIR/report.txt)."""
    ids = sorted(manifest.records)
    who = "students" if manifest.kind == "roster" else "variants"
    lines = [f"Class report: {len(ids)} {who}, {len(answers)} with answers."]
    variants = {i: _variant(out / manifest.records[i].folder / "variant.toml") for i in ids}
    assignments = {i: None if data is None else assignment_in(data) for i, data in variants.items()}
    # Each problem at each place of the class's assignments (the default's when none is known).
    placements: dict[tuple[int, str], Placed] = {}
    for assignment in [a for a in assignments.values() if a is not None] or [DEFAULT]:
        for placed in assignment:
            placements.setdefault((placed.number, placed.problem.name), placed)
    ordered = [placements[key] for key in sorted(placements)]
    lines.append("Distinct data (no two should share):")
    shared_lines = []
    for placed in ordered:
        label = f"problem {placed.number} ({placed.problem.distinct_label})"
        names = placed.problem.report_identity()
        groups: dict[str, list[str]] = defaultdict(list)
        for variant_id, data in variants.items():
            if data is not None and _has(assignments[variant_id], placed):
                table = data.get(placed.section, {})
                groups[repr([table.get(n) for n in names])].append(variant_id)
        lines.append(f"  {label}: {len(groups)} distinct among {sum(map(len, groups.values()))}")
        for members in groups.values():
            if len(members) > 1:
                shared_lines.append(f"  {label}: shared by {', '.join(members)}")
    if shared_lines:
        lines.append("Shared data:")
        lines += shared_lines
    spread: list[str] = []
    tallies: list[str] = []
    for placed in ordered:
        sections = [
            results[placed.section]
            for variant_id, results in answers.items()
            if _has(assignment_for(results, assignments.get(variant_id)), placed)
        ]
        for label, values, remark in placed.problem.report_spread(sections):
            spread.append(f"  {label}: {_spread(values)}{remark}")
        for label, counts in placed.problem.report_tally(sections):
            tallies.append(
                f"  {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            )
    lines += ["Spread of the key answers (min / median / max):", *spread, *tallies]
    edited = [i for i in ids if manifest.records[i].hand_edited]
    if edited:
        lines.append(f"Hand-edited variant.toml (kept): {', '.join(edited)}")
    if manifest.expected:
        off = [i for i in ids if i not in set(manifest.expected)]
        # a folder deleted by hand (or one whose variant.toml cannot be read): not kept as built
        gone = [i for i in off if not (out / manifest.records[i].folder / "variant.toml").is_file()]
        kept = [i for i in off if i not in gone]
        where = "on the roster" if manifest.kind == "roster" else "among the batch's seeds"
        if kept:
            lines.append(f"Not {where} any more (kept as built): {', '.join(kept)}")
        if gone:
            lines.append(
                f"Not {where} any more, folder deleted or unreadable (last answers kept): "
                f"{', '.join(gone)}"
            )
    missing = [i for i in ids if i not in answers]
    if missing:
        lines.append(f"Without answers (results.json missing or damaged): {', '.join(missing)}")
    return "\n".join(lines) + "\n"
