"""`chemagent api` over real HTTP (uvicorn on 127.0.0.1): the official openai client, the REST
routes, batch jobs, the security checks. No mocks: the same Assistant the CLI uses."""

from __future__ import annotations

import base64
import csv
import json
import re
import struct
import threading
import time
import zlib

import httpx
import pytest
from rdkit import Chem

from tests.api_server import api_server
from tests.conftest import run_cli, shared_data

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with api_server(tmp_path_factory.mktemp("api-home")) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=120)


def uob_image() -> tuple[str, str]:
    folder = shared_data() / "ocsr" / "UOB"
    with open(folder / "labels.csv", newline="") as f:
        row = next(csv.DictReader(f))
    data = (folder / row["image_path"]).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode(), row["SMILES"]


def same(a: str, b: str) -> bool:
    return Chem.MolToInchi(Chem.MolFromSmiles(a)) == Chem.MolToInchi(Chem.MolFromSmiles(b))


# -- the OpenAI wire format, through the official client ---------------------------------------


def test_openai_client_gets_the_formula_of_aspirin(client):
    resp = client.chat.completions.create(
        model="chemagent", messages=[{"role": "user", "content": "What is the formula of aspirin?"}]
    )
    assert "C9H8O4" in resp.choices[0].message.content
    assert resp.choices[0].finish_reason == "stop"
    answer = resp.model_extra["answer"]
    assert any(c["tool"] == "molecular_formula" for c in answer["citations"])
    assert [m["smiles"] for m in answer["molecules"]] == [ASPIRIN]
    assert [m.id for m in client.models.list().data] == ["chemagent"]


def test_openai_client_streams_steps_then_the_answer(client):
    stream = client.chat.completions.create(
        model="chemagent",
        messages=[{"role": "user", "content": "What is the formula of aspirin?"}],
        stream=True,
    )
    order, text, final = [], "", None
    for chunk in stream:
        extra = chunk.model_extra or {}
        if "step" in extra:
            order.append(("step", extra["step"]["node"]))
        for choice in chunk.choices:
            if choice.delta.content:
                order.append(("text", None))
                text += choice.delta.content
            if choice.finish_reason:
                final = extra.get("answer")
    assert "C9H8O4" in text
    steps = [n for kind, n in order if kind == "step"]
    assert "act" in steps, order
    assert order.index(("text", None)) > max(i for i, (k, _) in enumerate(order) if k == "step")
    assert final is not None and final["text"] == text


def test_a_follow_up_in_the_same_history_uses_the_earlier_molecule(client):
    first = [{"role": "user", "content": "What is the formula of aspirin?"}]
    r1 = client.chat.completions.create(model="chemagent", messages=first)
    history = [*first, {"role": "assistant", "content": r1.choices[0].message.content}]
    r2 = client.chat.completions.create(
        model="chemagent", messages=[*history, {"role": "user", "content": "and its logP?"}]
    )
    a2 = r2.model_extra["answer"]
    assert r2.model_extra["thread_id"] == r1.model_extra["thread_id"]
    assert [m["smiles"] for m in a2["molecules"]] == [ASPIRIN]
    assert re.search(r"logP[^\n]*1\.31", a2["text"]), a2["text"]


def test_a_history_this_server_never_saw_is_replayed_into_a_new_thread(client):
    msgs = [
        {"role": "user", "content": "What is the molecular weight of caffeine?"},
        {"role": "assistant", "content": "Written by some other assistant."},
        {"role": "user", "content": "and its formula?"},
    ]
    answer = client.chat.completions.create(model="chemagent", messages=msgs).model_extra["answer"]
    assert "C8H10N4O2" in answer["text"]


def test_thread_id_in_the_request_continues_that_thread(client):
    r1 = client.chat.completions.create(
        model="chemagent", messages=[{"role": "user", "content": "What is the formula of ethanol?"}]
    )
    tid = r1.model_extra["thread_id"]
    r2 = client.chat.completions.create(
        model="chemagent",
        messages=[{"role": "user", "content": "What is its molecular weight?"}],
        extra_body={"thread_id": tid},
    )
    assert "46.07" in r2.choices[0].message.content


def test_an_image_data_url_is_recognised(client):
    url, label = uob_image()
    resp = client.chat.completions.create(
        model="chemagent",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this structure's molecular formula?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ],
            }
        ],
    )
    answer = resp.model_extra["answer"]
    assert answer["steps"][0]["tool"] == "recognize_structure"
    assert any(same(m["smiles"], label) for m in answer["molecules"]), answer["molecules"]
    formula = Chem.rdMolDescriptors.CalcMolFormula(Chem.MolFromSmiles(label))
    assert formula in answer["text"]
    assert "image-1.png" in answer["text"]  # a name the user can follow, not a server path
    assert "/uploads/" not in answer["text"]


