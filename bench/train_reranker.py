"""Fit the passage reranker (index/rerank.py) on NorQuAD's train split and on domain questions
over the bundled corpus, choose its settings on held-out questions, and print MRR@10 /
recall@1 / recall@10 with and without it, then each set's figures with each feature group
left out. `--write` writes the chosen model to index/reranker.json, which search uses.

Train: every question of `train/train_derived.json` searched in the index of the train
passages (var/bench/norquad-train/index, built here or by bench/train_answer_selector.py), and
the domain training questions (corpus_training_questions.jsonl, written for fitting) over the
bundled corpus; a hit is positive when `service.evaluation` judges it relevant (it holds the
answer span or quote). The model is a pairwise logistic regression (which of a relevant and an
irrelevant hit of one question ranks first) over the top `depth` hits, with each domain row
counted `domain_weight` times.
Choice: the mean MRR@10 of NorQuAD validation (over the validation+test passage pool that
bench/norquad.py indexes: run it first), of the calibration questions
(corpus_calibration_questions.jsonl, kept apart from the training and eval questions) and of the
domain training questions by 5-fold cross-validation chooses the regularisation, the depth and
the domain weight. NorQuAD test is not read. The sample corpus's eval set and the public-docs
set are only reported. The domain sets are searched as `refark eval` searches them (spelling
corrected, follow-ups made self-contained), all of them in the fused order, without a reranker.

The searched hits are cached per set in var/bench/reranker/ (keyed on the index generation and
the source of index/ and ingest/ other than the reranker itself), so a refit takes a minute.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import (
    BENCH_VAR,
    REPO_ROOT,
    corpus_index_dir,
    ingest,
    load_embedder,
    log,
    shared_datasets,
)
from norquad import INDEX_DIR as VALIDATION_INDEX
from norquad import Item, passage_file, read_items, read_split, write_corpus
from sklearn.linear_model import LogisticRegression

from index.embedder import DEFAULT_MODEL, Embedder
from index.generation import current_generation
from index.linear import LinearModel
from index.rerank import (
    FEATURE_GROUPS,
    FEATURES,
    WEIGHTS_PATH,
    QueryContext,
    Reranker,
    hit_features,
    pool_rows,
)
from index.search import Hit, Searcher
from service.asking import searched_question
from service.evaluation import Question, RelevanceJudge, Relevant, read_questions

WORK_DIR = BENCH_VAR / "reranker"
TRAIN_DIR = BENCH_VAR / "norquad-train"
PUBLIC_DOCS_INDEX = BENCH_VAR / "public-docs" / "index"
CORPUS_QUESTIONS = REPO_ROOT / "corpus" / "eval" / "questions.jsonl"
CALIBRATION_QUESTIONS = Path(__file__).with_name("corpus_calibration_questions.jsonl")
TRAINING_QUESTIONS = Path(__file__).with_name("corpus_training_questions.jsonl")
PUBLIC_DOCS_QUESTIONS = Path(__file__).with_name("public_docs_questions.jsonl")
POOL = 50  # hits cached per question; every depth tried is at most this
DEPTHS = (10, 20, 30)
# Reported, never fitted on: the two sets the settings are chosen on, the sample corpus's eval
# set and the public-docs set.
REPORTED = ("validation", "corpus", "calibration", "public-docs")
STRENGTHS = (0.01, 0.1, 1.0)
DOMAIN_WEIGHTS = (0.0, 1.0, 3.0)
# The settings are chosen by the mean MRR@10 of these sets, which no model of a setting is fitted
# on: NorQuAD's held-out questions, the domain questions kept apart from both the training and
# the eval questions (30 answerable: too few alone), and the domain training questions by
# cross-validation.
CHOSEN_ON = ("validation", "calibration")
CUTOFF = 10
FOLDS = 5
BATCH = 64  # queries encoded at once


@dataclass
class Searched:
    """One question searched once: its top POOL hits, which are relevant, and what the
    reranker needs from the searcher."""

    query: str
    hits: list[Hit]
    relevant: np.ndarray  # bool per hit
    context: QueryContext


def code_fingerprint(index_dir: Path) -> str:
    """The search code and the generation a cache was made with."""
    digest = hashlib.sha256()
    for folder in ("index", "ingest"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            if path.name != "rerank.py":
                digest.update(path.read_bytes())
    digest.update(str((index_dir / "current").resolve()).encode())
    digest.update(str(POOL).encode())
    return digest.hexdigest()


class BatchedQueries:
    """The embedder, with the query vectors of a whole question set encoded ahead in batches:
    one query at a time costs many times more on a busy machine. It stands in for the Embedder,
    of which the Searcher asks only `model_id` and `embed_query`."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.model_id = embedder.model_id
        self._vectors: dict[str, np.ndarray] = {}

    def prepare(self, queries: Sequence[str]) -> None:
        wanted = sorted(set(queries) - set(self._vectors), key=len)
        for start in range(0, len(wanted), BATCH):
            batch = wanted[start : start + BATCH]
            # The embedder's own batch encoding, with the query prompt that embed_query uses.
            vectors = self._embedder._encode(batch, self._embedder._prompt("query"))
            self._vectors.update(zip(batch, vectors, strict=True))

    def embed_query(self, text: str) -> np.ndarray:
        if text not in self._vectors:
            self.prepare([text])
        return self._vectors[text]


