"""The problems and their answers as HTML with TeX for MathJax, shared by the LMS exports.

Moodle (export_moodle.py) and Canvas (export_qti.py) show a variant's data as HTML in which
TeX sits between \\( \\) (inline) and \\[ \\] (display); MathJax renders it in the browser.
So only plain LaTeX that MathJax knows appears here (bmatrix, \\frac, \\mathbf, ^{\\top},
\\partial, \\sqrt, ...), never a solgen macro of the PDF templates. Every piece of text that
reaches the HTML goes through html.escape, TeX included (`&` of a matrix, `<` of 0 < eta),
and every tag is closed, so that a page is well-formed XML when wrapped in one element.

The data of the statements are printed exactly (a terminating decimal, else a fraction): a
rounded input would change the answers. The answers in the feedback are the key's: exact
when short, else rounded to 6 significant digits (latex.fmt_number).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from solgen.answerids import ETA_MAX, TOTAL_PARAMS
from solgen.answerkey import Item, StudentKey, Tolerance
from solgen.latex import fmt_number, is_exact, sym
from solgen.numparse import NumberError, parse_number
from solgen.variant import Variant

Number = Fraction | int


# --- XML: the one element writer of both exports -------------------------------------------

# Characters that XML 1.0 does not allow at all (ElementTree would write them as they are, and
# the file would not parse): a control character in meta.title broke Canvas's assessment.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_clean(text: str) -> str:
    """text without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", text)


def xml_sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    """A child element; its text and attributes without the characters XML 1.0 forbids."""
    element = ET.SubElement(parent, tag, {k: xml_clean(v) for k, v in attrib.items()})
    if text is not None:
        element.text = xml_clean(text)
    return element


# --- HTML and TeX pieces --------------------------------------------------------------------


def esc(text: str) -> str:
    """Text (from a variant, or TeX) escaped for HTML element content (never an attribute)."""
    return html.escape(text, quote=False)


def inline(tex: str) -> str:
    """Inline math for MathJax: \\( tex \\), escaped for HTML."""
    return "\\(" + esc(tex) + "\\)"


def display(tex: str) -> str:
    """Display math for MathJax: \\[ tex \\], escaped for HTML."""
    return "\\[" + esc(tex) + "\\]"


def para(*parts: str) -> str:
    """A paragraph of HTML pieces (already escaped)."""
    return "<p>" + "".join(parts) + "</p>"


