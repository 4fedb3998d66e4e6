"""Intents matched by meaning: a clause no phrase reads is compared with example questions.

People ask for one quantity in more ways than any phrase list holds ("how greasy is X" is a
logP question). Each intent carries example questions (`agent/data/intent_examples.toml`); a
clause, its molecules replaced by "X", is embedded with the sentence embedder the project
already ships and given the intent of its nearest examples, but only when that match is close
and clearly better than the next intent's, and not nearer to the examples of questions no tool
answers. Otherwise it stays "not understood". The embedder loads on first use (torch), so
questions the phrases read never pay for it.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from agent.intents import Intent, Vocabulary

logger = logging.getLogger(__name__)

UNKNOWN = "_unknown"
# Cosine similarity of all-MiniLM-L6-v2 embeddings: the nearest example must be at least this
# close, and this much closer than the best example of any other intent (or of the unknowns).
MIN_SCORE = 0.62
MIN_MARGIN = 0.04


# One example matrix per process, however many planners are built.
_MATRICES: dict[tuple[tuple[str, str], ...], Any] = {}


@dataclass(frozen=True)
class MeaningMatch:
    intent: Intent
    score: float
    example: str


class IntentMatcher:
    """Nearest-example intent of a clause; thread-safe, loads the embedder lazily."""

    def __init__(self, vocab: Vocabulary, embedder: Any = None) -> None:
        self.vocab = vocab
        self._embedder = embedder
        self._lock = threading.Lock()
        self._examples: list[tuple[str, str]] | None = None  # (intent name, example)
        self._matrix: Any = None

    def _load(self) -> None:
        raw = tomllib.loads(
            (resources.files("agent.data") / "intent_examples.toml").read_text(encoding="utf-8")
        )
        known = {i.name for i in self.vocab.intents}
        examples = [(name, q) for name, qs in raw["examples"].items() if name in known for q in qs]
        examples += [(UNKNOWN, q) for q in raw["unknown"]["questions"]]
        if self._embedder is None:
            from tools.literature.embeddings import bundled_embedder

            self._embedder = bundled_embedder()
        key = tuple(examples)
        if key not in _MATRICES:
            _MATRICES[key] = self._embedder.encode([q for _, q in examples])
        self._matrix = _MATRICES[key]
        self._examples = examples

    def match(self, clause: str) -> MeaningMatch | None:
        """The intent a clause asks for by meaning, or None when no intent is close enough."""
        text = " ".join(clause.split())
        if not re.search(r"[^\W\d_]{3,}", text):
            return None
        try:
            with self._lock:
                if self._examples is None:
                    self._load()
                query = self._embedder.encode([text])[0]
        except Exception as exc:  # the embedder is optional: without it, phrases only
            logger.warning("intent matching by meaning unavailable: %s", exc)
            return None
        assert self._examples is not None
        scores = self._matrix @ query
        best: dict[str, tuple[float, str]] = {}
        for (name, example), score in zip(self._examples, scores, strict=True):
            if score > best.get(name, (-1.0, ""))[0]:
                best[name] = (float(score), example)
        ranked = sorted(best.items(), key=lambda kv: kv[1][0], reverse=True)
        (name, (score, example)) = ranked[0]
        runner_up = ranked[1][1][0] if len(ranked) > 1 else -1.0
        logger.debug("meaning: %r -> %s %.3f (next %.3f)", text, name, score, runner_up)
        if name == UNKNOWN or score < MIN_SCORE or score - runner_up < MIN_MARGIN:
            return None
        intent = next(i for i in self.vocab.intents if i.name == name)
        return MeaningMatch(intent, score, example)
