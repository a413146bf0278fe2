"""The learned answer selector, two logistic regressions fitted by
`bench/train_answer_selector.py` on NorQuAD's train split and chosen on validation; the fitted
weights ship as `answer_selector.json`.

- `unit` gives each candidate unit (`answer_features.UNIT_FEATURES`) the probability that it
  holds the answer: it picks what the answer quotes.
- `answerable` gives the question (`answer_features.QUESTION_FEATURES`: absolute closeness and
  word coverage of the best passages) the probability that the hits hold an answer at all:
  under `min_answerable` the answer declines. The unit model alone cannot decide this, since
  its features compare candidates with each other."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.linear import LinearModel
from service.answer_features import QUESTION_FEATURES, UNIT_FEATURES

WEIGHTS_PATH = Path(__file__).with_name("answer_selector.json")
FITTED_BY = "bench/train_answer_selector.py --write"


@dataclass(frozen=True)
class AnswerSelector:
    unit: LinearModel
    answerable: LinearModel
    min_answerable: float  # under it, the answer declines
    # A further unit joins the answer when its probability is at least this share of the best.
    companion_share: float

    def to_json(self) -> dict:
        return {
            "unit": self.unit.to_json(),
            "answerable": self.answerable.to_json(),
            "min_answerable": self.min_answerable,
            "companion_share": self.companion_share,
        }

    @classmethod
    def from_json(cls, data: dict) -> AnswerSelector:
        return cls(
            unit=LinearModel.from_json(data["unit"], UNIT_FEATURES, FITTED_BY),
            answerable=LinearModel.from_json(data["answerable"], QUESTION_FEATURES, FITTED_BY),
            min_answerable=float(data["min_answerable"]),
            companion_share=float(data["companion_share"]),
        )


@lru_cache(maxsize=1)
def default_selector() -> AnswerSelector:
    return AnswerSelector.from_json(json.loads(WEIGHTS_PATH.read_text(encoding="utf-8")))
