"""Passage recall@1/5/10 and MRR on ChemLit-QA (evals/chemlit.py): dense, lexical and hybrid,
alone and among 1,500 BC5CDR abstracts (distractors), and the retrieval variants tried, each
chosen on the tuning half of the questions and reported on the other half.

    python benchmarks/retrieval_recall.py [--data ../shared/data/literature] [--cache DIR]

Indexes are built once per chunking under --cache (about a minute each on 2 cores) and reused.
ChemRxivQuest's "right paper" measure is benchmarks/retrieval_recall_chemrxivquest.py.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.chemlit import gold_rank, load, mrr, recall_at, write_corpus  # noqa: E402
from tools.literature.documents import JsonlFields  # noqa: E402
from tools.literature.index import MODES, LiteratureIndex  # noqa: E402
from tools.literature.settings import LiteratureSettings  # noqa: E402


def build(data: Path, cache: Path, chunk: tuple[int, int], distractors: bool) -> Path:
    docs, _ = load(data / "chemlit_qa")
    folder = cache / f"chemlit-{chunk[0]}-{chunk[1]}-{'bc5cdr' if distractors else 'alone'}"
    corpus = cache / f"corpus-{'bc5cdr' if distractors else 'alone'}.jsonl"
    cache.mkdir(parents=True, exist_ok=True)
    write_corpus(docs, corpus, data / "bc5cdr" / "bc5cdr_docs.jsonl" if distractors else None)
    settings = LiteratureSettings(chunk_tokens=chunk[0], chunk_overlap=chunk[1])
    with LiteratureIndex(folder, settings) as index:
        began = time.perf_counter()
        report = index.add([corpus], JsonlFields(id="id", title="title", text="text"))
        if report.documents_added:
            print(
                f"  indexed {folder.name}: {index.stats().chunks} chunks in {time.perf_counter() - began:.0f} s"
            )
    return folder


def measure(folder: Path, questions: list[Any], mode: str, **knobs: Any) -> dict[str, float]:
    settings = LiteratureSettings(**knobs)
    with LiteratureIndex(folder, settings) as index:
        index.search("warm up", k=1, mode="hybrid")
        began = time.perf_counter()
        results = index.search_many([q.question for q in questions], k=30, mode=mode)  # type: ignore[arg-type]
        ms = 1000 * (time.perf_counter() - began) / len(questions)
    ranks = [
        gold_rank(q.gold, [h.doc_id for h in hits])
        for q, hits in zip(questions, results, strict=True)
    ]
    return {
        "r@1": recall_at(ranks, 1),
        "r@5": recall_at(ranks, 5),
        "r@10": recall_at(ranks, 10),
        "mrr": mrr(ranks),
        "ms": ms,
    }


def row(name: str, m: dict[str, float]) -> str:
    return (
        f"  {name:44s} R@1 {m['r@1']:.3f}  R@5 {m['r@5']:.3f}  R@10 {m['r@10']:.3f}  "
        f"MRR {m['mrr']:.3f}  ({m['ms']:.1f} ms/query)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/literature")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache/chemagent-bench/chemlit")
    args = ap.parse_args()
    _, questions = load(args.data / "chemlit_qa")
    tune = [q for q in questions if q.part == "tune"]
    report = [q for q in questions if q.part == "report"]
    print(f"ChemLit-QA: {len(questions)} questions ({len(tune)} tune, {len(report)} report)")

    defaults = LiteratureSettings()
    base_chunk = (defaults.chunk_tokens, defaults.chunk_overlap)
    print("defaults, all questions:")
    for distractors in (False, True):
        folder = build(args.data, args.cache, base_chunk, distractors)
        label = "with 1,500 BC5CDR distractors" if distractors else "606 passages alone"
        for mode in MODES:
            print(row(f"{mode} ({label})", measure(folder, questions, mode)))

    print("variants (with distractors), chosen on the tuning half:")
    tried: list[tuple[str, dict[str, Any], tuple[int, int], dict[str, float]]] = []
    for chunk in ((128, 32), base_chunk, (256, 64)):
        folder = build(args.data, args.cache, chunk, True)
        for rrf_k, weight, cand in itertools.product((10, 60), (0.5, 1.0, 2.0), (20, 50, 100)):
            knobs = {"rrf_k": rrf_k, "dense_weight": weight, "candidates": cand}
            m = measure(folder, tune, "hybrid", **knobs)
            name = f"chunk {chunk[0]}/{chunk[1]} k={rrf_k} w={weight} cand={cand}"
            tried.append((name, knobs, chunk, m))
        for mode in ("dense", "lexical"):
            tried.append(
                (
                    f"chunk {chunk[0]}/{chunk[1]} {mode}",
                    {"mode": mode},
                    chunk,
                    measure(folder, tune, mode),
                )
            )
    tried.sort(key=lambda t: (-t[3]["r@1"], -t[3]["mrr"]))
    for name, _, _, m in tried[:8]:
        print(row(name + " [tune]", m))
    name, knobs, chunk, _ = tried[0]
    folder = build(args.data, args.cache, chunk, True)
    mode = knobs.pop("mode", "hybrid")
    print("best on the tuning half, then the report half (never used to choose):")
    print(row(name + " [report]", measure(folder, report, mode, **knobs)))
    base = build(args.data, args.cache, base_chunk, True)
    print(row("defaults hybrid [report]", measure(base, report, "hybrid")))


if __name__ == "__main__":
    main()
