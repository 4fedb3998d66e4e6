"""The understanding development set (evals/understanding.py) through the whole graph, offline,
no LLM, and the failures the issue quoted, each on its own."""

from __future__ import annotations

import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator, rdMolDescriptors

from evals.understanding import S, cases, report, run


@pytest.fixture(scope="module")
def shared_assistant(tmp_path_factory):
    from agent import Assistant

    with Assistant({"home": tmp_path_factory.mktemp("home")}) as a:
        yield a


@pytest.mark.slow
def test_development_set_is_answered_and_drops_no_molecule(shared_assistant, capsys):
    result = run(shared_assistant)
    with capsys.disabled():
        print("\n" + report(result))
    total = sum(n["total"] for n in result["per_category"].values())
    correct = sum(n["correct"] for n in result["per_category"].values())
    assert total >= 150
    assert correct / total >= 0.95, result["failures"]
    assert result["dropped"] == []


def test_every_case_names_a_category_and_a_question():
    c = cases()
    assert len({x.category for x in c}) >= 12
    assert all(x.turns and all(t.strip() for t in x.turns) for x in c)


def test_names_anywhere_in_a_list_are_all_answered(assistant):
    a = assistant.ask("Compare the TPSA and H-bond donors of morphine, codeine and heroin")
    for name in ("morphine", "codeine", "heroin"):
        tpsa = rdMolDescriptors.CalcTPSA(Chem.MolFromSmiles(S[name]))
        assert f"TPSA: {tpsa:.1f}" in a.text, name


def test_similarity_verdict_keeps_every_candidate(assistant):
    a = assistant.ask(
        "Which of ibuprofen, naproxen and ketoprofen is most similar to flurbiprofen?"
    )
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    ref = gen.GetFingerprint(Chem.MolFromSmiles(S["flurbiprofen"]))
    sims = {
        n: DataStructs.TanimotoSimilarity(ref, gen.GetFingerprint(Chem.MolFromSmiles(S[n])))
        for n in ("ibuprofen", "naproxen", "ketoprofen")
    }
    best = max(sims, key=sims.__getitem__)
    assert f"most similar: {best}" in a.text
    assert all(n in a.text for n in sims)


def test_unresolvable_name_is_reported_with_the_reasons(assistant):
    a = assistant.ask("Molecular weight of aspirin and Flobberwort")
    assert "180.16" in a.text
    assert "'Flobberwort'" in a.text and "offline" in a.text


def test_brand_name_resolves_to_the_parent_and_says_so(assistant):
    a = assistant.ask("What is the molecular weight of Tylenol?")
    assert "151.16 g/mol" in a.text
    assert "acetaminophen" in a.text.lower()


def test_cannot_answer_names_the_quantity_and_lists_nothing_unasked(assistant):
    a = assistant.ask("What is the pKa of acetic acid?")
    assert a.text.startswith("Not available: pKa of acetic acid")
    assert "molecular weight" not in a.text and "logP (Crippen):" not in a.text


def test_rule_of_five_is_not_read_as_a_molecule(assistant):
    a = assistant.ask("Does atorvastatin pass Lipinski's rule of five?")
    assert "Lipinski rule-of-five violations" in a.text
    assert "'five'" not in a.text


def test_drug_dictionary_entries_that_are_mixtures_give_no_structure():
    from tools.names.drugs import drug_dictionary, parent_structure

    assert drug_dictionary() is not None
    smiles, why = parent_structure("CCOC1=CC=C(C=C1)NC(=O)C.CN1C=NC2=C1C(=O)N(C(=O)N2C)C")
    assert smiles is None and "mixture" in str(why)
    parent, note = parent_structure("CC(C1=CC=CC=C1)C(=O)[O-].[Na+]")
    assert parent == "CC(C(=O)O)c1ccccc1" and "salt" in str(note)
