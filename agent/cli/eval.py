"""`chemagent eval`: score a tool, the chemistry LLM or the whole agent on public benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.cli.common import ConfigOpt, err, fail, out


def eval_command(
    tasks: Annotated[list[str] | None, typer.Argument(help="Task names (see --list).")] = None,
    system: Annotated[
        str, typer.Option("--system", help="tool:NAME, model[:URL|PATH] or agent.")
    ] = "agent",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="First N examples.")] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Predictions (JSONL) and reports go here.")
    ] = Path("runs/eval"),
    data: Annotated[
        Path | None, typer.Option("--data", help="The task's data folder (default: ../shared).")
    ] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    list_tasks: Annotated[bool, typer.Option("--list", help="List the tasks and exit.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Run benchmark tasks against a system; a rerun resumes from the predictions file."""
    from agent.settings import ConfigFileError, get_settings
    from evals.report import as_json, markdown, plot
    from evals.runner import RunResult, run_task
    from evals.systems import SystemError_, get_system
    from evals.tasks import UnknownTask, all_tasks, get_task
    from models.errors import ModelError
    from tools.base import ToolError

    if list_tasks:
        table = Table(title_justify="left")
        table.add_column("task")
        table.add_column("what it measures")
        for t in all_tasks().values():
            table.add_row(t.name, escape(t.description))
        out.print(table)
        return
    if not tasks:
        fail("name at least one task (chemagent eval --list shows them)")
    try:
        settings = get_settings(config_file=config)
        chosen = [get_task(t) for t in tasks]
    except (ConfigFileError, UnknownTask) as exc:
        fail(str(exc))
    results: list[RunResult] = []
    problems: list[str] = []
    for task in chosen:
        try:
            examples = task.examples(data)[:limit]
            sysm = get_system(system, task, settings)
        except (FileNotFoundError, ValueError, SystemError_, ModelError, ToolError) as exc:
            problems.append(f"{task.name}: {exc}")  # the other tasks still run
            err.print(f"[red]{escape(problems[-1])}[/]")
            continue
        try:
            err.print(f"{task.name}: {len(examples)} examples, system {sysm.name}")
            results.append(run_task(task, sysm, examples, out_dir, concurrency))
        finally:
            sysm.close()
    if not results:
        fail("; ".join(problems))
    report = markdown(results)
    (out_dir / "report.md").write_text(report, "utf-8")
    (out_dir / "report.json").write_text(as_json(results), "utf-8")
    if (png := plot(results, out_dir / "report.png")) is not None:
        err.print(f"plot: {png}")
    if json_out:
        sys.stdout.write(as_json(results) + "\n")
    else:
        out.print(escape(report))
    err.print(f"predictions and report in {out_dir}")
    if problems:
        raise typer.Exit(1)
