"""Fit the answer selector (service/answer_selector.json) on NorQuAD's train split, choose its
settings on validation, and print the validation figures with and without each feature group.

Train: every question of `train/train_derived.json` asked against an index of the train
passages. A candidate unit is positive when it comes from the question's own passage and holds
the answer span: the unit model learns from these. Each question is also asked with its own
passage held out of the hits, which makes a question the index cannot answer (related passages
remain: hard negatives); the answerable model learns to tell the two apart.
Validation (the pool of validation and test passages that bench/norquad.py indexes) chooses the
regularisation and how many units an answer quotes. The decline threshold is the highest that
still answers 90 % of the validation questions and of the answerable questions in
`corpus_calibration_questions.jsonl` (domain questions over the sample corpus, kept apart from
its eval set, with near misses it cannot answer). Test is not read.
Run bench/norquad.py first.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from common import (
    BENCH_VAR,
    corpus_index_dir,
    ingest,
    load_embedder,
    log,
    open_searcher,
    shared_datasets,
)
from norquad import INDEX_DIR as VALIDATION_INDEX
from norquad import Item, passage_file, read_items, read_split, write_corpus
from sklearn.linear_model import LogisticRegression

from index.embedder import DEFAULT_MODEL
from index.kinds import unmet_needs
from index.lexical import QueryTerms
from index.linear import LinearModel
from index.search import Hit, Searcher
from service.answer import ASK_HITS, MAX_UNITS, choose
from service.answer_features import (
    QUESTION_FEATURES,
    UNIT_FEATURE_GROUPS,
    UNIT_FEATURES,
    Candidate,
    candidates,
    question_features,
    unit_features,
)
from service.answer_selector import WEIGHTS_PATH, AnswerSelector
from service.asking import searched_question
from service.evaluation import read_questions

TRAIN_DIR = BENCH_VAR / "norquad-train"
CASES = TRAIN_DIR / "cases.pickle"
MIN_ANSWERED = 0.90  # the threshold declines as much as it can while answering this share
CALIBRATION_QUESTIONS = Path(__file__).with_name("corpus_calibration_questions.jsonl")
CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
STRENGTHS = (0.01, 0.1, 1.0, 10.0)


def code_fingerprint() -> str:
    """The source of everything a case is computed with."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("index", "ingest", "service"):
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class Case:
    """One question asked once: the hits, their candidate units and the units' features."""

    question: str
    terms: QueryTerms
    hits: list[Hit]
    found: list[Candidate]
    rows: np.ndarray
    labels: np.ndarray  # which candidates hold the answer; all False when held out


@dataclass
class Asked:
    answerable: Case  # with the question's own passage in the index
    held_out: Case  # with it removed from the hits


def _case(question: str, terms: QueryTerms, hits: list[Hit], own: str, answer: str) -> Case:
    found = candidates(hits)
    labels = np.array(
        [c.hit.document.doc_id == own and answer in _normalized(c.text) for c in found], dtype=bool
    )
    return Case(question, terms, hits, found, unit_features(question, found, terms), labels)


def collect(searcher: Searcher, items: list[Item]) -> list[Asked]:
    by_source = {d.source: d.doc_id for d in searcher.documents.values()}
    asked = []
    for number, item in enumerate(items, start=1):
        if number % 200 == 0:
            log(f"  {number}/{len(items)} questions")
        own = by_source[passage_file(item.context)]
        hits = searcher.search(item.question, k=ASK_HITS + 10)
        terms = searcher.query_terms(item.question)
        answer = _normalized(item.answer)
        others = [h for h in hits if h.document.doc_id != own][:ASK_HITS]
        asked.append(
            Asked(
                _case(item.question, terms, hits[:ASK_HITS], own, answer),
                _case(item.question, terms, others, own, answer),
            )
        )
    return asked


def fit(
    rows: np.ndarray, labels: np.ndarray, names: Sequence[str], kept: list[int], strength: float
) -> LinearModel:
    """A logistic regression on the kept columns; the others keep a zero weight, so that every
    variant reads the same feature rows."""
    mean, scale = rows[:, kept].mean(axis=0), rows[:, kept].std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=strength, max_iter=2000)
    model.fit((rows[:, kept] - mean) / scale, labels)
    full_mean, full_scale, coefficients = (
        np.zeros(len(names)),
        np.ones(len(names)),
        np.zeros(len(names)),
    )
    full_mean[kept], full_scale[kept], coefficients[kept] = mean, scale, model.coef_[0]
    return LinearModel(
        tuple(names), full_mean, full_scale, coefficients, float(model.intercept_[0])
    )


