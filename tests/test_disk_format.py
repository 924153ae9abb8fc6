"""A full disk never marks the precompiled preamble as failed, nor deletes a healthy one.

The disk's failures are simulated here (what pdfTeX prints when a write fails, ENOSPC from
Python's writes); tests/test_chaos_format.py fills a real 7 MB tmpfs (`make chaos`).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from solgen.document import compile as compile_module
from solgen.document import preamble
from solgen.document.compile import CompileError, compile_tex

DOCUMENT = (
    "\\documentclass{article}\n"
    "\\usepackage{tikz}\n"
    "\\begin{document}\n"
    "Hello \\tikz\\draw (0,0) -- (1,1);\n"
    "\\end{document}\n"
)
DUMP_FULL = b"! Could not write 1848309 8-byte item(s) to solgen-preamble.fmt.\n"
PDF_FULL = (
    b"[1\n!pdfTeX error: pdflatex: fflush() failed (No space left on device)\n"
    b" ==> Fatal error occurred, no output PDF file produced!\n"
)

pytestmark = pytest.mark.tex


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(folder))
    monkeypatch.setattr(compile_module, "warn", _Warnings(), raising=False)
    return folder


class _Warnings(list[str]):
    def __call__(self, message: str) -> None:
        self.append(message)


def _format_of(source: str) -> Path:
    parts = preamble.split(source)
    assert parts is not None
    fmt = preamble.format_file(parts.preamble)
    assert fmt is not None
    return fmt


def _failing(monkeypatch, when, printed: bytes) -> list[list[str]]:
    """pdflatex/latexmk runs for which when(command) holds fail as on a full disk (their log
    cut short, printed on the terminal); the others run. Returns the commands that failed."""
    real = compile_module._run_tex
    failed: list[list[str]] = []

    def run_tex(command, scratch, name, timeout, log, *rest):
        if when(command):
            failed.append(command)
            log.write_bytes(b"This is pdfTeX, Version 3.141592653 (preloaded format=")
            return 1, printed
        return real(command, scratch, name, timeout, log, *rest)

    monkeypatch.setattr(compile_module, "_run_tex", run_tex)
    return failed


def _dump(command: list[str]) -> bool:
    return "-ini" in command


def _with_format(command: list[str]) -> bool:
    return any("-fmt=" in part for part in command)


def test_a_dump_on_a_full_disk_is_not_a_failed_format(cache, tmp_path, monkeypatch):
    """'! Could not write ... solgen-preamble.fmt' left formats/<key>.failed: no later build
    tried again, all of them compiled the slow way."""
    failed = _failing(monkeypatch, _dump, DUMP_FULL)
    compiled = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert compiled.pdf.read_bytes().startswith(b"%PDF-")
    fmt = _format_of(DOCUMENT)
    assert len(failed) == 1
    assert not preamble.failed_marker(fmt).exists()
    assert compile_module.warn == [
        f"the precompiled preamble {fmt} could not be made (! Could not write 1848309 "
        "8-byte item(s) to solgen-preamble.fmt.); compiling without it"
    ]
    monkeypatch.undo()  # the disk has room again: the next compile makes the format
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(cache))
    compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert fmt.is_file()


def test_a_compile_that_hits_a_full_disk_keeps_the_format(cache, tmp_path, monkeypatch):
    """The compile with the format failed on a full disk, the plain one (after some space was
    freed) succeeded: the healthy format was deleted and marked as failed."""
    compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    fmt = _format_of(DOCUMENT)
    made = fmt.read_bytes()
    failed = _failing(monkeypatch, _with_format, PDF_FULL)
    compiled = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert compiled.pdf.read_bytes().startswith(b"%PDF-")
    assert len(failed) == 1
    assert fmt.read_bytes() == made
    assert not preamble.failed_marker(fmt).exists()
    assert compile_module.warn == [
        f"doc.tex: the compile with the precompiled preamble {fmt} failed with a disk error "
        "(!pdfTeX error: pdflatex: fflush() failed (No space left on device)); compiled "
        "without it, and the format is kept"
    ]


def test_a_full_disk_is_reported_as_such_naming_the_folder(cache, tmp_path, monkeypatch):
    """'LaTeX failed without an error line in the log' said nothing of the disk."""
    _failing(monkeypatch, lambda command: True, PDF_FULL)
    with pytest.raises(CompileError) as caught:
        compile_tex(DOCUMENT, "doc", tmp_path, 60)
    scratch = caught.value.scratch
    assert str(caught.value) == (
        f"doc.tex: the disk failed LaTeX writing in {scratch}: "
        "!pdfTeX error: pdflatex: fflush() failed (No space left on device)"
    )
    assert caught.value.disk == "!pdfTeX error: pdflatex: fflush() failed (No space left on device)"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EROFS])
def test_a_disk_error_writing_the_document_names_it_and_spares_the_format(
    cache, tmp_path, monkeypatch, code
):
    first = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    fmt = _format_of(DOCUMENT)
    made = fmt.read_bytes()

    def full(path: Path, text: str) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(compile_module, "atomic_write", full)
    with pytest.raises(OSError) as caught:
        compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert caught.value.errno == code
    assert caught.value.filename.endswith("/doc.tex")
    assert fmt.read_bytes() == made
    assert not preamble.failed_marker(fmt).exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".solgen-doc-")] == [first.scratch]


def test_a_dump_that_cannot_start_on_a_read_only_cache_is_reported(cache, tmp_path, monkeypatch):
    real = compile_module.tempfile.mkdtemp

    def read_only(prefix: str, dir: Path) -> str:
        if Path(dir) == cache / "formats":
            raise OSError(errno.EROFS, "Read-only file system", str(cache / "formats" / ".dump-x"))
        return real(prefix=prefix, dir=dir)

    monkeypatch.setattr(compile_module.tempfile, "mkdtemp", read_only)
    compiled = compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert compiled.pdf.read_bytes().startswith(b"%PDF-")
    fmt = _format_of(DOCUMENT)
    assert compile_module.warn == [
        f"the precompiled preamble {fmt} could not be made (Read-only file system: "
        f"{cache / 'formats' / '.dump-x'}); compiling without it"
    ]
    assert not preamble.failed_marker(fmt).exists()


def test_a_real_tex_error_in_the_preamble_still_marks_the_format(cache, tmp_path):
    odd = DOCUMENT.replace("\\usepackage{tikz}\n", "\\usepackage{tikz}\n\\begingroup\n")
    compile_tex(odd, "doc", tmp_path, 60, precompiled=True)
    assert "dump inside a group" in preamble.failed_marker(_format_of(odd)).read_text("utf-8")
    assert compile_module.warn == []


def test_a_corrupt_format_is_still_discarded(cache, tmp_path):
    compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    fmt = _format_of(DOCUMENT)
    fmt.write_bytes(b"not a format")
    compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert not fmt.exists()
    assert preamble.failed_marker(fmt).exists()