def test_openai_errors_have_openai_shape(client, server):
    import openai

    with pytest.raises(openai.NotFoundError, match="no model 'gpt-4'"):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user's"):
        client.chat.completions.create(
            model="chemagent", messages=[{"role": "assistant", "content": "hello"}]
        )
    with pytest.raises(openai.BadRequestError, match="empty question"):
        client.chat.completions.create(
            model="chemagent", messages=[{"role": "user", "content": " "}]
        )


# -- REST --------------------------------------------------------------------------------------


def test_rest_ask_returns_the_typed_answer_and_the_thread_is_kept(server):
    r = httpx.post(server.url + "/v1/ask", json={"question": "What is the formula of aspirin?"})
    assert r.status_code == 200, r.text
    ans = r.json()
    assert "C9H8O4" in ans["text"] and ans["thread_id"]
    hist = httpx.get(f"{server.url}/v1/threads/{ans['thread_id']}").json()
    assert hist["history"][0]["question"] == "What is the formula of aspirin?"
    listed = httpx.get(server.url + "/v1/threads").json()
    assert ans["thread_id"] in [t["id"] for t in listed]
    assert httpx.get(server.url + "/v1/threads/nope").status_code == 404


def test_two_questions_on_one_thread_are_answered_one_after_the_other(server):
    tid = "serial-" + str(time.time())
    questions = [f"What is the molecular weight of {n}?" for n in ("ethanol", "benzene")]
    out: list[httpx.Response] = []
    threads = [
        threading.Thread(
            target=lambda q=q: out.append(
                httpx.post(
                    server.url + "/v1/ask", json={"question": q, "thread_id": tid}, timeout=60
                )
            )
        )
        for q in questions
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in out] == [200, 200]
    history = httpx.get(f"{server.url}/v1/threads/{tid}").json()["history"]
    assert sorted(h["question"] for h in history) == sorted(questions)
    for h in history:  # each answer belongs to its own question: turns were not interleaved
        name = h["question"].split()[-1].rstrip("?")
        assert name in h["answer"] and ({"ethanol", "benzene"} - {name}).pop() not in h["answer"]


def test_tools_are_listed_with_schemas_and_called_directly(server):
    tools = {t["name"]: t for t in httpx.get(server.url + "/v1/tools").json()}
    assert "smiles" in tools["molecular_formula"]["parameters"]["properties"]
    assert "recognize_structure" not in tools  # its argument is a path on the server
    r = httpx.post(server.url + "/v1/tools/molecular_formula", json={"smiles": ASPIRIN})
    assert r.json()["data"]["formula"] == "C9H8O4"
    bad = httpx.post(server.url + "/v1/tools/molecular_formula", json={"smiles": "C1CC"})
    assert bad.status_code == 400 and "SMILES" in bad.json()["error"]["message"]
    path = httpx.post(server.url + "/v1/tools/recognize_structure", json={"image": "/etc/passwd"})
    assert path.status_code == 404


def test_a_direct_tool_call_is_screened_like_a_question(server):
    sarin = "CC(C)OP(C)(=O)F"
    r = httpx.post(server.url + "/v1/tools/molecular_formula", json={"smiles": sarin})
    assert r.status_code == 200
    assert any("Schedule 1" in w for w in r.json()["warnings"])


