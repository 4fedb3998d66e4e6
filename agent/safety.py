"""The safety screen: chemical-weapons agents and their precursors, with no LLM involved.

Matches chemicals in a question by CAS number, by listed name, and by structure (InChIKey
connectivity block, so stereo and protonation variants still match). Rows of the list whose
structure is a placeholder for a salt or mixture (a net-charged ion, a one-atom molecule, or a tiny
SMILES shared by several CAS numbers) are matched by CAS only; otherwise "C" would flag methane.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from rdkit import Chem

from tools.base import ToolInputError
from tools.chem.mol import parse_smiles, rdkit_messages
from tools.names.table import CAS_PATTERN

SCHEDULE_1 = "OPCW schedule 1"

_SYNTHESIS = re.compile(
    r"\b(synthes\w*|prepar\w*|manufactur\w*|produc(?:e|ing|tion)\w*|make|making|made|"
    r"route\w*|recipe\w*|precursor\w*\s+(?:for|to)|weaponi[sz]\w*|aerosoli[sz]\w*|"
    r"disseminat\w*|scale[- ]up|obtain|isolat\w*|extract\w*)\b",
    re.IGNORECASE,
)


class ScreenResult(BaseModel):
    """What the screen decided: a refusal (stop) or warnings (continue), and what matched."""

    model_config = ConfigDict(extra="forbid")

    refusal: str | None = None
    warnings: list[str] = Field(default_factory=list)
    matched: list[str] = Field(default_factory=list, description="CAS numbers found.")


@dataclass
class ScheduleList:
    """The list indexed by CAS, by structure key and by name."""

    by_cas: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_structure: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cas_only: set[str] = field(default_factory=set)
    names: dict[str, list[str]] = field(default_factory=dict)
    name_of: dict[str, str] = field(default_factory=dict)

    def schedules(self, cas: str) -> set[str]:
        return self.by_cas.get(cas, set())


def structure_key(mol: Chem.Mol) -> str | None:
    """InChIKey connectivity block (first 14 characters), None if InChI fails."""
    with rdkit_messages():
        key = Chem.MolToInchiKey(mol)
    return key[:14] if key else None


def _is_placeholder(mol: Chem.Mol, shared: bool) -> bool:
    charged = Chem.GetFormalCharge(mol) != 0
    heavy = mol.GetNumHeavyAtoms()
    return charged or heavy <= 1 or (shared and heavy <= 3)


def load_schedule_list(csv_path: Path | None = None) -> ScheduleList:
    """Read the CWC / Australia Group list (bundled copy unless `csv_path` is given)."""
    if csv_path is None:
        text = (resources.files("agent.data") / "chem_wep_smi.csv").read_text(encoding="utf-8")
    else:
        try:
            text = csv_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ToolInputError(f"cannot read the safety list {csv_path}: {exc.strerror}") from exc
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"cas", "source", "smiles"} <= set(rows[0]):
        raise ToolInputError("the safety list needs the columns cas, source, smiles")
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
    raw = tomllib.loads(
        (resources.files("agent.data") / "safety_names.toml").read_text(encoding="utf-8")
    )
    lst.names = {k.lower(): v for k, v in raw["names"].items()}
    for name, cas_list in lst.names.items():
        for cas in cas_list:
            lst.name_of.setdefault(cas, name)
    return lst


@cache
def bundled_list() -> ScheduleList:
    return load_schedule_list(None)


class SafetyScreen:
    """Refuses synthesis help for Schedule 1 agents; warns on Schedule 2/3 and precursors."""

    def __init__(self, schedule_list: ScheduleList | None = None) -> None:
        self.list = schedule_list or bundled_list()
        names = sorted(self.list.names, key=len, reverse=True)
        self._name_re = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w-])", re.IGNORECASE
        )

    def find(self, text: str, smiles: list[str]) -> dict[str, str]:
        """CAS numbers of listed chemicals in the text or among the structures -> how named."""
        found: dict[str, str] = {}
        for m in CAS_PATTERN.finditer(text):
            if m.group(1) in self.list.by_cas:
                found[m.group(1)] = m.group(1)
        for m in self._name_re.finditer(text):
            for cas in self.list.names[m.group(1).lower()]:
                found.setdefault(cas, m.group(1))
        for smi in smiles:
            try:
                key = structure_key(parse_smiles(smi))
            except ToolInputError:
                continue
            for cas in self.list.by_structure.get(key or "", ()):
                found.setdefault(cas, smi)
        return found

    def screen(self, question: str, smiles: list[str]) -> ScreenResult:
        """Decide on a question given the structures it mentions (SMILES, already resolved)."""
        found = self.find(question, smiles)
        wants_synthesis = bool(_SYNTHESIS.search(question))
        warnings: list[str] = []
        for cas, shown in found.items():
            schedules = sorted(self.list.schedules(cas))
            label = self.list.name_of.get(cas, shown)
            named = f"{label} (CAS {cas})" if label != cas else f"CAS {cas}"
            if SCHEDULE_1 in schedules and wants_synthesis:
                return ScreenResult(
                    refusal=(
                        f"I can't help with making {named}: it is a Schedule 1 chemical-warfare "
                        "agent under the Chemical Weapons Convention. I can still answer questions "
                        "about detection, toxicology or its listed status."
                    ),
                    matched=list(found),
                )
            what = ", ".join(schedules)
            advice = (
                "no synthesis route will be given"
                if wants_synthesis
                else "handle and store it under your institution's controls"
            )
            warnings.append(f"{named} is a controlled chemical ({what}); {advice}.")
        return ScreenResult(warnings=warnings, matched=list(found))
