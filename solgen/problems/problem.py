"""What a problem is: the one interface every stage reads a problem through.

A problem is one package (solgen's own three under solgen/problems/, an instructor's anywhere,
found through the entry-point group ``solgen.problems``) whose ``PROBLEM`` is an instance of
a ``Problem`` subclass. It declares everything about itself: its name, title and points, its
variant fields (defaults, validation), how to draw a random instance, how to solve it and
check the solution, its results.json section, its data files, its templates and their
context, its answer items and how a student's answer to them is graded, its statement for
an LMS, and its lines of the class report. The stages (build, generate, batch, answerkey,
grade, the exports, the class report) iterate over an assignment's problems and never name
one.

May import: the standard library and solgen's base modules (errors, messages, latex,
tomlinput); never a stage, never a problem.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any, ClassVar

from solgen.base.errors import UnreadableInput
from solgen.base.tomlinput import parse_toml


@dataclass(frozen=True)
class Check:
    """One self-check of a build: its name, what it compared, the largest error, the verdict."""

    name: str
    what: str  # a short plain sentence (results.json)
    max_error: float
    passed: bool
    tex: str = ""  # the same sentence as TeX, for the document's Checks section


@dataclass(frozen=True)
class Tolerance:
    """How far an answer may be from the value: rounded to `digits` significant digits, or
    within `relative` or `absolute` error (whichever allows most)."""

    digits: int = 3
    relative: float = 0.0
    absolute: float = 0.0

    def width(self, value: float) -> float:
        """The largest accepted |answer - value|."""
        rounding = 0.0
        if value != 0 and self.digits > 0:
            exponent = math.floor(math.log10(abs(value)))
            rounding = 0.5 * 10.0 ** (exponent - self.digits + 1)
        allowed = max(rounding, self.relative * abs(value), self.absolute)
        return allowed * (1 + 1e-9)  # the value itself is a float: leave room for its last bit


@dataclass(frozen=True)
class Item:
    """One gradable answer of one student."""

    id: str  # the answers.csv column
    group: str  # one of its problem's groups: points and tolerances may be set per group
    problem: int  # the problem's number in its assignment (1, 2, ...), set by the stage
    kind: str  # "number", "interval" (the exact value is its upper bound), or the problem's own
    label: str  # plain text: "dL/dW1[1,2]"
    tex: str  # for MathJax: \frac{\partial L}{\partial W^{(1)}_{12}}
    exact: str | None  # SymPy syntax; None when there is no exact value
    value: float | int | None  # the exact value's float (int for counts)
    tolerance: Tolerance
    points: Fraction


def number_item(
    item_id: str, group: str, label: str, tex: str, exact: str | None, value: Any
) -> Item:
    """A number answer with the default tolerance and no points yet (the stage sets both)."""
    return Item(item_id, group, 0, "number", label, tex, exact, value, Tolerance(), Fraction(0))


@dataclass(frozen=True)
class Answer:
    """One line of a sheet's "How to answer": an answer, the answer form's columns that hold
    it, and what to write there. `how` is plain text with inline math between $ signs (no
    other TeX), so that the sheet (TeX) and an LMS (HTML) print the same words."""

    what: str  # TeX math: \frac{\partial L}{\partial W^{(1)}}
    columns: tuple[str, ...]  # its answer-form.csv columns, or the first and last of a run
    how: str  # "row $j$, column $k$ (dW1_12: row 1, column 2)"
    run: bool = False  # columns are the first and last of a run (printed "first ... last")


@dataclass(frozen=True)
class DrawOption:
    """A command-line option of `solgen variant` and `solgen batch` that shapes a problem's
    random draw (such as --samples): its flag, default, metavar and help."""

    flag: str  # "--samples"
    default: int
    metavar: str
    help: str

    @property
    def dest(self) -> str:
        """The option's name in the options mapping a draw receives: "samples"."""
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Grading:
    """A problem's verdict on one answer: right or wrong, and a sentence saying why (an answer
    that cannot be read raises Unreadable, naming its column)."""

    right: bool
    note: str


