"""The model layer: dialogue format, SMILES hygiene, presets, the HTTP client's errors, serving."""

from __future__ import annotations

import json

import jinja2
import pytest

from models.backends.openai_http import OpenAIChatModel, api_base
from models.chat import Generation, ImagePart, Message
from models.errors import BackendResponseError, BackendUnavailable
from models.formats import CHEMDFM_TEMPLATE, canonicalize_smiles_in_text, render_chemdfm
from models.presets import UnknownPreset, get_preset, presets
from models.settings import ModelSettings
from tests.llm_servers import ScriptedHTTP, chat_reply, free_port


def test_chemdfm_template_renders_the_round_format():
    msgs = [
        {"role": "system", "content": "You are a chemist."},
        {"role": "user", "content": "What is aspirin?"},
        {"role": "assistant", "content": "An analgesic."},
        {"role": "user", "content": "Its formula?"},
    ]
    text = (
        jinja2.Environment().from_string(CHEMDFM_TEMPLATE).render(messages=msgs, eos_token="</s>")
    )
    assert text == (
        "[Round 0]\nHuman: You are a chemist.\n\nWhat is aspirin?\nAssistant: An analgesic.</s>\n"
        "[Round 1]\nHuman: Its formula?\nAssistant:"
    )
    assert text == render_chemdfm(
        [("What is aspirin?", "An analgesic.")], "Its formula?", "You are a chemist."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MW of OC(=O)c1ccccc1OC(C)=O?", "MW of CC(=O)Oc1ccccc1C(=O)O?"),
        ("benzene C1=CC=CC=C1 and ethanol (OCC).", "benzene c1ccccc1 and ethanol (CCO)."),
        ("Is CNS exposure of C9H8O4 likely?", "Is CNS exposure of C9H8O4 likely?"),
        ("broken C1CC stays as written", "broken C1CC stays as written"),
    ],
)
def test_smiles_are_canonicalised_before_the_prompt(text, expected):
    assert canonicalize_smiles_in_text(text) == expected


def test_presets_cover_the_released_checkpoints():
    assert {"chemdfm-v1.0-13b", "chemdfm-v1.5-8b", "chemvlm-8b", "chemvlm-26b", "tiny-test"} <= set(
        presets()
    )
    assert get_preset("chemdfm-v1.0-13b").format == "chemdfm"
    assert get_preset("chemvlm-26b").vision and get_preset("chemvlm-26b").gpus > 1
    with pytest.raises(UnknownPreset, match="known presets: chemdfm-v1.0-13b"):
        get_preset("gpt-5")


