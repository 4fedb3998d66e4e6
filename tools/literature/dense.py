"""The FAISS side of the index: exact inner product, or IVF above a measured size.

Vectors are unit length, so inner product is cosine similarity. The file is derived from the
SQLite store and stamped with the store's generation; a stale or missing file is rebuilt.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np

logger = logging.getLogger(__name__)

Kind = Literal["flat", "ivf"]


def ivf_lists(n: int) -> int:
    """IVF list count: about 4·sqrt(n), as FAISS's guidelines suggest for up to a few million."""
    return int(min(65_536, max(16, 4 * math.isqrt(max(n, 1)))))


class DenseIndex:
    def __init__(self, index: Any, kind: Kind, nprobe: int = 32) -> None:
        self.index = index
        self.kind: Kind = kind
        self.set_nprobe(nprobe)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def set_nprobe(self, nprobe: int) -> None:
        if self.kind == "ivf":
            self.index.nprobe = nprobe

    @classmethod
    def empty_flat(cls, dim: int) -> DenseIndex:
        import faiss

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), "flat")

    @classmethod
    def build(
        cls,
        batches: Callable[[], Iterable[tuple[np.ndarray, np.ndarray]]],
        dim: int,
        total: int,
        approximate_above: int,
        nprobe: int = 32,
        seed: int = 0,
    ) -> DenseIndex:
        """An index over every (ids, vectors) batch; IVF when `total` exceeds the threshold.

        `batches` is called once for exact search and twice for IVF (a strided training
        sample, then the vectors), so a store larger than memory can still be indexed.
        """
        import faiss

        if total <= approximate_above:
            dense = cls.empty_flat(dim)
        else:
            nlist = ivf_lists(total)
            want = min(total, 64 * nlist)
            stride = max(1, total // want)
            sample = np.vstack([v[::stride] for _, v in batches()])
            quantizer = faiss.IndexFlatIP(dim)
            ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.cp.seed = seed
            ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
            dense = cls(ivf, "ivf", nprobe)
        for ids, vectors in batches():
            dense.add(ids, vectors)
        return dense

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )

    def remove(self, ids: Iterable[int]) -> None:
        arr = np.fromiter(ids, dtype=np.int64)
        if len(arr):
            self.index.remove_ids(arr)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n_queries, k); missing hits have id -1."""
        if self.size == 0:
            n = len(queries)
            return np.zeros((n, 0), dtype=np.float32), np.zeros((n, 0), dtype=np.int64)
        scores, ids = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, ids

    # -- files --------------------------------------------------------------------------------

    def save(self, path: Path, generation: int) -> None:
        """Write atomically; the stamp goes last, so a half-written pair is simply stale."""
        import faiss

        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self.index, str(tmp))
        os.replace(tmp, path)
        stamp = {"generation": generation, "kind": self.kind, "size": self.size}
        _write_atomic(_stamp_path(path), json.dumps(stamp))

    @classmethod
    def load(cls, path: Path, generation: int, nprobe: int = 32) -> DenseIndex | None:
        """The saved index if it matches `generation`, else None (the caller rebuilds)."""
        import faiss

        stamp_file = _stamp_path(path)
        if not (path.is_file() and stamp_file.is_file()):
            return None
        try:
            stamp = json.loads(stamp_file.read_text())
            if stamp.get("generation") != generation:
                return None
            index = faiss.read_index(str(path))
        except (OSError, ValueError, RuntimeError) as exc:
            logger.warning("dense index %s unreadable (%s); rebuilding it", path, exc)
            return None
        if int(index.ntotal) != stamp.get("size"):
            return None
        return cls(index, stamp["kind"], nprobe)


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
