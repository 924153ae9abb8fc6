"""Canvas's submissions zip: the answer forms students uploaded, read as answers, and the zip of
feedback files that Canvas's "Upload Submissions" attaches back to each submission.

Canvas's *Download Submissions* names each uploaded file
`<sortable name>[_late]_<Canvas user id>_<attachment id>_<the student's file name>`
(ContentZipper#add_upload_submission). Its *Upload Submissions* reads a zip the same way
(Assignment#infer_comment_context_from_filename): the first two parts of a name that are all
digits are the user and the attachment, which must be an attachment of that user's submission;
the file then becomes a comment on it. So a feedback file keeps the name of the upload it
answers, up to the attachment id. Nothing is extracted to disk and no entry is read past
MAX_ENTRY_BYTES (a zip is input like any other).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from solgen.base.csvsafe import safe_cell

ZIP_MAGIC = b"PK\x03\x04"
MAX_ENTRIES = 20_000  # a class of thousands, a few files each
MAX_ENTRY_BYTES = 1024 * 1024  # an answer form is a few hundred bytes
ANSWER_SUFFIX = ".csv"
FEEDBACK_NAME = "feedback.csv"  # the last part of a feedback file's name


@dataclass(frozen=True)
class Upload:
    """One file of a Canvas submissions zip, named as Canvas names it."""

    entry: str  # the name in the zip
    user_id: str  # Canvas's user id (the gradebook export's ID column)
    attachment_id: str
    late: bool  # Canvas marked the submission late (the name's `_late` part)
    file_name: str  # the student's own name for the file

    @property
    def feedback_entry(self) -> str:
        """The name of the feedback file Canvas attaches to this upload's submission: the
        upload's own name up to its attachment id."""
        parts = self.entry.rsplit("/", 1)[-1].split("_")
        attachment = _id_positions(parts)[1]
        return "_".join([*parts[: attachment + 1], FEEDBACK_NAME])

    @property
    def is_answer_form(self) -> bool:
        """Whether the file can be an answers CSV (grade reads no other kind)."""
        return self.file_name.lower().endswith(ANSWER_SUFFIX)


def _id_positions(parts: list[str]) -> list[int]:
    """Where a name's all-digit parts are (Canvas: the first is the user, the second the
    attachment)."""
    return [i for i, part in enumerate(parts) if re.fullmatch(r"\d+", part, re.ASCII)]


def canvas_upload(entry: str) -> Upload | None:
    """The upload an entry's name stands for, by Canvas's own rule; None for a name Canvas
    would ignore too (no user or attachment id: a text entry, a link, macOS's `._` files)."""
    name = entry.rsplit("/", 1)[-1]
    parts = name.split("_")
    numbers = _id_positions(parts)
    if len(numbers) < 2 or parts[-1].startswith("link") or name.startswith("._"):
        return None
    user, attachment = numbers[:2]
    return Upload(
        entry=entry,
        user_id=parts[user],
        attachment_id=parts[attachment],
        late="late" in (p.lower() for p in parts[:user]),
        file_name="_".join(parts[attachment + 1 :]),
    )


def is_zip(path: Path) -> bool:
    """Whether the file starts as a zip archive does (read as a submissions zip, not CSV)."""
    try:
        if not path.is_file():  # a FIFO would block: the CSV reader refuses it
            return False
        with path.open("rb") as file:
            return file.read(len(ZIP_MAGIC)) == ZIP_MAGIC
    except OSError:
        return False  # the CSV reader says what is wrong with it


@dataclass(frozen=True)
class SubmissionsZip:
    """What a submissions zip holds: Canvas's uploads with their bytes (answer forms only, up to
    MAX_ENTRY_BYTES), every upload, and the entries that are not Canvas uploads."""

    forms: list[tuple[Upload, bytes]]
    uploads: list[Upload]
    ignored: list[str]


def read_submissions(path: Path, problems: list[str]) -> SubmissionsZip | None:
    """The uploads of a Canvas submissions zip, or None after adding the problem that prevents
    reading it (not a zip, damaged, too many entries, an answer form too large)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"not a zip archive Canvas wrote ({exc})")
        return None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_ENTRIES:
            problems.append(f"{len(infos)} files, expected at most {MAX_ENTRIES:,}")
            return None
        forms, uploads, ignored = [], [], []
        for info in infos:
            upload = canvas_upload(info.filename)
            if upload is None:
                if not info.filename.split("/")[0].startswith("__MACOSX"):
                    ignored.append(info.filename)
                continue
            uploads.append(upload)
            if not upload.is_answer_form:
                continue
            if info.file_size > MAX_ENTRY_BYTES:
                problems.append(
                    f"{info.filename}: {info.file_size:,} bytes, expected an answer form of at "
                    f"most {MAX_ENTRY_BYTES:,}"
                )
                continue
            try:
                with archive.open(info) as member:
                    data = member.read(MAX_ENTRY_BYTES + 1)  # the size it declares may lie
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                problems.append(f"{info.filename}: cannot be read from the zip ({exc})")
                continue
            if len(data) > MAX_ENTRY_BYTES:
                problems.append(f"{info.filename}: more than {MAX_ENTRY_BYTES:,} bytes")
                continue
            forms.append((upload, data))
    return None if problems else SubmissionsZip(forms, uploads, ignored)


def as_one_column_csv(text: str) -> str:
    """text as a CSV of one column, a line a row: Canvas shows a feedback file under the name of
    the upload it answers (answer-form.csv), so it must open as the CSV its name promises."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for line in text.splitlines():
        writer.writerow([safe_cell(line)])
    return out.getvalue()


def feedback_zip(files: dict[Upload, str]) -> bytes:
    """A zip for Canvas's Upload Submissions: each text, as a one-column CSV, in a file named
    after its upload; fixed dates, so the same feedback gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for upload, text in sorted(files.items(), key=lambda item: item[0].entry):
            info = zipfile.ZipInfo(upload.feedback_entry, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, as_one_column_csv(text).encode("utf-8"))
    return buffer.getvalue()
