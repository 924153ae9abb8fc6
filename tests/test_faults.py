"""Issue 22: nothing a student, a template or a disk does can hang, forge or silently lose a class.

Fast tests, no TeX: a batch directory is checked data (a manifest pointing a student at
another's folder, links, FIFOs, /dev/zero), faults name their file and every student's outcome,
a failed rebuild keeps the student's last good answers, a signal at each phase gets a true
message and exit status 143, readers take a shared lock, and -o that cannot be written is exit
status 2 for every command. The TeX cases (key.pdf, a full disk, SIGTERM in key.pdf's compile)
are in test_chaos.py.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import snapshot

from solgen.base.files import SCRATCH_MARK, StagedSet, exclusive, shared
from solgen.cli import main
from solgen.course import classfiles
from solgen.document import build as build_module

COUNT = 3
IDS = [f"{i:04d}" for i in range(COUNT)]


def batch(out: Path, *extra: str) -> int:
    return main(["batch", "--count", str(COUNT), "--out", str(out), "--no-pdf", *extra])


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    """A practice set of 3 (--no-pdf), built once; tests copy it."""
    out = tmp_path_factory.mktemp("made") / "b"
    assert batch(out) == 0
    return out


@pytest.fixture
def out(made, tmp_path) -> Path:
    return shutil.copytree(made, tmp_path / "b")


def manifest_data(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text("utf-8"))


def answers(out: Path) -> dict:
    return json.loads((out / "answers.json").read_text("utf-8"))


def results(out: Path, variant_id: str) -> dict:
    return json.loads((out / variant_id / "results.json").read_text("utf-8"))


def run(*argv: str, timeout: float = 60, memory: int | None = None) -> subprocess.CompletedProcess:
    """solgen as a process (a hang is a test failure after timeout, not a hung suite)."""

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "solgen", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
    )


def batch_process(out: Path, **kwargs) -> subprocess.CompletedProcess:
    return run("batch", "--count", str(COUNT), "--out", str(out), "--no-pdf", **kwargs)


# --- the batch directory is checked data -----------------------------------------------------


def test_a_record_pointing_at_another_students_folder_is_rebuilt_from_the_tree(out, capsys):
    """A hand-edited record's folder made every rerun a traceback, or quietly gave 0001 the
    answers of 0002."""
    data = manifest_data(out)
    data["students"]["0001"]["folder"] = "0002"
    (out / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    capsys.readouterr()
    assert batch(out) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert (
        "batch: manifest.json: students.0001.folder: expected 0001, found 0002: the record does "
        "not match the directory and is rebuilt from 0001/\n" in captured.out
    )
    assert "batch: 1 built, 2 up to date, 0 failed" in captured.out
    assert manifest_data(out)["students"]["0001"]["folder"] == "0001"
    assert answers(out)["0001"] == results(out, "0001") != results(out, "0002")


def test_a_student_folder_linked_to_anothers_is_replaced_not_followed(out, made, capsys):
    """0001 -> 0002 was rebuilt with 0002's name and id."""
    shutil.rmtree(out / "0001")
    (out / "0001").symlink_to("0002")
    before = snapshot(out / "0002")
    capsys.readouterr()
    assert batch(out) == 0
    captured = capsys.readouterr().out
    assert (
        "batch: variant 0001 rebuilt: 0001 is a symbolic link, expected the variant's own "
        "folder: replaced\n" in captured
    )
    assert not (out / "0001").is_symlink() and (out / "0001").is_dir()
    assert snapshot(out / "0002") == before
    variant = (made / "0001" / "variant.toml").read_bytes()
    assert (out / "0001" / "variant.toml").read_bytes() == variant
    assert answers(out)["0001"] == results(made, "0001")


