"""LaTeX dies with solgen, however solgen dies; a killed dump leaves no folder for ever."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import live_processes_under

from solgen.document import compile as compile_module

LOOP = (
    "((* extends 'solgen/base.tex.j2' *))((* block body *))\\def\\x{\\x}\\x((* endblock body *))\n"
)


def _latex_below(folder: Path) -> list[int]:
    """The pids of pdflatex processes working below folder."""
    return [int(p.split()[0]) for p in live_processes_under(folder) if "pdflatex" in p]


def _wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.tex
def test_a_looping_pdflatex_dies_when_solgen_is_killed(tmp_path):
    """SIGKILL leaves solgen no time to clean up: the watchdog kills LaTeX's group."""
    templates = tmp_path / "loop"
    templates.mkdir()
    (templates / "base.tex.j2").write_text(LOOP, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "SOLGEN_CACHE_DIR": str(tmp_path / "cache")}
    solgen = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "solgen",
            "build",
            "--templates",
            str(templates),
            "--out",
            str(out),
            "--timeout",
            "60",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: _latex_below(out) != [], 60), "pdflatex never started"
        time.sleep(0.5)  # let it loop
        solgen.send_signal(signal.SIGKILL)
        solgen.wait()
        assert _wait_for(lambda: _latex_below(out) == [], 5), _latex_below(out)
    finally:
        solgen.kill()
        solgen.wait()
        for pid in _latex_below(out):
            os.kill(pid, signal.SIGKILL)


def test_the_watchdog_is_called_off_after_a_normal_run(tmp_path):
    """A finished compile stops its watchdog at once: no process outlives the run."""
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    watchdog = compile_module._watchdog(sleeper.pid)
    assert watchdog is not None and watchdog.process.poll() is None
    compile_module._call_off(watchdog)
    assert watchdog.process.returncode == -signal.SIGKILL
    assert sleeper.poll() is None  # called off: the group was not touched
    sleeper.kill()
    sleeper.wait()


def test_the_watchdog_kills_the_group_when_its_pipe_closes():
    sleeper = subprocess.Popen(["sleep", "30"], start_new_session=True)
    watchdog = compile_module._watchdog(sleeper.pid)
    assert watchdog is not None
    os.close(watchdog.alive_fd)  # what the kernel does when solgen dies
    assert sleeper.wait(timeout=5) == -signal.SIGKILL
    watchdog.process.wait(timeout=5)


def test_dump_folders_of_killed_builds_are_removed_and_running_ones_kept(tmp_path):
    killed = tmp_path / ".dump-killed"
    killed.mkdir()
    (killed / ".lock").write_bytes(b"")
    (killed / "solgen-preamble.fmt").write_bytes(b"x" * 1000)
    running = tmp_path / ".dump-running"
    running.mkdir()
    (running / ".lock").write_bytes(b"")
    held = os.open(running / ".lock", os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    young = tmp_path / ".dump-young"  # made a moment ago, its lock not yet created
    young.mkdir()
    old = tmp_path / ".dump-old"
    old.mkdir()
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    user = tmp_path / "dump-notes"
    user.mkdir()
    try:
        compile_module.remove_stale_dumps(tmp_path)
    finally:
        os.close(held)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".dump-running",
        ".dump-young",
        "dump-notes",
    ]


@pytest.mark.tex
def test_a_directory_at_the_format_path_is_not_a_format(tmp_path, monkeypatch):
    """A directory at formats/<key>.fmt gave exit 1 on every build."""
    from solgen.document import preamble
    from solgen.document.build import render_documents, solve
    from solgen.document.variant import load_variant

    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(tmp_path / "cache"))
    variant = load_variant()
    tex = render_documents(variant, solve(variant))["assignment"]
    parts = preamble.split(tex)
    assert parts is not None
    fmt = preamble.format_file(parts.preamble)
    assert fmt is not None
    fmt.mkdir(parents=True)
    (fmt / "planted").write_text("x", encoding="utf-8")
    compiled = compile_module.compile_tex(tex, "assignment", tmp_path, 120, precompiled=True)
    assert compiled.pdf.read_bytes().startswith(b"%PDF-")
    assert fmt.is_file()  # made afresh where the directory was


RENDER_FOR_A_MINUTE = """
import sys
from solgen.document import render
render.RENDER_SECONDS = 60.0
from solgen.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _children_of(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[1]) == pid:
                found.append(int(proc.name))
    return found


def test_a_rendering_child_dies_when_solgen_is_killed(tmp_path):
    """A template that loops renders in a child of solgen's; SIGKILL to solgen ends it too."""
    templates = tmp_path / "loop"
    templates.mkdir()
    (templates / "body.tex.j2").write_text(
        "((* for i in range(100000) *))((* for j in range(100000) *))((* endfor *))"
        "((* endfor *))\n",
        encoding="utf-8",
    )
    argv = ["build", "--no-pdf", "--templates", str(templates), "--out", str(tmp_path / "out")]
    solgen = subprocess.Popen(
        [sys.executable, "-c", RENDER_FOR_A_MINUTE, *argv],
        env={**os.environ, "SOLGEN_CACHE_DIR": str(tmp_path / "cache")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: _children_of(solgen.pid) != [], 60), "no render child"
        (child,) = _children_of(solgen.pid)
        solgen.send_signal(signal.SIGKILL)
        solgen.wait()
        assert _wait_for(lambda: not Path(f"/proc/{child}").exists(), 5)
    finally:
        solgen.kill()
        solgen.wait()


@pytest.mark.tex
def test_a_build_after_stop_all_still_compiles(tmp_path, capsys):
    """stop_all() (Ctrl-C in a notebook, a stopped batch in a test session) used to stop every
    later build of the process as well: the stop belongs to the build it stopped."""
    from solgen.cli import main
    from solgen.document import compile as compile_module

    compile_module.stop_all()
    assert main(["build", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "solution.pdf").is_file()


def test_a_signal_between_two_submits_stops_the_latex_already_running(tmp_path, monkeypatch):
    """SIGTERM arriving after key.pdf's LaTeX had started but before the next document was
    submitted left the pool's exit waiting for that LaTeX (a batch hung for 20 s in CI)."""
    scratch = tmp_path / "key"
    scratch.mkdir()
    ended: list[str] = []

    def long_latex() -> compile_module.Compiled:
        # a LaTeX run that would take 30 s and end normally unless it is stopped
        try:
            compile_module._run_tex(["sleep", "30"], scratch, "key", 60, scratch / "key.log")
        except compile_module.Interrupted as exc:
            ended.append(str(exc))
            raise
        ended.append("ran to the end")
        return compile_module.Compiled(scratch / "key.pdf", scratch)

    class SignalOnSecondSubmit(compile_module.ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            if self._work_queue.qsize() or self._threads:  # the first job was submitted
                assert _wait_for(lambda: bool(compile_module._running), 10)
                raise KeyboardInterrupt  # as the handler raises it between two bytecodes
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(compile_module, "ThreadPoolExecutor", SignalOnSecondSubmit)
    unused = {"all-solutions": long_latex}
    with pytest.raises(KeyboardInterrupt):
        compile_module.compile_in_parallel({"key": long_latex, **unused}, tmp_path)
    assert ended == ["key: LaTeX was stopped (compile.stop_all)"]
    assert compile_module._running == set()
    assert not scratch.exists()  # a stopped session's scratch is removed
