"""Compile .tex to PDF with latexmk in a scratch directory: timeouts, first errors, no leftovers."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

from solgen.base.cache import warn
from solgen.base.errors import SolgenError
from solgen.base.files import LOW_SPACE, atomic_write, named, scratch_dir, tex_write_failure
from solgen.document import preamble

INSTALL_COMMAND = (
    "sudo apt-get install texlive-latex-base texlive-latex-recommended "
    "texlive-pictures lmodern latexmk"
)
DEFAULT_TIMEOUT = 120.0
P = ParamSpec("P")
R = TypeVar("R")


class TexNotFound(SolgenError):
    """latexmk or pdflatex is not on PATH (exit status 1)."""

    def lines(self) -> list[str]:
        return [str(self), "the .tex files and results.json were written; no PDF was made"]


class CompileError(SolgenError):
    """LaTeX failed or timed out; the scratch directory with the log is kept (exit status 1)."""

    def __init__(
        self,
        message: str,
        log: Path,
        scratch: Path,
        timed_out: bool = False,
        disk: str | None = None,
    ) -> None:
        super().__init__(message)
        self.log = log
        self.scratch = scratch
        self.timed_out = timed_out
        self.disk = disk  # what says that the disk failed TeX (see disk_trouble), if anything

    def lines(self) -> list[str]:
        return [
            f"LaTeX failed: {self}",
            f"the log is {self.log}; the previous outputs in the output directory are untouched",
        ]


class Interrupted(SolgenError):
    """A LaTeX run of a compile session that stop_all() stopped (exit status 1: the Ctrl-C or
    SIGTERM that called stop_all is what the command line reports, 130 or 143)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name}: LaTeX was stopped (compile.stop_all)")
        self.name = name


# Running latexmk process groups, so that an interrupt can stop them (they run in their own
# sessions, out of reach of the terminal's Ctrl-C).
_running: set[int] = set()
_running_lock = threading.Lock()
_dumping = threading.Lock()  # one preamble dump at a time in this process

# A stop belongs to the compile sessions running when it came, never to a later one (after one
# Ctrl-C, a notebook or a test session failed every later build that compiled). A session is
# one compile_in_parallel, precompile or compile_tex call. It notes how many stops there had
# been when it began, in each thread that works for it (_session.began), and is stopped once
# there have been more (_stops, under _running_lock).
_stops = 0
_session = threading.local()


def stop_all() -> None:
    """Kill every running LaTeX process group and stop the compile sessions running now: none
    starts another LaTeX run (called on Ctrl-C or SIGTERM). A later session is not stopped."""
    global _stops
    with _running_lock:
        _stops += 1
        for pgid in list(_running):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


def _stops_so_far() -> int:
    with _running_lock:
        return _stops


@contextlib.contextmanager
def _compile_session(began: int | None = None) -> Iterator[None]:
    """The block is (part of) a compile session that began when `began` stops had been made
    (default: now). In a session already (compile_tex in compile_in_parallel's threads), that
    session goes on."""
    if getattr(_session, "began", None) is not None:
        yield
        return
    _session.began = _stops_so_far() if began is None else began
    try:
        yield
    finally:
        _session.began = None


def _stopped() -> bool:
    """Whether stop_all() was called since this thread's compile session began."""
    began = getattr(_session, "began", None)
    return began is not None and _stops_so_far() != began


def _in_session(began: int, job: Callable[[], Compiled]) -> Compiled:
    with _compile_session(began):
        return job()


def _a_session(function: Callable[P, R]) -> Callable[P, R]:
    """function, called as a compile session of its own (unless one is running in the thread)."""

    @functools.wraps(function)
    def in_a_session(*args: P.args, **kwargs: P.kwargs) -> R:
        with _compile_session():
            return function(*args, **kwargs)

    return in_a_session


@dataclass(frozen=True)
class Compiled:
    """A PDF compiled in its scratch directory, ready to be moved into place."""

    pdf: Path
    scratch: Path


