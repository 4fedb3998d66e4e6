"""A domain-adapted embedding model on ChemLit-QA with the BC5CDR distractors: all-MiniLM-L6-v2
as shipped vs the same model fine-tuned (training/embedder.py) on the tuning half's
question/passage pairs and the multi-hop questions whose evidence is not in the benchmark
(evals.chemlit.embedder_pairs), scored on the report half, dense alone and in the default
hybrid fusion, with the fine-tuning time and query latency of each.

    python benchmarks/retrieval_finetune.py [--epochs 2]

Uses the index cache of retrieval_recall.py; the fine-tuned model only re-embeds the index's
passages (the lexical and structure rankings do not depend on it).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.retrieval_recall import DEPTH, build, fuse, rankings, row, score  # noqa: E402
from evals.chemlit import embedder_pairs, load  # noqa: E402
from tools.literature.embeddings import Embedder  # noqa: E402
from tools.literature.settings import LiteratureSettings  # noqa: E402
from training.embedder import Pair, finetune_embedder  # noqa: E402


def dense_rankings(embedder: Embedder, texts: list[str], ids: np.ndarray, queries: list[str]):
    """Exact inner-product rankings (chunk ids) of every query over the given passages, and the
    ms per query."""
    matrix = embedder.encode(texts)
    began = time.perf_counter()
    q = embedder.encode(queries)
    top = np.argsort(-(q @ matrix.T), axis=1)[:, :DEPTH]
    ms = 1000 * (time.perf_counter() - began) / len(queries)
    return [[int(ids[j]) for j in row_] for row_ in top], ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/literature")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache/chemagent-bench/chemlit")
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    _, questions = load(args.data / "chemlit_qa")
    pairs = [Pair(*p) for p in embedder_pairs(args.data / "chemlit_qa")]
    report = [i for i, q in enumerate(questions) if q.part == "report"]
    assert not {questions[i].question for i in report} & {p.question for p in pairs}
    d = LiteratureSettings()
    knobs = (d.rrf_k, d.dense_weight, d.candidates, d.structure_weight)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        folder = finetune_embedder(pairs, Path(tmp) / "minilm-chem", epochs=args.epochs)
        train_s = time.perf_counter() - began
        tuned = Embedder(str(folder))
        with build(args.data, args.cache, (d.chunk_tokens, d.chunk_overlap), True) as index:
            rk, _, _ = rankings(index, questions)
            rows = index.store.db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
            ids = np.asarray([r[0] for r in rows], dtype=np.int64)
            texts = [r[1] for r in rows]
            queries = [q.question for q in questions]
            results = {}
            for name, embedder in (("as shipped", index.embedder), ("fine-tuned", tuned)):
                dense, ms = dense_rankings(embedder, texts, ids, queries)
                hybrid = [fuse({**r, "dense": dn}, *knobs) for r, dn in zip(rk, dense, strict=True)]
                sub = [questions[i] for i in report]
                results[name] = (
                    score(index, sub, [dense[i] for i in report]),
                    score(index, sub, [hybrid[i] for i in report]),
                    ms,
                )
    print(
        f"ChemLit-QA report half ({len(report)} questions) with distractors; fine-tuned on "
        f"{len(pairs)} pairs ({sum(1 for p in pairs if p.negative)} with a hard negative), "
        f"{args.epochs} epochs in {train_s:.0f} s"
    )
    for name, (dense_m, hybrid_m, ms) in results.items():
        print(row(f"dense, MiniLM {name}", dense_m, ms))
        print(row(f"hybrid (defaults), MiniLM {name}", hybrid_m))
    base, new = results["as shipped"][1], results["fine-tuned"][1]
    print(f"  hybrid MRR ratio fine-tuned / as shipped: {new['mrr'] / base['mrr']:.3f}")


if __name__ == "__main__":
    main()
