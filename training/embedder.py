"""Domain adaptation of the literature index's embedding model: all-MiniLM-L6-v2 (the one
embedding model whose weights ship in a package here) fine-tuned on chemistry question/passage
pairs with in-batch negatives, and a hard negative where one is known.

The loss is sentence-transformers' MultipleNegativesRankingLoss, the usual recipe for
retrieval fine-tuning: each question should be closer to its own passage than to every other
passage in the batch. The loop is a plain torch loop rather than SentenceTransformerTrainer,
which needs the `datasets` package for what is a few hundred pairs. The result is an ordinary
sentence-transformers folder: set `literature.embedding_model` to it (and rebuild the index,
whose vectors belong to the model that made them).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path

from tools.literature.settings import BUNDLED_MODEL

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    """A question, the passage that answers it, and optionally one that looks alike but does
    not (a hard negative, e.g. another passage of the same paper)."""

    question: str
    passage: str
    negative: str | None = None


def finetune_embedder(
    pairs: list[Pair],
    out: Path,
    base: str = BUNDLED_MODEL,
    epochs: int = 2,
    batch_size: int = 16,
    learning_rate: float = 2e-5,
    seed: int = 0,
) -> Path:
    """Fine-tune `base` on `pairs` and save it under `out`; returns `out`.

    Pairs with and without a hard negative go in separate batches (the loss takes columns of
    equal length). Deterministic for a seed on the CPU."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # newer sentence-transformers moved the losses; older releases have only this path
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )
    except ImportError:
        from sentence_transformers.losses import (  # type: ignore[no-redef]
            MultipleNegativesRankingLoss,
        )

    from tools.literature.embeddings import resolve_model

    if len(pairs) < 2:
        raise ValueError("fine-tuning needs at least two question/passage pairs")
    random.seed(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(resolve_model(base), device="cpu", local_files_only=True)
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    with_neg = [p for p in pairs if p.negative]
    without = [p for p in pairs if not p.negative]
    prepare = getattr(model, "preprocess", None) or model.tokenize  # renamed in 6.x
    model.train()
    for epoch in range(epochs):
        batches = [
            group[i : i + batch_size]
            for group in (
                random.sample(with_neg, len(with_neg)),
                random.sample(without, len(without)),
            )
            for i in range(0, len(group), batch_size)
        ]
        random.shuffle(batches)
        total = 0.0
        for batch in batches:
            if len(batch) < 2:
                continue  # in-batch negatives need a second pair
            columns = [[p.question for p in batch], [p.passage for p in batch]]
            if batch[0].negative:
                columns.append([p.negative or "" for p in batch])
            features = [prepare(c) for c in columns]
            value = loss(features, torch.empty(0))
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            total += float(value.detach())
        logger.info("embedder epoch %d: mean loss %.4f", epoch + 1, total / max(len(batches), 1))
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    return out
