"""roster.py: reading a class roster CSV, every invalid-input message, safe folder names."""

from __future__ import annotations

import dataclasses
import os
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solgen.base.charset import unsettable_characters
from solgen.base.errors import InvalidInput
from solgen.cli import main
from solgen.course.roster import (
    LMS_COLUMNS,
    MAX_BYTES,
    RESERVED,
    ColumnMap,
    Identity,
    Student,
    read_roster,
    safe_folder,
)

PDFLATEX = "expected Latin letters, digits and punctuation"
HEADER_NEEDED = "expected a header row with the columns id and name"


def write(tmp_path: Path, content: str | bytes, name: str = "roster.csv") -> Path:
    """The roster file; text is written as UTF-8 exactly as given (no newline translation)."""
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def problems_of(path: Path, mapping: ColumnMap | None = None) -> list[str]:
    """The messages read_roster raises for the file, each without its '--roster PATH: ' prefix."""
    with pytest.raises(InvalidInput) as info:
        read_roster(path, mapping=mapping)
    prefix = f"--roster {path}: "
    assert all(problem.startswith(prefix) for problem in info.value.problems)
    return [problem.removeprefix(prefix) for problem in info.value.problems]


def cell(text: str) -> str:
    """A CSV cell as spreadsheets write it: quoted when it holds a comma or a quote."""
    return '"' + text.replace('"', '""') + '"' if "," in text or '"' in text else text


# --- valid rosters -------------------------------------------------------------------------------

THREE = [
    Student(id="a1", name="Ada Lovelace", folder="a1", row=2),
    Student(id="b2", name="Noether, Emmy", folder="b2", row=3),
    Student(id="c 3", name='Grace "Amazing" Hopper', folder="c_3", row=4),
]


