"""Functional groups: which of a broad table of named groups a molecule has, and how many.

The table (`data/groups.toml`) names each group with its SMARTS, or points to RDKit's own
fragment definitions (FragmentDescriptors.csv) where RDKit has one, so the patterns are RDKit's
maintained ones wherever they exist.
"""

from __future__ import annotations

import csv
import os
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rdkit import Chem, RDConfig


@dataclass(frozen=True)
class Group:
    name: str
    synonyms: tuple[str, ...]
    smarts: str
    query: Chem.Mol


def _rdkit_smarts() -> dict[str, str]:
    path = os.path.join(RDConfig.RDDataDir, "FragmentDescriptors.csv")
    out = {}
    with open(path, encoding="utf-8") as fh:
        for row in csv.reader(
            (ln for ln in fh if ln.strip() and not ln.startswith("#")), delimiter="\t"
        ):
            if len(row) >= 3:
                out[row[0].replace("=", "_")] = row[2]
    return out


@cache
def group_table() -> tuple[Group, ...]:
    """The bundled table, with every SMARTS compiled (a broken one is an error, not a skip)."""
    raw = tomllib.loads((resources.files("tools.chem") / "data" / "groups.toml").read_text("utf-8"))
    rdkit = _rdkit_smarts()
    groups = []
    for g in raw["group"]:
        smarts = g.get("smarts") or rdkit[g["rdkit"]]
        query = Chem.MolFromSmarts(smarts)
        if query is None:
            raise ValueError(f"bad SMARTS for functional group {g['name']!r}: {smarts}")
        groups.append(Group(g["name"], tuple(g.get("synonyms", [])), smarts, query))
    return tuple(groups)


def functional_groups(mol: Chem.Mol) -> list[dict[str, object]]:
    """[{"group": name, "count": n, "smarts": ...}] for every group of the table present."""
    out = []
    for g in group_table():
        n = len(mol.GetSubstructMatches(g.query, uniquify=True, maxMatches=1000))
        if n:
            out.append({"group": g.name, "count": n, "smarts": g.smarts})
    return out


def group_names() -> dict[str, str]:
    """Every name and synonym (lower case) -> SMARTS, for questions that name a group."""
    out: dict[str, str] = {}
    for g in group_table():
        for name in (g.name, *g.synonyms):
            out.setdefault(name.lower(), g.smarts)
    return out