def compile_in_parallel(jobs: dict[str, Callable[[], Compiled]], out: Path) -> dict[str, Compiled]:
    """Run every compile job at once (a thread each; LaTeX itself runs as a process) and return
    them all; on any failure remove the finished ones' scratch and raise the first failure (a
    full disk named with its file). Ctrl-C or SIGTERM while waiting stops every LaTeX first.
    The one home of this for a build's two documents and a class's files."""
    done: dict[str, Compiled] = {}
    error: BaseException | None = None
    began = _stops_so_far()  # a stop_all() before now stopped another session, not this one
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures: dict[str, Future[Compiled]] = {}
        try:
            # submitting is inside the guard: a signal between two submits, with the first
            # job's LaTeX running, once left the pool's exit waiting for that LaTeX
            for name, job in jobs.items():
                futures[name] = pool.submit(_in_session, began, job)
            for name, future in futures.items():
                try:
                    done[name] = future.result()
                except OSError as exc:  # writing name.tex into its scratch folder
                    error = error or named(exc, out / f".solgen-{name}-*" / f"{name}.tex")
                except Exception as exc:
                    error = error or exc
        except BaseException as exc:  # Ctrl-C or SIGTERM while waiting: stop LaTeX now
            stop_all()
            error = exc
            for future in futures.values():
                future.cancel()  # a job not yet started never starts
            for name, future in futures.items():
                with contextlib.suppress(BaseException):
                    done.setdefault(name, future.result())
    if error is not None:
        for compiled in done.values():
            shutil.rmtree(compiled.scratch, ignore_errors=True)
        if isinstance(error, CompileError):  # pdfTeX that could not write: say so, with the file
            failure = tex_write_failure(error.log, error.scratch / f"{error.log.stem}.pdf")
            if failure is not None:
                raise failure from None
        raise error
    return done


def require_tex() -> None:
    """Raise TexNotFound (with the install command) unless latexmk and pdflatex exist."""
    missing = [tool for tool in ("latexmk", "pdflatex") if shutil.which(tool) is None]
    if missing:
        raise TexNotFound(
            f"{' and '.join(missing)} not found; a PDF needs TeX Live. Install it with:\n"
            f"  {INSTALL_COMMAND}\n(or build with --no-pdf)"
        )


def tex_environment(formats: Path | None = None) -> dict[str, str]:
    """The child's environment: no file access outside the scratch directory, fixed dates.

    TeX writes only below its scratch folder (openout_any=p: no absolute paths, no '..', no
    dot files; no TEXMFOUTPUT), and nothing on its behalf either: kpathsea's mktex scripts,
    which would make fonts or formats in TEXMFVAR, are off. formats: the one folder that
    pdfTeX's -fmt searches (TEXFORMATS), read-only to TeX since it is outside the scratch.
    """
    env = dict(os.environ)
    env.update(
        {
            "openin_any": "p",  # paranoid: no reading of dot files or files above the cwd
            "openout_any": "p",
            "shell_escape": "f",
            "SOURCE_DATE_EPOCH": "0",
            "FORCE_SOURCE_DATE": "1",
            "TEXMFOUTPUT": "",
            **{f"MKTEX{kind}": "0" for kind in ("TFM", "PK", "MF", "FMT")},
        }
    )
    if formats is not None:
        env["TEXFORMATS"] = str(formats)
    return env


def latexmk_command(name: str, single_pass: bool = True, fmt: str | None = None) -> list[str]:
    """The latexmk invocation (pdflatex, no shell escape, stop at the first error).

    single_pass: latexmk reruns pdflatex whenever the .aux file changed, which it always has
    after the first run; solgen's documents have no cross-references, so one pass is enough
    unless the log asks for another (see needs_rerun).
    fmt: the name of a precompiled preamble for pdflatex to load (found through TEXFORMATS,
    see tex_environment). A first line "%&name" never picks a format.
    """
    options = f"-no-parse-first-line{f' -fmt={fmt}' if fmt else ''}"
    return [
        "latexmk",
        "-norc",
        *(["-e", "$max_repeat=1"] if single_pass else ["-g"]),  # -g: rerun though "up to date"
        "-e",
        f"$pdflatex=q/pdflatex {options} %O %S/",
        "-pdf",
        "-no-shell-escape",
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-file-line-error",
        "-silent",
        name,
    ]


NO_ERROR_LINE = "LaTeX failed without an error line in the log"
MAX_RUNS_REACHED = 12  # latexmk's exit status when max_repeat stopped it

_RERUN = re.compile(r"Rerun to get|Label\(s\) may have changed|There were undefined references")


def needs_rerun(log_text: str) -> bool:
    """Whether LaTeX asks for another pass (a template with cross-references, say)."""
    return bool(_RERUN.search(log_text))


_FILE_LINE_ERROR = re.compile(r"^(?:\./)?([^\s:]+\.tex):(\d+): (.*)$")


