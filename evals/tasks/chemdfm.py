"""The ChemDFM authors' evaluation sets (ChemLLMBench tasks as ChemDFM ran them).

Prompts are built exactly as their README says: `question + input_format.format(input)` in one
round, or the question answered "OK." followed by one round per few-shot example. Scoring
follows ChemLLMBench: canonical-SMILES accuracy, any-fragment product match, reactant sets,
answer-in-list for selection tasks, Yes/No accuracy and ROC-AUC for property prediction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evals import metrics
from evals.tasks.base import Example, Output, mean_scores, shared_data
from tools.predict.metrics import roc_auc

ROOT = "eval/chemdfm/ChemLLMBench_eval_data"
_MOLECULE = re.compile(r"(?:the molecule is|canonical SMILES of)\s+(.+?)\.?\s*$", re.I | re.M)
_SMILES_LINE = re.compile(r"SMILES:\s*(\S+)\s*$", re.M)


def dialogue(item: dict[str, Any]) -> list[dict[str, str]]:
    """The turns the authors sent (README.md of their evaluation data)."""
    shots = item.get("few_shots_examples")
    if not shots:
        text = item["question"]
        if "input_format" in item:
            text = item["question"] + item["input_format"].format(item["input"])
        return [{"role": "user", "content": text.strip()}]
    turns = [
        {"role": "user", "content": item["question"].strip()},
        {"role": "assistant", "content": "OK."},
    ]
    for fs in shots:
        turns.append({"role": "user", "content": item["input_format"].format(fs["human"].strip())})
        turns.append({"role": "assistant", "content": fs["assistant"].strip()})
    turns.append({"role": "user", "content": item["input_format"].format(item["input"].strip())})
    return turns


def tool_input(item: dict[str, Any]) -> str | None:
    """The molecule, name or reaction a tool would work on."""
    if "input" in item:
        return str(item["input"])
    m = _SMILES_LINE.search(item["question"]) or _MOLECULE.search(item["question"])
    return m.group(1) if m else None


@dataclass(frozen=True)
class ChemDFMTask:
    name: str
    file: str
    output: Output
    description: str
    kind: str = ""  # the scorer, when not named by the task (ChemLLMBench's twins of these)

    def examples(self, data_dir: Path | None = None) -> list[Example]:
        path = (Path(data_dir) if data_dir else shared_data() / ROOT) / self.file
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} not found: give --data the ChemLLMBench_eval_data folder"
            )
        items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        return [
            Example(
                id=f"{self.name}-{i}",
                messages=dialogue(it),
                input=tool_input(it),
                reference=it["answer"],
                group=it.get("task_name"),
            )
            for i, it in enumerate(items)
        ]

    @property
    def scorer(self) -> str:
        return self.kind or self.name

    def score(self, prediction: str, example: Example) -> dict[str, float]:
        ref = example.reference
        answer = metrics.first_answer(prediction)
        if self.scorer in ("top1", "top-half"):
            ranked = list(ref)  # candidates by measured yield, best first
            keep = ranked[:1] if self.scorer == "top1" else ranked[: max(1, len(ranked) // 2)]
            return {"accuracy": float(any(metrics.smiles_match(answer, c) for c in keep))}
        if self.output == "yesno":
            label = 1.0 if str(ref).strip().lower() == "yes" else 0.0
            prob = _probability(prediction)
            said = None if prob is None else ("Yes" if prob >= 0.5 else "No")
            return {
                "accuracy": float(said == str(ref).strip().capitalize()),
                "p_yes": -1.0 if prob is None else prob,
                "label": label,
            }
        if self.scorer == "molecule-captioning":
            r = metrics.words(str(ref[0] if isinstance(ref, list) else ref))
            h = metrics.words(prediction)
            return {
                "rouge_1": metrics.rouge_n(r, h, 1),
                "rouge_2": metrics.rouge_n(r, h, 2),
                "rouge_l": metrics.rouge_l(r, h),
            }
        if self.scorer == "molecule-design":
            # MolT5's metrics as ChemLLMBench uses them: exact = same InChI; fingerprint
            # similarity only over valid predictions (absent keys), BLEU over the corpus.
            ref = str(ref[0] if isinstance(ref, list) else ref)
            out = {
                "exact": float(metrics.inchi_match(answer, ref)),
                "valid": float(metrics.valid(answer)),
                "levenshtein": float(metrics.levenshtein(answer, ref)),
            }
            if out["valid"]:
                for fp in ("maccs", "rdk", "morgan"):
                    out[f"{fp}_tanimoto"] = metrics.tanimoto(answer, ref, fp)
            return out
        if self.output == "smiles":
            return {
                "accuracy": float(metrics.smiles_match(answer, str(ref))),
                "accuracy_no_stereo": float(metrics.smiles_match_no_stereo(answer, str(ref))),
                "valid": float(metrics.valid(answer)),
            }
        if self.output in ("formula", "name"):
            # The authors compare raw strings; the looser readings are reported beside it.
            loose = (
                metrics.formula_match(answer, str(ref))
                if self.output == "formula"
                else " ".join(answer.lower().split()) == " ".join(str(ref).lower().split())
            )
            return {"accuracy": float(answer == str(ref).strip()), "accuracy_loose": float(loose)}
        if self.output == "reactants":
            return {"accuracy": float(metrics.reactant_set_match(answer, list(ref)))}
        if self.output == "choice":
            ok = any(a == answer or metrics.smiles_match(answer, a) for a in ref)
            return {"accuracy": float(ok)}
        if self.scorer == "reaction-prediction":
            return {"accuracy": float(metrics.product_match(answer, str(ref)))}
        raise ValueError(f"{self.name}: no scorer for output {self.output!r}")

    def summarize(self, records: list[dict[str, Any]]) -> dict[str, float]:
        if self.scorer == "molecule-design":
            out = mean_scores(
                records, over_present=("maccs_tanimoto", "rdk_tanimoto", "morgan_tanimoto")
            )
            out["levenshtein"] = mean_scores(records, over_present=("levenshtein",))["levenshtein"]
            refs = [str(r["reference"][0]) for r in records]
            hyps = [metrics.first_answer(r.get("prediction", "")) for r in records]
            out["bleu"] = metrics.corpus_bleu([list(x) for x in refs], [list(x) for x in hyps])
            return out
        if self.scorer == "molecule-captioning":  # MolT5: corpus BLEU-2/4 and mean ROUGE
            out = mean_scores(records)
            ref_words = [metrics.words(str(r["reference"][0])) for r in records]
            hyp_words = [metrics.words(r.get("prediction", "")) for r in records]
            out["bleu_2"] = metrics.corpus_bleu(ref_words, hyp_words, max_n=2)
            out["bleu_4"] = metrics.corpus_bleu(ref_words, hyp_words, max_n=4)
            return out
        out = mean_scores(records)
        out.pop("p_yes", None)
        out.pop("label", None)
        if self.output != "yesno":
            return out
        # ROC-AUC per sub-task (clintox has two), then averaged; a reply that is neither a
        # probability nor Yes/No ranks lowest (it said nothing).
        aucs = []
        for group in sorted({str(r.get("group")) for r in records}):
            rows = [r for r in records if str(r.get("group")) == group and "scores" in r]
            y = np.array([r["scores"]["label"] for r in rows])
            p = np.array([max(r["scores"]["p_yes"], 0.0) for r in rows])
            if 0 < y.sum() < len(y):
                aucs.append(roc_auc(y, p))
        if aucs:
            out["roc_auc"] = float(np.mean(aucs))
        # F1 of the "Yes" class (sklearn's binary F1, as ChemLLMBench reports with accuracy);
        # a reply that is not Yes/No counts as not saying Yes.
        scored = [r["scores"] for r in records if "scores" in r]
        said = [sc["p_yes"] >= 0.5 for sc in scored]
        truth = [sc["label"] == 1.0 for sc in scored]
        tp = sum(a and b for a, b in zip(said, truth, strict=True))
        wrong = sum(a != b for a, b in zip(said, truth, strict=True))
        out["f1"] = 2 * tp / (2 * tp + wrong) if tp else 0.0
        return out


def _probability(text: str) -> float | None:
    """P(yes) from a reply: a number in [0, 1] (tools) or Yes/No (models)."""
    t = text.strip()
    try:
        value = float(t.split()[0]) if t else None
    except ValueError:
        value = None
    if value is not None and 0.0 <= value <= 1.0:
        return value
    yn = metrics.yes_no(t)
    return None if yn is None else float(yn == "Yes")


def chemdfm_tasks() -> list[ChemDFMTask]:
    mr, pp, rx = (
        "MoleculeRecognition",
        "MolecularPropertyPrediction",
        "ReactionPredictionandRetrosynthesis",
    )
    return [
        ChemDFMTask("smiles-to-formula", f"{mr}/smiles_to_molecular_formula.jsonl", "formula",
                    "SMILES -> molecular formula (exact string; any element order beside it)"),
        ChemDFMTask("iupac-to-formula", f"{mr}/iupac_to_molecular_formula.jsonl", "formula",
                    "IUPAC name -> molecular formula (exact string; any order beside it)"),
        ChemDFMTask("iupac-to-smiles", f"{mr}/iupac_to_smiles.jsonl", "smiles",
                    "IUPAC name -> SMILES (canonical-SMILES accuracy)"),
        ChemDFMTask("smiles-to-iupac", f"{mr}/smiles_to_iupac.jsonl", "name",
                    "SMILES -> IUPAC name (exact string; case/space-insensitive beside it)"),
        ChemDFMTask("molecule-design", "text_based_molecule_design.jsonl", "smiles",
                    "description -> SMILES (InChI exact, BLEU, Levenshtein, validity, Tanimoto)"),
        ChemDFMTask("molecule-captioning", f"{mr}/molecule_captioning.jsonl", "text",
                    "SMILES -> description (corpus BLEU-2/4, ROUGE-1/2/L; no METEOR)"),
        ChemDFMTask("reaction-prediction", f"{rx}/reaction_prediction.jsonl", "text",
                    "reactants -> product (any-fragment canonical match)"),
        ChemDFMTask("retrosynthesis", f"{rx}/retro_synthesis.jsonl", "reactants",
                    "product -> reactants (reactant-set match)"),
        ChemDFMTask("yield-bh", f"{rx}/BH.jsonl", "yesno", "Buchwald-Hartwig high yield? (8-shot)"),
        ChemDFMTask("yield-suzuki", f"{rx}/Suzuki.jsonl", "yesno", "Suzuki high yield? (8-shot)"),
        ChemDFMTask("ligand-selection", f"{rx}/ligand_selection.jsonl", "choice",
                    "pick a ligand from a list (answer in the accepted set)"),
        ChemDFMTask("reactant-selection", f"{rx}/reactant_selection.jsonl", "choice",
                    "pick a reactant from a list (answer in the accepted set)"),
        ChemDFMTask("solvent-selection", f"{rx}/solvent_selection.jsonl", "choice",
                    "pick a solvent from a list (answer in the accepted set)"),
        *(
            ChemDFMTask(f"property-{ep}", f"{pp}/{ep}.jsonl", "yesno",
                        f"MoleculeNet {ep.upper()} scaffold test set, Yes/No (ROC-AUC, accuracy)")
            for ep in ("bace", "bbbp", "clintox", "hiv")
        ),
    ]  # fmt: skip
