"""Exports a TA can reuse (issue 20, item 9): Canvas grades every answer of problem 1, no
feedback a student sees before the deadline holds an answer, and a second export after
students were added keeps every identifier (Canvas updates in place) or holds only the new
students (Moodle, whose import always adds)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from solgen.cli import main
from solgen.course.answerkey import load_key
from solgen.lms.export_moodle import number_text
from solgen.markup.latex import fmt_number
from solgen.problems.lmshtml import blank_texts
from solgen.problems.problem import Item, Tolerance

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
KEY_HEX = "5eed" * 16
GAP = re.compile(r"\{\d+:NUMERICAL:[^}]*\}")  # a cloze gap: Moodle renders an input, not this


def _batch(top: Path, ids: list[str]) -> Path:
    rows = "".join(f"{i},Student {i}\r\n" for i in ids)
    (top / "roster.csv").write_text("id,name\r\n" + rows, encoding="utf-8")
    if not (top / "course.key").exists():
        (top / "course.key").write_text(f"sgk1-{KEY_HEX}\n", encoding="ascii")
    args = ["--roster", str(top / "roster.csv"), "--key", str(top / "course.key")]
    assert main(["batch", *args, "--out", str(top / "class"), "--no-pdf", "--jobs", "1"]) == 0
    return top / "class"


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> dict[str, Path]:
    """Exports of a class of two, then (the batch rerun) of the class with a third student."""
    top = tmp_path_factory.mktemp("reuse")
    batch = _batch(top, ["s001", "s002"])
    out = {}
    for fmt, name in (("moodle", "m1.xml"), ("qti", "q1.zip")):
        assert main(["export", fmt, "--key", str(batch), "-o", str(top / name)]) == 0
        out[name] = top / name
    _batch(top, ["s001", "s002", "s003"])
    for fmt, name in (("moodle", "m2.xml"), ("qti", "q2.zip")):
        assert main(["export", fmt, "--key", str(batch), "-o", str(top / name)]) == 0
        out[name] = top / name
    for fmt, name in (("moodle", "m-new.xml"), ("qti", "q-new.zip")):
        args = ["export", fmt, "--key", str(batch), "-o", str(top / name), "--students", "s003"]
        assert main(args) == 0
        out[name] = top / name
    answers = top / "m-answers.xml"
    args = ["export", "moodle", "--key", str(batch), "-o", str(answers), "--feedback", "answers"]
    assert main(args) == 0
    out["m-answers.xml"] = answers
    qanswers = top / "q-answers.zip"
    args = ["export", "qti", "--key", str(batch), "-o", str(qanswers), "--feedback", "answers"]
    assert main(args) == 0
    out["q-answers.zip"] = qanswers
    out["batch"] = batch
    return out


def _assessment(package: Path) -> ET.Element:
    with zipfile.ZipFile(package) as archive:
        (name,) = (n for n in archive.namelist() if n != "imsmanifest.xml")
        return ET.fromstring(archive.read(name))


# --- 1. Canvas grades every answer of problem 1 ------------------------------------------------


def test_a_blank_accepts_the_texts_within_its_tolerance_and_no_other():
    def texts(value: float) -> tuple[str, ...]:
        item = Item("x", "g", 1, "number", "x", "x", None, value, Tolerance(), 0)  # type: ignore[arg-type]
        return blank_texts(item)

    assert texts(0.479344) == ("0.479", ".479")
    assert texts(-0.6) == ("-0.600", "-0.6", "-.600", "-.6")
    assert texts(6408) == ("6410",)
    assert texts(0.0) == ("0.00", "0", ".00")
    assert texts(0.0999996) == ("0.100", "0.1", ".100", ".1")


def test_problem_1_in_canvas_is_a_blank_per_answer_as_canvas_writes_one(tmp_path):
    batch = tmp_path / "s7"
    assert main(["batch", "--count", "1", "--seed", "7", "--no-pdf", "--out", str(batch)]) == 0
    assert main(["export", "qti", "--key", str(batch), "-o", str(tmp_path / "q.zip")]) == 0
    root = _assessment(tmp_path / "q.zip")
    item = root.find(f".//{QTI}item")
    assert item is not None
    fields = item.findall(f"{QTI}itemmetadata/{QTI}qtimetadata/{QTI}qtimetadatafield")
    assert [(f.findtext(f"{QTI}fieldlabel"), f.findtext(f"{QTI}fieldentry")) for f in fields] == [
        ("question_type", "fill_in_multiple_blanks_question"),
        ("points_possible", "20"),
    ]
    lids = item.findall(f"{QTI}presentation/{QTI}response_lid")
    key = load_key(batch)
    numbers = [i for i in key.students[0].items if i.problem == 1 and i.value is not None]
    assert [lid.get("ident") for lid in lids] == [f"response_{i.id}" for i in numbers]
    assert len(lids) == 17  # loss, 3 outputs, 8 + 2 + 2 + 1 gradient entries
    ET.indent(lids[0])
    lids[0].tail = None
    assert ET.tostring(lids[0], encoding="unicode").replace(QTI[1:-1], "q") == (
        '<ns0:response_lid xmlns:ns0="q" ident="response_loss">\n'
        "  <ns0:material>\n"
        "    <ns0:mattext>loss</ns0:mattext>\n"
        "  </ns0:material>\n"
        "  <ns0:render_choice>\n"
        '    <ns0:response_label ident="loss_1">\n'
        "      <ns0:material>\n"
        '        <ns0:mattext texttype="text/plain">3.90</ns0:mattext>\n'
        "      </ns0:material>\n"
        "    </ns0:response_label>\n"
        '    <ns0:response_label ident="loss_2">\n'
        "      <ns0:material>\n"
        '        <ns0:mattext texttype="text/plain">3.9</ns0:mattext>\n'
        "      </ns0:material>\n"
        "    </ns0:response_label>\n"
        "  </ns0:render_choice>\n"
        "</ns0:response_lid>"
    )
    scoring = [c for c in item.iter(f"{QTI}respcondition") if c.find(f"{QTI}setvar") is not None]
    assert len(scoring) == 17
    first = scoring[0]
    assert first.get("continue") is None
    assert first.findtext(f"{QTI}conditionvar/{QTI}varequal") == "loss_1"
    setvar = first.find(f"{QTI}setvar")
    assert setvar is not None and setvar.attrib == {"action": "Add", "varname": "SCORE"}
    assert setvar.text == "5.88"  # Canvas's own "%.2f" of 100 / 17
    text = item.findtext(f"{QTI}presentation/{QTI}material/{QTI}mattext") or ""
    assert "[loss]" in text and "[db2]" in text
    assert "Canvas gives each of the 17 blanks the same share of the question's 20 points" in text
    assert "(20/17 each)" in text


# --- 2. no answer a student sees before the deadline ----------------------------------------


def _answer_texts(batch: Path) -> dict[str, set[str]]:
    """Every student's answers, as the exports and the key would write them (numbers with at
    least 4 significant digits: a shorter one may be a datum of the statement)."""
    found: dict[str, set[str]] = {}
    for student in load_key(batch).students:
        for item in student.items:
            if isinstance(item.value, float):
                for text in (fmt_number(item.value), number_text(item.value)):
                    if len(re.sub(r"[^0-9]", "", text).lstrip("0")) >= 4:
                        found.setdefault(student.id, set()).add(text)
            elif isinstance(item.value, int) and item.value >= 1000:
                found.setdefault(student.id, set()).add(f"{item.value:,}".replace(",", "{,}"))
    return found


def _moodle_seen(path: Path) -> list[str]:
    """What a student sees of each question in a practice attempt, review options permitting:
    the question text (a gap is an input, its value never sent), the general feedback and
    each answer's feedback. Not the essay's graderinfo: Moodle shows it to graders alone."""
    seen = []
    for question in ET.parse(path).getroot():
        if question.get("type") == "category":
            continue
        seen.append(GAP.sub("", question.findtext("questiontext/text") or ""))
        seen.append(question.findtext("generalfeedback/text") or "")
        seen.extend(a.findtext("feedback/text") or "" for a in question.iter("answer"))
    return seen


def _qti_seen(path: Path) -> list[str]:
    """The question text and the feedback Canvas shows after a submission (not a blank's
    accepted texts: Canvas shows those only as the correct answers, a quiz setting)."""
    root = _assessment(path)
    seen = [m.text or "" for m in root.iter(f"{QTI}mattext") if m.get("texttype") == "text/html"]
    seen = [GAP.sub("", s) for s in seen]
    return seen


@pytest.mark.parametrize(("name", "seen"), [("m2.xml", _moodle_seen), ("q2.zip", _qti_seen)])
def test_nothing_a_student_sees_holds_any_students_answer(grown, name, seen):
    answers = _answer_texts(grown["batch"])
    assert sum(len(v) for v in answers.values()) >= 30
    visible = "\n".join(seen(grown[name]))
    leaked = sorted(t for texts in answers.values() for t in texts if t in visible)
    assert leaked == []


@pytest.mark.parametrize(
    ("name", "seen"), [("m-answers.xml", _moodle_seen), ("q-answers.zip", _qti_seen)]
)
def test_feedback_answers_shows_them_for_after_the_deadline(grown, name, seen):
    answers = _answer_texts(grown["batch"])
    visible = "\n".join(seen(grown[name]))
    for texts in answers.values():
        assert any(t in visible for t in texts)


def test_an_answers_bank_has_categories_of_its_own(grown):
    def categories(path: Path) -> list[str]:
        root = ET.parse(path).getroot()
        return [q.findtext("category/text") or "" for q in root if q.get("type") == "category"]

    assert categories(grown["m2.xml"])[0] == (
        "$course$/top/Machine Learning Assignment 2: Neural Networks (solgen)/"
        "Problem 1: Calculating gradients"
    )
    assert categories(grown["m-answers.xml"])[0] == (
        "$course$/top/Machine Learning Assignment 2: Neural Networks (solgen, answers)/"
        "Problem 1: Calculating gradients"
    )


# --- 3. a second export after students were added -------------------------------------------


def _idents(path: Path) -> list[str]:
    root = _assessment(path)
    tags = {f"{QTI}assessment", f"{QTI}section", f"{QTI}item"}
    return [n.get("ident", "") for n in root.iter() if n.tag in tags]


def test_canvas_identifiers_stay_when_students_are_added(grown):
    before, after = _idents(grown["q1.zip"]), _idents(grown["q2.zip"])
    assert len(before) == 1 + 1 + 3 + 3 * 2 and len(after) == 1 + 1 + 3 + 3 * 3
    assert set(before) < set(after)  # the quiz, its groups and every question: the same
    with zipfile.ZipFile(grown["q1.zip"]) as one, zipfile.ZipFile(grown["q2.zip"]) as two:
        assert one.namelist() == two.namelist()
    # One student's export: the class's quiz and groups, and exactly the new student's items.
    new = _idents(grown["q-new.zip"])
    assert {i for i in new if i.count("_") < 3} == {i for i in after if i.count("_") < 3}
    assert {i for i in new if i.count("_") == 3} == set(after) - set(before)


def _moodle_ids(path: Path) -> list[tuple[str, str]]:
    root = ET.parse(path).getroot()
    return [
        (q.findtext("name/text") or "", q.findtext("idnumber") or "")
        for q in root
        if q.get("type") != "category"
    ]


def test_moodle_idnumbers_stay_and_students_exports_only_the_new_ones(grown):
    assert _moodle_ids(grown["m1.xml"]) == [
        (f"P{n} {i}", f"P{n}-{i}") for n in (1, 2, 3) for i in ("s001", "s002")
    ]
    assert _moodle_ids(grown["m-new.xml"]) == [(f"P{n} s003", f"P{n}-s003") for n in (1, 2, 3)]
    whole = ET.parse(grown["m2.xml"]).getroot()
    new = ET.parse(grown["m-new.xml"]).getroot()
    assert [q.findtext("category/text") for q in new if q.get("type") == "category"] == [
        q.findtext("category/text") for q in whole if q.get("type") == "category"
    ]


def test_an_unknown_student_is_exit_2_naming_it_and_writes_nothing(grown, tmp_path, capsys):
    output = tmp_path / "bank.xml"
    args = ["export", "moodle", "--key", str(grown["batch"]), "-o", str(output)]
    assert main([*args, "--students", "s003,s404"]) == 2
    assert capsys.readouterr().err == (
        "solgen: error: --students: 's404' is not a student of the batch (expected an id of "
        "its roster, such as 's001')\n"
    )
    assert not output.exists()


def test_the_command_lines_feedback_modes_are_the_exports():
    """cli.py names the modes without importing the LMS layer (its start stays light)."""
    import argparse

    from solgen.cli import parser
    from solgen.lms.lmsclass import FEEDBACK

    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    export = commands.choices["export"]
    (action,) = (a for a in export._actions if a.dest == "feedback")
    assert tuple(action.choices or ()) == FEEDBACK and action.default == FEEDBACK[0]
