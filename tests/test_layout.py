"""Page layout of the eleven kinds of variant a grader reads, and an ill-conditioned A (kappa =
1000): no overfull box, no heading or caption stranded at a page's foot, no page under a third
full except the last (on a sheet, none at all), no display split across pages, no inline
formula broken at a relation or an operator, no lone bullet at a page's foot, floats referred
to by number, and no rounded decimal where its exact value is printed beside it."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from solgen.cli import main
from solgen.markup.latex import fmt_number, is_exact

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
    # condition number 1000: eta* and 0.95 eta_max nearly coincide, the level sets are slivers
    "kappa-1000": ["--set", "problem2.A=[[1000,0],[0,1]]"],
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


def _page_lines(pdf: Path) -> list[list[str]]:
    """The non-empty lines of each page (pdftotext -layout, their columns kept), its number
    dropped."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for page in text.split("\f")[:-1]:
        body = [line.rstrip() for line in page.splitlines() if line.strip()]
        if body and re.fullmatch(r"\d+", body[-1].strip()):
            body = body[:-1]
        pages.append(body)
    return pages


def _last_lines(pdf: Path) -> list[str]:
    """The last line of text above the page number, page by page."""
    return [body[-1].strip() if body else "" for body in _page_lines(pdf)]


# A line of prose: a word of four letters (a display has none; "step" in a legend is prose).
PROSE = re.compile(r"[a-z]{4,}")
# A relation, which a display row without a left side starts with ("= [-0.86 ...]").
RELATION = re.compile(r"[=≈≤≥<>]")


def _display_continuations(pages: list[list[str]]) -> tuple[str, ...]:
    """Pages whose opening display (the lines above their first prose) has nothing left of
    its first relation, on any of its lines: its left side ended the page before."""
    found = []
    for number, lines in enumerate(pages[1:], start=2):
        block = list(itertools.takewhile(lambda line: not PROSE.search(line), lines))
        first = next((line for line in block if RELATION.search(line)), None)
        if first is None:
            continue
        column = RELATION.search(first).start()  # type: ignore[union-attr]
        if not any(line[:column].strip() for line in block):  # a fraction's bar counts too
            found.append(f"page {number} opens with {first.strip()!r}")
    return tuple(found)


def _lone_items(pages: list[list[str]]) -> tuple[str, ...]:
    """Pages that end with a list item's first line whose text goes on overleaf (a lone
    bullet at a page's foot): the item's line does not close its sentence."""
    return tuple(
        f"page {number} ends with {lines[-1]!r}"
        for number, lines in enumerate(pages[:-1], start=1)
        if lines and lines[-1].strip().startswith("•") and not lines[-1].endswith((".", ":", ";"))
    )


# Exact rationals as the .tex prints them: \frac{5}{7}, \tfrac{1}{12}, 1 / 7 (inline).
EXACT_FRACTION = re.compile(
    r"\\[dt]?frac\{(\d+)\}\{(\d+)\}|(?<![\w.{/])(\d+)\s*/\s*(\d+)(?![\w.}/])"
)
# Figure data: numbers that are coordinates, not text a reader compares.
PLOT_DATA = re.compile(
    r"coordinates\s*\{[^{}]*\}|\\draw\[[^\n]*|\\begin\{\w*axis\}\[.*?\]\n", re.DOTALL
)


def _fraction(match: re.Match[str]) -> Fraction | None:
    """The value an EXACT_FRACTION match prints, None for a zero denominator."""
    p, q = (int(group) for group in match.groups() if group is not None)
    return Fraction(p, q) if q else None


