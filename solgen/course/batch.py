"""Many variants at once: a roster or seeds in, one folder each, reruns that tell the truth.

A batch directory holds one folder a variant (a student of a roster, or a seed of a practice
set) and manifest.json, which records for each the variant file built from, the options, and
the hashes of what the build wrote. A rerun compares: it rebuilds exactly the variants whose
inputs changed or whose outputs are missing or damaged, says which and why, and keeps a
variant.toml that was edited by hand. Each variant is built in a staging folder and swapped
into place whole, so variant.toml never stands beside results it did not make.

The directory is checked data, not trusted: a record of the manifest whose folder is not its
variant's own, a student folder that is a symbolic link, a variant.toml that is a FIFO or
larger than a variant may be are never followed or read; such a variant is rebuilt (and said
so). A rerun with nothing to do compares file stamps (size, mtime, inode) with a cache of
their hashes (manifest.Stamps) and regenerates no variant while what decides them is
unchanged (_Jobs), so its time grows with the number of files, not with their sizes.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from solgen.base.errors import InvalidInput, SolgenError, Terminated
from solgen.base.files import (
    NotReadable,
    atomic_write,
    check_writable,
    exclusive,
    interrupted_from_now,
    is_real_dir,
    read_regular,
    remove_leftover_scratch,
    replace_dir,
    scratch_dir,
    signals_held,
)
from solgen.base.tomlinput import MAX_VARIANT_BYTES
from solgen.course import manifest as mf
from solgen.course import withdraw as withdrawal
from solgen.course.generate import (
    apply_sets,
    assignment_table,
    plan_key,
    practice_comment,
    student_variant_text,
    to_toml,
    variant,
)
from solgen.course.manifest import Manifest, Options, Record, sha256_text
from solgen.course.pool import Finished, run_forked
from solgen.course.roster import ColumnMap, Student, read_roster, safe_folder
from solgen.document.compile import DEFAULT_TIMEOUT, CompileError, require_tex
from solgen.problems.registry import DEFAULT, Assignment


@dataclass(frozen=True)
class BatchOptions:
    """What to build (seeds seed .. seed + count - 1, or a roster with its key), where, how."""

    count: int = 0
    seed: int = 0
    roster: Path | None = None
    key: Path | None = None
    sets: tuple[str, ...] = ()
    jobs: int = 0  # 0: one per CPU
    out: Path = Path("batch")
    pdf: bool = True
    shard: tuple[int, int] = (1, 1)  # K/M: the indices i with i % M == K - 1
    force: bool = False
    assignment: Assignment = DEFAULT  # its problems and points (--assignment)
    # The draw options of its problems (--samples, ...) by DrawOption.dest; a missing one is
    # its default
    draw_options: Mapping[str, int] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    template_dir: Path | None = None
    columns: ColumnMap = field(default_factory=ColumnMap)  # --id-column, --name-column
    withdraw: tuple[str, ...] = ()  # ids to withdraw (withdraw.py)
    readmit: tuple[str, ...] = ()  # ids to take back


@dataclass(frozen=True)
class Job:
    """One variant the batch should hold: whose it is and the variant.toml solgen makes for it."""

    id: str
    folder: str
    name: str  # '' for a seeded variant
    seed: int | None  # a seeded variant's seed; None for a student
    generated: str | None  # None: not made (a rerun that knows it is as recorded)
    generated_sha: str = ""

    def __post_init__(self) -> None:
        if self.generated is not None and not self.generated_sha:
            object.__setattr__(self, "generated_sha", sha256_text(self.generated))


@dataclass(frozen=True)
class Task:
    """A job to build now, from this variant text, and why."""

    job: Job
    text: str
    reason: str
    note: str
    replaces: str | None


@dataclass(frozen=True)
class Outcome:
    """What happened to one variant."""

    id: str
    # "built", "skipped" (up to date), "failed", "stopped", "not started", "kept" (off roster),
    # "withdrawn" (on the roster, withdrawn: not built)
    status: str
    reason: str = ""  # why it was (re)built
    error: str = ""
    note: str = ""  # e.g. a kept hand edit


@dataclass
class BatchReport:
    """The outcomes of a batch, in id order, its duration, and what it wrote at class level."""

    outcomes: list[Outcome]
    seconds: float = 0.0
    combined: list[Path] = field(default_factory=list)
    class_report: str = ""
    interrupted: BaseException | None = None  # the first SIGINT/SIGTERM (KeyboardInterrupt...)
    interrupted_in: str = ""  # "building" or "class files"
    class_written: list[str] = field(default_factory=list)  # class files this run replaced
    class_error: BaseException | None = None  # why the class files could not all be made
    notes: list[str] = field(default_factory=list)  # about the directory (records dropped...)
    withdrawn: list[str] = field(default_factory=list)  # the ids this run withdrew

    @property
    def failed(self) -> list[Outcome]:
        """The variants that did not build."""
        return [o for o in self.outcomes if o.status == "failed"]

    def count(self, status: str) -> int:
        """How many outcomes have this status."""
        return sum(o.status == status for o in self.outcomes)


def parse_shard(text: str) -> tuple[int, int]:
    """'K/M' with 1 <= K <= M."""
    try:
        k_text, m_text = text.split("/")
        k, m = int(k_text), int(m_text)
    except ValueError:
        raise InvalidInput([f"--shard: expected K/M such as 2/4, found {text!r}"]) from None
    if not 1 <= k <= m:
        raise InvalidInput([f"--shard: expected 1 <= K <= M, found {text}"])
    return k, m


def in_shard(index: int, shard: tuple[int, int]) -> bool:
    """Whether the variant at this index belongs to shard K/M."""
    k, m = shard
    return index % m == k - 1


def plan(options: BatchOptions) -> list[tuple[str, int]]:
    """(id, seed) of every seeded variant this shard builds; ids are zero-padded seeds."""
    width = max(4, len(str(options.seed + options.count - 1)))
    return [
        (str(options.seed + i).zfill(width), options.seed + i)
        for i in range(options.count)
        if in_shard(i, options.shard)
    ]


def plan_digest(options: BatchOptions) -> str:
    """The manifest's plan: a digest of what shapes every variant of the batch besides its
    seed or student (--set, the assignment and its problems' draw options); shards of one
    batch agree on it."""
    return sha256_text(
        json.dumps([list(options.sets), plan_key(options.assignment, options.draw_options)])
    )


def seeded_jobs(options: BatchOptions) -> list[Job]:
    """Every variant of a seeded batch (all shards): the same file as `solgen variant --seed`."""
    everything = replace(options, shard=(1, 1))
    jobs = []
    for variant_id, seed in plan(everything):
        data = variant(seed, options.assignment, options.draw_options)
        apply_sets(data, options.sets)
        jobs.append(Job(variant_id, variant_id, "", seed, to_toml(data, practice_comment(seed))))
    return jobs


def roster_jobs(students: Sequence[Student], key: bytes, options: BatchOptions) -> list[Job]:
    """Every student's variant, drawn from HMAC(key, id) alone: never from a classmate's draw,
    the roster's order or what the directory holds, so that a key and a roster rebuild every
    variant handed out (report.txt names any pair that happens to share a problem)."""
    from solgen.course.coursekey import student_seed

    return [
        Job(
            s.id,
            s.folder,
            s.name,
            None,
            student_variant_text(
                student_seed(key, s.id),
                s.id,
                s.name,
                options.assignment,
                options.draw_options,
                options.sets,
            ),
        )
        for s in students
    ]


class _NeedsGenerated(SolgenError):
    """decide() needs a job's generated text, which a rerun had not made."""


AFTER_KILLED = (
    "interrupted after moving in the class files of a batch that was killed; nothing else "
    "was written; rerun the same command to finish"
)
FIELDS_SAID = 5  # changed fields a rerun names before "and N more"


def _variant_changed(old: str, new: str) -> str:
    """'its variant changed (meta.date)': which fields differ between the variant built from
    and the one generated now (both solgen's own TOML), the first FIELDS_SAID of them."""
    try:
        before, after = tomllib.loads(old), tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        return "its variant changed"
    changed = [
        f"{section}.{name}" if name else section
        for section in dict.fromkeys([*before, *after])
        for name in _fields_of(before.get(section), after.get(section))
    ]
    if not changed:
        return "its variant changed"
    shown = ", ".join(changed[:FIELDS_SAID])
    more = len(changed) - FIELDS_SAID
    return f"its variant changed ({shown}{f' and {more} more' if more > 0 else ''})"


def _fields_of(before: object, after: object) -> list[str]:
    """The fields of one table that differ ('' for the whole table when it is not one)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if before == after else [""]
    return [n for n in dict.fromkeys([*before, *after]) if before.get(n) != after.get(n)]


class _Variant:
    """A folder's variant.toml, checked before it is read: never through a symbolic link,
    never a FIFO or a device, never more than a variant file may hold; read only when its
    stamp differs from the record's (or its text is needed)."""

    def __init__(
        self, folder: Path, record: Record | None, stamps: mf.Stamps | None = None
    ) -> None:
        self.path = folder / "variant.toml"
        self.name = f"{folder.name}/variant.toml"
        self.stamps = stamps or mf.Stamps(None)
        self.problem = ""  # why the folder or its variant.toml cannot be used
        self.exists = folder.exists() or folder.is_symlink()
        self.present = False  # a regular variant.toml is there
        self._text: str | None = None
        self.sha = ""
        if not self.exists:
            return
        if not is_real_dir(folder):
            what = "a symbolic link" if folder.is_symlink() else "not a folder"
            self.problem = f"{folder.name} is {what}, expected the variant's own folder"
            return
        now = mf.stamp(self.path)
        if now is None or now[0] > MAX_VARIANT_BYTES:
            if self.path.exists() or self.path.is_symlink():
                self._read()  # says what it is
            return
        self.present = True
        self.sha = self.stamps.sha(self.name, self.path) or ""
        if not self.sha:
            self._read()

    def _read(self) -> None:
        try:
            data = read_regular(self.path, MAX_VARIANT_BYTES)
        except NotReadable as exc:
            self.present = False
            self.problem = f"variant.toml is {exc.found}, expected a regular file"
            return
        try:
            self._text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.present = False
            self.problem = "variant.toml is not UTF-8 text"
            return
        self.present = True
        self.sha = sha256_text(self._text)

    def text(self) -> str:
        if self._text is None:
            self._read()
        if self._text is None:
            raise NotReadable(self.path, self.problem or "nothing")
        return self._text


def decide(
    job: Job,
    out: Path,
    record: Record | None,
    now: Options,
    force: bool,
    stamps: mf.Stamps | None = None,
) -> Task | None:
    """Whether a job needs building, from which variant text, and why (None: up to date).

    _NeedsGenerated when the answer needs the job's generated text and the job has none.
    """

    def generated() -> str:
        if job.generated is None:
            raise _NeedsGenerated(job.id)
        return job.generated

    folder = out / job.folder
    found = _Variant(folder, record, stamps)
    previous = record.variant if record else None
    if found.problem:  # a link or a FIFO is not the user's edit: replaced by a build of its own
        return Task(job, generated(), f"{found.problem}: replaced", "", previous)
    if not found.present:
        if record is None and not found.exists:
            reason = "new"
        elif not found.exists:
            reason = f"its folder {job.folder}/ was deleted"
        else:
            reason = "variant.toml is missing"
        return Task(job, generated(), reason, "", previous)
    current_sha = found.sha
    if record is None:
        if current_sha == job.generated_sha:
            return Task(job, found.text(), "no record of its build", "", None)
        note = "variant.toml differs from the generated one and has no record: kept as a hand edit"
        return Task(job, found.text(), "no record of its build", note, None)
    if current_sha not in (record.variant, record.replaces):
        edit = "variant.toml was edited by hand"
        return Task(job, found.text(), edit, "kept the hand edit", previous)
    keep_edit = record.hand_edited and current_sha == record.variant
    reasons = ["--force"] if force else []
    if current_sha != record.variant:
        reasons.append("an earlier rebuild was interrupted")
    elif not keep_edit and job.generated_sha != record.variant:
        reasons.append(_variant_changed(found.text(), generated()))
    reasons += now.changes(record.options)
    damaged = record.damaged(out, now.pdf, stamps)
    if damaged and current_sha == record.variant:
        reasons.append(f"missing or damaged: {', '.join(damaged)}")
    if not reasons:
        return None
    text = found.text() if keep_edit else generated()
    note = "kept the earlier hand edit of variant.toml" if keep_edit else ""
    return Task(job, text, "; ".join(reasons), note, previous)


def build_task(task: Task, out: Path, options: BatchOptions, now: Options) -> Record:
    """Build one variant in a staging folder in DIR (a worker's job); returns its record.

    The record's folder is the staging folder's name until the parent, which alone writes the
    manifest, records it under the variant's own folder and swaps the folder in (_swap_in).
    """
    from solgen.base.tomlinput import parse_toml
    from solgen.document.build import BuildOptions, build
    from solgen.document.datafiles import data_file_names
    from solgen.document.variant import build_variant

    job = task.job
    variant_obj = build_variant(parse_toml(task.text, f"{job.folder}/variant.toml"))
    stage = scratch_dir(out, f"stage-{job.folder}")
    try:
        build(
            variant_obj,
            BuildOptions(
                out_dir=stage,
                pdf=options.pdf,
                template_dir=options.template_dir,
                timeout=options.timeout,
            ),
        )
        atomic_write(stage / "variant.toml", task.text)
        names = mf.output_names(options.pdf, data_file_names(variant_obj.assignment))
        outputs = {name: mf.file_sha(stage / name) or "" for name in names}
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)  # a failure leaves no trace in DIR
        raise
    return Record(
        name=job.name,
        folder=stage.name,  # the parent renames the stage to job.folder
        seed=job.seed,
        variant=sha256_text(task.text),
        generated=job.generated_sha,
        replaces=task.replaces,
        options=now,
        outputs=outputs,
    )


