"""The tool contract shared by every family: typed arguments in, a `ToolResult` out.

A tool never prints and never exits the process. Bad input raises a `ToolError` subclass whose
message tells the user what was wrong and what to do; the agent turns it into error evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.deadline import DeadlineExceeded


class ToolError(Exception):
    """A tool could not produce a result; the message is meant for the user."""


class ToolInputError(ToolError):
    """The arguments are wrong (invalid SMILES, unknown name, malformed SMARTS...)."""


class ToolLimitError(ToolInputError):
    """The input is valid but larger or more expensive than the configured bounds allow."""


class ToolTimeout(ToolError):
    """The tool ran past its time limit and was stopped."""


class ToolDeadlineExceeded(ToolTimeout, DeadlineExceeded):
    """The question's time budget was spent before the tool could run: what a tool passes to
    `models.deadline.limit(..., raises=...)`, so the agent reports it as a timed-out call."""


class ToolResult(BaseModel):
    """What a tool returns: a short text for people and models, and the structured data."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(description="One or two sentences stating the result.")
    data: dict[str, Any] = Field(default_factory=dict, description="Structured values.")
    files: list[str] = Field(default_factory=list, description="Paths of files written.")


@dataclass(frozen=True)
class Tool:
    """A name, the description an LLM planner sees, an argument model and the function."""

    name: str
    description: str
    args_model: type[BaseModel]
    func: Callable[[Any], ToolResult]

    def json_schema(self) -> dict[str, Any]:
        return self.args_model.model_json_schema()

    def validate_args(self, args: Mapping[str, Any]) -> BaseModel:
        try:
            return self.args_model.model_validate(dict(args))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ToolInputError(f"bad arguments for {self.name}: {problems}") from exc

    def run(self, args: Mapping[str, Any]) -> ToolResult:
        return self.func(self.validate_args(args))


def tool(name: str, args_model: type[BaseModel]) -> Callable[[Callable[[Any], ToolResult]], Tool]:
    """Turn a typed function into a `Tool`; its docstring becomes the description."""

    def wrap(func: Callable[[Any], ToolResult]) -> Tool:
        doc = " ".join((func.__doc__ or name).split())
        return Tool(name=name, description=doc, args_model=args_model, func=func)

    return wrap


class ToolRegistry:
    """The tools an agent may call, by name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.register(t)

    def register(self, t: Tool) -> None:
        if t.name in self._tools:
            raise ValueError(f"tool {t.name!r} is registered twice")
        self._tools[t.name] = t

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            known = ", ".join(sorted(self._tools))
            raise ToolInputError(f"unknown tool {name!r}; known tools: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return list(self._tools)
