"""One base for solgen's exceptions, one mapping to exit statuses, and a stop that belongs to
the build it stopped (issue 19).

- Every exception class solgen defines is a SolgenError with the exit status of
  docs/CONTRACT.md's table, except the two that stand for a signal (BaseExceptions, as
  KeyboardInterrupt is); a new class that is in neither table fails here.
- cli.main returns that status, with its message and no traceback, for a real trigger each
  where one is cheap (the others: CheckFailed in test_checks.py, InterruptedAfterWrite in
  test_outputs.py, Ctrl-C and SIGTERM in test_robust.py and test_faults.py).
- After compile.stop_all() (a Ctrl-C in a notebook, a stopped build in a test session) a later
  build or batch of the same process compiles: run with stand-ins for latexmk, pdflatex and
  kpsewhich, so that no TeX is needed (test_children.py builds with the real one).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path

import jinja2
import pytest

import solgen
from solgen.base import errors, exprdata, files, numparse
from solgen.base.errors import SolgenError, Terminated
from solgen.cli import main
from solgen.course import batch
from solgen.document import compile as compile_module
from solgen.document import render
from solgen.grading import grade
from solgen.markup import texhtml
from solgen.problems import checking, problem
from solgen.problems.network import draw as network_draw

# --- the classes and their exit statuses ------------------------------------------------------

STATUSES: dict[type[BaseException], int] = {
    errors.SolgenError: 1,
    errors.Busy: 1,
    errors.InvalidInput: 2,
    errors.UnreadableInput: 2,
    errors.InvalidTemplate: 2,
    errors.CheckFailed: 1,
    errors.DerivationError: 1,
    errors.InterruptedAfterWrite: 130,  # 143 for a SIGTERM: see below
    compile_module.TexNotFound: 1,
    compile_module.CompileError: 1,
    compile_module.Interrupted: 1,
    files.NotReadable: 1,
    render.UnescapedText: 2,
    render.TemplateRefused: 2,
    render.TemplateFailed: 2,
    grade.Unreadable: 2,
    problem.Unreadable: 2,
    numparse.NumberError: 2,
    exprdata.NotAnExpression: 1,
    # private: raised and caught in their module; a SolgenError like every other
    batch._NeedsGenerated: 1,
    network_draw._NoUnit: 1,
    checking.NotApplicable: 1,
    texhtml.TexHtmlError: 1,
}

# Signals, not errors: BaseExceptions, so that they pass every `except Exception` and cleanup
# runs, as for KeyboardInterrupt. None: never leaves the render's child process.
SIGNALS: dict[type[BaseException], int | None] = {
    errors.Terminated: 143,
    render._OutOfTime: None,
}


def _defined_in_solgen() -> set[type[BaseException]]:
    """Every exception class a module of the solgen package defines."""
    found: set[type[BaseException]] = set()
    for info in pkgutil.walk_packages(solgen.__path__, "solgen."):
        if info.name == "solgen.__main__":
            continue
        module = importlib.import_module(info.name)
        found |= {
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, BaseException)
            and value.__module__ == info.name
        }
    return found


def test_every_exception_class_of_solgen_is_in_a_table():
    """A new exception class gets its exit status here (and derives from SolgenError)."""
    found = _defined_in_solgen()
    assert found - set(STATUSES) - set(SIGNALS) == set()
    assert set(STATUSES) | set(SIGNALS) <= found


@pytest.mark.parametrize(
    ("cls", "status"), list(STATUSES.items()), ids=lambda value: getattr(value, "__name__", "")
)
def test_each_error_is_a_solgen_error_with_its_exit_status(cls, status):
    assert issubclass(cls, SolgenError)
    assert cls.exit_status == status
    assert status in (1, 2, 130)  # docs/CONTRACT.md's exit statuses


@pytest.mark.parametrize("cls", list(SIGNALS), ids=lambda value: value.__name__)
def test_the_signals_are_base_exceptions_not_errors(cls):
    assert not issubclass(cls, Exception)
    assert getattr(cls, "exit_status", None) == SIGNALS[cls]


def test_errors_that_were_value_errors_still_are():
    """classfiles.py, build.py and manifest.py catch them as ValueError."""
    assert issubclass(numparse.NumberError, ValueError)
    assert issubclass(exprdata.NotAnExpression, ValueError)
    assert issubclass(render.TemplateFailed, jinja2.TemplateError)


def test_an_interrupt_after_the_write_has_its_signals_status():
    assert errors.InterruptedAfterWrite(KeyboardInterrupt()).exit_status == 130
    assert errors.InterruptedAfterWrite(Terminated()).exit_status == 143
    assert errors.interrupt_status(KeyboardInterrupt()) == 130
    assert errors.interrupt_status(Terminated()) == 143


def test_the_lines_printed_are_the_messages_of_before():
    assert errors.InvalidInput(["a: x", "b: y"]).lines() == ["a: x", "b: y"]
    assert errors.Busy("busy").lines() == ["busy"]
    assert errors.DerivationError("f' is not g").lines() == [
        "a self-check of the solution failed, so nothing was written: derivation: f' is not g"
    ]
    log, scratch = Path("/o/.solgen-x/x.log"), Path("/o/.solgen-x")
    assert compile_module.CompileError("x.tex:3: Undefined", log, scratch).lines() == [
        "LaTeX failed: x.tex:3: Undefined",
        "the log is /o/.solgen-x/x.log; the previous outputs in the output directory are untouched",
    ]
    assert compile_module.TexNotFound("no TeX").lines() == [
        "no TeX",
        "the .tex files and results.json were written; no PDF was made",
    ]
    assert errors.InterruptedAfterWrite(Terminated()).lines() == [
        "interrupted just after the new outputs were moved into place; they are complete"
    ]


# --- cli.main: one real trigger each ------------------------------------------------------------


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_invalid_input_exits_2(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--no-pdf", "--out", str(out), "--set", "problem2.A=oops"]) == 2
    assert _err(capsys) == (
        "solgen: error: problem2.A: expected a matrix (a list of rows of numbers), found the "
        "string 'oops'\n"
    )
    assert not out.exists()


def test_many_problems_are_capped_at_20_lines(tmp_path, capsys):
    """The one cap of messages.capped, through the one mapping."""
    sets = [f"--set=meta.x{i}=1" for i in range(30)]
    assert main(["build", "--no-pdf", "--out", str(tmp_path / "out"), *sets]) == 2
    lines = _err(capsys).splitlines()
    assert len(lines) == 21
    assert lines[-1] == "solgen: error: and 10 more"


def test_a_busy_output_directory_exits_1(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with files.exclusive(out):
        assert main(["build", "--no-pdf", "--out", str(out)]) == 1
    assert _err(capsys) == (
        f"solgen: error: another solgen build is writing into {out}; try again\n"
    )


def test_no_tex_exits_1(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert main(["build", "--out", str(tmp_path / "out")]) == 1
    err = _err(capsys)
    assert err.startswith("solgen: error: latexmk and pdflatex not found; a PDF needs TeX Live.")
    assert err.endswith(
        "solgen: error: the .tex files and results.json were written; no PDF was made\n"
    )


def test_a_refused_template_exits_2(tmp_path, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "convnet.tex.j2").symlink_to("/etc/hostname")
    args = ["build", "--no-pdf", "--out", str(tmp_path / "out"), "--templates", str(templates)]
    assert main(args) == 2
    err = _err(capsys)
    assert err.startswith("solgen: error: template error: ")
    assert "convnet.tex.j2: expected a file inside the --templates folder" in err
    assert err.endswith(", found a symbolic link to /etc/hostname\n")


def test_a_latex_error_exits_1(standin_tex, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOLGEN_TEST_LATEX_ERROR", "Undefined control sequence.")
    assert main(["build", "--out", str(tmp_path / "out")]) == 1
    err = _err(capsys)
    assert err.startswith("solgen: error: LaTeX failed: ")
    assert "Undefined control sequence." in err
    assert "; the previous outputs in the output directory are untouched\n" in err


# --- the stop state belongs to one build ------------------------------------------------------

# Stand-ins for TeX, first on PATH: latexmk writes the .pdf (or, with $SOLGEN_TEST_LATEX_ERROR,
# a log with that error and no PDF); pdflatex is run only to dump a preamble's format, and
# writes it; kpsewhich names a file that is there (the installation a format is made for).
LATEXMK = r"""#!/bin/sh
for arg in "$@"; do :; done
name=$(basename "$arg" .tex)
if [ -n "$SOLGEN_TEST_LATEX_ERROR" ]; then
  printf './%s.tex:1: %s\n' "$name" "$SOLGEN_TEST_LATEX_ERROR" > "$name.log"
  exit 1
