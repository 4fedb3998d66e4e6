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
from agent.nodes.budget import question_deadline
from agent.nodes.plan import model_calls_left
from agent.state import AgentState, Evidence, add_usage, tool_model_calls
from agent.templates import with_warnings, write_findings
from agent.writer import WriterRejected
from models.errors import ModelError

logger = logging.getLogger(__name__)


def out_of_time(evidence: list[Evidence]) -> str | None:
    """The warning that says which parts of the answer ran out of time, if any did."""
    late = [
        f"{e.call.tool}" + (f" ({e.call.label})" if e.call.label else "")
        for e in evidence
        if e.timed_out
    ]
    if not late:
        return None
    return (
        f"ran out of time: {', '.join(late)}; the answer lacks their results (raise "
        "agent.time_budget_s or agent.tool_timeout_s, or ask again)"
    )


def writes(state: AgentState, deps: Deps) -> bool:
    """Whether the LLM writes this answer: always with agent.writer = "llm"; with "auto" only
    where the model helped plan (a question the rules understood whole is answered from
    templates without waiting for the model)."""
    if deps.writer is None or not any(e.get("ok") for e in state.get("evidence", [])):
        return False
    if deps.settings.agent.writer == "llm":
        return True
    return bool((state.get("usage") or {}).get("plans_by_model"))


def answer(state: AgentState, *, deps: Deps) -> dict[str, Any]:
    with question_deadline(state, deps):
        return _answer(state, deps)


def _answer(state: AgentState, deps: Deps) -> dict[str, Any]:
    question = state["question"]
    evidence = [Evidence.model_validate(e) for e in state.get("evidence", [])]
    warnings = list(state.get("warnings", []))
    if state.get("stop_reason"):
        warnings.append(str(state["stop_reason"]))
    if late := out_of_time(evidence):
        warnings.append(late)
    refusal = state.get("refusal")
    usage = dict(state.get("usage") or {})
    if refusal:
        text, citations = refusal, list[Citation]()
    else:
        findings, citations = "", list[Citation]()
        if writes(state, deps) and deps.writer is not None:
            try:
                written = deps.writer.write(question, evidence, model_calls_left(state, deps))
                findings, citations = written.text, written.citations
                usage = add_usage(usage, written.usage)
            except (WriterRejected, ModelError) as exc:
                spent = {"model_calls": 1, "writer_rejected": 1}  # a request that failed
                usage = add_usage(usage, exc.usage if isinstance(exc, WriterRejected) else spent)
                warnings.append(
                    f"the language model's answer was not used ({exc}); "
                    "the answer below is written from templates"
                )
        templated = not findings
        if templated:
            findings, citations = write_findings(evidence, state.get("comparisons", []))
        if missing := state.get("unavailable"):
            findings = "\n".join(f"Not available: {m}" for m in missing) + (
                "\n" + findings if findings else ""
            )
        # An LLM answer was checked statement by statement; templates only copy tool values,
        # so a loose number there is a bug: say so rather than hide it.
        if templated and (bad := ungrounded_numbers(findings, evidence)):
            logger.error("answer has numbers not found in any tool result: %s", bad)
            warnings.append(f"numbers not traced to a tool result: {', '.join(bad)}")
        citations, problems = check_citations(findings, citations, evidence)
        if problems:
            logger.error("answer cites what was not retrieved: %s", problems)
            warnings.extend(f"citation check: {p}" for p in problems)
        text = with_warnings(findings, warnings)
        # Whatever wrote it (model, template, a quoted passage), an answer that gives
        # preparation steps for a Schedule 1 agent is withheld.
        flagged = bool(state.get("agents"))
        quotes = [c.passage.quote for c in citations if c.passage is not None]
        withheld = next(
            (w for t in [text, *quotes] if (w := deps.screen.screen_output(t, flagged))), None
        )
        if withheld is not None:
            logger.warning("answer withheld by the safety screen")
            text, citations, refusal = withheld, [], withheld
    subjects = state.get("subjects", [])
    if from_tools := tool_model_calls(state.get("evidence", [])):
        usage = add_usage(usage, {"model_calls": from_tools})  # the model tools' samples
    result = Answer(
        question=question,
        text=text,
        citations=citations,
        steps=[
            Step(
                tool=e.call.tool,
                args=e.call.args,
                ok=e.ok,
                seconds=e.seconds,
                summary=e.summary if not refusal else "(withheld by the safety screen)",
            )
            for e in evidence
        ],
        molecules=[Molecule(smiles=s["smiles"], name=s.get("name")) for s in subjects],
        warnings=warnings,
        refused=bool(refusal),
        usage=usage,
        notes=[deps.engine_note] if deps.engine_note and not state.get("history") else [],
    )
    update: dict[str, Any] = {
        "answer": result.model_dump(mode="json"),
        "history": [*state.get("history", []), {"question": question, "answer": text}],
    }
    if subjects:
        update["memory"] = subjects
        # the molecules of each recent turn, for "the second one" after a turn about the first
        update["turns"] = [*state.get("turns", []), subjects][-6:]
    return update