def test_a_fifo_as_variant_toml_never_blocks(out, made):
    fifo = out / "0001" / "variant.toml"
    fifo.unlink()
    os.mkfifo(fifo)
    done = batch_process(out, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (
        "batch: variant 0001 rebuilt: variant.toml is a FIFO (named pipe), expected a regular "
        "file: replaced\n" in done.stdout
    )
    assert fifo.is_file() and fifo.read_bytes() == (made / "0001" / "variant.toml").read_bytes()


@pytest.mark.parametrize("command", ["batch", "grade", "export"])
def test_a_manifest_linked_to_dev_zero_is_refused_at_once(out, tmp_path, command):
    """manifest.json -> /dev/zero grew batch and grade to 24 GB until the OOM killer came."""
    (out / "manifest.json").unlink()
    (out / "manifest.json").symlink_to("/dev/zero")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,loss\n0000,1\n", encoding="utf-8")
    grades = tmp_path / "g.csv"
    argv = {
        "batch": ["batch", "--count", str(COUNT), "--out", str(out), "--no-pdf"],
        "grade": ["grade", "--key", str(out), "--answers", str(sheet), "-o", str(grades)],
        "export": ["export", "moodle", "--key", str(out), "-o", str(tmp_path / "bank.xml")],
    }[command]
    done = run(*argv, timeout=60, memory=2 * 1024**3)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"solgen: error: {out}/manifest.json: not a readable solgen manifest: expected a regular "
        "file of at most 256 MB, found a symbolic link\n"
    )
    assert not (tmp_path / "g.csv").exists() and not (tmp_path / "bank.xml").exists()


def test_a_fifo_manifest_is_refused_at_once(out):
    (out / "manifest.json").unlink()
    os.mkfifo(out / "manifest.json")
    done = batch_process(out, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (
        f"solgen: error: {out}/manifest.json: not a readable solgen manifest: expected a regular "
        "file of at most 256 MB, found a FIFO (named pipe)\n"
    )


def test_a_results_json_that_is_a_fifo_or_a_link_is_damaged_not_read(out, made):
    (out / "0000" / "results.json").unlink()
    os.mkfifo(out / "0000" / "results.json")
    (out / "0002" / "results.json").unlink()
    (out / "0002" / "results.json").symlink_to("/dev/zero")
    done = batch_process(out, timeout=60, memory=2 * 1024**3)
    assert done.returncode == 0, done.stderr
    printed = done.stdout
    for variant_id in ("0000", "0002"):
        assert f"variant {variant_id} rebuilt: missing or damaged: results.json\n" in printed
    assert answers(out) == answers(made)


# --- faults that never lie and never lose ------------------------------------------------------


def full_disk_for(monkeypatch, fragment: str) -> None:
    """Writes of files whose temporary path holds fragment fail as on a full disk: ENOSPC from
    write(2), naming no file (as Python reports it)."""
    real = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()
            return False

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, *args, **kwargs):
        handle = real(fd, *args, **kwargs)
        name = os.readlink(f"/proc/self/fd/{fd}")
        return Full(handle) if fragment in name else handle

    monkeypatch.setattr("solgen.base.files.os.fdopen", fdopen)


def test_a_full_disk_names_the_file_and_every_student(tmp_path, monkeypatch, capsys):
    """With --no-pdf a full disk said only 'No space left on device'; when the class files
    failed, the students' outcomes were lost."""
    out = tmp_path / "b"
    full_disk_for(monkeypatch, "/.answers.json.")
    assert batch(out) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "solgen: error: the class files could not all be made: No space left on device: "
        f"{out}/answers.json\n"
        "solgen: error: no class file was replaced; answers.json, answers.csv, report.txt, "
        "key.pdf, all-solutions.pdf, all-assignments.pdf, handout/, solutions/ as the last "
        "complete run left them; 3 built and recorded\n"
    )
    assert "batch: 3 built, 0 up to date, 0 failed" in captured.out
    assert sorted(manifest_data(out)["students"]) == IDS


def test_a_student_whose_build_hits_a_full_disk_is_named(tmp_path, monkeypatch, capsys):
    out = tmp_path / "b"
    full_disk_for(monkeypatch, ".solgen-stage-0001-")
    assert batch(out) == 1
    captured = capsys.readouterr()
    lines = [ln for ln in captured.err.splitlines() if "failed" in ln]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(
        "solgen: error: variant 0001 failed: OSError: No space left on device: "
        f"{out}/.solgen-stage-0001-"
    )
    assert "batch: 2 built, 0 up to date, 1 failed" in captured.out


