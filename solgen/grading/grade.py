"""Grade a class's answers (a form's CSV export, an LMS's submissions zip) against the key.

Each item is graded by its problem (its `grade` hook: an interval, a design of the student's
own, a count of that design) or, by default, as a number: read exactly (marking, numparse:
decimals, fractions, surds; never evaluated as code) and compared with the exact key within
the item's tolerance. A cell saying there is no value (none, None, n/a, -) is an answer (wrong
for a number); a blank cell is unanswered, unless a column the problem names for it
(answer_aliases) holds the answer. Columns are named by answerids (the answers.csv columns).
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from solgen.base.csvsafe import safe_cell, safe_row
from solgen.base.errors import InvalidInput
from solgen.base.files import StagedSet, finish_commit
from solgen.base.messages import capped
from solgen.course.answerkey import Item, StudentKey, load_key
from solgen.course.roster import Identity
from solgen.grading.answers import Answers, Roster, read_answers
from solgen.grading.policy import changed_rules, id_hint, problems_of, read_policy
from solgen.grading.submissions import Upload, feedback_zip
from solgen.problems.marking import grade_number
from solgen.problems.problem import Problem, Unreadable


@dataclass(frozen=True)
class Mark:
    """One item of one student, graded."""

    item: Item
    answer: str
    points: Fraction
    note: str  # what was right or wrong, for the feedback


@dataclass
class Graded:
    """One student's marks (none when the student sent no answers)."""

    student: StudentKey
    marks: list[Mark] = field(default_factory=list)
    answered: bool = False

    @property
    def total(self) -> Fraction:
        """The sum of the points given."""
        return sum((m.points for m in self.marks), Fraction(0))


@dataclass
class GradeReport:
    """What grade wrote and found."""

    graded: list[Graded]
    # unknown and unreadable are the lines to print, capped together by messages.capped: at most
    # 20, the last of them then "and N more" (500,000 unknown ids printed 500,000 lines).
    # rules a --policy grades by that the sheets do not say; rows with ids that are not in the
    # batch; ids of another spelling
    unknown: list[str]
    unreadable: list[str]  # cells graded as wrong because they could not be read (--lenient)
    written: list[Path] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the items with points, in key order
    lms: dict[str, Identity] = field(default_factory=dict)  # id -> identity (grade --for)
    # id -> the upload graded (answers from an LMS's submissions zip): its feedback goes back
    uploads: dict[str, Upload] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)  # an earlier run's feedback zip

    @property
    def lms_zip(self) -> str:
        """The LMS whose submissions zip was graded ('' for a CSV)."""
        return next((upload.lms for upload in self.uploads.values()), "")


# --- one student ----------------------------------------------------------------------------------


def _answer(problem: Problem, item: Item, cells: dict[str, str]) -> str:
    """The student's answer to an item: its column's, else the first of the columns its problem
    names for it (answer_aliases) that is not blank."""
    text = cells.get(item.id, "").strip()
    for alias, target in problem.answer_aliases.items():
        if not text and target == item.id:
            text = cells.get(alias, "").strip()
    return text


def _mark(problem: Problem, inp: Any, item: Item, cells: dict[str, str]) -> Mark:
    """One item graded; Unreadable when its cell (or a cell it depends on) cannot be read."""
    text = _answer(problem, item, cells)
    if not text:
        return Mark(item, "", Fraction(0), f"{item.label}: not answered")
    grading = problem.grade(item, text, cells, inp)
    right, note = grade_number(item, text) if grading is None else (grading.right, grading.note)
    return Mark(item, text, item.points if right else Fraction(0), note)


