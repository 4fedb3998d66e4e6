"""`chemagent`, the command line: one module per command group (ask/chat/batch, setup/resolve,
index, model/serve, train, eval, predict/tools, api/mcp), mounted by `agent.cli.app`."""

from agent.cli.app import app

__all__ = ["app"]