def test_a_failed_rebuild_keeps_the_students_last_good_answers(out, tmp_path, capsys):
    """A rebuild that failed dropped the student from answers.csv/json (the contract: never)."""
    before_json, before_csv = answers(out), (out / "answers.csv").read_text("utf-8")
    (out / "0001" / "results.json").unlink()
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "convnet.tex.j2").write_text(
        "((* extends 'solgen/convnet.tex.j2' *))\n"
        "((* block statement *))((* if meta.author == 'Variant 1' *))((( no_such_value )))"
        "((* endif *))((( super() )))((* endblock *))\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert batch(out, "--templates", str(templates)) == 1
    captured = capsys.readouterr()
    assert "variant 0001 failed: UndefinedError: 'no_such_value' is undefined" in captured.err
    assert answers(out) == before_json
    assert (out / "answers.csv").read_text("utf-8") == before_csv
    assert "Class report: 3 variants, 3 with answers." in captured.out


# --- messages that are true -----------------------------------------------------------------


def sigterm_after(monkeypatch, target: str) -> None:
    """SIGTERM to this process just after target (module.function) returns."""
    module_name, name = target.rsplit(".", 1)
    module = sys.modules[module_name]
    real = getattr(module, name)

    def then_terminated(*args, **kwargs):
        result = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        return result

    monkeypatch.setattr(module, name, then_terminated)


NOTHING_REPLACED = (
    "no class file was replaced; answers.json, answers.csv, report.txt, key.pdf, "
    "all-solutions.pdf, all-assignments.pdf, handout/, solutions/ as the last complete run left "
    "them"
)
CLASS_FILES = ("answers.json", "answers.csv", "report.txt")
# Each step of making the class files, in order (issue 20, item 3): a signal after any of
# them left answers.json and answers.csv rewritten beside the old report.txt and key.pdf.
CLASS_STEPS = [
    "solgen.course.classfiles.collect_answers",
    "solgen.course.classfiles.write_answers",
    "solgen.course.classfiles.class_report",
    "solgen.base.files.StagedSet.text",
]


def _class_bytes(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in CLASS_FILES}


def _scratch(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".solgen"))


@pytest.mark.parametrize("step", CLASS_STEPS)
def test_sigterm_at_each_step_of_the_class_files_replaces_none(out, monkeypatch, capsys, step):
    """'replaced answers.json, answers.csv' was true, but left them beside the old report.txt:
    now every class file is staged and moved in together, so a signal at any step before
    that leaves them all as they were, which is what is said."""
    before = _class_bytes(out)
    if step.endswith("StagedSet.text"):
        real = StagedSet.text

        def then_terminated(self, name, text):
            real(self, name, text)
            os.kill(os.getpid(), signal.SIGTERM)

        monkeypatch.setattr(StagedSet, "text", then_terminated)
    else:
        sigterm_after(monkeypatch, step)
    assert batch(out, "--set", "problem1.b2=0.5") == 143
    assert capsys.readouterr().err == (
        "solgen: error: interrupted while making the class files: 3 built and recorded before; "
        f"{NOTHING_REPLACED}; rerun the same command to finish\n"
    )
    assert _class_bytes(out) == before
    assert _scratch(out) == []
    monkeypatch.undo()
    assert batch(out, "--set", "problem1.b2=0.5") == 0  # the rerun finishes: all new
    assert "batch: 0 built, 3 up to date, 0 failed" in capsys.readouterr().out
    after = _class_bytes(out)
    assert all(after[name] != before[name] for name in ("answers.json", "answers.csv"))
    assert sorted(answers(out)) == IDS


