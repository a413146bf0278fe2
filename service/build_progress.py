"""How far a running ingest has come, as /readyz reports it while the first index is built in
the background and the maintainers' page follows it (GET /api/admin/reingest/events)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from index.build import Progress
from index.ingest_log import IngestRecord

# Each stage's share of an ingest's time on the bundled corpus (files are read quickly;
# embedding the sentences takes longest), so the percentage moves at a steady pace.
STAGE_WEIGHTS = {"filer": 0.1, "tekstbiter": 0.4, "setninger": 0.5}


@dataclass(frozen=True)
class ProgressState:
    """One consistent reading of a progress, for a report that must not mix two moments."""

    stage: str
    done: int
    total: int
    percent: int


@dataclass
class BuildProgress:
    """A `index.build.Progress` that remembers where it is; read from other threads."""

    stage: str = "starter"
    done: int = 0
    total: int = 0
    error: str | None = None  # why the build gave up, if it did
    outcome: IngestRecord | None = None  # how the ingest ended, once it has
    # told of every step too (the command line's progress bars)
    forward: Progress | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, stage: str, total: int) -> None:
        with self._lock:
            self.stage, self.done, self.total = stage, 0, total
        if self.forward is not None:
            self.forward.start(stage, total)

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
        if self.forward is not None:
            self.forward.advance(count)

    def finish(self, outcome: IngestRecord) -> None:
        self.outcome = outcome

    def state(self) -> ProgressState:
        with self._lock:
            return ProgressState(self.stage, self.done, self.total, self._percent())

    @property
    def percent(self) -> int:
        with self._lock:
            return self._percent()

    def _percent(self) -> int:
        stages = list(STAGE_WEIGHTS)
        if self.stage not in STAGE_WEIGHTS:
            return 0
        before = sum(STAGE_WEIGHTS[s] for s in stages[: stages.index(self.stage)])
        share = self.done / self.total if self.total else 1.0
        return min(99, int(100 * (before + STAGE_WEIGHTS[self.stage] * share)))

    def describe(self) -> str:
        if self.error:
            return f"Den første indeksen kunne ikke bygges: {self.error}"
        return f"Indeksen bygges ({self.percent} %). Prøv igjen om litt."
