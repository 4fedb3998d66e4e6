"""The `chemagent` typer app: every command group mounted from its own module."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from agent.cli.ask import ask, batch, chat
from agent.cli.eval import eval_command
from agent.cli.index import index_app
from agent.cli.models import model_app, serve
from agent.cli.predict import list_tools, predict
from agent.cli.server import api, mcp
from agent.cli.setup import resolve, setup
from agent.cli.train import train_app

app = typer.Typer(
    name="chemagent",
    help="A research assistant for chemists: RDKit tools, safety screen and cited answers, offline.",
    no_args_is_help=True,
    add_completion=False,
)

for command in (ask, chat, batch, setup, resolve, predict, api, mcp):
    app.command()(command)
app.command("tools")(list_tools)
app.command("eval")(eval_command)
app.command(context_settings={"allow_extra_args": True})(serve)
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")
app.add_typer(train_app, name="train")


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug output.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # pypdf warns about each damaged PDF; the ingest report already says which were skipped.
        logging.getLogger("pypdf").setLevel(logging.ERROR)
