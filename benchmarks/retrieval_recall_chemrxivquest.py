"""Evidence recall@1/5/10 of dense, lexical and hybrid search on ChemRxivQuest dev questions.

    python benchmarks/retrieval_recall.py [--data ../shared/data/literature/chemrxivquest]
        [--index DIR] [--limit N]

Indexes the 153 full texts once into --index (reused on later runs; about 11 min on 2 cores),
then searches every question in the three modes and scores it as `evals/retrieval.py` defines.
It also prints the ceiling: the share of questions whose evidence text occurs in any chunk of the
document the CSV names (many evidence spans in questions.dev.csv belong to another question or
another paper). Lexical search is the baseline the hybrid ratio is given against.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.retrieval import first_hit_rank, load_questions, reachable, recall_at  # noqa: E402
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
    args = ap.parse_args()
    questions = load_questions(args.data / "questions.dev.csv")[: args.limit]
    with LiteratureIndex(args.index, LiteratureSettings()) as index:
        began = time.perf_counter()
        report = index.add([args.data / "full-text"])
        stats = index.stats()
        print(
            f"index: {stats.documents} documents, {stats.chunks} chunks "
            f"({report.documents_added} added in {time.perf_counter() - began:.0f} s)"
        )
        db = index.store.db
        chunks = {
            doc: [r[0] for r in db.execute("SELECT text FROM chunks WHERE doc_id = ?", (doc,))]
            for doc in {q.doc_id for q in questions}
        }
        ok = [reachable(q, chunks[q.doc_id]) for q in questions]
        print(
            f"{len(questions)} questions; evidence found in the named document for {sum(ok)} "
            f"(ceiling on recall {sum(ok) / len(questions):.3f})"
        )
        table = {}
        for mode in MODES:
            began = time.perf_counter()
            results = index.search_many([q.question for q in questions], k=10, mode=mode)
            seconds = time.perf_counter() - began
            ranks = [
                first_hit_rank(q, [(h.doc_id, h.text) for h in hits])
                for q, hits in zip(questions, results, strict=True)
            ]
            table[mode] = [recall_at(ranks, k) for k in (1, 5, 10)]
            within = [r for r, good in zip(ranks, ok, strict=True) if good]
            doc_at_1 = sum(
                1
                for q, hits in zip(questions, results, strict=True)
                if hits and hits[0].doc_id == q.doc_id
            ) / len(questions)
            print(
                f"{mode:8s} recall@1 {table[mode][0]:.3f}  @5 {table[mode][1]:.3f}  "
                f"@10 {table[mode][2]:.3f} | reachable only @5 {recall_at(within, 5):.3f} | "
                f"right paper @1 {doc_at_1:.3f}   ({1000 * seconds / len(questions):.1f} ms/query)"
            )
        base = table["lexical"][1]
        print(f"hybrid / lexical recall@5 ratio: {table['hybrid'][1] / base:.3f}")


if __name__ == "__main__":
    main()
