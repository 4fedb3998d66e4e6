"""RDKit tools: structure parsing, properties, similarity, substructure, reactions, depiction."""

from tools.chem.mol import ChemLimits, InvalidSmiles, canonical_smiles, parse_smiles

__all__ = ["ChemLimits", "InvalidSmiles", "canonical_smiles", "parse_smiles"]
