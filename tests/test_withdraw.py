"""Issue 20, item 3: withdrawals, deleted student folders, and key.pdf in an LMS list's order.

A withdrawn student could not be removed: deleting their folder made every later run fail, or
left a directory grade and export refused with "rerun the batch", which did not repair it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from helpers import pdf_pages, snapshot
from test_class import KEY_HEX, write_key, write_roster

from solgen.cli import main
from solgen.course import withdraw as withdrawal

ROSTER = [
    ("s01", "Turing, Alan"),
    ("s02", "Hopper, Grace"),
    ("s03", "Lovelace, Ada"),
    ("s04", "Noether, Emmy"),
]
IDS = [i for i, _ in ROSTER]
WITHDREW_S03 = "batch: withdrew s03 (Lovelace, Ada): s03/ kept in withdrawn/s03/\n"
NO_LONGER = "batch: answers.csv, answers.json, report.txt no longer list s03\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A roster batch of four (--no-pdf), built once; tests copy it."""
    top = tmp_path_factory.mktemp("withdraw")
    write_roster(top / "roster.csv", ROSTER)
    write_roster(top / "without.csv", [r for r in ROSTER if r[0] != "s03"])
    write_key(top / "course.key", KEY_HEX)
    assert batch(top / "class") == 0
    return top / "class"


@pytest.fixture
def out(built, tmp_path) -> Path:
    for name in ("roster.csv", "without.csv", "course.key"):
        shutil.copy(built.parent / name, tmp_path / name)
    return shutil.copytree(built, tmp_path / "class")


def batch(out: Path, *extra: str, roster: str = "roster.csv", pdf: bool = False) -> int:
    args = ["batch", "--roster", str(out.parent / roster), "--key", str(out.parent / "course.key")]
    return main([*args, "--out", str(out), *([] if pdf else ["--no-pdf"]), *extra])


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text("utf-8"))


def answer_ids(out: Path) -> list[str]:
    rows = (out / "answers.csv").read_text("utf-8").splitlines()[1:]
    return [row.split(",")[0] for row in rows]


def test_withdraw_moves_the_folder_and_takes_the_student_out_of_every_class_file(out, capsys):
    before = snapshot(out)
    capsys.readouterr()
    assert batch(out, "--withdraw", "s03") == 0
    printed = capsys.readouterr().out
    assert printed.startswith(WITHDREW_S03)
    assert (
        "batch: student s03: withdrawn (their files are in withdrawn/s03/): not built; "
        "--readmit s03 takes them back\n"
    ) in printed
    assert "Class report: 3 students, 3 with answers.\n" in printed
    assert printed.endswith(
        f"{NO_LONGER}batch: 0 built, 3 up to date, 0 failed, in " + printed.split(" failed, in ")[1]
    )
    # their folder, byte for byte, under withdrawn/; every other student's as it was
    after = snapshot(out)
    for name, digest in before.items():
        if name.startswith("s03/"):
            assert after[f"withdrawn/{name}"] == digest
        elif name.split("/")[0] in ("s01", "s02", "s04"):
            assert after[name] == digest
    assert not (out / "s03").exists()
    assert answer_ids(out) == ["s01", "s02", "s04"]
    assert sorted(json.loads((out / "answers.json").read_text("utf-8"))) == ["s01", "s02", "s04"]
    data = manifest(out)
    assert sorted(data["students"]) == ["s01", "s02", "s04"]
    assert sorted(data["withdrawn"]) == ["s03"]
    assert data["withdrawn"]["s03"]["name"] == "Lovelace, Ada"
    # grade and export read the directory as it is now
    sheet = out.parent / "sheet.csv"
    sheet.write_text("id,loss\ns01,1\n", encoding="utf-8")
    assert (
        main(["grade", "--key", str(out), "--answers", str(sheet), "-o", str(out.parent / "g.csv")])
        == 0
    )
    assert main(["export", "moodle", "--key", str(out), "-o", str(out.parent / "q.xml")]) == 0


