"""An LMS's submissions zip as grade's answers, and the feedback zip back into the LMS: names
made by ports of Canvas's Download Submissions and Moodle's Download all submissions, feedback
read by ports of Canvas's Upload Submissions and Moodle's feedback zip import
(tests/lmsports.py)."""

from __future__ import annotations

import csv
import errno
import io
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from lmsports import (
    CanvasComment,
    canvas_download_name,
    canvas_import,
    canvas_upload_submissions,
    moodle_download_name,
    moodle_feedback_import,
)
from test_grade import exact_answers
from test_lmsgrades import CANVAS, CANVAS_USERS, MOODLE

from solgen.cli import main
from solgen.grading import grade as grade_module
from solgen.grading.submissions import Upload, as_one_column_csv, canvas_upload, moodle_upload

SORTABLE = {u.id: u.sortable_name for u in CANVAS_USERS}


def run(*args: object) -> int:
    return main([str(a) for a in args])


def form(cells: dict[str, str]) -> bytes:
    """An answer form as a student fills and saves it: one header, one row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(cells), lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def submissions_zip(path: Path, files: list[tuple[int, int, str, bytes, bool]]) -> Path:
    """A Download Submissions zip: (user id, attachment id, display name, bytes, late) each."""
    with zipfile.ZipFile(path, "w") as archive:
        for user, attachment, shown, data, late in files:
            name = canvas_download_name(SORTABLE[user], user, attachment, shown, late)
            archive.writestr(name, data)
    return path


def lms_batch(top: Path, export: str) -> Path:
    """A batch from an LMS's roster export, built as the TA runs it."""
    roster = top / "roster.csv"
    roster.write_bytes(export.encode("utf-8"))
    assert run("key", "-o", top / "course.key") == 0
    out = top / "klass"
    args = ("batch", "--roster", roster, "--key", top / "course.key", "--no-pdf", "--out", out)
    assert run(*args) == 0
    return out


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    """A batch from Canvas's gradebook export."""
    return lms_batch(tmp_path_factory.mktemp("canvas"), CANVAS)


@pytest.mark.parametrize(
    ("entry", "user", "attachment", "late", "file_name"),
    [
        ("lovelaceada_40001_9001_answer-form.csv", "40001", "9001", False, "answer-form.csv"),
        ("noetheremmy_late_40002_9002_answer-form.csv", "40002", "9002", True, "answer-form.csv"),
        ("hoppergrace_40003_9003_my_answers_v2.csv", "40003", "9003", False, "my_answers_v2.csv"),
        ("40004_9004_answer-form-1.csv", "40004", "9004", False, "answer-form-1.csv"),
        ("subs/lovelaceada_40001_9001_a.csv", "40001", "9001", False, "a.csv"),
    ],
)
def test_an_entry_is_read_as_canvas_reads_it(entry, user, attachment, late, file_name):
    assert canvas_upload(entry) == Upload(
        entry, "Canvas", user, file_name, attachment, late, uploaded=(int(attachment),)
    )


@pytest.mark.parametrize(
    "entry",
    [
        "lovelaceada_40001_text.html",  # a text entry: no attachment
        "lovelaceada_40001_9001_link.html",  # a URL
        "._lovelaceada_40001_9001_answer-form.csv",  # macOS's resource fork
        "answer-form.csv",
    ],
)
def test_an_entry_canvas_would_ignore_is_not_an_upload(entry):
    assert canvas_upload(entry) is None


@pytest.mark.parametrize(
    ("entry", "feedback"),
    [
        ("lovelaceada_40001_9001_answer-form.csv", "lovelaceada_40001_9001_feedback.csv"),
        ("noetheremmy_late_40002_9002_a_b.csv", "noetheremmy_late_40002_9002_feedback.csv"),
        ("9_9_9.csv", "9_9_feedback.csv"),  # the user and the attachment have one number
        ("sub/x_1_2_f.csv", "x_1_2_feedback.csv"),
    ],
)
def test_a_feedback_file_is_named_after_its_upload(entry, feedback):
    upload = canvas_upload(entry)
    assert upload is not None and upload.feedback_entry == feedback


