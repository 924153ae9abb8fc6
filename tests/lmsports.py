"""Ports of the LMS grade importers that grade --for writes for, kept to what decides whether
a file is taken and to whom each grade goes: tests read solgen's files with them.

Canvas: GradebookImporter (canvas-lms lib/gradebook_importer.rb): csv_stream (semicolon or
comma by identify_delimiter over the first 3 lines, skip_lines /^[;, ]+$/, the
decimal_comma_to_period converter), header? with row_has_student_headers? and
update_column_count, strip_non_assignment_columns, parse_assignments with
Assignment.title_and_id, check_for_non_student_row (Points Possible, Muted), process_student
(ID, then SIS User ID, then SIS Login ID, then name), process_submissions.

Canvas's submissions zip: ContentZipper#add_upload_submission, get_filename,
sanitize_file_name and sanitize_user_name (lib/content_zipper.rb) name each uploaded file of
Download Submissions; Assignment#generate_comments_from_files with
infer_comment_context_from_filename (app/models/assignment.rb) turn each file of an Upload
Submissions zip into a comment on a submission, or ignore it.

Moodle's submissions zip: assign::download_submissions (mod/assign/locallib.php) names each
file, in a folder per student and plugin (Moodle >= 3.1, without the folder's trailing `_`
from 4.1) or with the folder's name as a prefix; assignfeedback_file_zip_importer
(mod/assign/feedback/file/importziplib.php: is_valid_filename_for_import, is_file_modified,
import_zip_files) takes the files of an uploaded feedback zip.

Moodle: gradeimport_csv_load_data::prepare_import_grade_data (grade/import/csv/classes/
load_data.php) with the mapping form's defaults (grade_import_mapping_form: the first user
field whose label is a header; "(Real)" and "(Feedback)" headers mapped to the item).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field


class InvalidHeaderRow(Exception):
    """Canvas: the progress message "Invalid header row"."""


@dataclass(frozen=True)
class CanvasUser:
    """A student of the Canvas course."""

    id: int
    name: str
    sortable_name: str
    sis_user_id: str
    login: str


@dataclass
class CanvasImport:
    """What GradebookImporter made of a file."""

    assignments: list[tuple[str, int | None]]  # (title, the existing id it matched or None)
    points_possible: list[str | None]
    students: list[tuple[int | None, str]]  # (Canvas user id or None: not found, their name)
    grades: list[list[str | None]]  # a row a student, a grade an assignment


NON_ASSIGNMENT = (
    "Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
    "Override Score|Override Grade|Override Status"
)


def _decimal_comma_to_period(cell: str | None) -> str | None:
    if cell is not None and re.match(r"^-?[0-9.,]+%?$", cell):
        parts = re.split(r"[,.]", cell)
        last = parts.pop()
        return last if not parts else "".join(parts) + "." + last
    return cell


def _canvas_rows(text: str) -> list[list[str | None]]:
    first = text.splitlines(keepends=True)[:3]

    def fields(separator: str) -> int:
        counts = {len(next(csv.reader([line], delimiter=separator), [])) for line in first}
        return counts.pop() if len(counts) == 1 else 0

    separator = ";" if fields(";") > fields(",") else ","
    rows = []
    for line in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
        raw = separator.join(line)
        if re.fullmatch(r"[;, ]+", raw):
            continue  # skip_lines
        # Ruby's CSV gives nil for an empty unquoted field; the nil converter keeps it
        rows.append([_decimal_comma_to_period(c) if c != "" else None for c in line])
    return rows


def _title_and_id(text: str) -> tuple[str, str | None]:
    found = re.fullmatch(r"(.*)\s\((\d+)\)", text, re.DOTALL)
    return (found[1], found[2]) if found else (text, None)


def canvas_import(text: str, users: list[CanvasUser], assignments: dict[int, str]) -> CanvasImport:
    """The import of a gradebook CSV into a course with these students and assignments
    (id -> title); InvalidHeaderRow as Canvas's importer raises it."""
    rows = _canvas_rows(text)
    header = [c or "" for c in rows[0]]
    if not (len(header) > 3 and "Student" in header[0] and "ID" in header[1]):
        raise InvalidHeaderRow  # row_has_student_headers? (no LastName, FirstName allowed)
    columns = 3
    sis_user = sis_login = None
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        sis_login, columns = 2, 4
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(
        r"SIS\s+Login\s+ID", header[3] if len(header) > 3 else ""
    ):
        extra = 1 if re.search(r"Integration\s+ID", header[4] if len(header) > 4 else "") else 0
        sis_user, sis_login = 2, 3
        columns += 2 + extra
        if re.search(r"Root\s+Account", header[4 + extra] if len(header) > 4 + extra else ""):
            columns += 1
    if "Section" not in header[columns - 1]:  # last_student_info_column (no custom columns)
        raise InvalidHeaderRow
    names = [h for h in header[columns:] if not re.search(NON_ASSIGNMENT, h)]
    found: list[tuple[str, int | None]] = []
    for name in names:
        title, number = _title_and_id(name)
        match = int(number) if number and int(number) in assignments else None
        match = match or next((i for i, t in assignments.items() if t == name), None)
        found.append((assignments[match] if match else title, match))
    index = [header.index(name) for name in names]
    result = CanvasImport(found, [None] * len(found), [], [])
    for row in rows[1:]:
        if row[0] is not None and "Points Possible" in row[0]:
            result.points_possible = [row[i] if i < len(row) else None for i in index]
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c or "", re.I) for c in row if c):
            continue
        result.students.append(_canvas_student(row, users, sis_user, sis_login))
        result.grades.append([(row[i] or "").strip() if i < len(row) else None for i in index])
    return result


