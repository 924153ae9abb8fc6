"""context.py: results -> template context; decisions made there are exact."""

from __future__ import annotations

import re

import pytest

from solgen.document.build import render_documents, solve
from solgen.document.variant import load_variant
from solgen.problems.descent.context import context as problem2_context


@pytest.mark.parametrize(
    ("A", "can_exceed", "high"),
    [
        ("[[5,2],[2,2]]", True, r"= \frac{1}{2}"),  # eigenvalues 1, 6: 6 > 2
        ("[[2,0],[0,3]]", False, r"= \frac{1}{4}"),  # 2, 3: 3 < 4
        ("[[3,1],[1,3]]", False, r"= \frac{1}{4}"),  # 2, 4: equal, 1/(2*2) = 1/4 = 1/lambda_max
        ("[[2,1],[1,3]]", True, r"= \frac{5 + \sqrt{5}}{20} \approx 0.361803"),  # 1/(5 - sqrt 5)
    ],
)
def test_whether_the_line_search_step_can_exceed_the_constant_bound(A, can_exceed, high):
    p2 = solve(load_variant(sets=[f"problem2.A={A}"])).result_of("problem2")
    context = problem2_context(p2)
    assert context["ls_can_exceed"] is can_exceed
    assert context["ls_high"] == high


def test_no_line_search_bounds_without_a_positive_definite_matrix():
    p2 = solve(load_variant(sets=["problem2.A=[[1,3],[3,1]]"])).result_of("problem2")
    context = problem2_context(p2)
    assert context["ls_can_exceed"] is False
    assert context["ls_high"] is None


def _p2(A: str) -> dict:
    return problem2_context(solve(load_variant(sets=[f"problem2.A={A}"])).result_of("problem2"))


def _solution(A: str) -> str:
    variant = load_variant(sets=[f"problem2.A={A}"])
    tex = render_documents(variant, solve(variant))["solution"]
    return tex.split("Problem 2. Gradient descent")[1].split("Problem 3.")[0]


def test_surds_read_as_a_reader_writes_them():
    context = _p2("[[3,1],[1,4]]")
    assert context["eigenvalues_list"] == (
        r"\lambda_{1} = \frac{7 - \sqrt{5}}{2}, \quad \lambda_{2} = \frac{7 + \sqrt{5}}{2}"
    )
    assert context["lambda_max_eq"] == r"= \frac{7 + \sqrt{5}}{2} \approx 4.61803"
    assert context["eta_max_eq"] == r"= \frac{7 - \sqrt{5}}{22} \approx 0.216542"  # 2/(7 + sqrt 5)
    assert context["eta_max_inline"] == r"(7 - \sqrt{5})/22 \approx 0.216542"
    assert context["optimal_rate_eq"] == r"= \frac{\sqrt{5}}{7} \approx 0.319438"
    three = _p2("[[2,-1,0],[-1,2,-1],[0,-1,2]]")
    assert three["eigenvalues_list"] == (
        r"\lambda_{1} = 2 - \sqrt{2}, \quad \lambda_{2} = 2, \quad \lambda_{3} = 2 + \sqrt{2}"
    )
    assert three["eta_max_eq"] == r"= \frac{2 - \sqrt{2}}{2} \approx 0.292893"


@pytest.mark.parametrize(
    ("A", "dim", "span", "values", "eta"),
    [
        ("[[1,2],[2,1]]", 1, "(1, 1)", r"\lambda = 3", "= 1/3"),
        ("[[1,0,0],[0,-2,0],[0,0,0]]", 2, "(0, 0, 1), (1, 0, 0)", r"\lambda = 0, 1", "= 1"),
        (
            "[[1,3],[3,-2]]",
            1,
            r"(\frac{1 + \sqrt{5}}{2}, 1)",
            r"\lambda = \frac{3 \sqrt{5} - 1}{2}",
            r"= (1 + 3 \sqrt{5})/22 \approx 0.350373",
        ),
        ("[[-1,0],[0,0]]", 1, "(0, 1)", r"\lambda = 0", None),
        ("[[-3]]", 0, None, None, None),
    ],
)
def test_the_starts_that_still_converge(A, dim, span, values, eta):
    context = _p2(A)
    assert context["stable_dim"] == dim
    assert context["stable_span"] == span
    assert context["stable_values"] == values
    assert context["stable_eta_eq"] == eta


