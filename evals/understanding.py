"""A development set of questions chemists type, graded against RDKit (no LLM, offline).

Written for this project: names of every kind (common, drug, brand, systematic, reagent
abbreviations, SMILES, CAS), multi-molecule lists, comparisons and verdicts, similarity,
functional groups, named reactions, follow-ups, questions no tool can answer, unresolvable names,
literature questions. Every expected value is computed here with RDKit from structures written
in this file (or is a fact of the question, such as which molecule is named), never copied from
the assistant's output. `python -m evals.understanding` prints the share correct per category;
`tests/test_understanding.py` runs the set in `make test`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rdkit import Chem, DataStructs
from rdkit.Chem import Crippen, Descriptors, Lipinski, rdFingerprintGenerator, rdMolDescriptors

S: dict[str, str] = {
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "caffeine": "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "naproxen": "COc1ccc2cc(ccc2c1)C(C)C(=O)O",
    "ketoprofen": "CC(C(=O)O)c1cccc(c1)C(=O)c1ccccc1",
    "flurbiprofen": "CC(C(=O)O)c1ccc(c(F)c1)-c1ccccc1",
    "metformin": "CN(C)C(=N)N=C(N)N",
    "nicotine": "CN1CCCC1c1cccnc1",
    "ethanol": "CCO",
    "methanol": "CO",
    "isopropanol": "CC(C)O",
    "diazepam": "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21",
    "naphthalene": "c1ccc2ccccc2c1",
    "benzene": "c1ccccc1",
    "cyclohexane": "C1CCCCC1",
    "sildenafil": "CCCc1nn(C)c2c(=O)[nH]c(-c3cc(S(=O)(=O)N4CCN(C)CC4)ccc3OCC)nc12",
    "glucose": "OCC1OC(O)C(O)C(O)C1O",
    "urea": "NC(N)=O",
    "toluene": "Cc1ccccc1",
    "fentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    "lorazepam": "OC1N=C(c2ccccc2Cl)c2cc(Cl)ccc2NC1=O",
    "zidovudine": "Cc1cn(C2CC(N=[N+]=[N-])C(CO)O2)c(=O)[nH]c1=O",
    "cocaine": "COC(=O)C1C(OC(=O)c2ccccc2)CC2CCC1N2C",
    "naloxone": "C=CCN1CCC23c4c5ccc(O)c4OC2C(=O)CCC3(O)C1C5",
    "penicillin G": "CC1(C)SC2C(NC(=O)Cc3ccccc3)C(=O)N2C1C(=O)O",
    "morphine": "CN1CCC23c4c5ccc(O)c4OC2C(O)C=CC3C1C5",
    "codeine": "COc1ccc2CC3N(C)CCC45c2c1OC4C(O)C=CC35",
    "heroin": "CC(=O)Oc1ccc2CC3N(C)CCC45c2c1OC4C(OC(C)=O)C=CC35",
    "atorvastatin": "CC(C)c1c(C(=O)Nc2ccccc2)c(-c2ccccc2)c(-c2ccc(F)cc2)n1CCC(O)CC(O)CC(=O)O",
    "imatinib": "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1",
    "omeprazole": "COc1ccc2[nH]c(S(=O)Cc3ncc(C)c(OC)c3C)nc2c1",
    "sertraline": "CNC1CCC(c2ccc(Cl)c(Cl)c2)c2ccccc21",
    "tamoxifen": "CCC(=C(c1ccccc1)c1ccc(OCCN(C)C)cc1)c1ccccc1",
    "haloperidol": "OC1(CCN(CCCC(=O)c2ccc(F)cc2)CC1)c1ccc(Cl)cc1",
    "propranolol": "CC(C)NCC(O)COc1cccc2ccccc12",
    "chloroquine": "CCN(CC)CCCC(C)Nc1ccnc2cc(Cl)ccc12",
    "quinine": "COc1ccc2nccc(C(O)C3CC4CCN3CC4C=C)c2c1",
    "amoxicillin": "CC1(C)SC2C(NC(=O)C(N)c3ccc(O)cc3)C(=O)N2C1C(=O)O",
    "sertraline hydrochloride": "CNC1CCC(c2ccc(Cl)c(Cl)c2)c2ccccc21",
    "fluoxetine": "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1",
    "alprazolam": "Cc1nnc2n1-c1ccc(Cl)cc1C(c1ccccc1)=NC2",
    "warfarin": "CC(=O)CC(c1ccccc1)c1c(O)c2ccccc2oc1=O",
    "theophylline": "Cn1c(=O)c2[nH]cnc2n(C)c1=O",
    "theobromine": "Cn1cnc2c1c(=O)[nH]c(=O)n2C",
    "lidocaine": "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "procaine": "CCN(CC)CCOC(=O)c1ccc(N)cc1",
    "4-nitroaniline": "Nc1ccc([N+](=O)[O-])cc1",
    "2-methylpropan-1-ol": "CC(C)CO",
    "1,3,5-trimethylbenzene": "Cc1cc(C)cc(C)c1",
    "4-chlorophenol": "Oc1ccc(Cl)cc1",
    "2,2,4-trimethylpentane": "CC(C)CC(C)(C)C",
    "propan-2-ol": "CC(C)O",
    "3-methylbutan-1-ol": "CC(C)CCO",
    "hexan-1-ol": "CCCCCCO",
    "1-phenylpropan-2-amine": "CC(N)Cc1ccccc1",
    "benzene-1,4-diol": "Oc1ccc(O)cc1",
    "2-aminoethanol": "NCCO",
    "1-bromobutane": "CCCCBr",
    "cyclohexanone": "O=C1CCCCC1",
    "cyclohexanol": "OC1CCCCC1",
    "ethane-1,2-diamine": "NCCN",
    "DIPEA": "CCN(C(C)C)C(C)C",
    "DMAP": "CN(C)c1ccncc1",
    "NBS": "O=C1CCC(=O)N1Br",
    "mCPBA": "OOC(=O)c1cccc(Cl)c1",
    "Boc2O": "CC(C)(C)OC(=O)OC(=O)OC(C)(C)C",
    "TFA": "OC(=O)C(F)(F)F",
    "DBU": "C1CCC2=NCCCN2CC1",
    "DMF": "CN(C)C=O",
    "acetic acid": "CC(=O)O",
    "phenol": "Oc1ccccc1",
    "ethyl acetate": "CCOC(C)=O",
    "acetophenone": "CC(=O)c1ccccc1",
    "benzaldehyde": "O=Cc1ccccc1",
    "benzylamine": "NCc1ccccc1",
    "bromobenzene": "Brc1ccccc1",
    "phenylboronic acid": "OB(O)c1ccccc1",
    "nitrobenzene": "O=[N+]([O-])c1ccccc1",
    "morpholine": "C1COCCN1",
    "cyclopentadiene": "C1=CCC=C1",
    "methyl acrylate": "C=CC(=O)OC",
    "butadiene": "C=CC=C",
    "salicylic acid": "OC(=O)c1ccccc1O",
    "benzoic acid": "OC(=O)c1ccccc1",
    "aniline": "Nc1ccccc1",
    "styrene": "C=Cc1ccccc1",
    "benzyl alcohol": "OCc1ccccc1",
    "methyl benzoate": "COC(=O)c1ccccc1",
    "cyclohexene": "C1=CCCCC1",
    "Tylenol": "CC(=O)Nc1ccc(O)cc1",
    "Advil": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
}


def mol(name: str) -> Chem.Mol:
    return Chem.MolFromSmiles(S.get(name, name))


def canon(smiles: str) -> str:
    return str(Chem.MolToSmiles(Chem.MolFromSmiles(smiles)))


def _f(value: float, decimals: int) -> str:
    """As the tools round (3 places, 4 for exact masses) and the answer shows it."""
    text = f"{round(value, max(3, decimals)):.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


MW = ("molecular weight", lambda m: _f(Descriptors.MolWt(m), 2) + " g/mol")
LOGP = ("logP (Crippen)", lambda m: _f(Crippen.MolLogP(m), 2))
TPSA = ("TPSA", lambda m: _f(rdMolDescriptors.CalcTPSA(m), 1) + " Å²")
HBD = ("H-bond donors", lambda m: str(Lipinski.NumHDonors(m)))
HBA = ("H-bond acceptors", lambda m: str(Lipinski.NumHAcceptors(m)))
FORMULA = ("molecular formula", lambda m: rdMolDescriptors.CalcMolFormula(m))
EXACT = ("exact (monoisotopic) mass", lambda m: _f(Descriptors.ExactMolWt(m), 4) + " Da")
ROT = ("rotatable bonds", lambda m: str(rdMolDescriptors.CalcNumRotatableBonds(m)))
HEAVY = ("heavy atoms", lambda m: str(m.GetNumHeavyAtoms()))
RINGS = ("rings", lambda m: str(rdMolDescriptors.CalcNumRings(m)))
FSP3 = ("fraction sp3", lambda m: _f(rdMolDescriptors.CalcFractionCSP3(m), 2))

Prop = tuple[str, Callable[[Chem.Mol], str]]
Check = Callable[[list[Any]], str | None]  # answers of every turn -> None, or what is wrong


@dataclass
class Case:
    category: str
    turns: list[str]
    check: Check
    named: list[str] = field(default_factory=list)  # every molecule the question names


def _text(answers: list[Any]) -> str:
    return str(answers[-1].text)


def values(props: list[Prop], names: list[str], shown: list[str] | None = None) -> Check:
    """Each property of each molecule appears as '<label>: <value>' in the answer."""

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for name in names:
            for label, fn in props:
                want = f"{label}: {fn(mol(name))}"
                if want not in text:
                    return f"missing {want!r} for {name}"
        for label in shown or []:
            if label not in text:
                return f"{label!r} not named in the answer"
        return None

    return check


def all_of(*checks: Check) -> Check:
    def check(answers: list[Any]) -> str | None:
        return next((r for c in checks if (r := c(answers)) is not None), None)

    return check


def contains(*needles: str, absent: tuple[str, ...] = ()) -> Check:
    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for n in needles:
            if n not in text:
                return f"answer lacks {n!r}"
        for n in absent:
            if n in text:
                return f"answer has {n!r}, which was not asked for"
        return None

    return check


def tool_ran(tool: str) -> Check:
    def check(answers: list[Any]) -> str | None:
        ran = [s.tool for s in answers[-1].steps]
        return None if tool in ran else f"{tool} did not run (ran: {ran})"

    return check


def most_similar(ref: str, candidates: list[str]) -> Check:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fp = gen.GetFingerprint(mol(ref))
    sims = {c: DataStructs.TanimotoSimilarity(fp, gen.GetFingerprint(mol(c))) for c in candidates}
    best = max(sims, key=sims.__getitem__)
    return contains(f"most similar: {best}", f"{sims[best]:.3f}".rstrip("0"))


def verdict(names: list[str], prop: Prop, high: bool, phrase: str) -> Check:
    """The answer names the winner first in a sentence containing `phrase`, with the values."""
    label, fn = prop
    raw = {n: float(fn(mol(n)).split()[0]) for n in names}
    best = (max if high else min)(raw, key=raw.__getitem__)

    def check(answers: list[Any]) -> str | None:
        line = next((ln for ln in _text(answers).splitlines() if phrase in ln), None)
        if line is None:
            return f"no verdict line with {phrase!r}"
        body = line.split(":", 1)[1] if line.startswith("Ranked") else line
        first = min(names, key=lambda n: body.find(n) if n in body else len(body))
        if first != best:
            return f"verdict should name {best} first: {line!r}"
        for n in names:
            if fn(mol(n)) not in line:
                return f"verdict lacks the value of {n}"
        return None

    return check


def product(smiles: str) -> Check:
    want = canon(smiles)

    def check(answers: list[Any]) -> str | None:
        text = _text(answers)
        for token in re.findall(r"product (\S+)", text):
            parts = token.split("+")
            for p in parts:
                m = Chem.MolFromSmiles(p.strip())
                if m is not None and Chem.MolToSmiles(m) == want:
                    return None
        return f"product {want} not in the answer"

    return check


def groups(present: list[str], absent: list[str]) -> Check:
    def check(answers: list[Any]) -> str | None:
        line = next((ln for ln in _text(answers).splitlines() if "functional groups:" in ln), "")
        found = [g.strip() for g in line.split("functional groups:")[-1].split("[")[0].split(",")]
        for g in present:
            if g not in found:
                return f"{g} not listed ({found})"
        for g in absent:
            if g in found:
                return f"{g} listed but absent"
        return None

    return check


def contains_answer(group: str, yes: list[str], no: list[str]) -> Check:
    def check(answers: list[Any]) -> str | None:
        line = next((ln for ln in _text(answers).splitlines() if ln.startswith("Contains")), "")
        for n in yes:
            if f"{n} yes" not in line:
                return f"{n} should contain {group}: {line!r}"
        for n in no:
            if f"{n} no" not in line:
                return f"{n} should not contain {group}: {line!r}"
        return None

    return check


def unavailable(word: str, name: str | None = None) -> Check:
    """Says the quantity is not available, names the molecule, lists no property unasked."""
    needles = ["Not available:", word] + ([name] if name else [])
    return contains(*needles, absent=("molecular weight:", "logP (Crippen):", "TPSA:"))


def unresolved(name: str) -> Check:
    return contains(f"'{name}'", "resolve")


def _lipinski(name: str) -> str:
    m = mol(name)
    failed = sum(
        [
            Descriptors.MolWt(m) > 500,
            Crippen.MolLogP(m) > 5,
            Lipinski.NumHDonors(m) > 5,
            Lipinski.NumHAcceptors(m) > 10,
        ]
    )
    return f"Lipinski rule-of-five violations: {failed}"


def cases() -> list[Case]:
    c: list[Case] = []

    def add(cat: str, q: str | list[str], check: Check, named: list[str] | None = None) -> None:
        c.append(Case(cat, [q] if isinstance(q, str) else q, check, named or []))

    # -- common names, one property ------------------------------------------------------------
    for q, props, name in [
        ("What is the molecular weight of caffeine?", [MW], "caffeine"),
        ("What is the logP of aspirin?", [LOGP], "aspirin"),
        ("TPSA of paracetamol?", [TPSA], "paracetamol"),
        ("How many hydrogen bond donors does metformin have?", [HBD], "metformin"),
        ("Give me the molecular formula of nicotine", [FORMULA], "nicotine"),
        ("What's the exact mass of ethanol?", [EXACT], "ethanol"),
        ("How many H-bond acceptors are in diazepam?", [HBA], "diazepam"),
        ("Number of rotatable bonds in ibuprofen", [ROT], "ibuprofen"),
        ("How many rings does naphthalene have?", [RINGS], "naphthalene"),
        ("How many heavy atoms does benzene have?", [HEAVY], "benzene"),
        ("What is the fraction sp3 of cyclohexane?", [FSP3], "cyclohexane"),
        ("Molar mass of urea", [MW], "urea"),
        ("What is the logP of toluene?", [LOGP], "toluene"),
        ("What's the formula of glucose?", [FORMULA], "glucose"),
        ("Tell me the MW and logP of sildenafil", [MW, LOGP], "sildenafil"),
    ]:
        add("common names", q, values(props, [name]), [name])

    # -- drug names the built-in table does not hold --------------------------------------------
    for q, props, name in [
        ("What is the molecular weight of fentanyl?", [MW], "fentanyl"),
        ("Molecular formula of lorazepam", [FORMULA], "lorazepam"),
        ("What is the TPSA of zidovudine?", [TPSA], "zidovudine"),
        ("What is the logP of cocaine?", [LOGP], "cocaine"),
        ("molecular weight of naloxone", [MW], "naloxone"),
        ("What is the formula of penicillin G?", [FORMULA], "penicillin G"),
        ("How many H-bond donors does morphine have?", [HBD], "morphine"),
        ("MW of codeine?", [MW], "codeine"),
        ("What is the molecular formula of heroin?", [FORMULA], "heroin"),
        ("What is the molecular weight of atorvastatin?", [MW], "atorvastatin"),
        ("logP of ketoprofen", [LOGP], "ketoprofen"),
        ("What is the molecular formula of imatinib?", [FORMULA], "imatinib"),
        ("What's the molecular weight of omeprazole?", [MW], "omeprazole"),
        ("What is the logP of sertraline?", [LOGP], "sertraline"),
        ("Molecular weight of tamoxifen", [MW], "tamoxifen"),
        ("What is the formula of haloperidol?", [FORMULA], "haloperidol"),
        ("What is the molecular weight of propranolol?", [MW], "propranolol"),
        ("TPSA of chloroquine", [TPSA], "chloroquine"),
        ("What is the molecular formula of quinine?", [FORMULA], "quinine"),
        ("What's the TPSA of procaine?", [TPSA], "procaine"),
    ]:
        add("drug names", q, values(props, [name]), [name])

    # -- brand names ---------------------------------------------------------------------------
    for q, props, brand, drug in [
        ("What is the molecular weight of Tylenol?", [MW], "Tylenol", "paracetamol"),
        ("Molecular formula of Advil", [FORMULA], "Advil", "ibuprofen"),
        ("What is the MW of Lipitor?", [MW], "Lipitor", "atorvastatin"),
        ("logP of Zoloft", [LOGP], "Zoloft", "sertraline"),
        ("What's the formula of Prozac?", [FORMULA], "Prozac", "fluoxetine"),
        ("Molecular weight of Valium", [MW], "Valium", "diazepam"),
        ("What is the formula of Xanax?", [FORMULA], "Xanax", "alprazolam"),
        ("TPSA of Aleve", [TPSA], "Aleve", "naproxen"),
        ("What's the formula of Glucophage?", [FORMULA], "Glucophage", "metformin"),
        ("Molecular weight of Coumadin", [MW], "Coumadin", "warfarin"),
    ]:
        add("brand names", q, all_of(values(props, [drug]), contains(brand)), [brand])

    # -- systematic names anywhere in the question -----------------------------------------------
    for q, props, name in [
        ("What is the molecular weight of 2-methylpropan-1-ol?", [MW], "2-methylpropan-1-ol"),
        ("Formula of 1,3,5-trimethylbenzene please", [FORMULA], "1,3,5-trimethylbenzene"),
        ("Is 4-chlorophenol more lipophilic than phenol? Give its logP.", [LOGP], "4-chlorophenol"),
        ("How many heavy atoms in 2,2,4-trimethylpentane?", [HEAVY], "2,2,4-trimethylpentane"),
        ("what is the molecular formula of propan-2-ol", [FORMULA], "propan-2-ol"),
        ("I need the MW of 3-methylbutan-1-ol for a calculation", [MW], "3-methylbutan-1-ol"),
        ("hexan-1-ol: what is its logP?", [LOGP], "hexan-1-ol"),
        (
            "How many rotatable bonds does 1-phenylpropan-2-amine have?",
            [ROT],
            "1-phenylpropan-2-amine",
        ),
        ("benzene-1,4-diol formula?", [FORMULA], "benzene-1,4-diol"),
        ("For 2-aminoethanol, what is the molecular weight?", [MW], "2-aminoethanol"),
        ("logP of 1-bromobutane", [LOGP], "1-bromobutane"),
        ("How many H-bond donors does ethane-1,2-diamine have?", [HBD], "ethane-1,2-diamine"),
        ("Give the formulas of cyclohexanone and cyclohexanol", [FORMULA], "cyclohexanone"),
    ]:
        add("systematic names", q, values(props, [name]), [name])
    add(
        "systematic names",
        "Is 4-nitroaniline toxic?",
        all_of(contains("4-nitroaniline", "Tox21"), tool_ran("predict_property")),
        ["4-nitroaniline"],
    )
    add(
        "systematic names",
        "Give the formulas of cyclohexanone and cyclohexanol",
        values([FORMULA], ["cyclohexanone", "cyclohexanol"]),
        ["cyclohexanone", "cyclohexanol"],
    )

    # -- reagent abbreviations -----------------------------------------------------------------
    for q, props, name in [
        ("What is the molecular weight of DIPEA?", [MW], "DIPEA"),
        ("Formula of DMAP", [FORMULA], "DMAP"),
        ("What's the MW of NBS?", [MW], "NBS"),
        ("Molecular weight of mCPBA", [MW], "mCPBA"),
        ("What is the formula of Boc2O?", [FORMULA], "Boc2O"),
        ("What is the logP of TFA?", [LOGP], "TFA"),
        ("Molecular formula of DBU", [FORMULA], "DBU"),
        ("TPSA of DMF", [TPSA], "DMF"),
    ]:
        add("reagent names", q, values(props, [name]), [name])

    # -- SMILES and CAS ------------------------------------------------------------------------
    for q, props, name in [
        ("What is the molecular weight of CC(=O)Oc1ccccc1C(=O)O?", [MW], "aspirin"),
        ("logP of c1ccccc1O", [LOGP], "phenol"),
        ("What is the formula of 58-08-2?", [FORMULA], "caffeine"),
        ("TPSA of CN1C=NC2=C1C(=O)N(C(=O)N2C)C", [TPSA], "caffeine"),
        ("Exact mass of CCO?", [EXACT], "ethanol"),
        ("Molecular weight of 50-78-2", [MW], "aspirin"),
        ("How many rings in c1ccc2ccccc2c1?", [RINGS], "naphthalene"),
        (
            "What are the H-bond donors and acceptors of CC(=O)Nc1ccc(O)cc1?",
            [HBD, HBA],
            "paracetamol",
        ),
    ]:
        add("SMILES and CAS", q, values(props, [name]), [])
    add("SMILES and CAS", "What is the molecular weight of C1CC?", contains("C1CC", "invalid"))
    add(
        "SMILES and CAS",
        "What is the logP of 50-78-3?",
        contains("50-78-3", "check digit"),
    )

    # -- several molecules in one question ------------------------------------------------------
    for q, props, names in [
        (
            "Compare the TPSA and H-bond donors of morphine, codeine and heroin",
            [TPSA, HBD],
            ["morphine", "codeine", "heroin"],
        ),
        (
            "Molecular weights of aspirin, caffeine and paracetamol?",
            [MW],
            ["aspirin", "caffeine", "paracetamol"],
        ),
        ("logP of fentanyl, imatinib and lorazepam", [LOGP], ["fentanyl", "imatinib", "lorazepam"]),
        (
            "Give the formulas of ethanol, methanol and isopropanol",
            [FORMULA],
            ["ethanol", "methanol", "isopropanol"],
        ),
        (
            "What are the MW and TPSA of omeprazole and sertraline?",
            [MW, TPSA],
            ["omeprazole", "sertraline"],
        ),
        ("For cocaine and naloxone, how many H-bond acceptors?", [HBA], ["cocaine", "naloxone"]),
        ("Formula of theophylline and theobromine", [FORMULA], ["theophylline", "theobromine"]),
        ("MW of benzene, toluene and naphthalene", [MW], ["benzene", "toluene", "naphthalene"]),
        (
            "Compare the logP of ibuprofen, naproxen, ketoprofen and flurbiprofen",
            [LOGP],
            ["ibuprofen", "naproxen", "ketoprofen", "flurbiprofen"],
        ),
        ("rotatable bonds of lidocaine and procaine", [ROT], ["lidocaine", "procaine"]),
        (
            "TPSA of amoxicillin, penicillin G and aspirin",
            [TPSA],
            ["amoxicillin", "penicillin G", "aspirin"],
        ),
        ("What is the molecular weight of fentanyl and of Tylenol?", [MW], ["fentanyl", "Tylenol"]),
    ]:
        add("several molecules", q, values(props, names), names)

    # -- similarity ----------------------------------------------------------------------------
    for q, ref, cands in [
        (
            "Which of ibuprofen, naproxen and ketoprofen is most similar to flurbiprofen?",
            "flurbiprofen",
            ["ibuprofen", "naproxen", "ketoprofen"],
        ),
        (
            "Is caffeine more similar to theophylline or theobromine?",
            "caffeine",
            ["theophylline", "theobromine"],
        ),
        (
            "Which is most similar to morphine: codeine, heroin or naloxone?",
            "morphine",
            ["codeine", "heroin", "naloxone"],
        ),
        ("How similar are aspirin and salicylic acid?", "aspirin", ["salicylic acid"]),
        (
            "Which of benzene, toluene and phenol is most similar to aniline?",
            "aniline",
            ["benzene", "toluene", "phenol"],
        ),
        (
            "Tanimoto similarity of fentanyl to lidocaine and procaine",
            "fentanyl",
            ["lidocaine", "procaine"],
        ),
        (
            "Is ketoprofen or naproxen more similar to ibuprofen?",
            "ibuprofen",
            ["ketoprofen", "naproxen"],
        ),
        (
            "Which is more similar to cocaine, procaine or lidocaine?",
            "cocaine",
            ["procaine", "lidocaine"],
        ),
    ]:
        add("similarity", q, most_similar(ref, cands), [ref, *cands])

    # -- comparisons with a verdict ------------------------------------------------------------
    for q, names, prop, high, phrase in [
        (
            "Which is more lipophilic, aspirin or ibuprofen?",
            ["aspirin", "ibuprofen"],
            LOGP,
            True,
            "more lipophilic",
        ),
        ("Which is heavier, caffeine or aspirin?", ["caffeine", "aspirin"], MW, True, "heavier"),
        (
            "Which of caffeine, aspirin and morphine has the highest TPSA?",
            ["caffeine", "aspirin", "morphine"],
            TPSA,
            True,
            "highest TPSA",
        ),
        (
            "Rank aspirin, caffeine and ibuprofen by molecular weight",
            ["aspirin", "caffeine", "ibuprofen"],
            MW,
            True,
            "Ranked by molecular weight",
        ),
        (
            "Which is less lipophilic: fentanyl or morphine?",
            ["fentanyl", "morphine"],
            LOGP,
            False,
            "less lipophilic",
        ),
        (
            "Which is the most polar of paracetamol, toluene and caffeine?",
            ["paracetamol", "toluene", "caffeine"],
            TPSA,
            True,
            "most polar",
        ),
        (
            "Which of ethanol, methanol and isopropanol has the lowest molecular weight?",
            ["ethanol", "methanol", "isopropanol"],
            MW,
            False,
            "lowest molecular weight",
        ),
        (
            "Which is more hydrophilic, caffeine or nicotine?",
            ["caffeine", "nicotine"],
            LOGP,
            False,
            "more hydrophilic",
        ),
        (
            "Rank morphine, codeine and heroin by logP",
            ["morphine", "codeine", "heroin"],
            LOGP,
            True,
            "Ranked by logP",
        ),
        (
            "Which is larger, imatinib or atorvastatin?",
            ["imatinib", "atorvastatin"],
            MW,
            True,
            "larger",
        ),
        (
            "Which has more rotatable bonds, lidocaine or procaine?",
            ["lidocaine", "procaine"],
            ROT,
            True,
            "rotatable bonds",
        ),
        ("Which is lighter, benzene or toluene?", ["benzene", "toluene"], MW, False, "lighter"),
        (
            "Which of sertraline, fluoxetine and omeprazole is the most lipophilic?",
            ["sertraline", "fluoxetine", "omeprazole"],
            LOGP,
            True,
            "most lipophilic",
        ),
        (
            "Which has the higher TPSA, Tylenol or Advil?",
            ["Tylenol", "Advil"],
            TPSA,
            True,
            "higher TPSA",
        ),
        (
            "Which has the lowest logP: ketoprofen, naproxen or flurbiprofen?",
            ["ketoprofen", "naproxen", "flurbiprofen"],
            LOGP,
            False,
            "lowest logP",
        ),
    ]:
        add("comparisons", q, verdict(names, prop, high, phrase), [])

    # -- functional groups ---------------------------------------------------------------------
    for q, present, absent in [
        (
            "What functional groups are in penicillin G?",
            ["beta-lactam", "carboxylic acid", "amide", "thioether"],
            ["ester", "lactone"],
        ),
        (
            "Which functional groups does aspirin have?",
            ["carboxylic acid", "ester", "benzene ring"],
            ["amide", "alcohol"],
        ),
        (
            "List the functional groups of paracetamol",
            ["amide", "phenol"],
            ["carboxylic acid", "ester"],
        ),
        (
            "What functional groups are in caffeine?",
            ["urea", "heteroaromatic ring", "imidazole ring"],
            ["ester", "alcohol"],
        ),
        ("functional groups of procaine?", ["ester", "tertiary amine", "aniline"], ["amide"]),
        (
            "What functional groups does omeprazole contain?",
            ["sulfoxide", "ether", "pyridine ring"],
            ["sulfone", "ester"],
        ),
        (
            "Functional groups in atorvastatin",
            ["carboxylic acid", "amide", "alcohol", "pyrrole ring"],
            ["ester"],
        ),
        ("What groups are in warfarin?", ["ketone", "lactone"], ["amide"]),
    ]:
        add("functional groups", q, groups(present, absent), [])
    for q, group, yes, no in [
        (
            "Do amoxicillin and aspirin contain a beta-lactam?",
            "beta-lactam",
            ["amoxicillin"],
            ["aspirin"],
        ),
        ("Which of warfarin and aspirin contain a lactone?", "lactone", ["warfarin"], ["aspirin"]),
        ("Does caffeine or paracetamol have a urea group?", "urea", ["caffeine"], ["paracetamol"]),
        (
            "Which of sildenafil and ibuprofen contain a sulfonamide?",
            "sulfonamide",
            ["sildenafil"],
            ["ibuprofen"],
        ),
        (
            "Do nicotine and benzene contain a heteroaromatic ring?",
            "heteroaromatic ring",
            ["nicotine"],
            ["benzene"],
        ),
        ("Which of lidocaine and procaine contain an ester?", "ester", ["procaine"], ["lidocaine"]),
        (
            "Does omeprazole or sildenafil contain a sulfoxide?",
            "sulfoxide",
            ["omeprazole"],
            ["sildenafil"],
        ),
    ]:
        add("functional groups", q, contains_answer(group, yes, no), [*yes, *no])

    # -- named reactions -----------------------------------------------------------------------
    for q, want in [
        ("Fischer esterification of acetic acid with ethanol", "CCOC(C)=O"),
        ("Reduce acetophenone with NaBH4", "CC(O)c1ccccc1"),
        ("What does benzaldehyde give with NaBH4?", "OCc1ccccc1"),
        ("Suzuki coupling of bromobenzene and phenylboronic acid", "c1ccc(-c2ccccc2)cc1"),
        ("Boc protection of benzylamine", "CC(C)(C)OC(=O)NCc1ccccc1"),
        ("Buchwald-Hartwig amination of bromobenzene with morpholine", "c1ccc(N2CCOCC2)cc1"),
        ("Diels-Alder reaction of butadiene and methyl acrylate", "COC(=O)C1CC=CCC1"),
        ("Hydrolyse ethyl acetate with NaOH", "CC(=O)O"),
        ("Reduce methyl benzoate with LiAlH4", "OCc1ccccc1"),
        ("Nitro reduction of nitrobenzene", "Nc1ccccc1"),
        ("Amide coupling of benzoic acid and benzylamine with EDC", "O=C(NCc1ccccc1)c1ccccc1"),
        ("Acetylation of salicylic acid with acetic anhydride", "CC(=O)Oc1ccccc1C(=O)O"),
        ("Grignard addition of MeMgBr to benzaldehyde", "CC(O)c1ccccc1"),
        ("Hydrogenation of styrene", "CCc1ccccc1"),
        ("Esterify benzoic acid with methanol", "COC(=O)c1ccccc1"),
    ]:
        add("named reactions", q, product(want), [])

    # -- follow-ups ----------------------------------------------------------------------------
    for turns, props, name in [
        (["What is the logP of ibuprofen?", "What about ketoprofen?"], [LOGP], "ketoprofen"),
        (["Molecular weight of aspirin?", "and for caffeine?"], [MW], "caffeine"),
        (["TPSA of morphine", "what about codeine?"], [TPSA], "codeine"),
        (["What is the formula of fentanyl?", "How about lorazepam?"], [FORMULA], "lorazepam"),
        (["How many H-bond donors does metformin have?", "Same for urea"], [HBD], "urea"),
        (["What is the logP of aspirin?", "And for paracetamol?"], [LOGP], "paracetamol"),
    ]:
        add("follow-ups", turns, values(props, [name]), [name])
    add(
        "follow-ups",
        ["What is the logP of ibuprofen?", "What about ketoprofen?", "and for caffeine?"],
        values([LOGP], ["caffeine"]),
        ["caffeine"],
    )
    add(
        "follow-ups",
        ["What is the pKa of acetic acid?", "what about phenol?"],
        unavailable("pKa", "phenol"),
        ["phenol"],
    )

    # -- measured quantities from the regression models ------------------------------------------
    for q, needles, name in [
        ("How soluble is caffeine in water?", ("log S", "mg/mL", "test RMSE"), "caffeine"),
        ("What is the aqueous solubility of ibuprofen in mg/mL?", ("mg/mL",), "ibuprofen"),
        ("Is naphthalene soluble in water?", ("log S",), "naphthalene"),
        ("What is the logD of propranolol?", ("logD7.4", "test RMSE"), "propranolol"),
        ("Hydration free energy of ethanol in kJ/mol", ("ΔG_hyd", "kJ/mol"), "ethanol"),
        ("How soluble is caffeine in ethanol?", ("water only",), "caffeine"),
    ]:
        add(
            "measured quantities",
            q,
            all_of(contains(name, *needles), tool_ran("predict_property")),
            [name],
        )

    # -- questions no tool answers ---------------------------------------------------------------
    for q, word, name in [
        ("What is the pKa of acetic acid?", "pKa", "acetic acid"),
        ("What is the 1H NMR spectrum of ethyl acetate?", "spectra", "ethyl acetate"),
        ("What is the melting point of aspirin?", "melting", "aspirin"),
        ("Boiling point of toluene?", "boiling", "toluene"),
        ("What yield can I expect for the esterification of acetic acid?", "yields", "acetic acid"),
        ("Give me a synthesis route for ibuprofen", "synthesis routes", "ibuprofen"),
        ("What is the LD50 of nicotine?", "doses", "nicotine"),
        ("What is the HOMO-LUMO gap of benzene?", "quantum", "benzene"),
        ("How much does fentanyl cost?", "prices", "fentanyl"),
        ("What is the IR spectrum of acetone?", "spectra", "acetone"),
        ("What is the vapour pressure of ethanol?", "physical constants", "ethanol"),
        ("What is the half-life of diazepam?", "pharmacokinetics", "diazepam"),
        ("What is the density of chloroform?", "physical constants", "chloroform"),
        ("How do I make paracetamol?", "synthesis routes", "paracetamol"),
    ]:
        add("cannot answer", q, unavailable(word, name), [name])

    # -- names nothing can resolve offline -------------------------------------------------------
    for q, bad, good in [
        ("What is the logP of Xyzzal-9?", "Xyzzal-9", None),
        ("Molecular weight of aspirin and Flobberwort", "Flobberwort", "aspirin"),
        ("Compare the TPSA of caffeine, Zentrivex and paracetamol", "Zentrivex", "caffeine"),
        (
            "Which of ibuprofen, Qwertinib and naproxen is most similar to ketoprofen?",
            "Qwertinib",
            "ibuprofen",
        ),
        ("formula of morphine, Blorptazine", "Blorptazine", "morphine"),
        ("Is Zorbitol heavier than caffeine?", "Zorbitol", "caffeine"),
        ("What are the logP values of Quixanol and aspirin?", "Quixanol", "aspirin"),
    ]:
        checks = [unresolved(bad)] + ([contains(good)] if good else [])
        add("unresolved names", q, all_of(*checks), [bad] + ([good] if good else []))

    # -- Lipinski --------------------------------------------------------------------------------
    for name in ["atorvastatin", "imatinib", "aspirin", "sildenafil", "tamoxifen"]:
        add(
            "drug-likeness",
            f"Does {name} pass Lipinski's rule of five?",
            contains(_lipinski(name)),
            [name],
        )

    # -- literature ----------------------------------------------------------------------------
    for q in [
        "Is aspirin associated with Reye's syndrome? Cite papers.",
        "What do papers say about caffeine and sleep?",
        "Find studies on metformin in cancer",
        "Is there evidence in the literature that ibuprofen affects kidney function?",
        "Which publications report the synthesis of MOFs for CO2 capture?",
    ]:
        add("literature", q, tool_ran("search_literature"))

    # -- atoms by element and net charge (issue 37) --------------------------------------------
    for q, smiles_or_name, element, symbol in [
        ("How many oxygen atoms are there in aspirin?", "aspirin", "oxygen", "O"),
        ("count the nitrogens in nicotine", "nicotine", "nitrogen", "N"),
        ("Number of carbon atoms in CC(C)Cc1ccc(cc1)C(C)C(=O)O?", "ibuprofen", "carbon", "C"),
        ("how many Cl atoms does sertraline contain", "sertraline", "chlorine", "Cl"),
        ("Fluorine count of fluoxetine", "fluoxetine", "fluorine", "F"),
    ]:
        add(
            "atom counts",
            q,
            contains(f"{element} atoms: {_element_count(smiles_or_name, symbol)}"),
            [] if q.count("(") else [smiles_or_name],
        )
    for q, smiles in [
        ("What is the net charge of C[N+](C)(C)C?", "C[N+](C)(C)C"),
        ("formal charge of CC(=O)[O-]", "CC(=O)[O-]"),
    ]:
        charge = Chem.GetFormalCharge(mol(smiles))
        add("atom counts", q, contains(f"net charge: {charge}"))

    # -- derivatives named relative to a molecule ------------------------------------------------
    for q, smiles in [
        ("Formula of the methyl ester of benzoic acid", "COC(=O)c1ccccc1"),
        ("What is the molecular weight of the ethyl ester of acetic acid?", "CCOC(C)=O"),
        ("molar mass of phenol methyl ether", "COc1ccccc1"),
        ("Give the formula of the sodium salt of salicylic acid", "O=C([O-])c1ccccc1O.[Na+]"),
        ("What's the MW of procaine hydrochloride salt?", "CC[NH+](CC)CCOC(=O)c1ccc(N)cc1.[Cl-]"),
        ("molecular formula of acetylated 4-aminophenol", "CC(=O)Nc1ccc(O)cc1"),
        ("What is the formula of benzoic acid's ethyl ester?", "CCOC(=O)c1ccccc1"),
    ]:
        add("derivatives", q, contains(_any_property_of(smiles)))

    # -- amounts: a mass to moles and back ------------------------------------------------------
    for q, name, grams in [
        ("How many mmol is 250 mg of paracetamol?", "paracetamol", 0.250),
        ("I weighed 2 g of benzoic acid: how many moles is that?", "benzoic acid", 2.0),
        ("What mass of urea is 0.1 mol?", "urea", 0.1 * Descriptors.MolWt(mol("urea"))),
    ]:
        mmol = grams / Descriptors.MolWt(mol(name)) * 1e3
        add("amounts", q, contains(f"{mmol:.4g} mmol" if mmol >= 1e-4 else "mmol"), [name])

    # -- references back into the thread ---------------------------------------------------------
    add(
        "thread references",
        ["Give me the TPSA of nicotine, caffeine and urea.", "And the logP of the third one?"],
        all_of(
            values([LOGP], ["urea"]),
            contains(absent=(f"logP (Crippen): {LOGP[1](mol('caffeine'))}",)),
        ),
        ["urea"],
    )
    add(
        "thread references",
        ["Molecular weights of toluene and phenol?", "What about the formula of the former?"],
        values([FORMULA], ["toluene"]),
        ["toluene"],
    )
    add(
        "thread references",
        ["TPSA of benzoic acid and aniline", "now the H-bond donors of both of them"],
        values([HBD], ["benzoic acid", "aniline"]),
        ["benzoic acid", "aniline"],
    )
    add(
        "thread references",
        ["Compare cyclohexanol and acetic acid by logP", "What is the formula of that acid?"],
        all_of(values([FORMULA], ["acetic acid"]), contains(absent=("C6H12O",))),
        ["acetic acid"],
    )
    add(
        "thread references",
        ["What's the formula of salicylic acid?", "and the molecular weight of its ethyl ester?"],
        contains(f"molecular weight: {MW[1](mol('CCOC(=O)c1ccccc1O'))}"),
    )

    # -- honest fallback: no property list for a question not understood ------------------------
    for q, name in [
        ("What is the crystal space group of caffeine?", "caffeine"),
        ("Who first isolated morphine?", "morphine"),
        ("What colour are crystals of naphthalene?", "naphthalene"),
        ("Is aspirin sold over the counter in Japan?", "aspirin"),
    ]:
        add("not understood", q, contains("did not understand", name, absent=_LISTED), [name])
    for q, name in [("Tell me about nicotine", "nicotine"), ("urea?", "urea")]:
        add("not understood", q, values([MW, FORMULA], [name]), [name])

    # -- format words and other spellings ------------------------------------------------------
    add(
        "format and spelling",
        "logP of toluene, as a list of tuples",
        all_of(values([LOGP], ["toluene"]), contains(absent=("'tuples'",))),
        ["toluene"],
    )
    add(
        "format and spelling",
        "Molecular weight of caffeine in JSON please",
        all_of(values([MW], ["caffeine"]), contains(absent=("'JSON'",))),
        ["caffeine"],
    )
    add(
        "format and spelling",
        "What’s the molecular‑weight of 2‐methylpropan‐1‐ol?",
        values([MW], ["2-methylpropan-1-ol"]),
    )
    add("format and spelling", "ＴＰＳＡ of urea", values([TPSA], ["urea"]), ["urea"])
    add(
        "format and spelling",
        "How heavy is a molecule of lidocaine?",
        values([MW], ["lidocaine"]),
        ["lidocaine"],
    )
    add(
        "format and spelling",
        "how greasy is tamoxifen",
        values([LOGP], ["tamoxifen"]),
        ["tamoxifen"],
    )
    return c


_LISTED = ("molecular weight:", "logP (Crippen):", "TPSA:")


def _element_count(name: str, symbol: str) -> int:
    m = Chem.AddHs(mol(name))
    return sum(1 for a in m.GetAtoms() if a.GetSymbol() == symbol)


def _any_property_of(smiles: str) -> str:
    """The formula or molecular weight line the answer must hold for a built derivative."""
    return rdMolDescriptors.CalcMolFormula(Chem.MolFromSmiles(smiles))


def dropped(case: Case, answers: list[Any]) -> list[str]:
    """Molecules the question named that the answer neither answers nor reports."""
    text = _text(answers)
    return [n for n in case.named if n not in text and n.lower() not in text.lower()]


def run(assistant: Any, selected: list[Case] | None = None) -> dict[str, Any]:
    """Ask every case (follow-ups in one thread); per-category counts and the failures."""
    results: dict[str, Counter[str]] = defaultdict(Counter)
    failures: list[tuple[str, str, str]] = []
    silent: list[tuple[str, list[str]]] = []
    for case in selected or cases():
        answers: list[Any] = []
        thread = None
        for q in case.turns:
            a = assistant.ask(q, thread_id=thread)
            thread = a.thread_id
            answers.append(a)
        problem = case.check(answers)
        lost = dropped(case, answers)
        results[case.category]["total"] += 1
        if problem is None and not lost:
            results[case.category]["correct"] += 1
        else:
            failures.append((case.category, case.turns[-1], problem or f"dropped {lost}"))
        if lost:
            silent.append((case.turns[-1], lost))
    return {"per_category": results, "failures": failures, "dropped": silent}


def report(result: dict[str, Any]) -> str:
    lines = [f"{'category':22} correct / total"]
    total = correct = 0
    for cat, n in result["per_category"].items():
        lines.append(f"{cat:22} {n['correct']:3d} / {n['total']:3d}")
        total += n["total"]
        correct += n["correct"]
    lines.append(f"{'all':22} {correct:3d} / {total:3d} = {correct / max(total, 1):.1%}")
    lines.append(f"molecules dropped silently: {sum(len(d) for _, d in result['dropped'])}")
    return "\n".join(lines)


if __name__ == "__main__":
    import logging
    import sys
    import tempfile

    from agent import Assistant

    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as home, Assistant({"home": home}) as a:
        out = run(a)
    sys.stdout.write(report(out) + "\n")
    for cat, q, why in out["failures"]:
        sys.stdout.write(f"  FAIL [{cat}] {q}: {why}\n")
