"""The command line: argparse, exit codes (0 ok, 2 invalid input, 1 anything else failed,
130/143 interrupted by SIGINT/SIGTERM), and messages that are true when they are printed."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from solgen import __version__
from solgen.base.errors import (
    EXIT_FAILED,
    EXIT_INVALID,
    InvalidInput,
    SolgenError,
    Terminated,
    interrupt_status,
)
from solgen.base.files import SAID, interrupted_from_now
from solgen.base.messages import capped
from solgen.document.compile import DEFAULT_TIMEOUT, CompileError

if TYPE_CHECKING:
    from solgen.problems.problem import DrawOption
    from solgen.problems.registry import Assignment

EXIT_OK = 0  # EXIT_FAILED 1, EXIT_INVALID 2 and the signals' 130 / 143: see errors.py
MAX_TIMEOUT = 86400  # one day; subprocess cannot wait for ever (inf overflows)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, found {text!r}") from None
    if not 0 < value <= MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds between 0 and {MAX_TIMEOUT}, found {text}"
        )
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    top = argparse.ArgumentParser(
        prog="solgen",
        description="Build the worked solution (LaTeX and PDF) of a machine-learning assignment.",
    )
    top.add_argument("--version", action="version", version=f"solgen {__version__}")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="build one variant's solution, problem sheet and results")
    build.add_argument(
        "--variant",
        type=Path,
        metavar="FILE",
        help="variant file (TOML) (default: none, the assignment as given)",
    )
    build.add_argument(
        "--out",
        type=Path,
        default=Path("build"),
        metavar="DIR",
        help="output directory (default: build/)",
    )
    build.add_argument(
        "--no-pdf",
        action="store_true",
        help="write .tex, results.json and data/ only (default: also the PDFs)",
    )
    _set_option(build, "override one field, e.g. meta.date='Due 5 December'")
    _rendering_options(build)
    gen = sub.add_parser("variant", help="write a random, well-posed variant file")
    gen.add_argument(
        "--seed", type=_natural, required=True, metavar="N", help="the seed, 0 or more (required)"
    )
    gen.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="the variant file to write (default: standard output)",
    )
    _assignment_option(gen)
    _draw_options(gen)
    batch = sub.add_parser(
        "batch", help="build a class's variants (a roster with a key, or seeds) with answer keys"
    )
    which = batch.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--roster",
        type=Path,
        metavar="FILE",
        help="CSV of the class (columns id and name): one variant a student, from --key "
        "(this or --count is required)",
    )
    which.add_argument(
        "--count",
        type=_positive,
        metavar="N",
        help="practice set: N variants of seeds S, S+1, ... (this or --roster is required)",
    )
    batch.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="the course key (solgen key); required with --roster, else not allowed",
    )
    batch.add_argument(
        "--seed",
        type=_natural,
        default=None,
        metavar="S",
        help="with --count: the first seed (default: 0)",
    )
    batch.add_argument(
        "--jobs",
        type=_positive,
        default=0,
        metavar="J",
        help="parallel builds (default: one per CPU)",
    )
    batch.add_argument(
        "--out",
        type=Path,
        default=Path("batch"),
        metavar="DIR",
        help="the batch directory: one folder a variant (default: batch/)",
    )
    batch.add_argument(
        "--no-pdf",
        action="store_true",
        help="no PDFs (and no combined PDFs) (default: make them)",
    )
    batch.add_argument(
        "--shard",
        default="1/1",
        metavar="K/M",
        help="build only the variants i with i %% M == K - 1 (default: %(default)s, all)",
    )
    batch.add_argument(
        "--id-column",
        metavar="NAME",
        help="with --roster: the column holding the student's id (default: id, or an LMS "
        "export's student number)",
    )
    batch.add_argument(
        "--name-column",
        metavar="NAME",
        action="append",
        default=[],
        help="with --roster: a column holding the name; repeat it for names in several "
        "columns, joined with a space in the order given (default: name, or an LMS export's)",
    )
    _set_option(batch, "override one field of every variant, e.g. meta.date='Due 5 December'")
    batch.add_argument(
        "--force",
        action="store_true",
        help="rebuild variants that are up to date (default: only those that changed)",
    )
    batch.add_argument(
        "--withdraw",
        action="append",
        default=[],
        metavar="ID",
        help="take this student out of every class file; their files go to DIR/withdrawn/ "
        "(repeatable; a roster batch)",
    )
    batch.add_argument(
        "--readmit",
        action="append",
        default=[],
        metavar="ID",
        help="take a withdrawn student back (they must be on the roster) (repeatable)",
    )
    _rendering_options(batch)
    _assignment_option(batch)
    _draw_options(batch)
    key = sub.add_parser("key", help="write a new secret course key (for batch --roster)")
    key.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="FILE",
        help="the new key file, never overwritten (required)",
    )
    grade = sub.add_parser("grade", help="grade a class's answers (CSV) against a batch's key")
    grade.add_argument(
        "--key",
        type=Path,
        required=True,
        metavar="DIR",
        help="the batch directory (its key) (required)",
    )
    grade.add_argument(
        "--answers",
        type=Path,
        required=True,
        metavar="FILE",
        help="CSV with a column id and answer columns (loss, dW1_11, ..., eta_max, layers, ...), "
        "or a Canvas or Moodle submissions zip of the students' answer-form.csv (required)",
    )
    grade.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("grades.csv"),
        metavar="FILE",
        help="the grades (default: grades.csv); feedback goes to FILE's name + -feedback/",
    )
    grade.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="grading policy (TOML): points, tolerances, columns (default: none: 20/15/15 "
        "points, 3 significant digits)",
    )
    grade.add_argument(
        "--lenient",
        action="store_true",
        help="grade cells that are not answers (not a number, say) as wrong (default: refuse "
        "the file)",
    )
    grade.add_argument(
        "--for",
        dest="lms",
        choices=("canvas", "moodle"),
        help="write -o FILE as the LMS's own grade import CSV: one assignment column, each "
        "student as the roster's LMS export named them (default: grades.csv's columns)",
    )
    grade.add_argument(
        "--assignment-name",
        metavar="NAME",
        help="with --for: the LMS assignment's column, such as Canvas's 'Assignment 2 (1234)' "
        "or Moodle's 'Assignment: Assignment 2' (default: the variants' meta.title)",
    )
    export = sub.add_parser("export", help="export a batch's variants as LMS questions")
    export.add_argument(
        "format", choices=("moodle", "qti"), help="moodle (XML) or qti (Canvas zip) (required)"
    )
    export.add_argument(
        "--key", type=Path, required=True, metavar="DIR", help="the batch directory (required)"
    )
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="FILE",
        help="FILE.xml (moodle) or FILE.zip (qti) (required)",
    )
    export.add_argument(
        "--feedback",
        choices=("method", "answers"),
        default="method",
        help="what a question's feedback shows: method (how to find the answers, never a "
        "number: safe before the deadline) or answers (the key's answers, for after it) "
        "(default: method)",
    )
    export.add_argument(
        "--students",
        type=_student_ids,
        metavar="ID,...",
        help="only these students (comma-separated ids), e.g. those added to the roster since "
        "the last Moodle import (default: every student of the batch)",
    )
    merge = sub.add_parser("merge", help="merge the directories of a batch's shards into one")
    merge.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="the merged batch directory (required)",
    )
    merge.add_argument(
        "shards",
        type=Path,
        nargs="+",
        metavar="SHARD_DIR",
        help="every shard's batch directory (one or more, required)",
    )
    return top


def _set_option(command: argparse.ArgumentParser, help_text: str) -> None:
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="sets",
        help=f"{help_text} (repeatable; default: none)",
    )


def _rendering_options(command: argparse.ArgumentParser) -> None:
    """--templates and --timeout: how the documents are rendered and compiled."""
    command.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        help="directory of templates that override solgen's own (default: none)",
    )
    command.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="limit per LaTeX run (default: %(default)g)",
    )


def _assignment_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--assignment",
        type=Path,
        metavar="FILE",
        help="TOML file with an [assignment] table: problems = [...] and points = [...] "
        "(default: none, the assignment as given)",
    )


def _registered_draw_options() -> list[DrawOption]:
    """Every registered problem's draw options, one per flag (the first problem declaring a
    flag gives its default and help). A problem that cannot be loaded adds none here: the
    command that uses it says why."""
    from solgen.problems.registry import problem, registered

    found: dict[str, DrawOption] = {}
    for name in registered():
        try:
            options = problem(name).draw_options
        except Exception:  # a broken plugin must not break every command
            continue
        for option in options:
            found.setdefault(option.flag, option)
    return list(found.values())


def _draw_dest(option: DrawOption) -> str:
    return f"draw_option_{option.dest}"


def _draw_options(command: argparse.ArgumentParser) -> None:
    """--samples, --inputs, --hidden, ...: the registered problems' draw options."""
    for option in _registered_draw_options():
        try:
            command.add_argument(
                option.flag,
                type=_positive,
                default=None,
                dest=_draw_dest(option),
                metavar=option.metavar,
                help=f"{option.help.replace('%', '%%')} (default: {option.default})",
            )
        except argparse.ArgumentError:
            continue  # a plugin's flag that the command has already (--seed): not a draw option


