"""Precompiled preambles: a document's preamble dumped once into a pdfTeX format, then reused.

Loading TikZ, pgfplots, fonts and the rest takes pdfTeX about as long as setting the pages of
a solution. A format holds that state ready-made (the classic mylatexformat technique): the
document is compiled with the format and with its preamble lines blanked, so that line
numbers in LaTeX's errors still match the .tex file the user gets. The formats live in the
cache directory, keyed by the preamble text and by the TeX installation they were made with.

This module decides and names things; compile.py runs the processes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from solgen.base.cache import cache_dir, source_key
from solgen.markup.names import AFTER_FORMAT

BEGIN_DOCUMENT = "\\begin{document}"
KEEP_FORMATS = 4  # about 7 MB each; older ones (other preambles, old TeX) are deleted
FORMAT_NAME = "solgen-preamble"  # the jobname of the dump, and the name the compile loads
# What a format does not keep: pdfTeX's output settings. They are replayed from the body.
_NOT_DUMPED = ("\\pdftrailerid",)


@dataclass(frozen=True)
class Split:
    """A document cut at \\begin{document}."""

    preamble: str  # everything before the line with \begin{document}
    body: str  # the document with its preamble lines blanked (or replayed, see _NOT_DUMPED)


def split(source: str) -> Split | None:
    """Cut a document at its first line starting with \\begin{document} (or at the names'
    preamble lines before it, which are read after the format); None if there is none."""
    found = source.find("\n" + BEGIN_DOCUMENT)
    if found < 0:
        return None
    names = source.find("\n" + AFTER_FORMAT + "\n", 0, found)
    at = (names if names >= 0 else found) + 1
    preamble = source[:at]
    kept = [line if line.startswith(_NOT_DUMPED) else "" for line in preamble.split("\n")[:-1]]
    return Split(preamble=preamble, body="".join(f"{line}\n" for line in kept) + source[at:])


def dump_source(preamble: str) -> str:
    """The input of `pdflatex -ini`: the preamble, then \\dump."""
    return preamble + "\\dump\n"


@functools.cache
def installation() -> str:
    """What identifies the TeX installation: pdflatex's own format file (path, size, time).

    TeX Live rebuilds pdflatex.fmt whenever it or a package changes, and a format made with
    another base format cannot be loaded; so this goes into every key.
    """
    try:
        found = subprocess.run(
            ["kpsewhich", "-engine=pdftex", "pdflatex.fmt"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
        stat = os.stat(found)
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{found}\0{stat.st_size}\0{stat.st_mtime_ns}"


def format_file(preamble: str) -> Path | None:
    """Where this preamble's format is (or will be) kept; None without a cache or an install."""
    folder = cache_dir()
    identity = installation()
    if folder is None or not identity or shutil.which("pdflatex") is None:
        return None
    return folder / "formats" / f"{source_key(preamble, identity)}.fmt"


def failed_marker(fmt: Path) -> Path:
    """Left next to a format that could not be made, so that it is not tried on every build."""
    return fmt.with_suffix(".failed")


def touch(fmt: Path) -> None:
    """Mark a format as just used (prune keeps the most recently used ones)."""
    with contextlib.suppress(OSError):  # a read-only cache: still usable, just not pruned
        os.utime(fmt)


def prune(folder: Path, keep: int = KEEP_FORMATS) -> list[Path]:
    """Delete all but the `keep` most recently used formats; returns the deleted ones.

    (Failure markers are a few bytes each and stay.)
    """

    def last_used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0  # deleted meanwhile by another build

    removed = []
    for old in sorted(folder.glob("*.fmt"), key=last_used, reverse=True)[keep:]:
        try:
            old.unlink()
        except OSError:
            continue
        removed.append(old)
    return removed