def first_error(log_text: str) -> str:
    """The first LaTeX error of a log, with its file and line and the offending input."""
    lines = log_text.splitlines()
    for i, line in enumerate(lines):
        match = _FILE_LINE_ERROR.match(line)
        if match or line.startswith("! "):
            context = next(
                (ln.strip() for ln in lines[i + 1 : i + 12] if re.match(r"^l\.\d+ ", ln)), ""
            )
            head = f"{match.group(1)}:{match.group(2)}: {match.group(3)}" if match else line[2:]
            return f"{head}\n  {context}" if context else head
    return NO_ERROR_LINE


@_a_session
def compile_tex(
    tex_source: str,
    name: str,
    scratch_parent: Path,
    timeout: float,
    inputs: dict[str, Path] | None = None,
    precompiled: bool = False,
) -> Compiled:
    """Compile TeX source in a new scratch directory under scratch_parent.

    inputs: files the document reads, copied into the scratch directory under the given
    names (LaTeX may only open files below its working directory: openin_any=p; copies, not
    links, so that what TeX writes under those names changes nothing outside).
    precompiled: load the preamble from a cached format (made on first use; see preamble.py).
    If that compile fails, the document is compiled again the plain way. If that succeeds,
    the format was at fault: it is deleted and marked as failed, so that later builds with
    this preamble compile the plain way instead of making and failing it again. Not when the
    disk failed the first compile (full, over quota, read-only: see disk_trouble): then a
    warning says so and the format is kept. Otherwise the plain compile's error is reported.
    The format is never in the scratch folder: pdflatex finds it through TEXFORMATS, in the
    cache, where TeX (openout_any=p) cannot open a file for writing.
    """
    fast = _with_format(tex_source, timeout) if precompiled else None
    if fast is None:
        return _compile(tex_source, name, scratch_parent, timeout, inputs, None)
    fmt, body = fast
    try:
        return _compile(body, name, scratch_parent, timeout, inputs, fmt)
    except CompileError as exc:
        if exc.timed_out:
            raise
        shutil.rmtree(exc.scratch, ignore_errors=True)
        disk = exc.disk
    compiled = _compile(tex_source, name, scratch_parent, timeout, inputs, None)
    if disk is not None:
        warn(
            f"{name}.tex: the compile with the precompiled preamble {fmt} failed with a disk "
            f"error ({disk}); compiled without it, and the format is kept"
        )
    elif fmt.is_file():
        fmt.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            preamble.failed_marker(fmt).write_text(
                f"{name}.tex failed with this format and compiled without it\n", encoding="utf-8"
            )
    return compiled


def _compile(
    tex_source: str,
    name: str,
    scratch_parent: Path,
    timeout: float,
    inputs: dict[str, Path] | None,
    fmt: Path | None,
) -> Compiled:
    scratch = scratch_dir(scratch_parent, name)
    tex_file = scratch / f"{name}.tex"
    try:
        for copy_name, source in (inputs or {}).items():
            try:
                shutil.copyfile(source, scratch / copy_name)
            except OSError as exc:
                raise named(exc, scratch / copy_name) from None
        atomic_write(tex_file, tex_source)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    log = scratch / f"{name}.log"
    deadline = time.monotonic() + timeout
    formats = fmt.parent if fmt is not None else None
    fmt_name = fmt.stem if fmt is not None else None
    command = latexmk_command(tex_file.name, fmt=fmt_name)
    returncode, output = _run_tex(command, scratch, name, timeout, log, formats)
    log_text = log.read_text("utf-8", "replace") if log.exists() else ""
    if returncode == MAX_RUNS_REACHED and (scratch / f"{name}.pdf").exists():
        # With max_repeat=1 latexmk reports that it wanted another run (the .aux is new);
        # that is success unless pdflatex itself stopped at an error.
        returncode = 1 if first_error(log_text) != NO_ERROR_LINE else 0
    if returncode == 0 and needs_rerun(log_text):
        remaining = max(1.0, deadline - time.monotonic())
        command = latexmk_command(tex_file.name, single_pass=False, fmt=fmt_name)
        returncode, output = _run_tex(command, scratch, name, remaining, log, formats)
    pdf = scratch / f"{name}.pdf"
    if returncode != 0 or not pdf.exists():
        log_text = log.read_text("utf-8", "replace") if log.exists() else ""
        printed = output.decode("utf-8", errors="replace")
        disk = disk_trouble(f"{log_text}\n{printed}", scratch)
        if disk is not None:
            message = f"{name}.tex: the disk failed LaTeX writing in {scratch}: {disk}"
            raise CompileError(message, log, scratch, disk=disk)
        detail = first_error(log_text) if log.exists() else printed.strip()[-2000:]
        raise CompileError(f"{detail}", log, scratch)
    return Compiled(pdf=pdf, scratch=scratch)


