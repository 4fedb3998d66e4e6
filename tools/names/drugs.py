"""Drug names offline: the dictionary shipped in the `drug-named-entity-recognition` package.

The package (MIT, Fast Data Science) carries about 20,000 drugs with 100,000 names, brand names
and synonyms, and structures (from PubChem) for about 7,000 of them. We read its data file
directly rather than importing the package, whose import touches the home folder and the network.
Unpickling it takes half a second, so only the offline name index's build reads it
(`tools.names.index`); questions read the index.

Its structures are as PubChem lists the drug product: salts, hydrates, sometimes a mixture. The
parent structure is what a chemist means by the drug's name, so counterions and water are
removed and charges neutralised; an entry whose structure is several different molecules (a
combination product) gives no structure rather than the wrong one. A brand name resolves to its
drug, and when the built-in table knows that drug its structure is preferred.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

from rdkit import Chem, rdBase
from rdkit.Chem.MolStandardize import rdMolStandardize

from models.rdkit_log import rdkit_messages
from tools.names.sources import SYSTEMATIC, drug_data_file, load_raw

__all__ = ["SYSTEMATIC", "DrugDictionary", "DrugEntry", "drug_data_file", "drug_dictionary",
           "load_raw", "parent_structure"]  # fmt: skip

log = logging.getLogger(__name__)


# Counter-ions and solvents of drug salts (neutral forms, canonical SMILES): never the parent.
def _neutral_keys(smiles: tuple[str, ...]) -> set[str]:
    with rdBase.BlockLogs():
        return {Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False) for s in smiles}


_COUNTERIONS = _neutral_keys(
    (
        "O", "Cl", "Br", "I", "F", "OS(=O)(=O)O", "OP(=O)(O)O", "O=[N+]([O-])O", "OC(=O)O",
        "CC(=O)O", "OC(=O)C(O)C(O)C(=O)O", "OC(=O)CC(O)(CC(=O)O)C(=O)O", "OC(=O)/C=C\\C(=O)O",
        "OC(=O)/C=C/C(=O)O", "OC(=O)CCC(=O)O", "CS(=O)(=O)O", "Cc1ccc(S(=O)(=O)O)cc1",
        "O=S(=O)(O)c1ccccc1", "CC(O)C(=O)O", "OC(=O)C(=O)O", "OC(=O)CC(O)C(=O)O",
        "O=C(O)c1ccccc1", "OC(=O)C(F)(F)F", "CCS(=O)(=O)O", "OS(=O)(=O)CCS(=O)(=O)O",
        "OC[C@H](O)[C@@H](O)[C@H](O)[C@H](O)C(=O)O", "OCC(O)CO", "CCO", "NCCO", "OCCN(CCO)CCO",
        "[HH]", "OO", "O=S(=O)(O)O", "OC(=O)c1cc2ccccc2cc1O", "CCCCCCCCCCCCCCCCCC(=O)O",
        "OC(=O)C(O)c1ccccc1", "NC(=O)N", "CN(C)C", "N",
    )
)  # fmt: skip


@dataclass(frozen=True)
class DrugEntry:
    """A drug as the dictionary gives it: its name and parent structure, with how it was made."""

    name: str
    smiles: str | None
    note: str | None = None


def parent_structure(smiles: str) -> tuple[str | None, str | None]:
    """(parent SMILES, note) of a drug product's structure; (None, why) for a mixture."""
    with rdkit_messages(), rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return None, "its structure in the dictionary cannot be read"
        uncharger = rdMolStandardize.Uncharger()
        parts: dict[str, int] = {}
        for frag in Chem.GetMolFrags(mol, asMols=True):
            neutral = uncharger.uncharge(frag)
            if neutral.GetNumHeavyAtoms() == 0 or all(
                a.GetAtomicNum() != 6 for a in neutral.GetAtoms()
            ):
                continue  # metal ions, inorganic acids
            key = Chem.MolToSmiles(neutral)
            if Chem.MolToSmiles(neutral, isomericSmiles=False) not in _COUNTERIONS:
                parts[key] = neutral.GetNumHeavyAtoms()
    if not parts:
        return None, "its structure in the dictionary has no organic parent"
    ranked = sorted(parts, key=parts.__getitem__, reverse=True)
    parent = ranked[0]
    if len(ranked) > 1 and parts[ranked[1]] > 0.4 * parts[parent]:
        return None, "its structure in the dictionary is a mixture of several compounds"
    dropped = len(Chem.GetMolFrags(mol)) > 1 or Chem.GetFormalCharge(mol) != 0
    note = "parent compound of the salt or hydrate the dictionary lists" if dropped else None
    return parent, note


class DrugDictionary:
    """Look-ups in the whole dictionary held in memory, structures lazily. Questions do not use
    it (the index holds the same names, opened in milliseconds); it is here for checks."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._variants: dict[str, list[str]] = raw["drug_variant_to_canonical"]
        self._data: dict[str, dict[str, Any]] = raw["drug_canonical_to_data"]
        self._entries: dict[str, DrugEntry] = {}

    @classmethod
    def load(cls) -> DrugDictionary | None:
        """The installed package's dictionary, or None (with a log line) when it is missing."""
        raw = load_raw()
        return cls(raw) if raw is not None else None

    def canonical(self, name: str) -> str | None:
        """The dictionary's drug for a name or brand ("Advil" -> "ibuprofen"), or None.

        Names with locants ("benzene-1,4-diol") are left to OPSIN, which reads them exactly:
        the dictionary's structures for such entries are not always the named compound."""
        if SYSTEMATIC.search(name):
            return None
        cs = self._variants.get(" ".join(name.lower().split()))
        return cs[0] if cs and len(cs) == 1 else None

    def entry(self, name: str) -> DrugEntry | None:
        """The drug a name means, with its parent structure (None when unusable, with why)."""
        canonical = self.canonical(name)
        if canonical is None:
            return None
        if canonical not in self._entries:
            data = self._data.get(canonical, {})
            raw = data.get("smiles")
            smiles, note = (
                parent_structure(raw) if raw else (None, "no structure in the dictionary")
            )
            self._entries[canonical] = DrugEntry(str(data.get("name", canonical)), smiles, note)
        return self._entries[canonical]


@cache
def drug_dictionary() -> DrugDictionary | None:
    """The process-wide dictionary, loaded on first use."""
    return DrugDictionary.load()
