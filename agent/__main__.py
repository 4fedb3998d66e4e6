"""`python -m agent` is the `chemagent` command."""

from agent.cli import app

app()
