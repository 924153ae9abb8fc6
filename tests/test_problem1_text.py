"""Problem 1's worked solution as a reader meets it: every number after '=' exact, the gradient
rows read back unit by unit, a check to redo by hand, the final answers in one box, the
program's own checks in an appendix; each recomputed here in fractions from the inputs."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from solgen.course.generate import variant_text
from solgen.document.build import render_documents, solve
from solgen.document.variant import load_variant
from solgen.problems.network.fields import NetworkInput

F = Fraction
ACTIVATIONS = ("relu", "tanh", "sigmoid")
SHAPES = {
    "3x4x2": None,  # the default variant
    "2x1x1": {"samples": 2, "inputs": 1, "hidden": 1},
    "40x12x10": {"samples": 40, "inputs": 12, "hidden": 10},
}


def _variant(tmp_path: Path, shape: str, activation: str, *sets: str):
    options = SHAPES[shape]
    sets = (f'problem1.activation="{activation}"', *sets)
    if options is None:
        return load_variant(sets=list(sets))
    path = tmp_path / f"{shape}.toml"
    path.write_text(variant_text(3, options=options), encoding="utf-8")
    return load_variant(path, list(sets))


def _solution(variant) -> str:
    return render_documents(variant, solve(variant))["solution"]


# --- an independent recomputation of problem 1 in fractions (ReLU) -------------------------------


def _forward(inp: NetworkInput) -> dict[str, list]:
    """Z, H, y, r and Delta of a ReLU network, sample by sample, in fractions."""
    X, W1, b1, w2 = inp.X, inp.W1, inp.b1, inp.w2
    Z = [[sum((F(w) * F(x) for w, x in zip(row, xk, strict=True)), F(b)) for row, b in
          zip(W1, b1, strict=True)] for xk in X]  # fmt: skip
    H = [[max(z, F(0)) for z in zk] for zk in Z]
    y = [sum((F(w) * v for w, v in zip(w2, hk, strict=True)), F(inp.b2)) for hk in H]
    r = [yk - F(tk) for yk, tk in zip(y, inp.t, strict=True)]
    delta = [[rk * F(w) * (1 if z > 0 else 0) for w, z in zip(w2, zk, strict=True)]
             for rk, zk in zip(r, Z, strict=True)]  # fmt: skip
    return {"Z": Z, "H": H, "y": y, "r": r, "delta": delta}


def _exact_numbers(inp: NetworkInput) -> set[Fraction]:
    """Every rational the solution of problem 1 may print after '=': the inputs, and for ReLU
    every intermediate value, gradient, square and sum; for tanh and sigmoid only Z is rational
    (and 0). The check by hand's residuals, moved by 1/10, and its values are included."""
    values = {F(0), F(1, 10)}
    for row in (*inp.X, *inp.W1, inp.t, inp.b1, inp.w2, (inp.b2,)):
        values |= {F(v) for v in row}
    fw = _forward(inp)
    values |= {z for zk in fw["Z"] for z in zk}
    if inp.activation != "relu":
        return values
    r, delta, X = fw["r"], fw["delta"], inp.X
    values |= {v for name in ("H", "delta") for row in fw[name] for v in row}
    values |= set(fw["y"]) | set(r) | {rk * F(w) for rk in r for w in inp.w2}
    values |= {rk * rk for rk in r} | {sum(rk * rk for rk in r), sum(rk * rk for rk in r) / 2}
    h = len(inp.W1)
    for j in range(h):
        values.add(sum(dk[j] for dk in delta))
        values |= {sum(dk[j] * F(xk[i]) for dk, xk in zip(delta, X, strict=True))
                   for i in range(len(X[0]))}  # fmt: skip
    values |= {sum(fw["H"][k][j] * r[k] for k in range(len(r))) for j in range(h)}
    values.add(sum(r))
    for moved in ([rk + F(1, 10) for rk in r], [rk - F(1, 10) for rk in r]):
        values |= {v * v for v in moved} | set(moved) | {sum(v * v for v in moved) / 2}
    return values


