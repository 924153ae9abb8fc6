"""One statement, two renderings: the PDF's problem statement and the LMS question's (Moodle,
Canvas) come from the same statement template, so they say the same thing in the same math,
for every kind of variant (issue 19: the LMS copy had drifted from the PDF's)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from fractions import Fraction

import pytest
from golden_cases import BUILDS

from solgen.course.answerkey import ClassKey, StudentKey, items_of
from solgen.document.build import render_documents, solve
from solgen.document.results import results_dict
from solgen.document.solution import Solution
from solgen.document.variant import Variant, load_variant
from solgen.lms.export_moodle import export_moodle
from solgen.lms.export_qti import export_qti
from solgen.lms.lmsclass import statement_html
from solgen.problems.descent.context import context as descent_context
from solgen.problems.descent.context import statement_context as descent_statement
from solgen.problems.descent.derive import solve as descent_solve
from solgen.problems.descent.fields import DescentInput

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
# The kinds of variant the byte goldens pin (default, indefinite A, A = 0, 3 x 3 A, a designed
# problem 3, sigmoid, tanh with a non-symmetric A).
KINDS = sorted(BUILDS)


@pytest.fixture(scope="module")
def variants() -> dict[str, Variant]:
    return {kind: load_variant(sets=list(BUILDS[kind])) for kind in KINDS}


@pytest.fixture(scope="module")
def solutions(variants) -> dict[str, Solution]:
    return {kind: solve(variant) for kind, variant in variants.items()}


@pytest.fixture(scope="module")
def sheets(variants, solutions) -> dict[str, str]:
    """Each kind's problem sheet (assignment.tex), as a build writes it."""
    return {
        kind: render_documents(variant, solutions[kind])["assignment"]
        for kind, variant in variants.items()
    }


def pdf_statements(sheet: str) -> list[str]:
    """The statements of a problem sheet, in order: the TeX after each problem's heading (up
    to the sheet's How to answer, which is no problem's)."""
    body = sheet.split("\\end{document}")[0].split("% How to answer\n")[0]
    return re.split(r"\\solgenheading\{Problem \d+\.[^\n]*\}\n", body)[1:]


# --- comparing TeX with the HTML made of it ---------------------------------------------------

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]+|[0-9]+|\S", re.S)
# Layout only: delimiters of math and groups, the display and list environments' names.
_LAYOUT = {"$", "{", "}", "\\(", "\\)", "\\[", "\\]", "\\solgenfit"}
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{(?:gather\*|gathered|enumerate|itemize)\}")
_CHARACTERS = {"\u2014": "---", "\u2013": "--", "\u201c": "``", "\u201d": "''", "\u00a0": "~"}


def tex_tokens(tex: str) -> list[str]:
    """The words and the math of TeX, without layout."""
    tex = _ENVIRONMENT.sub(" ", tex)
    tex = re.sub(r"\\item\[([^\]]*)\]", r" \1 ", tex)  # an item's label is its text
    tex = re.sub(r"\\solgenfit\[[^\]]*\]", r"\\solgenfit", tex)
    tex = tex.replace("~", " ")
    return [t for t in _TOKEN.findall(re.sub(r"\s+", " ", tex)) if t not in _LAYOUT]


def html_tokens(html: str) -> list[str]:
    """The words and the math of an LMS page's HTML, as tex_tokens reads TeX."""
    text = " ".join(ET.fromstring(f"<div>{html}</div>").itertext())
    for char, tex in _CHARACTERS.items():
        text = text.replace(char, tex)
    return tex_tokens(text)


def inline_math(tex: str) -> list[str]:
    """The inline formulas of TeX ($...$), whitespace runs made one space."""
    return [" ".join(m.split()) for m in re.findall(r"(?<!\\)\$(.*?)(?<!\\)\$", tex, re.S)]


def html_inline_math(html: str) -> list[str]:
    text = "".join(ET.fromstring(f"<div>{html}</div>").itertext())
    return [" ".join(m.split()) for m in re.findall(r"\\\((.*?)\\\)", text, re.S)]


def displays(tex: str) -> int:
    return tex.count("\\[") + tex.count("\\begin{gather*}")


# --- the statements are the PDF's ------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_lms_statement_has_the_words_and_math_of_the_pdfs(variants, sheets, kind):
    variant = variants[kind]
    pdf = pdf_statements(sheets[kind])
    assert len(pdf) == len(variant.inputs) == 3
    for (placed, inp), tex in zip(variant, pdf, strict=True):
        html = statement_html(placed.problem, inp)
        assert html_tokens(html) == tex_tokens(tex), (kind, placed.section)
        assert html_inline_math(html) == inline_math(tex), (kind, placed.section)
        assert html.count("\\[") == displays(tex), (kind, placed.section)


