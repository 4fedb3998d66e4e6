"""The index's source of truth: one SQLite file with documents, chunks, vectors and an FTS5 index.

Every batch of documents is written in one transaction (text, vectors and lexical index
together), so a killed ingest leaves the file consistent and a rerun skips what was committed.
The FAISS index beside it is derived from this file and rebuilt whenever it is out of date.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from tools.base import ToolError
from tools.literature.chunking import Chunk
from tools.literature.documents import Document
from tools.literature.entities import Entity
from tools.literature.words import content_words

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    added REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    page INTEGER,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='id', tokenize='porter unicode61'
);
-- The chemicals each passage writes (any name, CAS, SMILES, InChI) as InChIKeys, and which
-- passages were scanned (an index built before this table is scanned on its next `add`).
CREATE TABLE IF NOT EXISTS chunk_structures (
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    inchikey TEXT NOT NULL,
    smiles TEXT,
    surface TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunk_structures_key ON chunk_structures(inchikey);
CREATE INDEX IF NOT EXISTS chunk_structures_chunk ON chunk_structures(chunk_id);
CREATE TABLE IF NOT EXISTS structures_scanned (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE
);
"""


class CorruptIndex(ToolError):
    """The index database cannot be read; the message names the file and how to rebuild it."""


@dataclass(frozen=True)
class StoredChunk:
    id: int
    doc_id: str
    title: str
    page: int | None
    start: int
    end: int
    text: str


class IndexMismatch(ValueError):
    """The index was built with another embedding model or schema."""


