"""Literature evidence recall on ChemRxivQuest's dev questions (the rule in evals/retrieval.py):
a question is found at k when one of the top-k passages comes from its paper and holds at least
half of the evidence's words. Run it with `tool:search_literature` over an index of the papers
(`chemagent index add ../shared/data/literature/chemrxivquest/full-text`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.retrieval import EvidenceQuestion, first_hit_rank, load_questions, recall_at
from evals.tasks.base import Example, Output, shared_data

K = 10


class LiteratureRecallTask:
    name: str = "literature-recall"
    description: str = "ChemRxivQuest dev (641): evidence recall@1/5/10 (tool:search_literature)"
    output: Output = "text"

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        folder = Path(data_dir) if data_dir else shared_data() / "literature" / "chemrxivquest"
        path = folder / "questions.dev.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: give --data the chemrxivquest folder")
        return [
            Example(
                id=f"{self.name}-{i}",
                messages=[{"role": "user", "content": q.question}],
                input=q.question,
                reference={"doc_id": q.doc_id, "evidence": list(q.evidence)},
            )
            for i, q in enumerate(load_questions(path))
        ]

    @staticmethod
    def rank(prediction: str, example: Example) -> int | None:
        ref = example.reference
        q = EvidenceQuestion(str(example.input), ref["doc_id"], tuple(ref["evidence"]))
        hits = [(h["doc_id"], h["text"]) for h in json.loads(prediction or "[]")]
        return first_hit_rank(q, hits)

    def score(self, prediction: str, example: Example) -> dict[str, float]:
        r = self.rank(prediction, example)
        return {f"recall@{k}": float(r is not None and r <= k) for k in (1, 5, K)}

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]:
        ranks = []
        for rec in records:
            s = rec.get("scores", {})
            ranks.append(
                1
                if s.get("recall@1")
                else 5
                if s.get("recall@5")
                else K
                if s.get(f"recall@{K}")
                else None
            )
        return {f"recall@{k}": recall_at(ranks, k) for k in (1, 5, K)}


class ChemLitQATask:
    """ChemLit-QA passage retrieval (evals/chemlit.py): each question's own passage among the
    other passages of its paper (and, with the BC5CDR abstracts, many other papers)."""

    name: str = "chemlit-qa"
    description: str = (
        "ChemLit-QA (139): gold-passage recall@1/5/10 and MRR among same-paper hard negatives "
        "(tool:search_literature)"
    )
    output: Output = "text"

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        from evals.chemlit import load

        folder = Path(data_dir) if data_dir else shared_data() / "literature" / "chemlit_qa"
        docs, questions = load(folder)
        return [
            Example(
                id=f"{self.name}-{i}",
                messages=[{"role": "user", "content": q.question}],
                input=q.question,
                # The passages of the question's row go with it, so a slice indexes only them.
                reference={
                    "gold": q.gold,
                    "part": q.part,
                    "passages": {d: docs[d] for d in q.passages},
                },
            )
            for i, q in enumerate(questions)
        ]

    def score(self, prediction: str, example: Example) -> dict[str, float]:
        from evals.chemlit import gold_rank

        try:
            docs = json.loads(prediction or "[]")
        except json.JSONDecodeError:
            docs = []  # not a ranking (e.g. a language model's text): nothing retrieved
        ranked = [str(d) for d in docs] if isinstance(docs, list) else []
        rank = gold_rank(example.reference["gold"], ranked)
        out = {f"recall@{k}": float(rank is not None and rank <= k) for k in (1, 5, K)}
        out["rr"] = 1.0 / rank if rank else 0.0
        return out

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]:
        n = max(len(records), 1)
        keys = (*(f"recall@{k}" for k in (1, 5, K)), "rr")
        out = {k: sum(r.get("scores", {}).get(k, 0.0) for r in records) / n for k in keys}
        out["mrr"] = out.pop("rr")
        return out
