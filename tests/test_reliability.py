"""Faults found by the audit: one deadline per question, killed subprocesses, wrong results
presented as answers, and tracebacks that are now one-line errors. Real servers on 127.0.0.1,
real subprocesses, real files."""

from __future__ import annotations

import json
import os
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from types import SimpleNamespace
from urllib.request import urlopen

import pytest

from models.deadline import DeadlineExceeded, deadline_at, limit
from tests.conftest import ROOT, run_cli
from tools.base import ToolError, ToolInputError, ToolTimeout


class DripServer:
    """Answers every request with headers, then one byte every `every_s` seconds (bounded: it
    stops after `max_s`), the way a stuck proxy or a wedged model server does."""

    def __init__(self, every_s: float = 1.0, max_s: float = 30.0) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.every_s, self.max_s = every_s, max_s
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        end = time.monotonic() + self.max_s
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            conn.sendall(b"Content-Length: 100000\r\n\r\n")
            while not self.stop.is_set() and time.monotonic() < end:
                conn.sendall(b" ")
                time.sleep(self.every_s)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def drip():
    server = DripServer()
    yield server
    server.close()


# -- one deadline per question ---------------------------------------------------------------


def test_limit_is_cut_to_the_deadline_and_refuses_when_spent(monkeypatch):
    # A clock the test moves: the time left is exact, however slow this machine is between
    # setting a deadline and asking for the limit.
    import models.deadline

    now = [1_000.0]
    monkeypatch.setattr(models.deadline, "time", SimpleNamespace(time=lambda: now[0]))
    assert limit(30.0) == 30.0  # no deadline: the call's own limit
    with deadline_at(now[0] + 2.0):
        assert limit(30.0) == 2.0
        now[0] += 0.5
        assert limit(30.0) == 1.5
        assert limit(1.0) == 1.0  # a shorter limit of its own is kept
        with deadline_at(now[0] + 60):  # a later deadline does not extend the earlier one
            assert limit(30.0) == 1.5
    with deadline_at(now[0] - 1), pytest.raises(DeadlineExceeded, match="time budget"):
        limit(30.0, "OSRA")


@pytest.mark.slow
def test_hanging_llm_ends_within_the_budget(drip):
    """Planner and writer both wait on a server that trickles bytes: the question still ends at
    its budget, answered by the rules and templates, with the reason given."""
    from agent import Assistant

    settings = {
        "llm": {"url": f"http://127.0.0.1:{drip.port}/v1", "model": "m", "timeout_s": 60},
        "agent": {"time_budget_s": 4},
    }
    with Assistant(settings) as a:
        start = time.monotonic()
        ans = a.ask("Tell me about CCO.")  # the rules see no request: the model is asked
        took = time.monotonic() - start
    # The question ends at its 4 s budget plus the rules' and templates' own work (under 1 s
    # here). A planner or writer that waited on the trickling server instead would take at
    # least its 30 s (DripServer.max_s): the bound leaves a loaded machine 16 s and still
    # tells the two apart.
    assert took < 4 + 16, took
    assert "46.07" in ans.text  # the RDKit value, from the rule planner's overview
    assert any("language model" in w or "time budget" in w for w in ans.warnings)


def test_pubchem_read_deadline_is_total_not_per_chunk(drip):
    from tools.pubchem.client import read_within

    start = time.monotonic()
    with (
        urlopen(f"http://127.0.0.1:{drip.port}/x", timeout=10) as resp,
        pytest.raises(TimeoutError, match="longer than"),
    ):
        read_within(resp, 2.5, 10)
    # 2.5 s plus at most one 1 s wait for the next byte; a limit per read would go on to the
    # server's 30 s (DripServer.max_s), so 15 s leaves a loaded machine room and still fails it.
    assert time.monotonic() - start < 15


def test_pubchem_lookup_stops_at_the_question_deadline(drip):
    from tools.pubchem.client import PubChemClient
    from tools.pubchem.settings import PubChemSettings

    client = PubChemClient(
        PubChemSettings(api_base=f"http://127.0.0.1:{drip.port}/rest", timeout_s=30, backoff_s=0.1)
    )
    start = time.monotonic()
    with deadline_at(time.time() + 3), pytest.raises(ToolError):
        client.properties("aspirin")
    # Ends at the 3 s deadline; one attempt on its own 30 s timeout_s (cut off by the server
    # at 30 s) would take ten times as long, so 15 s is room for a loaded machine, not a pass.
    assert time.monotonic() - start < 15


