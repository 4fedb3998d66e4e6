"""Physicochemical descriptors and the drug-likeness rules built on them."""

from __future__ import annotations

from functools import cache
from typing import Any

from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

DESCRIPTOR_NAMES: tuple[str, ...] = (
    "molecular_weight",
    "logp",
    "tpsa",
    "hbd",
    "hba",
    "rotatable_bonds",
    "rings",
    "aromatic_rings",
    "heavy_atoms",
    "fraction_sp3",
    "qed",
    "sa_score",
)


@cache
def _sascorer() -> Any:
    # The SA score lives in RDKit's Contrib folder, which is not a regular package.
    from rdkit.Contrib.SA_Score import sascorer

    return sascorer


def descriptors(mol: Chem.Mol) -> dict[str, float | int]:
    """All descriptors of `DESCRIPTOR_NAMES`: Crippen logP, TPSA (Å²), Lipinski HBD/HBA, ..."""
    return {
        "molecular_weight": round(float(Descriptors.MolWt(mol)), 3),
        "logp": round(float(Crippen.MolLogP(mol)), 3),
        "tpsa": round(float(rdMolDescriptors.CalcTPSA(mol)), 2),
        "hbd": int(Lipinski.NumHDonors(mol)),
        "hba": int(Lipinski.NumHAcceptors(mol)),
        "rotatable_bonds": int(rdMolDescriptors.CalcNumRotatableBonds(mol)),
        "rings": int(rdMolDescriptors.CalcNumRings(mol)),
        "aromatic_rings": int(rdMolDescriptors.CalcNumAromaticRings(mol)),
        "heavy_atoms": int(mol.GetNumHeavyAtoms()),
        "fraction_sp3": round(float(rdMolDescriptors.CalcFractionCSP3(mol)), 3),
        "qed": round(float(QED.qed(mol)), 3),
        "sa_score": round(float(_sascorer().calculateScore(mol)), 2),
    }


def lipinski(mol: Chem.Mol) -> dict[str, Any]:
    """Lipinski's rule of five: MW <= 500, logP <= 5, HBD <= 5, HBA <= 10."""
    d = descriptors(mol)
    checks = {
        "molecular_weight <= 500": d["molecular_weight"] <= 500,
        "logp <= 5": d["logp"] <= 5,
        "hbd <= 5": d["hbd"] <= 5,
        "hba <= 10": d["hba"] <= 10,
    }
    failed = [rule for rule, ok in checks.items() if not ok]
    return {
        "lipinski_violations": len(failed),
        "lipinski_failed": failed,
        # The rule tolerates one violation.
        "lipinski_pass": len(failed) <= 1,
    }


def veber(mol: Chem.Mol) -> dict[str, Any]:
    """Veber's oral-bioavailability rule: rotatable bonds <= 10 and TPSA <= 140 Å²."""
    rot = int(rdMolDescriptors.CalcNumRotatableBonds(mol))
    tpsa = float(rdMolDescriptors.CalcTPSA(mol))
    failed = [
        r
        for r, ok in (("rotatable_bonds <= 10", rot <= 10), ("tpsa <= 140", tpsa <= 140))
        if not ok
    ]
    return {"veber_violations": len(failed), "veber_failed": failed, "veber_pass": not failed}
