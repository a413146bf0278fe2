"""The re-ingest after an approval, with a stand-in engine whose ingests the test lets finish:
a change is always read by an ingest that started after it, and requests share one that waits."""

from __future__ import annotations

import threading

from index.generation import IngestBusy
from service.follow_up_ingest import FollowUpIngest

WAIT_SECONDS = 30  # only so that a broken test fails instead of hanging


class GatedEngine:
    """An engine whose `reingest` blocks until the test opens the gate once per ingest; the
    first `busy` calls find another ingest in the way."""

    def __init__(self, busy: int = 0) -> None:
        self.running_ingest: object | None = None
        self.started = threading.Semaphore(0)
        self.gate = threading.Semaphore(0)
        self.ingests = 0
        self.busy = busy

    def reingest(self) -> None:
        if self.busy:
            self.busy -= 1
            raise IngestBusy("En annen innlesing pågår allerede.")
        self.running_ingest = object()
        self.started.release()
        assert self.gate.acquire(timeout=WAIT_SECONDS)
        self.ingests += 1
        self.running_ingest = None


def let_one_ingest_run(engine: GatedEngine) -> None:
    assert engine.started.acquire(timeout=WAIT_SECONDS)
    engine.gate.release()


def wait_until_idle(trigger: FollowUpIngest) -> None:
    worker = trigger._worker
    if worker is not None:
        worker.join(WAIT_SECONDS)
        assert not worker.is_alive()


def test_a_request_with_nothing_running_starts_one_ingest():
    engine = GatedEngine()
    trigger = FollowUpIngest(engine, retry_seconds=0)
    assert trigger.request() == "started"
    let_one_ingest_run(engine)
    wait_until_idle(trigger)
    assert engine.ingests == 1


def test_requests_during_an_ingest_share_one_more_after_it():
    engine = GatedEngine()
    trigger = FollowUpIngest(engine, retry_seconds=0)
    trigger.request()
    assert engine.started.acquire(timeout=WAIT_SECONDS)  # the first ingest has read the corpus

    assert trigger.request() == "queued"
    assert trigger.request() == "queued"
    engine.gate.release()  # the first ends; the queued ones need an ingest of their own
    let_one_ingest_run(engine)
    wait_until_idle(trigger)
    assert engine.ingests == 2


def test_an_ingest_in_the_way_is_waited_for():
    engine = GatedEngine(busy=3)  # e.g. `refark ingest` in another process
    trigger = FollowUpIngest(engine, retry_seconds=0)
    trigger.request()
    let_one_ingest_run(engine)
    wait_until_idle(trigger)
    assert (engine.busy, engine.ingests) == (0, 1)


def test_a_request_while_another_ingest_runs_here_says_queued():
    engine = GatedEngine()
    engine.running_ingest = object()  # e.g. POST /api/admin/reingest
    trigger = FollowUpIngest(engine, retry_seconds=0)
    assert trigger.request() == "queued"
    let_one_ingest_run(engine)
    wait_until_idle(trigger)
