"""Batch jobs survive the server: SIGKILL mid-job, restart, every id answered exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api_server import free_port

NAMES = [
    "aspirin", "caffeine", "ethanol", "benzene", "toluene", "phenol", "acetone", "glucose",
    "ibuprofen", "paracetamol", "nicotine", "morphine", "urea", "glycine", "alanine",
]  # fmt: skip


def start(home: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "CHEMAGENT_HOME": str(home), "CHEMAGENT_API__BATCH_CONCURRENCY": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.1)


@pytest.mark.slow
def test_a_killed_server_finishes_the_job_after_restart_each_id_once(chemagent_home):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    questions = [
        {
            "id": f"q{i:02d}",
            "question": f"Compare the logP, TPSA and molecular weight of {a} and {b}",
        }
        for i, (a, b) in enumerate(zip(NAMES + NAMES, NAMES[1:] + NAMES + NAMES[:1], strict=False))
    ][:30]
    proc = start(chemagent_home, port)
    try:
        job = httpx.post(url + "/v1/batches", json=questions).json()["id"]
        deadline = time.time() + 120
        while (p := httpx.get(f"{url}/v1/batches/{job}").json())["answered"] < 3:
            assert time.time() < deadline, p
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert 0 < p["answered"] < 30, p  # killed mid-job
    finally:
        proc.kill()
    proc = start(chemagent_home, port)
    try:
        deadline = time.time() + 300
        while (p := httpx.get(f"{url}/v1/batches/{job}").json())["status"] != "done":
            assert time.time() < deadline, p
            time.sleep(0.2)
        rows = [
            json.loads(x) for x in httpx.get(f"{url}/v1/batches/{job}/results").text.splitlines()
        ]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert [r["id"] for r in rows] == [q["id"] for q in questions]  # each once, in input order
    assert all(r["ok"] for r in rows), [r for r in rows if not r["ok"]][:2]
    assert (p["answered"], p["pending"], p["failed"]) == (30, 0, 0)


@pytest.mark.slow
def test_a_cancelled_job_stops_and_keeps_what_was_answered(chemagent_home):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(chemagent_home, port)
    try:
        questions = [f"What is the TPSA of {n}?" for n in NAMES]
        job = httpx.post(url + "/v1/batches", json={"questions": questions}).json()["id"]
        p = httpx.delete(f"{url}/v1/batches/{job}").json()
        assert p["status"] == "cancelled" and p["cancelled"] >= 1
        time.sleep(1.0)
        after = httpx.get(f"{url}/v1/batches/{job}").json()
        assert after["answered"] <= p["answered"] + 1  # at most the one being answered
        rows = httpx.get(f"{url}/v1/batches/{job}/results").text.splitlines()
        assert len(rows) == after["answered"] + after["failed"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
