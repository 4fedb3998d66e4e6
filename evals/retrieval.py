"""Evidence recall for literature retrieval on ChemRxivQuest's dev questions.

A question is answered at k when one of the top-k passages comes from the question's document
and contains at least half of the evidence text's words (case- and whitespace-insensitive). The
CSV's character offsets are not reliable, so matching is on text, as the issue defines it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class EvidenceQuestion:
    question: str
    doc_id: str
    evidence: tuple[str, ...]


def load_questions(csv_path: Path, strip_prefix: str = "full-text/") -> list[EvidenceQuestion]:
    """The questions, with doc ids as the index names them (relative to the full-text folder)."""
    lines = [ln for ln in csv_path.read_text(encoding="utf-8").splitlines(keepends=True)]
    body = [ln for ln in lines if not ln.startswith("# ")]  # SPDX header
    out = []
    for row in csv.DictReader(body):
        refs = json.loads(row["references"])
        doc = row["corpus_id"]
        doc = doc[len(strip_prefix) :] if doc.startswith(strip_prefix) else doc
        out.append(EvidenceQuestion(row["question"], doc, tuple(r["content"] for r in refs)))
    return out


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def contains_evidence(passage: str, evidence: str, threshold: float = 0.5) -> bool:
    """At least `threshold` of the evidence's distinct words occur in the passage."""
    need = words(evidence)
    return bool(need) and len(need & words(passage)) >= threshold * len(need)


def first_hit_rank(question: EvidenceQuestion, hits: Sequence[tuple[str, str]]) -> int | None:
    """1-based rank of the first (doc_id, text) hit that holds the evidence, or None."""
    for rank, (doc_id, text) in enumerate(hits, start=1):
        if doc_id == question.doc_id and any(contains_evidence(text, e) for e in question.evidence):
            return rank
    return None


def reachable(question: EvidenceQuestion, chunks: Sequence[str]) -> bool:
    """Whether any chunk of the question's document holds its evidence: the ceiling on recall."""
    return any(contains_evidence(c, e) for c in chunks for e in question.evidence)


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / max(len(ranks), 1)