def statement_of(variant: Variant, number: int) -> str:
    """The LMS statement of problem `number` of a variant."""
    placed, inp = next((placed, inp) for placed, inp in variant if placed.number == number)
    return statement_html(placed.problem, inp)


@pytest.mark.parametrize("kind", KINDS)
def test_the_drifted_phrases_are_gone(variants, kind):
    html = statement_of(variants[kind], 2)
    assert "We use gradient descent to minimise" not in html
    assert "u^{(k+1)}" not in html and "u^{(k)}" not in html
    assert r"\(\mathbf{u}_{n+1} = \mathbf{u}_n - \eta \nabla f(\mathbf{u}_n)\)" in html
    if len(variants[kind].input_of("problem2").A) == 2:
        assert "u_{1}" not in html and "u_1" not in html and "u_{2}" not in html
        assert r"\(\mathbf{u} = (x, y)^{\top}\)" in html
    else:
        assert r"\(\mathbf{u} = (u_{1}, u_{2}, u_{3})^{\top}\)" in html


def test_an_indefinite_a_is_not_promised_a_minimum(variants):
    html = statement_of(variants["indefinite"], 2)
    assert not re.search(r"\bminimise\b", html)
    assert r"converge to a minimiser of \(f\) from every starting point (if \(f\) has one)?" in html
    html = statement_of(variants["default"], 2)
    assert r"converge to the minimiser of \(f\) from every starting point?" in html


def test_a_zero_a_says_f_vanishes(variants):
    html = statement_of(variants["zero"], 2)
    assert r"f(\mathbf{u}) = 0\ \text{for every } \mathbf{u}," in html


# --- the statement's context from the input alone ---------------------------------------------


SIGNATURE_CASES = [
    [[5, 2], [2, 2]],
    [[1, 2], [2, 1]],
    [[0, 0], [0, 0]],
    [[1, 1], [1, 1]],
    [[-1, 1], [1, -1]],
    [[-2, 0], [0, -3]],
    [[2, 1], [0, 3]],
    [[0, 1], [0, 0]],
    [[4, 1, 0], [1, 3, 1], [0, 1, 2]],
    [[1, 0, 0], [0, 0, 0], [0, 0, -1]],
    [[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]],
    [[1, 2, 3], [2, 4, 6], [3, 6, 9]],
]


@pytest.mark.parametrize("rows", SIGNATURE_CASES)
def test_the_statement_context_of_descent_is_its_solutions(rows):
    """The statement's definiteness comes from Descartes' rule of signs, the solution's from
    the roots: the same, and so is every other key the statement uses."""
    inp = DescentInput(tuple(tuple(Fraction(v) for v in row) for row in rows))
    cheap, full = descent_statement(inp), descent_context(descent_solve(inp))
    assert cheap == {key: full[key] for key in cheap}


def test_the_statement_context_of_every_problem_is_the_pdfs(variants, solutions):
    """For these kinds (small, short decimals) the LMS's whole and exact data are the PDF's."""
    for kind, variant in variants.items():
        for (placed, inp), result in zip(variant, solutions[kind].results, strict=True):
            cheap = placed.problem.statement_context(inp)
            full = placed.problem.context(result)
            assert cheap == {key: full[key] for key in cheap}, placed.section


def test_the_lms_shows_data_whole_and_exact_where_the_pdf_elides_and_rounds():
    """A 15 x 12 network with an 8-place bias: the PDF elides X (the appendix and data/ hold
    every entry) and rounds b2 to six digits; an LMS page has neither appendix nor files, so
    its statement shows every entry exactly."""
    variant = load_variant()
    placed, inp = next(iter(variant))
    wide = replace(
        inp,
        X=tuple(row * 3 for row in inp.X * 5),
        W1=tuple(row * 3 for row in inp.W1),
        t=inp.t * 5,
        b2=Fraction("0.12345678"),
    )
    html = statement_html(placed.problem, wide)
    assert r"b^{(2)} = 0.12345678." in html
    assert r"\cdots" not in html and r"\ddots" not in html
    assert "appendix" not in html and "data/" not in html
    pdf = placed.problem.context(placed.problem.solve(wide))
    assert r"\cdots" in pdf["X"] and pdf["b2"] == "0.123457" and pdf["appendix"]


