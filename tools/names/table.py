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
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from tools.names.drugs import DrugDictionary

DRUGS_SOURCE = "drug dictionary (drug-named-entity-recognition)"

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
    note: str | None = Field(
        None, description="What the answer should say about the structure (brand, salt)."
    )

    @property
    def where(self) -> str:
        """The source as written in answers ("OPSIN, from the local cache")."""
        where = f"{self.source}, from the local cache" if self.cached else self.source
        return f"{where}; {self.note}" if self.note else where

    def reported(self) -> dict[str, object]:
        """The fields as tools and `chemagent resolve --json` show them: `source` is `where`."""
        return self.model_dump(exclude={"source"}) | {"source": self.where}


class NameTable:
    """Case-insensitive lookup of names, synonyms and CAS numbers; with a drug dictionary, also of
    drug and brand names (the table's own rows win)."""

    def __init__(self, rows: list[dict[str, str]], drugs: DrugDictionary | None = None) -> None:
        self.drugs = drugs
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
        # Bounded by more than word characters: "urea" inside "...]urea" or "(2-...)urea" is part
        # of a systematic name, not a name of its own.
        self._finder = re.compile(
            r"(?<![\w\-\[\]()])(" + "|".join(re.escape(n) for n in names) + r")(?![\w\-\[\(])",
            re.IGNORECASE,
        )

    @classmethod
    def from_csv(cls, path: Path) -> NameTable:
        with path.open(newline="", encoding="utf-8") as fh:
            return cls(list(csv.DictReader(fh)))

    def lookup(self, query: str) -> Resolution | None:
        row = self._by_key.get(" ".join(query.lower().split()))
        return _from_row(query, row) if row is not None else self._drug(query)

    def _drug(self, query: str) -> Resolution | None:
        entry = self.drugs.entry(query) if self.drugs is not None else None
        if entry is None:
            return None
        key = " ".join(query.lower().split())
        brand = None
        if entry.name.lower() != key:
            brand = f"{query.strip()} = {entry.name.lower()} in the drug dictionary"
        row = self._by_key.get(entry.name.lower())
        if row is not None:  # the drug is in the table: its structure there is checked
            return _from_row(query, row, brand)
        if entry.smiles is None:
            return None
        notes = [n for n in (brand, entry.note) if n]
        return Resolution(
            query=query,
            name=entry.name.lower(),
            smiles=entry.smiles,
            source=DRUGS_SOURCE,
            note="; ".join(notes) or None,
        )

    def why_not(self, query: str) -> str | None:
        """Why a name the drug dictionary knows has no usable structure there, else None."""
        entry = self.drugs.entry(query) if self.drugs is not None else None
        if entry is None or entry.smiles is not None or self.lookup(query) is not None:
            return None
        return f"the drug dictionary knows {query!r} ({entry.name}), but {entry.note}"

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
        """(start, end, matched text) of every known name in `text`, left to right: the table's
        names, then drug names that overlap none of them."""
        found = [(m.start(), m.end(), m.group(1)) for m in self._finder.finditer(text)]
        if self.drugs is not None:
            for a, b, name in self.drugs.find_names(text):
                if all(b <= s or a >= e for s, e, _ in found):
                    found.append((a, b, name))
        return sorted(found)


def _from_row(query: str, row: dict[str, str], note: str | None = None) -> Resolution:
    return Resolution(
        query=query,
        name=row["name"],
        smiles=row["smiles"],
        cas=row.get("cas") or None,
        source="built-in table",
        note=note,
    )


def _rows(filename: str) -> list[dict[str, str]]:
    ref = resources.files("tools.names") / "data" / filename
    with resources.as_file(ref) as path, path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def builtin_table() -> NameTable:
    """Common compounds, lab reagents and solvents, and the drug dictionary when installed."""
    from tools.names.drugs import drug_dictionary

    return NameTable(_rows("common.csv") + _rows("reagents.csv"), drug_dictionary())
