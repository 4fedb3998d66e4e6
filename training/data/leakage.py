"""No evaluation molecule in training data.

Every molecule that appears anywhere in an evaluation set (the shared `eval/` folder: ChemDFM's
and ChemLLMBench's files, SciEval, PubMedQA; the OCSR benchmarks' reference SMILES), in ChEBI-20's test split (the captioning and design
benchmarks draw from it) and in the scaffold test split of each MoleculeNet CSV is collected by
canonical SMILES. A training dialogue mentioning any of them is dropped. Keys ignore
stereochemistry, so a stereoisomer of a test molecule counts as a leak too: stricter than needed,
never looser.
"""

from __future__ import annotations

import csv
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from rdkit import Chem, RDLogger

from training.data.dialogue import Dialogue

logger = logging.getLogger(__name__)
csv.field_size_limit(sys.maxsize)

_SPLIT = re.compile(r"[\s\"',;|`]+")
_TRAIL = ".:?!"


def molecule_key(smiles: str) -> str | None:
    """Canonical SMILES without stereochemistry; None if RDKit cannot parse it or it has a single
    heavy atom (ions, water, metals: they occur in every reaction set and carry no benchmark)."""
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None or mol.GetNumHeavyAtoms() < 2:
        return None
    return str(Chem.MolToSmiles(mol, isomericSmiles=False))


def molecules_in_text(text: str) -> set[str]:
    """Keys of the SMILES written in `text` (reactions split into their molecules; a dotted
    mixture counts both whole and by component)."""
    from models.smiles import looks_like_smiles

    found: set[str] = set()
    for raw in _SPLIT.split(text):
        token = raw.strip(_TRAIL)
        while token.startswith("(") and token.count("(") > token.count(")"):
            token = token[1:]
        while token.endswith(")") and token.count(")") > token.count("("):
            token = token[:-1]
        for part in token.split(">"):
            pieces = [part, *part.split(".")] if "." in part else [part]
            for piece in pieces:
                if piece and looks_like_smiles(piece):
                    key = molecule_key(piece)
                    if key:
                        found.add(key)
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _file_texts(path: Path) -> Iterator[str]:
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield from _strings(json.loads(line))
    elif path.suffix == ".json":
        yield from _strings(json.loads(path.read_text("utf-8")))
    elif path.suffix in {".csv", ".tsv"}:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh, delimiter="\t" if path.suffix == ".tsv" else ","):
                yield from row


class Forbidden(BaseModel):
    """The evaluation molecules, with the set each was first found in."""

    where: dict[str, str] = Field(default_factory=dict)

    def add(self, keys: Iterable[str], source: str) -> None:
        for k in keys:
            self.where.setdefault(k, source)

    def __contains__(self, key: str) -> bool:
        return key in self.where

    def __len__(self) -> int:
        return len(self.where)


def evaluation_molecules(shared: Path) -> Forbidden:
    """Collect the forbidden molecules from the shared data folder."""
    from tools.predict.split import scaffold_split

    forbidden = Forbidden()
    eval_dir = shared / "eval"
    if not eval_dir.is_dir():
        raise FileNotFoundError(
            f"no evaluation sets at {eval_dir}: the leakage check needs them (set "
            "CHEMAGENT_SHARED_DATA to the shared data folder)"
        )
    benchmark_files = [*sorted(eval_dir.rglob("*")), *sorted((shared / "ocsr").rglob("labels.csv"))]
    for path in benchmark_files:
        if path.suffix in {".jsonl", ".json", ".csv", ".tsv"}:
            keys: set[str] = set()
            for text in _file_texts(path):
                keys |= molecules_in_text(text)
            forbidden.add(keys, str(path.relative_to(shared)))
    chebi_test = shared / "literature" / "chebi20" / "test.txt"
    if chebi_test.is_file():
        with chebi_test.open(encoding="utf-8", newline="") as fh:
            rows = csv.DictReader(fh, delimiter="\t")
            forbidden.add((k for r in rows if (k := molecule_key(r["SMILES"]))), "chebi20/test.txt")
    for csv_path in sorted((shared / "moleculenet" / "chemprop_2019").glob("*.csv")):
        with csv_path.open(encoding="utf-8", newline="") as fh:
            smiles = [row[0] for row in csv.reader(fh)][1:]
        test = scaffold_split(smiles).test
        forbidden.add(
            (k for i in test if (k := molecule_key(smiles[i]))),
            f"moleculenet/{csv_path.stem} scaffold test",
        )
    logger.info("%d evaluation molecules are kept out of training data", len(forbidden))
    return forbidden


class LeakageReport(BaseModel):
    kept: int
    removed: int
    removed_by_source: dict[str, int] = Field(description="Training source -> dialogues dropped.")
    removed_by_benchmark: dict[str, int] = Field(description="Benchmark file -> dialogues dropped.")
    examples: list[str] = Field(description="A few removed molecules, for the log.")


def remove_leaks(
    dialogues: list[Dialogue], forbidden: Forbidden
) -> tuple[list[Dialogue], LeakageReport]:
    kept: list[Dialogue] = []
    by_source: Counter[str] = Counter()
    by_bench: Counter[str] = Counter()
    examples: list[str] = []
    for d in dialogues:
        keys = set().union(*(molecules_in_text(m.content) for m in d.messages))
        hits = [k for k in keys if k in forbidden]
        if hits:
            by_source[d.source] += 1
            by_bench[forbidden.where[hits[0]]] += 1
            if len(examples) < 10:
                examples.append(hits[0])
        else:
            kept.append(d)
    report = LeakageReport(
        kept=len(kept),
        removed=len(dialogues) - len(kept),
        removed_by_source=dict(by_source),
        removed_by_benchmark=dict(by_bench),
        examples=examples,
    )
    return kept, report
