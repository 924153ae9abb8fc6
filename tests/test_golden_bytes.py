"""Byte goldens: the outputs of tests/golden_cases.py's builds and batch against
tests/golden/bytes/, captured by tests/golden/capture.py (see there). A move of code that
changes a single byte of a .tex, results.json, answers.csv or LMS file fails here."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from golden_cases import BATCH, BUILDS

from solgen.cli import main

BYTES = Path(__file__).resolve().parent / "golden" / "bytes"
OUTPUTS = ("solution.tex", "assignment.tex", "results.json")


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_a_build_is_byte_identical_to_its_golden(tmp_path, name):
    out = tmp_path / name
    args = ["build", "--no-pdf", "--out", str(out)]
    args += [a for s in BUILDS[name] for a in ("--set", s)]
    assert main(args) == 0
    for output in OUTPUTS:
        got = (out / output).read_bytes()
        assert got == (BYTES / name / output).read_bytes(), f"{name}/{output}"


@pytest.mark.tex
def test_the_default_pdfs_are_byte_identical_to_their_golden(tmp_path):
    """Byte for byte with the TeX Live they were captured with (the first line of the
    sha256 file names it); another pdfTeX may lay out the same source differently."""
    recorded = (BYTES / "default" / "pdf.sha256").read_text().splitlines()
    version = subprocess.run(
        ["pdftex", "--version"], capture_output=True, text=True, check=True
    ).stdout.splitlines()[0]
    if recorded[0] != f"# {version}":
        pytest.skip(f"captured with {recorded[0][2:]}, this machine has {version}")
    out = tmp_path / "out"
    assert main(["build", "--out", str(out)]) == 0
    for line in recorded[1:]:
        digest, name = line.split()
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name


def test_a_seeded_batch_and_its_exports_are_byte_identical_to_their_golden(tmp_path):
    batch = tmp_path / "batch"
    assert main(["batch", *BATCH, "--out", str(batch)]) == 0
    golden = BYTES / "batch"
    for name in ("answers.csv", "answers.json"):
        assert (batch / name).read_bytes() == (golden / name).read_bytes(), name
    assert main(["export", "moodle", "--key", str(batch), "-o", str(tmp_path / "m.xml")]) == 0
    assert (tmp_path / "m.xml").read_bytes() == (golden / "moodle.xml").read_bytes()
    assert main(["export", "qti", "--key", str(batch), "-o", str(tmp_path / "q.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "q.zip") as archive:
        names = sorted(archive.namelist())
        expected = sorted(
            str(p.relative_to(golden / "qti")) for p in (golden / "qti").rglob("*") if p.is_file()
        )
        assert names == expected
        for member in names:
            assert archive.read(member) == (golden / "qti" / member).read_bytes(), member
    shutil.rmtree(batch)
