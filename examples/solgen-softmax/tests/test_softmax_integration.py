"""End to end: an assignment of four problems, the fourth this package's, through solgen's
stages (build, batch, grade, both exports), with nothing in solgen naming it.

The problem is registered by its entry point when the package is installed (pip install -e
examples/solgen-softmax), else by the `registered` fixture, which adds the same entry to the
registry for the test; the stages run in this process (solgen.cli.main).

A batch takes its assignment from an assignment file (--assignment FILE: its [assignment]
table), a roster and a course key, and writes every student's PDFs and the grader's key.pdf.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from solgen.cli import main

pytestmark = pytest.mark.slow

PROBLEMS = ["network", "descent", "convnet", "softmax"]
POINTS = [20, 15, 15, 10]
VARIANT = f"""\
[assignment]
problems = {json.dumps(PROBLEMS)}
points = {json.dumps(POINTS)}
"""
ROSTER = "id,name\ns1,Ada Lovelace\ns2,Alan Turing\ns3,Grace Hopper\n"
ANSWER_COLUMNS_NOT_GRADED = ("seed", "name", "eta_max_exact")


def _text(pdf: Path) -> str:
    run = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    return run.stdout


@pytest.mark.tex
@pytest.mark.skipif(shutil.which("latexmk") is None, reason="needs latexmk")
def test_build_writes_the_fourth_problem(registered: None, tmp_path: Path) -> None:
    variant = tmp_path / "variant.toml"
    variant.write_text(VARIANT, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", "--variant", str(variant), "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text("utf-8"))
    assert results["problem4"]["loss"] == 1.4618524505311192
    assert results["problem4"]["label"] == 2
    solution = _text(out / "solution.pdf")
    assert "Problem 4. Softmax cross-entropy (10 points)" in solution
    assert "1.46185" in solution  # the loss
    assert "Problem 1." in solution and "(20 points)" in solution
    sheet = _text(out / "assignment.pdf")
    assert "Problem 4. Softmax cross-entropy (10 points)" in sheet
    assert "1.46185" not in sheet  # the sheet has no answers


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A roster batch of the four problems, with PDFs and key.pdf (the package installed)."""
    work = tmp_path_factory.mktemp("class")
    assignment = work / "assignment.toml"
    assignment.write_text(VARIANT, encoding="utf-8")
    roster = work / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    key = work / "course.key"
    assert main(["key", "-o", str(key)]) == 0
    out = work / "batch"
    args = ["batch", "--roster", str(roster), "--key", str(key), "--out", str(out)]
    assert main([*args, "--assignment", str(assignment), "--jobs", "2"]) == 0
    return out


@pytest.mark.tex
def test_the_roster_batch_writes_every_students_pdfs_and_the_key(batch: Path) -> None:
    for student in ("s1", "s2", "s3"):
        folder = next(batch.glob(f"{student}*"))
        variant = (folder / "variant.toml").read_text("utf-8")
        assert '[assignment]\nproblems = ["network", "descent", "convnet", "softmax"]' in variant
        assert "Problem 4. Softmax cross-entropy (10 points)" in _text(folder / "assignment.pdf")
    key = _text(batch / "key.pdf")
    assert key.count("Problem 4") == 3 and "Grace Hopper" in key


@pytest.mark.tex
def test_batch_then_grade_gives_full_marks(batch: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((batch / "answers.csv").read_text("utf-8"))))
    assert len(rows) == 3
    for row in rows:
        assert {"ce_loss", "dz_1", "dz_2", "dz_3"} <= set(row)
        results = json.loads((batch / row["id"] / "results.json").read_text("utf-8"))
        assert float(row["ce_loss"]) == pytest.approx(results["problem4"]["loss"], rel=1e-11)
        row["layers"] = " ".join(  # answers.csv has no design (any valid one is right): the key's
            f"conv{layer['kernel']}:{layer['out_channels']}" if layer["type"] == "conv" else "pool"
            for layer in results["problem3"]["layers"]
        )
    columns = [c for c in rows[0] if c not in ANSWER_COLUMNS_NOT_GRADED]
    sheet = io.StringIO()
    writer = csv.DictWriter(sheet, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    answers = tmp_path / "answers.csv"
    answers.write_text(sheet.getvalue(), encoding="utf-8")
    grades = tmp_path / "grades.csv"
    assert main(["grade", "--key", str(batch), "--answers", str(answers), "-o", str(grades)]) == 0
    graded = list(csv.DictReader(io.StringIO(grades.read_text("utf-8"))))
    assert [row["total"] for row in graded] == [str(sum(POINTS))] * 3
    assert all(row["ce_loss"] == "4" for row in graded)
    assert all(row["dz_1"] == "2" for row in graded)  # 6 points over 3 entries


@pytest.mark.tex
def test_both_exports(batch: Path, tmp_path: Path) -> None:
    moodle = tmp_path / "questions.xml"
    assert main(["export", "moodle", "--key", str(batch), "-o", str(moodle)]) == 0
    xml = moodle.read_text("utf-8")
    assert "cross-entropy" in xml and "operatorname{softmax}" in xml
    qti = tmp_path / "questions.zip"
    assert main(["export", "qti", "--key", str(batch), "-o", str(qti)]) == 0
    with zipfile.ZipFile(qti) as archive:
        texts = [archive.read(name).decode("utf-8") for name in archive.namelist()]
    assert any("cross-entropy" in text for text in texts)
