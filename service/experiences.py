"""The experience-sharing queue: reports that municipalities submit wait here, outside the corpus
and the index (so nothing pending is searchable), until a maintainer approves one, which files
it in the corpus with a metadata sidecar, or rejects it, which deletes the file and keeps the
reason. Checking a submission is pure functions; the store is one SQLite file and a folder."""

from __future__ import annotations

import io
import os
import re
import sqlite3
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal

import yaml

from ingest.limits import human_size
from ingest.metadata import sidecar_path

Status = Literal["pending", "approved", "rejected"]

# The corpus folder whose files ingest reads as experience reports (ingest.metadata's folder
# types); the sidecar says so too, so the folder name is only where a maintainer looks.
CORPUS_FOLDER = "erfaringer"
DOC_TYPE = "erfaringsrapport"
FILE_TYPES = {".pdf": "PDF", ".docx": "DOCX", ".md": "Markdown", ".markdown": "Markdown"}
MAX_FIELD_CHARS = {"municipality": 200, "contact": 200, "topic": 300}
MAX_REASON_CHARS = 2000
MAX_STEM_CHARS = 100  # a file name a maintainer can still read in a folder listing
FIELD_NAMES = {
    "municipality": "Kommune",
    "contact": "Kontaktperson",
    "topic": "Tema",
    "date": "Dato",
}
# An e-mail address, or a phone number: Norwegian ones have 8 digits, with a country code (+47,
# 0047) up to 15. Around it, what the form's fields are stripped of. The API schema publishes
# the same patterns, so what it calls valid is exactly what is accepted.
CONTACT_PATTERN = r"^\s*(?:[^@\s]+@[^@\s]+\.[^@\s.]+|\+?(?:[ ().-]*[0-9]){8,15}[ ().-]*)\s*$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_CONTACT = re.compile(CONTACT_PATTERN)
_DATE = re.compile(DATE_PATTERN)
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w.-]+")
BUSY_TIMEOUT_SECONDS = 10.0


class InvalidSubmission(ValueError):
    """A submission refused, with the Norwegian reason and the HTTP status that fits it."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class UnknownExperience(KeyError):
    """No submission has this id."""

    def __str__(self) -> str:  # KeyError's own would show the message in quotes
        return str(self.args[0])


class NotPending(RuntimeError):
    """The submission was approved or rejected already."""


@dataclass(frozen=True)
class ExperienceFields:
    municipality: str
    contact: str
    topic: str
    date: str  # YYYY-MM-DD


@dataclass(frozen=True)
class ExperienceFile:
    filename: str  # sanitised: no folders, not hidden, a known suffix
    content: bytes


@dataclass(frozen=True)
class Experience:
    id: str
    status: Status
    fields: ExperienceFields
    filename: str
    size: int
    submitted_at: str  # ISO 8601, UTC
    reason: str | None = None  # why it was rejected
    source: str | None = None  # where approval filed it, relative to the corpus root


def checked_fields(
    municipality: str | None, contact: str | None, topic: str | None, date_text: str | None
) -> ExperienceFields:
    """The form's text fields, stripped; raises InvalidSubmission naming the first bad one."""
    given = {"municipality": municipality, "contact": contact, "topic": topic, "date": date_text}
    values = {name: (value or "").strip() for name, value in given.items()}
    for name, value in values.items():
        if not value:
            raise InvalidSubmission(f"{FIELD_NAMES[name]} må fylles ut.")
        limit = MAX_FIELD_CHARS.get(name)
        if limit and len(value) > limit:
            raise InvalidSubmission(f"{FIELD_NAMES[name]} kan ha høyst {limit} tegn.")
    if not _CONTACT.match(values["contact"]):
        raise InvalidSubmission(
            "Kontaktperson må være en e-postadresse (navn@kommune.no) eller et telefonnummer "
            "(8 sifre)."
        )
    if not _DATE.match(date_text or ""):  # as sent: a date has no spaces to strip
        raise InvalidSubmission("Dato må skrives som ÅÅÅÅ-MM-DD, for eksempel 2025-03-14.")
    try:
        date.fromisoformat(values["date"])
    except ValueError as error:
        raise InvalidSubmission(f"Datoen {values['date']} finnes ikke.") from error
    return ExperienceFields(**values)


def safe_filename(name: str) -> str:
    """The uploaded name as a plain file name: the last part of any path (a browser on Windows
    may send `C:\\...`), not hidden, only letters, digits, '.', '-' and '_'."""
    base = PureWindowsPath(PurePosixPath(name).name).name
    base = unicodedata.normalize("NFC", base)
    suffix = Path(base).suffix.lower()
    stem = base[: len(base) - len(suffix)] if suffix else base
    stem = _UNSAFE_NAME_CHARACTERS.sub("-", stem).strip(".-_ ")[:MAX_STEM_CHARS].rstrip(".-_")
    return f"{stem or 'erfaring'}{suffix}"