def test_name_resolution_through_pubchem_stops_at_the_question_deadline(drip, tmp_path):
    """The resolver looks names up on PubChem in worker threads; they did not see the question's
    deadline, so an unknown name went on retrying for 77 s after the agent had answered."""
    from agent import Assistant

    base = f"http://127.0.0.1:{drip.port}/rest"
    with Assistant({"home": tmp_path, "pubchem": {"api_base": base, "timeout_s": 30}}) as a:
        start = time.monotonic()
        with deadline_at(time.time() + 3), pytest.raises(ToolError) as err:
            a.deps.registry.get("resolve_name").run({"name": "glorbutane"})
        took = time.monotonic() - start
    assert "question's budget" in str(err.value), err.value
    assert took < 15, took  # one 30 s attempt, retried, without the deadline


def _fake_osra(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fake-osra"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


def _png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares `width` x `height` (the pixel data is not needed to read it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) if width < 10_000 else b"\x00")
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def _vision(osra: str, vlm=None, timeout_s: float = 60.0):
    from tools.chem.mol import ChemLimits
    from tools.vision.settings import VisionSettings
    from tools.vision.tools import vision_tools

    return vision_tools(VisionSettings(osra=osra, timeout_s=timeout_s), ChemLimits(), vlm)[0]


def test_decompression_bomb_is_refused_before_osra_runs(tmp_path: Path):
    marker = tmp_path / "osra-ran"
    tool = _vision(_fake_osra(tmp_path, f"touch {marker}; echo CCO"))
    bomb = _png(tmp_path / "bomb.png", 100_000, 100_000)
    with pytest.raises(ToolInputError, match="megapixels"):
        tool.run({"image": str(bomb)})
    assert not marker.exists()
    ok = _png(tmp_path / "small.png", 10, 10)
    assert tool.run({"image": str(ok)}).data["smiles"] == "CCO"


def test_timed_out_osra_is_killed_with_its_children(tmp_path: Path):
    pidfile = tmp_path / "child.pid"
    tool = _vision(_fake_osra(tmp_path, f"sleep 60 & echo $! > {pidfile}; wait"))
    img = _png(tmp_path / "a.png", 10, 10)
    start = time.monotonic()
    # OSRA's own limit, cut to the deadline, stopped it (not the reader thread's wait, which
    # ends 5 s later and leaves OSRA running): the message says so, whatever the machine's speed.
    with deadline_at(time.time() + 1.5), pytest.raises(ToolTimeout, match="OSRA ran past"):
        tool.run({"image": str(img)})
    assert time.monotonic() - start < 1.5 + 10  # the fake OSRA alone would run for 60 s
    child = int(pidfile.read_text())
    # SIGKILL is asynchronous: a loaded machine may take a moment to end the child, but a child
    # that was not killed would still be sleeping for its 60 s.
    gone_by = time.monotonic() + 10
    while _running(child) and time.monotonic() < gone_by:
        time.sleep(0.05)
    assert not _running(child)


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_failing_vlm_keeps_osra_reading_and_is_named(tmp_path: Path):
    def vlm(path: Path) -> str:
        raise ToolError("the model server at http://127.0.0.1:9 is down")

    tool = _vision(_fake_osra(tmp_path, "echo CCO"), vlm)
    result = tool.run({"image": str(_png(tmp_path / "a.png", 10, 10))})
    assert result.data["smiles"] == "CCO" and result.data["source"] == "OSRA"
    assert "ChemVLM gave no valid SMILES" in result.summary


def test_hanging_vlm_does_not_lose_osra_reading(tmp_path: Path):
    def vlm(path: Path) -> str:
        time.sleep(30)
        return "C"

    tool = _vision(_fake_osra(tmp_path, "echo CCO"), vlm, timeout_s=2)
    start = time.monotonic()
    with deadline_at(time.time() + 2):
        result = tool.run({"image": str(_png(tmp_path / "a.png", 10, 10))})
    # By design about 7 s: the 2 s budget plus the 5 s a reader is given past it. Waiting for
    # the hanging VLM would take its 30 s; 20 s leaves a loaded machine room and still fails that.
    assert time.monotonic() - start < 20
    assert result.data["smiles"] == "CCO" and "ChemVLM" in result.summary