@pytest.mark.parametrize("name", CLASS_FILES)
def test_a_full_disk_at_any_class_file_replaces_none(out, monkeypatch, capsys, name):
    before = _class_bytes(out)
    full_disk_for(monkeypatch, f"/.{name}.")
    assert batch(out, "--set", "problem1.b2=0.5") == 1
    assert capsys.readouterr().err == (
        "solgen: error: the class files could not all be made: No space left on device: "
        f"{out}/{name}\n"
        f"solgen: error: {NOTHING_REPLACED}; 3 built and recorded\n"
    )
    assert _class_bytes(out) == before
    assert _scratch(out) == []


def test_a_kill_while_moving_the_class_files_in_is_finished_by_the_next_run(
    made, tmp_path, monkeypatch, capsys
):
    """SIGKILL between two renames of the class files' move: DIR holds some old and none of
    the new, or some new and none of the old, never a mix; the next batch finishes the move."""
    changed = tmp_path / "changed"
    shutil.copytree(made, changed)
    assert batch(changed, "--set", "problem1.b2=0.5") == 0
    old, new = _class_bytes(made), _class_bytes(changed)
    real_replace = os.replace
    for kill_at in range(2 * len(CLASS_FILES) + 1):
        out = shutil.copytree(made, tmp_path / f"out{kill_at}")
        dying = DyingReplace(out / build_module.COMMIT, kill_at, real_replace)
        monkeypatch.setattr(build_module.os, "replace", dying)
        with pytest.raises(Killed):
            batch(out, "--set", "problem1.b2=0.5")
        assert dying.moves == kill_at
        monkeypatch.setattr(build_module.os, "replace", real_replace)
        seen = {n: (out / n).read_bytes() for n in CLASS_FILES if (out / n).exists()}
        olds = {n for n, data in seen.items() if data == old[n]}
        news = {n for n, data in seen.items() if data == new[n]}
        assert not (olds - news and news - olds), (kill_at, olds, news)
        capsys.readouterr()
        assert batch(out, "--set", "problem1.b2=0.5") == 0
        assert "batch: 0 built, 3 up to date, 0 failed" in capsys.readouterr().out
        assert _class_bytes(out) == new, kill_at
        assert not (out / build_module.COMMIT).exists()


def test_sigterm_after_the_batch_finished_is_143_and_says_so(out, monkeypatch, capsys):
    sigterm_after(monkeypatch, "solgen.course.batch.run_batch")
    before = snapshot(out)
    assert batch(out) == 143
    assert capsys.readouterr().err == (
        "solgen: error: interrupted after the batch had finished: every file it wrote is "
        "complete (rerun the same command to see its summary)\n"
    )
    assert snapshot(out) == before


def test_sigterm_after_a_build_finished_is_143_and_says_so(tmp_path, monkeypatch, capsys):
    sigterm_after(monkeypatch, "solgen.document.build.build")
    assert main(["build", "--no-pdf", "--out", str(tmp_path / "o")]) == 143
    assert capsys.readouterr().err == (
        "solgen: error: interrupted after the build had finished; its new outputs are complete\n"
    )
    assert (tmp_path / "o" / "results.json").is_file()


def test_sigterm_during_a_merge_leaves_out_and_no_scratch(out, tmp_path, monkeypatch, capsys):
    merged = tmp_path / "merged"
    assert main(["merge", "--out", str(merged), str(out)]) == 0
    before = snapshot(merged)
    sigterm_after(monkeypatch, "solgen.course.classfiles.write_answers")
    capsys.readouterr()
    assert main(["merge", "--out", str(merged), str(out)]) == 143
    assert capsys.readouterr().err == (
        "solgen: error: interrupted; the previous outputs are untouched\n"
    )
    assert snapshot(merged) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".solgen")] == []


