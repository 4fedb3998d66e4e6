"""The `Answer` every interface returns, and the check that its numbers come from tool results."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.state import Evidence


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Citation(_Model):
    """What a marker [n] in the answer text points to: a tool result or a literature passage."""

    number: int
    evidence_id: str
    kind: Literal["tool", "passage"] = "tool"
    tool: str
    summary: str


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
    thread_id: str | None = None


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


def dump_json(answer: Answer) -> str:
    return json.dumps(answer.model_dump(mode="json"), indent=2, ensure_ascii=False)
