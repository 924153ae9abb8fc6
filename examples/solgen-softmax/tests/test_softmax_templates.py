"""The templates: rendered in solgen's environment (strict, escaping at use), the statement in
the TeX an LMS export reads, the key line, and the problem compiled inside solgen's own
document preamble."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest
from solgen_softmax import PROBLEM
from solgen_softmax.solve import SoftmaxResult

from solgen.markup.latex import Tex

HUGE = {
    "W": [[1000] * 10, [-1000] * 10, [999] * 10],
    "b": [1000, -1000, 0],
    "x": [1000] * 10,
    "label": 2,
}
WIDE = {
    "W": [[(i * 7 + j * 3) % 21 - 10 for j in range(10)] for i in range(10)],
    "b": list(range(-5, 5)),
    "x": [1, -1] * 5,
    "label": 10,
}


def solved(table: dict[str, Any]) -> SoftmaxResult:
    errors: list[str] = []
    inp = PROBLEM.parse(table, "problem4", errors)
    assert errors == [] and inp is not None
    return PROBLEM.solve(inp)


def render(env: jinja2.Environment, result: SoftmaxResult, solutions: bool) -> str:
    template = env.get_template(PROBLEM.templates["problem"])
    return template.render(p=PROBLEM.context(result), solutions=solutions)


def test_the_sheet_is_the_statement_alone(
    env: jinja2.Environment, default_result: SoftmaxResult
) -> None:
    sheet = render(env, default_result, solutions=False)
    statement = env.get_template(PROBLEM.templates["statement"]).render(
        p=PROBLEM.statement_context(default_result.inp)
    )
    assert sheet.strip() == statement.strip()
    assert r"W = \begin{bmatrix}" in sheet and "c = 2" in sheet
    assert "solution" not in sheet


def test_the_solution_states_every_answer(
    env: jinja2.Environment, default_result: SoftmaxResult
) -> None:
    text = render(env, default_result, solutions=True)
    assert text.count(r"\begin{solution}") == 1
    for piece in (
        r"\approx 1.46185",  # L
        "0.422379",
        "-0.768194",
        "0.345815",  # p - e_c
        "0.211189",
        "-0.384097",
        "0.172907",  # (p - e_c) x^T
        r"\log(S) - z_{c}",
        r"p_{i} - \delta_{ic}",
        r"\frac{e^{z_{c}}}{S} - 1",
        r"\label{tab:softmax-classes}",
        r"\begin{tikzpicture}",
    ):
        assert piece in text, piece
    assert "((" not in text and "))" not in text.replace(
        "))", "", text.count("((")
    )  # no Jinja left


def test_the_statement_keeps_to_the_tex_an_lms_reads(env: jinja2.Environment) -> None:
    for table in (PROBLEM.default(), HUGE, WIDE):
        inp = PROBLEM.parse(table, "problem4", [])
        assert inp is not None
        text = env.get_template(PROBLEM.templates["statement"]).render(
            p=PROBLEM.statement_context(inp)
        )
        assert not re.search(
            r"\\solgen|\\begin\{(table|figure|tikzpicture|tabular|itemize|enumerate)", text
        )
        assert text.count("$") % 2 == 0 and text.count(r"\[") == text.count(r"\]") == 2


def test_the_key_part(env: jinja2.Environment, default_result: SoftmaxResult) -> None:
    context = PROBLEM.key_context(PROBLEM.results(default_result))
    entries = [Tex(r"L \approx 1.46"), Tex(r"z_1 = 0.5")]  # TeX, as the stage gives them
    problem = {"number": 4, "entries": entries, "hidden": 0}
    part = env.get_template(PROBLEM.templates["key"]).render(p=context, problem=problem)
    assert part == (
        r"\keyproblem{4}{$C = 3$, $d = 2$, class $c = 2$}" + "\n"
        r"\keyitems{\keyitem{L \approx 1.46}, \keyitem{z_1 = 0.5}}" + "\n"
    )


def test_every_context_value_is_tex_or_a_number(default_result: SoftmaxResult) -> None:
    def leaves(value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [leaf for v in value.values() for leaf in leaves(v)]
        if isinstance(value, list):
            return [leaf for v in value for leaf in leaves(v)]
        return [value]

    for leaf in leaves(PROBLEM.context(default_result)):
        assert isinstance(leaf, Tex | int), leaf


DOCUMENT = r"""((* extends 'solgen/base.tex.j2' *))
((* block body *))
\solgenheading{Problem 4. Softmax cross-entropy (10 points)}
((* include 'softmax.tex.j2' *))
((* endblock body *))
"""


def _compile(env: jinja2.Environment, result: SoftmaxResult, folder: Path, solutions: bool) -> str:
    text = env.from_string(DOCUMENT).render(p=PROBLEM.context(result), solutions=solutions)
    (folder / "doc.tex").write_text(text, encoding="utf-8")
    run = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, (folder / "doc.log").read_text(errors="replace")[-3000:]
    log = (folder / "doc.log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log or not solutions, "a line sticks out of the page"
    return subprocess.run(
        ["pdftotext", "doc.pdf", "-"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout


needs_tex = pytest.mark.skipif(
    shutil.which("latexmk") is None or shutil.which("pdftotext") is None,
    reason="needs latexmk and pdftotext",
)


@pytest.mark.tex
@needs_tex
@pytest.mark.parametrize("case", ["default", "huge", "wide"])
def test_the_problem_compiles_in_solgens_preamble(
    env: jinja2.Environment, tmp_path: Path, case: str
) -> None:
    table = {"default": PROBLEM.default(), "huge": HUGE, "wide": WIDE}[case]
    text = _compile(env, solved(table), tmp_path, solutions=True)
    assert "Problem 4. Softmax cross-entropy (10 points)" in text
    assert "Solution." in text
    if case == "default":
        assert "1.46185" in text
    sheet_dir = tmp_path / "sheet"
    sheet_dir.mkdir()
    sheet = _compile(env, solved(table), sheet_dir, solutions=False)
    assert "Solution." not in sheet and "cross-entropy" in sheet


def test_the_stable_form_keeps_a_tiny_rest(env: jinja2.Environment) -> None:
    """log sum_j e^{z_j - m} = log1p(e^-11000 + e^-20002000): not 0, whatever the logits."""
    text = render(env, solved(HUGE), solutions=True)
    stable = r"\approx 20{,}002{,}000 + 5.76367 \cdot 10^{-4778} \approx 2.00020 \cdot 10^{7}."
    assert stable in text
