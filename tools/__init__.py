"""Every tool the agent can call; each is usable on its own from Python."""
