"""grade --for canvas|moodle: rosters as the LMSs export them run through key, batch and grade
and back into the LMS, no hand edit; the files pass ports of the LMSs' importers."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from lmsports import CanvasUser, InvalidHeaderRow, MoodleAbort, canvas_import, moodle_import
from test_grade import exact_answers, write_answers

from solgen.cli import main

# Canvas's gradebook export as Canvas writes it: a byte-order mark, CRLF, quoted names, the
# Points Possible row, the test student, the assignments as "Name (id)".
CANVAS = (
    "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Assignment 2 (1234),Current Score,"
    "Final Score\r\n"
    "    Points Possible,,,,,50.00,(read only),(read only)\r\n"
    '"Lovelace, Ada",40001,s1001,ada@uni.example,ML 101,,,\r\n'
    '"Noether, Emmy",40002,s1002,emmy@uni.example,ML 101,,,\r\n'
    '"Hopper, Grace",40003,s1003,grace@uni.example,ML 102,,,\r\n'
    '"Student, Test",40099,,,ML 101,,,\r\n'
)
CANVAS_USERS = [
    CanvasUser(40001, "Ada Lovelace", "Lovelace, Ada", "s1001", "ada@uni.example"),
    CanvasUser(40002, "Emmy Noether", "Noether, Emmy", "s1002", "emmy@uni.example"),
    CanvasUser(40003, "Grace Hopper", "Hopper, Grace", "s1003", "grace@uni.example"),
]
# Moodle's grades export (Grades > Export > Plain text file), as Moodle writes it.
MOODLE = (
    '"First name","Last name","ID number",Institution,Department,"Email address",'
    '"Assignment: Assignment 2 (Real)","Last downloaded from this course"\n'
    "Ada,Lovelace,s1001,,,ada@uni.example,-,1733400000\n"
    "Emmy,Noether,s1002,,,emmy@uni.example,-,1733400000\n"
    "Grace,Hopper,s1003,,,grace@uni.example,-,1733400000\n"
)
MOODLE_USERS = [
    {"id": "7", "username": "ada", "idnumber": "s1001", "email": "ada@uni.example"},
    {"id": "8", "username": "emmy", "idnumber": "s1002", "email": "emmy@uni.example"},
    {"id": "9", "username": "grace", "idnumber": "s1003", "email": "grace@uni.example"},
]


def run(*args: str) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Path]:
    """A batch from each export, built as the TA runs it (one key for both)."""
    top = tmp_path_factory.mktemp("lms")
    key = top / "course.key"
    assert run("key", "-o", key) == 0
    made = {}
    for lms, text in (("canvas", CANVAS), ("moodle", MOODLE)):
        roster = top / f"{lms}.csv"
        roster.write_bytes(text.encode("utf-8"))
        out = top / lms
        assert run("batch", "--roster", roster, "--key", key, "--no-pdf", "--out", out) == 0
        made[lms] = out
    return made


def answers_of(klass: Path, tmp_path: Path) -> Path:
    """s1001 answers everything exactly, s1002 only the loss (rightly), s1003 nothing."""
    loss = exact_answers(klass, "s1002")["loss"]
    rows = [exact_answers(klass, "s1001"), {"id": "s1002", "loss": loss}]
    return write_answers(tmp_path / "responses.csv", rows)


def test_the_batch_keeps_each_students_lms_identity(batches):
    manifest = json.loads((batches["canvas"] / "manifest.json").read_text("utf-8"))
    assert manifest["lms"]["s1003"] == {
        "from": "Canvas",
        "Student": "Hopper, Grace",
        "ID": "40003",
        "SIS User ID": "s1003",
        "SIS Login ID": "grace@uni.example",
        "Section": "ML 102",
    }
    manifest = json.loads((batches["moodle"] / "manifest.json").read_text("utf-8"))
    assert manifest["lms"]["s1001"] == {
        "from": "Moodle",
        "First name": "Ada",
        "Last name": "Lovelace",
        "ID number": "s1001",
        "Email address": "ada@uni.example",
    }


def test_grades_go_back_into_canvas(batches, tmp_path, capsys):
    klass = batches["canvas"]
    out = tmp_path / "canvas-grades.csv"
    capsys.readouterr()
    assert (
        run(
            "grade", "--key", klass, "--answers", answers_of(klass, tmp_path),
            "--for", "canvas", "--assignment-name", "Assignment 2 (1234)", "-o", out,
        )
        == 0
    )  # fmt: skip
    assert out.read_text("utf-8") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,Assignment 2 (1234)\n"
        "    Points Possible,,,,,50\n"
        '"Lovelace, Ada",40001,s1001,ada@uni.example,ML 101,50\n'
        '"Noether, Emmy",40002,s1002,emmy@uni.example,ML 101,2\n'
    )
    said = capsys.readouterr().out
    assert (
        "grade: not in the Canvas file, no answers (their Canvas grade stays as it is): s1003\n"
        in said
    )
    imported = canvas_import(out.read_text("utf-8"), CANVAS_USERS, {1234: "Assignment 2"})
    assert imported.assignments == [("Assignment 2", 1234)]
    assert imported.points_possible == ["50"]
    assert imported.students == [(40001, "Ada Lovelace"), (40002, "Emmy Noether")]
    assert imported.grades == [["50"], ["2"]]
    feedback = (tmp_path / "canvas-grades-feedback" / "s1002.txt").read_text("utf-8")
    assert feedback.startswith("Noether, Emmy (s1002): 2 of 50 points.\n")


def test_canvas_import_port_refuses_a_broken_header():
    """The port is no rubber stamp: grades.csv's own header, or Section out of its place,
    is Canvas's "Invalid header row"."""
    with pytest.raises(InvalidHeaderRow):
        canvas_import("id,name,loss,total\ns1001,Ada,2,2\n", CANVAS_USERS, {})
    with pytest.raises(InvalidHeaderRow):
        canvas_import(
            "Student,ID,SIS User ID,SIS Login ID,A2,Section\nAda,40001,s1001,a,2,X\n",
            CANVAS_USERS,
            {},
        )
    # the export itself passes, its 2 score columns no assignment, its test student unknown
    imported = canvas_import(CANVAS.removeprefix("\ufeff"), CANVAS_USERS, {1234: "Assignment 2"})
    assert imported.assignments == [("Assignment 2", 1234)]
    assert imported.students[-1] == (None, "Student, Test")


