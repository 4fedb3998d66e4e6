"""First node: reset the per-question state and run the safety screen (no LLM involved)."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from agent.deps import Deps
from agent.planners.parse import Mention, find_mentions
from agent.safety import asks_to_make
from agent.state import AgentState
from models.deadline import deadline_at
from tools.base import ToolError

logger = logging.getLogger(__name__)

# The Schedule 1 chemicals a thread has named are kept for the rest of it (the thread stays
# under the allowlist: agent/safety/allow.py); this many distinct ones are listed.
AGENT_MEMORY = 16
# Earlier questions read for descriptions spread over turns ("castor beans" ... "that protein").
THREAD_TURNS = 8


def structures_in(mentions: list[Mention], memory: list[dict[str, Any]], deps: Deps) -> list[str]:
    """SMILES the question refers to: written, named in the local table, or from the last turn."""
    smiles = [m.smiles for m in mentions if m.smiles]
    for m in mentions:
        if m.kind in ("name", "cas") and (hit := deps.names.lookup(m.text)) is not None:
            smiles.append(hit.smiles)
    if not any(m.is_molecule or m.kind == "invalid_smiles" for m in mentions):
        smiles.extend(str(m["smiles"]) for m in memory)
    return smiles


_MAKE_WHAT = re.compile(
    r"(?:synthe\w*|prepar\w*|manufactur\w*|produc\w*|make|making|route|recipe|procedure|"
    r"process)\s+(?:(?:of|for|to)\s+)?(?:the\s+|an?\s+)?(?P<rest>[^?;!\n]{3,200})",
    re.IGNORECASE,
)
_NAME_END = re.compile(r"\s+(?:from|using|with|in|at|on|via|by|starting|and|or)\s+", re.IGNORECASE)


def named_targets(question: str) -> list[str]:
    """Candidate systematic names after a production word ("Synthesis of O-isopropyl ..."),
    longest first, for OPSIN to try: a name nobody listed is still screened by its structure."""
    out: list[str] = []
    for m in _MAKE_WHAT.finditer(question):
        rest = _NAME_END.split(m.group("rest").split(", ")[0])[0].strip(" .,:")
        words = rest.split()[:12]
        out.extend(" ".join(words[:n]).rstrip(".,:") for n in range(len(words), 0, -1))
    return [c for c in dict.fromkeys(out) if len(c) >= 6 and any(ch.isalpha() for ch in c)]


def opsin_structures(question: str, deps: Deps) -> list[str]:
    """Structures OPSIN reads from the names a production request names (offline only)."""
    opsin = deps.resolver.opsin if deps.resolver is not None else None
    names = named_targets(question)
    if opsin is None or not names:
        return []
    try:
        return [r.smiles for r in opsin.parse(names) if r.smiles]
    except ToolError as exc:  # OPSIN missing: the structure screen after resolution still runs
        logger.warning("safety screen could not run OPSIN: %s", exc)
        return []


def screen(state: AgentState, *, deps: Deps) -> dict[str, Any]:
    """The question against the whole thread: once a Schedule 1 chemical has been named in it
    (now or in any earlier turn), only questions understood to be harmless go on."""
    question = state["question"]
    memory = state.get("memory", [])
    mentions = find_mentions(question, deps.names, deps.settings.chem)
    smiles = structures_in(mentions, memory, deps)
    earlier = list(state.get("agents", []))
    thread = [h["question"] for h in state.get("history", [])][-THREAD_TURNS:]
    named = [m.text for m in mentions if m.kind in ("name", "cas", "smiles")]
    result = deps.screen.screen(question, smiles, earlier, thread, named)
    if result.refusal is None and not result.agents and asks_to_make(question):
        with deadline_at(time.time() + deps.settings.agent.time_budget_s):
            extra = opsin_structures(question, deps)
        if extra:
            result = deps.screen.screen(question, [*smiles, *extra], earlier, thread, named)
    return {
        "started_at": time.time(),
        "step": 0,
        "pending": [],
        "evidence": [],
        "subjects": [],
        "warnings": result.warnings,
        "unavailable": [],
        "comparisons": [],
        "refusal": result.refusal,
        "stop_reason": None,
        "llm_failed": False,
        "usage": {},
        "answer": None,
        "agents": list(dict.fromkeys([*result.agents, *earlier]))[:AGENT_MEMORY],
    }


# Tools that compute or propose structures the user did not give: what they make is screened
# like a product (computing a Schedule 1 agent's structure for someone is synthesis help).
PRODUCING = {
    "named_reaction": ("products",),
    "apply_reaction": ("products",),
    "predict_reaction": ("product",),
    "retrosynthesis": ("reactants",),
    "design_molecule": ("smiles",),
}


def made_by(tool: str, data: dict[str, Any]) -> list[str]:
    """The structures a producing tool made (its PRODUCING fields), one SMILES per molecule
    (a product written "A.B" is two); none for a tool that makes nothing."""
    out: list[str] = []
    for key in PRODUCING.get(tool, ()):
        value = data.get(key)
        items = value if isinstance(value, list) else [value] if value else []
        for item in items:
            smiles = item.get("smiles", "") if isinstance(item, dict) else item
            out.extend(p for p in str(smiles).split(".") if p)
    return out


def screen_resolved(
    question: str,
    evidence: list[dict[str, Any]],
    warnings: list[str],
    deps: Deps,
    state: AgentState | None = None,
) -> dict[str, Any]:
    """Screen structures that name resolution just produced (OPSIN or PubChem), and what the
    producing tools made.

    The first screen only knows names in the local table; a systematic or trade name of a
    scheduled chemical is recognised once it has a structure, before any other tool runs, and
    the thread is put under the allowlist from then on.
    """
    state = state or {}
    products = [p for e in evidence if e["ok"] for p in made_by(e["call"]["tool"], e["data"])]
    if products and (refusal := deps.screen.products(products)):
        return {"refusal": refusal}
    smiles = [
        str(e["data"]["smiles"])
        for e in evidence
        if e["ok"]
        and e["call"]["tool"] in ("resolve_name", "recognize_structure")
        and e["data"].get("smiles")
    ]
    if not smiles:
        return {}
    earlier = list(state.get("agents", []))
    thread = [h["question"] for h in state.get("history", [])][-THREAD_TURNS:]
    # Names resolved to a structure of their own are not typos of a listed name; their
    # structures (above) are what is screened.
    resolved = [
        str(e["call"]["args"]["name"])
        for e in evidence
        if e["ok"] and e["call"]["tool"] == "resolve_name" and e["call"]["args"].get("name")
    ]
    result = deps.screen.screen(question, smiles, earlier, thread, resolved)
    new = [w for w in result.warnings if w not in warnings]
    update: dict[str, Any] = {"warnings": [*warnings, *new]} if new else {}
    if result.agents:
        update["agents"] = list(dict.fromkeys([*result.agents, *earlier]))[:AGENT_MEMORY]
    if result.refusal:
        update["refusal"] = result.refusal
    return update
