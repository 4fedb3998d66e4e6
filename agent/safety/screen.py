"""The safety screen: chemical-weapons agents and their precursors, with no LLM involved.

It fails closed. Once a Schedule 1 chemical (an agent, a toxin or a 1B precursor) is recognised
anywhere in a thread, in any form (`recognise.py`: structure first, then names in any language or
script, codes, classes, descriptions), a question is answered only when it is understood as a
whole to be harmless (`allow.py`); everything else, including what is not understood, gets the
one refusal below. Whatever the question, output that would reach a client (an answer, a
streamed step, a tool's summary or data, a retrieved passage, a model tool's reply) is withheld
when it gives preparation details of a Schedule 1 chemical, and a tool that proposes a route to,
or a product that is, a scheduled chemical is refused by structure. Schedule 2/3 and precursor
chemicals are answered with a warning. The same for every backend: no model decides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.safety.allow import allowlist
from agent.safety.lists import ScheduleList, bundled_list
from agent.safety.normalise import fold, tokens
from agent.safety.recognise import CLASS, FAMILY, Recogniser
from agent.safety.terms import asks_to_make, direct_preparation, preparation_words

logger = logging.getLogger(__name__)

REFUSAL = (
    "I can't help with this request. It concerns a chemical listed in Schedule 1 of the Chemical "
    "Weapons Convention, and about those I answer only questions I understand to be harmless: "
    "computed properties and identifiers, toxicology, mechanism of action, antidotes and "
    "treatment, detection, history, regulation, and destruction or decontamination."
)
WITHHELD = (
    "This output was withheld by the safety screen: it gives preparation or production details "
    "of a chemical listed in Schedule 1 of the Chemical Weapons Convention. I can answer "
    "questions about its computed properties, toxicology, mechanism of action, antidotes and "
    "treatment, detection, history, regulation, and destruction or decontamination."
)
# Tools that compute or propose structures: run about a scheduled chemical they are synthesis
# help, whatever the wording (their results are also screened as products: nodes/screen.py).
PRODUCING = frozenset(
    {"named_reaction", "apply_reaction", "predict_reaction", "retrosynthesis", "design_molecule"}
)
# Tools whose argument is a question in words: judged like a question.
WORDED = {"ask_chemistry_model": "question", "search_literature": "query"}


class ScreenResult(BaseModel):
    """What the screen decided: a refusal (stop) or warnings (continue), and what matched."""

    model_config = ConfigDict(extra="forbid")

    refusal: str | None = None
    warnings: list[str] = Field(default_factory=list)
    matched: list[str] = Field(default_factory=list, description="Listed chemicals found.")
    agents: list[str] = Field(
        default_factory=list,
        description="Schedule 1 chemicals named (CAS, 'family:...', 'class:...'), kept for "
        "later turns: the thread stays under the allowlist.",
    )
    reason: str = Field("", description="Why a question was refused (for the log, not shown).")


class SafetyScreen:
    """Fails closed around Schedule 1 chemicals; warns on Schedule 2/3 and precursors."""

    def __init__(self, schedule_list: ScheduleList | None = None) -> None:
        self.list = schedule_list or bundled_list()
        self.recogniser = Recogniser(self.list)
        self.allow = allowlist()

    # -- recognition ---------------------------------------------------------------------------

    def find(
        self, text: str, smiles: Iterable[str] = (), thread: Iterable[str] = ()
    ) -> dict[str, str]:
        """Listed chemicals in the text, among the structures, or described over the thread ->
        how they were written (see `Recogniser.find`)."""
        return self.recogniser.find(text, smiles, thread)

    def is_agent(self, key: str) -> bool:
        """A Schedule 1 chemical (by CAS, by family or by a class word)."""
        return key.startswith((FAMILY, CLASS)) or self.list.is_schedule_1(key)

    def label(self, key: str, shown: str) -> str:
        """How a found chemical is named in messages."""
        if key.startswith((FAMILY, CLASS)):
            return f"{shown} ({key.split(':', 1)[1]})"
        name = self.list.name_of.get(key, shown)
        return f"{name} (CAS {key})" if name != key else f"CAS {key}"

    def _mentioned(self, written: set[str], names: Iterable[str]) -> set[str]:
        words = set(written)
        for name in names:
            words.update(tokens(fold(name)))
            words.add(fold(name))
        return words

    # -- the question --------------------------------------------------------------------------

    def screen(
        self,
        question: str,
        smiles: Iterable[str] = (),
        earlier: Iterable[str] = (),
        thread: Iterable[str] = (),
        named: Iterable[str] = (),
    ) -> ScreenResult:
        """Decide on a question given the structures it mentions (SMILES, already resolved),
        the Schedule 1 chemicals recognised earlier in the thread (`earlier`), the thread's
        earlier questions (`thread`) and the names of other molecules the planner found in it
        (`named`, set aside by the allowlist like the agents' names)."""
        named = list(named)
        found, written = self.recogniser.find_all(question, smiles, thread, known=named)
        agents = [k for k in found if self.is_agent(k)]
        before = list(earlier)
        if agents or before:
            verdict = self.allow.judge(question, self._mentioned(written, named))
            if not verdict.harmless:
                logger.info(
                    "refused around a Schedule 1 chemical (%s): %s",
                    ", ".join(agents or before),
                    verdict.reason,
                )
                return ScreenResult(
                    refusal=REFUSAL,
                    warnings=self._warnings(question, found),
                    matched=list(found),
                    agents=agents,
                    reason=verdict.reason,
                )
        return ScreenResult(
            warnings=self._warnings(question, found), matched=list(found), agents=agents
        )

    def _warnings(self, question: str, found: Mapping[str, str]) -> list[str]:
        wants = asks_to_make(question) is not None
        warnings: list[str] = []
        for key, shown in found.items():
            named = self.label(key, shown)
            if self.is_agent(key):
                warnings.append(
                    f"{named} is a Schedule 1 chemical under the Chemical Weapons Convention: "
                    "making, acquiring, keeping or using it is prohibited except for research, "
                    "medical or protective purposes under a national authority's licence; no "
                    "synthesis information will be given."
                )
                continue
            what = ", ".join(sorted(self.list.schedules(key)))
            advice = (
                "no synthesis route will be given"
                if wants
                else "handle and store it under your institution's controls"
            )
            warnings.append(f"{named} is a controlled chemical ({what}); {advice}.")
        return warnings

    def judge(self, question: str, earlier: Iterable[str] = ()) -> str | None:
        """The refusal for a question, or None: `screen` without warnings, for a worded tool
        argument (a question to the model, a literature query)."""
        return self.screen(question, earlier=earlier).refusal

    # -- tools ---------------------------------------------------------------------------------

    def check_call(self, tool: str, args: Mapping[str, Any], flagged: bool = False) -> str | None:
        """The refusal for a tool call, or None. Its arguments are read like a question (their
        text and structures); about a Schedule 1 chemical, or in a thread about one (`flagged`),
        a producing tool is refused whatever it was asked, and a worded argument must be
        understood as harmless."""
        texts = strings(args)
        found, written = self.recogniser.find_all(
            " ".join(texts), [t for t in texts if " " not in t.strip()]
        )
        agents = [k for k in found if self.is_agent(k)]
        if not (agents or flagged):
            return None
        if tool in PRODUCING:
            logger.info("refused %s about a Schedule 1 chemical", tool)
            return REFUSAL
        if tool in WORDED and isinstance(args.get(WORDED[tool]), str):
            verdict = self.allow.judge(args[WORDED[tool]], self._mentioned(written, ()))
            if not verdict.harmless:
                logger.info("refused %s: %s", tool, verdict.reason)
                return REFUSAL
        return None

    def products(self, smiles: Iterable[str]) -> str | None:
        """A refusal when a reaction the assistant ran makes, or a route it proposes starts
        from, a Schedule 1 chemical: computing that is synthesis help, however it was asked."""
        found = self.find("", smiles)
        return REFUSAL if any(self.is_agent(k) for k in found) else None

    # -- what goes out -------------------------------------------------------------------------

    def screen_output(self, text: str, flagged: bool = False) -> str | None:
        """`WITHHELD` when `text` gives preparation details of a Schedule 1 chemical, else None:
        preparation wording (a direct phrase, or two operations) in a text that names one (by
        name, code, CAS or structure), or, in a thread about one (`flagged`), a direct phrase
        ("to make", "prepared by", "Step 1") even without a name."""
        if not text.strip():
            return None
        steps = preparation_words(text)
        if not steps:
            return None
        named = any(self.is_agent(k) for k in self.find(text))
        if not named and not (flagged and direct_preparation(text)):
            return None
        logger.info("output withheld by the safety screen (%s)", ", ".join(steps[:3]))
        return WITHHELD

    def screen_answer(self, text: str, flagged: bool = False) -> str | None:
        """`screen_output` for an answer (kept for callers of the earlier name)."""
        return self.screen_output(text, flagged)

    def screen_data(self, summary: str, data: Any, flagged: bool = False) -> str | None:
        """`screen_output` over a tool result: its summary and each string in its data (a
        passage, a model's reply) on its own, so a name in one retrieved paper and a yield in
        another are not read as one procedure."""
        for text in [summary, *strings(data)]:
            if withheld := self.screen_output(text, flagged):
                return withheld
        return None


def strings(value: Any) -> list[str]:
    """Every string inside a JSON-like value (dict values, list items), in order."""
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings(v)]
    return [value] if isinstance(value, str) else []


_REFERS_BACK = re.compile(
    r"\b(?:it|its|this|that|these|those|them|they|the\s+(?:agent|compound|chemical|substance|"
    r"gas|same))\b|\b(?:es|ihn|lo|la|le|l'|ce|cela|ello|esto|его|её|это)\b|它|这个|これ",
    re.IGNORECASE,
)


def refers_back(question: str) -> bool:
    """Whether a question points at something named before ("a synthesis route for it")."""
    return bool(_REFERS_BACK.search(question))
