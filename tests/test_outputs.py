"""Outputs appear as a whole set or not at all, across kills; clean-up deletes only solgen's."""

from __future__ import annotations

import os
import signal

import pytest
from helpers import snapshot

from solgen.base.files import SCRATCH_MARK, remove_leftover_scratch, scratch_dir
from solgen.cli import main
from solgen.document import build as build_module


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


def _build(out, *argv) -> int:
    return main(["build", "--no-pdf", "--out", str(out), *argv])


def test_a_users_dot_solgen_folder_survives_the_clean_up(tmp_path, monkeypatch):
    """build --templates .solgen-templates --out . deleted the user's templates."""
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / ".solgen-templates"
    mine.mkdir()
    (mine / "body.tex.j2").write_text(
        "((* extends 'solgen/body.tex.j2' *))\n((* block header *))MINE((* endblock header *))\n",
        encoding="utf-8",
    )
    assert main(["build", "--no-pdf", "--templates", ".solgen-templates", "--out", "."]) == 0
    assert main(["build", "--no-pdf", "--templates", ".solgen-templates", "--out", "."]) == 0
    assert (mine / "body.tex.j2").exists()
    assert "MINE" in (tmp_path / "solution.tex").read_text(encoding="utf-8")


def test_only_marked_folders_are_removed(tmp_path):
    ours = scratch_dir(tmp_path, "data")
    (tmp_path / ".solgen-notes").mkdir()
    (tmp_path / ".solgen-file").write_text("x", encoding="utf-8")
    link = tmp_path / ".solgen-link"
    link.symlink_to(ours)
    remove_leftover_scratch(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".solgen-file",
        ".solgen-link",  # a link is never followed, even to one of ours
        ".solgen-notes",
    ]


def test_a_kill_while_moving_leaves_a_set_the_next_run_completes(tmp_path, monkeypatch):
    """A kill between two renames left new .tex and .json beside old outputs."""
    out, reference = tmp_path / "out", tmp_path / "reference"
    assert _build(out) == 0
    assert _build(reference, "--set", "problem2.A=[[4,1],[1,3]]") == 0
    moves = 0
    real_replace = os.replace

    def replace_then_die(src, dst):
        nonlocal moves
        if ".solgen-commit" in str(src) and moves == 1:
            raise Killed
        moves += ".solgen-commit" in str(src)
        real_replace(src, dst)

    monkeypatch.setattr(build_module.os, "replace", replace_then_die)
    with pytest.raises(Killed):
        _build(out, "--set", "problem2.A=[[4,1],[1,3]]")
    monkeypatch.setattr(build_module.os, "replace", real_replace)
    assert (out / ".solgen-commit").is_dir()  # the rest of the set, waiting
    build_module.finish_commit(out)  # what the next run on out does first, then the clean-up
    remove_leftover_scratch(out)
    assert snapshot(out) == snapshot(reference)


def test_an_incomplete_commit_folder_is_discarded(tmp_path):
    out = tmp_path / "out"
    assert _build(out) == 0
    before = snapshot(out)
    stray = out / ".solgen-commit"
    stray.mkdir()
    (stray / "solution.tex").write_text("half", encoding="utf-8")  # no list: never complete
    build_module.finish_commit(out)
    assert not stray.exists()
    assert snapshot(out) == before


def test_sigterm_while_moving_is_held_until_the_set_is_complete(tmp_path, monkeypatch, capsys):
    """SIGTERM during the move printed 'the previous outputs are untouched'."""
    out, reference = tmp_path / "out", tmp_path / "reference"
    assert _build(out) == 0
    assert _build(reference, "--set", "problem2.A=[[4,1],[1,3]]") == 0
    capsys.readouterr()
    real_replace = os.replace
    sent = False

    def replace_and_signal(src, dst):
        nonlocal sent
        if ".solgen-commit" in str(src) and not sent:
            sent = True
            os.kill(os.getpid(), signal.SIGTERM)  # held back until the last rename
        real_replace(src, dst)

    monkeypatch.setattr(build_module.os, "replace", replace_and_signal)
    assert _build(out, "--set", "problem2.A=[[4,1],[1,3]]") == 143
    assert capsys.readouterr().err == (
        "solgen: error: interrupted just after the new outputs were moved into place; "
        "they are complete\n"
    )
    assert snapshot(out) == snapshot(reference)
    assert not any(p.name == SCRATCH_MARK for p in out.rglob("*"))