def test_grades_and_feedback_go_back_into_moodle(batches, tmp_path, capsys):
    klass = batches["moodle"]
    out = tmp_path / "moodle-grades.csv"
    capsys.readouterr()
    assert (
        run(
            "grade", "--key", klass, "--answers", answers_of(klass, tmp_path),
            "--for", "moodle", "--assignment-name", "Assignment: Assignment 2", "-o", out,
        )
        == 0
    )  # fmt: skip
    folder = tmp_path / "moodle-grades-feedback"
    ada, emmy = ((folder / f"{i}.txt").read_text("utf-8").rstrip("\n") for i in ("s1001", "s1002"))
    assert ada.startswith("Ada Lovelace (s1001): 50 of 50 points.\nProblem 1: 20 of 20\n")
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert rows == [
        [
            "First name", "Last name", "ID number", "Email address",
            "Assignment: Assignment 2 (Real)", "Assignment: Assignment 2 (Feedback)",
        ],
        ["Ada", "Lovelace", "s1001", "ada@uni.example", "50", ada],
        ["Emmy", "Noether", "s1002", "emmy@uni.example", "2", emmy],
    ]  # fmt: skip
    assert "grade: not in the Moodle file, no answers" in capsys.readouterr().out
    imported = moodle_import(out.read_text("utf-8"), MOODLE_USERS, "Assignment: Assignment 2")
    assert imported.grades == {"7": (50.0, ada), "8": (2.0, emmy)}


def test_moodle_stops_at_an_unknown_user_so_none_is_written(batches, tmp_path, capsys):
    """Moodle's import stops whole at a user it does not know: a student the Moodle export
    did not list (added from another roster) is left out and said, never written."""
    klass = batches["moodle"]
    text = (tmp_path / "x").with_suffix(".csv")
    text.write_text(MOODLE + "Ida,Rhodes,s2001,,,ida@uni.example,-,1733400000\n", "utf-8")
    extra = tmp_path / "extra.csv"
    extra.write_text("id,name\ns2001,Ida Rhodes\n", "utf-8")
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(klass, copy)
    key = klass.parent / "course.key"
    assert run("batch", "--roster", extra, "--key", key, "--no-pdf", "--out", copy) == 0
    rows = [exact_answers(copy, "s1001"), exact_answers(copy, "s2001")]
    out = tmp_path / "m.csv"
    capsys.readouterr()
    answers = write_answers(tmp_path / "r.csv", rows)
    assert run("grade", "--key", copy, "--answers", answers, "--for", "moodle", "-o", out) == 0
    said = capsys.readouterr().out
    assert (
        "grade: not in the Moodle file, not in Moodle's export or without an ID number "
        "(Moodle stops the whole import at a user it does not know): s2001\n" in said
    )
    imported = moodle_import(
        out.read_text("utf-8"), MOODLE_USERS, "Machine Learning Assignment 2: Neural Networks"
    )
    assert list(imported.grades) == ["7"]
    with pytest.raises(MoodleAbort, match='No user with "idnumber" of "s2001"'):
        moodle_import(
            out.read_text("utf-8") + "Ida,Rhodes,s2001,ida@uni.example,50,x\n",
            MOODLE_USERS,
            "Machine Learning Assignment 2: Neural Networks",
        )


