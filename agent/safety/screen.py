"""The safety screen: chemical-weapons agents and their precursors, with no LLM involved.

Two checks share one list. The question screen refuses any request to make, obtain or deploy a
Schedule 1 agent, however it is named (CAS, name in any listed language or misspelled, SMILES,
structure family) or referred to (an agent named earlier in the thread), and warns on Schedule 2/3
and precursor chemicals. The answer screen withholds any answer, LLM-written or quoted from a
paper, that gives preparation steps for a Schedule 1 agent, whatever the question was. Both are
the same for every backend: no model decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from agent.safety.lists import ScheduleList, bundled_list, structure_key
from agent.safety.terms import NameMatcher, asks_to_make, preparation_words, terms
from models.rdkit_log import rdkit_messages
from models.smiles import looks_like_smiles
from tools.base import ToolInputError
from tools.chem.mol import parse_smiles
from tools.names.table import CAS_PATTERN

FAMILY = "family:"
_INCHIKEY = re.compile(r"\b([A-Z]{14})-[A-Z]{10}-[A-Z]\b")
_INCHI = re.compile(r"InChI=1S?/[^\s\"']+")


class ScreenResult(BaseModel):
    """What the screen decided: a refusal (stop) or warnings (continue), and what matched."""

    model_config = ConfigDict(extra="forbid")

    refusal: str | None = None
    warnings: list[str] = Field(default_factory=list)
    matched: list[str] = Field(default_factory=list, description="CAS numbers found.")
    agents: list[str] = Field(
        default_factory=list,
        description="Schedule 1 agents named (CAS, or 'family:<name>'), kept for later turns.",
    )


def _refusal(named: str) -> str:
    return (
        f"I can't help with making or obtaining {named}: it is a Schedule 1 chemical-warfare "
        "agent under the Chemical Weapons Convention. I can still answer questions about its "
        "detection, toxicology, medical countermeasures or its listed status."
    )


def _withheld(named: str) -> str:
    return (
        f"I can't give this answer: it describes how to prepare {named}, a Schedule 1 "
        "chemical-warfare agent under the Chemical Weapons Convention, so it was withheld. I can "
        "still answer questions about its detection, toxicology, medical countermeasures or its "
        "listed status."
    )


class SafetyScreen:
    """Refuses synthesis help for Schedule 1 agents; warns on Schedule 2/3 and precursors."""

    def __init__(self, schedule_list: ScheduleList | None = None) -> None:
        self.list = schedule_list or bundled_list()
        self.matcher = NameMatcher(
            list(self.list.names), set(terms()["benign_lookalikes"]["words"])
        )

    # -- recognition ---------------------------------------------------------------------

    def find(self, text: str, smiles: Iterable[str]) -> dict[str, str]:
        """Listed chemicals (CAS, or 'family:<name>' for Schedule 1 family members) in the text or
        among the structures -> how they were written."""
        found: dict[str, str] = {}
        for m in CAS_PATTERN.finditer(text):
            if m.group(1) in self.list.by_cas:
                found[m.group(1)] = m.group(1)
        for hit in self.matcher.find(text):
            for cas in self.list.names[hit.name]:
                found.setdefault(cas, hit.written)
        for m in _INCHIKEY.finditer(text):
            for cas in self.list.by_structure.get(m.group(1), set()):
                found.setdefault(cas, m.group(0))
        mols = []
        for m in _INCHI.finditer(text):
            with rdkit_messages():
                mol = Chem.MolFromInchi(m.group(0))
            if mol is not None:
                mols.append((mol, m.group(0)))
        for smi in smiles:
            try:
                mols.append((parse_smiles(smi), smi))
            except ToolInputError:
                continue
        for mol, smi in mols:
            listed = self.list.by_structure.get(structure_key(mol) or "", set())
            for cas in listed:
                found.setdefault(cas, smi)
            if not any(self.list.is_schedule_1(c) for c in listed) and (
                family := self.list.family_of(mol)
            ):
                found.setdefault(FAMILY + family, smi)
        return found

    def is_agent(self, key: str) -> bool:
        """A Schedule 1 chemical (by CAS or by family)."""
        return key.startswith(FAMILY) or self.list.is_schedule_1(key)

    def label(self, key: str, shown: str) -> str:
        """How a found chemical is named in messages."""
        if key.startswith(FAMILY):
            return f"{shown} ({key[len(FAMILY) :]})"
        name = self.list.name_of.get(key, shown)
        return f"{name} (CAS {key})" if name != key else f"CAS {key}"

    # -- the question ---------------------------------------------------------------------

    def screen(
        self, question: str, smiles: Iterable[str], earlier: Iterable[str] = ()
    ) -> ScreenResult:
        """Decide on a question given the structures it mentions (SMILES, already resolved) and
        the Schedule 1 agents named earlier in the thread that it may refer back to."""
        found = self.find(question, smiles)
        wants = asks_to_make(question) is not None
        agents = [k for k in found if self.is_agent(k)]
        if wants:
            for key in [*agents, *earlier]:
                shown = found.get(key) or self.list.name_of.get(key, key.removeprefix(FAMILY))
                return ScreenResult(
                    refusal=_refusal(self.label(key, shown)), matched=list(found), agents=agents
                )
        warnings: list[str] = []
        for key, shown in found.items():
            named = self.label(key, shown)
            if self.is_agent(key):
                warnings.append(
                    f"{named} is a Schedule 1 chemical-warfare agent under the Chemical Weapons "
                    "Convention: making, acquiring, keeping or using it is prohibited except for "
                    "research, medical or protective purposes under a national authority's "
                    "licence; no synthesis information will be given."
                )
                continue
            what = ", ".join(sorted(self.list.schedules(key)))
            advice = (
                "no synthesis route will be given"
                if wants
                else "handle and store it under your institution's controls"
            )
            warnings.append(f"{named} is a controlled chemical ({what}); {advice}.")
        return ScreenResult(warnings=warnings, matched=list(found), agents=agents)

    def products(self, smiles: Iterable[str]) -> str | None:
        """A refusal when a reaction the assistant ran makes a Schedule 1 agent: computing that
        product is synthesis help, however the question was worded."""
        found = self.find("", smiles)
        agents = [k for k in found if self.is_agent(k)]
        return _refusal(self.label(agents[0], found[agents[0]])) if agents else None

    # -- the answer -----------------------------------------------------------------------

    def screen_answer(self, text: str) -> str | None:
        """A refusal that replaces `text` when it gives preparation steps for a Schedule 1 agent,
        else None. Structures written in the answer count as much as names."""
        tokens = [t.strip(".,;:()[]\"'`") for t in text.split()]
        smiles = [t for t in tokens if len(t) >= 4 and looks_like_smiles(t)]
        found = self.find(text, smiles)
        agents = [k for k in found if self.is_agent(k)]
        if not agents or not preparation_words(text):
            return None
        return _withheld(self.label(agents[0], found[agents[0]]))


_REFERS_BACK = re.compile(
    r"\b(?:it|its|this|that|these|those|them|they|the\s+(?:agent|compound|chemical|substance|"
    r"gas|same))\b|\b(?:es|ihn|lo|la|le|l'|ce|cela|ello|esto|его|её|это)\b|它|这个|これ",
    re.IGNORECASE,
)


def refers_back(question: str) -> bool:
    """Whether a question points at something named before ("a synthesis route for it")."""
    return bool(_REFERS_BACK.search(question))