@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["no-bom", "bom"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@pytest.mark.parametrize("sep", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_reads_comma_semicolon_and_tab_files(tmp_path, sep, newline, bom):
    rows = [
        ["id", "name", "email"],
        ["a1", "Ada Lovelace", "ada@example.org"],
        ["b2", '"Noether, Emmy"', "emmy@example.org"],
        ["c 3", '"Grace ""Amazing"" Hopper"', ""],
    ]
    text = bom + newline.join(sep.join(row) for row in rows) + newline
    assert read_roster(write(tmp_path, text)) == THREE


@pytest.mark.parametrize(
    "header",
    ["id,name", "ID,Name", " Id , NAME ", "name,id", "email,Name,notes,ID", '"id","name"'],
)
def test_header_names_are_case_insensitive_and_other_columns_ignored(tmp_path, header):
    names = [name.strip(' "').lower() for name in header.split(",")]
    values = {"id": "x7", "name": "Zoë Çelik"}
    row = ",".join(values.get(name, "ignored") for name in names)
    assert read_roster(write(tmp_path, f"{header}\n{row}\n")) == [
        Student(id="x7", name="Zoë Çelik", folder="x7", row=2)
    ]


def test_delimiter_is_the_one_that_yields_the_columns(tmp_path):
    # A ;-file whose first header cell holds an unquoted comma: the comma is not the separator.
    path = write(tmp_path, "Nachname, Vorname;id;name\nNoether, Emmy;e1;Emmy Noether\n")
    assert read_roster(path) == [Student(id="e1", name="Emmy Noether", folder="e1", row=2)]


def test_semicolon_inside_quotes_does_not_make_a_semicolon_file(tmp_path):
    path = write(tmp_path, '"id;x",id,name\n1;2,a1,"Noether; Emmy"\n')
    assert read_roster(path) == [Student(id="a1", name="Noether; Emmy", folder="a1", row=2)]


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(tmp_path):
    text = "id,name,email\r\n,,\r\na1,Ada,\r\n\r\n  , ,\r\nb2,Bob,\r\n,,\r\n,,\r\n\r\n"
    assert read_roster(write(tmp_path, text)) == [
        Student(id="a1", name="Ada", folder="a1", row=3),
        Student(id="b2", name="Bob", folder="b2", row=6),
    ]


def test_quoted_line_break_in_another_column_keeps_spreadsheet_row_numbers(tmp_path):
    text = 'id,name,notes\na1,Ada,"two\nlines"\nb2,Bob,\n'
    assert [s.row for s in read_roster(write(tmp_path, text))] == [2, 3]


def test_cells_are_stripped_and_nfc_normalised(tmp_path):
    # "José" with a combining acute accent (NFD), as macOS may write it.
    path = write(tmp_path, "id,name\n  e\u0301-1 ,\t Jose\u0301  Nu\u0301n\u0303ez \n")
    (student,) = read_roster(path)
    assert student == Student(id="\u00e9-1", name="Jos\u00e9  N\u00fa\u00f1ez", folder="_-1", row=2)


def test_a_header_only_roster_has_no_students(tmp_path):
    assert read_roster(write(tmp_path, "id,name\n")) == []


UNICODE_NAMES = [
    "José Núñez-Ødegård",
    "Zoë Çelik",
    "Łukasz Żółć",
    "Noether, Emmy",
    "Åsa Ångström",
    "Björk Guðmundsdóttir",
    "François Lefèvre-Mitterrand",
    "Søren Kierkegaard",
    "Antonín Dvořák",
    "Paul Erdős",
    "Gauß, Carl Friedrich",
    "İlkay Gündoğan",
    "Þóra Ægisdóttir",
    "Ľudovít Štúr",
    "Jürgen Müller",
    "Naomi Ōsaka",
    "Mārtiņš Ķēniņš",
    "Şerban Ţepeş",
    "Œdipe Bœuf",
    "Ñandú Peña",
    "Chloë O'Brien",
    "Hélène d'Aubigné",
    "Ágnes Kővári",
    "Čestmír Šťastný",
    "Ewa Ślązak",
    "Aðalsteinn Þórsson",
    "Iñaki Ibáñez",
    "Ģirts Ļoļa",
    "Ġorġ Borġ",
    "Ÿvonne Løvås",
]


def test_the_unicode_names_are_typesettable():
    assert len(UNICODE_NAMES) == 30
    assert {name: unsettable_characters(name) for name in UNICODE_NAMES} == {
        name: [] for name in UNICODE_NAMES
    }


def test_reads_a_30_row_unicode_roster(tmp_path):
    ids = [f"2024/{i:03d}" if i % 3 == 0 else f"s{i:02d}" for i in range(30)]
    text = "email,id,Name\n"
    text += "".join(f"x@y,{i},{cell(name)}\n" for i, name in zip(ids, UNICODE_NAMES, strict=True))
    students = read_roster(write(tmp_path, text))
    assert students == [
        Student(id=i, name=name, folder=i.replace("/", "_"), row=row)
        for row, (i, name) in enumerate(zip(ids, UNICODE_NAMES, strict=True), start=2)
    ]
    assert students[3].name == "Noether, Emmy"


def test_student_is_frozen():
    student = Student(id="a1", name="Ada", folder="a1", row=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        student.name = "Bob"  # type: ignore[misc]


def test_5000_students_are_accepted(tmp_path):
    text = "id,name\n" + "".join(f"s{i},Student {i}\n" for i in range(5000))
    assert len(read_roster(write(tmp_path, text))) == 5000


# --- invalid rows and headers --------------------------------------------------------------------

INVALID = [
    pytest.param(
        "id,student\na1,Ada\n",
        ["row 1: no column 'name' (found columns: id, student)"],
        id="no-name-column",
    ),
    pytest.param(
        "Name;E-Mail\nAda;a@b\n",
        ["row 1: no column 'id' (found columns: Name, E-Mail)"],
        id="no-id-column",
    ),
    pytest.param(
        "student,mail\n",
        [
            "row 1: no column 'id' (found columns: student, mail)",
            "row 1: no column 'name' (found columns: student, mail)",
        ],
        id="neither-column",
    ),
    pytest.param(
        "id,name,ID\n", ["row 1: column 'id' in cells 1 and 3, expected it once"], id="id-twice"
    ),
    pytest.param(
        "name,id,Name, NAME \n",
        ["row 1: column 'name' in cells 1, 3 and 4, expected it once"],
        id="name-thrice",
    ),
    pytest.param(
        ",".join(f"c{i}" for i in range(12)) + "\n",
        [
            f"row 1: no column '{c}' (found columns: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, ...)"
            for c in ("id", "name")
        ],
        id="many-columns-listed-short",
    ),
    pytest.param(
        "id,na\x1bme\n",
        ["row 1: no column 'name' (found columns: id, na\\u001bme)"],
        id="header-control-escaped",
    ),
    pytest.param("\n\nid,name\n", [f"row 1: {HEADER_NEEDED}, found none"], id="blank-header"),
    pytest.param(" , ,\na1,Ada\n", [f"row 1: {HEADER_NEEDED}, found none"], id="empty-header"),
    pytest.param(
        "id,name\na1,Ada\n,Bob\n",
        ["row 3, column id: expected an id, found an empty cell"],
        id="empty-id",
    ),
    pytest.param(
        "id,name\na1,Ada\na2,Bob\na3,Cy\na4,   \n",
        ["row 5, column name: expected a name, found an empty cell"],
        id="empty-name",
    ),
    pytest.param(
        "id,name\na1\n",
        ["row 2, column name: expected a name, found an empty cell"],
        id="missing-name-cell",
    ),
    pytest.param(
        "name,id\nAda\n",
        ["row 2, column id: expected an id, found an empty cell"],
        id="missing-id-cell",
    ),
    pytest.param(
        "id,name,email\na1,Noether, Emmy,emmy@example.org\nb2,Bob,\n",
        ["row 2: 4 cells, the header has 3"],
        id="extra-cells",
    ),
    pytest.param(
        "id,name\n" + "x" * 65 + ",Ada\n",
        ["row 2, column id: expected at most 64 characters, found 65"],
        id="id-too-long",
    ),
    pytest.param(
        "id,name\na\x07b,Ada\n",
        ["row 2, column id: expected no control characters, found 'a\\u0007b'"],
        id="id-control",
    ),
    pytest.param(
        'id,name\n"a\nb",Ada\n',
        ["row 2, column id: expected no control characters, found 'a\\u000ab'"],
        id="id-line-break",
    ),
    pytest.param(
        "id,name\na1,\u200bAda\n",
        ["row 2, column name: expected no control characters, found '\\u200bAda'"],
        id="name-zero-width-space",
    ),
    pytest.param(
        "id,name\na1," + "y" * 201 + "\n",
        ["row 2, column name: expected at most 200 characters, found 201"],
        id="name-too-long",
    ),
    pytest.param(
        'id,name\na1,"Ada\nLovelace"\nb2,Bob\n',
        ["row 2, column name: expected one line, found a line break in 'Ada\\u000aLovelace'"],
        id="name-line-break",
    ),
    pytest.param(
        "id,name\na1,Ada\u2028Lovelace\n",
        ["row 2, column name: expected one line, found a line break in 'Ada\\u2028Lovelace'"],
        id="name-u2028",
    ),
    pytest.param(
        "id,name\n\u03b11,Alpha\n",
        [f"row 2, column id: pdflatex cannot set \u03b1 (U+03B1); {PDFLATEX}"],
        id="id-greek",
    ),
    pytest.param(
        "id,name\ns\U0001f600,Ada\n",
        [f"row 2, column id: pdflatex cannot set \U0001f600 (U+1F600); {PDFLATEX}"],
        id="id-emoji",
    ),
    pytest.param(
        "id,name\n\uff33\uff11\uff11,Ada\n",
        [f"row 2, column id: pdflatex cannot set \uff33 (U+FF33), \uff11 (U+FF11); {PDFLATEX}"],
        id="id-full-width",
    ),
    pytest.param(
        "id,name\n\u03b11,\u03b1lpha\n",
        # the name prints (Greek); the id, printed in T1 on every sheet, cannot
        [f"row 2, column id: pdflatex cannot set \u03b1 (U+03B1); {PDFLATEX}"],
        id="id-unsettable-name-greek",
    ),
    pytest.param(
        "id,name\na1,Ada\na2,Bob\nb1,Cy\nb2,Di\nb3,Ed\na1 ,Fay\nb3,Gus\n",
        [
            "row 7, column id: duplicate id 'a1' (first on row 2)",
            "row 8, column id: duplicate id 'b3' (first on row 6)",
        ],
        id="duplicate-ids",
    ),
    pytest.param(
        "id,name\nx,Ada\nx,\n",
        [
            "row 3, column name: expected a name, found an empty cell",
            "row 3, column id: duplicate id 'x' (first on row 2)",
        ],
        id="duplicate-id-on-a-bad-row",
    ),
    pytest.param(
        "id,name\nx,\nx,Bob\n",
        [
            "row 2, column name: expected a name, found an empty cell",
            "row 3, column id: duplicate id 'x' (first on row 2)",
        ],
        id="duplicate-of-a-bad-row",
    ),
    pytest.param(
        "id,name\nb,B\nc,C\na_1,Ada\nd,D\ne,E\nf,F\ng,G\na/1,Bob\n",
        ["row 9, column id: 'a/1' and 'a_1' (row 4) would share the folder 'a_1'"],
        id="colliding-folders",
    ),
    pytest.param(
        "id,name\nAb,Ada\naB,Bob\n",
        ["row 3, column id: 'aB' and 'Ab' (row 2) would share the folder 'Ab'"],
        id="folders-differ-in-case",
    ),
    pytest.param(
        "id,name\nrelease,Ada\nRelease_,Bob\n",
        ["row 3, column id: 'Release_' and 'release' (row 2) would share the folder 'release_'"],
        id="reserved-folder-collides",
    ),
    pytest.param(
        "id,name\nJosé,Ada\nJosę,Bob\n",
        ["row 3, column id: 'Josę' and 'José' (row 2) would share the folder 'Jos_'"],
        id="non-ascii-ids-collide",
    ),
    pytest.param(
        "id,name\nO'Neil\\x,Ada\nO_Neil_x,Bob\n",
        [
            "row 3, column id: 'O_Neil_x' and \"O'Neil\\\\x\" (row 2) would share the folder "
            "'O_Neil_x'"
        ],
        id="quoting-like-repr",
    ),
    pytest.param(
        "id,name\n" + "\x07" * 30 + "é" * 30 + ",Ada\n",
        [
            "row 2, column id: expected no control characters, found '"
            + "\\u0007" * 30
            + "é" * 7
            + "...'"
        ],
        id="long-value-truncated",
    ),
    pytest.param(
        'id,name\na1,"Ada\nb2,Bob\n',
        ["row 2: not valid CSV: unexpected end of data (a quoted cell is never closed)"],
        id="unclosed-quote",
    ),
    pytest.param(
        'id,name\na1,Ada\n,Cy\nb2,"Noether" Emmy\n',
        [
            "row 3, column id: expected an id, found an empty cell",
            "row 4: not valid CSV: ',' expected after '\"'",
        ],
        id="stray-quote",
    ),
    pytest.param(
        "id,name\na1," + "z" * 200_000 + "\n",
        ["row 2: not valid CSV: field larger than field limit (131072)"],
        id="huge-cell",
    ),
    pytest.param(
        "id,name\n,A\nb,\n,\n a, \n",
        [
            "row 2, column id: expected an id, found an empty cell",
            "row 3, column name: expected a name, found an empty cell",
            "row 5, column name: expected a name, found an empty cell",
        ],
        id="all-problems-collected",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INVALID)
def test_invalid_rosters(tmp_path, text, expected):
    assert problems_of(write(tmp_path, text)) == expected


def test_more_than_5000_students(tmp_path):
    text = "id,name\n" + "".join(f"s{i},Student {i}\n" for i in range(5001)) + ",\n,\n"
    assert problems_of(write(tmp_path, text)) == [
        "row 5002: student 5001, expected at most 5000 students"
    ]


@pytest.mark.parametrize(("bad", "hidden"), [(20, None), (21, 1), (57, 37)])
def test_at_most_20_messages_then_a_count(tmp_path, capsys, bad, hidden):
    # read_roster lists every problem; the command line prints 20 and a count (one cap for all
    # commands: the roster's own "... and 37 more problems" was hidden behind "and 1 more").
    text = "id,name\n" + "".join(f"s{i},\n" for i in range(bad))
    path = write(tmp_path, text)
    expected = [
        f"row {row}, column name: expected a name, found an empty cell" for row in range(2, bad + 2)
    ]
    assert problems_of(path) == expected
    out = tmp_path / "out"
    key = tmp_path / "k"
    key.write_text("sgk1-" + "42" * 32 + "\n", encoding="ascii")
    args = ["batch", "--roster", str(path), "--key", str(key), "--out", str(out), "--no-pdf"]
    assert main(args) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"solgen: error: --roster {path}: {line}" for line in expected[:20]
    ] + ([f"solgen: error: and {hidden} more"] if hidden else [])
    assert not out.exists()


@pytest.mark.parametrize("student_id", ["\u03b11", "s\U0001f600", "\uff33\uff11\uff11"])
def test_an_id_pdflatex_cannot_set_is_refused_before_any_directory(tmp_path, capsys, student_id):
    # It passed the roster check and failed later naming meta.student_id, leaving an empty DIR.
    path = write(tmp_path, f"id,name\na1,Ada\n{student_id},Alpha\n")
    key = tmp_path / "k"
    key.write_text("sgk1-" + "42" * 32 + "\n", encoding="ascii")
    out = tmp_path / "out"
    args = ["batch", "--roster", str(path), "--key", str(key), "--out", str(out), "--no-pdf"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"solgen: error: --roster {path}: row 3, column id: pdflatex cannot set ")
    assert err.endswith(f"; {PDFLATEX}\n") and err.count("\n") == 1
    assert not out.exists()


# --- file-level problems -------------------------------------------------------------------------

WORDS = "id,name\r\na1,Ada\r\n"

FILES = [
    pytest.param(b"", f"the file is empty, {HEADER_NEEDED}", id="empty"),
    pytest.param(b"\xef\xbb\xbf", f"the file is empty, {HEADER_NEEDED}", id="only-bom"),
    pytest.param(
        WORDS.encode("utf-16"),
        "the file is UTF-16 text, expected UTF-8 (save it as CSV UTF-8)",
        id="utf-16-bom",
    ),
    pytest.param(
        WORDS.encode("utf-16-le"),
        "the file is UTF-16 text, expected UTF-8 (save it as CSV UTF-8)",
        id="utf-16-le",
    ),
    pytest.param(
        WORDS.encode("utf-16-be"),
        "the file is UTF-16 text, expected UTF-8 (save it as CSV UTF-8)",
        id="utf-16-be",
    ),
    pytest.param(
        WORDS.encode("utf-32"),
        "the file is UTF-32 text, expected UTF-8 (save it as CSV UTF-8)",
        id="utf-32",
    ),
    pytest.param(
        "id;name\r\na1;Ada\r\nb2;José\r\n".encode("latin-1"),
        "row 3: not UTF-8 text (byte 0xe9 at offset 23); save the file as CSV UTF-8",
        id="latin-1",
    ),
    pytest.param(
        b"\xef\xbb\xbfid,name\na1,Ada\nb2,Bob\n\n\nc3,Ren\xe9e\n",
        "row 6: not UTF-8 text (byte 0xe9 at offset 33); save the file as CSV UTF-8",
        id="latin-1-after-bom",
    ),
    pytest.param(
        b"id,na\x96me\n",
        "row 1: not UTF-8 text (byte 0x96 at offset 5); save the file as CSV UTF-8",
        id="cp1252-in-header",
    ),
    pytest.param(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        "the file is binary (it holds NUL bytes), expected a CSV text file",
        id="binary",
    ),
    pytest.param(
        b"id,name\na1,Ada\x00\n",
        "the file is binary (it holds NUL bytes), expected a CSV text file",
        id="nul-in-text",
    ),
    pytest.param(
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
        "the file is a zip archive (a spreadsheet saved as .xlsx or .ods?), expected a CSV text "
        "file: save it as CSV UTF-8",
        id="xlsx",
    ),
]


@pytest.mark.parametrize(("content", "expected"), FILES)
def test_file_level_problems(tmp_path, content, expected):
    assert problems_of(write(tmp_path, content)) == [expected]


def test_missing_file(tmp_path):
    assert problems_of(tmp_path / "nope.csv") == ["the file does not exist"]


def test_directory(tmp_path):
    assert problems_of(tmp_path) == ["expected a CSV file, found a directory"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_fifo_is_not_opened(tmp_path):
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    assert problems_of(fifo) == ["expected a CSV file, found a special file"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = write(tmp_path, "id,name\n")
    path.chmod(0)
    try:
        assert problems_of(path) == ["cannot read the file: Permission denied"]
    finally:
        path.chmod(0o600)


def test_larger_than_10_mb(tmp_path):
    path = write(tmp_path, b"id,name\n" + b"\n" * (MAX_BYTES - 7))
    assert problems_of(path) == [
        f"the file has more than {MAX_BYTES} bytes, expected at most 10 MB"
    ]


def test_path_with_a_line_break_is_shown_escaped(tmp_path):
    path = tmp_path / "a\nb.csv"
    with pytest.raises(InvalidInput) as info:
        read_roster(path)
    assert info.value.problems == [f"--roster {tmp_path}/a\\u000ab.csv: the file does not exist"]


def test_u2028_never_appears_raw(tmp_path):
    path = write(tmp_path, "id,name\na\u2028b,Ada\nc1,Ada\u2028Lovelace\n")
    with pytest.raises(InvalidInput) as info:
        read_roster(path)
    text = "\n".join(info.value.problems)
    assert "\u2028" not in text
    assert text.count("\\u2028") == 2
    assert len(info.value.problems) == len(text.splitlines()) == 2


# --- safe_folder ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("student_id", "folder"),
    [
        ("a1", "a1"),
        ("Ab-9_x.y", "Ab-9_x.y"),
        ("a/1", "a_1"),
        ("a\\1", "a_1"),
        ("C:x", "C_x"),
        ("Ada Lovelace", "Ada_Lovelace"),
        ("José", "Jos_"),
        ("Jose\u0301", "Jos_"),  # NFD gives the same folder as NFC
        ("李小龍", "___"),
        (".hidden", "_hidden"),
        (".", "_"),
        ("..", "_."),
        ("../etc", "_._etc"),
        ("", "_"),
        ("release", "release_"),
        ("Report.TXT", "Report.TXT_"),  # would be DIR/report.txt on a case-insensitive disk
        ("key.pdf", "key.pdf_"),
        ("manifest.json", "manifest.json_"),
        ("RELEASE", "RELEASE_"),
        ("release_", "release_"),
        ("releases", "releases"),
        ("handout", "handout_"),
        ("Solutions", "Solutions_"),
        ("x" * 70, "x" * 64),
        ("é" * 70, "_" * 64),
        ("\x00\n", "__"),
    ],
)
def test_safe_folder(student_id, folder):
    assert safe_folder(student_id) == folder


def test_reserved():
    assert {"release", "answers.csv", "report.txt", "key.pdf", "manifest.json"} <= RESERVED
    assert {"handout", "solutions"} <= RESERVED


SAFE = frozenset(string.ascii_letters + string.digits + "._-")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=100))
def test_safe_folder_is_always_a_safe_name(student_id):
    folder = safe_folder(student_id)
    assert 1 <= len(folder) <= 64
    assert set(folder) <= SAFE
    assert not folder.startswith(".")
    assert folder.lower() not in RESERVED
    assert folder == safe_folder(folder)  # already safe: unchanged


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=4), max_size=8), st.sampled_from(",;"))
def test_any_roster_is_read_or_refused_with_one_line_messages(rows, sep):
    body = "\n".join(sep.join(cell(text) for text in row) for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_text(f"id{sep}name\n{body}\n", encoding="utf-8", newline="")
        try:
            students = read_roster(path)
        except InvalidInput as exc:
            assert 1 <= len(exc.problems) <= 21
            for problem in exc.problems:
                assert problem.startswith(f"--roster {path}: ")
                assert problem.isprintable(), problem
        else:
            assert len({s.folder.lower() for s in students}) == len(students)
            assert all(s.id and s.name and s.id == s.id.strip() for s in students)


# --- rosters as LMSs export them ------------------------------------------------------------------

# Canvas's gradebook export (Grades > Export): Student, ID (Canvas's own), SIS User ID (the
# student number), SIS Login ID, Section, then the assignments; its second row holds the
# points possible, and the course's test student is a row of its own.
CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Assignment 2 (1234),Current Score\r\n"
    "    Points Possible,,,,,50.00,(read only)\r\n"
    '"Lovelace, Ada",40001,s1001,ada@uni.example,ML 101,,\r\n'
    '"Noether, Emmy",40002,s1002,emmy@uni.example,ML 101,,\r\n'
    '"Student, Test",40099,,,ML 101,,\r\n'
)
# Moodle's grades export (Grades > Export > Plain text file) and its participants download.
MOODLE = (
    "First name,Last name,ID number,Institution,Department,Email address,"
    "Assignment: Assignment 2 (Real),Last downloaded from this course\n"
    "Ada,Lovelace,s1001,,,ada@uni.example,-,1733400000\n"
    "Emmy,Noether,s1002,,,emmy@uni.example,-,1733400000\n"
)


