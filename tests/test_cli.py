"""The `chemagent` command in fresh interpreters, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from agent.answer import Answer
from tests.conftest import run_cli

pytestmark = pytest.mark.slow


def test_ask_json_prints_exactly_the_answer(chemagent_home):
    r = run_cli(
        "ask",
        "--json",
        "What is the molecular formula, exact mass and number of Lipinski "
        "violations of CC(=O)Oc1ccccc1C(=O)O?",
        env_home=chemagent_home,
    )
    assert r.returncode == 0, r.stderr
    ans = Answer.model_validate_json(r.stdout)  # nothing else on stdout
    assert "C9H8O4" in ans.text and "180.042" in ans.text
    assert [s.tool for s in ans.steps] == ["molecular_formula", "molecular_weight", "drug_likeness"]
    assert json.loads(r.stdout)["steps"][2]["ok"] is True


def test_thread_resumes_in_a_second_process(chemagent_home):
    first = run_cli(
        "ask", "--json", "--thread", "t1", "What is the logP of aspirin?", env_home=chemagent_home
    )
    assert first.returncode == 0, first.stderr
    second = run_cli("ask", "--json", "--thread", "t1", "and its TPSA?", env_home=chemagent_home)
    assert second.returncode == 0, second.stderr
    ans = Answer.model_validate_json(second.stdout)
    assert ans.molecules[0].name == "aspirin"
    assert "TPSA: 63.6 Å²" in ans.text


def test_empty_question_exits_2_with_message(chemagent_home):
    r = run_cli("ask", "  ", env_home=chemagent_home)
    assert r.returncode == 2 and "empty question" in r.stderr


def test_missing_config_file_is_reported(chemagent_home, tmp_path):
    r = run_cli(
        "ask", "--config", str(tmp_path / "none.toml"), "logP of CCO", env_home=chemagent_home
    )
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_rdkit_question_does_not_import_torch_or_transformers(chemagent_home):
    import importlib.util

    assert importlib.util.find_spec("torch") is not None  # installed, so the check means something
    code = (
        "import sys; from agent import Assistant; a = Assistant(); "
        "ans = a.ask('What is the logP and TPSA of aspirin, and does it contain an ester?'); "
        "assert 'logP' in ans.text, ans.text; "
        "heavy = ('torch', 'transformers', 'vllm', 'sentence_transformers', 'faiss', 'pypdf'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CHEMAGENT_HOME": str(chemagent_home)},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_chat_answers_and_keeps_the_thread(chemagent_home):
    r = run_cli(
        "chat",
        "--thread",
        "c1",
        env_home=chemagent_home,
        stdin="formula of caffeine\nand its logP?\nexit\n",
    )
    assert r.returncode == 0, r.stderr
    assert "C8H10N4O2" in r.stdout and "logP (Crippen): -1.03" in r.stdout
    again = run_cli("chat", "--thread", "c1", env_home=chemagent_home, stdin="")
    assert "(2 earlier turn(s))" in again.stdout


def test_unusable_data_folder_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = run_cli("ask", "--home", str(blocker / "home"), "logP of CCO", env_home=tmp_path / "h")
    assert r.returncode == 2 and "cannot use the data folder" in r.stderr
