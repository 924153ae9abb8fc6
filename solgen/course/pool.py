"""Forked workers, one per task: none outlives the parent, and a worker's death is one failure.

A process pool (concurrent.futures) breaks as a whole when one worker dies, and its workers
hold whatever the parent held, the output directory's lock included. Here every task runs in
a child forked for it (the parent's warm SymPy caches come along for free), which
- asks the kernel for SIGTERM when the parent dies (PR_SET_PDEATHSIG), however it dies;
- stops its LaTeX processes and exits on SIGTERM, and ignores the terminal's Ctrl-C, which
  the parent handles for everyone;
- closes the lock's file descriptor, so that only the parent holds the lock;
- sends its result back through a pipe. A child that dies without one (the OOM killer, a
  crash) is reported as that task's failure, with the signal that ended it.

LaTeX runs in sessions of its own, which nothing kills when the process that started them is
killed: a hanging document would run on for ever, its --timeout gone with that process. So
the child (the worker) runs the task in a grandchild (the runner) and outlives it: the runner
gets SIGTERM when the worker dies (and stops its LaTeX), the worker is the subreaper of what
the runner leaves (PR_SET_CHILD_SUBREAPER) and kills it when the runner dies, and then ends
as the runner ended.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from solgen.document.compile import stop_all

T = TypeVar("T")
STOP_GRACE = 2.0  # seconds a worker gets to stop its LaTeX processes after SIGTERM
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Finished:
    """One task's end: its result, or why it has none."""

    index: int
    result: Any = None
    error: str = ""  # '' when the task returned a result


def _prctl(option: int, value: int) -> None:
    """Linux's prctl(2); nothing elsewhere."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(option, value)


def _die_with_parent(parent: int) -> None:
    """Linux: SIGTERM to this process when the parent dies (and now, if it already has)."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(143)


def _stop(signum: int, frame: object) -> None:
    stop_all()  # kill this runner's LaTeX process groups, then go
    os._exit(128 + signum)


def _child(
    task: T, work: Callable[[T], Any], write_fd: int, parent: int, close: int | None
) -> None:
    """The worker: run the task in a runner, then stop what the runner left, end as it ended."""
    # SIGTERM waits until the handler of the process it reaches is set: a runner that ran the
    # worker's handler would signal process 0, its whole process group (the parent too).
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    if close is not None:
        with contextlib.suppress(OSError):
            os.close(close)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # the runner's orphans (its LaTeX) become ours
    worker = os.getpid()
    runner = os.fork()
    if runner == 0:
        try:
            signal.signal(signal.SIGTERM, _stop)
            _die_with_parent(worker)  # the worker killed (SIGKILL too): stop LaTeX, go
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            _run(task, work, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)  # the parent sees the pipe's end when the runner ends
    signal.signal(signal.SIGTERM, lambda signum, frame: _forward(runner, signum))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    _, status = os.waitpid(runner, 0)
    _stop_orphans()
    _end_as(status)


def _run(task: T, work: Callable[[T], Any], write_fd: int) -> None:
    """The runner: do the task, send its result or its failure through the pipe."""
    try:
        outcome: tuple[str, Any] = ("ok", work(task))
    except BaseException as exc:  # the task's failure, whatever it is, goes to the parent
        text = str(exc).strip()
        if isinstance(exc, OSError) and exc.strerror:  # 'No space left on device: FILE'
            text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
        first = text.splitlines()[0] if text else ""
        outcome = ("error", f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
    data = pickle.dumps(outcome)
    with os.fdopen(write_fd, "wb") as pipe:
        pipe.write(data)


def _forward(runner: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(runner, signum)


def _children() -> list[int]:
    """This process's children (Linux: from /proc; elsewhere none are found)."""
    me, found = os.getpid(), []
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    with open(f"/proc/{name}/stat", "rb") as stat:
                        fields = stat.read().rsplit(b")", 1)[1].split()
                    if int(fields[1]) == me:
                        found.append(int(name))
    return found


def _stop_orphans() -> None:
    """Kill the process groups the runner left running (a LaTeX of a killed runner), reap them.

    Usually there are none, and the first waitpid says so. A LaTeX process group is led by its
    latexmk (or pdflatex), which is what becomes our child.
    """
    deadline = time.monotonic() + STOP_GRACE
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return  # no children left
        if pid:
            continue  # reaped one; look again
        if time.monotonic() > deadline:
            return
        for child in _children():
            with contextlib.suppress(OSError):
                os.killpg(child, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        time.sleep(0.01)


def _end_as(status: int) -> None:
    """End this process as the runner ended: killed by the same signal, or with its status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
        os.kill(os.getpid(), number)
        os._exit(128 + number)  # a signal that does not end a process
    os._exit(os.waitstatus_to_exitcode(status))


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = " (out of memory?)" if number == signal.SIGKILL else ""
        return f"the worker process was killed by {name}{hint}"
    return f"the worker process exited with status {os.waitstatus_to_exitcode(status)}"


@dataclass
class _Running:
    index: int
    fd: int
    data: bytearray


def run_forked(
    tasks: Sequence[T],
    work: Callable[[T], Any],
    jobs: int,
    on_finish: Callable[[Finished], None],
    close_in_child: int | None = None,
    on_start: Callable[[int], None] | None = None,
) -> None:
    """Run work(task) for every task, each in a forked child, at most `jobs` at a time.

    on_finish is called in the parent, in completion order. If the parent is interrupted
    (KeyboardInterrupt, or an exception raised by a signal handler), the running children
    are stopped (SIGTERM, then SIGKILL after STOP_GRACE seconds), no queued task starts,
    and the exception propagates.
    """
    parent = os.getpid()
    queue = list(enumerate(tasks))
    queue.reverse()
    running: dict[int, _Running] = {}
    try:
        while queue or running:
            while queue and len(running) < max(1, jobs):
                index, task = queue.pop()
                if on_start is not None:
                    on_start(index)
                read_fd, write_fd = os.pipe()
                pid = os.fork()
                if pid == 0:  # the child
                    try:
                        os.close(read_fd)
                        _child(task, work, write_fd, parent, close_in_child)
                    finally:
                        os._exit(0)
                os.close(write_fd)
                running[pid] = _Running(index, read_fd, bytearray())
            _collect(running, on_finish)
    except BaseException:
        _stop_children(running)
        raise


def _collect(running: dict[int, _Running], on_finish: Callable[[Finished], None]) -> None:
    """Wait until some child's pipe has data or closes; finish the children that ended."""
    by_fd = {r.fd: pid for pid, r in running.items()}
    ready, _, _ = select.select(list(by_fd), [], [])
    for fd in ready:
        pid = by_fd[fd]
        chunk = os.read(fd, 1 << 16)
        if chunk:
            running[pid].data += chunk
            continue
        entry = running.pop(pid)  # end of file: the child has finished or died
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        finished = Finished(entry.index, error=_describe_exit(status))
        if entry.data:
            with contextlib.suppress(Exception):
                kind, value = pickle.loads(bytes(entry.data))
                finished = (
                    Finished(entry.index, result=value)
                    if kind == "ok"
                    else Finished(entry.index, error=value)
                )
        on_finish(finished)


def _stop_children(running: dict[int, _Running]) -> None:
    """SIGTERM every running child, SIGKILL those still alive after STOP_GRACE seconds."""
    for pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    alive = set(running)
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done == 0:
                    continue
            alive.discard(pid)
        time.sleep(0.02)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    for entry in running.values():
        with contextlib.suppress(OSError):
            os.close(entry.fd)
    running.clear()
