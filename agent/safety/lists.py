"""The list of scheduled chemicals the screen knows: by CAS, structure, name and family.

Structures are compared by InChIKey connectivity block, so stereo and protonation variants still
match. Rows of the list whose structure is a placeholder for a salt or mixture (a net-charged ion,
a one-atom molecule, or a tiny SMILES shared by several CAS numbers) are matched by CAS only;
otherwise "C" would flag methane. Schedule 1 families are SMARTS, so an unlisted member of the
sarin or VX family is still recognised.
"""

from __future__ import annotations

import csv
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from rdkit import Chem

from models.rdkit_log import rdkit_messages
from tools.base import ToolInputError
from tools.chem.mol import parse_smiles

SCHEDULE_1 = "OPCW schedule 1"


@dataclass
class ScheduleList:
    """The list indexed by CAS, by structure key and by name."""

    by_cas: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_structure: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cas_only: set[str] = field(default_factory=set)
    names: dict[str, list[str]] = field(default_factory=dict)
    name_of: dict[str, str] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    needs: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    families: list[tuple[str, Chem.Mol]] = field(default_factory=list)

    def schedules(self, cas: str) -> set[str]:
        return self.by_cas.get(cas, set())

    def is_schedule_1(self, cas: str) -> bool:
        return SCHEDULE_1 in self.schedules(cas)

    def family_of(self, mol: Chem.Mol) -> str | None:
        """The Schedule 1 family `mol` belongs to, by structure, or None."""
        return next((name for name, q in self.families if mol.HasSubstructMatch(q)), None)


def structure_key(mol: Chem.Mol) -> str | None:
    """InChIKey connectivity block (first 14 characters), None if InChI fails."""
    with rdkit_messages():
        key = Chem.MolToInchiKey(mol)
    return key[:14] if key else None


def _is_placeholder(mol: Chem.Mol, shared: bool) -> bool:
    charged = Chem.GetFormalCharge(mol) != 0
    heavy = mol.GetNumHeavyAtoms()
    return charged or heavy <= 1 or (shared and heavy <= 3)


def _bundled(name: str) -> str:
    return (resources.files("agent.data") / name).read_text(encoding="utf-8")


def load_schedule_list(csv_path: Path | None = None) -> ScheduleList:
    """Read the CWC / Australia Group list (bundled copy unless `csv_path` is given).

    The bundled Schedule 1 supplement, names and families are always added: a list file can
    extend the screen but not switch its Schedule 1 knowledge off.
    """
    if csv_path is None:
        text = _bundled("chem_wep_smi.csv")
    else:
        try:
            text = csv_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            raise ToolInputError(
                f"cannot read the safety list {csv_path}: {why}; fix the file or unset "
                "safety.list_file to use the bundled list (the assistant will not run unscreened)"
            ) from exc
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"cas", "source", "smiles"} <= set(rows[0]):
        raise ToolInputError("the safety list needs the columns cas, source, smiles")
    rows += list(csv.DictReader(_bundled("schedule1_supplement.csv").splitlines()))
    lst = ScheduleList()
    cas_per_smiles: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        cas = row["cas"].strip().strip("()")
        lst.by_cas[cas].add(row["source"].strip())
        cas_per_smiles[row["smiles"].strip()].add(cas)
    for row in rows:
        cas, smi = row["cas"].strip().strip("()"), row["smiles"].strip()
        try:
            mol = parse_smiles(smi)
        except ToolInputError:
            lst.cas_only.add(cas)
            continue
        if _is_placeholder(mol, shared=len(cas_per_smiles[smi]) > 1):
            lst.cas_only.add(cas)
            continue
        if (key := structure_key(mol)) is not None:
            lst.by_structure[key].add(cas)
    _add_names(lst)
    for fam in tomllib.loads(_bundled("safety_terms.toml"))["families"]:
        query = Chem.MolFromSmarts(fam["smarts"])
        if query is None:  # a broken pattern must not silently weaken the screen
            raise ToolInputError(f"bad SMARTS for {fam['name']} in safety_terms.toml")
        lst.families.append((fam["name"], query))
    return lst


def _add_names(lst: ScheduleList) -> None:
    """Names in every language, codes and their sources, from `safety_names.csv`. A name is
    stored folded by the same normaliser that folds the questions (`normalise.fold`)."""
    from agent.safety.normalise import fold

    for row in csv.DictReader(_bundled("safety_names.csv").splitlines()):
        cas_list, name = row["cas"].split(), row["name"].strip()
        if row["lang"] == "code":
            lst.codes.setdefault(name, []).extend(cas_list)
            continue
        key = fold(name)
        lst.names.setdefault(key, []).extend(c for c in cas_list if c not in lst.names.get(key, []))
        lst.sources[key] = f"{row['lang']}: {row['source']}"
        if row.get("needs"):
            lst.needs[key] = row["needs"]
        if row["lang"] == "en":
            for cas in cas_list:
                lst.name_of.setdefault(cas, name)


@cache
def bundled_list() -> ScheduleList:
    return load_schedule_list(None)
