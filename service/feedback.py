"""The feedback store: votes on answers from the web page and Slack in one SQLite file outside
the index generations (so re-ingest keeps them), and the 👎 ones as eval questions.

The schema is versioned with `PRAGMA user_version`: MIGRATIONS are small functions applied in
order, each once, so a file written by an older Refark is brought up to date when opened."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, get_args

from index.store import ChunkStore

Vote = Literal["up", "down"]
Channel = Literal["web", "slack"]

# The Slack app keeps each posted answer only as long as a button on it is likely to be clicked.
REMEMBER_ANSWERS_FOR = timedelta(days=90)
# How much of a cited chunk's text an eval item shows the maintainer choosing the right source.
CITED_QUOTE_CHARS = 200
# SQLite's integers are 64-bit: a larger number cannot be an id (and cannot even be bound).
MAX_FEEDBACK_ID = 2**63 - 1
# How long an operation waits for another thread or process that is writing the file.
BUSY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Source:
    """A passage a maintainer says would have been right: a document (its path relative to
    the corpus root) and an exact quote from it, as in the eval file's `relevant`."""

    doc: str
    quote: str


@dataclass(frozen=True)
class Feedback:
    question: str
    answer: str
    chunk_ids: tuple[str, ...]
    vote: Vote
    channel: Channel
    comment: str | None = None
    user_hash: str | None = None  # a hash of the Slack user id, computed by the Slack app
    place: str | None = None  # the Slack channel id; None on the web

    def __post_init__(self) -> None:
        # Callers outside the HTTP layer (the Slack app) pass lists; keep the value immutable.
        object.__setattr__(self, "chunk_ids", tuple(self.chunk_ids))
        _check_choice("stemme", self.vote, Vote)
        _check_choice("kanal", self.channel, Channel)


@dataclass(frozen=True)
class StoredFeedback:
    id: int
    created_at: str  # ISO 8601, UTC
    feedback: Feedback
    sources: tuple[Source, ...]  # the right sources a maintainer marked, oldest mark first


@dataclass(frozen=True)
class RememberedAnswer:
    """An answer the Slack app posted; its buttons carry only this id (a button value holds
    at most 2,000 characters)."""

    id: int
    question: str
    answer: str
    chunk_ids: tuple[str, ...]


class UnknownFeedback(KeyError):
    """No feedback entry has this id."""

    def __str__(self) -> str:  # KeyError's own would show the message in quotes
        return str(self.args[0])


class NewerFeedbackSchema(RuntimeError):
    """The file was written by a newer Refark, whose schema this one does not know."""


def _check_choice(name: str, value: object, choices: object) -> None:
    allowed = get_args(choices)
    if value not in allowed:
        raise ValueError(f"Ugyldig {name} {value!r}: må være en av {', '.join(allowed)}.")


def _timestamp(moment: datetime) -> str:
    # One fixed format, so that timestamps compare correctly as text in SQL.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _create_feedback(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
            question TEXT NOT NULL, answer TEXT NOT NULL, chunk_ids TEXT NOT NULL,
            vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
            channel TEXT NOT NULL CHECK (channel IN ('web', 'slack')),
            comment TEXT, user_hash TEXT, place TEXT
        )"""
    )
    db.execute("CREATE INDEX feedback_by_vote ON feedback(vote, id)")


def _create_remembered_answers(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE remembered_answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL,
            question TEXT NOT NULL, answer TEXT NOT NULL, chunk_ids TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX remembered_answers_by_age ON remembered_answers(created_at)")


def _create_feedback_sources(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE feedback_sources (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            feedback_id INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
            doc TEXT NOT NULL, quote TEXT NOT NULL, marked_at TEXT NOT NULL,
            UNIQUE (feedback_id, doc, quote)
        )"""
    )


# Append only: a file's user_version is the number of these already applied to it.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _create_feedback,
    _create_remembered_answers,
    _create_feedback_sources,
)


def migrate(db: sqlite3.Connection) -> None:
    """Apply the migrations the file has not had yet, in one write transaction, so that two
    processes opening a new file at once (`refark serve --workers 2`) do not both create it."""
    with _write_transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise NewerFeedbackSchema(
                f"Tilbakemeldingsfilen har skjemaversjon {version}, men denne Refark kjenner "
                f"bare til versjon {len(MIGRATIONS)}. Oppgrader Refark."
            )
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")


