"""Batch runs: results appended as they finish, failures recorded, reruns resume."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.batch import BatchError


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_batch_answers_and_records_failures(assistant, tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": 1, "question": "formula of CCO"},
            {"id": "b", "question": ""},
            {"id": "c", "question": "logP of caffeine"},
            {"id": "d", "question": "What is this?", "images": [str(tmp_path / "missing.png")]},
        ],
    )
    (tmp_path / "in.jsonl").write_text(
        (tmp_path / "in.jsonl").read_text() + '{"question": "no id"}\n'
    )
    out = tmp_path / "out.jsonl"
    report = assistant.batch(src, out, concurrency=2)
    rows = {str(r["id"]): r for r in read_jsonl(out)}
    assert report.answered == 2 and report.failed == 3
    assert "C2H6O" in rows["1"]["answer"]["text"]
    assert "empty question" in rows["b"]["error"]
    assert "image not found" in rows["d"]["error"]
    assert "line 5" in rows["line-5"]["error"] and "id" in rows["line-5"]["error"]


def test_rerun_skips_answered_and_repairs_a_torn_line(assistant, tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl", [{"id": i, "question": f"MW of {'C' * (i + 1)}"} for i in range(4)]
    )
    out = tmp_path / "out.jsonl"
    # A previous run answered ids 0 and 1, then was killed while writing id 2.
    out.write_text(
        json.dumps({"id": 0, "ok": True, "answer": {}})
        + "\n"
        + json.dumps({"id": 1, "ok": True, "answer": {}})
        + "\n"
        + '{"id": 2, "ok": tr'
    )
    report = assistant.batch(src, out)
    assert report.skipped == 2 and report.answered == 2
    rows = read_jsonl(out)  # every line parses again
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 3]


def test_duplicate_ids_are_refused_before_any_work(assistant, tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl", [{"id": 1, "question": "a"}, {"id": 1, "question": "b"}]
    )
    with pytest.raises(BatchError, match="appears twice"):
        assistant.batch(src, tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.slow
def test_killed_batch_resumes_without_losing_or_repeating(chemagent_home, tmp_path):
    n = 300
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "id": f"q{i}",
                "question": f"What are the logP, TPSA and QED of {'C' * (i % 20 + 1)}O?",
            }
            for i in range(n)
        ],
    )
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "CHEMAGENT_HOME": str(chemagent_home)}
    cmd = [
        sys.executable,
        "-m",
        "agent",
        "batch",
        str(src),
        "--out",
        str(out),
        "--concurrency",
        "1",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 5):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(out.read_text().splitlines())
    assert 5 <= before < n, "the batch should have been killed part-way"
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    ids = [row["id"] for row in read_jsonl(out)]
    assert sorted(ids) == sorted(f"q{i}" for i in range(n))  # none lost, none repeated
    answered, done = re.search(r"(\d+) answered, 0 failed, (\d+) already done", r.stderr).groups()
    assert int(done) >= 5 and int(answered) + int(done) == n


def test_missing_input_file(assistant, tmp_path):
    with pytest.raises(BatchError, match="not found"):
        assistant.batch(tmp_path / "none.jsonl", tmp_path / "out.jsonl")
