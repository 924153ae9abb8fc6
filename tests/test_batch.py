"""batch.py: parallel builds, answer keys, combined PDFs, failures, reruns, shards and merge."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import pdf_content, pdf_pages, pdf_string

from solgen.base.errors import InvalidInput
from solgen.cli import main
from solgen.course.batch import BatchOptions, parse_shard, plan, run_batch
from solgen.course.classfiles import answers_csv


def batch(tmp: Path, *extra: str) -> int:
    return main(["batch", "--no-pdf", "--out", str(tmp), *extra])


def test_plan_ids_and_shards():
    options = BatchOptions(count=5, seed=98)
    assert plan(options) == [
        ("0098", 98),
        ("0099", 99),
        ("0100", 100),
        ("0101", 101),
        ("0102", 102),
    ]
    sharded = [plan(BatchOptions(count=5, seed=98, shard=(k, 2))) for k in (1, 2)]
    assert [i for i, _ in sharded[0]] == ["0098", "0100", "0102"]
    assert [i for i, _ in sharded[1]] == ["0099", "0101"]
    # one width for the whole batch (every shard agrees), wide enough for the last seed
    assert plan(BatchOptions(count=3, seed=99998)) == [
        ("099998", 99998),
        ("099999", 99999),
        ("100000", 100000),
    ]


@pytest.mark.parametrize("text", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_bad_shard(text):
    with pytest.raises(InvalidInput, match="--shard"):
        parse_shard(text)


def test_answers_rows_match_each_results_json(tmp_path):
    assert batch(tmp_path, "--count", "4", "--seed", "10", "--jobs", "2") == 0
    answers = json.loads((tmp_path / "answers.json").read_text(encoding="utf-8"))
    assert list(answers) == ["0010", "0011", "0012", "0013"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "answers.csv").read_text("utf-8"))))
    assert [row["id"] for row in rows] == list(answers)
    for row in rows:
        results = json.loads((tmp_path / row["id"] / "results.json").read_text("utf-8"))
        assert answers[row["id"]] == results
        p1 = results["problem1"]
        assert int(row["seed"]) == int(row["id"])
        assert float(row["loss"]) == pytest.approx(p1["loss"], rel=1e-11)
        assert float(row["dW1_24"]) == pytest.approx(p1["grad"]["W1"][1][3], rel=1e-11, abs=1e-15)
        assert float(row["db2"]) == pytest.approx(p1["grad"]["b2"], rel=1e-11, abs=1e-15)
        assert float(row["lambda2"]) == pytest.approx(results["problem2"]["eigenvalues"][1])
        assert row["eta_max_exact"] == results["problem2"]["eta_max_exact"]
        assert int(row["total_params"]) == results["problem3"]["total_params"]
        assert sorted(p.name for p in (tmp_path / row["id"]).iterdir()) == [
            "assignment.tex",
            "data",
            "results.json",
            "solution.tex",
            "variant.toml",
        ]


def test_same_seed_and_count_same_answers_byte_for_byte(tmp_path):
    assert batch(tmp_path / "a", "--count", "3", "--seed", "7", "--jobs", "1") == 0
    assert batch(tmp_path / "b", "--count", "3", "--seed", "7", "--jobs", "2") == 0
    for name in ("answers.csv", "answers.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_shards_merged_equal_the_unsharded_batch(tmp_path, capsys):
    assert batch(tmp_path / "all", "--count", "5", "--seed", "3") == 0
    for k in (1, 2, 3):
        assert batch(tmp_path / f"s{k}", "--count", "5", "--seed", "3", "--shard", f"{k}/3") == 0
    assert sorted(p.name for p in (tmp_path / "s2").iterdir() if p.is_dir()) == ["0004", "0007"]
    shards = [str(tmp_path / f"s{k}") for k in (3, 1, 2)]  # any order
    assert main(["merge", "--out", str(tmp_path / "merged"), *shards]) == 0
    assert "merge: 5 variants" in capsys.readouterr().out
    for name in ("answers.csv", "answers.json"):
        merged = (tmp_path / "merged" / name).read_bytes()
        assert merged == (tmp_path / "all" / name).read_bytes()


def test_merge_refuses_conflicts_and_missing_shards(tmp_path, capsys):
    assert batch(tmp_path / "a", "--count", "1", "--seed", "3") == 0
    assert batch(tmp_path / "b", "--count", "1", "--seed", "3", "--samples", "4") == 0
    assert (
        main(["merge", "--out", str(tmp_path / "m"), str(tmp_path / "a"), str(tmp_path / "b")]) == 2
    )
    a, b = tmp_path / "a", tmp_path / "b"
    assert (
        f"merge: {b}/manifest.json: plan: differs from {a}/manifest.json: the shards are of "
        "different batches (--set values, the assignment or its draw options)"
    ) in capsys.readouterr().err
    assert main(["merge", "--out", str(tmp_path / "m"), str(tmp_path / "nothing")]) == 2
    assert f"merge: {tmp_path / 'nothing'} is not a directory" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_a_failing_variant_does_not_stop_the_batch(tmp_path, capsys):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "convnet.tex.j2").write_text(
        "((* extends 'solgen/convnet.tex.j2' *))\n"
        "((* block statement *))((* if meta.author == 'Variant 21' *))((( no_such_value )))"
        "((* endif *))((( super() )))((* endblock *))\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    rc = batch(out, "--count", "3", "--seed", "20", "--jobs", "2", "--templates", str(templates))
    captured = capsys.readouterr()
    assert rc == 1
    assert "variant 0021 failed: UndefinedError: 'no_such_value' is undefined" in captured.err
    assert "batch: 2 built, 0 up to date, 1 failed" in captured.out
    answers = json.loads((out / "answers.json").read_text("utf-8"))
    assert list(answers) == ["0020", "0022"]
    assert not (out / "0021").exists()  # no variant.toml without its results
    # the same templates again: only the failed variant is built
    assert batch(out, "--count", "3", "--seed", "20", "--templates", str(templates)) == 1
    assert "batch: 0 built, 2 up to date, 1 failed" in capsys.readouterr().out
    # without the override the templates changed: every variant is rebuilt, and says why
    assert batch(out, "--count", "3", "--seed", "20") == 0
    printed = capsys.readouterr().out
    assert "batch: variant 0020 rebuilt: the templates changed" in printed
    assert "batch: variant 0022 rebuilt: the templates changed" in printed
    assert "batch: 3 built, 0 up to date, 0 failed" in printed
    assert list(json.loads((out / "answers.json").read_text("utf-8"))) == ["0020", "0021", "0022"]


def test_rerun_rebuilds_what_is_missing_and_force_everything(tmp_path, capsys):
    assert batch(tmp_path, "--count", "3") == 0
    capsys.readouterr()
    (tmp_path / "0001" / "results.json").unlink()
    assert batch(tmp_path, "--count", "3") == 0
    printed = capsys.readouterr().out
    assert "batch: variant 0001 rebuilt: missing or damaged: results.json\n" in printed
    assert "batch: 1 built, 2 up to date" in printed
    assert batch(tmp_path, "--count", "3", "--force") == 0
    assert "batch: 3 built, 0 up to date" in capsys.readouterr().out


def test_answers_csv_columns():
    results = json.loads(
        Path(__file__).with_name("golden").joinpath("results-seed.json").read_text()
    )
    text = answers_csv({"0000": results})
    header, row = text.splitlines()
    assert header == (
        "id,seed,loss,y1,y2,y3,dW1_11,dW1_12,dW1_13,dW1_14,dW1_21,dW1_22,dW1_23,dW1_24,"
        "db1_1,db1_2,dw2_1,dw2_2,db2,lambda1,lambda2,eta_max,eta_max_exact,total_params"
    )
    assert row == (
        "0000,0,1.0185,-0.7,-0.43,-0.51,0.131,-0.2358,-0.0524,0.2096,-0.2544,-0.318,0.0318,"
        "-0.0954,-0.262,-0.318,-1.2445,-0.2385,-2.04,1,6,0.166666666667,1/6,15296"
    )


@pytest.mark.tex
def test_batch_with_pdfs_and_combined_documents(tmp_path):
    if shutil.which("latexmk") is None:
        pytest.fail("latexmk is needed (make test installs it)")
    report = run_batch(BatchOptions(count=3, seed=40, jobs=2, out=tmp_path), io.StringIO())
    assert [o.status for o in report.outcomes] == ["built"] * 3
    assert sorted(p.name for p in report.combined) == ["all-assignments.pdf", "all-solutions.pdf"]
    for variant_id in ("0040", "0041", "0042"):
        assert (tmp_path / variant_id / "solution.pdf").read_bytes().startswith(b"%PDF-")
    # The combined PDFs hold every variant's own pages, in id order, copied unchanged: the
    # same glyphs on every page (text extraction orders the glyphs of a copied page slightly
    # differently, so each page is compared as a multiset of characters).
    for document, combined in (("solution", "all-solutions"), ("assignment", "all-assignments")):
        pages = pdf_pages(tmp_path / f"{combined}.pdf")
        own = [pdf_pages(tmp_path / v / f"{document}.pdf") for v in ("0040", "0041", "0042")]
        assert len(pages) == sum(len(p) for p in own) >= 3
        assert [_glyphs(page) for page in pages] == [_glyphs(p) for v in own for p in v]
    text = "\f".join(pdf_pages(tmp_path / "all-solutions.pdf"))
    assert text.index("Variant 40") < text.index("Variant 41") < text.index("Variant 42")
    sheets = "\f".join(pdf_pages(tmp_path / "all-assignments.pdf"))
    assert "Solution." not in sheets and sheets.count("Problem 1. Calculating gradients") == 3
    # one bookmark per variant, pointing at its first page
    for document, combined in (("solution", "all-solutions"), ("assignment", "all-assignments")):
        lengths = [len(pdf_pages(tmp_path / v / f"{document}.pdf")) for v in ("0040", "0041")]
        starts = [1, 1 + lengths[0], 1 + lengths[0] + lengths[1]]
        assert _destinations(tmp_path / f"{combined}.pdf") == [
            (page, f"variant{i}") for i, page in enumerate(starts, start=1)
        ]
        content = pdf_content(tmp_path / f"{combined}.pdf")
        for seed in (40, 41, 42):
            assert pdf_string(f"Variant {seed:04d}") in content
    assert not list(tmp_path.glob(".solgen-*"))  # no scratch folders left


def _destinations(path: Path) -> list[tuple[int, str]]:
    """(page, name) of every named destination (pdfinfo -dests)."""
    listing = subprocess.run(
        ["pdfinfo", "-dests", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [(int(page), name) for page, name in re.findall(r"^\s*(\d+) .*\"(.*)\"$", listing, re.M)]


def _glyphs(page: str) -> list[str]:
    return sorted("".join(page.split()))


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only():
    from solgen.course.batch import Outcome, Progress

    terminal = FakeTerminal()
    progress = Progress(4, terminal)
    progress.update(Outcome("0000", "built"))
    progress.update(Outcome("0001", "failed", error="x"))
    shown = terminal.getvalue()
    assert "\r[###############...............] 2/4  failed 1  ETA 0:" in shown
    quiet = io.StringIO()
    Progress(4, quiet).update(Outcome("0000", "built"))
    assert quiet.getvalue() == ""


def test_answers_csv_names_every_entry_of_an_11x11_network_apart(tmp_path):
    # dW1_111 could be W1[1,11] or W1[11,1]: from 10 rows or columns on, every W1 id has a
    # separator, so answers.csv has a column for each of the 121 entries
    shape = ["--inputs", "11", "--hidden", "11", "--samples", "3"]
    assert batch(tmp_path, "--count", "1", "--seed", "5", *shape) == 0
    (row,) = csv.DictReader(io.StringIO((tmp_path / "answers.csv").read_text("utf-8")))
    gradient = [c for c in row if c.startswith("dW1_")]
    expected = [f"dW1_{j}_{i}" for j in range(1, 12) for i in range(1, 12)]
    assert gradient == expected and len(set(gradient)) == 121
    assert "dW1_111" not in row
    w1 = json.loads((tmp_path / "0005" / "results.json").read_text("utf-8"))["problem1"]["grad"]
    for j in range(11):
        for i in range(11):
            assert row[f"dW1_{j + 1}_{i + 1}"] == f"{w1['W1'][j][i]:.12g}"
    assert [c for c in row if c.startswith(("db1_", "dw2_"))] == [
        *(f"db1_{j}" for j in range(1, 12)),
        *(f"dw2_{j}" for j in range(1, 12)),
    ]


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ('[meta]\ndate = "a"\n', '[meta]\ndate = "b"\n', "its variant changed (meta.date)"),
        (
            '[meta]\ndate = "a"\n[problem2]\nA = [[1, 0], [0, 1]]\n',
            '[meta]\ndate = "a"\n[problem2]\nA = [[2, 0], [0, 1]]\n',
            "its variant changed (problem2.A)",
        ),
        (
            "[meta]\n" + "".join(f"f{i} = {i}\n" for i in range(7)),
            "[meta]\n" + "".join(f"f{i} = {i + 1}\n" for i in range(7)),
            "its variant changed (meta.f0, meta.f1, meta.f2, meta.f3, meta.f4 and 2 more)",
        ),
        (
            '[meta]\ndate = "a"\n',
            '[meta]\ndate = "a"\n[assignment]\nproblems = ["descent"]\n',
            "its variant changed (assignment)",
        ),
        ("not toml [", '[meta]\ndate = "a"\n', "its variant changed"),
    ],
)
def test_a_rerun_says_what_changed_in_a_variant(old, new, said):
    from solgen.course.batch import _variant_changed

    assert _variant_changed(old, new) == said


def test_a_canvas_gradebook_export_runs_through_batch_and_grade(tmp_path, capsys):
    """The roster as Canvas exports it, no hand edit: the SIS User ID (the student number)
    is the id, the points row and the test student are skipped and said, and grade takes
    answers by that id."""
    from test_roster import CANVAS

    roster = tmp_path / "gradebook.csv"
    roster.write_text(CANVAS, encoding="utf-8")
    key = tmp_path / "course.key"
    assert main(["key", "-o", str(key)]) == 0
    out = tmp_path / "ml2"
    capsys.readouterr()
    assert (
        main(["batch", "--roster", str(roster), "--key", str(key), "--no-pdf", "--out", str(out)])
        == 0
    )
    said = capsys.readouterr().out
    assert "batch: roster row 2: Canvas's export: its Points Possible row, skipped\n" in said
    assert "batch: roster row 5: Canvas's export: its test student, skipped\n" in said
    rows = list(csv.DictReader(io.StringIO((out / "answers.csv").read_text("utf-8"))))
    assert [(r["id"], r["name"]) for r in rows] == [
        ("s1001", "Lovelace, Ada"),
        ("s1002", "Noether, Emmy"),
    ]
    answers = tmp_path / "answers.csv"
    answers.write_text(f"id,loss\ns1002,{rows[1]['loss']}\n", encoding="utf-8")
    grades = tmp_path / "grades.csv"
    assert main(["grade", "--key", str(out), "--answers", str(answers), "-o", str(grades)]) == 0
    graded = {g["id"]: g for g in csv.DictReader(io.StringIO(grades.read_text("utf-8")))}
    assert graded["s1002"]["loss"] == "2" and graded["s1001"]["total"] == "0"
