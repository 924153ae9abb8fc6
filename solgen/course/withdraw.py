"""Withdrawals: a student taken out of every class file, their files kept in DIR/withdrawn/.

`batch --withdraw ID` moves the student's record in manifest.json from `students` to
`withdrawn` and their folder to DIR/withdrawn/<folder>/, with copies of what handout/ and
solutions/ held for them (withdrawn/<folder>/handout/, .../solutions/); the class files are
then remade without them by the same run. `--readmit ID` moves the folder back and the record
with it; the run rebuilds whatever is not up to date.

The manifest decides: a kill between the steps leaves a manifest that says withdrawn (or not)
and folders not yet where it says, and every batch run first moves them there (settle), so a
rerun of the same command finishes the job. No other student's variant changes: a variant
depends on the key and its student's id alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from solgen.base.errors import InvalidInput
from solgen.base.files import (
    atomic_write,
    interrupted_from_now,
    is_real_dir,
    scratch_dir,
    signals_held,
    unmark,
)
from solgen.course.answerkey import collect_answers
from solgen.course.classfiles import HANDOUT, SOLUTIONS
from solgen.course.manifest import Manifest
from solgen.course.roster import Student

if TYPE_CHECKING:  # batch imports this module
    from solgen.course.batch import BatchOptions

WITHDRAWN = "withdrawn"  # DIR/withdrawn/<folder>/: a withdrawn student's files, kept
COPIES = (HANDOUT, SOLUTIONS)  # what the class files held for them, kept beside their folder
CHANGED = (
    "interrupted while withdrawing or re-admitting: manifest.json holds the change, the class "
    "files are as the last complete run left them; rerun the same command to finish"
)


def check(manifest: Manifest, options: BatchOptions, roster: Sequence[Student] | None) -> None:
    """InvalidInput (before anything is written) unless every --withdraw and --readmit id
    can be done: a roster batch, not a shard, ids of students in DIR, re-admitted ones on
    the roster."""
    withdraw, readmit, out = options.withdraw, options.readmit, options.out
    if not withdraw and not readmit:
        return
    option = "--withdraw" if withdraw else "--readmit"
    if roster is None:
        raise InvalidInput([f"{option}: only for a roster batch (--roster), not a practice set"])
    if options.shard != (1, 1):
        raise InvalidInput(
            [f"{option}: not with --shard: withdraw from the merged (or unsharded) directory"]
        )
    problems = [
        f"student {i}'s folder {r.folder}/ is where {WITHDRAWN}/ goes; build the class into a "
        "new directory to withdraw students"
        for i, r in sorted(manifest.records.items())
        if r.folder.lower() == WITHDRAWN
    ]
    on_roster = {s.id for s in roster}
    known = sorted({*manifest.records, *manifest.withdrawn})
    for student_id in dict.fromkeys(withdraw):
        if student_id in readmit:
            problems.append(f"--withdraw {student_id}: also given to --readmit; expected one")
        elif student_id not in known:
            problems.append(_unknown("--withdraw", student_id, out, known))
    for student_id in dict.fromkeys(readmit):
        if student_id in withdraw:
            continue  # said above
        if student_id in manifest.records:
            problems.append(f"--readmit {student_id}: {student_id} is not withdrawn from {out}")
        elif student_id not in manifest.withdrawn:
            problems.append(_unknown("--readmit", student_id, out, known))
        elif student_id not in on_roster:
            problems.append(
                f"--readmit {student_id}: {student_id} is not on the roster {options.roster}; "
                "add them back to it first"
            )
    left = set(manifest.records) - set(withdraw) | (set(readmit) & set(manifest.withdrawn))
    if manifest.records and not left:
        problems.append(
            f"--withdraw: expected a student left in {out}, found none (a class of none has no "
            "class files); withdraw fewer"
        )
    if problems:
        raise InvalidInput(problems)


def _unknown(option: str, student_id: str, out: Path, known: list[str]) -> str:
    """'--withdraw s9: expected a student of DIR (s01, s02, ...), found none with id s9'."""
    shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
    return (
        f"{option} {student_id}: expected a student of {out} ({shown or 'it has none'}), "
        f"found none with id {student_id}"
    )


def apply(
    out: Path, manifest: Manifest, withdraw: Sequence[str], readmit: Sequence[str]
) -> list[str]:
    """Withdraw and re-admit these students (checked already); the lines that say what was
    done. Each step is made so that a kill after it leaves a state settle() finishes."""
    lines = []
    done = []
    for student_id in dict.fromkeys(withdraw):
        if student_id in manifest.withdrawn:
            where = f"{WITHDRAWN}/{manifest.withdrawn[student_id].folder}/"
            lines.append(f"{student_id} is withdrawn already (their files are in {where})")
            continue
        # first the manifest (the decision), then the files (settle moves them)
        manifest.withdrawn[student_id] = manifest.records.pop(student_id)
        with signals_held():
            manifest.save(out)
            interrupted_from_now(CHANGED)
        done.append(student_id)
    settle(out, manifest)
    for student_id in done:
        record = manifest.withdrawn[student_id]
        lines.append(f"withdrew {student_id} ({record.name}): {_kept(out, record.folder)}")
    for student_id in dict.fromkeys(readmit):
        lines.append(_readmit(out, manifest, student_id))
    return lines


def _kept(out: Path, folder: str) -> str:
    """What withdrawn/<folder>/ holds, in words."""
    kept = out / WITHDRAWN / folder
    held = [f"{folder}/"] if (kept / "variant.toml").exists() else []
    if not held and (kept / "results.json").exists():
        held.append(f"their last answers (results.json; {folder}/ had been deleted)")
    held += [f"{name}/{folder}/" for name in COPIES if (kept / name).is_dir()]
    if not held:
        return f"nothing of theirs was left to keep ({folder}/ had been deleted)"
    return f"{_and(held)} kept in {WITHDRAWN}/{folder}/"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _readmit(out: Path, manifest: Manifest, student_id: str) -> str:
    """Move withdrawn/<folder>/ back to DIR/<folder>/ and then the record (a kill in between:
    the manifest still says withdrawn and settle moves the folder back)."""
    record = manifest.withdrawn[student_id]
    kept = out / WITHDRAWN / record.folder
    with signals_held():
        interrupted_from_now(CHANGED)  # from the first rename on
        back = is_real_dir(kept) and not os.path.lexists(out / record.folder)
        if back:
            os.replace(kept, out / record.folder)
        manifest.records[student_id] = manifest.withdrawn.pop(student_id)
        manifest.save(out)
        interrupted_from_now(CHANGED)
    if back:
        for name in COPIES:  # copies of class files, remade by this run
            shutil.rmtree(out / record.folder / name, ignore_errors=True)
        with contextlib.suppress(OSError):
            (out / WITHDRAWN).rmdir()  # when it is empty: the class has no withdrawals
        return (
            f"re-admitted {student_id} ({record.name}): {WITHDRAWN}/{record.folder}/ moved back "
            f"to {record.folder}/"
        )
    return f"re-admitted {student_id} ({record.name}): {record.folder}/ is built anew"


def settle(out: Path, manifest: Manifest) -> None:
    """Put every withdrawn student's files where the manifest says: their folder moved to
    withdrawn/<folder>/ (or, when it was deleted, one made with their last answers), and
    copies of their handout/ and solutions/ folders in it. Idempotent: a run killed half way
    is finished by the next."""
    for student_id, record in sorted(manifest.withdrawn.items()):
        kept = out / WITHDRAWN / record.folder
        own = out / record.folder
        if not os.path.lexists(kept):
            interrupted_from_now(CHANGED)
            (out / WITHDRAWN).mkdir(exist_ok=True)
            if is_real_dir(own):
                os.replace(own, kept)  # one rename: the folder is in one place or the other
            else:
                _kept_answers(out, manifest, student_id, kept)
        if not is_real_dir(kept):
            continue  # not a folder of ours (a file or a link put there): left alone
        for name in COPIES:
            _copy(out / name / record.folder, kept / name)


def _kept_answers(out: Path, manifest: Manifest, student_id: str, kept: Path) -> None:
    """withdrawn/<folder>/ for a student whose folder was deleted: their last answers
    (answers.json's entry, when it is their recorded results.json), else nothing."""
    alone = Manifest(kind=manifest.kind, records={student_id: manifest.withdrawn[student_id]})
    answers = collect_answers(out, alone)
    stage = scratch_dir(out / WITHDRAWN, "kept")
    try:
        if student_id in answers:
            text = json.dumps(answers[student_id], indent=2, ensure_ascii=False) + "\n"
            atomic_write(stage / "results.json", text)
        unmark(stage)
        os.replace(stage, kept)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _copy(source: Path, target: Path) -> None:
    """A copy of source (a student's folder in handout/ or solutions/) at target, made in a
    scratch folder and renamed in; nothing when there is none or target is there."""
    if os.path.lexists(target) or not is_real_dir(source):
        return
    stage = scratch_dir(target.parent, f"copy-{target.name}")
    try:
        shutil.copytree(source, stage / "copy", symlinks=True)
        os.replace(stage / "copy", target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
