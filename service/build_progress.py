"""How far a running ingest has come, as the page and /readyz report it while the first index
is built in the background."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# Each stage's share of an ingest's time on the bundled corpus (files are read quickly;
# embedding the sentences takes longest), so the percentage moves at a steady pace.
STAGE_WEIGHTS = {"filer": 0.1, "tekstbiter": 0.4, "setninger": 0.5}


@dataclass
class BuildProgress:
    """A `index.build.Progress` that remembers where it is; read from other threads."""

    stage: str = "starter"
    done: int = 0
    total: int = 0
    error: str | None = None  # why the build gave up, if it did
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, stage: str, total: int) -> None:
        with self._lock:
            self.stage, self.done, self.total = stage, 0, total

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count

    @property
    def percent(self) -> int:
        with self._lock:
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