def _canvas_student(
    row: list[str | None], users: list[CanvasUser], sis_user: int | None, sis_login: int | None
) -> tuple[int | None, str]:
    student_id = row[1]
    by_id = {u.id: u for u in users}
    if student_id and student_id.strip().isdigit() and int(student_id) in by_id:  # to_i
        return int(student_id), by_id[int(student_id)].name
    for column, attribute in ((sis_user, "sis_user_id"), (sis_login, "login")):
        value = row[column] if column is not None and column < len(row) else None
        user = next((u for u in users if value and getattr(u, attribute) == value), None)
        if user is not None:
            return user.id, user.name
    name = row[0] or ""
    user = next((u for u in users if name in (u.name, u.sortable_name)), None)
    return (user.id, user.name) if user else (None, name)


class MoodleAbort(Exception):
    """Moodle: the import stopped (cleanup_import), nothing imported; the message its."""


@dataclass
class MoodleImport:
    """What prepare_import_grade_data buffered: user -> (grade, feedback)."""

    grades: dict[str, tuple[float | None, str | None]] = field(default_factory=dict)


# The mapping form's "Map to" options and their English labels, in the form's order.
MOODLE_USER_FIELDS = {
    "userid": ("id", "User ID"),
    "username": ("username", "Username"),
    "useridnumber": ("idnumber", "ID number"),
    "useremail": ("email", "Email address"),
}


def moodle_import(text: str, users: list[dict[str, str]], item: str) -> MoodleImport:
    """The import of a CSV file with the mapping form's defaults, into a course whose grade
    item is named item; users are the site's (id, username, idnumber, email)."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    header = [h.strip() for h in rows[0]]
    mapping = {i: "0" for i in range(len(header))}
    mapfrom = next(
        (
            (i, key)
            for key, (_, label) in MOODLE_USER_FIELDS.items()
            for i, h in enumerate(header)
            if h == label
        ),
        None,
    )
    for i, h in enumerate(header):
        if "(Real)" in h and h.split("(Real)")[0].strip() == item:
            mapping[i] = "item"
        if "(Feedback)" in h and h.split("(Feedback)")[0].strip() == item:
            mapping[i] = "feedback"
    if mapfrom is None:
        raise MoodleAbort("no user mapping")
    mapping[mapfrom[0]] = mapfrom[1]
    result = MoodleImport()
    student = None  # kept from line to line, as $this->studentid is
    for line in rows[1:]:
        if len(line) <= 1:
            continue
        grade: float | None = None
        feedback = None
        for key, value in enumerate(line):
            value = value.strip()
            kind = mapping.get(key, "0")
            if kind in MOODLE_USER_FIELDS:
                if value:  # "Skip invalid row with blank user field"
                    column = MOODLE_USER_FIELDS[kind][0]
                    user = next((u for u in users if u[column] == value), None)
                    if user is None:
                        raise MoodleAbort(f'No user with "{column}" of "{value}"')
                    student = user["id"]
            elif kind == "item":
                if value not in ("", "-"):
                    try:
                        grade = float(value)  # unformat_float
                    except ValueError:
                        raise MoodleAbort("badgrade") from None
                    if grade > 100:
                        raise MoodleAbort("gradevaluetoobig")
            elif kind == "feedback":
                feedback = value
        if not student:
            raise MoodleAbort("usermappingerrorusernotfound")
        result.grades[student] = (grade, feedback)
    return result


# --- Canvas: Download Submissions and Upload Submissions ------------------------------------


def canvas_download_name(
    sortable_name: str, user_id: int, attachment_id: int, display_name: str, late: bool = False
) -> str:
    """The name Download Submissions gives an uploaded file (add_upload_submission)."""
    user = re.sub(r"_(\d+)_", r"\1", sortable_name)  # sanitize_user_name
    user = re.sub(r"^(\d+)$", r"\1", user)
    filename = "_".join([user, *(["LATE"] if late else []), str(user_id)])
    filename = re.sub(r"[^\w]", "", filename).lower()  # sanitize_file_name: [^[[:word:]]]
    return f"{filename}_{attachment_id}_{display_name}"


@dataclass(frozen=True)
class CanvasComment:
    """A comment Upload Submissions adds: on user's submission, the files attached, each under
    the display name of the submission's attachment it answers, with the bytes uploaded."""

    user_id: int
    files: list[tuple[str, bytes]]


