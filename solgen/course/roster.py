"""The class roster: a CSV file of students (id, name), read and checked in one pass."""

from __future__ import annotations

import csv
import io
import re
import string
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from solgen.base.charset import unprintable_in_name, unsettable_characters
from solgen.base.encodings import wide_encoding
from solgen.base.errors import InvalidInput
from solgen.base.messages import abbreviated

# Folder names a student may not get (lower-case compare): the batch directory's own files.
RESERVED = frozenset(
    {
        "release",  # an older solgen's folder (removed on a rerun)
        "handout",
        "solutions",
        "withdrawn",  # withdrawn students' files (withdraw.py)
        "answers.csv",
        "answers.json",
        "report.txt",
        "key.pdf",
        "manifest.json",
        "all-solutions.pdf",
        "all-assignments.pdf",
    }
)
MAX_BYTES = 10 * 1024 * 1024  # a roster of 5000 students is far below; anything bigger is not one
MAX_STUDENTS = 5000
MAX_ID = 64
MAX_NAME = 200
MAX_FOLDER = 64
_SAFE = frozenset(string.ascii_letters + string.digits + "-_.")
# Control and format characters and line/paragraph separators: invisible or line-breaking,
# so an id or name holding one would look like another or break a one-line message.
_CONTROL = frozenset({"Cc", "Cf", "Zl", "Zp"})
_UTF8_BOM = b"\xef\xbb\xbf"
_LINE_END = re.compile(r"\r\n|\r|\n")


# The columns by which each LMS's grade import finds a student, as its own export names them
# (Canvas: GradebookImporter reads Student, ID, SIS User ID, SIS Login ID, then Section;
# Moodle's CSV import maps a user from the ID number or the email address). A roster exported
# by the LMS keeps them for the way back (grade --for); the batch stores them in manifest.json.
LMS_COLUMNS = {
    "Canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
    "Moodle": ("First name", "Last name", "ID number", "Email address"),
}
MAX_IDENTITY = 200  # characters of one identity cell (an email address, a section's name)


@dataclass(frozen=True)
class Identity:
    """Who a student is in an LMS, as the roster the LMS exported says: its identity columns."""

    lms: str  # "Canvas" or "Moodle" (a key of LMS_COLUMNS)
    cells: tuple[tuple[str, str], ...]  # (column, value) in LMS_COLUMNS order; '' when absent

    def get(self, column: str) -> str:
        """The value of one identity column ('' when the export had no such column)."""
        return dict(self.cells).get(column, "")


@dataclass(frozen=True)
class ColumnMap:
    """Which columns of a roster hold the id and the name (batch --id-column, --name-column);
    None and () leave them to detection: id and name, or an LMS's export."""

    id: str | None = None
    names: tuple[str, ...] = ()  # several are joined with a space (First name, Last name)


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    id: str  # as written in the roster, surrounding whitespace stripped, NFC-normalised
    name: str  # likewise
    folder: str  # the id made safe as a directory name (safe_folder)
    row: int  # the row number in the file, the header being row 1 (counted as spreadsheets do)
    identity: Identity | None = None  # the LMS's identity columns, when the LMS exported it


def safe_folder(student_id: str) -> str:
    """The id as a directory name: only [A-Za-z0-9._-], no leading '.', at most 64 characters."""
    # NFC first, so that é typed as one or as two code points gives the same folder.
    text = unicodedata.normalize("NFC", student_id)
    folder = "".join(c if c in _SAFE else "_" for c in text)[:MAX_FOLDER] or "_"
    if folder.startswith("."):
        folder = "_" + folder[1:]  # no hidden folders, and never '.' or '..'
    if folder.lower() in RESERVED:
        folder += "_"
    return folder


def read_roster(
    path: Path, notes: list[str] | None = None, mapping: ColumnMap | None = None
) -> list[Student]:
    """The students of a roster CSV in file order; InvalidInput lists every problem found.

    A plain roster has the columns id and name; a Canvas gradebook export and a Moodle grades
    export are read as their LMS writes them (notes: the rows skipped, such as Canvas's
    Points Possible row and test student); mapping names other columns for the id and name."""
    problems: list[str] = []
    text = load_csv_text(path, problems)
    students = _parse(text, problems, notes, mapping or ColumnMap()) if text is not None else []
    if problems:
        # Every problem: the command line prints 20 and "and N more" (one cap for all commands).
        prefix = f"--roster {_escaped(str(path))}: "
        raise InvalidInput([prefix + problem for problem in problems])
    return students


