"""Evidence recall@1/5/10 of dense, lexical and hybrid search on ChemRxivQuest dev questions.

    python benchmarks/retrieval_recall.py [--data ../shared/data/literature/chemrxivquest]
        [--index DIR] [--limit N]

Indexes the 153 full texts once into --index (reused on later runs; ~8 min on 2 cores), then
searches every question in the three modes. Lexical-only search is the baseline the hybrid
ratio is given against.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.retrieval import first_hit_rank, load_questions, recall_at  # noqa: E402
from tools.literature.index import MODES, LiteratureIndex  # noqa: E402
from tools.literature.settings import LiteratureSettings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared/data/literature/chemrxivquest"
    )
    ap.add_argument(
        "--index", type=Path, default=Path.home() / ".cache/chemagent-bench/chemrxivquest"
    )
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--chunk-tokens", type=int, default=None)
    args = ap.parse_args()
    settings = LiteratureSettings()
    if args.chunk_tokens:
        settings = settings.model_copy(update={"chunk_tokens": args.chunk_tokens})
    questions = load_questions(args.data / "questions.dev.csv")[: args.limit]
    with LiteratureIndex(args.index, settings) as index:
        began = time.perf_counter()
        report = index.add([args.data / "full-text"])
        stats = index.stats()
        print(
            f"index: {stats.documents} documents, {stats.chunks} chunks "
            f"({report.documents_added} added in {time.perf_counter() - began:.0f} s)"
        )
        texts = [q.question for q in questions]
        table = {}
        for mode in MODES:
            began = time.perf_counter()
            results = index.search_many(texts, k=10, mode=mode)
            seconds = time.perf_counter() - began
            ranks = [
                first_hit_rank(q, [(h.doc_id, h.text) for h in hits])
                for q, hits in zip(questions, results, strict=True)
            ]
            table[mode] = [recall_at(ranks, k) for k in (1, 5, 10)]
            print(
                f"{mode:8s} recall@1 {table[mode][0]:.3f}  @5 {table[mode][1]:.3f}  "
                f"@10 {table[mode][2]:.3f}   ({len(questions)} questions, "
                f"{1000 * seconds / len(questions):.1f} ms/query)"
            )
        base = table["lexical"][1]
        print(f"hybrid / lexical recall@5 ratio: {table['hybrid'][1] / base:.3f}")


if __name__ == "__main__":
    main()