def fit_unit(train: list[Asked], kept: list[int], strength: float) -> LinearModel:
    cases = [a.answerable for a in train]
    return fit(
        np.vstack([c.rows for c in cases]),
        np.concatenate([c.labels for c in cases]),
        UNIT_FEATURES,
        kept,
        strength,
    )


def question_row(case: Case) -> np.ndarray:
    return question_features(case.question, case.hits, case.terms)[0]


def fit_answerable(train: list[Asked], kept: list[int], strength: float) -> LinearModel:
    """Answerable: the question's own passage was retrieved and a unit holds the answer;
    not answerable: the same question with its passage held out."""
    positives = [question_row(a.answerable) for a in train if a.answerable.labels.any()]
    negatives = [question_row(a.held_out) for a in train if a.held_out.found]
    rows = np.vstack(positives + negatives)
    labels = np.array([True] * len(positives) + [False] * len(negatives))
    return fit(rows, labels, QUESTION_FEATURES, kept, strength)


@dataclass(frozen=True)
class Figures:
    first: float  # the best candidate holds the answer
    hit: float  # answered, and a quoted unit from the own passage holds the span
    answered: float
    declined: float  # of held-out questions


def confidence(case: Case, selector: AnswerSelector) -> float:
    """As `compose_answer` decides: 0 when the quoted units lack what the question needs."""
    if not case.found:
        return 0.0
    probabilities = selector.unit.probabilities(case.rows)
    chosen = choose(case.found, probabilities.tolist(), selector.companion_share)
    if unmet_needs(case.question, [case.found[i].text for i in chosen]):
        return 0.0
    return float(selector.answerable.probabilities(question_row(case)[None, :])[0])


def figures(selector: AnswerSelector, asked: list[Asked]) -> Figures:
    first = hit = answered = declined = 0
    for a in asked:
        declined += confidence(a.held_out, selector) < selector.min_answerable
        case = a.answerable
        if not case.found:
            continue
        probabilities = selector.unit.probabilities(case.rows)
        first += bool(case.labels[int(probabilities.argmax())])
        if confidence(case, selector) < selector.min_answerable:
            continue
        answered += 1
        chosen = choose(case.found, probabilities.tolist(), selector.companion_share)
        hit += any(case.labels[i] for i in chosen)
    count = len(asked)
    return Figures(first / count, hit / count, answered / count, declined / count)


@dataclass
class Calibration:
    """Domain questions of our own over the sample corpus, apart from its eval set: answerable
    ones, and near misses it cannot answer (on-topic, asking for a fact it does not state)."""

    answerable: list[Case]
    unanswerable: list[Case]


def calibration_cases(searcher: Searcher) -> Calibration:
    cases: dict[bool, list[Case]] = {True: [], False: []}
    for question in read_questions(CALIBRATION_QUESTIONS):
        searched = searched_question(searcher, question.question, question.history)
        hits = searcher.search(searched, k=ASK_HITS)
        terms = searcher.query_terms(searched)
        found = candidates(hits)
        rows = unit_features(searched, found, terms)
        cases[bool(question.relevant)].append(
            Case(searched, terms, hits, found, rows, np.zeros(len(found), dtype=bool))
        )
    return Calibration(cases[True], cases[False])


def answered_share(selector: AnswerSelector, cases: list[Case], threshold: float) -> float:
    return sum(confidence(c, selector) >= threshold for c in cases) / len(cases)


def threshold_for(
    selector: AnswerSelector, validation: list[Asked], calibration: Calibration
) -> float:
    """The highest threshold that still answers MIN_ANSWERED of the validation questions and of
    the answerable calibration questions, need rule included."""

    def highest(cases: list[Case]) -> float:
        levels = np.sort([confidence(c, selector) for c in cases])
        # the level of the last case that must be answered; rounded, as 0.1 * 30 is 2.99…
        return float(levels[len(levels) - round(MIN_ANSWERED * len(levels))])

    return min(highest([a.answerable for a in validation]), highest(calibration.answerable))


def selector_for(
    train: list[Asked],
    validation: list[Asked],
    calibration: Calibration,
    unit_kept: list[int],
    question_kept: list[int],
    strength: float,
    share: float,
) -> AnswerSelector:
    unit = fit_unit(train, unit_kept, strength)
    answerable = fit_answerable(train, question_kept, strength)
    unthresholded = AnswerSelector(unit, answerable, 0.0, share)
    return replace(
        unthresholded, min_answerable=threshold_for(unthresholded, validation, calibration)
    )


def row(label: str, result: Figures) -> str:
    return (
        f"| {label} | {result.first:.3f} | {result.hit:.3f} | {result.answered:.3f} | "
        f"{result.declined:.3f} |"
    )


