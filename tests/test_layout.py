"""Page layout of the eleven kinds of variant a grader reads: no overfull box, no heading or
caption stranded at a page's foot, no page under a third full except the last."""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from solgen.cli import main

pytestmark = pytest.mark.tex

KINDS: dict[str, list[str]] = {
    "default": [],
    "tanh": ["--set", 'problem1.activation="tanh"'],
    "sigmoid": ["--set", 'problem1.activation="sigmoid"'],
    "indefinite": ["--set", "problem2.A=[[1,2],[2,1]]"],
    "non-symmetric": ["--set", "problem2.A=[[2,1],[0,3]]"],
    "3x3": ["--set", "problem2.A=[[2,0,0],[0,3,1],[0,1,3]]"],
    "zero-A": ["--set", "problem2.A=[[0,0],[0,0]]"],
    "singular-A": ["--set", "problem2.A=[[1,1],[1,1]]"],
    "designed": ["--set", "problem3.kernel_sizes=[3,5]"],
    "40x12x10": ["variant", "--seed", "3", "--samples", "40", "--inputs", "12", "--hidden", "10"],
    "seed-11": ["variant", "--seed", "11"],
    "class-variant": [
        "--variant",
        str(Path(__file__).resolve().parent.parent / "examples" / "class-variant.toml"),
    ],
}

DPI = 36  # pixels per inch of the rendered pages: enough to find the lowest ink
MARGIN_IN = 2.3 / 2.54  # geometry's margin in base.tex.j2


@dataclass(frozen=True)
class Page:
    """One page: how far down its text area the ink goes, and its last line of text."""

    fill: float
    last_line: str


def _variant_argv(kind: str, folder: Path) -> list[str]:
    argv = KINDS[kind]
    if argv[:1] != ["variant"]:
        return argv
    path = folder / "variant.toml"
    assert main([*argv, "-o", str(path)]) == 0
    return ["--variant", str(path)]


def _fills(pdf: Path) -> list[float]:
    """For each page, the lowest inked row of the text area as a fraction of its height."""
    out = subprocess.run(
        ["pdftoppm", "-gray", "-r", str(DPI), str(pdf)], capture_output=True, check=True
    ).stdout
    fills = []
    while out:
        match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", out)
        assert match, "pdftoppm wrote no PGM page"
        width, height = int(match.group(1)), int(match.group(2))
        data, out = (
            out[match.end() : match.end() + width * height],
            out[match.end() + width * height :],
        )
        top = round(MARGIN_IN * DPI)
        bottom = height - top  # the page number sits below the text area
        inked = [y for y in range(top, bottom) if min(data[y * width : (y + 1) * width]) < 160]
        fills.append((max(inked) - top + 1) / (bottom - top) if inked else 0.0)
    return fills


def _last_lines(pdf: Path) -> list[str]:
    """The last line of text above the page number, page by page."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = []
    for page in text.split("\f")[:-1]:
        body = [line.strip() for line in page.splitlines() if line.strip()]
        if body and re.fullmatch(r"\d+", body[-1]):
            body = body[:-1]
        lines.append(body[-1] if body else "")
    return lines


def _headings(tex: str) -> set[str]:
    """The plain-text headings of a document (those without math), and 'Solution.'."""
    found = re.findall(r"\\solgen(?:step|heading)\{([^{}$\\]*)\}", tex)
    return {heading.strip() for heading in found} | {"Solution."}


@dataclass(frozen=True)
class Built:
    """One document of one kind: its pages, headings and pdflatex's overfull boxes."""

    kind: str
    name: str
    pages: tuple[Page, ...]
    headings: frozenset[str]
    overfull: tuple[str, ...]
    breakable_continuations: tuple[str, ...]  # display rows a page (and a float) may split
    broken_formulas: tuple[str, ...]  # lines of running text that end inside a formula


# An align row break that a page may take, followed by a row with no left side ("&= ..."): a
# float could land between "Z = X W + b" and "= [the matrix]" (it did, in 14 of 17 solutions).
CONTINUATION_AFTER_A_BREAK = re.compile(r"[^\n]*\\\\\n\s*&[^\n]*")


# A line of running text (a word of four letters) that ends with a relation or an operator: an
# inline formula broken across lines ("... samples, L =" / "= sum ..."). Display lines have
# no such words, and a hyphen that breaks a word is "-", not the minus sign "−".
BROKEN_FORMULA = re.compile(r"[a-z]{4,}.*[=≈−+<>≤≥]\s*$")