def test_a_feedback_file_is_a_csv_of_one_column():
    text = "Lovelace, Ada (s1001): 2 of 50 points.\nProblem 1: 2 of 20\n  loss: right\n=1+1\n"
    assert as_one_column_csv(text) == (
        '"Lovelace, Ada (s1001): 2 of 50 points."\nProblem 1: 2 of 20\n  loss: right\n\'=1+1\n'
    )


def test_a_submissions_zip_is_graded_and_its_feedback_goes_back_into_canvas(
    klass, tmp_path, capsys
):
    """Ada uploads her filled form, Emmy a late form with the loss only, Grace a PDF."""
    loss = exact_answers(klass, "s1002")["loss"]
    subs = submissions_zip(
        tmp_path / "submissions.zip",
        [
            (40001, 9001, "answer-form.csv", form(exact_answers(klass, "s1001")), False),
            (40002, 9002, "answer-form.csv", form({"id": "s1002", "loss": loss}), True),
            (40003, 9003, "paper.pdf", b"%PDF-1.5\n", False),
        ],
    )
    out = tmp_path / "canvas-grades.csv"
    capsys.readouterr()
    args = ("grade", "--key", klass, "--answers", subs, "--for", "canvas", "-o", out)
    assert run(*args, "--assignment-name", "Assignment 2 (1234)") == 0
    said = capsys.readouterr()
    assert out.read_text("utf-8") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,Assignment 2 (1234)\n"
        "    Points Possible,,,,,50\n"
        '"Lovelace, Ada",40001,s1001,ada@uni.example,ML 101,50\n'
        '"Noether, Emmy",40002,s1002,emmy@uni.example,ML 101,2\n'
    )
    imported = canvas_import(out.read_text("utf-8"), CANVAS_USERS, {1234: "Assignment 2"})
    assert imported.grades == [["50"], ["2"]]
    assert said.err == (  # in the zip's order of names
        "solgen: warning: hoppergrace_40003_9003_paper.pdf: not an answers CSV, not graded\n"
        "solgen: warning: noetheremmy_late_40002_9002_answer-form.csv: Canvas marked it late "
        "(graded as any other; Canvas's late policy applies in Canvas)\n"
    )
    feedback = tmp_path / "canvas-grades-feedback.zip"
    assert said.out.endswith(
        f"grade: {feedback}: 2 feedback files for Canvas's Upload Submissions (each a comment "
        "on its student's submission)\n"
    )
    # Canvas's own Upload Submissions: a comment on Ada's and Emmy's submissions, nothing ignored
    attached = {40001: {9001: "answer-form.csv"}, 40002: {9002: "answer-form.csv"}}
    attached[40003] = {9003: "paper.pdf"}
    comments, ignored = canvas_upload_submissions(feedback.read_bytes(), attached)
    assert ignored == []
    texts = {
        i: (tmp_path / "canvas-grades-feedback" / f"{i}.txt").read_text("utf-8")
        for i in ("s1001", "s1002")
    }
    assert comments == [
        CanvasComment(40001, [("answer-form.csv", as_one_column_csv(texts["s1001"]).encode())]),
        CanvasComment(40002, [("answer-form.csv", as_one_column_csv(texts["s1002"]).encode())]),
    ]
    assert texts["s1002"].startswith("Noether, Emmy (s1002): 2 of 50 points.\n")
    # a rerun gives the same bytes (fixed dates in the zip)
    before = feedback.read_bytes()
    assert run(*args, "--assignment-name", "Assignment 2 (1234)") == 0
    assert feedback.read_bytes() == before


