"""A linear score over standardized features: how Refark's learned models (the reranker, the
answer selector's two models) are stored, as JSON beside their modules, and applied with numpy
alone. scikit-learn fits them in `bench/`; it is not needed to run them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class WeightsMismatch(RuntimeError):
    """A weights file was fitted on other features than the code computes."""


@dataclass(frozen=True)
class LinearModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    intercept: float = 0.0

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """One score per row of `features` values; higher is likelier."""
        if len(rows) == 0:
            return np.zeros(0)
        return ((rows - self.mean) / self.scale) @ self.coefficients + self.intercept

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """The scores as probabilities, for a model fitted as a logistic regression."""
        return 1 / (1 + np.exp(-self.scores(rows)))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coefficients": self.coefficients.tolist(),
            "intercept": self.intercept,
        }

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...], fitted_by: str) -> LinearModel:
        """`fitted_by` names the script that makes the file, for the error when the file was
        fitted on other features than `expected`."""
        if tuple(data["features"]) != expected:
            raise WeightsMismatch(
                f"the weights were fitted on other features than the code computes; "
                f"run {fitted_by} again"
            )
        return cls(
            features=expected,
            mean=np.array(data["mean"], dtype=np.float64),
            scale=np.array(data["scale"], dtype=np.float64),
            coefficients=np.array(data["coefficients"], dtype=np.float64),
            intercept=float(data.get("intercept", 0.0)),
        )
