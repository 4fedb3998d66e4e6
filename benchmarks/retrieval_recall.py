"""Passage recall@1/5/10 and MRR on ChemLit-QA (evals/chemlit.py): dense, lexical and hybrid,
alone and among 1,500 BC5CDR abstracts (distractors), and the retrieval variants tried, each
chosen on the tuning half of the questions and reported on the other half.

    python benchmarks/retrieval_recall.py [--data ../shared/data/literature] [--cache DIR]

Indexes are built once per chunking under --cache (minutes each on 2 cores) and reused. Each
question's dense, lexical and structure rankings are computed once per index; the fusion
variants are then scored on those rankings, exactly as `LiteratureIndex.search` fuses them.
ChemRxivQuest's "right paper" measure is benchmarks/retrieval_recall_chemrxivquest.py.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.chemlit import (  # noqa: E402
    gold_rank,
    load,
    mrr,
    multihop_questions,
    recall_at,
    write_corpus,
)
from tools.literature.documents import JsonlFields  # noqa: E402
from tools.literature.fusion import reciprocal_rank_fusion  # noqa: E402
from tools.literature.index import LiteratureIndex  # noqa: E402
from tools.literature.settings import LiteratureSettings  # noqa: E402

DEPTH = 100


def build(data: Path, cache: Path, chunk: tuple[int, int], distractors: bool) -> LiteratureIndex:
    docs, _ = load(data / "chemlit_qa")
    folder = cache / f"chemlit-{chunk[0]}-{chunk[1]}-{'bc5cdr' if distractors else 'alone'}"
    corpus = cache / f"corpus-{'bc5cdr' if distractors else 'alone'}.jsonl"
    cache.mkdir(parents=True, exist_ok=True)
    write_corpus(docs, corpus, data / "bc5cdr" / "bc5cdr_docs.jsonl" if distractors else None)
    index = LiteratureIndex(
        folder, LiteratureSettings(chunk_tokens=chunk[0], chunk_overlap=chunk[1])
    )
    began = time.perf_counter()
    report = index.add([corpus], JsonlFields(id="id", title="title", text="text"))
    if report.documents_added:
        print(
            f"  indexed {folder.name}: {index.stats().chunks} chunks in {time.perf_counter() - began:.0f} s"
        )
    return index


def rankings(
    index: LiteratureIndex, questions: Sequence[Any]
) -> tuple[list[dict[str, list[int]]], float, float]:
    """Per question the dense, lexical and structure rankings (chunk ids), and ms per query for
    dense and for lexical retrieval."""
    queries = [q.question for q in questions]
    began = time.perf_counter()
    vectors = index.embedder.encode(queries)
    _, ids = index.dense().search(vectors, DEPTH)
    dense_ms = 1000 * (time.perf_counter() - began) / len(queries)
    began = time.perf_counter()
    lexical = [[i for i, _ in index.store.lexical(q, DEPTH)] for q in queries]
    lexical_ms = 1000 * (time.perf_counter() - began) / len(queries)
    named = index.finder.find_many(queries)
    out = []
    for row, lex, ents in zip(ids, lexical, named, strict=True):
        keys = list(dict.fromkeys(e.inchikey for e in ents))
        out.append(
            {
                "dense": [int(i) for i in row if i >= 0],
                "lexical": lex,
                "structure": index.store.chunks_mentioning(keys, DEPTH),
            }
        )
    return out, dense_ms, lexical_ms


def score(
    index: LiteratureIndex, questions: list[Any], ranked: list[list[int]]
) -> dict[str, float]:
    doc_of = dict(index.store.db.execute("SELECT id, doc_id FROM chunks").fetchall())
    ranks = [
        gold_rank(q.gold, [doc_of[i] for i in r]) for q, r in zip(questions, ranked, strict=True)
    ]
    return {
        "r@1": recall_at(ranks, 1),
        "r@5": recall_at(ranks, 5),
        "r@10": recall_at(ranks, 10),
        "mrr": mrr(ranks),
    }


def fuse(rk: dict[str, list[int]], k: int, weight: float, cand: int, structure: float) -> list[int]:
    lists = [rk["dense"][:cand], rk["lexical"][:cand], rk["structure"][:cand]]
    return [i for i, _ in reciprocal_rank_fusion(lists, k, (weight, 1.0, structure))[:30]]


# Words that frame a question rather than say what it is about (beyond the stop words).
FRAME = frozenset(
    [
        "affect",
        "affects",
        "describe",
        "effect",
        "effects",
        "explain",
        "explained",
        "influence",
        "influences",
        "mechanism",
        "mechanisms",
        "observed",
        "play",
        "plays",
        "reason",
        "role",
        "significance",
        "significant",
        "used",
        "using",
    ]
)


def query_variants(question: str) -> dict[str, str]:
    """FTS5 queries for the lexical list: content words only (any may match; the default
    before), with each pair of adjacent content words added as a phrase (the default now), and
    with the question's framing words dropped."""
    from tools.literature.store import fts_query
    from tools.literature.words import content_words

    words = content_words(question)
    framed = [w for w in words if w not in FRAME] or words
    return {
        "words": " OR ".join(f'"{w}"' for w in words),
        "words + adjacent pairs as phrases": fts_query(question),
        "words less framing words": " OR ".join(f'"{w}"' for w in framed),
    }