def _swap_in(out: Path, stage_name: str, folder: str) -> None:
    """Replace DIR/folder by its staging folder as a whole."""
    replace_dir(out / folder, out / stage_name)


class Progress:
    """A progress bar with an ETA on a terminal; silent otherwise."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.done = self.failed = 0
        self.start = time.perf_counter()
        self.active = stream.isatty()

    def update(self, outcome: Outcome) -> None:
        """Count one finished variant and redraw."""
        self.done += 1
        self.failed += outcome.status == "failed"
        if not self.active:
            return
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(
            f"\r[{bar}] {self.done}/{self.total}  failed {self.failed}  "
            f"ETA {int(eta) // 60}:{int(eta) % 60:02d} "
        )
        if self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def _identity(
    options: BatchOptions, notes: list[str]
) -> tuple[str, str, list[Student] | None, bytes | None]:
    """The batch's kind, key fingerprint, roster and key (InvalidInput before any writing);
    notes: what reading the roster skipped."""
    if options.roster is None:
        return "seeded", "", None, None
    from solgen.course.coursekey import fingerprint, read_key

    if options.key is None:
        raise InvalidInput(["--roster needs --key FILE (make one with: solgen key -o FILE)"])
    key = read_key(options.key)
    students = read_roster(options.roster, notes, options.columns)
    if not students:
        raise InvalidInput([f"--roster {options.roster}: no students (only a header row)"])
    return "roster", fingerprint(key), students, key


def _active(
    students: list[Student] | None, manifest: Manifest, report: BatchReport
) -> list[Student] | None:
    """The roster without its withdrawn students, each of whom gets an outcome that says so."""
    if students is None:
        return None
    for s in students:
        if s.id in manifest.withdrawn:
            folder = manifest.withdrawn[s.id].folder
            note = (
                f"withdrawn (their files are in {withdrawal.WITHDRAWN}/{folder}/): not built; "
                f"--readmit {s.id} takes them back"
            )
            report.outcomes.append(Outcome(s.id, "withdrawn", note=note))
    return [s for s in students if s.id not in manifest.withdrawn]


def _check_variants(tasks: list[Task], out: Path) -> None:
    """Every variant to build is valid, or InvalidInput before any is built.

    A bad --set makes every generated variant invalid the same way: one message names them all.
    """
    from solgen.base.tomlinput import parse_toml
    from solgen.document.variant import build_variant

    who: dict[str, list[str]] = {}
    for task in tasks:
        try:
            build_variant(parse_toml(task.text, f"{out / task.job.folder}/variant.toml"))
        except InvalidInput as exc:
            for problem in exc.problems:
                who.setdefault(problem, []).append(task.job.id)
    if who:
        lines = []
        for problem, ids in who.items():
            listed = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
            lines.append(f"{problem} (in the variant of {listed})")
        raise InvalidInput(lines)  # the command line caps them (messages.capped)


def run_batch(options: BatchOptions, progress_stream: TextIO | None = None) -> BatchReport:
    """Build every variant of this shard that needs it, then the class's answer keys and PDFs.

    progress_stream: default sys.stderr as it is now (not at import: pytest swaps it).
    SIGINT or SIGTERM while building or making the class files is not raised: it is recorded
    in the report (interrupted, interrupted_in) with what was written, so that what is said
    about it is true. A failure of the class files is recorded too (class_error), after every
    student's outcome.
    """
    from solgen.base.files import COMMIT, finish_commit

    progress_stream = progress_stream or sys.stderr
    start = time.perf_counter()
    roster_notes: list[str] = []
    kind, fingerprint, students, key = _identity(options, roster_notes)
    if options.pdf:
        require_tex()
    if options.out.exists() and not options.out.is_dir():
        raise InvalidInput([f"--out: {options.out} exists and is not a directory"])
    now = Options(
        pdf=options.pdf,
        templates=mf.templates_digest(options.template_dir),
        solgen=mf.solgen_digest(),
    )
    if not options.out.is_dir():
        check_writable(_existing_parent(options.out), "--out")
        options.out.mkdir(parents=True, exist_ok=True)
    with exclusive(options.out) as lock_fd:
        manifest = _open_manifest(options, kind, fingerprint)
        withdrawal.check(manifest, options, students)
        if (options.out / COMMIT).is_dir():  # class files a killed run was moving in
            finish_commit(options.out)  # first, so that DIR holds one set of them
            interrupted_from_now(AFTER_KILLED)
        remove_leftover_scratch(options.out)
        # The roster's LMS identities, for grade --for: no input of a build, so none is rebuilt
        manifest.lms.update({s.id: s.identity for s in students or () if s.identity})
        manifest.stamps = mf.Stamps(options.out)
        report = BatchReport(outcomes=[], notes=roster_notes)
        dropped = _drop_strangers(manifest, report)
        report.notes += withdrawal.apply(options.out, manifest, options.withdraw, options.readmit)
        report.withdrawn = [i for i in dict.fromkeys(options.withdraw) if i not in options.readmit]
        active = _active(students, manifest, report)
        jobs = _Jobs(options, manifest, active, key, fingerprint)
        _run_locked(options, manifest, jobs, dropped, now, lock_fd, progress_stream, report)
        interrupted_from_now(
            "interrupted after the batch had finished: every file it wrote is complete "
            "(rerun the same command to see its summary)"
        )
    report.seconds = time.perf_counter() - start
    return report


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _open_manifest(options: BatchOptions, kind: str, fingerprint: str) -> Manifest:
    """The directory's manifest (a new one if none); refuse a directory of another batch."""
    found = mf.load(options.out)
    if found is None:
        return Manifest(kind=kind, key=fingerprint, shard=options.shard)
    where = f"--out: {options.out}"
    if found.kind != kind:
        raise InvalidInput(
            [f"{where} holds a {found.kind} batch, not a {kind} batch; use another --out"]
        )
    if found.key != fingerprint:
        raise InvalidInput(
            [f"{where} was built with another course key; use that key, or another --out"]
        )
    found.shard = options.shard
    return found


