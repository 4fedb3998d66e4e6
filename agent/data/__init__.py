"""Data tables the agent reads: intents, functional groups, the safety list."""