def test_serve_command_for_a_preset(tmp_path):
    from models.serve import vllm_command, write_template

    p = get_preset("chemdfm-v1.5-8b")
    cmd = vllm_command(
        p, tensor_parallel_size=4, port=9001, template_file=write_template(p, tmp_path)
    )
    assert cmd[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    assert cmd[cmd.index("--model") + 1] == "OpenDFM/ChemDFM-v1.5-8B"
    assert cmd[cmd.index("--tensor-parallel-size") + 1] == "4"
    assert (tmp_path / "chemdfm.jinja").read_text() == CHEMDFM_TEMPLATE
    assert json.loads(cmd[cmd.index("--structured-outputs-config") + 1])["disable_any_whitespace"]
    with pytest.raises(Exception, match="--model PATH"):
        vllm_command(get_preset("tiny-test"))


def _client(url: str, **kw) -> OpenAIChatModel:
    settings = ModelSettings(url=url, preset="tiny-test", **{"backoff_s": 0.01, **kw})
    return OpenAIChatModel(settings, get_preset("tiny-test"))


def test_api_base_accepts_urls_with_or_without_v1():
    assert api_base("http://h:8000") == api_base("http://h:8000/v1/") == "http://h:8000/v1"


def test_request_carries_schema_canonical_smiles_and_images(tmp_path):
    img = tmp_path / "m.png"
    img.write_bytes(b"\x89PNG fake")
    server = ScriptedHTTP([(200, chat_reply('{"next": "answer", "calls": []}'))])
    try:
        m = _client(server.url)
        schema = {"type": "object"}
        msgs = [Message(role="user", content="MW of OCC?", images=[ImagePart(path=str(img))])]
        assert m.complete_json(msgs, schema) == '{"next": "answer", "calls": []}'
    finally:
        server.close()
    body = server.requests[0]
    assert body["model"] == "scripted"  # the first model the server lists
    assert body["response_format"]["json_schema"]["schema"] == schema
    parts = body["messages"][0]["content"]
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert parts[1] == {"type": "text", "text": "MW of CCO?"}


def test_server_errors_are_retried_then_reported():
    server = ScriptedHTTP([(503, "busy"), (503, "busy"), (200, chat_reply("ok"))])
    try:
        assert _client(server.url, retries=2).complete([Message(role="user", content="hi")]) == "ok"
        server.replies = [(503, '{"error": {"message": "overloaded"}}')]
        with pytest.raises(BackendResponseError, match="HTTP 503: overloaded"):
            _client(server.url, retries=1).complete([Message(role="user", content="hi")])
        server.replies = [(400, '{"error": {"message": "model xyz does not exist"}}')]
        with pytest.raises(BackendResponseError, match="does not exist"):
            _client(server.url).complete([Message(role="user", content="hi")])
    finally:
        server.close()
    assert len(server.requests) == 3 + 2 + 1  # 400 is not retried


@pytest.mark.parametrize("body", ["<html>oops</html>", '{"choices": []}', '{"id": 1}'])
def test_garbage_replies_are_a_clear_error(body):
    server = ScriptedHTTP([(200, body)])
    try:
        with pytest.raises(BackendResponseError, match="not a chat completion"):
            _client(server.url).complete([Message(role="user", content="hi")])
    finally:
        server.close()


def test_a_server_that_is_down_is_reported_at_once(monkeypatch):
    import models.backends.openai_http as http

    sleeps: list[float] = []
    monkeypatch.setattr(http.time, "sleep", sleeps.append)
    m = _client(f"http://127.0.0.1:{free_port()}/v1", model="x", retries=5)
    with pytest.raises(BackendUnavailable, match="cannot reach the model server") as exc:
        m.complete([Message(role="user", content="hi")], Generation(max_tokens=4))
    assert "chemagent serve" in str(exc.value)
    assert sleeps == []  # a refused connection is not retried with backoff


def test_async_completion_matches_sync():
    import asyncio

    server = ScriptedHTTP([(200, chat_reply("same"))])
    try:
        m = _client(server.url)
        assert asyncio.run(m.acomplete([Message(role="user", content="hi")])) == "same"
    finally:
        server.close()


def test_flat_env_names_configure_the_llm(monkeypatch):
    from agent.settings import get_settings

    monkeypatch.setenv("CHEMAGENT_LLM_URL", "http://gpu-box:8000/v1")
    monkeypatch.setenv("CHEMAGENT_LLM_MODEL", "chemdfm-v1.5-8b")
    monkeypatch.setenv("CHEMAGENT_VLM_URL", "http://gpu-box:8001/v1")
    s = get_settings()
    assert s.llm.url == "http://gpu-box:8000/v1" and s.llm.model == "chemdfm-v1.5-8b"
    assert s.vlm.url == "http://gpu-box:8001/v1"
    monkeypatch.setenv("CHEMAGENT_LLM__URL", "http://other:1/v1")  # the nested form wins
    assert get_settings().llm.url == "http://other:1/v1"


def test_no_llm_configured_says_so_once_per_thread(assistant):
    first = assistant.ask("What is the molecular weight of CCO?")
    again = assistant.ask("and its logP?", thread_id=first.thread_id)
    assert len(first.notes) == 1 and "No language model is configured" in first.notes[0]
    assert again.notes == []


def test_llm_planner_without_a_model_is_a_clear_error():
    from agent import Assistant

    with pytest.raises(ValueError, match="CHEMAGENT_LLM_URL"):
        Assistant({"agent": {"planner": "llm"}})


@pytest.mark.slow
def test_setup_reports_the_model_servers(chemagent_home, monkeypatch):
    from tests.conftest import run_cli

    server = ScriptedHTTP([(200, chat_reply("ok"))])
    try:
        monkeypatch.setenv("CHEMAGENT_LLM_URL", server.url)
        monkeypatch.setenv("CHEMAGENT_VLM_URL", f"http://127.0.0.1:{free_port()}/v1")
        r = run_cli("setup", env_home=chemagent_home)
    finally:
        server.close()
    assert r.returncode == 0, r.stderr
    assert f"LLM            scripted at {server.url}: reachable" in r.stdout
    assert "VLM" in r.stdout and "not answering (cannot reach the model server" in r.stdout
    assert "OSRA           ok (OSRA 2." in r.stdout


def test_a_folder_without_a_checkpoint_is_a_clear_error(tmp_path):
    from models.backends import load_chat_model
    from models.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="no config.json.*build-tiny"):
        load_chat_model(ModelSettings(path=tmp_path), "tiny-test")
    with pytest.raises(ModelLoadError, match="build-tiny --vlm"):
        load_chat_model(ModelSettings(path=tmp_path, preset="tiny-test-vlm"), "tiny-test-vlm")
