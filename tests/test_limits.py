"""Every limit is checked before the work: size, nesting, option ranges, message length."""

from __future__ import annotations

import pytest

from solgen.base.tomlinput import MAX_VARIANT_BYTES, nesting_depth
from solgen.cli import main, printable
from solgen.problems.network.fields import generated_samples


def _run(argv, capsys) -> tuple[int, list[str]]:
    rc = main(argv)
    return rc, capsys.readouterr().err.splitlines()


def test_deep_nesting_in_a_file_is_refused_before_parsing(tmp_path, capsys):
    """500 nested brackets (1 KB) raised RecursionError with a traceback."""
    variant = tmp_path / "deep.toml"
    variant.write_text("[problem1]\nX = " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    rc, err = _run(["build", "--variant", str(variant), "--out", str(tmp_path / "o")], capsys)
    assert (rc, err) == (
        2,
        [f"solgen: error: {variant}: arrays nested 500 deep, expected at most 8"],
    )
    assert not (tmp_path / "o").exists()


def test_deep_nesting_in_set_is_refused(tmp_path, capsys):
    value = "[" * 500 + "]" * 500
    rc, err = _run(["build", "--set", f"problem1.X={value}", "--out", str(tmp_path)], capsys)
    assert (rc, err) == (
        2,
        ["solgen: error: --set problem1.X: arrays nested 500 deep, expected at most 8"],
    )


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("X = [[1, 2], [3, 4]]", 2),
        ("layers = [{ conv = 5, filters = 8 }, { pool = 2 }]", 2),
        ('title = "[[[[[[[[[[ not an array"', 0),
        ("title = '[[[[[[[[[[' # [[[[[[[[[[", 0),
        ('t = "a \\" [[[[[[[[[[ b" # x\nA = [[[1]]]', 3),
        ("[problem1]\n[[tables]]", 2),
    ],
)
def test_nesting_depth_skips_strings_and_comments(text, depth):
    assert nesting_depth(text) == depth


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, capsys):
    variant = tmp_path / "huge.toml"
    variant.write_bytes(b"# padding\n" * (MAX_VARIANT_BYTES // 10 + 1))
    rc, err = _run(["build", "--variant", str(variant), "--out", str(tmp_path / "o")], capsys)
    assert (rc, err) == (
        2,
        [
            f"solgen: error: --variant: {variant} is larger than 4 MB, "
            "expected a variant file of at most that size"
        ],
    )


def test_many_problems_print_twenty_lines_and_a_count(tmp_path, capsys):
    """A file of 100,000 unknown keys printed 100,000 lines."""
    variant = tmp_path / "unknown.toml"
    variant.write_text(
        "[problem1]\n" + "".join(f"k{i} = 1\n" for i in range(100_000)), encoding="utf-8"
    )
    rc, err = _run(["build", "--variant", str(variant), "--out", str(tmp_path / "o")], capsys)
    assert rc == 2
    assert len(err) == 21
    assert err[0].startswith("solgen: error: problem1.k0: unknown field; known fields: X, t,")
    assert err[-1] == "solgen: error: and 99980 more"


def test_control_characters_are_escaped_in_messages(tmp_path, capsys):
    rc, err = _run(
        ["build", "--set", "meta.author=a\u2028b", "--out", str(tmp_path), "--no-pdf"],
        capsys,
    )
    assert rc == 2
    assert err == [
        "solgen: error: meta.author: pdflatex cannot set \\u2028 (U+2028); expected Latin "
        "(Vietnamese too), Greek, Cyrillic, Chinese, Japanese or Korean letters, digits and "
        "punctuation"
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\u2028b", "a\\u2028b"),
        ("\x1b[31mred", "\\u001b[31mred"),
        ("tab\there", "tab\\u0009here"),
        ("line\nbreak", "line\nbreak"),
        ("Núñez-Ødegård", "Núñez-Ødegård"),
    ],
)
def test_printable_escapes_what_would_break_a_message(text, shown):
    assert printable(text) == shown


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--samples", "100000"], "--samples: expected at most 4096, found 100000"),
        (
            ["--samples", "2000", "--inputs", "50", "--hidden", "100"],
            "--samples x --inputs x --hidden = 10,000,000, expected at most 5,000,000 "
            "for a generated network",
        ),
        (
            ["--samples", "1000", "--inputs", "400", "--hidden", "300"],
            "--samples x --hidden = 300,000, expected at most 250,000 (pre-activations)",
        ),
        (
            ["--samples", "500", "--inputs", "4", "--hidden", "2"],
            "--samples: expected at most 400 with 4 inputs per sample, found 500 (with more, "
            "some pre-activation is almost surely exactly 0, and the generator draws each "
            "hidden unit until none is)",
        ),
        (
            ["--samples", "1"],
            "--samples: expected at least 2 (each hidden unit must be active for some samples "
            "and inactive for others), found 1",
        ),
    ],
)
@pytest.mark.parametrize("command", ["variant", "batch"])
def test_shape_options_are_refused_before_any_work(tmp_path, capsys, argv, message, command):
    """variant --samples 100000 ran for more than a minute; batch --hidden 5000 failed
    every variant with exit 1."""
    where = ["--seed", "1"] if command == "variant" else ["--count", "2", "--out", str(tmp_path)]
    rc, err = _run([command, *where, *argv], capsys)
    assert rc == 2
    assert f"solgen: error: {message}" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("inputs", "samples"), [(1, 200), (4, 400), (48, 1385), (420, 4096)])
def test_generated_samples_bound(inputs, samples):
    assert generated_samples(inputs) == samples


@pytest.mark.parametrize(
    ("activation", "shape", "message"),
    [
        (
            "sigmoid",
            (260, 1, 100),
            "N x h = 260 x 100 = 26,000 pre-activations, expected at most 25,000",
        ),
        (
            "relu",
            (1100, 1, 250),
            "N x h = 1100 x 250 = 275,000 pre-activations, expected at most 250,000",
        ),
    ],
)
def test_pre_activations_are_bounded(tmp_path, capsys, activation, shape, message):
    """A 1000 x 1 x 250 sigmoid network passed the N*d*h bound and took 58 s."""
    N, d, h = shape
    rows = lambda r, c: "[" + ",".join("[" + ",".join(["0.1"] * c) + "]" for _ in range(r)) + "]"  # noqa: E731
    vector = lambda n: "[" + ",".join(["0.1"] * n) + "]"  # noqa: E731
    variant = tmp_path / "v.toml"
    variant.write_text(
        f"[problem1]\nX = {rows(N, d)}\nt = {vector(N)}\nW1 = {rows(h, d)}\nb1 = {vector(h)}\n"
        f'w2 = {vector(h)}\nb2 = 0.1\nactivation = "{activation}"\n',
        encoding="utf-8",
    )
    rc, err = _run(["build", "--variant", str(variant), "--out", str(tmp_path / "o")], capsys)
    assert rc == 2
    assert err[0].startswith(f"solgen: error: problem1: {message} with activation '{activation}'")