def grade_student(
    student: StudentKey, items: list[Item], cells: dict[str, str]
) -> tuple[Graded, list[tuple[str, str]]]:
    """Grade one student's answers (cells: item id -> text; missing or empty: unanswered).

    Returns the marks, and the (column, why) of every cell that could not be read: such an
    item gets no points here; the caller decides whether that refuses the file.
    """
    graded = Graded(student, answered=True)
    unreadable = []
    placed = {p.number: (p.problem, inp) for p, inp in student.variant}
    for item in items:
        try:
            graded.marks.append(_mark(*placed[item.problem], item, cells))
        except Unreadable as exc:
            unreadable.append((exc.column or item.id, str(exc)))
            graded.marks.append(
                Mark(item, cells.get(item.id, ""), Fraction(0), f"{item.label}: {exc}")
            )
    return graded, unreadable


# --- the class ----------------------------------------------------------------------------------


# A form's submission time (Google Forms: Timestamp; Microsoft Forms: Completion time), and the
# ways spreadsheets write it. A student who submits twice is graded on the latest row.
TIMESTAMP_COLUMNS = ("timestamp", "completion time", "submitted", "submitted at")
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
)


def _time(text: str) -> datetime | None:
    text = text.strip().removesuffix("Z").split("+")[0].split(".")[0]
    for pattern in TIMESTAMP_FORMATS:
        with contextlib.suppress(ValueError):
            return datetime.strptime(text, pattern)
    return None


def _latest_rows(
    answers: Answers, by_id: dict[str, StudentKey]
) -> tuple[dict[str, tuple[int, ...]], list[str]]:
    """The row graded for each id answered more than once (a form resubmitted): the latest by
    the form's timestamp column when every one of its rows has a time grade can read, else
    the last row; and a line saying so for each such id."""
    columns, rows = answers.columns, answers.rows
    stamp = next((i for i, c in enumerate(columns) if c.strip().lower() in TIMESTAMP_COLUMNS), None)
    rows_of: dict[str, list[tuple[int, list[str]]]] = {}
    for number, cells in rows:
        given = dict(zip(columns, cells, strict=False))
        student_id = given.get("id", "").strip()
        if student_id:
            student = by_id.get(student_id)
            rows_of.setdefault(student.id if student else student_id, []).append((number, cells))
    kept: dict[str, tuple[int, ...]] = {}
    said = []
    for student_id, answered in rows_of.items():
        if len(answered) < 2:
            continue
        times = [
            _time(c[stamp]) if stamp is not None and stamp < len(c) else None for _, c in answered
        ]
        if stamp is not None and all(t is not None for t in times):
            order = sorted(range(len(answered)), key=lambda i: (times[i], answered[i][0]))
            how = f"the latest by its {columns[stamp]}"
        else:
            order = list(range(len(answered)))
            how = "the last row" + (
                f" (a {columns[stamp]} that grade cannot read)" if stamp is not None else ""
            )
        number = answered[order[-1]][0]
        kept[student_id] = (number,)
        if answers.labels:  # uploads of two LMS users whose forms give one id
            others = ", ".join(answers.place(n) for n, _ in answered if n != number)
            said.append(
                f"id {student_id!r} answered in {len(answered)} uploads: graded "
                f"{answers.place(number)}; not graded: {others}"
            )
            continue
        others = ", ".join(str(n) for n, _ in answered if n != number)
        said.append(
            f"id {student_id!r} answered on {len(answered)} rows: graded row {number}, {how}; "
            f"not graded: row{'s' if len(answered) > 2 else ''} {others}"
        )
    return kept, said


