"""The graph's mechanics driven by a scripted planner and scripted tools."""

from __future__ import annotations

import threading
import time

import pytest
from pydantic import BaseModel

from agent import Assistant
from agent.planners.base import PlanContext
from agent.state import Plan, ToolCall
from tools.base import Tool, ToolError, ToolRegistry, ToolResult


class Args(BaseModel):
    x: int = 0


class ScriptedPlanner:
    """Returns queued plans in order, then done."""

    def __init__(self, *plans: list[ToolCall]) -> None:
        self.plans = list(plans)
        self.seen: list[PlanContext] = []

    def plan(self, ctx: PlanContext) -> Plan:
        self.seen.append(ctx)
        if not self.plans:
            return Plan(done=True)
        return Plan(calls=self.plans.pop(0))


def call(tool: str, x: int = 0) -> ToolCall:
    return ToolCall(id="", tool=tool, args={"x": x}, label=f"m{x}")


def make_tools(barrier: threading.Barrier | None = None) -> ToolRegistry:
    def ok(a: Args) -> ToolResult:
        return ToolResult(summary=f"value {a.x * 2}", data={"value": a.x * 2})

    def wait_for_partner(a: Args) -> ToolResult:
        assert barrier is not None
        try:
            barrier.wait(timeout=5)  # passes only if both calls run at the same time
        except threading.BrokenBarrierError:
            raise ToolError("ran alone: calls were not concurrent") from None
        return ToolResult(summary="met", data={"value": a.x})

    def fails(a: Args) -> ToolResult:
        raise ToolError("the flux capacitor is offline; plug it in")

    def crashes(a: Args) -> ToolResult:
        raise ZeroDivisionError("division by zero")

    def slow(a: Args) -> ToolResult:
        time.sleep(3)
        return ToolResult(summary="late", data={})

    return ToolRegistry(
        Tool(name, "test tool", Args, f)
        for name, f in [
            ("ok", ok),
            ("pair", wait_for_partner),
            ("fails", fails),
            ("crashes", crashes),
            ("slow", slow),
        ]
    )


def test_loop_runs_plan_act_until_done():
    planner = ScriptedPlanner([call("ok", 1)], [call("ok", 2)])
    with Assistant(planner=planner, tools=make_tools()) as a:
        ans = a.ask("anything")
    assert [s.summary for s in ans.steps] == ["value 2", "value 4"]
    # The planner saw the first round's evidence before planning the second.
    assert len(planner.seen) == 3 and len(planner.seen[1].evidence) == 1


def test_independent_calls_run_concurrently():
    planner = ScriptedPlanner([call("pair", 1), call("pair", 2)])
    with Assistant(planner=planner, tools=make_tools(threading.Barrier(2))) as a:
        ans = a.ask("anything")
    assert [s.ok for s in ans.steps] == [True, True], [s.summary for s in ans.steps]


def test_failing_tools_become_observations():
    planner = ScriptedPlanner([call("fails"), call("crashes"), call("ok", 3)])
    with Assistant(planner=planner, tools=make_tools()) as a:
        ans = a.ask("anything")
    assert [s.ok for s in ans.steps] == [False, False, True]
    assert "flux capacitor is offline" in ans.steps[0].summary
    assert "ZeroDivisionError" in ans.steps[1].summary
    assert "Problems:" in ans.text


def test_tool_timeout_becomes_an_observation():
    planner = ScriptedPlanner([call("slow"), call("ok", 1)])
    with Assistant({"agent": {"tool_timeout_s": 0.5}}, planner=planner, tools=make_tools()) as a:
        ans = a.ask("anything")
    slow, ok = ans.steps
    assert not slow.ok and "timed out after 0.5 s" in slow.summary
    assert ok.ok


def test_max_steps_bounds_the_loop():
    planner = ScriptedPlanner(*[[call("ok", i)] for i in range(10)])
    with Assistant({"agent": {"max_steps": 3}}, planner=planner, tools=make_tools()) as a:
        ans = a.ask("anything")
    assert len(ans.steps) == 3
    assert any("agent.max_steps" in w for w in ans.warnings)