# What TeX (or latexmk) prints when the disk fails it: the C library's words for a full disk,
# a quota, a read-only file system, an I/O error, and TeX's own for an output it cannot open
# or write (pdfTeX: "fflush() failed (...)"; a dump: "! Could not write 1848309 8-byte item(s)
# to solgen-preamble.fmt.").
_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO)
_DISK_MESSAGE = re.compile(
    "|".join(
        [
            *(re.escape(os.strerror(code)) for code in _DISK_ERRORS),
            r"I can't write on file",
            r"Could not write \d+",
            r"\bf(?:write|flush|close|open)\(\) failed",
        ]
    )
)


def disk_trouble(printed: str, *folders: Path) -> str | None:
    """What says that the disk, not the document, failed a TeX run: the first line of its
    output or log with a disk error, or a folder with less than files.LOW_SPACE bytes (or no
    inodes) free; None if nothing does."""
    for line in printed.splitlines():
        if _DISK_MESSAGE.search(line):
            return line.strip()
    for folder in folders:
        try:
            space = os.statvfs(folder)
        except OSError:
            continue
        free = space.f_bavail * space.f_frsize
        if free < LOW_SPACE or (space.f_files > 0 and space.f_favail == 0):
            # the error TeX would have printed had it got that far: one name for one cause
            return f"{folder}: {os.strerror(errno.ENOSPC)} ({free // 1024:,} kB free)"
    return None