def test_the_uploader_is_graded_whatever_id_the_form_holds(klass, tmp_path, capsys):
    """Canvas says whose upload a file is: Emmy uploading Ada's filled form is graded as Emmy
    (against her own key), and told; a second upload replaces the first."""
    ada = exact_answers(klass, "s1001")
    subs = submissions_zip(
        tmp_path / "s.zip",
        [
            (40002, 9002, "answer-form.csv", form(ada), False),
            (40001, 9005, "answer-form.csv", form({"id": "s1001", "loss": "0"}), False),
            (40001, 9007, "answer-form-1.csv", form(ada), False),
        ],
    )
    out = tmp_path / "grades.csv"
    assert run("grade", "--key", klass, "--answers", subs, "-o", out) == 0
    err = capsys.readouterr().err
    assert err == (
        "solgen: warning: lovelaceada_40001_9005_answer-form.csv: not graded, "
        "lovelaceada_40001_9007_answer-form-1.csv is later\n"
        "solgen: warning: noetheremmy_40002_9002_answer-form.csv: the form says id 's1001'; "
        "graded as s1002, whose upload it is\n"
    )
    totals = {r["id"]: r["total"] for r in csv.DictReader(io.StringIO(out.read_text("utf-8")))}
    assert totals["s1001"] == "50"
    assert float(totals["s1002"]) < 50  # Ada's numbers are not Emmy's
    with zipfile.ZipFile(tmp_path / "grades-feedback.zip") as archive:
        assert archive.namelist() == [
            "lovelaceada_40001_9007_feedback.csv",
            "noetheremmy_40002_9002_feedback.csv",
        ]
    # graded again from a CSV: the zip would pass for this run's feedback, and goes
    answers = tmp_path / "answers.csv"
    answers.write_bytes(form(ada))
    assert run("grade", "--key", klass, "--answers", answers, "-o", out) == 0
    assert not (tmp_path / "grades-feedback.zip").exists()
    assert capsys.readouterr().out.endswith(
        f"grade: removed {tmp_path / 'grades-feedback.zip'}, an earlier run's feedback for "
        "the LMS (these answers are CSV)\n"
    )


def test_a_user_the_roster_does_not_hold_is_reported(klass, tmp_path, capsys):
    SORTABLE[40077] = "Late, Joiner"
    subs = submissions_zip(
        tmp_path / "s.zip", [(40077, 9100, "answer-form.csv", form({"id": "s9"}), False)]
    )
    assert run("grade", "--key", klass, "--answers", subs, "-o", tmp_path / "g.csv") == 0
    assert capsys.readouterr().err == (
        "solgen: warning: latejoiner_40077_9100_answer-form.csv: Canvas user 40077 is not in "
        "the roster\n"
    )
    assert not (tmp_path / "g-feedback.zip").exists()  # no upload of a roster student


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [(40001, 9001, "answer-form.csv", b"id,loss\ns1001,1\ns1002,2\n", False)],
            "lovelaceada_40001_9001_answer-form.csv: 2 answer rows, expected one (an answer "
            "form is one student's)",
        ),
        (
            [(40001, 9001, "answer-form.csv", "id,loss\r\ns1001,1\r\n".encode("utf-16"), False)],
            "lovelaceada_40001_9001_answer-form.csv: the file is UTF-16 text, expected UTF-8 "
            "(save it as CSV UTF-8)",
        ),
        (
            [(40001, 9001, "answer-form.csv", b"id,loss\ns1001,abc\n", False)],
            "lovelaceada_40001_9001_answer-form.csv, column loss: 'abc' is not a number "
            "(unexpected 'abc') (or use --lenient)",
        ),
    ],
)
def test_a_form_that_cannot_be_read_is_refused_naming_its_file(
    klass, tmp_path, capsys, files, message
):
    subs = submissions_zip(tmp_path / "s.zip", files)
    out = tmp_path / "g.csv"
    assert run("grade", "--key", klass, "--answers", subs, "-o", out) == 2
    assert capsys.readouterr().err == f"solgen: error: --answers {subs}: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zip"]


