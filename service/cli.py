"""The `refark` command: ingest, search, ask, serve, eval and feedback."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from tqdm import tqdm

from index.build import IngestReport, NothingToIndex
from index.generation import (
    IndexMissing,
    IngestBusy,
    embedded_index,
    no_usable_index,
    usable_generations,
)
from index.search import Mode
from index.store import ChunkStore
from service.feedback import (
    MAX_FEEDBACK_ID,
    FeedbackStore,
    NewerFeedbackSchema,
    Source,
    StoredFeedback,
    UnknownFeedback,
    export_eval,
    to_jsonl,
)
from service.queries import InvalidQuery, checked_query, parse_filters
from service.remote import ServerError, call, server_for
from service.schemas import (
    MAX_SOURCE_DOC_CHARS,
    MAX_SOURCE_QUOTE_CHARS,
    AskFilters,
    AskResponse,
    SearchResponse,
)
from service.settings import Settings, get_settings


class _Bars:
    """tqdm progress bars on stderr, one per stage (files, then chunks embedded)."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None

    def start(self, stage: str, total: int) -> None:
        self.close()
        self._bar = tqdm(
            total=total, desc=stage, unit="", file=sys.stderr, leave=True, dynamic_ncols=True
        )

    def advance(self, count: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def print_report(report: IngestReport) -> None:
    print("\nInnlesing ferdig" + ("" if report.published else " (ingen endringer)"))
    print(f"  lagt til:   {len(report.added)}")
    print(f"  endret:     {len(report.changed)}")
    print(f"  uendret:    {len(report.unchanged)}")
    print(f"  fjernet:    {len(report.removed)}")
    print(f"  feilet:     {len(report.failed)}")
    for source, reason in sorted(report.failed.items()):
        print(f"    - {source}: {reason}")
    print(
        f"  dokumenter: {report.document_count}, tekstbiter: {report.chunk_count}, "
        f"nye innbygginger: {report.chunks_embedded} tekstbiter og "
        f"{report.sentences_embedded} setninger"
    )
    print(f"  indeks:     {report.generation}")
    print(f"  tid:        {report.seconds:.1f} s")


def _engine(settings: Settings):
    from service.engine import Engine  # loads torch: only for commands that need the model

    return Engine(settings)


# Exit statuses of `refark ingest` (documented in README.md, "Kommandolinje").
INGEST_OK = 0  # every file was read
INGEST_NOTHING_BUILT = 1  # no document could be read: the index is as it was
INGEST_SOME_FAILED = 23  # the index was built or kept, but some files were not read (as rsync)
INGEST_BUSY = 75  # another ingest holds the index directory: try again later (EX_TEMPFAIL)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    corpus = Path(args.corpus_dir) if args.corpus_dir else settings.corpus_dir
    bars = _Bars()
    try:
        report = _engine(settings).reingest(
            corpus, progress=bars, follow_symlinks=args.follow_symlinks
        )
    except NothingToIndex as error:
        print(f"Feil: {error}", file=sys.stderr)
        return INGEST_NOTHING_BUILT
    except IngestBusy as error:
        print(f"Feil: {error}", file=sys.stderr)
        return INGEST_BUSY
    finally:
        bars.close()
    print_report(report)
    return INGEST_SOME_FAILED if report.failed else INGEST_OK


def _check_query(text: str) -> str | None:
    try:
        checked_query(text)
    except InvalidQuery as error:
        return str(error)
    return None


def print_notices(notices: list[str]) -> None:
    for notice in notices:
        print(f"Merk: {notice}", file=sys.stderr)


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    if problem := _check_query(args.query):
        print(f"Feil: {problem}", file=sys.stderr)
        return 2
    if server := server_for(settings, args.index_dir is not None):
        params = {"q": args.query, "k": args.k, "mode": args.mode, "type": args.type or []}
        response = SearchResponse.model_validate(call(server, "/api/search", params=params))
    else:
        from service.responses import search_response

        filters = parse_filters(AskFilters(type=args.type or []))
        searched = _engine(settings).search(args.query, args.k, Mode(args.mode), filters)
        response = search_response(searched, settings.base_url)
    if args.json:
        print(response.model_dump_json(indent=1))
        return 0
    print_notices(response.notices)
    if not response.results:
        print("Ingen treff.")
    for r in response.results:
        where = ", ".join(x for x in (r.section, f"s. {r.page}" if r.page else "") if x)
        print(f"{r.rank}. {r.title} [{r.doc_type}] ({r.score:.3f})")
        print(f"   {r.source}{' – ' + where if where else ''}")
        print(f"   {' '.join(r.text.split())[:300]}")
        print(f"   {r.url}\n")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if problem := _check_query(args.question):
        print(f"Feil: {problem}", file=sys.stderr)
        return 2
    if server := server_for(settings, args.index_dir is not None):
        response = AskResponse.model_validate(
            call(server, "/api/ask", body={"question": args.question})
        )
    else:
        from service.responses import ask_response

        response = ask_response(_engine(settings).ask(args.question), settings.base_url)
    if args.json:
        print(response.model_dump_json(indent=1))
        return 0
    print_notices(response.notices)
    print(response.answer + "\n")
    for c in response.citations:
        page = f", s. {c.page}" if c.page else ""
        print(f"[{c.n}] {c.title}{page} – {c.section or c.source}\n    {c.url}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.main import create_app

    settings = settings.model_copy(
        update={
            "host": args.host or settings.host,
            "port": args.port or settings.port,
            "workers": settings.workers if args.workers is None else args.workers,
        }
    )
    if settings.workers < 1:
        print("Feil: --workers må være minst 1.", file=sys.stderr)
        return 2
    missing = not embedded_index(settings.index_dir)
    if settings.workers > 1:
        if missing:  # built once here, not by every worker at the same time
            _build_first_index(settings)
        _serve_workers(settings)
        return 0
    engine = _engine(settings)
    if missing:
        print(
            f"Ingen ferdig indeks i {settings.index_dir}: bygger den fra {settings.corpus_dir} i "
            f"bakgrunnen. Siden svarer på {settings.base_url} straks, søk på nøkkelord så snart "
            "filene er lest; /readyz viser fremdriften."
        )
        engine.build_first_index()
    app = create_app(settings, engine)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0


def _build_first_index(settings: Settings) -> None:
    print(f"Ingen indeks i {settings.index_dir}: leser inn {settings.corpus_dir} først.")
    bars = _Bars()
    try:
        print_report(_engine(settings).reingest(progress=bars))
    except NothingToIndex as error:
        print(f"Advarsel: {error} Tjenesten starter uten indeks.", file=sys.stderr)
    finally:
        bars.close()


# A worker that loads torch and the model while the machine is busy can miss uvicorn's default
# 5 s health ping and be killed and restarted in a loop; a hung worker is still replaced.
WORKER_HEALTHCHECK_SECONDS = 30


def _serve_workers(settings: Settings) -> None:
    """`settings.workers` processes on one listening socket. uvicorn starts each worker as a
    fresh interpreter that imports the app factory, so the command-line options travel as the
    REFARK_* variables its Settings reads. Every worker opens the current generation itself
    (memory-mapped, so the index pages are shared) and follows later generations on its own."""
    import os

    import uvicorn

    os.environ.update(
        REFARK_HOST=settings.host,
        REFARK_PORT=str(settings.port),
        REFARK_INDEX_DIR=str(settings.index_dir),
    )
    uvicorn.run(
        "service.main:app_from_environment",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level="info",
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from service.evaluation import (
        EvalFileError,
        evaluate,
        read_questions,
        report_json,
        report_table,
    )

    try:
        questions = read_questions(Path(args.qa_file))
    except (OSError, EvalFileError) as error:
        print(f"Feil: {error}", file=sys.stderr)
        return 2
    modes = tuple(Mode) if args.mode == "all" else (Mode(args.mode),)
    report = evaluate(_engine(settings).searcher(), questions, modes=modes)
    print(report_json(report) if args.json else report_table(report))
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """Open the feedback store, then run the `refark feedback` action asked for."""
    try:
        store = FeedbackStore(settings.feedback_db)
    except (OSError, sqlite3.DatabaseError, NewerFeedbackSchema) as error:
        print(f"Feil: kan ikke åpne {settings.feedback_db}: {error}", file=sys.stderr)
        return 1
    return args.feedback_action(args, settings, store)


def _current_chunks(index_dir: Path) -> ChunkStore:
    """The chunk store of the generation a server would answer from, opened without loading
    the embedding model."""
    rejected: dict[tuple[str, int], str] = {}
    for generation, _ in usable_generations(index_dir, rejected):
        return ChunkStore(generation.store_path)
    raise no_usable_index(index_dir, rejected)


def feedback_export(args: argparse.Namespace, settings: Settings, store: FeedbackStore) -> int:
    items = export_eval(store, _current_chunks(settings.index_dir))
    text = to_jsonl(items)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as error:
            print(f"Feil: kan ikke skrive {args.output}: {error.strerror}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    unmarked = sum(1 for item in items if not item["relevant"])
    print(
        f"{len(items)} 👎-svar eksportert; {unmarked} uten merket kilde (regnes som spørsmål "
        "Refark burde ha avvist, til noen merker riktig kilde med `refark feedback mark`).",
        file=sys.stderr,
    )
    return 0


def _check_source(doc: str, quote: str) -> str | None:
    if not doc.strip() or not quote.strip():
        return "Dokument og sitat kan ikke være tomme."
    if len(doc) > MAX_SOURCE_DOC_CHARS:
        return f"Dokumentstien er for lang (over {MAX_SOURCE_DOC_CHARS} tegn)."
    if len(quote) > MAX_SOURCE_QUOTE_CHARS:
        return f"Sitatet er for langt (over {MAX_SOURCE_QUOTE_CHARS} tegn)."
    return None


def feedback_mark(args: argparse.Namespace, settings: Settings, store: FeedbackStore) -> int:
    if problem := _check_source(args.doc, args.quote):
        print(f"Feil: {problem}", file=sys.stderr)
        return 2
    try:
        store.mark_source(args.id, Source(args.doc, args.quote))
    except UnknownFeedback as error:
        print(f"Feil: {error}", file=sys.stderr)
        return 2
    print(f"Tilbakemelding {args.id}: riktig kilde er {args.doc}.")
    return 0


_VOTE_SIGNS = {"up": "👍", "down": "👎"}


def _shorten(text: str, limit: int) -> str:
    collapsed = " ".join(text.split())
    return collapsed if len(collapsed) <= limit else collapsed[: limit - 1] + "…"


def describe_feedback(entry: StoredFeedback) -> str:
    """One line per vote: id, time, vote, channel, question, comment and marked sources."""
    feedback = entry.feedback
    line = (
        f"{entry.id:>5}  {entry.created_at}  {_VOTE_SIGNS[feedback.vote]}  "
        f"{feedback.channel:<5}  «{_shorten(feedback.question, 80)}»"
    )
    if feedback.comment:
        line += f"  kommentar: «{_shorten(feedback.comment, 60)}»"
    if entry.sources:
        count = len(entry.sources)
        line += f"  ({count} {'kilde' if count == 1 else 'kilder'} merket)"
    return line


def feedback_list(args: argparse.Namespace, settings: Settings, store: FeedbackStore) -> int:
    entries = store.entries(vote=args.vote, limit=args.limit)
    if not entries:
        print("Ingen tilbakemeldinger.")
    for entry in entries:
        print(describe_feedback(entry))
    return 0


def _int_between(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number from low to high, refused in Norwegian."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"må være et heltall fra {low} til {high}")
        return number

    return parse


def _add_feedback_commands(commands: argparse._SubParsersAction) -> None:
    feedback = commands.add_parser("feedback", help="tilbakemeldinger (👍/👎) på svar")
    # index_dir: main() reads it for every command; only `export` looks at the index.
    feedback.set_defaults(handler=cmd_feedback, index_dir=None)
    actions = feedback.add_subparsers(dest="feedback_command", required=True)

    export = actions.add_parser(
        "export", help="skriv 👎-svarene som spørsmålsfil for `refark eval` (JSON Lines)"
    )
    export.add_argument("--output", help="fil å skrive til (standard: standard ut)")
    export.add_argument("--index-dir", help="indeksmappe (standard: REFARK_INDEX_DIR)")
    export.set_defaults(feedback_action=feedback_export)

    mark = actions.add_parser("mark", help="merk hvilken kilde som ville vært riktig svar")
    mark.add_argument("id", type=_int_between(1, MAX_FEEDBACK_ID), help="tilbakemeldingens id")
    mark.add_argument("--doc", required=True, help="dokumentets sti i korpuset")
    mark.add_argument("--quote", required=True, help="nøyaktig tekst fra dokumentet")
    mark.set_defaults(feedback_action=feedback_mark)

    listing = actions.add_parser("list", help="vis de nyeste tilbakemeldingene")
    listing.add_argument("--vote", choices=["up", "down"], help="bare 👍 (up) eller 👎 (down)")
    listing.add_argument("--limit", type=_int_between(1, 1000), default=20, metavar="1..1000")
    listing.set_defaults(feedback_action=feedback_list)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refark", description="Søk og spørsmål i dokumenter om kommunal e-helsearkitektur."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def with_index(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--index-dir", help="indeksmappe (standard: REFARK_INDEX_DIR)")
        return sub

    ingest = with_index(commands.add_parser("ingest", help="les inn dokumenter og bygg indeksen"))
    ingest.add_argument("corpus_dir", nargs="?", help="korpusmappe (standard: REFARK_CORPUS_DIR)")
    ingest.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="les også filer og mapper som symbolske lenker peker på utenfor korpusmappen "
        "(bare for et speil du stoler på)",
    )
    ingest.set_defaults(handler=cmd_ingest)

    search = with_index(commands.add_parser("search", help="søk etter avsnitt"))
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10, choices=range(1, 101), metavar="1..100")
    search.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.HYBRID.value)
    search.add_argument("--type", action="append", help="bare denne dokumenttypen (kan gjentas)")
    search.add_argument("--json", action="store_true", help="skriv svaret som JSON")
    search.set_defaults(handler=cmd_search)

    ask = with_index(commands.add_parser("ask", help="still et spørsmål og få et svar med kilder"))
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="skriv svaret som JSON")
    ask.set_defaults(handler=cmd_ask)

    serve = with_index(commands.add_parser("serve", help="start nettsiden og API-et"))
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        help="antall arbeidsprosesser; hver laster modellen (standard: REFARK_WORKERS, ellers 1)",
    )
    serve.set_defaults(handler=cmd_serve)

    evaluation = with_index(commands.add_parser("eval", help="mål søkekvaliteten"))
    evaluation.add_argument("qa_file")
    evaluation.add_argument("--mode", choices=["all", *[m.value for m in Mode]], default="all")
    evaluation.add_argument("--json", action="store_true", help="skriv resultatet som JSON")
    evaluation.set_defaults(handler=cmd_eval)

    _add_feedback_commands(commands)
    for command in entry_points(group="refark.commands"):  # `refark slack`, from bots/
        module = command.load()
        plugged = with_index(commands.add_parser(command.name, help=module.HELP))
        plugged.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    if args.index_dir:
        settings = settings.model_copy(update={"index_dir": Path(args.index_dir)})
    try:
        return args.handler(args, settings)
    except (IndexMissing, ServerError) as error:
        print(f"Feil: {error}", file=sys.stderr)
        return 2 if getattr(error, "status", 0) in range(400, 500) else 1


if __name__ == "__main__":
    sys.exit(main())
