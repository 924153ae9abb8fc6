"""A class: the course key, a roster batch, names on the sheets, truthful reruns, distinct data."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from helpers import pdf_content, pdf_pages, pdf_string, snapshot

from solgen.cli import main
from solgen.course.batch import BatchOptions, roster_jobs
from solgen.course.coursekey import fingerprint, read_key, student_seed
from solgen.course.roster import read_roster, safe_folder
from solgen.markup.latex import fmt_number, is_exact

# A student's data files, sorted as file listings sort them.
DATA_FILES = [f"data/{n}.csv" for n in ("A", "W1", "X", "b1", "b2", "t", "w2")]

NAMES = [
    "Ada Lovelace",
    "Noether, Emmy",
    "José Núñez-Ødegård",
    "Zoë Çelik",
    "Łukasz Żółć",
    "Søren Kierkegaard",
    "Ægir Þórsson",
    "Françoise d'Eaubonne",
    "Jürgen Groß",
    "Ñandú Peña",
    "Antonín Dvořák",
    "Åsa Öberg",
    "Ewa Łęcka",
    "Mihály Csíkszentmihályi",
    "Chloë O'Brien",
    "Renée Côté",
    "Björk Guðmundsdóttir",
    "Sinéad Ní Bhriain",
    "İlker Şahin",
    "Dvora & Co",
    "Grace Hopper",
    "Alan Turing",
    "Kurt Gödel",
    'Emmy "the" Noether',
    "Srinivasa Ramanujan",
    "Hypatia",
    "Évariste Galois",
    "Paul Erdős",
    "Sofia Kovalevskaya",
    "Maryam Mirzakhani",
]
CLASS = [(f"s{i + 1:02d}", name) for i, name in enumerate(NAMES)]
KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


def write_roster(path: Path, rows: list[tuple[str, str]], delimiter: str = ",") -> Path:
    """A roster CSV as a spreadsheet writes it (quoted where needed), with an extra column."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["ID", "Name", "email"])
    for student_id, name in rows:
        writer.writerow([student_id, name, f"{student_id}@example.org"])
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    return path


def write_key(path: Path, hex_digits: str = KEY_HEX) -> Path:
    path.write_text(f"# a test key\nsgk1-{hex_digits}\n", encoding="ascii")
    return path


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    """A roster batch of 30 (Unicode names, a comma inside a quoted name), --no-pdf, built once."""
    top = tmp_path_factory.mktemp("class")
    roster = write_roster(top / "roster.csv", CLASS)
    key = write_key(top / "course.key")
    out = top / "class"
    rc = main(["batch", "--roster", str(roster), "--key", str(key), "--out", str(out), "--no-pdf"])
    assert rc == 0
    return out


@pytest.fixture
def copy(klass, tmp_path) -> Path:
    """A copy of the class directory to rerun into (roster.csv and course.key beside it)."""
    for name in ("roster.csv", "course.key"):
        shutil.copy(klass.parent / name, tmp_path / name)
    shutil.copytree(klass, tmp_path / "class")
    return tmp_path / "class"


def rerun(out: Path, *extra: str, roster: Path | None = None) -> int:
    roster = roster or out.parent / "roster.csv"
    key = out.parent / "course.key"
    args = ["batch", "--roster", str(roster), "--key", str(key), "--out", str(out), "--no-pdf"]
    return main([*args, *extra])


def _answer_rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "answers.csv").read_text("utf-8"))))


def variant_of(out: Path, student_id: str) -> dict:
    return tomllib.loads(
        (out / student_id / "variant.toml").read_text("utf-8"), parse_float=Decimal
    )


# --- the key ------------------------------------------------------------------------------------


