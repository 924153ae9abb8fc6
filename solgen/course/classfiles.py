"""A batch's class-level files: answers.csv/json, report.txt, key.pdf, handout/ and solutions/
(a roster's), the combined PDFs.

They are made from every variant recorded in the directory's manifest (not only those this
run built), so they always cover the whole class, and they are remade only when what they
are made of changed or they are missing or damaged.
"""

from __future__ import annotations

import csv
import errno
import functools
import io
import json
import os
import shutil
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from solgen.base.files import (
    NotReadable,
    StagedSet,
    read_regular,
    signals_held,
)
from solgen.course import manifest as mf
from solgen.course.answerkey import ANSWERS_JSON, collect_answers, items_of
from solgen.course.classreport import assignment_for, assignments_of, class_report
from solgen.course.manifest import Manifest, sha256_text, solgen_digest
from solgen.document.compile import Compiled, compile_in_parallel, compile_tex
from solgen.problems.registry import DEFAULT, Assignment

ANSWERS_CSV = "answers.csv"
REPORT = "report.txt"
KEY = "key"
HANDOUT = "handout"  # a student's folder before the deadline: the sheet, data/, the answer form
SOLUTIONS = "solutions"  # after the deadline: the worked solution
RELEASE = "release"  # gone: it held the solutions beside the sheets (removed on a rerun)
ANSWER_FORM = "answer-form.csv"
RESULTS = "results.json"
COMBINED = {"solution": "all-solutions", "assignment": "all-assignments"}
PDFS = ("assignment.pdf", "solution.pdf")
HANDED_OUT = ("assignment.pdf",)  # and the data files and the answer form
SOLUTION = "solution.pdf"
RELEASE_REMOVED = (
    "removed release/ (it held the solutions beside the sheets; hand out handout/ before the "
    "deadline and solutions/ after)"
)


ANSWER_FILES = (ANSWERS_JSON, ANSWERS_CSV, REPORT)


def finish(
    out: Path,
    manifest: Manifest,
    timeout: float,
    pdf: bool,
    written: list[str] | None = None,
    notes: list[str] | None = None,
) -> str:
    """Write the class-level files for every recorded variant; return the class report.

    Every class file that changed is made in one staging folder first and they are moved in
    together at the end (files.StagedSet), so that a failure or a signal before that leaves every
    class file as the last complete run left them, and a kill during the move leaves a commit
    folder the next batch finishes first (see document.build.finish_commit).

    written: each class file this call replaced, appended once they are all in place, so
    that a caller interrupted (or failing) can say exactly what changed. Nothing that is
    up to date is rewritten, and a rerun with nothing to do writes nothing at all (a read-only
    directory is fine): answers.csv/json and report.txt are compared by their stamps with
    what they were made of (in manifest.Stamps) before anything is read.

    notes: a line for the user is appended when this call removed an old release/.
    """
    written = [] if written is None else written
    if manifest.kind == "roster" and _remove_release(out, manifest):
        (notes if notes is not None else []).append(RELEASE_REMOVED)
    digest = _answers_digest(manifest)
    report = _report_if_current(out, manifest, digest)
    staged = StagedSet(out)
    try:
        made_answers = report is None
        if report is None:
            answers = collect_answers(out, manifest)
            view = _readable_view(out, manifest)
            assignments = assignments_of(out, view)
            write_answers(staged, manifest, answers, assignments)
            report = class_report(out, view, answers)
            staged.text(REPORT, report)
        pdfs = class_pdfs(out, manifest, timeout, staged) if pdf and manifest.records else None
        staged.commit(written)
    except BaseException:
        staged.discard()
        raise
    if made_answers:
        for name in ANSWER_FILES:
            manifest.stamps.sha(name, out / name)
        manifest.stamps.set("answers", digest)
    if pdfs is not None:
        manifest.class_inputs, files = pdfs
        manifest.class_outputs = {f: manifest.stamps.sha(f, out / f) or "" for f in files}
    try:
        manifest.save_if_changed(out)
    except OSError as exc:  # a no-op rerun in a read-only directory whose stamps went stale
        if written or exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
    return report


def _remove_release(out: Path, manifest: Manifest) -> bool:
    """Remove DIR/release/ (an older solgen's: each student's sheet with the worked solution
    beside it, a folder that was meant to be handed out); whether there was one."""
    path = out / RELEASE
    if any(r.folder.lower() == RELEASE for r in manifest.records.values()):
        return False  # a student's own folder (never so since release/ was reserved)
    if path.is_symlink() or path.is_file():
        path.unlink()
        return True
    if not path.is_dir():
        return False
    with signals_held():
        shutil.rmtree(path)
    return True


