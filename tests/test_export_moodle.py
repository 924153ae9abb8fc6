"""solgen export moodle: a well-formed Moodle XML bank whose answers are the key's."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

from solgen.base.errors import InvalidInput
from solgen.cli import main
from solgen.course.answerkey import ClassKey, Item, load_key
from solgen.lms.export_moodle import export_moodle, write_moodle
from solgen.markup.latex import fmt_number

ROSTER = [
    ("a1", "Ada Lovelace"),
    ("b2", "Noether, Emmy"),
    ("c3", "José Núñez"),
    ("d4", "Mallory <b>&amp; Co"),
]
ODD_TITLE = 'Week 3/4 <i>test</i> & "more"/'
# "Problem n: " and the problem's title (Problem.title), in both LMSs
CATEGORIES = (
    "Problem 1: Calculating gradients",
    "Problem 2: Gradient descent",
    "Problem 3: Convolutional networks",
)
# TeX commands that MathJax's standard TeX input knows; the exports may use no others.
MATHJAX = {
    "begin", "end", "frac", "mathbf", "mathbb", "top", "partial", "cdot", "times", "sqrt",
    "quad", "qquad", "text", "max", "tanh", "sum", "left", "right", "eta", "lambda",
    "nabla", "in", "approx", "equiv", "bigl", "bigr", "vdots", "delta", "odot",
}  # fmt: skip
# Moodle's own pattern for a number of a cloze NUMERICAL answer (qtype_multianswer).
MOODLE_NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
GAP = re.compile(r"\{(\d*):NUMERICAL:=([^:}]*):([^}]*)\}")
MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]", re.S)


@dataclass(frozen=True)
class Export:
    """A batch, its key and its exported bank (bytes and parsed)."""

    batch: Path
    key: ClassKey
    data: bytes
    root: ET.Element
    count: int


def _export(batch: Path, output: Path) -> Export:
    count = write_moodle(batch, output)
    data = output.read_bytes()
    return Export(batch, load_key(batch), data, ET.fromstring(data), count)


@pytest.fixture(scope="module")
def roster(tmp_path_factory) -> Export:
    """A roster of four (one name full of HTML), exported."""
    base = tmp_path_factory.mktemp("roster")
    lines = ["id,name"] + [f'{i},"{name}"' for i, name in ROSTER]
    (base / "roster.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["key", "-o", str(base / "course.key")]) == 0
    args = ["--roster", str(base / "roster.csv"), "--key", str(base / "course.key")]
    assert main(["batch", *args, "--out", str(base / "class"), "--no-pdf"]) == 0
    return _export(base / "class", base / "bank.xml")


@pytest.fixture(scope="module")
def practice(tmp_path_factory) -> Export:
    """A practice set of four variants (seeds 3 to 6), exported."""
    base = tmp_path_factory.mktemp("practice")
    args = ["--count", "4", "--seed", "3", "--no-pdf", "--out", str(base / "set")]
    assert main(["batch", *args]) == 0
    return _export(base / "set", base / "bank.xml")


@pytest.fixture(scope="module")
def odd(tmp_path_factory) -> Export:
    """Sigmoid, 5 samples x 3 inputs, 4 hidden units; an A whose symmetric part has a negative
    eigenvalue (no eta_max); a title with slashes and HTML."""
    base = tmp_path_factory.mktemp("odd")
    args = ["--count", "2", "--seed", "11", "--no-pdf", "--out", str(base / "set")]
    args += ["--samples", "5", "--inputs", "3", "--hidden", "4"]
    args += ["--set", "problem1.activation='sigmoid'", "--set", "problem2.A=[[1,2],[0,-3]]"]
    args += ["--set", f"meta.title='{ODD_TITLE}'"]
    assert main(["batch", *args]) == 0
    return _export(base / "set", base / "bank.xml")


def _questions(root: ET.Element, qtype: str | None = None) -> list[ET.Element]:
    return [
        q
        for q in root.findall("question")
        if q.get("type") != "category" and (qtype is None or q.get("type") == qtype)
    ]


def _name(question: ET.Element) -> str:
    return question.findtext("name/text") or ""


def _html_fields(question: ET.Element) -> list[str]:
    paths = ("questiontext/text", "generalfeedback/text", "graderinfo/text")
    return [text for path in paths if (text := question.findtext(path))]


def _student(export: Export, question: ET.Element):
    student_id = _name(question).split(" ", 1)[1]
    return next(s for s in export.key.students if s.id == student_id)


def _problem1_items(export: Export, question: ET.Element) -> list[Item]:
    student = _student(export, question)
    return [i for i in student.items if i.problem == 1 and i.kind == "number"]


# --- structure ----------------------------------------------------------------------------


def test_a_category_per_problem_then_a_question_per_variant(roster):
    title = "Machine Learning Assignment 2: Neural Networks (solgen)"
    ids = [student_id for student_id, _ in ROSTER]
    children = list(roster.root)
    assert roster.root.tag == "quiz"
    assert len(children) == 3 * (1 + len(ids)) and roster.count == 3 * len(ids)
    for n, category in enumerate(CATEGORIES):
        block = children[n * (1 + len(ids)) : (n + 1) * (1 + len(ids))]
        assert block[0].get("type") == "category"
        assert block[0].findtext("category/text") == f"$course$/top/{title}/{category}"
        assert [_name(q) for q in block[1:]] == [f"P{n + 1} {i}" for i in ids]
        assert [q.findtext("idnumber") for q in block[1:]] == [f"P{n + 1}-{i}" for i in ids]
        expected_type = ("cloze", "numerical", "essay")[n]
        assert {q.get("type") for q in block[1:]} == {expected_type}
        assert {q.findtext("hidden") for q in block[1:]} == {"0"}


def test_a_practice_set_names_its_questions_by_seed(practice):
    names = [_name(q) for q in _questions(practice.root)]
    assert names == [f"P{n} {seed:04d}" for n in (1, 2, 3) for seed in (3, 4, 5, 6)]
    assert practice.count == 12


def test_default_grades_are_the_assignments_points(roster, practice):
    for export in (roster, practice):
        grades = {q.get("type"): q.findtext("defaultgrade") for q in _questions(export.root)}
        assert grades == {"cloze": "20", "numerical": "15", "essay": "15"}


# --- answers and tolerances -----------------------------------------------------------------


def _gaps(question: ET.Element) -> list[tuple[int, str, str]]:
    text = question.findtext("questiontext/text") or ""
    return [(int(w), answer, tol) for w, answer, tol in GAP.findall(text)]


@pytest.mark.parametrize("which", ["roster", "practice", "odd"])
def test_every_cloze_gap_is_the_keys_value_within_its_tolerance(which, request):
    export = request.getfixturevalue(which)
    clozes = _questions(export.root, "cloze")
    assert len(clozes) == len(export.key.students)
    for question in clozes:
        items = _problem1_items(export, question)
        gaps = _gaps(question)
        assert len(gaps) == len(items) > 0
        for (_, answer, tolerance), item in zip(gaps, items, strict=True):
            assert re.fullmatch(MOODLE_NUMBER, answer) and re.fullmatch(MOODLE_NUMBER, tolerance)
            assert item.value is not None
            width = item.tolerance.width(item.value)
            assert float(tolerance) == width
            assert float(answer) == item.value
            assert abs(float(answer) - item.value) <= float(tolerance)


def test_cloze_weights_are_proportional_to_points_and_small(roster, odd):
    for export in (roster, odd):
        for question in _questions(export.root, "cloze"):
            items = _problem1_items(export, question)
            weights = [w for w, _, _ in _gaps(question)]
            assert all(w > 0 for w in weights) and math.gcd(*weights) == 1
            points = [item.points for item in items]
            for weight, point in zip(weights, points, strict=True):
                assert Fraction(weight, sum(weights)) == point / sum(points)
            assert sum(points) == 20


def test_the_gradient_gaps_have_the_matrix_shape(odd):
    question = _questions(odd.root, "cloze")[0]
    p1 = _student(odd, question).variant.input_of("problem1")
    h, d, n = len(p1.W1), len(p1.X[0]), len(p1.X)
    assert (h, d, n) == (4, 3, 5)
    html = ET.fromstring("<div>" + (question.findtext("questiontext/text") or "") + "</div>")
    shapes = [
        [len(GAP.findall("".join(row.itertext()))) for row in table.iter("tr")]
        for table in html.iter("table")
    ]
    assert shapes == [[1], [1] * n, [d] * h, [1] * h, [1] * h, [1]]


def test_eta_max_is_a_numerical_answer_with_its_tolerance(roster, practice):
    for export in (roster, practice):
        for question in _questions(export.root, "numerical"):
            eta = _student(export, question).item("eta_max")
            answers = question.findall("answer")
            assert len(answers) == 1 and answers[0].get("fraction") == "100"
            assert eta.value is not None
            assert float(answers[0].findtext("text") or "nan") == eta.value
            assert float(answers[0].findtext("tolerance") or "nan") == eta.tolerance.width(
                eta.value
            )
            feedback = question.findtext("generalfeedback/text") or ""
            assert fmt_number(eta.value) not in feedback and r"\lambda_i" in feedback


def test_a_variant_without_a_bound_is_an_essay(odd):
    assert not _questions(odd.root, "numerical")
    essays = [q for q in _questions(odd.root, "essay") if _name(q).startswith("P2 ")]
    assert len(essays) == len(odd.key.students) == 2
    for question in essays:
        assert _student(odd, question).item("eta_max").value is None
        assert question.findtext("defaultgrade") == "15"
        assert question.findtext("responseformat") == "editor"
        assert "No learning rate" in (question.findtext("graderinfo/text") or "")


def test_the_architecture_essay_gives_the_graders_the_key_and_the_rule(roster):
    for question in _questions(roster.root, "essay"):
        student = _student(roster, question)
        info = question.findtext("graderinfo/text") or ""
        total = student.item("total_params").value
        assert isinstance(total, int)
        assert f"{total:,}".replace(",", "{,}") in info
        assert "Any valid design counts" in info
        assert (question.findtext("generalfeedback/text") or "") in info  # the rule alone
        kernels = re.findall(r"conv(\d+):(\d+)", student.item("layers").exact or "")
        for k, filters in kernels:
            assert rf"\({k} \times {k}\), {filters} filters" in info


# --- the HTML and its TeX -------------------------------------------------------------------


@pytest.mark.parametrize("which", ["roster", "practice", "odd"])
def test_html_is_well_formed_and_its_tex_is_plain_mathjax(which, request):
    export = request.getfixturevalue(which)
    used: set[str] = set()
    for question in _questions(export.root):
        for field in _html_fields(question):
            text = "".join(ET.fromstring(f"<div>{field}</div>").itertext())
            assert "solgen" not in text.lower()
            assert text.count(r"\(") == text.count(r"\)")
            assert text.count(r"\[") == text.count(r"\]")
            segments = [a or b for a, b in MATH.findall(text)]
            assert segments
            for tex in segments:
                used |= set(re.findall(r"\\([A-Za-z]+)", tex))
            assert "\\" not in MATH.sub("", text), "TeX outside \\( \\) or \\[ \\]"
    assert used and used <= MATHJAX, used - MATHJAX


def test_the_roster_bank_holds_no_name_seed_or_key(roster):
    key_file = (roster.batch.parent / "course.key").read_text(encoding="utf-8").strip()
    assert len(key_file) >= 32
    document = roster.data.decode("utf-8")
    assert key_file not in document and key_file[:16] not in document
    for _, name in ROSTER:
        for part in re.split(r"[\s,<>&;]+", name):
            if len(part) > 3:
                assert part not in document, part
    for question in _questions(roster.root):
        for field in _html_fields(question):
            assert "seed" not in field.lower()


def test_category_names_escape_slashes_and_keep_the_title(odd):
    paths = [q.findtext("category/text") or "" for q in odd.root if q.get("type") == "category"]
    assert len(paths) == 3
    for path, category in zip(paths, CATEGORIES, strict=True):
        # Moodle splits a category path at single slashes; a doubled slash is one slash.
        parts = [p.replace("//", "/").strip() for p in re.split(r"(?<!/)/(?!/)", path)]
        assert parts == ["$course$", "top", f"{ODD_TITLE} (solgen)", category]


# --- the file -------------------------------------------------------------------------------


def test_the_export_is_deterministic(roster, tmp_path):
    again = tmp_path / "again.xml"
    assert write_moodle(roster.batch, again) == roster.count
    assert again.read_bytes() == roster.data
    title = "Machine Learning Assignment 2: Neural Networks"
    assert export_moodle(roster.key, title) == roster.data
    assert roster.data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<quiz>")


def test_an_existing_file_is_replaced_and_no_temporary_file_stays(practice, tmp_path):
    output = tmp_path / "bank.xml"
    output.write_text("old", encoding="utf-8")
    write_moodle(practice.batch, output)
    assert output.read_bytes() == practice.data
    assert [p.name for p in tmp_path.iterdir()] == ["bank.xml"]


@pytest.mark.parametrize("case", ["directory", "missing parent", "parent is a file"])
def test_a_bad_output_is_invalid_input_and_writes_nothing(practice, tmp_path, case):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    output = {
        "directory": tmp_path,
        "missing parent": tmp_path / "no" / "bank.xml",
        "parent is a file": tmp_path / "afile" / "bank.xml",
    }[case]
    with pytest.raises(InvalidInput, match="-o: "):
        write_moodle(practice.batch, output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_bad_key_is_invalid_input(tmp_path, capsys):
    with pytest.raises(InvalidInput, match="--key: "):
        write_moodle(tmp_path, tmp_path / "bank.xml")
    with pytest.raises(InvalidInput, match="--key: "):
        write_moodle(tmp_path / "missing", tmp_path / "bank.xml")
    assert main(["export", "moodle", "--key", str(tmp_path), "-o", str(tmp_path / "b.xml")]) == 2
    assert "--key" in capsys.readouterr().err
    assert not (tmp_path / "bank.xml").exists() and not (tmp_path / "b.xml").exists()


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Export:
    """One variant on a 3 x 11 x 11 network (W1 has entries [1,11] and [11,1]), exported."""
    base = tmp_path_factory.mktemp("wide")
    args = ["--count", "1", "--seed", "5", "--no-pdf", "--out", str(base / "set")]
    assert main(["batch", *args, "--samples", "3", "--inputs", "11", "--hidden", "11"]) == 0
    return _export(base / "set", base / "bank.xml")


def test_a_wide_network_has_a_gap_for_every_gradient_entry(wide):
    (question,) = _questions(wide.root, "cloze")
    items = _problem1_items(wide, question)
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids)) == 1 + 3 + 121 + 11 + 11 + 1
    w1 = [i for i in ids if i.startswith("dW1_")]
    assert w1 == [f"dW1_{j}_{i}" for j in range(1, 12) for i in range(1, 12)]
    gaps = _gaps(question)
    assert [float(answer) for _, answer, _ in gaps] == [item.value for item in items]
    weights = [w for w, _, _ in gaps]
    assert set(weights[4:125]) == {weights[4]}  # every dW1 entry the same share of its 4 points
    assert Fraction(sum(weights[4:125]), sum(weights)) == Fraction(4, 20)
    html = ET.fromstring("<div>" + (question.findtext("questiontext/text") or "") + "</div>")
    shapes = [
        [len(GAP.findall("".join(row.itertext()))) for row in table.iter("tr")]
        for table in html.iter("table")
    ]
    assert shapes == [[1], [1] * 3, [11] * 11, [1] * 11, [1] * 11, [1]]
