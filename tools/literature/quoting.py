"""How retrieved passages are shown: exact quotes for answers, where a passage is, and passages
fenced as data for an LLM prompt.

Passages are data, never instructions: the template writer copies short exact quotes, and
`passages_as_data` fences them for an LLM prompt so a paper that says "ignore previous
instructions" cannot close its own fence. Pure string functions, used by the search tool, the
re-ranker, the writer and the CLI, so none of them imports another for them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from tools.literature.chunking import sentence_spans
from tools.literature.words import content_words


def best_quote(passage: str, query: str, max_chars: int = 280) -> str:
    """The passage's sentence sharing most content words with the query, as an exact substring.

    Long sentences are cut at a word boundary; the result is always `passage[a:b]` for some a, b,
    so a quote can be checked against the passage it claims to come from.
    """
    wanted = set(content_words(query))
    spans = sentence_spans(passage) or [(0, len(passage))]

    def overlap(span: tuple[int, int]) -> int:
        return len(wanted & set(content_words(passage[span[0] : span[1]])))

    a, b = max(spans, key=overlap)  # max keeps the first of equals: earlier sentences win ties
    if b - a > max_chars:
        cut = passage.rfind(" ", a, a + max_chars)
        b = cut if cut > a else a + max_chars
    return passage[a:b].rstrip()


def quote_around(passage: str, surface: str, max_chars: int = 280) -> str:
    """The sentence of the passage that writes `surface` (exact substring), else its first."""
    at = passage.find(surface)
    spans = sentence_spans(passage) or [(0, len(passage))]
    a, b = next(((a, b) for a, b in spans if a <= at < b), spans[0])
    if b - a > max_chars:
        cut = passage.rfind(" ", a, a + max_chars)
        b = cut if cut > a else a + max_chars
    return passage[a:b].rstrip()


def place(doc_id: object, page: object) -> str:
    """Where a passage is, as answers and the CLI write it: "paper.pdf, p. 3" or "0.txt"."""
    return f"{doc_id}, p. {page}" if page else str(doc_id)


def passages_as_data(
    passages: list[dict[str, object]], numbers: Sequence[int] | None = None
) -> str:
    """Passages fenced for an LLM prompt as quoted data, with markup in them escaped.

    Escaping `<` and `>` means a passage can never end its own <passage> element, whatever it
    says; the prompt tells the model that text inside these elements is material to cite, not
    instructions to follow. `numbers` are the citation numbers the passages go by (default
    1, 2, ...).
    """
    blocks = []
    for n, p in zip(numbers or range(1, len(passages) + 1), passages, strict=True):
        attrs = f'n="{n}" doc="{html.escape(str(p["doc_id"]))}"'
        if p.get("page"):
            attrs += f' page="{p["page"]}"'
        blocks.append(f"<passage {attrs}>\n{html.escape(str(p['text']), quote=False)}\n</passage>")
    return "\n".join(blocks)
