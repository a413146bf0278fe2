"""The history of ingests: one record per ingest (when, how it ended, what it added, changed and
removed, which files failed and why), kept in the index directory beside the generations so
that it outlives them, restarts and re-ingests, and is shared by the CLI and the server."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Literal

from index.build import IngestReport

LOG_FILE = "ingest-log.sqlite3"
KEEP_RECORDS = 200  # older records are dropped; the maintainers' page shows the last few
# How long a write waits for another process (the CLI and a server may finish at once).
BUSY_TIMEOUT_SECONDS = 10.0

# published: a new generation serves; unchanged: nothing to rebuild; failed: nothing was built
Outcome = Literal["published", "unchanged", "failed"]

logger = logging.getLogger("refark.index")


@dataclass(frozen=True)
class IngestRecord:
    started: str  # ISO 8601, UTC
    finished: str
    seconds: float
    outcome: Outcome
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # source -> why it was not read
    generation: str = ""  # the generation serving afterwards, e.g. "gen-3"
    documents: int = 0
    chunks: int = 0
    error: str | None = None  # why nothing was built

    @classmethod
    def of_report(cls, report: IngestReport, started: datetime, finished: datetime) -> IngestRecord:
        return cls(
            **_times(started, finished),
            outcome="published" if report.published else "unchanged",
            added=len(report.added),
            changed=len(report.changed),
            unchanged=len(report.unchanged),
            removed=len(report.removed),
            failures=dict(report.failed),
            generation=Path(report.generation).name if report.generation else "",
            documents=report.document_count,
            chunks=report.chunk_count,
        )

    @classmethod
    def of_error(cls, error: str, started: datetime, finished: datetime) -> IngestRecord:
        return cls(**_times(started, finished), outcome="failed", error=error)

    @classmethod
    def from_json(cls, text: str) -> IngestRecord:
        # Fields a newer Refark added are ignored, so an older one can still read the log.
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def _times(started: datetime, finished: datetime) -> dict:
    return {
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 2),
    }


@contextmanager
def _opened(index_dir: Path) -> Iterator[sqlite3.Connection]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(index_dir / LOG_FILE, timeout=BUSY_TIMEOUT_SECONDS)) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS ingests (id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " record TEXT NOT NULL)"
        )
        with db:  # one transaction, committed on leaving
            yield db


def record_ingest(index_dir: Path, record: IngestRecord) -> None:
    """Add `record` to the log. A log that cannot be written is logged and passed over: the
    history must never stop an ingest."""
    try:
        with _opened(index_dir) as db:
            cursor = db.execute("INSERT INTO ingests (record) VALUES (?)", (record.to_json(),))
            db.execute("DELETE FROM ingests WHERE id <= ?", (cursor.lastrowid - KEEP_RECORDS,))
    except (sqlite3.Error, OSError) as error:
        logger.warning("Kunne ikke skrive innlesingsloggen i %s: %s", index_dir, error)


def recent_ingests(index_dir: Path, limit: int = 10) -> list[IngestRecord]:
    """The last `limit` ingests, newest first; none when there is no log yet or it cannot be
    read (which is logged)."""
    if not (index_dir / LOG_FILE).is_file():
        return []
    try:
        with _opened(index_dir) as db:
            rows = db.execute(
                "SELECT record FROM ingests ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
    except (sqlite3.Error, OSError) as error:
        logger.warning("Kunne ikke lese innlesingsloggen i %s: %s", index_dir, error)
        return []
    records = []
    for (text,) in rows:
        try:
            records.append(IngestRecord.from_json(text))
        except (ValueError, TypeError) as error:
            logger.warning("Hopper over en uleselig linje i innlesingsloggen: %s", error)
    return records
