"""A literature index in one folder: add papers to it, search it, describe it.

Layout: `index.sqlite` (documents, chunks, vectors, FTS5; the source of truth) and
`dense.faiss` (+ `.json` stamp), derived from it. See `store.py` for why a killed ingest is safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tools.base import ToolInputError
from tools.literature.chunking import Chunk, chunk_document
from tools.literature.dense import DenseIndex
from tools.literature.documents import Document, JsonlFields, Skipped, discover, read_file
from tools.literature.embeddings import Embedder
from tools.literature.entities import EntityFinder
from tools.literature.fusion import reciprocal_rank_fusion
from tools.literature.settings import LiteratureSettings
from tools.literature.store import Store, StoredChunk
from tools.locks import exclusive

logger = logging.getLogger(__name__)

Mode = Literal["dense", "lexical", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
Progress = Callable[[str, int], None]
"""Called as progress("files", total), ("file", 1), ("documents", n), ("chunks", n)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hit(_Model):
    """A retrieved passage and where it is in its document."""

    doc_id: str
    title: str
    page: int | None = Field(description="1-based PDF page; None for unpaged text.")
    start: int = Field(description="Character offset of the passage in the document text.")
    end: int
    text: str
    score: float = Field(description="Cosine (dense), BM25 (lexical) or RRF (hybrid).")
    chunk_id: int


class Duplicate(_Model):
    doc_id: str
    same_as: str


class SkippedItem(_Model):
    source: str
    reason: str


class IngestReport(_Model):
    """What an `add` did; skipped files say why, and nothing in them was half-written."""

    documents_added: int = 0
    chunks_added: int = 0
    replaced: list[str] = Field(default_factory=list)
    unchanged: int = 0
    duplicates: list[Duplicate] = Field(default_factory=list)
    skipped: list[SkippedItem] = Field(default_factory=list)
    seconds: float = 0.0


class IndexStats(_Model):
    path: str
    documents: int
    chunks: int
    embedding_model: str | None
    dimension: int | None
    dense_index: str
    bytes_on_disk: int
    passages_with_structures: int = 0
    distinct_structures: int = 0


class EmptyIndex(ToolInputError):
    """Searching an index that holds no documents."""


