"""A batch's manifest: each variant's inputs and output hashes, so that reruns tell the truth."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from solgen import __version__
from solgen.base.errors import InvalidInput
from solgen.base.files import NotReadable, atomic_write, open_regular, read_regular
from solgen.base.messages import abbreviated
from solgen.course.roster import LMS_COLUMNS, MAX_IDENTITY, Identity

MANIFEST = "manifest.json"
FORMAT = "solgen-batch-manifest/1"
# Reads of a batch directory's files are bounded: a manifest of 30,000 students is about
# 60 MB, the results.json of the largest accepted network about 5 MB.
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
MAX_RESULTS_BYTES = 64 * 1024 * 1024
TEX_OUTPUTS = ("results.json", "solution.tex", "assignment.tex")
PDF_OUTPUTS = ("solution.pdf", "assignment.pdf")


DATA_PREFIX = "data/"  # the data files' folder (datafiles.DATA_DIR), whose names vary by problem


def output_names(pdf: bool, data: Iterable[str] = ()) -> list[str]:
    """Every file a build writes (paths relative to its folder): the .tex files and
    results.json, the data files named, the PDFs only when pdf."""
    return [*TEX_OUTPUTS, *data, *(PDF_OUTPUTS if pdf else ())]


def recorded_data(outputs: Iterable[str]) -> list[str]:
    """The data files among a record's outputs, in its order."""
    return [name for name in outputs if name.startswith(DATA_PREFIX)]


def sha256_bytes(data: bytes) -> str:
    """The hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """The hex SHA-256 of text written as UTF-8 (as atomic_write writes it)."""
    return sha256_bytes(text.encode("utf-8"))


def file_sha(path: Path) -> str | None:
    """The hex SHA-256 of a regular file's bytes, or None when it is none or cannot be read
    (a symbolic link, a FIFO, a device are never opened for reading)."""
    try:
        fd, _ = open_regular(path)
    except NotReadable:
        return None
    digest = hashlib.sha256()
    try:
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return digest.hexdigest()


Stamp = tuple[int, int, int]  # size, mtime in ns, inode: what a no-op rerun compares


def stamp(path: Path) -> Stamp | None:
    """A regular file's size, modification time and inode (lstat), or None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)


MAX_STAMPS_BYTES = 64 * 1024 * 1024


class Stamps:
    """The SHA-256 of a batch directory's files by their stamps, so that a rerun hashes only
    the files whose size, mtime or inode changed (and generates nothing it made before).

    A cache, kept outside the directory (in solgen's cache folder, one file a directory by
    its real path): manifest.json stays what it is (a merge's equals the unsharded batch's,
    byte for byte), a read-only directory needs no write, and deleting the cache only makes
    the next rerun hash everything again. An entry is trusted only while the file's stamp
    is the one it was hashed with; like any cache of the user's, it is the user's to keep.
    """

    def __init__(self, directory: Path | None) -> None:
        self.files: dict[str, tuple[int, int, int, str]] = {}
        self.values: dict[str, str] = {}
        self.path: Path | None = None
        self.directory = ""
        self.dirty = False
        if directory is None:
            return
        from solgen.base.cache import cache_dir

        root = cache_dir()
        if root is None:
            return
        self.directory = str(directory.resolve())
        where = sha256_text(self.directory)[:32]
        self.path = root / "reruns" / f"{where}.json"
        try:
            data = json.loads(read_regular(self.path, MAX_STAMPS_BYTES))
        except (NotReadable, ValueError, RecursionError):
            return
        if not isinstance(data, dict) or data.get("directory") != str(directory.resolve()):
            return
        files, values = data.get("files"), data.get("values")
        if isinstance(files, dict):
            for name, entry in files.items():
                if (
                    isinstance(entry, list)
                    and len(entry) == 4
                    and all(type(v) is int for v in entry[:3])
                    and isinstance(entry[3], str)
                ):
                    self.files[name] = (entry[0], entry[1], entry[2], entry[3])
        if isinstance(values, dict):
            self.values = {k: v for k, v in values.items() if isinstance(v, str)}

    def sha(self, name: str, path: Path) -> str | None:
        """The file's SHA-256 (None: not a regular file): the cached one while its stamp is
        the same, else hashed now (and remembered)."""
        now = stamp(path)
        if now is None:
            return None
        entry = self.files.get(name)
        if entry is not None and entry[:3] == now:
            return entry[3]
        actual = file_sha(path)
        if actual is not None and stamp(path) == now:
            self.files[name] = (*now, actual)
            self.dirty = True
        return actual

    def unchanged(self, name: str, path: Path, sha: str | None) -> bool:
        """Whether the file holds the bytes of this SHA-256 (hashing only if its stamp
        changed; another size than when it held them is a change, seen without reading)."""
        if sha is None:
            return False
        entry = self.files.get(name)
        now = stamp(path)
        if now is None:
            return False
        if entry is not None and entry[3] == sha and entry[0] != now[0]:
            return False
        return self.sha(name, path) == sha

    def current(self, names: dict[str, Path]) -> bool:
        """Whether every named file has the stamp it was last hashed with."""
        return all(
            (entry := self.files.get(name)) is not None and entry[:3] == stamp(path)
            for name, path in names.items()
        )

    def know(self, name: str, path: Path, sha: str) -> None:
        """Remember a file just written by this process, whose hash is known."""
        now = stamp(path)
        if now is not None and self.files.get(name) != (*now, sha):
            self.files[name] = (*now, sha)
            self.dirty = True

    def set(self, key: str, value: str) -> None:
        if self.values.get(key) != value:
            self.values[key] = value
            self.dirty = True

    def save(self) -> None:
        """Write the cache if it changed; a cache that cannot be written is not used."""
        if not self.dirty or self.path is None:
            return
        data = {
            "directory": self.directory,
            "files": {k: list(v) for k, v in sorted(self.files.items())},
            "values": self.values,
        }
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(data))
            _prune(self.path.parent)
        self.dirty = False


