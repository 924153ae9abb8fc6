"""checks.py: the build verifies itself, and a failed check writes nothing."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from helpers import snapshot

from solgen.build import solve
from solgen.checks import eigen_check, forward_check, gradient_check
from solgen.cli import main
from solgen.variant import load_variant


@pytest.mark.parametrize(
    ("sets", "exactly"),
    [([], True), (["problem1.activation=sigmoid"], False), (["problem1.activation=tanh"], False)],
)
def test_the_three_checks_pass_with_their_errors(sets, exactly):
    checks = {c.name: c for c in solve(load_variant(None, sets)).checks}
    assert list(checks) == [
        "gradient_central_differences",
        "eigenpair_residuals",
        "architecture_forward_pass",
    ]
    assert all(c.passed for c in checks.values())
    gradient = checks["gradient_central_differences"]
    if exactly:  # ReLU: a central difference of a piecewise quadratic is exact
        assert gradient.max_error == 0
        assert gradient.what == (
            "13 gradient entries agree with central differences of the loss "
            "(exactly, in fractions); largest 0"
        )
    else:
        assert 0 < gradient.max_error < 1e-30
    assert checks["architecture_forward_pass"].what == (
        "a forward pass of random data through the layers gives 4x4x64 with 15,296 parameters"
    )


def _with_gradient(solution, name, delta):
    p1 = solution.problem1
    grad = dict(p1.exact.grad)
    grad[name] = grad[name] + delta
    exact = dataclasses.replace(p1.exact, grad=grad)
    return dataclasses.replace(solution, problem1=dataclasses.replace(p1, exact=exact))


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_a_wrong_gradient_entry_fails_the_check(activation):
    solution = solve(load_variant(None, [f"problem1.activation={activation}"]))
    delta = Fraction(1, 10**15) if activation == "relu" else mpmath.mpf("1e-12")
    check = gradient_check(_with_gradient(solution, "b2", delta))
    assert not check.passed and check.max_error > 0


def test_wrong_eigenvalues_or_layers_fail_their_checks():
    solution = solve(load_variant())
    p2 = solution.problem2
    shifted = dataclasses.replace(p2, eigenvalues=tuple(e + 1 for e in p2.eigenvalues))
    assert not eigen_check(dataclasses.replace(solution, problem2=shifted)).passed
    p3 = solution.problem3
    fewer = dataclasses.replace(p3, layers=p3.layers[:-1])  # stops at 5x5x32, not 4x4x64
    check = forward_check(dataclasses.replace(solution, problem3=fewer))
    assert not check.passed and check.what.startswith("a forward pass of random data")


def test_results_json_and_the_document_report_the_checks(tmp_path):
    assert main(["build", "--no-pdf", "--out", str(tmp_path)]) == 0
    checks = json.loads((tmp_path / "results.json").read_text("utf-8"))["checks"]
    assert [(c["name"], c["max_error"], c["passed"]) for c in checks] == [
        ("gradient_central_differences", 0.0, True),
        ("eigenpair_residuals", 0.0, True),
        ("architecture_forward_pass", 0.0, True),
    ]
    solution = (tmp_path / "solution.tex").read_text("utf-8")
    assert "\\solgenheading{Checks}\nThis solution checked itself by independent routes: 13 " in (
        solution
    )
    assert "${4 \\times 4 \\times 64}$" not in solution and "$4 \\times 4 \\times 64$" in solution
    assert "Checks" not in (tmp_path / "assignment.tex").read_text("utf-8")


def test_a_failed_check_writes_nothing_and_exits_1(previous_build, monkeypatch, capsys):
    from solgen import build as build_module
    from solgen.solution import Check

    before = snapshot(previous_build)
    wrong = Check("eigenpair_residuals", "made to fail", float(np.float64(1.0)), False)
    monkeypatch.setattr(build_module, "run_checks", lambda solution: (wrong,))
    assert main(["build", "--no-pdf", "--out", str(previous_build)]) == 1
    err = capsys.readouterr().err
    assert (
        "a self-check of the solution failed, so nothing was written: eigenpair_residuals: "
        "largest error 1 (made to fail)" in err
    )
    assert snapshot(previous_build) == before


def test_a_unit_on_relus_kink_is_left_out_of_the_difference_check():
    """z = 0 exactly: the loss has no derivative there, so no difference quotient confirms
    solgen's f'(0) = 0 (fuzzing found this variant failing its own check)."""
    variant = load_variant(
        None,
        [
            "problem1.X=[[0.5, 0.5], [0.2, -0.4]]",
            "problem1.t=[0.1, 0.3]",
            "problem1.W1=[[1.0, -1.0], [0.3, 0.2]]",
            "problem1.b1=[0.0, 0.1]",
            "problem1.w2=[0.7, -0.4]",
        ],
    )
    check = solve(variant).checks[0]
    assert check.passed and check.max_error == 0
    assert check.what == (
        "6 gradient entries agree with central differences of the loss (exactly, in fractions); "
        "the entries of 1 unit with a pre-activation exactly 0 left out; largest 0"
    )


def test_a_network_too_large_to_run_is_checked_one_channel_a_layer():
    variant = load_variant(
        None,
        [
            "problem3.input=[1000, 1000, 64]",
            "problem3.target=[998, 998, 512]",
            "problem3.layers=[{conv = 3, filters = 512}]",
        ],
    )
    check = forward_check(solve(variant))
    assert check.passed
    assert check.what == (
        "a forward pass of random data through the layers gives 998x998x512 with 295,424 "
        "parameters (one channel a layer: the network is too large to run here)"
    )
