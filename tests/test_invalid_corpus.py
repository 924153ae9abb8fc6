"""A corpus of invalid variant files: exit 2, the expected message, no traceback, nothing written.

Each file in tests/invalid/ starts with one or more ``# expect: <fragment>`` lines; every
fragment must appear in standard error.  Files that cannot be committed as text (not UTF-8,
binary) are written here, into tmp_path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import snapshot

from solgen.cli import main

CORPUS = Path(__file__).parent / "invalid"
FILES = sorted(CORPUS.glob("*.toml"))
EXPECT = "# expect: "


def expectations(path: Path) -> list[str]:
    """The ``# expect:`` fragments at the top of a corpus file."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith(EXPECT):
            break
        found.append(line.removeprefix(EXPECT))
    return found


def assert_invalid(argv: list[str], out: Path, capsys, fragments: list[str]) -> str:
    """main(argv) exits 2 with every fragment on stderr, no traceback, out untouched."""
    existed = out.exists()
    before = snapshot(out) if existed else None
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    assert captured.err.startswith("solgen: error: ")
    for fragment in fragments:
        assert fragment in captured.err
    if existed:
        assert snapshot(out) == before
    else:
        assert not out.exists()
    return captured.err


def build_argv(variant: Path | str, out: Path) -> list[str]:
    return ["build", "--no-pdf", "--variant", str(variant), "--out", str(out)]


# --- the corpus ------------------------------------------------------------------------------


def test_the_corpus_is_big_enough():
    assert len(FILES) >= 40
    for path in FILES:
        assert expectations(path), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_invalid_variant_file(path, previous_build, tmp_path, capsys):
    fragments = expectations(path)
    assert fragments
    assert_invalid(build_argv(path, previous_build), previous_build, capsys, fragments)
    fresh = tmp_path / "fresh"
    assert_invalid(build_argv(path, fresh), fresh, capsys, fragments)


# --- files that are not TOML text --------------------------------------------------------------

NOT_TEXT = [
    ("latin1.toml", b"\xe9", ["is not UTF-8 text (byte 0: 0xe9)"]),
    ("latin1-author.toml", b'[meta]\nauthor = "Jos\xe9"\n', ["is not UTF-8 text (byte 20: 0xe9)"]),
    ("truncated-utf8.toml", b'[meta]\nauthor = "\xc3"\n', ["is not UTF-8 text (byte 17: 0xc3)"]),
    ("binary.toml", b"\x7fELF\x02\x01\x01\x00\x00\x00garbage", ["is a binary file"]),
    ("nul.toml", b"[problem1]\nb2 = 1\x00\n", ["is a binary file"]),
    ("utf16.toml", "[problem1]\nb2 = 1\n".encode("utf-16"), ["is UTF-16 text, expected UTF-8"]),
]


@pytest.mark.parametrize(("name", "data", "fragments"), NOT_TEXT, ids=[n[0] for n in NOT_TEXT])
def test_variant_file_that_is_not_text(name, data, fragments, previous_build, tmp_path, capsys):
    path = tmp_path / name
    path.write_bytes(data)
    err = assert_invalid(
        build_argv(path, previous_build), previous_build, capsys, ["--variant: ", *fragments]
    )
    assert str(path) in err


def test_variant_file_does_not_exist(previous_build, tmp_path, capsys):
    missing = tmp_path / "missing.toml"
    assert_invalid(
        build_argv(missing, previous_build),
        previous_build,
        capsys,
        [f"--variant: the file {missing} does not exist"],
    )


