"""First node: reset the per-question state and run the safety screen (no LLM involved)."""

from __future__ import annotations

import time
from typing import Any

from agent.deps import Deps
from agent.planners.parse import find_mentions
from agent.state import AgentState


def structures_in(question: str, memory: list[dict[str, Any]], deps: Deps) -> list[str]:
    """SMILES the question refers to: written, named in the local table, or from the last turn."""
    mentions = find_mentions(question, deps.names, deps.settings.chem)
    smiles = [m.smiles for m in mentions if m.smiles]
    for m in mentions:
        if m.kind in ("name", "cas") and (hit := deps.names.lookup(m.text)) is not None:
            smiles.append(hit.smiles)
    if not any(m.is_molecule or m.kind == "invalid_smiles" for m in mentions):
        smiles.extend(str(m["smiles"]) for m in memory)
    return smiles


def screen(state: AgentState, *, deps: Deps) -> dict[str, Any]:
    question = state["question"]
    result = deps.screen.screen(question, structures_in(question, state.get("memory", []), deps))
    return {
        "started_at": time.time(),
        "step": 0,
        "pending": [],
        "evidence": [],
        "subjects": [],
        "warnings": result.warnings,
        "refusal": result.refusal,
        "stop_reason": None,
        "llm_failed": False,
        "answer": None,
    }


def screen_resolved(
    question: str, evidence: list[dict[str, Any]], warnings: list[str], deps: Deps
) -> dict[str, Any]:
    """Screen structures that name resolution just produced (OPSIN or PubChem).

    The first screen only knows names in the local table; a systematic or trade name of a
    scheduled chemical is recognised once it has a structure, before any other tool runs.
    """
    smiles = [
        str(e["data"]["smiles"])
        for e in evidence
        if e["ok"]
        and e["call"]["tool"] in ("resolve_name", "recognize_structure")
        and e["data"].get("smiles")
    ]
    if not smiles:
        return {}
    result = deps.screen.screen(question, smiles)
    new = [w for w in result.warnings if w not in warnings]
    update: dict[str, Any] = {"warnings": [*warnings, *new]} if new else {}
    if result.refusal:
        update["refusal"] = result.refusal
    return update
