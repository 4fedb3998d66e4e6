"""Identity of a structure: formula, masses and InChI/InChIKey."""

from __future__ import annotations

from typing import Any

from rdkit import Chem
from rdkit.Chem import rdMolDescriptors  # not Descriptors: it imports numpy at start

from models.rdkit_log import rdkit_messages
from tools.base import ToolError


def formula(mol: Chem.Mol) -> str:
    """Hill-order molecular formula with charge, e.g. C9H8O4."""
    return str(rdMolDescriptors.CalcMolFormula(mol))


def masses(mol: Chem.Mol) -> dict[str, float]:
    """Average molecular weight (g/mol) and monoisotopic exact mass (Da)."""
    return {
        "molecular_weight": round(float(rdMolDescriptors._CalcMolWt(mol)), 3),
        "exact_mass": round(float(rdMolDescriptors.CalcExactMolWt(mol)), 4),
    }


def inchi(mol: Chem.Mol) -> dict[str, Any]:
    """Standard InChI and InChIKey."""
    with rdkit_messages() as log:
        text = Chem.MolToInchi(mol)
    if not text:
        raise ToolError(f"InChI could not be generated: {'; '.join(log.lines) or 'unknown reason'}")
    return {"inchi": text, "inchikey": Chem.InchiToInchiKey(text)}