class Unreadable(UnreadableInput):
    """A student's cell that cannot be read as an answer (its column is `column`, or the item's)."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


Cells = Mapping[str, str]
# The seams between a problem and the stages carry data of three shapes, named here:
Table = dict[str, Any]  # its table of a variant file, as TOML gave it (exact numbers)
Section = dict[str, Any]  # its section of results.json: JSON data, as written and read back
Context = dict[str, Any]  # a template's context: TeX strings, numbers, lists and contexts
CheckRun = Callable[[], Check]


class Problem(ABC):
    """One problem, declared in one place. Subclass it in your problem's package and make an
    instance its ``PROBLEM``; the package holds its templates and its default.toml."""

    name: ClassVar[str]  # the registry's name: letters, digits and '-', such as "network"
    title: ClassVar[str]  # the heading: "Calculating gradients"
    points: ClassVar[int]  # in the default assignment's headings and grading
    package: ClassVar[str]  # the Python package holding its templates and default.toml
    fields: ClassVar[tuple[str, ...]]  # the variant table's fields, in the file's order
    # What no two students of a class should share ("network and data"), and the fields it is
    groups: ClassVar[Mapping[str, Fraction]]  # answer groups and their points (sum: points)
    distinct_label: ClassVar[str]
    distinct_fields: ClassVar[tuple[str, ...]]
    draw_options: ClassVar[tuple[DrawOption, ...]] = ()
    # Its templates (files of the package): "problem" (statement and solution, required),
    # "appendix" (after every problem), "check" (a check a reader redoes, in the Checks
    # section), "key" (its part of a class's key.pdf block), "statement" (the LMS question).
    templates: ClassVar[Mapping[str, str]]

    # --- the variant ------------------------------------------------------------------------

    def default(self) -> Table:
        """Its table of the default variant (the package's default.toml)."""
        text = resources.files(self.package).joinpath("default.toml").read_text("utf-8")
        return parse_toml(text, f"{self.name}'s default.toml")

    def merge(self, default: Table, given: Table) -> Table:
        """The fields a build uses: the variant file's over the default's."""
        return {**default, **{k: v for k, v in given.items() if k in self.fields}}

    @abstractmethod
    def parse(self, table: Table, section: str, errors: list[str]) -> Any | None:
        """Its input from a merged table, or None after appending every problem found to errors
        (each naming its field as f"{section}.FIELD")."""

    def draw_problems(self, options: Mapping[str, int]) -> list[str]:
        """Why these draw options cannot make a valid variant ([] when they can)."""
        return []

    @abstractmethod
    def draw(self, seed: int, section: str, options: Mapping[str, int]) -> dict[str, object]:
        """A random, well-posed table of its fields for this seed, from Stream(seed, section):
        the same arguments give the same table anywhere. It depends on nothing else (never on
        a classmate's draw), so its space must be large enough that a class rarely shares one
        (distinct_fields)."""

    # --- the solution -----------------------------------------------------------------------

    def warm(self) -> None:
        """Work worth doing once before a batch's workers fork (what every solve needs)."""
        return None

    @abstractmethod
    def solve(self, inp: Any) -> Any:
        """Derive, decide and evaluate: its result (a frozen dataclass)."""

    @abstractmethod
    def checks(self, result: Any) -> list[tuple[str, CheckRun]]:
        """Its self-checks, by name, each recomputing an answer by another route."""

    @abstractmethod
    def results(self, result: Any) -> Section:
        """Its section of results.json."""

    def data_files(self, inp: Any) -> dict[str, Sequence[Sequence[Fraction]]]:
        """Its given numbers for data/: file name ("X.csv") -> rows of exact numbers, in
        data_file_names' order; none by default."""
        return {}

    def data_file_names(self) -> tuple[str, ...]:
        """The names data_files writes (a rerun knows data/'s files without solving)."""
        return ()

    @abstractmethod
    def context(self, result: Any) -> Context:
        """Its templates' context: every number and formula as TeX, no prose."""

    # --- answers, grading, the class (answers.csv, grade, policy, key.pdf, report) ---------

    @abstractmethod
    def items(self, section: Section) -> list[Item]:
        """Its gradable answers, from its results.json section (points set by the stage)."""

    # Columns of answers.csv (so of a class's answers file) that hold one of its item's answers
    # in another form: column -> item id. A blank item cell is read from them, in this order,
    # and a grading policy may map a header to one.
    answer_aliases: ClassVar[Mapping[str, str]] = {}

    def answer_cells(self, section: Section) -> dict[str, Any]:
        """Its columns of a class's answers.csv and their values, in order, from its
        results.json section: each item's value under its id by default."""
        return {item.id: item.value for item in self.items(section)}

    def grade(self, item: Item, text: str, cells: Cells, inp: Any) -> Grading | None:
        """Its own grading of a student's answer `text` (not blank) to one of its items, or None
        to have it graded as a number within its tolerance (the default). cells: the student's
        every answer by column, for an answer judged by another; inp: the student's input of
        this problem. Unreadable when the text, or a cell it depends on (naming its column),
        is no answer of its kind."""
        return None

    def keeps_tolerance(self, item: Item) -> bool:
        """Whether an item keeps its own tolerance under a grading policy's default one (a count
        is exact); a policy's [tolerance.<group or item>] still applies. No by default."""
        return False

    def how_to_answer(self, inp: Any, items: Sequence[Item], general: Tolerance) -> list[Answer]:
        """Its lines of the sheet's "How to answer", from its input and its items (with the
        tolerances grade applies; general: the sheet's rule for every number, which a line
        names only where its items differ). By default one line per group: its ids."""
        from solgen.problems.answering import own_rule

        groups: dict[str, list[Item]] = {}
        for item in items:
            groups.setdefault(item.group, []).append(item)
        lines = []
        for members in groups.values():
            rule = own_rule(members, general)
            first, last = members[0], members[-1]
            how = ("a number" if first.kind == "number" else "your answer") + (
                " each, in the columns' order" if len(members) > 1 else ""
            )
            how += f", {rule}" if rule else ""
            ids = (first.id, last.id) if len(members) > 1 else (first.id,)
            between = ", " if len(members) == 2 else r", \dots, "
            what = first.tex if len(members) == 1 else f"{first.tex}{between}{last.tex}"
            lines.append(Answer(what, ids, how, run=len(members) > 2))
        return lines

    def id_hint(self, name: str, item_ids: set[str]) -> str:
        """A hint for a name that is not among a class's item ids (item_ids) but is one of its
        own ids spelled another way, for the message naming it; '' by default."""
        return ""

    def id_examples(self, item_ids: set[str]) -> tuple[str, ...]:
        """Ids of its items to name in a message as examples, spelled as this class's ids
        (item_ids) spell them; none by default."""
        return ()

    def key_context(self, section: Section) -> Context:
        """Its key template's values (TeX or numbers) from its results.json section: its set-up
        in a few words, for the heading of its part of a key block; none by default."""
        return {}

    def key_entry(self, item: Item, value: str) -> str | None:
        r"""One of its items as TeX math in its part of a key block, or None to leave it out.
        value: the number answers.csv holds, as TeX, after the exact value where that says
        more ('\frac{1}{3} \approx 0.333333333333', '\approx 0.123'); '' for an item without
        a value. By default 'tex = value', 'tex \approx value' or 'tex: none'."""
        if item.value is None:
            return str(item.tex) + r"\text{: none}"
        return f"{item.tex} {value}" if value.startswith("\\approx") else f"{item.tex} = {value}"

    def report_identity(self) -> tuple[str, ...]:
        """The fields the class report compares when it counts distinct data (no two students
        should share them): distinct_fields by default."""
        return self.distinct_fields

    def report_spread(self, sections: Sequence[Section]) -> list[tuple[str, list[float], str]]:
        """Its lines of the class report's spread of the key answers (min / median / max), from
        every student's section of results.json: a label, the class's values, and a remark
        after them ('' or ' (...)'); none by default."""
        return []

    def report_tally(self, sections: Sequence[Section]) -> list[tuple[str, dict[str, int]]]:
        """Its counted values in the class report (after every problem's spread), from every
        student's section of results.json: a label and each value's count; none by default."""
        return []

    # --- the LMS exports (Moodle XML, QTI) ---------------------------------------------------

    # Its statement in an LMS is its "statement" template (the one the PDF's problem template
    # includes), rendered with statement_context and converted to HTML by solgen.markup.texhtml; a
    # problem without one has its "problem" template rendered without solutions instead.

    @dataclass(frozen=True)
    class AnswerGroup:
        """Answers an LMS shows (or asks for) together: a label (TeX) and the items in the
        shape of their matrix, row by row."""

        label_tex: str
        rows: tuple[tuple[Item, ...], ...]

        @property
        def items(self) -> tuple[Item, ...]:
            """The items, row by row."""
            return tuple(item for row in self.rows for item in row)

    @dataclass(frozen=True)
    class Question:
        """A problem's question for one student in an LMS, after its statement.

        kind: "numerical" (the LMS grades `answer` within its tolerance), "cloze" (Moodle
        only: a numeric gap for every item of `gaps`, shown after `ask`) or "essay" (a person
        grades; `feedback` is the graders' information too). ask: HTML, what to enter where.
        feedback: HTML, the key's answers (an export shows them only when asked to: after the
        deadline). method: HTML, how to find the answers without any number of the variant,
        the feedback a student may see before the deadline ("" when the problem has none).
        """

        kind: str
        ask: str
        feedback: str
        answer: Item | None = None
        gaps: tuple[Problem.AnswerGroup, ...] = ()
        method: str = ""

    def statement_context(self, inp: Any) -> Context:
        """Its "statement" template's context (p) for an LMS, from the input alone and cheaply
        (an export does this for every student): the statement's numbers and formulas as TeX,
        every datum whole and exact, since an LMS page has no appendix and no data files. By
        default its templates' whole context, from solving the input."""
        return self.context(self.solve(inp))

    def lms_question(self, inp: Any, items: tuple[Item, ...], lms: str) -> Problem.Question:
        """Its question in an LMS for one student: inp is the student's input, items the
        student's key items of this problem (with their points). lms is "moodle" (Moodle XML:
        numerical, cloze or essay) or "qti" (Canvas Classic Quizzes: numerical, cloze (a
        fill-in-multiple-blanks question) or essay). By default an essay whose feedback lists
        every answer, without a method."""
        import html

        from solgen.markup.latex import fmt_number

        def shown(item: Item) -> str:
            if item.value is None:
                return html.escape(item.exact or "none", quote=False)
            return "\\(" + html.escape(fmt_number(item.value), quote=False) + "\\)"

        answers = "".join(
            f"<li>{html.escape(item.label, quote=False)}: {shown(item)}</li>" for item in items
        )
        ask = "<p>Answer in the text box, with your reasoning.</p>"
        feedback = f"<p>The answers of this variant:</p><ul>{answers}</ul>"
        return Problem.Question("essay", ask, feedback)