def test_key_is_new_secret_and_never_overwritten(tmp_path, capsys):
    path = tmp_path / "course.key"
    assert main(["key", "-o", str(path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text("ascii")
    assert re.fullmatch(r"(#[^\n]*\n){2}sgk1-[0-9a-f]{64}\n", text)
    assert len(read_key(path)) == 32  # 256 bits
    assert main(["key", "-o", str(path)]) == 2
    assert f"-o: {path} exists; a course key is never overwritten" in capsys.readouterr().err
    assert path.read_text("ascii") == text
    assert main(["key", "-o", str(tmp_path / "other.key")]) == 0
    assert read_key(tmp_path / "other.key") != read_key(path)


def test_student_seed_is_hmac_sha256_of_the_id():
    """Expected values from `openssl dgst -sha256 -mac HMAC` (an independent implementation)."""
    key = bytes.fromhex(KEY_HEX)
    expected = "c1ce7fe03f793048d5c5696862b296079ea1cc9d25909406a6eea55bf8cac3fc"
    assert student_seed(key, "a1") == int(expected, 16)
    assert fingerprint(key) == "058bac479cc5cd5a"
    assert student_seed(key, "a2") != student_seed(key, "a1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist; make a key with: solgen key -o FILE"),
        ("hello\n", "is not a solgen course key (expected one line 'sgk1-' and 64 or more hex"),
        (f"sgk1-{KEY_HEX[:40]}\n", "is not a solgen course key"),
        (f"sgk1-{KEY_HEX}\nsgk1-{KEY_HEX}\n", "is not a solgen course key"),
        ("sgk1-é\n", "is not a solgen course key (not ASCII text)"),
    ],
)
def test_bad_key_is_invalid_input_and_nothing_is_written(tmp_path, capsys, content, message):
    key = tmp_path / "k"
    if content is not None:
        key.write_text(content, encoding="utf-8")
    roster = write_roster(tmp_path / "r.csv", CLASS[:2])
    out = tmp_path / "out"
    assert main(["batch", "--roster", str(roster), "--key", str(key), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"solgen: error: --key: {key} {message}" in err
    assert "Traceback" not in err and not out.exists()


def test_roster_needs_a_key_and_seeds_are_for_practice_sets(tmp_path, capsys):
    roster = write_roster(tmp_path / "r.csv", CLASS[:2])
    out = str(tmp_path / "out")
    assert main(["batch", "--roster", str(roster), "--out", out, "--no-pdf"]) == 2
    assert "--roster needs --key FILE (make one with: solgen key -o FILE)" in (
        capsys.readouterr().err
    )
    key = str(write_key(tmp_path / "k"))
    assert main(["batch", "--roster", str(roster), "--key", key, "--seed", "3", "--out", out]) == 2
    assert "--seed: only for a practice set (--count)" in capsys.readouterr().err
    assert not Path(out).exists()


# --- one variant a student ----------------------------------------------------------------------


def test_thirty_students_with_unicode_names_build_in_one_command(klass):
    rows = list(csv.DictReader(io.StringIO((klass / "answers.csv").read_text("utf-8"))))
    assert [(r["id"], r["name"]) for r in rows] == CLASS
    header = (klass / "answers.csv").read_text("utf-8").splitlines()[0]
    assert header.startswith("id,name,loss,y1,y2,y3,dW1_11,")
    assert header.endswith(",lambda1,lambda2,eta_max,eta_max_exact,total_params")
    answers = json.loads((klass / "answers.json").read_text("utf-8"))
    assert list(answers) == [i for i, _ in CLASS]
    for student_id, name in CLASS:
        meta = variant_of(klass, student_id)["meta"]
        assert meta["author"] == name and meta["student_id"] == student_id
        assert answers[student_id] == json.loads((klass / student_id / "results.json").read_text())
        for document in ("assignment", "solution"):
            tex = (klass / student_id / f"{document}.tex").read_text("utf-8")
            assert f"{{Student ID: {student_id}\\par}}" in tex
    # the name as LaTeX sets it: the comma as it is, \\& for the ampersand
    assert "{\\large Noether, Emmy\\par}" in (klass / "s02" / "solution.tex").read_text("utf-8")
    assert "{\\large Dvora \\& Co\\par}" in (klass / "s20" / "assignment.tex").read_text("utf-8")


def test_no_file_prints_a_seed_the_key_or_a_command(klass):
    key = bytes.fromhex(KEY_HEX)
    secrets = [KEY_HEX, "--seed", "solgen variant", "solgen batch"]
    secrets += [str(student_seed(key, i)) for i, _ in CLASS]
    for path in sorted(klass.rglob("*")):
        if path.is_file():
            text = path.read_text("utf-8")
            for secret in secrets:
                assert secret not in text, (path, secret)


def test_no_two_students_share_a_problem(klass):
    variants = [variant_of(klass, i) for i, _ in CLASS]
    p1 = {repr(sorted(v["problem1"].items())) for v in variants}
    p2 = {repr(v["problem2"]["A"]) for v in variants}
    p3 = {repr([v["problem3"][k] for k in ("input", "target", "kernel_sizes")]) for v in variants}
    assert (len(p1), len(p2), len(p3)) == (30, 30, 30)
    report = (klass / "report.txt").read_text("utf-8")
    assert report.startswith("Class report: 30 students, 30 with answers.\n")
    assert "  problem 1 (network and data): 30 distinct among 30\n" in report
    assert "  problem 2 (matrix A): 30 distinct among 30\n" in report
    assert "  problem 3 (input, target, kernels): 30 distinct among 30\n" in report
    assert "Shared data" not in report


def _jobs(rows: list[tuple[str, str]], key_hex: str = KEY_HEX) -> dict[str, str]:
    students = read_roster(write_roster(_tmp / "r.csv", rows))
    jobs = roster_jobs(students, bytes.fromhex(key_hex), BatchOptions())
    return {job.id: job.generated for job in jobs}


_tmp = Path()


def test_a_variant_depends_on_the_key_and_the_id_not_on_the_roster(tmp_path, klass):
    global _tmp
    _tmp = tmp_path
    whole = {i: (klass / i / "variant.toml").read_text("utf-8") for i, _ in CLASS}
    assert _jobs(CLASS) == whole
    shuffled = CLASS[:]
    random.Random(4).shuffle(shuffled)
    assert _jobs(shuffled) == whole  # the rows' order does not matter
    for row in CLASS[::7]:  # alone on a roster, a student gets the same variant
        assert _jobs([row]) == {row[0]: whole[row[0]]}
    other = _jobs(CLASS, "ff" * 32)
    for student_id, text in other.items():
        mine, theirs = tomllib.loads(whole[student_id]), tomllib.loads(text)
        for section in ("problem1", "problem2", "problem3"):
            assert mine[section] != theirs[section]


def _sections(texts: dict[str, str], section: str) -> Counter[str]:
    return Counter(repr(tomllib.loads(text)[section]) for text in texts.values())


def test_300_students_keep_their_variants_whoever_else_is_on_the_roster(tmp_path):
    """A student's variant.toml is a function of the key, their id and the settings alone:
    the 260 who stay of 300 get theirs byte for byte from a roster with 40 removed, 25 added
    and the rows shuffled, from a roster of their own, and from each of four shards."""
    global _tmp
    _tmp = tmp_path
    class_ = [(f"2026{i:04d}", f"Student {i}") for i in range(300)]
    first = _jobs(class_)
    assert len(first) == 300
    later = class_[40:] + [(f"2027{i:04d}", f"Late {i}") for i in range(25)]
    random.Random(11).shuffle(later)
    again = _jobs(later)
    assert {i: again[i] for i, _ in class_[40:]} == {i: first[i] for i, _ in class_[40:]}
    assert _jobs(class_[123:124]) == {class_[123][0]: first[class_[123][0]]}
    students = read_roster(write_roster(tmp_path / "r.csv", class_))
    for k in range(1, 5):
        options = BatchOptions(shard=(k, 4))
        for job in roster_jobs(students, bytes.fromhex(KEY_HEX), options):
            assert job.generated == first[job.id]
    # no two of these 300 share a problem (0.44, 0.51 and far below 0.01 pairs expected)
    for section in ("problem1", "problem2", "problem3"):
        assert max(_sections(first, section).values()) == 1, section


@pytest.mark.slow
def test_a_rebuild_into_an_empty_directory_reproduces_every_variant(tmp_path, klass):
    """From the key and a changed roster (5 withdrawn, 3 added, rows reversed) into an empty
    directory, every remaining student's variant.toml is the handed-out one, byte for byte."""
    roster = [*CLASS[5:][::-1], ("late1", "Late One"), ("late2", "Late Two"), ("s99", "Zed")]
    out = tmp_path / "rebuilt"
    rc = main(
        [
            "batch",
            "--roster",
            str(write_roster(tmp_path / "roster.csv", roster)),
            "--key",
            str(write_key(tmp_path / "course.key")),
            "--out",
            str(out),
            "--no-pdf",
        ]
    )
    assert rc == 0
    for student_id, _ in CLASS[5:]:
        before = (klass / student_id / "variant.toml").read_bytes()
        assert (out / student_id / "variant.toml").read_bytes() == before, student_id


def test_the_report_names_students_who_share_a_problem(tmp_path, capsys):
    """Shared data is rare, never prevented: the report names who shares what."""
    out = tmp_path / "set"
    assert (
        main(
            [
                "batch",
                "--count",
                "3",
                "--seed",
                "5",
                "--out",
                str(out),
                "--no-pdf",
                "--set",
                "problem2.A=[[2, 1], [1, 2]]",
            ]
        )
        == 0
    )
    report = (out / "report.txt").read_text("utf-8")
    assert "  problem 2 (matrix A): 1 distinct among 3\n" in report
    assert "Shared data:\n  problem 2 (matrix A): shared by 0005, 0006, 0007\n" in report
    assert "problem 1 (network and data): shared" not in report


# --- every answer against an independent recomputation ------------------------------------------


def _fractions(value):
    if isinstance(value, list):
        return [_fractions(v) for v in value]
    return Fraction(value)


def _network(p1: dict) -> tuple[Fraction, list[Fraction], dict]:
    """Loss, outputs and gradients of the ReLU network, by hand in exact fractions."""
    X, t = _fractions(p1["X"]), _fractions(p1["t"])
    W1, b1 = _fractions(p1["W1"]), _fractions(p1["b1"])
    w2, b2 = _fractions(p1["w2"]), Fraction(p1["b2"])
    h, d = len(W1), len(W1[0])
    gW1 = [[Fraction(0)] * d for _ in range(h)]
    gb1, gw2, gb2 = [Fraction(0)] * h, [Fraction(0)] * h, Fraction(0)
    loss, ys = Fraction(0), []
    for x, target in zip(X, t, strict=True):
        z = [
            sum(wi * xi for wi, xi in zip(row, x, strict=True)) + b
            for row, b in zip(W1, b1, strict=True)
        ]
        a = [max(v, Fraction(0)) for v in z]
        y = sum(w * v for w, v in zip(w2, a, strict=True)) + b2
        ys.append(y)
        r = y - target
        loss += r * r / 2
        gb2 += r
        for j in range(h):
            gw2[j] += r * a[j]
            delta = r * w2[j] * (1 if z[j] > 0 else 0)
            gb1[j] += delta
            for i in range(d):
                gW1[j][i] += delta * x[i]
    return loss, ys, {"W1": gW1, "b1": gb1, "w2": gw2, "b2": gb2}


def _architecture(p3: dict) -> int:
    """Total parameters of the layers, walking the shapes by hand; asserts they reach target."""
    height, width, channels = p3["input"]
    total = 0
    for layer in p3["layers"]:
        if "pool" in layer:
            assert height % 2 == 0 and width % 2 == 0
            height, width = height // 2, width // 2
        else:
            k, f = layer["conv"], layer["filters"]
            total += k * k * channels * f + f
            height, width, channels = height - k + 1, width - k + 1, f
    assert [height, width, channels] == p3["target"]
    return total


def test_every_answer_agrees_with_an_independent_recomputation(klass):
    for student_id, _ in CLASS:
        variant = variant_of(klass, student_id)
        results = json.loads((klass / student_id / "results.json").read_text("utf-8"))
        loss, ys, grad = _network(variant["problem1"])
        p1 = results["problem1"]
        assert p1["exact"]["loss"] == str(loss) and p1["loss"] == float(loss)
        assert p1["y"] == [float(y) for y in ys]
        assert p1["grad"]["W1"] == [[float(v) for v in row] for row in grad["W1"]]
        for name in ("b1", "w2"):
            assert p1["grad"][name] == [float(v) for v in grad[name]]
        assert p1["grad"]["b2"] == float(grad["b2"])
        A = np.array(_fractions(variant["problem2"]["A"]), dtype=float)
        eigenvalues = np.linalg.eigvalsh((A + A.T) / 2)
        p2 = results["problem2"]
        assert p2["eigenvalues"] == pytest.approx(eigenvalues.tolist(), rel=1e-14)
        assert p2["eta_max"] == pytest.approx(1 / eigenvalues[-1], rel=1e-14)
        assert results["problem3"]["total_params"] == _architecture(variant["problem3"])


# --- reruns that tell the truth -----------------------------------------------------------------


def test_a_rerun_with_nothing_to_do_changes_nothing(copy, capsys):
    before = snapshot(copy)
    capsys.readouterr()
    assert rerun(copy) == 0
    out = capsys.readouterr().out
    assert "batch: 0 built, 30 up to date, 0 failed" in out
    assert "rebuilt" not in out
    assert snapshot(copy) == before


def test_a_rerun_with_nothing_to_do_loads_no_mathematics(copy):
    """What makes it fast (make bench times it): no SymPy, NumPy or Jinja2 is imported."""
    code = (
        "import sys\nfrom solgen.cli import main\n"
        f"rc = main({['batch', '--roster', str(copy.parent / 'roster.csv'), '--key', str(copy.parent / 'course.key'), '--out', str(copy), '--no-pdf']!r})\n"  # noqa: E501
        "print(rc, sorted(m for m in ('sympy', 'numpy', 'jinja2') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


def test_changed_options_rebuild_every_student_and_say_why(copy, capsys):
    capsys.readouterr()
    assert rerun(copy, "--set", "meta.date=Due 5 December, 23:59") == 0
    out = capsys.readouterr().out
    assert out.count("rebuilt: its variant changed (meta.date)\n") == 30
    assert "batch: 30 built, 0 up to date, 0 failed" in out
    assert variant_of(copy, "s07")["meta"]["date"] == "Due 5 December, 23:59"
    assert "{Due 5 December, 23:59\\par}" in (copy / "s07" / "assignment.tex").read_text("utf-8")


def test_missing_or_damaged_outputs_are_rebuilt_alone(copy, capsys):
    (copy / "s03" / "solution.tex").unlink()
    (copy / "s05" / "results.json").write_text("{}", encoding="utf-8")
    good = (copy / "s06" / "results.json").read_bytes()
    capsys.readouterr()
    assert rerun(copy) == 0
    out = capsys.readouterr().out
    assert "batch: student s03 rebuilt: missing or damaged: solution.tex\n" in out
    assert "batch: student s05 rebuilt: missing or damaged: results.json\n" in out
    assert "batch: 2 built, 28 up to date, 0 failed" in out
    assert json.loads((copy / "s05" / "results.json").read_text())["problem1"]["loss"] > 0
    assert (copy / "s06" / "results.json").read_bytes() == good


def test_a_hand_edited_variant_is_kept_and_said(copy, capsys):
    path = copy / "s04" / "variant.toml"
    text = re.sub(r"A = \[\[.*\]\]", "A = [[7, 1], [1, 7]]", path.read_text("utf-8"))
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert rerun(copy) == 0
    out = capsys.readouterr().out
    assert "batch: student s04 rebuilt: variant.toml was edited by hand\n" in out
    assert "batch: student s04: kept the hand edit\n" in out
    assert path.read_text("utf-8") == text
    results = json.loads((copy / "s04" / "results.json").read_text("utf-8"))
    assert results["problem2"]["eigenvalues"] == [6.0, 8.0]
    row = next(r for r in _answer_rows(copy) if r["id"] == "s04")
    assert row["lambda2"] == "8" and row["eta_max_exact"] == "1/8"
    assert "Hand-edited variant.toml (kept): s04\n" in (copy / "report.txt").read_text("utf-8")
    # the next rerun keeps it too, and builds nothing
    assert rerun(copy, "--set", "meta.title=Assignment 2") == 0
    out = capsys.readouterr().out
    assert "batch: student s04: kept the earlier hand edit of variant.toml\n" in out
    assert "batch: 29 built, 1 up to date, 0 failed" in out
    assert path.read_text("utf-8") == text


def test_a_student_missing_from_a_new_roster_is_reported_not_dropped(copy, capsys):
    smaller = write_roster(copy.parent / "smaller.csv", [r for r in CLASS if r[0] != "s10"])
    capsys.readouterr()
    assert rerun(copy, roster=smaller) == 0
    out = capsys.readouterr().out
    assert "batch: student s10: not on the roster: kept as built\n" in out
    assert "batch: 0 built, 29 up to date, 0 failed" in out
    ids = [r["id"] for r in _answer_rows(copy)]
    assert ids == [i for i, _ in CLASS]
    assert "s10" in json.loads((copy / "answers.json").read_text("utf-8"))
    report = (copy / "report.txt").read_text("utf-8")
    assert "Not on the roster any more (kept as built): s10\n" in report


def test_a_new_student_changes_no_one_elses_variant(copy, capsys):
    before = {i: (copy / i / "variant.toml").read_bytes() for i, _ in CLASS}
    bigger = write_roster(copy.parent / "bigger.csv", [*CLASS, ("s31", "Late Joiner")])
    capsys.readouterr()
    assert rerun(copy, roster=bigger) == 0
    out = capsys.readouterr().out
    assert "batch: new student built: s31\n" in out  # which handout to send
    assert "batch: 1 built, 30 up to date, 0 failed" in out
    assert {i: (copy / i / "variant.toml").read_bytes() for i, _ in CLASS} == before
    assert variant_of(copy, "s31")["meta"]["author"] == "Late Joiner"


def test_a_failed_rebuild_keeps_the_previous_variant_with_its_results(copy, capsys, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "convnet.tex.j2").write_text(
        "((* extends 'solgen/convnet.tex.j2' *))\n"
        "((* block statement *))((* if meta.student_id == 's02' *))((( no_such_value )))"
        "((* endif *))((( super() )))((* endblock *))\n",
        encoding="utf-8",
    )
    before = snapshot(copy / "s02")
    assert sorted(before) == [
        "assignment.tex",
        *DATA_FILES,
        "results.json",
        "solution.tex",
        "variant.toml",
    ]
    capsys.readouterr()
    assert rerun(copy, "--templates", str(templates), "--set", "meta.date=Friday") == 1
    captured = capsys.readouterr()
    assert "student s02 failed: UndefinedError: 'no_such_value' is undefined" in captured.err
    assert "batch: 29 built, 0 up to date, 1 failed" in captured.out
    assert snapshot(copy / "s02") == before
    assert "s02" in json.loads((copy / "answers.json").read_text("utf-8"))
    assert not list(copy.glob(".solgen-*"))


def test_another_key_or_kind_into_the_directory_is_refused(copy, capsys, tmp_path):
    before = snapshot(copy)
    other = write_key(tmp_path / "other.key", "ab" * 32)
    roster = copy.parent / "roster.csv"
    args = ["batch", "--roster", str(roster), "--key", str(other), "--out", str(copy), "--no-pdf"]
    assert main(args) == 2
    assert f"--out: {copy} was built with another course key" in capsys.readouterr().err
    assert main(["batch", "--count", "2", "--out", str(copy), "--no-pdf"]) == 2
    assert f"--out: {copy} holds a roster batch, not a seeded batch" in capsys.readouterr().err
    assert snapshot(copy) == before


def test_a_bad_roster_or_set_writes_nothing(tmp_path, capsys):
    key = write_key(tmp_path / "k")
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\na1,Ada\na1,Bob\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["batch", "--roster", str(roster), "--key", str(key), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--roster {roster}: row 3, column id: duplicate id 'a1' (first on row 2)" in err
    good = write_roster(tmp_path / "good.csv", CLASS[:3])
    args = ["batch", "--roster", str(good), "--key", str(key), "--out", str(out), "--no-pdf"]
    assert main([*args, "--set", "problem2.A=[[1, 2]]"]) == 2
    err = capsys.readouterr().err
    assert (
        "problem2.A: expected a square matrix, found shape 1 x 2 (in the variant of s01, s02, s03)"
        in err
    )
    assert not out.exists() or not any(out.iterdir())


# --- with PDFs: the grader's key, handout/ and solutions/, the combined PDFs ---------------------

SMALL = [("a1", "Ada Lovelace"), ("b2", "Noether, Emmy"), ("c3", "José Núñez-Ødegård")]


@pytest.mark.tex
def test_key_pdf_handout_solutions_and_combined_pdfs(tmp_path, capsys):
    roster = write_roster(tmp_path / "r.csv", SMALL)
    key = write_key(tmp_path / "k")
    out = tmp_path / "class"
    args = ["batch", "--roster", str(roster), "--key", str(key), "--out", str(out), "--jobs", "2"]
    assert main(args) == 0
    rows = _answer_rows(out)
    # key.pdf: one block a student, name and id, the final answers
    key_text = " ".join("\f".join(pdf_pages(out / "key.pdf")).split())
    assert "Key for graders: the final answers of 3 variants, one block each" in key_text
    # in order of name (an LMS's list), not of id: Ada, José, Noether
    assert "Students in order of name, as the roster writes it" in key_text
    by_name = [SMALL[0], SMALL[2], SMALL[1]]
    starts = [key_text.index(name) for _, name in by_name] + [len(key_text)]
    assert starts == sorted(starts)
    row_of = {row["id"]: row for row in rows}
    for k, (student_id, name) in enumerate(by_name):
        row = row_of[student_id]
        block = key_text[starts[k] : starts[k + 1]]
        assert block.startswith(f"{name} ID {student_id} Problem 1 relu, N = 3, d = 4, h = 2")
        assert f"total {int(row['total_params']):,} parameters." in block
        problem2 = block.split("Problem 2")[1].split("Problem 3")[0]
        if "sqrt" in row["eta_max_exact"]:  # a surd: shown as a root, exactly
            assert "√" in problem2 and "≈" in problem2
        else:
            assert f"λ2 = {row['lambda2']}," in problem2
    # handout/: one folder a student, that student's sheet, data files and answer form and
    # nothing else; solutions/: one folder a student, that student's solution and nothing else
    handed_names = [
        "",
        "/answer-form.csv",
        "/assignment.pdf",
        "/data",
        *(f"/{n}" for n in DATA_FILES),
    ]
    assert sorted(str(p.relative_to(out / "handout")) for p in (out / "handout").rglob("*")) == [
        f"{i}{suffix}" for i, _ in SMALL for suffix in handed_names
    ]
    assert sorted(
        str(p.relative_to(out / "solutions")) for p in (out / "solutions").rglob("*")
    ) == [f"{i}{suffix}" for i, _ in SMALL for suffix in ["", "/solution.pdf"]]
    assert not (out / "release").exists()
    for student_id, name in SMALL:
        for document in ("assignment.pdf", *DATA_FILES):
            handed = (out / "handout" / student_id / document).read_bytes()
            assert handed == (out / student_id / document).read_bytes()
        solution = (out / "solutions" / student_id / "solution.pdf").read_bytes()
        assert solution == (out / student_id / "solution.pdf").read_bytes()
        sheet = " ".join("\f".join(pdf_pages(out / student_id / "assignment.pdf")).split())
        assert f"{name} Student ID: {student_id}" in sheet and "seed" not in sheet.lower()
    # the combined PDFs: a bookmark "id name" to each student's first page
    for combined in ("all-solutions", "all-assignments"):
        content = pdf_content(out / f"{combined}.pdf")
        for student_id, name in SMALL:
            assert pdf_string(f"{student_id} {name}") in content
    # a rerun with nothing to do remakes none of them
    before = snapshot(out)
    capsys.readouterr()
    assert main(args) == 0
    assert "batch: 0 built, 3 up to date, 0 failed" in capsys.readouterr().out
    assert snapshot(out) == before
    # a damaged class file is remade alone: no student is rebuilt
    (out / "solutions" / "b2" / "solution.pdf").unlink()
    (out / "handout" / "a1" / "answer-form.csv").write_text("id\n", encoding="utf-8")
    (out / "key.pdf").write_bytes(b"%PDF-1.5 broken")
    assert main(args) == 0
    assert "batch: 0 built, 3 up to date, 0 failed" in capsys.readouterr().out
    assert snapshot(out) == before


# --- handout/ before the deadline, solutions/ after (issue 20) -----------------------------------

# Three students, one whose id a spreadsheet would run as a formula.
HANDED = [("a1", "Ada Lovelace"), ("b2", "Noether, Emmy"), ("=1+A1", "Eve Formula")]
RELEASE_REMOVED = (
    "batch: removed release/ (it held the solutions beside the sheets; hand out handout/ before "
    "the deadline and solutions/ after)\n"
)
# The answer form of the default network (N = 3, d = 4, h = 2): id, then every answer, empty.
FORM_COLUMNS = (
    "id,loss,y1,y2,y3,dW1_11,dW1_12,dW1_13,dW1_14,dW1_21,dW1_22,dW1_23,dW1_24,db1_1,db1_2,"
    "dw2_1,dw2_2,db2,lambda1,lambda2,eta_max,layers,total_params\n"
)


@pytest.fixture(scope="module")
def handed(tmp_path_factory) -> tuple[Path, list[str]]:
    """A roster batch of HANDED with PDFs, built once (tests copy it before changing it);
    and its batch arguments without --out."""
    top = tmp_path_factory.mktemp("handed")
    roster = write_roster(top / "roster.csv", HANDED)
    key = write_key(top / "course.key")
    out = top / "class"
    args = ["batch", "--roster", str(roster), "--key", str(key), "--jobs", "2"]
    assert main([*args, "--out", str(out)]) == 0
    return out, args


def _text(path: Path) -> str:
    return " ".join("\f".join(pdf_pages(path)).split())


@pytest.mark.tex
def test_no_file_in_handout_holds_a_solution(handed):
    out, _ = handed
    folders = sorted(safe_folder(i) for i, _ in HANDED)
    assert sorted(p.name for p in (out / "handout").iterdir()) == folders
    assert sorted(p.name for p in (out / "solutions").iterdir()) == folders
    for student_id, _ in HANDED:
        folder = safe_folder(student_id)
        results = json.loads((out / folder / "results.json").read_text("utf-8"))
        exact = Fraction(results["problem1"]["exact"]["loss"])
        # the loss as the solution prints it: exact when short, else rounded
        loss = f"L {'=' if is_exact(exact) else '≈'} {fmt_number(exact)},"
        solution = _text(out / "solutions" / folder / "solution.pdf")
        assert "Worked solution" in solution and "Solution." in solution and loss in solution
        pdfs = sorted((out / "handout" / folder).rglob("*.pdf"))
        assert [p.name for p in pdfs] == ["assignment.pdf"]
        for pdf in pdfs:
            text = _text(pdf)
            assert "Solution." not in text and "Worked solution" not in text
            assert loss not in text and "solution" not in text.lower()
            # the sheet says where its answers go: the form beside it
            assert (
                "answer form (answer-form.csv: one row, your id first; keep it a CSV file when "
                "you save it, not .xlsx)" in text
            )
        for other in (out / "handout" / folder).rglob("*"):
            if other.is_file() and other.suffix != ".pdf":
                assert other.suffix == ".csv" and loss not in other.read_text("utf-8")


@pytest.mark.tex
def test_the_answer_form_names_the_student_and_leaves_every_answer_empty(handed):
    out, _ = handed
    form = out / "handout" / "a1" / "answer-form.csv"
    assert form.read_bytes() == (FORM_COLUMNS + "a1" + "," * 22 + "\n").encode("utf-8")
    # an id that would start a formula gets the quote answers.csv gives it (csvsafe)
    hostile = out / "handout" / safe_folder("=1+A1") / "answer-form.csv"
    assert hostile.read_text("utf-8") == FORM_COLUMNS + "'=1+A1" + "," * 22 + "\n"
    # the answers are the items of the answer key that grade reads, in key order
    from solgen.course.answerkey import load_key

    for student in load_key(out).students:
        columns = ["id", *(item.id for item in student.items)]
        assert FORM_COLUMNS.rstrip("\n").split(",") == columns


@pytest.mark.tex
@pytest.mark.parametrize("student_id", ["a1", "=1+A1"])
def test_grade_reads_an_unfilled_answer_form(handed, tmp_path, capsys, student_id):
    out, _ = handed
    form = out / "handout" / safe_folder(student_id) / "answer-form.csv"
    grades = tmp_path / "grades.csv"
    capsys.readouterr()
    args = ["grade", "--key", str(out), "--answers", str(form), "--output", str(grades)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no unreadable cell, no unknown column or id
    assert "grade: 1 graded (mean 0 points)" in captured.out
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(grades.read_text("utf-8")))}
    written = "'=1+A1" if student_id.startswith("=") else student_id
    assert rows[written]["total"] == "0"
    assert all(rows[written][c] == "0" for c in FORM_COLUMNS.rstrip("\n").split(",")[1:])


@pytest.mark.tex
def test_a_rerun_removes_an_old_release_folder_and_says_so(handed, tmp_path, capsys):
    """release/<id>/ held solution.pdf beside assignment.pdf: handed out, it gave every
    student the worked solution. A directory an older solgen made is cleaned on a rerun."""
    out = shutil.copytree(handed[0], tmp_path / "class")
    args = [*handed[1], "--out", str(out)]
    # the old layout: release/<id>/ with both PDFs and data/, recorded as class outputs
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    outputs = manifest["class"]["outputs"]
    for name in list(outputs):
        if name.startswith(("handout/", "solutions/")):
            del outputs[name]
    for student_id, _ in HANDED:
        folder = safe_folder(student_id)
        for name in ("assignment.pdf", "solution.pdf"):
            target = out / "release" / folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / folder / name, target)
            outputs[f"release/{folder}/{name}"] = manifest["students"][student_id]["outputs"][name]
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.rmtree(out / "handout")
    shutil.rmtree(out / "solutions")
    capsys.readouterr()
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert printed.count(RELEASE_REMOVED) == 1 and printed.startswith(RELEASE_REMOVED)
    assert "batch: 0 built, 3 up to date, 0 failed" in printed
    assert not (out / "release").exists()
    assert (out / "handout" / "a1" / "answer-form.csv").is_file()
    assert (out / "solutions" / "a1" / "solution.pdf").is_file()
    # said once: the next rerun has nothing to remove and writes nothing
    before = snapshot(out)
    assert main(args) == 0
    assert "release/" not in capsys.readouterr().out
    assert snapshot(out) == before
    # an up-to-date directory with a release/ put back: removed, nothing else remade
    (out / "release" / "a1").mkdir(parents=True)
    (out / "release" / "a1" / "solution.pdf").write_bytes(b"%PDF")
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert printed.count(RELEASE_REMOVED) == 1
    assert not (out / "release").exists() and snapshot(out) == before


def test_without_pdfs_a_rerun_removes_release_too(tmp_path, capsys):
    """--no-pdf makes no handout/ (it holds PDFs), but an old release/ goes all the same; a
    student folder where handout/ or solutions/ go (an older solgen's) is never replaced."""
    from dataclasses import replace

    from solgen.base.errors import InvalidInput
    from solgen.course import classfiles
    from solgen.course import manifest as mf

    roster = write_roster(tmp_path / "r.csv", SMALL[:1])
    key = write_key(tmp_path / "k")
    out = tmp_path / "class"
    args = ["batch", "--roster", str(roster), "--key", str(key), "--out", str(out), "--no-pdf"]
    assert main(args) == 0
    (out / "release" / "a1" / "data").mkdir(parents=True)
    (out / "release" / "a1" / "solution.pdf").write_bytes(b"%PDF")
    capsys.readouterr()
    assert main(args) == 0
    assert capsys.readouterr().out.count(RELEASE_REMOVED) == 1
    assert not (out / "release").exists()
    assert not (out / "handout").exists() and not (out / "solutions").exists()
    found = mf.load(out)
    assert found is not None
    found.records["a1"] = replace(found.records["a1"], folder="Handout")
    with pytest.raises(InvalidInput, match="folder Handout/ is where handout/ and solutions/ go"):
        classfiles._check_no_student_folder(found)


# --- a wide network: an id for every answer ------------------------------------------------------

WIDE = [("w01", "Wide Network"), ("w02", "Second Student")]


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Path:
    """A class of two on a 3 x 11 x 11 network, --no-pdf: W1 has an entry [1,11] and [11,1]."""
    top = tmp_path_factory.mktemp("wide")
    roster = write_roster(top / "roster.csv", WIDE)
    key = write_key(top / "course.key")
    out = top / "class"
    args = ["batch", "--roster", str(roster), "--key", str(key), "--out", str(out), "--no-pdf"]
    assert main([*args, "--inputs", "11", "--hidden", "11", "--samples", "3"]) == 0
    return out


def correct_sheet(results: dict, student_id: str) -> dict[str, str]:
    """Every answer of one results.json, exactly where results.json has the exact form (ReLU's
    fractions, surds) and as Python writes the float elsewhere; ids written out here, by hand."""
    p1, p2, p3 = results["problem1"], results["problem2"], results["problem3"]
    exact = p1.get("exact") or {"loss": None, "y": None, "grad": None}

    def cell(value: float, form: str | None) -> str:
        return form if form is not None else repr(value)

    def of(path: list) -> str | None:
        node = exact
        for step in path:
            if node is None:
                return None
            node = node[step]
        return node

    grad = p1["grad"]
    cells = {"id": student_id, "loss": cell(p1["loss"], of(["loss"]))}
    cells |= {f"y{k + 1}": cell(v, of(["y", k])) for k, v in enumerate(p1["y"])}
    for j, row in enumerate(grad["W1"]):
        for i, v in enumerate(row):
            cells[f"dW1_{j + 1}_{i + 1}"] = cell(v, of(["grad", "W1", j, i]))
    cells |= {f"db1_{j + 1}": cell(v, of(["grad", "b1", j])) for j, v in enumerate(grad["b1"])}
    cells |= {f"dw2_{j + 1}": cell(v, of(["grad", "w2", j])) for j, v in enumerate(grad["w2"])}
    cells["db2"] = cell(grad["b2"], of(["grad", "b2"]))
    for i, v in enumerate(p2["eigenvalues"]):
        form = p2["eigenvalues_exact"][i]
        cells[f"lambda{i + 1}"] = repr(v) if "CRootOf" in form else form
    cells["eta_max"] = p2["eta_max_exact"] or "none"
    cells["layers"] = " ".join(
        f"conv{la['kernel']}:{la['out_channels']}" if la["type"] == "conv" else "pool"
        for la in p3["layers"]
    )
    cells["total_params"] = str(p3["total_params"])
    return cells


def _sheet(path: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_wide_network_has_an_answer_column_for_every_gradient_entry(wide):
    rows = _answer_rows(wide)
    assert [r["id"] for r in rows] == [i for i, _ in WIDE]
    header = list(rows[0])
    gradient = [c for c in header if c.startswith(("dW1_", "db1_", "dw2_")) or c == "db2"]
    assert len(gradient) == len(set(gradient)) == 121 + 11 + 11 + 1
    w1 = [c for c in header if c.startswith("dW1_")]
    assert w1 == [f"dW1_{j}_{i}" for j in range(1, 12) for i in range(1, 12)]
    assert w1.index("dW1_1_11") == 10 and w1.index("dW1_11_1") == 110
    answers = json.loads((wide / "answers.json").read_text("utf-8"))
    for row in rows:
        grad = answers[row["id"]]["problem1"]["grad"]["W1"]
        assert float(row["dW1_1_11"]) == pytest.approx(grad[0][10], rel=1e-11, abs=1e-300)
        assert float(row["dW1_11_1"]) == pytest.approx(grad[10][0], rel=1e-11, abs=1e-300)


def test_a_correct_sheet_for_a_wide_network_scores_full_points(wide, tmp_path, capsys):
    answers = json.loads((wide / "answers.json").read_text("utf-8"))
    sheet = _sheet(tmp_path / "sheet.csv", [correct_sheet(answers[i], i) for i, _ in WIDE])
    out = tmp_path / "grades.csv"
    assert main(["grade", "--key", str(wide), "--answers", str(sheet), "-o", str(out)]) == 0
    assert "error" not in capsys.readouterr().err
    grades = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert [(g["id"], g["total"]) for g in grades] == [("w01", "50"), ("w02", "50")]
    w1 = [c for c in grades[0] if c.startswith("dW1_")]
    # 4/121 = 0.03306 each, rounded in step with the row: every cell 0.033 or 0.0331, and
    # the 121 of them add up to dW1's 4 points exactly
    assert len(w1) == 121 and {g[c] for g in grades for c in w1} == {"0.033", "0.0331"}
    assert all(sum(Fraction(g[c]) for c in w1) == 4 for g in grades)
    for student_id, name in WIDE:
        text = (tmp_path / "grades-feedback" / f"{student_id}.txt").read_text("utf-8")
        assert text.startswith(f"{name} ({student_id}): 50 of 50 points.\n")
        assert "wrong" not in text and "not answered" not in text
        assert "  dL/dW1[1,11]: " in text and "  dL/dW1[11,1]: " in text
        # loss, y, dW1, db1, dw2, db2, the eigenvalues and eta_max; then problem 3's two
        assert text.count(" is right\n") == 1 + 3 + 121 + 11 + 11 + 1 + 2 + 1
        assert "  layers: a valid design (" in text and " is right (your design)\n" in text


def test_an_unseparated_w1_id_on_a_wide_network_is_explained(wide, tmp_path, capsys):
    sheet = _sheet(tmp_path / "sheet.csv", [{"id": "w01", "dW1_111": "1"}])
    out = tmp_path / "grades.csv"
    assert main(["grade", "--key", str(wide), "--answers", str(sheet), "-o", str(out)]) == 0
    hint = (
        "(a network with 10 or more inputs or hidden units names W1's entries "
        "dW1_<row>_<column>, such as dW1_1_11)"
    )
    err = capsys.readouterr().err
    assert f"solgen: warning: column dW1_111 is not an answer of {wide}, not graded {hint}\n" in err
    policy = tmp_path / "policy.toml"
    policy.write_text('[points]\ndW1_111 = 1\n[columns]\n"Q" = "dW1_12"\n', encoding="utf-8")
    args = ["grade", "--key", str(wide), "--answers", str(sheet), "-o", str(out)]
    assert main([*args, "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert f"points.dW1_111: unknown item or group {hint}\n" in err
    assert (
        "columns.Q: expected id, name or an item such as loss or dW1_1_2, found the string "
        f"'dW1_12' {hint}\n"
    ) in err
