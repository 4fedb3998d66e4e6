"""The rule planner's vocabulary, loaded from `agent/data/*.toml`.

Adding a phrase or an intent is a data change, not a code change.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from tools.chem.composition import ELEMENTS
from tools.chem.groups import group_names
from tools.chem.named_reactions import reaction_table

IntentKind = Literal["single", "similarity", "substructure", "reaction", "literature"]


@dataclass(frozen=True)
class Intent:
    """A thing a user can ask for, the phrases that signal it and the tool that answers it."""

    name: str
    kind: IntentKind
    tool: str
    fields: tuple[str, ...]
    pattern: re.Pattern[str]
    args: tuple[tuple[str, str], ...] = ()  # fixed arguments, e.g. a prediction endpoint
    masks: bool = False  # its phrase is never part of a molecule name ("carbon" in "carbon atoms")

    def find(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text)


@dataclass(frozen=True)
class Unavailable:
    """Something users ask for that no tool provides, and what to offer instead."""

    name: str
    what: str
    instead: str
    pattern: re.Pattern[str]

    def find(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text)


@dataclass(frozen=True)
class ReactionTrigger:
    """How a question names a reaction of the named-reaction table: phrases, or a reagent."""

    key: str
    name: str
    pattern: re.Pattern[str] | None
    reagents: frozenset[str]
    reactants_needed: int = 1


@dataclass(frozen=True)
class Comparative:
    """An adjective that compares molecules by one field ("more lipophilic" = higher logP)."""

    field: str
    tool: str
    high: frozenset[str]
    low: frozenset[str]


@dataclass(frozen=True)
class FieldFormat:
    """How one result field is written in an answer."""

    label: str
    unit: str = ""
    decimals: int | None = None
    one_per_line: bool = False


@dataclass(frozen=True)
class Vocabulary:
    intents: tuple[Intent, ...]
    overview: tuple[tuple[str, tuple[str, ...]], ...]
    fields: dict[str, FieldFormat]
    groups: dict[str, str]
    group_pattern: re.Pattern[str]
    words: frozenset[str] = frozenset()  # every word of an intent phrase: never part of a name
    unavailable: tuple[Unavailable, ...] = ()
    reactions: tuple[ReactionTrigger, ...] = ()
    comparatives: tuple[Comparative, ...] = ()
    formats: re.Pattern[str] | None = None  # "as a list of tuples": how to write, not what
    overview_words: frozenset[str] = frozenset()  # words of "tell me about X"
    not_names: frozenset[str] = frozenset()  # "Crippen", "Tanimoto": capitalised, not molecules


def _phrase_regex(phrases: list[str]) -> re.Pattern[str]:
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = (
            re.escape(phrase.rstrip("*"))
            .replace(r"\ ", r"\s+")
            .replace(r"\s+\*\s+", r"\s+.{1,60}?\s+")
        )
        # a plural reads as the singular ("formulas", "molecular weights")
        parts.append(body + (r"\w*" if phrase.endswith("*") else r"(?:s|es)?"))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


def _element_intents() -> list[dict[str, Any]]:
    """One intent per element of the composition table ("how many carbon atoms", "count the
    nitrogens", "number of Cl atoms"), written once here rather than thirteen times as data."""
    out = []
    for symbol, name in ELEMENTS.items():
        names = [name, *(["sulphur"] if name == "sulfur" else [])]
        phrases = [
            *(f"{n} atom*" for n in names),
            *(f"{n}s" for n in names),
            *(f"number of {n}" for n in names),
            *(f"how many {n}" for n in names),
            *(f"{n} count" for n in names),
            f"{symbol} atom*",
        ]
        out.append(
            {
                "name": f"{name}_count",
                "tool": "atom_counts",
                "fields": [f"{name}_atoms"],
                "phrases": phrases,
                "mask": True,
            }
        )
    return out


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads((resources.files("agent.data") / name).read_text(encoding="utf-8"))


@cache
def vocabulary() -> Vocabulary:
    """The bundled intent, field and functional-group tables."""
    raw = _load("intents.toml")
    intents = tuple(
        Intent(
            name=item["name"],
            kind=item.get("kind", "single"),
            tool=item["tool"],
            fields=tuple(item["fields"]),
            pattern=_phrase_regex(item["phrases"]),
            args=tuple(sorted(item.get("args", {}).items())),
            masks=bool(item.get("mask", False)),
        )
        for item in [*raw["intent"], *_element_intents()]
    )
    overview = tuple((tool, tuple(fields)) for tool, fields in raw["overview"]["tool_fields"])
    fields = {k: FieldFormat(**v) for k, v in raw["fields"].items()}
    for name in ELEMENTS.values():
        fields.setdefault(f"{name}_atoms", FieldFormat(label=f"{name} atoms"))
    groups = dict(_load("functional_groups.toml")["groups"])
    for name, smarts in group_names().items():  # the functional-group tool's table too
        groups.setdefault(name, smarts)
    missing = tuple(
        Unavailable(u["name"], u["what"], u["instead"], _phrase_regex(u["phrases"]))
        for u in raw.get("unavailable", [])
    )
    words = frozenset(
        w
        for item in [*raw["intent"], *_element_intents(), *raw.get("unavailable", [])]
        for phrase in item["phrases"]
        for w in re.split(r"[\s\-]+", phrase.lower().rstrip("*"))
        if w and w != "*"
    )
    reactions = tuple(
        ReactionTrigger(
            r.key,
            r.name,
            _phrase_regex(list(r.phrases)) if r.phrases else None,
            frozenset(x.lower() for x in r.reagents),
            max(s.count(".", 0, s.index(">>")) + 1 for s in r.smarts),
        )
        for r in reaction_table().values()
    )
    words |= {
        w
        for r in reaction_table().values()
        for p in r.phrases
        for w in re.split(r"[\s\-]+", p.lower().rstrip("*"))
        if w
    }
    comparatives = tuple(
        Comparative(c["field"], c["tool"], frozenset(c["high"]), frozenset(c["low"]))
        for c in raw.get("comparative", [])
    )
    words |= {w for c in comparatives for w in (*c.high, *c.low)}
    format_phrases = list(raw.get("format", {}).get("phrases", []))
    words |= {
        w
        for p in format_phrases
        for w in re.split(r"[\s\-]+", p.lower().rstrip("*"))
        if w and w != "*"
    }
    return Vocabulary(
        intents,
        overview,
        fields,
        groups,
        _phrase_regex(list(groups)),
        words,
        missing,
        reactions,
        comparatives,
        _phrase_regex(format_phrases) if format_phrases else None,
        frozenset(raw.get("overview_words", {}).get("words", [])),
        frozenset(raw.get("not_names", {}).get("words", [])),
    )
