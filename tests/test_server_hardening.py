"""`chemagent api` as a neighbour on a workstation (issue 33): no DNS rebinding or cross-site
requests, clean 400s for every input, bounded slow clients, a full disk that loses nothing, and
no silent-wrong answers. Real uvicorn on a free port, httpx, the official mcp client, raw
sockets."""

from __future__ import annotations

import logging
import socket
import time

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.api_server import api_server
from tests.conftest import shared_data


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with api_server(tmp_path_factory.mktemp("hardening-home"), run_jobs=False) as srv:
        yield srv


def jobs(srv) -> int:
    return int(srv.app.state.ctx.store._conn.execute("SELECT count(*) FROM jobs").fetchone()[0])


# -- DNS rebinding and cross-site requests ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/threads"),
        ("GET", "/v1/models"),
        ("GET", "/v1/tools"),
        ("GET", "/"),
        ("GET", "/docs"),
        ("POST", "/v1/ask"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/batches"),
    ],
)
def test_a_rebound_name_gets_421_on_every_route(server, method, path):
    """A page on evil.example that rebinds its name to 127.0.0.1 sends Host: evil.example."""
    r = httpx.request(
        method, server.url + path, headers={"Host": "evil.example"}, json={"question": "x"}
    )
    assert r.status_code == 421, (path, r.status_code, r.text[:200])
    assert r.json()["error"]["code"] == "misdirected_host"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_names_are_served(server, host):
    port = server.url.rsplit(":", 1)[1]
    r = httpx.get(server.url + "/v1/models", headers={"Host": f"{host}:{port}"})
    assert r.status_code == 200, r.text


def test_a_configured_name_is_served(tmp_path):
    with api_server(tmp_path / "home", api={"allowed_hosts": ["chem.lab.example"]}) as srv:
        ok = httpx.get(srv.url + "/v1/models", headers={"Host": "chem.lab.example:8000"})
        assert ok.status_code == 200
        assert (
            httpx.get(srv.url + "/v1/models", headers={"Host": "evil.example"}).status_code == 421
        )


