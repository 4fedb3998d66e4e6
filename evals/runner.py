"""Run a system over a task's examples, appending each prediction to JSONL as it comes.

A rerun skips examples already predicted (a killed run resumes where it stopped; a torn last
line is cut off), and the summary is computed from the whole file, so it is the same however
many runs it took.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agent.batch import read_done
from evals.systems import System
from evals.tasks.base import Example, Task

logger = logging.getLogger(__name__)


class RunResult(BaseModel):
    task: str
    system: str
    n: int
    failed: int
    metrics: dict[str, float]
    predictions: str


def predictions_path(out_dir: Path, task: str, system: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", system).strip("_")
    return Path(out_dir) / f"{task}__{slug}.jsonl"


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def run_task(
    task: Task,
    system: System,
    examples: list[Example],
    out_dir: Path,
    concurrency: int = 1,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Predict every example not yet in the task's predictions file, then score the file."""
    path = predictions_path(out_dir, task.name, system.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = read_done(path)
    wanted = {e.id for e in examples}
    todo = [e for e in examples if e.id not in done]
    system.prepare(todo)
    lock = threading.Lock()

    def one(ex: Example) -> dict[str, Any]:
        try:
            pred = system.predict(ex)
        except Exception as exc:  # one bad example must not stop the run
            logger.warning("%s %s failed: %s", task.name, ex.id, exc)
            return {
                "id": ex.id,
                "ok": False,
                "group": ex.group,
                "reference": ex.reference,
                "error": f"{exc}"[:500],
            }
        rec = {"id": ex.id, "ok": True, "group": ex.group, "prediction": pred}
        rec["reference"] = ex.reference
        rec["scores"] = task.score(pred, ex)
        return rec

    with path.open("ab") as fh, ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for fut in as_completed([pool.submit(one, e) for e in todo]):
            rec = fut.result()
            data = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
            with lock:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if on_result is not None:
                on_result(rec)
    # Latest record per id, limited to this run's examples (a --limit rerun stays comparable).
    latest: dict[str, dict[str, Any]] = {}
    for rec in read_records(path):
        if rec["id"] in wanted:
            latest[rec["id"]] = rec
    records = list(latest.values())
    return RunResult(
        task=task.name,
        system=system.name,
        n=len(records),
        failed=sum(not r["ok"] for r in records),
        metrics=task.summarize(records),
        predictions=str(path),
    )
