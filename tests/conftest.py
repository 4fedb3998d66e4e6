"""Every test gets a throwaway home; nothing touches the user's ~/.chemagent."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def chemagent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("CHEMAGENT_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("CHEMAGENT_") and key not in ("CHEMAGENT_HOME", "CHEMAGENT_SHARED_DATA"):
            monkeypatch.delenv(key)
    # No test may reach the real PubChem: a closed local port stands in for "no network".
    monkeypatch.setenv("CHEMAGENT_PUBCHEM__API_BASE", UNREACHABLE)
    return home


UNREACHABLE = "http://127.0.0.1:9/rest"


@functools.cache
def _figure_tolerances() -> dict[str, dict[str, float]]:
    path = ROOT / "tests" / "data" / "figure_tolerances.json"
    return json.loads(path.read_text(encoding="utf-8"))["tolerances"]  # type: ignore[no-any-return]


def figure_tolerance(endpoint: str, figure: str) -> float:
    """How far a shipped model's stated test figure may move on another machine: measured by
    `benchmarks/figure_spread.py --write` (other BLAS kernels, batch sizes, simulated rounding
    flips of the MiniMol block), twice the largest move seen, never below 1e-4."""
    return _figure_tolerances()[endpoint][figure]


def shared_data() -> Path:
    """The shared public data beside the checkout (or where CHEMAGENT_SHARED_DATA says)."""
    env = os.environ.get("CHEMAGENT_SHARED_DATA")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    if not (path / "pubchem" / "MANIFEST.md").is_file():
        pytest.fail(
            f"shared data not found at {path}: the PubChem replay tests need "
            "shared/data/pubchem; set CHEMAGENT_SHARED_DATA to its parent folder"
        )
    return path


@pytest.fixture(scope="session")
def replay_server():
    from tools.pubchem.replay import ReplayServer

    with ReplayServer(shared_data() / "pubchem") as srv:
        yield srv


@pytest.fixture
def replay(replay_server, monkeypatch: pytest.MonkeyPatch):
    """The replay server with no faults and an empty request log; the assistant points at it."""
    replay_server.reset()
    monkeypatch.setenv("CHEMAGENT_PUBCHEM__API_BASE", replay_server.api_base)
    monkeypatch.setenv("CHEMAGENT_PUBCHEM__BACKOFF_S", "0.01")
    yield replay_server
    replay_server.reset()


@pytest.fixture
def assistant(chemagent_home: Path):
    from agent import Assistant

    a = Assistant()
    yield a
    a.close()


def run_cli(
    *args: str, env_home: Path, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `chemagent` in a fresh interpreter, as a user would (wide console, no wrapping, no
    colour whatever the CI's environment asks for, so the text the tests search is plain)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE")
    }
    env.update({"CHEMAGENT_HOME": str(env_home), "COLUMNS": "200", "NO_COLOR": "1"})
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
