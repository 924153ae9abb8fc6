"""Export a class batch as a QTI 1.2 package (a zip) that Canvas Classic Quizzes imports.

The package follows what Canvas itself writes for a QTI export (canvas-lms lib/cc/qti:
qti_generator.rb, qti_items.rb, qti_manifest.rb) and what its importer reads (the
QTIMigrationTool that turns QTI 1.2 into QTI 2.1, then gems/plugins/qti_exporter):

- imsmanifest.xml: IMS Content Packaging 1.1.3, one resource of type imsqti_xmlv1p2
  pointing at the assessment file;
- <ident>/<ident>.xml: <questestinterop><assessment> with one question group (a <section>
  with <selection_ordering>: pick 1, points_per_item) per problem of the assignment, titled
  "Problem n: <its title>", and one item per variant.

Canvas picks one item of each group at random for each student: Classic Quizzes cannot hand a
student their own variant, so the groups are a pool of variants, not a per-student mapping.

Each item is its problem's statement (the statement template its PDF includes, converted to
HTML: solgen.lms.lmsclass) and what the problem asks (its lms_question hook), in one of Canvas's
question types: a numerical_question for one key item (the descent problem's eta_max), a
fill_in_multiple_blanks_question for a cloze (the network problem: a blank for every answer,
each accepting the texts of lmshtml.blank_texts, since Canvas compares a blank's text; every
blank an equal share of the points, as Canvas scores it), or an essay_question, which a person
grades (a convnet design; eta_max where no step size converges, which a number cannot say).
The general feedback is the problem's method (--feedback answers: its final answers).

A numerical answer is a range answer, as Canvas writes one: <vargte> the low and <varlte> the
high bound, value -/+ the item's tolerance width. The XML is built with ElementTree, the zip
has fixed timestamps and member order, so two exports of a batch are byte-identical.
Identifiers are hashes of the class's origin (the course key's fingerprint, a practice set's
plan), its problems and each student's id: XML NCNames that name no student, the same in every
export of the class. Canvas's importer finds an existing quiz, question group and question by
them (their migration ids) and updates it, so re-importing after students were added adds
their questions and duplicates nothing.
"""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from solgen.base.errors import InvalidInput
from solgen.base.files import atomic_write_bytes, check_output_file, named, shared
from solgen.course.answerkey import ClassKey, Item, StudentKey, load_key
from solgen.lms.lmsclass import (
    Posed,
    answer_table,
    class_assignment,
    only_students,
    problem_title,
    questions_by_problem,
)
from solgen.problems import lmshtml
from solgen.problems.lmshtml import xml_sub
from solgen.problems.registry import Placed

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI_XSD = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_XSD = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
QTI_RESOURCE_TYPE = "imsqti_xmlv1p2"  # Canvas's CCHelper::QTI_ASSESSMENT_TYPE
MANIFEST = "imsmanifest.xml"

# Fixed zip metadata: the same key gives the same bytes on every run.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o644


def export_qti(key: ClassKey, title: str, feedback: str = "method") -> dict[str, bytes]:
    """The members of the QTI package (zip member name -> bytes), imsmanifest.xml first, with
    the feedback of that mode (lmsclass.FEEDBACK)."""
    if not key.students:
        raise InvalidInput(["--key: the batch has no students; there is nothing to export"])
    tag = _class_tag(key, title)
    assessment_id = f"solgen_{tag}"
    assessment_file = f"{assessment_id}/{assessment_id}.xml"
    assessment = _assessment(key, title, assessment_id, tag, feedback)
    manifest = _manifest(assessment_id, assessment_file)
    return {MANIFEST: _serialize(manifest), assessment_file: _serialize(assessment)}


