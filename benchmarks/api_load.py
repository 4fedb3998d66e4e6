"""The HTTP server under load against the in-process assistant, in the same run.

(a) in process: `Assistant.batch` answers N RDKit questions (concurrency C).
(b) over HTTP: a real `chemagent api` process; 32 concurrent clients post the same N questions
    to /v1/ask (keep-alive connections). Throughput ratio (b)/(a), p50/p99 latency, errors.
(c) overload: the same server restarted with 2 workers and 4 waiting places, 64 clients at once:
    how many requests get 429 (and that none gets 500).

Run: `python benchmarks/api_load.py [--questions 500] [--clients 32]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAMES = [
    "aspirin", "caffeine", "ethanol", "benzene", "toluene", "phenol", "acetone", "glucose",
    "ibuprofen", "paracetamol", "nicotine", "urea", "glycine", "alanine", "naphthalene",
    "pyridine", "acetic acid", "methanol", "cyclohexane", "styrene",
]  # fmt: skip
ASKS = ["molecular weight", "logP", "TPSA", "formula", "number of rotatable bonds"]


def questions(n: int) -> list[str]:
    return [f"What is the {ASKS[i % len(ASKS)]} of {NAMES[i % len(NAMES)]}?" for i in range(n)]


def in_process(qs: list[str], home: Path, concurrency: int) -> float:
    from agent import Assistant

    home.mkdir(parents=True, exist_ok=True)
    src = home / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "question": q}) + "\n" for i, q in enumerate(qs)))
    with Assistant({"home": home}) as a:
        a.ask("What is the formula of water?")  # warm: imports, name table
        start = time.perf_counter()
        report = a.batch(src, home / "out.jsonl", concurrency=concurrency)
        seconds = time.perf_counter() - start
    assert report.failed == 0, report
    return seconds


def start_server(home: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    full = {**os.environ, "CHEMAGENT_HOME": str(home), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "api", "--port", str(port)],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def load(url: str, qs: list[str], clients: int) -> tuple[float, list[float], dict[int, int]]:
    """Seconds for all, each request's latency, and the count of each status code."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    todo = iter(enumerate(qs))

    def client() -> None:
        with httpx.Client(base_url=url, timeout=300) as http:
            while True:
                with lock:
                    item = next(todo, None)
                if item is None:
                    return
                t0 = time.perf_counter()
                r = http.post("/v1/ask", json={"question": item[1]})
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, statuses


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument(
        "--workers", type=int, default=4, help="server workers = in-process concurrency"
    )
    args = ap.parse_args()
    qs = questions(args.questions)
    port = 8765
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        a_s = in_process(qs, home / "a", args.workers)
        server = start_server(
            home / "b",
            port,
            CHEMAGENT_API__WORKERS=str(args.workers),
            CHEMAGENT_API__QUEUE=str(args.clients),
        )
        try:
            url = f"http://127.0.0.1:{port}"
            httpx.post(
                url + "/v1/ask", json={"question": "What is the formula of water?"}, timeout=60
            )
            b_s, lat, statuses = load(url, qs, args.clients)
        finally:
            server.terminate()
            server.wait(30)
        server = start_server(
            home / "c", port, CHEMAGENT_API__WORKERS="2", CHEMAGENT_API__QUEUE="4"
        )
        try:
            _, _, flood = load(f"http://127.0.0.1:{port}", qs[:200], 64)
        finally:
            server.terminate()
            server.wait(30)
    n = len(qs)
    errors = sum(c for s, c in statuses.items() if s != 200)
    print(
        f"questions: {n} RDKit questions; server workers = in-process concurrency = {args.workers}"
    )
    print(f"(a) in-process Assistant.batch: {a_s:.2f} s, {n / a_s:.1f} questions/s")
    print(
        f"(b) HTTP /v1/ask, {args.clients} clients: {b_s:.2f} s, {n / b_s:.1f} questions/s; "
        f"p50 {1000 * statistics.median(lat):.0f} ms, p99 {1000 * pct(lat, 99):.0f} ms; "
        f"errors {errors}; statuses {dict(sorted(statuses.items()))}"
    )
    print(f"throughput ratio (b)/(a): {a_s / b_s:.2f} (goal >= 0.8)")
    total = sum(flood.values())
    print(
        f"(c) overload, 2 workers + 4 waiting, 64 clients, {total} requests: "
        f"429 share {flood.get(429, 0) / total:.2f}, 200: {flood.get(200, 0)}, "
        f"other: {sum(c for s, c in flood.items() if s not in (200, 429))}"
    )


if __name__ == "__main__":
    main()
