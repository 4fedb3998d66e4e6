"""Every test gets a throwaway home; nothing touches the user's ~/.chemagent."""

from __future__ import annotations

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
        if key.startswith("CHEMAGENT_") and key != "CHEMAGENT_HOME":
            monkeypatch.delenv(key)
    return home


@pytest.fixture
def assistant(chemagent_home: Path):
    from agent import Assistant

    a = Assistant()
    yield a
    a.close()


def run_cli(
    *args: str, env_home: Path, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `chemagent` in a fresh interpreter, as a user would (wide console, no wrapping)."""
    env = {**os.environ, "CHEMAGENT_HOME": str(env_home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
