"""The LLM writer: the chemistry core states findings as structured, cited statements.

The model does not write free text. It returns a list of statements, each with the numbers of
the observations it rests on, under a JSON schema whose citation items are an enum of the
numbers that exist, so it cannot cite a result that is not there. Each statement is then
checked against the observations it cites (not against all of them): every number, molecular
formula, SMILES and InChIKey in it must be found there. A rejected answer goes back once with
the problem named; a second rejection falls back to the template answer with a warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.answer import Citation, ungrounded_numbers
from agent.prompts import WRITER_REPAIR, WRITER_SYSTEM, writer_user
from agent.state import Evidence
from agent.templates import STRUCTURE_TOOLS, Citer
from models.chat import ChatModel, Generation, Message, parse_reply
from models.smiles import looks_like_smiles
from tools.base import ToolInputError
from tools.chem.mol import canonical_smiles
from tools.literature.quoting import passages_as_data
from tools.model.tools import MODEL_TOOLS, NOT_VERIFIED

MAX_STATEMENTS = 8
STATEMENT_CHARS = 300
MAX_CITES = 4
_FORMULA = re.compile(
    r"(?<![\w\-=#\[\]()@+/\\])((?:[A-Z][a-z]?[0-9₀-₉]*){2,})(?![\w\-=#\[\]()@+/\\])"
)
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_INCHIKEY = re.compile(r"\b[A-Z]{14}-[A-Z]{10}-[A-Z]\b")


class WriterRejected(ValueError):
    """The model's answer failed the post-check; the message says why. `usage`: what the
    attempts cost (model calls, repairs)."""

    def __init__(self, message: str, usage: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.usage = usage or {}


class Statement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=STATEMENT_CHARS)
    cites: list[int] = Field(default_factory=list, max_length=MAX_CITES)


class Statements(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="forbid")
    statements: list[Statement] = Field(min_length=1, max_length=MAX_STATEMENTS)


def answer_schema(numbers: list[int]) -> dict[str, Any]:
    """The JSON schema of a reply: statements citing only `numbers` (all bounded, so
    constrained decoding always ends)."""
    return {
        "type": "object",
        "properties": {
            "statements": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_STATEMENTS,
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string", "minLength": 1, "maxLength": STATEMENT_CHARS},
                        "cites": {
                            "type": "array",
                            "items": {"enum": numbers},
                            "maxItems": MAX_CITES,
                        },
                    },
                    "required": ["text", "cites"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["statements"],
        "additionalProperties": False,
    }


def observations(evidence: list[Evidence]) -> tuple[list[str], list[Citation]]:
    """Numbered observation lines for the prompt and the citations the numbers stand for."""
    cite = Citer()
    lines = []
    for e in evidence:
        if not e.ok:
            lines.append(f"(failed) {e.call.tool}: {e.error}")
            continue
        if e.call.tool in ("search_literature", "search_literature_by_structure"):
            passages = e.data.get("passages", [])
            numbers = [int(cite.passage(e, i).strip("[]")) for i in range(len(passages))]
            lines.append(passages_as_data(passages, numbers))
            continue
        about = f" on {e.call.label}" if e.call.label else ""
        lines.append(f"{cite(e)} {e.call.tool}{about}: {e.summary}")
    return lines, cite.citations


def _evidence_text(evidence: list[Evidence]) -> str:
    return " ".join(
        f"{e.summary} {json.dumps(e.data, ensure_ascii=False)} {json.dumps(e.call.args)}"
        for e in evidence
    )


def _formulas(text: str) -> list[str]:
    """Molecular formulas written in `text`: element symbols with counts, each element once
    (so a SMILES such as C1CC, which repeats C, is not taken for one)."""
    out = []
    for m in _FORMULA.finditer(text):
        token = m.group(1)
        symbols = re.findall(r"[A-Z][a-z]?", token)
        if any(c.isdigit() for c in token.translate(_SUBSCRIPTS)) and len(set(symbols)) == len(
            symbols
        ):
            out.append(token)
    return out


def _tokens(text: str) -> set[str]:
    return {t.strip(".:()[]{}") for t in re.split(r"[\s,;'\"]+", text)}


def _structures(tokens: set[str]) -> set[str]:
    """Canonical SMILES of every structure-looking word of the evidence."""
    out: set[str] = set()
    for token in tokens:
        if len(token) >= 2 and looks_like_smiles(token):
            try:
                out.add(canonical_smiles(token))
            except ToolInputError:
                continue
    return out


def unsupported(text: str, cited: list[Evidence]) -> list[str]:
    """What `text` states that the cited observations do not contain: numbers, molecular
    formulas, InChIKeys and SMILES (a SMILES counts if it is the same structure). Whole words
    are compared, so C2H6 is not found in C2H6O nor CCO in CCOC(C)=O."""
    known_text = _evidence_text(cited)
    known = _tokens(known_text)
    problems = [f"number {n}" for n in ungrounded_numbers(text, cited)]
    known_formulas = {m.group(1).translate(_SUBSCRIPTS) for m in _FORMULA.finditer(known_text)}
    formulas = _formulas(text)
    problems += [f"formula {f}" for f in formulas if f.translate(_SUBSCRIPTS) not in known_formulas]
    problems += [f"InChIKey {k}" for k in _INCHIKEY.findall(text) if k not in known]
    structures: set[str] | None = None
    for raw in text.split():
        token = raw.strip(".,;:()[]\"'`")
        if len(token) < 4 or token in known or token in formulas or not looks_like_smiles(token):
            continue
        try:
            smiles = canonical_smiles(token)
        except ToolInputError:
            problems.append(f"SMILES {token} (RDKit cannot parse it)")
            continue
        structures = _structures(known) if structures is None else structures
        if smiles not in structures:
            problems.append(f"SMILES {token}")
    return problems


def model_of(cited: list[Evidence]) -> str:
    """Who a model tool's answer is from, as its result names it."""
    return next((str(e.data["model"]) for e in cited if e.data.get("model")), "the model")


