"""The LLM planner: the chemistry core proposes the next tool calls as a schema-bound JSON plan.

The plan is requested under a JSON schema built from the registered tools (constrained decoding
on vLLM), validated, repaired once with the validation error, and otherwise replaced by the rule
planner's plan with a warning, so a weak or broken model never stops a question.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.planners.base import PlanContext
from agent.planners.rules import RulePlanner
from agent.planners.schema import Candidates, check_call, plan_schema
from agent.prompts import PLANNER_REPAIR, PLANNER_SYSTEM, planner_user
from agent.state import Evidence, MoleculeRef, Plan, ToolCall
from models.chat import ChatModel, Generation, Message
from models.errors import ModelError

logger = logging.getLogger(__name__)

PLAN_TOKENS = 400
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
    image by a tool this question."""
    cands = Candidates(images=list(ctx.images))
    mentions, _ = rules.analyse(ctx.question)
    for m in mentions:
        if m.kind == "smiles" and m.smiles:
            cands.add_smiles(m.smiles, m.text)
        elif m.kind == "invalid_smiles":
            cands.invalid.append(m.text)
        elif m.kind in ("name", "cas") and m.text not in cands.names:
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
        resolved = {str(e.call.args.get("name", "")).lower() for e in ctx.evidence}
        names = [n for n in cands.names if n.lower() not in resolved]
        results = [_result_line(e) for e in ctx.evidence]
        user = planner_user(ctx.question, molecules, names, results, ctx.step, ctx.images)
        return [
            Message(role="system", content=PLANNER_SYSTEM + tools),
            Message(role="user", content=user),
        ]

    def parse(self, raw: str, offered: dict[str, dict[str, Any]]) -> LLMPlan:
        """Validate a reply; raises `PlanValidationError` saying what is wrong."""
        try:
            # strict=False: a raw control character inside a free-text string (which a JSON
            # grammar may let through) is harmless; the structure is what matters.
            plan = LLMPlan.model_validate(json.loads(raw, strict=False))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "reply"
            raise PlanValidationError(f"{where}: {first['msg']} (reply: {raw[:120]!r})") from None
        except ValueError as exc:
            raise PlanValidationError(f"not JSON: {exc} (reply: {raw[:120]!r})") from None
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
        cands = candidates(ctx, self.fallback)
        must_act = ctx.step == 0 and bool(
            cands.smiles or cands.names or cands.invalid or cands.images
        )
        schema, offered = plan_schema(ctx.tools, cands, must_act)
        messages = self.messages(ctx, cands)
        gen = Generation(max_tokens=PLAN_TOKENS)
        error = ""
        for attempt in range(self.repairs + 1):
            try:
                raw = self.model.complete_json(messages, schema, gen)
            except ModelError as exc:
                return self._fall_back(ctx, f"the language model failed ({exc})")
            try:
                return self._to_plan(self.parse(raw, offered), ctx, cands)
            except PlanValidationError as exc:
                error = str(exc)
                logger.warning("invalid plan (attempt %d): %s", attempt + 1, error)
                messages = [
                    *messages,
                    Message(role="assistant", content=raw),
                    Message(role="user", content=PLANNER_REPAIR.format(error=error)),
                ]
        return self._fall_back(
            ctx, f"the language model's plan was invalid {self.repairs + 1} times ({error})"
        )

    def _fall_back(self, ctx: PlanContext, why: str) -> Plan:
        plan = self.fallback.plan(ctx)
        warning = f"{why}; the rule planner chose the tools instead"
        return plan.model_copy(update={"warnings": [*plan.warnings, warning], "llm_failed": True})

    def _to_plan(self, llm: LLMPlan, ctx: PlanContext, cands: Candidates) -> Plan:
        done = {e.call.key() for e in ctx.evidence}  # made before, or earlier in this plan
        calls: list[ToolCall] = []
        for c in llm.calls if llm.next == "tools" else []:
            smiles = c.args.get("smiles") or c.args.get("query")
            label = cands.smiles.get(smiles) if isinstance(smiles, str) else None
            call = ToolCall(id="", tool=c.tool, args=c.args, label=label or c.args.get("name"))
            if call.key() not in done:
                done.add(call.key())
                calls.append(call)
        subjects = [
            MoleculeRef(smiles=s, name=None if label == s else label)
            for s, label in cands.smiles.items()
        ]
        return Plan(calls=calls, done=not calls, subjects=subjects)