def tex_number(value: Number) -> str:
    """An exact number as TeX: a terminating decimal in full, else a fraction."""
    value = Fraction(value)
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    den, places = magnitude.denominator, 0
    while den % 10 == 0:
        den //= 10
        places += 1
    while den % 2 == 0 or den % 5 == 0:
        den //= 2 if den % 2 == 0 else 5
        places += 1
    if den != 1:
        return rf"{sign}\frac{{{magnitude.numerator}}}{{{magnitude.denominator}}}"
    digits = str(magnitude.numerator * 10**places // magnitude.denominator).rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return sign + text


def _cell(value: Number | str) -> str:
    return value if isinstance(value, str) else tex_number(value)


def tex_matrix(rows: Sequence[Sequence[Number | str]]) -> str:
    """A bmatrix of exact numbers (or of TeX strings), never elided: the data must be whole."""
    body = r" \\ ".join(" & ".join(_cell(v) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def tex_column(values: Sequence[Number | str]) -> str:
    """A column vector."""
    return tex_matrix([[v] for v in values])


def tex_size(height: int, width: int) -> str:
    """A spatial size: 32 \\times 32."""
    return rf"{height} \times {width}"


# --- the problem statements -----------------------------------------------------------------

_ACTIVATIONS = {
    "relu": ("the ReLU nonlinearity", r"f(z) = \max(0, z)"),
    "sigmoid": ("the logistic sigmoid", r"f(z) = \frac{1}{1 + e^{-z}}"),
    "tanh": ("the hyperbolic tangent", r"f(z) = \tanh z"),
}


def problem1_html(variant: Variant) -> str:
    """Problem 1 (gradients of a two-layer network): the model, its data, the task."""
    p = variant.problem1
    n, d, h = len(p.X), len(p.X[0]), len(p.W1)
    name, formula = _ACTIVATIONS[p.activation]
    relu = p.activation == "relu"
    return "".join(
        [
            para(
                "A two-layer neural network maps an input ",
                inline(rf"\mathbf{{x}}_k \in \mathbb{{R}}^{{{d}}}"),
                " to",
            ),
            para(
                display(
                    r"y_k = \mathbf{w}^{(2)\top} f\left(W^{(1)} \mathbf{x}_k + \mathbf{b}^{(1)}"
                    r"\right) + b^{(2)},"
                )
            ),
            para(
                "where ",
                inline("f"),
                f" is {name} ",
                inline(formula),
                ", applied elementwise",
                (
                    " (at "
                    + inline("z = 0")
                    + ", where it has no derivative, take "
                    + inline("f'(0) = 0")
                    + ")"
                )
                if relu
                else "",
                ". The ",
                inline(f"N = {n}"),
                " inputs are the rows of ",
                inline(rf"X \in \mathbb{{R}}^{{{n} \times {d}}}"),
                " and their targets form ",
                inline(rf"\mathbf{{t}} \in \mathbb{{R}}^{{{n}}}"),
                "; the weights are ",
                inline(rf"W^{{(1)}} \in \mathbb{{R}}^{{{h} \times {d}}}"),
                " and ",
                inline(rf"\mathbf{{w}}^{{(2)}} \in \mathbb{{R}}^{{{h}}}"),
                ", the biases ",
                inline(rf"\mathbf{{b}}^{{(1)}} \in \mathbb{{R}}^{{{h}}}"),
                " and ",
                inline(r"b^{(2)} \in \mathbb{R}"),
                ":",
            ),
            para(display(rf"X = {tex_matrix(p.X)}, \qquad \mathbf{{t}} = {tex_column(p.t)},")),
            para(
                display(
                    rf"W^{{(1)}} = {tex_matrix(p.W1)}, \qquad "
                    rf"\mathbf{{b}}^{{(1)}} = {tex_column(p.b1)},"
                )
            ),
            para(
                display(
                    rf"\mathbf{{w}}^{{(2)}} = {tex_column(p.w2)}, \qquad "
                    rf"b^{{(2)}} = {tex_number(p.b2)}."
                )
            ),
            para(
                "The loss of the model is ",
                inline(rf"L = \frac{{1}}{{2}} \sum_{{k=1}}^{{{n}}} (y_k - t_k)^2"),
                ". Compute the outputs ",
                inline("y_k"),
                ", the loss ",
                inline("L"),
                " and the gradients of ",
                inline("L"),
                " with respect to ",
                inline("W^{(1)}"),
                ", ",
                inline(r"\mathbf{b}^{(1)}"),
                ", ",
                inline(r"\mathbf{w}^{(2)}"),
                " and ",
                inline("b^{(2)}"),
                ".",
            ),
        ]
    )


def tex_quadratic_form(a: Sequence[Sequence[Number]]) -> str:
    """u^T A u written out in the coordinates: 5 u_1^2 + 4 u_1 u_2 + 2 u_2^2."""
    terms: list[str] = []
    n = len(a)
    for i in range(n):
        for j in range(i, n):
            coeff = Fraction(a[i][i]) if i == j else Fraction(a[i][j]) + Fraction(a[j][i])
            if coeff == 0:
                continue
            monomial = f"u_{{{i + 1}}}^{{2}}" if i == j else f"u_{{{i + 1}}} u_{{{j + 1}}}"
            size = abs(coeff)
            factor = "" if size == 1 else tex_number(size) + " "
            sign = "-" if coeff < 0 else "+"
            if terms:
                terms.append(f"{sign} {factor}{monomial}")
            else:
                terms.append(("-" if coeff < 0 else "") + factor + monomial)
    return " ".join(terms) if terms else "0"


def problem2_html(variant: Variant) -> str:
    """Problem 2 (step sizes of gradient descent on u^T A u): the function and the question."""
    a = variant.problem2.A
    n = len(a)
    coords = ", ".join(f"u_{{{i + 1}}}" for i in range(n))
    parts = [
        para(
            "With a learning rate that is too large, gradient descent can diverge, even on a "
            "convex function. We use gradient descent to minimise"
        ),
        para(
            display(
                rf"f(\mathbf{{u}}) = \mathbf{{u}}^{{\top}} A \mathbf{{u}}, \qquad "
                rf"A = {tex_matrix(a)}, \qquad \mathbf{{u}} \in \mathbb{{R}}^{{{n}}}"
            )
        ),
    ]
    if n <= 4:
        parts.append(para("that is, ", inline(rf"f({coords}) = {tex_quadratic_form(a)}"), ","))
    parts.append(
        para(
            "with the update ",
            inline(r"\mathbf{u}^{(k+1)} = \mathbf{u}^{(k)} - \eta \nabla f(\mathbf{u}^{(k)})"),
            " and learning rate ",
            inline(r"\eta > 0"),
            ". For which values of ",
            inline(r"\eta"),
            " does gradient descent converge to a minimiser of ",
            inline("f"),
            " from every starting point?",
        )
    )
    return "".join(parts)


def problem3_html(variant: Variant) -> str:
    """Problem 3 (a convolutional architecture): input, target, kernels and the task."""
    p = variant.problem3
    height, width, channels = p.input
    t_height, t_width, t_channels = p.target
    kernels = ", ".join(tex_size(k, k) for k in p.kernel_sizes)
    return "".join(
        [
            para(
                "The input is an image of size ",
                inline(tex_size(height, width)),
                f" with {channels} channel{'s' if channels != 1 else ''}. Give a sequence of "
                "alternating convolutional and pooling layers that turns it into ",
                f"{t_channels} feature map{'s' if t_channels != 1 else ''} of size ",
                inline(tex_size(t_height, t_width)),
                ".",
            ),
            para(
                "For every convolutional layer, state the kernel size (for example ",
                inline(kernels),
                "), the number of input channels and the number of filters. All convolutions "
                "have stride one in both directions and no padding; all pooling layers are "
                "max-pooling layers with a ",
                inline(tex_size(2, 2)),
                " kernel and stride two in both directions. Give the size and number of the "
                "feature maps after every layer, and compute the total number of learnable "
                "parameters (weights and biases) of the network.",
            ),
        ]
    )


# --- the answers ----------------------------------------------------------------------------

# How a group of items is labelled when its entries are shown (or asked for) as one matrix.
GROUP_TEX: dict[str, str] = {
    "loss": "L",
    "y": r"\mathbf{y}",
    "dW1": r"\frac{\partial L}{\partial W^{(1)}}",
    "db1": r"\frac{\partial L}{\partial \mathbf{b}^{(1)}}",
    "dw2": r"\frac{\partial L}{\partial \mathbf{w}^{(2)}}",
    "db2": r"\frac{\partial L}{\partial b^{(2)}}",
}


@dataclass(frozen=True)
class AnswerGroup:
    """Items asked for (or shown) together: a label and the items in the matrix's shape."""

    label_tex: str
    rows: tuple[tuple[Item, ...], ...]

    @property
    def items(self) -> tuple[Item, ...]:
        """The items, row by row."""
        return tuple(item for row in self.rows for item in row)


def _shape(student: StudentKey, group: str, count: int) -> tuple[int, int]:
    if group == "dW1":
        w1 = student.variant.problem1.W1
        if len(w1) * len(w1[0]) == count:
            return len(w1), len(w1[0])
    return count, 1


def answer_groups(student: StudentKey, problem: int) -> list[AnswerGroup]:
    """The numeric items of a problem (those with a value), grouped as matrices in key order:
    dL/dW1 as h x d, vectors as columns; a group without a known label is one item each."""
    groups: dict[str, list[Item]] = {}
    for item in student.items:
        if item.problem == problem and item.kind == "number" and item.value is not None:
            groups.setdefault(item.group, []).append(item)
    result: list[AnswerGroup] = []
    for group, items in groups.items():
        if group not in GROUP_TEX:
            result.extend(AnswerGroup(item.tex, ((item,),)) for item in items)
            continue
        n_rows, n_cols = _shape(student, group, len(items))
        rows = tuple(tuple(items[r * n_cols : (r + 1) * n_cols]) for r in range(n_rows))
        result.append(AnswerGroup(GROUP_TEX[group], rows))
    return result


def value_tex(item: Item) -> tuple[str, bool]:
    """An item's value as TeX, and whether that is exact: the exact rational when it prints
    exactly in a few places, else the float to 6 significant digits."""
    if item.exact is not None:
        try:
            expr = parse_number(item.exact)
        except NumberError:
            expr = None
        if expr is not None and expr.is_Rational:
            value = Fraction(int(expr.p), int(expr.q))
            if is_exact(value):
                return fmt_number(value), True
    if isinstance(item.value, int):
        return str(item.value), True
    if item.value is None:
        return r"\text{none}", True
    return fmt_number(float(item.value)), False


def exact_tex(item: Item) -> str | None:
    """The exact value as TeX (sympy.latex of the parsed exact form), None if there is none."""
    if item.exact is None:
        return None
    try:
        return str(sym(sp.together(parse_number(item.exact))))
    except NumberError:
        return None


def _relation(exact: bool) -> str:
    return "=" if exact else r"\approx"


def group_tex(group: AnswerGroup) -> str:
    """label = value (or a matrix of values), with \\approx when a value is rounded."""
    cells = [[value_tex(item) for item in row] for row in group.rows]
    exact = all(ok for row in cells for _, ok in row)
    if len(cells) == 1 and len(cells[0]) == 1:
        body = cells[0][0][0]
    else:
        body = tex_matrix([[tex for tex, _ in row] for row in cells])
    return f"{group.label_tex} {_relation(exact)} {body}"


# The problems' names in both LMSs: Moodle's categories and Canvas's question groups.
PROBLEM_TITLES = {
    1: "Problem 1: gradients",
    2: "Problem 2: step sizes",
    3: "Problem 3: architecture",
}


def precision_text(items: Iterable[Item], subject: str = "every number") -> str:
    """What an answer must be within to count, in words (no value given away)."""
    phrases: list[str] = []
    for tolerance in dict.fromkeys(item.tolerance for item in items):
        phrases.extend(_tolerance_phrases(tolerance))
    unique = list(dict.fromkeys(phrases))
    if not unique:
        return f"Give {subject} exactly."
    return f"Give {subject} " + " or ".join(unique) + "."


def _tolerance_phrases(tolerance: Tolerance) -> list[str]:
    phrases = []
    if tolerance.digits > 0:
        phrases.append(f"rounded to at least {tolerance.digits} significant digits")
    if tolerance.relative > 0:
        phrases.append(f"within {tolerance.relative * 100:g} % of the exact value")
    if tolerance.absolute > 0:
        phrases.append(f"within {tolerance.absolute:g} of the exact value")
    return phrases


def _layers_html(design: str) -> str:
    """'conv5:16 pool conv5:32' as an ordered list of layers."""
    entries = []
    for token in design.split():
        kind, _, spec = token.partition(":")
        if kind.startswith("conv") and kind[4:].isdigit() and spec.isdigit():
            k = int(kind[4:])
            entries.append("convolution " + inline(tex_size(k, k)) + f", {int(spec)} filters")
        elif token == "pool":
            entries.append("max-pooling " + inline(tex_size(2, 2)) + ", stride 2")
        else:
            entries.append(esc(token))
    return "<ol>" + "".join(f"<li>{entry}</li>" for entry in entries) + "</ol>"


def design_rule_html() -> str:
    """The rule a grader applies to problem 3: any valid design, with its own count."""
    return para(
        "Any valid design counts, not only this one: alternating convolutions (stride one, no "
        "padding, each kernel fitting its input) and ",
        inline(tex_size(2, 2)),
        " max-poolings with stride two (on even sizes only), from the input to exactly the "
        "target size and number of feature maps. The total must be that design's own "
        "parameter count, the sum over its convolutions of ",
        inline(r"k^2 \cdot C_{\text{in}} \cdot C_{\text{out}} + C_{\text{out}}"),
        ".",
    )


def _problem1_feedback(student: StudentKey) -> str:
    parts = [para("The answers of this variant:")]
    parts.extend(para(display(group_tex(group) + ",")) for group in answer_groups(student, 1))
    return "".join(parts)


def _problem2_feedback(student: StudentKey) -> str:
    a = student.variant.problem2.A
    n = len(a)
    eigen = [item for item in student.items if item.problem == 2 and item.group == "lambda"]
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
    eigen_tex = []
    for item in eigen:
        exact = exact_tex(item)
        shown, ok = value_tex(item)
        if exact is not None and exact != shown:
            eigen_tex.append(f"{item.tex} = {exact} {_relation(ok)} {shown}")
        else:
            eigen_tex.append(f"{item.tex} {_relation(ok or exact is not None)} {shown}")
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
    eta = _eta_item(student)
    if eta is None or eta.value is None:
        lines.append(_no_bound_text(eigen))
        return "".join(lines)
    exact = exact_tex(eta)
    shown, ok = value_tex(eta)
    tex = r"0 < \eta < \eta_{\max} = \frac{1}{\lambda_{\max}}"
    if exact is not None and exact != shown:
        tex += f" = {exact} {_relation(ok)} {shown}"
    else:
        tex += f" {_relation(ok or exact is not None)} {shown}"
    lines.append(
        para(
            "Gradient descent converges from every starting point exactly for ",
            inline(tex),
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


def _eta_item(student: StudentKey) -> Item | None:
    for item in student.items:
        if item.problem == 2 and item.id == ETA_MAX:
            return item
    return None


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


def _problem3_feedback(student: StudentKey) -> str:
    design = next(
        (item for item in student.items if item.problem == 3 and item.kind == "design"), None
    )
    total = next(
        (item for item in student.items if item.problem == 3 and item.id == TOTAL_PARAMS),
        None,
    )
    parts = []
    if design is not None and design.exact:
        parts.append(para("A design that works:"))
        parts.append(_layers_html(design.exact))
    if total is not None and total.value is not None:
        parts.append(
            para(
                "Its total number of learnable parameters is ",
                inline(f"{int(total.value):,}".replace(",", "{,}")),
                ".",
            )
        )
    parts.append(design_rule_html())
    return "".join(parts)


def feedback_html(student: StudentKey, problem: int) -> str:
    """The final answers of one problem of one variant, as HTML (general feedback)."""
    if problem == 1:
        return _problem1_feedback(student)
    if problem == 2:
        return _problem2_feedback(student)
    if problem == 3:
        return _problem3_feedback(student)
    raise ValueError(f"there is no problem {problem}")
