"""`python -m training sft -c CONFIG` (and `accelerate launch -m training ...`): the recipes
without the agent's imports."""

from training.cli import app

app()
