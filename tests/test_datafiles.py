"""data/: the variant's given numbers as CSV files, exact, written, hashed, handed out, merged."""

from __future__ import annotations

import json
import os
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers import override, snapshot
from hypothesis import given
from hypothesis import strategies as st

from solgen.cli import main
from solgen.document.datafiles import data_file_names, decimal_text
from solgen.document.variant import Variant, load_variant

DATA_FILES = data_file_names()
DEFAULT_TEXTS = {
    "data/X.csv": "0.2,-0.4,0.1,0.5\n0.8,1,-0.1,0.3\n-0.5,0.9,0.2,-0.8\n",
    "data/t.csv": "-0.5\n0.1\n0.8\n",
    "data/W1.csv": "-0.6,0.7,0.9,-0.3\n0.4,0.5,-1,0.1\n",
    "data/b1.csv": "-0.4\n-0.5\n",
    "data/w2.csv": "0.2\n0.6\n",
    "data/b2.csv": "-0.7\n",
    "data/A.csv": "5,2\n2,2\n",
}
SORTED = ["A.csv", "W1.csv", "X.csv", "b1.csv", "b2.csv", "t.csv", "w2.csv"]


def given_values(variant: Variant) -> dict[str, list[list[Fraction]]]:
    """What each data file must hold, as rows, from the variant solgen computes with."""
    p1 = variant.input_of("problem1")
    return {
        "data/X.csv": [list(r) for r in p1.X],
        "data/t.csv": [[v] for v in p1.t],
        "data/W1.csv": [list(r) for r in p1.W1],
        "data/b1.csv": [[v] for v in p1.b1],
        "data/w2.csv": [[v] for v in p1.w2],
        "data/b2.csv": [[p1.b2]],
        "data/A.csv": [list(r) for r in variant.input_of("problem2").A],
    }


def assert_read_back_exactly(out: Path, variant: Variant) -> None:
    """numpy.loadtxt reads every file to the variant's values: as text exactly, as floats to
    the float64 nearest each value."""
    for name, rows in given_values(variant).items():
        cells = np.loadtxt(out / name, delimiter=",", ndmin=2, dtype=str)
        assert [[Fraction(c) for c in row] for row in cells.tolist()] == rows, name
        floats = np.loadtxt(out / name, delimiter=",", ndmin=2)
        assert floats.tolist() == [[float(v) for v in row] for row in rows], name


def build(out: Path, *extra: str) -> int:
    return main(["build", "--no-pdf", "--out", str(out), *extra])


# --- the numbers -------------------------------------------------------------------------------


def test_data_files_are_named_in_the_order_of_the_problems():
    assert DATA_FILES == (
        "data/X.csv",
        "data/t.csv",
        "data/W1.csv",
        "data/b1.csv",
        "data/w2.csv",
        "data/b2.csv",
        "data/A.csv",
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(0), "0"),
        (Fraction(3), "3"),
        (Fraction(-1000000), "-1000000"),
        (Fraction(-2, 5), "-0.4"),
        (Fraction(1, 8), "0.125"),
        (Fraction(-1, 20), "-0.05"),
        (Fraction(1, 10**30), "0." + "0" * 29 + "1"),
        (Fraction(999999999, 1000), "999999.999"),
        (Fraction(1, 1024), "0.0009765625"),
    ],
)
def test_decimal_text_is_the_shortest_exact_decimal(value, text):
    assert decimal_text(value) == text
    assert Fraction(text) == value


def test_decimal_text_refuses_a_fraction_without_an_end():
    with pytest.raises(ValueError, match="1/3 has no terminating decimal form"):
        decimal_text(Fraction(1, 3))


@given(
    st.decimals(
        min_value=-1000000, max_value=1000000, places=None, allow_nan=False, allow_infinity=False
    ).filter(lambda d: d.as_tuple().exponent >= -30)
)
def test_decimal_text_reads_back_to_the_same_value(value):
    exact = Fraction(value)
    text = decimal_text(exact)
    assert Fraction(text) == exact
    assert not text.endswith("0") or "." not in text  # no trailing zeros: the shortest
    assert float(text) == float(exact)
    assert Decimal(text) == value


