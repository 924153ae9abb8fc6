"""How to answer: the sheet's section says the rules grade applies, from the same objects (the
tolerance marking applies, the convnet problem's DesignRules), and grade refuses a design that
breaks its variant's rules, naming the rule."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from fractions import Fraction

import pytest
from helpers import pdf_pages

from solgen.cli import main
from solgen.course.answerkey import StudentKey, items_of
from solgen.document.build import solve
from solgen.document.context import answering_context, how_to_answer
from solgen.document.results import results_dict
from solgen.document.variant import load_variant
from solgen.grading.policy import Policy, changed_rules
from solgen.problems import lmshtml
from solgen.problems.answering import (
    number_rule,
    pieces,
    plain,
    precision_text,
    rounding_example,
)
from solgen.problems.convnet.answers import design_params, grade
from solgen.problems.convnet.draw import draw
from solgen.problems.convnet.fields import parse
from solgen.problems.convnet.rules import DesignRules, rules_of
from solgen.problems.marking import grade_number
from solgen.problems.problem import Item, Tolerance, number_item

ALTERNATE = "(convolutions and poolings alternate, starting with a convolution)"


def _student(sets: tuple[str, ...] = ()) -> StudentKey:
    variant = load_variant(None, list(sets))
    results = results_dict(solve(variant))
    items = tuple(items_of(results, variant.assignment))
    return StudentKey("s1", "A Student", "s1", variant, items)


# --- the rule for numbers: printed and applied from one Tolerance ---------------------------------


def test_the_rule_for_numbers_is_worded_from_the_tolerance():
    assert rounding_example(Tolerance()) == ("0.00901", "0.009")
    assert rounding_example(Tolerance(digits=4)) == ("0.009012", "0.0090")
    assert rounding_example(Tolerance(digits=0)) is None
    assert plain(number_rule(Tolerance())) == (
        "Give every number rounded to at least 3 significant digits (0.00901, not 0.009), "
        "or exactly (1/6 or sqrt(2)/4)."
    )
    assert plain(number_rule(Tolerance(digits=0))) == "Give every number exactly."
    assert precision_text([Tolerance(digits=0, relative=0.01)]) == (
        "Give every number within 1 % of the exact value."
    )


def test_the_printed_example_is_graded_as_printed():
    """The sheet's 0.00901 is right and its 0.009 wrong, by the tolerance grade applies."""
    item = number_item("x", "x", "x", "x", None, 0.00901234)
    applied = Policy().apply([replace(item, problem=1)])[0]
    right, wrong = rounding_example(applied.tolerance)  # type: ignore[misc]
    assert grade_number(applied, right)[0] is True
    assert grade_number(applied, wrong) == (False, "x: 0.009 is wrong; expected 0.00901234")


def test_without_a_policy_grade_applies_the_tolerances_the_sheet_prints():
    student = _student()
    applied = Policy().apply(list(student.items), student.variant.assignment)
    assert [i.tolerance for i in applied] == [i.tolerance for i in student.items]
    assert changed_rules(Policy(), [student], "--policy p.toml") == []


def test_a_policy_that_changes_the_precision_is_said():
    student = _student()
    policy = Policy(tolerance=Tolerance(digits=4))
    assert changed_rules(policy, [student, student], "--policy p.toml") == [
        "--policy p.toml: the sheets say 'Give every number rounded to at least 3 significant "
        "digits (0.00901, not 0.009), or exactly (1/6 or sqrt(2)/4).', this policy grades by "
        "'Give every number rounded to at least 4 significant digits (0.009012, not 0.0090), "
        "or exactly (1/6 or sqrt(2)/4).': tell the class"
    ]


def test_a_policy_for_one_group_names_its_line():
    student = _student()
    policy = Policy(tolerances={"total_params": {"digits": 2}})
    assert changed_rules(policy, [student], "--policy p.toml") == [
        "--policy p.toml: the sheets say 'problem 3, total_params: a whole number, of your own "
        "design, exactly', this policy grades by 'problem 3, total_params: a whole number, of "
        "your own design, rounded to at least 2 significant digits': tell the class"
    ]


# --- the lines of the default sheet ---------------------------------------------------------------


def test_the_default_sheets_lines():
    student = _student()
    rule, lines = how_to_answer(student.variant, student.items)
    assert rule == number_rule(Tolerance())
    assert [(n, a.columns, plain(a.how)) for n, a in lines] == [
        (1, ("loss",), "the loss"),
        (1, ("y1", "y3"), "the output for sample k (row k of X)"),
        (1, ("dW1_11", "dW1_24"), "row j, column i (dW1_12 is row 1, column 2)"),
        (1, ("db1_1", "db1_2"), "entry j"),
        (1, ("dw2_1", "dw2_2"), "entry j"),
        (1, ("db2",), "the number"),
        (
            2,
            ("lambda1", "lambda2"),
            r"the eigenvalues of the symmetric S with f(\mathbf{u}) = \mathbf{u}^\top S "
            r"\mathbf{u}, smallest first, a repeated one as often as it repeats",
        ),
        (
            2,
            ("eta_max",),
            "the bound b, or the interval as (0, b) or 0 < eta < b; none if there is no such bound",
        ),
        (
            3,
            ("layers",),
            r"convk:F for a k \times k convolution with F filters, pool for a 2 \times 2 "
            "max-pooling, in order, such as conv3:16 pool conv3:32; convolutions and poolings "
            "alternate, starting with a convolution",
        ),
        (3, ("total_params",), "a whole number, of your own design, exactly"),
    ]


