"""--templates are input, not code: Jinja2's sandbox keeps them from Python and the disk."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import solgen
from solgen.cli import main

ATTEMPTS = {
    "os.system": "((* set _ = cycler.__init__.__globals__.os.system('id > {marker}') *))",
    "open": "((( lipsum.__globals__['__builtins__']['open']('/etc/hostname').read() )))",
    "mro": "((( meta.title.__class__.__mro__[1].__subclasses__() )))",
    "context": "((* set _ = problems[0].context.update({{'N': 99}}) *))"
    "((( problems[0].context.N )))",
    "format": "((( '{{0.__class__}}'.format(meta) )))",
}
MESSAGES = {
    "os.system": "body.tex.j2:3: access to attribute '__init__' of 'type' object is unsafe.",
    "open": "body.tex.j2:3: access to attribute '__globals__' of 'function' object is unsafe.",
    "mro": "body.tex.j2:3: access to attribute '__class__' of 'str' object is unsafe.",
    "context": "body.tex.j2:3: access to attribute 'update' of 'dict' object is unsafe.",
    "format": "body.tex.j2:3: access to attribute '__class__' of 'Meta' object is unsafe.",
}


@pytest.mark.parametrize("name", ATTEMPTS)
def test_a_template_cannot_reach_python(tmp_path, capsys, name):
    marker = tmp_path / "PWNED"
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "body.tex.j2").write_text(
        "((* extends 'solgen/body.tex.j2' *))\n((* block header *))\n"
        + ATTEMPTS[name].format(marker=marker)
        + "((( super() )))((* endblock header *))\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", "--templates", str(templates), "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert f"solgen: error: template error: {MESSAGES[name]}\n" in err
    assert "Traceback" not in err
    assert not marker.exists()
    assert not out.exists() or list(out.iterdir()) == []


def test_an_honest_override_still_renders(tmp_path):
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "body.tex.j2").write_text(
        "((* extends 'solgen/body.tex.j2' *))\n((* block header *))"
        "Course ((( meta.title|upper|tex_escape ))) ((( problems[0].context.N ))) "
        "((* for k in range(2) *))"
        "((( loop.index )))((* endfor *))((( super() )))((* endblock header *))\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["build", "--templates", str(templates), "--out", str(out), "--no-pdf"]) == 0
    tex = (out / "solution.tex").read_text(encoding="utf-8")
    assert "Course MACHINE LEARNING ASSIGNMENT 2: NEURAL NETWORKS 3 12" in tex


# --- the templates folder: its own files only -----------------------------------------------


def _body(templates, snippet: str) -> None:
    """templates/body.tex.j2 extending ours, with snippet on its line 3."""
    templates.mkdir(exist_ok=True)
    (templates / "body.tex.j2").write_text(
        "((* extends 'solgen/body.tex.j2' *))\n((* block header *))\n"
        + snippet
        + "((( super() )))((* endblock header *))\n",
        encoding="utf-8",
    )


def _refused(tmp_path, capsys, templates) -> str:
    """Build with templates; assert exit 2, nothing written, no traceback; the error output."""
    out = tmp_path / "out"
    assert main(["build", "--templates", str(templates), "--out", str(out), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert not out.exists() or list(out.iterdir()) == []
    return err


def test_a_link_in_the_templates_folder_is_refused(tmp_path, capsys):
    """A link included by an override put any readable file into solution.pdf, exit 0."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT\n", encoding="utf-8")
    templates = tmp_path / "mine"
    _body(templates, "((* include 'notes.tex.j2' *))")
    (templates / "notes.tex.j2").symlink_to(secret)
    err = _refused(tmp_path, capsys, templates)
    assert err == (
        "solgen: error: template error: body.tex.j2:3: notes.tex.j2: expected a file inside "
        f"the --templates folder {templates}, found a symbolic link to {secret}\n"
    )
    assert "SECRET" not in err


def test_a_linked_folder_in_the_templates_folder_is_refused(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.tex.j2").write_text("SECRET-CONTENT", encoding="utf-8")
    templates = tmp_path / "mine"
    _body(templates, "((* include 'sub/x.tex.j2' *))")
    (templates / "sub").symlink_to(elsewhere)
    err = _refused(tmp_path, capsys, templates)
    assert err == (
        "solgen: error: template error: body.tex.j2:3: sub/x.tex.j2: expected a file inside "
        f"the --templates folder {templates}, found a symbolic link to {elsewhere}\n"
    )


def test_an_override_that_is_itself_a_link_is_refused(tmp_path, capsys):
    real = tmp_path / "real.tex.j2"
    real.write_text("((* extends 'solgen/convnet.tex.j2' *))\n", encoding="utf-8")
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "convnet.tex.j2").symlink_to(real)
    err = _refused(tmp_path, capsys, templates)
    assert err.endswith(
        ": convnet.tex.j2: expected a file inside "
        f"the --templates folder {templates}, found a symbolic link to {real}\n"
    )
    ours = (Path(solgen.__file__).parent.parent / "templates" / "body.tex.j2").read_text("utf-8")
    line = ours.splitlines().index("((* include problem.templates.problem *))") + 1
    assert err.startswith(f"solgen: error: template error: body.tex.j2:{line}: ")