class LiteratureIndex:
    """Hybrid dense + lexical search over chunked papers, persisted under one folder."""

    def __init__(
        self,
        directory: Path,
        settings: LiteratureSettings | None = None,
        embedder: Embedder | None = None,
        finder: EntityFinder | None = None,
    ) -> None:
        self.dir = directory
        self.settings = settings or LiteratureSettings()
        s = self.settings
        self.embedder = embedder or Embedder(s.embedding_model, s.device, s.batch_size)
        self._finder = finder
        self.store = Store(directory / "index.sqlite")
        self._dense: DenseIndex | None = None
        self._dense_generation = -1  # the store generation `_dense` matches
        self._lock = threading.RLock()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> LiteratureIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def finder(self) -> EntityFinder:
        """What finds chemicals in passages and queries (the offline name sources by default)."""
        if self._finder is None:
            from tools.literature.entities import opsin_parser
            from tools.names.opsin import Opsin
            from tools.names.table import builtin_table

            self._finder = EntityFinder(builtin_table(), systematic=opsin_parser(Opsin()))
        return self._finder

    @property
    def dense_path(self) -> Path:
        return self.dir / "dense.faiss"

    # -- dense index --------------------------------------------------------------------------

    def dense(self) -> DenseIndex:
        """The FAISS index, loaded if current, else rebuilt from the store and saved."""
        with self._lock:
            s = self.settings
            generation = self.store.generation
            current = self._dense
            if current is not None and self._dense_generation == generation and self._fits(current):
                return current
            loaded = DenseIndex.load(self.dense_path, generation, s.nprobe)
            if loaded is None or not self._fits(loaded):
                _, n_chunks = self.store.counts()
                logger.info("building the dense index over %d chunks", n_chunks)
                dim = int(self.store.meta("dimension") or 0) or self.embedder.dimension
                loaded = DenseIndex.build(
                    self.store.vectors, dim, n_chunks, s.approximate_above, s.nprobe
                )
                loaded.save(self.dense_path, generation)
            self._dense, self._dense_generation = loaded, generation
            return loaded

    def _fits(self, dense: DenseIndex) -> bool:
        """Exact below the threshold, IVF above it. A current index holds every chunk, so its
        size is the chunk count and no query of the store is needed on the search path."""
        return (dense.kind == "ivf") == (dense.size > self.settings.approximate_above)

    # -- ingest -------------------------------------------------------------------------------

    def add(
        self,
        paths: Sequence[Path],
        fields: JsonlFields | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest files and folders; unchanged documents are skipped, so a rerun resumes.

        One writer per folder, across processes: a second `add` on the same index fails at once
        with the PID of the one running (`LockBusy`) instead of a database error halfway."""
        with self._lock, exclusive(self.dir / "add.lock", f"the literature index {self.dir}"):
            return self._add(paths, fields or self._fields(), progress or _quiet)

    def _fields(self) -> JsonlFields:
        s = self.settings
        return JsonlFields(id=s.jsonl_id, title=s.jsonl_title, text=s.jsonl_text)

    def _add(self, paths: Sequence[Path], fields: JsonlFields, progress: Progress) -> IngestReport:
        began = time.perf_counter()
        report = IngestReport()
        found = discover(list(paths))
        report.skipped.extend(SkippedItem(source=s.source, reason=s.reason) for s in found.skipped)
        progress("files", len(found.files))
        stored = self.store.document_hashes()
        owner = {sha: doc_id for doc_id, sha in stored.items()}
        batch = _Batch()
        seen_ids: set[str] = set()
        for path, base in found.files:
            for item in read_file(path, base, fields):
                if isinstance(item, Skipped):
                    report.skipped.append(SkippedItem(source=item.source, reason=item.reason))
                    continue
                doc, sha = item, item.sha256
                if doc.doc_id in seen_ids:
                    report.skipped.append(
                        SkippedItem(source=doc.source, reason=f"id {doc.doc_id!r} given twice")
                    )
                    continue
                seen_ids.add(doc.doc_id)
                if stored.get(doc.doc_id) == sha:
                    report.unchanged += 1
                    continue
                if sha in owner and owner[sha] != doc.doc_id:
                    report.duplicates.append(Duplicate(doc_id=doc.doc_id, same_as=owner[sha]))
                    continue
                chunks = self._chunk(doc)
                if not chunks:
                    report.skipped.append(SkippedItem(source=doc.source, reason="no text"))
                    continue
                owner[sha] = doc.doc_id
                batch.add(doc, chunks, replaces=doc.doc_id in stored)
                if batch.n_chunks >= self.settings.commit_chunks:
                    self._flush(batch, report, progress)
            progress("file", 1)
        self._flush(batch, report, progress)
        self._scan_old_passages()
        if report.documents_added or report.replaced:
            # Rebuilds if the index crossed the approximate threshold, then persists it.
            self.dense().save(self.dense_path, self.store.generation)
        report.seconds = round(time.perf_counter() - began, 3)
        return report

    def _scan_old_passages(self, batch: int = 2000) -> None:
        """Passages stored before structures were recorded are scanned once, without
        re-embedding anything."""
        if not self.settings.structures:
            return
        while rows := self.store.unscanned(batch):
            found = self.finder.find_many([text for _, text in rows])
            self.store.write_scanned([(cid, f) for (cid, _), f in zip(rows, found, strict=True)])

    def _chunk(self, doc: Document) -> list[Chunk]:
        s = self.settings
        window = min(s.chunk_tokens, self.embedder.max_tokens)
        return chunk_document(doc, self.embedder.count_tokens, window, s.chunk_overlap)

    def _flush(self, batch: _Batch, report: IngestReport, progress: Progress) -> None:
        if not batch.docs:
            return
        self.store.bind_model(self.embedder.name, self.embedder.dimension)
        dense = self.dense()
        texts = [c.text for _, chunks in batch.docs for c in chunks]
        vectors = self.embedder.encode(texts, progress=lambda n: progress("chunks", n))
        found = self.finder.find_many(texts) if self.settings.structures else None
        old_ids = self.store.chunk_ids(batch.replaces)
        new_ids = self.store.write_documents(
            batch.docs, vectors, replace=batch.replaces, structures=found
        )
        # The store is committed; bring the in-memory FAISS index to the same generation.
        dense.remove(old_ids)
        dense.add(np.asarray(new_ids, dtype=np.int64), vectors)
        self._dense_generation = self.store.generation
        report.documents_added += len(batch.docs) - len(batch.replaces)
        report.replaced.extend(batch.replaces)
        report.chunks_added += len(texts)
        progress("documents", len(batch.docs))
        batch.clear()

    # -- search -------------------------------------------------------------------------------

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        return self.search_many([query], k, mode)[0]

    def search_many(
        self, queries: Sequence[str], k: int = 5, mode: Mode = "hybrid"
    ) -> list[list[Hit]]:
        """The best `k` passages for each query (queries are embedded together)."""
        if mode not in MODES:
            raise ToolInputError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        if k < 1:
            raise ToolInputError("k must be at least 1")
        with self._lock:
            docs, _ = self.store.counts()
            if docs == 0:
                raise EmptyIndex(
                    f"the literature index at {self.dir} is empty; add papers with "
                    "`chemagent index add PATH...`"
                )
            depth = max(k, self.settings.candidates)
            dense_ranked: list[list[tuple[int, float]]] = [[] for _ in queries]
            if mode != "lexical":
                vectors = self.embedder.encode(list(queries))
                scores, ids = self.dense().search(vectors, depth if mode == "hybrid" else k)
                dense_ranked = [
                    [(int(i), float(s)) for s, i in zip(srow, irow, strict=True) if i >= 0]
                    for srow, irow in zip(scores, ids, strict=True)
                ]
            named = (
                self.finder.find_many(list(queries))
                if mode == "hybrid" and self.settings.structures
                else [[] for _ in queries]
            )
            results = []
            for q, dense_hits, entities in zip(queries, dense_ranked, named, strict=True):
                if mode == "dense":
                    ranked = dense_hits[:k]
                else:
                    lexical_hits = self.store.lexical(q, depth if mode == "hybrid" else k)
                    if mode == "lexical":
                        ranked = lexical_hits[:k]
                    else:
                        keys = list(dict.fromkeys(e.inchikey for e in entities))
                        # Passages writing the query's molecules under any name or notation.
                        chemical = self.store.chunks_mentioning(keys, depth)
                        ranked = reciprocal_rank_fusion(
                            [[i for i, _ in dense_hits], [i for i, _ in lexical_hits], chemical],
                            self.settings.rrf_k,
                            (self.settings.dense_weight, 1.0, self.settings.structure_weight),
                        )[:k]
                results.append(self._hits(ranked))
            return results

    def lexical_count(self, query: str) -> int:
        """How many passages share a content word with the query."""
        with self._lock:
            return self.store.lexical_count(query)

    def hits_for(self, chunk_ids: Sequence[int]) -> list[Hit]:
        """The passages with these ids (score 1), in the given order."""
        with self._lock:
            return self._hits([(i, 1.0) for i in chunk_ids])

    def _hits(self, ranked: list[tuple[int, float]]) -> list[Hit]:
        found: dict[int, StoredChunk] = self.store.chunks([i for i, _ in ranked])
        return [
            Hit(
                doc_id=c.doc_id,
                title=c.title,
                page=c.page,
                start=c.start,
                end=c.end,
                text=c.text,
                score=round(score, 6),
                chunk_id=c.id,
            )
            for i, score in ranked
            if (c := found.get(i)) is not None
        ]

    def stats(self) -> IndexStats:
        docs, chunks = self.store.counts()
        dim = self.store.meta("dimension")
        size = sum(f.stat().st_size for f in self.dir.iterdir() if f.is_file())
        approx = chunks > self.settings.approximate_above
        with_structures, structures = self.store.structure_counts()
        return IndexStats(
            path=str(self.dir),
            documents=docs,
            chunks=chunks,
            embedding_model=self.store.meta("embedding_model"),
            dimension=int(dim) if dim else None,
            dense_index="IVF (approximate)" if approx else "exact inner product",
            bytes_on_disk=size,
            passages_with_structures=with_structures,
            distinct_structures=structures,
        )


class _Batch:
    """Documents waiting to be embedded and committed together."""

    def __init__(self) -> None:
        self.docs: list[tuple[Document, list[Chunk]]] = []
        self.replaces: list[str] = []
        self.n_chunks = 0

    def add(self, doc: Document, chunks: list[Chunk], replaces: bool) -> None:
        self.docs.append((doc, chunks))
        self.n_chunks += len(chunks)
        if replaces:
            self.replaces.append(doc.doc_id)

    def clear(self) -> None:
        self.docs, self.replaces, self.n_chunks = [], [], 0


def _quiet(event: str, n: int) -> None:
    del event, n