def _drop_strangers(manifest: Manifest, report: BatchReport) -> dict[str, Record]:
    """Take out of the manifest every record whose folder is not its variant's own folder (a
    hand edit pointing a student at another's folder): such a record says nothing true about
    the tree. Its variant is rebuilt from the tree; the report says so."""
    dropped = {}
    for variant_id, record in list(manifest.records.items()):
        own = safe_folder(variant_id)
        if record.folder != own:
            dropped[variant_id] = manifest.records.pop(variant_id)
            report.notes.append(
                f"{mf.MANIFEST}: students.{variant_id}.folder: expected {own}, found "
                f"{record.folder}: the record does not match the directory and is rebuilt "
                f"from {own}/"
            )
    return dropped


class _Jobs:
    """The batch's jobs: made (every variant generated) only when needed.

    A rerun whose inputs of generation are unchanged (Manifest.jobs: the key, the roster's ids,
    names, --set, the assignment and its draw options, solgen) and whose
    records agree knows every generated variant's hash without generating any: a no-op rerun
    reads no mathematics and generates nothing, whatever the draw options.

    students: the roster without the withdrawn students (a variant depends on its student's id
    alone, so a withdrawal changes no other student's variant).
    """

    def __init__(
        self,
        options: BatchOptions,
        manifest: Manifest,
        students: list[Student] | None,
        key: bytes | None,
        fingerprint: str,
    ) -> None:
        self.options, self.students, self.key = options, students, key
        self.fingerprint = fingerprint
        self.order = self._order()
        self.made = False
        known = self._digest(manifest, self.order)
        ids = [i for i, *_ in self.order]
        if manifest.stamps.values.get("jobs") == known and all(
            i in manifest.records for i in self._mine(ids)
        ):
            self.jobs = self._stubs(manifest)
        else:
            self.make(manifest)

    def _order(self) -> list[tuple[str, str, str]]:
        """(id, name, folder) of every variant of the batch, in the roster's or the seeds'
        order."""
        if self.students is None:
            everything = replace(self.options, shard=(1, 1))
            return [(i, "", i) for i, _ in plan(everything)]
        return [(s.id, s.name, s.folder) for s in self.students]

    def _mine(self, ids: list[str]) -> list[str]:
        if self.students is None:
            return [i for k, i in enumerate(ids) if in_shard(k, self.options.shard)]
        by_id = [s.id for s in self.students]  # shards go by the roster's rows
        return [i for k, i in enumerate(by_id) if in_shard(k, self.options.shard)]

    def _digest(self, manifest: Manifest, order: list[tuple[str, str, str]]) -> str:
        ids = [i for i, *_ in order]
        records = manifest.records
        agree = [(i, records[i].generated) for i in self._mine(ids) if i in records]
        inputs = [
            mf.FORMAT,
            self.fingerprint,
            self.options.seed,
            list(self.options.sets),
            plan_key(self.options.assignment, self.options.draw_options),
            mf.solgen_digest(),
            order,
            agree,
        ]
        return sha256_text(json.dumps(inputs, ensure_ascii=False))

    def _stubs(self, manifest: Manifest) -> list[Job]:
        pairs: list[tuple[str, str, str, int | None]]
        if self.students is None:
            everything = replace(self.options, shard=(1, 1))
            pairs = [(i, i, "", seed) for i, seed in plan(everything)]
        else:
            pairs = [(s.id, s.folder, s.name, None) for s in self.students]
        return [
            Job(i, folder, name, seed, None, manifest.records[i].generated)
            if i in manifest.records
            else Job(i, folder, name, seed, None, "")
            for i, folder, name, seed in pairs
        ]

    def make(self, manifest: Manifest) -> None:
        """Generate every variant (as the first run did)."""
        if self.students is not None and self.key is not None:
            self.jobs = roster_jobs(self.students, self.key, self.options)
        else:
            self.jobs = seeded_jobs(self.options)
        self.made = True

    def remember(self, manifest: Manifest) -> None:
        """Note (in the stamps cache) what the next run may check instead of generating."""
        mine = {job.id: job for job in self.jobs}
        ids = self._mine([i for i, *_ in self.order])
        consistent = all(
            i in manifest.records and manifest.records[i].generated == mine[i].generated_sha
            for i in ids
        )
        manifest.stamps.set("jobs", self._digest(manifest, self.order) if consistent else "")


