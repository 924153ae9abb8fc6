"""The answers grade reads, as rows under a header of answer ids: a CSV file (a form's export,
the class's forms joined), or an LMS's submissions zip (submissions.py), a row per student's
latest uploaded answer form, named by its file in every message.

Whose a row is: in a CSV, its id cell; in Canvas's zip, the uploader (the roster's Canvas ID,
else the form's id); in Moodle's zip, the one student with the name Moodle gives the upload
(Moodle's participant ids are in no export), else the form's id.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from solgen.base.csvsafe import safe_cell
from solgen.base.errors import InvalidInput
from solgen.course.roster import csv_delimiter, csv_text, load_csv_text
from solgen.grading.policy import Policy
from solgen.grading.submissions import CANVAS, SubmissionsZip, Upload, is_zip, read_submissions


@dataclass(frozen=True)
class Answers:
    """The answers to grade: the header mapped to ids and the rows, numbered as in a
    spreadsheet, or, from a submissions zip, one per upload, named by its file."""

    columns: list[str]
    rows: list[tuple[int, list[str]]]
    labels: dict[int, str] = field(default_factory=dict)  # a row's name other than 'row N'
    uploads: dict[int, Upload] = field(default_factory=dict)  # a row's upload
    notes: list[str] = field(default_factory=list)  # what the zip held that grade did not read
    # student id -> an upload of theirs with no answers grade could read (feedback says so)
    unread: dict[str, Upload] = field(default_factory=dict)

    def place(self, number: int) -> str:
        """'row 5', or the zip entry the row came from."""
        return self.labels.get(number, f"row {number}")


@dataclass(frozen=True)
class Roster:
    """What answers need of the batch to tell whose an upload is."""

    canvas: dict[str, str]  # Canvas user id -> student id (a roster from Canvas's export)
    names: dict[str, str]  # student id -> name

    @functools.cached_property
    def named(self) -> dict[tuple[str, ...], list[str]]:
        """The students by the words of their names (made only for a Moodle zip)."""
        found: dict[tuple[str, ...], list[str]] = {}
        for student_id, name in self.names.items():
            found.setdefault(_words(name), []).append(student_id)
        return found


def read_answers(path: Path, policy: Policy, roster: Roster, lenient: bool) -> Answers:
    """The answers in path (a CSV, or a submissions zip); InvalidInput naming the file, the row
    or entry and the column when they cannot be read."""
    if is_zip(path):
        return _zip_rows(path, policy, roster, lenient)
    return _csv_rows(path, policy)


def _header(header: list[str], policy: Policy) -> list[str]:
    return [policy.columns.get(c.strip().lower(), c.strip()) for c in header]


def _csv_rows(path: Path, policy: Policy) -> Answers:
    """The answers of a CSV file."""
    problems: list[str] = []
    text = load_csv_text(path, problems, header="a column id")
    if text is None:
        raise InvalidInput([f"--answers {path}: {p}" for p in problems])
    try:
        delimiter = csv_delimiter(text, frozenset({"id"}))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = next(reader, [])
        columns = _header(header, policy)
        rows = [(n, cells) for n, cells in enumerate(reader, start=2) if "".join(cells).strip()]
    except csv.Error as exc:
        raise InvalidInput([f"--answers {path}: not valid CSV: {exc}"]) from None
    if "id" not in columns:
        found = ", ".join(c for c in header[:10] if c.strip()) or "none"
        raise InvalidInput(
            [
                f"--answers {path}: row 1: no column 'id' (found columns: {found}); name it id, "
                "or map it with [columns] in a --policy file"
            ]
        )
    return Answers(columns, rows)


def _form(data: bytes, policy: Policy) -> tuple[dict[str, str] | None, str]:
    """One uploaded answer form: its one row by column id, or None and why it cannot be read."""
    problems: list[str] = []
    text = csv_text(data, problems, header="a column id")
    if text is None:
        return None, problems[0]
    try:
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=csv_delimiter(text), strict=True
        )
        columns = _header(next(reader, []), policy)
        rows = [cells for cells in reader if "".join(cells).strip()]
    except csv.Error as exc:
        return None, f"not valid CSV: {exc}"
    if len(rows) != 1:
        return None, f"{len(rows)} answer rows, expected one (an answer form is one student's)"
    if len(rows[0]) > len(columns):
        return None, f"{len(rows[0])} cells, the header has {len(columns)}"
    return dict(zip(columns, rows[0], strict=False)), ""


def _latest_forms(
    found: SubmissionsZip,
) -> tuple[dict[str, tuple[Upload, bytes]], list[tuple[str, str]]]:
    """Each user's latest answer form (Canvas: the highest attachment id; Moodle: the latest
    file time), and what is said of the other files: (entry, why it was not read)."""
    said = [
        (entry, f"not a file {found.lms}'s submissions zip names, not read")
        for entry in found.ignored
    ]
    latest: dict[str, tuple[Upload, bytes]] = {}
    for upload, data in sorted(found.forms, key=lambda form: (form[0].uploaded, form[0].entry)):
        if upload.user_id in latest:
            said.append((latest[upload.user_id][0].entry, f"not graded, {upload.entry} is later"))
        latest[upload.user_id] = (upload, data)
    for upload in found.uploads:
        if upload.user_id not in latest and not upload.is_answer_form:
            said.append((upload.entry, "not an answers CSV, not graded"))
    return latest, said


LATE = "Canvas marked it late (graded as any other; Canvas's late policy applies in Canvas)"


def _words(name: str) -> tuple[str, ...]:
    """A name's words, case and accents aside, in order of the alphabet: 'Lovelace, Ada' and
    Moodle's 'Ada Lovelace' are one name."""
    plain = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return tuple(sorted(re.findall(r"\w+", plain)))


