"""Grade a class's answers (a form's CSV export) against the batch's answer key.

Every number is read exactly (numparse: decimals, fractions, surds; never evaluated as code)
and compared with the exact key within the item's tolerance. eta_max takes the bound or the
interval. Problem 3 takes any valid design: the student's own layers are checked against the
student's input and target (the same check as a variant's given layers), and total_params
against that design's count. A cell saying there is no value (none, None, n/a, -) is an
answer: right for eta_max of a variant without a bound, wrong for every other item; a blank
cell is unanswered. Columns are named by answerids (the answers.csv columns).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import sympy as sp

from solgen.answerids import ETA_MAX, ETA_MAX_EXACT, LAYERS, TOTAL_PARAMS, w1_hint
from solgen.answerkey import Item, StudentKey, load_key
from solgen.csvsafe import safe_cell, safe_row
from solgen.errors import InvalidInput
from solgen.files import atomic_write, replace_dir, scratch_dir
from solgen.messages import abbreviated, capped
from solgen.numparse import NumberError, parse_interval, parse_number
from solgen.policy import Policy, read_policy
from solgen.roster import csv_delimiter, load_csv_text

MAX_SHOWN = 60  # characters of a cell quoted in a message: a 100 kB cell is not printed back
MAX_LAYERS = 64
MAX_LAYER_SIZE = 4096  # a kernel size or filter count, as a variant's layers allow (MAX_SIZE)
# Written where a number is expected: "there is none". Right for eta_max of a variant without
# a bound, wrong (no points, the file still graded) for every other number.
_NO_BOUND = {"none", "no", "-", "—", "∅", "no bound", "null", "n/a", "na"}
_FRACTION = re.compile(r"-?\d+(/\d+)?")
_LAYER = re.compile(r"conv\s*(\d+)\s*(?:x\s*\d+\s*)?:\s*(\d+)|pool\s*(?:2|2x2)?", re.I)
_LAYER_HELP = "write conv5:8 for a 5x5 convolution with 8 filters, pool for 2x2 max-pooling"


@dataclass(frozen=True)
class Mark:
    """One item of one student, graded."""

    item: Item
    answer: str
    points: Fraction
    note: str  # what was right or wrong, for the feedback


@dataclass
class Graded:
    """One student's marks (none when the student sent no answers)."""

    student: StudentKey
    marks: list[Mark] = field(default_factory=list)
    answered: bool = False

    @property
    def total(self) -> Fraction:
        """The sum of the points given."""
        return sum((m.points for m in self.marks), Fraction(0))


@dataclass
class GradeReport:
    """What grade wrote and found."""

    graded: list[Graded]
    # unknown and unreadable are the lines to print, capped together by messages.capped: at most
    # 20, the last of them then "and N more" (500,000 unknown ids printed 500,000 lines).
    unknown: list[str]  # rows with ids that are not in the batch; W1 columns of another scheme
    unreadable: list[str]  # cells graded as wrong because they could not be read (--lenient)
    written: list[Path] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the items with points, in key order


class Unreadable(Exception):
    """A cell that is not an answer of its kind; the message says why."""


class UnreadableLayers(Unreadable):
    """The layers cell cannot be read (so neither layers nor total_params can be graded)."""


# --- reading answers ----------------------------------------------------------------------------


def _number_text(text: str, integer: bool) -> str:
    """Spreadsheet spellings: 0,131 (a decimal comma), 15,296 or 15 296 (thousands)."""
    text = text.strip()
    if integer and re.fullmatch(r"[+-]?\d{1,3}([, \u202f\u00a0]\d{3})+", text):
        return re.sub(r"[, \u202f\u00a0]", "", text)
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        return text.replace(",", ".")
    return text


def shown(text: str) -> str:
    """A cell quoted for a message, shortened to MAX_SHOWN characters."""
    return repr(abbreviated(text, MAX_SHOWN))


def _value(text: str, integer: bool = False) -> sp.Expr:
    try:
        return parse_number(_number_text(text, integer))
    except NumberError as exc:
        raise Unreadable(f"{shown(text)} is not a number ({exc})") from None


def _size(digits: str) -> int:
    """A layer's size; MAX_LAYER_SIZE + 1 for any longer than it, without converting them."""
    return (
        int(digits) if len(digits.lstrip("0")) <= len(str(MAX_LAYER_SIZE)) else MAX_LAYER_SIZE + 1
    )