def canvas(name: str, canvas_id: str, sis: str) -> Identity:
    """A student's Canvas identity as CANVAS holds it (login: the first name's mail address)."""
    login = f"{name.split(', ')[1].lower()}@uni.example"
    cells = zip(LMS_COLUMNS["Canvas"], (name, canvas_id, sis, login, "ML 101"), strict=True)
    return Identity("Canvas", tuple(cells))


def moodle(first: str, last: str, number: str) -> Identity:
    """A student's Moodle identity as MOODLE holds it."""
    email = f"{first.lower()}@uni.example"
    cells = zip(LMS_COLUMNS["Moodle"], (first, last, number, email), strict=True)
    return Identity("Moodle", tuple(cells))


def test_a_canvas_gradebook_export_is_read_as_canvas_writes_it(tmp_path):
    notes: list[str] = []
    students = read_roster(write(tmp_path, CANVAS), notes)
    assert students == [
        Student("s1001", "Lovelace, Ada", "s1001", 3, canvas("Lovelace, Ada", "40001", "s1001")),
        Student("s1002", "Noether, Emmy", "s1002", 4, canvas("Noether, Emmy", "40002", "s1002")),
    ]
    assert notes == [
        "roster row 2: Canvas's export: its Points Possible row, skipped",
        "roster row 5: Canvas's export: its test student, skipped",
    ]


