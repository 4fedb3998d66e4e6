"""A resumable batch from Python: a JSONL file of questions in, one JSON line per answer out."""

import json
import tempfile
from pathlib import Path

from agent import Assistant

folder = Path(tempfile.mkdtemp())
questions = folder / "questions.jsonl"
questions.write_text(
    '{"id": 1, "question": "formula of caffeine"}\n'
    '{"id": 2, "question": "Is CC(C)Cc1ccc(cc1)C(C)C(=O)O drug-like?"}\n'
)
answers = folder / "answers.jsonl"
with Assistant() as a:
    report = a.batch(questions, answers, concurrency=2)
    print(f"{report.answered} answered, {report.failed} failed")
    again = a.batch(questions, answers)  # run again (or after a kill): answered ids are skipped
    print(f"rerun: {again.answered} answered, {again.skipped} already done")
records = [json.loads(line) for line in answers.read_text().splitlines()]
for rec in sorted(records, key=lambda r: r["id"]):  # lines are appended as answers finish
    print(rec["id"], rec["ok"], rec["answer"]["text"].splitlines()[-1])
