"""Reciprocal rank fusion (Cormack et al., 2009): combine rankings without calibrating scores.

BM25 and cosine scores live on different scales; ranks do not, which is why RRF is the usual
choice for hybrid search.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[T]], k: int = 60) -> list[tuple[T, float]]:
    """Items by the sum over rankings of 1 / (k + rank), rank counted from 1; best first.

    Ties keep the order in which items were first seen, so the result is deterministic.
    """
    scores: dict[T, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
