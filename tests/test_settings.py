"""Settings precedence: defaults < TOML < CHEMAGENT_* environment < explicit values."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.settings import ConfigFileError, Settings, get_settings


def test_defaults(chemagent_home):
    s = get_settings()
    assert s.agent.max_steps == 6 and s.home == chemagent_home
    assert s.checkpoint_db == chemagent_home / "threads.sqlite"


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    toml = tmp_path / "c.toml"
    toml.write_text("[agent]\nmax_steps = 3\ntool_timeout_s = 7\ntime_budget_s = 50\n")
    s = get_settings(config_file=toml)
    assert (s.agent.max_steps, s.agent.tool_timeout_s) == (3, 7)
    monkeypatch.setenv("CHEMAGENT_AGENT__MAX_STEPS", "4")
    s = get_settings(config_file=toml)
    assert (s.agent.max_steps, s.agent.tool_timeout_s) == (4, 7)  # env beats file, file still read
    s = get_settings({"agent": {"max_steps": 9}}, config_file=toml)
    assert (s.agent.max_steps, s.agent.tool_timeout_s, s.agent.time_budget_s) == (9, 7, 50)


def test_config_from_home_and_env_var(
    chemagent_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    chemagent_home.mkdir(parents=True)
    (chemagent_home / "config.toml").write_text("[chem]\nmax_heavy_atoms = 50\n")
    assert get_settings().chem.max_heavy_atoms == 50
    other = tmp_path / "other.toml"
    other.write_text("[chem]\nmax_heavy_atoms = 70\n")
    monkeypatch.setenv("CHEMAGENT_CONFIG", str(other))
    assert get_settings().chem.max_heavy_atoms == 70


def test_unknown_keys_and_missing_files_are_errors(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[agent]\nmax_stepz = 3\n")
    with pytest.raises(ConfigFileError, match="max_stepz"):
        get_settings(config_file=bad)
    with pytest.raises(ConfigFileError, match="does not exist"):
        get_settings(config_file=tmp_path / "nope.toml")


def test_settings_instance_passes_through():
    s = Settings(agent={"max_steps": 2})
    assert get_settings(s) is s