def _answers_digest(manifest: Manifest) -> str:
    """What answers.csv/json and report.txt are made of: each record's results and variant."""
    parts = [
        [i, r.name, r.seed, r.folder, r.variant, r.generated, r.outputs.get("results.json")]
        for i, r in sorted(manifest.records.items())
    ]
    # expected: the report names the variants no longer listed
    return sha256_text(json.dumps([manifest.kind, solgen_digest(), manifest.expected, parts]))


def _report_if_current(out: Path, manifest: Manifest, digest: str) -> str | None:
    """report.txt's text when answers.csv/json and report.txt are what this manifest makes
    (same inputs, files unchanged since by their stamps), else None."""
    if manifest.stamps.values.get("answers") != digest:
        return None
    if not manifest.stamps.current({name: out / name for name in ANSWER_FILES}):
        return None
    try:
        return read_regular(out / REPORT, 16 * 1024 * 1024).decode("utf-8")
    except (NotReadable, UnicodeDecodeError):
        return None


def _readable_view(out: Path, manifest: Manifest) -> Manifest:
    """The manifest with every record whose variant.toml is not a regular file in a real
    folder pointed at a folder that does not exist: the class report reads variant files
    plainly, and a FIFO there would block it for ever."""
    records = {}
    for variant_id, record in manifest.records.items():
        folder = out / record.folder
        ok = mf.stamp(folder / "variant.toml") is not None and not folder.is_symlink()
        records[variant_id] = record if ok else replace(record, folder=".solgen-unreadable")
    return replace(manifest, records=records)


def write_answers(
    staged: StagedSet,
    manifest: Manifest,
    answers: dict[str, dict[str, Any]],
    assignments: dict[str, Assignment | None] | None = None,
) -> None:
    """Stage DIR/answers.json (id -> results.json) and DIR/answers.csv (one row a variant)."""
    staged.text(ANSWERS_JSON, json.dumps(answers, indent=2, ensure_ascii=False) + "\n")
    names = {i: r.name for i, r in manifest.records.items()}
    seeds = {i: r.seed for i, r in manifest.records.items()}
    csv_text = answers_csv(answers, names, seeds, manifest.kind, assignments)
    staged.text(ANSWERS_CSV, csv_text)


def flatten(results: dict[str, Any], assignment: Assignment | None = DEFAULT) -> dict[str, Any]:
    """The key answers of one results.json as CSV columns, named by answerids: each problem's
    answer_cells, in the assignment's order (None: an assignment not known, see
    assignment_for)."""
    row: dict[str, Any] = {}
    for placed in assignment_for(results, assignment):
        row.update(placed.problem.answer_cells(results[placed.section]))
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.12g}"  # 12 significant digits: float noise gone, same on every machine
    return str(value)


def answers_csv(
    answers: dict[str, dict[str, Any]],
    names: dict[str, str] | None = None,
    seeds: dict[str, int | None] | None = None,
    kind: str = "seeded",
    assignments: dict[str, Assignment | None] | None = None,
) -> str:
    """One row a variant (id, then name or seed, then the key answers), rows in id order.
    assignments: each variant's (the default's for a variant not in it)."""
    given = assignments or {}
    rows = {
        variant_id: flatten(results, given.get(variant_id, DEFAULT))
        for variant_id, results in sorted(answers.items())
    }
    columns: list[str] = []
    for row in rows.values():
        columns += [c for c in row if c not in columns]
    out = io.StringIO()
    from solgen.base.csvsafe import safe_row  # no cell starts a spreadsheet formula (roster text)

    writer = csv.writer(out, lineterminator="\n")
    second = "name" if kind == "roster" else "seed"
    writer.writerow(safe_row(["id", second, *columns]))
    for variant_id, row in rows.items():
        if kind == "roster":
            who: object = (names or {}).get(variant_id, "")
        else:
            seed = (seeds or {}).get(variant_id)
            who = int(variant_id) if seed is None else seed
        writer.writerow(safe_row([variant_id, who, *(_cell(row.get(c)) for c in columns)]))
    return out.getvalue()