def test_no_stable_set_is_named_without_a_negative_eigenvalue():
    for A in ("[[5,2],[2,2]]", "[[1,1],[1,1]]"):
        context = _p2(A)
        assert (context["stable_vectors"], context["stable_eta_eq"]) == (None, None)


def test_the_indefinite_solution_names_the_stable_line_and_draws_the_saddle():
    tex = _solution("[[1,2],[2,1]]")
    assert "minimises" not in tex.split(r"\begin{solution}")[0]  # the statement presumes nothing
    assert (
        "the line through $\\mathbf{0}$ along $(1, 1)$, the eigenvector of $\\lambda = 3$.\n"
        "From every such start, gradient descent converges exactly when\n"
        "$0 < \\eta < 1/\\lambda_{\\max} = 1/3$, to $\\mathbf{0}$"
    ) in tex
    figure = tex.split(r"\begin{figure}[htbp]")[1].split(r"\end{figure}")[0]
    assert (
        r"\addplot[black!25, line width=2.5pt] coordinates {(-2.145,-2.145) (2.145,2.145)};"
        in figure
    )
    assert r"coordinates {(-1,-1) (-0.5,-0.5) (-0.25,-0.25) (-0.125,-0.125)" in figure
    assert "mark=none] coordinates {(-1.374,1.374) (-1.43,1.43)};" in figure  # to the edge
    assert (
        "\\caption{Gradient descent on the indefinite $f$ with $\\eta = 0.25/\\lambda_{\\max}\n"
        "= 1/12$, every iterate marked." in figure
    )
    assert "multiplied by\n$1/2$ per step" in figure and "grows by the factor $7/6$" in figure
    assert "and $\\mathbf{u}_{18}$ lies outside the plot" in figure  # u_0 .. u_17 inside
    assert figure.count(r"\addplot[black!25, thin]") == 22  # 11 level sets, two branches each


def test_the_saddle_is_drawn_for_2x2_only():
    assert _p2("[[1,2],[2,1]]")["saddle"] is not None
    assert _p2("[[1,0,0],[0,-2,0],[0,0,3]]")["saddle"] is None
    assert r"\begin{figure}" not in _solution("[[1,0,0],[0,-2,0],[0,0,3]]")


@pytest.mark.parametrize(
    ("A", "constant", "rank", "q_max"),
    [
        ("[[1,1],[1,1]]", True, 1, "(1, 1)"),
        ("[[2,-2],[-2,2]]", True, 1, "(1, -1)"),
        ("[[1,0,0],[0,1,0],[0,0,0]]", True, 2, None),  # rank 2, one nonzero eigenvalue
        ("[[2,0],[0,2]]", True, 2, None),  # S = 2 I
        ("[[1,0,0],[0,0,0],[0,0,3]]", False, 2, None),
        ("[[5,2],[2,2]]", False, 2, None),
        ("[[1,2],[2,1]]", False, 2, None),  # no line search without a minimum
    ],
)
def test_when_the_line_search_step_is_constant(A, constant, rank, q_max):
    context = _p2(A)
    assert (context["ls_constant"], context["rank"], context["q_max"]) == (constant, rank, q_max)


