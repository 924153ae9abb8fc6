"""An LMS's submissions zip: the answer forms students uploaded, read as answers, and the zip
of feedback files the same LMS attaches back to each submission.

Canvas's *Download Submissions* names each uploaded file
`<sortable name>[_late]_<user id>_<attachment id>_<the student's file name>`
(ContentZipper#add_upload_submission). Its *Upload Submissions* reads a zip the same way
(Assignment#infer_comment_context_from_filename): the first two parts of a name that are all
digits are the user and the attachment, which must be an attachment of that user's submission;
the file becomes a comment on it, shown under the attachment's name. So a feedback file keeps
the upload's name up to the attachment id.

Moodle's *Download all submissions* puts each student's files in a folder
`<full name>_<participant id>_assignsubmission_file` (a trailing `_` before Moodle 4.1), or
prefixes the file name so when not in folders. Its *Upload multiple feedback files in a zip*
(assignfeedback_file_zip_importer::is_valid_filename_for_import) finds the participant in the
first path part that splits as `<name>_<id>_<plugin type>_<plugin name>` and takes a file that
is not one of the submission's as a feedback file. So a feedback file goes in the upload's
folder.

Nothing is extracted to disk and no entry is read past MAX_ENTRY_BYTES (a zip is input like
any other).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from solgen.base.csvsafe import safe_cell

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first file, or an empty zip's end
MAX_ENTRIES = 20_000  # a class of thousands, a few files each
MAX_ENTRY_BYTES = 1024 * 1024  # an answer form is a few hundred bytes
ANSWER_SUFFIX = ".csv"
CANVAS, MOODLE = "Canvas", "Moodle"
MOODLE_SUBMISSION = "assignsubmission"  # the plugin type of a submission's files in Moodle


@dataclass(frozen=True)
class Upload:
    """One file of an LMS's submissions zip, named as the LMS names it."""

    entry: str  # the name in the zip
    lms: str  # CANVAS or MOODLE
    user_id: str  # Canvas's user id (its gradebook's ID); Moodle's participant id
    file_name: str  # the student's own name for the file
    attachment_id: str = ""  # Canvas's id of the file
    late: bool = False  # Canvas marked the submission late (the name's `_late` part)
    full_name: str = ""  # Moodle's name of the student (fullname())
    folder: str = ""  # Moodle: the student's folder with its `/`, or the prefix of a flat name
    uploaded: tuple[int, ...] = ()  # what orders one student's uploads, the latest last

    @property
    def feedback_entry(self) -> str:
        """The name of the feedback file the LMS attaches to this upload's submission."""
        if self.lms == CANVAS:
            parts = _name(self.entry).split("_")
            attachment = _id_positions(parts)[1]
            return "_".join([*parts[: attachment + 1], "feedback.csv"])
        return f"{self.folder}feedback.txt"  # never a folder above the student's

    @property
    def is_answer_form(self) -> bool:
        """Whether the file can be an answers CSV (grade reads no other kind)."""
        return self.file_name.lower().endswith(ANSWER_SUFFIX)


def _name(entry: str) -> str:
    return entry.rsplit("/", 1)[-1]


def _id_positions(parts: list[str]) -> list[int]:
    """Where a name's all-digit parts are (Canvas: the first is the user, the second the
    attachment)."""
    return [i for i, part in enumerate(parts) if re.fullmatch(r"\d+", part, re.ASCII)]


def canvas_upload(entry: str) -> Upload | None:
    """The upload an entry's name stands for, by Canvas's own rule; None for a name Canvas
    would ignore too (no user or attachment id: a text entry, a link, macOS's `._` files)."""
    name = _name(entry)
    parts = name.split("_")
    numbers = _id_positions(parts)
    if len(numbers) < 2 or parts[-1].startswith("link") or name.startswith("._"):
        return None
    user, attachment = numbers[:2]
    return Upload(
        entry=entry,
        lms=CANVAS,
        user_id=parts[user],
        file_name="_".join(parts[attachment + 1 :]),
        attachment_id=parts[attachment],
        late="late" in (p.lower() for p in parts[:user]),
        uploaded=(int(parts[attachment]),),
    )


def moodle_upload(entry: str) -> Upload | None:
    """The upload an entry's name stands for, by Moodle's own rule (the first path part that
    splits as name_id_assignsubmission_plugin); None for one Moodle's importer would skip."""
    if _name(entry).startswith((".", "~")):
        return None
    parts = entry.split("/")
    for index, part in enumerate(parts):
        info = part.split("_", 4)
        if len(info) < 4 or not re.fullmatch(r"\d+", info[1], re.ASCII):
            continue
        if info[2] != MOODLE_SUBMISSION:
            continue
        rest = [info[4]] if len(info) == 5 and info[4] else []
        flat = index == len(parts) - 1  # downloaded without folders: the file's name
        return Upload(
            entry=entry,
            lms=MOODLE,
            user_id=info[1],
            file_name="/".join([*rest, *parts[index + 1 :]]),
            full_name=info[0],
            folder=part[: len(part) - len(info[4])] if flat else f"{part}/",
        )
    return None


