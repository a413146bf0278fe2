"""Retrieval quality on NorQuAD: recall@1/5/10, MRR@10, nDCG@10 and median query time for the
dense, lexical and hybrid modes.

The passage pool is every distinct `context` of NorQuAD's validation and test splits (`all/`),
one .txt file per passage; each question's relevant passage is its own context, with the answer
span as the quote. Tune on the validation split only; the test split is reported once, at the
end (a second test run is refused unless --again is given).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from common import (
    BENCH_VAR,
    MODEL_WINDOW,
    Distribution,
    TokenCounter,
    all_chunks,
    ingest,
    load_embedder,
    log,
    open_searcher,
    shared_datasets,
)

from index.embedder import BACKENDS, DEFAULT_MODEL
from index.search import Searcher
from service.evaluation import (
    Question,
    RelevanceJudge,
    evaluate,
    read_questions,
    report_json,
    report_table,
)

SPLITS = ("validation", "test")
WORK_DIR = BENCH_VAR / "norquad"
CORPUS_DIR = WORK_DIR / "corpus"
INDEX_DIR = WORK_DIR / "index"
TEST_RUNS = WORK_DIR / "test-runs.log"


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    context: str
    answer: str


def passage_file(context: str) -> str:
    """A stable file name from the passage text: the same text always gets the same name."""
    return hashlib.sha256(context.encode("utf-8")).hexdigest()[:16] + ".txt"


def read_split(dataset: Path, split: str) -> list[Item]:
    return read_items(dataset / "all" / f"{split}_dataset_flattened.json")


def read_items(path: Path) -> list[Item]:
    """The questions of a NorQuAD file in SQuAD format, each with its passage and answer."""
    if not path.is_file():
        sys.exit(f"error: {path} not found")
    data = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]["text"].strip()
                items.append(Item(str(qa["id"]), qa["question"], paragraph["context"], answer))
    return items


def write_corpus(contexts: set[str], directory: Path = CORPUS_DIR) -> None:
    """One file per distinct passage; files no longer in the pool are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = {passage_file(c): c for c in contexts}
    for stale in directory.glob("*.txt"):
        if stale.name not in wanted:
            stale.unlink()
    for name, context in wanted.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != context:
            path.write_text(context, encoding="utf-8")


def write_questions(split: str, items: list[Item]) -> Path:
    path = WORK_DIR / f"{split}.jsonl"
    lines = [
        json.dumps(
            {
                "id": item.id,
                "question": item.question,
                "relevant": [{"doc": passage_file(item.context), "quote": item.answer}],
            },
            ensure_ascii=False,
        )
        for item in items
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def log_chunking(searcher: Searcher, model: str) -> None:
    """How many chunks a ~340-word passage becomes, and whether any overflow the model window."""
    chunks = all_chunks(searcher)
    per_passage = Counter(document.doc_id for document, _ in chunks)
    spread = Counter(per_passage.values())
    counter = TokenCounter(model)
    tokens = [counter.passage_tokens(document, chunk) for document, chunk in chunks]
    log(f"Chunks: {len(chunks)} from {len(per_passage)} passages")
    log(
        "  chunks per passage: "
        + ", ".join(f"{n} chunks: {spread[n]} passages" for n in sorted(spread))
    )
    log(f"  words per chunk:  {Distribution.of([len(c.text.split()) for _, c in chunks]).line()}")
    log(f"  tokens per chunk: {Distribution.of(tokens).line()}")
    log(f"  chunks over the {MODEL_WINDOW}-token window: {sum(t > MODEL_WINDOW for t in tokens)}")


def log_relevance(searcher: Searcher, split: str, questions: list[Question]) -> None:
    """Without searching: is each answer inside some chunk of its passage, and in how many?

    A short answer ("1905", "Oslo") may occur in several chunks of its passage, and an answer in
    the overlap between two chunks is in both; each such chunk counts as relevant."""
    judge = RelevanceJudge(searcher)
    found = {q.id: len(judge.relevant_chunk_ids(q)) for q in questions}
    missing = [qid for qid, count in found.items() if count == 0]
    several = sum(count > 1 for count in found.values())
    log(
        f"  {split}: {len(questions)} questions; answer found in no chunk: {len(missing)}"
        + (f" ({', '.join(missing[:10])})" if missing else "")
        + f"; answer in more than one chunk of its passage: {several}"
    )


def guard_test_run(again: bool) -> None:
    if TEST_RUNS.is_file() and not again:
        sys.exit(
            "error: the test split has already been evaluated "
            f"({TEST_RUNS.read_text(encoding='utf-8').strip()}). Test is reported once; tune on "
            "validation. Pass --again only if you really mean to report test a second time."
        )


def banner(split: str) -> str:
    if split == "test":
        return (
            "NorQuAD TEST split - the held-out report. Do not tune on these numbers; "
            "tuning is done on the validation split only."
        )
    return (
        "NorQuAD VALIDATION split - the tuning split. The test split is reported once, "
        "after tuning, with --split test."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, default="validation")
    parser.add_argument("--shared", type=Path, help="the shared folder holding datasets/")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="embedding model (default: %(default)s)"
    )
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="torch",
        help="runtime of the embedding model; other than torch, the index is built in "
        "index-<backend>/ (a vector space of its own) (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--again", action="store_true", help="allow a second evaluation of the test split"
    )
    args = parser.parse_args()
    if args.split == "test":
        guard_test_run(args.again)

    dataset = shared_datasets(args.shared, "norquad")
    items = {split: read_split(dataset, split) for split in SPLITS}
    contexts = {split: {i.context for i in items[split]} for split in SPLITS}
    shared_contexts = contexts["validation"] & contexts["test"]
    write_corpus(contexts["validation"] | contexts["test"])
    question_files = {split: write_questions(split, items[split]) for split in SPLITS}
    log(
        f"NorQuAD: {len(contexts['validation'] | contexts['test'])} distinct passages "
        f"({len(contexts['validation'])} validation, {len(contexts['test'])} test, "
        f"{len(shared_contexts)} in both); "
        + ", ".join(f"{len(items[s])} {s} questions" for s in SPLITS)
    )
    log(
        f"  validation questions whose passage is also a test passage: "
        f"{sum(i.context in shared_contexts for i in items['validation'])}"
    )

    embedder = load_embedder(args.model, args.backend)
    index_dir = INDEX_DIR if args.backend == "torch" else WORK_DIR / f"index-{args.backend}"
    ingest(CORPUS_DIR, index_dir, embedder)
    searcher = open_searcher(index_dir, embedder)
    log_chunking(searcher, args.model)
    questions = {split: read_questions(question_files[split]) for split in SPLITS}
    log("Answer quotes located in chunks (no search involved):")
    for split in SPLITS:
        log_relevance(searcher, split, questions[split])

    log("")
    log("=" * 78)
    log(banner(args.split))
    log("=" * 78)
    # NorQuAD answers are short spans: a hit quotes every word of the span.
    report = evaluate(searcher, questions[args.split], hit_share=1.0)
    if args.split == "test":
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        with TEST_RUNS.open("a", encoding="utf-8") as runs:
            runs.write(f"test split evaluated {datetime.now(UTC).isoformat(timespec='seconds')}\n")
    if args.json:
        result = {"dataset": "norquad", "split": args.split, "model": embedder.model_id}
        report_data = json.loads(report_json(report))
        print(json.dumps({**result, "report": report_data}, indent=1, ensure_ascii=False))
    else:
        print(banner(args.split))
        print(report_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
