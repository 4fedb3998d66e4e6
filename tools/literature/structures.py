"""Literature search by structure: passages that mention a molecule (under any name or
notation), a compound containing a substructure, or one similar to a query structure. Works on
the InChIKeys recorded at ingest (`entities.py`), so it needs no text match at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from models.rdkit_log import rdkit_messages
from tools.base import ToolInputError
from tools.chem.mol import ChemLimits, parse_smiles
from tools.literature.entities import structure_key

if TYPE_CHECKING:
    from tools.literature.index import Hit, LiteratureIndex

Match = Literal["exact", "substructure", "similar"]
_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)


@dataclass(frozen=True)
class StructureHit:
    """A passage, and the molecules in it that matched (as written there) with their score."""

    hit: Hit
    matched: list[tuple[str, str, float]]  # (as written, SMILES, 1.0 or Tanimoto)


def _query_mol(structure: str, match: Match, limits: ChemLimits) -> Chem.Mol:
    if match == "substructure":
        with rdkit_messages():
            patt = Chem.MolFromSmarts(structure)
        if patt is None:
            raise ToolInputError(
                f"{structure!r} is neither a SMARTS pattern nor a SMILES; e.g. c[OH] for a phenol"
            )
        return patt
    return parse_smiles(structure, limits)


def matching_keys(
    index: LiteratureIndex, structure: str, match: Match, threshold: float, limits: ChemLimits
) -> dict[str, float]:
    """InChIKeys of the indexed molecules that match, with their score (best first)."""
    query = _query_mol(structure, match, limits)
    if match == "exact":
        key = structure_key(structure, limits)
        return {key[1]: 1.0} if key else {}
    found: dict[str, float] = {}
    qfp = _MORGAN.GetFingerprint(query) if match == "similar" else None
    for inchikey, smiles in index.store.structures():
        with rdkit_messages():
            mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            continue
        if match == "substructure":
            if mol.HasSubstructMatch(query):
                found[inchikey] = 1.0
        elif qfp is not None:
            sim = DataStructs.TanimotoSimilarity(qfp, _MORGAN.GetFingerprint(mol))
            if sim >= threshold:
                found[inchikey] = round(float(sim), 3)
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def search_by_structure(
    index: LiteratureIndex,
    structure: str,
    match: Match = "exact",
    threshold: float = 0.7,
    k: int = 5,
    limits: ChemLimits | None = None,
) -> tuple[list[StructureHit], int]:
    """The best `k` passages (those with the best-scoring molecule first) and how many passages
    matched in all."""
    keys = matching_keys(index, structure, match, threshold, limits or ChemLimits())
    if not keys:
        return [], 0
    chunk_ids = index.store.chunks_mentioning(list(keys), 100_000)
    mentions = index.store.mentions(chunk_ids)

    def rank(cid: int) -> tuple[float, int, int]:
        """Best score first, then passages naming more of the matching compounds."""
        found = {key for _, key, _ in mentions.get(cid, []) if key in keys}
        return (-max((keys[k] for k in found), default=0.0), -len(found), cid)

    ordered = sorted(chunk_ids, key=rank)
    top = ordered[:k]
    hits = {h.chunk_id: h for h in index.hits_for(top)}
    out = []
    for cid in top:
        if cid not in hits:
            continue
        matched = [
            (surface, smiles or "", keys[key])
            for surface, key, smiles in mentions.get(cid, [])
            if key in keys
        ]
        out.append(StructureHit(hits[cid], list(dict.fromkeys(matched))))
    return out, len(chunk_ids)