# --- '=' before exact numbers only ---------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.{])(-?\d+\.\d+)(?: \\cdot 10\^\{(-?\d+)\})?")
RELATION = re.compile(r"\\approx|(?<![<>!\\])=")
MATH = re.compile(
    r"\$(.*?)\$|\\\[(.*?)\\\]|\\begin\{(align\*|gather\*)\}(.*?)\\end\{\3\}", re.DOTALL
)


def problem1_tex(tex: str) -> str:
    """Problem 1's solution and its check by hand, without TikZ options or \\solgenfit's
    fractions of a line (whose decimals are lengths, not numbers)."""
    part = tex[tex.index(r"\solgenheading{Problem 1.") : tex.index(r"\solgenheading{Problem 2.")]
    if r"\solgenheading{Checks}" in tex:
        checks = tex.split(r"\solgenheading{Checks}")[1]
        part += checks[: checks.index(r"\solgenheading{")]
    part = re.sub(
        r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}",
        lambda m: " ".join(re.findall(r"\$[^$]*\$", m.group(0))),
        part,
        flags=re.DOTALL,
    )
    return re.sub(r"\\solgenfit\[[0-9.]+\]|\\\\\[[^\]]*\]", "", part)


def numbers_after_equals(tex: str) -> list[Fraction]:
    """Every decimal in math that follows '=' (not '\\approx') with no relation between."""
    found = []
    for match in MATH.finditer(problem1_tex(tex)):
        math = next(g for g in (match.group(1), match.group(2), match.group(4)) if g is not None)
        tokens = [(m.start(), m.group(0), None) for m in RELATION.finditer(math)]
        tokens += [(m.start(), None, m) for m in NUMBER.finditer(math)]
        relation = None
        for _, rel, number in sorted(tokens, key=lambda t: t[0]):
            if rel is not None:
                relation = rel
            elif relation == "=":
                value = F(number.group(1))
                found.append(value * F(10) ** int(number.group(2) or 0))
    return found


def test_the_parser_finds_a_rounded_number_after_equals():
    """What tanh solutions printed: y = Hw + b 1 = [-0.696258 ...]."""
    old = (
        "\\solgenheading{Problem 1. N}\n\\begin{align*}\n  \\mathbf{y} &= H \\mathbf{w}^{(2)} "
        "= \\solgenfit[0.75]{\\begin{bmatrix} -0.696258 & -0.584980 \\end{bmatrix}}\n"
        "\\end{align*} $x \\approx 0.1 = 2.5 \\cdot 10^{-3}$\n\\solgenheading{Problem 2. D}"
    )
    assert numbers_after_equals(old) == [F("-0.696258"), F("-0.584980"), F("0.0025")]
    assert numbers_after_equals(old.replace("&=", "&\\approx").replace("} =", "} \\approx")) == [
        F("0.0025")
    ]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_number_after_equals_is_exact(tmp_path, shape, activation):
    """The note under the title: a number after = is exact, after \\approx rounded."""
    variant = _variant(tmp_path, shape, activation)
    tex = _solution(variant)
    found = numbers_after_equals(tex)
    assert len(found) >= 10  # the parser sees the numbers it is meant to judge
    exact = _exact_numbers(variant.input_of("problem1"))
    assert [str(v) for v in found if v not in exact] == []


# --- reading the numbers back ---------------------------------------------------------------------


def _tuple(text: str) -> list[Fraction]:
    return [F(v) for v in text.strip("()").split(", ")]