STAMPS_KEPT_DAYS = 30  # an entry for a directory not rerun for this long is deleted


def _prune(folder: Path) -> None:
    """Delete the stamp files of directories not rerun for STAMPS_KEPT_DAYS (or gone)."""
    import time

    old = time.time() - STAMPS_KEPT_DAYS * 86400
    for entry in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime < old:
                entry.unlink()


@lru_cache(maxsize=1)
def solgen_digest() -> str:
    """solgen's version and a hash of its own source and templates: what a build depends on."""
    digest = hashlib.sha256(__version__.encode())
    for package in ("solgen", "solgen.templates"):  # templates/ sits beside solgen/ in a checkout
        root = Path(str(resources.files(package)))
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".j2", ".toml") and "__pycache__" not in path.parts:
                digest.update(f"{package}/{path.relative_to(root)}".encode() + b"\0")
                digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def templates_digest(template_dir: Path | None) -> str:
    """A hash of every file in a --templates directory (names and contents); '' for none."""
    if template_dir is None:
        return ""
    digest = hashlib.sha256()
    for path in sorted(template_dir.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(template_dir)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


@dataclass(frozen=True)
class Options:
    """The inputs of a build besides its variant: they decide its outputs too."""

    pdf: bool
    templates: str  # templates_digest
    solgen: str  # solgen_digest

    def changes(self, before: Options) -> list[str]:
        """What changed since a build made with `before` (PDFs count only when newly asked for)."""
        changed = []
        if self.solgen != before.solgen:
            old, new = before.solgen.split("+")[0], self.solgen.split("+")[0]
            changed.append(
                f"solgen changed ({old} -> {new})" if old != new else "solgen's source changed"
            )
        if self.templates != before.templates:
            changed.append("the templates changed")
        if self.pdf and not before.pdf:
            changed.append("PDFs are asked for")
        return changed


@dataclass(frozen=True)
class Record:
    """One variant as built: its variant file, how it was made, and what it wrote."""

    name: str  # the student's name ('' for a seeded variant)
    folder: str  # DIR/<folder>/
    seed: int | None  # a seeded variant's seed; None for a student (never written down)
    variant: str  # sha256 of the variant.toml built from
    generated: str  # sha256 of the variant.toml solgen generated (differs: a kept hand edit)
    replaces: str | None  # sha256 of the variant.toml this build replaced (see batch.py)
    options: Options
    outputs: dict[str, str]  # file name -> sha256

    @property
    def hand_edited(self) -> bool:
        """Whether the variant built from is a hand edit (not what solgen generated)."""
        return self.variant != self.generated

    def damaged(self, out: Path, pdf: bool, stamps: Stamps | None = None) -> list[str]:
        """The outputs (in out/folder) that are missing or differ from the record (PDFs only
        when pdf); hashed only when their stamps changed."""
        stamps = stamps or Stamps(None)
        return [
            name
            for name in output_names(pdf, recorded_data(self.outputs))
            if not stamps.unchanged(
                f"{self.folder}/{name}", out / self.folder / name, self.outputs.get(name)
            )
        ]


@dataclass
class Manifest:
    """All records of a batch directory, and the batch's identity."""

    kind: str  # "roster" or "seeded"
    key: str = ""  # the course key's fingerprint (roster)
    expected: list[str] = field(default_factory=list)  # every id of the whole batch (all shards)
    plan: str = ""  # digest of what shapes every variant (--set, the assignment, draw options)
    shard: tuple[int, int] = (1, 1)
    records: dict[str, Record] = field(default_factory=dict)  # id -> record
    class_inputs: str = ""  # digest of what key.pdf, handout/, solutions/... were made of
    class_outputs: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    # id -> the student's identity in the LMS whose export the roster was (grade --for);
    # kept for students who left the roster, replaced by a roster that gives another
    lms: dict[str, Identity] = field(default_factory=dict)
    # id -> the record of a student withdrawn (batch --withdraw): in no class file, their files
    # in DIR/withdrawn/<folder>/, the record kept for --readmit
    withdrawn: dict[str, Record] = field(default_factory=dict)
    saved: str = field(default="", compare=False, repr=False)  # the text last read or written
    # the cache of file hashes by stamps (never written into manifest.json)
    stamps: Stamps = field(default_factory=lambda: Stamps(None), compare=False, repr=False)

    def to_json(self) -> str:
        """The manifest as JSON text (ids in order)."""
        data = {
            "format": FORMAT,
            "kind": self.kind,
            "key": self.key,
            "expected": self.expected,
            "plan": self.plan,
            "shard": list(self.shard),
            "students": {i: _record_json(r) for i, r in sorted(self.records.items())},
            "class": {
                "inputs": self.class_inputs,
                "outputs": dict(sorted(self.class_outputs.items())),
            },
        }
        if self.lms:  # absent for a roster no LMS wrote: such a manifest is as it always was
            data["lms"] = {
                i: {"from": identity.lms, **dict(identity.cells)}
                for i, identity in sorted(self.lms.items())
            }
        if self.withdrawn:  # only then: a manifest of a class without withdrawals is as it was
            data["withdrawn"] = {i: _record_json(r) for i, r in sorted(self.withdrawn.items())}
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

    def save(self, directory: Path) -> None:
        """Write DIR/manifest.json atomically."""
        text = self.to_json()
        atomic_write(directory / MANIFEST, text)
        self.saved = text

    def save_if_changed(self, directory: Path) -> None:
        """save, unless the file holds this manifest already (a no-op rerun writes nothing)."""
        if self.to_json() != self.saved:
            self.save(directory)


def _record_json(record: Record) -> dict[str, Any]:
    data = asdict(record)
    data["options"] = asdict(record.options)
    return data


def load(directory: Path) -> Manifest | None:
    """DIR/manifest.json, or None when there is none; InvalidInput when it is malformed or
    not a regular file of at most MAX_MANIFEST_BYTES (a link to /dev/zero, a FIFO)."""
    path = directory / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None
    try:
        raw = read_regular(path, MAX_MANIFEST_BYTES)
    except NotReadable as exc:
        why = "" if exc.found != "a directory" else f" ([Errno {errno.EISDIR}] Is a directory)"
        raise InvalidInput(
            [
                f"{path}: not a readable solgen manifest{why}: expected a regular file of at "
                f"most {MAX_MANIFEST_BYTES // 1024 // 1024} MB, found {exc.found}"
            ]
        ) from None
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise InvalidInput([f"{path}: not a readable solgen manifest ({exc})"]) from None
    manifest = parse(data, str(path))
    manifest.saved = text
    return manifest


def parse(data: Any, source: str) -> Manifest:
    """A manifest from its JSON data, every field checked; InvalidInput naming the field."""
    reader = _Reader(source)
    top = reader.table(data, "")
    if top.get("format") != FORMAT:
        reader.fail("format", f"expected {FORMAT!r}, found {_short(top.get('format'))}")
    kind = reader.choice(top, "kind", ("roster", "seeded"))
    key = reader.string(top, "key")
    expected = reader.strings(top, "expected")
    plan = reader.string(top, "plan")
    shard_raw = top.get("shard")
    if (
        not isinstance(shard_raw, list)
        or len(shard_raw) != 2
        or not all(type(v) is int for v in shard_raw)
        or not 1 <= shard_raw[0] <= shard_raw[1]
    ):
        reader.fail("shard", f"expected [K, M] with 1 <= K <= M, found {_short(shard_raw)}")
    students = reader.table(top.get("students"), "students")
    records = {sid: reader.record(raw, f"students.{sid}") for sid, raw in students.items()}
    for sid, record in records.items():
        if kind == "seeded" and record.seed is None:  # answers.csv writes a seeded one's seed
            reader.fail(
                f"students.{sid}.seed", "expected a whole number (a seeded batch), found null"
            )
    klass = reader.table(top.get("class"), "class")
    withdrawn_raw = reader.table(top.get("withdrawn", {}), "withdrawn")
    withdrawn = {sid: reader.record(raw, f"withdrawn.{sid}") for sid, raw in withdrawn_raw.items()}
    for sid in sorted(set(withdrawn) & set(records)):
        reader.fail(f"withdrawn.{sid}", "expected a student not in students, found one in both")
    return Manifest(
        kind=kind,
        key=key,
        expected=expected,
        plan=plan,
        shard=(shard_raw[0], shard_raw[1]),
        records=records,
        class_inputs=reader.string(klass, "inputs", "class."),
        class_outputs=reader.hashes(klass, "outputs", "class."),
        lms=reader.identities(top.get("lms", {})),
        withdrawn=withdrawn,
    )


def _short(value: Any) -> str:
    return abbreviated(json.dumps(value, ensure_ascii=True), 40)


_HEX = frozenset("0123456789abcdef")
_FOLDER = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")  # as roster.safe_folder makes them


class _Reader:
    """Checks one manifest's fields; the first problem raises InvalidInput naming the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> NoReturn:
        raise InvalidInput([f"{self.source}: {where}: {problem}"])

    def table(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where or "the file", f"expected a JSON object, found {_short(value)}")
        return value

    def string(self, table: dict[str, Any], name: str, prefix: str = "") -> str:
        value = table.get(name)
        if not isinstance(value, str):
            self.fail(prefix + name, f"expected a string, found {_short(value)}")
        return value

    def choice(self, table: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
        value = self.string(table, name)
        if value not in choices:
            self.fail(name, f"expected one of {', '.join(choices)}, found {_short(value)}")
        return value

    def strings(self, table: dict[str, Any], name: str) -> list[str]:
        value = table.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, f"expected a list of strings, found {_short(value)}")
        return list(value)

    def sha(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or len(value) != 64 or not set(value) <= _HEX:
            self.fail(where, f"expected a SHA-256 in hex, found {_short(value)}")
        return value

    def hashes(self, table: dict[str, Any], name: str, prefix: str = "") -> dict[str, str]:
        value = self.table(table.get(name), prefix + name)
        return {k: self.sha(v, f"{prefix}{name}.{k}") for k, v in value.items()}

    def identities(self, value: Any) -> dict[str, Identity]:
        """The lms table: id -> {"from": "Canvas" or "Moodle", then that LMS's identity
        columns (LMS_COLUMNS), each a string of at most MAX_IDENTITY characters}."""
        table = self.table(value, "lms")
        found = {}
        for student_id, raw in table.items():
            where = f"lms.{student_id}"
            entry = self.table(raw, where)
            lms = entry.get("from")
            if lms not in LMS_COLUMNS:
                self.fail(f"{where}.from", f"expected Canvas or Moodle, found {_short(lms)}")
            columns = LMS_COLUMNS[lms]
            unknown = sorted(set(entry) - {"from", *columns})
            if unknown:
                self.fail(f"{where}.{unknown[0]}", f"expected one of {', '.join(columns)}")
            cells = []
            for column in columns:
                cell = entry.get(column, "")
                if not isinstance(cell, str) or len(cell) > MAX_IDENTITY:
                    self.fail(
                        f"{where}.{column}",
                        f"expected a string of at most {MAX_IDENTITY} characters, "
                        f"found {_short(cell)}",
                    )
                cells.append((column, cell))
            found[student_id] = Identity(lms, tuple(cells))
        return found

    def record(self, raw: Any, where: str) -> Record:
        table = self.table(raw, where)
        seed = table.get("seed")
        if seed is not None and (type(seed) is not int or seed < 0):
            self.fail(f"{where}.seed", f"expected a whole number or null, found {_short(seed)}")
        replaces = table.get("replaces")
        options = self.table(table.get("options"), f"{where}.options")
        pdf = options.get("pdf")
        if not isinstance(pdf, bool):
            self.fail(f"{where}.options.pdf", f"expected true or false, found {_short(pdf)}")
        folder = self.string(table, "folder", f"{where}.")
        if not _FOLDER.fullmatch(folder):
            self.fail(f"{where}.folder", f"expected a plain folder name, found {_short(folder)}")
        return Record(
            name=self.string(table, "name", f"{where}."),
            folder=folder,
            seed=seed,
            variant=self.sha(table.get("variant"), f"{where}.variant"),
            generated=self.sha(table.get("generated"), f"{where}.generated"),
            replaces=None if replaces is None else self.sha(replaces, f"{where}.replaces"),
            options=Options(
                pdf=bool(pdf),
                templates=self.string(options, "templates", f"{where}.options."),
                solgen=self.string(options, "solgen", f"{where}.options."),
            ),
            outputs=self.hashes(table, "outputs", f"{where}."),
        )
