"""The problem as solgen's stages see it: the registry, results.json, the items, the checks
and the class hooks."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from solgen_softmax import PROBLEM, Softmax
from solgen_softmax.solve import SoftmaxResult

from solgen.problems import registry
from solgen.problems.problem import Check, Item, Problem, Tolerance

# The ids of solgen's own problems (answers.csv columns) that no other problem may take.
BUILTIN_IDS = {"loss", "db2", "eta_max", "eta_max_exact", "layers", "total_params"}
BUILTIN_PREFIXES = ("y", "dW1_", "db1_", "dw2_", "lambda")


def test_the_declaration() -> None:
    assert isinstance(PROBLEM, Problem) and isinstance(PROBLEM, Softmax)
    assert (PROBLEM.name, PROBLEM.title, PROBLEM.points) == ("softmax", "Softmax cross-entropy", 10)
    assert PROBLEM.package == "solgen_softmax"
    assert PROBLEM.fields == ("W", "b", "x", "label")
    assert dict(PROBLEM.groups) == {"ce_loss": Fraction(4), "dz": Fraction(6)}
    assert sum(PROBLEM.groups.values()) == PROBLEM.points
    assert set(PROBLEM.distinct_fields) <= set(PROBLEM.fields)
    files = resources.files(PROBLEM.package)
    for template in PROBLEM.templates.values():
        assert files.joinpath(template).is_file()
    assert set(PROBLEM.templates) == {"problem", "key", "statement"}
    assert set(PROBLEM.default()) == set(PROBLEM.fields)


def test_the_registry_finds_it(registered: None) -> None:
    assert registry.problem("softmax") is PROBLEM
    placed = list(registry.assignment_of({"problems": ["softmax"], "points": [12]}))
    assert [(p.number, p.problem, p.points, p.section) for p in placed] == [
        (1, PROBLEM, 12, "problem1")
    ]
    assert "softmax" in registry.registered()


def test_an_assignment_of_four_lists_it(registered: None) -> None:
    table = {"problems": ["network", "descent", "convnet", "softmax"], "points": [20, 15, 15, 10]}
    assignment = registry.assignment_of(table)
    assert assignment.names[3] == "softmax" and assignment.points == (20, 15, 15, 10)


def test_results_json_section(default_result: SoftmaxResult) -> None:
    section = PROBLEM.results(default_result)
    assert json.loads(json.dumps(section, allow_nan=False)) == section
    assert set(section) == {"probabilities", "loss", "grad", "exact", "label", "shape"}
    assert section["label"] == 2 and section["shape"] == {"C": 3, "d": 2}
    assert section["loss"] == 1.4618524505311192
    assert section["probabilities"] == [
        0.42237892110127173,
        0.23180646674121863,
        0.3458146121575097,
    ]
    assert section["grad"]["z"] == [0.42237892110127173, -0.7681935332587814, 0.3458146121575097]
    assert section["grad"]["b"] == section["grad"]["z"]
    assert section["grad"]["W"] == [
        [0.42237892110127173, 0.21118946055063587],
        [-0.7681935332587814, -0.3840967666293907],
        [0.3458146121575097, 0.17290730607875485],
    ]
    assert set(section["exact"]) == {"logits", "probabilities", "loss", "grad"}


def test_items(default_result: SoftmaxResult) -> None:
    section = PROBLEM.results(default_result)
    items = PROBLEM.items(section)
    assert [i.id for i in items] == ["ce_loss", "dz_1", "dz_2", "dz_3"]
    assert [i.group for i in items] == ["ce_loss", "dz", "dz", "dz"]
    assert items[0] == Item(
        "ce_loss",
        "ce_loss",
        0,
        "number",
        "L (cross-entropy)",
        "L",
        "1/10 + log(exp(-1/10) + exp(3/10) + exp(1/2))",
        1.4618524505311192,
        Tolerance(),
        Fraction(0),
    )
    assert (items[2].label, items[2].tex, items[2].value) == (
        "dL/dz[2]",
        r"\partial L/\partial z_{2}",
        -0.7681935332587814,
    )
    assert {i.group for i in items} == set(PROBLEM.groups)
    assert PROBLEM.answer_cells(section) == {i.id: i.value for i in items}


def test_no_id_clashes_with_solgens_own() -> None:
    ten = PROBLEM.solve(
        PROBLEM.parse(PROBLEM.draw(0, "problem4", {"classes": 10}), "problem4", [])  # type: ignore[arg-type]
    )
    for item in PROBLEM.items(PROBLEM.results(ten)):
        assert item.id not in BUILTIN_IDS
        assert not item.id.startswith(BUILTIN_PREFIXES)


def test_key_context(default_result: SoftmaxResult) -> None:
    key = PROBLEM.key_context(PROBLEM.results(default_result))
    assert key == {"C": 3, "d": 2, "label": 2}


def test_report_spread() -> None:
    sections = []
    for seed in range(5):
        inp = PROBLEM.parse(PROBLEM.draw(seed, "problem4", {}), "problem4", [])
        sections.append(PROBLEM.results(PROBLEM.solve(inp)))  # type: ignore[arg-type]
    (loss_label, losses, loss_remark), (p_label, label_p, _) = PROBLEM.report_spread(sections)
    assert (loss_label, losses, loss_remark) == ("ce_loss", [s["loss"] for s in sections], "")
    assert p_label == "p_c (the label's probability)"
    assert label_p == [s["probabilities"][s["label"] - 1] for s in sections]


def test_ask_html(default_result: SoftmaxResult) -> None:
    items = PROBLEM.items(PROBLEM.results(default_result))
    assert PROBLEM.ask_html(items) == (
        r"<p>Give \(L\), \(\partial L/\partial z_{1}\), \(\partial L/\partial z_{2}\), "
        r"\(\partial L/\partial z_{3}\), each rounded to at least 3 significant digits.</p>"
    )


def test_statement_context_is_part_of_the_context(default_result: SoftmaxResult) -> None:
    statement = PROBLEM.statement_context(default_result.inp)
    full = PROBLEM.context(default_result)
    assert {k: full[k] for k in statement} == statement


# --- the checks ----------------------------------------------------------------------------------

NAMES = [
    "softmax_forward_float64",
    "softmax_gradient_float64",
    "softmax_central_differences",
    "softmax_sum_to_one",
    "softmax_derivative_symbolic",
    "softmax_float64_rounding",
]


def test_the_checks_pass_and_say_what_they_measured(default_result: SoftmaxResult) -> None:
    runs = PROBLEM.checks(default_result)
    assert [name for name, _ in runs] == NAMES
    checks = [run() for _, run in runs]
    assert all(isinstance(c, Check) and c.passed for c in checks)
    assert [c.name for c in checks] == NAMES
    by_name = {c.name: c for c in checks}
    assert by_name["softmax_forward_float64"].max_error < 0.5  # of the float64 bound
    assert by_name["softmax_gradient_float64"].max_error < 0.5
    assert by_name["softmax_central_differences"].max_error < 1e-30
    assert by_name["softmax_sum_to_one"].max_error <= 2**-52
    assert by_name["softmax_derivative_symbolic"].max_error == 0
    assert by_name["softmax_float64_rounding"].what == (
        "the 16 floats of p, L and the gradient are correctly rounded (decided by ball "
        "arithmetic at 128 bits)"
    )


def _nudged(values: tuple[Any, ...], by: float) -> tuple[Any, ...]:
    return (values[0] * (1 + by), *values[1:])


@pytest.mark.parametrize(
    ("field", "failing"),
    [
        ("probabilities", {"softmax_forward_float64", "softmax_sum_to_one"}),
        ("dz", {"softmax_gradient_float64"}),
    ],
)
def test_a_wrong_float_fails_its_checks(
    default_result: SoftmaxResult, field: str, failing: set[str]
) -> None:
    floats = dataclasses.replace(
        default_result.floats, **{field: _nudged(getattr(default_result.floats, field), 1e-12)}
    )
    wrong = dataclasses.replace(default_result, floats=floats)
    failed = {name for name, run in PROBLEM.checks(wrong) if not run().passed}
    assert failed == failing


def test_a_wrong_gradient_value_fails_the_central_differences(
    default_result: SoftmaxResult,
) -> None:
    values = dataclasses.replace(default_result.values, dz=_nudged(default_result.values.dz, 1e-15))
    wrong = dataclasses.replace(default_result, values=values)
    failed = {name for name, run in PROBLEM.checks(wrong) if not run().passed}
    assert failed == {"softmax_central_differences"}


def test_an_undecided_float_fails_the_rounding_check(default_result: SoftmaxResult) -> None:
    wrong = dataclasses.replace(default_result, undecided=("L",), bits=4096)
    check = dict(PROBLEM.checks(wrong))["softmax_float64_rounding"]()
    assert not check.passed
    assert check.what == "1 float of p, L and the gradient could not be decided at 4096 bits: L"


@pytest.mark.parametrize("seed", range(20))
def test_the_checks_pass_for_drawn_variants(seed: int) -> None:
    options = {"classes": 2 + seed % 9, "features": 1 + seed % 10}
    inp = PROBLEM.parse(PROBLEM.draw(seed, "problem4", options), "problem4", [])
    result = PROBLEM.solve(inp)  # type: ignore[arg-type]
    assert [run().passed for _, run in PROBLEM.checks(result)] == [True] * len(NAMES)


def test_importing_the_package_is_cheap() -> None:
    """solgen loads every registered problem to find its templates: no SymPy, NumPy or FLINT
    until a method needs them."""
    code = (
        "import sys, solgen_softmax; "
        "print(sorted(m for m in ('sympy', 'numpy', 'flint', 'mpmath') if m in sys.modules))"
    )
    package_root = Path(__file__).resolve().parent.parent
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=package_root
    )
    assert run.stdout.strip() == "[]"