def _natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, found {value}")
    return value


def _positive(text: str) -> int:
    value = _natural(text)
    if value == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, found 0")
    return value


def _error(lines: list[str] | str, kind: str = "error") -> None:
    """Print error lines (kind "warning": what a command that succeeded noticed): at most
    messages.MAX_LINES, then 'and N more' (messages.capped, the one cap), control characters
    escaped."""
    for line in capped([lines] if isinstance(lines, str) else lines):
        print(f"solgen: {kind}: {printable(line)}", file=sys.stderr)


def printable(text: str) -> str:
    """text with control and line-separating characters as escapes: U+2028 -> \\u2028.

    An error message quotes input; a raw line separator or terminal escape in it would
    break the message's one line or reach the terminal.
    """
    return "".join(
        char if char.isprintable() or char == "\n" else f"\\u{ord(char):04x}" for char in text
    )


def _check_directories(args: argparse.Namespace) -> None:
    """InvalidInput when --templates (if the command has it) or --out is not a directory."""
    templates = getattr(args, "templates", None)
    if templates is not None and not templates.is_dir():
        raise InvalidInput([f"--templates: {templates} is not a directory"])
    if args.out.exists() and not args.out.is_dir():
        raise InvalidInput([f"--out: {args.out} exists and is not a directory"])


