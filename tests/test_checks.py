"""checks.py: the build verifies every headline answer from the inputs, and a failed check
writes nothing."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from helpers import snapshot

from solgen.cli import main
from solgen.document.build import solve
from solgen.document.checks import run_checks
from solgen.document.solution import Check
from solgen.document.variant import load_variant
from solgen.problems.convnet import derive as p3_convnet
from solgen.problems.convnet.checks import architecture_check
from solgen.problems.descent import checks as checks_module
from solgen.problems.descent import derive as p2_descent
from solgen.problems.descent.checks import eigen_check
from solgen.problems.network import derive as p1_network

NAMES = [
    "forward_pass_float64",
    "gradient_float64",
    "gradient_central_differences",
    "float64_rounding",
    "symmetric_part",
    "eigenpair_residuals",
    "step_size_bound",
    "optimal_step",
    "line_search_step",
    "architecture_forward_pass",
]

# A ReLU network with a pre-activation exactly 0 (z_11 = 0.5 - 0.5 = 0): ReLU's kink.
KINK = [
    "problem1.X=[[0.5, 0.5], [0.2, -0.4]]",
    "problem1.t=[0.1, 0.3]",
    "problem1.W1=[[1.0, -1.0], [0.3, 0.2]]",
    "problem1.b1=[0.0, 0.1]",
    "problem1.w2=[0.7, -0.4]",
]


def _checks(sets=()):
    return {c.name: c for c in solve(load_variant(None, list(sets))).checks}


@pytest.mark.parametrize(
    ("sets", "how"),
    [
        ([], "rounded once from exact rationals"),
        (["problem1.activation=sigmoid"], "decided by ball arithmetic at 192 bits"),
        (["problem1.activation=tanh"], "decided by ball arithmetic at 192 bits"),
    ],
)
def test_every_check_runs_and_passes_with_what_it_compared(sets, how):
    checks = _checks(sets)
    assert list(checks) == NAMES
    assert all(c.passed for c in checks.values()), [c for c in checks.values() if not c.passed]
    assert checks["float64_rounding"].what == (
        f"the 17 floats of y, L and the gradient are correctly rounded ({how})"
    )
    assert checks["forward_pass_float64"].max_error <= 1
    assert checks["gradient_float64"].what.startswith(
        "all 13 gradient entries recomputed from the inputs by backpropagation in float64 "
        "(ReLU'(0) = 0) agree with the exact gradient; the largest error is "
    )
    assert checks["symmetric_part"].what == (
        "S = (A + A^T)/2 recomputed from A, and its characteristic polynomial by the Berkowitz "
        "algorithm, equal the solution's exactly"
    )
    assert checks["step_size_bound"].what.startswith(
        "the spectral radius of I - 2 eta S (S from A) is 1 at eta_max (off by "
    )
    assert checks["step_size_bound"].what.endswith(
        "0.999998 just below it and 1.000002 just above it"
    )
    assert checks["optimal_step"].what.startswith(
        "the optimal step gives the spectral radius 0.714285714 of I - 2 eta S (S from A)"
    )
    assert checks["line_search_step"].what == (
        "the stated line-search step equals the vertex of phi(eta) = f(u - eta grad f(u)) "
        "(from three values of phi, exactly) at 3 points and lies within the stated bounds"
    )
    assert checks["architecture_forward_pass"].what == (
        "a forward pass of random data through the layers gives every layer's stated shape, "
        "4x4x64 at the end, with 15,296 parameters"
    )


def test_the_relu_difference_check_is_exact_and_the_smooth_one_within_its_tolerance():
    relu = _checks()["gradient_central_differences"]
    assert relu.max_error == 0
    assert relu.what == (
        "13 gradient entries agree with central differences of the loss rebuilt from the "
        "inputs (exactly, in fractions); largest 0"
    )
    smooth = _checks(["problem1.activation=sigmoid"])["gradient_central_differences"]
    assert 0 < smooth.max_error < 1e-30
    assert smooth.what.startswith(
        "13 gradient entries agree with central differences of the loss rebuilt from the "
        "inputs (at 60 digits, within 1e-20 of max(1, |g|)); largest "
    )


@pytest.mark.parametrize(
    ("A", "name", "what"),
    [
        (
            "[[1, 2], [2, 1]]",
            "step_size_bound",
            "no step size converges from every start: the spectral radius of I - 2 eta S (S "
            "from A) is at least 1 for 161 steps from 1e-8 to 1e8 (smallest 1)",
        ),
        (
            "[[1, 2], [2, 1]]",
            "optimal_step",
            "not applicable: no optimal constant step (S is not positive definite)",
        ),
        (
            "[[0, 0], [0, 0]]",
            "line_search_step",
            "not applicable: the line-search step is not stated explicitly (n > 2 or g^T S g = 0)",
        ),
    ],
)
def test_a_check_that_does_not_apply_says_so_and_passes(A, name, what):
    check = _checks([f"problem2.A={A}"])[name]
    assert (check.what, check.passed) == (what, True)


def test_a_check_that_cannot_run_fails_naming_the_reason(monkeypatch):
    def broken(solution):
        raise ValueError("no eigenvalues today")

    monkeypatch.setattr(checks_module, "eigen_check", broken)
    checks = {c.name: c for c in run_checks(solve(load_variant()))}
    check = checks["eigenpair_residuals"]
    assert check.what == "could not run: ValueError: no eigenvalues today"
    assert not check.passed


def _with_gradient(solution, name, delta):
    p1 = solution.result_of("problem1")
    grad = dict(p1.exact.grad)
    grad[name] = grad[name] + delta
    exact = dataclasses.replace(p1.exact, grad=grad)
    return _replaced(solution, "problem1", dataclasses.replace(p1, exact=exact))


def _replaced(solution, section, result):
    """The solution with one problem's result replaced."""
    results = tuple(result if p.section == section else r for p, r in solution)
    return dataclasses.replace(solution, results=results)


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_a_wrong_gradient_entry_fails_both_gradient_checks(activation):
    solution = solve(load_variant(None, [f"problem1.activation={activation}"]))
    delta = Fraction(1, 10**6) if activation == "relu" else mpmath.mpf("1e-6")
    checks = {c.name: c for c in run_checks(_with_gradient(solution, "b2", delta))}
    assert not checks["gradient_central_differences"].passed
    assert not checks["gradient_float64"].passed