def _other(given: str, owner: str) -> bool:
    """Whether the form names another student than owner (answer-form.csv writes the id
    '=x as csvsafe does, so that is x's own)."""
    return bool(given) and given not in (owner, safe_cell(owner))


def _owner(upload: Upload, given: str, roster: Roster) -> tuple[str | None, str]:
    """The student id an upload is graded as (None: not graded) and what to say of it.

    Canvas: the roster's student with the uploader's Canvas ID. Moodle: the one student whose
    name is the name Moodle gives the upload; several or none, the form's id."""
    if upload.lms == CANVAS and roster.canvas:
        owner = roster.canvas.get(upload.user_id)
        if owner is None:
            return None, f"Canvas user {upload.user_id} is not in the roster"
        if _other(given, owner):
            return owner, f"the form says id {given!r}; graded as {owner}, whose upload it is"
        return owner, ""
    if not upload.full_name:
        return given or None, ""
    named = roster.named.get(_words(upload.full_name), [])
    if len(named) == 1:
        owner = named[0]
        if _other(given, owner):
            return owner, (
                f"the form says id {given!r}; graded as {owner}, whose upload Moodle says it is "
                f"({upload.full_name})"
            )
        return owner, ""
    why = "several students have that name" if named else "no student of the roster has it"
    if not given:
        return None, f"Moodle names the upload {upload.full_name}'s; {why}"
    return given, (
        f"Moodle names the upload {upload.full_name}'s; {why}: graded as the form's id {given}"
    )


def _zip_rows(path: Path, policy: Policy, roster: Roster, lenient: bool) -> Answers:
    """The answers of a submissions zip: each student's latest uploaded answer form, a row."""
    problems: list[str] = []
    found = read_submissions(path, problems)
    if found is None:
        raise InvalidInput([f"--answers {path}: {p}" for p in problems])
    latest, said = _latest_forms(found)
    cells_of: list[tuple[Upload, dict[str, str]]] = []
    for upload, data in latest.values():
        cells, why = _form(data, policy)
        if cells is None:
            if not lenient:
                problems.append(f"{upload.entry}: {why}")
            said.append((upload.entry, why))
            continue
        given = cells.get("id", "").strip()
        owner, note = _owner(upload, given, roster)
        if owner is None and not given:
            why = note or "the roster has no Canvas IDs"
            problems.append(f"{upload.entry}: column id: empty ({why})")
            continue
        if note:
            said.append((upload.entry, note))
        if owner is None:
            continue
        if upload.late:
            said.append((upload.entry, LATE))
        cells_of.append((upload, {**cells, "id": owner}))
    if problems:
        raise InvalidInput([f"--answers {path}: {p}" for p in problems])
    return _as_answers(cells_of, said, found, roster)


def _as_answers(
    cells_of: list[tuple[Upload, dict[str, str]]],
    said: list[tuple[str, str]],
    found: SubmissionsZip,
    roster: Roster,
) -> Answers:
    """The forms as rows under one header, in the order of their entries' names."""
    columns = list(dict.fromkeys(["id", *(c for _, cells in cells_of for c in cells)]))
    notes = [f"{entry}: {text}" for entry, text in sorted(said, key=lambda note: note[0])]
    answers = Answers(columns, [], notes=notes)
    for number, (upload, cells) in enumerate(sorted(cells_of, key=lambda c: c[0].entry), 1):
        answers.rows.append((number, [cells.get(c, "") for c in columns]))
        answers.labels[number] = upload.entry
        answers.uploads[number] = upload
    read = {upload.user_id for upload, _ in cells_of}
    for upload in sorted(found.uploads, key=lambda u: u.uploaded):
        owner = roster.canvas.get(upload.user_id) if upload.lms == CANVAS else None
        if owner is not None and upload.user_id not in read and upload.is_answer_form:
            answers.unread[owner] = upload  # a form grade could not read (--lenient)
    return answers
