"""export qti: a QTI 1.2 zip for Canvas Classic Quizzes, read back with ElementTree."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import math
import re
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

from solgen.base.errors import InvalidInput
from solgen.cli import main
from solgen.course.answerkey import ClassKey, StudentKey, load_key
from solgen.course.coursekey import student_seed
from solgen.lms.export_qti import export_qti, write_qti
from solgen.markup.latex import sym
from solgen.problems.lmshtml import tex_matrix, value_tex

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
KEY_HEX = "f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"
ROSTER = [
    ("qa-17", "Ada <Lovelace> & Co"),
    ("qb-23", "Noether, Emmy"),
    ("qc-42", "José Núñez"),
]
TITLE = "Neural networks quiz"
POINTS = {1: "20", 2: "15", 3: "15"}
TYPES = {1: "fill_in_multiple_blanks_question", 2: "numerical_question", 3: "essay_question"}
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# TeX that MathJax knows without any macro of solgen's preamble (\keymath, \solgenstep, ...).
MATHJAX = {
    "frac",
    "partial",
    "mathbf",
    "mathrm",
    "text",
    "textbf",
    "lambda",
    "eta",
    "max",
    "min",
    "top",
    "sum",
    "prod",
    "cdot",
    "delta",
    "odot",
    "times",
    "le",
    "leq",
    "ge",
    "geq",
    "lt",
    "gt",
    "ne",
    "neq",
    "approx",
    "quad",
    "qquad",
    "left",
    "right",
    "begin",
    "end",
    "sqrt",
    "to",
    "in",
    "mid",
    "ldots",
    "cdots",
    "dots",
    "vdots",
    "ddots",
    "alpha",
    "sigma",
    "tanh",
    "exp",
    "ln",
    "log",
    "operatorname",
    "mathcal",
    "tfrac",
    "dfrac",
    "infty",
    "pm",
    "mapsto",
    "rightarrow",
    "Rightarrow",
    "hat",
    "bar",
    "boldsymbol",
    "mathbb",
    "nabla",
    "tag",
    "displaystyle",
    "lvert",
    "rvert",
    "lVert",
    "rVert",
    "vert",
    "Vert",
    "lbrack",
    "rbrack",
    "mathit",
    "bigl",
    "bigr",
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """A roster batch of three students (awkward names), --no-pdf, built once."""
    top = tmp_path_factory.mktemp("qti")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "name"])
    writer.writerows(ROSTER)
    (top / "roster.csv").write_text(out.getvalue(), encoding="utf-8")
    (top / "course.key").write_text(f"sgk1-{KEY_HEX}\n", encoding="ascii")
    args = ["batch", "--roster", str(top / "roster.csv"), "--key", str(top / "course.key")]
    assert main([*args, "--out", str(top / "class"), "--no-pdf"]) == 0
    return top / "class"


@pytest.fixture(scope="module")
def key(batch) -> ClassKey:
    return load_key(batch)


@pytest.fixture(scope="module")
def package(batch, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("zip") / "quiz.zip"
    assert write_qti(batch, output) == 3 * len(ROSTER)
    return output


@pytest.fixture(scope="module")
def members(package) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def assessment(members) -> ET.Element:
    (name,) = (name for name in members if name != "imsmanifest.xml")
    return ET.fromstring(members[name])


def sections(assessment: ET.Element) -> list[ET.Element]:
    root_section = assessment.find(f"{QTI}assessment/{QTI}section")
    assert root_section is not None and root_section.get("ident") == "root_section"
    return root_section.findall(f"{QTI}section")


def meta(node: ET.Element) -> dict[str, str]:
    fields = node.findall(f"{QTI}itemmetadata/{QTI}qtimetadata/{QTI}qtimetadatafield")
    return {f.findtext(f"{QTI}fieldlabel", ""): f.findtext(f"{QTI}fieldentry", "") for f in fields}


def html_texts(root: ET.Element) -> list[str]:
    """Every HTML text (a blank's name and accepted texts are not HTML: Canvas's format)."""
    blanks = {id(m) for lid in root.iter(f"{QTI}response_lid") for m in lid.iter(f"{QTI}mattext")}
    texts = []
    for mattext in root.iter(f"{QTI}mattext"):
        if id(mattext) in blanks:
            continue
        assert mattext.get("texttype") == "text/html"
        texts.append(mattext.text or "")
    return texts


def test_members_are_the_manifest_and_the_assessment_and_all_parse(members):
    names = list(members)
    assert names[0] == "imsmanifest.xml"
    assert len(names) == 2
    assert re.fullmatch(r"[A-Za-z_][\w-]*/[A-Za-z_][\w-]*\.xml", names[1])
    for data in members.values():
        assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        ET.fromstring(data)  # well-formed XML, or this raises


def test_manifest_is_content_packaging_with_a_qti_resource_for_the_assessment(members):
    manifest = ET.fromstring(members["imsmanifest.xml"])
    assert manifest.tag == f"{CP}manifest"
    assert manifest.findtext(f"{CP}metadata/{CP}schema") == "IMS Content"
    assert manifest.findtext(f"{CP}metadata/{CP}schemaversion") == "1.1.3"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    assert len(resources) == 1
    (assessment_file,) = (name for name in members if name != "imsmanifest.xml")
    assert resources[0].get("type") == "imsqti_xmlv1p2"
    assert resources[0].get("href") == assessment_file
    assert [f.get("href") for f in resources[0].findall(f"{CP}file")] == [assessment_file]
    assessment = ET.fromstring(members[assessment_file]).find(f"{QTI}assessment")
    assert assessment is not None and resources[0].get("identifier") == assessment.get("ident")


def test_assessment_has_one_question_group_per_problem_picking_one(assessment, key):
    top = assessment.find(f"{QTI}assessment")
    assert top is not None and top.get("title") == "Machine Learning Assignment 2: Neural Networks"
    fields = top.findall(f"{QTI}qtimetadata/{QTI}qtimetadatafield")
    assert ("qmd_assessmenttype", "Examination") in [
        (f.findtext(f"{QTI}fieldlabel"), f.findtext(f"{QTI}fieldentry")) for f in fields
    ]
    groups = sections(assessment)
    assert [g.get("title", "").split(":")[0] for g in groups] == [
        "Problem 1",
        "Problem 2",
        "Problem 3",
    ]
    for problem, group in enumerate(groups, start=1):
        selection = group.find(f"{QTI}selection_ordering/{QTI}selection")
        assert selection is not None
        assert selection.findtext(f"{QTI}selection_number") == "1"
        extension = f"{QTI}selection_extension/{QTI}points_per_item"
        assert selection.findtext(extension) == POINTS[problem]
        expected = sum(i.points for i in key.students[0].items if i.problem == problem)
        assert Fraction(POINTS[problem]) == expected
        items = group.findall(f"{QTI}item")
        assert len(items) == len(key.students) == len(ROSTER)
        assert [i.get("title") for i in items] == [
            f"Problem {problem}, variant {i.get('ident', '').rsplit('_', 1)[1]}" for i in items
        ]


def test_question_types_and_points_are_canvas_metadata(assessment):
    for problem, group in enumerate(sections(assessment), start=1):
        for item in group.findall(f"{QTI}item"):
            fields = meta(item)
            assert fields["question_type"] == TYPES[problem]
            assert fields["points_possible"] == POINTS[problem]
            if problem > 1:
                response = item.find(f"{QTI}presentation/{QTI}response_str")
                assert response is not None and response.get("ident") == "response1"


def test_numerical_answers_are_ranges_of_twice_the_tolerance_around_the_key(assessment, key):
    checked = 0
    for problem, item_id in ((2, "eta_max"),):
        group = sections(assessment)[problem - 1]
        for item, student in zip(group.findall(f"{QTI}item"), key.students, strict=True):
            answer = student.item(item_id)
            assert isinstance(answer.value, float)
            conditions = [
                c for c in item.iter(f"{QTI}respcondition") if c.find(f"{QTI}setvar") is not None
            ]
            assert len(conditions) == 1
            condition = conditions[0]
            assert condition.findtext(f"{QTI}setvar") == "100"
            low = float(condition.findtext(f"{QTI}conditionvar/{QTI}vargte") or "nan")
            high = float(condition.findtext(f"{QTI}conditionvar/{QTI}varlte") or "nan")
            bounds = condition.find(f"{QTI}conditionvar")
            assert bounds is not None
            assert [b.get("respident") for b in bounds] == ["response1", "response1"]
            assert low <= answer.value <= high
            width = answer.tolerance.width(answer.value)
            assert width > 0
            assert math.isclose(high - low, 2 * width, rel_tol=1e-9)
            checked += 1
    assert checked == len(ROSTER)


def test_general_feedback_is_shown_whatever_the_answer(assessment):
    for item in assessment.iter(f"{QTI}item"):
        feedback = item.findall(f"{QTI}itemfeedback")
        assert [f.get("ident") for f in feedback] == ["general_fb"]
        assert "".join(html_texts(feedback[0])).strip()
        first = item.find(f"{QTI}resprocessing/{QTI}respcondition")
        assert first is not None and first.get("continue") == "Yes"
        assert first.find(f"{QTI}conditionvar/{QTI}other") is not None
        shown = first.find(f"{QTI}displayfeedback")
        assert shown is not None and shown.get("linkrefid") == "general_fb"


def test_identifiers_are_unique_ncnames(assessment, members):
    manifest = ET.fromstring(members["imsmanifest.xml"])
    idents = [n.get("ident") for n in assessment.iter() if n.tag in {f"{QTI}item", f"{QTI}section"}]
    idents.append(manifest.get("identifier"))
    for ident in idents:
        assert ident is not None and NCNAME.match(ident), ident
    items = [n.get("ident") for n in assessment.iter(f"{QTI}item")]
    assert len(set(items)) == len(items) == 3 * len(ROSTER)


def test_every_html_text_is_well_formed_with_mathjax_tex_only(assessment):
    texts = html_texts(assessment)
    assert len(texts) == 2 * 3 * len(ROSTER)  # a question and a feedback per item
    for text in texts:
        ET.fromstring(f"<div>{text}</div>")  # raises on unbalanced or unknown-entity HTML
        assert text.count(r"\(") == text.count(r"\)")
        assert text.count(r"\[") == text.count(r"\]")
        assert text.count(r"\(") + text.count(r"\[") > 0  # every text has some TeX
        commands = set(re.findall(r"\\([A-Za-z]+)", text))
        assert commands <= MATHJAX, commands - MATHJAX
        assert "solgen" not in text and "keymath" not in text


def item_html(item: ET.Element) -> tuple[str, str]:
    """The question text and the general feedback of an item."""
    presentation = item.find(f"{QTI}presentation")
    feedback = item.find(f"{QTI}itemfeedback")
    assert presentation is not None and feedback is not None
    (question,) = html_texts(presentation)
    (general,) = html_texts(feedback)
    return question, general


def test_question_texts_show_each_variants_data_and_feedback_its_answers(assessment, key):
    groups = [g.findall(f"{QTI}item") for g in sections(assessment)]
    for n, student in enumerate(key.students):
        variant = student.variant
        question, general = item_html(groups[0][n])
        assert html.escape(tex_matrix(variant.input_of("problem1").X)) in question
        assert html.escape(tex_matrix(variant.input_of("problem1").W1)) in question
        assert "plain decimal rounded to 3 significant digits" in question
        assert "[loss]" in question and "[dW1_24]" in question
        assert r"\delta_k = y_k - t_k" in general  # the method, no answer
        for label in (
            r"\frac{\partial L}{\partial W^{(1)}}",
            r"\frac{\partial L}{\partial b^{(2)}}",
        ):
            assert label in question  # a blank's label
        question, general = item_html(groups[1][n])
        # A as the statement template writes it in the PDF too (the one formatter, latex.sym)
        assert html.escape(sym(sp.Matrix(variant.input_of("problem2").A))) in question
        assert r"\eta_{\max}" in question and r"|1 - 2\eta\lambda_i| &lt; 1" in general
        question, general = item_html(groups[2][n])
        height, width, _ = variant.input_of("problem3").input
        assert rf"\({height} \times {width}\)" in question
        assert "<li>" not in general and "Any valid design counts" in general
    assert len({item_html(items[0])[0] for items in groups}) == 3


def test_no_name_id_seed_or_key_anywhere_in_the_package(members):
    secrets = [KEY_HEX, KEY_HEX[:16], "sgk1"]
    for student_id, name in ROSTER:
        secrets += [student_id, name, escaped(name), name.split(",")[0], "Lovelace", "Núñez"]
        secrets.append(str(student_seed(bytes.fromhex(KEY_HEX), student_id)))
    for name, data in members.items():
        text = data.decode("utf-8")
        for secret in secrets:
            assert secret not in text, (name, secret)


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_two_exports_are_byte_identical_with_fixed_timestamps(batch, package, tmp_path):
    again = tmp_path / "again.zip"
    assert write_qti(batch, again) == 3 * len(ROSTER)
    assert again.read_bytes() == package.read_bytes()
    with zipfile.ZipFile(again) as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
    assert [p.name for p in tmp_path.iterdir()] == ["again.zip"]  # no temporary file left


def test_export_returns_the_zip_members(key, members):
    assert export_qti(key, TITLE).keys() == members.keys()
    exported = export_qti(key, TITLE)
    (name,) = (n for n in exported if n != "imsmanifest.xml")
    top = ET.fromstring(exported[name]).find(f"{QTI}assessment")
    assert top is not None and top.get("title") == TITLE


def test_overwrites_an_existing_file(batch, package, tmp_path):
    output = tmp_path / "quiz.zip"
    output.write_bytes(b"old")
    write_qti(batch, output)
    assert output.read_bytes() == package.read_bytes()


@pytest.mark.parametrize("bad", ["directory", "missing/quiz.zip", "file/quiz.zip"])
def test_bad_output_is_invalid_input_and_nothing_is_written(batch, tmp_path, bad):
    (tmp_path / "directory").mkdir()
    (tmp_path / "file").write_text("a file, not a folder\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(InvalidInput) as caught:
        write_qti(batch, tmp_path / bad)
    assert "-o" in str(caught.value)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_missing_batch_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInput, match="--key"):
        write_qti(tmp_path / "nothing", tmp_path / "quiz.zip")
    assert not (tmp_path / "quiz.zip").exists()


def test_eta_max_without_a_bound_is_an_essay_question(key):
    def unbounded(student: StudentKey) -> StudentKey:
        items = tuple(
            dataclasses.replace(i, value=None, exact=None) if i.id == "eta_max" else i
            for i in student.items
        )
        return dataclasses.replace(student, items=items)

    changed = ClassKey(key.kind, (unbounded(key.students[0]), *key.students[1:]))
    exported = export_qti(changed, TITLE)
    (name,) = (n for n in exported if n != "imsmanifest.xml")
    items = sections(ET.fromstring(exported[name]))[1].findall(f"{QTI}item")
    assert [meta(i)["question_type"] for i in items] == [
        "essay_question",
        "numerical_question",
        "numerical_question",
    ]
    assert not list(items[0].iter(f"{QTI}vargte"))


def test_points_that_differ_between_students_are_invalid_input(key):
    first = key.students[0]
    items = tuple(
        dataclasses.replace(i, points=i.points + 1) if i.id == "loss" else i for i in first.items
    )
    changed = ClassKey(key.kind, (dataclasses.replace(first, items=items), *key.students[1:]))
    with pytest.raises(InvalidInput, match="problem 1"):
        export_qti(changed, TITLE)


def test_an_empty_class_is_invalid_input():
    with pytest.raises(InvalidInput, match="no students"):
        export_qti(ClassKey("roster", ()), TITLE)


def test_a_wide_network_shows_every_gradient_entry_in_its_place(tmp_path):
    """A 3 x 11 x 11 network: W1[1,11] and W1[11,1] have ids of their own and their places."""
    out = tmp_path / "wide"
    args = ["--count", "1", "--seed", "5", "--no-pdf", "--out", str(out)]
    assert main(["batch", *args, "--samples", "3", "--inputs", "11", "--hidden", "11"]) == 0
    key = load_key(out)
    (student,) = key.students
    members = export_qti(key, "Wide", "answers")
    (name,) = (n for n in members if n != "imsmanifest.xml")
    root = ET.fromstring(members[name])
    (problem1,) = sections(root)[0].findall(f"{QTI}item")
    _, general = item_html(problem1)
    match = re.search(
        r"\\frac\{\\partial L\}\{\\partial W\^\{\(1\)\}\} = \\begin\{bmatrix\} (.*?) \\end",
        html.unescape(general),
    )
    assert match is not None
    cells = [row.split(" & ") for row in match.group(1).split(r" \\ ")]
    assert [len(row) for row in cells] == [11] * 11
    for j in range(1, 12):
        for i in range(1, 12):
            assert cells[j - 1][i - 1] == value_tex(student.item(f"dW1_{j}_{i}"))[0]
    assert student.item("dW1_1_11") != student.item("dW1_11_1")


def test_a_control_character_in_the_title_leaves_both_exports_parsable(tmp_path):
    """XML 1.0 forbids U+0007: the Canvas assessment did not parse while Moodle's did (each
    export had its own element writer; now both use lmshtml.xml_sub)."""
    from solgen.lms.export_moodle import write_moodle

    (tmp_path / "roster.csv").write_text("id,name\r\ns1,Ann Lee\r\n", encoding="utf-8")
    (tmp_path / "course.key").write_text(f"sgk1-{KEY_HEX}\n", encoding="ascii")
    args = [
        "batch",
        "--roster",
        str(tmp_path / "roster.csv"),
        "--key",
        str(tmp_path / "course.key"),
    ]
    title = 'meta.title="Quiz\\u0007 one"'
    assert main([*args, "--out", str(tmp_path / "c"), "--no-pdf", "--set", title]) == 0
    write_qti(tmp_path / "c", tmp_path / "quiz.zip")
    with zipfile.ZipFile(tmp_path / "quiz.zip") as archive:
        parsed = [ET.fromstring(archive.read(name)) for name in archive.namelist()]
    # raised above on a forbidden character; the title arrives without it
    assert any(node.get("title") == "Quiz one" for root in parsed for node in root.iter())
    write_moodle(tmp_path / "c", tmp_path / "quiz.xml")
    text = (tmp_path / "quiz.xml").read_text(encoding="utf-8")
    assert "\x07" not in text and "Quiz one" in text
    ET.fromstring(text.encode("utf-8"))


@pytest.mark.parametrize(("fmt", "module", "writer"), [
    ("qti", "solgen.lms.export_qti", "atomic_write_bytes"),
    ("moodle", "solgen.lms.export_moodle", "atomic_write"),
])  # fmt: skip
def test_a_full_disk_at_the_export_is_exit_1_naming_the_file(
    batch, tmp_path, monkeypatch, capsys, fmt, module, writer
):
    """-o is checked writable before any work (exit 2 if not); a disk that fails the write
    afterwards is the system's failure, exit 1 with the file (it was exit 2, invalid input)."""
    import errno
    import importlib

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importlib.import_module(module), writer, full)
    output = tmp_path / ("quiz.zip" if fmt == "qti" else "bank.xml")
    assert main(["export", fmt, "--key", str(batch), "-o", str(output)]) == 1
    assert capsys.readouterr().err == f"solgen: error: No space left on device: {output}\n"
    assert not output.exists()


def test_any_accepted_title_leaves_both_exports_valid_xml(key):
    """meta.title accepts every control and format character (the PDF drops them), the C0
    controls that XML 1.0 forbids among them: both exports leave those out, keep the rest,
    and parse."""
    from solgen.document.variant import build_variant
    from solgen.lms.export_moodle import export_moodle

    accepted = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
    accepted += ["\u00ad", "\u200b", "\u200e", "\ufeff", "\U000e0001"]
    title = "Quiz " + "".join(accepted) + " one"
    assert build_variant({"meta": {"title": title}}).meta.title == title
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", title)
    assert len(expected) == len(title) - 29
    members = export_qti(key, title)
    parsed = [ET.fromstring(data) for data in members.values()]
    top = parsed[1].find(f"{QTI}assessment")
    assert top is not None and top.get("title") == expected
    bank = ET.fromstring(export_moodle(key, title))
    info = bank.findtext("question/info/text") or ""
    # an element's text is line-end normalised when parsed (\r -> \n); an attribute's is kept
    assert f"of {expected.replace(chr(13), chr(10))}: one question" in info