def test_lenient_grades_the_others_and_tells_the_student(klass, tmp_path, capsys):
    loss = exact_answers(klass, "s1002")["loss"]
    subs = submissions_zip(
        tmp_path / "s.zip",
        [
            (40001, 9001, "answer-form.csv", b"id,loss\ns1001,1\ns1002,2\n", False),
            (40002, 9002, "answer-form.csv", form({"id": "s1002", "loss": loss}), False),
        ],
    )
    out = tmp_path / "g.csv"
    assert run("grade", "--key", klass, "--answers", subs, "-o", out, "--lenient") == 0
    assert capsys.readouterr().err == (
        "solgen: warning: lovelaceada_40001_9001_answer-form.csv: 2 answer rows, expected one "
        "(an answer form is one student's)\n"
    )
    with zipfile.ZipFile(tmp_path / "g-feedback.zip") as archive:
        ada = archive.read("lovelaceada_40001_9001_feedback.csv").decode("utf-8")
    assert ada == '"Lovelace, Ada (s1001): no answers received."\n'


def test_a_damaged_zip_is_refused(klass, tmp_path, capsys):
    subs = tmp_path / "s.zip"
    subs.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    assert run("grade", "--key", klass, "--answers", subs, "-o", tmp_path / "g.csv") == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --answers {subs}: not a zip archive Canvas or Moodle wrote (File is "
        "not a zip file)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zip"]


def test_an_answer_form_too_large_is_refused_before_it_is_read(klass, tmp_path, capsys):
    subs = tmp_path / "s.zip"
    with zipfile.ZipFile(subs, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lovelaceada_40001_9001_a.csv", b"id,loss\n" + b"0" * (2 << 20))
    assert run("grade", "--key", klass, "--answers", subs, "-o", tmp_path / "g.csv") == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --answers {subs}: lovelaceada_40001_9001_a.csv: 2,097,160 bytes, "
        "expected an answer form of at most 1,048,576\n"
    )


def test_a_plain_roster_batch_grades_a_zip_by_the_forms_ids(tmp_path, capsys):
    """Without Canvas IDs in the roster, the id the form holds says whose it is."""
    out = tmp_path / "b"
    assert run("batch", "--count", "2", "--seed", "3", "--no-pdf", "--out", out) == 0
    ids = sorted(p.name for p in out.iterdir() if (p / "variant.toml").exists())
    first = exact_answers(out, ids[0])
    subs = submissions_zip(
        tmp_path / "s.zip",
        [
            (40001, 9001, "answer-form.csv", form(first), False),
            (40002, 9002, "answer-form.csv", form({"id": "", "loss": "1"}), False),
        ],
    )
    capsys.readouterr()
    assert run("grade", "--key", out, "--answers", subs, "-o", tmp_path / "g.csv") == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --answers {subs}: noetheremmy_40002_9002_answer-form.csv: column id: "
        "empty (the roster has no Canvas IDs)\n"
    )
    subs = submissions_zip(
        tmp_path / "s.zip", [(40001, 9001, "answer-form.csv", form(first), False)]
    )
    assert run("grade", "--key", out, "--answers", subs, "-o", tmp_path / "g.csv") == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "g.csv").read_text("utf-8"))))
    assert [(r["id"], r["total"]) for r in rows] == [(ids[0], "50"), (ids[1], "0")]