def load_csv_text(
    path: Path, problems: list[str], header: str = "the columns id and name"
) -> str | None:
    """A CSV file's text, or None after adding the one file-level problem that prevents reading
    (header: what the header row should hold, for the message about an empty file)."""
    try:
        if not path.exists():
            problems.append("the file does not exist")
            return None
        if path.is_dir():
            problems.append("expected a CSV file, found a directory")
            return None
        if not path.is_file():  # a FIFO or device could block or never end
            problems.append("expected a CSV file, found a special file")
            return None
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)  # never more: the file may be huge or growing
    except OSError as exc:
        problems.append(f"cannot read the file: {exc.strerror or exc}")
        return None
    if len(data) > MAX_BYTES:
        problems.append(f"the file has more than {MAX_BYTES} bytes, expected at most 10 MB")
        return None
    return csv_text(data, problems, header)


def csv_text(
    data: bytes, problems: list[str], header: str = "the columns id and name"
) -> str | None:
    """A CSV file's bytes as text (UTF-8, Excel's byte-order mark dropped), or None after adding
    the one problem that prevents reading: UTF-16, binary, not UTF-8, empty."""
    wide = wide_encoding(data)
    if wide is not None:
        problems.append(f"the file is {wide} text, expected UTF-8 (save it as CSV UTF-8)")
        return None
    if data.startswith(b"PK\x03\x04"):  # what a spreadsheet's own format (.xlsx, .ods) is
        problems.append(
            "the file is a zip archive (a spreadsheet saved as .xlsx or .ods?), expected a CSV "
            "text file: save it as CSV UTF-8"
        )
        return None
    if b"\x00" in data:
        problems.append("the file is binary (it holds NUL bytes), expected a CSV text file")
        return None
    skipped = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0  # Excel's "CSV UTF-8" has one
    try:
        text = data[skipped:].decode("utf-8")
    except UnicodeDecodeError as exc:
        # Only the first bad byte: a file in another encoding has them everywhere, one fix for all.
        before = data[skipped : skipped + exc.start].decode("utf-8")
        line = len(_LINE_END.findall(before)) + 1
        offset = skipped + exc.start
        problems.append(
            f"row {line}: not UTF-8 text (byte {data[offset]:#04x} at offset {offset}); "
            "save the file as CSV UTF-8"
        )
        return None
    if not text:
        problems.append(f"the file is empty, expected a header row with {header}")
        return None
    return text


def _parse(
    text: str, problems: list[str], notes: list[str] | None, mapping: ColumnMap
) -> list[Student]:
    """Check the header and every row, adding all problems; the students if there are none."""
    # strict: a stray quote ("Noether" Emmy) or an unclosed one is an error, not a guess.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text), strict=True)
    students: list[Student] = []
    seen = _Seen()
    row, count = 0, 0  # row: the last row read, so a csv.Error is in row + 1
    try:
        header = next(reader, [])
        row = 1
        columns = _columns(header, problems, mapping)
        if columns is None:
            return []
        for row, cells in enumerate(reader, start=2):
            if not "".join(cells).strip():
                continue  # spreadsheets write trailing empty rows
            count += 1
            if count > MAX_STUDENTS:
                problems.append(
                    f"row {row}: student {count}, expected at most {MAX_STUDENTS} students"
                )
                break
            what = (
                _NOT_STUDENTS.get(_cell(cells, columns.skip).lower())
                if columns.skip is not None
                else None
            )
            if what is not None:
                if notes is not None:
                    notes.append(f"roster row {row}: {columns.lms}'s export: {what}, skipped")
                continue
            student = _student(row, cells, columns, seen, problems)
            if student is not None:
                students.append(student)
                if notes is not None:
                    notes.extend(name_fallback(student))
    except csv.Error as exc:
        # The reader cannot resynchronise after a quoting error: report it and stop there.
        hint = " (a quoted cell is never closed)" if "end of data" in str(exc) else ""
        problems.append(f"row {row + 1}: not valid CSV: {exc}{hint}")
    return students