def lexical_with(index: LiteratureIndex, match: str, k: int = DEPTH) -> list[int]:
    if not match:
        return []
    rows = index.store.db.execute(
        "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?",
        (match, k),
    ).fetchall()
    return [int(r[0]) for r in rows]


def row(name: str, m: dict[str, float], ms: float | None = None) -> str:
    t = f"  ({ms:.1f} ms/query)" if ms is not None else ""
    return (
        f"  {name:46s} R@1 {m['r@1']:.3f}  R@5 {m['r@5']:.3f}  R@10 {m['r@10']:.3f}  "
        f"MRR {m['mrr']:.3f}{t}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/literature")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache/chemagent-bench/chemlit")
    ap.add_argument("--queries-only", action="store_true", help="only the query-handling variants")
    args = ap.parse_args()
    _, questions = load(args.data / "chemlit_qa")
    tune = [i for i, q in enumerate(questions) if q.part == "tune"]
    report = [i for i, q in enumerate(questions) if q.part == "report"]
    print(f"ChemLit-QA: {len(questions)} questions ({len(tune)} tune, {len(report)} report)")
    d = LiteratureSettings()
    base = (d.chunk_tokens, d.chunk_overlap)
    default_knobs = (d.rrf_k, d.dense_weight, d.candidates, d.structure_weight)

    print("current defaults, all 139 questions:")
    for distractors in () if args.queries_only else (False, True):
        label = "with 1,500 BC5CDR distractors" if distractors else "606 passages alone"
        with build(args.data, args.cache, base, distractors) as index:
            rk, dense_ms, lexical_ms = rankings(index, questions)
            print(
                row(f"dense ({label})", score(index, questions, [r["dense"] for r in rk]), dense_ms)
            )
            print(
                row(
                    f"lexical ({label})",
                    score(index, questions, [r["lexical"] for r in rk]),
                    lexical_ms,
                )
            )
            hybrid = [fuse(r, *default_knobs) for r in rk]
            print(row(f"hybrid ({label})", score(index, questions, hybrid), dense_ms + lexical_ms))

    print("query handling for the lexical list (256/64 with distractors, default fusion):")
    with build(args.data, args.cache, base, True) as index:
        rk, _, _ = rankings(index, questions)
        variants = [query_variants(q.question) for q in questions]
        for name in variants[0]:
            lexical = [lexical_with(index, v[name]) for v in variants]
            hybrid = [
                fuse({**r, "lexical": lx}, *default_knobs)
                for r, lx in zip(rk, lexical, strict=True)
            ]
            for part, ids in (("tune", tune), ("report", report)):
                qs = [questions[i] for i in ids]
                print(row(f"lexical, {name} [{part}]", score(index, qs, [lexical[i] for i in ids])))
                print(row(f"hybrid, {name} [{part}]", score(index, qs, [hybrid[i] for i in ids])))

    print(
        "multi-hop questions (a second validation set; gold: passages holding the first "
        "evidence sentence), 256/64 with distractors, k=10, 50 candidates:"
    )
    multi = multihop_questions(args.data / "chemlit_qa")
    with build(args.data, args.cache, base, True) as index:
        doc_of = dict(index.store.db.execute("SELECT id, doc_id FROM chunks").fetchall())
        rk = rankings(index, multi)[0]

        def hit_at(ranked: list[list[int]], form: str, k: int) -> float:
            rows = [(q, r) for q, r in zip(multi, ranked, strict=True) if q.form == form]
            found = [
                bool(set(list(dict.fromkeys(doc_of[i] for i in r))[:k]) & q.gold) for q, r in rows
            ]
            return sum(found) / len(found)

        options = [("lexical", [r["lexical"] for r in rk]), ("dense", [r["dense"] for r in rk])]
        for w, sw in itertools.product((0.0, 0.25, 0.5), (0.0, 0.25, 1.0)):
            options.append(
                (f"hybrid dense w={w} struct w={sw}", [fuse(r, 10, w, 50, sw) for r in rk])
            )
        n = sum(1 for q in multi if q.form == "base")
        for name, ranked in options:
            print(
                f"  {name:34s} base ({n}) R@1 {hit_at(ranked, 'base', 1):.3f} R@5 "
                f"{hit_at(ranked, 'base', 5):.3f}  rewritten R@1 "
                f"{hit_at(ranked, 'rewritten', 1):.3f} R@5 {hit_at(ranked, 'rewritten', 5):.3f}"
            )
    if args.queries_only:
        return
    print("variants with distractors, scored on the tuning half (best 8 of all tried):")
    tried: list[tuple[tuple[float, float], str, dict[str, float], dict[str, float]]] = []
    for chunk in ((128, 32), (200, 40), (256, 64)):
        with build(args.data, args.cache, chunk, True) as index:
            rk, _, _ = rankings(index, questions)
            sub = lambda ids, ranked: ([questions[i] for i in ids], [ranked[i] for i in ids])  # noqa: E731
            options: list[tuple[str, list[list[int]]]] = [
                (f"chunk {chunk[0]}/{chunk[1]} lexical", [r["lexical"] for r in rk]),
                (f"chunk {chunk[0]}/{chunk[1]} dense", [r["dense"] for r in rk]),
            ]
            for k, w, cand, sw in itertools.product(
                (10, 30, 60), (0.0, 0.25, 0.5, 1.0), (20, 50, 100), (0.0, 0.25, 1.0)
            ):
                options.append(
                    (f"chunk {chunk[0]}/{chunk[1]} k={k} dense w={w} cand={cand} struct w={sw}",
                     [fuse(r, k, w, cand, sw) for r in rk])
                )  # fmt: skip
            for name, ranked in options:
                t = score(index, *sub(tune, ranked))
                rep = score(index, *sub(report, ranked))
                tried.append(((t["r@1"], t["mrr"]), name, t, rep))
    tried.sort(key=lambda x: x[0], reverse=True)
    for _, name, t, _ in tried[:8]:
        print(row(name + " [tune]", t))
    _, name, _, rep = tried[0]
    print("the best on the tuning half, scored once on the report half:")
    print(row(name + " [report]", rep))
    default_name = f"chunk {base[0]}/{base[1]} k={d.rrf_k} dense w={d.dense_weight} cand={d.candidates} struct w={d.structure_weight}"
    for _, n, t, r in tried:
        if n == default_name:
            print(row("current defaults [tune]", t))
            print(row("current defaults [report]", r))
        if n == "chunk 200/40 k=60 dense w=1.0 cand=50 struct w=0.0":
            print(row("the defaults before (200/40, k=60, equal weights) [report]", r))


if __name__ == "__main__":
    main()