def _decimals_beside_exact(tex: str) -> tuple[str, ...]:
    """Rounded decimals printed where their exact value is (the same paragraph of the .tex,
    floats included), other than announced as its rounding: '1/7 \\approx 0.142857' (in any
    exact form: \\frac{1}{7}, 1 / 7) is the one allowed form; 'the factor 0.714286' in a
    paragraph that prints 5/7 is not."""
    found = []
    for paragraph in re.split(r"\n[ \t]*\n", PLOT_DATA.sub(" ", tex)):
        for match in EXACT_FRACTION.finditer(paragraph):
            value = _fraction(match)
            if value is None or is_exact(value) or value.denominator == 1:
                continue
            rounded = fmt_number(value)
            for decimal in {rounded, rounded.rstrip("0")}:
                for at in re.finditer(rf"(?<![\d.]){re.escape(decimal)}(?!\d)", paragraph):
                    announced = re.search(
                        rf"(?:{EXACT_FRACTION.pattern})\s*\\approx\s*-?$", paragraph[: at.start()]
                    )
                    if announced is None or _fraction(announced) != value:
                        found.append(f"{decimal} beside {match.group(0)}")
    return tuple(sorted(set(found)))


# Words that point at a float by place instead of by number.
PLACE_REFERENCE = re.compile(r"\b(?:figure|table|plot|picture)s? (?:below|above)\b", re.I)


def _unnumbered_floats(tex: str) -> tuple[str, ...]:
    """What breaks 'Figure 2' references: a float without a label, a label nobody refers
    to, a float named by place ('the figure below')."""
    problems = [
        f"{kind} without a label" for kind, body in FLOAT.findall(tex) if "\\label{" not in body
    ]
    labels = re.findall(r"\\label\{((?:fig|tab):[^{}]*)\}", tex)
    refs = set(re.findall(r"\\ref\{([^{}]*)\}", tex))
    problems += [f"{label} never referred to" for label in labels if label not in refs]
    problems += [f"{found.group(0)!r}" for found in PLACE_REFERENCE.finditer(tex)]
    return tuple(problems)


FLOAT = re.compile(r"\\begin\{(figure|table)\}(.*?)\\end\{\1\}", re.DOTALL)
# A tabular cell that is a decimal in $...$: a column right- or centre-aligned, not on its
# point (the d column of base.tex.j2 aligns it).
UNALIGNED_DECIMAL = re.compile(r"&\s*\$-?\d+\.\d+[^$&]*\$\s*(?=&|\\\\)")


def _unaligned_decimal_cells(tex: str) -> tuple[str, ...]:
    """Decimal cells of the document's tables that are not aligned on the decimal point."""
    tables = re.findall(r"\\begin\{tabular\}.*?\\end\{tabular\}", tex, re.DOTALL)
    return tuple(cell.strip() for table in tables for cell in UNALIGNED_DECIMAL.findall(table))


def _headings(tex: str) -> set[str]:
    """The plain-text headings of a document (those without math), and 'Solution.'."""
    found = re.findall(r"\\solgen(?:step|heading)\{([^{}$\\]*)\}", tex)
    return {heading.strip() for heading in found} | {"Solution."}


def _squeezed_tail(line: str) -> str:
    """A line's last characters without spaces, radical signs and asterisks, which the two
    pdftotext modes place differently."""
    return re.sub(r"[\s√∗]", "", line)[-8:]