def test_failing_osra_keeps_the_vlm_reading(tmp_path: Path):
    tool = _vision(_fake_osra(tmp_path, "echo broken >&2; exit 3"), lambda p: "c1ccccc1O")
    result = tool.run({"image": str(_png(tmp_path / "a.png", 10, 10))})
    assert result.data["smiles"] == "Oc1ccccc1" and result.data["source"] == "ChemVLM"
    assert "OSRA failed" in result.summary


# -- wrong results presented as answers -------------------------------------------------------


@pytest.mark.parametrize(
    ("smiles", "reason"),
    [("[C+15]", r"charge of \+15"), ("[999999C]", "not a known isotope"), ("[H-9]", "charge")],
)
def test_impossible_atoms_are_rejected_not_weighed(smiles, reason):
    from tools.chem.mol import InvalidSmiles, parse_smiles

    with pytest.raises(InvalidSmiles, match=reason):
        parse_smiles(smiles)


@pytest.mark.parametrize("smiles", ["[13CH4]", "[2H]O[2H]", "[Fe+3]", "[235U]", "[NH4+]"])
def test_real_isotopes_and_ions_still_parse(smiles):
    from tools.chem.mol import parse_smiles

    assert parse_smiles(smiles) is not None


def test_reaction_that_matches_but_makes_only_impossible_products_says_so():
    from tools.chem.mol import ChemLimits
    from tools.chem.reactions import apply_reaction

    # Adds a fifth bond to the carbonyl carbon: the template matches, the product cannot exist.
    with pytest.raises(ToolInputError, match="matches the reactants.*chemically impossible"):
        apply_reaction("[C:1]=[O:2]>>[C:1](=[O:2])(C)(C)(C)C", ["CC=O"], ChemLimits())


@pytest.mark.parametrize("left", [-1.0, 0.02])
def test_a_question_under_a_spent_outer_deadline_is_answered_with_its_reason(assistant, left):
    """The server runs a question under the request's one deadline, which may come before the
    question's own budget; planning used to raise from the first bounded call that met it (the
    whole request failed) instead of stopping with the reason."""
    with deadline_at(time.time() + left):
        time.sleep(0.05)
        answer = assistant.ask("What is the formula of glorbutane?")
    assert "time budget" in answer.text, answer.text


def test_nul_byte_in_a_question_is_an_error_not_half_a_question(assistant):
    from agent.question import QuestionError

    with pytest.raises(QuestionError, match="control character"):
        assistant.ask("What is the logP of CCO?\x00 and of aspirin")


def test_overlong_llm_answer_is_rejected():
    from agent.state import Evidence, ToolCall
    from agent.writer import LLMWriter, WriterRejected
    from tests.test_llm_planner import Scripted

    ev = Evidence(
        id="c1", call=ToolCall(id="c1", tool="molecular_weight"), ok=True, summary="MW 46.07"
    )
    runaway = '{"statements": [{"text": "Ethanol weighs 46.07 g/mol.", "cites": [1]}' + " " * 20_000
    writer = LLMWriter(Scripted([runaway]), max_tokens=512)
    with pytest.raises(WriterRejected, match="more than 512 tokens"):
        writer.write("MW of ethanol?", [ev])