def test_a_withdrawn_student_on_the_roster_is_not_rebuilt_and_a_rerun_changes_nothing(out, capsys):
    assert batch(out, "--withdraw", "s03") == 0
    before = snapshot(out)
    capsys.readouterr()
    assert batch(out) == 0
    printed = capsys.readouterr().out
    assert "batch: student s03: withdrawn (their files are in withdrawn/s03/)" in printed
    assert "batch: 0 built, 3 up to date, 0 failed" in printed
    assert snapshot(out) == before
    # the same command again (a TA rerunning it) says so and changes nothing
    assert batch(out, "--withdraw", "s03") == 0
    assert capsys.readouterr().out.startswith(
        "batch: s03 is withdrawn already (their files are in withdrawn/s03/)\n"
    )
    assert snapshot(out) == before
    # off the roster too: nothing said about them, nothing changed
    assert batch(out, roster="without.csv") == 0
    assert "s03" not in capsys.readouterr().out
    assert snapshot(out) == before


def test_readmit_moves_the_folder_back_and_the_student_into_the_class_files(out, built, capsys):
    assert batch(out, "--withdraw", "s03") == 0
    capsys.readouterr()
    assert batch(out, "--readmit", "s03") == 0
    printed = capsys.readouterr().out
    assert printed.startswith(
        "batch: re-admitted s03 (Lovelace, Ada): withdrawn/s03/ moved back to s03/\n"
    )
    assert "batch: 0 built, 4 up to date, 0 failed" in printed
    assert not (out / "withdrawn").exists()
    assert snapshot(out) == snapshot(built)


@pytest.mark.parametrize(
    ("extra", "roster", "message"),
    [
        (
            ["--withdraw", "s09"],
            "roster.csv",
            "--withdraw s09: expected a student of {out} (s01, s02, s03, s04), found none with "
            "id s09",
        ),
        (
            ["--withdraw", "s03", "--readmit", "s03"],
            "roster.csv",
            "--withdraw s03: also given to --readmit; expected one",
        ),
        (["--readmit", "s02"], "roster.csv", "--readmit s02: s02 is not withdrawn from {out}"),
        (
            [a for i in IDS for a in ("--withdraw", i)],
            "roster.csv",
            "--withdraw: expected a student left in {out}, found none (a class of none has no "
            "class files); withdraw fewer",
        ),
        (
            ["--withdraw", "s03", "--shard", "1/2"],
            "roster.csv",
            "--withdraw: not with --shard: withdraw from the merged (or unsharded) directory",
        ),
    ],
)
def test_a_withdrawal_that_cannot_be_done_is_exit_2_and_writes_nothing(
    out, capsys, extra, roster, message
):
    before = snapshot(out)
    capsys.readouterr()
    assert batch(out, *extra, roster=roster) == 2
    assert capsys.readouterr().err == f"solgen: error: {message.format(out=out)}\n"
    assert snapshot(out) == before


def test_readmit_needs_the_student_on_the_roster_and_a_practice_set_has_no_withdrawals(
    out, tmp_path, capsys
):
    assert batch(out, "--withdraw", "s03") == 0
    before = snapshot(out)
    capsys.readouterr()
    assert batch(out, "--readmit", "s03", roster="without.csv") == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --readmit s03: s03 is not on the roster {out.parent / 'without.csv'}; "
        "add them back to it first\n"
    )
    assert snapshot(out) == before
    practice = tmp_path / "practice"
    assert (
        main(["batch", "--count", "2", "--out", str(practice), "--no-pdf", "--withdraw", "0001"])
        == 2
    )
    assert capsys.readouterr().err == (
        "solgen: error: --withdraw: only for a roster batch (--roster), not a practice set\n"
    )
    assert not practice.exists() or not any(practice.iterdir())


def test_a_withdrawal_changes_no_other_students_variant(out, capsys):
    """The withdrawn student still draws: every other student's variant is the one handed out."""
    variants = {i: (out / i / "variant.toml").read_bytes() for i in ("s01", "s02", "s04")}
    assert batch(out, "--withdraw", "s03", "--force") == 0
    assert "batch: 3 built, 0 up to date, 0 failed" in capsys.readouterr().out
    assert {i: (out / i / "variant.toml").read_bytes() for i in variants} == variants