def _run_locked(
    options: BatchOptions,
    manifest: Manifest,
    jobs: _Jobs,
    dropped: dict[str, Record],
    now: Options,
    lock_fd: int,
    progress_stream: TextIO,
    report: BatchReport,
) -> None:
    from solgen.course import classfiles

    manifest.expected = [job.id for job in jobs.jobs]
    manifest.plan = plan_digest(options)
    try:
        outcomes, tasks = _decide_all(options, manifest, jobs, now)
    except _NeedsGenerated:
        jobs.make(manifest)
        outcomes, tasks = _decide_all(options, manifest, jobs, now)
    listed = {job.id for job in jobs.jobs}
    off_list = (
        "not on the roster: kept as built"
        if manifest.kind == "roster"
        else "not among this batch's seeds: kept as built"
    )
    for student_id, record in manifest.records.items():
        if student_id not in listed:
            gone = not os.path.lexists(options.out / record.folder)
            note = _deleted_off_list(manifest.kind, student_id, record.folder, options.pdf)
            outcomes[student_id] = Outcome(student_id, "kept", note=note if gone else off_list)
    for early in report.outcomes:  # the withdrawn students on the roster (_active)
        outcomes[early.id] = early
    tasks += _rebuild_from_tree(options.out, dropped, listed, off_list)
    _check_variants(tasks, options.out)
    if tasks:
        check_writable(options.out, "--out")
    phase = "building"
    try:
        if tasks:
            report.interrupted = _build_all(
                options, manifest, tasks, now, lock_fd, outcomes, progress_stream
            )
            if report.interrupted is not None:
                report.interrupted_in = phase
        jobs.remember(manifest)
        phase = "class files"
        report.class_report = classfiles.finish(
            options.out,
            manifest,
            options.timeout,
            pdf=report.interrupted is None and options.pdf,
            written=report.class_written,
            notes=report.notes,
        )
    except (KeyboardInterrupt, Terminated) as exc:
        if report.interrupted is None:
            report.interrupted, report.interrupted_in = exc, phase
    except (OSError, CompileError, InvalidInput) as exc:
        if phase != "class files":
            raise
        report.class_error = exc
    finally:
        for task in tasks:
            outcomes.setdefault(task.job.id, Outcome(task.job.id, "not started", task.reason))
        report.outcomes = [outcomes[i] for i in sorted(outcomes)]
        manifest.stamps.save()
    report.combined = [options.out / f"{name}.pdf" for name in classfiles.COMBINED.values()]


