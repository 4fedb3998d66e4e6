"""ChemLit-QA as a passage-retrieval benchmark (the dataset's MANIFEST suggests it).

Every passage of `chemlit_qa_neg_dataset.csv` (each row's `chunk` and its 5 `similar_chunks`,
which are other passages of the same paper: hard negatives) is one document, deduplicated by
exact text: 606 documents. A question is found at k when its own `chunk` is among the first k
*documents* retrieved (passages of one document count once, at their best rank). With
`distractors`, the 1,500 BC5CDR abstracts are indexed beside them, as a user's index holds many
papers. Questions are split by a hash of their text into a half to tune on and a half to report.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

NEG_FILE = "chemlit_qa_neg_dataset.csv"


@dataclass(frozen=True)
class PassageQuestion:
    question: str
    gold: str  # doc id of the passage the question was written from
    part: str  # "tune" or "report"
    passages: tuple[str, ...] = ()  # doc ids of its row: the gold passage and its negatives


def doc_id(text: str) -> str:
    return "chemlit-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def part_of(question: str) -> str:
    """A fixed half of the questions to tune on, the other half to report (by text hash)."""
    return "tune" if hashlib.sha256(question.encode("utf-8")).digest()[0] % 2 == 0 else "report"


def load(folder: Path) -> tuple[dict[str, str], list[PassageQuestion]]:
    """Documents (id -> passage text) and the questions with their gold document."""
    path = folder / NEG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: give the chemlit_qa folder of the shared data")
    docs: dict[str, str] = {}
    questions = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            passages = [row["chunk"], *ast.literal_eval(row["similar_chunks"])]
            for text in passages:
                docs.setdefault(doc_id(text), text)
            q = row["Question"].strip()
            ids = tuple(doc_id(t) for t in passages)
            questions.append(PassageQuestion(q, doc_id(row["chunk"]), part_of(q), ids))
    return docs, questions


def write_corpus(docs: dict[str, str], out: Path, distractors: Path | None = None) -> int:
    """The documents as JSONL (`id`, `title`, `text`) for `chemagent index add`; with the BC5CDR
    abstracts file as `distractors`, those too. Returns the number of documents written."""
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for i, text in docs.items():
            fh.write(json.dumps({"id": i, "title": "ChemLit-QA passage", "text": text}) + "\n")
            n += 1
        if distractors is not None:
            for line in distractors.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line)
                body = f"{rec['title']} {rec['abstract']}".strip()
                fh.write(
                    json.dumps({"id": f"pmid-{rec['pmid']}", "title": rec["title"], "text": body})
                    + "\n"
                )
                n += 1
    return n


def document_ranking(hit_docs: Iterable[str]) -> list[str]:
    """Documents in the order their first passage was retrieved."""
    return list(dict.fromkeys(hit_docs))


def gold_rank(gold: str, hit_docs: Iterable[str]) -> int | None:
    """1-based rank of the gold document among the retrieved documents, or None."""
    ranked = document_ranking(hit_docs)
    return ranked.index(gold) + 1 if gold in ranked else None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / max(len(ranks), 1)


def mrr(ranks: Sequence[int | None]) -> float:
    """Mean reciprocal rank (0 for a question whose gold document was not retrieved)."""
    return sum(1.0 / r for r in ranks if r) / max(len(ranks), 1)


MULTI_FILE = "chemlit_qa_multi_dataset.no_test_overlap.csv"


def _normal(text: str) -> str:
    return " ".join(re.sub(r"\W+", " ", text.lower()).split())


def embedder_pairs(folder: Path) -> list[tuple[str, str, str | None]]:
    """(question, passage, hard negative or None) to fine-tune the embedding model on, with no
    report-half question and no benchmark passage as a positive for a question outside the
    tuning half: the tuning half's questions with their gold passage and one of its row's
    other passages; and the multi-hop file's questions (base and rewritten) with their joined
    `Context` sentences, only for rows none of whose sentences is in the 606 benchmark
    passages (248 of 614)."""
    docs, questions = load(folder)
    out: list[tuple[str, str, str | None]] = []
    for q in questions:
        if q.part == "tune":
            negative = next((docs[d] for d in q.passages if d != q.gold), None)
            out.append((q.question, docs[q.gold], negative))
    corpus = [_normal(t) for t in docs.values()]
    for base, rewritten, context in _multihop_rows(folder):
        if any(_normal(s) in p for s in context for p in corpus):
            continue
        passage = " ".join(context)
        for question in dict.fromkeys((base, rewritten)):
            out.append((question, passage, None))
    return list(dict.fromkeys(out))


def _multihop_rows(folder: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(base question, rewritten question, `Context` sentences) of each usable multi-hop row."""
    with open(folder / MULTI_FILE, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                context = [str(s) for s in ast.literal_eval(row["Context"])]
            except (ValueError, SyntaxError):
                continue
            if not context or any(len(s) < 2 for s in context):
                continue  # the one malformed row is split into single characters
            yield row["Question"].strip(), row["Updated_question"].strip(), context


@dataclass(frozen=True)
class MultiHopQuestion:
    """A multi-hop file question whose first `Context` sentence is in benchmark passages:
    `gold` are those passages; `form` is "base" or "rewritten" (the bridge entity replaced by
    a description, a paraphrase)."""

    question: str
    gold: frozenset[str]
    form: str


def multihop_questions(folder: Path) -> list[MultiHopQuestion]:
    """A second validation set for choosing retrieval settings (no report-half question is
    in it): 217 rows of the multi-hop file, in both forms."""
    docs, _ = load(folder)
    normal = {d: _normal(t) for d, t in docs.items()}
    out = []
    for base, rewritten, context in _multihop_rows(folder):
        first = _normal(context[0])
        gold = frozenset(d for d, t in normal.items() if first and first in t)
        if gold:
            out.append(MultiHopQuestion(base, gold, "base"))
            out.append(MultiHopQuestion(rewritten, gold, "rewritten"))
    return out
