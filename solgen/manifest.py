"""A batch's manifest: each variant's inputs and output hashes, so that reruns tell the truth."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from solgen import __version__
from solgen.datafiles import DATA_FILES
from solgen.errors import InvalidInput
from solgen.files import atomic_write

MANIFEST = "manifest.json"
FORMAT = "solgen-batch-manifest/1"
TEX_OUTPUTS = ("results.json", "solution.tex", "assignment.tex")
PDF_OUTPUTS = ("solution.pdf", "assignment.pdf")


def output_names(pdf: bool) -> list[str]:
    """Every file a build writes (paths relative to its folder), PDFs only when pdf."""
    return [*TEX_OUTPUTS, *DATA_FILES, *(PDF_OUTPUTS if pdf else ())]


def sha256_bytes(data: bytes) -> str:
    """The hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """The hex SHA-256 of text written as UTF-8 (as atomic_write writes it)."""
    return sha256_bytes(text.encode("utf-8"))


def file_sha(path: Path) -> str | None:
    """The hex SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        return sha256_bytes(path.read_bytes())
    except OSError:
        return None


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
    key_tex: str = ""  # the student's block of key.pdf

    @property
    def hand_edited(self) -> bool:
        """Whether the variant built from is a hand edit (not what solgen generated)."""
        return self.variant != self.generated

    def damaged(self, folder: Path, pdf: bool) -> list[str]:
        """The outputs that are missing or differ from the record (PDFs only when pdf)."""
        bad = []
        for name in output_names(pdf):
            expected = self.outputs.get(name)
            if expected is None or file_sha(folder / name) != expected:
                bad.append(name)
        return bad


@dataclass
class Manifest:
    """All records of a batch directory, and the batch's identity."""

    kind: str  # "roster" or "seeded"
    key: str = ""  # the course key's fingerprint (roster)
    expected: list[str] = field(default_factory=list)  # every id of the whole batch (all shards)
    plan: str = ""  # digest of what shapes every variant (--set values, problem 1's shape)
    shard: tuple[int, int] = (1, 1)
    records: dict[str, Record] = field(default_factory=dict)  # id -> record
    class_inputs: str = ""  # digest of what key.pdf, release/ and the combined PDFs were made of
    class_outputs: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

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
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

    def save(self, directory: Path) -> None:
        """Write DIR/manifest.json atomically."""
        atomic_write(directory / MANIFEST, self.to_json())


def _record_json(record: Record) -> dict[str, Any]:
    data = asdict(record)
    data["options"] = asdict(record.options)
    return data


def load(directory: Path) -> Manifest | None:
    """DIR/manifest.json, or None when there is none; InvalidInput when it is malformed."""
    path = directory / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise InvalidInput([f"{path}: not a readable solgen manifest ({exc})"]) from None
    return parse(data, str(path))


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
    return Manifest(
        kind=kind,
        key=key,
        expected=expected,
        plan=plan,
        shard=(shard_raw[0], shard_raw[1]),
        records=records,
        class_inputs=reader.string(klass, "inputs", "class."),
        class_outputs=reader.hashes(klass, "outputs", "class."),
    )


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


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
            key_tex=self.string(table, "key_tex", f"{where}."),
        )
