"""`chemagent api` as a neighbour on a workstation (issue 33): no DNS rebinding or cross-site
requests, clean 400s for every input, bounded slow clients, a full disk that loses nothing, and
no silent-wrong answers. Real uvicorn on a free port, httpx, the official mcp client, raw
sockets."""

from __future__ import annotations

import json
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


def test_a_client_that_trickles_or_stops_its_body_is_disconnected(server):
    """A whole head announcing 1,000 bytes, then 10 of them and silence: uvicorn waits for the
    rest for ever; the server closes it `api.timeout_body_s` after the head, stores nothing, and
    still answers the next client."""
    api = server.assistant.settings.api.model_copy(update={"timeout_body_s": 2.0})
    settings = server.assistant.settings.model_copy(update={"api": api})
    before = jobs(server)
    head = (
        b"POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    with api_server_with_config(server, settings) as url:
        assert _closed_within(url, head + b'{"items": [', 10)
        assert httpx.get(url + "/v1/models").status_code == 200
    assert jobs(server) == before


def api_server_with_config(server, settings=None):
    """The same app under the uvicorn configuration `chemagent api` uses."""
    import threading
    from contextlib import contextmanager

    import uvicorn

    from agent.server.serving import server_config
    from tests.api_server import free_port

    @contextmanager
    def run():
        port = free_port()
        chosen = settings or server.assistant.settings
        cfg = server_config(server.app, chosen, host="127.0.0.1", port=port)
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


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_completion_replaying_history_ends_within_one_question_budget(tmp_path, stream):
    """PubChem accepts and never answers, so every unknown name waits for the deadline: four
    replayed turns used to take about five budgets, then one and a half (10 s for 6 s); now the
    whole request, replay and question, has one budget, and the question is still answered
    (its molecule named as not resolved, with the reason) rather than cut off."""
    from openai import OpenAI

    budget = 6.0
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    base = f"http://127.0.0.1:{hole.getsockname()[1]}/rest"
    try:
        with api_server(
            tmp_path / "home",
            pubchem={"api_base": base},
            agent={"time_budget_s": budget},
        ) as srv:
            client = OpenAI(base_url=srv.url + "/v1", api_key="x", max_retries=0, timeout=120)
            messages: list[dict[str, str]] = []
            for name in ("zorblaxamine", "quendrofilin", "vextrazolium", "plimbarocene"):
                messages.append({"role": "user", "content": f"What is the weight of {name}?"})
                messages.append({"role": "assistant", "content": "I could not find it."})
            messages.append({"role": "user", "content": "What is the formula of glorbutane?"})
            # What loads once per process (name index, sentence model, OPSIN's JVM) is not timed.
            client.chat.completions.create(model="chemagent", messages=messages[-1:])  # type: ignore[arg-type]
            start = time.monotonic()
            if stream:
                chunks = client.chat.completions.create(
                    model="chemagent",
                    messages=messages,  # type: ignore[arg-type]
                    stream=True,
                )
                text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            else:
                reply = client.chat.completions.create(model="chemagent", messages=messages)  # type: ignore[arg-type]
                text = reply.choices[0].message.content or ""
            took = time.monotonic() - start
    finally:
        hole.close()
    assert took < budget + 2.5, took
    assert "glorbutane" in text, text


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


@pytest.mark.parametrize("bad", ["CCO)", "C(C", "c1ccc1c", "C1CC"])
def test_a_malformed_smiles_in_a_list_is_named_as_a_problem_not_dropped(server, bad):
    """ "CCO)" among valid SMILES lost its bracket as if it closed a parenthesis and became a
    second ethanol, so it vanished from the answer with no problem line."""
    q = f"Give the molecular weights of CC(C)O, {bad}, and c1ccccc1O"
    answer = httpx.post(server.url + "/v1/ask", json={"question": q}, timeout=120).json()
    assert f"invalid SMILES '{bad}'" in answer["text"], answer["text"]
    assert "60.1" in answer["text"] and "94.11" in answer["text"]  # the valid ones are answered


def test_a_smiles_in_brackets_keeps_working(server):
    q = "What is the molecular weight of ethanol (CCO) and of phenol (c1ccccc1O)?"
    text = httpx.post(server.url + "/v1/ask", json={"question": q}, timeout=120).json()["text"]
    assert "46.07" in text and "94.11" in text and "invalid" not in text, text


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


def _streamed(client: httpx.Client, question: str) -> str:
    """The raw server-sent events of a streamed chat completion."""
    body = {
        "model": "chemagent",
        "messages": [{"role": "user", "content": question}],
        "stream": True,
    }
    return client.post("/v1/chat/completions", json=body).text


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
        seen.append(_streamed(c, "Draw caffeine"))
        r = c.post("/v1/tools/recognize_structure", json={"image": "not/a/real/path.png"})
        seen.append(r.text)
    for text in seen:
        _no_server_path(text, server)


def test_a_drawing_is_named_by_a_url_the_server_serves(server):
    """ "Draw aspirin" used to give a file name on the server that no client could open; now the
    answer, the streamed steps and a direct depict call name `/v1/depictions/<digest>.png`,
    which the same client fetches as the PNG; no other name reaches the folder."""
    import re

    with httpx.Client(base_url=server.url, timeout=120) as c:
        answer = c.post("/v1/ask", json={"question": "Draw aspirin"}).json()
        direct = c.post("/v1/tools/depict", json={"smiles": "CCO", "format": "svg"}).json()
        streamed = _streamed(c, "Draw caffeine")
        urls = []
        for text in (json.dumps(answer), json.dumps(direct), streamed):
            found = re.findall(r"/v1/depictions/[0-9a-f]{12}\.(?:png|svg)", text)
            assert found, text[:600]
            urls.append(found[0])
        png = c.get(urls[0])
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        assert png.headers["content-type"] == "image/png"
        svg = c.get(urls[1])
        assert svg.status_code == 200 and b"<svg" in svg.content
        for name in ("..%2Fthreads.sqlite", "threads.sqlite", "000000000000.png"):
            r = c.get("/v1/depictions/" + name)
            assert r.status_code == 404, (name, r.status_code)