def test_the_constant_line_search_step_is_explained():
    tex = _solution("[[1,1],[1,1]]")
    rank = "Here $S$ has rank one, and its only nonzero eigenvalue is $\\lambda_{\\max}$: its range"
    assert rank + " is\n" in tex
    assert "the line along $\\mathbf{q}_{\\max} \\parallel (1, 1)$." in tex
    assert "$\\eta_n = \\frac{1}{2\\lambda_{\\max}} = \\frac{1}{4}$ at every step" in tex
    assert "the projection of $\\mathbf{u}_0$ onto the null space of $S$." in tex
    identity = _solution("[[2,0],[0,2]]")
    assert "Here $S = \\lambda_{\\max} I$: every vector is an eigenvector" in identity
    assert "the minimiser $\\mathbf{0}$ in one step." in identity
    assert "The step is the same at every step" not in _solution("[[5,2],[2,2]]")


def test_the_zero_matrix_statement_reads_well():
    tex = _solution("[[0,0],[0,0]]")
    assert "f(\\mathbf{u}) = 0\\ \\text{for every } \\mathbf{u}," in tex
    assert "f\\bigl( x, y \\bigr) = 0" not in tex
    assert "f\\bigl( x, y \\bigr) = 5 x^{2}" in _solution("[[5,2],[2,2]]")


@pytest.mark.parametrize(
    ("A", "stable", "start"),
    [
        ("[[1,2],[2,1]]", ("=", "(-1, -1)"), ("=", "(0.9, 1.1)")),
        # the stable line along ((1 + sqrt 5)/2, 1): its start's y = (1 - sqrt 5)/2 is rounded
        ("[[1,3],[3,-2]]", (r"\approx", "(-1, -0.618034)"), (r"\approx", "(0.938197, 0.718034)")),
    ],
)
def test_the_saddle_starts_say_when_they_are_rounded(A, stable, start):
    saddle = _p2(A)["saddle"]
    assert (saddle["stable_start_rel"], saddle["stable_start"]) == stable
    assert (saddle["start_rel"], saddle["start"]) == start


def test_a_path_that_leaves_at_once_says_so():
    saddle = _p2("[[1,0],[0,-100]]")["saddle"]  # across the line the factor is 51
    assert saddle["escape_step"] == 1 and saddle["diverging"]["path"] == "(1,0.1)"
    assert saddle["exit"] == "(1,0.1) (0.88,1.3)"
    assert _p2("[[100,0],[0,-1]]")["saddle"]["exit"] is None  # 1.005 a step: stays inside


@pytest.mark.parametrize(
    ("point", "rel"),
    [((-1.0, -1.0), "="), ((-0.618033988749895, 1.0), "\\approx"), ((9.62743e-4, 0.5), "=")],
)
def test_a_start_is_marked_rounded_only_when_it_is(point, rel):
    """A start printed in e-notation (9.62743 \\cdot 10^{-4}) was parsed as a float: ValueError
    (found by test_fuzz with A = [[-3.3, -4.6], [2.97, 4.69]])."""
    from solgen.problems.descent.context import _start_rel

    assert _start_rel(point) == rel