def grade_class(
    key_dir: Path, answers: Path, policy_path: Path | None = None, lenient: bool = False
) -> GradeReport:
    """Grade every row of the answers file; InvalidInput for a file that cannot be read.

    A cell that is not an answer of its kind (a number, or its problem's own) refuses the file,
    naming its row and column, unless lenient: then it is graded as wrong and listed.
    """
    key = load_key(key_dir)
    assignments = list(dict.fromkeys(s.variant.assignment for s in key.students))
    known = {item.id for s in key.students for item in s.items}
    policy = read_policy(policy_path, known, assignments)
    # the sheets were built without the policy: say where it grades by other rules
    changed = (
        []
        if policy_path is None
        else changed_rules(policy, key.students, f"--policy {policy_path}")
    )
    canvas = {
        identity.get("ID"): student_id
        for student_id, identity in key.lms.items()
        if identity.lms == "Canvas" and identity.get("ID")
    }
    roster = Roster(canvas, {s.id: s.name for s in key.students})
    found = read_answers(answers, policy, roster, lenient)
    columns, rows = found.columns, found.rows
    where = f"--answers {answers}"
    by_id = {s.id: s for s in key.students}
    # answers.csv writes '=x for the id =x (csvsafe): an id copied from it is the student's
    by_id = {safe_cell(s.id): s for s in key.students if safe_cell(s.id) != s.id} | by_id
    if key.kind == "seeded":  # a spreadsheet turns 0007 into 7: a practice id is its seed
        by_id.update({str(int(s.id)): s for s in key.students})
    problems: list[str] = []
    report = GradeReport([], [], [])
    report.unknown += changed
    kept, resubmitted = _latest_rows(found, by_id)
    report.unknown += found.notes + resubmitted
    asked = problems_of(assignments)
    for column in dict.fromkeys(columns):
        hint = "" if column in known else id_hint(asked, column, known)
        if hint:
            report.unknown.append(
                f"column {column} is not an answer of {key_dir}, not graded{hint}"
            )
    graded: dict[str, Graded] = {}
    for number, cells in rows:
        if len(cells) > len(columns):
            problems.append(
                f"{where}: {found.place(number)}: {len(cells)} cells, the header has {len(columns)}"
            )
            continue
        given = dict(zip(columns, cells, strict=False))
        student_id = given.get("id", "").strip()
        if not student_id:
            problems.append(f"{where}: {found.place(number)}, column id: empty")
            continue
        student = by_id.get(student_id)
        if number not in kept.get(student.id if student is not None else student_id, (number,)):
            continue  # a resubmission's earlier row (said in the report)
        if student is None:
            report.unknown.append(f"{found.place(number)}: id {student_id!r} is not in {key_dir}")
            continue
        items = policy.apply(list(student.items), student.variant.assignment)
        graded[student.id], bad = grade_student(student, items, given)
        if number in found.uploads:
            report.uploads[student.id] = found.uploads[number]
        for column, why in dict(bad).items():
            if lenient:
                report.unreadable.append(
                    f"{found.place(number)}, column {column}: {why} (graded as wrong)"
                )
            else:
                problems.append(
                    f"{where}: {found.place(number)}, column {column}: {why} (or use --lenient)"
                )
    if problems:
        raise InvalidInput(problems)  # every one: the command line prints 20 and a count
    notes = capped(report.unknown + report.unreadable)
    shown_unknown = min(len(report.unknown), len(notes))
    report.unknown, report.unreadable = notes[:shown_unknown], notes[shown_unknown:]
    report.graded = [graded.get(s.id, Graded(s)) for s in key.students]
    report.uploads = found.unread | report.uploads
    report.lms = key.lms
    for student in key.students:
        for item in policy.apply(list(student.items), student.variant.assignment):
            if item.points and item.id not in report.columns:
                report.columns.append(item.id)
    return report


def points_text(value: Fraction) -> str:
    """Points as a short decimal: 2, 0.5, 0.6667."""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text or "0"


POINTS_PLACES = 4  # decimals of the points in grades.csv


def _rounded_in_step(points: list[Fraction]) -> list[Fraction]:
    """Points rounded to POINTS_PLACES decimals so that the row still adds up: each is the
    rounded running total minus the rounded running total before it (4/3 three times is
    1.3333, 1.3334, 1.3333, which add up to 4, not 3.9999). Each is within one unit of the
    last decimal of its exact value."""
    scale = 10**POINTS_PLACES
    rounded, running, before = [], Fraction(0), Fraction(0)
    for value in points:
        running += value
        now = Fraction(round(running * scale), scale)
        rounded.append(now - before)
        before = now
    return rounded


