"""Whether search's relevance floor ("Ingen treff som ligner") tells real questions from
nonsense: for each query the best BM25 and best dense score of its hits on the bundled corpus,
and how many of each kind the floor (service.searching.resembles) would call "no match".

Real questions: every question of corpus/eval/questions.jsonl plus English, misspelled and
one-word queries. Nonsense: keyboard mashing, filler text and everyday topics the corpus does
not cover. A good floor calls no real question "no match" and most nonsense.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common import REPO_ROOT, corpus_index_dir, ingest, load_embedder, log, open_searcher

from index.embedder import DEFAULT_MODEL
from index.generation import IndexMissing
from service.evaluation import read_questions
from service.searching import NO_MATCH_DENSE, resembles

OTHER_REAL = [
    "what is document sharing?",
    "how do municipalities send care messages",
    "who runs the health network",
    "messages between nursing homes and GPs",
    "What does HelseID do?",
    "electronic prescriptions",
    "patient summary",
    "hvordan fungerr helsid innlogging for ansatte",
    "e-resept",
    "HelseID",
    "kjernejournal",
    "FHIR",
    "PLO",
    "dokumentdeling",
]
NONSENSE = [
    "xqzv plorf",
    "asdfgh qwerty",
    "blørk snirf vox",
    "zzzzzz",
    "kvasirulle",
    "lorem ipsum dolor sit amet",
    "hnnngh",
    "12345 67890",
    "jkl jkl jkl",
    "aaaa bbbb cccc",
    "the quick brown fox jumps",
    "fotballkamp i helgen",
    "oppskrift på pannekaker",
    "hvem vant eurovision 2019",
    "best pizza in oslo",
    "pølse med lompe",
    "kattemat tilbud",
    "vær i bergen i morgen",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, help="default: the corpus index of the model")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    embedder = load_embedder(args.model)
    args.index_dir = args.index_dir or corpus_index_dir(embedder)
    try:
        searcher = open_searcher(args.index_dir, embedder)
    except IndexMissing:
        log(f"building the corpus index in {args.index_dir} …")
        ingest(REPO_ROOT / "corpus", args.index_dir, embedder)
        searcher = open_searcher(args.index_dir, embedder)
    questions = read_questions(REPO_ROOT / "corpus" / "eval" / "questions.jsonl")
    real = [q.question for q in questions] + OTHER_REAL
    print(f"floor: no word of the query in the corpus and best dense < {NO_MATCH_DENSE}")
    print(f"{'kind':<9} {'queries':>7} {'no match':>8} {'BM25 min':>8} {'dense range':>13}")
    for kind, queries in (("real", real), ("nonsense", NONSENSE)):
        lexical, dense, refused = [], [], 0
        for query in queries:
            hits = searcher.search(searcher.correct(query).text, k=10)
            lexical.append(max(hit.lexical_score for hit in hits))
            dense.append(max(hit.dense_score for hit in hits))
            refused += not resembles(hits)
        print(
            f"{kind:<9} {len(queries):>7} {refused:>8} {min(lexical):>8.2f} "
            f"{min(dense):>6.3f}-{max(dense):.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