def test_ask_exits_1_when_every_tool_failed(tmp_path: Path):
    r = run_cli("ask", "What is the molecular weight of C1CC?", env_home=tmp_path / "h")
    assert r.returncode == 1, r.stdout + r.stderr
    ok = run_cli("ask", "What is the molecular weight of CCO?", env_home=tmp_path / "h")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def _batch(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_bad_batch_lines_are_reported_once_and_retried_after_a_fix(assistant, tmp_path: Path):
    good = json.dumps({"id": "a", "question": "What is the molecular weight of CCO?"}).encode()
    src = _batch(tmp_path, [good, b"{not json", b'{"id": "c", "question": "logP of \xff"}'])
    out = tmp_path / "out.jsonl"
    first = assistant.batch(src, out)
    assert (first.answered, first.failed) == (1, 2)
    assistant.batch(src, out)  # rerun: failures retried, never duplicated
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["a", "line-2", "line-3"] and len(ids) == len(set(ids))
    recs = {json.loads(line)["id"]: json.loads(line) for line in out.read_text().splitlines()}
    assert "not UTF-8" in recs["line-3"]["error"]
    fixed = json.dumps({"id": "b", "question": "What is the logP of CCO?"}).encode()
    _batch(tmp_path, [good, fixed])
    assistant.batch(src, out)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["a", "b"]


# -- concurrent writers (real processes) ------------------------------------------------------

_HOLD = """
import sys, time
from pathlib import Path
from tools.locks import exclusive
with exclusive(Path(sys.argv[1]), "x"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(lock: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(lock), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_second_batch_on_the_same_output_is_refused_with_the_pid(tmp_path: Path):
    src = _batch(tmp_path, [json.dumps({"id": 1, "question": "MW of CCO?"}).encode()])
    out = tmp_path / "out.jsonl"
    holder = _hold(tmp_path / "out.jsonl.lock", 30)
    try:
        r = run_cli("batch", str(src), "--out", str(out), env_home=tmp_path / "h")
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 2 and f"in use by PID {holder.pid}" in r.stderr, r.stderr
    assert not out.exists() or out.read_text() == ""


def test_second_index_add_on_one_folder_is_refused_with_the_pid(tmp_path: Path):
    folder = tmp_path / "idx"
    doc = tmp_path / "a.txt"
    doc.write_text("Aspirin inhibits cyclooxygenase.")
    holder = _hold(folder / "add.lock", 30)
    try:
        r = run_cli("index", "add", str(doc), "--index", str(folder), env_home=tmp_path / "h")
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 2 and f"in use by PID {holder.pid}" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_concurrent_asks_on_one_thread_keep_every_turn(tmp_path: Path):
    home = tmp_path / "h"
    questions = [f"What is the molecular weight of {'C' * n}O?" for n in range(2, 10)]
    env = {**os.environ, "CHEMAGENT_HOME": str(home), "COLUMNS": "200"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "agent", "ask", q, "--thread", "t2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for q in questions
    ]
    codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0] * len(questions), [p.stderr.read() for p in procs if p.stderr]
    from agent import Assistant

    with Assistant({"home": home}) as a:
        history = a.history("t2")
    assert sorted(h["question"] for h in history) == sorted(questions)


# -- one-line errors instead of tracebacks ---------------------------------------------------


def test_batch_out_is_a_folder(tmp_path: Path):
    src = _batch(tmp_path, [json.dumps({"id": 1, "question": "MW of CCO?"}).encode()])
    r = run_cli("batch", str(src), "--out", str(tmp_path), env_home=tmp_path / "h")
    assert r.returncode == 2 and "is a folder" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("CHEMAGENT_CHEM__SMARTS_TIMEOUT_S", "-1"),
        ("CHEMAGENT_AGENT__TOOL_TIMEOUT_S", "-5"),
        ("CHEMAGENT_CHEM__MAX_HEAVY_ATOMS", "0"),
        ("CHEMAGENT_VISION__TIMEOUT_S", "0"),
    ],
)
def test_out_of_range_settings_are_one_line_errors(tmp_path: Path, monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    r = run_cli("ask", "MW of CCO?", env_home=tmp_path / "h")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert var.split("__")[-1].lower() in r.stderr


def test_missing_safety_list_fails_closed_with_a_message(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CHEMAGENT_SAFETY__LIST_FILE", str(tmp_path / "missing.csv"))
    r = run_cli("ask", "MW of CCO?", env_home=tmp_path / "h")
    assert r.returncode == 2 and "cannot read the safety list" in r.stderr
    assert "Traceback" not in r.stderr


def test_corrupt_cache_is_set_aside_and_rebuilt(tmp_path: Path):
    from tools.pubchem.cache import AnswerCache

    path = tmp_path / "names.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cache = AnswerCache(path)
    cache.put("k", 200, {"a": 1})
    assert cache.get("k") is not None
    cache.close()
    assert list(tmp_path.glob("names.sqlite.corrupt-*"))


def test_corrupt_index_names_the_file_and_the_fix(tmp_path: Path):
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "index.sqlite").write_bytes(b"garbage" * 1000)
    r = run_cli("index", "stats", "--index", str(folder), env_home=tmp_path / "h")
    assert r.returncode == 2, r.stderr
    assert "index.sqlite" in r.stderr and "chemagent index add" in r.stderr
    assert "Traceback" not in r.stderr
