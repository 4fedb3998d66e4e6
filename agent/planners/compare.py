"""Comparative questions: which field is compared, in which direction, and how to say it (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agent.intents import Intent, Vocabulary

Direction = Literal["high", "low"]

_MORE = re.compile(r"\b(more|most|less|least)\s+([\w-]+)", re.IGNORECASE)
_EXTREME = re.compile(
    r"\b(higher|highest|larger|largest|greater|greatest|bigger|biggest|more|most|maximum|max|"
    r"lower|lowest|smaller|smallest|less|least|fewer|fewest|minimum|min)\b",
    re.IGNORECASE,
)
_HIGH_WORDS = {"higher", "highest", "larger", "largest", "greater", "greatest", "bigger",
               "biggest", "more", "most", "maximum", "max"}  # fmt: skip
_RANK = re.compile(r"\b(?:rank|ranked|ranking|sort|sorted|order|ordered)\b", re.IGNORECASE)
_ASCENDING = re.compile(r"\b(?:ascending|increasing|lowest first|smallest first)\b", re.I)
_COMPARE = re.compile(r"\b(?:which|what|who)\b|\bcompare\b|\bversus\b|\bvs\.?", re.IGNORECASE)


@dataclass(frozen=True)
class Comparison:
    """Compare the molecules by `field`; the best is the highest (or lowest) value."""

    field: str
    tool: str
    direction: Direction
    adjective: str | None = None  # "lipophilic"; None when a property was named ("logP")
    rank: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "tool": self.tool,
            "direction": self.direction,
            "adjective": self.adjective,
            "rank": self.rank,
        }


def _flip(d: Direction) -> Direction:
    return "low" if d == "high" else "high"


def find_comparison(text: str, intents: list[Intent], vocab: Vocabulary) -> Comparison | None:
    """The comparison a clause asks for, or None. `text` has its molecule names masked."""
    rank = bool(_RANK.search(text))
    for m in _MORE.finditer(text):
        word = m.group(2).lower()
        for c in vocab.comparatives:
            if word in c.high or word in c.low:
                base: Direction = "high" if word in c.high else "low"
                d = base if m.group(1).lower() in ("more", "most") else _flip(base)
                return Comparison(c.field, c.tool, d, f"{m.group(1).lower()} {word}", rank)
    for token in re.findall(r"[\w-]+", text.lower()):
        for c in vocab.comparatives:
            if token.endswith(("er", "est")) and (token in c.high or token in c.low):
                return Comparison(
                    c.field, c.tool, "high" if token in c.high else "low", token, rank
                )
    numeric = [
        i for i in intents if i.kind == "single" and i.tool in ("descriptors", "molecular_weight")
    ]
    if not numeric:
        return None
    field = numeric[0].fields[0]
    if rank:
        order: Direction = "low" if _ASCENDING.search(text) else "high"
        return Comparison(field, numeric[0].tool, order, None, True)
    extreme = _EXTREME.search(text)
    if extreme and _COMPARE.search(text):
        way: Direction = "high" if extreme.group(1).lower() in _HIGH_WORDS else "low"
        return Comparison(field, numeric[0].tool, way, None, False)
    return None


_FOLLOW_UP = re.compile(
    r"^\s*(?:(?:and\s+)?(?:what|how)\s+about|and\s+(?:for|of|with)?|same\s+for|"
    r"(?:and\s+)?now\s+(?:for|with)|what\s+of|and\s+what\s+about|likewise\s+for)\b",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """ "what about ketoprofen?", "and for caffeine?", "same for X": the last question's request,
    about another molecule."""
    return bool(_FOLLOW_UP.search(question))