def search_all(
    index_dir: Path, embedder: Embedder, questions: list[Question], as_eval: bool
) -> list[Searched]:
    batched = BatchedQueries(embedder)
    # Fused order only: the reranker is fitted on it.
    searcher = Searcher(current_generation(index_dir), batched)
    judge = RelevanceJudge(searcher)
    # Unanswerable questions have nothing to rank; a quote found in no chunk still counts, as a
    # miss, as it does in `refark eval`.
    answerable = [q for q in questions if q.relevant]
    queries = [
        searched_question(searcher, q.question, q.history) if as_eval else q.question
        for q in answerable
    ]
    batched.prepare(queries)
    found = []
    for question, query in zip(answerable, queries, strict=True):
        relevant_ids = judge.relevant_chunk_ids(question)
        hits = searcher.search(query, k=POOL)
        found.append(
            Searched(
                query,
                hits,
                np.array([h.chunk.chunk_id in relevant_ids for h in hits], dtype=bool),
                QueryContext.of(query, searcher.term_weights, searcher.glossary),
            )
        )
    return found


def cached(name: str, index_dir: Path, make: Callable[[], list[Searched]]) -> list[Searched]:
    path = WORK_DIR / f"{name}.pickle"
    fingerprint = code_fingerprint(index_dir)
    if path.is_file() and path.with_suffix(".sha").read_text() == fingerprint:
        return pickle.loads(path.read_bytes())
    log(f"Searching the {name} questions ...")
    found = make()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(found))
    path.with_suffix(".sha").write_text(fingerprint)
    return found


def as_questions(items: list[Item]) -> list[Question]:
    """NorQuAD items as eval questions: the relevant document is the question's own passage
    and the quote its answer span."""
    return [
        Question(i.id, i.question, (Relevant(passage_file(i.context), i.answer),)) for i in items
    ]


def load_sets(dataset: Path) -> dict[str, list[Searched]]:
    embedder = load_embedder(DEFAULT_MODEL)
    corpus_index = corpus_index_dir(embedder)
    train_file = dataset / "train" / "train_derived.json"
    write_corpus({i.context for i in read_items(train_file)}, TRAIN_DIR / "corpus")
    ingest(TRAIN_DIR / "corpus", TRAIN_DIR / "index", embedder)
    ingest(REPO_ROOT / "corpus", corpus_index, embedder)
    for index_dir, script in (
        (VALIDATION_INDEX, "norquad.py"),
        (PUBLIC_DOCS_INDEX, "public_docs.py"),
    ):
        if not index_dir.is_dir():
            sys.exit(f"error: run bench/{script} first: it builds {index_dir}")

    def searched(index_dir: Path, questions: list[Question], as_eval: bool) -> list[Searched]:
        return search_all(index_dir, embedder, questions, as_eval)

    return {
        "train": cached(
            "train",
            TRAIN_DIR / "index",
            lambda: searched(TRAIN_DIR / "index", as_questions(read_items(train_file)), False),
        ),
        "validation": cached(
            "validation",
            VALIDATION_INDEX,
            lambda: searched(
                VALIDATION_INDEX, as_questions(read_split(dataset, "validation")), False
            ),
        ),
        "corpus": cached(
            "corpus",
            corpus_index,
            lambda: searched(corpus_index, read_questions(CORPUS_QUESTIONS), True),
        ),
        "corpus-train": cached(
            "corpus-train",
            corpus_index,
            lambda: searched(corpus_index, read_questions(TRAINING_QUESTIONS), True),
        ),
        "calibration": cached(
            "calibration",
            corpus_index,
            lambda: searched(corpus_index, read_questions(CALIBRATION_QUESTIONS), True),
        ),
        "public-docs": cached(
            "public-docs",
            PUBLIC_DOCS_INDEX,
            lambda: searched(PUBLIC_DOCS_INDEX, read_questions(PUBLIC_DOCS_QUESTIONS), True),
        ),
    }


@dataclass
class Rows:
    """One set's questions as feature rows per depth, with each hit's relevance."""

    rows: list[np.ndarray]
    relevant: list[np.ndarray]


