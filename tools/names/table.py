"""A local table of common compound names, synonyms and CAS numbers with their structures.

It lets the assistant understand "aspirin" or "50-78-2" with no network and no Java, and it lets
the rule planner spot names in a question by longest match.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tools.base import Tool, ToolInputError, ToolResult
from tools.chem.mol import canonical_smiles

CAS_PATTERN = re.compile(r"\b(\d{2,7}-\d{2}-\d)\b")


def cas_checksum_ok(cas: str) -> bool:
    """CAS numbers end in a check digit: the weighted sum of the other digits mod 10."""
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * w for w, d in enumerate(reversed(body), start=1))
    return total % 10 == check


class Resolution(BaseModel):
    """A name resolved to a structure, and where the answer came from."""

    model_config = ConfigDict(extra="forbid")

    query: str
    name: str
    smiles: str
    cas: str | None = None
    source: str = Field(description="Where the structure came from, e.g. 'built-in table'.")


class NameTable:
    """Case-insensitive lookup of names, synonyms and CAS numbers."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self._by_key: dict[str, dict[str, str]] = {}
        for row in rows:
            keys = [row["name"], *filter(None, row.get("synonyms", "").split("|"))]
            if row.get("cas"):
                keys.append(row["cas"])
            for key in keys:
                self._by_key[key.strip().lower()] = row
        # Longest names first so that "salicylic acid" wins over "acid"-like fragments.
        names = sorted(
            (k for k in self._by_key if not CAS_PATTERN.fullmatch(k)), key=len, reverse=True
        )
        self._finder = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", re.IGNORECASE
        )

    @classmethod
    def from_csv(cls, path: Path) -> NameTable:
        with path.open(newline="", encoding="utf-8") as fh:
            return cls(list(csv.DictReader(fh)))

    def lookup(self, query: str) -> Resolution | None:
        row = self._by_key.get(query.strip().lower())
        if row is None:
            return None
        return Resolution(
            query=query,
            name=row["name"],
            smiles=row["smiles"],
            cas=row.get("cas") or None,
            source="built-in table",
        )

    def find_names(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, matched text) of every known name in `text`, left to right."""
        return [(m.start(), m.end(), m.group(1)) for m in self._finder.finditer(text)]


@cache
def builtin_table() -> NameTable:
    ref = resources.files("tools.names") / "data" / "common.csv"
    with resources.as_file(ref) as path:
        return NameTable.from_csv(path)


class ResolveArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        description="A compound name, synonym or CAS number, e.g. aspirin or 50-78-2."
    )


def resolve_name_tool(table: NameTable | None = None) -> Tool:
    """The `resolve_name` tool over a table (the built-in one by default)."""
    tab = table or builtin_table()

    def resolve_name(a: ResolveArgs) -> ToolResult:
        """Resolve a compound name, synonym or CAS number to a structure (SMILES), offline."""
        query = a.name.strip()
        if not query:
            raise ToolInputError("empty name: give a compound name such as aspirin")
        if CAS_PATTERN.fullmatch(query) and not cas_checksum_ok(query):
            raise ToolInputError(f"{query} is not a valid CAS number (its check digit is wrong)")
        hit = tab.lookup(query)
        if hit is None:
            raise ToolInputError(
                f"unknown compound name {query!r}: it is not in the offline name table; "
                "give its SMILES instead"
            )
        hit = hit.model_copy(update={"smiles": canonical_smiles(hit.smiles)})
        cas = f", CAS {hit.cas}" if hit.cas else ""
        return ToolResult(
            summary=f"{query} -> {hit.smiles} ({hit.name}{cas}; source: {hit.source})",
            data=hit.model_dump(),
        )

    return Tool(
        "resolve_name", " ".join((resolve_name.__doc__ or "").split()), ResolveArgs, resolve_name
    )