def csv_delimiter(text: str, required: frozenset[str] = frozenset({"id", "name"})) -> str:
    """Comma, semicolon or tab, as the header line uses it outside quotes."""
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for char in text[:65536]:  # a header longer than that is no header
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            break
        elif not quoted and char in counts:
            counts[char] += 1
    candidates = [d for d in ",;" if counts[d]] or [d for d in "\t" if counts[d]] or [","]
    # Both , and ; (e.g. an unquoted "Nachname, Vorname;id;name"): the one that yields the columns.
    for delimiter in candidates:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        except csv.Error:
            continue
        if required <= {cell.strip().lower() for cell in header}:
            return delimiter
    return candidates[0]


@dataclass(frozen=True)
class _Layout:
    """Where a roster's id and name are: a plain roster's columns id and name, or an LMS's
    export (Canvas's gradebook: the SIS User ID, the student number, and Student; Moodle's
    grades or participants: ID number, and First name with Last name)."""

    id: int
    names: tuple[int, ...]  # joined with a space: Moodle's first and last names
    width: int
    id_header: str = "id"
    name_header: str = "name"
    lms: str = ""  # "Canvas", "Moodle" or "" (a roster no LMS wrote)
    identity: tuple[int | None, ...] = ()  # where LMS_COLUMNS[lms] are (None: not exported)
    skip: int | None = None  # Canvas's Student column: its rows that are no student


def _lms_layout(names: list[str], header: list[str]) -> _Layout | None:
    """A Canvas gradebook or Moodle grades export, recognised by its own columns."""

    def once(column: str) -> int | None:
        found = [i for i, name in enumerate(names) if name == column]
        return found[0] if len(found) == 1 else None

    sis, student = once("sis user id"), once("student")
    if sis is not None and student is not None:
        return _Layout(sis, (student,), len(header), header[sis].strip(), "Student", "Canvas")
    number, first = once("id number"), once("first name")
    last = once("last name") if once("last name") is not None else once("surname")
    if number is not None and first is not None and last is not None:
        name = f"{header[first].strip()} and {header[last].strip()}"
        return _Layout(number, (first, last), len(header), header[number].strip(), name, "Moodle")
    return None


def _detected(header: list[str], problems: list[str]) -> _Layout | None:
    """Where the id and the name are without options (the columns id and name, else an LMS's
    export), or None after adding problems."""
    names = [cell.strip().lower() for cell in header]
    if not any(names):
        problems.append("row 1: expected a header row with the columns id and name, found none")
        return None
    if "name" not in names or "id" not in names:
        lms = _lms_layout(names, header)
        if lms is not None:
            return lms
    found = _found(header)  # one short line
    positions = []
    for column in ("id", "name"):
        cells = [i for i, name in enumerate(names) if name == column]
        if not cells:
            problems.append(f"row 1: no column '{column}' (found columns: {found})")
        elif len(cells) > 1:
            listed = ", ".join(str(i + 1) for i in cells[:-1]) + f" and {cells[-1] + 1}"
            problems.append(f"row 1: column '{column}' in cells {listed}, expected it once")
        else:
            positions.append(cells[0])
    if len(positions) < 2:
        return None
    return _Layout(positions[0], (positions[1],), len(header))


def _found(header: list[str]) -> str:
    """The header's columns for a message: the first ten, then '...'."""
    given = [_escaped(_short(cell.strip())) for cell in header if cell.strip()]
    return ", ".join(given[:10]) + (", ..." if len(given) > 10 else "")


def _mapped(column: str, option: str, header: list[str], problems: list[str]) -> int | None:
    """The position of the column an option names (case-insensitive), or None after adding
    the problem: no such column, or more than one."""
    names = [cell.strip().lower() for cell in header]
    cells = [i for i, name in enumerate(names) if name == column.strip().lower()]
    shown = _escaped(_short(column.strip()))
    if not cells:
        problems.append(f"row 1: no column '{shown}' ({option}; found columns: {_found(header)})")
        return None
    if len(cells) > 1:
        listed = ", ".join(str(i + 1) for i in cells[:-1]) + f" and {cells[-1] + 1}"
        problems.append(f"row 1: column '{shown}' in cells {listed} ({option}), expected it once")
        return None
    return cells[0]