def test_the_fuzzed_indefinite_matrix_builds(tmp_path):
    from solgen.cli import main

    A = "problem2.A=[[-3.3,-4.6],[2.97,4.69]]"
    assert main(["build", "--no-pdf", "--set", A, "--out", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    ("A", "inline", "caption"),
    [
        # an exact fraction stands alone: no decimal beside it (it read '1/4 = 0.25')
        ("[[2,0,0],[0,3,1],[0,1,3]]", "1/4", "0.95\\,\\eta_{\\max} = 19/80"),
        # a rational step whose decimal does not end: its fraction (19/120), not 0.158333
        ("[[5,2],[2,2]]", "1/6", "0.95\\,\\eta_{\\max} = 19/120"),
        ("[[1000,0],[0,1]]", None, "\\eta^\\ast = 1/1001"),
        ("[[2,1],[1,3]]", None, "0.95\\,\\eta_{\\max} = (95 - 19 \\sqrt{5})/200 \\approx 0.262574"),
        ("[[5,2],[2,2]]", None, "1.05\\,\\eta_{\\max} = 7/40"),
        ("[[2,1],[0,3]]", None, "\\eta^\\ast = 1/5"),
    ],
)
def test_approx_only_where_a_value_is_rounded(A, inline, caption):
    """The solution promises: a number after = is exact, after \\approx rounded; and a
    fraction is printed as one, never as a decimal beside it."""
    from solgen.document.build import render_documents, solve
    from solgen.document.variant import load_variant

    variant = load_variant(sets=[f"problem2.A={A}"])
    tex = render_documents(variant, solve(variant))["solution"]
    if inline is not None:
        assert f"strictly between $0$ and ${inline}$ works" in tex
    figure = tex.split("\\caption{The contraction factor")[1].split("\\label{fig:contraction}")[0]
    assert f"${caption}" in " ".join(figure.split())


@pytest.mark.parametrize(
    ("value", "text"), [(-1e-17, "0"), (1.2e-5, "0.000012"), (2.2, "2.2"), (10.5614, "10.56")]
)
def test_figure_coordinates_never_print_minus_zero(value, text):
    from solgen.markup.plotting import cm as _cm

    assert _cm(value) == text


# --- sentences that must be true for every variant kind (issue 21) ------------------------------


def _solution_tex(*sets: str) -> str:
    variant = load_variant(sets=list(sets))
    return render_documents(variant, solve(variant))["solution"]


def _statement_tex(*sets: str) -> str:
    variant = load_variant(sets=list(sets))
    return render_documents(variant, solve(variant))["assignment"]


@pytest.mark.parametrize("A", ["[[5,2],[2,2]]", "[[1000,0],[0,1]]", "[[193,0],[0,10]]"])
def test_the_optimal_step_is_the_best_guarantee_not_the_fastest(A):
    """With kappa above 19 the optimal step's path can trail 0.95 eta_max's: the text claims
    the best worst-case factor, which holds for every kappa."""
    tex = " ".join(_solution_tex(f"problem2.A={A}").split())
    assert "fastest" not in tex and "slowly" not in tex
    assert "The constant step with the best guarantee makes the largest factor" in tex
    assert "no constant step is fast when $\\kappa$ is large." in tex


@pytest.mark.parametrize(
    ("A", "qmin", "rate", "side"),
    [
        ("[[5,2],[2,2]]", "41/60", "5/7", "With $\\kappa < 19$ this step lies to the right"),
        ("[[1000,0],[0,1]]", "9981/10000", "999/1001", "With $\\kappa > 19$ it lies to the left"),
    ],
)
def test_the_steps_near_the_bound_are_described_by_their_exact_factors(A, qmin, rate, side):
    tex = " ".join(_solution_tex(f"problem2.A={A}").split())
    assert f"every coordinate shrinks at least by the factor ${rate}$ per step." in tex
    assert "a step multiplies the coordinate along $\\mathbf{q}_{\\max}$ by $-9/10$" in tex
    assert f"the one along $\\mathbf{{q}}_{{\\min}}$ by $1 - 1.9/\\kappa = {qmin}$." in tex
    assert side in tex
    assert "the coordinate along $\\mathbf{q}_{\\max}$ is multiplied by $-11/10$ at every" in tex


# After '=' (not '\approx'), optionally through \solgenfit{ and a bmatrix, a decimal with four or
# more places or a power of ten: a rounded number where the note promises an exact one.
ROUNDED_AFTER_EQUALS = re.compile(
    r"(?<![\\a-zA-Z<>!&])=\s*(?:\\solgenfit\[[0-9.]+\]\{)?\s*(?:\\begin\{bmatrix\}\s*)?"
    r"(?:\\bigl\(\s*)?(-?\d+\.\d{4,}|-?\d\.\d+ \\cdot 10)"
)


def test_the_rounded_after_equals_pattern_finds_what_it_looks_for():
    old = "+ b^{(2)}\\mathbf{1}\n    = \\solgenfit[0.75]{\\begin{bmatrix}\n-0.696258 & -0.58498"
    assert ROUNDED_AFTER_EQUALS.search(old)
    assert not ROUNDED_AFTER_EQUALS.search(old.replace("=", "\\approx"))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_a_smooth_network_prints_no_rounded_number_after_equals(activation):
    """'A number after = is exact': y = Hw + b, r = y - t and Delta printed rounded matrices
    after '='."""
    tex = _solution_tex(f"problem1.activation={activation}")
    found = [tex[m.start() - 60 : m.end()] for m in ROUNDED_AFTER_EQUALS.finditer(tex)]
    assert found == []
    assert "\\mathbf{y} - \\mathbf{t} \\approx \\begin{bmatrix}" in tex
    assert "\\circ f'(Z)\n    \\approx \\solgenfit[0.7]{" in tex


def test_a_large_network_does_not_promise_results_json_to_students():
    variant = load_variant(
        sets=[
            "problem1.X=" + str([[0.1 * ((i + j) % 7 - 3) for i in range(12)] for j in range(40)]),
            "problem1.t=" + str([0.1 * (k % 5) for k in range(40)]),
            "problem1.W1=" + str([[0.1 * ((i * j) % 9 - 4) for i in range(12)] for j in range(13)]),
            "problem1.b1=" + str([0.05] * 13),
            "problem1.w2=" + str([0.1 * (j % 3 - 1) for j in range(13)]),
        ]
    )
    tex = render_documents(variant, solve(variant))["solution"]
    assert "the appendix lists every entry of\n$\\partial L / \\partial W^{(1)}$." in tex
    assert "results.json" not in tex


def test_the_architecture_is_introduced_once_with_numbered_references():
    tex = _solution_tex()
    assert "Layer by layer:" not in tex
    assert (
        "Table~\\ref{tab:layers} derives every layer from the formulas above, and\n"
        "Figure~\\ref{fig:feature-maps} draws the feature maps." in tex
    )


def test_the_zero_matrix_converges_for_every_step():
    tex = _solution_tex("problem2.A=[[0,0],[0,0]]")
    assert "no meaningful bound" not in tex
    assert "\\boxed{\\,\\text{every } \\eta > 0\\,}" in tex


@pytest.mark.parametrize("A", ["[[1,2],[2,1]]", "[[-1,0],[0,-2]]"])
def test_without_a_bound_the_line_search_says_why_it_has_no_step(A):
    tex = _solution_tex(f"problem2.A={A}")
    assert "\\solgenstep{The exact line-search step}" in tex
    assert "That minimiser exists only when\n$\\mathbf{g}_n^\\top S\\mathbf{g}_n > 0$." in tex


def test_the_line_search_formula_names_its_coordinates():
    tex = _solution_tex()
    assert "where $\\mathbf{u}_n = (x, y)^{\\top}$." in tex


@pytest.mark.parametrize(
    ("A", "hedged"),
    [("[[5,2],[2,2]]", False), ("[[1,1],[1,1]]", True), ("[[1,2],[2,1]]", True)],
)
def test_the_statement_hedges_only_when_f_may_have_no_unique_minimiser(A, hedged):
    tex = _statement_tex(f"problem2.A={A}")
    assert ("(if $f$ has one)" in tex) is hedged
    assert ("the minimiser of $f$ from every starting point?" in tex) is not hedged


@pytest.mark.parametrize(
    ("A", "kappa", "bottom"),
    [
        ("[[5,2],[2,2]]", "= 6", "(0.8571,0.7143)"),
        ("[[1000,0],[0,1]]", "= 1000", "(0.999,0.998)"),
        ("[[2,1],[1,3]]", "= (3 + \\sqrt{5})/2 \\approx 2.61803", "(0.7236,0.4472)"),
    ],
)
def test_the_contraction_factor_is_plotted_with_its_exact_kinks(A, kappa, bottom):
    """rho(eta) = max_i |1 - 2 eta lambda_i| against eta / eta_max: 1 at 0, (kappa - 1) /
    (kappa + 1) at eta*, 1 at eta_max; true for every kappa, unlike a picture of paths."""
    rho = _p2(A)["contraction"]
    assert rho["bottom"] == bottom
    assert rho["rho"].startswith(f"(0,1) {bottom} (1,1) (1.25,")
    assert str(_p2(A)["kappa_eq"]).startswith(kappa)


@pytest.mark.parametrize("A", ["[[1,2],[2,1]]", "[[1,1],[1,1]]", "[[0,0],[0,0]]"])
def test_no_contraction_plot_without_a_positive_definite_matrix(A):
    assert _p2(A)["contraction"] is None


def test_a_zero_weight_draws_no_edge_and_the_caption_says_so():
    tex = _solution_tex("problem1.W1=[[0, 0.7, 0.9, -0.3], [0.4, 0.5, -1, 0.1]]")
    assert tex.count("\\draw[edge, line width=") == 7  # 8 weights, one of them 0
    assert "(dashed: negative; a weight $0$ draws no edge)" in tex
    assert "a weight $0$ draws no edge" not in _solution_tex()


def test_the_feature_map_figure_states_its_scales():
    assert (
        "A box's height is in proportion to\nthe map's height $H$, and its width grows by the same "
        "step each time the number of channels\ndoubles (a logarithmic scale)" in _solution_tex()
    )


def test_the_point_u_is_written_with_plain_parentheses():
    assert "$\\mathbf{u} = (x, y)^{\\top}$" in _statement_tex()


@pytest.mark.parametrize(
    ("sets", "reference"),
    [
        ((), "Table~\\ref{tab:samples} shows the same computation, one row per sample."),
        ((), "Figure~\\ref{fig:contraction} plots it, a V that holds the whole answer"),
        ((), "Figure~\\ref{fig:linesearch} draws the path from"),
        (("problem2.A=[[1,2],[2,1]]",), "Figure~\\ref{fig:saddle} shows both kinds of start"),
        (("problem3.kernel_sizes=[3,5]",), "Table~\\ref{tab:designs} shows it"),
    ],
)
def test_figures_and_tables_are_referred_to_by_number(sets, reference):
    tex = _solution_tex(*sets)
    assert reference in tex
    label = reference.split("\\ref{")[1].split("}")[0]
    assert tex.count(f"\\label{{{label}}}") == 1


def test_problem_3_gives_the_general_size_formula_and_where_the_parameters_are():
    tex = _solution_tex()
    assert (
        "H_{\\text{out}} = \\Bigl\\lfloor \\frac{H_{\\text{in}} - k + 2p}{s} \\Bigr\\rfloor + 1"
        in tex
    )
    assert (
        "The largest share sits in conv 3, the\n"
        "last convolution: $8256$ of the $15{,}296$ parameters, about $54\\%$." in tex
    )


def test_the_line_search_says_what_it_buys():
    tex = _solution_tex()
    assert "successive gradients are orthogonal and the path zig-zags at right angles" in tex
    assert (
        "f(\\mathbf{u}_{n+1}) \\le "
        "\\Bigl(\\frac{\\kappa - 1}{\\kappa + 1}\\Bigr)^2 f(\\mathbf{u}_n)," in tex
    )


def test_each_problem_collects_its_answers_in_one_box():
    tex = _solution_tex()
    answers = tex.split("\\begin{finalanswers}{Problem 1: final answers}")[1]
    answers = answers.split("\\end{finalanswers}")[0]
    for part in (
        "L = 1.0185",
        "\\frac{\\partial L}{\\partial b^{(2)}} = -2.04",
        "\\frac{\\partial L}{\\partial W^{(1)}} = ",
        "-0.2544 & -0.318 & 0.0318 & -0.0954",
        "\\frac{\\partial L}{\\partial \\mathbf{b}^{(1)}} = ",
        "\\frac{\\partial L}{\\partial \\mathbf{w}^{(2)}} = ",
    ):
        assert part in answers
    assert tex.count("\\begin{finalanswers}") == 3  # one box per problem
    assert tex.count("\\boxed{") == 1  # the range of eta, where its derivation ends
    assert "Learnable parameters: $608 + 6432 + 8256 = 15{,}296$.\n\\end{finalanswers}" in tex


def test_a_relu_unit_active_for_one_sample_is_read_back():
    """Row 1 of dL/dW1 is -0.262 x_3^T: a reader checks each entry with one multiplication."""
    tex = _solution_tex()
    assert (
        "Unit $1$ is active for sample $3$ only, so row $1$ of\n$\\partial L / \\partial W^{(1)}$ "
        "is one number times that sample, each entry one multiplication:\n\\[\n"
        "  \\solgenfit{\\delta_{31}\\,\\mathbf{x}_{3}^\\top\n"
        "  = -0.262 \\cdot (-0.5, 0.9, 0.2, -0.8) = (0.131, -0.2358, -0.0524, 0.2096).}" in tex
    )
    assert "Unit $2$ is active for sample $2$ only" in tex
    assert "is active for" not in _solution_tex("problem1.activation=tanh")


def test_a_relu_unit_active_for_no_sample_is_read_back_as_zero():
    tex = _solution_tex("problem1.b1=[0.1, -5]")
    assert "Unit $2$ is active for no sample, so row $2$ of" in tex


def test_part_b_frames_the_gradient_as_a_jacobian_with_its_graph():
    tex = _solution_tex()
    assert "so the gradient is the $1 \\times P$ Jacobian of $L$ with respect to\n$\\theta$." in tex
    assert "Figure~\\ref{fig:graph} shows the two directions on the computational graph." in tex
    assert tex.count("\\label{fig:graph}") == 1 and tex.count("\\label{tab:costs}") == 1


def test_the_step_range_is_one_statement_with_its_necessity():
    tex = _solution_tex()
    assert "\\emph{gradient descent converges from every $\\mathbf{u}_0$ if and only if" in tex
    assert "Necessity: start at\n$\\mathbf{u}_0 = \\mathbf{q}_{\\max}$" in tex


def test_the_designed_answer_says_it_is_minimal_under_its_rules():
    tex = _solution_tex("problem3.kernel_sizes=[3,5]")
    assert "row is the smallest design \\emph{under these rules}" in tex
    assert "\\emph{under these rules}" not in _solution_tex()  # a given design is compared


def test_the_checks_begin_with_one_a_reader_can_redo():
    """L(b2 +- h) = L +- h sum r + N h^2/2: 1.0185 -+ 0.204 + 0.015 = 0.8295 and 1.2375."""
    from solgen.problems.network.context import _hand_check

    check = _hand_check(solve(load_variant()).result_of("problem1"))
    assert (check["up"], check["down"], check["quotient"]) == ("0.8295", "1.2375", "-2.04")
    assert (check["up_rel"], check["quotient_rel"]) == ("=", "=")
    tex = _solution_tex()
    assert "\\solgenstep{Problem 1: one gradient by hand}\nMove $b^{(2)}$ by $h = 0.1$" in tex


@pytest.mark.parametrize(
    ("A", "text"),
    [
        # an integer bound read "1 = 1"
        ("[[1,0],[0,1]]", "strictly between $0$ and $1$ works"),
        # no closed form: the rate was named "1/lambda_max"
        (
            "[[2,1,0],[1,3,1],[0,1,5]]",
            "shrinks at least by the factor $(\\kappa - 1)/(\\kappa + 1) \\approx 0.615324$",
        ),
        (
            "[[2,1,0],[1,3,1],[0,1,5]]",
            "strictly between $0$ and $1/\\lambda_{\\max} \\approx 0.183133$",
        ),
    ],
)
def test_an_inline_value_names_itself_truly(A, text):
    assert text in " ".join(_solution_tex(f"problem2.A={A}").split())
