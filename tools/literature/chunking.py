"""Cutting documents into passages: whole sentences, never across pages, with overlap.

Chunks are sized in the embedding model's own tokens, so none is truncated by its window, and each
keeps its character offsets in the document text: `doc.text[start:end] == chunk.text` always,
which is what lets an answer quote and cite the exact passage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tools.literature.documents import Document

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    page: int | None
    start: int
    end: int
    text: str
    tokens: int


# A sentence ends at . ! or ? followed by space and a capital, digit or opening bracket/quote,
# or at a blank line (paragraphs, headings, list items in extracted PDF text).
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]?\s+(?=[A-Z0-9(\[\"'“‘])|\n\s*\n")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:e\.g|i\.e|et al|Fig|Figs|Eq|Eqs|Ref|Refs|vs|ca|approx|No|Dr|Prof|cf|resp)\.|"
    r"\b[A-Z]\.)$"
)
_WORD = re.compile(r"\S+")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence in text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _BOUNDARY.finditer(text, start, end):
        if _ABBREVIATIONS.search(text, max(pos, m.start() - 12), m.start()):
            continue
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    out = []
    for a, b in spans:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if b - trail > a + lead:
            out.append((a + lead, b - trail))
    return out


def _split_long(
    text: str, span: tuple[int, int], tokens: int, max_tokens: int
) -> list[tuple[int, int, int]]:
    """A 'sentence' longer than a chunk (a table, a reference list): cut at word boundaries."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, span[0], span[1])]
    per = max(1, len(words) * max_tokens // max(tokens, 1) - 1)
    out = []
    for i in range(0, len(words), per):
        group = words[i : i + per]
        share = max(1, tokens * len(group) // len(words))
        out.append((group[0][0], group[-1][1], share))
    return out


def chunk_document(
    doc: Document,
    count_tokens: TokenCounter,
    max_tokens: int = 200,
    overlap_tokens: int = 40,
) -> list[Chunk]:
    """Pack consecutive sentences of each page into chunks of at most `max_tokens`.

    A new chunk starts with the previous chunk's last sentences, up to `overlap_tokens`, so an
    answer that straddles a cut is still found whole in one chunk.
    """
    if max_tokens < 1 or overlap_tokens < 0:
        raise ValueError("max_tokens must be positive and overlap_tokens non-negative")
    overlap_tokens = min(overlap_tokens, max_tokens // 2)
    chunks: list[Chunk] = []
    for page in doc.pages:
        spans = sentence_spans(doc.text, page.start, page.end)
        if not spans:
            continue
        counts = count_tokens([doc.text[a:b] for a, b in spans])
        pieces: list[tuple[int, int, int]] = []
        for (a, b), n in zip(spans, counts, strict=True):
            pieces.extend(
                _split_long(doc.text, (a, b), n, max_tokens) if n > max_tokens else [(a, b, n)]
            )
        current: list[tuple[int, int, int]] = []
        size = 0
        for piece in pieces:
            if current and size + piece[2] > max_tokens:
                chunks.append(_chunk(doc, page.number, current, size))
                keep: list[tuple[int, int, int]] = []
                kept = 0
                for prev in reversed(current):
                    if kept + prev[2] > overlap_tokens or kept + prev[2] + piece[2] > max_tokens:
                        break
                    keep.insert(0, prev)
                    kept += prev[2]
                current, size = keep, kept
            current.append(piece)
            size += piece[2]
        if current:
            chunks.append(_chunk(doc, page.number, current, size))
    return chunks


def _chunk(doc: Document, page: int | None, pieces: list[tuple[int, int, int]], size: int) -> Chunk:
    a, b = pieces[0][0], pieces[-1][1]
    return Chunk(doc.doc_id, page, a, b, doc.text[a:b], size)


def word_counter(texts: Sequence[str]) -> list[int]:
    """A tokenizer-free stand-in: about 1.3 model tokens per English word."""
    return [max(1, round(len(t.split()) * 1.3)) for t in texts]