def check_statements(
    reply: Statements, citations: list[Citation], evidence: list[Evidence]
) -> tuple[str, list[Citation]]:
    """The rendered answer and the citations it uses; raises `WriterRejected` naming every
    statement that says what its cited observations do not."""
    by_number = {c.number: c for c in citations}
    by_id = {e.id: e for e in evidence}
    problems, parts, used = [], [], set[int]()
    for i, st in enumerate(reply.statements, 1):
        text = re.sub(r"\s*\[\d+\]", "", st.text).strip()
        if not text:
            continue
        if unknown := [n for n in st.cites if n not in by_number]:
            problems.append(f"statement {i} cites [{unknown[0]}], which names no observation")
            continue
        cited = [by_id[by_number[n].evidence_id] for n in dict.fromkeys(st.cites)]
        if bad := unsupported(text, cited):
            where = "its cited observations" if cited else "any observation (it cites none)"
            problems.append(f"statement {i} gives {', '.join(bad)}, not found in {where}")
            continue
        used.update(st.cites)
        if any(e.call.tool in MODEL_TOOLS for e in cited) and NOT_VERIFIED not in text:
            text = f"{text.rstrip('.')} ({model_of(cited)}, {NOT_VERIFIED})."
        marks = "".join(f"[{n}]" for n in dict.fromkeys(st.cites))
        parts.append(f"{text} {marks}".strip() if marks else text)
    if not problems and not parts:
        problems.append("the answer is empty")
    # Every result gathered for the question is part of the answer (a passage search counts
    # once any of its passages is cited); structures found for names or drawings only prepare
    # the others.
    cited_ids = {by_number[n].evidence_id for n in used}
    left_out = [
        c
        for c in citations
        if c.evidence_id not in cited_ids
        and c.tool not in STRUCTURE_TOOLS
        and (
            c.kind != "passage"
            or c.number == min(d.number for d in citations if d.evidence_id == c.evidence_id)
        )
    ]
    if left_out and not problems:
        problems.append(
            "it leaves out the results " + ", ".join(f"[{c.number}] {c.tool}" for c in left_out)
        )
    if problems:
        raise WriterRejected("; ".join(problems))
    return " ".join(parts), [c for c in citations if c.number in used]


@dataclass
class Written:
    """An accepted answer, and what writing it cost."""

    text: str
    citations: list[Citation]
    usage: dict[str, int] = field(default_factory=dict)


class LLMWriter:
    """Writes answers with a `ChatModel` as checked statements.

    Args:
        model: the chemistry LLM. max_tokens: most tokens in one reply.
        repairs: how many times a rejected answer is sent back with the problem.
    """

    def __init__(self, model: ChatModel, max_tokens: int = 512, repairs: int = 1) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.repairs = repairs

    def messages(
        self, question: str, evidence: list[Evidence]
    ) -> tuple[list[Message], list[Citation]]:
        lines, citations = observations(evidence)
        return (
            [
                Message(role="system", content=WRITER_SYSTEM),
                Message(role="user", content=writer_user(question, lines)),
            ],
            citations,
        )

    def write(self, question: str, evidence: list[Evidence], calls_left: int = 2) -> Written:
        """The checked answer; raises `WriterRejected` (with `.usage`) or `ModelError`."""
        messages, citations = self.messages(question, evidence)
        schema = answer_schema([c.number for c in citations])
        gen = Generation(max_tokens=self.max_tokens)
        usage = {"model_calls": 0, "writer_repairs": 0}
        problem = "no model calls were left in the question's budget (agent.max_model_calls)"
        for attempt in range(min(self.repairs + 1, calls_left)):
            usage["model_calls"] += 1
            raw = self.model.complete_json(messages, schema, gen)
            # No tokenizer writes more than about 8 characters a token: a longer reply was not
            # cut at max_tokens by the server (or is runaway output); not worth a repair.
            if len(raw) > 8 * self.max_tokens:
                raise WriterRejected(
                    f"the reply is {len(raw):,} characters, more than {self.max_tokens} tokens "
                    "can hold (llm.max_tokens): the server ignored the limit or the model ran "
                    "away",
                    {**usage, "writer_rejected": 1},
                )
            try:
                reply = parse_reply(Statements, raw)
                text, kept = check_statements(reply, citations, evidence)
                return Written(text, kept, {**usage, "writer_accepted": 1})
            except ValueError as exc:  # a reply that does not parse, or a WriterRejected
                problem = str(exc)
            if attempt < min(self.repairs, calls_left - 1):
                usage["writer_repairs"] += 1
                messages = [
                    *messages,
                    Message(role="assistant", content=raw),
                    Message(role="user", content=WRITER_REPAIR.format(problem=problem)),
                ]
        raise WriterRejected(problem, {**usage, "writer_rejected": 1})