# --- a student folder deleted by hand -------------------------------------------------------------


def test_a_deleted_folder_of_a_student_on_the_roster_is_rebuilt_and_said(out, built, capsys):
    shutil.rmtree(out / "s03")
    capsys.readouterr()
    assert batch(out) == 0
    printed = capsys.readouterr().out
    assert "batch: student s03 rebuilt: its folder s03/ was deleted\n" in printed
    now, then = snapshot(out), snapshot(built)
    assert now.pop("manifest.json") != then.pop("manifest.json")  # s03's record: rebuilt
    assert now == then  # the same variant, the same files, the same class files


def test_a_deleted_folder_off_the_roster_is_reported_with_the_ways_on(out, built, capsys):
    """'not on the roster: kept as built' was said of a folder that was gone, and grade said
    'rerun the batch', which changed nothing."""
    answers_before = json.loads((out / "answers.json").read_text("utf-8"))
    shutil.rmtree(out / "s03")
    capsys.readouterr()
    assert batch(out, roster="without.csv") == 0
    printed = capsys.readouterr().out
    assert (
        "batch: student s03: not on the roster and their folder s03/ was deleted: answers.csv "
        "and answers.json keep their last answers, grade and export need the folder; put s03 "
        "back on the roster to rebuild it, or --withdraw s03\n"
    ) in printed
    assert (
        "Not on the roster any more, folder deleted or unreadable (last answers kept): s03\n"
        in printed
    )
    assert "kept as built" not in printed
    assert answer_ids(out) == IDS
    sheet = out.parent / "sheet.csv"
    sheet.write_text("id,loss\ns01,1\n", encoding="utf-8")
    grade = ["grade", "--key", str(out), "--answers", str(sheet), "-o", str(out.parent / "g.csv")]
    assert main(grade) == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --key: {out}/s03/ was deleted; rerun the batch with s03 on the roster "
        "to rebuild them, or with --withdraw s03 to take s03 out of the class\n"
    )
    # either way on works: here, the withdrawal keeps their last answers
    assert batch(out, "--withdraw", "s03", roster="without.csv") == 0
    assert capsys.readouterr().out.startswith(
        "batch: withdrew s03 (Lovelace, Ada): their last answers (results.json; s03/ had been "
        "deleted) kept in withdrawn/s03/\n"
    )
    kept = json.loads((out / "withdrawn" / "s03" / "results.json").read_text("utf-8"))
    assert kept == answers_before["s03"]
    assert main(grade) == 0
    assert answer_ids(out) == ["s01", "s02", "s04"]


# --- a kill or a signal at each step of a withdrawal ---------------------------------------------


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def _die_at(monkeypatch, step: str) -> None:
    """Killed just after this step of a withdrawal: the manifest saved (before any file was
    moved), or the folder moved to withdrawn/."""
    if step == "manifest":

        def killed(*args):
            raise Killed

        monkeypatch.setattr(withdrawal, "settle", killed)
        return
    real_replace = os.replace

    def replace_then_die(src, dst):
        real_replace(src, dst)
        if str(dst).endswith("withdrawn/s02"):
            raise Killed

    monkeypatch.setattr(withdrawal.os, "replace", replace_then_die)


@pytest.mark.parametrize("step", ["manifest", "folder"])
def test_a_kill_at_each_step_of_a_withdrawal_is_finished_by_the_same_command(
    out, built, tmp_path, monkeypatch, capsys, step
):
    reference = shutil.copytree(built, tmp_path / "reference")
    assert batch(reference, "--withdraw", "s02") == 0
    _die_at(monkeypatch, step)
    with pytest.raises(Killed):
        batch(out, "--withdraw", "s02")
    monkeypatch.undo()
    assert sorted(manifest(out)["withdrawn"]) == ["s02"]  # the decision is saved first
    assert answer_ids(out) == IDS  # and the class files are as they were
    capsys.readouterr()
    assert batch(out, "--withdraw", "s02") == 0
    assert "batch: s02 is withdrawn already (their files are in withdrawn/s02/)\n" in (
        capsys.readouterr().out
    )
    assert snapshot(out) == snapshot(reference)