def test_a_fifo_as_answers_never_blocks(tmp_path):
    """Looking for a zip's first bytes opened a named pipe, which blocks until a writer comes."""
    fifo = tmp_path / "answers.zip"
    os.mkfifo(fifo)
    check = (
        "from pathlib import Path; from solgen.grading.submissions import is_zip; "
        f"print(is_zip(Path({str(fifo)!r})))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.stdout == "False\n"


# --- Moodle's submissions zip ------------------------------------------------------------------


@pytest.fixture(scope="module")
def moodle_klass(tmp_path_factory) -> Path:
    """A batch from Moodle's grades export."""
    return lms_batch(tmp_path_factory.mktemp("moodle"), MOODLE)


PARTICIPANTS = {7001: "ada", 7002: "emmy", 7003: "grace"}


def moodle_zip(path: Path, files: list[tuple[str, bytes, tuple[int, ...]]]) -> Path:
    """A Download all submissions zip: (name, bytes, the file's time) each."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, when in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


NOON = (2026, 12, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("entry", "user", "file_name", "full_name", "feedback"),
    [
        (
            moodle_download_name("Ada Lovelace", 7001, "answer-form.csv"),
            "7001", "answer-form.csv", "Ada Lovelace",
            "Ada Lovelace_7001_assignsubmission_file/feedback.txt",
        ),
        (
            moodle_download_name("Ada Lovelace", 7001, "answer-form.csv", before_41=True),
            "7001", "answer-form.csv", "Ada Lovelace",
            "Ada Lovelace_7001_assignsubmission_file_/feedback.txt",
        ),
        (
            moodle_download_name("Ada Lovelace", 7001, "answer-form.csv", folders=False),
            "7001", "answer-form.csv", "Ada Lovelace",
            "Ada Lovelace_7001_assignsubmission_file_feedback.txt",
        ),
        (
            "Ada Lovelace_7001_assignsubmission_file/work/answer-form.csv",
            "7001", "work/answer-form.csv", "Ada Lovelace",
            "Ada Lovelace_7001_assignsubmission_file/feedback.txt",
        ),
        (  # a zip made to write above the student's folder: the feedback stays in it
            "../../Ada Lovelace_7001_assignsubmission_file/answer-form.csv",
            "7001", "answer-form.csv", "Ada Lovelace",
            "Ada Lovelace_7001_assignsubmission_file/feedback.txt",
        ),
        (
            "x/Ada Lovelace_7001_assignsubmission_file_answer-form.csv",
            "7001", "answer-form.csv", "Ada Lovelace",
            "Ada Lovelace_7001_assignsubmission_file_feedback.txt",
        ),
    ],
)  # fmt: skip
def test_a_moodle_entry_is_read_as_moodle_reads_it(entry, user, file_name, full_name, feedback):
    upload = moodle_upload(entry)
    assert upload is not None and upload.feedback_entry == feedback
    folder = feedback.removesuffix("feedback.txt")
    assert upload == Upload(entry, "Moodle", user, file_name, full_name=full_name, folder=folder)


@pytest.mark.parametrize(
    "entry",
    [
        "Ada Lovelace_7001_assignfeedback_file/notes.txt",  # a feedback file, not a submission's
        "Ada Lovelace_x_assignsubmission_file/answer-form.csv",
        "Ada Lovelace_7001_assignsubmission_file/.answer-form.csv",
        "answer-form.csv",
    ],
)
def test_a_moodle_entry_that_is_no_submitted_file_is_not_an_upload(entry):
    assert moodle_upload(entry) is None


def test_a_moodle_zip_is_graded_and_its_feedback_goes_back_into_moodle(
    moodle_klass, tmp_path, capsys
):
    """Ada's form in Moodle 4.1's folders; Emmy's in the folders of an older Moodle, holding
    Grace's id (Moodle's name says it is Emmy's); Grace typed online text."""
    ada = exact_answers(moodle_klass, "s1001")
    loss = exact_answers(moodle_klass, "s1002")["loss"]
    subs = moodle_zip(
        tmp_path / "submissions.zip",
        [
            (moodle_download_name("Ada Lovelace", 7001, "answer-form.csv"), form(ada), NOON),
            (
                moodle_download_name("Emmy Noether", 7002, "answer-form.csv", before_41=True),
                form({"id": "s1003", "loss": loss}),
                NOON,
            ),
            (
                "Grace Hopper_7003_assignsubmission_onlinetext/onlinetext.html",
                b"<p>L = 1.2</p>",
                NOON,
            ),
        ],
    )
    out = tmp_path / "moodle-grades.csv"
    capsys.readouterr()
    args = ("grade", "--key", moodle_klass, "--answers", subs, "--for", "moodle", "-o", out)
    assert run(*args, "--assignment-name", "Assignment: Assignment 2") == 0
    said = capsys.readouterr()
    assert said.err == (
        "solgen: warning: Emmy Noether_7002_assignsubmission_file_/answer-form.csv: the form "
        "says id 's1003'; graded as s1002, whose upload Moodle says it is (Emmy Noether)\n"
        "solgen: warning: Grace Hopper_7003_assignsubmission_onlinetext/onlinetext.html: not an "
        "answers CSV, not graded\n"
    )
    feedback = tmp_path / "moodle-grades-feedback.zip"
    assert said.out.endswith(
        f"grade: {feedback}: 2 feedback files for Moodle's 'Upload multiple feedback files in a "
        "zip' (each a feedback file of its student's submission)\n"
    )
    texts = {
        i: (tmp_path / "moodle-grades-feedback" / f"{i}.txt").read_text("utf-8")
        for i in ("s1001", "s1002")
    }
    assert texts["s1002"].startswith("Emmy Noether (s1002): 2 of 50 points.\n")
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert [r[2:5] for r in rows[1:]] == [
        ["s1001", "ada@uni.example", "50"],
        ["s1002", "emmy@uni.example", "2"],
    ]
    # Moodle's own importer: each a feedback file of its student; nothing skipped
    submitted = {7001: {"answer-form.csv": form(ada)}, 7002: {"answer-form.csv": b"x"}, 7003: {}}
    added, skipped = moodle_feedback_import(feedback.read_bytes(), PARTICIPANTS, submitted)
    assert skipped == []
    assert added == {
        "ada": [("/feedback.txt", texts["s1001"].encode())],
        "emmy": [("/feedback.txt", texts["s1002"].encode())],
    }


def test_a_moodle_zip_without_folders_and_with_two_forms(moodle_klass, tmp_path, capsys):
    """Download without folders prefixes each file; of two forms, the later by its time."""
    ada = exact_answers(moodle_klass, "s1001")
    early, late = (2026, 12, 1, 9, 0, 0), (2026, 12, 1, 10, 0, 0)
    subs = moodle_zip(
        tmp_path / "s.zip",
        [
            (moodle_download_name("Ada Lovelace", 7001, "b.csv", folders=False), form(ada), late),
            (
                moodle_download_name("Ada Lovelace", 7001, "a.csv", folders=False),
                form({"id": "s1001", "loss": "0"}),
                early,
            ),
        ],
    )
    out = tmp_path / "g.csv"
    assert run("grade", "--key", moodle_klass, "--answers", subs, "-o", out) == 0
    assert capsys.readouterr().err == (
        "solgen: warning: Ada Lovelace_7001_assignsubmission_file_a.csv: not graded, "
        "Ada Lovelace_7001_assignsubmission_file_b.csv is later\n"
    )
    totals = {r["id"]: r["total"] for r in csv.DictReader(io.StringIO(out.read_text("utf-8")))}
    assert totals["s1001"] == "50"
    added, skipped = moodle_feedback_import(
        (tmp_path / "g-feedback.zip").read_bytes(), PARTICIPANTS, {7001: {"b.csv": form(ada)}}
    )
    assert (list(added), skipped) == (["ada"], [])
    assert added["ada"][0][0] == "feedback.txt"


@pytest.mark.parametrize(
    ("name", "cells", "status", "said"),
    [
        (
            "Charles Babbage",
            {"id": "s1003", "loss": "1"},
            0,
            "solgen: warning: Charles Babbage_7009_assignsubmission_file/answer-form.csv: Moodle "
            "names the upload Charles Babbage's; no student of the roster has it: graded as the "
            "form's id s1003\n",
        ),
        (
            "Charles Babbage",
            {"id": "", "loss": "1"},
            2,
            "solgen: error: --answers {subs}: Charles Babbage_7009_assignsubmission_file/"
            "answer-form.csv: column id: empty (Moodle names the upload Charles Babbage's; no "
            "student of the roster has it)\n",
        ),
        ("GRACE HOPPER", {"id": "", "loss": "1"}, 0, ""),  # the name alone says whose
    ],
)
def test_a_moodle_upload_whose_name_the_roster_lacks(
    moodle_klass, tmp_path, capsys, name, cells, status, said
):
    subs = moodle_zip(
        tmp_path / "s.zip",
        [(moodle_download_name(name, 7009, "answer-form.csv"), form(cells), NOON)],
    )
    out = tmp_path / "g.csv"
    assert run("grade", "--key", moodle_klass, "--answers", subs, "-o", out) == status
    assert capsys.readouterr().err == said.format(subs=subs)
    if status == 0:
        rows = csv.DictReader(io.StringIO(out.read_text("utf-8")))
        assert {r["id"]: r["loss"] for r in rows}["s1003"] == "0"  # graded: a wrong loss


def test_the_moodle_import_port_is_no_rubber_stamp():
    """A file of an unknown participant, of a plugin the assignment lacks, or a submitted file
    sent back unchanged is skipped, as Moodle skips it; a changed one is imported."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("Ada Lovelace_9999_assignsubmission_file/feedback.txt", b"f")
        archive.writestr("Ada Lovelace_7001_assignsubmission_comments/feedback.txt", b"f")
        archive.writestr("Ada Lovelace_7001_assignsubmission_file/answer-form.csv", b"same")
        archive.writestr("Emmy Noether_7002_assignsubmission_file/answer-form.csv", b"new")
    submitted = {7001: {"answer-form.csv": b"same"}, 7002: {"answer-form.csv": b"old"}}
    added, skipped = moodle_feedback_import(data.getvalue(), PARTICIPANTS, submitted)
    assert added == {"emmy": [("/answer-form.csv", b"new")]}
    assert skipped == [
        "Ada Lovelace_9999_assignsubmission_file/feedback.txt",
        "Ada Lovelace_7001_assignsubmission_comments/feedback.txt",
        "Ada Lovelace_7001_assignsubmission_file/answer-form.csv",
    ]


NAME_PARTS = st.sampled_from(["..", ".", "", "_", "/", "7001", "9001", "late", "link", "a b", "ü"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(NAME_PARTS, st.text(max_size=4)), max_size=8).map("".join))
def test_no_entry_name_makes_a_feedback_file_outside_its_folder(entry):
    """Any name, however made: reading it never raises, and its feedback file's name stays
    within the zip (no absolute path, no '..')."""
    for read in (canvas_upload, moodle_upload):
        upload = read(entry)
        if upload is None:
            continue
        name = upload.feedback_entry
        assert not name.startswith("/") and ".." not in name.split("/"), (entry, name)
        assert name.endswith(("_feedback.csv", "feedback.txt"))


def test_a_form_damaged_inside_the_zip_is_refused_naming_it(klass, tmp_path, capsys):
    """A form whose bytes no longer match the zip's checksum (a broken download)."""
    subs = submissions_zip(
        tmp_path / "s.zip", [(40001, 9001, "answer-form.csv", b"id,loss\ns1001,1\n", False)]
    )
    data = bytearray(subs.read_bytes())
    at = data.index(b"id,loss")
    data[at : at + 2] = b"ID"  # stored, not compressed: the CRC-32 no longer matches
    subs.write_bytes(bytes(data))
    assert run("grade", "--key", klass, "--answers", subs, "-o", tmp_path / "g.csv") == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --answers {subs}: lovelaceada_40001_9001_answer-form.csv: cannot be "
        "read from the zip (Bad CRC-32 for file 'lovelaceada_40001_9001_answer-form.csv')\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zip"]


