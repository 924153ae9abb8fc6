"""A class key as both LMS exports read it: its assignment, and for each of its problems and
each student the question posed: the statement and what the problem asks in that LMS.

The statement is the problem's "statement" template, the very TeX its PDF includes, rendered
with the problem's statement_context (from the student's input alone: no solving) and
converted to HTML for MathJax by solgen.markup.texhtml, so the PDF and the LMS cannot say different
things. What is asked, which answer the LMS grades and the feedback are the problem's own
(its lms_question hook); nothing here names a problem.

May import: base modules, the registry, the answer key's model and render (the templates).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from solgen.base.errors import InvalidInput
from solgen.course.answerkey import ClassKey, StudentKey
from solgen.document.render import environment
from solgen.markup.texhtml import tex_to_html
from solgen.problems import lmshtml
from solgen.problems.problem import Item, Problem
from solgen.problems.registry import DEFAULT, Assignment, Placed

# The question kinds each LMS can grade (Problem.Question.kind).
KINDS = {
    "moodle": ("numerical", "cloze", "essay"),  # Moodle XML
    "qti": ("numerical", "cloze", "essay"),  # QTI 1.2 for Canvas Classic Quizzes
}

# What a question's feedback shows (export --feedback): "method", the way to the answers
# without a number, safe before the deadline; "answers", the key's answers, for after it.
FEEDBACK = ("method", "answers")
NO_METHOD = "How to find the answers is in the worked solution, handed out after the deadline."


@dataclass(frozen=True)
class Posed:
    """One problem of one student in an LMS: the statement (HTML) and the question."""

    placed: Placed
    student: StudentKey
    statement: str
    question: Problem.Question

    @property
    def title(self) -> str:
        """The problem's name in both LMSs (Moodle's category, Canvas's question group)."""
        return problem_title(self.placed)

    def feedback(self, mode: str) -> str:
        """The feedback a student sees ("method": never a number of the variant; "answers":
        the key's answers)."""
        if mode == "answers":
            return self.question.feedback
        return self.question.method or lmshtml.para(lmshtml.esc(NO_METHOD))


def problem_title(placed: Placed) -> str:
    """'Problem 2: Gradient descent': its number in the assignment and its title."""
    return f"Problem {placed.number}: {placed.problem.title}"


def class_assignment(key: ClassKey) -> Assignment:
    """The assignment of every student's variant (the default one for a key without
    students); InvalidInput when two students' differ (one bank holds one assignment)."""
    found = {student.variant.assignment for student in key.students}
    if len(found) > 1:
        raise InvalidInput(
            ["--key: the students' variants are of different assignments; export each apart"]
        )
    return found.pop() if found else DEFAULT


def questions_by_problem(key: ClassKey, lms: str) -> Iterator[tuple[Placed, list[Posed]]]:
    """Problem by problem, in the assignment's order: every student's question, in key order."""
    for placed in class_assignment(key):
        yield placed, [pose(placed, student, lms) for student in key.students]


def pose(placed: Placed, student: StudentKey, lms: str) -> Posed:
    """One student's question of one problem in this LMS ("moodle" or "qti")."""
    inp = student.variant.input_of(placed.section)
    items = tuple(item for item in student.items if item.problem == placed.number)
    question = placed.problem.lms_question(inp, items, lms)
    _check(placed, question, lms)
    return Posed(placed, student, statement_html(placed.problem, inp), question)


def _check(placed: Placed, question: Problem.Question, lms: str) -> None:
    """A question this LMS can grade (a problem's hook that returns another is a bug)."""
    where = f"{placed.problem.name}'s lms_question"
    if question.kind not in KINDS[lms]:
        raise ValueError(f"{where}: {lms} cannot grade a {question.kind!r} question")
    if question.kind == "numerical":
        value = None if question.answer is None else question.answer.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: a numerical question without a number to grade")
    if question.kind == "cloze" and not any(group.items for group in question.gaps):
        raise ValueError(f"{where}: a cloze question without gaps")
    if question.kind == "cloze" and any(
        isinstance(item.value, bool) or not isinstance(item.value, int | float)
        for group in question.gaps
        for item in group.items
    ):
        raise ValueError(f"{where}: a cloze gap without a number to grade")


def statement_html(problem: Problem, inp: Any) -> str:
    """The problem's statement as HTML: its "statement" template (else its "problem"
    template without solutions) with its statement_context, converted by texhtml."""
    template = problem.templates.get("statement") or problem.templates["problem"]
    context = {"p": problem.statement_context(inp), "solutions": False}
    return tex_to_html(_template(template).render(context))


@functools.cache
def _template(name: str) -> Any:
    return environment(None).get_template(name)


def only_students(key: ClassKey, ids: Sequence[str] | None) -> ClassKey:
    """The key of these students alone (export --students), in key order; all of them for
    None. InvalidInput naming an id that is not in the batch."""
    if ids is None:
        return key
    known = {student.id for student in key.students}
    unknown = [i for i in dict.fromkeys(ids) if i not in known]
    if unknown:
        example = key.students[0].id if key.students else "none"
        raise InvalidInput(
            [
                f"--students: {i!r} is not a student of the batch (expected an id of its "
                f"roster, such as {example!r})"
                for i in unknown
            ]
        )
    wanted = set(ids)
    return replace(key, students=tuple(s for s in key.students if s.id in wanted))


def answer_table(group: lmshtml.AnswerGroup, cell: Callable[[Item], str]) -> str:
    """One answer group as a table: its label, then a cell per entry in the matrix's shape
    (a Moodle gap, a Canvas blank)."""
    rows = []
    for index, row in enumerate(group.rows):
        label = ""
        if index == 0:
            span = f' rowspan="{len(group.rows)}"' if len(group.rows) > 1 else ""
            label = f"<td{span}>{lmshtml.inline(group.label_tex + ' =')}</td>"
        cells = "".join(f"<td>{cell(item)}</td>" for item in row)
        rows.append(f"<tr>{label}{cells}</tr>")
    return "<table><tbody>" + "".join(rows) + "</tbody></table>"
