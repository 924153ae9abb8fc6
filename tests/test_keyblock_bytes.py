"""Byte goldens of the class files the golden batch does not hold: key.pdf's key blocks (TeX),
report.txt, and the grades and feedback of an answers file, for tests/golden_cases.py's batch
(BATCH), a batch with a wide network (W1 ids dW1_1_11, entries beyond the block's 48) and, as a
roster, the results.json of the seven golden builds. Captured from the code before the class
stages iterated over the assignment (issue 19); `python tests/test_keyblock_bytes.py` rewrites
them after a reviewed change that is meant to alter them."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from golden_cases import BATCH, BUILDS

from solgen.cli import main
from solgen.course import manifest as mf
from solgen.course.classfiles import collect_answers, key_block

GOLDEN = Path(__file__).resolve().parent / "golden" / "keyblocks"
BYTES = Path(__file__).resolve().parent / "golden" / "bytes"
WIDE = ("--count", "1", "--seed", "3", "--inputs", "10", "--hidden", "5", "--no-pdf")
NAMES = ("Émile & Co_1", "O'Brien {50%}", "#1 ~ $x^2$", "Ada", "Back\\slash", "Ünal", "Z")


def _blocks(batch: Path) -> str:
    manifest = mf.load(batch)
    assert manifest is not None
    answers = collect_answers(batch, manifest)
    return "".join(key_block(manifest, i, results) for i, results in answers.items())


def _roster_blocks(batch: Path) -> str:
    """The seven golden builds' results.json as a roster's students (names TeX must escape)."""
    manifest = mf.load(batch)
    assert manifest is not None
    record = next(iter(manifest.records.values()))
    records = {f"s{k}": replace(record, name=NAMES[k], seed=None) for k in range(len(BUILDS))}
    roster = replace(manifest, kind="roster", records=records)
    blocks = []
    for k, name in enumerate(sorted(BUILDS)):
        results = json.loads((BYTES / name / "results.json").read_text("utf-8"))
        blocks.append(key_block(roster, f"s{k}", results))
    return "".join(blocks)


def _answers(batch: Path) -> str:
    """answers.csv as a class's answers: as given, then varied (wrong, none, intervals, the
    exact column alone, an invalid design, a count with separators)."""
    rows = list(csv.DictReader(io.StringIO((batch / "answers.csv").read_text("utf-8"))))
    answers = json.loads((batch / "answers.json").read_text("utf-8"))
    first, second, third = rows
    second = dict(second)
    second["loss"] = str(float(second["loss"]) + 0.1)
    second["eta_max"] = ""
    second["lambda1"] = "none"
    second["layers"] = " ".join(
        f"conv{la['kernel']}:{la['out_channels']}" if la["type"] == "conv" else "pool"
        for la in answers[second["id"]]["problem3"]["layers"]
    )
    second["total_params"] = f"{int(second['total_params']):,}"
    third = dict(third)
    third["id"] = str(int(third["id"]))
    third["layers"] = "conv3:8 conv3:8 pool"
    third["total_params"] = "7"
    third["eta_max"] = f"[0, {third['eta_max_exact']}]" if third["eta_max_exact"] else "none"
    third["y1"] = "1/3"
    out = io.StringIO()
    columns = list(dict.fromkeys([*first, *second, *third]))
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows([first, second, third])
    return out.getvalue()


def outputs(work: Path) -> dict[str, str]:
    """Every golden file's name and text."""
    batch, wide = work / "batch", work / "wide"
    assert main(["batch", *BATCH, "--out", str(batch)]) == 0
    assert main(["batch", *WIDE, "--out", str(wide)]) == 0
    found = {
        "batch-keyblocks.tex": _blocks(batch),
        "wide-keyblocks.tex": _blocks(wide),
        "builds-keyblocks.tex": _roster_blocks(batch),
        "batch-report.txt": (batch / "report.txt").read_text("utf-8"),
        "wide-report.txt": (wide / "report.txt").read_text("utf-8"),
    }
    given = work / "given.csv"
    given.write_text(_answers(batch), "utf-8")
    grades = work / "grades.csv"
    assert main(["grade", "--key", str(batch), "--answers", str(given), "-o", str(grades)]) == 0
    found["batch-grades.csv"] = grades.read_text("utf-8")
    for path in sorted(grades.with_name("grades-feedback").iterdir()):
        found[f"batch-feedback-{path.name}"] = path.read_text("utf-8")
    return found


def test_key_blocks_reports_and_grades_are_byte_identical_to_their_golden(tmp_path):
    found = outputs(tmp_path)
    assert sorted(found) == sorted(p.name for p in GOLDEN.iterdir())
    for name, text in found.items():
        assert text == (GOLDEN / name).read_text("utf-8"), name


@pytest.mark.parametrize("name", ["batch-keyblocks.tex", "wide-keyblocks.tex"])
def test_the_goldens_cover_what_they_should(name):
    text = (GOLDEN / name).read_text("utf-8")
    assert text.count(r"\begin{keyblock}") == (3 if name.startswith("batch") else 1)
    if name.startswith("wide"):
        assert "more (answers.csv has every one)" in text


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.iterdir():
            old.unlink()
        for file_name, content in outputs(Path(tmp)).items():
            (GOLDEN / file_name).write_text(content, "utf-8")
