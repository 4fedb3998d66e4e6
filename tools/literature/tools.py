"""The agent's `search_literature` and `search_literature_by_structure` tools.

Passages are data, never instructions: the tools return them as values with short exact quotes;
how passages are quoted and fenced for a prompt is `tools.literature.quoting`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.base import Tool, ToolError, ToolResult, tool
from tools.chem.mol import ChemLimits
from tools.literature.quoting import best_quote, place, quote_around
from tools.literature.rerank import Ranked
from tools.literature.settings import LiteratureSettings

if TYPE_CHECKING:
    from tools.literature.index import Hit, LiteratureIndex
    from tools.literature.rerank import Reranker


class SearchLiteratureArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=2, max_length=2000, description="What to look for.")
    k: int = Field(5, ge=1, le=20, description="Passages to return.")


class StructureSearchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    structure: str = Field(
        min_length=1,
        max_length=1000,
        description="SMILES of the molecule (exact, similar), or a SMARTS/SMILES pattern "
        "(substructure), e.g. c[OH] for phenols.",
    )
    match: Literal["exact", "substructure", "similar"] = Field(
        "exact",
        description="exact: the same structure under any name; substructure: compounds "
        "containing the pattern; similar: Tanimoto (Morgan r=2) at least `threshold`.",
    )
    threshold: float = Field(0.7, ge=0.1, le=1.0, description="Least Tanimoto for `similar`.")
    k: int = Field(5, ge=1, le=20, description="Passages to return.")


class IndexHandle:
    """Opens the index on first search, so building the tool registry loads no model."""

    def __init__(self, directory: Path, settings: LiteratureSettings) -> None:
        self.dir = directory
        self.settings = settings
        self._index: LiteratureIndex | None = None
        self._lock = threading.Lock()

    def get(self) -> LiteratureIndex:
        from tools.literature.build import in_progress
        from tools.literature.index import LiteratureIndex

        with self._lock:
            if self._index is None:
                if not (self.dir / "index.sqlite").is_file():
                    if (status := in_progress(self.dir)) is not None:
                        raise ToolError(
                            f"the literature index is being built in the background "
                            f"({status.documents:,} of {status.expected:,} documents so far); "
                            "ask again in a minute"
                        )
                    raise ToolError(
                        f"no literature index at {self.dir}; add papers with "
                        "`chemagent index add PATH...` (`make run` builds a demo index)"
                    )
                self._index = LiteratureIndex(self.dir, self.settings)
            return self._index

    def note(self) -> str | None:
        """Said with every result while a background build is still adding documents."""
        from tools.literature.build import in_progress, progress_note

        status = in_progress(self.dir)
        return progress_note(status) if status is not None else None

    def close(self) -> None:
        with self._lock:
            index, self._index = self._index, None
        if index is not None:
            index.close()


def literature_tools(
    handle: IndexHandle, limits: ChemLimits | None = None, reranker: Reranker | None = None
) -> list[Tool]:
    """The literature tools over one index; with a `reranker` (an LLM is configured and
    literature.rerank is on) search results are re-ordered and summarised by the model."""

    @tool("search_literature", SearchLiteratureArgs)
    def search_literature(args: SearchLiteratureArgs) -> ToolResult:
        """Search the indexed papers and abstracts for passages about a topic (hybrid dense +
        lexical search); returns each passage with its document id, title, page and character
        offsets, so answers can quote and cite it."""
        index = handle.get()
        depth = max(args.k + 5, reranker.candidates if reranker else 0)
        hits = index.search(args.query, depth, "hybrid")
        extra: dict[str, object] = {}
        ranked = [Ranked(h) for h in hits]
        if reranker is not None and hits:
            ranked, extra = _reranked(reranker, args.query, hits)
        # Overlapping chunks, or a paper that repeats its abstract, often share their best
        # sentence; each quote is shown once.
        passages: list[dict[str, object]] = []
        shown: set[tuple[str, str]] = set()
        for r in ranked:
            quote = best_quote(r.hit.text, args.query)
            key = (r.hit.doc_id, " ".join(quote.lower().split()))
            if key not in shown and len(passages) < args.k:
                shown.add(key)
                judged = {} if r.relevance is None else {"relevance": r.relevance}
                passages.append(
                    {
                        **r.hit.model_dump(),
                        "quote": quote,
                        **judged,
                        **({"summary": r.summary} if r.summary else {}),
                    }
                )
        if not passages:
            summary = f"No indexed passage matches {args.query!r}."
        else:
            summary = f"{len(passages)} passages for {args.query!r}, best from {_best(passages)}."
        if extra.get("rerank_note"):
            summary += f" {extra['rerank_note']}."
        sharing = index.lexical_count(args.query)
        data = {
            "query": args.query,
            "mode": "hybrid",
            "passages": passages,
            "total": max(sharing, len(passages)),
            "not_shown": max(sharing - len(passages), 0),
            **extra,
        }
        return _result(handle, summary, data)

    @tool("search_literature_by_structure", StructureSearchArgs)
    def search_literature_by_structure(args: StructureSearchArgs) -> ToolResult:
        """Find indexed passages that mention a molecule by structure, whatever name, CAS
        number or notation they use: the exact structure, any compound containing a substructure
        (SMARTS), or similar compounds (Tanimoto); each with its document, page and quote."""
        from tools.literature.structures import search_by_structure

        index = handle.get()
        found, total = search_by_structure(
            index, args.structure, args.match, args.threshold, args.k, limits
        )
        passages = [
            {
                **f.hit.model_dump(),
                "quote": quote_around(f.hit.text, f.matched[0][0]),
                "matched": [
                    {"as_written": w, "smiles": smi, "score": sc} for w, smi, sc in f.matched
                ],
            }
            for f in found
        ]
        what = {"exact": "mentioning", "substructure": "with a compound containing"}.get(
            args.match, f"with a compound similar (Tanimoto >= {args.threshold:g}) to"
        )
        if not passages:
            summary = f"No indexed passage {what} {args.structure}."
        else:
            more = f" ({total - len(passages)} more matched)" if total > len(passages) else ""
            summary = (
                f"{len(passages)} passages {what} {args.structure}{more}, "
                f"best from {_best(passages)}."
            )
        data = {
            "query": args.structure,
            "match": args.match,
            "mode": "structure",
            "passages": passages,
            "total": total,
            "not_shown": max(total - len(passages), 0),
        }
        return _result(handle, summary, data)

    return [search_literature, search_literature_by_structure]


def _reranked(
    reranker: Reranker, query: str, hits: list[Hit]
) -> tuple[list[Ranked], dict[str, object]]:
    """The hits in the model's order, passages it judged irrelevant left out (unless it judged
    every one so: then all are kept, as retrieved, and the note says so), and what to report."""
    result = reranker.rerank(query, hits)
    extra: dict[str, object] = {"reranked_by": reranker.label, "model_calls": result.model_calls}
    if not result.judged:
        extra["rerank_note"] = result.note
        return result.ranked, extra
    judged = [r for r in result.ranked if r.relevance is not None]
    irrelevant = sum(1 for r in judged if r.relevance == 0)
    extra["judged"] = len(judged)
    extra["judged_irrelevant"] = irrelevant
    if judged and irrelevant == len(judged):
        extra["rerank_note"] = (
            f"{reranker.label} judged none of the {len(judged)} closest passages relevant to "
            "the question; they are shown as retrieved"
        )
        return [Ranked(h) for h in hits], extra
    return [r for r in result.ranked if r.relevance != 0], extra


def _best(passages: list[dict[str, object]]) -> str:
    """Where the first three passages are, for a summary."""
    return "; ".join(place(p["doc_id"], p.get("page")) for p in passages[:3])


def _result(handle: IndexHandle, summary: str, data: dict[str, object]) -> ToolResult:
    """A search result, with the background build's progress while one is adding documents."""
    if note := handle.note():
        data["note"], summary = note, f"{summary} Note: {note}."
    return ToolResult(summary=summary, data=data)
