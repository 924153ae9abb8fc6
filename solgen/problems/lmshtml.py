"""HTML with TeX for MathJax, and the XML element writer, shared by the LMS exports and by the
problems' LMS hooks (each problem's lms.py writes its questions' feedback with these pieces).

Moodle (export_moodle.py) and Canvas (export_qti.py) show a question as HTML in which TeX sits
between \\( \\) (inline) and \\[ \\] (display); MathJax renders it in the browser. So only plain
LaTeX that MathJax knows appears here (bmatrix, \\frac, \\mathbf, ^{\\top}, \\partial, \\sqrt, ...),
never a solgen macro of the PDF templates. Every piece of text that reaches the HTML goes
through html.escape, TeX included (`&` of a matrix, `<` of 0 < eta), and every tag is closed,
so that a page is well-formed XML when wrapped in one element. The statements themselves are
the problems' statement templates, converted by solgen.markup.texhtml.

Numbers of a variant's data are printed exactly (a terminating decimal, else a fraction): a
rounded input would change the answers. The answers in the feedback are the key's: exact when
short, else rounded to 6 significant digits (latex.fmt_number).

May import: the standard library, SymPy and solgen's base modules (problem, latex, numparse);
never a stage, never a problem.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction

import sympy as sp

from solgen.base.numparse import NumberError, parse_number
from solgen.markup.latex import fmt_exact, fmt_number, is_exact, sym
from solgen.problems import answering
from solgen.problems.problem import Item, Problem, Tolerance

Number = Fraction | int
AnswerGroup = Problem.AnswerGroup  # items shown (or asked for) together, as one matrix


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
    return fmt_exact(value)


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


# --- the answers ----------------------------------------------------------------------------


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


def relation(exact: bool) -> str:
    """'=' before an exact value, '\\approx' before a rounded one."""
    return "=" if exact else r"\approx"


def group_tex(group: AnswerGroup) -> str:
    """label = value (or a matrix of values), with \\approx when a value is rounded."""
    cells = [[value_tex(item) for item in row] for row in group.rows]
    exact = all(ok for row in cells for _, ok in row)
    if len(cells) == 1 and len(cells[0]) == 1:
        body = cells[0][0][0]
    else:
        body = tex_matrix([[tex for tex, _ in row] for row in cells])
    return f"{group.label_tex} {relation(exact)} {body}"


def precision_text(items: Iterable[Item], subject: str = "every number") -> str:
    """What an answer must be within to count, in words (no value given away): the sheet's
    wording (answering.precision_text) of these items' tolerances."""
    return answering.precision_text((item.tolerance for item in items), subject)


# --- blanks that compare text (Canvas's fill-in-multiple-blanks) ---------------------------

MAX_BLANK_NUMBERS = 50  # accepted numbers of one blank: a tolerance this wide is no blank's


def blank_digits(tolerance: Tolerance) -> int:
    """The significant digits a blank asks for: the tolerance's, else 3."""
    return tolerance.digits if tolerance.digits > 0 else 3


def blank_rule(items: Iterable[Item]) -> str:
    """How to write a number in a blank that compares text, in words."""
    digits = sorted({blank_digits(item.tolerance) for item in items})
    shown = " or ".join(str(d) for d in digits) or "3"
    return (
        f"Write every number as a plain decimal rounded to {shown} significant digits "
        "(such as 0.0123, -4.56 or 789), without an exponent: each blank compares the text."
    )


def blank_texts(item: Item) -> tuple[str, ...]:
    """Every text a blank accepts for the item: each number with exactly blank_digits
    significant digits within the item's tolerance, as written in full (0.500), without
    trailing zeros (0.5) and without the leading zero (.5)."""
    assert item.value is not None
    value = float(item.value)
    if value == 0:
        return _forms(Decimal(0).scaleb(1 - blank_digits(item.tolerance)))
    width = Decimal(item.tolerance.width(value))
    magnitude = abs(Decimal(value))
    numbers = _grid_numbers(magnitude - width, magnitude + width, blank_digits(item.tolerance))
    sign = "-" if value < 0 else ""
    texts: list[str] = []
    for number in numbers:
        texts.extend(sign + form for form in _forms(number))
    return tuple(dict.fromkeys(texts))


def _grid_numbers(low: Decimal, high: Decimal, digits: int) -> list[Decimal]:
    """The positive numbers of exactly `digits` significant digits in [low, high]."""
    low = max(low, Decimal(0))
    found: list[Decimal] = []
    first = low.adjusted() if low > 0 else high.adjusted()
    for exponent in range(first, high.adjusted() + 1):
        step = Decimal(1).scaleb(exponent - digits + 1)
        start = max(int((low / step).to_integral_value(ROUND_CEILING)), 10 ** (digits - 1))
        stop = min(int((high / step).to_integral_value(ROUND_FLOOR)), 10**digits - 1)
        found.extend(Decimal(n).scaleb(exponent - digits + 1) for n in range(start, stop + 1))
    if len(found) > MAX_BLANK_NUMBERS:
        raise ValueError(f"a tolerance of {len(found)} numbers is too wide for a blank")
    return found


def _forms(number: Decimal) -> tuple[str, ...]:
    full = format(number, "f")
    short = full.rstrip("0").rstrip(".") if "." in full else full
    forms = [full, short or "0"]
    forms.extend(form[1:] for form in (full, short) if form.startswith("0."))
    return tuple(dict.fromkeys(forms))


def how_html(how: str) -> str:
    """A line of "How to answer" (text with $math$ and `typed text`) as HTML: the sheet's
    words."""
    shown = {"math": inline, "code": lambda text: f"<code>{esc(text)}</code>", "text": esc}
    return "".join(shown[kind](text) for kind, text in answering.pieces(how))
