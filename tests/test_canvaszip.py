"""Canvas's submissions zip as grade's answers, and the feedback zip back into Canvas: names
made by a port of Canvas's Download Submissions, feedback read by a port of its Upload
Submissions (tests/lmsports.py)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lmsports import (
    CanvasComment,
    canvas_download_name,
    canvas_import,
    canvas_upload_submissions,
)
from test_grade import exact_answers
from test_lmsgrades import CANVAS, CANVAS_USERS

from solgen.cli import main
from solgen.grading.canvaszip import Upload, as_one_column_csv, canvas_upload

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


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    """A batch from Canvas's gradebook export, built as the TA runs it."""
    top = tmp_path_factory.mktemp("canvaszip")
    roster = top / "canvas.csv"
    roster.write_bytes(CANVAS.encode("utf-8"))
    assert run("key", "-o", top / "course.key") == 0
    out = top / "klass"
    args = ("batch", "--roster", roster, "--key", top / "course.key", "--no-pdf", "--out", out)
    assert run(*args) == 0
    return out


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
    assert canvas_upload(entry) == Upload(entry, user, attachment, late, file_name)


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
        "Canvas (these answers are CSV)\n"
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
        f"solgen: error: --answers {subs}: not a zip archive Canvas wrote (File is not a zip "
        "file)\n"
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
        "from pathlib import Path; from solgen.grading.canvaszip import is_zip; "
        f"print(is_zip(Path({str(fifo)!r})))"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert done.stdout == "False\n"