@pytest.mark.parametrize(
    ("entries", "why"),
    [
        (
            ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml"],
            "an Excel workbook (.xlsx), expected a CSV file or an LMS's submissions zip: save it "
            "as CSV UTF-8",
        ),
        (
            ["mimetype", "content.xml", "styles.xml", "META-INF/manifest.xml"],
            "an OpenDocument file (.ods), expected a CSV file or an LMS's submissions zip: save "
            "it as CSV UTF-8",
        ),
        (
            ["notes.txt", "a.csv", "b.csv", "c.csv"],
            "no file in the zip is named as Canvas's or Moodle's submissions zip names an upload "
            "(found: notes.txt, a.csv, b.csv, ...)",
        ),
        ([], "no file in the zip is named as Canvas's or Moodle's submissions zip names an "
         "upload (found: none)"),
    ],
)  # fmt: skip
def test_a_zip_that_is_no_submissions_zip_is_refused_saying_what_it_is(
    klass, tmp_path, capsys, entries, why
):
    """A form's responses saved as .xlsx begin as a zip does: say so, not 'no uploads'."""
    answers = tmp_path / "responses.xlsx"
    with zipfile.ZipFile(answers, "w") as archive:
        for entry in entries:
            archive.writestr(entry, b"x")
    assert run("grade", "--key", klass, "--answers", answers, "-o", tmp_path / "g.csv") == 2
    assert capsys.readouterr().err == f"solgen: error: --answers {answers}: {why}\n"


