"""Recognising a scheduled chemical in any text: structure first, then names, codes, classes and
descriptions. Pure: text and SMILES in, what was found out.

Structures are the most reliable form and come first: any SMILES-like token, InChI (trimmed of
the punctuation a sentence puts after it) or InChIKey in the text is compared with the listed
structures and the Schedule 1 families (SMARTS for a structure; for an InChIKey, whose hash
cannot be turned back into a structure offline, the skeleton block against the listed chemicals
and the enumerated family members of `families.py`). Then names in every language of
`safety_names.csv`, military codes where they stand as a token in a chemical context, generic
class words ("nerve agent") and the descriptions of the two toxins, which may be spread over the
turns of a thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from rdkit import Chem

from agent.safety.allow import allowlist
from agent.safety.families import family_keys
from agent.safety.lists import ScheduleList, structure_key
from agent.safety.normalise import fold, revealed, skeleton, tokens, visible
from agent.safety.terms import NameMatcher, production_pattern, terms
from models.rdkit_log import rdkit_messages
from models.smiles import looks_like_smiles
from tools.base import ToolInputError
from tools.chem.mol import parse_smiles
from tools.names.table import CAS_PATTERN

FAMILY = "family:"
CLASS = "class:"
_INCHIKEY = re.compile(r"(?<![A-Z])([A-Z]{14})-([A-Z]{10})-([A-Z])(?![A-Z])")
_INCHI = re.compile(r"InChI=1S?/\S+")
_TRAILING = "?!.,;:)]}'\"»”’>"
_QUALIFIER = re.compile(
    r"\b(?:agents?|mustards?|blister|vesicants?|lewisites?|arsenicals?|weapons?|warfare|"
    r"munitions?|military|levinstein|nerve|gas)\b"
)
_ASKED_FOR = re.compile(
    r"(?:synthe\w*|prepar\w*|prep|produc\w*|mak(?:e|ing)|manufactur\w*|route|recipe|procedure|"
    r"obtain|get|buy|need)\s+(?:(?:of|to|for|me)\s+)?(?:the\s+|some\s+)?$"
)
_ASKED_AFTER = re.compile(
    r"^\s*(?:production|synthesis|preparation|manufacture|route|recipe|precursors?|agent|gas|"
    r"munitions?)\b"
)


@dataclass(frozen=True)
class Code:
    """A military code and how to find it as a token."""

    code: str
    cas: tuple[str, ...]
    pattern: re.Pattern[str]

    @property
    def single(self) -> bool:
        return len(self.code) == 1


def _code_pattern(code: str) -> re.Pattern[str]:
    if code.isalpha():
        body = r"[-.]?".join(re.escape(ch) for ch in code) + (r"\.?" if len(code) > 1 else "")
    else:
        body = "-?".join(re.escape(p) for p in code.split("-"))
    left = r"(?<![A-Za-z0-9])(?<![A-Za-z0-9][-/.])"
    right = r"(?![A-Za-z0-9])(?![-/][A-Za-z0-9])"
    flags = 0 if len(code) == 1 else re.IGNORECASE
    return re.compile(left + body + right, flags)


class Recogniser:
    """Finds listed chemicals and Schedule 1 agents in text and structures."""

    def __init__(self, lst: ScheduleList) -> None:
        self.list = lst
        t = terms()
        self.matcher = NameMatcher(list(lst.names), set(t["benign_lookalikes"]["words"]))
        self.codes = [Code(c, tuple(cas), _code_pattern(c)) for c, cas in lst.codes.items()]
        cfg = t["codes"]
        self.context = re.compile("|".join(f"(?:{p})" for p in cfg["context"]))
        self.senses = {
            code: re.compile("|".join(f"(?:{p})" for p in words))
            for code, words in cfg["senses"].items()
        }
        self.not_after = re.compile("|".join(cfg["single_letter_not"]))
        self.not_before = re.compile("|".join(cfg["single_letter_not_before"]))
        self.classes = [
            (name, re.compile("|".join(f"(?:{p})" for p in patterns)))
            for name, patterns in t["classes"].items()
        ]
        self.descriptions = [
            (d["cas"], [re.compile("|".join(f"(?:{p})" for p in g)) for g in d["groups"]])
            for d in t["descriptions"]
        ]
        self.needs = {
            name: re.compile("|".join(f"(?:{p})" for p in words))
            for name, words in t["needs"].items()
        }

    @cached_property
    def _by_code(self) -> dict[str, Code]:
        return {c.code.lower(): c for c in self.codes}

    # -- structures ----------------------------------------------------------------------------

    def structures_in(self, text: str) -> list[tuple[Chem.Mol, str]]:
        """Molecules written in the text: InChI strings and SMILES-like tokens."""
        mols: list[tuple[Chem.Mol, str]] = []
        for m in _INCHI.finditer(text):
            if (mol := _inchi(m.group(0))) is not None:
                mols.append(mol)
        for raw in re.findall(r"\S+", _INCHI.sub(" ", text)):
            token = raw.strip(_TRAILING).lstrip("(['\"«“‘<")
            if len(token) >= 3 and looks_like_smiles(token):
                try:
                    mols.append((parse_smiles(token), token))
                except ToolInputError:
                    continue
        return mols

    def by_structure(self, mol: Chem.Mol) -> tuple[list[str], str | None]:
        """Listed CAS numbers with this structure, and its Schedule 1 family (if no Schedule 1
        entry already names it)."""
        listed = sorted(self.list.by_structure.get(structure_key(mol) or "", set()))
        if any(self.list.is_schedule_1(c) for c in listed):
            return listed, None
        return listed, self.list.family_of(mol)

    def _keys(self, text: str, found: dict[str, str]) -> None:
        for m in _INCHIKEY.finditer(skeleton(text).upper()):
            block = m.group(1)
            for cas in self.list.by_structure.get(block, set()):
                found.setdefault(cas, m.group(0))
            listed = self.list.by_structure.get(block, set())
            if not any(self.list.is_schedule_1(c) for c in listed) and (
                item := family_keys().get(block)
            ):
                found.setdefault(f"{FAMILY}Schedule {item}", m.group(0))

    # -- words ---------------------------------------------------------------------------------

    def chemical(self, folded: str) -> bool:
        """Whether a folded text reads as chemistry (for codes): a context word or a production
        verb of any language."""
        return bool(
            self.context.search(folded)
            or production_pattern().search(folded)
            or any(r in folded for r in allowlist().foreign_requests)  # "step by step", "at home"
        )

    def _codes(self, text: str, folded: str, chemical: bool, found: dict[str, str]) -> None:
        cased = skeleton(text)
        for code in self.codes:
            sense = self.senses.get(code.code.lower())
            # A code with no other known sense (VX, HN3, A-234) counts anywhere; the others
            # only in a chemical context and where no word of another sense is.
            if sense is not None and (not chemical or sense.search(folded)):
                continue
            for m in code.pattern.finditer(cased):
                written = m.group(0)
                if len(code.code) == 2 and written[:1].isupper() and written[1:].islower():
                    continue  # "Ga", "Gd": element symbols
                before, after = cased[: m.start()], cased[m.end() :]
                if re.search(r"\d[\d.,]*\s*$", before):
                    continue  # a unit: "2 L", "16 GB"
                if code.single and not self._single_letter(before, after, folded):
                    continue
                for cas in code.cas:
                    found.setdefault(cas, written)
                break

    def _single_letter(self, before: str, after: str, folded: str) -> bool:
        """A lone "L" or "H" is a unit, an atom, a ligand or an enantiomer far more often than
        an agent: it counts only when asked for directly or named as an agent."""
        if self.not_after.search(after.lower()) or self.not_before.search(before.lower()):
            return False
        return bool(
            _QUALIFIER.search(folded)
            or _ASKED_FOR.search(fold(before))
            or _ASKED_AFTER.search(fold(after))
        )

    def find(
        self, text: str, smiles: Iterable[str] = (), thread: Iterable[str] = ()
    ) -> dict[str, str]:
        """`find_all` without the written forms."""
        return self.find_all(text, smiles, thread)[0]

    def find_all(
        self,
        text: str,
        smiles: Iterable[str] = (),
        thread: Iterable[str] = (),
        known: Iterable[str] = (),
    ) -> tuple[dict[str, str], set[str]]:
        """Listed chemicals in `text` and among `smiles` -> how each was written. Keys are CAS
        numbers, 'family:<Schedule item>' for unlisted members of a Schedule 1 family and
        'class:<word>' for a generic name ("nerve agent"). `thread` holds the earlier questions
        of the conversation: a description split over turns, and a code's chemical context,
        count there too. Also returns the folded words of every form found in `text`, for the
        allowlist to set aside ("sarin" in "What is the LD50 of sarin?").

        `known` are names the name tables resolve to a compound of their own ("cyclosporin"):
        such a word is not read as a typo of a listed name ("cyclosarin"). Its structure is in
        `smiles` and is screened by structure like any other, so a synonym of an agent that the
        tables hold is still found."""
        earlier = list(thread)
        real_names = {fold(k) for k in known}
        text = revealed(text)
        folded = fold(text)
        found: dict[str, str] = {}
        for m in CAS_PATTERN.finditer(text):
            if m.group(1) in self.list.by_cas:
                found[m.group(1)] = m.group(1)
        self._keys(text, found)
        mols = self.structures_in(visible(text))  # full-width SMILES read as SMILES
        for smi in smiles:
            try:
                mols.append((parse_smiles(smi), smi))
            except ToolInputError:
                continue
        for mol, shown in mols:
            listed, family = self.by_structure(mol)
            for cas in listed:
                found.setdefault(cas, shown)
            if family is not None:
                found.setdefault(FAMILY + family, shown)
        written: set[str] = set()
        for hit in self.matcher.find(text):
            if not hit.exact and fold(hit.written) in real_names:
                continue
            need = self.list.needs.get(hit.name)
            if need is not None and not self.needs[need].search(folded):
                continue
            written.add(hit.written)
            for cas in self.list.names[hit.name]:
                found.setdefault(cas, hit.written)
        context = folded + "\n" + "\n".join(fold(q) for q in earlier)
        # Two agent codes together ("convert DF to GB") are each other's chemical context.
        codes_alone: dict[str, str] = {}
        self._codes(text, folded, True, codes_alone)
        several = len({w.lower() for w in codes_alone.values()}) >= 2
        self._codes(text, folded, bool(found) or several or self.chemical(context), found)
        if earlier and self.chemical(context):
            # a code asked about in an earlier turn, read with the whole thread as context
            # ("history of GD", then "how do I make it, step by step?")
            for q in earlier:
                self._codes(q, fold(q), True, found)
        for name, pattern in self.classes:
            if cls := pattern.search(folded):
                found.setdefault(CLASS + name, cls.group(0))
        for cas, groups in self.descriptions:
            matches = [g.search(context) for g in groups]
            if all(matches) and any(g.search(folded) for g in groups):
                found.setdefault(cas, " ... ".join(m.group(0) for m in matches if m))
                written.update(m.group(0) for m in matches if m)
        written.update(found.values())
        return found, {t for w in written for t in (fold(w), *tokens(fold(w)))}


def _inchi(raw: str) -> tuple[Chem.Mol, str] | None:
    """An InChI as written in a sentence: trailing punctuation is trimmed one character at a
    time until RDKit reads it (the "?" of "How do I make InChI=1S/...?")."""
    text = raw
    while text:
        with rdkit_messages():
            mol = Chem.MolFromInchi(text)
        if mol is not None:
            return mol, text
        if text[-1] not in _TRAILING:
            return None
        text = text[:-1]
    return None
