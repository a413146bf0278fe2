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

import numpy as np

from service.answer_features import QUESTION_FEATURES, UNIT_FEATURES

WEIGHTS_PATH = Path(__file__).with_name("answer_selector.json")


class SelectorMismatch(RuntimeError):
    """The weights file was fitted on other features than the code computes."""


@dataclass(frozen=True)
class LogisticModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    intercept: float

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        logits = ((rows - self.mean) / self.scale) @ self.coefficients + self.intercept
        return 1 / (1 + np.exp(-logits))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coefficients": self.coefficients.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> LogisticModel:
        if tuple(data["features"]) != expected:
            raise SelectorMismatch(
                "answer_selector.json was fitted on other features; "
                "run bench/train_answer_selector.py again"
            )
        return cls(
            features=expected,
            mean=np.array(data["mean"]),
            scale=np.array(data["scale"]),
            coefficients=np.array(data["coefficients"]),
            intercept=float(data["intercept"]),
        )


@dataclass(frozen=True)
class AnswerSelector:
    unit: LogisticModel
    answerable: LogisticModel
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
            unit=LogisticModel.from_json(data["unit"], UNIT_FEATURES),
            answerable=LogisticModel.from_json(data["answerable"], QUESTION_FEATURES),
            min_answerable=float(data["min_answerable"]),
            companion_share=float(data["companion_share"]),
        )


@lru_cache(maxsize=1)
def default_selector() -> AnswerSelector:
    return AnswerSelector.from_json(json.loads(WEIGHTS_PATH.read_text(encoding="utf-8")))
