"""Scaffolds and stereochemistry."""

from __future__ import annotations

from typing import Any

from rdkit import Chem


def murcko_scaffold(mol: Chem.Mol, generic: bool = False) -> str:
    """Bemis-Murcko scaffold SMILES (ring systems plus linkers); '' for acyclic molecules."""
    from rdkit.Chem.Scaffolds import MurckoScaffold  # imports AllChem and numpy: on use only

    core = MurckoScaffold.GetScaffoldForMol(mol)
    if generic and core.GetNumAtoms():
        core = MurckoScaffold.MakeScaffoldGeneric(core)
    return str(Chem.MolToSmiles(core))


def stereocentres(mol: Chem.Mol) -> dict[str, Any]:
    """Tetrahedral stereocentres (atom index, CIP label or '?') and stereo double bonds."""
    from rdkit.Chem import FindMolChiralCenters

    centres = FindMolChiralCenters(mol, includeUnassigned=True, useLegacyImplementation=False)
    double = [
        {"bond": b.GetIdx(), "stereo": str(b.GetStereo()).replace("STEREO", "")}
        for b in mol.GetBonds()
        if b.GetBondType() == Chem.BondType.DOUBLE and b.GetStereo() != Chem.BondStereo.STEREONONE
    ]
    return {
        "stereocentres": [
            {"atom": int(i), "symbol": mol.GetAtomWithIdx(i).GetSymbol(), "label": label}
            for i, label in centres
        ],
        "n_stereocentres": len(centres),
        "n_unassigned": sum(1 for _, label in centres if label == "?"),
        "stereo_double_bonds": double,
    }
