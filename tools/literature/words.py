"""The words a search or a quote is about: lower-case word tokens less common function words."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")

# Function words, question words, and the words people use to ask the literature itself
# ("what is known about", "papers on", "according to the literature").
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "should",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "about",
        "according",
        "known",
        "literature",
        "paper",
        "papers",
        "study",
        "studies",
    ]
)


def content_words(text: str) -> list[str]:
    """Distinct content words in order of first appearance."""
    return list(dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in STOPWORDS))
