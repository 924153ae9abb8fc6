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

from solgen import compile as compile_module

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
    from solgen import preamble
    from solgen.build import render_documents, solve
    from solgen.variant import load_variant

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
