"""The agent's name tools: name -> structure and structure -> name."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tools.base import Tool, ToolResult, tool
from tools.names.resolver import NameResolver


class ResolveArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        description="A compound name (trivial, trade or systematic), synonym or CAS number, "
        "e.g. aspirin, 2-acetyloxybenzoic acid or 50-78-2."
    )


class NameArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smiles: str = Field(description="The structure to name, as SMILES.")


def name_tools(resolver: NameResolver) -> list[Tool]:
    """`resolve_name` and `name_from_smiles` over one resolver (its caches and clients)."""

    @tool("resolve_name", ResolveArgs)
    def resolve_name(a: ResolveArgs) -> ToolResult:
        """Resolve a compound name, synonym or CAS number to a structure (SMILES): the built-in
        table and cache first, then OPSIN for systematic names, then PubChem."""
        res = resolver.resolve(a.name)
        extra = "".join(
            f", {label} {value}"
            for label, value in (("CAS", res.cas), ("formula", res.formula))
            if value
        )
        return ToolResult(
            summary=f"{a.name.strip()} -> {res.smiles} ({res.name}{extra}; source: {res.where})",
            data=res.reported(),
        )

    @tool("name_from_smiles", NameArgs)
    def name_from_smiles(a: NameArgs) -> ToolResult:
        """Give the common or IUPAC name of a structure (built-in table, cache, Orthonym's verified IUPAC name offline, else PubChem)."""
        res = resolver.name_for(a.smiles)
        return ToolResult(
            summary=f"{res.smiles} is {res.name} (source: {res.where})",
            data=res.reported(),
        )

    return [resolve_name, name_from_smiles]
