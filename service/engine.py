"""The answer core shared by the HTTP routers, the CLI and the Slack app: search, ask and
re-ingest over the current index generation, swapped in without dropping requests. It returns
domain objects (hits, composed answers); each front end presents them its own way."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from index.build import IngestReport, NothingToIndex, Progress, build_index
from index.embedder import Embedder
from index.generation import IndexMissing, IngestBusy, no_usable_index, usable_generations
from index.ingest_log import IngestRecord, record_ingest
from index.search import Filters, Mode, Searcher
from service.asking import Asked, ask
from service.build_progress import BuildProgress
from service.schemas import Turn
from service.searching import Searched, search
from service.settings import Settings

logger = logging.getLogger("refark")


class Engine:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(
            settings.model, settings.model_cache, backend=settings.embedding_backend
        )
        self._searcher: Searcher | None = None
        self._swap_lock = threading.Lock()
        self._checked_at = 0.0
        # generations that failed to verify or open, with why: not retried on every check
        self._rejected: dict[tuple[str, int], str] = {}
        self.first_build: BuildProgress | None = None  # while the first index is being built
        # the ingest this process runs (first build, re-ingest or `refark ingest`): one at a time
        self.running_ingest: BuildProgress | None = None
        self._claim_lock = threading.Lock()

    def searcher(self) -> Searcher:
        """The current generation, re-checked at most every `reload_interval` seconds.
        A request that arrives during a swap keeps using the generation it already had."""
        now = time.monotonic()
        due = self._searcher is None or now - self._checked_at >= self.settings.reload_interval
        if due and self._swap_lock.acquire(blocking=self._searcher is None):
            try:
                self._checked_at = now
                self._refresh()
            finally:
                self._swap_lock.release()
        if self._searcher is None:
            raise self._unavailable()
        return self._searcher

    def _unavailable(self) -> IndexMissing:
        if self.first_build is not None:
            return IndexMissing(self.first_build.describe())
        return no_usable_index(self.settings.index_dir, self._rejected)

    def build_first_index(self) -> threading.Thread:
        """Build the first generation in the background, so the service answers (health, the
        page, 503 with progress) from its first second, searches by keyword as soon as the files
        are read, and in full once the embeddings are built."""
        progress = self.first_build = BuildProgress()

        def build() -> None:
            try:
                # Lexical-only first: written in the time reading the files takes, without the
                # model, so keyword search answers while the embeddings are built.
                self.reingest(progress=progress, embed=False)
                self.reingest(progress=progress)
            except (NothingToIndex, OSError) as error:
                progress.error = str(error)
                logger.error("Den første indeksen kunne ikke bygges: %s", error)
                return
            except Exception as error:
                progress.error = "uventet feil (se loggen)"
                logger.exception("Den første indeksen kunne ikke bygges: %s", error)
                return
            self.first_build = None

        thread = threading.Thread(target=build, name="first-index", daemon=True)
        thread.start()
        return thread

    def _refresh(self) -> None:
        """Serve the best generation that verifies and opens: `current`, else the newest
        older one. A broken generation is passed over, and the one serving keeps serving."""
        serving = self._searcher.directory if self._searcher else None
        for generation, _ in usable_generations(
            self.settings.index_dir, self._rejected, trusted=serving
        ):
            if self._searcher is not None and self._searcher.directory == generation.directory:
                return
            try:
                self._searcher = Searcher(
                    generation.directory, self.embedder, self.settings.reranker
                )
            except Exception as error:  # e.g. another model, or a part its library refuses
                self._rejected[generation.identity()] = f"{generation.name}: {error}"
                logger.warning("Kan ikke åpne %s: %s", generation.name, error)
                continue
            logger.info("Svarer fra indeksgenerasjon %s", generation.name)
            return

    def unavailable_reason(self) -> str:
        return str(self._unavailable())

    @property
    def serving(self) -> Searcher | None:
        """The generation in use, without waiting for a check of the index directory."""
        return self._searcher

    @property
    def ready(self) -> bool:
        try:
            self.searcher()
        except Exception:
            return False
        return True

    def search(
        self, query: str, k: int = 10, mode: Mode = Mode.HYBRID, filters: Filters | None = None
    ) -> Searched:
        searcher = self.searcher()
        searched = search(searcher, query, k, mode, filters)
        if not searcher.lexical_only:
            return searched
        return replace(searched, notices=(*searched.notices, self._keywords_only()))

    def ask(
        self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None
    ) -> Asked:
        searcher = self.searcher()
        if searcher.lexical_only:
            # An answer is chosen by meaning; from keywords alone it would be a guess.
            raise IndexMissing(
                f"{self._building()}: spørsmål kan besvares når den er ferdig. "
                "Søk på nøkkelord virker allerede."
            )
        return ask(searcher, question, history, filters)

    def _building(self) -> str:
        progress = self.first_build or self.running_ingest
        return f"Indeksen bygges ({progress.percent} %)" if progress else "Indeksen bygges"

    def _keywords_only(self) -> str:
        return (
            f"{self._building()}: foreløpig søkes det bare på nøkkelord; "
            "søk på mening kommer når den er ferdig."
        )

    def reingest(
        self,
        corpus_dir: Path | None = None,
        progress: Progress | None = None,
        follow_symlinks: bool = False,
        embed: bool = True,
    ) -> IngestReport:
        """Ingest the corpus into a new generation and serve it. Followed in `running_ingest`
        and recorded in the ingest log, also when it fails. Raises IngestBusy while another
        ingest runs."""
        return self._ingest(self._claim(progress), corpus_dir, follow_symlinks, embed)

    def start_reingest(self) -> BuildProgress:
        """Start a re-ingest of the corpus in the background and return its progress, whose
        `outcome` tells how it ended. Raises IngestBusy while another ingest runs."""
        running = self._claim(None)

        def run() -> None:
            try:
                self._ingest(running)
            except Exception as error:  # already in running.outcome and the ingest log
                logger.warning("Innlesingen feilet: %s", error)

        threading.Thread(target=run, name="reingest", daemon=True).start()
        return running

    def _claim(self, progress: Progress | None) -> BuildProgress:
        with self._claim_lock:
            if self.running_ingest is not None:
                raise IngestBusy("En innlesing pågår allerede.")
            self.running_ingest = BuildProgress(forward=progress)
            return self.running_ingest

    def _ingest(
        self,
        running: BuildProgress,
        corpus_dir: Path | None = None,
        follow_symlinks: bool = False,
        embed: bool = True,
    ) -> IngestReport:
        started = datetime.now(UTC)
        try:
            report = build_index(
                corpus_dir or self.settings.corpus_dir,
                self.settings.index_dir,
                self.embedder,
                running,
                limits=self.settings.ingest_limits,
                follow_symlinks=follow_symlinks,
                embed=embed,
            )
            with self._swap_lock:
                self._refresh()
        except Exception as error:
            outcome = IngestRecord.of_error(
                str(error) or type(error).__name__, started, datetime.now(UTC)
            )
            if not isinstance(error, IngestBusy):  # then the ingest was another process's
                record_ingest(self.settings.index_dir, outcome)
            self._finish(running, outcome)
            raise
        outcome = IngestRecord.of_report(report, started, datetime.now(UTC))
        record_ingest(self.settings.index_dir, outcome)
        self._finish(running, outcome)
        return report

    def _finish(self, running: BuildProgress, outcome: IngestRecord) -> None:
        running.finish(outcome)
        self.running_ingest = None
