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
    cid: int | None = Field(None, description="PubChem CID, when PubChem answered.")
    formula: str | None = None
    source: str = Field(
        description="Where the structure came from: 'built-in table', 'OPSIN' or 'PubChem CID n'."
    )
    cached: bool = Field(False, description="True when this answer was read from the local cache.")

    @property
    def where(self) -> str:
        """The source as written in answers ("OPSIN, from the local cache")."""
        return f"{self.source}, from the local cache" if self.cached else self.source

    def reported(self) -> dict[str, object]:
        """The fields as tools and `chemagent resolve --json` show them: `source` is `where`."""
        return self.model_dump(exclude={"source"}) | {"source": self.where}


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

    def rows(self) -> list[Resolution]:
        """Every compound in the table once."""
        seen: dict[int, Resolution] = {}
        for row in self._by_key.values():
            if id(row) not in seen:
                seen[id(row)] = Resolution(
                    query=row["name"],
                    name=row["name"],
                    smiles=row["smiles"],
                    cas=row.get("cas") or None,
                    source="built-in table",
                )
        return list(seen.values())

    def find_names(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, matched text) of every known name in `text`, left to right."""
        return [(m.start(), m.end(), m.group(1)) for m in self._finder.finditer(text)]


@cache
def builtin_table() -> NameTable:
    ref = resources.files("tools.names") / "data" / "common.csv"
    with resources.as_file(ref) as path:
        return NameTable.from_csv(path)
