"""The agent with the LLM planner and writer through real backends, end to end.

The tiny random-weight LLaMA (models/tiny.py) is served by a real vLLM CPU server on 127.0.0.1
and loaded in-process with transformers. Its words are noise, which is the point: the plan still
arrives as schema-valid JSON through constrained decoding, a tool runs on a molecule from the
question, and an answer comes back; a dead or garbage-speaking server falls back to the rule
planner with a clear warning and the thread stays intact.
"""

from __future__ import annotations

import json

import pytest

from tests.llm_servers import ScriptedHTTP, free_port, vllm_python

pytestmark = [pytest.mark.slow, pytest.mark.integration]

# The rules see no request here, so the hybrid planner asks the model (a question they
# understand whole never reaches it; tests/test_llm_real_model.py checks that).
QUESTION = "Tell me about CCO."


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from models.tiny import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def vllm_server(tiny_model, tmp_path_factory):
    from models.presets import get_preset
    from models.serve import VLLMServer

    log = tmp_path_factory.mktemp("vllm") / "vllm.log"
    server = VLLMServer(
        get_preset("tiny-test"),
        str(tiny_model),
        port=free_port(),
        python=vllm_python(),
        log_file=log,
    )
    with server:
        yield server


def _llm_settings(url: str) -> dict:
    return {
        "llm": {"url": url, "preset": "tiny-test", "retries": 0, "timeout_s": 60},
        "agent": {"max_steps": 2},
    }


def _check_llm_answer(ans) -> None:
    """The model planned (constrained decoding makes its first plan valid), tools ran on the
    question's molecule, and an answer came back."""
    assert ans.steps, ans
    assert ans.steps[0].tool != "resolve_name"
    molecule_args = [v for s in ans.steps for v in s.args.values()]
    assert "CCO" in molecule_args or ["CCO"] in molecule_args
    assert ans.usage.get("plans_by_model", 0) >= 1 and ans.usage["model_calls"] >= 1, ans.usage
    assert "46.07" in ans.text  # the analysis' overview ran whatever the model chose
    assert ans.text.strip()
    assert ans.notes == []  # an LLM is configured: no "no language model" note


def test_plan_through_vllm_constrained_decoding_is_valid(vllm_server, tiny_model):
    from agent.deps import Deps
    from agent.planners.base import PlanContext
    from agent.planners.llm import LLMPlanner, candidates
    from agent.planners.schema import plan_schema
    from agent.settings import get_settings

    settings = get_settings(_llm_settings(vllm_server.url))
    deps = Deps.from_settings(settings)
    try:
        planner = deps.planner
        assert isinstance(planner, LLMPlanner)
        ctx = PlanContext(question=QUESTION, tools=deps.tool_specs)
        cands = candidates(ctx, planner.fallback)
        schema, offered = plan_schema(ctx.tools, cands, must_act=True)
        raw = planner.model.complete_json(planner.messages(ctx, cands), schema)
        plan = planner.parse(raw, offered)  # raises if the reply breaks the schema
        assert plan.next == "tools" and plan.calls
        assert all(c.tool in offered for c in plan.calls)
        # Any molecule argument can only be the question's molecule.
        smiles_args = [c.args["smiles"] for c in plan.calls if "smiles" in c.args]
        assert all(s in ("CCO", ["CCO"]) for s in smiles_args)
    finally:
        deps.close()


def test_agent_answers_with_the_llm_planner_on_vllm(vllm_server):
    from agent import Assistant

    with Assistant(_llm_settings(vllm_server.url)) as a:
        ans = a.ask(QUESTION)
    _check_llm_answer(ans)


def test_agent_answers_with_the_in_process_transformers_backend(tiny_model):
    from agent import Assistant
    from models.backends.transformers_local import TransformersChatModel

    model = TransformersChatModel.from_pretrained(tiny_model, preset="tiny-test", max_tokens=64)
    with Assistant({"agent": {"max_steps": 2}}, llm=model) as a:
        ans = a.ask(QUESTION)
    _check_llm_answer(ans)


