"""What every `chemagent` command group shares: consoles, common options, opening the assistant,
rendering an answer, failing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.disk import DISK_FULL, disk_full

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML settings file.")]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="Data folder (threads, images).")]
StepsOpt = Annotated[int | None, typer.Option("--max-steps", help="Most plan -> act rounds.")]
BudgetOpt = Annotated[float | None, typer.Option("--time-budget", help="Seconds per question.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user-facing error and exit with `code` (2: bad input or setup)."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def overrides(home: Path | None, max_steps: int | None, budget: float | None) -> dict[str, Any]:
    agent: dict[str, Any] = {}
    if max_steps is not None:
        agent["max_steps"] = max_steps
    if budget is not None:
        agent["time_budget_s"] = budget
    flags: dict[str, Any] = {"agent": agent} if agent else {}
    if home is not None:
        flags["home"] = home
    return flags


def open_assistant(config: Path | None, flags: dict[str, Any]) -> Any:
    from agent.api import Assistant
    from agent.settings import ConfigFileError, get_settings
    from models.errors import ModelError
    from tools.base import ToolError

    try:
        settings = get_settings(flags, config_file=config)
    except (ConfigFileError, ValueError) as exc:
        fail(str(exc))
    try:
        return Assistant(settings)
    except (ValueError, ModelError, ToolError) as exc:  # no model, bad preset, safety list...
        fail(str(exc))
    except (OSError, sqlite3.Error) as exc:
        if disk_full(exc):  # not damage: nothing is moved, nothing was lost
            fail(f"cannot use the data folder {settings.home}: {DISK_FULL}")
        if isinstance(exc, sqlite3.DatabaseError):
            fail(
                f"the conversation store {settings.checkpoint_db} is damaged ({exc}); move it "
                "away (earlier threads are lost, new ones work) or set --home to another folder"
            )
        fail(f"cannot use the data folder {settings.home}: {exc}; set --home or CHEMAGENT_HOME")


def render(answer: Any) -> None:
    """Print an answer for people: text, the tool trace, warnings."""
    style = "bold red" if answer.refused else "bold"
    out.print(escape(answer.text), style=style if answer.refused else None)
    if answer.steps:
        table = Table(title="steps", show_lines=False, title_justify="left")
        for col in ("#", "tool", "ok", "s", "result"):
            table.add_column(col)
        for i, s in enumerate(answer.steps, start=1):
            table.add_row(
                str(i), s.tool, "✓" if s.ok else "✗", f"{s.seconds:.3f}", escape(s.summary)
            )
        out.print(table)
    for note in answer.notes:
        out.print(f"[dim]note: {escape(note)}[/]")
    if line := usage_line(answer.usage):
        out.print(f"[dim]{escape(line)}[/]")
    out.print(f"[dim]thread {answer.thread_id}[/]")


def usage_line(usage: dict[str, int]) -> str:
    """What the language model did for this answer, in one line ('' when it was not asked)."""
    calls = usage.get("model_calls", 0)
    if not calls and not usage.get("plans_by_model"):
        return ""
    parts = [f"{calls} model call(s)"]
    if n := usage.get("plans_by_model"):
        parts.append(f"{n} plan(s) by the model")
    for key, what in (
        ("plan_repairs", "plan(s) sent back"),
        ("plan_fallbacks", "fell back to the rules"),
        ("calls_added", "call(s) added by the question analysis"),
        ("calls_dropped", "call(s) dropped"),
    ):
        if n := usage.get(key):
            parts.append(f"{n} {what}" if key != "plan_fallbacks" else what)
    if usage.get("writer_accepted"):
        parts.append("answer written by the model")
    elif usage.get("writer_rejected"):
        parts.append("model's answer rejected (see warnings)")
    return "model: " + ", ".join(parts)