def fts_query(text: str) -> str:
    """A safe FTS5 query: the question's content words, quoted, any of them may match, and
    each pair of adjacent content words as a phrase, so a passage that writes "oxidative
    addition" scores above one that has both words apart (chosen on ChemLit-QA's tuning half,
    benchmarks/retrieval_recall.py). The phrases match no passage the words do not, so the
    set of passages matched is the same."""
    words = content_words(text)
    return " OR ".join([f'"{w}"' for w in words] + [f'"{a} {b}"' for a, b in pairwise(words)])


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise CorruptIndex(
                f"the literature index file {path} is damaged ({exc}); move its folder "
                f"{path.parent} away and rebuild it with `chemagent index add PATH...`"
            ) from None

    def close(self) -> None:
        self.db.close()

    # -- metadata -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def bind_model(self, model: str, dimension: int) -> None:
        """Record the embedding model on first write; refuse to mix vectors of two models."""
        known = self.meta("embedding_model")
        if known is None:
            with self.transaction():
                self._set("embedding_model", model)
                self._set("dimension", str(dimension))
                self._set("schema", SCHEMA_VERSION)
        elif known != model:
            raise IndexMismatch(
                f"the index at {self.path.parent} was built with {known!r}, not {model!r}; "
                "use that model, or a new --index folder for the other one"
            )

    def _set(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
            (key, value, value),
        )

    @property
    def generation(self) -> int:
        """Bumped by every committed change, so derived files know when they are stale."""
        return int(self.meta("generation") or 0)

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    # -- documents ----------------------------------------------------------------------------

    def document_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT doc_id, sha256 FROM documents").fetchall())

    def write_documents(
        self,
        docs: Sequence[tuple[Document, list[Chunk]]],
        vectors: np.ndarray,
        replace: Sequence[str] = (),
        structures: Sequence[Sequence[Entity]] | None = None,
    ) -> list[int]:
        """Replace `replace` and add `docs` with their chunks, vectors and (when given, one list
        per chunk) the chemicals they mention, all or nothing.

        Returns the new chunks' ids, in order; the ids of deleted chunks are never reused.
        """
        ids: list[int] = []
        row = 0
        with self.transaction():
            for doc_id in replace:
                self._delete_document(doc_id)
            now = time.time()
            for doc, chunks in docs:
                self.db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        doc.doc_id,
                        doc.title,
                        doc.source,
                        doc.sha256,
                        len(doc.pages),
                        len(doc.text),
                        len(chunks),
                        now,
                    ),
                )
                for c in chunks:
                    cur = self.db.execute(
                        'INSERT INTO chunks(doc_id, page, start, "end", text, vector) '
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (c.doc_id, c.page, c.start, c.end, c.text, vectors[row].tobytes()),
                    )
                    chunk_id = int(cur.lastrowid or 0)
                    self.db.execute(
                        "INSERT INTO chunks_fts(rowid, text) VALUES (?, ?)",
                        (chunk_id, c.text),
                    )
                    ids.append(chunk_id)
                    if structures is not None:
                        self._write_structures(chunk_id, structures[row])
                    row += 1
            self._set("generation", str(self.generation + 1))
        return ids

    def _write_structures(self, chunk_id: int, found: Sequence[Entity]) -> None:
        self.db.executemany(
            "INSERT INTO chunk_structures VALUES (?, ?, ?, ?, ?)",
            [(chunk_id, e.inchikey, e.smiles, e.text[:200], e.kind) for e in found],
        )
        self.db.execute("INSERT OR IGNORE INTO structures_scanned VALUES (?)", (chunk_id,))

    def unscanned(self, limit: int) -> list[tuple[int, str]]:
        """(id, text) of passages not yet scanned for chemicals (an index from before)."""
        return [
            (int(r[0]), str(r[1]))
            for r in self.db.execute(
                "SELECT id, text FROM chunks WHERE id NOT IN (SELECT chunk_id FROM "
                "structures_scanned) ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        ]

    def write_scanned(self, rows: Sequence[tuple[int, Sequence[Entity]]]) -> None:
        with self.transaction():
            for chunk_id, found in rows:
                self._write_structures(chunk_id, found)

    def chunks_mentioning(self, inchikeys: Sequence[str], limit: int) -> list[int]:
        """Passages that mention any of the structures, those naming more of them first."""
        if not inchikeys:
            return []
        marks = ",".join("?" * len(inchikeys))
        rows = self.db.execute(
            f"SELECT chunk_id, COUNT(DISTINCT inchikey) AS n FROM chunk_structures "
            f"WHERE inchikey IN ({marks}) GROUP BY chunk_id ORDER BY n DESC, chunk_id LIMIT ?",
            [*inchikeys, limit],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def structures(self) -> list[tuple[str, str]]:
        """Every distinct (InChIKey, SMILES) the passages mention (keys written alone excluded)."""
        return [
            (str(r[0]), str(r[1]))
            for r in self.db.execute(
                "SELECT inchikey, MIN(smiles) FROM chunk_structures WHERE smiles IS NOT NULL "
                "GROUP BY inchikey"
            ).fetchall()
        ]

    def mentions(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[str, str, str | None]]]:
        """For each passage, the (surface, InChIKey, SMILES) it mentions."""
        out: dict[int, list[tuple[str, str, str | None]]] = {}
        if not chunk_ids:
            return out
        marks = ",".join("?" * len(chunk_ids))
        for cid, surface, key, smi in self.db.execute(
            f"SELECT chunk_id, surface, inchikey, smiles FROM chunk_structures "
            f"WHERE chunk_id IN ({marks})",
            list(chunk_ids),
        ):
            out.setdefault(int(cid), []).append((str(surface), str(key), smi))
        return out

    def structure_counts(self) -> tuple[int, int]:
        """(passages mentioning a structure, distinct structures)."""
        row = self.db.execute(
            "SELECT COUNT(DISTINCT chunk_id), COUNT(DISTINCT inchikey) FROM chunk_structures"
        ).fetchone()
        return int(row[0]), int(row[1])

    def _delete_document(self, doc_id: str) -> None:
        # An external-content FTS5 table forgets a row only when told its old text.
        rows = self.db.execute("SELECT id, text FROM chunks WHERE doc_id = ?", (doc_id,))
        for chunk_id, text in rows.fetchall():
            self.db.execute(
                "INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', ?, ?)",
                (chunk_id, text),
            )
        self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    # -- reading ------------------------------------------------------------------------------

    def vectors(self, batch: int = 50_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) in batches, for rebuilding the dense index."""
        dim = int(self.meta("dimension") or 0)
        cur = self.db.execute("SELECT id, vector FROM chunks ORDER BY id")
        while rows := cur.fetchmany(batch):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            yield ids, vecs.reshape(len(rows), dim)

    def chunk_ids(self, doc_ids: Sequence[str]) -> list[int]:
        out: list[int] = []
        for doc_id in doc_ids:
            rows = self.db.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))
            out.extend(int(r[0]) for r in rows.fetchall())
        return out

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f'SELECT c.id, c.doc_id, d.title, c.page, c.start, c."end", c.text '
            f"FROM chunks c JOIN documents d USING (doc_id) WHERE c.id IN ({marks})",
            list(ids),
        ).fetchall()
        return {r[0]: StoredChunk(*r) for r in rows}

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score, higher is better) of the best `k` lexical matches."""
        match = fts_query(query)
        if not match:
            return []
        rows = self.db.execute(
            "SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
            "ORDER BY bm25(chunks_fts) LIMIT ?",
            (match, k),
        ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def lexical_count(self, query: str) -> int:
        """How many passages share a content word with the query."""
        match = fts_query(query)
        if not match:
            return 0
        row = self.db.execute(
            "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match,)
        ).fetchone()
        return int(row[0])

    def counts(self) -> tuple[int, int]:
        docs = self.db.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return int(docs), int(chunks)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
