"""Re-ingest after a change to the corpus (an approved experience report): at once when no
ingest runs, else as soon as the running one is done, so that the change is always read by an
ingest that started after it. Requests that arrive while one is waiting share it."""

from __future__ import annotations

import logging
import threading
import time
from typing import Literal

from index.generation import IngestBusy
from service.engine import Engine

logger = logging.getLogger("refark")

IngestStart = Literal["started", "queued"]
# How often a waiting re-ingest asks again whether the ingest in its way (this process's, or
# another's such as `refark ingest`) has finished.
BUSY_RETRY_SECONDS = 1.0


class FollowUpIngest:
    def __init__(self, engine: Engine, retry_seconds: float = BUSY_RETRY_SECONDS) -> None:
        self._engine = engine
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._wanted = False
        self._worker: threading.Thread | None = None

    def request(self) -> IngestStart:
        """Ask for a re-ingest; "queued" when it has to wait for an ingest already running."""
        with self._lock:
            self._wanted = True
            if self._worker is not None:
                return "queued"
            self._worker = threading.Thread(target=self._work, name="follow-up-ingest", daemon=True)
            self._worker.start()
            return "queued" if self._engine.running_ingest is not None else "started"

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._worker = None
                    return
                # Cleared before the ingest scans the corpus: a request from now on is not
                # sure to be seen by this ingest, so it makes the loop go round once more.
                self._wanted = False
            try:
                self._engine.reingest()
            except IngestBusy:
                with self._lock:
                    self._wanted = True
                time.sleep(self._retry_seconds)
            except Exception:  # the engine has recorded it in the ingest log
                logger.exception("Innlesingen etter en godkjent erfaringsrapport feilet")
