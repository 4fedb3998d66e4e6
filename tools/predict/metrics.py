"""ROC-AUC as MoleculeNet scores it: per task, missing labels skipped, averaged over tasks."""

from __future__ import annotations

import numpy as np


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with tied scores sharing their mean rank)."""
    y = np.asarray(labels, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    n_pos = int((y > 0.5).sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC-AUC needs both positive and negative labels")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y > 0.5].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def task_aucs(Y: np.ndarray, P: np.ndarray) -> list[float | None]:
    """Per-task ROC-AUC over labelled rows; None where a task has only one class there."""
    out: list[float | None] = []
    for j in range(Y.shape[1]):
        known = ~np.isnan(Y[:, j])
        y = Y[known, j]
        out.append(roc_auc(y, P[known, j]) if 0 < y.sum() < len(y) else None)
    return out


def mean_auc(Y: np.ndarray, P: np.ndarray) -> float:
    scores = [a for a in task_aucs(Y, P) if a is not None]
    if not scores:
        raise ValueError("no task has both classes in this split")
    return float(np.mean(scores))