def test_time_budget_bounds_the_loop():
    planner = ScriptedPlanner([call("slow")], [call("ok", 1)], [call("ok", 2)])
    with Assistant({"agent": {"time_budget_s": 1.0}}, planner=planner, tools=make_tools()) as a:
        ans = a.ask("anything")
    assert [s.tool for s in ans.steps] == ["slow"]
    assert any("time budget" in w for w in ans.warnings)


def test_unknown_tool_from_planner_is_reported_not_called():
    planner = ScriptedPlanner([call("teleport"), call("ok", 1)])
    with Assistant(planner=planner, tools=make_tools()) as a:
        ans = a.ask("anything")
    assert [s.tool for s in ans.steps] == ["ok"]
    assert any("teleport" in w for w in ans.warnings)


def test_planner_sees_tool_schemas():
    planner = ScriptedPlanner()
    with Assistant(planner=planner) as a:
        a.ask("logP of CCO")
    specs = {t.name: t for t in planner.seen[0].tools}
    assert specs["descriptors"].parameters["properties"]["smiles"]["type"] == "string"
    assert "resolve_name" in specs


@pytest.mark.parametrize("question", ["", "   \n"])
def test_empty_question_is_a_clear_error(assistant, question):
    from agent.question import QuestionError

    with pytest.raises(QuestionError, match="empty question"):
        assistant.ask(question)


def test_missing_image_is_a_clear_error(assistant, tmp_path):
    from agent.question import QuestionError

    with pytest.raises(QuestionError, match="image not found"):
        assistant.ask("what is this?", images=[str(tmp_path / "nope.png")])


def test_image_without_vision_tool_is_said(tmp_path):
    from agent import Assistant
    from agent.deps import default_registry
    from agent.settings import get_settings

    img = tmp_path / "mol.png"
    img.write_bytes(b"\x89PNG\r\n\x1a\n")
    settings = get_settings()
    no_vision = ToolRegistry(
        t for t in default_registry(settings) if t.name != "recognize_structure"
    )
    with Assistant(settings, tools=no_vision) as a:
        ans = a.ask("What is the MW of CCO?", images=[str(img)])
    assert any("not read" in w for w in ans.warnings)
    assert "46.07" in ans.text


def test_invalid_smiles_question_explains(assistant):
    ans = assistant.ask("What is the logP of C1CC(C?")
    assert not ans.steps[0].ok
    assert "invalid SMILES 'C1CC(C'" in ans.text


def test_huge_smiles_question_explains(assistant):
    ans = assistant.ask("molecular weight of " + "C" * 10_000)
    assert "limit is 5,000" in ans.text


def test_no_molecule_question_says_what_to_give(assistant):
    ans = assistant.ask("What is the meaning of life?")
    assert "no molecule" in ans.text and ans.steps == []


def test_follow_up_uses_previous_molecules(assistant):
    first = assistant.ask("What is the logP of aspirin and ibuprofen?")
    second = assistant.ask("and their TPSA?", thread_id=first.thread_id)
    assert {m.name for m in second.molecules} == {"aspirin", "ibuprofen"}
    assert "TPSA: 63.6 Å²" in second.text and "TPSA: 37.3 Å²" in second.text
    assert (
        assistant.history(first.thread_id)[0]["question"]
        == "What is the logP of aspirin and ibuprofen?"
    )


async def _aask(a, q):
    return await a.aask(q)


def test_aask_returns_the_same_answer(assistant):
    import asyncio

    ans = asyncio.run(_aask(assistant, "formula of CCO"))
    assert "C2H6O" in ans.text


def test_stream_yields_steps_then_answer(assistant):
    from agent.answer import Answer

    events = list(assistant.stream("logP of caffeine"))
    assert [e.node for e in events[:-1]][:2] == ["screen", "plan"]
    assert any(getattr(e, "node", "") == "act" and "descriptors" in e.message for e in events)
    assert isinstance(events[-1], Answer) and "logP" in events[-1].text