def _identity_columns(header: list[str]) -> tuple[str, tuple[int | None, ...]]:
    """The LMS whose export this header is and where its identity columns are ('' and () for
    a roster no LMS wrote): Canvas by Student and ID, Moodle by its names and ID number or
    email address. Moodle's participants download calls the last name Surname."""
    names = [cell.strip().lower() for cell in header]

    def once(*columns: str) -> int | None:
        for column in columns:
            found = [i for i, name in enumerate(names) if name == column]
            if len(found) == 1:
                return found[0]
        return None

    if once("student") is not None and once("id") is not None:
        return "Canvas", tuple(once(c.lower()) for c in LMS_COLUMNS["Canvas"])
    first, last = once("first name"), once("last name", "surname")
    number, email = once("id number"), once("email address")
    if first is not None and last is not None and (number is not None or email is not None):
        return "Moodle", (first, last, number, email)
    return "", ()


def _columns(header: list[str], problems: list[str], mapping: ColumnMap) -> _Layout | None:
    """Where the id, the name and the LMS's identity columns are, or None after adding problems:
    the columns mapping names, the others as _detected."""
    lms, identity = _identity_columns(header)
    if mapping.id is None and not mapping.names:
        layout = _detected(header, problems)
    else:
        layout = _mapped_layout(header, problems, mapping)
    if layout is None:
        return None
    # Canvas's Student column holds its rows that are no student (Points Possible, Test)
    skip = identity[0] if lms == "Canvas" else layout.names[0] if layout.lms == "Canvas" else None
    return replace(layout, lms=lms or layout.lms, identity=identity, skip=skip)


def _mapped_layout(header: list[str], problems: list[str], mapping: ColumnMap) -> _Layout | None:
    """The layout of a roster whose id or name columns are named by options; the one not named
    is detected: a column id (name) once, else the LMS export's."""
    before = len(problems)
    id_at = _mapped(mapping.id, "--id-column", header, problems) if mapping.id else None
    names_at = [_mapped(n, "--name-column", header, problems) for n in mapping.names]
    names = [cell.strip().lower() for cell in header]
    lms = _lms_layout(names, header)
    if mapping.id is None:
        found = [i for i, name in enumerate(names) if name == "id"]
        id_at = found[0] if len(found) == 1 else lms.id if lms is not None else None
        if id_at is None:
            problems.append(_undetected("id", "--id-column", header))
    if not mapping.names:
        found = [i for i, name in enumerate(names) if name == "name"]
        names_at = [found[0]] if len(found) == 1 else list(lms.names) if lms is not None else []
        if not names_at:
            problems.append(_undetected("name", "--name-column", header))
    if len(problems) > before or id_at is None:
        return None
    given = tuple(i for i in names_at if i is not None)
    name_header = " and ".join(header[i].strip() for i in given)
    return _Layout(id_at, given, len(header), header[id_at].strip(), name_header)


def _undetected(column: str, option: str, header: list[str]) -> str:
    return (
        f"row 1: no column '{column}' (found columns: {_found(header)}); "
        f"name the {column} column with {option}"
    )


# Rows of an LMS export that are no student: Canvas's points row and its test student.
_NOT_STUDENTS = {"points possible": "its Points Possible row", "student, test": "its test student"}


def _student(
    row: int, cells: list[str], layout: _Layout, seen: _Seen, problems: list[str]
) -> Student | None:
    """The student of one data row, or None after adding its problems."""
    width = layout.width
    if len(cells) > width:
        # Most often an unquoted comma in a name: the cells after it are shifted, check no further.
        problems.append(f"row {row}: {len(cells)} cells, the header has {width}")
        return None
    # A short row's missing cells are empty cells.
    student_id = _cell(cells, layout.id)
    name = " ".join(part for part in (_cell(cells, i) for i in layout.names) if part)
    id_problem = _id_problem(student_id)
    name_problem = _name_problem(name)
    if id_problem:
        problems.append(f"row {row}, column {layout.id_header}: {id_problem}")
    if name_problem:
        problems.append(f"row {row}, column {layout.name_header}: {name_problem}")
    identity = _identity(row, cells, layout, problems)
    student = Student(
        id=student_id, name=name, folder=safe_folder(student_id), row=row, identity=identity
    )
    # A valid id counts as taken even when the name is bad: its duplicates are reported too.
    unique = not id_problem and seen.add(student, problems)
    return student if unique and not name_problem else None


