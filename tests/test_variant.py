"""variant.py, tomlinput.py, messages.py: the default, decimals, --set, problem3, bad input."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from solgen.base.errors import InvalidInput
from solgen.base.messages import did_you_mean, listed
from solgen.base.tomlinput import parse_set, parse_toml, read_variant_file
from solgen.document.variant import Meta, build_variant, fields_of, load_variant
from solgen.problems.convnet.fields import Layer
from solgen.problems.descent.fields import DescentInput
from solgen.problems.network.fields import ACTIVATIONS, NetworkInput

FIELDS = fields_of()


def q(numerator: int, denominator: int = 1) -> Fraction:
    return Fraction(numerator, denominator)


P1_FIELDS = "X, t, W1, b1, w2, b2, activation"
SECTIONS = "meta, problem1, problem2, problem3"
ACT = "problem1.activation: expected one of 'relu', 'sigmoid', 'tanh', found"
HIDDEN = "one per hidden unit (rows of problem1.W1, 2 x 4)"
SET_FORMAT = "expected SECTION.FIELD=VALUE (e.g. meta.date='Due 5 December')"

DEFAULT_LAYERS = (
    Layer(kind="conv", kernel=5, filters=8),
    Layer(kind="pool", kernel=2),
    Layer(kind="conv", kernel=5, filters=32),
    Layer(kind="pool", kernel=2),
    Layer(kind="conv", kernel=2, filters=64),
)


def from_text(text: str) -> object:
    return build_variant(parse_toml(text, "v.toml"))


def problems(
    text: str | None = None, sets: tuple[str, ...] = (), tmp: Path | None = None
) -> list[str]:
    """The problems InvalidInput reports for a variant text and/or --set list."""
    path = None
    if text is not None:
        assert tmp is not None
        path = tmp / "v.toml"
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_variant(path, list(sets))
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


# --- the default variant -------------------------------------------------------------------


def test_default_variant_is_the_seed_exactly():
    v = load_variant()
    assert v.meta == Meta(
        title="Machine Learning Assignment 2: Neural Networks",
        author="Alan Copa",
        date="Submission deadline: November 21, 2024",
    )
    assert v.input_of("problem1") == NetworkInput(
        X=(
            (q(1, 5), q(-2, 5), q(1, 10), q(1, 2)),
            (q(4, 5), q(1), q(-1, 10), q(3, 10)),
            (q(-1, 2), q(9, 10), q(1, 5), q(-4, 5)),
        ),
        t=(q(-1, 2), q(1, 10), q(4, 5)),
        W1=((q(-3, 5), q(7, 10), q(9, 10), q(-3, 10)), (q(2, 5), q(1, 2), q(-1), q(1, 10))),
        b1=(q(-2, 5), q(-1, 2)),
        w2=(q(1, 5), q(3, 5)),
        b2=q(-7, 10),
        activation="relu",
    )
    assert v.input_of("problem2") == DescentInput(A=((q(5), q(2)), (q(2), q(2))))
    p3 = v.input_of("problem3")
    assert (p3.input, p3.target, p3.kernel_sizes) == ((32, 32, 3), (4, 4, 64), (3, 5, 7))
    assert p3.layers == DEFAULT_LAYERS
    assert p3.filters is None


def test_default_numbers_are_fractions_not_binary_floats():
    p1 = load_variant().input_of("problem1")
    assert all(type(x) is Fraction for row in p1.X for x in row)
    assert p1.X[0][2] == q(1, 10)
    assert p1.X[0][2] != Fraction(0.1)  # the binary float 0.1 is not 1/10
    assert type(p1.b2) is Fraction


def test_empty_variant_equals_default():
    assert build_variant({}) == load_variant()
    assert from_text("") == load_variant()


# --- exact decimals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("0.1", q(1, 10)),
        ("-0.7", q(-7, 10)),
        ("1e-3", q(1, 1000)),
        ("2.5E2", q(250)),
        ("0.3333333333333333333333", q(3333333333333333333333, 10**22)),
        ("3", q(3)),
        ("-0", q(0)),
        ("1_000", q(1000)),
        ("1000000", q(1000000)),
        ("-1e6", q(-1000000)),
    ],
)
def test_numbers_are_read_exactly(tmp_path, literal, expected):
    path = tmp_path / "v.toml"
    path.write_text(f"[problem1]\nb2 = {literal}\n", encoding="utf-8")
    b2 = load_variant(path).input_of("problem1").b2
    assert b2 == expected
    assert type(b2) is Fraction


def test_file_with_0_1_gives_one_tenth_in_every_shape(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text("[problem2]\nA = [[0.1, 0.2], [0.3, 0.4]]\n", encoding="utf-8")
    expected = ((q(1, 10), q(1, 5)), (q(3, 10), q(2, 5)))
    matrix = load_variant(path).input_of("problem2").A
    assert matrix == expected


def test_parse_toml_reads_floats_as_decimals():
    assert parse_toml("a = 0.1\nb = [1, 2.50]\n", "x") == {
        "a": Decimal("0.1"),
        "b": [1, Decimal("2.50")],
    }


# --- --set ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("problem2.A=[[4,1],[1,3]]", ("problem2", "A", [[4, 1], [1, 3]])),
        ("problem1.b2=0.25", ("problem1", "b2", Decimal("0.25"))),
        ("meta.author=Ada", ("meta", "author", "Ada")),
        ('meta.author="José"', ("meta", "author", "José")),
        ("meta.author=José", ("meta", "author", "José")),
        ("meta.author=Ada Lovelace", ("meta", "author", "Ada Lovelace")),
        ("problem1.activation=tanh", ("problem1", "activation", "tanh")),
        (" problem1.b2 = -3 ", ("problem1", "b2", -3)),
        ("meta.title=a=b", ("meta", "title", "a=b")),
        ("problem3.layers=[{pool = 2}]", ("problem3", "layers", [{"pool": 2}])),
        ("problem1.t=[1, 2.0, 3]", ("problem1", "t", [1, Decimal("2.0"), 3])),
    ],
)
def test_parse_set(assignment, expected):
    result = parse_set(assignment)
    assert result == expected
    assert [type(x) for x in result] == [type(x) for x in expected]


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("problem2.A", f"--set problem2.A: {SET_FORMAT}"),
        ("=3", f"--set =3: {SET_FORMAT}"),
        ("problem2.A.x=1", f"--set problem2.A.x=1: {SET_FORMAT}"),
        ("problem2=1", f"--set problem2=1: {SET_FORMAT}"),
        ("problem1.=1", f"--set problem1.=1: {SET_FORMAT}"),
        (".b2=1", f"--set .b2=1: {SET_FORMAT}"),
        ("", f"--set : {SET_FORMAT}"),
    ],
)
def test_parse_set_malformed_key(assignment, message):
    with pytest.raises(InvalidInput) as info:
        parse_set(assignment)
    assert info.value.problems == [message]


@pytest.mark.parametrize(
    ("assignment", "prefix", "where"),
    [
        (
            "problem2.A=[[1,2]",
            "--set problem2.A: the value '[[1,2]' is not valid TOML: ",
            "Unclosed array",
        ),
        ("problem1.b2=.5", "--set problem1.b2: the value '.5' is not valid TOML: ", "column 9"),
        ("problem1.b2=", "--set problem1.b2: the value '' is not valid TOML: ", "Invalid value"),
        ("problem1.b2=1 2", "--set problem1.b2: the value '1 2' is not valid TOML: ", "line 1"),
        ('meta.author="Ada', "--set meta.author: the value '\"Ada' is not valid TOML: ", "string"),
        (
            "problem3.layers={pool=2",
            "--set problem3.layers: the value '{pool=2' is not valid TOML: ",
            "inline table",
        ),
    ],
)
def test_parse_set_malformed_value_names_the_key(assignment, prefix, where):
    with pytest.raises(InvalidInput) as info:
        parse_set(assignment)
    [message] = info.value.problems
    assert message.startswith(prefix)
    assert where.lower() in message.lower()


def test_set_is_applied_after_the_file(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text(
        '[problem1]\nb2 = 0.5\nb1 = [1, 2]\n[meta]\nauthor = "File"\n', encoding="utf-8"
    )
    v = load_variant(path, ["problem1.b2=0.25", "meta.author=Ada", "problem1.b2=0.125"])
    assert v.input_of("problem1").b2 == q(1, 8)  # the last --set wins
    assert v.input_of("problem1").b1 == (q(1), q(2))  # the file's other fields stay
    assert v.meta.author == "Ada"
    assert v.meta.title == "Machine Learning Assignment 2: Neural Networks"


def test_set_can_repair_an_invalid_file_field(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text('[problem1]\nb2 = "oops"\n', encoding="utf-8")
    assert load_variant(path, ["problem1.b2=2"]).input_of("problem1").b2 == q(2)


def test_set_on_matrix_and_text(tmp_path):
    v = load_variant(None, ["problem2.A=[[4,1],[1,3]]", 'meta.author="José"'])
    expected = ((q(4), q(1)), (q(1), q(3)))
    matrix = v.input_of("problem2").A
    assert matrix == expected
    assert v.meta.author == "José"


def test_set_into_a_section_that_is_not_a_table(tmp_path):
    assert problems("meta = 3\n", ("meta.author=Ada",), tmp_path) == [
        "--set meta.author: meta is not a table in the variant file"
    ]


# --- the problem3 rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sets", "layers"),
    [
        (None, (), DEFAULT_LAYERS),
        ("[problem1]\nb2 = 1\n", ("problem2.A=[[1]]",), DEFAULT_LAYERS),
        ("[problem3]\ninput = [32, 32, 3]\n", (), None),
        ("[problem3]\nkernel_sizes = [3]\n", (), None),
        ("[problem3]\nfilters = [32, 64]\n", (), None),
        (None, ("problem3.target=[4,4,64]",), None),
        (None, ("problem3.kernel_sizes=[3,5]",), None),
        ("[problem3]\nlayers = [{conv = 3, filters = 4}]\n", (), (Layer("conv", 3, 4),)),
        (
            "[problem3]\ninput = [8, 8, 1]\n",
            ("problem3.layers=[{conv=3, filters=2}, {pool=2}]",),
            (Layer("conv", 3, 2), Layer("pool", 2)),
        ),
        (
            "[problem3]\nlayers = [{pool = 2}, {conv = 7, filters = 1}]\ntarget = [1, 1, 1]\n",
            (),
            (Layer("pool", 2), Layer("conv", 7, 1)),
        ),
    ],
)
def test_problem3_layers_rule(tmp_path, text, sets, layers):
    path = None
    if text is not None:
        path = tmp_path / "v.toml"
        path.write_text(text, encoding="utf-8")
    assert load_variant(path, list(sets)).input_of("problem3").layers == layers


def test_problem3_fields_without_layers():
    p3 = from_text("[problem3]\ninput = [28, 30, 1]\nkernel_sizes = [7, 3, 3, 5]\nfilters = [64]\n")
    assert p3.input_of("problem3").input == (28, 30, 1)
    assert p3.input_of("problem3").target == (4, 4, 64)
    assert p3.input_of("problem3").kernel_sizes == (3, 5, 7)
    assert p3.input_of("problem3").filters == (64,)
    assert p3.input_of("problem3").layers is None


# --- invalid variants ----------------------------------------------------------------------

A9 = str([[int(i == j) for j in range(9)] for i in range(9)])
T4097 = str([0] * 4097)

INVALID = [
    # unknown sections and fields, did-you-mean
    (
        "[problem4]\nx = 1",
        (),
        [f"problem4: unknown section (did you mean problem3?); known sections: {SECTIONS}"],
    ),
    (
        "[Problem1]\nb2 = 1",
        (),
        [f"Problem1: unknown section (did you mean problem1?); known sections: {SECTIONS}"],
    ),
    (
        "[problem1]\nw1 = [[1]]",
        (),
        [f"problem1.w1: unknown field (did you mean W1?); known fields: {P1_FIELDS}"],
    ),
    ("[problem1]\nfoo = 1", (), [f"problem1.foo: unknown field; known fields: {P1_FIELDS}"]),
    (
        '[meta]\nauthr = "x"',
        (),
        [
            "meta.authr: unknown field (did you mean author?); "
            "known fields: title, author, date, student_id"
        ],
    ),
    (
        None,
        ("problm2.A=[[1]]",),
        [f"problm2: unknown section (did you mean problem2?); known sections: {SECTIONS}"],
    ),
    ("meta = 3", (), ["meta: expected a table [meta], found the number 3"]),
    # wrong types
    ('[problem1]\nb2 = "x"', (), ["problem1.b2: expected a number, found the string 'x'"]),
    ("[problem1]\nb2 = true", (), ["problem1.b2: expected a number, found the boolean true"]),
    ("[problem1]\nb2 = {a = 1}", (), ["problem1.b2: expected a number, found a table"]),
    ("[problem1]\nb2 = [1]", (), ["problem1.b2: expected a number, found a list of 1 item"]),
    (None, ("problem1.b2=abc",), ["problem1.b2: expected a number, found the string 'abc'"]),
    (
        '[problem1]\nX = "abc"',
        (),
        ["problem1.X: expected a matrix (a list of rows of numbers), found the string 'abc'"],
    ),
    (
        "[problem1]\nX = [1, 2]",
        (),
        ["problem1.X: expected a matrix (a list of rows of numbers), found a list of 2 items"],
    ),
    (
        "[problem1]\nW1 = {a = 1}",
        (),
        ["problem1.W1: expected a matrix (a list of rows of numbers), found a table"],
    ),
    (
        "[problem1]\nt = false",
        (),
        ["problem1.t: expected a list of numbers, found the boolean false"],
    ),
    (
        '[problem2]\nA = [[1, 2], [3, "x"]]',
        (),
        ["problem2.A[1][1]: expected a number, found the string 'x'"],
    ),
    (
        "[problem2]\nA = [[true]]",
        (),
        ["problem2.A[0][0]: expected a number, found the boolean true"],
    ),
    ("[meta]\nauthor = 3", (), ["meta.author: expected a string, found the number 3"]),
    ('[meta]\ntitle = ["a"]', (), ["meta.title: expected a string, found a list of 1 item"]),
    # ragged, empty, too long
    (
        "[problem1]\nX = [[1, 2], [3]]",
        (),
        ["problem1.X: rows have different lengths [2, 1]; expected every row of length 2"],
    ),
    ("[problem1]\nX = []", (), ["problem1.X: expected a non-empty matrix, found an empty one"]),
    ("[problem1]\nX = [[]]", (), ["problem1.X: expected a non-empty matrix, found an empty one"]),
    (
        "[problem1]\nb1 = []",
        (),
        ["problem1.b1: expected a non-empty list of numbers, found an empty list"],
    ),
    (f"[problem1]\nt = {T4097}", (), ["problem1.t: expected at most 4096 entries, found 4097"]),
    # shape mismatches name both sides
    (
        "[problem1]\nt = [1, 2]",
        (),
        ["problem1.t: expected 3 targets, one per row of problem1.X (3 x 4), found 2"],
    ),
    (
        "[problem1]\nW1 = [[1, 2, 3], [1, 2, 3]]",
        (),
        [
            "problem1.W1: expected 4 columns to match the 4 inputs per sample of "
            "problem1.X (3 x 4), "
            "found W1 of shape 2 x 3"
        ],
    ),
    (
        "[problem1]\nb1 = [1, 2, 3]",
        (),
        ["problem1.b1: expected 2 entries, " + HIDDEN + ", found 3"],
    ),
    (
        "[problem1]\nw2 = [1]",
        (),
        ["problem1.w2: expected 2 entries, " + HIDDEN + ", found 1"],
    ),
    # NaN, inf, magnitude
    ("[problem1]\nb2 = nan", (), ["problem1.b2: expected a finite number, found nan"]),
    ("[problem1]\nb2 = inf", (), ["problem1.b2: expected a finite number, found inf"]),
    ("[problem1]\nb2 = -inf", (), ["problem1.b2: expected a finite number, found -inf"]),
    ("[problem1]\nt = [nan, 1, 2]", (), ["problem1.t[0]: expected a finite number, found nan"]),
    (
        "[problem2]\nA = [[1000001]]",
        (),
        ["problem2.A[0][0]: expected a number of magnitude at most 1e6, found 1000001"],
    ),
    (
        "[problem2]\nA = [[1e7]]",
        (),
        ["problem2.A[0][0]: expected a number of magnitude at most 1e6, found 10000000"],
    ),
    (
        "[problem2]\nA = [[-1000000.5]]",
        (),
        ["problem2.A[0][0]: expected a number of magnitude at most 1e6, found -1000000.5"],
    ),
    (
        "[problem1]\nb2 = 1.0000001e6",
        (),
        ["problem1.b2: expected a number of magnitude at most 1e6, found 1000000.1"],
    ),
    # activation
    (
        '[problem1]\nactivation = "Relu"',
        (),
        [ACT + " the string 'Relu' (did you mean relu?)"],
    ),
    (
        None,
        ("problem1.activation=Tanh",),
        [ACT + " the string 'Tanh' (did you mean tanh?)"],
    ),
    (
        '[problem1]\nactivation = "softmax"',
        (),
        [ACT + " the string 'softmax'"],
    ),
    (
        "[problem1]\nactivation = 1",
        (),
        [ACT + " the number 1"],
    ),
    # problem2.A
    (
        "[problem2]\nA = [[1, 2, 3], [4, 5, 6]]",
        (),
        ["problem2.A: expected a square matrix, found shape 2 x 3"],
    ),
    (None, ("problem2.A=[[1,2]]",), ["problem2.A: expected a square matrix, found shape 1 x 2"]),
    (
        f"[problem2]\nA = {A9}",
        (),
        ["problem2.A: expected at most 8 x 8 (exact eigenvalues), found 9 x 9"],
    ),
    # problem3.layers
    (
        "[problem3]\nlayers = [{conv = 5}]",
        (),
        ["problem3.layers[0]: a conv layer needs filters (e.g. {conv = 5, filters = 8})"],
    ),
    (
        "[problem3]\nlayers = [{pool = 3}]",
        (),
        ["problem3.layers[0].pool: expected 2 (2x2 max-pooling, stride 2), found 3"],
    ),
    (
        "[problem3]\nlayers = [{pool = 2, stride = 2}]",
        (),
        ["problem3.layers[0]: expected the keys conv and filters, or pool, found pool, stride"],
    ),
    (
        "[problem3]\nlayers = [{conv = 5, filters = 8, pad = 1}]",
        (),
        [
            "problem3.layers[0]: expected the keys conv and filters, or pool, "
            "found conv, filters, pad"
        ],
    ),
    (
        "[problem3]\nlayers = [{}]",
        (),
        ["problem3.layers[0]: expected the keys conv and filters, or pool, found none"],
    ),
    (
        "[problem3]\nlayers = [5]",
        (),
        [
            "problem3.layers[0]: expected a table {conv = K, filters = F} or {pool = 2}, "
            "found the number 5"
        ],
    ),
    (
        "[problem3]\nlayers = []",
        (),
        ["problem3.layers: expected a non-empty list of layer tables, found a list of 0 items"],
    ),
    (
        "[problem3]\nlayers = {conv = 5}",
        (),
        ["problem3.layers: expected a non-empty list of layer tables, found a table"],
    ),
    (
        "[problem3]\nlayers = [{conv = 0, filters = 8}]",
        (),
        ["problem3.layers[0].conv: expected a positive integer at most 4096, found 0"],
    ),
    (
        "[problem3]\nlayers = [{conv = 5, filters = -1}]",
        (),
        ["problem3.layers[0].filters: expected a positive integer at most 4096, found -1"],
    ),
    (
        "[problem3]\nlayers = [{conv = 5.0, filters = 8}]",
        (),
        ["problem3.layers[0].conv: expected a positive integer, found the number 5.0"],
    ),
    (
        "[problem3]\nlayers = [{pool = true}]",
        (),
        ["problem3.layers[0].pool: expected a positive integer, found the boolean true"],
    ),
    # problem3 shapes and sizes
    (
        "[problem3]\ninput = [32, 32]",
        (),
        ["problem3.input: expected 3 integers (height, width, channels), found 2"],
    ),
    (
        "[problem3]\ninput = [32, 0, 3]",
        (),
        ["problem3.input[1]: expected a positive integer at most 4096, found 0"],
    ),
    (
        "[problem3]\ninput = [32, -3, 3]",
        (),
        ["problem3.input[1]: expected a positive integer at most 4096, found -3"],
    ),
    (
        "[problem3]\ninput = [32, 5000, 3]",
        (),
        ["problem3.input[1]: expected a positive integer at most 4096, found 5000"],
    ),
    (
        '[problem3]\ntarget = "4x4"',
        (),
        ["problem3.target: expected a non-empty list of positive integers, found the string '4x4'"],
    ),
    (
        "[problem3]\nkernel_sizes = []",
        (),
        [
            "problem3.kernel_sizes: expected a non-empty list of positive integers, "
            "found a list of 0 items"
        ],
    ),
    (
        "[problem3]\nkernel_sizes = [3, 2.5]",
        (),
        ["problem3.kernel_sizes[1]: expected a positive integer, found the number 2.5"],
    ),
    (
        "[problem3]\nfilters = [0]",
        (),
        ["problem3.filters[0]: expected a positive integer at most 4096, found 0"],
    ),
]


@pytest.mark.parametrize(("text", "sets", "expected"), INVALID)
def test_invalid_variant(tmp_path, text, sets, expected):
    assert problems(text, sets, tmp_path) == expected


def test_invalid_table_is_large_enough():
    assert len(INVALID) >= 25


def test_independent_problems_in_different_sections_are_all_reported(tmp_path):
    text = (
        '[meta]\nauthr = "x"\n'
        '[problem1]\nb2 = "x"\n'
        "[problem2]\nA = [[1, 2]]\n"
        "[problem3]\nlayers = [{pool = 3}, {conv = 5}]\n"
        "[problem_1]\n"
    )
    assert problems(text, (), tmp_path) == [
        "meta.authr: unknown field (did you mean author?); "
        "known fields: title, author, date, student_id",
        f"problem_1: unknown section (did you mean problem1?); known sections: {SECTIONS}",
        "problem1.b2: expected a number, found the string 'x'",
        "problem2.A: expected a square matrix, found shape 1 x 2",
        "problem3.layers[0].pool: expected 2 (2x2 max-pooling, stride 2), found 3",
        "problem3.layers[1]: a conv layer needs filters (e.g. {conv = 5, filters = 8})",
    ]


def test_every_bad_entry_of_a_matrix_is_reported(tmp_path):
    assert problems('[problem1]\nX = [["a", 1], [nan, true]]\nt = [1, 2]', (), tmp_path) == [
        "problem1.X[0][0]: expected a number, found the string 'a'",
        "problem1.X[1][0]: expected a finite number, found nan",
        "problem1.X[1][1]: expected a number, found the boolean true",
    ]


def test_file_and_set_problems_are_reported_together(tmp_path):
    assert problems("[problem1]\nb2 = nan\n", ("problem2.A=[[1,2]]", "meta.date=1"), tmp_path) == [
        "meta.date: expected a string, found the number 1",
        "problem1.b2: expected a finite number, found nan",
        "problem2.A: expected a square matrix, found shape 1 x 2",
    ]


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("[problem1]\nt = [1, 2]\nb1 = [1, 2, 3]", ["problem1.t", "problem1.b1"]),
        ("[problem1]\nb1 = [1, 2, 3]\nw2 = [1]", ["problem1.b1", "problem1.w2"]),
        ('[problem1]\nactivation = "Relu"\nt = [1, 2]', ["problem1.activation", "problem1.t"]),
    ],
)
def test_independent_problem1_problems_are_all_reported(tmp_path, text, fields):
    reported = problems(text, (), tmp_path)
    assert [p.split(":")[0] for p in reported] == fields


def test_set_key_with_spaces_around_the_dot():
    assert parse_set("problem1 . b2 = 3") == ("problem1", "b2", 3)


@pytest.mark.parametrize("where", ["file", "set"])
def test_huge_integer_literal_is_invalid_input(tmp_path, where):
    literal = "1" + "0" * 5000
    if where == "file":
        path = tmp_path / "v.toml"
        path.write_text(f"[problem1]\nb2 = {literal}\n", encoding="utf-8")
        with pytest.raises(InvalidInput):
            load_variant(path)
    else:
        with pytest.raises(InvalidInput) as info:
            load_variant(None, [f"problem1.b2={literal}"])
        assert "problem1.b2" in info.value.problems[0]


# --- did_you_mean --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "choices", "hint"),
    [
        ("w1", FIELDS["problem1"], " (did you mean W1?)"),
        ("x", FIELDS["problem1"], " (did you mean X?)"),
        ("B2", FIELDS["problem1"], " (did you mean b2?)"),
        ("Relu", ACTIVATIONS, " (did you mean relu?)"),
        ("sigmod", ACTIVATIONS, " (did you mean sigmoid?)"),
        ("probelm2", tuple(FIELDS), " (did you mean problem2?)"),
        ("kernel_size", FIELDS["problem3"], " (did you mean kernel_sizes?)"),
        ("softmax", ACTIVATIONS, ""),
        ("zzz", FIELDS["problem1"], ""),
        ("", ACTIVATIONS, ""),
    ],
)
def test_did_you_mean(name, choices, hint):
    assert did_you_mean(name, choices) == hint


# --- read_variant_file ---------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(InvalidInput) as info:
        read_variant_file(path)
    assert info.value.problems == [f"--variant: the file {path} does not exist"]


def test_directory(tmp_path):
    with pytest.raises(InvalidInput) as info:
        read_variant_file(tmp_path)
    assert info.value.problems == [f"--variant: {tmp_path} is a directory, expected a TOML file"]


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[meta]\nauthor = "José"\n'.encode("latin-1"))
    with pytest.raises(InvalidInput) as info:
        read_variant_file(path)
    assert info.value.problems == [f"--variant: {path} is not UTF-8 text (byte 20: 0xe9)"]


def test_binary_file(tmp_path):
    path = tmp_path / "bin.toml"
    path.write_bytes(b'[meta]\nauthor = "x"\n\x00\x01\x02')
    with pytest.raises(InvalidInput) as info:
        read_variant_file(path)
    assert info.value.problems == [f"--variant: {path} is a binary file, expected a TOML text file"]


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("[meta]\nauthor = \n", "(at line 2, column 10)"),
        ("[problem1]\nb2 = 1\nb2 = 2\n", "(at line 3, column 7)"),
        ("[problem1\nb2 = 1\n", "(at line 1, column 10)"),
        ('[meta]\nauthor = "x\n', "(at line 2, column 12)"),
    ],
)
def test_toml_syntax_error_has_line_and_column(tmp_path, text, position):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_variant(path)
    [message] = info.value.problems
    assert message.startswith(f"{path}: not valid TOML: ")
    assert message.endswith(position)


def test_read_variant_file_returns_the_parsed_table(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text("[problem1]\nb2 = 0.5\r\n", encoding="utf-8")
    assert read_variant_file(path) == {"problem1": {"b2": Decimal("0.5")}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1E+7"), "10000000"),
        (Decimal("0.25"), "0.25"),
        (Decimal("-0.000001"), "-0.000001"),
        (Decimal("1E-31"), "1e-31"),
        (Decimal("1.5E+16"), "1.5e16"),
        (Decimal("-1E+99999999999999999"), "-1e99999999999999999"),  # never written out
        (Decimal("NaN"), "nan"),
        (Decimal("-Infinity"), "-inf"),
        (12, "12"),
    ],
)
def test_numbers_in_messages_are_shown_as_toml_writes_them(value, expected):
    from solgen.base.messages import shown

    assert shown(value) == expected


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [(1, "target", "1 target"), (3, "target", "3 targets"), (1, "entry", "1 entry"),
     (2, "entry", "2 entries"), (0, "column", "0 columns")],
)  # fmt: skip
def test_plural(count, noun, expected):
    from solgen.base.messages import plural

    assert plural(count, noun) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("[problem1]\nb2 = 1\n".encode("utf-16"), "UTF-16"),  # with a byte-order mark
        ("[problem1]\nb2 = 1\n".encode("utf-16-le"), "UTF-16"),  # without one
        ("[problem1]\nb2 = 1\n".encode("utf-16-be"), "UTF-16"),
        ("[problem1]\nb2 = 1\n".encode("utf-32"), "UTF-32"),
    ],
)
def test_wide_encodings_are_named(tmp_path, data, expected):
    path = tmp_path / "v.toml"
    path.write_bytes(data)
    with pytest.raises(InvalidInput) as info:
        load_variant(path)
    assert info.value.problems == [
        f"--variant: {path} is {expected} text, expected UTF-8 (save it as UTF-8)"
    ]


@pytest.mark.parametrize(
    ("activation", "shape", "limit"),
    [("sigmoid", (101, 100, 100), "1,000,000"), ("tanh", (1000, 20, 51), "1,000,000")],
)
def test_networks_too_large_to_answer_in_time_are_refused(activation, shape, limit):
    N, d, h = shape
    variant = {
        "problem1": {
            "X": [[Decimal("0.1")] * d] * N,
            "t": [Decimal("0.1")] * N,
            "W1": [[Decimal("0.1")] * d] * h,
            "b1": [Decimal("0.1")] * h,
            "w2": [Decimal("0.1")] * h,
            "activation": activation,
        }
    }
    with pytest.raises(InvalidInput) as info:
        build_variant(variant)
    assert info.value.problems == [
        f"problem1: N x d x h = {N} x {d} x {h} = {N * d * h:,} products per pass, expected at "
        f"most {limit} with activation '{activation}' (exact arithmetic); use a smaller network "
        "or relu"
    ]
    variant["problem1"]["activation"] = "relu"  # rationals: 50,000,000 products are fine
    assert build_variant(variant).input_of("problem1").activation == "relu"


def test_an_activation_that_is_a_list_is_invalid_input_not_a_crash():
    """Found by the fuzz test: the size limit looked the activation up in a dict."""
    with pytest.raises(InvalidInput) as info:
        build_variant({"problem1": {"activation": ["relu"]}})
    assert info.value.problems == [
        "problem1.activation: expected one of 'relu', 'sigmoid', 'tanh', found a list of 1 item"
    ]


def test_every_table_by_activation_has_each_activation_once():
    """ACTIVATIONS is the one list; the limits, the statements and the formulas follow it."""
    from dataclasses import replace

    from solgen.lms.lmsclass import statement_html
    from solgen.problems.network import PROBLEM as NETWORK
    from solgen.problems.network.derive import activation_expr
    from solgen.problems.network.fields import MAX_UNITS, MAX_WORK

    for table in (MAX_WORK, MAX_UNITS):
        assert tuple(table) == ACTIVATIONS
    assert all(activation_expr(name) is not None for name in ACTIVATIONS)
    # the statement template names each activation its own way (its LMS HTML differs)
    inp = load_variant().input_of("problem1")
    statements = {statement_html(NETWORK, replace(inp, activation=a)) for a in ACTIVATIONS}
    assert len(statements) == len(ACTIVATIONS)


@pytest.mark.parametrize(
    ("items", "word", "expected"),
    [
        ([], "and", ""),
        (["3x3"], "or", "3x3"),
        (["3x3", "5x5"], "or", "3x3 or 5x5"),
        (["a", "b", "c"], "and", "a, b and c"),
        (["$3$", "$5$", "$7$"], r"\text{ or }", r"$3$, $5$ \text{ or } $7$"),
    ],
)
def test_listed_joins_items_as_a_sentence_does(items, word, expected):
    assert listed(items, word) == expected