def _assignment(args: argparse.Namespace) -> Assignment:
    """--assignment FILE: the [assignment] table of a TOML file (read, never evaluated), or the
    default assignment; InvalidInput naming the file and the field."""
    from solgen.base.tomlinput import read_variant_file
    from solgen.document.variant import ASSIGNMENT
    from solgen.problems.registry import DEFAULT, assignment_of, problem

    path = args.assignment
    if path is None:
        return DEFAULT
    data = read_variant_file(path, "--assignment")
    others = [key for key in data if key != ASSIGNMENT]
    if others:
        raise InvalidInput(
            [f"{path}: {others[0]}: unknown section; an assignment file holds [assignment] only"]
        )
    if ASSIGNMENT not in data:
        raise InvalidInput(
            [
                f"{path}: assignment: missing; expected a table [assignment] with problems = "
                "[...] and points = [...]"
            ]
        )
    try:
        assignment = assignment_of(data[ASSIGNMENT])
    except InvalidInput as exc:
        raise InvalidInput([f"{path}: {problem}" for problem in exc.problems]) from None
    for index, name in enumerate(assignment.names):
        try:
            problem(name)
        except Exception as exc:  # an installed problem that is broken: said, not a traceback
            raise InvalidInput(
                [
                    f"{path}: assignment.problems[{index}]: the problem {name!r} cannot be "
                    f"loaded: {type(exc).__name__}: {exc}"
                ]
            ) from None
    return assignment