def test_wrong_eigenvalues_or_layers_fail_their_checks():
    solution = solve(load_variant())
    p2 = solution.result_of("problem2")
    floats = tuple(v + 1 for v in p2.eigenvalues_float)
    shifted = dataclasses.replace(
        p2, eigenvalues=tuple(e + 1 for e in p2.eigenvalues), eigenvalues_float=floats
    )
    assert not eigen_check(shifted).passed
    p3 = solution.result_of("problem3")
    fewer = dataclasses.replace(p3, layers=p3.layers[:-1])  # stops at 5x5x32, not 4x4x64
    check = architecture_check(fewer)
    assert not check.passed and check.what.startswith("a forward pass of random data")


def test_results_json_and_the_document_report_the_checks(tmp_path):
    assert main(["build", "--no-pdf", "--out", str(tmp_path)]) == 0
    checks = json.loads((tmp_path / "results.json").read_text("utf-8"))["checks"]
    assert [c["name"] for c in checks] == NAMES
    assert all(c["passed"] for c in checks)
    solution = (tmp_path / "solution.tex").read_text("utf-8")
    assert "\\solgenheading{Checks}\n\\solgenstep{Problem 1: one gradient by hand}" in solution
    assert (
        "\\solgenheading{Appendix: the program's checks}\nBefore writing this solution the "
        "program checked it: each answer was recomputed from the\ninputs by another route and "
        "compared.\n\\begin{itemize}\n\\item $Z$, $f(Z)$, " in solution
    )
    assert solution.count("\\item ") >= len(NAMES)
    assert "Checks" not in (tmp_path / "assignment.tex").read_text("utf-8")