def _deleted_off_list(kind: str, student_id: str, folder: str, pdf: bool) -> str:
    """What a rerun says of a variant no longer listed whose folder was deleted: what is kept
    of it, and the ways on (grade and export need its folder)."""
    files = "answers.csv, answers.json and key.pdf" if pdf else "answers.csv and answers.json"
    if kind != "roster":
        return (
            f"not among this batch's seeds and its folder {folder}/ was deleted: {files} keep "
            "its last answers; list its seed again to rebuild it"
        )
    return (
        f"not on the roster and their folder {folder}/ was deleted: {files} keep their last "
        f"answers, grade and export need the folder; put {student_id} back on the roster to "
        f"rebuild it, or --withdraw {student_id}"
    )


def _decide_all(
    options: BatchOptions, manifest: Manifest, jobs: _Jobs, now: Options
) -> tuple[dict[str, Outcome], list[Task]]:
    """Each job of this shard: up to date (an outcome) or to build (a task)."""
    outcomes: dict[str, Outcome] = {}
    tasks: list[Task] = []
    mine = [job for i, job in enumerate(jobs.jobs) if in_shard(i, options.shard)]
    for job in mine:
        record = manifest.records.get(job.id)
        task = decide(job, options.out, record, now, options.force, manifest.stamps)
        if task is None:
            outcomes[job.id] = Outcome(job.id, "skipped", note=_kept_note(manifest, job))
        else:
            tasks.append(task)
    return outcomes, tasks


