"""Multi-part questions through the whole graph; every figure checked against RDKit here."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.Scaffolds import MurckoScaffold

from agent.answer import ungrounded_numbers
from agent.state import Evidence

SMI = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "salicylic acid": "OC(=O)c1ccccc1O",
    "caffeine": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "metformin": "CN(C)C(=N)N=C(N)N",
    "ethanol": "CCO",
    "diazepam": "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21",
    "toluene": "Cc1ccccc1",
    "benzene": "c1ccccc1",
    "phenol": "Oc1ccccc1",
    "aniline": "Nc1ccccc1",
    "cyclohexane": "C1CCCCC1",
    "naphthalene": "c1ccc2ccccc2c1",
    "acetic acid": "CC(=O)O",
    "sildenafil": "CCCc1nn(C)c2c(=O)[nH]c(-c3cc(S(=O)(=O)N4CCN(C)CC4)ccc3OCC)nc12",
    "celecoxib": "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1",
    "lidocaine": "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "warfarin": "CC(=O)CC(c1ccccc1)c1c(O)c2ccccc2oc1=O",
    "fluoxetine": "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1",
    "58-08-2": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "CN1CCC[C@H]1c1cccnc1 / nicotine": "CN1CCC[C@H]1c1cccnc1",
    "nicotine": "CN1CCC[C@H]1c1cccnc1",
    "naproxen": "COc1ccc2cc(ccc2c1)[C@H](C)C(=O)O",
}


def mol(s: str) -> Chem.Mol:
    return Chem.MolFromSmiles(SMI.get(s, s))


def morgan_sim(a: str, b: str) -> float:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return DataStructs.TanimotoSimilarity(gen.GetFingerprint(mol(a)), gen.GetFingerprint(mol(b)))


FORMULA = ("molecular formula", lambda m: rdMolDescriptors.CalcMolFormula(m), None)
MW = ("molecular weight", Descriptors.MolWt, 2)
EXACT = ("exact (monoisotopic) mass", Descriptors.ExactMolWt, 4)
LOGP = ("logP (Crippen)", Crippen.MolLogP, 2)
TPSA = ("TPSA", rdMolDescriptors.CalcTPSA, 1)
HBD = ("H-bond donors", Lipinski.NumHDonors, 0)
HBA = ("H-bond acceptors", Lipinski.NumHAcceptors, 0)
ROT = ("rotatable bonds", rdMolDescriptors.CalcNumRotatableBonds, 0)
RINGS = ("rings", rdMolDescriptors.CalcNumRings, 0)
FSP3 = ("fraction sp3", rdMolDescriptors.CalcFractionCSP3, 2)
HEAVY = ("heavy atoms", lambda m: m.GetNumHeavyAtoms(), 0)
QEDF = ("QED", QED.qed, 2)
KEY = ("InChIKey", Chem.MolToInchiKey, None)
SCAF = ("Murcko scaffold", lambda m: Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(m)), None)
CANON = ("canonical SMILES", Chem.MolToSmiles, None)
STEREO = ("stereocentres", lambda m: len(Chem.FindMolChiralCenters(m, includeUnassigned=True)), 0)


def _lipinski(m: Chem.Mol) -> int:
    return sum(
        [
            Descriptors.MolWt(m) > 500,
            Crippen.MolLogP(m) > 5,
            Lipinski.NumHDonors(m) > 5,
            Lipinski.NumHAcceptors(m) > 10,
        ]
    )


def _veber(m: Chem.Mol) -> int:
    return sum([rdMolDescriptors.CalcNumRotatableBonds(m) > 10, rdMolDescriptors.CalcTPSA(m) > 140])


LIP = ("Lipinski rule-of-five violations", _lipinski, 0)
VEB = ("Veber rule violations", _veber, 0)

Check = tuple[str, tuple[str, Callable[[Chem.Mol], Any], int | None]]

QUESTIONS: list[tuple[str, list[Check], list[str]]] = [
    (
        "What is the molecular formula, exact mass and number of Lipinski violations of CC(=O)Oc1ccccc1C(=O)O?",
        [
            ("CC(=O)Oc1ccccc1C(=O)O", FORMULA),
            ("CC(=O)Oc1ccccc1C(=O)O", EXACT),
            ("CC(=O)Oc1ccccc1C(=O)O", LIP),
        ],
        [],
    ),
    (
        "compare the logP and TPSA of aspirin and ibuprofen, and which is more similar to salicylic acid?",
        [("aspirin", LOGP), ("aspirin", TPSA), ("ibuprofen", LOGP), ("ibuprofen", TPSA)],
        ["similar:salicylic acid:aspirin,ibuprofen"],
    ),
    (
        "What are the molecular weight and logP of caffeine and paracetamol?",
        [("caffeine", MW), ("caffeine", LOGP), ("paracetamol", MW), ("paracetamol", LOGP)],
        [],
    ),
    (
        "How many hydrogen bond donors and acceptors does metformin have, and what is its TPSA?",
        [("metformin", HBD), ("metformin", HBA), ("metformin", TPSA)],
        [],
    ),
    (
        "Give the InChIKey of ethanol and the Murcko scaffold of diazepam",
        [("ethanol", KEY), ("diazepam", SCAF)],
        [],
    ),
    (
        "Is CC(C)Cc1ccc(cc1)C(C)C(=O)O drug-like? Give its QED and number of rotatable bonds.",
        [
            ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", LIP),
            ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", VEB),
            ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", QEDF),
            ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", ROT),
        ],
        [],
    ),
    (
        "What is the TPSA of c1ccccc1O and does it contain a hydroxyl group?",
        [("c1ccccc1O", TPSA)],
        ["contains:[OX2H]c:c1ccccc1O"],
    ),
    (
        "Calculate the exact mass and formula of 58-08-2",
        [("58-08-2", EXACT), ("58-08-2", FORMULA)],
        [],
    ),
    (
        "What is the logP of toluene, benzene and phenol, and which is most similar to aniline?",
        [("toluene", LOGP), ("benzene", LOGP), ("phenol", LOGP)],
        ["similar:aniline:toluene,benzene,phenol"],
    ),
    (
        "How many stereocentres does C[C@H](N)C(=O)O have and what is its molecular weight?",
        [("C[C@H](N)C(=O)O", STEREO), ("C[C@H](N)C(=O)O", MW)],
        [],
    ),
    (
        "Which of aspirin, ibuprofen and paracetamol contain a carboxylic acid?",
        [],
        ["contains:C(=O)[OH]:aspirin,ibuprofen,paracetamol"],
    ),
    ("Draw caffeine and give its heavy atom count", [("caffeine", HEAVY)], ["drawn:caffeine"]),
    (
        "What are the ring count and fraction sp3 of cyclohexane and naphthalene?",
        [
            ("cyclohexane", RINGS),
            ("cyclohexane", FSP3),
            ("naphthalene", RINGS),
            ("naphthalene", FSP3),
        ],
        [],
    ),
    (
        "Apply the reaction [C:1](=O)[OH]>>[C:1](=O)OC to acetic acid and give the molecular weight of acetic acid",
        [("acetic acid", MW)],
        ["product:COC(C)=O"],
    ),
    ("What is the Tanimoto similarity of CCO to CCCO and CCCCO?", [], ["similar:CCO:CCCO,CCCCO"]),
    (
        "Check the Lipinski and Veber rules for sildenafil and celecoxib",
        [("sildenafil", LIP), ("sildenafil", VEB), ("celecoxib", LIP), ("celecoxib", VEB)],
        [],
    ),
    (
        "What is the canonical SMILES of OC(=O)c1ccccc1OC(C)=O and its InChIKey?",
        [("OC(=O)c1ccccc1OC(C)=O", CANON), ("OC(=O)c1ccccc1OC(C)=O", KEY)],
        [],
    ),
    ("Give the TPSA of lidocaine; and its logP?", [("lidocaine", TPSA), ("lidocaine", LOGP)], []),
    (
        "What is the molecular weight of warfarin and of fluoxetine, and which one has more rotatable bonds?",
        [("warfarin", MW), ("fluoxetine", MW), ("warfarin", ROT), ("fluoxetine", ROT)],
        ["highest:rotatable bonds"],
    ),
    (
        "Compute QED and heavy atoms for CN1CCC[C@@H]1c1cccnc1 and nicotine",
        [("CN1CCC[C@@H]1c1cccnc1", QEDF), ("nicotine", QEDF), ("nicotine", HEAVY)],
        [],
    ),
    (
        "What is the logP of CN1CCC[C@H]1c1cccnc1 and nicotine?",
        [("CN1CCC[C@H]1c1cccnc1 / nicotine", LOGP)],
        [],
    ),
    (
        "Does naproxen contain the substructure COc1ccccc1, and what is its logP?",
        [("naproxen", LOGP)],
        ["contains:COc1ccccc1:naproxen"],
    ),
    (
        "What is the molecular formula of [Na+].[Cl-] and of c1ccncc1?",
        [("[Na+].[Cl-]", FORMULA), ("c1ccncc1", FORMULA)],
        [],
    ),
]


def parse_answer(text: str) -> dict[str, dict[str, str]]:
    """Per-molecule sections of a template answer: {subject: {field label: value}}."""
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if (
            not line.startswith(" ")
            and line.endswith(":")
            and line not in ("Problems:", "Warnings:")
        ):
            current = line[:-1]
            out.setdefault(current, {})
        elif line.startswith("  - ") and current is not None:
            label, _, value = line[4:].partition(": ")
            out[current][label] = re.sub(r"\s*\[\d+\]$", "", value)
    return out


def _number(value: str) -> float:
    return float(value.split()[0])


def _check_extra(extra: str, text: str, answer: Any) -> None:
    kind, _, rest = extra.partition(":")
    if kind == "similar":
        ref, targets = rest.split(":")
        names = targets.split(",")
        best = max(names, key=lambda t: morgan_sim(ref, t))
        line = next(ln for ln in text.splitlines() if ln.startswith("Tanimoto similarity to"))
        assert line.split("most similar: ")[1].split(" (")[0] == best
        for t in names:
            shown = float(
                re.search(rf"(?:^|[:,] ){re.escape(t)} ([\d.]+)", line.split(": ", 1)[1]).group(1)
            )
            assert shown == pytest.approx(morgan_sim(ref, t), abs=1e-3)
    elif kind == "contains":
        smarts, subjects = rest.split(":")
        line = next(ln for ln in text.splitlines() if ln.startswith("Contains"))
        query = Chem.MolFromSmarts(smarts)
        for s in subjects.split(","):
            expected = "yes" if mol(s).HasSubstructMatch(query) else "no"
            assert re.search(rf"{re.escape(s)} {expected}\b", line), line
    elif kind == "drawn":
        path = next(s for s in answer.steps if s.tool == "depict").summary.split("written to ")[1]
        assert Path(path).read_bytes()[:4] == b"\x89PNG"
    elif kind == "product":
        assert rest in text.split("Products of")[1]
    elif kind == "highest":
        assert f"fluoxetine has more {rest}: fluoxetine" in text  # the verdict, first
        assert rdMolDescriptors.CalcNumRotatableBonds(
            mol("fluoxetine")
        ) > rdMolDescriptors.CalcNumRotatableBonds(mol("warfarin"))


@pytest.mark.parametrize(
    ("question", "checks", "extras"), QUESTIONS, ids=[q[:48] for q, _, _ in QUESTIONS]
)
def test_question_answered_with_rdkit_values(assistant, question, checks, extras):
    answer = assistant.ask(question)
    assert not answer.refused
    sections = parse_answer(answer.text)
    for subject, (label, func, decimals) in checks:
        assert subject in sections, f"no section for {subject} in:\n{answer.text}"
        shown = sections[subject].get(label)
        assert shown is not None, f"{label} missing for {subject} in:\n{answer.text}"
        expected = func(mol(subject))
        if decimals is None:
            assert shown == expected
        else:
            assert _number(shown) == pytest.approx(expected, abs=0.5 * 10**-decimals + 1e-9)
    for extra in extras:
        _check_extra(extra, answer.text, answer)
    # Every number in the text is in a tool result, every [n] is a listed citation.
    state = assistant.graph.get_state({"configurable": {"thread_id": answer.thread_id}}).values
    evidence = [Evidence.model_validate(e) for e in state["evidence"]]
    assert ungrounded_numbers(answer.text, evidence) == []
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.number for c in answer.citations}
    assert all(s.ok for s in answer.steps), [s.summary for s in answer.steps if not s.ok]
    # The planner finishes on its own and never repeats a call.
    assert not any("stopped" in w for w in answer.warnings), answer.warnings
    calls = [(s.tool, repr(sorted(s.args.items()))) for s in answer.steps]
    assert len(calls) == len(set(calls))


def test_issue_example_question(assistant):
    ans = assistant.ask(
        "What is the molecular formula, exact mass and number of Lipinski violations of CC(=O)Oc1ccccc1C(=O)O?"
    )
    assert "C9H8O4" in ans.text and "180.042" in ans.text
    assert (
        parse_answer(ans.text)["CC(=O)Oc1ccccc1C(=O)O"]["Lipinski rule-of-five violations"] == "0"
    )
    assert [s.tool for s in ans.steps] == ["molecular_formula", "molecular_weight", "drug_likeness"]


def test_ungrounded_number_is_detected():
    ev = Evidence(
        id="E1",
        call={"id": "c1", "tool": "descriptors", "args": {"smiles": "CCO"}},
        ok=True,
        summary="logp -0.0014",
        data={"logp": -0.0014, "tpsa": 20.23},
    )
    assert ungrounded_numbers("logP -0.00, TPSA 20.2 [1]", [ev]) == []
    assert ungrounded_numbers("logP 1.31", [ev]) == ["1.31"]
