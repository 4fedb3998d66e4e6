"""The `Answer` every interface returns, and the check that its numbers come from tool results."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.state import Evidence


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Passage(_Model):
    """Where a cited passage is: enough to open the paper at the quoted words."""

    doc_id: str
    title: str
    page: int | None = None
    start: int
    end: int
    quote: str = Field(description="The words quoted in the answer; a substring of the passage.")


class Citation(_Model):
    """What a marker [n] in the answer text points to: a tool result or a literature passage."""

    number: int
    evidence_id: str
    kind: Literal["tool", "passage"] = "tool"
    tool: str
    summary: str
    passage: Passage | None = None


class Step(_Model):
    """One tool call of the trace."""

    tool: str
    args: dict[str, Any]
    ok: bool
    seconds: float
    summary: str


class Molecule(_Model):
    """A molecule the answer is about."""

    smiles: str
    name: str | None = None


class Answer(_Model):
    """The assistant's reply; `chemagent ask --json` prints exactly this object."""

    question: str
    text: str
    citations: list[Citation] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    molecules: list[Molecule] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    refused: bool = False
    usage: dict[str, int] = Field(
        default_factory=dict,
        description="What the question cost the LLM: model_calls, plans_by_rules, "
        "plans_by_model, plan_repairs, plan_fallbacks, calls_added, calls_dropped, "
        "writer_accepted, writer_rejected, writer_repairs.",
    )
    thread_id: str | None = None
    notes: list[str] = Field(
        default_factory=list,
        description="How the answer was produced, said once per thread (e.g. no LLM configured).",
    )


_NUMBER_TOKEN = re.compile(r"^[-−]?\d+(?:\.\d+)?$")
_NUMBER_ANYWHERE = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?")


def _walk(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _walk(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _walk(v)]
    return [str(value)]


def grounded_numbers(evidence: list[Evidence]) -> set[str]:
    """Every way a number in the evidence may legitimately be written (rounded to 0-4 places)."""
    out: set[str] = set()
    for e in evidence:
        texts = [e.summary, e.error or "", *_walk(e.data), *_walk(e.call.args)]
        for text in texts:
            for m in _NUMBER_ANYWHERE.finditer(text):
                raw = m.group(0).replace("−", "-")
                out.add(raw)
                value = float(raw)
                for d in range(5):
                    shown = f"{value:.{d}f}"
                    out.update((shown, shown.lstrip("-")) if float(shown) == 0 else (shown,))
    return out


def ungrounded_numbers(text: str, evidence: list[Evidence]) -> list[str]:
    """Numbers in `text` that no tool result contains; citation markers [n] are ignored."""
    known = grounded_numbers(evidence)
    stripped = re.sub(r"\[\d+\]", " ", text)
    bad = []
    for raw in re.split(r"[\s,;()]+", stripped):
        token = raw.strip(":.%").replace("−", "-")
        if _NUMBER_TOKEN.match(token) and token not in known:
            bad.append(token)
    return bad


_MARKER = re.compile(r"\[(\d+)\]")


def check_citations(
    text: str, citations: list[Citation], evidence: list[Evidence]
) -> tuple[list[Citation], list[str]]:
    """The citations that trace to the evidence, and what is wrong with the others.

    A marker must name a citation; a citation must name successful evidence in the state; a
    passage citation must be one of the passages search actually returned (same document and
    offsets) and quote words that are in it. Any writer, template or LLM, is held to this, and
    a citation that fails is dropped rather than shown.
    """
    problems = [
        f"[{n}] cites nothing"
        for n in sorted({int(m) for m in _MARKER.findall(text)} - {c.number for c in citations})
    ]
    by_id = {e.id: e for e in evidence}
    kept = []
    for c in citations:
        e = by_id.get(c.evidence_id)
        if e is None or not e.ok:
            problems.append(f"[{c.number}] cites {c.evidence_id}, which is not a result")
            continue
        if c.kind == "passage":
            p = c.passage
            retrieved = [
                str(r.get("text", ""))
                for r in e.data.get("passages", [])
                if p is not None
                and (r.get("doc_id"), r.get("start"), r.get("end")) == (p.doc_id, p.start, p.end)
            ]
            if p is None or not retrieved:
                problems.append(f"[{c.number}] cites a passage that was not retrieved")
                continue
            if p.quote not in retrieved[0]:
                problems.append(f"[{c.number}] quotes words that are not in the passage")
                continue
        kept.append(c)
    return kept, problems


def dump_json(answer: Answer) -> str:
    return json.dumps(answer.model_dump(mode="json"), indent=2, ensure_ascii=False)
