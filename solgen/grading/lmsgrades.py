"""Grades back into the LMS: the CSV file Canvas's gradebook import and Moodle's grade import
(CSV) take as they are, one assignment column, each student named as the LMS knows them.

Canvas (GradebookImporter, lib/gradebook_importer.rb): the header must start with Student and
ID, then SIS User ID and SIS Login ID, then Section as the last column about the student; each
later column is an assignment, matched by "Name (id)" to an existing one, else by its title,
else created; a row whose Student cell holds "Points Possible" gives the points possible. A
student is found by the ID (Canvas's own), else the SIS User ID, else the SIS Login ID, else
by name; one not found is listed for the TA, it never stops the import.

Moodle (gradeimport_csv_load_data::prepare_import_grade_data): the TA maps one column to the
user (the form picks the column headed "ID number" by itself), a column to the grade item and
one to its feedback (picked by themselves when headed "<item> (Real)" and "<item>
(Feedback)"). A user the site does not know stops the whole import, and a row whose user cell
is empty is given to the row before's user: so a row is written only for a student whose ID
number is known to be Moodle's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from solgen.base.csvsafe import safe_row
from solgen.base.errors import InvalidInput
from solgen.base.messages import abbreviated
from solgen.course.roster import LMS_COLUMNS
from solgen.grading.grade import Graded, GradeReport, feedback_text, points_text

MAX_ASSIGNMENT_NAME = 255  # Canvas's longest assignment title
POINTS_POSSIBLE = "    Points Possible"  # as Canvas's export writes its row
MOODLE_GRADE_MAXIMUM = 100  # Moodle refuses a grade above this without its unlimitedgrades


@dataclass(frozen=True)
class LmsFile:
    """An LMS's grade file and what the TA should know about it."""

    text: str
    notes: tuple[str, ...]  # lines for the TA (students left out, columns left empty)


def assignment_name(report: GradeReport, given: str | None) -> str:
    """The LMS assignment's name: --assignment-name, else the title all variants share;
    InvalidInput when the name is empty, too long or holds control characters, or the
    variants have several titles."""
    if given is not None:
        name = given.strip()
        if not name or len(name) > MAX_ASSIGNMENT_NAME or not name.isprintable():
            raise InvalidInput(
                [
                    f"--assignment-name: expected a name of 1 to {MAX_ASSIGNMENT_NAME} printable "
                    f"characters, found {abbreviated(given, 40)!r}"
                ]
            )
        return name
    titles = sorted({g.student.variant.meta.title.strip() for g in report.graded})
    if len(titles) != 1 or not titles[0]:
        shown = ", ".join(repr(abbreviated(t, 40)) for t in titles[:3])
        raise InvalidInput(
            [
                f"--assignment-name: the variants have {len(titles)} titles ({shown}); name "
                "the LMS's assignment with --assignment-name"
            ]
        )
    return titles[0]


def _possible(graded: Graded) -> Fraction:
    return sum((i.points for i in graded.student.items), Fraction(0))


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")  # quotes only cells that need it
    writer.writerows(safe_row(row) for row in rows)
    return out.getvalue()


def _unanswered(report: GradeReport, lms: str) -> list[str]:
    missing = [g.student.id for g in report.graded if not g.answered]
    if not missing:
        return []
    listed = ", ".join(missing[:20]) + (
        f" and {len(missing) - 20} more" if len(missing) > 20 else ""
    )
    return [f"not in the {lms} file, no answers (their {lms} grade stays as it is): {listed}"]


def canvas_file(report: GradeReport, assignment: str) -> LmsFile:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, the
    assignment; a Points Possible row; a row a student who answered, with the total."""
    answered = [g for g in report.graded if g.answered]
    possible = {_possible(g) for g in report.graded}
    points = points_text(possible.pop()) if len(possible) == 1 else ""
    rows = [[*LMS_COLUMNS["Canvas"], assignment], [POINTS_POSSIBLE, "", "", "", "", points]]
    without = []
    for graded in answered:
        identity = report.lms.get(graded.student.id)
        if identity is not None and identity.lms == "Canvas":
            cells = [identity.get(column) for column in LMS_COLUMNS["Canvas"]]
        else:  # Canvas finds them by the SIS User ID, else by name
            without.append(graded.student.id)
            cells = [graded.student.name, "", graded.student.id, "", ""]
        rows.append([*cells, points_text(graded.total)])
    notes = _unanswered(report, "Canvas")
    if without:
        notes.append(
            f"{len(without)} of {len(answered)} rows without Canvas's ID, SIS Login ID and "
            "Section (the roster was not Canvas's export): the id is the SIS User ID, the name "
            "the Student; Canvas finds them by these"
        )
    return LmsFile(_csv(rows), tuple(notes))


def moodle_file(report: GradeReport, assignment: str) -> LmsFile:
    """Moodle's grade import: First name, Last name, ID number, Email address, the grade
    ("<assignment> (Real)") and the feedback ("<assignment> (Feedback)"); a row a student who
    answered and whom Moodle knows."""
    item = assignment.removesuffix(" (Real)")
    rows = [[*LMS_COLUMNS["Moodle"], f"{item} (Real)", f"{item} (Feedback)"]]
    answered = [g for g in report.graded if g.answered]
    known = {i for i, identity in report.lms.items() if identity.lms == "Moodle"}
    notes = _unanswered(report, "Moodle")
    left_out = []
    for graded in answered:
        student = graded.student
        identity = report.lms.get(student.id)
        if identity is not None and identity.lms == "Moodle":
            cells = [identity.get(column) for column in LMS_COLUMNS["Moodle"]]
        elif known:  # a batch from Moodle's export: one it did not list may be no user of it
            left_out.append(student.id)
            continue
        else:  # a roster no Moodle wrote: its ids are taken for ID numbers
            cells = [student.name, "", student.id, ""]
        if not cells[2]:  # an empty user cell would give the grade to the row before's user
            left_out.append(student.id)
            continue
        rows.append([*cells, points_text(graded.total), feedback_text(graded).rstrip("\n")])
    if left_out:
        listed = ", ".join(left_out[:20]) + (
            f" and {len(left_out) - 20} more" if len(left_out) > 20 else ""
        )
        notes.append(
            f"not in the Moodle file, not in Moodle's export or without an ID number (Moodle "
            f"stops the whole import at a user it does not know): {listed}"
        )
    if not known and len(rows) > 1:
        notes.append(
            "the roster was not Moodle's export: the ID number column holds the roster's ids; "
            "Moodle stops the whole import at an ID number none of its users has"
        )
    if any(g.total > MOODLE_GRADE_MAXIMUM for g in answered):
        notes.append(
            f"a total above {MOODLE_GRADE_MAXIMUM}: Moodle refuses it unless the site allows "
            "unlimited grades"
        )
    return LmsFile(_csv(rows), tuple(notes))


WRITERS: dict[str, Callable[[GradeReport, str], LmsFile]] = {
    "canvas": canvas_file,
    "moodle": moodle_file,
}


def lms_file(report: GradeReport, lms: str, given_name: str | None) -> LmsFile:
    """The grade file of an LMS (canvas or moodle) for the report."""
    return WRITERS[lms](report, assignment_name(report, given_name))