def _with_pdfs(out: Path, manifest: Manifest) -> list[str]:
    """The variants whose PDFs (and handed out data files) are recorded and there as recorded:
    a student whose rebuild failed with a PDF missing is left out of the combined PDFs,
    handout/ and solutions/ (the failure was reported), never a LaTeX error for the whole
    class."""
    ids = []
    for variant_id, record in sorted(manifest.records.items()):
        if not all(n in record.outputs for n in PDFS):
            continue
        folder = out / record.folder
        if all(
            manifest.stamps.unchanged(f"{record.folder}/{n}", folder / n, record.outputs.get(n))
            for n in [*_handed_out(manifest, variant_id), SOLUTION]
        ):
            ids.append(variant_id)
    return ids


def _handed_out(manifest: Manifest, variant_id: str) -> list[str]:
    """A student's built files in handout/: the sheet, and the data files its build recorded
    (a student built by an older solgen and kept off the roster has none)."""
    outputs = manifest.records[variant_id].outputs
    return [*HANDED_OUT, *mf.recorded_data(outputs)]


def _class_digest(manifest: Manifest, ids: list[str], key_ids: list[str]) -> str:
    # the answer form is made of the student's results.json and variant (its assignment)
    parts = [
        [i, r.name, r.folder, [r.outputs[n] for n in names], r.outputs.get(RESULTS), r.variant]
        for i in ids
        for r, names in [(manifest.records[i], [*_handed_out(manifest, i), SOLUTION])]
    ]
    # key.pdf is made from each student's results.json (the answer key), never from TeX
    keys = [
        [i, manifest.records[i].name, manifest.records[i].outputs.get("results.json")]
        for i in key_ids
    ]
    # solgen's own source too: key.tex.j2 and combined.tex.j2 shape these files
    return sha256_text(json.dumps([manifest.kind, solgen_digest(), parts, keys]))


def _class_files(manifest: Manifest, ids: list[str]) -> list[str]:
    files = [f"{KEY}.pdf", *(f"{name}.pdf" for name in COMBINED.values())]
    if manifest.kind == "roster":
        for i in ids:
            folder = manifest.records[i].folder
            handed = [*_handed_out(manifest, i), ANSWER_FORM]
            files += [f"{HANDOUT}/{folder}/{n}" for n in handed]
            files.append(f"{SOLUTIONS}/{folder}/{SOLUTION}")
    return files


def class_pdfs(
    out: Path, manifest: Manifest, timeout: float, staged: StagedSet
) -> tuple[str, list[str]] | None:
    """Stage key.pdf, the combined PDFs and (roster) handout/ and solutions/, unless up to
    date; return what they are made of (a digest) and the files they are, to record once
    they are in place (None: up to date, nothing staged).

    Up to date is decided by stamps (a rerun hashes only files that changed). They are
    compiled in scratch folders first; SIGINT or SIGTERM during the compile stops LaTeX and
    leaves the old ones. A compile that failed writing (a full disk) is an OSError naming
    the file, not a LaTeX error without an error line. key.pdf holds every student with
    answers (as answers.csv does), in key_order.
    """
    ids = _with_pdfs(out, manifest)
    key_ids = sorted(manifest.records)
    digest = _class_digest(manifest, ids, key_ids)
    files = _class_files(manifest, ids)
    if (
        manifest.class_inputs == digest
        and set(manifest.class_outputs) == set(files)
        and all(manifest.stamps.unchanged(f, out / f, manifest.class_outputs[f]) for f in files)
    ):
        return None
    answers = collect_answers(out, manifest)
    key_ids = [i for i in key_ids if i in answers]
    if manifest.kind == "roster" and any(i not in answers for i in ids):
        # no answers to make a form of (reported as damaged): no handout for that student
        ids = [i for i in ids if i in answers]
    digest, files = _class_digest(manifest, ids, key_ids), _class_files(manifest, ids)
    if not ids and not key_ids:
        return None
    assignments = assignments_of(out, _readable_view(out, manifest))
    keys = {i: (answers[i], assignments.get(i)) for i in key_order(manifest, key_ids)}
    if manifest.kind == "roster":
        _check_no_student_folder(manifest)
    compiled = _compile_class(out, manifest, ids, keys, timeout)
    try:
        for name, done in compiled.items():
            staged.file(f"{name}.pdf", done.pdf)
        if manifest.kind == "roster":
            forms = {i: answer_form(i, answers[i], assignments.get(i)) for i in ids}
            _stage_handout(out, manifest, ids, forms, staged.new_folder(HANDOUT))
            _stage_solutions(out, manifest, ids, staged.new_folder(SOLUTIONS))
    finally:
        for done in compiled.values():
            shutil.rmtree(done.scratch, ignore_errors=True)
    return digest, files


