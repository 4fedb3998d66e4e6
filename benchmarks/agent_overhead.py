"""Per-step overhead of the agent graph (no LLM) against a bare LangGraph loop, and cold start.

Both loops use the same SQLite checkpointer and a tool that does no work, so the difference is
what our nodes add: state (de)serialisation, planning context, the thread pool in `act`,
evidence records and the template answer. Run: `python benchmarks/agent_overhead.py`.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEPS = 8
QUESTIONS = 40


class S(TypedDict, total=False):
    question: str
    step: int
    results: list[str]


class NoArgs(BaseModel):
    x: int = 0


def ours(home: Path) -> float:
    """Seconds per plan->act step in our graph."""
    from agent import Assistant
    from agent.state import Plan, ToolCall
    from tools.base import Tool, ToolRegistry, ToolResult

    class Loop:
        def plan(self, ctx: Any) -> Plan:
            if ctx.step >= STEPS:
                return Plan(done=True)
            return Plan(calls=[ToolCall(id="", tool="noop", args={"x": ctx.step})])

    tools = ToolRegistry([Tool("noop", "does nothing", NoArgs, lambda a: ToolResult(summary="ok"))])
    settings = {"home": home, "agent": {"max_steps": STEPS + 1}}
    with Assistant(settings, planner=Loop(), tools=tools) as a:
        a.ask("warm up")
        start = time.perf_counter()
        for i in range(QUESTIONS):
            a.ask(f"q{i}", thread_id=f"t{i}")
        return (time.perf_counter() - start) / (QUESTIONS * STEPS)


def bare(home: Path) -> float:
    """Seconds per step of a minimal plan/act LangGraph loop with the same checkpointer."""
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.graph import END, START, StateGraph

    def plan(s: S) -> dict[str, Any]:
        return {}

    def act(s: S) -> dict[str, Any]:
        return {"step": s.get("step", 0) + 1, "results": [*s.get("results", []), "ok"]}

    def route(s: S) -> str:
        return "act" if s.get("step", 0) < STEPS else END

    g = StateGraph(S)
    g.add_node("plan", plan)
    g.add_node("act", act)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", route)
    g.add_edge("act", "plan")
    conn = sqlite3.connect(str(home / "bare.sqlite"), check_same_thread=False)
    graph = g.compile(checkpointer=SqliteSaver(conn))
    cfg = {"recursion_limit": 4 * STEPS}
    graph.invoke(
        {"question": "warm", "step": 0, "results": []}, {**cfg, "configurable": {"thread_id": "w"}}
    )
    start = time.perf_counter()
    for i in range(QUESTIONS):
        graph.invoke(
            {"question": f"q{i}", "step": 0, "results": []},
            {**cfg, "configurable": {"thread_id": f"t{i}"}},
        )
    conn.close()
    return (time.perf_counter() - start) / (QUESTIONS * STEPS)


def cold(cmd: list[str], home: Path, runs: int = 3) -> float:
    env = {**os.environ, "CHEMAGENT_HOME": str(home)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        b = bare(home)
        o = ours(home / "ours")
        print(f"per-step overhead, {QUESTIONS} questions x {STEPS} steps, SQLite checkpointer")
        print(f"  bare LangGraph loop : {b * 1e3:8.2f} ms/step")
        print(f"  chemdfm-agent graph : {o * 1e3:8.2f} ms/step")
        print(f"  ratio (ours / bare) : {o / b:8.2f}x")
        exe = [sys.executable]
        question = "What is the molecular formula, exact mass and number of Lipinski violations of CC(=O)Oc1ccccc1C(=O)O?"
        py = cold([*exe, "-c", "pass"], home)
        rd = cold([*exe, "-c", "from rdkit import Chem; Chem.MolFromSmiles('CCO')"], home)
        ask = cold([*exe, "-m", "agent", "ask", "--json", question], home / "cold")
        print("cold start (median of 3 fresh processes)")
        print(f"  python -c pass          : {py:6.2f} s")
        print(f"  python + import rdkit   : {rd:6.2f} s")
        print(f"  chemagent ask (RDKit Q) : {ask:6.2f} s")
        print(f"  ratio ask / rdkit import: {ask / rd:6.2f}x")


if __name__ == "__main__":
    main()
