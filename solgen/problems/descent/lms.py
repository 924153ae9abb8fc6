"""The descent problem in an LMS: its statement's context from the input alone, and its
question: eta_max as a number, or an essay when no learning rate converges from every start
(S has a negative eigenvalue) or every one does (S = 0), which a number cannot say; the
feedback gives the eigenvalues and the range of learning rates."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from solgen.base.answerids import ETA_MAX
from solgen.problems.descent.context import statement_context as _statement_context
from solgen.problems.descent.fields import DescentInput
from solgen.problems.lmshtml import (
    esc,
    exact_tex,
    inline,
    para,
    precision_text,
    relation,
    tex_matrix,
    value_tex,
)
from solgen.problems.problem import Item, Problem


def statement_context(inp: DescentInput) -> dict[str, Any]:
    """The statement's context (no eigenvalue found, only their signs)."""
    return _statement_context(inp)


def question(inp: DescentInput, items: tuple[Item, ...], lms: str) -> Problem.Question:
    """eta_max as a number within its tolerance, or an essay when there is no bound."""
    feedback = _feedback(inp, items)
    eta = next((item for item in items if item.id == ETA_MAX), None)
    if eta is None or eta.value is None:
        if lms == "moodle":
            ask = para(
                "Give every learning rate for which it does, or explain why there is none, "
                "with your reasoning."
            )
        else:
            ask = para(
                "Answer in words: give the learning rates for which gradient descent "
                "converges, or explain why there are none."
            )
        return Problem.Question("essay", ask, feedback, method=method_html())
    if lms == "moodle":
        ask = para(
            "Enter ",
            inline(r"\eta_{\max}"),
            ", the supremum of these learning rates: gradient descent converges from every "
            "starting point for every ",
            inline(r"0 < \eta < \eta_{\max}"),
            ". ",
            esc(precision_text([eta], "it")),
        )
    else:
        ask = para(
            "Enter the number ",
            inline(r"\eta_{\max}"),
            " such that gradient descent converges from every starting point exactly for ",
            inline(r"0 < \eta < \eta_{\max}"),
            ". ",
            esc(precision_text([eta], "it")),
        )
    return Problem.Question("numerical", ask, feedback, answer=eta, method=method_html())


def method_html() -> str:
    """The way to eta_max, without a number of the variant."""
    return para(
        "Only the symmetric part ",
        inline(r"S = \frac{1}{2}(A + A^{\top})"),
        " matters: ",
        inline(r"\nabla f(\mathbf{u}) = 2S\mathbf{u}"),
        ". Along an eigenvector of ",
        inline("S"),
        " with eigenvalue ",
        inline(r"\lambda_i"),
        " a step multiplies the coordinate by ",
        inline(r"1 - 2\eta\lambda_i"),
        ", so gradient descent converges from every start exactly when ",
        inline(r"|1 - 2\eta\lambda_i| < 1"),
        " for every ",
        inline("i"),
        ": find the eigenvalues of ",
        inline("S"),
        " and the tightest bound on ",
        inline(r"\eta"),
        ".",
    )


def _equation(symbol: str, item: Item) -> str:
    """symbol = exact = rounded, symbol = exact, or symbol \\approx rounded."""
    exact = exact_tex(item)
    shown, ok = value_tex(item)
    if exact is not None and exact != shown:
        return f"{symbol} = {exact} {relation(ok)} {shown}"
    return f"{symbol} {relation(ok or exact is not None)} {shown}"


def _feedback(inp: DescentInput, items: tuple[Item, ...]) -> str:
    a = inp.A
    n = len(a)
    eigen = [item for item in items if item.group == "lambda"]
    lines = []
    symmetric = all(a[i][j] == a[j][i] for i in range(n) for j in range(n))
    if not symmetric:
        s = [[(Fraction(a[i][j]) + Fraction(a[j][i])) / 2 for j in range(n)] for i in range(n)]
        lines.append(
            para(
                "Only the symmetric part of ",
                inline("A"),
                " matters: ",
                inline(rf"S = \frac{{1}}{{2}}(A + A^{{\top}}) = {tex_matrix(s)}"),
                ".",
            )
        )
    eigen_tex = [_equation(item.tex, item) for item in eigen]
    name = "A" if symmetric else "S"
    if eigen_tex:
        lines.append(
            para(
                "The eigenvalues of ",
                inline(name),
                " are ",
                inline(r", \quad ".join(eigen_tex)),
                ".",
            )
        )
    eta = next((item for item in items if item.id == ETA_MAX), None)
    if eta is None or eta.value is None:
        lines.append(_no_bound_text(eigen))
        return "".join(lines)
    bound = _equation(r"0 < \eta < \eta_{\max} = \frac{1}{\lambda_{\max}}", eta)
    lines.append(
        para(
            "Gradient descent converges from every starting point exactly for ",
            inline(bound),
            ". At ",
            inline(r"\eta = \eta_{\max}"),
            " the coordinate along the eigenvector of ",
            inline(r"\lambda_{\max}"),
            " oscillates forever; for larger ",
            inline(r"\eta"),
            " it grows without bound.",
        )
    )
    return "".join(lines)


def _no_bound_text(eigen: Sequence[Item]) -> str:
    negative = any(item.value is not None and item.value < 0 for item in eigen)
    if negative:
        return para(
            "No learning rate makes gradient descent converge from every starting point: a "
            "negative eigenvalue makes ",
            inline("f"),
            " unbounded below, and along its eigenvector every step with a positive learning "
            "rate moves further out.",
        )
    return para(
        "Every eigenvalue is zero, so ",
        inline(r"f \equiv 0"),
        ": every point is a minimiser and every learning rate leaves the start where it is, "
        "so gradient descent converges (trivially) for every learning rate: there is no upper "
        "bound.",
    )