def canvas_upload_submissions(
    data: bytes, submissions: dict[int, dict[int, str]]
) -> tuple[list[CanvasComment], list[str]]:
    """Upload Submissions of a zip into an assignment whose submissions are these (user id ->
    {attachment id: display name}): the comments made and the files ignored."""
    ignored: list[str] = []
    found: dict[int, list[tuple[str, bytes]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            filename = info.filename.rsplit("/", 1)[-1]  # File.basename
            split_filename = filename.split("_")
            numbers = [p for p in split_filename if re.fullmatch(r"\d+", p)]
            user_id, attachment_id = ([*numbers, None, None])[:2]
            if re.match(r"link", split_filename[-1]) or filename.startswith("._"):
                attachment_id = None
            attachments = submissions.get(int(user_id)) if user_id else None
            if (
                attachments is None
                or attachment_id is None
                or int(attachment_id) not in attachments
            ):
                ignored.append(info.filename)  # no submission, or not one of its attachments
                continue
            shown = attachments[int(attachment_id)]
            found.setdefault(int(user_id), []).append((shown, archive.read(info)))
    return [CanvasComment(user, files) for user, files in found.items()], ignored


# --- Moodle: Download all submissions and Upload multiple feedback files in a zip ------------

MOODLE_PLUGINS = {  # get_plugin_by_type: the assignment's enabled plugins
    ("assignsubmission", "file"),
    ("assignsubmission", "onlinetext"),
    ("assignfeedback", "file"),
    ("assignfeedback", "comments"),
}


def moodle_download_name(
    fullname: str, participant: int, filename: str, folders: bool = True, before_41: bool = False
) -> str:
    """The name Download all submissions gives a submitted file."""
    prefix = f"{fullname.replace('_', ' ')}_{participant}"
    if not folders:
        return f"{prefix}_assignsubmission_file_{filename}"
    return f"{prefix}_assignsubmission_file{'_' if before_41 else ''}/{filename}"


def moodle_feedback_import(
    data: bytes, participants: dict[int, str], submitted: dict[int, dict[str, bytes]]
) -> tuple[dict[str, list[tuple[str, bytes]]], list[str]]:
    """Upload multiple feedback files in a zip, into an assignment with these participants
    (unique id -> user) and submitted files (unique id -> file name -> bytes): the feedback
    files each user gets ((path, bytes)) and the files skipped."""
    added: dict[str, list[tuple[str, bytes]]] = {}
    skipped: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            found = _moodle_file(info.filename, participants)
            if found is None:
                skipped.append(info.filename)
                continue
            participant, plugin, filename = found
            content = archive.read(info)
            files = submitted.get(participant, {})
            if plugin[0] == "assignsubmission" and files.get(filename.lstrip("/")) == content:
                skipped.append(info.filename)  # is_file_modified: a submitted file, unchanged
                continue
            user = participants[participant]
            added.setdefault(user, []).append((filename, content))
    return added, skipped


def _moodle_file(
    path: str, participants: dict[int, str]
) -> tuple[int, tuple[str, str], str] | None:
    """is_valid_filename_for_import: (participant, plugin, file name) or None."""
    name = path.rsplit("/", 1)[-1]
    if name.startswith((".", "~")):
        return None
    parts = path.split("/")
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) < 4 or not re.fullmatch(r"\d+", info[1]):
            continue
        participant = int(info[1])
        if participant not in participants:
            continue
        plugin = (info[2], info[3])
        if plugin not in MOODLE_PLUGINS:
            continue
        parts.insert(0, info[4] if len(info) == 5 else "")
        return participant, plugin, "/".join(parts)
    return None