def _rebuild_from_tree(
    out: Path, dropped: dict[str, Record], listed: set[str], note: str
) -> list[Task]:
    """Tasks for the dropped records of variants no longer listed: each is rebuilt from the
    variant.toml in its own folder (the tree), which is all that is known of it."""
    tasks = []
    for variant_id, record in sorted(dropped.items()):
        if variant_id in listed:
            continue  # its job is decided like any other (there is no record now)
        folder = safe_folder(variant_id)
        found = _Variant(out / folder, None)
        if found.problem or not found.present:
            continue  # nothing to rebuild from: the report's note says the record went
        text = found.text()
        job = Job(variant_id, folder, record.name, record.seed, text)
        reason = f"its record in {mf.MANIFEST} named another folder; rebuilt from {folder}/"
        tasks.append(Task(job, text, reason, note, None))
    return tasks


def _kept_note(manifest: Manifest, job: Job) -> str:
    record = manifest.records.get(job.id)
    return "kept the earlier hand edit of variant.toml" if record and record.hand_edited else ""


def _build_all(
    options: BatchOptions,
    manifest: Manifest,
    tasks: list[Task],
    now: Options,
    lock_fd: int,
    outcomes: dict[str, Outcome],
    progress_stream: TextIO,
) -> BaseException | None:
    """Build the tasks in forked workers; return the interrupt that stopped them, if any."""
    _warm_caches(options)
    progress = Progress(len(tasks), progress_stream)

    def finished(done: Finished) -> None:
        task = tasks[done.index]
        job = task.job
        if done.error:
            outcome = Outcome(job.id, "failed", task.reason, error=done.error, note=task.note)
        else:
            outcome = _record_and_swap(options.out, manifest, task, done.result)
        outcomes[job.id] = outcome
        progress.update(outcome)

    jobs = options.jobs or os.cpu_count() or 1
    started: set[int] = set()
    try:
        run_forked(
            tasks,
            lambda task: build_task(task, options.out, options, now),
            jobs,
            finished,
            close_in_child=lock_fd,
            on_start=started.add,
        )
    except (KeyboardInterrupt, Terminated) as exc:  # the workers are stopped already
        for index, task in enumerate(tasks):
            if task.job.id not in outcomes:
                status = "stopped" if index in started else "not started"
                outcomes[task.job.id] = Outcome(task.job.id, status, task.reason)
        return exc
    return None


