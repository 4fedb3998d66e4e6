"""The hybrid planner: the question analysis first, the chemistry LLM only for what it misses.

Where the rules understand the whole question (`RulePlanner.gaps` is empty) their plan runs and
the model is not asked at all: it cannot improve a plan that is already complete, and asking it
costs seconds. Otherwise the model proposes the next calls under a JSON schema built from the
registered tools and the molecules in play (constrained decoding on vLLM), and its plan is
checked against the analysis: a plan that only repeats calls already made is sent back once
with the problem named, every call the analysis knows the question needs is added, and a call
on a molecule the analysis understood fully, with a tool it did not ask for, is dropped. A
model that fails or stays invalid is replaced by the rule plan with a warning. So the hybrid
plan is never worse than the rules, whatever the model.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.planners.base import PlanContext
from agent.planners.rules import NO_MOLECULE, NOT_UNDERSTOOD, RulePlanner
from agent.planners.schema import Candidates, check_call, plan_schema
from agent.prompts import PLANNER_REPAIR, PLANNER_SYSTEM, planner_user
from agent.state import Evidence, Plan, ToolCall
from models.chat import ChatModel, Generation, Message, parse_reply
from models.errors import ModelError

logger = logging.getLogger(__name__)

PLAN_TOKENS = 400
# Calls that only prepare others (a structure for a name, a check of a SMILES): never "asked
# for nothing".
PREREQUISITES = frozenset({"resolve_name", "validate_smiles", "recognize_structure"})
RESULT_CHARS = 300


class PlanValidationError(ValueError):
    """The model's reply is not a usable plan."""


