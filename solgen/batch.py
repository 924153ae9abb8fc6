"""Many variants at once: a roster or seeds in, one folder each, reruns that tell the truth.

A batch directory holds one folder a variant (a student of a roster, or a seed of a practice
set) and manifest.json, which records for each the variant file built from, the options, and
the hashes of what the build wrote. A rerun compares: it rebuilds exactly the variants whose
inputs changed or whose outputs are missing or damaged, says which and why, and keeps a
variant.toml that was edited by hand. Each variant is built in a staging folder and swapped
into place whole, so variant.toml never stands beside results it did not make.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from solgen import manifest as mf
from solgen.compile import DEFAULT_TIMEOUT, require_tex
from solgen.errors import InvalidInput, Terminated
from solgen.files import (
    atomic_write,
    exclusive,
    remove_leftover_scratch,
    replace_dir,
    scratch_dir,
)
from solgen.generate import Shape, apply_sets, class_draws, student_variant_text, to_toml, variant
from solgen.manifest import Manifest, Options, Record, sha256_text
from solgen.pool import Finished, run_forked
from solgen.roster import Student, read_roster


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
    shape: Shape = field(default_factory=Shape)
    timeout: float = DEFAULT_TIMEOUT
    template_dir: Path | None = None


@dataclass(frozen=True)
class Job:
    """One variant the batch should hold: whose it is and the variant.toml solgen makes for it."""

    id: str
    folder: str
    name: str  # '' for a seeded variant
    seed: int | None  # a seeded variant's seed; None for a student
    generated: str


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
    status: str  # "built", "skipped" (up to date), "failed", "not started", "kept" (off roster)
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
    interrupted: BaseException | None = None

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


def seeded_jobs(options: BatchOptions) -> list[Job]:
    """Every variant of a seeded batch (all shards): the same file as `solgen variant --seed`."""
    everything = replace(options, shard=(1, 1))
    jobs = []
    for variant_id, seed in plan(everything):
        data = variant(seed, options.shape)
        apply_sets(data, options.sets)
        comment = f"solgen variant --seed {seed}: a random, well-posed variant of the assignment."
        jobs.append(Job(variant_id, variant_id, "", seed, to_toml(data, comment)))
    return jobs


def roster_jobs(
    students: Sequence[Student], key: bytes, options: BatchOptions, built: set[str]
) -> list[Job]:
    """Every student's variant, drawn from HMAC(key, id), no two sharing a problem's data.

    Students already built in the directory draw first (so that adding a student never changes
    a variant already handed out), then the others; each group in the order of their HMACs,
    which does not depend on the roster's row order.
    """
    from solgen.coursekey import student_seed

    seeds = {s.id: student_seed(key, s.id) for s in students}
    order = sorted(students, key=lambda s: (s.id not in built, seeds[s.id]))
    draws = dict(
        zip(
            [s.id for s in order],
            class_draws([seeds[s.id] for s in order], options.shape),
            strict=True,
        )
    )
    return [
        Job(
            s.id,
            s.folder,
            s.name,
            None,
            student_variant_text(
                seeds[s.id], s.id, s.name, draws[s.id], options.shape, options.sets
            ),
        )
        for s in students
    ]


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def decide(job: Job, out: Path, record: Record | None, now: Options, force: bool) -> Task | None:
    """Whether a job needs building, from which variant text, and why (None: up to date)."""
    folder = out / job.folder
    current = _read_text(folder / "variant.toml")
    previous = record.variant if record else None
    if current is None:
        new = record is None and not folder.exists()
        return Task(job, job.generated, "new" if new else "variant.toml is missing", "", previous)
    current_sha = sha256_text(current)
    if record is None:
        if current == job.generated:
            return Task(job, current, "no record of its build", "", None)
        note = "variant.toml differs from the generated one and has no record: kept as a hand edit"
        return Task(job, current, "no record of its build", note, None)
    if current_sha not in (record.variant, record.replaces):
        return Task(job, current, "variant.toml was edited by hand", "kept the hand edit", previous)
    keep_edit = record.hand_edited and current_sha == record.variant
    text = current if keep_edit else job.generated
    note = "kept the earlier hand edit of variant.toml" if keep_edit else ""
    reasons = ["--force"] if force else []
    if current_sha != record.variant:
        reasons.append("an earlier rebuild was interrupted")
    elif sha256_text(text) != record.variant:
        reasons.append("its variant changed")
    reasons += now.changes(record.options)
    damaged = record.damaged(folder, now.pdf)
    if damaged and current_sha == record.variant:
        reasons.append(f"missing or damaged: {', '.join(damaged)}")
    if not reasons:
        return None
    return Task(job, text, "; ".join(reasons), note, previous)


def build_task(task: Task, out: Path, options: BatchOptions, now: Options) -> Record:
    """Build one variant in a staging folder in DIR (a worker's job); returns its record.

    The record's folder is the staging folder's name until the parent, which alone writes the
    manifest, records it under the variant's own folder and swaps the folder in (_swap_in).
    """
    from solgen.build import BuildOptions, build
    from solgen.tomlinput import parse_toml
    from solgen.variant import build_variant

    job = task.job
    variant_obj = build_variant(parse_toml(task.text, f"{job.folder}/variant.toml"))
    stage = scratch_dir(out, f"stage-{job.folder}")
    try:
        report = build(
            variant_obj,
            BuildOptions(
                out_dir=stage,
                pdf=options.pdf,
                template_dir=options.template_dir,
                timeout=options.timeout,
                key_block=True,
            ),
        )
        atomic_write(stage / "variant.toml", task.text)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)  # a failure leaves no trace in DIR
        raise
    outputs = {name: mf.file_sha(stage / name) or "" for name in mf.output_names(options.pdf)}
    return Record(
        name=job.name,
        folder=stage.name,  # the parent renames the stage to job.folder
        seed=job.seed,
        variant=sha256_text(task.text),
        generated=sha256_text(job.generated),
        replaces=task.replaces,
        options=now,
        outputs=outputs,
        key_tex=report.key_block,
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


def _identity(options: BatchOptions) -> tuple[str, str, list[Student] | None, bytes | None]:
    """The batch's kind, key fingerprint, roster and key (InvalidInput before any writing)."""
    if options.roster is None:
        return "seeded", "", None, None
    from solgen.coursekey import fingerprint, read_key

    if options.key is None:
        raise InvalidInput(["--roster needs --key FILE (make one with: solgen key -o FILE)"])
    key = read_key(options.key)
    students = read_roster(options.roster)
    if not students:
        raise InvalidInput([f"--roster {options.roster}: no students (only a header row)"])
    return "roster", fingerprint(key), students, key


def _check_variants(tasks: list[Task], out: Path) -> None:
    """Every variant to build is valid, or InvalidInput before any is built.

    A bad --set makes every generated variant invalid the same way: one message names them all.
    """
    from solgen.tomlinput import parse_toml
    from solgen.variant import build_variant

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
        raise InvalidInput(lines[:20])


def run_batch(options: BatchOptions, progress_stream: TextIO | None = None) -> BatchReport:
    """Build every variant of this shard that needs it, then the class's answer keys and PDFs.

    progress_stream: default sys.stderr as it is now (not at import: pytest swaps it).
    """
    progress_stream = progress_stream or sys.stderr
    start = time.perf_counter()
    kind, fingerprint, students, key = _identity(options)
    if options.pdf:
        require_tex()
    if options.out.exists() and not options.out.is_dir():
        raise InvalidInput([f"--out: {options.out} exists and is not a directory"])
    now = Options(
        pdf=options.pdf,
        templates=mf.templates_digest(options.template_dir),
        solgen=mf.solgen_digest(),
    )
    options.out.mkdir(parents=True, exist_ok=True)
    with exclusive(options.out) as lock_fd:
        remove_leftover_scratch(options.out)
        manifest = _open_manifest(options, kind, fingerprint)
        if students is not None and key is not None:
            jobs = roster_jobs(students, key, options, built=set(manifest.records))
        else:
            jobs = seeded_jobs(options)
        report = _run_locked(options, manifest, jobs, now, lock_fd, progress_stream)
    report.seconds = time.perf_counter() - start
    return report


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


def _run_locked(
    options: BatchOptions,
    manifest: Manifest,
    jobs: list[Job],
    now: Options,
    lock_fd: int,
    progress_stream: TextIO,
) -> BatchReport:
    from solgen import classfiles

    manifest.expected = [job.id for job in jobs]
    manifest.plan = sha256_text(repr((options.sets, options.shape)))
    mine = [job for i, job in enumerate(jobs) if in_shard(i, options.shard)]
    outcomes: dict[str, Outcome] = {}
    tasks: list[Task] = []
    for job in mine:
        task = decide(job, options.out, manifest.records.get(job.id), now, options.force)
        if task is None:
            outcomes[job.id] = Outcome(job.id, "skipped", note=_kept_note(manifest, job))
        else:
            tasks.append(task)
    listed = {job.id for job in jobs}
    off_list = (
        "not on the roster: kept as built"
        if manifest.kind == "roster"
        else "not among this batch's seeds: kept as built"
    )
    for student_id in manifest.records:
        if student_id not in listed:
            outcomes[student_id] = Outcome(student_id, "kept", note=off_list)
    _check_variants(tasks, options.out)
    report = BatchReport(outcomes=[])
    if tasks:
        report.interrupted = _build_all(
            options, manifest, tasks, now, lock_fd, outcomes, progress_stream
        )
    report.outcomes = [outcomes[i] for i in sorted(outcomes)]
    complete = report.interrupted is None
    report.class_report = classfiles.finish(
        options.out, manifest, options.timeout, pdf=complete and options.pdf
    )
    report.combined = [options.out / f"{name}.pdf" for name in classfiles.COMBINED.values()]
    return report


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
            record: Record = done.result
            stage = record.folder
            manifest.records[job.id] = replace(record, folder=job.folder)
            manifest.save(options.out)  # first the record (with what it replaces), then the swap
            _swap_in(options.out, stage, job.folder)
            outcome = Outcome(job.id, "built", task.reason, note=task.note)
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


def _warm_caches(options: BatchOptions) -> None:
    """Before the workers fork: derive problem 1 for every activation, make the preamble's
    format (so that the workers do not all make it at once)."""
    from solgen.build import own_preamble, render_documents, solve
    from solgen.compile import precompile
    from solgen.problems import p1_network
    from solgen.variant import ACTIVATIONS, load_variant

    for activation in ACTIVATIONS:
        p1_network.derive(activation)
    if options.pdf and own_preamble(options.template_dir):
        default = load_variant(None)
        texts = render_documents(default, solve(default), options.template_dir)
        precompile(texts["solution"], options.timeout)