def test_a_wide_network_names_its_w1_example_as_its_ids_do():
    row = "[" + ",".join(["1"] * 11) + "]"
    sets = [f"problem1.X=[{row}]", "problem1.t=[1]", f"problem1.W1=[{row}]"]
    student = _student((*sets, "problem1.b1=[0]", "problem1.w2=[1]"))
    _, lines = how_to_answer(student.variant, student.items)
    assert "dW1_1_2 is row 1, column 2" in plain(lines[2][1].how)


def test_pieces_split_math_and_typed_text():
    assert pieces("a $k$ and `conv3:16` b") == [
        ("text", "a "),
        ("math", "k"),
        ("text", " and "),
        ("code", "conv3:16"),
        ("text", " b"),
    ]
    assert lmshtml.how_html("`0 < b` for $x<1$") == "<code>0 &lt; b</code> for \\(x&lt;1\\)"


def test_the_lms_precision_is_the_sheets_wording():
    items = [number_item("x", "x", "x", "x", None, 1.0)]
    assert lmshtml.precision_text(items, "it") == precision_text([Tolerance()], "it")


@pytest.mark.tex
def test_the_sheet_prints_the_rules_grade_applies(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is needed (make test installs it)")
    assert main(["build", "--out", str(tmp_path)]) == 0
    flat = re.sub(r"\s+", " ", "\f".join(pdf_pages(tmp_path / "assignment.pdf")))
    assert "How to answer" in flat
    assert plain(number_rule(Policy().tolerance)) in flat
    assert "dW1_12 is row 1, column 2" in flat
    assert "conv3:16 pool conv3:32" in flat
    # no handout, no answer form: a lone build (or a practice set) names none
    assert "answer-form.csv" not in flat
    assert "Each answer goes in its column of an answers file (one row per student" in flat
    assert "How to answer" not in "\f".join(pdf_pages(tmp_path / "solution.pdf"))


# --- the convnet problem's rules: its statement, its drawn variants, grade ------------------------


def _convnet(table: dict) -> object:
    errors: list[str] = []
    inp = parse(table, "problem3", errors)
    assert errors == []
    return inp


DEFAULT = {
    "input": [32, 32, 3],
    "target": [4, 4, 64],
    "kernel_sizes": [3, 5, 7],
    "layers": [
        {"conv": 5, "filters": 8},
        {"pool": 2},
        {"conv": 5, "filters": 32},
        {"pool": 2},
        {"conv": 2, "filters": 64},
    ],
}


def test_the_default_keeps_the_assignments_for_example_kernels():
    """Its key ends with a 2x2 convolution, as the assignment's own solution does: the kernel
    sizes are examples there ("e.g., 3x3, 5x5 or 7x7"), any that fits is allowed."""
    inp = _convnet(DEFAULT)
    assert rules_of(inp) == DesignRules(None, True)
    assert rules_of(inp).broken(inp.layers) is None


@pytest.mark.parametrize("seed", range(40))
def test_every_drawn_design_keeps_its_rules(seed):
    table = draw(seed)
    inp = _convnet(table)
    rules = rules_of(inp)
    assert rules == DesignRules(tuple(table["kernel_sizes"]), True)
    assert rules.broken(inp.layers) is None


def test_a_designed_variant_allows_its_kernels_only():
    table = {k: v for k, v in DEFAULT.items() if k != "layers"}
    inp = _convnet({**table, "kernel_sizes": [3, 5]})
    assert rules_of(inp) == DesignRules((3, 5), True)


def test_the_statement_says_the_rules():
    from solgen.document.render import environment
    from solgen.problems.convnet.lms import statement_context

    template = environment(None).get_template("convnet-statement.tex.j2")
    default = template.render(p=statement_context(_convnet(DEFAULT)))
    assert r"(for example $3 \times 3, 5 \times 5 \text{ or } 7 \times 7$)" in default
    assert "alternating convolutional and pooling layers, starting with a convolutional\nlayer" in (
        default
    )
    drawn = template.render(p=statement_context(_convnet(draw(3))))
    kernels = rules_of(_convnet(draw(3))).kernels
    assert kernels is not None
    listed = [rf"{k} \times {k}" for k in kernels]
    assert f"(${', '.join(listed[:-1])} \\text{{ or }} {listed[-1]}$, no other)" in drawn


def _item(kind: str) -> Item:
    if kind == "design":
        return Item(
            "layers", "layers", 3, "design", "layers", "", "conv5:8", None, Tolerance(), Fraction(1)
        )
    return Item(
        "total_params", "total_params", 3, "number", "total_params", "", "1", 1,
        Tolerance(digits=0), Fraction(1),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("table", "layers", "note"),
    [
        (
            DEFAULT,
            "conv3:8 conv3:8 pool conv5:32 pool conv2:64",
            "layers: not a valid design: layers[1] (conv 3x3, 8 filters): follows a "
            f"convolution {ALTERNATE}",
        ),
        (
            DEFAULT,
            "pool conv5:8 pool conv5:32 pool conv2:64",
            f"layers: not a valid design: layers[0] (pool 2x2): the first layer must be a "
            f"convolution {ALTERNATE}",
        ),
        (
            DEFAULT,
            "conv5:8 pool pool conv5:32 conv2:64",
            f"layers: not a valid design: layers[2] (pool 2x2): follows a pooling {ALTERNATE}",
        ),
        (
            {**DEFAULT, "kernel_sizes": [3, 5], "layers": [{"conv": 3, "filters": 64}]}
            | {"input": [6, 6, 1]},
            "conv7:64",
            "layers: not a valid design: layers[0] (conv 7x7, 64 filters): kernel 7x7 is not "
            "allowed; the kernels are 3x3 or 5x5",
        ),
    ],
)
def test_grade_refuses_a_design_that_breaks_a_rule(table, layers, note):
    inp = _convnet(table)
    cells = {"layers": layers, "total_params": "1"}
    assert grade(_item("design"), layers, cells, inp).note == note  # type: ignore[union-attr]
    assert grade(_item("design"), layers, cells, inp).right is False  # type: ignore[union-attr]
    count = grade(_item("number"), "1", cells, inp)
    assert count is not None and count.right is False
    assert count.note == "total_params: 1 cannot be right: the design is not valid"


def test_any_kernel_that_fits_is_allowed_where_the_sizes_are_examples():
    inp = _convnet(DEFAULT)
    design = "conv7:8 pool conv4:32 pool conv2:64"
    assert design_params(inp, design) == (
        7 * 7 * 3 * 8 + 8 + 4 * 4 * 8 * 32 + 32 + 2 * 2 * 32 * 64 + 64,
        "",
    )
    graded = grade(_item("design"), design, {"layers": design}, inp)
    assert graded is not None and graded.right is True


def test_a_drawn_variants_own_kernels_are_allowed():
    table = draw(3)
    inp = _convnet(table)
    key = " ".join(
        f"conv{layer['conv']}:{layer['filters']}" if "conv" in layer else "pool"
        for layer in table["layers"]
    )
    graded = grade(_item("design"), key, {"layers": key}, inp)
    assert graded is not None and graded.right is True


def test_a_layout_only_example_never_names_a_forbidden_kernel():
    assert DesignRules((5, 7), True).example() == "`conv5:16 pool conv5:32`"
    assert DesignRules(None, True).example() == "`conv3:16 pool conv3:32`"


def test_grade_says_where_its_policy_differs_from_the_sheets(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns1,One\n", encoding="utf-8")
    (tmp_path / "k").write_text("sgk1-" + "42" * 32 + "\n", encoding="ascii")
    out = tmp_path / "class"
    args = ["batch", "--roster", str(roster), "--key", str(tmp_path / "k"), "--out", str(out)]
    assert main([*args, "--no-pdf"]) == 0
    answers = tmp_path / "answers.csv"
    answers.write_text("id,loss\ns1,1\n", encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text("[tolerance]\ndigits = 4\n", encoding="utf-8")
    grade_args = ["grade", "--key", str(out), "--answers", str(answers)]
    capsys.readouterr()
    assert main([*grade_args, "-o", str(tmp_path / "g.csv"), "--policy", str(policy)]) == 0
    said = capsys.readouterr()
    assert (
        f"--policy {policy}: the sheets say 'Give every number rounded to at least 3 "
        "significant digits (0.00901, not 0.009), or exactly (1/6 or sqrt(2)/4).', this policy "
        "grades by 'Give every number rounded to at least 4 significant digits (0.009012, not "
        "0.0090), or exactly (1/6 or sqrt(2)/4).': tell the class"
    ) in said.out + said.err
    assert main([*grade_args, "-o", str(tmp_path / "h.csv")]) == 0
    assert "the sheets say" not in "".join(capsys.readouterr())


def test_a_problem_without_its_own_lines_gets_one_per_group():
    sets = ('assignment.problems=["descent","softmax"]', "assignment.points=[15,10]")
    student = _student(sets)
    _, lines = how_to_answer(student.variant, student.items)
    assert [(n, a.what, a.columns, a.how, a.run) for n, a in lines[2:]] == [
        (2, "L", ("ce_loss",), "a number", False),
        (
            2,
            r"\partial L/\partial z_{1}, \dots, \partial L/\partial z_{3}",
            ("dz_1", "dz_3"),
            "a number each, in the columns' order",
            True,
        ),
    ]


@pytest.mark.parametrize(("student_id", "named"), [("s01", True), ("", False)])
def test_only_a_roster_students_sheet_names_the_answer_form(student_id, named):
    """A roster student's handout holds answer-form.csv; a practice set's has none."""
    variant = load_variant()
    variant = replace(variant, meta=replace(variant.meta, student_id=student_id))
    context = answering_context(variant, solve(variant))
    assert context["form"] is named