def parse_layers(text: str) -> list[tuple[str, int, int]]:
    """'conv5:8 pool conv5:32, pool conv2:64' -> [('conv', 5, 8), ('pool', 2, 0), ...].

    Bounded before any work: at most MAX_LAYERS layers, and sizes of at most 4 digits are
    converted (conv followed by 5,000 nines was a ValueError traceback)."""
    tokens = list(filter(None, re.split(r"[\s,;]+", text.strip())))
    if not tokens:
        raise UnreadableLayers("no layers")
    if len(tokens) > MAX_LAYERS:
        raise UnreadableLayers(f"more than {MAX_LAYERS} layers")
    layers: list[tuple[str, int, int]] = []
    for token in tokens:
        match = _LAYER.fullmatch(token)
        if match is None:
            raise UnreadableLayers(f"{shown(token)} is not a layer ({_LAYER_HELP})")
        if match.group(1):
            kernel, filters = (_size(digits) for digits in match.group(1, 2))
            if max(kernel, filters) > MAX_LAYER_SIZE:
                raise UnreadableLayers(
                    f"{shown(token)} is not a layer (kernel sizes and filter counts are at most "
                    f"{MAX_LAYER_SIZE})"
                )
            layers.append(("conv", kernel, filters))
        else:
            layers.append(("pool", 2, 0))
    return layers


# --- comparing ----------------------------------------------------------------------------------


def _key_value(item: Item) -> sp.Expr:
    """The key's value exactly: its exact form, else its float's own value (sigmoid and tanh
    give the correctly rounded float; nsimplify would turn 6.9e-88 into 0)."""
    assert item.value is not None
    if item.exact is not None:
        try:
            return parse_number(item.exact)
        except NumberError:  # longer than a student's answer may be: solgen's own fraction
            if _FRACTION.fullmatch(item.exact):
                return sp.Rational(item.exact)
    return sp.Rational(*float(item.value).as_integer_ratio())


def _close(answer: sp.Expr, item: Item) -> bool:
    assert item.value is not None
    width = item.tolerance.width(float(item.value))
    return bool(abs(sp.N(answer - _key_value(item), 30)) <= width)


def _fmt(value: float | int | None) -> str:
    return "none" if value is None else f"{value:.6g}"


def says_none(text: str) -> bool:
    """Whether an answer says there is no value: none, None, n/a, -, ..."""
    return text.strip().lower() in _NO_BOUND


def grade_number(item: Item, text: str) -> tuple[bool, str]:
    """Whether a number is right, and the feedback; 'none' is a wrong answer, not an
    unreadable one."""
    if says_none(text):
        return False, f"{item.label}: {text} is wrong; expected {_fmt(item.value)}"
    answer = _value(text, integer=isinstance(item.value, int))
    if _close(answer, item):
        return True, f"{item.label}: {text} is right"
    return False, f"{item.label}: {text} is wrong; expected {_fmt(item.value)}"


def grade_eta(item: Item, text: str) -> tuple[bool, str]:
    """eta_max: the bound, or the interval of step sizes that converge."""
    if item.value is None:  # no step size converges from every start
        if says_none(text):
            return True, f"{item.label}: right, no step size converges from every start"
        return False, f"{item.label}: {text} is wrong; no step size converges from every start"
    expected = f"0 < eta < {_fmt(item.value)} (exactly {item.exact})"
    if says_none(text):
        return False, f"{item.label}: {text} is wrong; expected {expected}"
    try:
        interval = parse_interval(text)
    except NumberError as exc:
        raise Unreadable(f"{shown(text)} is not an interval ({exc})") from None
    if interval is None:
        answer = _value(text)
        if _close(answer, item):
            return True, f"{item.label}: {text} is right"
        return False, f"{item.label}: {text} is wrong; expected {expected}"
    if interval.low != 0 or not _close(interval.high, item):
        return False, f"{item.label}: {text} is wrong; expected {expected}"
    if interval.low_closed or interval.high_closed:
        return False, (
            f"{item.label}: {text} has the right ends but includes an end that does not "
            f"converge (eta = 0 does not move, eta = eta_max oscillates); expected {expected}"
        )
    return True, f"{item.label}: {text} is right"


def design_params(student: StudentKey, text: str) -> tuple[int | None, str]:
    """The parameter count of the student's design, or None and why it is not valid."""
    from solgen.problems.convnet.derive import check_layers
    from solgen.problems.convnet.fields import Layer

    layers = tuple(
        Layer(kind="conv", kernel=k, filters=f) if kind == "conv" else Layer(kind="pool", kernel=2)
        for kind, k, f in parse_layers(text)
    )
    try:
        checked = check_layers(student.variant.problem3, layers)
    except InvalidInput as exc:
        return None, "; ".join(p.replace("problem3.", "") for p in exc.problems)
    if checked[-1].out_shape != student.variant.problem3.target:
        shape = "x".join(map(str, checked[-1].out_shape))
        return None, f"it ends at {shape}, not at the target"
    return sum(layer.params for layer in checked), ""


# --- one student ----------------------------------------------------------------------------------


def _layers(cells: dict[str, str]) -> str:
    """The student's layers, '' when not given or given as none."""
    text = cells.get(LAYERS, "").strip()
    return "" if says_none(text) else text