HEADER = (
    "| {} | best unit holds the answer | hit | answered | held-out declined |\n"
    "|---|---:|---:|---:|---:|"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, help="the shared folder holding datasets/")
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_PATH.name}")
    args = parser.parse_args()
    dataset = shared_datasets(args.shared, "norquad")
    embedder = load_embedder(DEFAULT_MODEL)

    train_items = read_items(dataset / "train" / "train_derived.json")
    write_corpus({i.context for i in train_items}, TRAIN_DIR / "corpus")
    ingest(TRAIN_DIR / "corpus", TRAIN_DIR / "index", embedder)
    if not VALIDATION_INDEX.is_dir():
        sys.exit("error: run bench/norquad.py first: it builds the validation index")
    validation_items = read_split(dataset, "validation")
    # The candidates depend on the code of search and features, not on the fitted weights: kept
    # for reruns of the fitting with the same code.
    fingerprint = code_fingerprint()
    if CASES.is_file() and CASES.with_suffix(".sha").read_text() == fingerprint:
        train, validation = pickle.loads(CASES.read_bytes())
    else:
        log(f"Collecting candidates for {len(train_items)} train questions ...")
        train = collect(open_searcher(TRAIN_DIR / "index", embedder), train_items)
        log(f"Collecting candidates for {len(validation_items)} validation questions ...")
        validation = collect(open_searcher(VALIDATION_INDEX, embedder), validation_items)
        CASES.write_bytes(pickle.dumps((train, validation)))
        CASES.with_suffix(".sha").write_text(fingerprint)
    corpus_index = corpus_index_dir(embedder)
    ingest(CORPUS_DIR, corpus_index, embedder)
    calibration = calibration_cases(open_searcher(corpus_index, embedder))
    log(
        f"calibration: {len(calibration.answerable)} answerable, "
        f"{len(calibration.unanswerable)} near-miss questions over the sample corpus"
    )
    log(
        f"train: {sum(len(a.answerable.labels) for a in train)} candidates, "
        f"{sum(a.answerable.labels.any() for a in train)}/{len(train)} questions with a "
        f"positive; validation: {sum(a.answerable.labels.any() for a in validation)}/"
        f"{len(validation)}"
    )
    all_units = list(range(len(UNIT_FEATURES)))
    all_questions = list(range(len(QUESTION_FEATURES)))

    print("## Regularisation (validation; threshold answering 90 %, companions at 0.5)")
    print(HEADER.format("C"))
    results = {}
    for strength in STRENGTHS:
        results[strength] = figures(
            selector_for(train, validation, calibration, all_units, all_questions, strength, 0.5),
            validation,
        )
        print(row(str(strength), results[strength]))
    strength = max(STRENGTHS, key=lambda c: (results[c].first, results[c].declined))

    print(f"\n## Companion units (C={strength}; at most {MAX_UNITS} units)")
    print(HEADER.format("share of the best unit's probability"))
    chosen_share, chosen_hit = 1.0, -1.0
    for share in (1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2):
        result = figures(
            selector_for(train, validation, calibration, all_units, all_questions, strength, share),
            validation,
        )
        print(row(str(share), result))
        if result.hit > chosen_hit + 0.005:  # fewer units unless more clearly help
            chosen_share, chosen_hit = share, result.hit

    print("\n## Feature groups (validation; each row refits without the group)")
    print(HEADER.format("features"))
    final = selector_for(
        train, validation, calibration, all_units, all_questions, strength, chosen_share
    )
    print(row("all", figures(final, validation)))
    for group, names in UNIT_FEATURE_GROUPS.items():
        kept = [i for i, name in enumerate(UNIT_FEATURES) if name not in names]
        variant = selector_for(
            train, validation, calibration, kept, all_questions, strength, chosen_share
        )
        print(row(f"unit model without {group}", figures(variant, validation)))
    for name in QUESTION_FEATURES:
        kept = [i for i, n in enumerate(QUESTION_FEATURES) if n != name]
        variant = selector_for(
            train, validation, calibration, all_units, kept, strength, chosen_share
        )
        print(row(f"answerable model without {name}", figures(variant, validation)))

    print(
        f"\nchosen: C={strength}, min_answerable={final.min_answerable:.4f}, "
        f"companion share={chosen_share}"
    )
    print(
        "calibration over the sample corpus: answerable answered "
        f"{answered_share(final, calibration.answerable, final.min_answerable):.3f}, near misses "
        f"declined {1 - answered_share(final, calibration.unanswerable, final.min_answerable):.3f}"
    )
    for model in (final.unit, final.answerable):
        print(
            ", ".join(
                f"{n} {w:+.2f}" for n, w in zip(model.features, model.coefficients, strict=True)
            )
        )
    if args.write:
        WEIGHTS_PATH.write_text(json.dumps(final.to_json(), indent=1) + "\n", encoding="utf-8")
        log(f"wrote {WEIGHTS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
