"""What every `chemagent` command group shares: the consoles, the --config option, failing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML settings file.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a user-facing error and exit with `code` (2: bad input or setup)."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)