@_a_session
def precompile(tex_source: str, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Make the format of a document's preamble now, if it is new (batch: before forking)."""
    return _with_format(tex_source, timeout) is not None


# kpathsea reads these in a path (TEXFORMATS) as separators, variables, braces, '~' or '!!';
# a cache folder whose name holds one is not given to it, and documents compile the plain way.
_NOT_IN_A_PATH = re.compile(r"[:;$~{}!,\\\n\r\t]|//")


def _with_format(tex_source: str, timeout: float) -> tuple[Path, str] | None:
    """The format of this document's preamble (dumped now if new) and the body to compile."""
    parts = preamble.split(tex_source)
    fmt = preamble.format_file(parts.preamble) if parts is not None else None
    if parts is None or fmt is None:
        return None
    fmt = Path(os.path.abspath(fmt))  # TEXFORMATS is read in the scratch folder
    if _NOT_IN_A_PATH.search(str(fmt.parent)):
        return None
    with _dumping:  # both documents of a build share one preamble: dump it once
        if not _clear_for_a_format(fmt):
            return None
        if fmt.exists():
            preamble.touch(fmt)
            return fmt, parts.body
        if not preamble.failed_marker(fmt).exists() and _dump(parts.preamble, fmt, timeout):
            preamble.prune(fmt.parent)
            return fmt, parts.body
    return None


def _clear_for_a_format(fmt: Path) -> bool:
    """Whether fmt is a format file or nothing; anything else at that path (a directory, a
    link) is not a format and is removed. False if it cannot be, then compile the plain way.
    """
    if fmt.is_symlink() or (fmt.exists() and not fmt.is_file()):
        try:
            if fmt.is_dir() and not fmt.is_symlink():
                shutil.rmtree(fmt)
            else:
                fmt.unlink()
        except OSError:
            return False
    return True


def _dump(preamble_text: str, fmt: Path, timeout: float) -> bool:
    """Make the format of a preamble (pdflatex -ini); False if it cannot be made here.

    Only a TeX error in the preamble itself (an error line in the log, and no disk error)
    marks the format as failed; a disk that is full, over quota or read-only is reported
    (naming the file) and the next build tries again.
    """
    name = preamble.FORMAT_NAME
    try:
        fmt.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_dumps(fmt.parent)
        work = Path(tempfile.mkdtemp(prefix=DUMP_PREFIX, dir=fmt.parent))
    except OSError as exc:
        _not_made(fmt, f"{exc.strerror or exc}: {exc.filename or fmt.parent}")
        return False
    lock = -1
    try:
        lock = os.open(work / DUMP_LOCK, os.O_WRONLY | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)  # held while dumping: the folder is in use
        atomic_write(work / f"{name}.tex", preamble.dump_source(preamble_text))
        command = [
            "pdflatex",
            "-ini",
            "-interaction=batchmode",
            "-halt-on-error",
            f"-jobname={name}",
            "&pdflatex",  # start from LaTeX's own format
            f"{name}.tex",
        ]
        log = work / f"{name}.log"
        returncode, output = _run_tex(command, work, "preamble", timeout, log)
        if returncode == 0 and (work / f"{name}.fmt").exists():
            os.replace(work / f"{name}.fmt", fmt)  # atomic: parallel builds may race here
            return True
        log_text = log.read_text("utf-8", "replace") if log.exists() else ""
        printed = output.decode("utf-8", "replace")
        disk = disk_trouble(f"{log_text}\n{printed}", work)
        detail = first_error(log_text)
        if disk is not None:
            _not_made(fmt, disk)
        elif detail == NO_ERROR_LINE:
            _not_made(fmt, f"pdflatex -ini failed without an error line in {log}")
        else:
            preamble.failed_marker(fmt).write_text(detail + "\n", encoding="utf-8")
        return False
    except CompileError as exc:
        _not_made(fmt, str(exc))
        return False
    except OSError as exc:
        _not_made(fmt, f"{exc.strerror or exc}: {exc.filename or work}")
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if lock >= 0:
            os.close(lock)


def _not_made(fmt: Path, why: str) -> None:
    warn(f"the precompiled preamble {fmt} could not be made ({why}); compiling without it")


DUMP_PREFIX = ".dump-"
DUMP_LOCK = ".lock"
UNLOCKED_GRACE = 60.0  # seconds: a dump folder without its lock file is new or abandoned


def remove_stale_dumps(folder: Path) -> None:
    """Delete the dump folders of killed builds: those whose lock nobody holds.

    A dump killed by SIGKILL leaves its folder (7 MB) behind; one still running holds an
    flock on its .lock, in this process or another.
    """
    for work in folder.glob(f"{DUMP_PREFIX}*"):
        if not work.is_dir() or work.is_symlink():
            continue
        try:
            fd = os.open(work / DUMP_LOCK, os.O_RDONLY)
        except FileNotFoundError:  # between mkdtemp and the lock: wait for it to be old
            with contextlib.suppress(OSError):
                if time.time() - work.stat().st_mtime > UNLOCKED_GRACE:
                    shutil.rmtree(work, ignore_errors=True)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a running dump
        else:
            shutil.rmtree(work, ignore_errors=True)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class _Watchdog:
    """A process that kills a LaTeX process group if solgen dies first, even by SIGKILL."""

    process: subprocess.Popen[bytes]
    alive_fd: int  # solgen's end of the pipe: closed by the kernel when solgen dies


# The watchdog reads its stdin, a pipe only solgen writes to: a read returns when every
# holder of the write end is gone. If solgen called it off, the watchdog is dead by then.
_WATCHDOG = 'read -r _; kill -s KILL -- "-$1" 2>/dev/null'


def _watchdog(group: int) -> _Watchdog | None:
    """Start the watchdog of process group `group`; None if it cannot be started."""
    try:
        read_fd, write_fd = os.pipe()  # both ends close on exec: LaTeX never holds them
    except OSError:
        return None
    try:
        process = subprocess.Popen(
            ["sh", "-c", _WATCHDOG, "solgen-watchdog", str(group)],
            stdin=read_fd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C to solgen's group must not end it early
        )
    except OSError:
        os.close(write_fd)
        return None
    finally:
        os.close(read_fd)
    return _Watchdog(process, write_fd)


def _call_off(watchdog: _Watchdog | None) -> None:
    """Stop the watchdog before the group's id can be reused, then close the pipe."""
    if watchdog is None:
        return
    watchdog.process.kill()
    watchdog.process.wait()
    os.close(watchdog.alive_fd)


def _run_tex(
    command: list[str],
    scratch: Path,
    name: str,
    timeout: float,
    log: Path,
    formats: Path | None = None,
) -> tuple[int, bytes]:
    """Run latexmk or pdflatex in its own process group; kill the group on timeout or interrupt."""
    with subprocess.Popen(
        command,
        cwd=scratch,
        env=tex_environment(formats),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a timeout kills pdflatex too
    ) as proc:
        watchdog = _watchdog(proc.pid)
        with _running_lock:
            _running.add(proc.pid)
        try:
            if _stopped():  # stop_all() came before this group was in _running
                os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise CompileError(
                f"{name}.tex: LaTeX did not finish within {timeout:g} s and was stopped",
                log,
                scratch,
                timed_out=True,
            ) from None
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            with _running_lock:
                _running.discard(proc.pid)
            _call_off(watchdog)
    if _stopped():
        shutil.rmtree(scratch, ignore_errors=True)
        raise Interrupted(name)
    return proc.returncode, output