def _draw_settings(args: argparse.Namespace, assignment: Assignment) -> dict[str, int]:
    """The draw options given (--samples, ...) for the assignment's problems; InvalidInput when
    one is given that none of its problems uses, or when they cannot give a valid variant."""
    from solgen.course.generate import draw_problems, draw_settings

    given: dict[str, int] = {}
    used = {option.dest for placed in assignment for option in placed.problem.draw_options}
    names = ", ".join(placed.problem.name for placed in assignment)
    unused = []
    for option in _registered_draw_options():
        value = getattr(args, _draw_dest(option), None)
        if value is None:
            continue
        if option.dest not in used:
            unused.append(f"{option.flag}: none of the assignment's problems ({names}) uses it")
        given[option.dest] = value
    if unused:
        raise InvalidInput(unused)
    settings = draw_settings(assignment, given)
    problems = draw_problems(assignment, settings)
    if problems:
        raise InvalidInput(problems)
    return settings


def run_build(args: argparse.Namespace) -> int:
    """The build subcommand."""
    from solgen.document.variant import load_variant

    _check_directories(args)
    variant = load_variant(args.variant, args.sets)
    from solgen.document.build import (  # SymPy and NumPy: only for a valid variant
        BuildOptions,
        build,
    )

    options = BuildOptions(
        out_dir=args.out, pdf=not args.no_pdf, template_dir=args.templates, timeout=args.timeout
    )
    report = build(variant, options)
    for path in report.written:
        print(f"wrote {path}")
    return EXIT_OK


def run_variant(args: argparse.Namespace) -> int:
    """The variant subcommand."""
    from solgen.base.files import atomic_write
    from solgen.course.generate import variant_text

    if args.output is not None:
        _check_output(args.output, "variant.toml")
    assignment = _assignment(args)
    text = variant_text(args.seed, assignment, _draw_settings(args, assignment))
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic_write(args.output, text)
    return EXIT_OK


def _check_output(path: Path, example: str) -> None:
    """-o FILE: exit status 2 before any work unless FILE can be written (a file name in a
    folder that exists and can be written into), as for every command."""
    from solgen.base.files import check_output_file, check_writable

    check_output_file(path, example)
    check_writable(path.parent, f"-o {path}")


