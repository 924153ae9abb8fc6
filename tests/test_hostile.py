"""Hostile text in meta.author / meta.title / meta.date: printed literally, never executed.

pdftotext differences found (and the only ones normalised here):
- ASCII ' is set with the font's right-quote glyph, which pdftotext reads as U+2019.
- pdftotext (default mode) drops a hyphen that ends a line and joins the line to the next:
  author "ab-" above date "Zqv9" reads "abZqv9". The round-trip test uses pdftotext -raw,
  which keeps it, and keeps generated authors short enough not to wrap.
- Ligatures (fi, fl, ...) and accents: NFKC of the ligature code points, NFC for the rest.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BUILD_OUTPUTS
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from solgen.cli import main
from solgen.document.build import render_documents, solve
from solgen.document.compile import compile_tex
from solgen.document.variant import load_variant

pytestmark = pytest.mark.tex

OUTPUTS = BUILD_OUTPUTS
DATA = [f"data/{name}.csv" for name in ("X", "t", "W1", "b1", "w2", "b2", "A")]
LIGATURES = "\ufb00\ufb01\ufb02\ufb03\ufb04"


def norm(text: str) -> str:
    """Whitespace collapsed, NFC, ligatures split, the right quote as ASCII '."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(unicodedata.normalize("NFKC", c) if c in LIGATURES else c for c in text)
    return " ".join(text.replace("\u2019", "'").split())


def pdf_text(path: Path, raw: bool = False) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *(["-raw"] if raw else []), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return norm(out.stdout)


def needs_tools() -> None:
    missing = [t for t in ("latexmk", "pdflatex", "pdftotext") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} needed (make test installs them)")


def meta_sets(author: str, title: str, date: str) -> list[str]:
    """--set options with the values TOML-quoted (JSON strings are TOML basic strings)."""
    return [
        f"--set=meta.{field}={json.dumps(value, ensure_ascii=False)}"
        for field, value in (("author", author), ("title", title), ("date", date))
    ]


def every_file(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


@pytest.fixture(scope="module")
def secret_file() -> Iterator[tuple[Path, str]]:
    """A readable file whose contents must never reach a PDF (a short path without hyphens)."""
    token = f"SECRET{secrets.token_hex(8)}"
    directory = Path(tempfile.mkdtemp(prefix="s", dir="/tmp"))
    path = directory / "secret.txt"
    path.write_text(f"{token}\n", encoding="utf-8")
    yield path, token
    shutil.rmtree(directory)


@pytest.fixture(scope="module")
def default_text(tmp_path_factory) -> str:
    """The default solution's text without its meta fields, to count /etc/hostname against."""
    needs_tools()
    out = tmp_path_factory.mktemp("default")
    assert main(["build", "--out", str(out)]) == 0
    text = pdf_text(out / "solution.pdf")
    for value in (
        "Machine Learning Assignment 2: Neural Networks",
        "Alan Copa",
        "Submission deadline: November 21, 2024",
    ):
        text = text.replace(norm(value), "")
    return text


def hostile_strings(secret: Path) -> list[str]:
    return [
        r"\input{/etc/hostname}",
        "^^5cinput^^7b/etc/hostname^^7d",
        r"\immediate\write18{touch X}",
        r"\newread\f\openin\f=/etc/hostname",
        r"\def\x{\x}\x",
        r'$\alpha$ & 50% #1 ~ _ ^ { } < > | [ ] "',
        "José Núñez-Ødegård",
        f"\\input{{{secret}}}",
    ]


@pytest.mark.parametrize("index", range(8))
def test_hostile_meta_is_printed_literally(index, secret_file, default_text, tmp_path, monkeypatch):
    needs_tools()
    secret, token = secret_file
    strings = hostile_strings(secret)
    # Build i puts string i into author, i+1 into title, i+2 into date: over the eight builds
    # every string goes into every field.
    author, title, date = (strings[(index + k) % len(strings)] for k in range(3))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    out = tmp_path / "out"
    before = every_file(tmp_path)

    assert main(["build", "--out", str(out), *meta_sets(author, title, date)]) == 0

    assert sorted(os.listdir(out)) == OUTPUTS  # no X, no scratch, no .aux left
    assert os.listdir(cwd) == []
    written = [*OUTPUTS, *DATA]
    assert every_file(tmp_path) - before == {f"out/{name}" for name in written} | {"out"}
    assert not any(p.name == "X" for p in tmp_path.rglob("*"))
    for name in ("solution.pdf", "assignment.pdf"):
        text = pdf_text(out / name)
        for value in (author, title, date):
            assert norm(value) in text, f"{value!r} is not in {name}"
        assert token not in text
        if name == "solution.pdf":
            hostname = Path("/etc/hostname").read_text(encoding="utf-8").strip()
            if hostname:
                rest = text
                for value in (author, title, date):
                    rest = rest.replace(norm(value), "")
                assert rest.count(hostname) == default_text.count(hostname)


def test_double_comma_is_printed_literally(tmp_path):
    needs_tools()
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--set", 'meta.author="Smith,, J."']) == 0
    assert "Smith,, J." in pdf_text(out / "solution.pdf")


# --- arbitrary authors -------------------------------------------------------------------------

LATIN1_LETTERS = "".join(chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7))
ALPHABET = "".join(chr(c) for c in range(0x20, 0x7F)) + LATIN1_LETTERS
DATE_MARK = "Zqv9 date"


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(author=st.text(alphabet=ALPHABET, max_size=24))
@example(author="ab-")  # found by Hypothesis: a hyphen that ends the line
@example(author=",,")  # once a bug (T1 fonts join ,, into a low quote): covered every run
@example(author="Smith,,, J.,,")
def test_any_author_round_trips_through_the_pdf(author):
    needs_tools()
    # The CLI's own path (--set parsing, validation, rendering, latexmk), assignment.pdf only:
    # its title block is the solution's, in a third of the compile time.
    sets = [arg.removeprefix("--set=") for arg in meta_sets(author, "A title", DATE_MARK)]
    variant = load_variant(None, sets)
    tex = render_documents(variant, solve(variant))["assignment"]
    with tempfile.TemporaryDirectory() as tmp:
        compiled = compile_tex(tex, "assignment", Path(tmp), timeout=120)
        text = pdf_text(compiled.pdf, raw=True)
    # The author line comes right before the date (checked in either order, so that the test
    # does not depend on the layout more than it must).
    expected = norm(author)
    assert f"{expected} {DATE_MARK}".strip() in text or f"{DATE_MARK} {expected}" in text, (
        f"{author!r} not found before the date in: {text[:300]!r}"
    )