def test_default_data_files_exact_text(seed_build):
    assert sorted(os.listdir(seed_build / "data")) == SORTED
    for name, text in DEFAULT_TEXTS.items():
        assert (seed_build / name).read_bytes() == text.encode("utf-8"), name


def test_default_data_files_read_back_exactly(seed_build):
    assert_read_back_exactly(seed_build, load_variant(None))


def test_values_are_written_as_the_variant_gives_them(tmp_path):
    """Trailing zeros, exponents and -0.0 in the TOML: the file holds the value, shortest."""
    sets = [
        "--set=problem1.b1=[1.50, -0.0]",
        "--set=problem1.w2=[2.5e3, 1e-7]",
        "--set=problem1.b2=0.123456789012345678901234567891",
        "--set=problem2.A=[[4, 1.0], [1, 3]]",
    ]
    assert build(tmp_path / "o", *sets) == 0
    assert (tmp_path / "o" / "data" / "b1.csv").read_text("utf-8") == "1.5\n0\n"
    assert (tmp_path / "o" / "data" / "w2.csv").read_text("utf-8") == "2500\n0.0000001\n"
    assert (tmp_path / "o" / "data" / "b2.csv").read_text("utf-8") == (
        "0.123456789012345678901234567891\n"
    )
    assert (tmp_path / "o" / "data" / "A.csv").read_text("utf-8") == "4,1\n1,3\n"
    assert_read_back_exactly(tmp_path / "o", load_variant(None, sets=[s[6:] for s in sets]))


def test_a_large_generated_variant_reads_back_exactly(tmp_path):
    toml = tmp_path / "v.toml"
    args = ["--seed", "3", "--samples", "40", "--inputs", "12", "--hidden", "10"]
    assert main(["variant", *args, "-o", str(toml)]) == 0
    out = tmp_path / "o"
    assert build(out, "--variant", str(toml)) == 0
    variant = load_variant(toml)
    assert_read_back_exactly(out, variant)
    shapes = {name: np.loadtxt(out / name, delimiter=",", ndmin=2).shape for name in DATA_FILES}
    assert shapes == {
        "data/X.csv": (40, 12),
        "data/t.csv": (40, 1),
        "data/W1.csv": (10, 12),
        "data/b1.csv": (10, 1),
        "data/w2.csv": (10, 1),
        "data/b2.csv": (1, 1),
        "data/A.csv": (2, 2),
    }
    text = (out / "data" / "X.csv").read_text("utf-8")
    assert text.endswith("\n") and "\r" not in text and len(text.splitlines()) == 40


# --- written with the other outputs ------------------------------------------------------------


def test_an_earlier_data_folder_is_replaced_whole(previous_build):
    (previous_build / "data" / "mine.txt").write_text("stale\n", encoding="utf-8")
    (previous_build / "data" / "A.csv").write_text("damaged\n", encoding="utf-8")
    assert build(previous_build, "--set", "problem2.A=[[4,1],[1,3]]") == 0
    assert sorted(os.listdir(previous_build / "data")) == SORTED
    assert (previous_build / "data" / "A.csv").read_text("utf-8") == "4,1\n1,3\n"
    assert (previous_build / "notes.txt").read_text("utf-8") == "mine\n"  # outside data/
    assert sorted(os.listdir(previous_build)) == [
        "assignment.tex",
        "data",
        "notes.txt",
        "results.json",
        "solution.tex",
    ]  # no staging folder left