def test_variant_file_is_a_directory(previous_build, tmp_path, capsys):
    directory = tmp_path / "a-directory.toml"
    directory.mkdir()
    assert_invalid(
        build_argv(directory, previous_build),
        previous_build,
        capsys,
        [f"--variant: {directory} is a directory, expected a TOML file"],
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_variant_file_is_unreadable(previous_build, tmp_path, capsys):
    path = tmp_path / "locked.toml"
    path.write_text("[problem1]\nb2 = 1\n", encoding="utf-8")
    path.chmod(0)
    try:
        assert_invalid(
            build_argv(path, previous_build), previous_build, capsys, ["--variant: cannot read"]
        )
    finally:
        path.chmod(0o600)


# --- malformed --set values --------------------------------------------------------------------

SET_FORMAT = "expected SECTION.FIELD=VALUE"
BAD_SETS = [
    ("problem2.A=[[1,2]", ["--set problem2.A: the value '[[1,2]' is not valid TOML", "Unclosed"]),
    ("nonsense", [f"--set nonsense: {SET_FORMAT}"]),
    ("problem1.W1=", ["--set problem1.W1: the value '' is not valid TOML"]),
    ("problem1.=1", [f"--set problem1.=1: {SET_FORMAT}"]),
    (".b2=1", [f"--set .b2=1: {SET_FORMAT}"]),
    ("=", [f"--set =: {SET_FORMAT}"]),
    ("problem1.b2.x=1", [f"--set problem1.b2.x=1: {SET_FORMAT}"]),
    ("problem1..b2=1", [f"--set problem1..b2=1: {SET_FORMAT}"]),
    ("problem1.b2={a=1", ["--set problem1.b2: the value '{a=1' is not valid TOML"]),
    ('meta.author="Ada', ["--set meta.author: the value '\"Ada' is not valid TOML"]),
    ("problem1.b2=1 2", ["--set problem1.b2: the value '1 2' is not valid TOML"]),
    ("problem1.b2=abc", ["problem1.b2: expected a number, found the string 'abc'"]),
    ('problem1.b2="1"', ["problem1.b2: expected a number, found the string '1'"]),
    ("problem1.w1=[1,2]", ["problem1.w1: unknown field (did you mean W1?)"]),
    ("problem9.x=1", ["problem9: unknown section"]),
    ("problem2.A=[[1,2],[3]]", ["problem2.A: rows have different lengths [2, 1]"]),
    (
        "problem1.b2=" + "1" * 5000,
        ["--set problem1.b2: a number has 5000 digits, expected a number of magnitude at most 1e6"],
    ),
]


@pytest.mark.parametrize(("assignment", "fragments"), BAD_SETS, ids=[s[0][:30] for s in BAD_SETS])
def test_malformed_set(assignment, fragments, previous_build, capsys):
    argv = ["build", "--no-pdf", "--out", str(previous_build), "--set", assignment]
    assert_invalid(argv, previous_build, capsys, fragments)


def test_set_into_a_section_that_is_not_a_table(previous_build, tmp_path, capsys):
    variant = tmp_path / "v.toml"
    variant.write_text("problem1 = 3\n", encoding="utf-8")
    argv = [*build_argv(variant, previous_build), "--set", "problem1.b2=1"]
    assert_invalid(
        argv, previous_build, capsys, ["--set problem1.b2: problem1 is not a table in the variant"]
    )


def test_set_value_with_a_second_statement_is_rejected(previous_build, capsys):
    # "value = 1\nb2 = 2" parses as TOML, so b2 silently becomes 1 and "b2 = 2" is dropped.
    argv = ["build", "--no-pdf", "--out", str(previous_build), "--set", "problem1.b2=1\nb2 = 2"]
    assert_invalid(argv, previous_build, capsys, ["--set problem1.b2"])


@pytest.mark.parametrize("how", ["file", "set"])
def test_number_with_a_huge_exponent(how, previous_build, tmp_path, capsys):
    if how == "file":
        variant = tmp_path / "v.toml"
        variant.write_text("[problem1]\nb2 = 1e1000000\n", encoding="utf-8")
        argv = build_argv(variant, previous_build)
    else:
        argv = ["build", "--no-pdf", "--out", str(previous_build), "--set", "problem1.b2=1e1000000"]
    assert_invalid(argv, previous_build, capsys, ["problem1.b2: expected a number of magnitude"])


def test_zero_with_many_decimal_zeros_is_accepted(tmp_path, capsys):
    out = tmp_path / "out"
    zero = "0." + "0" * 31
    rc = main(["build", "--no-pdf", "--out", str(out), "--set", f"problem1.b2={zero}"])
    assert rc == 0, capsys.readouterr().err


def test_one_with_many_decimal_zeros_is_accepted(tmp_path):
    out = tmp_path / "out"
    one = "1." + "0" * 31
    assert main(["build", "--no-pdf", "--out", str(out), "--set", f"problem1.b2={one}"]) == 0


def run_with_timeout(argv: list[str], seconds: float) -> subprocess.CompletedProcess[str] | None:
    """solgen in a subprocess; None if it did not finish in time (it is killed)."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "solgen", *argv],
            capture_output=True,
            text=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None


def test_number_with_a_huge_negative_exponent_is_rejected_quickly(tmp_path):
    out = tmp_path / "out"
    proc = run_with_timeout(
        ["build", "--no-pdf", "--out", str(out), "--set", "problem1.b2=1e-999999999"], 5
    )
    assert proc is not None, "solgen did not finish within 5 s"
    assert proc.returncode == 2
    assert "problem1.b2" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_target_with_many_kernels_is_rejected_quickly(tmp_path):
    out = tmp_path / "out"
    kernels = list(range(1, 30, 2))
    argv = [
        "build",
        "--no-pdf",
        "--out",
        str(out),
        "--set",
        "problem3.input=[4096,4096,3]",
        "--set",
        "problem3.target=[1,2,64]",
        "--set",
        f"problem3.kernel_sizes={kernels}",
    ]
    proc = run_with_timeout(argv, 5)
    assert proc is not None, "solgen did not finish within 5 s"
    assert proc.returncode == 2
    assert "problem3.target: 1x2 cannot be reached" in proc.stderr
