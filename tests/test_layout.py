"""The generic top-level names resolve to this project, and imports flow one way."""

from __future__ import annotations

import ast
from pathlib import Path

import models
import tools

ROOT = Path(__file__).resolve().parent.parent


def test_packages_are_ours():
    assert Path(tools.__file__).resolve().parent == ROOT / "tools"
    assert Path(models.__file__).resolve().parent == ROOT / "models"


def test_tools_models_and_training_never_import_agent():
    for pkg in ("tools", "models", "training"):
        for path in (ROOT / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                assert not any(n == "agent" or n.startswith("agent.") for n in names), path