def run_batch(args: argparse.Namespace) -> int:
    """The batch subcommand."""
    from solgen.course.batch import BatchOptions, parse_shard, run_batch

    _check_directories(args)
    assignment = _assignment(args)
    settings = _draw_settings(args, assignment)
    if args.roster is not None and args.seed is not None:
        raise InvalidInput(["--seed: only for a practice set (--count); a roster uses --key"])
    if args.roster is None and args.key is not None:
        raise InvalidInput(["--key: only with --roster"])
    from solgen.course.roster import ColumnMap

    given = [("--id-column", args.id_column)] if args.id_column is not None else []
    given += [("--name-column", name) for name in args.name_column]
    for option, name in given:
        if args.roster is None:
            raise InvalidInput([f"{option}: only with --roster"])
        if not name.strip():
            raise InvalidInput([f"{option}: expected a column name, found an empty one"])
    options = BatchOptions(
        count=args.count or 0,
        seed=args.seed or 0,
        roster=args.roster,
        key=args.key,
        sets=tuple(args.sets),
        jobs=args.jobs,
        out=args.out,
        pdf=not args.no_pdf,
        shard=parse_shard(args.shard),
        force=args.force,
        assignment=assignment,
        draw_options=settings,
        timeout=args.timeout,
        template_dir=args.templates,
        columns=ColumnMap(args.id_column, tuple(args.name_column)),
        withdraw=tuple(args.withdraw),
        readmit=tuple(args.readmit),
    )
    report = run_batch(options)
    who = "student" if args.roster is not None else "variant"
    for note in report.notes:
        print(f"batch: {note}")
    for outcome in report.outcomes:
        if outcome.status == "failed":
            _error(f"{who} {outcome.id} failed: {outcome.error}")
        elif outcome.status == "built" and outcome.reason != "new":
            print(f"batch: {who} {outcome.id} rebuilt: {outcome.reason}")
        if outcome.note:
            print(f"batch: {who} {outcome.id}: {outcome.note}")
    new = [o.id for o in report.outcomes if o.status == "built" and o.reason == "new"]
    if new and report.count("skipped"):  # a rerun: name the students built for the first time
        listed = ", ".join(new[:20]) + (f" and {len(new) - 20} more" if len(new) > 20 else "")
        print(f"batch: new {who}{'s' if len(new) > 1 else ''} built: {listed}")
    sys.stdout.write(report.class_report)
    complete = report.interrupted is None and report.class_error is None
    for student_id in report.withdrawn:
        print(f"batch: {_withdrawn_said(student_id, complete, options.out, options.pdf)}")
    counts = {s: report.count(s) for s in ("built", "skipped", "failed", "stopped", "not started")}
    summary = (
        f"batch: {counts['built']} built, {counts['skipped']} up to date, {counts['failed']} failed"
    )
    if report.interrupted is not None:
        if report.interrupted_in == "building":
            head = (
                f"interrupted: {counts['built']} built and recorded, {counts['stopped']} "
                f"stopped, {counts['not started']} not started"
            )
        else:
            head = (
                f"interrupted while making the class files: {counts['built']} built and "
                "recorded before"
            )
        _error(f"{head}; {_class_files_said(report)}; rerun the same command to finish")
        return interrupt_status(report.interrupted)
    if report.class_error is not None:
        _error(f"the class files could not all be made: {_describe(report.class_error)}")
        _error(f"{_class_files_said(report)}; {counts['built']} built and recorded")
        print(f"{summary}, in {report.seconds:.1f} s; answers in {args.out}")
        return EXIT_FAILED
    print(f"{summary}, in {report.seconds:.1f} s; answers in {args.out}")
    return EXIT_FAILED if report.failed else EXIT_OK


CLASS_FILES = (
    "answers.json",
    "answers.csv",
    "report.txt",
    "key.pdf",
    "all-solutions.pdf",
    "all-assignments.pdf",
    "handout/",
    "solutions/",
)


def _withdrawn_said(student_id: str, complete: bool, out: Path, pdf: bool) -> str:
    """Which class files no longer list a student withdrawn by this run (true when said)."""
    if not complete:
        return (
            f"{student_id} is withdrawn in manifest.json; the class files not replaced above "
            "still list them until the same command finishes"
        )
    files = "answers.csv, answers.json, report.txt"
    if pdf:
        return f"{files}, key.pdf, handout/ and solutions/ no longer list {student_id}"
    stale = [n for n in ("key.pdf", "handout/", "solutions/") if (out / n).exists()]
    said = f"{files} no longer list {student_id}"
    if stale:
        said += f"; {', '.join(stale)} still do until a run with PDFs (without --no-pdf)"
    return said


def _class_files_said(report: object) -> str:
    """What the class step replaced and what it left as the last run made it (true when said)."""
    written: list[str] = list(getattr(report, "class_written", []))
    kept = [name for name in CLASS_FILES if name not in written]
    parts = [f"replaced {', '.join(written)}"] if written else ["no class file was replaced"]
    if kept:
        parts.append(f"{', '.join(kept)} as the last complete run left them")
    return "; ".join(parts)


def _describe(exc: BaseException) -> str:
    """An error in one line: an OSError names its file."""
    if isinstance(exc, OSError):
        return _os_error_text(exc)
    if isinstance(exc, CompileError):
        return f"LaTeX failed: {exc} (the log is {exc.log})"
    if isinstance(exc, InvalidInput):
        return "; ".join(exc.problems)
    return str(exc)