def test_a_sigterm_after_main_returned_exits_143_not_minus_15(tmp_path):
    """A SIGTERM after a finished command ended the process with -15."""
    code = (
        "import os, signal, sys, time\n"
        "from solgen.cli import main\n"
        f"sys.argv = ['solgen', 'build', '--no-pdf', '--out', {str(tmp_path / 'o')!r}]\n"
        "status = main()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(5)\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 143
    assert done.stderr == (
        "solgen: error: SIGTERM arrived after the command had finished; everything it wrote is "
        "complete\n"
    )


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs."""


class DyingReplace:
    """os.replace that raises Killed at the kill_at-th rename into or out of a commit folder
    (counting from 0), as a SIGKILL between two renames would stop the move."""

    def __init__(self, commit: Path, kill_at: int, replace: Callable[..., None]) -> None:
        self.commit, self.kill_at, self.replace = str(commit), kill_at, replace
        self.moves = 0  # renames done before the kill

    def __call__(self, src: object, dst: object) -> None:
        if any(str(p) == self.commit or str(p).startswith(self.commit + "/") for p in (src, dst)):
            if self.moves == self.kill_at:
                raise Killed
            self.moves += 1
        self.replace(src, dst)


def test_a_kill_between_two_renames_never_shows_a_mix(tmp_path, monkeypatch):
    """A SIGKILL between two renames of a build's commit left results.json new and
    solution.tex old: at every rename, the outputs in DIR are some of the old set or some of
    the new set, never both."""
    names = ["assignment.tex", "data", "results.json", "solution.tex"]
    old, new = tmp_path / "old", tmp_path / "new"
    assert main(["build", "--no-pdf", "--out", str(old)]) == 0
    assert main(["build", "--no-pdf", "--out", str(new), "--set", "problem1.b2=0.5"]) == 0
    version = {name: (snapshot_of(old, name), snapshot_of(new, name)) for name in names}
    real_replace = os.replace
    for kill_at in range(2 * len(names)):
        out = tmp_path / f"out{kill_at}"
        shutil.copytree(old, out)
        dying = DyingReplace(out / build_module.COMMIT, kill_at, real_replace)
        monkeypatch.setattr(build_module.os, "replace", dying)
        with pytest.raises(Killed):
            main(["build", "--no-pdf", "--out", str(out), "--set", "problem1.b2=0.5"])
        monkeypatch.setattr(build_module.os, "replace", real_replace)
        seen = {name: snapshot_of(out, name) for name in names if (out / name).exists()}
        olds = {n for n, s in seen.items() if s == version[n][0]}
        news = {n for n, s in seen.items() if s == version[n][1]}
        assert olds | news == set(seen), kill_at
        assert not (olds and news), (kill_at, olds, news)
        build_module.finish_commit(out)  # what the next build on out does first
        after = {name: snapshot_of(out, name) for name in names}
        all_old = {n: v[0] for n, v in version.items()}
        all_new = {n: v[1] for n, v in version.items()}
        assert after in (all_old, all_new)
        if kill_at > 0:  # the set was in the commit folder: the next build completes it
            assert after == all_new


def snapshot_of(out: Path, name: str) -> object:
    path = out / name
    return snapshot(path) if path.is_dir() else path.read_bytes()


# --- readers take a shared lock --------------------------------------------------------------


@pytest.mark.parametrize("command", ["grade", "moodle", "qti"])
def test_readers_refuse_a_directory_a_batch_is_writing(out, tmp_path, capsys, command):
    """grade and export read half-old keys during a batch, without a warning."""
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,loss\n0000,1\n", encoding="utf-8")
    target = tmp_path / ("grades.csv" if command == "grade" else f"export.{command}")
    argv = (
        ["grade", "--key", str(out), "--answers", str(sheet), "-o", str(target)]
        if command == "grade"
        else ["export", command, "--key", str(out), "-o", str(target)]
    )
    with exclusive(out):  # a batch running in out holds this
        assert main(argv) == 1
    assert capsys.readouterr().err == (
        f"solgen: error: --key: a solgen batch is writing into {out}; it was not read (its "
        "answer keys are changing): run this again when the batch is done\n"
    )
    assert not target.exists()
    assert main(argv) == 0  # once the batch is done


def test_a_batch_refuses_a_directory_being_read(out, capsys):
    with shared(out):
        assert batch(out, "--force") == 1
    assert capsys.readouterr().err == (
        f"solgen: error: solgen is reading {out} (grade, export or merge); try again when it "
        "is done\n"
    )


# --- smaller ---------------------------------------------------------------------------------


def test_a_killed_merges_copy_is_removed_by_the_next_merge(out, tmp_path, capsys):
    merged = tmp_path / "merged"
    stale = tmp_path / ".solgen-merge-killed01"  # as a SIGKILLed merge leaves it
    (stale / "out").mkdir(parents=True)
    (stale / SCRATCH_MARK).write_bytes(b"")
    busy = tmp_path / ".solgen-merge-running1"  # another merge, still working: locked
    busy.mkdir()
    (busy / SCRATCH_MARK).write_bytes(b"")
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert main(["merge", "--out", str(merged), str(out)]) == 0
        assert not stale.exists()
        assert busy.is_dir()
    finally:
        os.close(fd)


@pytest.fixture
def read_only(tmp_path) -> Path:
    """A folder nothing can be written into, even by root (a read-only bind mount)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {mounted.stderr!r}")
    try:
        subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True
        )
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def remount(folder: Path, mode: str) -> None:
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", f"remount,{mode},bind", str(folder)], check=True)
    else:
        folder.chmod(0o755 if mode == "rw" else 0o555)


