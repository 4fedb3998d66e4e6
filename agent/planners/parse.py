"""Pure analysis of a question: which molecules it names, split into clauses with their intents.

No tools are called here; names are only spotted (resolution is a tool call the planner makes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from agent.intents import Intent, ReactionTrigger, Unavailable, Vocabulary
from agent.planners.spans import closes_unopened, opens_unclosed
from models.smiles import looks_like_smiles
from tools.base import ToolInputError
from tools.chem.mol import ChemLimits, canonical_smiles
from tools.names.table import CAS_PATTERN, NameTable

MentionKind = Literal["smiles", "invalid_smiles", "name", "cas", "reaction"]


@dataclass(frozen=True)
class Mention:
    """A molecule (or reaction) written in the question."""

    start: int
    end: int
    text: str
    kind: MentionKind
    smiles: str | None = None
    error: str | None = None

    @property
    def is_molecule(self) -> bool:
        return self.kind in ("smiles", "name", "cas")


@dataclass
class Clause:
    """A part of the question with its own request ("..., and which is more similar to X?")."""

    start: int
    end: int
    text: str
    mentions: list[Mention] = field(default_factory=list)
    intents: list[tuple[Intent, re.Match[str]]] = field(default_factory=list)
    missing: list[Unavailable] = field(default_factory=list)  # asked for, but no tool gives it
    reactions: list[ReactionTrigger] = field(default_factory=list)  # named reactions asked for

    def reagent(self, m: Mention, trigger: ReactionTrigger) -> bool:
        return m.text.lower() in trigger.reagents


_LEADING = "(\"'“‘<"
_TRAILING = "?,;:.!\"'”’>"
_NEW_REQUEST = r"(?=(?:which|what|how|is|are|does|do|can|its|their|also)\b)"
_CLAUSE_BREAK = re.compile(
    r"(?<=[?;!])\s+"
    r"|(?<=\.)\s+(?=[A-Z])"
    rf"|,\s*(?:and\s+|also\s+|then\s+)?{_NEW_REQUEST}"
    rf"|\s+and\s+(?:also\s+)?{_NEW_REQUEST}",
    re.IGNORECASE,
)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth < 0:
            return False
    return depth == 0


def _strip_token(raw: str, start: int, before: str = "") -> tuple[str, int]:
    """Punctuation off both ends of a whitespace token, and a bracket around all of it
    ("(CCO)"). A closing bracket the token does not open is taken off only when the text
    `before` it left a bracket open ("(or CCO)"): in "CCO)" alone it is part of what was typed,
    so the SMILES is reported as invalid rather than read as ethanol."""
    token = raw
    open_before = before.count("(") > before.count(")")
    while token:
        if token[0] in _LEADING and token[0] != "(":
            token, start = token[1:], start + 1
        elif token[-1] in _TRAILING:
            token = token[:-1]
        elif len(token) > 2 and token[0] == "(" and token[-1] == ")" and _balanced(token[1:-1]):
            token, start = token[1:-1], start + 1
        elif opens_unclosed(token, "(", ")"):
            token, start, open_before = token[1:], start + 1, True
        elif opens_unclosed(token, "[", "]"):
            token, start = token[1:], start + 1  # "[CCO, CC(C)O]": a list in brackets
        elif (closes_unopened(token, "(", ")") and open_before) or (
            closes_unopened(token, "[", "]") and "[" in before
        ):
            token = token[:-1]
        else:
            break
    return token, start


def find_mentions(text: str, names: NameTable, limits: ChemLimits) -> list[Mention]:
    """Molecules named, given as SMILES or CAS numbers, and reaction SMARTS, left to right."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for match in re.finditer(r"\S+", text):
        token, start = _strip_token(match.group(0), match.start())
        if ">>" in token:
            found.append(Mention(start, start + len(token), token, "reaction"))
            taken.append((start, start + len(token)))
    for start, end, name in names.find_names(text):
        if free(start, end):
            found.append(Mention(start, end, name, "name"))
            taken.append((start, end))
    for m in CAS_PATTERN.finditer(text):
        if free(m.start(), m.end()):
            found.append(Mention(m.start(), m.end(), m.group(1), "cas"))
            taken.append((m.start(), m.end()))
    for match in re.finditer(r"\S+", text):
        token, start = _strip_token(match.group(0), match.start(), text[: match.start()])
        end = start + len(token)
        if not token or not free(start, end) or not looks_like_smiles(token):
            continue
        try:
            found.append(
                Mention(start, end, token, "smiles", smiles=canonical_smiles(token, limits))
            )
        except ToolInputError as exc:
            found.append(Mention(start, end, token, "invalid_smiles", error=str(exc)))
        taken.append((start, end))
    return sorted(found, key=lambda m: m.start)