def is_zip(path: Path) -> bool:
    """Whether the file starts as a zip archive does (read as a submissions zip, not CSV)."""
    try:
        if not path.is_file():  # a FIFO would block: the CSV reader refuses it
            return False
        with path.open("rb") as file:
            return file.read(4) in ZIP_MAGIC
    except OSError:
        return False  # the CSV reader says what is wrong with it


@dataclass(frozen=True)
class SubmissionsZip:
    """What a submissions zip holds: its LMS, the uploads with their bytes (answer forms only,
    up to MAX_ENTRY_BYTES), every upload, and the entries that are not uploads."""

    lms: str
    forms: list[tuple[Upload, bytes]]
    uploads: list[Upload]
    ignored: list[str]


def _lms_of(names: list[str]) -> str:
    """Moodle when an entry is named as Moodle names a submission's file, else Canvas."""
    return MOODLE if any(moodle_upload(name) for name in names) else CANVAS


def read_submissions(path: Path, problems: list[str]) -> SubmissionsZip | None:
    """The uploads of a Canvas or Moodle submissions zip, or None after adding the problem that
    prevents reading it (not a zip, damaged, too many entries, an answer form too large)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"not a zip archive Canvas or Moodle wrote ({exc})")
        return None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_ENTRIES:
            problems.append(f"{len(infos)} files, expected at most {MAX_ENTRIES:,}")
            return None
        names = [info.filename for info in infos]
        lms = _lms_of(names)
        parse = moodle_upload if lms == MOODLE else canvas_upload
        if not any(parse(name) for name in names):
            problems.append(_not_submissions(names))
            return None
        forms, uploads, ignored = [], [], []
        for info in infos:
            upload = parse(info.filename)
            if upload is None:
                if not info.filename.startswith("__MACOSX/"):
                    ignored.append(info.filename)
                continue
            if lms == MOODLE:  # Moodle's zip keeps each file's time: the latest is graded
                upload = dataclasses.replace(upload, uploaded=info.date_time)
            uploads.append(upload)
            if upload.is_answer_form:
                data = _member(archive, info, problems)
                if data is not None:
                    forms.append((upload, data))
    return None if problems else SubmissionsZip(lms, forms, uploads, ignored)


# A spreadsheet saved as a workbook is a zip too: say what it is, not "no uploads".
WORKBOOKS = {
    "xl/workbook.xml": "an Excel workbook (.xlsx)",
    "content.xml": "an OpenDocument file (.ods)",
}


def _not_submissions(names: list[str]) -> str:
    """Why a zip with no upload named as an LMS names them is refused."""
    kind = next((what for name, what in WORKBOOKS.items() if name in names), None)
    if kind is not None:
        return f"{kind}, expected a CSV file or an LMS's submissions zip: save it as CSV UTF-8"
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "") or "none"
    return (
        "no file in the zip is named as Canvas's or Moodle's submissions zip names an upload "
        f"(found: {shown})"
    )


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, problems: list[str]) -> bytes | None:
    """An answer form's bytes, or None after adding why it cannot be read."""
    if info.file_size > MAX_ENTRY_BYTES:
        problems.append(
            f"{info.filename}: {info.file_size:,} bytes, expected an answer form of at most "
            f"{MAX_ENTRY_BYTES:,}"
        )
        return None
    try:
        with archive.open(info) as member:
            data = member.read(MAX_ENTRY_BYTES + 1)  # the size it declares may lie
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
        problems.append(f"{info.filename}: cannot be read from the zip ({exc})")
        return None
    if len(data) > MAX_ENTRY_BYTES:
        problems.append(f"{info.filename}: more than {MAX_ENTRY_BYTES:,} bytes")
        return None
    return data


def as_one_column_csv(text: str) -> str:
    """text as a CSV of one column, a line a row: Canvas shows a feedback file under the name of
    the upload it answers (answer-form.csv), so it must open as the CSV its name promises."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for line in text.splitlines():
        writer.writerow([safe_cell(line)])
    return out.getvalue()


def feedback_zip(files: dict[Upload, str]) -> bytes:
    """A zip the LMS takes feedback files from: each text in a file named after its upload
    (for Canvas as a one-column CSV); fixed dates, so the same feedback gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for upload, text in sorted(files.items(), key=lambda item: item[0].entry):
            info = zipfile.ZipInfo(upload.feedback_entry, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            body = as_one_column_csv(text) if upload.lms == CANVAS else text
            archive.writestr(info, body.encode("utf-8"))
    return buffer.getvalue()