class _Call(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class LLMPlan(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="forbid")
    next: Literal["tools", "answer"]
    calls: list[_Call] = Field(default_factory=list)


def candidates(ctx: PlanContext, rules: RulePlanner) -> Candidates:
    """Molecules in play: written in the question, from the last turn, resolved or read from an
    image by a tool this question. A name already resolved is no longer offered to
    `resolve_name` (a weak model otherwise resolves it again and again)."""
    cands = Candidates(images=list(ctx.images))
    mentions, _ = rules.analyse(ctx.question)
    resolved = {
        str(e.call.args.get("name", "")).lower()
        for e in ctx.evidence
        if e.call.tool == "resolve_name"
    }
    for m in mentions:
        if m.kind == "smiles" and m.smiles:
            cands.add_smiles(m.smiles, m.text)
        elif m.kind == "invalid_smiles":
            cands.invalid.append(m.text)
        elif (
            m.kind in ("name", "cas")
            and m.text not in cands.names
            and m.text.lower() not in resolved
        ):
            cands.names.append(m.text)
    for ref in ctx.memory:
        cands.add_smiles(ref.smiles, ref.name)
    for e in ctx.evidence:
        if not e.ok:
            continue
        if e.call.tool == "resolve_name" and e.data.get("smiles"):
            cands.add_smiles(str(e.data["smiles"]), str(e.call.args.get("name")))
        elif e.call.tool == "recognize_structure":
            for i, s in enumerate([*e.data.get("structures", []), e.data.get("vlm_smiles")]):
                if s:
                    cands.add_smiles(str(s), f"structure {i + 1} in the image")
    return cands


def _result_line(e: Evidence) -> str:
    args = json.dumps(e.call.args, ensure_ascii=False)
    text = e.summary if e.ok else f"failed: {e.error or e.summary}"
    return f"[{e.id}] {e.call.tool}({args}) -> {text[:RESULT_CHARS]}"


ASK_MODEL = "ask_chemistry_model"


def _ask_model_for_unavailable(plan: Plan, ctx: PlanContext) -> Plan:
    """What no tool computes (a pKa, a melting point) is asked of the model once, as a tool:
    its answer is shown beside the "not available" line, marked as not verified."""
    offered = any(t.name == ASK_MODEL for t in ctx.tools)
    asked = any(e.call.tool == ASK_MODEL for e in ctx.evidence)
    if not plan.unavailable or not offered or asked:
        return plan
    call = ToolCall(id="", tool=ASK_MODEL, args={"question": ctx.question[:1000]})
    return plan.model_copy(update={"calls": [*plan.calls, call], "done": False})


class LLMPlanner:
    """Plans with a `ChatModel`; the rule planner is the fallback.

    Args:
        model: the chemistry LLM.
        fallback: used when the model is unreachable or its plan stays invalid after repairs.
        repairs: how many times an invalid plan is sent back with the error.
    """

    def __init__(self, model: ChatModel, fallback: RulePlanner, repairs: int = 1) -> None:
        self.model = model
        self.fallback = fallback
        self.repairs = repairs

    def messages(self, ctx: PlanContext, cands: Candidates) -> list[Message]:
        tools = "\n".join(f"- {t.name}: {t.description}" for t in ctx.tools)
        molecules = [
            f"{label}: {smi}" if label != smi else smi for smi, label in cands.smiles.items()
        ]
        results = [_result_line(e) for e in ctx.evidence]
        user = planner_user(ctx.question, molecules, cands.names, results, ctx.step, ctx.images)
        return [
            Message(role="system", content=PLANNER_SYSTEM + tools),
            Message(role="user", content=user),
        ]

    def parse(self, raw: str, offered: dict[str, dict[str, Any]]) -> LLMPlan:
        """Validate a reply; raises `PlanValidationError` saying what is wrong."""
        try:
            plan = parse_reply(LLMPlan, raw)
        except ValueError as exc:
            raise PlanValidationError(str(exc)) from None
        if plan.next == "tools":
            if not plan.calls:
                raise PlanValidationError('"next" is "tools" but "calls" is empty')
            for c in plan.calls:
                if (problem := check_call(c.tool, c.args, offered)) is not None:
                    raise PlanValidationError(problem)
        return plan

    def plan(self, ctx: PlanContext) -> Plan:
        if ctx.llm_failed:
            return self.fallback.plan(ctx)
        gaps = self.fallback.gaps(ctx)
        if not gaps:
            plan = self.fallback.plan(ctx)
            return _ask_model_for_unavailable(plan, ctx).model_copy(
                update={"usage": {"plans_by_rules": 1}}
            )
        if ctx.model_calls_left <= 0:
            return self._fall_back(ctx, "the question's model-call budget is spent", {})
        cands = candidates(ctx, self.fallback)
        must_act = ctx.step == 0 and bool(
            cands.smiles or cands.names or cands.invalid or cands.images
        )
        schema, offered = plan_schema(ctx.tools, cands, must_act)
        messages = self.messages(ctx, cands)
        gen = Generation(max_tokens=PLAN_TOKENS)
        usage = {"model_calls": 0, "plan_repairs": 0}
        error = ""
        for attempt in range(min(self.repairs + 1, ctx.model_calls_left)):
            usage["model_calls"] += 1
            try:
                raw = self.model.complete_json(messages, schema, gen)
            except ModelError as exc:
                return self._fall_back(ctx, f"the language model failed ({exc})", usage)
            try:
                plan = self._to_plan(self.parse(raw, offered), ctx, cands)
                return self._checked(plan, ctx, usage)
            except PlanValidationError as exc:
                error = str(exc)
                logger.warning("invalid plan (attempt %d): %s", attempt + 1, error)
                usage["plan_repairs"] += 1
                messages = [
                    *messages,
                    Message(role="assistant", content=raw),
                    Message(role="user", content=PLANNER_REPAIR.format(error=error)),
                ]
        usage["plan_repairs"] -= 1  # the last failure was not repaired
        return self._fall_back(ctx, f"the language model's plan was not usable ({error})", usage)

    def _fall_back(self, ctx: PlanContext, why: str, usage: dict[str, int]) -> Plan:
        plan = self.fallback.plan(ctx)
        warning = f"{why}; the rule planner chose the tools instead"
        return plan.model_copy(
            update={
                "warnings": [*plan.warnings, warning],
                "llm_failed": True,
                "usage": {**usage, "plan_fallbacks": 1},
            }
        )

    def _to_plan(self, llm: LLMPlan, ctx: PlanContext, cands: Candidates) -> Plan:
        done = {e.call.key() for e in ctx.evidence}  # made before, or earlier in this plan
        calls: list[ToolCall] = []
        repeats = 0
        for c in llm.calls if llm.next == "tools" else []:
            smiles = c.args.get("smiles") or c.args.get("query")
            label = cands.smiles.get(smiles) if isinstance(smiles, str) else None
            call = ToolCall(id="", tool=c.tool, args=c.args, label=label or c.args.get("name"))
            if call.key() in done:
                repeats += 1
                continue
            done.add(call.key())
            calls.append(call)
        if llm.next == "tools" and not calls:
            raise PlanValidationError(
                f"all {repeats} proposed calls were made already (their results are listed); "
                'propose calls not made yet, or reply {"next": "answer", "calls": []}'
            )
        return Plan(calls=calls, done=not calls)

    def _checked(self, plan: Plan, ctx: PlanContext, usage: dict[str, int]) -> Plan:
        """The model's calls held to the question analysis (see the module docstring)."""
        reference = self.fallback.plan(ctx, everything=True)
        wanted = {c.key() for c in reference.calls}
        clauses = self.fallback.clauses(ctx)
        gaps = set(self.fallback.gaps(ctx))
        in_gaps = {m.text.lower() for c in clauses if c.text.strip() in gaps for m in c.mentions}
        understood = {m.text.lower() for c in clauses for m in c.mentions} - in_gaps
        kept: list[ToolCall] = []
        for c in plan.calls:
            label = (c.label or "").lower()
            if c.key() in wanted or c.tool in PREREQUISITES or label not in understood:
                kept.append(c)
        # Every call of the rule plan is added (its overview of a molecule named without a
        # recognised request included), so the hybrid plan gathers at least what the rules
        # would; names are resolved in a round of their own, as the rules do.
        ready = self.fallback.plan(ctx)
        if kept:  # the model read what the rules did not: no "not understood" beside its plan
            understood_now = [u for u in ready.unavailable if not u.startswith(NOT_UNDERSTOOD)]
            ready = ready.model_copy(update={"unavailable": understood_now})
        ready = _ask_model_for_unavailable(ready, ctx)
        have = {c.key() for c in kept}
        added = [c for c in ready.calls if c.key() not in have]
        calls = kept + added
        return ready.model_copy(
            update={
                "calls": calls,
                "done": not calls,
                "warnings": [w for w in ready.warnings if not calls or w != NO_MOLECULE],
                "usage": {
                    **usage,
                    "plans_by_model": 1,
                    "calls_added": len(added),
                    "calls_dropped": len(plan.calls) - len(kept),
                },
            }
        )
