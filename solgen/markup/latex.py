"""TeX formatting: escaping, number formatting, matrices, the sympy.latex setup."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

from solgen.base.charset import settable
from solgen.base.decimals import exact_decimal, terminating_places

# Exact values with at most this many decimal places are printed exactly; others are rounded.
EXACT_PLACES = 6
# Rounded values keep this many significant digits.
SIGNIFICANT = 6


class Tex(str):
    """A string that already is TeX: never escaped again (PyLaTeX's NoEscape)."""

    __slots__ = ()


_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\textasciicircum{}",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "%": r"\%",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "[": "{[}",
    "]": "{]}",
    '"': r"\textquotedbl{}",
    "`": r"\textasciigrave{}",
    "\u2013": r"\textendash{}",
    "\u2014": r"\textemdash{}",
    "\u2018": "`",
    "\u2019": "'",
    "\u201c": "``",
    "\u201d": "''",
    "\u2026": r"\dots{}",
    "\u20ac": r"\texteuro{}",
}


# Pairs that T1 fonts join into one glyph: -- (en dash), '' (closing quote), ,, (low quote).
# Only a pair is broken up (a-{}-b), so that ordinary text stays ordinary in the .tex.
_LIGATURE_HALVES = frozenset("-',")


def tex_escape(text: Any) -> Tex:
    """Text from the variant as TeX that prints it literally; Tex values pass unchanged."""
    if isinstance(text, Tex):
        return text
    out: list[str] = []
    chars = unicodedata.normalize("NFC", str(text))
    for position, char in enumerate(chars):
        if char in _LIGATURE_HALVES:
            following = chars[position + 1 : position + 2]
            out.append(char + "{}" if following == char else char)
        elif char in _SPECIALS:
            out.append(_SPECIALS[char])
        elif char in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue  # control and format characters carry no visible text
        elif settable(char):
            out.append(char)
        else:
            out.append("?")
    return Tex("".join(out))


def is_exact(value: Any) -> bool:
    """Whether fmt_number prints this value exactly (not rounded)."""
    if isinstance(value, int):
        return True
    if isinstance(value, Fraction):
        places = terminating_places(value)
        return places is not None and places <= EXACT_PLACES
    return False


def _plain_decimal(text: str) -> str:
    """Strip trailing zeros of a fixed-point string and normalise -0."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# Integers from this size on have their thousands grouped (15{,}296), in text and formulas
# alike; shorter ones are read at a glance (8256), as in SI and most textbooks.
GROUP_FROM = 10_000


def _group_thousands(text: str) -> str:
    """A fixed-point number with its integer part grouped from GROUP_FROM on: 1000000.5 ->
    1{,}000{,}000.5 (the braces keep math mode from spacing the comma as punctuation)."""
    match = re.match(r"(-?)(\d+)(.*)", text, re.DOTALL)
    if match is None or int(match.group(2)) < GROUP_FROM:
        return text
    sign, digits, rest = match.groups()
    return sign + f"{int(digits):,}".replace(",", "{,}") + rest


def _rounded(value: Any, keep_zeros: bool) -> str:
    """value to SIGNIFICANT significant digits, in scientific form when tiny or huge; its
    trailing zeros kept when keep_zeros (they are significant: 0.375600, not 0.3756)."""
    import mpmath  # lazily, like SymPy (see _printer_class)

    number = (
        mpmath.mpf(value.numerator) / value.denominator
        if isinstance(value, Fraction)
        else mpmath.mpf(value)
    )
    if number == 0:
        return "0"
    text = mpmath.nstr(number, SIGNIFICANT, min_fixed=-4, max_fixed=7, strip_zeros=not keep_zeros)
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa if keep_zeros else _plain_decimal(mantissa)
        return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"
    text = text.rstrip(".") if keep_zeros else _plain_decimal(text)  # nstr writes 123457.
    return _group_thousands(text)


def fmt_number(value: Any) -> str:
    """The one number formatter: exact when short and exact, else SIGNIFICANT digits.

    A value rounded from an exact one (a long fraction, an mpmath sigmoid or tanh) keeps its
    trailing zeros, so that it never looks exact: 0.375600, 2.66667. A value shown exactly in
    scientific form keeps none (1 \\cdot 10^{-7}), nor does a float (its origin is unknown:
    0.1 + 0.2 prints 0.3). Integer parts from GROUP_FROM on are grouped.
    """
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if is_exact(value):
        return _group_thousands(exact_decimal(Fraction(value)))
    return _rounded(value, keep_zeros=not (isinstance(value, float) or _few_digits(value)))


def _few_digits(value: Any) -> bool:
    """Whether a fraction is a decimal of at most SIGNIFICANT significant digits (10^-7, 1.5
    10^-9), which the rounded form shows exactly without padding zeros."""
    if not isinstance(value, Fraction) or terminating_places(value) is None:
        return False
    places = terminating_places(value) or 0
    digits = str(abs(value.numerator * 10**places // value.denominator)).rstrip("0")
    return len(digits) <= SIGNIFICANT


def fmt_alike(values: Iterable[Any]) -> list[str]:
    """Numbers printed together (one matrix, one vector, one list) to one precision: each
    exactly when every one is exact (0.5, -0.75), else every one to SIGNIFICANT significant
    digits with its zeros (0.375600 beside 0.0793419, never 0.3756); an exact 0 stays 0."""
    values = list(values)
    if all(is_exact(v) for v in values):
        return [fmt_number(v) for v in values]
    return [_rounded(v, keep_zeros=True) for v in values]


def fmt_exact(value: Fraction | int) -> str:
    """An exact number in full, never rounded: a terminating decimal (0.1234567), else a
    fraction (\\frac{1}{3}); for data that must be shown whole (an LMS page)."""
    value = Fraction(value)
    if terminating_places(value) is None:
        sign, magnitude = "-" if value < 0 else "", abs(value)
        return rf"{sign}\frac{{{magnitude.numerator}}}{{{magnitude.denominator}}}"
    return exact_decimal(value)


def fmt_int(value: int) -> Tex:
    """An integer, its thousands grouped from GROUP_FROM on by a comma that math mode does not
    space: 15{,}296, 8256."""
    return Tex(_group_thousands(str(value)))


def num(value: Any) -> Tex:
    """A number as TeX math."""
    return Tex(fmt_number(value))


def approx_or_eq(values: Iterable[Any]) -> Tex:
    """'=' when every value prints exactly, '\\approx' otherwise."""
    return Tex("=" if all(is_exact(v) for v in values) else r"\approx")


def printed_grid(
    rows: Sequence[Sequence[Any]], number: Callable[[Any], str] | None = None
) -> list[list[str]]:
    """Every entry of a matrix as TeX: each written by `number`, or by default all alike
    (fmt_alike over the whole matrix, so that a part of it prints as the whole does)."""
    if number is not None:
        return [[number(v) for v in row] for row in rows]
    flat = fmt_alike(v for row in rows for v in row)
    width = len(rows[0]) if rows else 0
    return [flat[i * width : (i + 1) * width] for i in range(len(rows))]


def bmatrix(
    rows: Sequence[Sequence[Any]],
    max_rows: int = 12,
    max_cols: int = 10,
    number: Callable[[Any], str] | None = None,
) -> Tex:
    """A bmatrix of numbers (all alike, see fmt_alike, or each written by `number`), elided
    with dots in the middle when it would not fit the page."""
    return _bmatrix_of(printed_grid(rows, number), max_rows, max_cols)


def _bmatrix_of(grid: Sequence[Sequence[str]], max_rows: int, max_cols: int) -> Tex:
    """A bmatrix of entries already written as TeX, elided like bmatrix."""
    row_idx = _elided(len(grid), max_rows)
    col_idx = _elided(len(grid[0]), max_cols)
    lines = []
    for i in row_idx:
        if i is None:
            lines.append(" & ".join(r"\vdots" if j is not None else r"\ddots" for j in col_idx))
            continue
        cells = [grid[i][j] if j is not None else r"\cdots" for j in col_idx]
        lines.append(" & ".join(cells))
    if len(col_idx) == 1:  # a column vector reads best in the .tex on one line
        return Tex("\\begin{bmatrix} " + " \\\\ ".join(lines) + " \\end{bmatrix}")
    return Tex("\\begin{bmatrix}\n" + " \\\\\n".join(lines) + "\n\\end{bmatrix}")


def column(
    values: Sequence[Any], max_rows: int = 12, number: Callable[[Any], str] | None = None
) -> Tex:
    """A column vector of numbers."""
    return bmatrix([[v] for v in values], max_rows=max_rows, number=number)


DATA_ROWS = 24  # rows of one appendix block (a block never breaks across pages)
DATA_COLUMNS = 8  # columns of one appendix block (short decimals: fits the text width)


def data_blocks(name: str, rows: Sequence[Sequence[Any]]) -> list[dict[str, Tex | None]]:
    """Every entry of a matrix, in blocks of DATA_ROWS x DATA_COLUMNS, for an appendix.

    A block is {'where': 'rows 1--24, columns 1--8', 'matrix': TeX}; nothing is elided, and
    every block prints its entries as the whole matrix does (fmt_alike).
    """
    blocks = []
    grid = printed_grid(rows)
    height, width = len(rows), len(rows[0])
    for top in range(0, height, DATA_ROWS):
        for left in range(0, width, DATA_COLUMNS):
            bottom, right = min(top + DATA_ROWS, height), min(left + DATA_COLUMNS, width)
            part = [row[left:right] for row in grid[top:bottom]]
            where = f"rows {top + 1}--{bottom}"
            if width > 1:
                where += (
                    f", columns {left + 1}--{right}" if right > left + 1 else f", column {right}"
                )
            blocks.append(
                {
                    "name": Tex(name),
                    "where": Tex(where),
                    "matrix": _bmatrix_of(part, DATA_ROWS, DATA_COLUMNS),
                    "sequence": None,
                }
            )
    return blocks


def vector_blocks(name: str, values: Sequence[Any]) -> list[dict[str, Tex | None]]:
    """Every entry of a vector, for an appendix: one sequence that wraps like a line of text
    (a ragged bmatrix of 8 a row read as a matrix), its entries alike (fmt_alike)."""
    sequence = "(" + r",\allowbreak\ ".join(fmt_alike(values)) + ")"
    where = f"entries 1--{len(values)}"
    return [{"name": Tex(name), "where": Tex(where), "matrix": None, "sequence": Tex(sequence)}]


def elides(rows: int, columns: int = 1, max_rows: int = 12, max_cols: int = 10) -> bool:
    """Whether bmatrix would replace some entries of a matrix of this size by dots."""
    return rows > max_rows or columns > max_cols


def _elided(n: int, limit: int) -> list[int | None]:
    if n <= limit:
        return list(range(n))
    head = (limit - 1) // 2 + (limit - 1) % 2
    tail = limit - 1 - head
    return [*range(head), None, *range(n - tail, n)]


TALL_MATH = (r"\frac", r"\begin", r"\sum", r"\prod", r"\int", r"\left", r"\dfrac")


def plain_parentheses(tex: str) -> str:
    """\\left( \\right) only around something tall; (10 - 2\\sqrt{2}) / 23 with plain ones.

    sympy writes \\left( \\right) everywhere; in running text they make delimiters taller
    than the line. Pairs are matched innermost first, so an outer pair stays tall when an
    inner one is.
    """
    out = list(re.split(r"(\\left\(|\\right\))", tex))
    opened: list[int] = []
    for i, piece in enumerate(out):
        if piece == "\\left(":
            opened.append(i)
        elif piece == "\\right)" and opened:
            start = opened.pop()
            inside = "".join(out[start + 1 : i])
            if not any(tall in inside for tall in TALL_MATH):
                out[start], out[i] = "(", ")"
                out[i - 1] = out[i - 1].rstrip()  # sympy's "\\left(z \\right)"
    return _unbraced_arguments("".join(out))


# sympy writes \tanh{(z)}: the braces make (z) an ordinary atom, and TeX puts a thin space
# between an operator and an ordinary atom, "tanh (z)". Without them: \tanh(z).
_BRACED_ARGUMENT = re.compile(r"((?:\\[a-zA-Z]+|(?<![\\a-zA-Z])[a-zA-Z]'*)(?:\^\{[^{}]*\})?)\{\(")


def _unbraced_arguments(tex: str) -> str:
    """\\tanh{(z)} -> \\tanh(z), \\tanh^{2}{(z_{kj})} -> \\tanh^{2}(z_{kj})."""
    out, position = [], 0
    for match in _BRACED_ARGUMENT.finditer(tex):
        if match.start() < position:
            continue
        depth, end = 0, None
        for index in range(match.end() - 1, len(tex)):  # from the "("
            depth += {"(": 1, ")": -1}.get(tex[index], 0)
            if depth == 0:
                end = index
                break
        if end is None or tex[end + 1 : end + 2] != "}":
            continue
        out += [tex[position : match.start()], match.group(1), tex[match.end() - 1 : end + 1]]
        position = end + 2
    return "".join(out) + tex[position:]


def _grouped(value: int) -> str:
    """An integer in a formula, grouped like the text's (fmt_int)."""
    return str(fmt_int(value))


@functools.cache
def _printer_class() -> type:
    """sympy's LaTeX printer, subclassed on first use: importing SymPy is not free, and
    validating a variant or writing one needs no SymPy at all."""
    import sympy
    from sympy.printing.latex import LatexPrinter

    class _Printer(LatexPrinter):  # type: ignore[misc]
        """sympy's LaTeX printer with textbook transposes: W^{(1)\\top}, \\mathbf{r}^\\top."""

        def _print_Transpose(self, expr: Any) -> str:
            arg = expr.arg
            if isinstance(arg, sympy.MatrixSymbol):
                name = self._print(arg)
                match = re.fullmatch(r"(.*)\^\{(.*)\}", name)
                if match:
                    return f"{match.group(1)}^{{{match.group(2)}\\top}}"
                return f"{name}^{{\\top}}"
            return f"\\left({self._print(arg)}\\right)^{{\\top}}"

        def _print_MatAdd(self, expr: Any) -> str:
            # Keep the order the program wrote (X W^T + 1 b^T, y - t), built with evaluate=False.
            out = []
            for i, term in enumerate(expr.args):
                coeff, rest = term.as_coeff_mmul() if hasattr(term, "as_coeff_mmul") else (1, term)
                if coeff == -1:
                    out.append(("- " if i else "-") + self._print(rest))
                else:
                    out.append(("+ " if i else "") + self._print(term))
            return " ".join(out)

        def _print_MatMul(self, expr: Any) -> str:
            coeff, rest = expr.as_coeff_mmul()
            if coeff != 1 and isinstance(coeff, sympy.Rational):
                sign = "-" if coeff < 0 else ""
                return f"{sign}{self._print(abs(coeff))} {self._print(rest)}"
            return str(super()._print_MatMul(expr))

        def _print_Integer(self, expr: Any) -> str:
            """1{,}000{,}000 x^{2}: thousands grouped as in the text (fmt_int), from 10,000."""
            return _grouped(int(expr))

        def _print_Rational(self, expr: Any) -> str:
            if expr.q == 1:
                return _grouped(int(expr.p))
            sign = "- " if expr.p < 0 else ""
            p, q = _grouped(abs(int(expr.p))), _grouped(int(expr.q))
            if self._settings["fold_short_frac"]:
                return f"{sign}{p} / {q}"
            return rf"{sign}\frac{{{p}}}{{{q}}}"

        def _print_Heaviside(self, expr: Any, exp: Any = None) -> str:
            # Only the convention H(0) = 0 is used (ReLU'(0) = 0): an indicator of z > 0.
            if len(expr.args) != 2 or expr.args[1] != 0:
                raise ValueError(f"unexpected Heaviside convention: {expr}")
            text = rf"\mathbf{{1}}[{self._print(expr.args[0])} > 0]"
            return f"{text}^{{{exp}}}" if exp else text

        def _print_Function(self, expr: Any, exp: Any = None) -> str:
            name = expr.func.__name__
            if name in ("f", "f'", "\\sigma"):  # the activation by name: f(z), not \operatorname{f}
                args = ", ".join(self._print(a) for a in expr.args)
                text = f"{name}({args})"
                return f"{text}^{{{exp}}}" if exp else text
            return str(super()._print_Function(expr, exp))

    return _Printer


def sym(expr: Any, **settings: Any) -> Tex:
    """The one sympy.latex setup: every formula the program derived is printed here."""
    options = {"mul_symbol": None, "mat_str": "bmatrix", "mat_delim": ""}
    options.update(settings)
    return Tex(plain_parentheses(_printer_class()(options).doprint(expr)))
