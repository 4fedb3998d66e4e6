"""Bounded edit distance for misspelt names, as a few index look-ups rather than a scan (pure).

SymSpell's idea: two strings within Damerau-Levenshtein distance d share a string reachable from
each by at most d deletions. The index stores, for each name a misspelling may be corrected to,
the hashes of its deletion neighbourhood; a query computes its own and looks them up. Only the
first `PREFIX` characters are used on both sides (SymSpell's prefix trick): if two names are
within d edits, so are their prefixes by at most d deletions each, so nothing is missed, and the
table stays small. Candidates are then checked with the true distance.

Bounds (the brief's, and a chemist's intuition): names under five letters are never corrected
(too many are a letter apart: "urea"/"area"), one edit for five to eight letters, two for longer
names. A query with digits, brackets or commas (CAS numbers, systematic names) is never
corrected: OPSIN reads systematic names exactly, and a near miss of one is another compound.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

PREFIX = 7
MIN_LETTERS = 5
MAX_LETTERS = 40

# A name that may be corrected, or be a correction: words of letters, joined by spaces or hyphens.
CORRECTABLE = re.compile(r"[a-z]+(?:[ \-][a-z]+)*")


def allowance(name: str) -> int:
    """Edits a name of this length may be off by: 0 under five letters, 1 up to eight, else 2."""
    n = len(name)
    return 0 if n < MIN_LETTERS else 1 if n <= 8 else 2


def correctable(key: str) -> bool:
    """Whether a name (lowercase, single-spaced) may be corrected or be a correction."""
    return MIN_LETTERS <= len(key) <= MAX_LETTERS and CORRECTABLE.fullmatch(key) is not None


def deletions(name: str, distance: int) -> set[str]:
    """The name's prefix with every choice of up to `distance` characters deleted."""
    frontier = {name[:PREFIX]}
    out = set(frontier)
    for _ in range(distance):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def hashes(variants: Iterable[str]) -> list[int]:
    """Stable 32-bit hashes of deletion variants (collisions only add candidates to check)."""
    return sorted({zlib.crc32(v.encode("utf-8")) for v in variants})


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (insertions, deletions, substitutions, transpositions)."""
    from rapidfuzz.distance import DamerauLevenshtein

    return int(DamerauLevenshtein.distance(a, b))


def close(query: str, candidates: Iterable[str]) -> list[tuple[int, str]]:
    """(distance, name) of the candidates within both names' allowance, nearest first."""
    out = []
    for name in set(candidates):
        bound = min(allowance(query), allowance(name))
        if name != query and bound and abs(len(name) - len(query)) <= bound:
            d = distance(query, name)
            if d <= bound:
                out.append((d, name))
    return sorted(out)
