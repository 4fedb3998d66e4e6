"""Last node: write the reply from the evidence and remember the molecules for follow-ups."""

from __future__ import annotations

import logging
from typing import Any

from agent.answer import (
    Answer,
    Citation,
    Molecule,
    Step,
    check_citations,
    ungrounded_numbers,
)
from agent.deps import Deps
from agent.state import AgentState, Evidence
from agent.templates import with_warnings, write_findings

logger = logging.getLogger(__name__)


def answer(state: AgentState, *, deps: Deps) -> dict[str, Any]:
    question = state["question"]
    evidence = [Evidence.model_validate(e) for e in state.get("evidence", [])]
    warnings = list(state.get("warnings", []))
    if state.get("stop_reason"):
        warnings.append(str(state["stop_reason"]))
    refusal = state.get("refusal")
    if refusal:
        text, citations = refusal, list[Citation]()
    else:
        findings, citations = write_findings(evidence)
        if bad := ungrounded_numbers(findings, evidence):
            # Templates only copy tool values, so this is a bug; say so rather than hide it.
            logger.error("answer has numbers not found in any tool result: %s", bad)
            warnings.append(f"numbers not traced to a tool result: {', '.join(bad)}")
        citations, problems = check_citations(findings, citations, evidence)
        if problems:
            logger.error("answer cites what was not retrieved: %s", problems)
            warnings.extend(f"citation check: {p}" for p in problems)
        text = with_warnings(findings, warnings)
    subjects = state.get("subjects", [])
    result = Answer(
        question=question,
        text=text,
        citations=citations,
        steps=[
            Step(tool=e.call.tool, args=e.call.args, ok=e.ok, seconds=e.seconds, summary=e.summary)
            for e in evidence
        ],
        molecules=[Molecule(smiles=s["smiles"], name=s.get("name")) for s in subjects],
        warnings=warnings,
        refused=bool(refusal),
    )
    update: dict[str, Any] = {
        "answer": result.model_dump(mode="json"),
        "history": [*state.get("history", []), {"question": question, "answer": text}],
    }
    if subjects:
        update["memory"] = subjects
    return update