KEY_CONFIDENTIAL = "Confidential: for graders only."
KEY_BY_NAME = "Students in order of name, as the roster writes it (the id after equal names)."


def _key_subtitle(manifest: Manifest) -> str:
    """key.pdf's line under its title: what it is, and (a roster's) the order of its blocks."""
    if manifest.kind != "roster":
        return KEY_CONFIDENTIAL
    return f"{KEY_CONFIDENTIAL} {KEY_BY_NAME}"


def key_order(manifest: Manifest, ids: list[str]) -> list[str]:
    """key.pdf's order: a roster's students by name as the roster writes it (letters
    compared without case and accents, so that "Lovelace, Ada" is among the L's whatever
    the LMS), the id after equal names; a practice set's variants by id (their seed)."""
    if manifest.kind != "roster":
        return sorted(ids)

    def by_name(variant_id: str) -> tuple[str, str, str]:
        name = manifest.records[variant_id].name
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
        )
        return plain.casefold(), name, variant_id

    return sorted(ids, key=by_name)


def _check_no_student_folder(manifest: Manifest) -> None:
    """InvalidInput when a student's folder (an older solgen's, before the names were
    reserved) is where handout/ or solutions/ go: it is never replaced."""
    from solgen.base.errors import InvalidInput

    for variant_id, record in sorted(manifest.records.items()):
        if record.folder.lower() in (HANDOUT, SOLUTIONS):
            raise InvalidInput(
                [
                    f"student {variant_id}'s folder {record.folder}/ is where {HANDOUT}/ and "
                    f"{SOLUTIONS}/ go; build the class into a new directory"
                ]
            )


def _title(out: Path, manifest: Manifest, ids: list[str]) -> str:
    """The assignment's title, from the first variant's file."""
    try:
        path = out / manifest.records[ids[0]].folder / "variant.toml"
        text = read_regular(path, 4 * 1024 * 1024).decode("utf-8")
        title = tomllib.loads(text)["meta"]["title"]
        return title if isinstance(title, str) else ""
    except (NotReadable, ValueError, KeyError, IndexError, TypeError):
        return ""


def _bookmark(manifest: Manifest, variant_id: str) -> str:
    record = manifest.records[variant_id]
    return f"{variant_id} {record.name}" if manifest.kind == "roster" else f"Variant {variant_id}"


