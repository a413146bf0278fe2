"""The answer API shared by the HTTP routers, the CLI and the Slack bot: search, ask and
re-ingest over the current index generation, swapped in without dropping requests."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from index.build import IngestReport, NothingToIndex, Progress, build_index
from index.embedder import Embedder
from index.generation import IndexMissing, no_usable_index, usable_generations
from index.highlight import highlight_spans
from index.search import Filters, Hit, Mode, Searcher
from ingest.models import section_anchor
from service.asking import ask
from service.build_progress import BuildProgress
from service.schemas import (
    AskFilters,
    AskRequest,
    AskResponse,
    Citation,
    SearchResponse,
    SearchResult,
)
from service.settings import Settings

logger = logging.getLogger("refark")


def document_url(base_url: str, doc_id: str) -> str:
    return f"{base_url}/documents/{doc_id}"


def file_url(base_url: str, doc_id: str) -> str:
    return f"{base_url}/documents/{doc_id}/file"


def hit_url(base_url: str, hit: Hit) -> str:
    """PDFs open in the browser's viewer at the page; other formats in the reading view."""
    if hit.document.file_format == "pdf" and hit.chunk.page:
        return f"{file_url(base_url, hit.document.doc_id)}#page={hit.chunk.page}"
    anchor = section_anchor(hit.chunk.headings)
    suffix = f"#{anchor}" if anchor else ""
    return f"{document_url(base_url, hit.document.doc_id)}{suffix}"


def to_result(hit: Hit, query: str, base_url: str) -> SearchResult:
    meta = hit.document.meta
    return SearchResult(
        rank=hit.rank,
        score=round(hit.score, 4),
        chunk_id=hit.chunk.chunk_id,
        doc_id=hit.document.doc_id,
        title=meta.title,
        source=hit.document.source,
        doc_type=meta.doc_type,
        publisher=meta.publisher,
        date=meta.date,
        page=hit.chunk.page,
        section=hit.chunk.section,
        text=hit.chunk.text,
        url=hit_url(base_url, hit),
        highlights=highlight_spans(hit.chunk.text, query),
        best_sentence=max(hit.sentences, key=lambda s: s[2])[:2] if hit.sentences else None,
    )


def to_filters(filters: AskFilters) -> Filters:
    return Filters(
        doc_types=tuple(filters.type),
        publishers=tuple(filters.publisher),
        year_from=filters.year_from,
        year_to=filters.year_to,
    )


class Engine:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.model, settings.model_cache)
        self._searcher: Searcher | None = None
        self._swap_lock = threading.Lock()
        self._checked_at = 0.0
        # generations that failed to verify or open, with why: not retried on every check
        self._rejected: dict[tuple[str, int], str] = {}
        self.first_build: BuildProgress | None = None  # while the first index is being built

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
        page, 503 with progress) from its first second rather than after the whole ingest."""
        progress = self.first_build = BuildProgress()

        def build() -> None:
            try:
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
                self._searcher = Searcher(generation.directory, self.embedder)
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
    ) -> SearchResponse:
        started = time.perf_counter()
        searcher = self.searcher()
        correction = searcher.correct(query)
        hits = searcher.search(correction.text, k=k, mode=mode, filters=filters)
        results = [to_result(h, correction.text, self.settings.base_url) for h in hits]
        return SearchResponse(
            query=query,
            mode=mode.value,
            results=results,
            took_ms=round((time.perf_counter() - started) * 1000, 1),
            corrected_query=correction.text if correction.changes else None,
        )

    def ask(self, request: AskRequest) -> AskResponse:
        started = time.perf_counter()
        asked = ask(self.searcher(), request.question, request.history, to_filters(request.filters))
        citations = [
            Citation(n=n, **to_result(hit, asked.question, self.settings.base_url).model_dump())
            for n, hit in asked.answer.citations
        ]
        return AskResponse(
            question=request.question,
            answer=asked.answer.text,
            found=asked.answer.found,
            citations=citations,
            mode="extractive",
            took_ms=round((time.perf_counter() - started) * 1000, 1),
            corrected_query=asked.question if asked.question != request.question else None,
        )

    def reingest(
        self,
        corpus_dir: Path | None = None,
        progress: Progress | None = None,
        follow_symlinks: bool = False,
    ) -> IngestReport:
        report = build_index(
            corpus_dir or self.settings.corpus_dir,
            self.settings.index_dir,
            self.embedder,
            progress,
            limits=self.settings.ingest_limits,
            follow_symlinks=follow_symlinks,
        )
        with self._swap_lock:
            self._refresh()
        return report