def test_a_foreign_origin_gets_403(server):
    r = httpx.get(server.url + "/v1/threads", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "foreign_origin"
    same = httpx.get(server.url + "/v1/threads", headers={"Origin": server.url})
    assert same.status_code == 200


def test_a_cross_site_text_plain_batch_is_refused_before_anything_runs(server):
    """A "simple" request (no CORS preflight) from any page: text/plain, form types."""
    before = jobs(server)
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        r = httpx.post(
            server.url + "/v1/batches",
            content=b'{"id": "q1", "question": "What is the formula of aspirin?"}\n',
            headers={"content-type": kind},
        )
        assert r.status_code == 415, (kind, r.status_code, r.text)
        assert r.json()["error"]["code"] == "unsupported_media_type"
    no_type = httpx.post(server.url + "/v1/batches", content=b'["What is caffeine?"]')
    assert no_type.status_code == 415
    assert jobs(server) == before
    ok = httpx.post(
        server.url + "/v1/batches",
        content=b'{"id": "q1", "question": "What is caffeine?"}\n',
        headers={"content-type": "application/x-ndjson"},
    )
    assert ok.status_code == 202 and jobs(server) == before + 1


# -- input that used to reach a traceback -------------------------------------------------------


def test_a_lone_surrogate_is_a_400_and_nothing_is_stored(server, caplog):
    body = '{"question": "What is the formula of \\udc80 aspirin?", "thread_id": "surrogate-1"}'
    with caplog.at_level(logging.ERROR):
        r = httpx.post(
            server.url + "/v1/ask", content=body, headers={"content-type": "application/json"}
        )
    assert r.status_code == 400, r.text
    assert "surrogate" in r.json()["error"]["message"]
    assert not server.assistant.history("surrogate-1")
    assert not [rec for rec in caplog.records if rec.exc_info]
    chat = (
        '{"messages": [{"role": "user", "content": "formula of \\udc80"}], "thread_id": "surr-2"}'
    )
    r = httpx.post(
        server.url + "/v1/chat/completions",
        content=chat,
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert not server.assistant.history("surr-2")


def test_mcp_ask_with_wrong_types_is_invalid_params_naming_the_field(server, caplog):
    async def main() -> list[MCPError]:
        http = httpx2.AsyncClient(timeout=60)
        seen: list[MCPError] = []
        async with http, Client(streamable_http_client(server.url + "/mcp", http_client=http)) as c:
            for args in (
                {"question": "formula of aspirin", "images": 5},
                {"question": 12},
                {"question": "formula of aspirin", "thread_id": ["a"]},
            ):
                with pytest.raises(MCPError) as info:
                    await c.call_tool("ask", args)
                seen.append(info.value)
        return seen

    with caplog.at_level(logging.ERROR):
        errors = anyio.run(main)
    assert [e.code for e in errors] == [-32602] * 3
    assert "images" in errors[0].message and "iterable" not in errors[0].message
    assert "question" in errors[1].message
    assert "thread_id" in errors[2].message
    assert not [rec for rec in caplog.records if rec.exc_info]


# -- slow and idle clients ----------------------------------------------------------------------


def _closed_within(url: str, payload: bytes, seconds: float) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=seconds + 5) as s:
        if payload:
            s.sendall(payload)
        start = time.monotonic()
        try:
            while s.recv(4096):
                pass
        except (TimeoutError, ConnectionResetError):
            pass
        return time.monotonic() - start < seconds


def test_idle_and_slow_header_clients_are_disconnected(server):
    """The server's own timeouts, not the client's: a socket that sends nothing, one that sends
    half a header and stops, and an idle keep-alive connection after a response."""

    settings = server.assistant.settings
    assert settings.api.timeout_keep_alive_s <= 10 and settings.api.timeout_headers_s <= 10
    with api_server_with_config(server) as url:
        assert _closed_within(url, b"", 15)
        assert _closed_within(url, b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n", 15)
        assert _closed_within(
            url, b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 15
        )  # answered, then idle on keep-alive


def api_server_with_config(server):
    """The same app under the uvicorn configuration `chemagent api` uses."""
    import threading
    from contextlib import contextmanager

    import uvicorn

    from agent.server.serving import server_config
    from tests.api_server import free_port

    @contextmanager
    def run():
        port = free_port()
        cfg = server_config(server.app, server.assistant.settings, host="127.0.0.1", port=port)
        srv = uvicorn.Server(cfg)
        srv.config.lifespan = "off"
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.time() + 30
        while not srv.started and time.time() < deadline:
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            srv.should_exit = True
            thread.join(15)

    return run()


# -- one deadline per request -------------------------------------------------------------------


def test_a_chat_completion_replaying_history_keeps_one_question_budget(tmp_path):
    """PubChem accepts and never answers, so every unknown name waits for the deadline: four
    replayed turns used to take about five budgets (25 s for 4 s); now the replay shares half a
    budget and the question has what it has when asked alone."""
    from openai import OpenAI

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    base = f"http://127.0.0.1:{hole.getsockname()[1]}/rest"
    try:
        with api_server(
            tmp_path / "home",
            pubchem={"api_base": base},
            agent={"time_budget_s": 4},
        ) as srv:
            client = OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0, timeout=120)
            messages: list[dict[str, str]] = []
            for name in ("zorblaxamine", "quendrofilin", "vextrazolium", "plimbarocene"):
                messages.append({"role": "user", "content": f"What is the weight of {name}?"})
                messages.append({"role": "assistant", "content": "I could not find it."})
            messages.append({"role": "user", "content": "What is the formula of glorbutane?"})
            start = time.monotonic()
            client.chat.completions.create(model="chemagent", messages=messages[-1:])  # type: ignore[arg-type]
            alone = time.monotonic() - start
            start = time.monotonic()
            client.chat.completions.create(model="chemagent", messages=messages)  # type: ignore[arg-type]
            took = time.monotonic() - start
    finally:
        hole.close()
    # The question in a thread that names four unresolved molecules costs more than alone.
    assert took < alone + 4 + 2, (took, alone)


# -- silent-wrong cases -------------------------------------------------------------------------


def test_a_broken_batch_line_never_shares_an_id_with_a_real_question(tmp_path):
    from agent.batch import read_items

    path = tmp_path / "q.jsonl"
    path.write_text(
        "not json at all\n"
        '{"id": "line-1", "question": "What is the formula of aspirin?"}\n'
        '{"id": "a", "question": 5}\n'
        '{"id": "a", "question": "What is caffeine?"}\n'
    )
    items, bad = read_items(path)
    ids = [str(i.id) for i in items] + [b["id"] for b in bad]
    assert len(ids) == len(set(ids)) == 4, ids
    assert {str(i.id) for i in items} == {"line-1", "a"}


def test_a_wrapped_isotope_mass_number_is_refused_not_read_as_a_real_isotope(server):
    """65549 = 65536 + 13: RDKit keeps 16 bits, so this used to be carbon-13 (13.003)."""
    r = httpx.post(server.url + "/v1/tools/molecular_weight", json={"smiles": "[65549C]"})
    assert r.status_code == 400, r.text
    assert "65549" in r.json()["error"]["message"]
    ok = httpx.post(server.url + "/v1/tools/molecular_weight", json={"smiles": "[13C]"})
    assert ok.status_code == 200


# -- no server paths in what the server sends ---------------------------------------------------


def _no_server_path(text: str, srv) -> None:
    import tempfile
    from pathlib import Path

    home = str(srv.assistant.settings.home)
    for root in (home, str(Path(home).resolve()), tempfile.gettempdir(), str(Path.home())):
        assert root not in text, f"{root} in {text[:400]}"


def test_no_server_path_in_answers_steps_tool_results_or_errors(server):
    import base64

    png = (shared_data() / "ocsr" / "UOB" / "images" / "maybridge-0001-1032051861.png").read_bytes()
    image = "data:image/png;base64," + base64.b64encode(png).decode()
    seen: list[str] = []
    with httpx.Client(base_url=server.url, timeout=120) as c:
        r = c.post(
            "/v1/ask", json={"question": "What is this molecule's formula?", "images": [image]}
        )
        assert r.status_code == 200, r.text
        seen.append(r.text)
        assert "image-1.png" in r.text  # the user's own name for it stays
        r = c.post("/v1/ask", json={"question": "Draw aspirin"})
        assert r.status_code == 200, r.text
        seen.append(r.text)
        r = c.post("/v1/tools/depict", json={"smiles": "CCO"})
        assert r.status_code == 200, r.text
        seen.append(r.text)
        r = c.post(
            "/v1/chat/completions",
            json={
                "model": "chemagent",
                "messages": [{"role": "user", "content": "Draw caffeine"}],
                "stream": True,
            },
        )
        seen.append(r.text)
        r = c.post("/v1/tools/recognize_structure", json={"image": "not/a/real/path.png"})
        seen.append(r.text)
    for text in seen:
        _no_server_path(text, server)
