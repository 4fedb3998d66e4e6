"""chemdfm-agent: a research assistant for chemists.

    from agent import Assistant
    answer = Assistant().ask("What is the logP of aspirin?")

Names are imported on first use so that `import agent` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.answer import Answer
    from agent.api import Assistant
    from agent.settings import Settings

__all__ = ["Answer", "Assistant", "Settings"]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from agent.api import Assistant

        return Assistant
    if name == "Answer":
        from agent.answer import Answer

        return Answer
    if name == "Settings":
        from agent.settings import Settings

        return Settings
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
