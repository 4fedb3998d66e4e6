"""`chemagent ask|chat|batch`: questions in, answers out. Thin: parses, calls `Assistant`, renders."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from agent.cli.common import (
    BudgetOpt,
    ConfigOpt,
    HomeOpt,
    StepsOpt,
    err,
    fail,
    open_assistant,
    out,
    overrides,
    render,
)
from models.disk import DISK_FULL, disk_full


def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the Answer object as JSON.")
    ] = False,
    image: Annotated[
        list[Path] | None, typer.Option("--image", help="Image of a structure.")
    ] = None,
    thread: Annotated[
        str | None, typer.Option("--thread", help="Continue this conversation.")
    ] = None,
    config: ConfigOpt = None,
    home: HomeOpt = None,
    max_steps: StepsOpt = None,
    time_budget: BudgetOpt = None,
) -> None:
    """Answer one question (exit 1 when tools ran and every one of them failed)."""
    from agent.answer import dump_json
    from agent.question import QuestionError
    from tools.locks import LockBusy

    a = open_assistant(config, overrides(home, max_steps, time_budget))
    try:
        answer = a.ask(question, [str(p) for p in image or []], thread)
    except (QuestionError, LockBusy) as exc:
        fail(str(exc))
    except (OSError, sqlite3.Error) as exc:
        if not disk_full(exc):
            raise
        fail(f"the answer could not be saved to the conversation: {DISK_FULL}")
    finally:
        a.close()
    if json_out:
        sys.stdout.write(dump_json(answer) + "\n")
    else:
        render(answer)
    if answer.steps and not answer.refused and not any(s.ok for s in answer.steps):
        raise typer.Exit(1)


def chat(
    thread: Annotated[
        str | None, typer.Option("--thread", help="Continue this conversation.")
    ] = None,
    config: ConfigOpt = None,
    home: HomeOpt = None,
    max_steps: StepsOpt = None,
    time_budget: BudgetOpt = None,
) -> None:
    """Talk with the assistant; steps are shown as they happen. Ctrl-D or 'exit' quits."""
    import uuid

    from agent.answer import Answer
    from agent.question import QuestionError

    a = open_assistant(config, overrides(home, max_steps, time_budget))
    tid = thread or uuid.uuid4().hex[:12]
    past = a.history(tid)
    out.print(
        f"[bold]chemagent[/] - thread [cyan]{tid}[/] ({len(past)} earlier turn(s)). "
        "Ask about molecules by SMILES, CAS or name; 'exit' quits."
    )
    try:
        while True:
            try:
                question = out.input("[bold green]you>[/] ")
            except (EOFError, KeyboardInterrupt):
                out.print()
                break
            if question.strip().lower() in {"exit", "quit", ":q"}:
                break
            if not question.strip():
                continue
            try:
                for event in a.stream(question, thread_id=tid):
                    if isinstance(event, Answer):
                        out.print(escape(event.text), style="bold red" if event.refused else None)
                        for note in event.notes:
                            out.print(f"[dim]note: {escape(note)}[/]")
                    elif event.node in ("plan", "act") and event.message:
                        out.print(f"[dim]{escape(event.message)}[/]")
            except QuestionError as exc:
                err.print(f"[red]{escape(str(exc))}[/]")
            except (OSError, sqlite3.Error) as exc:
                if not disk_full(exc):
                    raise
                err.print(f"[red]{escape(DISK_FULL)}[/]")
    finally:
        a.close()
    out.print(f"[dim]continue later with: chemagent chat --thread {tid}[/]")


def batch(
    in_path: Annotated[Path, typer.Argument(help="JSONL: one {id, question, images} per line.")],
    out_path: Annotated[
        Path, typer.Option("--out", help="JSONL answers, appended as they finish.")
    ],
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64)] = 4,
    config: ConfigOpt = None,
    home: HomeOpt = None,
    max_steps: StepsOpt = None,
    time_budget: BudgetOpt = None,
) -> None:
    """Answer a file of questions; a rerun skips answered ids, so a killed batch resumes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agent.batch import BatchError, read_items

    try:
        items, bad = read_items(in_path)
    except BatchError as exc:
        fail(str(exc))
    a = open_assistant(config, overrides(home, max_steps, time_budget))
    with Progress(
        TextColumn("questions"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("batch", total=len(items) + len(bad))
        try:
            report = a.batch(
                in_path, out_path, concurrency, on_result=lambda rec: progress.advance(task)
            )
        except BatchError as exc:
            fail(str(exc))
        finally:
            a.close()
        progress.update(task, completed=report.answered + report.failed + report.skipped)
    err.print(
        f"{report.answered} answered, {report.failed} failed, {report.skipped} already done "
        f"-> {report.out_path}"
    )
    if report.failed:
        raise typer.Exit(1)
