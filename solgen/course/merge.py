"""Merge the directories of a batch's shards into the directory the unsharded batch makes."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from solgen.base.errors import InvalidInput
from solgen.base.files import (
    check_writable,
    exclusive,
    interrupted_from_now,
    locked_scratch_dir,
    remove_unlocked_scratch,
    replace_dir,
    shared,
    signals_held,
)
from solgen.course import classfiles
from solgen.course import manifest as mf
from solgen.course.manifest import Manifest, Options, Record
from solgen.course.roster import safe_folder
from solgen.document.compile import DEFAULT_TIMEOUT, CompileError, require_tex


def _load_shard(shard: Path) -> Manifest:
    if not shard.is_dir():
        raise InvalidInput([f"merge: {shard} is not a directory"])
    found = mf.load(shard)
    if found is None:
        raise InvalidInput([f"merge: {shard} has no {mf.MANIFEST} (is it a batch directory?)"])
    return found


def _check_files(shard: Path, variant_id: str, record: Record) -> list[str]:
    """The files of one variant in a shard that differ from the shard's manifest, each named
    with the manifest's field that holds its hash."""
    folder = shard / record.folder
    where = f"{shard}/{mf.MANIFEST}: students.{variant_id}"
    if not folder.is_dir():  # one message, not one a file
        return [
            f"merge: {where}.folder: {folder} is missing (rerun that shard's batch to repair it)"
        ]
    # options.pdf, not the hashes present, says whether PDFs belong: a record that lost a
    # PDF's hash must not quietly make a merge without PDFs.
    names = mf.output_names(record.options.pdf, mf.recorded_data(record.outputs))
    checks: list[tuple[str, str, str | None]] = [("variant", "variant.toml", record.variant)]
    checks += [(f"outputs.{name}", name, record.outputs.get(name)) for name in names]
    problems = []
    for field, name, expected in checks:
        if expected is None:
            problem = "missing"
        elif mf.file_sha(folder / name) == expected:
            continue
        elif (folder / name).is_file():
            problem = f"{folder}/{name} differs from it"
        else:
            problem = f"{folder}/{name} is missing"
        problems.append(
            f"merge: {where}.{field}: {problem} (rerun that shard's batch to repair it)"
        )
    return problems


def gather(shards: list[Path]) -> tuple[Manifest, dict[str, Path]]:
    """The merged manifest and, for each variant, the shard holding it; InvalidInput when the
    shards are not exactly the whole of one batch."""
    seen: dict[Path, Path] = {}
    for shard in shards:
        real = shard.resolve()
        if real in seen:
            raise InvalidInput([f"merge: {shard} is given twice (also as {seen[real]})"])
        seen[real] = shard
    loaded = [(shard, _load_shard(shard)) for shard in shards]
    first_shard, first = loaded[0]
    problems: list[str] = []
    for shard, found in loaded[1:]:
        for field, what, ours, theirs in (
            ("kind", "a roster batch and a practice set", first.kind, found.kind),
            ("key", "another course key", first.key, found.key),
            ("expected", "another roster or count", first.expected, found.expected),
            ("plan", "--set values, the assignment or its draw options", first.plan, found.plan),
            ("lms", "another roster", first.lms, found.lms),
        ):
            if ours != theirs:
                problems.append(
                    f"merge: {shard}/{mf.MANIFEST}: {field}: differs from "
                    f"{first_shard}/{mf.MANIFEST}: the shards are of different batches ({what})"
                )
    if problems:
        raise InvalidInput(problems)
    merged = Manifest(
        kind=first.kind,
        key=first.key,
        expected=list(first.expected),
        plan=first.plan,
        lms=dict(first.lms),
    )
    where: dict[str, Path] = {}
    # The first variant seen with each options, and using each folder (lower case, as
    # roster.py compares them): two variants copied into one folder would clash.
    by_options: dict[Options, tuple[Path, str]] = {}
    by_folder: dict[str, tuple[Path, str]] = {}
    for shard, found in loaded:
        for variant_id, record in found.records.items():
            if variant_id in where:
                problems.append(
                    f"merge: variant {variant_id} is in both {where[variant_id]} and {shard}"
                    + (
                        " (and differs between them)"
                        if merged.records[variant_id] != record
                        else ""
                    )
                )
                continue
            if record.folder != safe_folder(variant_id):
                problems.append(
                    f"merge: {shard}/{mf.MANIFEST}: students.{variant_id}.folder: expected "
                    f"{safe_folder(variant_id)}, found {record.folder} {RERUN}"
                )
            other_shard, other_id = by_folder.setdefault(record.folder.lower(), (shard, variant_id))
            if other_id != variant_id:
                problems.append(
                    f"merge: {shard}/{mf.MANIFEST}: students.{variant_id}.folder: "
                    f"{record.folder} is the folder of {other_id} too "
                    f"(in {other_shard}/{mf.MANIFEST})"
                )
            problems += _check_files(shard, variant_id, record)
            merged.records[variant_id] = record
            where[variant_id] = shard
            by_options.setdefault(record.options, (shard, variant_id))
    seen_options = list(by_options.items())
    for options, (shard, variant_id) in seen_options[1:]:
        reference, (our_shard, our_id) = seen_options[0]
        for name in ("pdf", "templates", "solgen"):
            if getattr(options, name) != getattr(reference, name):
                problems.append(
                    f"merge: {shard}/{mf.MANIFEST}: students.{variant_id}.options.{name}: "
                    f"differs from students.{our_id}.options.{name} in {our_shard}/{mf.MANIFEST}"
                    f" (the shards were built with different solgen versions, templates or "
                    f"--no-pdf; rerun them alike)"
                )
    missing = [i for i in merged.expected if i not in merged.records]
    if missing:
        m = max(found.shard[1] for _, found in loaded)
        index = {variant_id: i for i, variant_id in enumerate(merged.expected)}
        shard_of = sorted({index[i] % m + 1 for i in missing})
        listed = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        count = (
            "1 variant of the batch is"
            if len(missing) == 1
            else f"{len(missing)} variants of the batch are"
        )
        problems.append(
            f"merge: {count} in no shard: {listed} (shard "
            f"{', '.join(f'{k}/{m}' for k in shard_of)}; merge "
            f"{'its directory' if len(shard_of) == 1 else 'their directories'} too)"
        )
    if problems:
        raise InvalidInput(problems)  # the command line caps them (messages.capped)
    return merged, where