def _identity(row: int, cells: list[str], layout: _Layout, problems: list[str]) -> Identity | None:
    """The row's LMS identity columns (None for a roster no LMS wrote); a cell too long or
    holding control characters is a problem (they go into the LMS's files)."""
    if not layout.identity:
        return None
    found = []
    for column, index in zip(LMS_COLUMNS[layout.lms], layout.identity, strict=True):
        value = _cell(cells, index) if index is not None else ""
        if len(value) > MAX_IDENTITY:
            problems.append(
                f"row {row}, column {column}: expected at most {MAX_IDENTITY} characters, "
                f"found {len(value)}"
            )
        elif _has_control(value):
            problems.append(
                f"row {row}, column {column}: expected no control characters, "
                f"found {_quoted(value)}"
            )
        found.append((column, value))
    return Identity(layout.lms, tuple(found))


def _cell(cells: list[str], index: int) -> str:
    return unicodedata.normalize("NFC", cells[index].strip()) if index < len(cells) else ""


def _id_problem(student_id: str) -> str | None:
    if not student_id:
        return "expected an id, found an empty cell"
    if len(student_id) > MAX_ID:
        return f"expected at most {MAX_ID} characters, found {len(student_id)}"
    if _has_control(student_id):
        return f"expected no control characters, found {_quoted(student_id)}"
    # The id is printed on the sheets (meta.student_id): refused here, before any folder.
    return _unsettable_problem(student_id)


def _name_problem(name: str) -> str | None:
    if not name:
        return "expected a name, found an empty cell"
    if len(name) > MAX_NAME:
        return f"expected at most {MAX_NAME} characters, found {len(name)}"
    if len(name.splitlines()) > 1:
        return f"expected one line, found a line break in {_quoted(name)}"
    if _has_control(name):
        return f"expected no control characters, found {_quoted(name)}"
    return None  # a name no font sets is printed as its id (name_fallback), never refused


def name_fallback(student: Student) -> list[str]:
    """The warning for a name that cannot be set (the sheets and key.pdf print the id instead),
    or nothing."""
    unsettable = unprintable_in_name(student.name)
    if not unsettable:
        return []
    shown = ", ".join(f"{_escaped(c)} (U+{ord(c):04X})" for c in unsettable[:5])
    return [
        f"roster row {student.row}: warning: pdflatex cannot set {shown} in the name of "
        f"{_quoted(student.id)}; its sheets and key.pdf print the id in place of the name"
    ]


def _unsettable_problem(text: str) -> str | None:
    unsettable = unsettable_characters(text)
    if unsettable:
        shown = ", ".join(f"{_escaped(c)} (U+{ord(c):04X})" for c in unsettable[:5])
        return f"pdflatex cannot set {shown}; expected Latin letters, digits and punctuation"
    return None


@dataclass
class _Seen:
    """The ids and folders (lower case: Windows and macOS ignore case) taken so far."""

    by_id: dict[str, Student] = field(default_factory=dict)
    by_folder: dict[str, Student] = field(default_factory=dict)

    def add(self, student: Student, problems: list[str]) -> bool:
        """Take the student's id and folder if both are free, else add the problem naming both."""
        first = self.by_id.get(student.id)
        if first is not None:
            problems.append(
                f"row {student.row}, column id: duplicate id {_quoted(student.id)} "
                f"(first on row {first.row})"
            )
            return False
        other = self.by_folder.get(student.folder.lower())
        if other is not None:
            problems.append(
                f"row {student.row}, column id: {_quoted(student.id)} and {_quoted(other.id)} "
                f"(row {other.row}) would share the folder {_quoted(other.folder)}"
            )
            return False
        self.by_id[student.id] = student
        self.by_folder[student.folder.lower()] = student
        return True


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in _CONTROL for c in text)


def _short(text: str) -> str:
    """text, or its first 37 characters and '...': messages stay one short line."""
    return abbreviated(text, 40)


def _escaped(text: str) -> str:
    """text with every unprintable character as \\uXXXX: a message never breaks or hides."""
    return "".join(
        c if c.isprintable() else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
        for c in text
    )


def _quoted(text: str) -> str:
    """A value for a message, quoted like repr: shortened, escaped, in ' (or " if it holds ')."""
    body = _escaped(_short(text).replace("\\", "\\\\"))
    quote = '"' if "'" in body and '"' not in body else "'"
    return quote + body.replace(quote, "\\" + quote) + quote