def test_depict_returns_svg_and_rejects_bad_smiles(server):
    r = httpx.get(server.url + "/v1/depict", params={"smiles": ASPIRIN})
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in r.text and "</svg>" in r.text
    bad = httpx.get(server.url + "/v1/depict", params={"smiles": "not-a-smiles"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_smiles"


# -- bad input ----------------------------------------------------------------------------------


def test_malformed_json_is_400_with_a_message(server):
    r = httpx.post(
        server.url + "/v1/ask",
        content=b'{"question": ',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"].startswith("malformed JSON")


def test_unknown_route_and_method_are_json(server):
    r = httpx.get(server.url + "/v1/nothing")
    assert r.status_code == 404 and "no route" in r.json()["error"]["message"]


def test_a_path_or_url_is_never_read_as_an_image(server):
    for src in ("/etc/passwd", "file:///etc/passwd", "http://127.0.0.1:9/x.png", "../x.png"):
        r = httpx.post(
            server.url + "/v1/ask", json={"question": "What is this structure?", "images": [src]}
        )
        assert r.status_code == 400, src
        assert "data URL" in r.json()["error"]["message"]


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_image_is_refused_before_decoding(server):
    url = "data:image/png;base64," + base64.b64encode(png_declaring(60000, 60000)).decode()
    r = httpx.post(server.url + "/v1/ask", json={"question": "What is this?", "images": [url]})
    assert r.status_code == 400
    assert "megapixels" in r.json()["error"]["message"]
    assert not list((server.assistant.settings.home / "uploads").glob("*"))


def test_a_body_over_the_limit_is_413(server):
    big = b'{"question": "' + b"C" * 9_000_000 + b'"}'
    r = httpx.post(
        server.url + "/v1/ask", content=big, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and "max_body_mb" in r.json()["error"]["message"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"question": "'
        for _ in range(10):
            yield b"C" * 1_000_000
        yield b'"}'

    r = httpx.post(
        server.url + "/v1/ask", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_batch_input_errors_are_400(server):
    dup = [{"id": 1, "question": "a"}, {"id": 1, "question": "b"}]
    r = httpx.post(server.url + "/v1/batches", json=dup)
    assert r.status_code == 400 and "appears twice" in r.json()["error"]["message"]
    img = [{"id": 1, "question": "a", "images": ["/etc/passwd"]}]
    assert "images are not accepted" in httpx.post(server.url + "/v1/batches", json=img).text
    assert httpx.post(server.url + "/v1/batches", json=[]).status_code == 400
    assert httpx.get(server.url + "/v1/batches/nope").status_code == 404


def test_a_batch_job_answers_every_question_in_input_order(server):
    lines = "\n".join(
        json.dumps({"id": f"q{i}", "question": f"What is the molecular weight of {n}?"})
        for i, n in enumerate(["aspirin", "caffeine", "ethanol", "benzene"])
    )
    r = httpx.post(
        server.url + "/v1/batches", content=lines, headers={"content-type": "application/x-ndjson"}
    )
    assert r.status_code == 202
    job = r.json()["id"]
    deadline = time.time() + 120
    while (p := httpx.get(f"{server.url}/v1/batches/{job}").json())["status"] != "done":
        assert time.time() < deadline, p
        time.sleep(0.2)
    assert (p["answered"], p["failed"], p["pending"]) == (4, 0, 0)
    rows = [
        json.loads(x) for x in httpx.get(f"{server.url}/v1/batches/{job}/results").text.splitlines()
    ]
    assert [r["id"] for r in rows] == ["q0", "q1", "q2", "q3"]
    assert "180.16" in rows[0]["answer"]["text"]


# -- security ------------------------------------------------------------------------------------


def test_off_loopback_the_server_refuses_to_start_without_a_token(chemagent_home):
    r = run_cli("api", "--host", "0.0.0.0", "--port", "1", env_home=chemagent_home)
    assert r.returncode == 2
    assert "without a token" in r.stderr and "--token" in r.stderr


def test_with_a_token_every_route_but_health_needs_it(tmp_path):
    with api_server(tmp_path / "home", api={"token": "s3cret"}) as srv:
        assert httpx.get(srv.url + "/healthz").status_code == 200
        assert httpx.get(srv.url + "/").status_code == 200  # the page; its script sends the token
        for method, path in (
            ("GET", "/v1/models"),
            ("GET", "/v1/tools"),
            ("POST", "/mcp"),
            ("GET", "/docs"),
        ):
            r = httpx.request(method, srv.url + path)
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"] == "Bearer"
        wrong = httpx.get(srv.url + "/v1/models", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = httpx.get(srv.url + "/v1/models", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200


def test_a_flood_gets_429_not_500(tmp_path):
    """One worker, one waiting place: of 12 questions sent at once most must be turned away fast."""
    with api_server(tmp_path / "home", api={"workers": 1, "queue": 1}) as srv:
        replies: list[httpx.Response] = []
        start = threading.Barrier(12)

        def one(i: int) -> None:
            start.wait()  # all at once
            replies.append(
                httpx.post(
                    srv.url + "/v1/ask",
                    json={
                        "question": f"Compare the logP, TPSA and QED of aspirin, caffeine and C{'C' * i}O"
                    },
                    timeout=120,
                )
            )

        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = [r.status_code for r in replies]
        assert len(statuses) == 12 and set(statuses) <= {200, 429}, statuses
        assert statuses.count(429) >= 1 and statuses.count(200) >= 2, statuses
        for r in replies:
            if r.status_code == 429:
                assert r.json()["error"]["type"] == "rate_limit_error"
                assert r.headers["retry-after"]


def test_cors_is_off_unless_configured(server):
    r = httpx.options(
        server.url + "/v1/ask",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers


def test_uploads_are_named_by_the_server_and_removed_after(server):
    url, _ = uob_image()
    r = httpx.post(
        server.url + "/v1/ask",
        json={"question": "What is this structure?", "images": [url]},
        timeout=120,
    )
    assert "image-1.png" in r.json()["text"]
    assert not list((server.assistant.settings.home / "uploads").rglob("*"))  # removed after


def test_training_runs_as_a_module_without_importing_the_agent():
    import subprocess
    import sys

    code = (
        "import sys, runpy; sys.argv=['training', '--help'];\n"
        "try: runpy.run_module('training', run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m == 'agent' or m.startswith('agent.')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "sft" in r.stdout and r.stdout.strip().endswith("[]")