def _pdftotext(pdf: Path, mode: str) -> str:
    return subprocess.run(
        ["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _broken_formulas(pdf: Path, layout: str) -> tuple[str, ...]:
    """Lines of running text that end inside a formula, as -layout shows them (it keeps an
    inline sum or matrix on its line) and -raw confirms: -layout sets a radical sign on the
    line above its radicand ("= √2/5" read as "=" then "2/5"), -raw keeps it in reading
    order (on a line of its own, joined back here). layout: the PDF's -layout text."""
    raw = re.sub(r"\n√\n", "√", _pdftotext(pdf, "-raw"))
    confirmed = {_squeezed_tail(line) for line in raw.splitlines() if BROKEN_FORMULA.search(line)}
    return tuple(
        line
        for line in layout.splitlines()
        if BROKEN_FORMULA.search(line) and _squeezed_tail(line) in confirmed
    )


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
    display_continuations: tuple[str, ...]  # pages that open inside a display
    lone_items: tuple[str, ...]  # pages that end with a list item's first line
    decimals_beside_exact: tuple[str, ...]  # '0.142857 beside 1 / 7'
    unnumbered_floats: tuple[str, ...]  # floats not referred to by number
    unaligned_decimals: tuple[str, ...]  # table cells of decimals not on their point


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
    rerun = folder / "log"
    rerun.mkdir()
    for name in ("solution", "assignment"):
        # pdflatex again on the very .tex, for the log that the build does not keep; in a
        # folder of its own, so that the pages measured are the build's (its references
        # resolved, "Figure 2", where one pass without the .aux prints "Figure ??")
        shutil.copyfile(out / f"{name}.tex", rerun / f"{name}.tex")
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=rerun,
            capture_output=True,
            check=True,
        )
        log = (rerun / f"{name}.log").read_text(encoding="utf-8", errors="replace")
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
        text = _pdftotext(pdf, "-layout")
        broken = _broken_formulas(pdf, text)
        lines = _page_lines(pdf)
        built.append(
            Built(
                kind,
                name,
                pages,
                frozenset(_headings(tex)),
                overfull,
                breakable,
                broken,
                _display_continuations(lines),
                _lone_items(lines),
                _decimals_beside_exact(tex),
                _unnumbered_floats(tex) + (("a reference printed ??",) if "??" in text else ()),
                _unaligned_decimal_cells(tex),
            )
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


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_no_page_opens_inside_a_display(documents, kind, name):
    """The PDF itself, whatever the .tex allows: no page opens with '= [-0.86 ...]'."""
    assert documents[kind, name].display_continuations == ()


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_no_lone_bullet_at_a_page_foot(documents, kind, name):
    assert documents[kind, name].lone_items == ()


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_no_rounded_decimal_beside_its_exact_value(documents, kind, name):
    assert documents[kind, name].decimals_beside_exact == ()


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_floats_are_referred_to_by_number(documents, kind, name):
    assert documents[kind, name].unnumbered_floats == ()


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_table_decimals_are_aligned_on_the_point(documents, kind, name):
    assert documents[kind, name].unaligned_decimals == ()


def test_the_broken_formula_pattern_finds_what_it_looks_for():
    assert BROKEN_FORMULA.search("The loss is a sum over samples, L =")
    assert BROKEN_FORMULA.search("the antisymmetric part 1/2 (A −")
    assert not BROKEN_FORMULA.search("∇f (u) =")
    assert not BROKEN_FORMULA.search("a word broken by a hyphen at the end of a line, like anti-")


def test_the_continuation_pattern_finds_what_it_looks_for():
    assert CONTINUATION_AFTER_A_BREAK.search("  Z &= X W\n  \\\\\n    &= M,")
    assert not CONTINUATION_AFTER_A_BREAK.search("  Z &= X W\n  \\\\*\n    &= M,")


def test_the_page_measures_find_what_they_look_for():
    pages = [["Z = XW + b"], ["     −0.86 1.5", "  ≈  0.3  0.25", "and the text goes on"]]
    assert _display_continuations(pages) == ("page 2 opens with '≈  0.3  0.25'",)
    assert _display_continuations([["x"], ["Z = XW + b", "  = M", "words"]]) == ()
    assert _display_continuations([["x"], ["the text", "= M"]]) == ()
    fraction = ["    ∂L       8.85", "       = H r = 9.1 ,", "   ∂w(2)     12.6"]
    assert _display_continuations([["x"], fraction]) == ()
    assert _lone_items([["• The gradient of L with respect"], ["to b2."]]) == (
        "page 1 ends with '• The gradient of L with respect'",
    )
    assert _lone_items([["• The gradient of L."], ["• Next."]]) == ()


@pytest.mark.parametrize(
    ("tex", "found"),
    [
        ("so $\\eta^\\ast = \\frac{1}{7} \\approx 0.142857$.", ()),
        (
            "$\\eta^\\ast = 1 / 7 \\approx 0.142857$, a step of $0.142857$",
            ("0.142857 beside 1 / 7",),
        ),
        ("by $\\frac{5}{7}$\nper step: the factor $0.714286$.", ("0.714286 beside \\frac{5}{7}",)),
        ("by $\\frac{5}{7}$.\n\nA new paragraph: $0.714286$.", ()),
        ("$\\tfrac{1}{12}$ and $0.0833333$", ("0.0833333 beside \\tfrac{1}{12}",)),
        ("$\\frac{1}{8} = 0.125$", ()),
        ("$\\frac{1}{6}$, so $0 < \\eta < 1/6 \\approx 0.166667$", ()),
        ("$\\frac{1}{6}$, so $\\eta < 2/6 \\approx 0.166667$", ("0.166667 beside \\frac{1}{6}",)),
        ("\\addplot coordinates {(0.142857, 1)};\n$1/7$", ()),
    ],
)
def test_the_decimal_rule_allows_only_an_announced_rounding(tex, found):
    assert _decimals_beside_exact(tex) == found


def test_the_float_and_table_rules_find_what_they_look_for():
    tex = (
        "\\begin{figure}x\\label{fig:a}\\end{figure}\\begin{table}y\\end{table}"
        "as the figure below shows; Figure~\\ref{fig:b}\\label{fig:b}"
    )
    assert _unnumbered_floats(tex) == (
        "table without a label",
        "fig:a never referred to",
        "'figure below'",
    )
    table = "\\begin{tabular}{rr}\n1 & $-0.5$ & $0.125$ \\\\\n1 & -0.5 & 0.125 \\\\\n\\end{tabular}"
    assert _unaligned_decimal_cells(table) == ("& $-0.5$", "& $0.125$")


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


def _penalties() -> str:
    """base.tex.j2's settings for breaking formulas in running text, as its preamble has them."""
    base = (Path(__file__).resolve().parent.parent / "templates" / "base.tex.j2").read_text()
    names = ("\\binoppenalty=", "\\relpenalty=", "\\emergencystretch=")
    return "\n".join(line for line in base.splitlines() if line.startswith(names))


def _set_narrow(tmp_path: Path, settings: str) -> list[str]:
    """A paragraph whose one good break is inside its formula, set under `settings`."""
    tex = (
        "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
        f"\\usepackage{{amsmath}}\n{settings}\n\\begin{{document}}\\parbox{{7cm}}{{"
        "Every coordinate shrinks by the factor "
        "$\\rho = 5/7 \\approx 0.714286 = 1 - 2 \\eta \\lambda_{\\min}$ per step, and so on.}"
        "\\end{document}\n"
    )
    (tmp_path / "p.tex").write_text(tex, encoding="utf-8")
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "p.tex"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    return [line.strip() for line in _page_lines(tmp_path / "p.pdf")[0]]


def test_the_preamble_never_breaks_an_inline_formula(tmp_path):
    """9999 only discouraged the break: with every other line past \\tolerance TeX took it
    ('the factor rho = | 5/7 ...', as '≈ | 0.282843' in the solutions); base.tex.j2's 10000
    forbids it, and its emergency stretch sets a looser line instead."""
    assert "\\relpenalty=10000" in _penalties()
    broken = [line for line in _set_narrow(tmp_path, _penalties()) if BROKEN_FORMULA.search(line)]
    assert broken == []
    old = "\\binoppenalty=9999\n\\relpenalty=9999"
    assert [line for line in _set_narrow(tmp_path, old) if BROKEN_FORMULA.search(line)] != []
    narrow = tmp_path / "p.pdf"
    # the -raw confirmation sees it too
    assert _broken_formulas(narrow, _pdftotext(narrow, "-layout")) != ()