RERUN = "(rerun that shard's batch to repair it)"


def merge(out: Path, shards: list[Path], timeout: float = DEFAULT_TIMEOUT) -> int:
    """Merge shards into out (all of it or nothing); returns the number of variants.

    Each shard is read under a shared lock (a batch still writing into one is refused, not
    copied half done). The merge works in a scratch folder beside out, locked while in use:
    the folder of a killed merge is unlocked, and the next merge beside out removes it.
    out is replaced in one step (replace_dir), with SIGINT and SIGTERM held.
    """
    if out.exists() and not out.is_dir():
        raise InvalidInput([f"--out: {out} exists and is not a directory"])
    if out.is_dir() and any(out.iterdir()) and not (out / mf.MANIFEST).exists():
        raise InvalidInput([f"--out: {out} is neither empty nor a batch directory"])
    with contextlib.ExitStack() as work:  # the locked scratch folder, removed at the end
        with contextlib.ExitStack() as locks:  # the shards, while they are read and copied
            for shard in shards:
                locks.enter_context(shared(shard, "merge"))
            merged, where = gather(shards)
            pdf = bool(merged.records) and all(r.options.pdf for r in merged.records.values())
            if pdf:
                require_tex()
            parent = out.parent
            if not parent.is_dir():
                check_writable(_existing(parent), "--out")
                parent.mkdir(parents=True, exist_ok=True)
            check_writable(parent, "--out")
            remove_unlocked_scratch(parent, "merge")
            scratch = work.enter_context(locked_scratch_dir(parent, "merge"))
            work.callback(shutil.rmtree, scratch, ignore_errors=True)
            stage = _copy_in(scratch, merged, where)
        _finish(out, stage, merged, timeout, pdf)
    return len(merged.records)


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _copy_in(scratch: Path, merged: Manifest, where: dict[str, Path]) -> Path:
    """Every variant's folder copied into scratch/out."""
    stage = scratch / "out"
    stage.mkdir()  # mkdir, not mkdtemp's 0700: the mode a batch directory gets
    for variant_id, record in merged.records.items():
        shutil.copytree(where[variant_id] / record.folder, stage / record.folder)
    return stage


def _finish(out: Path, stage: Path, merged: Manifest, timeout: float, pdf: bool) -> None:
    """The class files made in the stage, then the stage put in out's place in one step."""
    try:
        classfiles.finish(stage, merged, timeout, pdf=pdf)
    except CompileError as exc:
        # The log the message points to is in the stage, which goes: keep it beside out.
        kept = out.parent / exc.scratch.name
        os.replace(exc.scratch, kept)
        raise CompileError(str(exc), kept / exc.log.name, kept, exc.timed_out) from None
    with signals_held():
        if out.is_dir():
            with exclusive(out):
                replace_dir(out, stage)
        else:
            os.replace(stage, out)
        interrupted_from_now(f"interrupted after the merge had finished; {out} is complete")
