"""The agent graph: screen -> plan -> act -> plan ... -> answer. This file only wires."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph

from agent.deps import Deps
from agent.nodes.act import act
from agent.nodes.answer import answer
from agent.nodes.plan import plan
from agent.nodes.screen import screen
from agent.state import AgentState


def after_screen(state: AgentState) -> Literal["plan", "answer"]:
    return "answer" if state.get("refusal") else "plan"


def after_act(state: AgentState) -> Literal["plan", "answer"]:
    return "answer" if state.get("refusal") else "plan"


def after_plan(state: AgentState) -> Literal["act", "answer"]:
    return "act" if state.get("pending") else "answer"


def build_graph(deps: Deps, checkpointer: Any = None) -> Any:
    """Compile the graph over `deps`; pass a LangGraph checkpointer to keep threads."""
    g = StateGraph(AgentState)
    g.add_node("screen", partial(screen, deps=deps))
    g.add_node("plan", partial(plan, deps=deps))
    g.add_node("act", partial(act, deps=deps))
    g.add_node("answer", partial(answer, deps=deps))
    g.add_edge(START, "screen")
    g.add_conditional_edges("screen", after_screen)
    g.add_conditional_edges("plan", after_plan)
    g.add_conditional_edges("act", after_act)
    g.add_edge("answer", END)
    return g.compile(checkpointer=checkpointer)
