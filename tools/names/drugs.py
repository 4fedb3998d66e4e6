"""Drug names offline: the dictionary shipped in the `drug-named-entity-recognition` package.

The package (MIT, Fast Data Science) carries about 20,000 drugs with 100,000 names, brand names
and synonyms, and structures (from PubChem) for about 7,000 of them. We read its data file
directly rather than importing the package, whose import touches the home folder and the network.

Its structures are as PubChem lists the drug product: salts, hydrates, sometimes a mixture. The
parent structure is what a chemist means by the drug's name, so counterions and water are
removed and charges neutralised; an entry whose structure is several different molecules (a
combination product) gives no structure rather than the wrong one. A brand name resolves to its
drug, and when the built-in table knows that drug its structure is preferred.
"""

from __future__ import annotations

import bz2
import importlib.util
import logging
import pickle
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rdkit import Chem, rdBase
from rdkit.Chem.MolStandardize import rdMolStandardize

from models.rdkit_log import rdkit_messages

log = logging.getLogger(__name__)

_SYSTEMATIC = re.compile(r"\d[,\d]*-[a-z]|-\d|\d,\d")
_FILE = "drug_ner_dictionary.pkl.bz2"


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


def _data_file() -> Path | None:
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / _FILE
        if path.is_file():
            return path
    return None


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
    """Look-ups and longest-match spotting of drug names (`find_names`), structures lazily."""

    MAX_WORDS = 5

    def __init__(self, raw: dict[str, Any]) -> None:
        self._variants: dict[str, list[str]] = raw["drug_variant_to_canonical"]
        self._data: dict[str, dict[str, Any]] = raw["drug_canonical_to_data"]
        self._entries: dict[str, DrugEntry] = {}
        # Only names that lead to one structured drug are spotted in questions; short names
        # (three letters or fewer) are too often ordinary words or abbreviations.
        self._spot = {
            v
            for v, cs in self._variants.items()
            if len(cs) == 1
            and self._data.get(cs[0], {}).get("smiles")
            and len(v) >= 4
            and not _SYSTEMATIC.search(v)
        }

    @classmethod
    def load(cls) -> DrugDictionary | None:
        """The installed package's dictionary, or None (with a log line) when it is missing."""
        path = _data_file()
        if path is None:
            log.warning("drug-named-entity-recognition is not installed: no offline drug names")
            return None
        with bz2.open(path, "rb") as fh:
            # The package's own data file, installed beside its code: as trusted as the code.
            raw = pickle.load(fh)  # noqa: S301
        return cls(raw)

    def canonical(self, name: str) -> str | None:
        """The dictionary's drug for a name or brand ("Advil" -> "ibuprofen"), or None.

        Names with locants ("benzene-1,4-diol") are left to OPSIN, which reads them exactly:
        the dictionary's structures for such entries are not always the named compound."""
        if _SYSTEMATIC.search(name):
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

    def find_names(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, text) of drug names in `text`, longest match first, left to right."""
        # Whole words only: a drug name inside a systematic name ("...]carbamate") is not one.
        words = [
            (m.start(1), m.end(1))
            for m in re.finditer(r"(?<!\S)[\"'(]*([^\s\[\]]+?)[\"'.,;:?!)]*(?!\S)", text)
            if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9'\-]*", m.group(1))
        ]
        out: list[tuple[int, int, str]] = []
        i = 0
        while i < len(words):
            for n in range(min(self.MAX_WORDS, len(words) - i), 0, -1):
                a, b = words[i][0], words[i + n - 1][1]
                span = text[a:b]
                if " ".join(span.lower().split()) in self._spot:
                    out.append((a, b, span))
                    i += n
                    break
            else:
                i += 1
        return out


@cache
def drug_dictionary() -> DrugDictionary | None:
    """The process-wide dictionary, loaded on first use."""
    return DrugDictionary.load()