def _design(student: StudentKey, cells: dict[str, str]) -> tuple[int | None, str]:
    """The parameter count of the student's own design and why it is not valid ('' if it is);
    (None, '') when no layers were given. Unreadable when the layers cannot be read."""
    text = _layers(cells)
    return design_params(student, text) if text else (None, "")


def _mark(student: StudentKey, item: Item, cells: dict[str, str]) -> Mark:
    """One item graded; Unreadable when its cell (or the layers it depends on) cannot be read."""
    text = cells.get(item.id, "").strip()
    if item.id == ETA_MAX and not text:
        text = cells.get(ETA_MAX_EXACT, "").strip()
    if not text:
        return Mark(item, "", Fraction(0), f"{item.label}: not answered")
    if item.kind == "design":
        if says_none(text):
            note = f"layers: {text} is wrong; expected a valid design, such as {item.exact}"
            return Mark(item, text, Fraction(0), note)
        count, why = _design(student, cells)
        if count is None:
            return Mark(item, text, Fraction(0), f"layers: not a valid design: {why}")
        return Mark(item, text, item.points, f"layers: a valid design ({count:,} parameters)")
    if item.id == TOTAL_PARAMS and _layers(cells):
        count, why = _design(student, cells)
        if count is None:
            note = f"{item.label}: {text} cannot be right: the design is not valid"
            return Mark(item, text, Fraction(0), note)
        ok, note = grade_number(replace(item, exact=str(count), value=count), text)
        return Mark(item, text, item.points if ok else Fraction(0), f"{note} (your design)")
    ok, note = grade_eta(item, text) if item.kind == "interval" else grade_number(item, text)
    return Mark(item, text, item.points if ok else Fraction(0), note)


def grade_student(
    student: StudentKey, items: list[Item], cells: dict[str, str]
) -> tuple[Graded, list[tuple[str, str]]]:
    """Grade one student's answers (cells: item id -> text; missing or empty: unanswered).

    Returns the marks, and the (column, why) of every cell that could not be read: such an
    item gets no points here; the caller decides whether that refuses the file.
    """
    graded = Graded(student, answered=True)
    unreadable = []
    for item in items:
        try:
            graded.marks.append(_mark(student, item, cells))
        except Unreadable as exc:
            column = LAYERS if isinstance(exc, UnreadableLayers) else item.id
            unreadable.append((column, str(exc)))
            graded.marks.append(
                Mark(item, cells.get(item.id, ""), Fraction(0), f"{item.label}: {exc}")
            )
    return graded, unreadable


# --- the class ----------------------------------------------------------------------------------