@contextmanager
def _write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    # IMMEDIATE takes the write lock at the start: a deferred transaction that reads and then
    # writes fails at once (without waiting) when another writer got in between.
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class FeedbackStore:
    """The votes in one SQLite file. Each operation opens its own connection, so one store is
    safe to share between threads (the server's worker threads, the Slack app's handlers), and
    WAL lets readers go on while one writes, also across processes."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = _utc_now) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            # Persistent in the file: set once, every later connection uses WAL.
            db.execute("PRAGMA journal_mode = WAL")
            migrate(db)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # isolation_level=None: transactions are begun explicitly (_write_transaction).
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            yield db
        finally:
            db.close()

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db, _write_transaction(db):
            yield db

    def _now(self) -> str:
        return _timestamp(self._clock())

    def add(self, feedback: Feedback) -> int:
        """Store a vote; returns its id."""
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, question, answer, chunk_ids, vote, channel, "
                "comment, user_hash, place) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._now(),
                    feedback.question,
                    feedback.answer,
                    json.dumps(feedback.chunk_ids),
                    feedback.vote,
                    feedback.channel,
                    feedback.comment,
                    feedback.user_hash,
                    feedback.place,
                ),
            )
            return cursor.lastrowid

    def remember_answer(self, question: str, answer: str, chunk_ids: Sequence[str]) -> int:
        """Keep a posted answer until a vote on it comes in; returns the id for its buttons.
        Answers older than REMEMBER_ANSWERS_FOR are deleted here, so the table stays small
        without a job of its own."""
        now = self._clock()
        with self._writing() as db:
            db.execute(
                "DELETE FROM remembered_answers WHERE created_at < ?",
                (_timestamp(now - REMEMBER_ANSWERS_FOR),),
            )
            cursor = db.execute(
                "INSERT INTO remembered_answers (created_at, question, answer, chunk_ids) "
                "VALUES (?, ?, ?, ?)",
                (_timestamp(now), question, answer, json.dumps(list(chunk_ids))),
            )
            return cursor.lastrowid

    def remembered(self, answer_id: int) -> RememberedAnswer | None:
        """The remembered answer, or None when the id is unknown or has been pruned."""
        with self._connection() as db:
            row = db.execute(
                "SELECT id, question, answer, chunk_ids FROM remembered_answers WHERE id = ?",
                (answer_id,),
            ).fetchone()
        if row is None:
            return None
        return RememberedAnswer(
            row["id"], row["question"], row["answer"], tuple(json.loads(row["chunk_ids"]))
        )

    def entries(self, vote: str | None = None, limit: int | None = 100) -> list[StoredFeedback]:
        """Stored votes, newest first; only `vote` ("up" or "down") when given; every one
        when `limit` is None."""
        if vote is not None:
            _check_choice("stemme", vote, Vote)
        where, parameters = ("WHERE vote = ?", [vote]) if vote else ("", [])
        with self._connection() as db:
            rows = db.execute(
                f"SELECT * FROM feedback {where} ORDER BY id DESC LIMIT ?",
                [*parameters, -1 if limit is None else limit],
            ).fetchall()
            sources = self._sources(db, [row["id"] for row in rows])
        return [_stored(row, sources.get(row["id"], ())) for row in rows]

    @staticmethod
    def _sources(db: sqlite3.Connection, ids: list[int]) -> dict[int, tuple[Source, ...]]:
        found: dict[int, list[Source]] = {}
        # One query per batch: SQLite limits the number of parameters of a statement.
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            for row in db.execute(
                "SELECT feedback_id, doc, quote FROM feedback_sources "
                f"WHERE feedback_id IN ({','.join('?' * len(batch))}) ORDER BY id",
                batch,
            ):
                found.setdefault(row["feedback_id"], []).append(Source(row["doc"], row["quote"]))
        return {feedback_id: tuple(sources) for feedback_id, sources in found.items()}

    def mark_source(self, feedback_id: int, source: Source) -> None:
        """Record a document and quote that would have answered this entry's question.
        Marking the same source twice keeps one. Raises UnknownFeedback for an unknown id."""
        with self._writing() as db:
            if db.execute("SELECT 1 FROM feedback WHERE id = ?", (feedback_id,)).fetchone() is None:
                raise UnknownFeedback(f"Fant ingen tilbakemelding med id {feedback_id}.")
            db.execute(
                "INSERT OR IGNORE INTO feedback_sources (feedback_id, doc, quote, marked_at) "
                "VALUES (?, ?, ?, ?)",
                (feedback_id, source.doc, source.quote, self._now()),
            )

    def set_comment(self, feedback_id: int, comment: str | None) -> None:
        """The comment given after the vote (Slack asks for it in a dialog once the 👎 is
        stored, so a closed dialog loses no vote). Raises UnknownFeedback for an unknown id."""
        with self._writing() as db:
            changed = db.execute(
                "UPDATE feedback SET comment = ? WHERE id = ?",
                ((comment or "").strip() or None, feedback_id),
            ).rowcount
            if not changed:
                raise UnknownFeedback(f"Fant ingen tilbakemelding med id {feedback_id}.")


def _stored(row: sqlite3.Row, sources: tuple[Source, ...]) -> StoredFeedback:
    feedback = Feedback(
        question=row["question"],
        answer=row["answer"],
        chunk_ids=tuple(json.loads(row["chunk_ids"])),
        vote=row["vote"],
        channel=row["channel"],
        comment=row["comment"],
        user_hash=row["user_hash"],
        place=row["place"],
    )
    return StoredFeedback(row["id"], row["created_at"], feedback, sources)


def _opening(text: str, limit: int = CITED_QUOTE_CHARS) -> str:
    """The start of a text, whitespace collapsed and cut at a word boundary: still an exact
    quote for the eval (which compares whitespace-collapsed text), so a maintainer can copy it
    into `refark feedback mark`."""
    collapsed = " ".join(text.split())
    if len(collapsed) <= limit:
        return collapsed
    cut = collapsed.rfind(" ", 0, limit + 1)
    return collapsed[: cut if cut > 0 else limit]


def eval_items(
    entries: Iterable[StoredFeedback], cited: Callable[[str], tuple[str, str] | None]
) -> list[dict]:
    """The 👎 entries as lines of an eval question file (corpus/eval/questions.jsonl), oldest
    first so that a later export adds lines at the end and keeps the earlier ones in place.

    `relevant` holds the sources a maintainer marked. An unmarked 👎 gets `"relevant": []`,
    which `refark eval` reads as a question Refark should have declined: until someone says
    which passage was right, the safe reading of "this answer was wrong" is that no answer
    would have been better. `answer`, `comment` and `cited` (the chunks the answer cited, each
    resolved by `cited(chunk_id) -> (source path, text)`; chunks a later ingest removed are
    left out) are for the maintainer; the eval loader ignores them."""
    downvoted = sorted((e for e in entries if e.feedback.vote == "down"), key=lambda e: e.id)
    return [_eval_item(entry, cited) for entry in downvoted]


def _eval_item(entry: StoredFeedback, cited: Callable[[str], tuple[str, str] | None]) -> dict:
    resolved = (cited(chunk_id) for chunk_id in entry.feedback.chunk_ids)
    return {
        "id": f"feedback-{entry.id}",
        "question": entry.feedback.question,
        "relevant": [{"doc": s.doc, "quote": s.quote} for s in entry.sources],
        "answer": entry.feedback.answer,
        "comment": entry.feedback.comment,
        "cited": [
            {"doc": source, "quote": _opening(text)}
            for source, text in (found for found in resolved if found is not None)
        ],
    }


def chunk_resolver(store: ChunkStore) -> Callable[[str], tuple[str, str] | None]:
    """`cited` for eval_items over one generation's chunk store: chunk id -> (the document's
    source path, the chunk's text), None for an id the generation does not have."""
    rows = {chunk_id: row for row, chunk_id in enumerate(store.row_chunk_ids())}
    sources = {entry.document.doc_id: entry.document.source for entry in store.catalog()}

    def cited(chunk_id: str) -> tuple[str, str] | None:
        row = rows.get(chunk_id)
        if row is None:
            return None
        chunk = store.chunks([row])[row]
        return sources[chunk.doc_id], chunk.text

    return cited


def export_eval(feedback: FeedbackStore, chunks: ChunkStore) -> list[dict]:
    """Every 👎 entry as an eval item, its cited chunks looked up in `chunks`."""
    return eval_items(feedback.entries(vote="down", limit=None), chunk_resolver(chunks))


def to_jsonl(items: Iterable[dict]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
