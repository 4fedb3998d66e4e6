"""Instruction dialogues built from shipped sources with RDKit and OPSIN, in the task families
ChemDFM was tuned on: molecule description, text-based molecule design, property prediction and
molecule-name alignment. Each family has several phrasings so the model learns the task, not a
sentence. Answers are computed (RDKit formulas, OPSIN-checked names) or taken from the source
(ChEBI-20 descriptions, MoleculeNet labels), never written by a model.
"""

from __future__ import annotations

import csv
import json
import logging
import random
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from rdkit import Chem, RDLogger
from rdkit.Chem.rdMolDescriptors import CalcMolFormula

from training.data.dialogue import Dialogue, Turn

logger = logging.getLogger(__name__)
csv.field_size_limit(sys.maxsize)

Family = Literal["description", "design", "property", "formula", "iupac"]
FAMILIES: tuple[Family, ...] = ("description", "design", "property", "formula", "iupac")

TEMPLATES: dict[str, list[str]] = {
    "description": [
        "Describe this molecule: {smiles}",
        "Here is a SMILES string: {smiles}. What can you tell me about this molecule?",
        "Write a short description of the compound with SMILES {smiles}.",
        "{smiles}\nWhat kind of molecule is this, and what is its role?",
    ],
    "design": [
        "Design a molecule that fits this description and give its SMILES: {text}",
        "Give the SMILES of a molecule matching the following description.\n{text}",
        "{text}\nWrite the SMILES of this molecule.",
        "Which molecule is described here? Answer with a SMILES string. {text}",
    ],
    "property": [
        "Is the molecule {smiles} {label}? Answer Yes or No.",
        "SMILES: {smiles}\nProperty: {label}.\nDoes the molecule have this property? Answer Yes or No.",
        "Predict whether the compound {smiles} is {label}. Reply with Yes or No.",
    ],
    "smiles_to_formula": [
        "What is the molecular formula of {smiles}?",
        "Give the molecular formula of the molecule with SMILES {smiles}.",
        "{smiles}\nWrite its molecular formula.",
    ],
    "name_to_smiles": [
        "What is the SMILES of {name}?",
        "Convert the IUPAC name {name} to SMILES.",
        "Write {name} as a SMILES string.",
    ],
    "smiles_to_name": [
        "What is the IUPAC name of {smiles}?",
        "Name the molecule with SMILES {smiles} systematically.",
        "Give the systematic name of {smiles}.",
    ],
}


def canonical(smiles: str) -> str | None:
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else str(Chem.MolToSmiles(mol))


def _dialogue(prompt: str, answer: str, source: str) -> Dialogue:
    return Dialogue(
        messages=[Turn(role="user", content=prompt), Turn(role="assistant", content=answer)],
        source=source,
    )


def chebi_rows(path: Path) -> Iterator[tuple[str, str]]:
    """(canonical SMILES, description) from a ChEBI-20 split file (CID, SMILES, description)."""
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            smi = canonical(row.get("SMILES", ""))
            if smi and row.get("description"):
                yield smi, row["description"].strip()


def description_dialogues(
    rows: Iterable[tuple[str, str]], rng: random.Random
) -> Iterator[Dialogue]:
    for smi, text in rows:
        yield _dialogue(
            rng.choice(TEMPLATES["description"]).format(smiles=smi), text, "description"
        )


def design_dialogues(rows: Iterable[tuple[str, str]], rng: random.Random) -> Iterator[Dialogue]:
    for smi, text in rows:
        yield _dialogue(rng.choice(TEMPLATES["design"]).format(text=text), smi, "design")


def property_dialogues(data_dir: Path, rng: random.Random, per_task: int) -> Iterator[Dialogue]:
    """Yes/No questions from the MoleculeNet labels of each endpoint's scaffold *train* split,
    at most `per_task` per task, positives and negatives balanced where the data allows."""
    from tools.predict.endpoints import catalogue
    from tools.predict.train import load_dataset

    for endpoint in catalogue().endpoints.values():
        data = load_dataset(endpoint, data_dir)
        for t, task in enumerate(endpoint.tasks):
            pos = [i for i in data.split.train if data.labels[i, t] == 1]
            neg = [i for i in data.split.train if data.labels[i, t] == 0]
            half = per_task // 2
            chosen = rng.sample(pos, min(half, len(pos)))
            chosen += rng.sample(neg, min(per_task - len(chosen), len(neg)))
            for i in chosen:
                smi = canonical(data.smiles[i])
                if smi is None:
                    continue
                prompt = rng.choice(TEMPLATES["property"]).format(smiles=smi, label=task.label)
                answer = "Yes" if data.labels[i, t] == 1 else "No"
                yield _dialogue(prompt, answer, f"property:{endpoint.name}")