def mask(text: str, offset: int, mentions: list[Mention]) -> str:
    """The text with each mention blanked out as one opaque word (no intent phrase is found
    inside a name, and "A, B and C is ..." does not break after "and")."""
    chars = list(text)
    for m in mentions:
        for i in range(max(m.start - offset, 0), min(m.end - offset, len(chars))):
            chars[i] = "_"
    return "".join(chars)


_ONLY_MOLECULES = re.compile(r"[\s_,;.]*(?:(?:and|or|vs\.?|versus)\b[\s_,;.]*)*", re.IGNORECASE)


def _list_goes_on(masked: str, start: int, end: int) -> bool:
    """A semicolon that separates the molecules of one list ("masses of nicotine; cotinine;
    anabasine"): what follows it, up to the next semicolon or the end, is only molecules."""
    if ";" not in masked[max(start - 1, 0) : end]:
        return False
    stop = re.search(r"[;?!]", masked[end:])
    following = masked[end : end + stop.start()] if stop else masked[end:]
    return "_" in following and bool(_ONLY_MOLECULES.fullmatch(following))


def split_clauses(text: str, mentions: list[Mention], vocab: Vocabulary) -> list[Clause]:
    """Cut the question where a new request starts and find each part's intents."""
    masked = mask(text, 0, mentions)
    cuts = [0]
    for m in _CLAUSE_BREAK.finditer(masked):
        if m.start() > cuts[-1] and not _list_goes_on(masked, m.start(), m.end()):
            cuts.append(m.end())
    cuts.append(len(text))
    clauses = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if not text[a:b].strip():
            continue
        inside = [m for m in mentions if a <= m.start < b]
        part = mask(text[a:b], a, inside)
        intents = [(i, hit) for i in vocab.intents if (hit := i.find(part))]
        missing = [u for u in vocab.unavailable if u.find(part)]
        named = reactions_named(part, inside, vocab)
        clauses.append(Clause(a, b, text[a:b], inside, intents, missing, named))
    return clauses


def reactions_named(part: str, inside: list[Mention], vocab: Vocabulary) -> list[ReactionTrigger]:
    """Named reactions a clause asks for. A reagent alone names one only beside a reactant
    ("reduce X with NaBH4"), not when it is what the question is about ("the logP of TFA")."""
    return [
        r
        for r in vocab.reactions
        if (r.pattern is not None and r.pattern.search(part))
        or (
            any(m.text.lower() in r.reagents for m in inside)
            and any(m.is_molecule and m.text.lower() not in r.reagents for m in inside)
        )
    ]


def find_group(clause: Clause, vocab: Vocabulary) -> tuple[str, str] | None:
    """A functional group named in the clause (outside molecule names): (name, SMARTS)."""
    part = mask(clause.text, clause.start, clause.mentions)
    hit = vocab.group_pattern.search(part)
    if hit is None:
        return None
    key = next(k for k in vocab.groups if k.lower() == re.sub(r"\s+", " ", hit.group(0).lower()))
    return key, vocab.groups[key]


_NOT_NAMES = frozenset(
    [
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "them",
        "they",
        "one",
        "each",
        "both",
        "all",
        "compound",
        "compounds",
        "molecule",
        "molecules",
        "structure",
        "structures",
        "substance",
        "chemical",
        "following",
        "above",
        "same",
        "which",
        "what",
    ]
)
_NAME_STOP = (
    r"and|or|in|with|at|to|than|versus|vs|compared|under|using|from|is|are|was|were|has|have|"
    r"does|do|when|if|as|by|per|on"
)
_AFTER_OF = re.compile(
    r"\b(?:(?P<of>of|for|about)|(?P<make>synthesi[sz]e|make|produce|prepare|manufacture))"
    r"\s+(?:the\s+|a\s+|an\s+|some\s+)?"
    rf"(?P<name>[^\s?;!]+(?:\s+(?!(?:{_NAME_STOP})\b)[^\s?;!]+){{0,5}})",
    re.IGNORECASE,
)


def find_unlisted_names(clause: Clause) -> list[Mention]:
    """Compound names the table does not know, in "<property> of <name>" form.

    Only for a clause that names no molecule and asks for something (has an intent), or asks
    how to make something (so that the safety screen sees the structure once it is resolved):
    the words after "of"/"for"/"synthesize" are taken to be a name and left to the resolver
    (OPSIN, PubChem), which says clearly when they are not one.
    """
    if clause.mentions:
        return []
    found: list[Mention] = []
    spans = [(clause.start + h.start(), clause.start + h.end()) for _, h in clause.intents]
    for m in _AFTER_OF.finditer(clause.text):
        if not clause.intents and not m.group("make"):
            continue
        text = m.group("name").split(", ")[0].rstrip(".,:")
        start = clause.start + m.start("name")
        end = start + len(text)
        words = text.lower().split()
        if not words or words[0] in _NOT_NAMES or len(text) > 100:
            continue
        if any(a < end and start < b for a, b in spans):
            continue
        found.append(Mention(start, end, text, "name"))
    return found