def _build(kind: str, root: Path) -> list[Built]:
    folder = root / kind
    folder.mkdir()
    argv = _variant_argv(kind, folder)
    out = folder / "out"
    assert main(["build", "--out", str(out), *argv]) == 0
    built = []
    for name in ("solution", "assignment"):
        # pdflatex again on the very .tex, for the log that the build does not keep
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=out,
            capture_output=True,
            check=True,
        )
        log = (out / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        overfull = tuple(
            line
            for line in log.splitlines()
            if line.startswith("Overfull \\hbox") and float(line.split("(")[1].split("pt")[0]) > 1.0
        )
        pdf = out / f"{name}.pdf"
        pages = tuple(
            Page(fill, last) for fill, last in zip(_fills(pdf), _last_lines(pdf), strict=True)
        )
        tex = (out / f"{name}.tex").read_text(encoding="utf-8")
        breakable = tuple(m.group(0) for m in CONTINUATION_AFTER_A_BREAK.finditer(tex))
        text = subprocess.run(  # -layout keeps an inline sum or matrix on its line
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        broken = tuple(line for line in text.splitlines() if BROKEN_FORMULA.search(line))
        built.append(
            Built(kind, name, pages, frozenset(_headings(tex)), overfull, breakable, broken)
        )
    return built


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[tuple[str, str], Built]:
    if shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None:
        pytest.fail("pdflatex and pdftoppm are needed (make test installs them)")
    root = tmp_path_factory.mktemp("kinds")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda kind: _build(kind, root), KINDS))
    return {(b.kind, b.name): b for built in results for b in built}


CASES = [(kind, name) for kind in KINDS for name in ("solution", "assignment")]


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_no_overfull_box(documents, kind, name):
    assert documents[kind, name].overfull == ()


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_every_page_but_the_last_is_a_third_full(documents, kind, name):
    fills = [round(page.fill, 2) for page in documents[kind, name].pages]
    assert [fill for fill in fills[:-1] if fill < 1 / 3] == [], fills


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_no_page_ends_with_a_heading_or_a_caption(documents, kind, name):
    doc = documents[kind, name]
    stranded = [
        page.last_line
        for page in doc.pages
        if page.last_line in doc.headings or re.match(r"(Figure|Table) \d+:", page.last_line)
    ]
    assert stranded == []


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_no_display_can_be_split_before_a_row_without_a_left_side(documents, kind, name):
    assert documents[kind, name].breakable_continuations == ()


@pytest.mark.parametrize("kind", KINDS)
def test_no_sheet_has_a_page_under_a_third_full(documents, kind):
    """The sheet's last page too: a 3 x 3 A and the README's example spilled problem 3 alone
    onto a second page."""
    fills = [round(page.fill, 2) for page in documents[kind, "assignment"].pages]
    assert [fill for fill in fills if fill < 1 / 3] == [], fills


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_no_inline_formula_breaks_at_a_relation_or_an_operator(documents, kind, name):
    assert documents[kind, name].broken_formulas == ()


def test_the_broken_formula_pattern_finds_what_it_looks_for():
    assert BROKEN_FORMULA.search("The loss is a sum over samples, L =")
    assert BROKEN_FORMULA.search("the antisymmetric part 1/2 (A −")
    assert not BROKEN_FORMULA.search("∇f (u) =")
    assert not BROKEN_FORMULA.search("a word broken by a hyphen at the end of a line, like anti-")


def test_the_continuation_pattern_finds_what_it_looks_for():
    assert CONTINUATION_AFTER_A_BREAK.search("  Z &= X W\n  \\\\\n    &= M,")
    assert not CONTINUATION_AFTER_A_BREAK.search("  Z &= X W\n  \\\\*\n    &= M,")


def test_the_measures_can_fail(tmp_path):
    """A page a tenth full and a heading at a page's foot are seen for what they are."""
    tex = (
        "\\documentclass[a4paper]{article}\\usepackage[a4paper,margin=2.3cm]{geometry}"
        "\\begin{document}\\vspace*{0.1\\textheight}x\\newpage"
        "\\vspace*{0.8\\textheight}\\noindent\\textbf{Lonely heading}\\newpage y\\end{document}\n"
    )
    (tmp_path / "t.tex").write_text(tex, encoding="utf-8")
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    fills = _fills(tmp_path / "t.pdf")
    assert len(fills) == 3 and fills[0] < 0.2 and fills[1] > 0.8
    assert _last_lines(tmp_path / "t.pdf")[1] == "Lonely heading"
    assert _headings("\\solgenstep{Architecture} \\solgenstep{$x$}") == {
        "Architecture",
        "Solution.",
    }
