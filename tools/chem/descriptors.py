"""Physicochemical descriptors and the drug-likeness rules built on them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, Literal, get_args

from rdkit import Chem

# The C++ calculators behind Descriptors.MolWt, Crippen.MolLogP and Lipinski's counts, called
# directly: those Python modules import numpy (0.1 s) at every start.
from rdkit.Chem import rdMolDescriptors

DescriptorName = Literal[
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
]
DESCRIPTOR_NAMES: tuple[str, ...] = get_args(DescriptorName)


@cache
def _qed() -> Any:
    # QED imports numpy (0.1 s): loaded on the first QED asked, not at every start.
    from rdkit.Chem import QED

    return QED.qed


@cache
def _sascorer() -> Any:
    # The SA score lives in RDKit's Contrib folder, which is not a regular package.
    from rdkit.Contrib.SA_Score import sascorer

    return sascorer


_CALCULATORS: dict[str, Callable[[Chem.Mol], float | int]] = {
    "molecular_weight": lambda m: round(float(rdMolDescriptors._CalcMolWt(m)), 3),
    "logp": lambda m: round(float(rdMolDescriptors.CalcCrippenDescriptors(m)[0]), 3),
    "tpsa": lambda m: round(float(rdMolDescriptors.CalcTPSA(m)), 2),
    "hbd": lambda m: int(rdMolDescriptors.CalcNumHBD(m)),
    "hba": lambda m: int(rdMolDescriptors.CalcNumHBA(m)),
    "rotatable_bonds": lambda m: int(rdMolDescriptors.CalcNumRotatableBonds(m)),
    "rings": lambda m: int(rdMolDescriptors.CalcNumRings(m)),
    "aromatic_rings": lambda m: int(rdMolDescriptors.CalcNumAromaticRings(m)),
    "heavy_atoms": lambda m: int(m.GetNumHeavyAtoms()),
    "fraction_sp3": lambda m: round(float(rdMolDescriptors.CalcFractionCSP3(m)), 3),
    "qed": lambda m: round(float(_qed()(m)), 3),
    # The SA score loads a fragment table on first use (~0.4 s), so it is computed only on request.
    "sa_score": lambda m: round(float(_sascorer().calculateScore(m)), 2),
}


def descriptors(mol: Chem.Mol, names: Iterable[str] | None = None) -> dict[str, float | int]:
    """Crippen logP, TPSA (Å²), Lipinski HBD/HBA, ...: the `names` asked for, or all of them."""
    return {name: _CALCULATORS[name](mol) for name in (names or DESCRIPTOR_NAMES)}


RULE_INPUTS = ("molecular_weight", "logp", "tpsa", "hbd", "hba", "rotatable_bonds")


def lipinski(values: Mapping[str, float | int]) -> dict[str, Any]:
    """Lipinski's rule of five on `descriptors(mol, RULE_INPUTS)`: MW <= 500, logP <= 5, HBD <= 5, HBA <= 10."""
    checks = {
        "molecular_weight <= 500": values["molecular_weight"] <= 500,
        "logp <= 5": values["logp"] <= 5,
        "hbd <= 5": values["hbd"] <= 5,
        "hba <= 10": values["hba"] <= 10,
    }
    failed = [rule for rule, ok in checks.items() if not ok]
    return {
        "lipinski_violations": len(failed),
        "lipinski_failed": failed,
        # The rule tolerates one violation.
        "lipinski_pass": len(failed) <= 1,
    }


def veber(values: Mapping[str, float | int]) -> dict[str, Any]:
    """Veber's oral-bioavailability rule: rotatable bonds <= 10 and TPSA <= 140 Å²."""
    checks = {
        "rotatable_bonds <= 10": values["rotatable_bonds"] <= 10,
        "tpsa <= 140": values["tpsa"] <= 140,
    }
    failed = [rule for rule, ok in checks.items() if not ok]
    return {"veber_violations": len(failed), "veber_failed": failed, "veber_pass": not failed}