def test_a_unit_active_for_two_samples_is_read_back_as_their_sum():
    """b1 = (0, -0.5): unit 1 is on for samples 2 and 3, so row 1 of dL/dW1 is
    delta_21 x_2^T + delta_31 x_3^T and entry 1 of dL/db1 is delta_21 + delta_31."""
    variant = load_variant(sets=["problem1.b1=[0,-0.5]"])
    tex = _solution(variant)
    inp = variant.input_of("problem1")
    fw = _forward(inp)
    assert [k + 1 for k in range(3) if fw["Z"][k][0] > 0] == [2, 3]
    d2, d3 = fw["delta"][1][0], fw["delta"][2][0]
    assert (d2, d3) == (F("-0.1044"), F("-0.246"))
    row = [d2 * F(a) + d3 * F(b) for a, b in zip(inp.X[1], inp.X[2], strict=True)]
    assert row == _tuple("(0.03948, -0.3258, -0.03876, 0.16548)")
    assert (
        "Unit $1$ is active for samples $2$ and $3$, so row $1$ of\n"
        "$\\partial L / \\partial W^{(1)}$ adds those samples, each times its $\\delta_{k1}$, and\n"
        "entry $1$ of $\\partial L / \\partial \\mathbf{b}^{(1)}$ adds their $\\delta_{k1}$:\n"
        "\\begin{align*}\n"
        "  \\delta_{21}\\,\\mathbf{x}_{2}^\\top + \\delta_{31}\\,\\mathbf{x}_{3}^\\top\n"
        "    &= \\bigl( -0.1044 \\bigr) \\cdot (0.8, 1, -0.1, 0.3) \\\\*\n"
        "    &\\quad + \\bigl( -0.246 \\bigr) \\cdot (-0.5, 0.9, 0.2, -0.8) \\\\*\n"
        "    &= (0.03948, -0.3258, -0.03876, 0.16548), \\\\\n"
        "  \\delta_{21} + \\delta_{31}\n"
        "    &= \\bigl( -0.1044 \\bigr) + \\bigl( -0.246 \\bigr) = -0.3504.\n"
        "\\end{align*}" in tex
    )
    assert d2 + d3 == F("-0.3504")


@pytest.mark.parametrize("sets", [(), ("problem1.b1=[0,-0.5]",), ("problem1.b1=[0.1,-5]",)])
def test_every_row_read_back_is_the_recomputed_row(sets):
    """Each row shown as a sum over its unit's active samples equals sum_k delta_kj x_k^T,
    recomputed here; the rows of the gradient in the final answers agree."""
    variant = load_variant(sets=list(sets))
    tex = _solution(variant)
    inp = variant.input_of("problem1")
    fw = _forward(inp)
    paragraphs = [part.split("\n\n")[0] for part in tex.split("\nUnit $")[1:]]
    assert len(paragraphs) == 2  # both units of the default network, each read back
    for text in paragraphs:
        j = int(text[0]) - 1
        row = [sum(dk[j] * F(xk[i]) for dk, xk in zip(fw["delta"], inp.X, strict=True))
               for i in range(len(inp.X[0]))]  # fmt: skip
        if not any(z[j] > 0 for z in fw["Z"]):
            assert all(v == 0 for v in row) and "are $0$." in text
            continue
        rows = re.findall(r"= (\([-0-9., ]+\))[.,]", text)
        assert _tuple(rows[-1]) == row


def test_a_unit_active_for_every_sample_is_not_read_back():
    """b1 = (0.5, -0.5): unit 1 is on for all three samples; its row is Delta^T X over again."""
    tex = _solution(load_variant(sets=["problem1.b1=[0.5,-0.5]"]))
    assert "Unit $1$ is active" not in tex
    assert "Unit $2$ is active for sample $2$ only" in tex


def test_no_read_back_for_smooth_activations_or_wide_networks(tmp_path):
    assert "read back unit by unit" in _solution(load_variant())
    assert "read back unit by unit" not in _solution(_variant(tmp_path, "3x4x2", "tanh"))
    assert "read back unit by unit" not in _solution(_variant(tmp_path, "40x12x10", "relu"))


# --- the check by hand, and the program's checks in an appendix -----------------------------------