def test_a_file_named_data_is_refused_and_nothing_is_touched(previous_build, capsys):
    shutil.rmtree(previous_build / "data")
    (previous_build / "data").write_text("a file of mine\n", encoding="utf-8")
    before = snapshot(previous_build)
    assert build(previous_build, "--set", "problem2.A=[[4,1],[1,3]]") == 2
    assert capsys.readouterr().err == (
        f"solgen: error: --out: {previous_build / 'data'} exists and is not a directory; "
        f"solgen writes the data files into {previous_build / 'data'}/ "
        "(move or rename that file)\n"
    )
    assert snapshot(previous_build) == before
    assert sorted(os.listdir(previous_build)) == [
        "assignment.tex",
        "data",
        "notes.txt",
        "results.json",
        "solution.tex",
    ]


@pytest.mark.tex
def test_a_failed_build_keeps_the_previous_data_files(previous_build, tmp_path):
    before = snapshot(previous_build)
    templates = override(tmp_path, "\\undefinedcommandxyz\n")
    args = ["build", "--out", str(previous_build), "--templates", str(templates)]
    assert main([*args, "--set", "problem2.A=[[4,1],[1,3]]"]) == 1
    assert {k: v for k, v in snapshot(previous_build).items() if not k.startswith(".")} == before
    assert (previous_build / "data" / "A.csv").read_text("utf-8") == "5,2\n2,2\n"


# --- batches: hashed, rebuilt when damaged, handed out, merged ---------------------------------


def write_class(top: Path, rows: list[tuple[str, str]]) -> tuple[Path, Path]:
    roster = top / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in rows), encoding="utf-8")
    key = top / "course.key"
    key.write_text("sgk1-" + "0f" * 32 + "\n", encoding="ascii")
    return roster, key


def roster_batch(out: Path, roster: Path, key: Path, *extra: str) -> int:
    args = ["batch", "--roster", str(roster), "--key", str(key), "--out", str(out)]
    return main([*args, "--jobs", "2", *extra])


def test_batch_records_the_data_files_and_rebuilds_a_damaged_one(tmp_path, capsys):
    roster, key = write_class(tmp_path, [("a1", "Ada"), ("b2", "Emmy")])
    out = tmp_path / "class"
    assert roster_batch(out, roster, key, "--no-pdf") == 0
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert sorted(manifest["students"]["a1"]["outputs"]) == [
        "assignment.tex",
        "data/A.csv",
        "data/W1.csv",
        "data/X.csv",
        "data/b1.csv",
        "data/b2.csv",
        "data/t.csv",
        "data/w2.csv",
        "results.json",
        "solution.tex",
    ]
    built = (out / "a1" / "data" / "X.csv").read_bytes()
    assert_read_back_exactly(out / "a1", load_variant(out / "a1" / "variant.toml"))
    (out / "a1" / "data" / "X.csv").write_text("0\n", encoding="utf-8")
    (out / "b2" / "data" / "b2.csv").unlink()
    capsys.readouterr()
    assert roster_batch(out, roster, key, "--no-pdf") == 0
    printed = capsys.readouterr().out
    assert "batch: student a1 rebuilt: missing or damaged: data/X.csv\n" in printed
    assert "batch: student b2 rebuilt: missing or damaged: data/b2.csv\n" in printed
    assert (out / "a1" / "data" / "X.csv").read_bytes() == built
    assert sorted(os.listdir(out / "b2" / "data")) == SORTED
    capsys.readouterr()
    assert roster_batch(out, roster, key, "--no-pdf") == 0
    assert "batch: 0 built, 2 up to date" in capsys.readouterr().out


