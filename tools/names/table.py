"""A local table of common compound names, synonyms and CAS numbers with their structures.

It lets the assistant understand "aspirin" or "50-78-2" with no network and no Java, and it lets
the rule planner spot names in a question by longest match. Behind it, opened only when a name
is not in the table, is the offline name index (`tools.names.index`: PubChem's table from the
`chemicals` package, DrugCentral, the drug dictionary); the table's own rows always win.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from tools.names.cas import CAS_PATTERN, cas_checksum_ok
from tools.names.sources import DRUGS_SOURCE

if TYPE_CHECKING:
    from tools.names.index import IndexHit, NameIndex, Spelling

__all__ = [
    "CAS_PATTERN",
    "DRUGS_SOURCE",
    "NameTable",
    "Resolution",
    "builtin_rows",
    "builtin_table",
    "cas_checksum_ok",
]


class Resolution(BaseModel):
    """A name resolved to a structure, and where the answer came from."""

    model_config = ConfigDict(extra="forbid")

    query: str
    name: str
    smiles: str
    cas: str | None = None
    cid: int | None = Field(
        None, description="PubChem CID, when PubChem or PubChem's offline table answered."
    )
    formula: str | None = None
    source: str = Field(
        description="Where the structure came from: 'built-in table', an offline dictionary "
        "('DrugCentral 2021', 'PubChem-derived table (chemicals package)', the drug dictionary), "
        "'OPSIN' or 'PubChem CID n'."
    )
    cached: bool = Field(False, description="True when this answer was read from the local cache.")
    note: str | None = Field(
        None,
        description="What the answer should say about the structure (brand, synonym, salt, "
        "a misspelling assumed).",
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
    """Case-insensitive lookup of names, synonyms and CAS numbers; with the offline name index,
    also of the 100,000 compounds and drugs it holds (the table's own rows win)."""

    def __init__(self, rows: list[dict[str, str]], index: NameIndex | None = None) -> None:
        self.index = index
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
            # not inside a systematic name ("benzo[a]pyrene", "2-[4-...]"), but a list in
            # brackets ("[ethanol, benzene]") is read
            r"(?<![\w\-\]()])(?<![\w\-\])(]\[)("
            + "|".join(re.escape(n) for n in names)
            + r")(?![\w\-\[\(])",
            re.IGNORECASE,
        )

    @classmethod
    def from_csv(cls, path: Path) -> NameTable:
        with path.open(newline="", encoding="utf-8") as fh:
            return cls(list(csv.DictReader(fh)))

    def lookup(self, query: str, *, spotted_only: bool = False) -> Resolution | None:
        """The table's row for a name, else the index's answer. `spotted_only` keeps to the
        index's names that may be found in running text (not "salt", not "carbon"): for names
        guessed from a question rather than given."""
        row = self._by_key.get(" ".join(query.lower().split()))
        if row is not None:
            return _from_row(query, row)
        hit = self.index.lookup(query, spotted_only=spotted_only) if self.index else None
        return self._from_index(query, hit) if hit is not None else None

    def _from_index(self, query: str, hit: IndexHit) -> Resolution:
        if hit.drug is not None:
            row = self._by_key.get(hit.drug)
            if row is not None:  # the drug is in the table: its structure there is checked
                return _from_row(query, row, hit.alias)
        notes = [n for n in (hit.alias, hit.parent) if n]
        return Resolution(
            query=query,
            name=hit.name,
            smiles=hit.smiles,
            cas=hit.cas,
            cid=hit.cid,
            formula=hit.formula,
            source=hit.source.label,
            note="; ".join(notes) or None,
        )

    def why_not(self, query: str) -> str | None:
        """Why a name the offline dictionaries know has no structure there (a drug product that
        is a mixture, a synonym of several compounds), else None."""
        return self.index.why_not(query) if self.index is not None else None

    def spelling(self, query: str) -> tuple[Resolution | None, list[str]]:
        """For a name nothing knows: the one compound the closest names in the offline index
        mean (its note says the name was assumed misspelt), or else the close names to offer."""
        if self.index is None:
            return None, []
        guess: Spelling = self.index.spelling(query)
        if guess.hit is None or guess.corrected is None:
            return None, list(guess.options)
        res = self.lookup(guess.corrected) or self._from_index(guess.corrected, guess.hit)
        assumed = f"assumed {' '.join(query.split())!r} means {guess.corrected}"
        note = "; ".join(filter(None, [assumed, res.note]))
        return res.model_copy(update={"query": query, "note": note}), []

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
        names, then the index's spottable names that overlap none of them."""
        found = [(m.start(), m.end(), m.group(1)) for m in self._finder.finditer(text)]
        if self.index is not None:
            for a, b, name in self.index.find_names(text):
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


def builtin_rows() -> list[dict[str, str]]:
    """The rows of the shipped tables: common compounds, lab reagents and solvents."""
    return _rows("common.csv") + _rows("reagents.csv")


def builtin_table(index_file: Path | None = None) -> NameTable:
    """The shipped tables, with the offline name index behind them (at `index_file`, default
    `index.default_index_file()`; opened on the first name the tables do not know). One per
    index file per process."""
    from tools.names.index import default_index_file

    return _table((index_file or default_index_file()).expanduser())


@cache
def _table(index_file: Path) -> NameTable:
    from tools.names.index import NameIndex

    return NameTable(builtin_rows(), NameIndex(index_file))