def test_the_check_by_hand_is_recomputed():
    """L(b2 + 1/10) and L(b2 - 1/10) from the residuals moved by 1/10, and their central
    difference, which is sum_k r_k = dL/db2 exactly."""
    inp = load_variant().input_of("problem1")
    r = _forward(inp)["r"]
    assert r == [F("-0.2"), F("-0.53"), F("-1.31")]
    up = sum((rk + F(1, 10)) ** 2 for rk in r) / 2
    down = sum((rk - F(1, 10)) ** 2 for rk in r) / 2
    assert (up, down) == (F("0.8295"), F("1.2375"))
    assert (up - down) / F(2, 10) == sum(r) == F("-2.04")
    tex = _solution(load_variant())
    assert (
        "\\solgenheading{Checks}\n\\solgenstep{Problem 1: one gradient by hand}\n"
        "Move $b^{(2)}$ by $h = 0.1$ both ways." in tex
    )
    assert (
        "  L(b^{(2)} + h) &= \\tfrac{1}{2} \\textstyle\\sum_k (r_k + h)^2\n"
        "    = \\tfrac{1}{2}\\bigl( (-0.1)^2 + (-0.43)^2 + (-1.21)^2 \\bigr) = 0.8295, \\\\\n"
        "  L(b^{(2)} - h) &= \\tfrac{1}{2} \\textstyle\\sum_k (r_k - h)^2\n"
        "    = \\tfrac{1}{2}\\bigl( (-0.3)^2 + (-0.63)^2 + (-1.41)^2 \\bigr) = 1.2375." in tex
    )
    assert "{2h} = -2.04\n\\]" in tex
    assert "with $N = 3$ samples" in tex


def test_a_smooth_check_by_hand_rounds_with_approx():
    tex = _solution(load_variant(sets=['problem1.activation="tanh"']))
    assert "\\textstyle\\sum_k (r_k + h)^2 \\approx 1.49811, \\\\" in tex
    assert "{2h} \\approx -2.94941\n\\]" in tex


@pytest.mark.parametrize("shape", ["3x4x2", "40x12x10"])
def test_the_checks_section_holds_no_machine_residual(tmp_path, shape):
    """The program's checks, with their errors, come after the data, as an appendix; the
    Checks section holds only what a reader redoes."""
    tex = _solution(_variant(tmp_path, shape, "sigmoid"))
    checks = tex.split("\\solgenheading{Checks}\n")[1]
    by_hand = checks[: checks.index("\\solgenheading")]
    program = checks.split("\\solgenheading{Appendix: the program's checks}\n")[1]
    assert "float64" not in by_hand and "10^{" not in by_hand and "\\item" not in by_hand
    assert program.startswith(
        "Before writing this solution the program checked it: each answer was recomputed from "
        "the\ninputs by another route and compared.\n\\begin{itemize}\n\\item $Z$, $f(Z)$"
    )
    assert tex.index("\\solgenheading{Checks}") < tex.index("\\solgenheading{Appendix")
    assert "results.json" not in tex  # a class's students get the PDF alone


# --- the final answers, part (b), idioms ----------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "loss"), [("relu", "= 1.0185"), ("tanh", "\\approx 1.77806")]
)
def test_the_final_answers_are_collected_in_one_box(activation, loss):
    tex = _solution(load_variant(sets=[f'problem1.activation="{activation}"']))
    problem1 = tex[: tex.index("\\solgenheading{Problem 2.")]
    assert problem1.count("\\begin{finalanswers}") == 1 and "\\boxed" not in problem1
    box = problem1.split("\\begin{finalanswers}{Problem 1: final answers}\n")[1]
    box = box[: box.index("\\end{finalanswers}")]
    assert f"\\solgenfit{{L {loss}, \\qquad" in box
    for name in ("b^{(2)}", "\\mathbf{b}^{(1)}", "\\mathbf{w}^{(2)}", "W^{(1)}"):
        assert f"\\frac{{\\partial L}}{{\\partial {name}}}" in box
    assert (
        "(b) Reverse mode: one sweep, $75$ multiplications with the forward pass.\n"
        "Forward mode: $P = 13$ sweeps, $618$ multiplications with\n"
        "dense tangents, $123$ with one-hot ones." in box
    )


def test_the_cost_table_is_five_rows():
    tex = _solution(load_variant())
    table = tex.split("\\begin{tabular}{@{}lrr@{}}")[1].split("\\end{tabular}")[0]
    rows = [line for line in table.splitlines() if line.endswith("\\\\")]
    assert len(rows) == 6  # the header and five rows
    assert (
        "  forward mode, dense: forward pass $+$ $P \\times ( N d h + 3 N h + N )$ & $618$ & "
        "$12{,}078{,}114$ \\\\" in rows
    )
    assert "about $8.2$ times reverse mode's" in tex