def test_a_plain_roster_goes_back_with_the_columns_it_has(tmp_path, capsys):
    roster = tmp_path / "class.csv"
    roster.write_text("id,name\ns1001,Ada Lovelace\n", "utf-8")
    key = tmp_path / "k"
    assert run("key", "-o", key) == 0
    out = tmp_path / "b"
    assert run("batch", "--roster", roster, "--key", key, "--no-pdf", "--out", out) == 0
    assert "lms" not in json.loads((out / "manifest.json").read_text("utf-8"))
    answers = write_answers(tmp_path / "r.csv", [exact_answers(out, "s1001")])
    capsys.readouterr()
    grades = tmp_path / "c.csv"
    assert run("grade", "--key", out, "--answers", answers, "--for", "canvas", "-o", grades) == 0
    assert grades.read_text("utf-8") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,"
        "Machine Learning Assignment 2: Neural Networks\n"
        "    Points Possible,,,,,50\n"
        "Ada Lovelace,,s1001,,,50\n"
    )
    assert capsys.readouterr().out.startswith(
        "grade: 1 of 1 rows without Canvas's ID, SIS Login ID and Section (the roster was not "
        "Canvas's export): the id is the SIS User ID, the name the Student; Canvas finds them "
        "by these\n"
    )
    imported = canvas_import(grades.read_text("utf-8"), CANVAS_USERS, {})
    assert imported.students == [(40001, "Ada Lovelace")]  # by the SIS User ID
    moodle = tmp_path / "m.csv"
    assert run("grade", "--key", out, "--answers", answers, "--for", "moodle", "-o", moodle) == 0
    assert "the roster was not Moodle's export" in capsys.readouterr().out
    assert next(csv.reader(io.StringIO(moodle.read_text("utf-8").splitlines()[1]))) [:5] == [
        "Ada Lovelace", "", "s1001", "", "50"
    ]  # fmt: skip


def test_a_bad_assignment_name_is_refused_and_nothing_written(batches, tmp_path, capsys):
    klass = batches["canvas"]
    answers = answers_of(klass, tmp_path)
    out = tmp_path / "g.csv"
    capsys.readouterr()
    assert run("grade", "--key", klass, "--answers", answers, "--for", "canvas",
               "--assignment-name", " ", "-o", out) == 2  # fmt: skip
    assert capsys.readouterr().err == (
        "solgen: error: --assignment-name: expected a name of 1 to 255 printable characters, "
        "found ' '\n"
    )
    assert not out.exists() and not (tmp_path / "g-feedback").exists()
    assert run("grade", "--key", klass, "--answers", answers,
               "--assignment-name", "A2", "-o", out) == 2  # fmt: skip
    assert capsys.readouterr().err == (
        "solgen: error: --assignment-name: only with --for canvas or --for moodle\n"
    )


def test_a_rerun_keeps_the_identities_and_rebuilds_nobody(batches, tmp_path, capsys):
    """The same export again, a section changed: nobody rebuilt, the identity updated."""
    import shutil

    copy = tmp_path / "again"
    shutil.copytree(batches["canvas"], copy)
    roster = tmp_path / "canvas.csv"
    roster.write_text(CANVAS.replace("ML 102", "ML 103"), "utf-8")
    key = batches["canvas"].parent / "course.key"
    capsys.readouterr()
    assert run("batch", "--roster", roster, "--key", key, "--no-pdf", "--out", copy) == 0
    assert "batch: 0 built, 3 up to date, 0 failed" in capsys.readouterr().out
    manifest = json.loads((copy / "manifest.json").read_text("utf-8"))
    assert manifest["lms"]["s1003"]["Section"] == "ML 103"


def test_column_options_are_only_for_a_roster(tmp_path, capsys):
    args = ["batch", "--count", "1", "--no-pdf", "--out", tmp_path / "b"]
    assert run(*args, "--id-column", "nr") == 2
    assert capsys.readouterr().err == "solgen: error: --id-column: only with --roster\n"
    assert not (tmp_path / "b").exists()


def test_a_damaged_identity_in_the_manifest_is_named(batches, tmp_path, capsys):
    import shutil

    copy = tmp_path / "c"
    shutil.copytree(batches["moodle"], copy)
    path = copy / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    data["lms"]["s1001"]["from"] = "Blackboard"
    path.write_text(json.dumps(data), "utf-8")
    answers = write_answers(tmp_path / "r.csv", [{"id": "s1001"}])
    assert run("grade", "--key", copy, "--answers", answers, "-o", tmp_path / "g.csv") == 2
    assert capsys.readouterr().err == (
        f'solgen: error: {path}: lms.s1001.from: expected Canvas or Moodle, found "Blackboard"\n'
    )
