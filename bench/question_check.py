"""Help write eval-format question files over the bundled corpus: print a document's text as
Refark extracted it (quotes must be taken from this text), or check that every quote of a
question file is found in a chunk of its document.

    .venv/bin/python bench/question_check.py text standarder/plo-meldinger.pdf
    .venv/bin/python bench/question_check.py check bench/corpus_training_questions.jsonl

Reads the corpus index of `refark eval` runs (`var/bench/corpus-index`, `--index-dir`), and
builds it first if it is missing. Exits 1 when a quote is found in no chunk or an id repeats.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from common import BENCH_VAR, REPO_ROOT, ingest, load_embedder, open_searcher

from index.embedder import DEFAULT_MODEL
from service.evaluation import Question, RelevanceJudge, read_questions

CORPUS_INDEX = BENCH_VAR / "corpus-index"


def problems(questions: list[Question], judge: RelevanceJudge) -> list[str]:
    found = []
    for question_id, count in Counter(q.id for q in questions).items():
        if count > 1:
            found.append(f"{question_id}: the id is used {count} times")
    for question in questions:
        for relevant in question.relevant:
            one = Question(question.id, question.question, (relevant,))
            if not judge.relevant_chunk_ids(one):
                found.append(f"{question.id}: not found in {relevant.doc}: {relevant.quote!r}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("text", "check"))
    parser.add_argument("target", help="a document's path under corpus/, or a question file")
    parser.add_argument("--index-dir", type=Path, default=CORPUS_INDEX)
    args = parser.parse_args()

    embedder = load_embedder(DEFAULT_MODEL, "onnx-int8")
    if not args.index_dir.is_dir():
        ingest(REPO_ROOT / "corpus", args.index_dir, embedder)
    searcher = open_searcher(args.index_dir, embedder)
    if args.command == "text":
        document = next((d for d in searcher.documents.values() if d.source == args.target), None)
        if document is None:
            sys.exit(f"error: no document {args.target!r} in the index")
        stored = searcher.store.document(document.doc_id)
        print(stored.text if stored else "")
        return
    questions = read_questions(Path(args.target))
    found = problems(questions, RelevanceJudge(searcher))
    for problem in found:
        print(problem)
    answerable = sum(bool(q.relevant) for q in questions)
    print(f"{len(questions)} questions ({answerable} answerable), {len(found)} problems")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