def test_idiomatic_english():
    tex = _solution(load_variant())
    assert "one sample a row" not in tex and "a row a sample" not in tex
    assert "Layer by layer:" not in tex
    assert "one row per sample" in tex


def test_three_units_split_the_sample_table_in_two_halves():
    """13 columns of six-digit numbers shrank to 7 pt: with three units the forward half
    (z, f(z), y) and the backward half (t, r, delta) stand one above the other."""
    path = Path(__file__).resolve().parent.parent / "examples" / "class-variant.toml"
    tex = _solution(load_variant(path))
    table = tex.split("\\label{tab:samples}")[0].rsplit("\\begin{table}", 1)[1]
    assert table.count("\\begin{tabular}") == 2 and "\\solgenfitbox" not in table
    assert "forward from $z_{kj}$ to $y_k$ (above), and\nback from $r_k$" in table
    assert (
        "  $k$ & \\multicolumn{1}{c}{$t_k$} & \\multicolumn{1}{c}{$r_k$} & "
        "\\multicolumn{1}{c}{$\\delta_{k1}$} & \\multicolumn{1}{c}{$\\delta_{k2}$} & "
        "\\multicolumn{1}{c}{$\\delta_{k3}$} \\\\" in table
    )
    default = _solution(load_variant()).split("\\label{tab:samples}")[0].rsplit("\\begin{table}")[1]
    assert default.count("\\begin{tabular}") == 1


def _loss(inp: NetworkInput) -> float:
    """L recomputed at 30 digits (exact for ReLU), from the inputs alone."""
    import mpmath

    def mp(value) -> mpmath.mpf:
        return mpmath.mpf(F(value).numerator) / F(value).denominator

    f = {
        "relu": lambda z: max(z, 0),
        "tanh": mpmath.tanh,
        "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    }
    with mpmath.workdps(30):
        total = mpmath.mpf(0)
        for xk, tk in zip(inp.X, inp.t, strict=True):
            z = [sum(mp(w) * mp(x) for w, x in zip(row, xk, strict=True)) + mp(b)
                 for row, b in zip(inp.W1, inp.b1, strict=True)]  # fmt: skip
            y = sum(mp(w) * f[inp.activation](v) for w, v in zip(inp.w2, z, strict=True))
            total += (y + mp(inp.b2) - mp(tk)) ** 2 / 2
        return float(total)


@pytest.mark.parametrize(
    ("shape", "activation", "loss", "quotient"),
    [
        ("3x4x2", "relu", "L = 1.0185", "= -2.04"),
        ("3x4x2", "tanh", "L \\approx 1.77806", "\\approx -2.94941"),
        ("3x4x2", "sigmoid", "L \\approx 0.706080", "\\approx -1.42233"),
        ("2x1x1", "relu", "L = 3.461032", "= -3.708"),
        ("2x1x1", "tanh", "L \\approx 3.39469", None),
        ("2x1x1", "sigmoid", "L \\approx 3.81131", None),
        ("40x12x10", "relu", "L \\approx 64.7218", "= 46.557"),
        ("40x12x10", "tanh", "L \\approx 23.7809", None),
        ("40x12x10", "sigmoid", "L \\approx 36.9608", None),
    ],
)
def test_the_loss_and_the_check_by_hand_per_activation_and_shape(
    tmp_path, shape, activation, loss, quotient
):
    variant = _variant(tmp_path, shape, activation)
    tex = _solution(variant)
    box = tex.split("\\begin{finalanswers}{Problem 1: final answers}")[1]
    assert box.split("\\end{finalanswers}")[0].count(f"\\solgenfit{{{loss}, \\qquad") == 1
    value = loss.split()[-1]
    if loss.startswith("L = "):  # exact: the value itself
        assert F(value) == sum(rk * rk for rk in _forward(variant.input_of("problem1"))["r"]) / 2
    else:  # rounded to 6 significant digits
        assert float(value) == float(f"{_loss(variant.input_of('problem1')):.6g}")
    if quotient is not None:
        assert f"{{2h}} {quotient}\n\\]" in tex
        inp = variant.input_of("problem1")
        if activation == "relu":
            assert F(quotient.split()[-1]) == sum(_forward(inp)["r"])
