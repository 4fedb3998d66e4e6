"""Literature index speed: ingest throughput, and exact vs IVF search at 100k and 1M vectors.

    python benchmarks/retrieval_speed.py [--data ../shared/data/literature/chemrxivquest]
        [--chunks 10000] [--sizes 100000 1000000] [--queries 200]

1. Ingest: `LiteratureIndex.add` on ChemRxiv full texts until about --chunks chunks (reading,
   chunking, embedding, SQLite + FTS5, FAISS), against raw `SentenceTransformer.encode` of the
   same chunk texts with the same batch size, in the same run. The ratio is ours / raw.
2. Search: the real chunk vectors replicated with small Gaussian noise to each size; queries are
   the ChemRxivQuest dev questions, embedded. For exact inner product and for IVF (the index used
   above `literature.approximate_above`) at several nprobe: p50/p99 single-query latency, IVF
   recall@10 against exact, and bytes per chunk (FAISS index and the SQLite store).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evals.retrieval import load_questions  # noqa: E402
from tools.literature.dense import DenseIndex, ivf_lists  # noqa: E402
from tools.literature.embeddings import Embedder  # noqa: E402
from tools.literature.index import LiteratureIndex  # noqa: E402
from tools.literature.settings import LiteratureSettings  # noqa: E402


def ingest(data: Path, want_chunks: int, work: Path) -> tuple[np.ndarray, int]:
    files = sorted((data / "full-text").glob("*.txt"), key=lambda p: int(p.stem))
    settings = LiteratureSettings()
    embedder = Embedder(settings.embedding_model, settings.device, settings.batch_size)
    _ = embedder.dimension  # load the model before timing either side
    # Pick files by size (about 105 chunks per 50 kB of text) to land near the target.
    chosen, chars = [], 0
    for f in files:
        if chars / 480 >= want_chunks:
            break
        chosen.append(f)
        chars += f.stat().st_size
    with LiteratureIndex(work / "index", settings, embedder) as index:
        began = time.perf_counter()
        report = index.add(chosen)
        ours = time.perf_counter() - began
        texts = [r[0] for r in index.store.db.execute("SELECT text FROM chunks ORDER BY id")]
        vectors = np.vstack([v for _, v in index.store.vectors()])
        stats = index.stats()
    began = time.perf_counter()
    embedder.model.encode(
        texts, batch_size=settings.batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    raw = time.perf_counter() - began
    n = report.chunks_added
    print(
        f"ingest: {len(chosen)} papers, {n} chunks, {stats.bytes_on_disk / n:.0f} bytes/chunk on disk"
    )
    print(f"  chemagent index add     {n / ours:8.1f} chunks/s  ({ours:.0f} s)")
    print(f"  SentenceTransformer.encode {n / raw:5.1f} chunks/s  ({raw:.0f} s, same texts)")
    print(f"  ratio ours/raw: {raw / ours:.3f}")
    return vectors, int(stats.bytes_on_disk / n)


def replicate(vectors: np.ndarray, size: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    reps = -(-size // len(vectors))
    out = np.tile(vectors, (reps, 1))[:size]
    out = out + rng.normal(scale=sigma, size=out.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def latencies(
    index: DenseIndex, queries: np.ndarray, k: int = 10
) -> tuple[np.ndarray, float, float]:
    found, times = [], []
    for q in queries:
        began = time.perf_counter()
        _, ids = index.search(q[None, :], k)
        times.append(time.perf_counter() - began)
        found.append(ids[0])
    ms = 1000 * np.asarray(times)
    return np.asarray(found), float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def search_at(size: int, base: np.ndarray, queries: np.ndarray, store_bytes: int) -> None:
    import faiss

    rng = np.random.default_rng(size)
    data = replicate(base, size, sigma=0.02, rng=rng)
    ids = np.arange(size, dtype=np.int64)

    def batches():
        for i in range(0, size, 100_000):
            yield ids[i : i + 100_000], data[i : i + 100_000]

    exact = DenseIndex.build(batches, data.shape[1], size, approximate_above=size)
    truth, p50, p99 = latencies(exact, queries)
    flat_bytes = len(faiss.serialize_index(exact.index)) / size
    print(f"\n{size:,} vectors (real chunk vectors + N(0, 0.02) noise, {len(queries)} queries)")
    print(
        f"  exact inner product     p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  recall@10 1.000  {flat_bytes:6.0f} B/vector"
    )
    began = time.perf_counter()
    ivf = DenseIndex.build(batches, data.shape[1], size, approximate_above=0)
    built = time.perf_counter() - began
    ivf_bytes = len(faiss.serialize_index(ivf.index)) / size
    for nprobe in (8, 16, 32, 64):
        ivf.set_nprobe(nprobe)
        found, q50, q99 = latencies(ivf, queries)
        recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
        print(
            f"  IVF{ivf_lists(size)} nprobe {nprobe:<3d}    p50 {q50:7.2f} ms  p99 {q99:7.2f} ms  "
            f"recall@10 {recall:.3f}  {ivf_bytes:6.0f} B/vector   (x{p50 / q50:.1f} faster at p50)"
        )
    print(
        f"  IVF build {built:.0f} s; a whole index folder (SQLite text + vector + FTS5, and the "
        f"FAISS file) takes about {store_bytes} B/chunk on disk"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared/data/literature/chemrxivquest"
    )
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        vectors, store_bytes = ingest(args.data, args.chunks, Path(work))
    questions = [q.question for q in load_questions(args.data / "questions.dev.csv")]
    queries = Embedder().encode(questions[: args.queries])
    for size in args.sizes:
        search_at(size, vectors, queries, store_bytes)


if __name__ == "__main__":
    main()