def _looks_like(suffix: str, content: bytes) -> bool:
    if suffix == ".pdf":
        return content.startswith(b"%PDF-")
    if suffix == ".docx":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text  # NUL is never in text, always in binary files sent as .md


def checked_file(filename: str | None, content: bytes, max_bytes: int) -> ExperienceFile:
    """The uploaded file with a safe name; raises InvalidSubmission when it is missing, empty,
    too large (413), or not a PDF, Word (DOCX) or Markdown file by its name and content (415)."""
    if not filename:
        raise InvalidSubmission("Velg en fil med rapporten.")
    name = safe_filename(filename)
    suffix = Path(name).suffix
    if suffix not in FILE_TYPES:
        raise InvalidSubmission(
            f"Filtypen til «{name}» støttes ikke. Send rapporten som PDF, Word (DOCX) eller "
            "Markdown (.md).",
            status=415,
        )
    if not content:
        raise InvalidSubmission(f"Filen «{name}» er tom.")
    if len(content) > max_bytes:
        raise InvalidSubmission(
            f"Filen «{name}» er for stor. Grensen er {human_size(max_bytes)}.", status=413
        )
    if not _looks_like(suffix, content):
        raise InvalidSubmission(
            f"Filen «{name}» er ikke en gyldig {FILE_TYPES[suffix]}-fil, selv om navnet sier det.",
            status=415,
        )
    return ExperienceFile(name, content)


def checked_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidSubmission("Skriv en begrunnelse for avvisningen.")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidSubmission(f"Begrunnelsen kan ha høyst {MAX_REASON_CHARS} tegn.")
    return text


def sidecar_text(fields: ExperienceFields) -> str:
    """The metadata sidecar of an approved report (ingest.metadata reads it; it beats the
    file's own metadata). The contact person stays in the queue: it is not for the corpus."""
    meta = {
        "title": fields.topic,
        "doc_type": DOC_TYPE,
        "publisher": fields.municipality,
        "date": fields.date,
        "language": "nb",
    }
    return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _link_new(source: Path, target: Path) -> bool:
    """Give `source`'s finished content the name `target` unless that name is taken: a link
    is atomic, so an ingest running meanwhile never reads half a file, and nothing is ever
    overwritten."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    return True


def file_in_corpus(corpus_dir: Path, file: ExperienceFile, fields: ExperienceFields) -> str:
    """Put the report and its sidecar in the corpus's experience folder under the first free
    name (`rapport.md`, `rapport-2.md`, ...); returns its path relative to the corpus root."""
    folder = corpus_dir / CORPUS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(file.filename).suffix
    stem = file.filename[: -len(suffix)]
    # Hidden names: ingest passes them over while they are being written.
    staged = folder / f".{uuid.uuid4().hex}{suffix}"
    staged_sidecar = folder / f".{uuid.uuid4().hex}.meta"
    try:
        staged.write_bytes(file.content)
        staged_sidecar.write_text(sidecar_text(fields), encoding="utf-8")
        number = 0
        while True:
            number += 1
            target = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
            if target.exists() or sidecar_path(target).exists():
                continue
            # The sidecar first: an ingest that sees the report then reads it with its metadata.
            if not _link_new(staged_sidecar, sidecar_path(target)):
                continue
            if _link_new(staged, target):
                return target.relative_to(corpus_dir).as_posix()
            sidecar_path(target).unlink()  # the name was taken meanwhile: try the next
    finally:
        staged.unlink(missing_ok=True)
        staged_sidecar.unlink(missing_ok=True)


def _create_experiences(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS experiences (
            id TEXT PRIMARY KEY, seq INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
            municipality TEXT NOT NULL, contact TEXT NOT NULL, topic TEXT NOT NULL,
            date TEXT NOT NULL, filename TEXT NOT NULL, size INTEGER NOT NULL,
            submitted_at TEXT NOT NULL, reason TEXT, source TEXT
        )"""
    )


