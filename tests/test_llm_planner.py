"""The LLM planner's schema, validation, repair and fallback, driven by a scripted chat model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agent.planners.base import PlanContext, ToolSpec
from agent.planners.llm import LLMPlanner, candidates
from agent.planners.rules import RulePlanner
from agent.planners.schema import Candidates, plan_schema, tool_choice
from agent.state import Evidence, ToolCall
from models.chat import Generation, Message, ThreadedAsync
from models.errors import BackendUnavailable


class Scripted(ThreadedAsync):
    """A chat model that replies from a list and records what it was asked."""

    name = "scripted"

    def __init__(self, replies: list[str | Exception]) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[list[Message], dict[str, Any] | None]] = []

    def _next(self, messages: list[Message], schema: dict[str, Any] | None) -> str:
        self.calls.append((messages, schema))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    def complete(self, messages: list[Message], gen: Generation | None = None) -> str:
        return self._next(messages, None)

    def complete_json(self, messages, schema, gen=None) -> str:
        return self._next(messages, schema)

    def stream(self, messages: list[Message], gen: Generation | None = None) -> Iterator[str]:
        yield self._next(messages, None)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def specs() -> list[ToolSpec]:
    from agent.deps import Deps
    from agent.settings import get_settings

    deps = Deps.from_settings(get_settings())
    try:
        return deps.tool_specs
    finally:
        deps.close()


def plan_json(*calls: tuple[str, dict[str, Any]], nxt: str = "tools") -> str:
    return json.dumps({"next": nxt, "calls": [{"tool": t, "args": a} for t, a in calls]})


def test_molecule_arguments_are_enums_of_known_molecules(specs):
    cands = Candidates(smiles={"CCO": "ethanol"}, names=["aspirin"])
    schema, offered = plan_schema(specs, cands, must_act=True)
    mw = offered["molecular_weight"]["properties"]["args"]["properties"]["smiles"]
    assert mw["enum"] == ["CCO"]
    assert offered["resolve_name"]["properties"]["args"]["properties"]["name"]["enum"] == [
        "aspirin"
    ]
    sim = offered["similarity"]["properties"]["args"]["properties"]["targets"]
    assert sim["items"]["enum"] == ["CCO"]
    # free text stays free but bounded, so constrained decoding always ends
    lit = offered["search_literature"]["properties"]["args"]["properties"]["query"]
    assert "enum" not in lit and lit["maxLength"] <= 2000
    assert schema["properties"]["next"] == {"const": "tools"}
    assert schema["properties"]["calls"]["minItems"] == 1


def test_tools_needing_a_molecule_are_not_offered_without_one(specs):
    schema, offered = plan_schema(specs, Candidates(), must_act=False)
    assert "molecular_weight" not in offered and "resolve_name" not in offered
    assert "search_literature" in offered
    spec = next(s for s in specs if s.name == "molecular_weight")
    assert tool_choice(spec, Candidates()) is None


def test_schema_allows_exactly_the_two_plan_shapes(specs):
    schema, _ = plan_schema(specs, Candidates(smiles={"CCO": "CCO"}), must_act=False)
    act, answer = schema["anyOf"]
    # "tools" needs at least one call; "answer" carries none, so nothing is dropped silently
    assert act["properties"]["next"] == {"const": "tools"}
    assert act["properties"]["calls"]["minItems"] == 1
    assert answer["properties"]["next"] == {"const": "answer"}
    assert answer["properties"]["calls"]["maxItems"] == 0


def test_candidates_come_from_question_memory_and_resolved_names():
    from agent.state import MoleculeRef

    ev = Evidence(
        id="c1",
        call=ToolCall(id="c1", tool="resolve_name", args={"name": "aspirin"}),
        ok=True,
        summary="aspirin -> CC(=O)Oc1ccccc1C(=O)O",
        data={"smiles": "CC(=O)Oc1ccccc1C(=O)O"},
    )
    ctx = PlanContext(
        question="Compare OCC with aspirin, caffeine and C1CC",
        evidence=[ev],
        memory=[MoleculeRef(smiles="c1ccccc1", name="benzene")],
    )
    cands = candidates(ctx, RulePlanner())
    assert cands.smiles["CCO"] == "OCC"  # canonical SMILES, the user's spelling as label
    assert cands.smiles["CC(=O)Oc1ccccc1C(=O)O"] == "aspirin"
    assert cands.smiles["c1ccccc1"] == "benzene"
    assert cands.invalid == ["C1CC"]
    # a name resolved already leaves the schema: resolve_name is offered only for caffeine
    assert cands.names == ["caffeine"]


GAP = "Tell me about OCC."  # no quantity the rules recognise: the model is asked


def test_a_question_the_rules_understand_never_reaches_the_model(specs):
    model = Scripted([])  # any request would fail: no reply scripted
    plan = LLMPlanner(model, RulePlanner()).plan(
        PlanContext(question="What is the molecular weight of OCC?", tools=specs)
    )
    assert model.calls == []
    assert [(c.tool, c.args) for c in plan.calls] == [("molecular_weight", {"smiles": "CCO"})]
    assert plan.usage == {"plans_by_rules": 1}


def test_valid_plan_becomes_labelled_calls(specs):
    model = Scripted([plan_json(("molecular_weight", {"smiles": "CCO"}))])
    planner = LLMPlanner(model, RulePlanner())
    plan = planner.plan(PlanContext(question=GAP, tools=specs))
    first = plan.calls[0]
    assert (first.tool, first.args, first.label) == ("molecular_weight", {"smiles": "CCO"}, "OCC")
    assert not plan.warnings and not plan.llm_failed
    assert model.calls[0][1]["properties"]["next"] == {"const": "tools"}
    assert "OCC: CCO" in model.calls[0][0][1].content  # the molecules are listed for the model
    assert plan.usage["model_calls"] == 1 and plan.usage["plans_by_model"] == 1
    # the rules' overview of OCC is added: the hybrid gathers at least what the rules would
    assert plan.usage["calls_added"] == len(plan.calls) - 1 > 0


def test_invalid_plan_is_repaired_once_with_the_error(specs):
    model = Scripted(
        [
            plan_json(("molecular_weight", {"smiles": "CCCCCC"})),  # not a known molecule
            plan_json(("descriptors", {"smiles": "CCO", "names": ["logp"]})),
        ]
    )
    plan = LLMPlanner(model, RulePlanner()).plan(PlanContext(question=GAP, tools=specs))
    assert plan.calls[0].tool == "descriptors"
    repair = model.calls[1][0]
    assert repair[-2].role == "assistant" and "CCCCCC" in repair[-2].content
    assert "smiles must be one of CCO" in repair[-1].content
    assert plan.usage["plan_repairs"] == 1


def test_twice_invalid_plan_falls_back_to_rules_with_a_warning(specs):
    model = Scripted(["not json at all", '{"next": "tools", "calls": []}'])
    plan = LLMPlanner(model, RulePlanner()).plan(PlanContext(question=GAP, tools=specs))
    assert plan.calls and plan.llm_failed  # the rule planner's overview of OCC
    assert any("not usable" in w and "rule planner" in w for w in plan.warnings)
    assert plan.usage["plan_fallbacks"] == 1 and plan.usage["model_calls"] == 2


def test_unreachable_model_falls_back_and_later_steps_skip_it(specs):
    model = Scripted([BackendUnavailable("cannot reach the model server at http://x/v1")])
    planner = LLMPlanner(model, RulePlanner())
    plan = planner.plan(PlanContext(question=GAP, tools=specs))
    assert plan.llm_failed and "cannot reach" in plan.warnings[-1]
    again = planner.plan(PlanContext(question=GAP, tools=specs, llm_failed=True))
    assert len(model.calls) == 1 and again.calls  # not asked again within the question


def test_a_plan_of_repeats_is_sent_back_then_replaced(specs):
    done = Evidence(
        id="c1",
        call=ToolCall(id="c1", tool="molecular_weight", args={"smiles": "CCO"}),
        ok=True,
        summary="MW 46.07 g/mol",
    )
    repeat = plan_json(("molecular_weight", {"smiles": "CCO"}))
    model = Scripted([repeat, repeat])
    ctx = PlanContext(question=GAP, tools=specs, step=1, evidence=[done])
    plan = LLMPlanner(model, RulePlanner()).plan(ctx)
    assert "[c1] molecular_weight" in model.calls[0][0][1].content
    assert "made already" in model.calls[1][0][-1].content  # the repair names the problem
    assert plan.llm_failed and any("made already" in w for w in plan.warnings)
    # the rules' overview of OCC, minus the call already made
    assert plan.calls and all(c.tool != "molecular_weight" for c in plan.calls)


def test_answer_ends_the_plan_when_nothing_the_analysis_needs_is_missing(specs):
    ctx = PlanContext(question="How greasy is OCC?", tools=specs)
    made = [
        Evidence(id=f"c{i}", call=c.model_copy(update={"id": f"c{i}"}), ok=True, summary="x")
        for i, c in enumerate(RulePlanner().plan(ctx).calls, 1)
    ]
    model = Scripted([plan_json(nxt="answer"), plan_json(nxt="answer")])
    planner = LLMPlanner(model, RulePlanner())
    assert planner.plan(ctx.model_copy(update={"step": 1, "evidence": made})).done
    # with a result missing, "answer" does not end the question: the missing call is added
    plan = planner.plan(ctx.model_copy(update={"step": 1, "evidence": made[1:]}))
    assert [c.key() for c in plan.calls] == [made[0].call.key()]


def test_calls_the_analysis_knows_are_needed_are_added(specs):
    # the first clause is a gap, the second asks for a molecular weight the model forgot
    model = Scripted([plan_json(("descriptors", {"smiles": "CCO", "names": ["logp"]}))])
    plan = LLMPlanner(model, RulePlanner()).plan(
        PlanContext(question="How greasy is OCC, and what is its molecular weight?", tools=specs)
    )
    assert plan.calls[0].tool == "descriptors"
    assert "molecular_weight" in {c.tool for c in plan.calls[1:]}
    assert plan.usage["calls_added"] == len(plan.calls) - 1


def test_calls_answering_nothing_asked_are_dropped(specs):
    # OCC is only in the understood clause (its weight); benzene is in the gap
    model = Scripted(
        [
            plan_json(
                ("molecular_weight", {"smiles": "CCO"}),
                ("drug_likeness", {"smiles": "CCO"}),
                ("molecular_formula", {"smiles": "c1ccccc1"}),
            )
        ]
    )
    plan = LLMPlanner(model, RulePlanner()).plan(
        PlanContext(
            question="What is the molecular weight of OCC? Tell me about c1ccccc1.", tools=specs
        )
    )
    tools = [(c.tool, c.args["smiles"]) for c in plan.calls]
    assert ("drug_likeness", "CCO") not in tools
    assert ("molecular_weight", "CCO") in tools and ("molecular_formula", "c1ccccc1") in tools
    assert plan.usage["calls_dropped"] == 1


def test_model_call_budget_spent_means_rules(specs):
    model = Scripted([])
    plan = LLMPlanner(model, RulePlanner()).plan(
        PlanContext(question=GAP, tools=specs, model_calls_left=0)
    )
    assert model.calls == [] and plan.calls
    assert any("model-call budget" in w for w in plan.warnings)


def test_assistant_uses_llm_planner_and_writer_with_a_scripted_model():
    from agent import Assistant

    model = Scripted(
        [json.dumps({"statements": [{"text": "Ethanol (CCO) weighs 46.07 g/mol.", "cites": [1]}]})]
    )
    # agent.writer = llm: the model writes even an answer the rules planned whole
    with Assistant({"agent": {"writer": "llm"}}, llm=model) as a:
        ans = a.ask("What is the molecular weight of CCO?")
    assert ans.text.startswith("Ethanol (CCO) weighs 46.07 g/mol. [1]")
    assert [c.tool for c in ans.citations] == ["molecular_weight"]
    assert not ans.warnings and not ans.notes


def test_image_arguments_are_the_question_images(specs, tmp_path):
    img = str(tmp_path / "a.png")
    schema, offered = plan_schema(specs, Candidates(images=[img]), must_act=True)
    assert offered["recognize_structure"]["properties"]["args"]["properties"]["image"]["enum"] == [
        img
    ]
    _, without = plan_schema(specs, Candidates(smiles={"CCO": "CCO"}), must_act=True)
    assert "recognize_structure" not in without  # no image, no file name to invent
