"""solgen export moodle: a batch's variants as a Moodle XML question bank.

One category per problem of the assignment under "$course$/top/<title> (solgen)/", named
"Problem n: <its title>", one question per variant in each, named "Pn <id>" (a roster's student
id, a practice set's zero-padded seed). A quiz then takes a "random question" from each
category, so every student gets one variant.

Each question is its problem's statement (the statement template its PDF includes, converted
to HTML: solgen.lms.lmsclass) and what the problem asks (its lms_question hook), as one of:

- a cloze (multianswer) question: the statement, what to enter, then a NUMERICAL gap for every
  item the problem asks for (the network problem: outputs, loss, every gradient entry, as
  matrices), each with the item's tolerance width and a weight proportional to the item's
  points. Moodle sets a cloze question's default mark to the sum of its gap weights (integers;
  it ignores <defaultgrade> on import), so the weights are the points over their least common
  denominator: 120 for the network problem's default 20 points. Only the ratios count in a
  quiz, whose slot sets the maximum mark.
- a numerical question for one item (the descent problem's eta_max), with its tolerance width.
  A problem asks an essay instead where a number cannot answer (no learning rate converges):
  an answer "*" would accept every number.
- an essay question, which a person grades (any valid convnet design counts, which Moodle
  cannot check); the grader's information is the feedback.
Each question's general feedback is the problem's method, never a number of a variant, so a
bank of a roster's variants is safe in a practice quiz before the deadline; with --feedback
answers it is the final answers, in categories "<title> (solgen, answers)/..." of their own.
Its default grade is the points the assignment gives the problem. Moodle's XML import adds
every question it reads (an idnumber its category already has is dropped, the question still
added: question/format.php), so a second import duplicates: after students are added, export
only them (--students), into the same categories. The format follows Moodle's own exporter
(question/format/xml/format.php) element by element.

The XML is built with xml.etree.ElementTree from the standard library, which escapes every
text and attribute, so the document is well-formed whatever a variant holds. No third-party
library (lxml) is needed: Moodle's format uses no namespaces, CDATA or schema validation, and
solgen keeps its dependencies to the mathematics and templating it cannot do without.
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from solgen.base.files import atomic_write, check_output_file, named, shared
from solgen.course.answerkey import ClassKey, Item, load_key
from solgen.lms.lmsclass import (
    Posed,
    answer_table,
    class_assignment,
    only_students,
    problem_title,
    questions_by_problem,
)
from solgen.problems import lmshtml
from solgen.problems.lmshtml import xml_clean, xml_sub
from solgen.problems.registry import Placed

PENALTY = "0.3333333"  # Moodle's default penalty for each wrong try (interactive behaviour)
MAX_IDNUMBER = 100  # Moodle's question idnumber column
MAX_CATEGORY = 200  # leaves room in Moodle's 255 characters for a category name


def _text(parent: ET.Element, tag: str, text: str, text_format: str | None = None) -> None:
    """<tag format="..."><text>text</text></tag>: how Moodle wraps every text field."""
    element = xml_sub(parent, tag, **({"format": text_format} if text_format else {}))
    xml_sub(element, "text", text)


def number_text(value: float | int) -> str:
    """A number as Moodle reads it: positional (no exponent), exactly the float's shortest
    decimal, so that reading it back gives the same float."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return format(Decimal(repr(float(value))), "f")