class ExperienceStore:
    """Submissions in `queue_dir`: their records in one SQLite file, the files of pending ones
    in `files/`. Each operation opens its own connection, so one store is safe to share between
    threads, and status changes are single conditional UPDATEs, so two maintainers (or two
    server processes) can never both approve one report."""

    def __init__(
        self, queue_dir: Path, corpus_dir: Path, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        if queue_dir.resolve().is_relative_to(corpus_dir.resolve()):
            raise ValueError(
                f"Køen for erfaringsrapporter ({queue_dir}) kan ikke ligge i korpuset "
                f"({corpus_dir}): da ville rapporter bli søkbare før de er godkjent."
            )
        self.queue_dir = queue_dir
        self.corpus_dir = corpus_dir
        self._clock = clock
        self._files = queue_dir / "files"
        self._files.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            _create_experiences(db)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(
            self.queue_dir / "experiences.sqlite3",
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,  # autocommit: every statement here stands alone
        )
        with closing(db):
            db.row_factory = sqlite3.Row
            yield db

    def _queued(self, experience_id: str, filename: str) -> Path:
        return self._files / f"{experience_id}{Path(filename).suffix}"

    def submit(self, fields: ExperienceFields, file: ExperienceFile) -> Experience:
        """Queue a checked submission as pending; returns it with its new id."""
        experience = Experience(
            # Random, not counted: the id is the submitter's receipt and must not let anyone
            # guess the others'.
            id=uuid.uuid4().hex,
            status="pending",
            fields=fields,
            filename=file.filename,
            size=len(file.content),
            submitted_at=self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        queued = self._queued(experience.id, file.filename)
        queued.write_bytes(file.content)  # before the record, which must never lack its file
        try:
            with self._connection() as db:
                db.execute(
                    "INSERT INTO experiences (id, seq, status, municipality, contact, topic, "
                    "date, filename, size, submitted_at) VALUES "
                    "(?, (SELECT coalesce(max(seq), 0) + 1 FROM experiences), ?, ?, ?, ?, ?, "
                    "?, ?, ?)",
                    (
                        experience.id,
                        experience.status,
                        fields.municipality,
                        fields.contact,
                        fields.topic,
                        fields.date,
                        experience.filename,
                        experience.size,
                        experience.submitted_at,
                    ),
                )
        except BaseException:
            queued.unlink(missing_ok=True)
            raise
        return experience

    def entries(self, status: Status | None = None) -> list[Experience]:
        """Every submission, newest first; only those with `status` when given."""
        where, parameters = ("WHERE status = ?", (status,)) if status else ("", ())
        with self._connection() as db:
            rows = db.execute(
                f"SELECT * FROM experiences {where} ORDER BY seq DESC", parameters
            ).fetchall()
        return [_experience(row) for row in rows]

    def get(self, experience_id: str) -> Experience:
        with self._connection() as db:
            row = db.execute("SELECT * FROM experiences WHERE id = ?", (experience_id,)).fetchone()
        if row is None:
            raise UnknownExperience(f"Fant ingen innsendt rapport med id {experience_id}.")
        return _experience(row)

    def _decide(self, experience_id: str, status: Status, reason: str | None) -> Experience:
        """Move a pending submission to `status`; raises UnknownExperience or NotPending."""
        with self._connection() as db:
            changed = db.execute(
                "UPDATE experiences SET status = ?, reason = ? WHERE id = ? AND status = 'pending'",
                (status, reason, experience_id),
            ).rowcount
        if not changed:
            current = self.get(experience_id)
            raise NotPending(
                f"Rapporten {experience_id} er allerede {_STATUS_WORDS[current.status]}."
            )
        return self.get(experience_id)

    def approve(self, experience_id: str) -> Experience:
        """File a pending report in the corpus with its sidecar and take it out of the queue;
        returns it with `source`. The caller has the corpus ingested."""
        experience = self._decide(experience_id, "approved", None)
        queued = self._queued(experience.id, experience.filename)
        try:
            file = ExperienceFile(experience.filename, queued.read_bytes())
            source = file_in_corpus(self.corpus_dir, file, experience.fields)
        except BaseException:
            with self._connection() as db:  # not filed: back in the queue, to try again
                db.execute(
                    "UPDATE experiences SET status = 'pending' WHERE id = ?", (experience.id,)
                )
            raise
        with self._connection() as db:
            db.execute("UPDATE experiences SET source = ? WHERE id = ?", (source, experience.id))
        queued.unlink(missing_ok=True)
        return replace(experience, source=source)

    def reject(self, experience_id: str, reason: str) -> Experience:
        """Refuse a pending report: its file is deleted, the record kept with the reason."""
        experience = self._decide(experience_id, "rejected", checked_reason(reason))
        self._queued(experience.id, experience.filename).unlink(missing_ok=True)
        return experience


_STATUS_WORDS = {"pending": "til vurdering", "approved": "godkjent", "rejected": "avvist"}


def _experience(row: sqlite3.Row) -> Experience:
    return Experience(
        id=row["id"],
        status=row["status"],
        fields=ExperienceFields(row["municipality"], row["contact"], row["topic"], row["date"]),
        filename=row["filename"],
        size=row["size"],
        submitted_at=row["submitted_at"],
        reason=row["reason"],
        source=row["source"],
    )