def _os_error_text(exc: OSError) -> str:
    """'No space left on device: FILE' (an OSError without a file says what it can)."""
    text = exc.strerror or str(exc)
    if exc.filename:
        text += f": {exc.filename}"
    if exc.filename2:
        text += f" -> {exc.filename2}"
    return text


def run_key(args: argparse.Namespace) -> int:
    """The key subcommand."""
    from solgen.course.coursekey import write_new_key

    write_new_key(args.output)
    print(f"wrote {args.output} (readable by you only; keep it secret and keep a copy)")
    return EXIT_OK


_FEEDBACK_ZIP = {  # grade's feedback zip, by the LMS whose submissions zip was graded
    "Canvas": "feedback files for Canvas's Upload Submissions (each a comment on its student's "
    "submission)",
    "Moodle": "feedback files for Moodle's 'Upload multiple feedback files in a zip' (each a "
    "feedback file of its student's submission)",
}


def run_grade(args: argparse.Namespace) -> int:
    """The grade subcommand."""
    from solgen.base.files import shared
    from solgen.grading.grade import GradeReport, grade, points_text
    from solgen.grading.lmsgrades import lms_file

    _check_output(args.output, "grades.csv")
    if args.assignment_name is not None and args.lms is None:
        raise InvalidInput(["--assignment-name: only with --for canvas or --for moodle"])
    notes: list[str] = []

    def lms_text(graded: GradeReport) -> str:
        made = lms_file(graded, args.lms, args.assignment_name)
        notes.extend(made.notes)
        return made.text

    with shared(args.key, "--key"):
        report = grade(
            args.key,
            args.answers,
            args.output,
            args.policy,
            args.lenient,
            None if args.lms is None else lms_text,
        )
    interrupted_from_now(
        "interrupted after grade had finished; the grades and feedback are complete"
    )
    for line in report.unknown + report.unreadable:  # capped by grade; it succeeded: warnings
        _error(line, "warning")
    for line in notes:
        print(f"grade: {line}")
    missing = [g.student.id for g in report.graded if not g.answered]
    if missing:
        listed = ", ".join(missing[:20]) + (" ..." if len(missing) > 20 else "")
        print(f"grade: no answers from {len(missing)}: {listed}")
    answered = [g for g in report.graded if g.answered]
    mean = sum((g.total for g in answered), Fraction(0)) / max(1, len(answered))
    print(
        f"grade: {len(answered)} graded (mean {points_text(mean)} points); "
        f"wrote {args.output} and {report.written[1]}/"
    )
    for path in report.removed:
        print(
            f"grade: removed {path}, an earlier run's feedback for the LMS (these answers are CSV)"
        )
    if len(report.written) > 2:
        print(f"grade: {report.written[2]}: {len(report.uploads)} {_FEEDBACK_ZIP[report.lms_zip]}")
    return EXIT_OK


def _student_ids(text: str) -> list[str]:
    """export --students: comma-separated ids, none empty."""
    ids = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not i for i in ids):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated student ids such as s001,s002, found {text!r}"
        )
    return ids


def run_export(args: argparse.Namespace) -> int:
    """The export subcommand."""
    if args.format == "moodle":
        from solgen.lms.export_moodle import write_moodle as write
    else:
        from solgen.lms.export_qti import write_qti as write
    _check_output(args.output, "bank.xml" if args.format == "moodle" else "quiz.zip")
    count = write(args.key, args.output, args.feedback, args.students)
    interrupted_from_now(f"interrupted after export had finished; {args.output} is complete")
    print(f"export: {count} questions into {args.output}")
    return EXIT_OK


def run_merge(args: argparse.Namespace) -> int:
    """The merge subcommand."""
    from solgen.course.merge import merge

    _check_directories(args)
    count = merge(args.out, args.shards)
    interrupted_from_now(f"interrupted after the merge had finished; {args.out} is complete")
    print(f"merge: {count} variants into {args.out}")
    return EXIT_OK