def rows_by_depth(found: list[Searched]) -> dict[int, Rows]:
    """Each hit's own features once; the pool-relative ones per depth, as the reranker sees
    only the top `depth` hits."""
    own = [[hit_features(h, s.context) for h in s.hits] for s in found]
    return {
        depth: Rows([pool_rows(o[:depth]) for o in own], [s.relevant[:depth] for s in found])
        for depth in DEPTHS
    }


@dataclass(frozen=True)
class Figures:
    mrr: float
    recall_at_1: float
    recall_at_10: float


def figures(orders: Sequence[np.ndarray], relevant: Sequence[np.ndarray]) -> Figures:
    """MRR@10, recall@1 and recall@10 of each question's ranking (indices into its hits)."""
    firsts = []
    for order, flags in zip(orders, relevant, strict=True):
        top = flags[order[:CUTOFF]]
        firsts.append(int(np.argmax(top)) + 1 if top.any() else None)
    count = len(firsts) or 1
    return Figures(
        sum(1 / f for f in firsts if f) / count,
        sum(f == 1 for f in firsts) / count,
        sum(f is not None for f in firsts) / count,
    )


def fused(data: Rows) -> Figures:
    return figures([np.arange(len(r)) for r in data.relevant], data.relevant)


def reranked(model: Reranker, data: Rows) -> Figures:
    orders = [np.argsort(-model.scores(r), kind="stable") for r in data.rows]
    return figures(orders, data.relevant)