def test_a_stray_file_beside_the_uploads_is_named_and_not_read(klass, tmp_path, capsys):
    subs = submissions_zip(
        tmp_path / "s.zip", [(40001, 9001, "answer-form.csv", form({"id": "s1001"}), False)]
    )
    with zipfile.ZipFile(subs, "a") as archive:
        archive.writestr("README.txt", b"downloaded from Canvas")
        archive.writestr("__MACOSX/._lovelaceada_40001_9001_answer-form.csv", b"\x00")
    assert run("grade", "--key", klass, "--answers", subs, "-o", tmp_path / "g.csv") == 0
    assert capsys.readouterr().err == (
        "solgen: warning: README.txt: not a file Canvas's submissions zip names, not read\n"
    )


@pytest.mark.parametrize("fault", ["disk full", "SIGTERM"])
def test_a_failed_or_stopped_grade_leaves_the_last_grades_feedback_and_zip_as_they_were(
    klass, tmp_path, capsys, monkeypatch, fault
):
    """The grades, the feedback folder and the feedback zip are one set, moved in together:
    a full disk or a signal while the last of them is made changes none of them."""
    loss = exact_answers(klass, "s1002")["loss"]
    subs = submissions_zip(
        tmp_path / "s.zip",
        [
            (40001, 9001, "answer-form.csv", form(exact_answers(klass, "s1001")), False),
            (40002, 9002, "answer-form.csv", form({"id": "s1002", "loss": loss}), False),
        ],
    )
    out = tmp_path / "grades"
    out.mkdir()
    args = ("grade", "--key", klass, "--answers", subs, "-o", out / "g.csv")
    assert run(*args) == 0
    before = snapshot(out)
    assert sorted(before) == [
        "g-feedback.zip",
        *(f"g-feedback/{i}.txt" for i in ("s1001", "s1002", "s1003")),
        "g.csv",
    ]
    subs = submissions_zip(  # Ada now answers the loss only: every output would change
        tmp_path / "s.zip", [(40001, 9001, "answer-form.csv", form({"id": "s1001"}), False)]
    )
    real = grade_module.grades_csv

    def failing(report):
        real(report)
        if fault == "SIGTERM":
            os.kill(os.getpid(), signal.SIGTERM)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(grade_module, "grades_csv", failing)
    capsys.readouterr()
    assert run(*args) == (143 if fault == "SIGTERM" else 1)
    capsys.readouterr()
    assert snapshot(out) == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".solgen")] == []