@dataclass
class _State:
    """What is true of the running command, for a message printed on SIGINT or SIGTERM."""

    finished: bool = False  # the command returned: a signal now only sets `late`
    late: int = 0  # the signal that arrived after the command finished
    exiting: bool = False  # main() returned to the program: a late signal ends it at once


_RUN = _State()
UNTOUCHED = "interrupted; the previous outputs are untouched"


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (and SIGINT): Terminated (KeyboardInterrupt) while the command runs; once it
    has finished, only noted, so that the exit status is 143 (130) with a true message,
    never the -15 of a process killed by the default action."""
    if not _RUN.finished:
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
    _RUN.late = _RUN.late or signum
    if _RUN.exiting:  # main() has returned to sys.exit: say so and end as the signal asks
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            os.write(2, f"solgen: error: {_late_message(signum)}\n".encode())
        os._exit(128 + signum)


def _late_message(signum: int) -> str:
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    return f"{name} arrived after the command had finished; everything it wrote is complete"


def main(argv: list[str] | None = None) -> int:
    """Run solgen with the given arguments (default: sys.argv[1:]); return the exit status.

    As the program (argv None), the signal handlers stay until the process ends: a SIGTERM
    after the command finished exits 143 with a message saying so, not -15.
    """
    args = parser().parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    global _RUN
    _RUN = _State()
    interrupted_from_now("")
    previous = {}
    if in_main_thread:
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, _terminate)
    status = EXIT_FAILED
    try:
        status = _run(args)
        _RUN.finished = True
        if _RUN.late:
            _error(_late_message(_RUN.late))
            status = 128 + _RUN.late
        return status
    finally:
        _RUN.finished = True
        if in_main_thread and argv is not None:
            for number, handler in previous.items():
                signal.signal(number, handler)
        elif in_main_thread:
            _RUN.exiting = True


def _template_errors() -> tuple[type[Exception], ...]:
    """jinja2's TemplateError once jinja2 is loaded (only rendering loads it), else nothing."""
    jinja2 = sys.modules.get("jinja2")
    return () if jinja2 is None else (jinja2.TemplateError,)


def _template_line(exc: BaseException) -> str:
    """'body.tex.j2:2: ' for the innermost template line in a render error's traceback."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}: " if frames else ""


def _run(args: argparse.Namespace) -> int:
    """Run the command; its exit status. The one place that turns an error into its message
    and exit status: a SolgenError says both itself (errors.py); a template error (jinja2's,
    render.py's) is the user's with --templates, else solgen's; an OSError names its file; a
    signal says what was written."""
    commands = {
        "build": run_build,
        "variant": run_variant,
        "batch": run_batch,
        "key": run_key,
        "grade": run_grade,
        "export": run_export,
        "merge": run_merge,
    }
    try:
        return commands[args.command](args)
    except _template_errors() as exc:  # jinja2's TemplateErrors, render.py's own among them
        import jinja2
        import jinja2.exceptions

        assert isinstance(exc, jinja2.TemplateError)
        where = f"{exc.name}:{exc.lineno}: " if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        where = where or _template_line(exc)
        _error(f"template error: {where}{exc.message or exc}")
        if isinstance(exc, jinja2.exceptions.SecurityError):
            _error("templates run in Jinja2's sandbox: they can use the context and filters only")
        # A broken override is the user's input; a broken built-in template is our failure.
        return EXIT_INVALID if getattr(args, "templates", None) is not None else EXIT_FAILED
    except SolgenError as exc:  # the one mapping: what the error says, its exit status
        _error(exc.lines())
        return exc.exit_status
    except OSError as exc:
        _error(_os_error_text(exc))
        return EXIT_FAILED
    except (KeyboardInterrupt, Terminated) as exc:  # BaseExceptions: they pass `except Exception`
        _error(SAID.after or UNTOUCHED)
        return interrupt_status(exc)
