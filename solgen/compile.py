"""Compile .tex to PDF with latexmk in a scratch directory: timeouts, first errors, no leftovers."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

INSTALL_COMMAND = (
    "sudo apt-get install texlive-latex-base texlive-latex-recommended "
    "texlive-pictures lmodern latexmk"
)
DEFAULT_TIMEOUT = 120.0


class TexNotFound(Exception):
    """latexmk or pdflatex is not on PATH."""


class CompileError(Exception):
    """LaTeX failed or timed out; the scratch directory with the log is kept."""

    def __init__(self, message: str, log: Path, scratch: Path) -> None:
        super().__init__(message)
        self.log = log
        self.scratch = scratch


class Interrupted(Exception):
    """The compile was stopped by stop_all() (Ctrl-C, SIGTERM)."""


# Running latexmk process groups, so that an interrupt can stop them (they run in their own
# sessions, out of reach of the terminal's Ctrl-C).
_running: set[int] = set()
_running_lock = threading.Lock()
_stopping = threading.Event()


def stop_all() -> None:
    """Kill every running LaTeX process group (called on Ctrl-C or SIGTERM)."""
    _stopping.set()
    with _running_lock:
        for pgid in list(_running):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


@dataclass(frozen=True)
class Compiled:
    """A PDF compiled in its scratch directory, ready to be moved into place."""

    pdf: Path
    scratch: Path


def require_tex() -> None:
    """Raise TexNotFound (with the install command) unless latexmk and pdflatex exist."""
    missing = [tool for tool in ("latexmk", "pdflatex") if shutil.which(tool) is None]
    if missing:
        raise TexNotFound(
            f"{' and '.join(missing)} not found; a PDF needs TeX Live. Install it with:\n"
            f"  {INSTALL_COMMAND}\n(or build with --no-pdf)"
        )


def tex_environment() -> dict[str, str]:
    """The child's environment: no file access outside the scratch directory, fixed dates."""
    env = dict(os.environ)
    env.update(
        {
            "openin_any": "p",  # paranoid: no reading of dot files or files above the cwd
            "openout_any": "p",
            "shell_escape": "f",
            "SOURCE_DATE_EPOCH": "0",
            "FORCE_SOURCE_DATE": "1",
            "TEXMFOUTPUT": "",
        }
    )
    return env


def latexmk_command(name: str) -> list[str]:
    """The latexmk invocation (pdflatex, no shell escape, stop at the first error)."""
    return [
        "latexmk",
        "-norc",
        "-pdf",
        "-no-shell-escape",
        "-interaction=nonstopmode",
        "-halt-on-error",
        "-file-line-error",
        "-silent",
        name,
    ]


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
    return "LaTeX failed without an error line in the log"


def compile_tex(tex_source: str, name: str, scratch_parent: Path, timeout: float) -> Compiled:
    """Compile TeX source in a new scratch directory under scratch_parent."""
    scratch = Path(tempfile.mkdtemp(prefix=f".solgen-{name}-", dir=scratch_parent))
    tex_file = scratch / f"{name}.tex"
    tex_file.write_text(tex_source, encoding="utf-8")
    log = scratch / f"{name}.log"
    with subprocess.Popen(
        latexmk_command(tex_file.name),
        cwd=scratch,
        env=tex_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a timeout kills pdflatex too
    ) as proc:
        with _running_lock:
            _running.add(proc.pid)
        try:
            if _stopping.is_set():
                stop_all()
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise CompileError(
                f"{name}.tex: LaTeX did not finish within {timeout:g} s and was stopped",
                log,
                scratch,
            ) from None
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            with _running_lock:
                _running.discard(proc.pid)
    if _stopping.is_set():
        shutil.rmtree(scratch, ignore_errors=True)
        raise Interrupted(name)
    pdf = scratch / f"{name}.pdf"
    if proc.returncode != 0 or not pdf.exists():
        if log.exists():
            detail = first_error(log.read_text(encoding="utf-8", errors="replace"))
        else:
            detail = output.decode("utf-8", errors="replace").strip()[-2000:]
        raise CompileError(f"{detail}", log, scratch)
    return Compiled(pdf=pdf, scratch=scratch)