def _rows(path: Path, policy: Policy) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header mapped to ids, and the rows (numbered as in a spreadsheet) of the answers."""
    problems: list[str] = []
    text = load_csv_text(path, problems, header="a column id")
    if text is None:
        raise InvalidInput([f"--answers {path}: {p}" for p in problems])
    try:
        delimiter = csv_delimiter(text, frozenset({"id"}))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = next(reader, [])
        columns = [policy.columns.get(c.strip().lower(), c.strip()) for c in header]
        rows = [(n, cells) for n, cells in enumerate(reader, start=2) if "".join(cells).strip()]
    except csv.Error as exc:
        raise InvalidInput([f"--answers {path}: not valid CSV: {exc}"]) from None
    if "id" not in columns:
        found = ", ".join(c for c in header[:10] if c.strip()) or "none"
        raise InvalidInput(
            [
                f"--answers {path}: row 1: no column 'id' (found columns: {found}); name it id, "
                "or map it with [columns] in a --policy file"
            ]
        )
    return columns, rows


def grade_class(
    key_dir: Path, answers: Path, policy_path: Path | None = None, lenient: bool = False
) -> GradeReport:
    """Grade every row of the answers file; InvalidInput for a file that cannot be read.

    A cell that is not an answer of its kind (a number, an interval, layers) refuses the file,
    naming its row and column, unless lenient: then it is graded as wrong and listed.
    """
    key = load_key(key_dir)
    policy = read_policy(policy_path, {item.id for s in key.students for item in s.items})
    columns, rows = _rows(answers, policy)
    where = f"--answers {answers}"
    by_id = {s.id: s for s in key.students}
    # answers.csv writes '=x for the id =x (csvsafe): an id copied from it is the student's
    by_id = {safe_cell(s.id): s for s in key.students if safe_cell(s.id) != s.id} | by_id
    if key.kind == "seeded":  # a spreadsheet turns 0007 into 7: a practice id is its seed
        by_id.update({str(int(s.id)): s for s in key.students})
    seen: dict[str, int] = {}
    problems: list[str] = []
    report = GradeReport([], [], [])
    known = {item.id for s in key.students for item in s.items}
    for column in dict.fromkeys(columns):
        hint = "" if column in known else w1_hint(column, known)
        if hint:
            report.unknown.append(
                f"column {column} is not an answer of {key_dir}, not graded{hint}"
            )
    graded: dict[str, Graded] = {}
    for number, cells in rows:
        if len(cells) > len(columns):
            problems.append(
                f"{where}: row {number}: {len(cells)} cells, the header has {len(columns)}"
            )
            continue
        given = dict(zip(columns, cells, strict=False))
        student_id = given.get("id", "").strip()
        if not student_id:
            problems.append(f"{where}: row {number}, column id: empty")
            continue
        if student_id in seen:
            first = seen[student_id]
            problems.append(
                f"{where}: row {number}, column id: {student_id!r} again (first on row {first})"
            )
            continue
        seen[student_id] = number
        student = by_id.get(student_id)
        if student is not None and student.id != student_id and student.id in seen:
            first = seen[student.id]
            problems.append(
                f"{where}: row {number}, column id: {student_id!r} again (first on row {first})"
            )
            continue
        if student is not None:
            seen[student.id] = number
        if student is None:
            report.unknown.append(f"row {number}: id {student_id!r} is not in {key_dir}")
            continue
        graded[student.id], bad = grade_student(student, policy.apply(list(student.items)), given)
        for column, why in dict(bad).items():
            if lenient:
                report.unreadable.append(f"row {number}, column {column}: {why} (graded as wrong)")
            else:
                problems.append(f"{where}: row {number}, column {column}: {why} (or use --lenient)")
    if problems:
        raise InvalidInput(problems)  # every one: the command line prints 20 and a count
    notes = capped(report.unknown + report.unreadable)
    shown_unknown = min(len(report.unknown), len(notes))
    report.unknown, report.unreadable = notes[:shown_unknown], notes[shown_unknown:]
    report.graded = [graded.get(s.id, Graded(s)) for s in key.students]
    for student in key.students:
        for item in policy.apply(list(student.items)):
            if item.points and item.id not in report.columns:
                report.columns.append(item.id)
    return report


def points_text(value: Fraction) -> str:
    """Points as a short decimal: 2, 0.5, 0.6667."""
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def grades_csv(report: GradeReport) -> str:
    """id, name, one column per item with points, total; one row a student of the batch."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(safe_row(["id", "name", *report.columns, "total"]))
    for graded in report.graded:
        given = {m.item.id: m.points for m in graded.marks}
        cells = [points_text(given[c]) if c in given else "" for c in report.columns]
        student = graded.student
        writer.writerow(safe_row([student.id, student.name, *cells, points_text(graded.total)]))
    return out.getvalue()


def feedback_text(graded: Graded) -> str:
    """A student's short feedback: the total, then what was right and what was expected."""
    student = graded.student
    possible = sum((i.points for i in student.items), Fraction(0))
    # The first line starts with the student's name: no formula, should it be opened as CSV.
    head = safe_cell(f"{student.name or 'Variant'} ({student.id})")
    if not graded.answered:
        return f"{head}: no answers received.\n"
    lines = [f"{head}: {points_text(graded.total)} of {points_text(possible)} points."]
    for problem in (1, 2, 3):
        marks = [m for m in graded.marks if m.item.problem == problem]
        got = sum((m.points for m in marks), Fraction(0))
        of = sum((m.item.points for m in marks), Fraction(0))
        lines.append(f"Problem {problem}: {points_text(got)} of {points_text(of)}")
        lines += [f"  {m.note}" for m in marks]
    return "\n".join(lines) + "\n"


def write_grades(report: GradeReport, output: Path) -> None:
    """grades.csv and, beside it, <name>-feedback/<id>.txt: computed first, written last."""
    if output.is_dir():
        raise InvalidInput(
            [f"-o: {output} is a directory, expected a file name such as grades.csv"]
        )
    if not output.parent.is_dir():
        raise InvalidInput([f"-o: the folder {output.parent} does not exist"])
    folder = output.with_name(f"{output.stem}-feedback")
    stage = scratch_dir(output.parent, "feedback")
    try:
        for graded in report.graded:
            (stage / f"{graded.student.folder}.txt").write_text(feedback_text(graded), "utf-8")
        stage.chmod(0o755)
        replace_dir(folder, stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    atomic_write(output, grades_csv(report))
    report.written = [output, folder]


def grade(
    key_dir: Path, answers: Path, output: Path, policy: Path | None, lenient: bool
) -> GradeReport:
    """Grade and write; the report says what was written and what was odd."""
    if output.is_dir():
        raise InvalidInput(
            [f"-o: {output} is a directory, expected a file name such as grades.csv"]
        )
    report = grade_class(key_dir, answers, policy, lenient)
    write_grades(report, output)
    return report