def test_transformers_and_vllm_render_the_same_prompt_and_agree(vllm_server, tiny_model):
    """Same weights, same template, greedy decoding: the two backends give the same words.

    Exact text is a fair comparison only because no step is a near tie: along these 12 greedy
    tokens the top two logits of the seed-0 tiny model differ by at least 0.008 (measured with
    transformers, and the same with ATEN_CPU_CAPABILITY=default, whose random init differs in
    the last bits), while another CPU's fp32 kernels moved these logits by at most 5e-7
    (ATEN_CPU_CAPABILITY=default against AVX-512). A new prompt, seed or model size needs the
    same check before its text is compared."""
    from models.backends import load_chat_model
    from models.backends.transformers_local import TransformersChatModel
    from models.chat import Generation, Message
    from models.settings import ModelSettings

    msgs = [Message(role="system", content="Be brief."), Message(role="user", content="OCC?")]
    # On the CPU in float32 like vLLM's CPU build: "auto" would pick a GPU where one is visible,
    # and bfloat16 moves these logits by up to 0.007 (measured), as much as the margin above.
    local = TransformersChatModel.from_pretrained(tiny_model, preset="tiny-test", device="cpu")
    remote = load_chat_model(ModelSettings(url=vllm_server.url, preset="tiny-test"), "tiny-test")
    gen = Generation(max_tokens=12)
    assert local.complete(msgs, gen) == remote.complete(msgs, gen)
    assert "".join(remote.stream(msgs, gen)) == remote.complete(msgs, gen)


def test_garbage_server_falls_back_to_rules_with_a_clear_warning(tmp_path):
    from agent import Assistant

    server = ScriptedHTTP([(200, "<html>502 Bad Gateway</html>")])
    try:
        with Assistant(_llm_settings(server.url)) as a:
            first = a.ask(QUESTION)
            second = a.ask("and its logP?", thread_id=first.thread_id)
            history = a.history(first.thread_id)
    finally:
        server.close()
    assert "46.07" in first.text  # the rule planner still computed it
    assert any("not a chat completion" in w and "rule planner" in w for w in first.warnings)
    assert first.usage["plan_fallbacks"] == 1
    assert "logP" in second.text
    assert [h["question"] for h in history] == [QUESTION, "and its logP?"]


def test_server_killed_mid_conversation_keeps_the_thread(vllm_server, tmp_path):
    """Runs after every other test of the module's server, which it kills (the fixture's
    teardown copes with a dead server)."""
    from agent import Assistant

    with Assistant(_llm_settings(vllm_server.url)) as a:
        first = a.ask(QUESTION)
        _check_llm_answer(first)
        vllm_server.kill()
        second = a.ask("Tell me about c1ccccc1O.", thread_id=first.thread_id)
        history = a.history(first.thread_id)
    assert any("cannot reach the model server" in w for w in second.warnings), second.warnings
    assert "20.2" in second.text  # TPSA of phenol, from the rule planner's overview
    assert [h["question"] for h in history] == [QUESTION, "Tell me about c1ccccc1O."]
    json.dumps(second.model_dump())  # the answer is still a complete, serialisable object


def test_serve_command_prints_the_endpoint_and_stops_vllm_on_sigterm(tiny_model, tmp_path):
    import os
    import queue
    import signal
    import subprocess
    import sys
    import threading

    import httpx

    from tests.conftest import ROOT

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "agent", "serve", "--preset", "tiny-test",
            "--model", str(tiny_model), "--python", vllm_python(), "--port", str(port),
            "--log", str(tmp_path / "vllm.log"),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        seen = ""
        while "chemagent chat" not in seen:
            seen += lines.get(timeout=240)
        url = f"http://127.0.0.1:{port}/v1"
        assert url in seen and f"CHEMAGENT_LLM_URL={url}" in seen
        assert httpx.get(url + "/models").json()["data"][0]["id"] == "tiny-test"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:  # let the command stop its vLLM before giving up on it
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    with pytest.raises(httpx.ConnectError):  # vLLM went down with the command
        httpx.get(url + "/models", timeout=5)


def test_serve_reports_a_vllm_that_dies_while_starting(tmp_path, chemagent_home):
    from tests.conftest import run_cli

    empty = tmp_path / "not-a-model"
    empty.mkdir()
    r = run_cli(
        "serve", "--preset", "tiny-test", "--model", str(empty), "--python", vllm_python(),
        "--port", str(free_port()), env_home=chemagent_home, timeout=240,
    )  # fmt: skip
    assert r.returncode == 2
    assert "vLLM exited with code" in r.stderr and "before it was ready" in r.stderr