def _compile_class(
    out: Path,
    manifest: Manifest,
    ids: list[str],
    keys: dict[str, tuple[dict[str, Any], Assignment | None]],
    timeout: float,
) -> dict[str, Compiled]:
    """Compile key.pdf and the two combined PDFs at once, in scratch folders (keys: each
    student's results.json and assignment)."""
    from solgen.document.render import combine, key_document

    sources: dict[str, tuple[str, dict[str, Path]]] = {}
    blocks = [key_block(manifest, i, *key) for i, key in keys.items()]
    title = _title(out, manifest, list(keys) or ids)
    names = [_key_name(manifest, i) for i in keys]
    sources[KEY] = (key_document(title, _key_subtitle(manifest), blocks, names), {})
    if ids:
        for document, name in COMBINED.items():
            inputs = {
                f"{manifest.records[i].folder}-{document}.pdf": out
                / manifest.records[i].folder
                / f"{document}.pdf"
                for i in ids
            }
            titles = [_bookmark(manifest, i) for i in ids]
            sources[name] = (combine(list(zip(inputs, titles, strict=True))), inputs)
    long = timeout * max(1, len(keys) // 10)
    jobs: dict[str, Callable[[], Compiled]] = {
        name: functools.partial(compile_tex, tex, name, out, long, inputs=inputs)
        for name, (tex, inputs) in sources.items()
    }
    return compile_in_parallel(jobs, out)


# --- key.pdf: from the answer key (answerkey.py), like answers.csv, grade and the exports -------

MAX_KEY_ITEMS = 48  # entries of one group a block lists (answers.csv has every one)
KEY_PROBLEM = "keyproblem.tex.j2"  # a problem's part of a block when it has no "key" template


def key_block(
    manifest: Manifest,
    variant_id: str,
    results: dict[str, Any],
    assignment: Assignment | None = DEFAULT,
) -> str:
    """One student's block of key.pdf: the items of the answer key, with the numbers that
    answers.csv holds (and the exact value where it says more), each problem's part from its
    "key" template (keyproblem.tex.j2 when it has none) and its key_context."""
    from solgen.document.render import KEY_BLOCK, environment
    from solgen.markup.latex import Tex

    known = assignment_for(results, assignment)
    items = items_of(results, known)
    problems: dict[int, dict[str, Any]] = {
        placed.number: {
            "number": placed.number,
            "title": placed.problem.title,
            "template": placed.problem.templates.get("key", KEY_PROBLEM),
            "context": placed.problem.key_context(results[placed.section]),
            "entries": [],
            "hidden": 0,
        }
        for placed in known
    }
    by_number = {placed.number: placed.problem for placed in known}
    counts: dict[tuple[int, str], int] = {}
    for item in items:
        group = (item.problem, item.group)
        counts[group] = counts.get(group, 0) + 1
        if counts[group] > MAX_KEY_ITEMS:
            problems[item.problem]["hidden"] += 1
            continue
        value = _exact_tex(item.exact, item.value) if item.value is not None else ""
        entry = by_number[item.problem].key_entry(item, value)
        if entry is not None:
            problems[item.problem]["entries"].append(Tex(entry))
    context = {
        "name": _key_name(manifest, variant_id),
        "student_id": variant_id if manifest.kind == "roster" else "",
        "problems": list(problems.values()),
    }
    return str(environment(None).get_template(KEY_BLOCK).render(context))


def _key_name(manifest: Manifest, variant_id: str) -> str:
    """The name a block of key.pdf prints: the student's (or the id in its place when it cannot
    be set, as on the sheets), or the variant's seed."""
    from solgen.markup.names import printed_name

    record = manifest.records[variant_id]
    if manifest.kind != "roster":
        return f"Variant {record.seed}"
    return printed_name(record.name, variant_id)


def _exact_tex(exact: str | None, value: Any) -> str:
    from fractions import Fraction

    from solgen.base.numparse import NumberError, parse_number
    from solgen.markup.latex import sym

    cell = _cell(value)
    shown = _number_tex(cell)
    if exact is None:
        return r"\approx " + shown if isinstance(value, float) else shown
    try:
        if Fraction(exact) == Fraction(cell):
            return shown
    except (ValueError, ZeroDivisionError):
        pass
    if len(exact) > 60:
        return r"\approx " + shown  # a long exact form: answers.csv has the float
    try:
        return f"{sym(parse_number(exact))} \\approx {shown}"
    except (NumberError, ValueError, TypeError):
        return r"\approx " + shown


def _number_tex(cell: str) -> str:
    r"""answers.csv's cell as TeX: 1.5e-52 as 1.5 \cdot 10^{-52}."""
    if "e" in cell:
        mantissa, exponent = cell.split("e")
        return f"{mantissa} \\cdot 10^{{{int(exponent)}}}"
    return cell


def answer_form(
    student_id: str, results: dict[str, Any], assignment: Assignment | None = DEFAULT
) -> str:
    """answer-form.csv: the columns solgen grade reads for this student (id, then the answer
    key's item ids in key order) and one row, the id filled in and every answer empty."""
    from solgen.base.csvsafe import safe_row  # an id never starts a spreadsheet formula

    columns = list(
        dict.fromkeys(item.id for item in items_of(results, assignment_for(results, assignment)))
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(safe_row(["id", *columns]))
    writer.writerow(safe_row([student_id, *("" for _ in columns)]))
    return out.getvalue()


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(exist_ok=True)  # data/
    try:
        os.link(source, target)  # no copy: a build replaces its files, never edits them
    except OSError:
        shutil.copyfile(source, target)


def _stage_handout(
    out: Path, manifest: Manifest, ids: list[str], forms: dict[str, str], stage: Path
) -> None:
    """handout/ in its staging folder: a folder a student holding only what that student gets
    before the deadline: the sheet, the data files and the answer form (never a solution)."""
    for variant_id in ids:
        folder = manifest.records[variant_id].folder
        (stage / folder).mkdir()
        for name in _handed_out(manifest, variant_id):
            _link(out / folder / name, stage / folder / name)
        (stage / folder / ANSWER_FORM).write_text(forms[variant_id], encoding="utf-8")


def _stage_solutions(out: Path, manifest: Manifest, ids: list[str], stage: Path) -> None:
    """solutions/ in its staging folder: a folder a student holding that student's worked
    solution, for after the deadline."""
    for variant_id in ids:
        folder = manifest.records[variant_id].folder
        (stage / folder).mkdir()
        _link(out / folder / SOLUTION, stage / folder / SOLUTION)
