"""A batch under signals, as a real process: killed, terminated, interrupted, or losing a worker.

Each test runs `solgen batch` in a new session (so a signal reaches the parent alone, as `kill`
would send it) with a template override that makes LaTeX loop for chosen variants: their
workers stay busy in LaTeX until something stops them (a mark file written just before the
loop tells that pdflatex is in it). The first variant builds normally, so
that a complete variant stands beside the interrupted ones. A rerun uses the same override
(the same templates digest, so nothing is rebuilt for a template change) with --no-pdf, which
runs no LaTeX: it finishes the class without looping, and its summary line says exactly what
it built and what it found up to date.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from helpers import live_processes_under, override

from solgen.course import manifest as mf

pytestmark = [pytest.mark.tex, pytest.mark.slow]

T = TypeVar("T")
SEED = 30
LATEX = ("latexmk", "pdflatex")


def vid(index: int) -> str:
    """The id of the batch's index-th variant (seeds from SEED)."""
    return str(SEED + index).zfill(4)


def looping_templates(tmp_path: Path, *indices: int) -> Path:
    """Templates with which LaTeX loops (until --timeout) for these variants only."""
    authors = ", ".join(f"'Variant {SEED + i}'" for i in indices)
    return override(
        tmp_path,
        "((* extends 'solgen/convnet.tex.j2' *))\n"
        f"((* block statement *))((* if meta.author in ({authors},) *))"
        # a mark in the scratch folder: pdflatex is in the loop (its terminal output written)
        "\\newwrite\\solgenmark\\immediate\\openout\\solgenmark=looping.txt\\relax"
        "\\immediate\\closeout\\solgenmark"
        "\\def\\solgenloop{\\solgenloop}\\solgenloop{}"
        "((* endif *))((( super() )))((* endblock *))\n",
    )


def stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    found = stat(pid)
    return found is not None and found[0] != "Z"


def children(pid: int) -> set[int]:
    """The live processes whose parent is pid."""
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            info = stat(int(proc.name))
            if info is not None and info[0] != "Z" and info[1] == pid:
                found.add(int(proc.name))
    return found


def comm(pid: int) -> str:
    """The process's command name ('' if it is gone)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def processes_under(directory: Path) -> dict[int, str]:
    """pid -> command name of the live processes whose working directory is in directory."""
    return {
        int(line.split()[0]): comm(int(line.split()[0])) for line in live_processes_under(directory)
    }


def latex_under(directory: Path) -> dict[int, str]:
    """The running latexmk and pdflatex processes whose working directory is in directory."""
    return {pid: name for pid, name in processes_under(directory).items() if name in LATEX}


def looping(out: Path, index: int) -> list[int]:
    """The pdflatex processes of the index-th variant once both its documents are in the loop
    (their scratch folders hold the mark), else []."""
    found = [
        pid
        for mark in out.glob(f".solgen-stage-{vid(index)}-*/.solgen-*/looping.txt")
        for pid, name in latex_under(mark.parent).items()
        if name == "pdflatex"
    ]
    return found if len(found) == 2 else []


def wait_for(condition: Callable[[], T], seconds: float, what: str) -> T:
    """Poll until condition() is true (returning it); fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:g} s: {what}")
        time.sleep(0.05)


class Batch:
    """`solgen batch --count N --seed SEED --jobs 2` into tmp_path/out, run in tmp_path."""

    def __init__(self, tmp_path: Path, count: int, templates: Path) -> None:
        self.tmp_path, self.count, self.templates = tmp_path, count, templates
        self.out = tmp_path / "out"
        self.started: list[subprocess.Popen[bytes]] = []

    def args(self, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "solgen",
            "batch",
            "--count",
            str(self.count),
            "--seed",
            str(SEED),
            "--jobs",
            "2",
            "--timeout",
            "60",
            "--out",
            str(self.out),
            "--templates",
            str(self.templates),
            *extra,
        ]

    def start(self) -> subprocess.Popen[bytes]:
        """Start the batch with PDFs, its output going to files; the parent is a session leader."""
        with (
            (self.tmp_path / "stdout").open("wb") as out,
            (self.tmp_path / "stderr").open("wb") as err,
        ):
            proc = subprocess.Popen(
                self.args(), cwd=self.tmp_path, stdout=out, stderr=err, start_new_session=True
            )
        self.started.append(proc)
        return proc

    def output(self) -> tuple[str, str]:
        """What the started batch printed: (stdout, stderr)."""
        read = (self.tmp_path / "stdout").read_text, (self.tmp_path / "stderr").read_text
        return read[0](encoding="utf-8"), read[1](encoding="utf-8")

    def rerun(self) -> subprocess.CompletedProcess[str]:
        """The same batch without PDFs (no LaTeX), to completion."""
        return subprocess.run(
            self.args("--no-pdf"), cwd=self.tmp_path, capture_output=True, text=True, timeout=60
        )

    def records(self) -> set[str]:
        loaded = mf.load(self.out)
        return set(loaded.records) if loaded is not None else set()

    def folders(self) -> set[str]:
        return {p.name for p in self.out.iterdir() if p.is_dir() and not p.name.startswith(".")}

    def cleanup(self) -> None:
        """Kill whatever this test started and is still running (the parent, its workers, LaTeX)."""
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for pid in processes_under(self.tmp_path):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def make_batch(tmp_path: Path) -> Iterator[Callable[[int, Path], Batch]]:
    made: list[Batch] = []

    def make(count: int, templates: Path) -> Batch:
        made.append(Batch(tmp_path, count, templates))
        return made[-1]

    yield make
    for batch in made:
        batch.cleanup()


