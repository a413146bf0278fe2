"""The ingest log: one record per ingest, newest first, kept beside the generations so that it
outlives them, bounded in size, and never the reason an ingest fails."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from index.build import IngestReport
from index.generation import prune
from index.ingest_log import (
    KEEP_RECORDS,
    LOG_FILE,
    IngestRecord,
    recent_ingests,
    record_ingest,
)

STARTED = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
FINISHED = STARTED + timedelta(seconds=83.456)


def published(**fields: object) -> IngestReport:
    report = IngestReport(
        added=["a.md", "b.pdf"],
        changed=["c.docx"],
        unchanged=["d.html", "e.md", "f.md"],
        removed=["borte.md"],
        failed={"ødelagt.pdf": "PDF-en kan ikke leses"},
        document_count=6,
        chunk_count=40,
        generation="/var/index/gen-7",
        published=True,
    )
    for name, value in fields.items():
        setattr(report, name, value)
    return report


def test_a_report_is_recorded_with_its_counts_failures_and_generation():
    record = IngestRecord.of_report(published(), STARTED, FINISHED)
    assert record == IngestRecord(
        started="2026-11-27T12:00:00+00:00",
        finished="2026-11-27T12:01:23+00:00",
        seconds=83.46,
        outcome="published",
        added=2,
        changed=1,
        unchanged=3,
        removed=1,
        failures={"ødelagt.pdf": "PDF-en kan ikke leses"},
        generation="gen-7",
        documents=6,
        chunks=40,
    )


def test_an_ingest_that_changed_nothing_is_unchanged_and_one_that_built_nothing_failed():
    assert IngestRecord.of_report(published(published=False), STARTED, FINISHED).outcome == (
        "unchanged"
    )
    failed = IngestRecord.of_error("Ingen dokumenter kunne leses", STARTED, FINISHED)
    assert (failed.outcome, failed.error, failed.added, failed.failures) == (
        "failed",
        "Ingen dokumenter kunne leses",
        0,
        {},
    )


def test_records_are_listed_newest_first_and_limited(tmp_path: Path):
    for minute in range(5):
        at = STARTED + timedelta(minutes=minute)
        record_ingest(tmp_path, IngestRecord.of_error(f"feil {minute}", at, at))
    listed = recent_ingests(tmp_path, limit=3)
    assert [r.error for r in listed] == ["feil 4", "feil 3", "feil 2"]


def test_the_log_is_empty_before_the_first_ingest_and_creates_nothing_when_read(tmp_path: Path):
    assert recent_ingests(tmp_path / "index") == []
    assert not (tmp_path / "index").exists()


def test_the_log_outlives_the_generations_that_pruning_removes(tmp_path: Path):
    record_ingest(tmp_path, IngestRecord.of_report(published(), STARTED, FINISHED))
    for number in (1, 2, 3):
        (tmp_path / f"gen-{number}").mkdir()  # no manifest: pruning removes them all
    prune(tmp_path)
    assert not list(tmp_path.glob("gen-*"))
    assert recent_ingests(tmp_path)[0].failures == {"ødelagt.pdf": "PDF-en kan ikke leses"}


def test_only_the_last_records_are_kept(tmp_path: Path):
    for number in range(KEEP_RECORDS + 5):
        record_ingest(tmp_path, IngestRecord.of_error(str(number), STARTED, FINISHED))
    kept = recent_ingests(tmp_path, limit=KEEP_RECORDS + 5)
    assert len(kept) == KEEP_RECORDS
    assert (kept[0].error, kept[-1].error) == (str(KEEP_RECORDS + 4), "5")


def test_a_record_with_fields_from_a_newer_version_is_still_read():
    text = json.dumps(
        {**json.loads(IngestRecord.of_error("x", STARTED, FINISHED).to_json()), "ny": 1}
    )
    assert IngestRecord.from_json(text).error == "x"


def test_a_damaged_log_is_reported_in_the_log_and_never_raised(tmp_path: Path, caplog):
    (tmp_path / LOG_FILE).write_bytes(b"dette er ingen SQLite-fil" * 100)
    with caplog.at_level(logging.WARNING, logger="refark.index"):
        record_ingest(tmp_path, IngestRecord.of_error("x", STARTED, FINISHED))
        assert recent_ingests(tmp_path) == []
    assert "Kunne ikke skrive innlesingsloggen" in caplog.text
    assert "Kunne ikke lese innlesingsloggen" in caplog.text
