"""Words that point back into the thread: "the second one", "both of them", "that acid", and
derivatives named relative to a molecule: "its methyl ester", "the ethyl ester of X" (pure).

A reference picks molecules from the previous turn, in the order they were named; a
derivative names a new molecule made from the one it refers to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tools.chem.composition import DERIVATIVE_ALIASES, DERIVATIVE_NAMES

_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "last": -1, "former": 0, "latter": -1, "final": -1,
}  # fmt: skip
_NOUNS = (
    r"one|ones|compound|compounds|molecule|molecules|drug|drugs|structure|structures|"
    r"substance|chemical|acid|acids|amine|amines|alcohol|alcohols|ester|esters|ketone|"
    r"aldehyde|phenol|amide|base|salt|ether|agent|molecule|option|candidate|entry|item"
)
_ORDINAL = re.compile(
    r"\b(?:the|that|this)\s+(?P<ord>" + "|".join(_ORDINALS) + rf")(?![\w-])(?:\s+(?:{_NOUNS})\b)?"
    r"(?:\s+(?:one\s+)?(?:you\s+)?(?:mentioned|listed|named|above))?",
    re.IGNORECASE,
)
_ALL = re.compile(
    r"\b(?:both|all)(?:\s+(?:of\s+)?(?:them|these|those|three|four|five|two))?"
    r"(?:\s+(?:" + _NOUNS + r"))?\b|\b(?:each|every)\s+(?:one|of\s+them)\b"
    r"|\b(?:these|those)\s+(?:two|three|four|five)?\s*(?:" + _NOUNS + r")\b"
    r"|\bthe\s+(?:two|three|four|five|six)(?:\s+(?:" + _NOUNS + r"))?\b(?!\s*[-\w])"
    r"|\b(?:them|they|their)\b",
    re.IGNORECASE,
)
_OTHER = re.compile(
    r"\bthe\s+other(?:\s+(?:" + _NOUNS + r"))?\b|\bthe\s+remaining(?:\s+(?:" + _NOUNS + r"))?\b",
    re.IGNORECASE,
)
_THAT = re.compile(
    r"\b(?:that|this|the\s+same|said)\s+(?P<noun>" + _NOUNS + r")\b",
    re.IGNORECASE,
)
# Class nouns that narrow "that acid" to the earlier molecules with that group (group names of
# the functional-group table).
CLASS_GROUPS = {
    "acid": "carboxylic acid",
    "acids": "carboxylic acid",
    "amine": "primary amine",
    "amines": "primary amine",
    "alcohol": "alcohol",
    "alcohols": "alcohol",
    "ester": "ester",
    "esters": "ester",
    "ketone": "ketone",
    "aldehyde": "aldehyde",
    "phenol": "phenol",
    "amide": "amide",
    "ether": "ether",
}

RefKind = Literal["ordinal", "all", "that", "other"]


@dataclass(frozen=True)
class Reference:
    start: int
    end: int
    kind: RefKind
    index: int = 0  # ordinal: 0 first, -1 last
    noun: str = ""  # "that acid": acid


def find_references(text: str) -> list[Reference]:
    """References in a clause (offsets into `text`), left to right, not overlapping."""
    found: list[Reference] = []

    def free(a: int, b: int) -> bool:
        return all(b <= r.start or a >= r.end for r in found)

    for m in _ORDINAL.finditer(text):
        found.append(Reference(m.start(), m.end(), "ordinal", _ORDINALS[m["ord"].lower()]))
    for m in _OTHER.finditer(text):
        found.append(Reference(m.start(), m.end(), "other"))
    for m in _THAT.finditer(text):
        if free(m.start(), m.end()):
            found.append(Reference(m.start(), m.end(), "that", noun=m["noun"].lower()))
    for m in _ALL.finditer(text):
        if free(m.start(), m.end()):
            found.append(Reference(m.start(), m.end(), "all"))
    return sorted(found, key=lambda r: r.start)


_DERIVATIVE = re.compile(
    r"\b(?P<det>its|their|the|a|an)?\s*(?<![\w-])(?P<name>"
    + "|".join(
        re.escape(n).replace(r"\ ", r"[\s-]")
        for n in sorted([*DERIVATIVE_NAMES, *DERIVATIVE_ALIASES], key=len, reverse=True)
    )
    + r")s?\b(?:\s+derivatives?)?(?P<of>\s+(?:of|from|for)\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DerivativeAsk:
    start: int
    end: int
    name: str  # key of the derivative table
    of_follows: bool  # "the methyl ester of X": X is the parent
    its: bool  # "its/their methyl ester": the parent is the molecule referred to


# "metformin HCl": the hydrochloride of the molecule just before, not a second molecule (HCl)
# and not the parent the drug dictionary files the salt under. "react it with HCl", "X and HCl"
# and "aqueous HCl" are the reagent.
_HCL_AFTER = re.compile(r"(?P<prev>[\w)\]]+)\s+(?P<name>HCl)\b(?!\s*(?:gas|solution|\(aq|in\b))")
_REAGENT_BEFORE = {
    "with", "and", "or", "of", "in", "to", "by", "from", "aqueous", "conc", "concentrated",
    "dilute", "excess", "gaseous", "dry", "anhydrous", "the", "a", "an", "some", "using", "plus",
    "vs", "versus", "than", "is", "are", "mol", "mmol", "g", "mg", "ml", "l", "m", "equiv", "eq",
}  # fmt: skip


def _spaced(name: str) -> str:
    return re.sub(r"[\s-]+", " ", name.lower()).strip()


# Every way of writing a derivative (hyphens and spaces alike) -> its key in the table.
_KNOWN = {
    **{_spaced(n): n for n in DERIVATIVE_NAMES},
    **{_spaced(a): key for a, key in DERIVATIVE_ALIASES.items()},
}

# Any other "<word> ester/ether/derivative/salt" ("the N-methyl derivative of aniline", "its
# sec-pentyl ester"): kept under its own name, so the derivative tool says it cannot build it
# and which it can, instead of the question being answered about the parent.
_OTHER_DERIVATIVE = re.compile(
    r"\b(?P<det>its|their|the|a|an)?\s*(?<![\w-])(?P<name>[A-Za-z][\w-]*[\w]\s+"
    r"(?:esters?|ethers?|derivatives?|salts?))\b(?P<of>\s+(?:of|from|for)\b)?",
    re.IGNORECASE,
)
_NOT_A_DERIVATIVE_NAME = {
    "this", "that", "which", "what", "any", "other", "some", "known", "simple", "common", "same",
    "such", "each", "every", "new", "these", "those", "one", "an", "a", "the", "its", "their",
    "corresponding", "possible", "natural", "synthetic", "related", "organic", "inorganic",
}  # fmt: skip


def find_derivatives(text: str) -> list[DerivativeAsk]:
    """ "its methyl ester", "the ethyl ester of X", "salicylic acid methyl ester"; and any other
    derivative named that way, under its own (unknown) name."""

    def ask(m: re.Match[str], name: str) -> DerivativeAsk:
        det = (m["det"] or "").lower()
        return DerivativeAsk(m.start(), m.end(), name, bool(m["of"]), det in ("its", "their"))

    out: list[DerivativeAsk] = []
    for m in _DERIVATIVE.finditer(text):
        if name := _KNOWN.get(_spaced(m["name"]), ""):
            out.append(ask(m, name))
    for m in _HCL_AFTER.finditer(text):
        if m["prev"].lower() in _REAGENT_BEFORE or m["prev"].replace(".", "").isdigit():
            continue
        if not any(d.start < m.end() and m.start("name") < d.end for d in out):
            out.append(DerivativeAsk(m.start("name"), m.end(), "hydrochloride", False, False))
    for m in _OTHER_DERIVATIVE.finditer(text):
        if any(d.start < m.end() and m.start() < d.end for d in out):
            continue
        first = m["name"].split()[0].lower()
        if first in _NOT_A_DERIVATIVE_NAME or (not m["of"] and not m["det"]):
            continue  # "which salts are soluble", "sodium salts in water": no parent named
        out.append(ask(m, " ".join(m["name"].split())))
    return sorted(out, key=lambda d: d.start)