def gap_weights(items: list[Item]) -> list[int]:
    """Integer cloze weights proportional to the items' points, as small as possible (every
    item 1 when no item has points)."""
    points = [Fraction(item.points) for item in items]
    if not any(p > 0 for p in points):
        return [1] * len(items)
    denominator = math.lcm(*(p.denominator for p in points))
    scaled = [int(p * denominator) for p in points]
    divisor = math.gcd(*scaled)
    return [s // divisor for s in scaled]


def cloze_numerical(item: Item, weight: int) -> str:
    """A cloze NUMERICAL gap: {weight:NUMERICAL:=value:tolerance}."""
    assert item.value is not None
    width = item.tolerance.width(float(item.value))
    return f"{{{weight}:NUMERICAL:={number_text(item.value)}:{number_text(width)}}}"


def _category_part(name: str) -> str:
    """One level of a Moodle category path: '/' doubled, no slash at either end."""
    name = " ".join(xml_clean(name).split())[:MAX_CATEGORY] or "solgen"
    escaped = name.replace("/", "//")
    if escaped.startswith("/"):
        escaped = " " + escaped
    if escaped.endswith("/"):
        escaped += " "
    return escaped


def category_path(title: str, placed: Placed, feedback: str = "method") -> str:
    """$course$/top/<title> (solgen)/Problem n: <its title>; "(solgen, answers)" for a bank
    whose feedback holds the answers, so that it never joins the pool a practice quiz draws
    from before the deadline (Moodle's import finds a category by its name and parent)."""
    suffix = " (solgen, answers)" if feedback == "answers" else " (solgen)"
    top = _category_part(f"{title}{suffix}")
    return f"$course$/top/{top}/{_category_part(problem_title(placed))}"


INFO_FEEDBACK = {
    "method": "Its feedback gives the method, never a number of a variant.",
    "answers": "Its feedback gives every answer of the variant: for after the deadline.",
}


def _category(quiz: ET.Element, title: str, placed: Placed, kind: str, feedback: str) -> None:
    question = xml_sub(quiz, "question", type="category")
    _text(question, "category", category_path(title, placed, feedback))
    whom = "student of the roster" if kind == "roster" else "variant of the practice set"
    info = lmshtml.para(
        lmshtml.esc(
            f"{problem_title(placed)} of {title}: one question per {whom}. Add a random "
            "question from this category to a quiz to give every student one variant. "
            + INFO_FEEDBACK[feedback]
        )
    )
    _text(question, "info", info, "html")


def _header(quiz: ET.Element, qtype: str, posed: Posed, text: str, feedback: str) -> ET.Element:
    """The elements every question has, in the order of Moodle's exporter."""
    number, student = posed.placed.number, posed.student
    question = xml_sub(quiz, "question", type=qtype)
    _text(question, "name", f"P{number} {student.id}")
    _text(question, "questiontext", text, "html")
    _text(question, "generalfeedback", posed.feedback(feedback), "html")
    xml_sub(question, "defaultgrade", str(posed.placed.points))
    xml_sub(question, "penalty", "0" if qtype == "essay" else PENALTY)
    xml_sub(question, "hidden", "0")
    idnumber = f"P{number}-{student.id}"
    xml_sub(question, "idnumber", idnumber if len(idnumber) <= MAX_IDNUMBER else "")
    return question


def _essay(question: ET.Element, graderinfo: str) -> None:
    xml_sub(question, "responseformat", "editor")
    xml_sub(question, "responserequired", "1")
    xml_sub(question, "responsefieldlines", "15")
    xml_sub(question, "attachments", "0")
    xml_sub(question, "attachmentsrequired", "0")
    _text(question, "graderinfo", graderinfo, "html")
    _text(question, "responsetemplate", "", "html")


def cloze_text(posed: Posed) -> str:
    """The text of a cloze question: the statement, what to enter, then the gaps, group by
    group."""
    groups = posed.question.gaps
    items = [item for group in groups for item in group.items]
    weights = dict(zip((item.id for item in items), gap_weights(items), strict=True))
    parts = [posed.statement, posed.question.ask]
    parts.extend(
        answer_table(group, lambda item: cloze_numerical(item, weights[item.id]))
        for group in groups
    )
    return "".join(parts)


def _question(quiz: ET.Element, posed: Posed, feedback: str) -> None:
    """One student's question of one problem, of the kind its problem asks."""
    kind = posed.question.kind
    if kind == "cloze":
        _header(quiz, "cloze", posed, cloze_text(posed), feedback)
        return
    text = posed.statement + posed.question.ask
    if kind == "essay":
        # The grader information holds the key's answers whatever the feedback: Moodle shows
        # it only to whoever grades (qtype_essay_renderer::manual_comment), never to a student.
        _essay(_header(quiz, "essay", posed, text, feedback), posed.question.feedback)
        return
    answer = posed.question.answer
    assert answer is not None and answer.value is not None  # lmsclass checked it
    question = _header(quiz, "numerical", posed, text, feedback)
    element = xml_sub(question, "answer", fraction="100", format="moodle_auto_format")
    xml_sub(element, "text", number_text(answer.value))
    _text(element, "feedback", "", "html")
    xml_sub(element, "tolerance", number_text(answer.tolerance.width(float(answer.value))))
    xml_sub(question, "unitgradingtype", "0")
    xml_sub(question, "unitpenalty", "0.1000000")
    xml_sub(question, "showunits", "3")  # no units
    xml_sub(question, "unitsleft", "0")


def export_moodle(key: ClassKey, title: str, feedback: str = "method") -> bytes:
    """The whole Moodle XML document: per problem, its category and one question a variant,
    with the feedback of that mode (lmsclass.FEEDBACK)."""
    quiz = ET.Element("quiz")
    for placed, questions in questions_by_problem(key, "moodle"):
        _category(quiz, title, placed, key.kind, feedback)
        for question in questions:
            _question(quiz, question, feedback)
    ET.indent(quiz)
    buffer = io.BytesIO()
    ET.ElementTree(quiz).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue() + b"\n"


def bank_title(key: ClassKey, directory: Path) -> str:
    """The title of the bank: the variants' title (the first student's), else the directory's
    name."""
    for student in key.students:
        title = " ".join(student.variant.meta.title.split())
        if title:
            return title
    return directory.resolve().name or "solgen"


def write_moodle(
    directory: Path, output: Path, feedback: str = "method", students: list[str] | None = None
) -> int:
    """Export the batch in directory (only these students, if given) to the Moodle XML file
    output (written atomically); the number of questions (categories not counted).
    InvalidInput for a bad --key, --students or -o; an OSError naming output when the disk
    fails the write."""
    check_output_file(output, "bank.xml")
    with shared(directory, "--key"):  # not while a batch rewrites the keys
        whole = load_key(directory)
    title = bank_title(whole, directory)  # the class's, whoever is exported: the same categories
    key = only_students(whole, students)
    data = export_moodle(key, title, feedback)
    try:
        atomic_write(output, data.decode("utf-8"))  # UTF-8 bytes in, the same bytes out
    except OSError as exc:  # -o was checked writable: this is the disk's failure (exit 1)
        raise named(exc, output) from None
    return len(tuple(class_assignment(key))) * len(key.students)
