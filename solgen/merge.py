"""Merge the directories of a batch's shards into the directory the unsharded batch makes."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from solgen import classfiles
from solgen import manifest as mf
from solgen.compile import DEFAULT_TIMEOUT, SCRATCH_PREFIX, require_tex
from solgen.errors import InvalidInput
from solgen.files import exclusive, replace_dir
from solgen.manifest import Manifest, Record


def _load_shard(shard: Path) -> Manifest:
    if not shard.is_dir():
        raise InvalidInput([f"merge: {shard} is not a directory"])
    found = mf.load(shard)
    if found is None:
        raise InvalidInput([f"merge: {shard} has no {mf.MANIFEST} (is it a batch directory?)"])
    return found


def _check_files(shard: Path, variant_id: str, record: Record) -> list[str]:
    """The files of one variant in a shard that differ from the shard's manifest."""
    folder = shard / record.folder
    problems = []
    if mf.file_sha(folder / "variant.toml") != record.variant:
        problems.append(f"merge: {folder}/variant.toml differs from {shard}/{mf.MANIFEST}")
    for name in record.damaged(folder, pdf=all(n in record.outputs for n in mf.PDF_OUTPUTS)):
        problems.append(
            f"merge: {folder}/{name} is missing or differs from {shard}/{mf.MANIFEST} "
            f"(rerun that shard's batch to repair it)"
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
        for field, ours, theirs in (
            ("kind", first.kind, found.kind),
            ("course key", first.key, found.key),
            ("list of variants", first.expected, found.expected),
        ):
            if ours != theirs:
                problems.append(
                    f"merge: {shard} and {first_shard} are shards of different "
                    f"batches (their {field} differs)"
                )
    if problems:
        raise InvalidInput(problems)
    merged = Manifest(kind=first.kind, key=first.key, expected=list(first.expected))
    where: dict[str, Path] = {}
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
            problems += _check_files(shard, variant_id, record)
            merged.records[variant_id] = record
            where[variant_id] = shard
    options = {r.options for r in merged.records.values()}
    if len(options) > 1:
        problems.append(
            "merge: the shards were built with different options (solgen version, "
            "templates or --no-pdf); rerun them alike"
        )
    missing = [i for i in merged.expected if i not in merged.records]
    if missing:
        m = max(found.shard[1] for _, found in loaded)
        index = {variant_id: i for i, variant_id in enumerate(merged.expected)}
        shard_of = sorted({index[i] % m + 1 for i in missing})
        listed = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        problems.append(
            f"merge: {len(missing)} variants of the batch are in no shard: {listed} "
            f"(shard {', '.join(f'{k}/{m}' for k in shard_of)}; merge its directory too)"
        )
    extra = [i for i in merged.records if i not in set(merged.expected)]
    if extra:
        problems.append(
            f"merge: variants that are not in the batch: {', '.join(sorted(extra)[:10])}"
        )
    if problems:
        raise InvalidInput(problems[:20])
    return merged, where


def merge(out: Path, shards: list[Path], timeout: float = DEFAULT_TIMEOUT) -> int:
    """Merge shards into out (all of it or nothing); returns the number of variants."""
    if out.exists() and not out.is_dir():
        raise InvalidInput([f"--out: {out} exists and is not a directory"])
    if out.is_dir() and any(out.iterdir()) and not (out / mf.MANIFEST).exists():
        raise InvalidInput([f"--out: {out} is neither empty nor a batch directory"])
    merged, where = gather(shards)
    pdf = bool(merged.records) and all(
        all(n in r.outputs for n in mf.PDF_OUTPUTS) for r in merged.records.values()
    )
    if pdf:
        require_tex()
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}merge-", dir=out.parent))
    try:
        for variant_id, record in merged.records.items():
            shutil.copytree(where[variant_id] / record.folder, stage / record.folder)
        classfiles.finish(stage, merged, timeout, pdf=pdf)
        if out.is_dir():
            with exclusive(out):
                replace_dir(out, stage)
        else:
            os.replace(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return len(merged.records)
