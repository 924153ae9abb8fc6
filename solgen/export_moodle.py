"""solgen export moodle: a batch's variants as a Moodle XML question bank.

One category per problem under "$course$/top/<title> (solgen)/", one question per variant in
each, named "P1 <id>" (a roster's student id, a practice set's zero-padded seed). A quiz then
takes a "random question" from each category, so every student gets one variant.

- Problem 1 is a cloze (multianswer) question: the data in the text, then a NUMERICAL gap for
  every number of the key (outputs, loss, every gradient entry), each with the item's
  tolerance width and a weight proportional to the item's points. Moodle sets a cloze
  question's default mark to the sum of its gap weights (integers; it ignores <defaultgrade>
  on import), so the weights are the points over their least common denominator: 120 for the
  default 20 points. Only the ratios count in a quiz, whose slot sets the maximum mark.
- Problem 2 is a numerical question for eta_max, with the tolerance width. A variant without a
  bound (S has a negative eigenvalue, or S = 0; a random variant always has one) becomes an
  essay question instead: Moodle's numerical answer cannot say "no learning rate", and an
  answer "*" would accept every number.
- Problem 3 is an essay question: any valid design counts, which Moodle cannot check; the
  grader's information holds the key's design, its parameter count and the rule.
The final answers of each variant are its general feedback. The format follows Moodle's own
exporter (question/format/xml/format.php) element by element.

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

from solgen import lmshtml
from solgen.answerids import ETA_MAX
from solgen.answerkey import ClassKey, Item, StudentKey, load_key
from solgen.files import atomic_write, check_output_file, named, shared
from solgen.lmshtml import xml_clean, xml_sub

PROBLEMS = lmshtml.PROBLEM_TITLES
DEFAULT_GRADES = {1: 20, 2: 15, 3: 15}
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


def category_path(title: str, problem: int) -> str:
    """$course$/top/<title> (solgen)/Problem n: ..."""
    return f"$course$/top/{_category_part(f'{title} (solgen)')}/{_category_part(PROBLEMS[problem])}"


def _category(quiz: ET.Element, title: str, problem: int, kind: str) -> None:
    question = xml_sub(quiz, "question", type="category")
    _text(question, "category", category_path(title, problem))
    whom = "student of the roster" if kind == "roster" else "variant of the practice set"
    info = lmshtml.para(
        lmshtml.esc(
            f"{PROBLEMS[problem]} of {title}: one question per {whom}. Add a random question "
            "from this category to a quiz to give every student one variant."
        )
    )
    _text(question, "info", info, "html")


def _header(
    quiz: ET.Element, qtype: str, problem: int, student: StudentKey, text: str, feedback: str
) -> ET.Element:
    """The elements every question has, in the order of Moodle's exporter."""
    question = xml_sub(quiz, "question", type=qtype)
    _text(question, "name", f"P{problem} {student.id}")
    _text(question, "questiontext", text, "html")
    _text(question, "generalfeedback", feedback, "html")
    xml_sub(question, "defaultgrade", str(DEFAULT_GRADES[problem]))
    xml_sub(question, "penalty", "0" if qtype == "essay" else PENALTY)
    xml_sub(question, "hidden", "0")
    idnumber = f"P{problem}-{student.id}"
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


def _gap_table(group: lmshtml.AnswerGroup, weights: dict[str, int]) -> str:
    """One answer group as a table: its label, then a gap per entry in the matrix's shape."""
    rows = []
    for index, row in enumerate(group.rows):
        label = ""
        if index == 0:
            span = f' rowspan="{len(group.rows)}"' if len(group.rows) > 1 else ""
            label = f"<td{span}>{lmshtml.inline(group.label_tex + ' =')}</td>"
        cells = "".join(f"<td>{cloze_numerical(item, weights[item.id])}</td>" for item in row)
        rows.append(f"<tr>{label}{cells}</tr>")
    return "<table><tbody>" + "".join(rows) + "</tbody></table>"


def problem1_text(student: StudentKey) -> str:
    """The cloze text of problem 1: the statement, then the gaps, group by group."""
    groups = lmshtml.answer_groups(student, 1)
    items = [item for group in groups for item in group.items]
    weights = dict(zip((item.id for item in items), gap_weights(items), strict=True))
    parts = [
        lmshtml.problem1_html(student.variant),
        lmshtml.para(lmshtml.esc(lmshtml.precision_text(items))),
    ]
    parts.extend(_gap_table(group, weights) for group in groups)
    return "".join(parts)


def _problem1(quiz: ET.Element, student: StudentKey) -> None:
    _header(quiz, "cloze", 1, student, problem1_text(student), lmshtml.feedback_html(student, 1))


def _problem2(quiz: ET.Element, student: StudentKey) -> None:
    statement = lmshtml.problem2_html(student.variant)
    feedback = lmshtml.feedback_html(student, 2)
    eta = student.item(ETA_MAX)
    if eta.value is None:
        text = statement + lmshtml.para(
            "Give every learning rate for which it does, or explain why there is none, with "
            "your reasoning."
        )
        _essay(_header(quiz, "essay", 2, student, text, feedback), feedback)
        return
    text = statement + lmshtml.para(
        "Enter ",
        lmshtml.inline(r"\eta_{\max}"),
        ", the supremum of these learning rates: gradient descent converges from every "
        "starting point for every ",
        lmshtml.inline(r"0 < \eta < \eta_{\max}"),
        ". ",
        lmshtml.esc(lmshtml.precision_text([eta], "it")),
    )
    question = _header(quiz, "numerical", 2, student, text, feedback)
    answer = xml_sub(question, "answer", fraction="100", format="moodle_auto_format")
    xml_sub(answer, "text", number_text(eta.value))
    _text(answer, "feedback", "", "html")
    xml_sub(answer, "tolerance", number_text(eta.tolerance.width(float(eta.value))))
    xml_sub(question, "unitgradingtype", "0")
    xml_sub(question, "unitpenalty", "0.1000000")
    xml_sub(question, "showunits", "3")  # no units
    xml_sub(question, "unitsleft", "0")


def _problem3(quiz: ET.Element, student: StudentKey) -> None:
    text = lmshtml.problem3_html(student.variant) + lmshtml.para(
        "Write a ",
        lmshtml.inline(r"k \times k"),
        " convolution with F filters as convk:F and a pooling layer as pool (for example "
        "conv3:16 pool), then the feature maps after each layer and the total.",
    )
    feedback = lmshtml.feedback_html(student, 3)
    _essay(_header(quiz, "essay", 3, student, text, feedback), feedback)


def export_moodle(key: ClassKey, title: str) -> bytes:
    """The whole Moodle XML document: per problem, its category and one question a variant."""
    quiz = ET.Element("quiz")
    builders = {1: _problem1, 2: _problem2, 3: _problem3}
    for problem, build in builders.items():
        _category(quiz, title, problem, key.kind)
        for student in key.students:
            build(quiz, student)
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


def write_moodle(directory: Path, output: Path) -> int:
    """Export the batch in directory to the Moodle XML file output (written atomically);
    the number of questions (categories not counted). InvalidInput for a bad --key or -o; an
    OSError naming output when the disk fails the write."""
    check_output_file(output, "bank.xml")
    with shared(directory, "--key"):  # not while a batch rewrites the keys
        key = load_key(directory)
    data = export_moodle(key, bank_title(key, directory))
    try:
        atomic_write(output, data.decode("utf-8"))  # UTF-8 bytes in, the same bytes out
    except OSError as exc:  # -o was checked writable: this is the disk's failure (exit 1)
        raise named(exc, output) from None
    return len(PROBLEMS) * len(key.students)