def test_a_moodle_grades_export_is_read_as_moodle_writes_it(tmp_path):
    assert read_roster(write(tmp_path, MOODLE)) == [
        Student("s1001", "Ada Lovelace", "s1001", 2, moodle("Ada", "Lovelace", "s1001")),
        Student("s1002", "Emmy Noether", "s1002", 3, moodle("Emmy", "Noether", "s1002")),
    ]


def test_an_lms_export_names_its_own_columns_in_messages(tmp_path):
    text = CANVAS.replace(",s1002,", ",,")  # Emmy has no student number in the SIS
    assert problems_of(write(tmp_path, text)) == [
        "row 4, column SIS User ID: expected an id, found an empty cell"
    ]
    moodle = MOODLE.replace("Emmy,Noether", ",")
    assert problems_of(write(tmp_path, moodle, "m.csv")) == [
        "row 3, column First name and Last name: expected a name, found an empty cell"
    ]


# --- batch --id-column, --name-column -------------------------------------------------------------

SIS = (
    "Matrikelnummer;Vorname;Nachname;E-Mail\n"
    "123;Ada;Lovelace;ada@uni.example\n"
    "124;Emmy;Noether;e@x\n"
)


def test_columns_named_by_options_give_the_id_and_the_name(tmp_path):
    path = write(tmp_path, SIS)
    mapping = ColumnMap("matrikelnummer", ("Vorname", "Nachname"))  # any case
    assert read_roster(path, mapping=mapping) == [
        Student("123", "Ada Lovelace", "123", 2),
        Student("124", "Emmy Noether", "124", 3),
    ]
    with pytest.raises(InvalidInput) as caught:
        read_roster(write(tmp_path, SIS.replace("\n124;Emmy", "\n;Emmy"), "b.csv"), mapping=mapping)
    assert caught.value.problems == [
        f"--roster {tmp_path / 'b.csv'}: row 3, column Matrikelnummer: expected an id, "
        "found an empty cell"
    ]


