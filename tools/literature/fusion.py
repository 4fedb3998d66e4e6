"""Reciprocal rank fusion (Cormack et al., 2009): combine rankings without calibrating scores.

BM25 and cosine scores live on different scales; ranks do not, which is why RRF is the usual
choice for hybrid search.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[T, float]]:
    """Items by the sum over rankings of w / (k + rank), rank counted from 1; best first.

    Ties keep the order in which items were first seen, so the result is deterministic.
    `weights` (one per ranking, default 1) let a ranking that is usually right count more.
    """
    scores: dict[T, float] = {}
    for n, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[n]
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