def test_a_no_op_rerun_in_a_read_only_directory_succeeds(read_only, made, capsys):
    remount(read_only, "rw")
    out = shutil.copytree(made, read_only / "b")
    assert batch(out) == 0  # the stamps of this copy are known from here on
    remount(read_only, "ro")
    before = snapshot(out)
    capsys.readouterr()
    assert batch(out) == 0
    assert "batch: 0 built, 3 up to date, 0 failed" in capsys.readouterr().out
    assert snapshot(out) == before


@pytest.mark.parametrize("command", ["grade", "variant", "merge", "moodle", "qti", "key"])
def test_an_unwritable_output_is_exit_2_everywhere(out, read_only, tmp_path, capsys, command):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("id,loss\n0000,1\n", encoding="utf-8")
    target = read_only / "file"
    argv = {
        "grade": ["grade", "--key", str(out), "--answers", str(sheet), "-o", str(target)],
        "variant": ["variant", "--seed", "1", "-o", str(target)],
        "merge": ["merge", "--out", str(target), str(out)],
        "moodle": ["export", "moodle", "--key", str(out), "-o", str(target)],
        "qti": ["export", "qti", "--key", str(out), "-o", str(target)],
        "key": ["key", "-o", str(target)],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("solgen: error: ") and "Traceback" not in err
    assert "Read-only file system" in err or "Permission denied" in err
    assert str(read_only) in err
    assert list(read_only.iterdir()) == []


def test_class_files_are_not_rewritten_by_a_no_op_rerun(out, monkeypatch):
    """A no-op rerun reads no results.json and hashes nothing it hashed before."""
    assert batch(out) == 0  # the stamps of this copy are known from here on
    read = []
    real = classfiles.collect_answers
    monkeypatch.setattr(classfiles, "collect_answers", lambda *a: read.append(1) or real(*a))
    hashed = []
    real_sha = sys.modules["solgen.course.manifest"].file_sha
    monkeypatch.setattr(
        "solgen.course.manifest.file_sha", lambda p: hashed.append(p) or real_sha(p)
    )
    assert batch(out) == 0
    assert read == [] and hashed == []


@pytest.mark.parametrize("garbage", [b"", b"{", b"[]", b'{"files": {"x": [1, 2]}}', b"\xff" * 64])
def test_a_poisoned_stamps_cache_only_costs_hashing(out, tmp_path, monkeypatch, capsys, garbage):
    """The cache of file hashes by stamps (outside DIR) is a shortcut: an unreadable one is
    ignored, and damage it does not know of is still found."""
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert batch(out) == 0
    (entry,) = (tmp_path / "cache" / "reruns").iterdir()
    entry.write_bytes(garbage)
    (out / "0002" / "solution.tex").write_text("damaged\n", encoding="utf-8")
    capsys.readouterr()
    assert batch(out) == 0
    captured = capsys.readouterr().out
    assert "batch: variant 0002 rebuilt: missing or damaged: solution.tex\n" in captured
    assert "batch: 1 built, 2 up to date, 0 failed" in captured