def test_a_column_an_option_names_must_be_there_once(tmp_path):
    path = write(tmp_path, SIS)
    with pytest.raises(InvalidInput) as caught:
        read_roster(path, mapping=ColumnMap("Student number", ("Vorname", "Name")))
    assert caught.value.problems == [
        f"--roster {path}: row 1: no column 'Student number' (--id-column; found columns: "
        "Matrikelnummer, Vorname, Nachname, E-Mail)",
        f"--roster {path}: row 1: no column 'Name' (--name-column; found columns: "
        "Matrikelnummer, Vorname, Nachname, E-Mail)",
    ]
    twice = write(tmp_path, "nr,name,NR\n1,Ada,2\n", "twice.csv")
    assert problems_of(twice, mapping=ColumnMap("nr")) == [
        "row 1: column 'nr' in cells 1 and 3 (--id-column), expected it once"
    ]


def test_the_column_no_option_names_is_detected_or_asked_for(tmp_path):
    path = write(tmp_path, "Student number,name\n7,Ada Lovelace\n")
    assert read_roster(path, mapping=ColumnMap("student number")) == [
        Student("7", "Ada Lovelace", "7", 2)
    ]
    assert problems_of(write(tmp_path, SIS, "s.csv"), mapping=ColumnMap("Matrikelnummer")) == [
        "row 1: no column 'name' (found columns: Matrikelnummer, Vorname, Nachname, E-Mail); "
        "name the name column with --name-column"
    ]


def test_an_lms_export_mapped_by_options_keeps_its_identity_and_skips_its_rows(tmp_path):
    """--id-column on Canvas's export: the SIS Login ID as the id, the identity kept, the
    Points Possible row and the test student still skipped."""
    notes: list[str] = []
    students = read_roster(write(tmp_path, CANVAS), notes, ColumnMap("SIS Login ID"))
    assert [(s.id, s.name) for s in students] == [
        ("ada@uni.example", "Lovelace, Ada"),
        ("emmy@uni.example", "Noether, Emmy"),
    ]
    assert students[0].identity == canvas("Lovelace, Ada", "40001", "s1001")
    assert len(notes) == 2