def test_a_failed_check_writes_nothing_and_exits_1(previous_build, monkeypatch, capsys):
    from solgen.document import build as build_module

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
    solgen's f'(0) = 0; the float64 backpropagation (ReLU'(0) = 0) checks those entries."""
    checks = _checks(KINK)
    check = checks["gradient_central_differences"]
    assert check.passed and check.max_error == 0
    assert check.what == (
        "6 gradient entries agree with central differences of the loss rebuilt from the "
        "inputs (exactly, in fractions); the entries of 1 unit with a pre-activation exactly "
        "0 left out; largest 0"
    )
    assert checks["gradient_float64"].passed


def test_a_network_too_large_to_run_is_checked_one_channel_a_layer():
    variant = load_variant(
        None,
        [
            "problem3.input=[1000, 1000, 64]",
            "problem3.target=[998, 998, 512]",
            "problem3.layers=[{conv = 3, filters = 512}]",
        ],
    )
    check = architecture_check(solve(variant).result_of("problem3"))
    assert check.passed
    assert check.what == (
        "a forward pass of random data through the layers gives every layer's stated shape, "
        "998x998x512 at the end, with 295,424 parameters (one channel a layer: the network "
        "is too large to run here)"
    )


# --- each formula broken in turn: the build fails a named check, writes nothing ------------------


def _rederived(monkeypatch):
    """Every derivation made afresh (the memory and disk caches hold the unbroken one)."""
    monkeypatch.setattr(p1_network, "derive", p1_network.derive_uncached)


def _wrap_evaluate(monkeypatch, change):
    original = p1_network._evaluate

    def wrapped(*args, **kwargs):
        return change(original(*args, **kwargs))

    monkeypatch.setattr(p1_network, "_evaluate", wrapped)


def break_gradient_signs(monkeypatch):
    original = p1_network.derive

    def negated(activation):
        deriv = original(activation)
        return dataclasses.replace(deriv, display={k: -v for k, v in deriv.display.items()})

    monkeypatch.setattr(p1_network, "derive", negated)


def break_db2_as_a_mean(monkeypatch):
    def mean(ev):
        return dataclasses.replace(ev, grad={**ev.grad, "b2": ev.grad["b2"] / len(ev.r)})

    _wrap_evaluate(monkeypatch, mean)


def _wrap_layer(monkeypatch, change):
    original = p3_convnet.apply_layer

    def wrapped(layer, shape):
        result = original(layer, shape)
        if isinstance(result, p3_convnet.LayerResult) and result.kind == "conv":
            return change(result)
        return result

    monkeypatch.setattr(p3_convnet, "apply_layer", wrapped)


def break_conv_weights_kCF(monkeypatch):
    def kCF(layer):
        channels, filters = layer.in_shape[2], layer.out_shape[2]
        return dataclasses.replace(layer, weights=layer.kernel * channels * filters)

    _wrap_layer(monkeypatch, kCF)


def break_conv_biases_doubled(monkeypatch):
    _wrap_layer(monkeypatch, lambda layer: dataclasses.replace(layer, biases=2 * layer.biases))


def break_derived_loss(monkeypatch):
    _rederived(monkeypatch)
    monkeypatch.setattr(p1_network, "sample_loss", lambda y, t: (y - t) ** 2)


def break_relu_prime_at_zero(monkeypatch):
    _rederived(monkeypatch)
    monkeypatch.setattr(
        p1_network,
        "_relu_convention",
        lambda expr: expr.replace(sp.Heaviside, lambda arg, *_: sp.Heaviside(arg, 1)),
    )


def break_loss_without_half(monkeypatch):
    monkeypatch.setattr(p1_network, "total_loss", lambda r: r @ r)


def break_Z_minus_b(monkeypatch):
    def minus(inp):
        X = np.array(inp.X, dtype=object)
        W1 = np.array(inp.W1, dtype=object)
        return np.asarray(p1_network.matmul(X, W1.T) - np.array(inp.b1, dtype=object))

    monkeypatch.setattr(p1_network, "_pre_activations", minus)


def break_eta_max_2_over_lambda(monkeypatch):
    monkeypatch.setattr(p2_descent, "step_bound", lambda lmax: sp.radsimp(2 / lmax))


def break_S_without_half(monkeypatch):
    monkeypatch.setattr(p2_descent, "symmetric_part", lambda A: A + A.T)


def break_optimal_step_2_over_sum(monkeypatch):
    monkeypatch.setattr(p2_descent, "optimal_step", lambda lo, hi: sp.radsimp(2 / (lo + hi)))


def break_optimal_rate(monkeypatch):
    monkeypatch.setattr(p2_descent, "optimal_rate", lambda lo, hi: sp.radsimp(lo / hi))


def break_line_search_step(monkeypatch):
    original = p2_descent.line_search

    def doubled(A, coords):
        ls = original(A, coords)
        explicit = None if ls.explicit is None else 2 * ls.explicit
        return dataclasses.replace(ls, explicit=explicit)

    monkeypatch.setattr(p2_descent, "line_search", doubled)


@pytest.mark.parametrize(
    ("breakage", "sets", "named"),
    [
        (break_gradient_signs, [], "gradient_float64"),
        (break_db2_as_a_mean, [], "gradient_float64"),
        (break_conv_weights_kCF, [], "architecture_forward_pass"),
        (break_conv_biases_doubled, [], "architecture_forward_pass"),
        (break_derived_loss, [], "gradient_float64"),
        (break_relu_prime_at_zero, KINK, "gradient_float64"),
        (break_loss_without_half, [], "forward_pass_float64"),
        (break_Z_minus_b, [], "forward_pass_float64"),
        (break_eta_max_2_over_lambda, [], "step_size_bound"),
        (break_S_without_half, [], "derivation: the line-search step is not"),
        (break_optimal_step_2_over_sum, [], "optimal_step"),
        (break_optimal_rate, [], "optimal_step"),
        (break_line_search_step, [], "line_search_step"),
        (break_gradient_signs, ["problem1.activation=tanh"], "gradient_float64"),
        (break_loss_without_half, ["problem1.activation=sigmoid"], "forward_pass_float64"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_each_broken_formula_fails_a_named_check(
    breakage, sets, named, previous_build, monkeypatch, capsys
):
    before = snapshot(previous_build)
    breakage(monkeypatch)
    args = ["build", "--no-pdf", "--out", str(previous_build)]
    for assignment in sets:
        args += ["--set", assignment]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "a self-check of the solution failed, so nothing was written: " in err
    assert f"{named}" in err.split("nothing was written: ", 1)[1]
    assert "Traceback" not in err
    assert snapshot(previous_build) == before


def test_the_breakages_leave_the_unbroken_build_passing(previous_build, capsys):
    """The same variants build with exit 0 when nothing is broken (the table above is not
    failing for another reason)."""
    for sets in ([], KINK, ["problem1.activation=tanh"], ["problem1.activation=sigmoid"]):
        args = ["build", "--no-pdf", "--out", str(previous_build)]
        for assignment in sets:
            args += ["--set", assignment]
        assert main(args) == 0
