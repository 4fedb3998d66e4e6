"""ChemLLMBench's own test sets (Guo et al. 2023), zero-shot, scored as its authors do.

The ChemDFM authors' files (chemdfm.py) are these tasks with ChemDFM's prompts and few-shot
examples; here the prompts are the paper's task descriptions without examples, and the
property prompts are read from the benchmark's own `property_prediction_prompt.txt`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from evals.tasks.base import Example, shared_data
from evals.tasks.chemdfm import ChemDFMTask

ROOT = "eval/chemllmbench/data"
EXPERT = "You are an expert chemist. "

Row = dict[str, str]


@cache
def property_prompts(folder: str) -> dict[str, str]:
    """The benchmark's property prompts, by dataset name (BACE, BBBP, ...)."""
    text = (Path(folder) / "property_prediction/property_prediction_prompt.txt").read_text("utf-8")
    text = text.replace("\\\n", "")  # a backslash at a line end continues the string
    found = {}
    for m in re.finditer(r'^(\w+): prompt = (".*")\s*$', text, re.M):
        found[m.group(1)] = json.loads(m.group(2))
    return found


@dataclass(frozen=True)
class LLMBenchTask(ChemDFMTask):
    """A ChemLLMBench CSV; `build` turns a row into (prompt, tool input, reference, group)."""

    build: Callable[[Row, Path], list[tuple[str, str | None, Any, str | None]]] | None = None

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        folder = Path(data_dir) if data_dir else shared_data() / ROOT
        path = folder / self.file
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: give --data ChemLLMBench's data folder")
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert self.build is not None
        out = []
        for i, row in enumerate(rows):
            for j, (prompt, inp, ref, group) in enumerate(self.build(row, folder)):
                out.append(
                    Example(
                        id=f"{self.name}-{i}" + (f"-{j}" if j else ""),
                        messages=[{"role": "user", "content": prompt}],
                        input=inp,
                        reference=ref,
                        group=group,
                    )
                )
        return out


def _yes_no(v: str) -> str:
    return "Yes" if v.strip() in ("1", "1.0", "Yes") else "No"


def _property(dataset: str, smiles_col: str, labels: dict[str, str]) -> Callable[..., Any]:
    def build(row: Row, folder: Path) -> list[tuple[str, str | None, Any, str | None]]:
        prompt = property_prompts(str(folder))[dataset]
        out: list[tuple[str, str | None, Any, str | None]] = []
        for col, group in labels.items():
            if row.get(col, "").strip() == "":
                continue  # not measured
            text = f"{prompt}SMILES: {row[smiles_col]}\nAnswer:"
            out.append((text, row[smiles_col], _yes_no(row[col]), group))
        return out

    return build


def _one(template: str, inp: str, ref: Callable[[Row], Any]) -> Callable[..., Any]:
    def build(row: Row, folder: Path) -> list[tuple[str, str | None, Any, str | None]]:
        return [(template.format(**row), row[inp], ref(row), None)]

    return build


def _selection(row: Row, folder: Path) -> list[tuple[str, str | None, Any, str | None]]:
    return [(row["task"], None, json.loads(row["candidate_rank"].replace("'", '"')), None)]