def busy(batch: Batch, proc: subprocess.Popen[bytes], built: int, loops: list[int]) -> set[int]:
    """Wait until `built` variants are recorded and both documents of each of `loops` are in
    the loop; return the parent's worker processes then."""

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"the batch ended early ({proc.returncode}): {batch.output()[1]}")
        return len(batch.records()) == built and all(looping(batch.out, i) for i in loops)

    wait_for(ready, 60, f"{built} variants built and variants {loops} looping in LaTeX")
    workers = children(proc.pid)
    assert len(workers) == len(loops), workers
    return workers


def assert_complete(out: Path, folders: set[str], pdf: bool) -> None:
    for folder in folders:
        names = {p.name for p in (out / folder).iterdir()}
        wanted = {"variant.toml", "results.json", *(("solution.pdf",) if pdf else ())}
        assert wanted <= names, (folder, names)


def test_killing_the_parent_stops_its_workers_and_frees_the_directory(make_batch, tmp_path):
    batch = make_batch(4, looping_templates(tmp_path, 1, 2, 3))
    proc = batch.start()
    workers = busy(batch, proc, built=1, loops=[1, 2])
    below = set(processes_under(tmp_path)) - {proc.pid}  # workers, their runners, LaTeX
    assert workers < below and len(latex_under(batch.out)) >= 4  # 2 variants, 2 documents each
    killed = time.monotonic()
    proc.kill()
    assert proc.wait(timeout=5) == -signal.SIGKILL
    wait_for(lambda: not any(alive(pid) for pid in workers), 5, f"workers {workers} gone")
    left = 5 - (time.monotonic() - killed)
    wait_for(lambda: not any(alive(pid) for pid in below), left, f"{below} gone")
    assert latex_under(tmp_path) == {}
    assert processes_under(tmp_path) == {}
    # The lock is free: a rerun finishes the class, and the complete variant is kept.
    rerun = batch.rerun()
    assert rerun.returncode == 0, rerun.stderr
    assert "batch: 3 built, 1 up to date, 0 failed" in rerun.stdout
    assert "rebuilt" not in rerun.stdout
    assert batch.folders() == batch.records() == {vid(i) for i in range(4)}
    assert list(batch.out.glob(".solgen-*")) == []  # the killed run's staging folders are gone
    assert processes_under(tmp_path) == {}


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_the_parent_stops_the_batch_and_a_rerun_finishes_it(
    make_batch, tmp_path, signum, status
):
    batch = make_batch(4, looping_templates(tmp_path, 1, 2, 3))
    proc = batch.start()
    workers = busy(batch, proc, built=1, loops=[1, 2])
    sent = time.monotonic()
    proc.send_signal(signum)
    assert proc.wait(timeout=10) == status
    assert time.monotonic() - sent < 3
    _, err = batch.output()
    assert "solgen: error: interrupted: 1 built and recorded, 2 stopped, 1 not started;" in err
    assert "Traceback" not in err
    assert [pid for pid in workers if alive(pid)] == []
    wait_for(lambda: not latex_under(tmp_path), 1, "no LaTeX left under the output directory")
    assert processes_under(tmp_path) == {}
    # No queued variant started (none has a staging folder), the complete one is whole.
    assert not list(batch.out.glob(f".solgen-stage-{vid(3)}-*"))
    assert batch.folders() == batch.records() == {vid(0)}
    assert_complete(batch.out, {vid(0)}, pdf=True)
    rerun = batch.rerun()
    assert rerun.returncode == 0, rerun.stderr
    assert "batch: 3 built, 1 up to date, 0 failed" in rerun.stdout
    assert "rebuilt" not in rerun.stdout
    assert batch.folders() == batch.records() == {vid(i) for i in range(4)}
    assert_complete(batch.out, batch.folders(), pdf=False)
    assert list(batch.out.glob(".solgen-*")) == []
    assert processes_under(tmp_path) == {}


def test_a_killed_worker_fails_its_variant_only(make_batch, tmp_path):
    batch = make_batch(3, looping_templates(tmp_path, 1))
    proc = batch.start()
    pdflatex = wait_for(lambda: looping(batch.out, 1), 60, "variant 1 looping in LaTeX")
    worker = pdflatex[0]  # up from its pdflatex to the parent's child
    while (info := stat(worker)) is not None and info[1] != proc.pid:
        worker = info[1]
    assert info is not None and worker in children(proc.pid)
    os.kill(worker, signal.SIGKILL)
    assert proc.wait(timeout=60) == 1
    out, err = batch.output()
    failures = re.findall(r"variant (\d+) failed: (.*)", err)
    assert len(failures) == 1, err
    assert failures[0][0] == vid(1)
    assert failures[0][1].startswith("the worker process was killed by SIGKILL"), err
    assert "batch: 2 built, 0 up to date, 1 failed" in out
    assert batch.folders() == batch.records() == {vid(0), vid(2)}
    assert_complete(batch.out, batch.folders(), pdf=True)
    # The killed worker's LaTeX does not loop on without it.
    wait_for(lambda: not latex_under(tmp_path), 2, "no LaTeX left under the output directory")
    assert processes_under(tmp_path) == {}
    rerun = batch.rerun()
    assert rerun.returncode == 0, rerun.stderr
    assert "batch: 1 built, 2 up to date, 0 failed" in rerun.stdout
    assert "rebuilt" not in rerun.stdout
    assert batch.folders() == batch.records() == {vid(i) for i in range(3)}
