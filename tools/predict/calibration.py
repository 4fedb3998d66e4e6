"""Platt scaling fitted on held-out scaffolds.

Boosted trees trained on one set of scaffolds are over-confident on new scaffolds; a two-
parameter logistic map fitted on held-out scaffolds pulls the scores back towards observed
frequencies without changing their order, so ROC-AUC is unchanged. The held-out scores are
cross-fitted (`train.cross_fitted_scores`): a validation split with another label balance than
the training data (BACE's is 86% positive) would move every probability with it.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

EPS = 1e-6


class Platt(BaseModel):
    """p = sigmoid(a * logit(score) + b); the identity is a=1, b=0."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: float = 1.0
    b: float = 0.0

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        return np.asarray(expit(self.a * _logit(scores) + self.b))


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), EPS, 1 - EPS)
    return np.asarray(np.log(q / (1 - q)))


def fit_platt(scores: np.ndarray, labels: np.ndarray, l2: float = 1.0) -> Platt:
    """Maximum-likelihood (a, b) with Platt's smoothed targets and a ridge pulling (a, b) towards
    the identity, so a validation set with a handful of positives cannot flip or flatten the
    scores."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    x = _logit(scores)
    y = np.asarray(labels, dtype=np.float64)
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    if n_pos == 0 or n_neg == 0:
        return Platt()
    t = np.where(y > 0.5, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = ab[0] * x + ab[1]
        nll = -np.sum(t * log_expit(z) + (1 - t) * log_expit(-z))
        r = np.array([ab[0] - 1.0, ab[1]])
        g = expit(z) - t
        grad = np.array([np.dot(g, x), g.sum()]) + l2 * r
        return float(nll + 0.5 * l2 * np.dot(r, r)), grad

    res = minimize(
        loss,
        np.array([1.0, 0.0]),
        jac=True,
        method="L-BFGS-B",
        bounds=[(1e-3, 10.0), (-20.0, 20.0)],
    )
    a, b = (float(v) for v in res.x)
    return Platt(a=a, b=b) if res.success and np.isfinite([a, b]).all() else Platt()


def brier(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((np.asarray(probs) - np.asarray(labels)) ** 2))


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Mean |observed frequency - mean probability| over equal-width bins, weighted by count."""
    p, y = np.asarray(probs, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        m = idx == k
        if m.any():
            total += m.sum() * abs(y[m].mean() - p[m].mean())
    return float(total / len(p))