def test_a_template_that_is_not_a_regular_file_is_refused_without_waiting(tmp_path):
    """A FIFO (or a device) in the folder would block the build for ever on open()."""
    templates = tmp_path / "mine"
    _body(templates, "((* include 'pipe.tex.j2' *))")
    os.mkfifo(templates / "pipe.tex.j2")
    done = _solgen(tmp_path, templates, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (
        "solgen: error: template error: body.tex.j2:3: pipe.tex.j2: expected a file inside "
        f"the --templates folder {templates}, found a FIFO\n"
    )


def test_a_template_that_is_not_utf8_is_refused(tmp_path, capsys):
    templates = tmp_path / "mine"
    _body(templates, "((* include 'latin1.tex.j2' *))")
    (templates / "latin1.tex.j2").write_bytes("Ol\xe9".encode("latin-1"))
    err = _refused(tmp_path, capsys, templates)
    assert err == (
        "solgen: error: template error: body.tex.j2:3: latin1.tex.j2: expected UTF-8 text, "
        "found the byte 0xe9 at offset 2\n"
    )


# --- rendering is bounded in time and memory --------------------------------------------------

RUN = """
import sys
from solgen.document import render
render.RENDER_SECONDS = 3.0
# a quarter of the memory bound, so that a doubling text meets it well before the 3 s on a
# loaded machine (at 1 GiB it sometimes met the clock first)
render.RENDER_MEMORY = 256 << 20
from solgen.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _solgen(tmp_path, templates, timeout: float) -> subprocess.CompletedProcess[str]:
    """A --no-pdf build with templates in a process of its own (a hang fails, not blocks)."""
    out = tmp_path / "out"
    argv = ["build", "--no-pdf", "--templates", str(templates), "--out", str(out)]
    env = {**os.environ, "SOLGEN_CACHE_DIR": str(tmp_path / "cache")}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", RUN, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert time.monotonic() - start < timeout
    assert "Traceback" not in done.stderr
    assert not out.exists() or list(out.iterdir()) == []
    return done


LIMITS = {
    "nested loops": (
        "((* for i in range(100000) *))((* for j in range(100000) *))((* endfor *))((* endfor *))",
        "body.tex.j2:3: rendering took longer than 3 s and was stopped",
    ),
    "a huge power": (
        "((( 9**(9**9) )))",
        "body.tex.j2:3: 9 ** 387420489 would have about 369,693,100 digits; a template's "
        "numbers may have at most 1,000",
    ),
    "a huge text": (
        "((( ('x' * 10**10)|length )))",
        "body.tex.j2:3: 'x' * 10000000000 would be 10,000,000,000 long; a template's texts "
        "and lists may be at most 1,000,000 long",
    ),
    "a text that doubles": (
        "((* macro d(s, n) *))((* if n *))((( d(s ~ s, n - 1) )))((* else *))((( s|length )))"
        "((* endif *))((* endmacro *))((( d('x', 40) )))",
        "body.tex.j2:3: rendering needed more than 256 MB of memory and was stopped",
    ),
    "endless recursion": (
        "((* macro m(n) *))((( m(n) )))((* endmacro *))((( m(1) )))",
        "body.tex.j2:3: recursion too deep (a macro or include that calls itself without end?)",
    ),
    "a huge range": (
        "((* for i in range(10**9) *))x((* endfor *))",
        "body.tex.j2:3: range(1000000000) has 1,000,000,000 numbers; a template's ranges may "
        "have at most 100,000",
    ),
    "lipsum": (
        "((( lipsum(100000, false, 5, 5)|tex_escape )))",
        "body.tex.j2:3: lipsum(100000, ..., 5, 5): expected at most 100 paragraphs of 1 to "
        "1,000 words (the minimum below the maximum)",
    ),
    "format_map": (
        "((( '{0.__class__}'.format_map(meta) )))",
        "body.tex.j2:3: IndexError: tuple index out of range",
    ),
}


@pytest.mark.parametrize("name", LIMITS)
def test_a_template_cannot_hang_exhaust_or_crash_the_build(tmp_path, name):
    snippet, message = LIMITS[name]
    templates = tmp_path / "mine"
    _body(templates, snippet)
    done = _solgen(tmp_path, templates, timeout=90)
    assert done.returncode == 2
    assert done.stderr == f"solgen: error: template error: {message}\n"