@pytest.mark.tex
@pytest.mark.slow
def test_handout_holds_each_students_data_files(tmp_path, capsys):
    roster, key = write_class(tmp_path, [("a1", "Ada"), ("b2", "Emmy")])
    out = tmp_path / "class"
    assert roster_batch(out, roster, key) == 0
    assert sorted(str(p.relative_to(out / "handout")) for p in (out / "handout").rglob("*")) == [
        path
        for i in ("a1", "b2")
        for path in [
            i,
            f"{i}/answer-form.csv",
            f"{i}/assignment.pdf",
            f"{i}/data",
            *(f"{i}/data/{n}" for n in SORTED),
        ]
    ]
    for student in ("a1", "b2"):
        for name in DATA_FILES:
            handed = out / "handout" / student / name
            assert handed.read_bytes() == (out / student / name).read_bytes()
            assert os.path.samefile(handed, out / student / name)  # a hard link, not a copy
        solution = out / "solutions" / student / "solution.pdf"
        assert os.path.samefile(solution, out / student / "solution.pdf")
    # a damaged data file: that student is rebuilt and handout/ follows
    (out / "b2" / "data" / "A.csv").write_text("1\n", encoding="utf-8")
    capsys.readouterr()
    assert roster_batch(out, roster, key) == 0
    assert "batch: student b2 rebuilt: missing or damaged: data/A.csv\n" in capsys.readouterr().out
    assert (out / "handout" / "b2" / "data" / "A.csv").read_bytes() == (
        out / "b2" / "data" / "A.csv"
    ).read_bytes()
    assert (out / "b2" / "data" / "A.csv").read_text("utf-8") != "1\n"


@pytest.mark.tex
@pytest.mark.slow
def test_a_student_built_before_data_files_is_handed_out_without_them(tmp_path, capsys):
    """A student off the roster, built by a solgen without data/ (no data hashes in the
    manifest, no data folder), is kept as built: handout/ holds their sheet and answer form
    only, solutions/ their solution."""
    roster, key = write_class(tmp_path, [("a1", "Ada"), ("b2", "Emmy")])
    out = tmp_path / "class"
    assert roster_batch(out, roster, key) == 0
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    outputs = manifest["students"]["b2"]["outputs"]
    manifest["students"]["b2"]["outputs"] = {
        k: v for k, v in outputs.items() if not k.startswith("data/")
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.rmtree(out / "b2" / "data")
    roster.write_text("id,name\na1,Ada\n", encoding="utf-8")
    capsys.readouterr()
    assert roster_batch(out, roster, key) == 0
    assert "batch: student b2: not on the roster: kept as built\n" in capsys.readouterr().out
    assert sorted(str(p.relative_to(out / "handout")) for p in (out / "handout").rglob("*")) == [
        "a1",
        "a1/answer-form.csv",
        "a1/assignment.pdf",
        "a1/data",
        *(f"a1/data/{n}" for n in SORTED),
        "b2",
        "b2/answer-form.csv",
        "b2/assignment.pdf",
    ]
    assert sorted(
        str(p.relative_to(out / "solutions")) for p in (out / "solutions").rglob("*")
    ) == ["a1", "a1/solution.pdf", "b2", "b2/solution.pdf"]


def test_merge_copies_checks_and_names_the_data_files(tmp_path, capsys):
    shards = [tmp_path / "s1", tmp_path / "s2"]
    for k, shard in enumerate(shards, start=1):
        args = ["batch", "--count", "2", "--seed", "5", "--no-pdf", "--jobs", "1"]
        assert main([*args, "--shard", f"{k}/2", "--out", str(shard)]) == 0
    (shards[1] / "0006" / "data" / "t.csv").write_text("0\n0\n0\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["merge", "--out", str(tmp_path / "merged"), *map(str, shards)]) == 2
    assert capsys.readouterr().err == (
        f"solgen: error: merge: {shards[1]}/manifest.json: students.0006.outputs.data/t.csv: "
        f"{shards[1]}/0006/data/t.csv differs from it (rerun that shard's batch to repair it)\n"
    )
    assert not (tmp_path / "merged").exists()
    args = ["batch", "--count", "2", "--seed", "5", "--no-pdf", "--jobs", "1", "--shard", "2/2"]
    assert main([*args, "--out", str(shards[1])]) == 0
    assert main(["merge", "--out", str(tmp_path / "merged"), *map(str, shards)]) == 0
    for variant_id, shard in (("0005", shards[0]), ("0006", shards[1])):
        merged = snapshot(tmp_path / "merged" / variant_id)
        assert sorted(k for k in merged if k.startswith("data/")) == [f"data/{n}" for n in SORTED]
        assert merged == snapshot(shard / variant_id)
