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
    data_blocks,
    fmt_alike,
    fmt_int,
    fmt_number,
    is_exact,
    plain_parentheses,
    sym,
    tex_escape,
    vector_blocks,
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
        # a long exact decimal rounded keeps its zeros too: it must not look exact
        (F(37560001, 10**8), "0.375600"),
        (F(2, 3) + 2, "2.66667"),
        (F(1000000), "1{,}000{,}000"),
        (10000, "10{,}000"),
        (9999, "9999"),
        (-15296, "-15{,}296"),
        (F(370370, 3), "123{,}457"),
        (F(-246913, 20), "-12{,}345.65"),
        (0.1 + 0.2, "0.3"),
        # a rounded transcendental keeps its significant zeros (it printed 0.70608)
        (mpmath.mpf("0.70608038558920600"), "0.706080"),
        (mpmath.mpf("123456.7"), "123{,}457"),
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


def test_fmt_int_groups_thousands_from_ten_thousand_without_math_spacing():
    assert fmt_int(15296) == "15{,}296"
    assert fmt_int(12078114) == "12{,}078{,}114"
    assert fmt_int(8256) == "8256"
    assert fmt_int(-10000) == "-10{,}000"
    assert fmt_int(608) == "608"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # all exact: each as short as it is
        ([F(1, 2), F(-3, 4), 0, 2], ["0.5", "-0.75", "0", "2"]),
        # one rounded entry: every entry to six significant digits, zeros kept; 0 stays 0
        (
            [F(3756, 10000), F(1, 7), 0, 2, F(-1, 8)],
            ["0.375600", "0.142857", "0", "2.00000", "-0.125000"],
        ),
        ([mpmath.mpf("0.70608038558920600"), F(1, 2)], ["0.706080", "0.500000"]),
        ([F(1, 3), F(1, 10**8)], ["0.333333", r"1.00000 \cdot 10^{-8}"]),
        ([F(1, 3), 123456], ["0.333333", "123{,}456"]),
    ],
)
def test_numbers_printed_together_share_one_precision(values, expected):
    assert fmt_alike(values) == expected


def test_a_matrix_prints_every_entry_alike_even_those_elided_decide():
    """0.3756 printed beside 0.0793419 read as two precisions; the hidden corner entry 1/3
    makes the shown ones rounded too, as in the appendix that lists them all."""
    rows = [[F(3756, 10000), F(793419, 10**7), 0], [F(1, 4), 1, F(1, 3)]]
    assert bmatrix(rows) == (
        "\\begin{bmatrix}\n0.375600 & 0.0793419 & 0 \\\\\n"
        "0.250000 & 1.00000 & 0.333333\n\\end{bmatrix}"
    )
    assert bmatrix(rows, max_cols=2).splitlines()[1] == r"0.375600 & \cdots \\"
    assert bmatrix([[F(1, 4), 1]]) == "\\begin{bmatrix}\n0.25 & 1\n\\end{bmatrix}"
    blocks = data_blocks("G", [[F(1, 4)] * 9, [F(1, 3)] + [0] * 8])
    assert [b["where"] for b in blocks] == ["rows 1--2, columns 1--8", "rows 1--2, column 9"]
    assert blocks[1]["matrix"] == "\\begin{bmatrix} 0.250000 \\\\ 0 \\end{bmatrix}"
    assert vector_blocks("t", [F(1, 2), F(2, 3)])[0]["sequence"] == (
        r"(0.500000,\allowbreak\ 0.666667)"
    )


def test_bmatrix_small_and_elided():
    assert bmatrix([[F(1, 2), F(-3, 4)], [F(1, 3), 0]]) == (
        "\\begin{bmatrix}\n0.500000 & -0.750000 \\\\\n0.333333 & 0\n\\end{bmatrix}"
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
        (sp.Integer(10000) * sp.Symbol("x"), r"10{,}000 x"),
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