def training_pairs(data: Rows) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise examples (RankNet/RankSVM style): for each question, each relevant hit minus
    each irrelevant one, labelled 1, and the reverse, labelled 0."""
    differences = [np.zeros((0, len(FEATURES)))]
    for rows, flags in zip(data.rows, data.relevant, strict=True):
        if flags.any() and not flags.all():
            positives, negatives = rows[flags], rows[~flags]
            differences.append(
                (positives[:, None, :] - negatives[None, :, :]).reshape(-1, rows.shape[1])
            )
    pairs = np.vstack(differences)
    return np.vstack([pairs, -pairs]), np.r_[np.ones(len(pairs)), np.zeros(len(pairs))]


@dataclass(frozen=True)
class Setting:
    """One point of the grid the script chooses from."""

    pairwise: bool
    strength: float  # C of the logistic regression
    depth: int
    domain_weight: float  # what one domain training row counts against one NorQuAD row

    def __str__(self) -> str:
        loss = "pairwise" if self.pairwise else "pointwise"
        return f"{loss}, C={self.strength}, depth {self.depth}, domain ×{self.domain_weight:g}"


# Pairwise only: pointwise never ranked better on validation (2026-11-28 runs), and each
# setting is cross-validated, which costs five fits.
GRID = tuple(
    Setting(True, strength, depth, weight)
    for strength in STRENGTHS
    for depth in DEPTHS
    for weight in DOMAIN_WEIGHTS
)
CROSS_VALIDATED = "corpus-train (CV)"


def fit(norquad: Rows, domain: Rows, kept: list[int], setting: Setting) -> Reranker:
    """A logistic regression on the kept columns over NorQuAD's rows and the domain's rows
    (weighted), standardized by both; the other columns keep a zero weight, so every variant
    reads the same feature rows."""
    parts = [(norquad, 1.0)]
    if setting.domain_weight > 0:
        parts.append((domain, setting.domain_weight))
    every = np.vstack([r for part, _ in parts for r in part.rows])
    mean, scale = every.mean(axis=0), every.std(axis=0)
    scale[scale < 1e-9] = 1.0
    inputs, labels, weights = [], [], []
    for part, weight in parts:
        standardized = Rows([(r - mean) / scale for r in part.rows], part.relevant)
        if setting.pairwise:
            x, y = training_pairs(standardized)
        else:
            x, y = np.vstack(standardized.rows), np.concatenate(part.relevant).astype(float)
        inputs.append(x)
        labels.append(y)
        weights.append(np.full(len(y), weight))
    model = LogisticRegression(
        C=setting.strength, fit_intercept=not setting.pairwise, max_iter=2000
    )
    model.fit(np.vstack(inputs)[:, kept], np.concatenate(labels), np.concatenate(weights))
    coefficients = np.zeros(len(FEATURES))
    coefficients[kept] = model.coef_[0]
    return Reranker(LinearModel(FEATURES, mean, scale, coefficients), setting.depth)


def cross_validated(norquad: Rows, domain: Rows, kept: list[int], setting: Setting) -> Figures:
    """The domain questions' figures, each question ranked by a model fitted without its fold
    (NorQuAD train always in): how well the domain rows teach what they were not fitted on."""
    folds = np.array_split(np.random.default_rng(0).permutation(len(domain.rows)), FOLDS)
    orders: list[np.ndarray] = [np.zeros(0, dtype=int)] * len(domain.rows)
    for fold in folds:
        held_out = set(fold.tolist())
        rest = [i for i in range(len(domain.rows)) if i not in held_out]
        model = fit(
            norquad,
            Rows([domain.rows[i] for i in rest], [domain.relevant[i] for i in rest]),
            kept,
            setting,
        )
        for i in fold:
            orders[i] = np.argsort(-model.scores(domain.rows[i]), kind="stable")
    return figures(orders, domain.relevant)


def cell(result: Figures) -> str:
    return f"{result.mrr:.3f} / {result.recall_at_10:.3f}"


def line(label: str, result: Figures) -> str:
    return f"| {label} | {result.mrr:.3f} | {result.recall_at_1:.3f} | {result.recall_at_10:.3f} |"


def header(first: str) -> str:
    return f"| {first} | MRR@10 | recall@1 | recall@10 |\n|---|---:|---:|---:|"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, help="the shared folder holding datasets/")
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_PATH.name}")
    args = parser.parse_args()
    sets = load_sets(shared_datasets(args.shared, "norquad"))
    log("Computing features ...")
    data = {name: rows_by_depth(found) for name, found in sets.items()}
    train = data["train"]
    log(
        f"train: {len(sets['train'])} questions, "
        f"{sum(s.relevant.any() for s in sets['train'])} with a relevant hit in the top {POOL}"
    )
    every = list(range(len(FEATURES)))
    domain = data["corpus-train"]

    choice_sets = (*CHOSEN_ON, CROSS_VALIDATED)

    def choice_score(result: dict[str, Figures]) -> tuple[float, float]:
        return (
            sum(result[name].mrr for name in choice_sets) / len(choice_sets),
            min(result[name].recall_at_10 for name in choice_sets),
        )

    print(
        "## Choice on NorQuAD validation, the calibration questions and the domain training "
        f"questions by {FOLDS}-fold cross-validation (MRR@10 / recall@10 of the top 10)"
    )
    print("| setting | " + " | ".join(choice_sets) + " |\n|---|" + "---:|" * len(choice_sets))
    print(
        "| fused order (no reranker) | "
        + " | ".join(cell(fused(data[name][CUTOFF])) for name in (*CHOSEN_ON, "corpus-train"))
        + " |"
    )
    results: dict[Setting, dict[str, Figures]] = {}
    for setting in GRID:
        model = fit(train[setting.depth], domain[setting.depth], every, setting)
        results[setting] = {name: reranked(model, data[name][setting.depth]) for name in CHOSEN_ON}
        results[setting][CROSS_VALIDATED] = cross_validated(
            train[setting.depth], domain[setting.depth], every, setting
        )
        print(
            f"| {setting} | "
            + " | ".join(cell(results[setting][name]) for name in choice_sets)
            + " |",
            flush=True,
        )
    chosen = max(results, key=lambda setting: choice_score(results[setting]))
    depth = chosen.depth
    final = fit(train[depth], domain[depth], every, chosen)

    print(f"\n## Before and after ({chosen})")
    print(header("set"))
    for name in REPORTED:
        print(line(f"{name} ({len(sets[name])} q), fused order", fused(data[name][CUTOFF])))
        print(line(f"{name}, reranked", reranked(final, data[name][depth])))

    print(
        "\n## Feature groups (each row refits without the group; MRR@10 / recall@10; "
        f"corpus-train: {FOLDS}-fold cross-validation over the domain training questions)"
    )
    columns = (*REPORTED, CROSS_VALIDATED)
    print("| left out | " + " | ".join(columns) + " |\n|---|" + "---:|" * len(columns))
    print(
        "| (fused order) | "
        + " | ".join(cell(fused(data[name][CUTOFF])) for name in (*REPORTED, "corpus-train"))
        + " |"
    )
    for group, names in {"nothing": (), **FEATURE_GROUPS}.items():
        kept = [i for i, name in enumerate(FEATURES) if name not in names]
        variant = fit(train[depth], domain[depth], kept, chosen)
        cells = [reranked(variant, data[name][depth]) for name in REPORTED]
        cells.append(cross_validated(train[depth], domain[depth], kept, chosen))
        print(f"| {group} | " + " | ".join(cell(c) for c in cells) + " |")
    print(f"\nchosen: {chosen}")
    weights = zip(FEATURES, final.model.coefficients, strict=True)
    print(", ".join(f"{n} {w:+.2f}" for n, w in weights))
    if args.write:
        WEIGHTS_PATH.write_text(json.dumps(final.to_json(), indent=1) + "\n", encoding="utf-8")
        log(f"wrote {WEIGHTS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
