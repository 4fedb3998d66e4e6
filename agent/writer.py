"""The LLM writer: the chemistry core writes the answer from the observations, then is checked.

The model sees each tool result and each retrieved passage under a number and may cite only
those numbers. Its reply is rejected (and the template answer shown instead) if it cites a
number that does not exist, cites nothing although there are results, or writes a SMILES that
RDKit cannot parse, writes a number that appears in no observation, or is longer than its token
limit allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from agent.answer import Citation, ungrounded_numbers
from agent.prompts import WRITER_SYSTEM, writer_user
from agent.state import Evidence
from agent.templates import Citer
from models.chat import ChatModel, Generation, Message
from tools.base import ToolInputError
from tools.chem.mol import canonical_smiles, looks_like_smiles
from tools.literature.tools import passages_as_data

_MARKER = re.compile(r"\[(\d+)\]")


class WriterRejected(ValueError):
    """The model's answer failed the post-check; the message says why."""


def observations(evidence: list[Evidence]) -> tuple[list[str], list[Citation]]:
    """Numbered observation lines for the prompt and the citations the numbers stand for."""
    cite = Citer()
    lines = []
    for e in evidence:
        if not e.ok:
            lines.append(f"(failed) {e.call.tool}: {e.error}")
            continue
        if e.call.tool == "search_literature":
            passages = e.data.get("passages", [])
            numbers = [int(cite.passage(e, i).strip("[]")) for i in range(len(passages))]
            lines.append(passages_as_data(passages, numbers))
            continue
        about = f" on {e.call.label}" if e.call.label else ""
        lines.append(f"{cite(e)} {e.call.tool}{about}: {e.summary}")
    return lines, cite.citations


def bad_smiles(text: str, evidence_text: str) -> list[str]:
    """SMILES-looking words of `text` that RDKit rejects (words found in the evidence are fine)."""
    bad = []
    for raw in text.split():
        token = raw.strip(".,;:()[]\"'`")
        if len(token) < 4 or token in evidence_text or not looks_like_smiles(token):
            continue
        try:
            canonical_smiles(token)
        except ToolInputError:
            bad.append(token)
    return bad


def check_answer(
    text: str, citations: list[Citation], evidence: list[Evidence]
) -> tuple[list[Citation], list[str]]:
    """The citations the answer uses, and flags; raises `WriterRejected` on a failed check."""
    if not text.strip():
        raise WriterRejected("the answer is empty")
    numbers = {c.number for c in citations}
    used = {int(n) for n in _MARKER.findall(text)}
    if unknown := sorted(used - numbers):
        raise WriterRejected(f"it cites [{'], ['.join(map(str, unknown))}], which name no result")
    if numbers and not used:
        raise WriterRejected("it cites none of the tool results")
    evidence_text = " ".join(e.summary + " " + str(e.data) for e in evidence)
    if smiles := bad_smiles(text, evidence_text):
        raise WriterRejected(f"it writes SMILES that RDKit cannot parse: {', '.join(smiles)}")
    if loose := ungrounded_numbers(text, evidence):
        raise WriterRejected(f"it writes numbers found in no tool result: {', '.join(loose)}")
    return [c for c in citations if c.number in used], []


class LLMWriter:
    """Writes answers with a `ChatModel`, held to `check_answer`."""

    def __init__(self, model: ChatModel, max_tokens: int = 512) -> None:
        self.model = model
        self.max_tokens = max_tokens

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

    def write(
        self, question: str, evidence: list[Evidence]
    ) -> tuple[str, list[Citation], list[str]]:
        """Answer text, its citations and flags; raises `WriterRejected` or `ModelError`."""
        messages, citations = self.messages(question, evidence)
        text = self.model.complete(messages, Generation(max_tokens=self.max_tokens)).strip()
        # No tokenizer writes more than about 8 characters a token: a longer reply was not cut
        # at max_tokens by the server (or is runaway output), and is not shown.
        if len(text) > 8 * self.max_tokens:
            raise WriterRejected(
                f"the reply is {len(text):,} characters, more than {self.max_tokens} tokens can "
                "hold (llm.max_tokens): the server ignored the limit or the model ran away"
            )
        kept, flags = check_answer(text, citations, evidence)
        return text, kept, flags

    def stream(self, question: str, evidence: list[Evidence]) -> Iterator[str]:
        """The model's answer as it is generated (unchecked: for showing progress only)."""
        messages, _ = self.messages(question, evidence)
        yield from self.model.stream(messages, Generation(max_tokens=self.max_tokens))