def _record_and_swap(out: Path, manifest: Manifest, task: Task, record: Record) -> Outcome:
    """Record a finished build in the manifest, then swap its folder in (SIGINT and SIGTERM
    wait until both are done). A failure to write either (a full disk) is this variant's
    failure, named with its file: the manifest keeps the previous record, the folder stays."""
    job = task.job
    stage = record.folder
    previous = manifest.records.get(job.id)
    manifest.records[job.id] = replace(record, folder=job.folder)
    with signals_held():
        try:
            manifest.save(out)  # first the record (with what it replaces), then the swap
        except OSError as exc:
            _restore(manifest, job.id, previous)
            shutil.rmtree(out / stage, ignore_errors=True)
            return Outcome(job.id, "failed", task.reason, error=_os_error(exc), note=task.note)
        try:
            _swap_in(out, stage, job.folder)
            _know(out, manifest, job.folder, manifest.records[job.id])
        except OSError as exc:
            _restore(manifest, job.id, previous)
            shutil.rmtree(out / stage, ignore_errors=True)
            error = _os_error(exc)
            try:
                manifest.save(out)
            except OSError as again:
                error += f"; and {mf.MANIFEST} could not be restored: {_os_error(again)}"
            return Outcome(job.id, "failed", task.reason, error=error, note=task.note)
    return Outcome(job.id, "built", task.reason, note=task.note)


