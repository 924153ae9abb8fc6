"""The real thing: latexmk builds both PDFs; pdftotext finds the key answers in them."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from helpers import BUILD_OUTPUTS

from solgen.cli import main

pytestmark = pytest.mark.tex


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    # Bracket pieces of big delimiters come out as private-use characters: make them spaces.
    text = "".join(" " if 0xE000 <= ord(c) <= 0xF8FF else c for c in out.stdout)
    return " ".join(text.split())  # one space between words, whatever the layout


@pytest.fixture(scope="module")
def pdf_build(tmp_path_factory) -> Path:
    if shutil.which("latexmk") is None or shutil.which("pdftotext") is None:
        pytest.fail("latexmk and pdftotext are needed (make test installs them)")
    out = tmp_path_factory.mktemp("seed")
    assert main(["build", "--out", str(out)]) == 0
    return out


def test_both_pdfs_and_no_scratch_left(pdf_build):
    names = sorted(p.name for p in pdf_build.iterdir())
    assert names == BUILD_OUTPUTS
    assert sorted(p.name for p in (pdf_build / "data").iterdir()) == [
        "A.csv",
        "W1.csv",
        "X.csv",
        "b1.csv",
        "b2.csv",
        "t.csv",
        "w2.csv",
    ]
    for name in ("solution.pdf", "assignment.pdf"):
        assert (pdf_build / name).read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    "fragment",
    [
        "= 1.0185",  # the loss
        "(−0.2)2 + (−0.53)2 + (−1.31)2",  # its terms (superscripts flatten to '2')
        "0.04 + 0.2809 + 1.7161",
        "0.131 −0.2358 −0.0524 0.2096",  # dL/dW1, row 1
        "−0.2544 −0.318 0.0318 −0.0954",  # dL/dW1, row 2
        "= −2.04",  # dL/db2
        "λ1 = 1, λ2 = 6",
        "strictly between 0 and 1/6 works",  # 1/6 exact, no decimal beside it
        "608 + 6432 + 8256 = 15,296",  # grouped from 10,000 on
        "P = dh + 2h + 1 = 13 parameters",
        "Alan Copa",
    ],
)
def test_solution_pdf_states_the_answers(pdf_build, fragment):
    assert fragment in pdf_text(pdf_build / "solution.pdf")


@pytest.mark.parametrize(
    "number",
    ["−0.7", "−0.43", "−0.51", "−0.262", "−0.318", "−1.2445", "−0.2385", "0.95", "0.45"],
)
def test_solution_pdf_shows_vector_entries(pdf_build, number):
    """Column vectors come out of pdftotext one entry per line: look for the tokens."""
    assert number in pdf_text(pdf_build / "solution.pdf").split()


def test_problem_sheet_has_no_answers(pdf_build):
    text = pdf_text(pdf_build / "assignment.pdf")
    assert "Problem 1. Calculating gradients" in text
    assert "Problem 3. Convolutional networks" in text
    for answer in ("Solution.", "1.0185", "15,296", "λ1 = 1"):
        assert answer not in text


def pdf_pages(path: Path) -> int:
    """The page count pdfinfo reports."""
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    (line,) = [line for line in info.stdout.splitlines() if line.startswith("Pages:")]
    return int(line.split()[1])


def test_default_solution_is_10_pages_and_the_assignment_2(pdf_build):
    # Exact on purpose: when the count changes, a human reviews the new layout (page breaks,
    # floats, figures) and then updates the number here. The sheet's problems fill its first
    # page; How to answer, which does not fit below them, is its second (about half full).
    assert pdf_pages(pdf_build / "solution.pdf") == 10
    assert pdf_pages(pdf_build / "assignment.pdf") == 2
    # pdftotext ends every page with a form feed: the same counts, read another way.
    for name, pages in (("solution.pdf", 10), ("assignment.pdf", 2)):
        out = subprocess.run(["pdftotext", str(pdf_build / name), "-"], check=True,
                             capture_output=True, text=True)  # fmt: skip
        assert out.stdout.count("\f") == pages


def test_default_solution_has_no_overfull_boxes(tmp_path):
    """The log of the seed's solution: no overfull box wider than 1pt, no undefined anything."""
    from solgen.document.build import render_documents, solve
    from solgen.document.compile import compile_tex
    from solgen.document.variant import load_variant

    variant = load_variant()
    tex = render_documents(variant, solve(variant))["solution"]
    compiled = compile_tex(tex, "solution", tmp_path, timeout=120)
    log = (compiled.scratch / "solution.log").read_text(encoding="utf-8", errors="replace")
    overfull = [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
    too_wide = [line for line in overfull if float(line.split("(")[1].split("pt")[0]) > 1.0]
    assert too_wide == []
    assert "undefined" not in log.lower()


def test_every_settable_character_compiles_and_survives(tmp_path):
    """Every character tex_escape keeps, as an author name: pdflatex sets all of them."""
    from solgen.base.charset import unsettable_characters

    keep = [chr(c) for c in range(0x20, 0x180) if not unsettable_characters(chr(c))]
    assert len(keep) > 300
    letters = "".join(c for c in keep if c.isalpha())
    words = [letters[i : i + 12] for i in range(0, len(letters), 12)]  # so that lines can break
    author = " ".join(words)
    assert main(["build", "--out", str(tmp_path), "--set", f'meta.author="{author}"']) == 0
    text = unicodedata.normalize("NFC", pdf_text(tmp_path / "solution.pdf"))
    # Latin-1 letters have their own glyphs in T1 fonts and copy out as themselves; most of
    # Latin Extended-A is built from a letter and an accent (C + U+0302 normalises to Ĉ, but
    # a cedilla or ogonek copies out as a separate comma), so those only have to compile.
    joined = text.replace(" ", "")
    assert "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ" in joined
    for pair in ("Łł", "Œœ", "Šš", "Žž", "Čč", "Őő", "ĀāĂă", "İı"):
        assert pair in joined


def test_unsettable_characters_are_invalid_input(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--set", 'meta.author="Ħans 李"']) == 2
    err = capsys.readouterr().err
    # 李 prints (CJK, see test_names); Maltese Ħ has no glyph in any font solgen loads
    assert "meta.author: pdflatex cannot set Ħ (U+0126); expected Latin (Vietnamese" in err


@pytest.mark.parametrize(
    "argv",
    [[], ["--samples", "10", "--inputs", "8", "--hidden", "6"]],
    ids=["seed-sized", "10x8x6"],
)
def test_large_variants_stay_inside_the_margins(tmp_path, argv):
    """No overfull box beyond 1pt, whatever the size: wide matrices are elided or shrunk."""
    from solgen.document.build import render_documents, solve
    from solgen.document.compile import compile_tex
    from solgen.document.variant import load_variant

    variant_file = tmp_path / "v.toml"
    assert main(["variant", "--seed", "3", "-o", str(variant_file), *argv]) == 0
    variant = load_variant(variant_file)
    for name, tex in render_documents(variant, solve(variant)).items():
        compiled = compile_tex(tex, name, tmp_path, timeout=120)
        log = (compiled.scratch / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        overfull = [line for line in log.splitlines() if line.startswith("Overfull \\hbox")]
        assert [line for line in overfull if float(line.split("(")[1].split("pt")[0]) > 1.0] == []
        assert "undefined" not in log.lower()


def test_one_pass_unless_latex_asks_for_more(tmp_path):
    """latexmk would run pdflatex twice (the .aux is new); solgen's documents need one pass."""
    from solgen.document.compile import compile_tex, needs_rerun

    plain = "\\documentclass{article}\\begin{document}x\\end{document}\n"
    compiled = compile_tex(plain, "plain", tmp_path, timeout=60)
    log = (compiled.scratch / "plain.log").read_text(encoding="utf-8", errors="replace")
    assert not needs_rerun(log)
    # a document with a forward reference gets its second pass, and the reference resolves
    ref = (
        "\\documentclass{article}\\begin{document}see~\\ref{x}\\section{A}\\label{x}"
        "\\end{document}\n"
    )
    compiled = compile_tex(ref, "ref", tmp_path, timeout=60)
    text = subprocess.run(
        ["pdftotext", str(compiled.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "see 1" in text and "??" not in text


def test_latexmk_is_asked_for_a_single_pass():
    from solgen.document.compile import latexmk_command

    assert latexmk_command("x.tex")[:4] == ["latexmk", "-norc", "-e", "$max_repeat=1"]
    assert "$max_repeat=1" not in latexmk_command("x.tex", single_pass=False)


@pytest.mark.tex
@pytest.mark.parametrize(
    "A", ["[[1, 0], [0, 0.00001]]", "[[1, 1], [1, 1.000001]]", "[[1000000, 0], [0, 1e-6]]"]
)
def test_badly_conditioned_matrices_build_with_pdfs(tmp_path, A):
    """These gave LaTeX "Dimension too large" in the descent figure."""
    assert main(["build", "--set", f"problem2.A={A}", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "solution.pdf").read_bytes().startswith(b"%PDF-")