def write_qti(
    directory: Path, output: Path, feedback: str = "method", students: list[str] | None = None
) -> int:
    """Write the QTI package of the batch in directory (only these students, if given) to
    output (a .zip), atomically: to a temporary file beside it, then renamed. Returns the
    number of questions written."""
    check_output_file(output, "quiz.zip")
    with shared(directory, "--key"):  # not while a batch rewrites the keys
        whole = load_key(directory)
    # The class's title (its first student's), whoever is exported: the quiz's identity.
    title = whole.students[0].variant.meta.title if whole.students else ""
    key = only_students(whole, students)
    members = export_qti(key, title.strip() or "Assignment", feedback)
    data = zip_bytes(members)
    try:
        atomic_write_bytes(output, data)
    except OSError as exc:  # -o was checked writable: this is the disk's failure (exit 1)
        raise named(exc, output) from None
    return len(tuple(class_assignment(key))) * len(key.students)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A deterministic zip of the members, in the given order (fixed times and modes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the platform: the bytes must not differ
            info.external_attr = (0o100000 | ZIP_MODE) << 16
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


# Identifiers -------------------------------------------------------------------------------


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _class_tag(key: ClassKey, title: str) -> str:
    """A short hash of what the class is (ClassKey.origin: the course key's fingerprint, a
    practice set's plan; else the title) and its problems, never of its roster: every export
    of a class, before and after students are added, gives Canvas the same identifiers, and
    its importer updates the quiz, its groups and its questions in place (it finds them by
    these migration ids) instead of adding copies."""
    names = [f"{placed.number}:{placed.problem.name}" for placed in class_assignment(key)]
    return _digest(key.kind, key.origin or title, *names)[:12]


def _item_ident(tag: str, placed: Placed, student: StudentKey) -> str:
    """A student's question of a problem: the same in every export of the class."""
    digest = _digest(tag, str(placed.number), placed.problem.name, student.id)[:12]
    return f"solgen_{tag}_p{placed.number}_{digest}"


# The assessment ----------------------------------------------------------------------------


def _meta_fields(parent: ET.Element, fields: Sequence[tuple[str, str]]) -> None:
    meta = xml_sub(parent, "qtimetadata")
    for label, entry in fields:
        field = xml_sub(meta, "qtimetadatafield")
        xml_sub(field, "fieldlabel", label)
        xml_sub(field, "fieldentry", entry)


def _points(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


def _problem_points(key: ClassKey, placed: Placed) -> Fraction:
    """The points of a problem, the same for every student (a group has one points_per_item)."""
    number = placed.number
    totals = {
        sum((i.points for i in s.items if i.problem == number), Fraction(0)) for s in key.students
    }
    if len(totals) != 1:
        found = ", ".join(sorted(_points(t) for t in totals))
        raise InvalidInput(
            [
                f"--key: problem {number} is worth different points for different students"
                f" ({found}); a Canvas question group gives all its questions one value"
            ]
        )
    return totals.pop()


def _assessment(
    key: ClassKey, title: str, assessment_id: str, tag: str, feedback: str
) -> ET.Element:
    root = _root("questestinterop", QTI_NS, QTI_XSD)
    assessment = xml_sub(root, "assessment", ident=assessment_id, title=title)
    # qmd_assessmenttype Examination: the importer makes a graded quiz (quiz_type assignment).
    _meta_fields(assessment, [("qmd_assessmenttype", "Examination"), ("cc_maxattempts", "1")])
    root_section = xml_sub(assessment, "section", ident="root_section")
    for placed, questions in questions_by_problem(key, "qti"):
        points = _problem_points(key, placed)
        section = xml_sub(
            root_section,
            "section",
            ident=f"{assessment_id}_p{placed.number}",
            title=problem_title(placed),
        )
        selection = xml_sub(xml_sub(section, "selection_ordering"), "selection")
        xml_sub(selection, "selection_number", "1")
        xml_sub(xml_sub(selection, "selection_extension"), "points_per_item", _points(points))
        for question in questions:
            ident = _item_ident(tag, placed, question.student)
            _item(section, question, ident, points, question.feedback(feedback))
    return root


QUESTION_TYPES = {
    "numerical": "numerical_question",
    "cloze": "fill_in_multiple_blanks_question",
    "essay": "essay_question",
}


def _item(section: ET.Element, posed: Posed, ident: str, points: Fraction, feedback: str) -> None:
    """One student's question: its kind's presentation and scoring, and the feedback."""
    kind = posed.question.kind
    # Named by its identifier's digest, which names no student and stays the same in every
    # export of the class (a position would shift when a student is added).
    title = f"Problem {posed.placed.number}, variant {ident.rsplit('_', 1)[1]}"
    item = xml_sub(section, "item", ident=ident, title=title)
    _meta_fields(
        xml_sub(item, "itemmetadata"),
        [("question_type", QUESTION_TYPES[kind]), ("points_possible", _points(points))],
    )
    presentation = xml_sub(item, "presentation")
    processing = xml_sub(item, "resprocessing")
    xml_sub(
        xml_sub(processing, "outcomes"),
        "decvar",
        maxvalue="100",
        minvalue="0",
        varname="SCORE",
        vartype="Decimal",
    )
    # The general feedback is shown whatever the answer (Canvas: neutral_comments).
    shown = xml_sub(processing, "respcondition", **{"continue": "Yes"})
    xml_sub(xml_sub(shown, "conditionvar"), "other")
    xml_sub(shown, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    if kind == "cloze":
        _blanks(presentation, processing, posed, points)
    elif kind == "numerical":
        _numerical(presentation, processing, posed)
    else:
        _essay(presentation, processing, posed)
    item_feedback = xml_sub(item, "itemfeedback", ident="general_fb")
    _html(xml_sub(xml_sub(item_feedback, "flow_mat"), "material"), feedback)


def _essay(presentation: ET.Element, processing: ET.Element, posed: Posed) -> None:
    _html(xml_sub(presentation, "material"), posed.statement + posed.question.ask)
    response = xml_sub(presentation, "response_str", ident="response1", rcardinality="Single")
    xml_sub(xml_sub(response, "render_fib"), "response_label", ident="answer1", rshuffle="No")
    condition = xml_sub(processing, "respcondition", **{"continue": "No"})
    xml_sub(xml_sub(condition, "conditionvar"), "other")


def _numerical(presentation: ET.Element, processing: ET.Element, posed: Posed) -> None:
    answer = posed.question.answer
    assert answer is not None  # lmsclass checked it
    _html(xml_sub(presentation, "material"), posed.statement + posed.question.ask)
    response = xml_sub(presentation, "response_str", ident="response1", rcardinality="Single")
    xml_sub(xml_sub(response, "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
    low, high = answer_range(answer)
    correct = xml_sub(processing, "respcondition", **{"continue": "No"})
    condition = xml_sub(correct, "conditionvar")
    xml_sub(condition, "vargte", repr(low), respident="response1")
    xml_sub(condition, "varlte", repr(high), respident="response1")
    xml_sub(correct, "setvar", "100", action="Set", varname="SCORE")


def blanks_text(posed: Posed, points: Fraction) -> str:
    """The text of a fill-in-multiple-blanks question: the statement, what to enter, the
    blanks ([item id], Canvas's markup) group by group, and what each blank is worth."""
    groups = posed.question.gaps
    items = [item for group in groups for item in group.items]
    before = posed.statement + posed.question.ask
    for item in items:
        if f"[{item.id}]" in before:  # Canvas would put the blank there, in the statement
            raise ValueError(f"[{item.id}] is in the statement of problem {posed.placed.number}")
    share = points / len(items)
    worth = lmshtml.para(
        lmshtml.esc(
            f"Canvas gives each of the {len(items)} blanks the same share of the question's "
            f"{_points(points)} points ({_share(share)} each)."
        )
    )
    tables = "".join(answer_table(group, lambda item: f"[{item.id}]") for group in groups)
    return before + tables + worth


def _blanks(
    presentation: ET.Element, processing: ET.Element, posed: Posed, points: Fraction
) -> None:
    """Canvas's fill_in_multiple_blanks_question, as its exporter writes one (qti_items.rb):
    a response_lid per blank whose choices are the texts it accepts, and per blank a
    respcondition adding its share of the score. Canvas's importer takes every choice of a
    blank as a right answer and scores a blank right when the text matches one."""
    items = [item for group in posed.question.gaps for item in group.items]
    _html(xml_sub(presentation, "material"), blanks_text(posed, points))
    share = f"{100 / len(items):.2f}"  # Canvas's own rounding of 100 / blanks
    for item in items:
        response = xml_sub(presentation, "response_lid", ident=f"response_{item.id}")
        xml_sub(xml_sub(response, "material"), "mattext", item.id)
        choices = xml_sub(response, "render_choice")
        texts = lmshtml.blank_texts(item)
        for number, text in enumerate(texts, start=1):
            label = xml_sub(choices, "response_label", ident=f"{item.id}_{number}")
            xml_sub(xml_sub(label, "material"), "mattext", text, texttype="text/plain")
        condition = xml_sub(processing, "respcondition")
        xml_sub(
            xml_sub(condition, "conditionvar"),
            "varequal",
            f"{item.id}_1",
            respident=f"response_{item.id}",
        )
        xml_sub(condition, "setvar", share, action="Add", varname="SCORE")


def _share(value: Fraction) -> str:
    """Points as a person reads them: 2, or 20/17."""
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def answer_range(item: Item) -> tuple[float, float]:
    """The accepted answers [low, high]: the value -/+ its tolerance width."""
    assert item.value is not None
    value = float(item.value)
    width = item.tolerance.width(value)
    return value - width, value + width


def _html(material: ET.Element, html: str) -> None:
    xml_sub(material, "mattext", f"<div>{html}</div>", texttype="text/html")


def _root(tag: str, namespace: str, schema: str) -> ET.Element:
    """A document element in namespace (the default one, as Canvas writes it).

    The namespace declarations are written as attributes: ElementTree's default_namespace
    refuses the unqualified attributes that QTI is made of."""
    return ET.Element(
        tag,
        {"xmlns": namespace, "xmlns:xsi": XSI_NS, "xsi:schemaLocation": f"{namespace} {schema}"},
    )


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


# The manifest ------------------------------------------------------------------------------


def _manifest(assessment_id: str, assessment_file: str) -> ET.Element:
    root = _root("manifest", CP_NS, CP_XSD)
    root.set("identifier", f"{assessment_id}_manifest")
    metadata = xml_sub(root, "metadata")
    xml_sub(metadata, "schema", "IMS Content")
    xml_sub(metadata, "schemaversion", "1.1.3")
    xml_sub(root, "organizations")
    resources = xml_sub(root, "resources")
    resource = xml_sub(
        resources,
        "resource",
        identifier=assessment_id,
        type=QTI_RESOURCE_TYPE,
        href=assessment_file,
    )
    xml_sub(resource, "file", href=assessment_file)
    return root
