"""Problem 1: SymPy's derivation; exact vs float64 vs finite differences vs an oracle."""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from solgen.cli import main
from solgen.document.variant import load_variant
from solgen.markup.latex import sym
from solgen.problems.network import derive as p1_network
from solgen.problems.network.fields import ACTIVATIONS, NetworkInput

F = Fraction


def seed() -> NetworkInput:
    return load_variant().input_of("problem1")


def frac_matrix(rows):
    return tuple(tuple(F(v) for v in row) for row in rows)


# --- an independent oracle: plain NumPy, written from the problem statement --------------------

NUMPY_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
}


def oracle_loss(inp: NetworkInput, W1, b1, w2, b2) -> float:
    """L = 1/2 sum_k (w2^T f(W1 x_k + b1) + b2 - t_k)^2, one sample at a time."""
    f = NUMPY_ACTIVATIONS[inp.activation]
    X = np.array(inp.X, dtype=float)
    t = np.array(inp.t, dtype=float)
    total = 0.0
    for x_k, t_k in zip(X, t, strict=True):
        y_k = w2 @ f(W1 @ x_k + b1) + b2
        total += 0.5 * (y_k - t_k) ** 2
    return float(total)


def finite_differences(inp: NetworkInput, step: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences of the oracle loss with respect to every parameter entry."""
    params = {
        "W1": np.array(inp.W1, dtype=float),
        "b1": np.array(inp.b1, dtype=float),
        "w2": np.array(inp.w2, dtype=float),
        "b2": np.array(float(inp.b2)),
    }
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = {k: v.copy() for k, v in params.items()}
            minus = {k: v.copy() for k, v in params.items()}
            plus[name][index] += step
            minus[name][index] -= step
            lp = oracle_loss(inp, plus["W1"], plus["b1"], plus["w2"], float(plus["b2"]))
            lm = oracle_loss(inp, minus["W1"], minus["b1"], minus["w2"], float(minus["b2"]))
            grad[index] = (lp - lm) / (2 * step)
        grads[name] = grad
    return grads


# --- the seed's numbers -------------------------------------------------------------------------


def test_seed_forward_pass_exact():
    result = p1_network.solve(seed())
    ex = result.exact
    assert ex.Z.tolist() == [
        [F(-43, 50), F(-67, 100)],
        [F(-9, 25), F(9, 20)],
        [F(19, 20), F(-53, 100)],
    ]
    assert ex.H.tolist() == [[0, 0], [0, F(9, 20)], [F(19, 20), 0]]
    assert ex.Fp.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert list(ex.y) == [F(-7, 10), F(-43, 100), F(-51, 100)]
    assert list(ex.r) == [F(-1, 5), F(-53, 100), F(-131, 100)]
    assert ex.loss == F(2037, 2000)  # 1.0185 exactly


def test_seed_gradients_exact():
    grad = p1_network.solve(seed()).exact.grad
    assert grad["W1"].tolist() == [
        [F("0.131"), F("-0.2358"), F("-0.0524"), F("0.2096")],
        [F("-0.2544"), F("-0.318"), F("0.0318"), F("-0.0954")],
    ]
    assert list(grad["b1"]) == [F("-0.262"), F("-0.318")]
    assert list(grad["w2"]) == [F("-1.2445"), F("-0.2385")]
    assert grad["b2"] == F("-2.04")


def test_seed_float_evaluation_matches_exact():
    result = p1_network.solve(seed())
    assert result.numeric.loss == pytest.approx(1.0185, abs=1e-15)
    np.testing.assert_allclose(result.numeric.y, [-0.7, -0.43, -0.51], atol=1e-15)
    for name in p1_network.PARAMETERS:
        exact = np.array(result.exact.grad[name], dtype=float)
        np.testing.assert_allclose(result.numeric.grad[name], exact, rtol=0, atol=1e-15)


def test_seed_cost_counts():
    cost = p1_network.solve(seed()).cost
    # N=3, d=4, h=2: P = 8 + 2 + 2 + 1; forward 24 + 6 + 3; backward 6 + 12 + 24;
    # one tangent sweep 24 + 6 + 12 + 3
    assert (cost.params, cost.forward_pass, cost.backward_pass, cost.tangent_pass) == (
        13,
        33,
        42,
        45,
    )
    assert cost.reverse_total == 75
    assert cost.forward_total == 33 + 13 * 45
    # one-hot sweeps: 3N for each of the 8 weights of W1, 2N per b1_j, N per w2_j, 0 for b2
    assert cost.one_hot_sweeps == 8 * 9 + 2 * 6 + 2 * 3 == 90
    assert cost.one_hot_total == 123


class _Counter:
    """Multiplications done by a literal, loop-by-loop implementation of each accumulation."""

    def __init__(self) -> None:
        self.count = 0

    def mul(self, a: float, b: float) -> float:
        self.count += 1
        return a * b


def _counted_modes(N: int, d: int, h: int) -> tuple[int, int, int]:
    """(forward pass + backward sweep, forward pass + P dense sweeps, + P one-hot sweeps)."""
    c = _Counter()
    x = [[0.5] * d for _ in range(N)]
    W, w2 = [[0.3] * d for _ in range(h)], [0.2] * h

    def forward() -> None:
        for k in range(N):
            z = [sum(c.mul(W[j][i], x[k][i]) for i in range(d)) for j in range(h)]
            c.mul(sum(c.mul(zj, w2[j]) for j, zj in enumerate(z)), 1.0)  # y_k; r_k^2 / 2

    forward()
    after_forward = c.count
    for k in range(N):  # backward: H^T r, r w2^T, o f'(Z), Delta^T X
        for j in range(h):
            c.mul(1.0, 1.0), c.mul(1.0, w2[j]), c.mul(1.0, 1.0)
            for i in range(d):
                c.mul(1.0, x[k][i])
    reverse = c.count
    c.count = after_forward
    for _ in range(h * d + 2 * h + 1):  # dense sweeps: Zdot, Hdot, Hdot w2 + H w2dot, r^T ydot
        for k in range(N):
            for j in range(h):
                for i in range(d):
                    c.mul(1.0, x[k][i])
                c.mul(1.0, 1.0), c.mul(1.0, w2[j]), c.mul(1.0, 1.0)
            c.mul(1.0, 1.0)
    dense = c.count
    c.count = after_forward
    for j in range(h):  # one-hot sweeps touch column j only
        for _ in range(d):  # W1_ji: f'(z_kj) x_ki, times w2_j, times r_k
            for k in range(N):
                c.mul(c.mul(c.mul(1.0, x[k][0]), w2[j]), 1.0)
        for _k in range(N):  # b1_j: f'(z_kj) times w2_j, times r_k
            c.mul(c.mul(1.0, w2[j]), 1.0)
        for _k in range(N):  # w2_j: r_k H_kj
            c.mul(1.0, 1.0)
    return reverse, dense, c.count


@pytest.mark.parametrize("shape", [(3, 4, 2), (1, 1, 1), (5, 3, 7), (2, 10, 3)])
def test_cost_counts_match_a_literal_count(shape):
    """The formulas against loops that multiply one number at a time and count."""
    cost = p1_network.costs(*shape)
    assert (cost.reverse_total, cost.forward_total, cost.one_hot_total) == _counted_modes(*shape)


# --- the derivation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "fprime", "entries"),
    [
        (
            "relu",
            r"\mathbf{1}[z > 0]",
            {
                "W1": r"r_{k} w^{(2)}_{j} x_{ki} f'(z_{kj})",
                "b1": r"r_{k} w^{(2)}_{j} f'(z_{kj})",
                "w2": r"r_{k} f(z_{kj})",
                "b2": r"r_{k}",
            },
        ),
        ("sigmoid", r"\frac{e^{- z}}{(1 + e^{- z})^{2}}", None),
        ("tanh", r"1 - \tanh^{2}(z)", None),
    ],
)
def test_derivation_prints(activation, fprime, entries):
    deriv = p1_network.derive(activation)
    assert sym(deriv.fprime) == fprime
    if entries is not None:
        assert {name: sym(expr) for name, expr in deriv.display.items()} == entries


@pytest.mark.parametrize(
    ("activation", "in_f"), [("sigmoid", r"(1 - f(z)) f(z)"), ("tanh", r"1 - f(z)^{2}")]
)
def test_fprime_in_terms_of_f(activation, in_f):
    deriv = p1_network.derive(activation)
    assert sym(deriv.fprime_in_f) == in_f
    f = sp.Function("f")(p1_network.z)
    assert sp.simplify(deriv.fprime_in_f.subs(f, deriv.f) - deriv.fprime) == 0


def test_local_derivatives():
    local = {name: sym(expr) for name, expr in p1_network.derive("relu").local.items()}
    assert local == {
        "dl_dy": "r_{k}",
        "dy_db2": "1",
        "dy_dw2": "f(z_{kj})",
        "dy_dz": "w^{(2)}_{j} f'(z_{kj})",
        "dz_dW1": "x_{ki}",
        "dz_db1": "1",
    }


def test_relu_derivative_at_zero_is_zero():
    fprime = p1_network.derive("relu").fprime
    z = p1_network.z
    assert fprime.subs(z, 0) == 0
    assert fprime.subs(z, sp.Rational(1, 10**9)) == 1
    assert fprime.subs(z, -1) == 0


@pytest.mark.parametrize(("N", "d", "h"), [(2, 2, 2), (3, 1, 2)])
def test_matrix_forms_equal_the_sum_of_per_sample_derivatives(N, d, h):
    """Differentiate the whole loss entry by entry (f undefined); compare with the matrix forms."""
    f = sp.Function("g")
    X = sp.Matrix(N, d, lambda k, i: sp.Symbol(f"x{k}{i}"))
    t = sp.Matrix(N, 1, lambda k, _: sp.Symbol(f"t{k}"))
    W1 = sp.Matrix(h, d, lambda j, i: sp.Symbol(f"W{j}{i}"))
    b1 = sp.Matrix(h, 1, lambda j, _: sp.Symbol(f"b{j}"))
    w2 = sp.Matrix(h, 1, lambda j, _: sp.Symbol(f"w{j}"))
    b2 = sp.Symbol("c")
    one = sp.ones(N, 1)
    Z = X * W1.T + one * b1.T
    H = Z.applyfunc(f)
    u = sp.Symbol("u")
    Fp = Z.applyfunc(lambda e: sp.diff(f(u), u).subs(u, e))
    y = H * w2 + b2 * one
    L = sum((y[k] - t[k]) ** 2 for k in range(N)) / 2

    forms = p1_network.matrix_forms(N, d, h)
    s = forms["symbols"]
    r = y - t
    delta = sp.matrix_multiply_elementwise(r * w2.T, Fp)
    explicit = {
        s["X"]: X,
        s["W1"]: W1,
        s["b1"]: b1,
        s["w2"]: w2,
        s["one"]: one,
        s["t"]: t,
        s["H"]: H,
        s["Fp"]: Fp,
        s["y"]: y,
        s["r"]: r,
        s["Delta"]: delta,
        s["b2"]: b2,
    }

    def value(name):
        return sp.Matrix(forms[name].subs(explicit).doit())

    assert sp.simplify(value("Z") - Z) == sp.zeros(N, h)
    assert sp.simplify(value("y") - y) == sp.zeros(N, 1)
    assert sp.simplify(value("loss")[0, 0] - L) == 0
    assert sp.simplify(value("Delta") - delta) == sp.zeros(N, h)
    for name, param in (("W1", W1), ("b1", b1), ("w2", w2)):
        by_hand = param.applyfunc(lambda p: sp.diff(L, p))
        form = value(name)
        assert form.shape == (param.rows, param.cols) or form.shape == (param.cols, param.rows)
        form = form.reshape(param.rows, param.cols)
        assert sp.simplify(form - by_hand) == sp.zeros(param.rows, param.cols), name
    assert sp.simplify(value("b2")[0, 0] - sp.diff(L, b2)) == 0


def test_per_sample_entry_matches_direct_differentiation():
    """The generic-entry derivation agrees with differentiating one concrete sample's loss."""
    deriv = p1_network.derive("tanh")
    W = sp.Matrix(2, 3, lambda j, i: sp.Symbol(f"W{j}{i}"))
    x = sp.Matrix(3, 1, lambda i, _: sp.Symbol(f"x{i}"))
    b = sp.Matrix(2, 1, lambda j, _: sp.Symbol(f"b{j}"))
    w = sp.Matrix(2, 1, lambda j, _: sp.Symbol(f"w{j}"))
    c, t = sp.symbols("c t")
    z = W * x + b
    y = (w.T * z.applyfunc(sp.tanh))[0, 0] + c
    loss = (y - t) ** 2 / 2
    j, i = 1, 2
    subs = {
        p1_network.r_k: y - t,
        p1_network.w_j: w[j],
        p1_network.z_kj: z[j],
        p1_network.x_ki: x[i],
    }
    assert sp.simplify(deriv.entry["W1"].subs(subs) - sp.diff(loss, W[j, i])) == 0
    assert sp.simplify(deriv.entry["b1"].subs(subs) - sp.diff(loss, b[j])) == 0
    assert sp.simplify(deriv.entry["w2"].subs(subs) - sp.diff(loss, w[j])) == 0


# --- three routes agree, for the seed and for random networks ----------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_seed_all_activations_agree_with_finite_differences(activation):
    inp = dataclasses.replace(seed(), activation=activation)
    result = p1_network.solve(inp)
    fd = finite_differences(inp)
    params = [np.array(v, dtype=float) for v in (inp.W1, inp.b1, inp.w2)]
    assert result.numeric.loss == pytest.approx(oracle_loss(inp, *params, float(inp.b2)), rel=1e-12)
    for name in p1_network.PARAMETERS:
        exact = np.array(result.exact.grad[name], dtype=float)
        np.testing.assert_allclose(result.numeric.grad[name], exact, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(result.numeric.grad[name], fd[name], rtol=1e-6, atol=1e-8)


def tenths(lo: int = -12, hi: int = 12):
    return st.integers(lo, hi).map(lambda v: F(v, 10))


@st.composite
def networks(draw):
    N = draw(st.integers(1, 4))
    d = draw(st.integers(1, 4))
    h = draw(st.integers(1, 3))

    def mat(rows, cols):
        return tuple(tuple(draw(tenths()) for _ in range(cols)) for _ in range(rows))

    return NetworkInput(
        X=mat(N, d),
        t=tuple(draw(tenths()) for _ in range(N)),
        W1=mat(h, d),
        b1=tuple(draw(tenths()) for _ in range(h)),
        w2=tuple(draw(tenths()) for _ in range(h)),
        b2=draw(tenths()),
        activation=draw(st.sampled_from(ACTIVATIONS)),
    )


@settings(max_examples=40, deadline=None)
@given(networks())
def test_random_networks_three_routes_agree(inp):
    result = p1_network.solve(inp)
    assert result.numeric.grad["W1"].shape == (len(inp.W1), len(inp.X[0]))
    assert result.numeric.grad["b1"].shape == (len(inp.W1),)
    assert result.numeric.grad["w2"].shape == (len(inp.W1),)
    for name in p1_network.PARAMETERS:
        exact = np.array(result.exact.grad[name], dtype=float)
        np.testing.assert_allclose(result.numeric.grad[name], exact, rtol=1e-9, atol=1e-12)
    if inp.activation == "relu" and result.zero_preactivations:
        return  # ReLU has no derivative there: finite differences see the kink
    fd = finite_differences(inp)
    for name in p1_network.PARAMETERS:
        np.testing.assert_allclose(result.numeric.grad[name], fd[name], rtol=1e-6, atol=1e-7)


# --- deciding the ReLU mask exactly -------------------------------------------------------------


def test_zero_preactivation_decided_exactly():
    """0.1*0.2 + 0.2*0.4 - 0.1 is exactly 0, but +1.39e-17 in float64: the mask must stay 0."""
    inp = NetworkInput(
        X=frac_matrix([["0.1", "0.2"], ["1", "1"]]),
        t=(F(1), F(0)),
        W1=frac_matrix([["0.2", "0.4"]]),
        b1=(F("-0.1"),),
        w2=(F(2),),
        b2=F(0),
        activation="relu",
    )
    x, w = np.array([0.1, 0.2]), np.array([0.2, 0.4])
    assert x @ w - 0.1 > 0.0  # the trap is real: float64 would switch the unit on
    result = p1_network.solve(inp)
    assert result.zero_preactivations == ((0, 0),)
    assert result.exact.Fp.tolist() == [[0], [1]]
    np.testing.assert_array_equal(result.numeric.Fp, [[0.0], [1.0]])
    np.testing.assert_array_equal(result.numeric.H[0], [0.0])
    # sample 1 is inactive (r = -1 contributes nothing); sample 2: z = 0.5, y = 1, r = 1,
    # delta = r w f'(z) = 2, so dL/dW1 = 2 x_2 = (2, 2). A flipped mask would add (-0.2, -0.4).
    assert result.exact.grad["W1"].tolist() == [[2, 2]]
    np.testing.assert_allclose(result.numeric.grad["W1"], [[2.0, 2.0]], rtol=1e-15)


def test_large_preactivations_do_not_overflow_sigmoid():
    inp = NetworkInput(
        X=frac_matrix([["1000"], ["-1000"]]),
        t=(F(0), F(1)),
        W1=frac_matrix([["1"]]),
        b1=(F(0),),
        w2=(F(1),),
        b2=F(0),
        activation="sigmoid",
    )
    result = p1_network.solve(inp)
    assert np.all(np.isfinite(result.numeric.grad["W1"]))
    np.testing.assert_allclose(result.numeric.loss, 1.0, rtol=1e-12)  # y = (1, 0), t = (0, 1)


def test_a_zero_factor_does_not_send_huge_integers_to_int64():
    """W1 = 0 made the int64 bound 0 while X held a 20-digit numerator (OverflowError)."""
    from solgen.problems.network.derive import matmul

    huge = Fraction(12345678901234567891, 10**20)
    A = np.array([[Fraction(0)]], dtype=object)
    B = np.array([[huge, Fraction(1, 2)]], dtype=object)
    assert matmul(A, B).tolist() == [[Fraction(0), Fraction(0)]]
    assert matmul(B.T, A).tolist() == [[Fraction(0)], [Fraction(0)]]
    assert matmul(B.T, np.array([[Fraction(2)]], dtype=object)).tolist() == [[2 * huge], [1]]


def test_the_crash_variant_builds(tmp_path):
    variant = tmp_path / "v.toml"
    variant.write_text(
        "[problem1]\nX = [[0.12345678901234567891], [0.5]]\nt = [0.1, 0.2]\nW1 = [[0.0]]\n"
        'b1 = [1.0]\nw2 = [0.7]\nb2 = 0.0\nactivation = "sigmoid"\n',
        encoding="utf-8",
    )
    assert main(["build", "--no-pdf", "--variant", str(variant), "--out", str(tmp_path / "o")]) == 0
    results = json.loads((tmp_path / "o" / "results.json").read_text("utf-8"))
    # W1 = 0: every hidden unit is sigmoid(1); y = 0.7 sigmoid(1) for both samples
    y = 0.7 / (1 + math.exp(-1))
    assert results["problem1"]["y"] == pytest.approx([y, y], rel=1e-15)


def _smooth_network_at(digits: int, variant: dict, f) -> dict:
    """Loss, outputs and gradients by hand at many digits: the oracle of the next test."""
    import mpmath

    with mpmath.workdps(digits):
        mp = lambda v: mpmath.mpf(str(v))  # noqa: E731 - the decimal text, exactly
        X = [[mp(v) for v in row] for row in variant["X"]]
        t = [mp(v) for v in variant["t"]]
        W1 = [[mp(v) for v in row] for row in variant["W1"]]
        b1, w2, b2 = (
            [mp(v) for v in variant["b1"]],
            [mp(v) for v in variant["w2"]],
            mp(variant["b2"]),
        )
        h, d = len(W1), len(W1[0])
        gW1 = [[mpmath.mpf(0)] * d for _ in range(h)]
        gb1, gw2, gb2, loss, ys = [mpmath.mpf(0)] * h, [mpmath.mpf(0)] * h, mpmath.mpf(0), 0, []
        for x, target in zip(X, t, strict=True):
            z = [sum(W1[j][i] * x[i] for i in range(d)) + b1[j] for j in range(h)]
            a = [f(v) for v in z]
            y = sum(w2[j] * a[j] for j in range(h)) + b2
            ys.append(y)
            r = y - target
            loss += r * r / 2
            gb2 += r
            for j in range(h):
                gw2[j] += r * a[j]
                delta = r * w2[j] * mpmath.diff(f, z[j])
                gb1[j] += delta
                for i in range(d):
                    gW1[j][i] += delta * x[i]
        return {
            "loss": float(loss),
            "y": [float(v) for v in ys],
            "grad": {
                "W1": [[float(v) for v in row] for row in gW1],
                "b1": [float(v) for v in gb1],
                "w2": [float(v) for v in gw2],
                "b2": float(gb2),
            },
        }


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_smooth_answers_are_the_correctly_rounded_exact_values(tmp_path, activation):
    """A saturated network: float64 loses the tiny gradients to cancellation, results.json
    must not. The oracle is a hand-written pass at 200 digits."""
    import mpmath

    variant = {
        "X": [[0.9, -0.7, 0.8], [0.6, 0.9, -0.8], [-0.9, 0.5, 0.7], [0.4, -0.6, -0.9]],
        "t": [0.3, -0.2, 0.5, 0.1],
        "W1": [[9.5, -8.7, 9.1], [-9.9, 9.3, 8.9], [8.8, 9.7, -9.6], [-9.2, -8.9, 9.8]],
        "b1": [0.7, -0.9, 0.3, 0.8],
        "w2": [0.9, -0.8, 0.7, -0.6],
        "b2": 0.2,
    }
    lines = [f"{k} = {json.dumps(v)}" for k, v in variant.items()]
    path = tmp_path / "v.toml"
    path.write_text("[problem1]\n" + "\n".join(lines) + f'\nactivation = "{activation}"\n')
    assert main(["build", "--no-pdf", "--variant", str(path), "--out", str(tmp_path / "o")]) == 0
    results = json.loads((tmp_path / "o" / "results.json").read_text("utf-8"))["problem1"]
    f = mpmath.tanh if activation == "tanh" else (lambda z: 1 / (1 + mpmath.exp(-z)))
    oracle = _smooth_network_at(200, variant, f)
    assert results["loss"] == oracle["loss"] and results["y"] == oracle["y"]
    assert results["grad"] == oracle["grad"]  # every entry, to the last bit


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_a_residual_ball_around_zero_times_a_zero_weight_is_zero(activation):
    """Hypothesis found it: y = t exactly (r a ball around 0) and w2 = 0; FLINT's arb ** 1 of
    that ball is nan, and the evaluation raised. Every answer is exact here."""
    inp = NetworkInput(
        X=((F(0),),), t=(F(1, 10),), W1=((F(0),),), b1=(F(0),), w2=(F(0),), b2=F(1, 10),
        activation=activation,
    )  # fmt: skip
    answers = p1_network.solve(inp).answers
    assert answers.y == (0.1,) and answers.loss == 0.0 and answers.undecided == ()
    assert answers.grad == {"W1": ((0.0,),), "b1": (0.0,), "w2": (0.0,), "b2": 0.0}