def formula_dialogues(smiles: Iterable[str], rng: random.Random) -> Iterator[Dialogue]:
    """SMILES -> molecular formula, computed by RDKit (charges included, e.g. C2H3O2-)."""
    for smi in smiles:
        mol = Chem.MolFromSmiles(smi)
        if mol is None:
            continue
        prompt = rng.choice(TEMPLATES["smiles_to_formula"]).format(smiles=smi)
        yield _dialogue(prompt, CalcMolFormula(mol), "formula")


def name_candidates(
    names_csv: Path | None = None, pubchem_dirs: Iterable[Path] = ()
) -> list[tuple[str, str]]:
    """(name, SMILES) pairs to check with OPSIN: the shipped name table (names and synonyms) and
    the IUPAC names in recorded or cached PubChem compound records."""
    from importlib import resources

    pairs: list[tuple[str, str]] = []
    text = (
        names_csv.read_text("utf-8")
        if names_csv
        else resources.files("tools.names").joinpath("data/common.csv").read_text("utf-8")
    )
    for row in csv.DictReader(text.splitlines()):
        for name in [row["name"], *row.get("synonyms", "").split(";")]:
            if name.strip():
                pairs.append((name.strip(), row["smiles"]))
    for folder in pubchem_dirs:
        for path in sorted(Path(folder).rglob("*.json")):
            pairs.extend(_pubchem_names(json.loads(path.read_text("utf-8"))))
    return pairs


def _pubchem_names(record: object) -> Iterator[tuple[str, str]]:
    """IUPAC name + SMILES of each PC_Compounds record (props list of urn/value pairs)."""
    compounds = record if isinstance(record, list) else [record]
    for comp in compounds:
        if not isinstance(comp, dict):
            continue
        name = smiles = None
        for prop in comp.get("props", []):
            urn, value = prop.get("urn", {}), prop.get("value", {})
            if urn.get("label") == "IUPAC Name" and urn.get("name") in {"Preferred", "Systematic"}:
                name = name or value.get("sval")
            if urn.get("label") == "SMILES" and urn.get("name") in {"Isomeric", "Absolute"}:
                smiles = smiles or value.get("sval")
        if name and smiles:
            yield name, smiles


def iupac_dialogues(pairs: list[tuple[str, str]], rng: random.Random) -> tuple[list[Dialogue], int]:
    """Name <-> SMILES in both directions, only where OPSIN parses the name to the same molecule
    (by canonical isomeric SMILES); returns the dialogues and how many pairs failed the check."""
    from tools.names.opsin import Opsin

    results = Opsin().parse([n for n, _ in pairs])
    out, rejected = [], 0
    for (name, smi), res in zip(pairs, results, strict=True):
        want = canonical(smi)
        if res.smiles is None or want is None or canonical(res.smiles) != want:
            rejected += 1
            continue
        out.append(
            _dialogue(rng.choice(TEMPLATES["name_to_smiles"]).format(name=name), want, "iupac")
        )
        out.append(
            _dialogue(rng.choice(TEMPLATES["smiles_to_name"]).format(smiles=want), name, "iupac")
        )
    return out, rejected


def general_dialogues(abstracts_jsonl: Path, rng: random.Random, limit: int) -> Iterator[Dialogue]:
    """Non-chemistry-task dialogues from PubMed abstracts (title writing, a summarising task),
    so instruction tuning keeps the model's general writing; a user's own general set
    (Alpaca/ShareGPT JSONL) can replace it."""
    prompts = [
        "Suggest a title for this abstract.\n\n{abstract}",
        "{abstract}\n\nWhat would be a good title for this paper?",
        "Write the title of the article with this abstract: {abstract}",
    ]
    with abstracts_jsonl.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n >= limit:
                return
            row = json.loads(line)
            if row.get("abstract") and row.get("title"):
                prompt = rng.choice(prompts).format(abstract=row["abstract"])
                yield _dialogue(prompt, row["title"], "general:pubmed-titles")
