"""latex.py: escaping, number formatting, matrices, the sympy.latex setup (one string a case)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp

from solgen.base.charset import unsettable_characters
from solgen.markup.latex import (
    Tex,
    approx_or_eq,
    bmatrix,
    column,
    fmt_int,
    fmt_number,
    is_exact,
    plain_parentheses,
    sym,
    tex_escape,
)

F = Fraction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("100% & $5 #1", r"100\% \& \$5 \#1"),
        ("a_b^c~d", r"a\_b\textasciicircum{}c\textasciitilde{}d"),
        (r"\input{/etc/hostname}", r"\textbackslash{}input\{/etc/hostname\}"),
        ("^^5cinput", r"\textasciicircum{}\textasciicircum{}5cinput"),
        ("<a|b>", r"\textless{}a\textbar{}b\textgreater{}"),
        ('[x] "q"', r"{[}x{]} \textquotedbl{}q\textquotedbl{}"),
        ("a--b", "a-{}-b"),  # only the pair that would make a dash is broken up
        ("a---b", "a-{}-{}-b"),
        ("Smith,, J.", "Smith,{}, J."),
        ("it''s", "it'{}'s"),
        ("José Núñez-Ødegård", "José Núñez-Ødegård"),  # ordinary text stays ordinary
        ("November 21, 2024", "November 21, 2024"),
        ("O'Brien, Chloë", "O'Brien, Chloë"),
        ("tab\tnew\nline", "tab new line"),
        ("bell\x07zero\u200bwidth", "bellzerowidth"),
        ("em—dash “quoted”", r"em\textemdash{}dash ``quoted''"),
        ("漢字", "??"),
    ],
)
def test_tex_escape(text, expected):
    assert tex_escape(text) == expected
    assert isinstance(tex_escape(text), Tex)


def test_every_character_tex_escape_writes_as_a_command_counts_as_settable():
    """charset's rule (what validation accepts) and tex_escape's table agree."""
    from solgen.base.charset import settable
    from solgen.markup.latex import _SPECIALS

    assert all(settable(char) for char in _SPECIALS)
    assert unsettable_characters("".join(_SPECIALS)) == []


def test_tex_escape_never_escapes_twice():
    once = tex_escape("50% off")
    assert tex_escape(once) == once == r"50\% off"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (F(2037, 2000), "1.0185"),
        (F(-51, 100), "-0.51"),
        (F(-2, 1), "-2"),
        (F(0), "0"),
        (7, "7"),
        (F(1, 6), "0.166667"),
        (F(-2, 3), "-0.666667"),
        (F(1, 10**6), "0.000001"),
        (F(1, 10**7), r"1 \cdot 10^{-7}"),
        (F(123456789, 7), r"1.76367 \cdot 10^{7}"),
        (0.1 + 0.2, "0.3"),
        # a rounded transcendental keeps its significant zeros (it printed 0.70608)
        (mpmath.mpf("0.70608038558920600"), "0.706080"),
        (mpmath.mpf("123456.7"), "123457"),
        (mpmath.mpf("1.5e-52"), r"1.50000 \cdot 10^{-52}"),
        (-1.5, "-1.5"),
    ],
)
def test_fmt_number(value, expected):
    assert fmt_number(value) == expected


@pytest.mark.parametrize(
    ("value", "exact"),
    [(F(1, 8), True), (F(1, 3), False), (F(1, 2**7), False), (3, True), (0.5, False)],
)
def test_is_exact(value, exact):
    assert is_exact(value) is exact


def test_approx_or_eq():
    assert approx_or_eq([F(1, 2), F(3, 4)]) == "="
    assert approx_or_eq([F(1, 2), F(1, 3)]) == r"\approx"


def test_fmt_int_groups_thousands_without_math_spacing():
    assert fmt_int(15296) == "15{,}296"
    assert fmt_int(12078114) == "12{,}078{,}114"
    assert fmt_int(608) == "608"


def test_bmatrix_small_and_elided():
    assert bmatrix([[F(1, 2), F(-3, 4)], [F(1, 3), 0]]) == (
        "\\begin{bmatrix}\n0.5 & -0.75 \\\\\n0.333333 & 0\n\\end{bmatrix}"
    )
    big = bmatrix([[i * 100 + j for j in range(20)] for i in range(30)], max_rows=5, max_cols=5)
    lines = big.splitlines()[1:-1]
    assert len(lines) == 5
    assert lines[0] == r"0 & 1 & \cdots & 18 & 19 \\"
    assert lines[2] == r"\vdots & \vdots & \ddots & \vdots & \vdots \\"
    assert lines[-1] == r"2900 & 2901 & \cdots & 2918 & 2919"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (sp.MatrixSymbol("W^{(1)}", 2, 3).T, r"W^{(1)\top}"),
        (sp.MatrixSymbol(r"\mathbf{r}", 3, 1).T, r"\mathbf{r}^{\top}"),
        (sp.Heaviside(sp.Symbol("z"), 0), r"\mathbf{1}[z > 0]"),
        (sp.Function("f'")(sp.Symbol("z")), "f'(z)"),
        (sp.Symbol("lambda") ** 2 - 7 * sp.Symbol("lambda") + 6, r"\lambda^{2} - 7 \lambda + 6"),
        (sp.Matrix([[5, 2], [2, 2]]), r"\begin{bmatrix}5 & 2\\2 & 2\end{bmatrix}"),
        (
            sp.MatAdd(sp.MatrixSymbol("y", 3, 1), -sp.MatrixSymbol("t", 3, 1), evaluate=False),
            "y - t",
        ),
        (sp.MatrixSymbol("r", 3, 1).T * sp.MatrixSymbol("r", 3, 1) / 2, r"\frac{1}{2} r^{\top} r"),
    ],
)
def test_sym(expr, expected):
    assert sym(expr) == expected


def test_sym_refuses_other_heaviside_conventions():
    with pytest.raises(ValueError, match="Heaviside convention"):
        sym(sp.Heaviside(sp.Symbol("z")))


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"\left(10 - 2 \sqrt{2}\right) / 23", r"(10 - 2 \sqrt{2}) / 23"),
        (r"\tanh{\left(z \right)}", r"\tanh(z)"),
        (r"1 - \tanh^{2}{\left(z_{kj} \right)}", r"1 - \tanh^{2}(z_{kj})"),
        (r"\tanh{\left(\frac{1}{2} \right)}", r"\tanh{\left(\frac{1}{2} \right)}"),
        (r"f{\left(z \right)} + \max{\left(0, z \right)}", r"f(z) + \max(0, z)"),
        (r"\left(\frac{1}{2}\right)", r"\left(\frac{1}{2}\right)"),
        (r"\left(a \left(b\right)\right)", r"(a (b))"),
        (r"\left(x \left(\frac{1}{2}\right)\right)", r"\left(x \left(\frac{1}{2}\right)\right)"),
        (r"\left(\begin{matrix}1\end{matrix}\right)", r"\left(\begin{matrix}1\end{matrix}\right)"),
    ],
)
def test_parentheses_grow_only_around_tall_math(tex, expected):
    assert plain_parentheses(tex) == expected


def test_a_column_vector_is_one_line_of_tex():
    assert column([1, Fraction(-1, 2)]) == "\\begin{bmatrix} 1 \\\\ -0.5 \\end{bmatrix}"


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (1000000 * sp.Symbol("x") ** 2 - 2 * sp.Symbol("x"), r"1{,}000{,}000 x^{2} - 2 x"),
        (sp.Integer(9999), "9999"),
        (sp.Integer(-15296), r"-15{,}296"),
        (sp.Rational(-1, 1000000), r"- \frac{1}{1{,}000{,}000}"),
        (sp.Rational(3, 7), r"\frac{3}{7}"),
        (
            sp.Matrix([[1000000, 0], [0, 1]]),
            r"\begin{bmatrix}1{,}000{,}000 & 0\\0 & 1\end{bmatrix}",
        ),
    ],
)
def test_large_integers_in_formulas_are_grouped_like_the_text(expr, expected):
    assert sym(expr) == expected