def llmbench_tasks() -> list[LLMBenchTask]:
    pp = "property_prediction"
    yes_no = "Answer with only Yes or No."
    return [
        LLMBenchTask("llmbench-bace", f"{pp}/BACE_test.csv", "yesno", "ChemLLMBench BACE (100), Yes/No",
                     build=_property("BACE", "mol", {"Class": "bace"})),
        LLMBenchTask("llmbench-bbbp", f"{pp}/BBBP_test.csv", "yesno", "ChemLLMBench BBBP (100), Yes/No",
                     build=_property("BBBP", "smiles", {"p_np": "bbbp"})),
        LLMBenchTask("llmbench-clintox", f"{pp}/ClinTox_test.csv", "yesno",
                     "ChemLLMBench ClinTox (100 x FDA approval, toxicity), Yes/No",
                     build=_property("ClinTox", "smiles", {"FDA_APPROVED": "clintox-FDA", "CT_TOX": "clintox-tox"})),
        LLMBenchTask("llmbench-hiv", f"{pp}/HIV_test.csv", "yesno", "ChemLLMBench HIV (100), Yes/No",
                     build=_property("HIV", "smiles", {"HIV_active": "hiv"})),
        LLMBenchTask("llmbench-tox21", f"{pp}/Tox_test.csv", "yesno", "ChemLLMBench Tox21 SR-p53 (100), Yes/No",
                     build=_property("Tox21", "smiles", {"SR-p53": "tox21-SR-p53"})),
        *(
            LLMBenchTask(f"llmbench-yield-{key}", f"yield_prediction/{f}_sample_100_test.csv", "yesno",
                         f"ChemLLMBench {title} yield (100): high-yielding? Yes/No",
                         build=_one(EXPERT + f"Predict whether this {title} reaction is high-yielding "
                                    f"(yield above 70%). {yes_no}\nReaction: {{reaction}}\nHigh-yielding:",
                                    "reaction", lambda r: r["high_yield"]))
            for key, f, title in (("bh", "BH", "Buchwald-Hartwig"), ("suzuki", "SU", "Suzuki-Miyaura"))
        ),
        LLMBenchTask("llmbench-reaction", "reaction_prediction/uspto_test.csv", "text",
                     "ChemLLMBench USPTO-MIT reaction prediction (100), top-1", kind="reaction-prediction",
                     build=_one(EXPERT + "Predict the product of the reaction from the reactants and "
                                "reagents (SMILES, '.'-separated). Reply with the product SMILES only.\n"
                                "Reactants: {reactant}\nProduct:", "reactant", lambda r: r["product"])),
        LLMBenchTask("llmbench-retrosynthesis", "retro/uspto50k_retro_test.csv", "reactants",
                     "ChemLLMBench USPTO-50k retrosynthesis (100), top-1 reactant set",
                     build=_one(EXPERT + "Give the reactants that make this product, as SMILES joined "
                                "by '.'. Reply with the SMILES only.\nProduct: {products_smiles}\n"
                                "Reactants:", "products_smiles", lambda r: r["reactants_smiles"].split("."))),
        LLMBenchTask("llmbench-molecule-design", "molecule_design/molecule_design_test.csv", "smiles",
                     "ChemLLMBench ChEBI-20 text-based design (100), MolT5 metrics", kind="molecule-design",
                     build=_one(EXPERT + "Design the molecule the description describes. Reply with "
                                "its SMILES only.\nDescription: {description}\nSMILES:", "description",
                                lambda r: [r["SMILES"]])),
        LLMBenchTask("llmbench-molecule-captioning", "molecule_captioning/molecule_captioning_test.csv",
                     "text", "ChemLLMBench ChEBI-20 captioning (100), BLEU/ROUGE", kind="molecule-captioning",
                     build=_one(EXPERT + "Describe this molecule.\nSMILES: {SMILES}\nDescription:",
                                "SMILES", lambda r: [r["description"]])),
        LLMBenchTask("llmbench-ligand-selection", "reagent_selection/ligand_sample.csv", "choice",
                     "ChemLLMBench ligand selection (100): answer in the top half by yield", kind="top-half",
                     build=_selection),
        LLMBenchTask("llmbench-reactant-selection", "reagent_selection/reagent_sample.csv", "choice",
                     "ChemLLMBench reactant selection (100): the best candidate by yield", kind="top1",
                     build=_selection),
        LLMBenchTask("llmbench-solvent-selection", "reagent_selection/solvent_sample.csv", "choice",
                     "ChemLLMBench solvent selection (100): the best candidate by yield", kind="top1",
                     build=_selection),
    ]  # fmt: skip