def _know(out: Path, manifest: Manifest, folder: str, record: Record) -> None:
    """The stamps of a folder just swapped in (so that the next rerun hashes none of it)."""
    for name, sha in [*record.outputs.items(), ("variant.toml", record.variant)]:
        manifest.stamps.know(f"{folder}/{name}", out / folder / name, sha)


def _restore(manifest: Manifest, variant_id: str, previous: Record | None) -> None:
    if previous is None:
        manifest.records.pop(variant_id, None)
    else:
        manifest.records[variant_id] = previous


def _os_error(exc: OSError) -> str:
    """An OSError as 'No space left on device: FILE'."""
    text = exc.strerror or str(exc)
    return f"{text}: {exc.filename}" if exc.filename else text


def _warm_caches(options: BatchOptions) -> None:
    """Before the workers fork: the shared work of each problem of the batch's assignment
    (derivations), the preamble's format, made from the default variant of that assignment
    (so that the workers do not all make them at once)."""
    from solgen.document.build import own_preamble, render_documents, solve
    from solgen.document.compile import precompile
    from solgen.document.variant import ASSIGNMENT, build_variant

    for placed in options.assignment:
        placed.problem.warm()
    if options.pdf and own_preamble(options.template_dir):
        table = assignment_table(options.assignment)
        default = build_variant({} if table is None else {ASSIGNMENT: table})
        texts = render_documents(default, solve(default), options.template_dir)
        precompile(texts["solution"], options.timeout)