# --- both exports pose them -------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_both_exports_pose_the_one_statement(variants, solutions, kind):
    variant = variants[kind]
    items = tuple(items_of(results_dict(solutions[kind]), variant.assignment))
    key = ClassKey("seeded", (StudentKey("0001", "", "0001", variant, items),))
    statements = [statement_html(placed.problem, inp) for placed, inp in variant]
    bank = ET.fromstring(export_moodle(key, "Quiz"))
    texts = [q.findtext("questiontext/text") or "" for q in bank if q.get("type") != "category"]
    assert len(texts) == 3
    for text, statement in zip(texts, statements, strict=True):
        assert text.startswith(statement) and len(text) > len(statement)
    members = export_qti(key, "Quiz")
    (name,) = (n for n in members if n != "imsmanifest.xml")
    mattexts = [
        m.text or ""
        for item in ET.fromstring(members[name]).iter(f"{QTI}item")
        for m in item.findall(f"{QTI}presentation/{QTI}material/{QTI}mattext")
    ]
    assert len(mattexts) == 3
    for text, statement in zip(mattexts, statements, strict=True):
        assert text.startswith(f"<div>{statement}") and len(text) > len(statement) + 11


def test_a_problem_without_lms_hooks_gets_an_essay_and_its_whole_context(variants, solutions):
    """The interface's defaults, for an installed problem that declares no LMS hooks: its
    statement context is its templates' whole context (from solving), its question an essay
    whose feedback lists every answer."""
    from solgen.problems.problem import Problem

    variant = variants["default"]
    items = tuple(items_of(results_dict(solutions["default"]), variant.assignment))
    placed, inp = next(iter(variant))
    result = solutions["default"].results[0]
    assert Problem.statement_context(placed.problem, inp) == placed.problem.context(result)
    mine = tuple(item for item in items if item.problem == 1)
    question = Problem.lms_question(placed.problem, inp, mine, "qti")
    assert question.kind == "essay" and question.answer is None and question.gaps == ()
    assert question.ask == "<p>Answer in the text box, with your reasoning.</p>"
    feedback = ET.fromstring(f"<div>{question.feedback}</div>")
    entries = ["".join(li.itertext()) for li in feedback.iter("li")]
    assert len(entries) == len(mine) and entries[0] == r"L: \(1.0185\)"


def test_the_exports_follow_the_students_assignment():
    """Another assignment (descent first, then network, for 10 and 30 points): each problem
    keeps its own question and statement under its new number, title and points."""
    from solgen.document.variant import build_variant

    variant = build_variant(
        {"assignment": {"problems": ["descent", "network"], "points": [10, 30]}}
    )
    items = tuple(items_of(results_dict(solve(variant)), variant.assignment))
    key = ClassKey("seeded", (StudentKey("0001", "", "0001", variant, items),))
    bank = ET.fromstring(export_moodle(key, "Quiz"))
    categories = [q.findtext("category/text") for q in bank if q.get("type") == "category"]
    assert categories == [
        "$course$/top/Quiz (solgen)/Problem 1: Gradient descent",
        "$course$/top/Quiz (solgen)/Problem 2: Calculating gradients",
    ]
    questions = [q for q in bank if q.get("type") != "category"]
    assert [
        (q.get("type"), q.findtext("name/text"), q.findtext("defaultgrade")) for q in questions
    ] == [
        ("numerical", "P1 0001", "10"),
        ("cloze", "P2 0001", "30"),
    ]
    statements = [statement_html(placed.problem, inp) for placed, inp in variant]
    assert (questions[0].findtext("questiontext/text") or "").startswith(statements[0])
    members = export_qti(key, "Quiz")
    (name,) = (n for n in members if n != "imsmanifest.xml")
    sections = ET.fromstring(members[name]).iter(f"{QTI}section")
    titles = [(s.get("title"), s.findtext(f".//{QTI}points_per_item")) for s in sections]
    assert titles[1:] == [
        ("Problem 1: Gradient descent", "10"),
        ("Problem 2: Calculating gradients", "30"),
    ]


def test_students_of_different_assignments_are_refused():
    from solgen.base.errors import InvalidInput
    from solgen.document.variant import build_variant

    other = build_variant({"assignment": {"problems": ["descent"]}})
    students = (
        StudentKey("a", "", "a", load_variant(), ()),
        StudentKey("b", "", "b", other, ()),
    )
    for export in (export_moodle, export_qti):
        with pytest.raises(InvalidInput, match="different assignments"):
            export(ClassKey("seeded", students), "Quiz")