def test_sigterm_after_the_withdrawal_is_saved_says_what_is_true(out, monkeypatch, capsys):
    real = withdrawal.settle

    def then_terminated(*args):
        real(*args)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(withdrawal, "settle", then_terminated)
    assert batch(out, "--withdraw", "s03") == 143
    assert capsys.readouterr().err == (
        "solgen: error: interrupted while withdrawing or re-admitting: manifest.json holds the "
        "change, the class files are as the last complete run left them; rerun the same "
        "command to finish\n"
    )
    assert answer_ids(out) == IDS  # true: the class files are as they were
    monkeypatch.undo()
    assert batch(out, "--withdraw", "s03") == 0
    assert answer_ids(out) == ["s01", "s02", "s04"]


# --- with PDFs: handout/, solutions/, key.pdf --------------------------------------------------


@pytest.mark.tex
def test_with_pdfs_a_withdrawal_keeps_their_handout_and_key_pdf_follows_names(tmp_path, capsys):
    write_roster(tmp_path / "roster.csv", ROSTER)
    write_roster(tmp_path / "without.csv", [r for r in ROSTER if r[0] != "s03"])
    write_key(tmp_path / "course.key", KEY_HEX)
    out = tmp_path / "class"
    assert batch(out, "--jobs", "2", pdf=True) == 0
    key = " ".join("\f".join(pdf_pages(out / "key.pdf")).split())
    assert "Students in order of name, as the roster writes it (the id after equal names)." in key
    order = sorted(ROSTER, key=lambda r: r[1])  # Hopper, Lovelace, Noether, Turing
    starts = [key.index(f"{name} ID {i}") for i, name in order]
    assert starts == sorted(starts)
    handout = snapshot(out / "handout" / "s03")
    solutions = snapshot(out / "solutions" / "s03")
    # a deleted folder of a student off the roster: no pdfpages error, key.pdf keeps them
    shutil.rmtree(out / "s04")
    write_roster(tmp_path / "no4.csv", ROSTER[:3])
    capsys.readouterr()
    assert batch(out, "--jobs", "2", roster="no4.csv", pdf=True) == 0
    key = " ".join("\f".join(pdf_pages(out / "key.pdf")).split())
    assert "Noether, Emmy ID s04" in key
    assert sorted(p.name for p in (out / "handout").iterdir()) == ["s01", "s02", "s03"]
    # withdraw s03: their handout and solution kept, every class file without them
    assert (
        batch(
            out, "--jobs", "2", "--withdraw", "s03", "--withdraw", "s04", roster="no4.csv", pdf=True
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert (
        "batch: withdrew s03 (Lovelace, Ada): s03/, handout/s03/ and solutions/s03/ kept in "
        "withdrawn/s03/\n"
    ) in printed
    assert (
        "batch: answers.csv, answers.json, report.txt, key.pdf, handout/ and solutions/ no "
        "longer list s03\n"
    ) in printed
    assert snapshot(out / "withdrawn" / "s03" / "handout") == handout
    assert snapshot(out / "withdrawn" / "s03" / "solutions") == solutions
    key = " ".join("\f".join(pdf_pages(out / "key.pdf")).split())
    assert "Lovelace" not in key and "Noether" not in key
    assert "Hopper, Grace ID s02" in key and "Turing, Alan ID s01" in key
    assert sorted(p.name for p in (out / "handout").iterdir()) == ["s01", "s02"]
    assert sorted(p.name for p in (out / "solutions").iterdir()) == ["s01", "s02"]
    export = ["export", "moodle", "--key", str(out), "-o", str(tmp_path / "q.xml")]
    assert main(export) == 0
