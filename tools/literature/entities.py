"""Chemical entities in a passage, with the structures they stand for: what lets a query that
names or draws a molecule find a passage that writes it differently ("aspirin",
"acetylsalicylic acid", CC(=O)Oc1ccccc1C(=O)O, 50-78-2 are one InChIKey).

Found offline only, at ingest: names and synonyms of the built-in table and the drug
dictionary, CAS numbers with a valid check digit that the table knows, SMILES that RDKit reads
(prose-looking words are not taken for SMILES), InChI strings, systematic names OPSIN parses
(when given), and written InChIKeys (kept as keys; no structure).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdkit import Chem

from models.rdkit_log import rdkit_messages
from models.smiles import looks_like_smiles
from tools.base import ToolError, ToolInputError
from tools.chem.mol import ChemLimits, canonical_smiles
from tools.names.opsin import Opsin
from tools.names.table import CAS_PATTERN, NameTable, cas_checksum_ok

logger = logging.getLogger(__name__)

_INCHI = re.compile(r"InChI=1S?/[^\s;]+?(?=[.,]?(?:\s|$))")
_INCHIKEY = re.compile(r"\b[A-Z]{14}-[A-Z]{10}-[A-Z]\b")
# Words that read as systematic names: locants, multiplied or bracketed parts, typical endings.
_SYSTEMATIC = re.compile(
    r"^(?=.{6,})(?:.*\d[,\d]*-[a-z(\[]|.*(?:yl|oxy|amino|oxo|chloro|bromo|fluoro|hydroxy|methyl|"
    r"ethyl|phenyl)[a-z)\]-]*(?:ane|ene|yne|ol|one|al|ate|ide|ine|amide|oic acid|acid)$)",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"\S+")
_LEADING = "(\"'“‘<["
# Formulas written as words that chemists mean as small molecules (a bare "CO" as SMILES would be
# methanol; as prose it is carbon monoxide).
FORMULA_WORDS = {
    "CO": "[C-]#[O+]",
    "CO2": "O=C=O",
    "H2O": "O",
    "NO2": "O=[N]=O",
    "H2O2": "OO",
    "NH3": "N",
    "CH4": "C",
    "H2S": "S",
    "SO2": "O=S=O",
}


@dataclass(frozen=True)
class Entity:
    """A chemical written in a passage: where, how, and the structure (InChIKey) it stands for."""

    start: int
    end: int
    text: str
    kind: str  # name, cas, smiles, inchi, inchikey, formula, systematic
    inchikey: str
    smiles: str | None


def structure_key(smiles: str, limits: ChemLimits | None = None) -> tuple[str, str] | None:
    """(canonical SMILES, InChIKey) of a structure, or None when RDKit cannot read it."""
    try:
        canon = canonical_smiles(smiles, limits)
    except ToolInputError:
        return None
    with rdkit_messages():
        mol = Chem.MolFromSmiles(canon)
        key = Chem.MolToInchiKey(mol) if mol is not None else ""
    return (canon, key) if key else None


def _strip(raw: str, start: int) -> tuple[str, int]:
    """A word without the punctuation around it ("(c1ccccc1O)." -> "c1ccccc1O")."""
    token = raw
    while token and token[0] in _LEADING and not (token[0] == "[" and "]" in token):
        token, start = token[1:], start + 1
    while token and (
        token[-1] in "?,;:.!\"'”’>"
        or (token[-1] == ")" and token.count(")") > token.count("("))
        or (token[-1] == "]" and token.count("]") > token.count("["))
    ):
        token = token[:-1]
    return token, start


def opsin_parser(opsin: Opsin) -> Callable[[list[str]], list[str | None]]:
    """OPSIN's batch parse as `EntityFinder.systematic`; when Java or the jar is missing, names
    are simply not parsed (logged once): indexing never fails for it."""
    warned = False

    def parse(words: list[str]) -> list[str | None]:
        nonlocal warned
        try:
            return [r.smiles or None for r in opsin.parse(words)]
        except ToolError as exc:
            if not warned:
                logger.warning("systematic names in passages are not parsed: %s", exc)
                warned = True
            return [None] * len(words)

    return parse


class EntityFinder:
    """Finds entities with the offline name sources; `systematic` (e.g. OPSIN's batch parse)
    turns candidate systematic names into SMILES, None for those it cannot parse."""

    def __init__(
        self,
        names: NameTable,
        limits: ChemLimits | None = None,
        systematic: Callable[[list[str]], list[str | None]] | None = None,
    ) -> None:
        self.names = names
        self.limits = limits or ChemLimits()
        self.systematic = systematic
        self._keys: dict[str, tuple[str, str] | None] = {}

    def _key(self, smiles: str) -> tuple[str, str] | None:
        if smiles not in self._keys:
            self._keys[smiles] = structure_key(smiles, self.limits)
        return self._keys[smiles]

    def find(self, text: str) -> list[Entity]:
        return self.find_many([text])[0]

    def find_many(self, texts: Iterable[str]) -> list[list[Entity]]:
        """Entities of each text, left to right; systematic names go to `systematic` together."""
        results: list[list[Entity]] = []
        pending: list[tuple[int, int, int, str]] = []  # (text index, start, end, word)
        for n, text in enumerate(texts):
            found: list[Entity] = []
            taken: list[tuple[int, int]] = []

            def free(a: int, b: int, taken: list[tuple[int, int]] = taken) -> bool:
                return all(b <= s or a >= e for s, e in taken)

            def add(
                a: int, b: int, surface: str, kind: str, smiles: str | None,
                found: list[Entity] = found, taken: list[tuple[int, int]] = taken,
            ) -> None:  # fmt: skip
                key = self._key(smiles) if smiles else None
                if key is not None:
                    found.append(Entity(a, b, surface, kind, key[1], key[0]))
                    taken.append((a, b))

            for m in _INCHIKEY.finditer(text):
                found.append(Entity(m.start(), m.end(), m.group(0), "inchikey", m.group(0), None))
                taken.append((m.start(), m.end()))
            for m in _INCHI.finditer(text):
                with rdkit_messages():
                    mol = Chem.MolFromInchi(m.group(0))
                if mol is not None and free(m.start(), m.end()):
                    add(m.start(), m.end(), m.group(0), "inchi", Chem.MolToSmiles(mol))
            for m in CAS_PATTERN.finditer(text):
                cas = m.group(1)
                hit = self.names.lookup(cas) if cas_checksum_ok(cas) else None
                if hit is not None and free(m.start(), m.end()):
                    add(m.start(), m.end(), cas, "cas", hit.smiles)
            for a, b, name in self.names.find_names(text):
                hit = self.names.lookup(name)
                if hit is not None and free(a, b):
                    add(a, b, name, "name", hit.smiles)
            for m in _TOKEN.finditer(text):
                token, a = _strip(m.group(0), m.start())
                b = a + len(token)
                if not token or not free(a, b):
                    continue
                if token in FORMULA_WORDS:
                    add(a, b, token, "formula", FORMULA_WORDS[token])
                elif looks_like_smiles(token):
                    add(a, b, token, "smiles", token)
                elif self.systematic is not None and _SYSTEMATIC.match(token):
                    pending.append((n, a, b, token))
            results.append(found)
        if pending and self.systematic is not None:
            parsed = self.systematic([w for *_, w in pending])
            for (n, a, b, word), smiles in zip(pending, parsed, strict=True):
                key = self._key(smiles) if smiles else None
                if key is not None:
                    results[n].append(Entity(a, b, word, "systematic", key[1], key[0]))
        return [sorted(r, key=lambda e: e.start) for r in results]