def grades_csv(report: GradeReport) -> str:
    """id, name, one column per item with points, total; one row a student of the batch."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(safe_row(["id", "name", *report.columns, "total"]))
    for graded in report.graded:
        given = {m.item.id: m.points for m in graded.marks}
        shown = _rounded_in_step([given[c] for c in report.columns if c in given])
        cells = [points_text(shown.pop(0)) if c in given else "" for c in report.columns]
        student = graded.student
        writer.writerow(safe_row([student.id, student.name, *cells, points_text(graded.total)]))
    return out.getvalue()


def feedback_text(graded: Graded) -> str:
    """A student's short feedback: the total, then what was right and what was expected."""
    student = graded.student
    possible = sum((i.points for i in student.items), Fraction(0))
    # The first line starts with the student's name: no formula, should it be opened as CSV.
    head = safe_cell(f"{student.name or 'Variant'} ({student.id})")
    if not graded.answered:
        return f"{head}: no answers received.\n"
    lines = [f"{head}: {points_text(graded.total)} of {points_text(possible)} points."]
    for placed in student.variant.assignment:
        marks = [m for m in graded.marks if m.item.problem == placed.number]
        got = sum((m.points for m in marks), Fraction(0))
        of = sum((m.item.points for m in marks), Fraction(0))
        lines.append(f"Problem {placed.number}: {points_text(got)} of {points_text(of)}")
        lines += [f"  {m.note}" for m in marks]
    return "\n".join(lines) + "\n"


def write_grades(report: GradeReport, output: Path, text: str | None = None) -> None:
    """grades.csv (or text: an LMS's grade file) and, beside it, <name>-feedback/<id>.txt and,
    for answers from a submissions zip, <name>-feedback.zip: all computed and staged first,
    then moved in together (files.StagedSet), so that a failure or a signal leaves the last
    run's set as it was."""
    if output.is_dir():
        raise InvalidInput(
            [f"-o: {output} is a directory, expected a file name such as grades.csv"]
        )
    if not output.parent.is_dir():
        raise InvalidInput([f"-o: the folder {output.parent} does not exist"])
    finish_commit(output.parent)  # a set an earlier run was killed moving in
    folder = output.with_name(f"{output.stem}-feedback")
    archive = output.with_name(f"{output.stem}-feedback.zip")
    staged = StagedSet(output.parent, "grades")
    try:
        texts = staged.new_folder(folder.name)
        for graded in report.graded:
            (texts / f"{graded.student.folder}.txt").write_text(feedback_text(graded), "utf-8")
        if report.uploads:  # answers from a submissions zip: the feedback can go back in
            by_id = {g.student.id: g for g in report.graded}
            files = {upload: feedback_text(by_id[i]) for i, upload in report.uploads.items()}
            staged.data(archive.name, feedback_zip(files))
        staged.text(output.name, grades_csv(report) if text is None else text)
        staged.commit([])
    except BaseException:
        staged.discard()
        raise
    report.written = [output, folder, *([archive] if report.uploads else [])]
    if not report.uploads and archive.is_file() and not archive.is_symlink():
        archive.unlink()  # an earlier run's: it would pass for these grades' feedback
        report.removed.append(archive)


def grade(
    key_dir: Path,
    answers: Path,
    output: Path,
    policy: Path | None,
    lenient: bool,
    lms_file: Callable[[GradeReport], str] | None = None,
) -> GradeReport:
    """Grade and write; the report says what was written and what was odd. lms_file makes
    the text written instead of grades.csv (grade --for), or refuses (InvalidInput) before
    anything is written."""
    if output.is_dir():
        raise InvalidInput(
            [f"-o: {output} is a directory, expected a file name such as grades.csv"]
        )
    report = grade_class(key_dir, answers, policy, lenient)
    write_grades(report, output, None if lms_file is None else lms_file(report))
    return report