fi
printf '%%PDF-1.4 stand-in\n' > "$name.pdf"
: > "$name.log"
"""
PDFLATEX = r"""#!/bin/sh
for arg in "$@"; do
  case "$arg" in -jobname=*) job=${arg#-jobname=} ;; esac
done
printf 'stand-in format\n' > "$job.fmt"
: > "$job.log"
"""
KPSEWHICH = """#!/bin/sh
echo "$0"
"""
DOCUMENT = "\\documentclass{article}\n\\begin{document}\nx\n\\end{document}\n"


@pytest.fixture
def standin_tex(tmp_path, monkeypatch) -> Path:
    """The stand-ins first on PATH, and a cache of its own (the format is dumped anew)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, script in (("latexmk", LATEXMK), ("pdflatex", PDFLATEX), ("kpsewhich", KPSEWHICH)):
        (folder / name).write_text(script, encoding="utf-8")
        (folder / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def test_a_build_after_stop_all_compiles(standin_tex, tmp_path, capsys):
    compile_module.stop_all()
    out = tmp_path / "out"
    assert main(["build", "--out", str(out)]) == 0
    assert _err(capsys) == ""
    assert (out / "solution.pdf").read_bytes() == b"%PDF-1.4 stand-in\n"
    assert (out / "assignment.pdf").read_bytes() == b"%PDF-1.4 stand-in\n"


def test_a_batch_after_stop_all_compiles(standin_tex, tmp_path, capsys):
    """The batch dumps the preamble's format before it forks (compile.precompile): that
    failed with a traceback, 'solgen.document.compile.Interrupted: preamble', after any stop."""
    compile_module.stop_all()
    out = tmp_path / "batch"
    assert main(["batch", "--count", "1", "--jobs", "1", "--out", str(out)]) == 0
    assert "error" not in _err(capsys)
    assert list((tmp_path / "cache" / "formats").glob("*.fmt"))
    assert (out / "0000" / "solution.pdf").is_file()
    assert (out / "key.pdf").is_file()


def test_compile_tex_after_stop_all_compiles(standin_tex, tmp_path):
    compile_module.stop_all()
    compiled = compile_module.compile_tex(DOCUMENT, "doc", tmp_path, 60, precompiled=True)
    assert compiled.pdf.read_bytes() == b"%PDF-1.4 stand-in\n"


def test_a_stop_stops_the_session_it_came_in_and_no_later_one(standin_tex, tmp_path):
    def stopped_then_compiled() -> compile_module.Compiled:
        compile_module.stop_all()  # as a Ctrl-C would, while the session runs
        return compile_module.compile_tex(DOCUMENT, "doc", tmp_path, 60)

    with pytest.raises(compile_module.Interrupted, match="doc: LaTeX was stopped"):
        compile_module.compile_in_parallel({"doc": stopped_then_compiled}, tmp_path)
    assert not list(tmp_path.glob(".solgen-doc-*"))  # the stopped compile left no scratch
    compiled = compile_module.compile_in_parallel(
        {"doc": lambda: compile_module.compile_tex(DOCUMENT, "doc", tmp_path, 60)}, tmp_path
    )
    assert compiled["doc"].pdf.read_bytes() == b"%PDF-1.4 stand-in\n"
