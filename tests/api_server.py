"""`chemagent api`'s app served by a real uvicorn on 127.0.0.1, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import UNREACHABLE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def api_server(
    home: Path, api: dict[str, Any] | None = None, *, run_jobs: bool = True, **settings: Any
) -> Iterator[Any]:
    """Yields an object with `.url`, `.app` and `.assistant`; stops the server afterwards.
    `run_jobs=False` stores batch jobs without answering them."""
    import uvicorn

    from agent.api import Assistant
    from agent.server.app import create_app

    port = free_port()
    cfg: dict[str, Any] = {
        "home": home,
        "pubchem": {"api_base": UNREACHABLE},
        "api": {"port": port, **(api or {})},
        **settings,
    }
    assistant = Assistant(cfg)
    app = create_app(assistant, assistant.settings, run_jobs=run_jobs)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)

    class Running:
        url = f"http://127.0.0.1:{port}"

    Running.app = app  # type: ignore[attr-defined]
    Running.assistant = assistant  # type: ignore[attr-defined]
    try:
        yield Running
    finally:
        server.should_exit = True
        thread.join(15)
        assistant.close()
