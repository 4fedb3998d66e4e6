"""The generic top-level names resolve to this project, and imports flow one way.

The layers, lowest first: models/ (the ground floor), tools/, agent/; training/ and evals/ sit
beside agent/. An import is read wherever it is written (module level, inside a function, under
TYPE_CHECKING), because a function-level import only hides a circle, it does not break it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import models
import tools

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agent", "tools", "models", "training", "evals")

# Import circles known and accepted, each as the set of its modules, with why. Empty: a new
# circle fails the test; break it by moving the shared piece into the lower module (or a small
# module named for what it holds), not by hiding the import inside a function.
ALLOWED_CYCLES: list[frozenset[str]] = []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """The dotted names `module` imports, anywhere in the file, with their line numbers;
    `from a import b` gives `a.b` (a module, or a name defined in module `a`)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module an imported name lives in (its longest known prefix), or None."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """Each project module and the project modules it imports."""
    known = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = {_resolve(name, known) for name, _ in _imported(module, path)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _imports_of(pkg: str) -> Iterator[tuple[Path, int, str]]:
    """Every import written in `pkg`: file, line and the imported dotted name."""
    for module, path in _modules().items():
        if module == pkg or module.startswith(pkg + "."):
            for name, line in _imported(module, path):
                yield path, line, name


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_packages_are_ours():
    assert Path(tools.__file__).resolve().parent == ROOT / "tools"
    assert Path(models.__file__).resolve().parent == ROOT / "models"


def test_tools_models_and_training_never_import_agent():
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for pkg in ("tools", "models", "training")
        for path, line, name in _imports_of(pkg)
        if _within(name, ("agent",))
    ]
    assert not bad, "\n".join(bad)


def test_models_is_the_ground_floor():
    """models/ imports none of the project's other packages: the chat backends, formats and
    the deadline must work without the tools, the agent, training or evals."""
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path, line, name in _imports_of("models")
        if _within(name, ("tools", "agent", "training", "evals"))
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    found = [c for c in cycles(import_graph()) if c not in ALLOWED_CYCLES]
    assert not found, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in found)


def test_cycle_finder_sees_a_circle_through_a_function_level_import():
    """The checks above only mean something if a hidden circle is found."""
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert cycles(graph) == [frozenset({"a.x", "a.y", "a.z"})]
    assert cycles({"a.x": {"a.y"}, "a.y": set()}) == []
