"""Metrics on hand-worked cases: stereo, salts, fragments, invalid input, formulas."""

from __future__ import annotations

import math

import pytest

from evals import metrics as m


def test_smiles_match_is_canonical_and_strict_about_stereo():
    assert m.smiles_match("OCC", "CCO")
    assert m.smiles_match("C1=CC=CC=C1", "c1ccccc1")  # kekulé vs aromatic
    assert not m.smiles_match("C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O")  # L- vs D-alanine
    assert not m.smiles_match("CC(N)C(=O)O", "C[C@@H](N)C(=O)O")  # stereo missing is wrong
    assert not m.smiles_match("C1CC", "C1CC")  # invalid counts as wrong, even if equal text
    assert not m.smiles_match("", "CCO")


def test_salts_and_fragments():
    # a salt is not the free base...
    assert not m.smiles_match("CC(=O)[O-].[Na+]", "CC(=O)O")
    # ...but reaction prediction accepts the product among the predicted fragments
    assert m.product_match("CC(=O)OCC.O", "CCOC(C)=O")
    assert not m.product_match("CCO.O", "CCOC(C)=O")


def test_reactant_sets_ignore_order():
    assert m.reactant_set_match("CCO.CC(=O)O", ["CC(=O)O", "OCC"])
    assert m.reactant_set_match("OCC.CC(O)=O", ["CC(=O)O.CCO"])
    assert not m.reactant_set_match("CCO", ["CC(=O)O", "CCO"])
    assert not m.reactant_set_match("CCO.C1CC", ["CCO"])


def test_inchi_match_tautomer_free_comparison():
    assert m.inchi_match("Oc1ccccn1", "O=c1cccc[nH]1")  # 2-hydroxypyridine / 2-pyridone
    assert not m.inchi_match("not a smiles", "CCO")


def test_tanimoto_values():
    assert m.tanimoto("CCO", "OCC") == 1.0
    assert m.tanimoto("CCO", "xyz") == 0.0
    # Morgan r=2 environments (duplicate atom sets dropped, as RDKit does):
    # ethanol CCO: r0 CH3, CH2, OH; r1 CH3-CH2, CH3-CH2-O, CH2-OH -> 6 bits
    # propanol CCCO: r0 the same 3; r1 CH3-CH2, C-CH2-C, C-CH2-O, CH2-OH; r2 the whole molecule
    #   (the other radius-2 sets repeat radius-1 sets) -> 8 bits
    # shared: the 3 atoms + CH3-CH2 + CH2-OH = 5, so 5 / (6 + 8 - 5) = 5/9
    assert m.tanimoto("CCO", "CCCO") == pytest.approx(5 / 9)
    for fp in ("maccs", "rdk", "morgan"):
        assert m.tanimoto("c1ccccc1O", "c1ccccc1O", fp) == 1.0
    with pytest.raises(ValueError):
        m.tanimoto("C", "C", "ecfp9")


def test_formulas_in_any_order():
    assert m.formula_match("C9H8O4", "C9H8O4")
    assert m.formula_match("H8C9O4", "C9H8O4")
    assert not m.formula_match("C9H8O3", "C9H8O4")
    assert not m.formula_match("aspirin", "C9H8O4")
    assert m.formula_counts("CH4") == {"C": 1, "H": 4}
    # charged species, as RDKit's CalcMolFormula and the ChemDFM references write them
    assert m.formula_match("C17H24N5O4+", "C17H24N5O4+")
    assert not m.formula_match("C17H24N5O4", "C17H24N5O4+")
    assert m.formula_counts("SO4-2") == {"S": 1, "O": 4, "charge": -2}


def test_reply_parsing():
    assert (
        m.yes_no("Yes, it does.") == "Yes" and m.yes_no(" no") == "No" and m.yes_no("Maybe") is None
    )
    assert m.first_letter("B. because") == "B" and m.first_letter("(C)") == "C"
    assert m.first_letter("The answer is A") is None  # first-letter scoring, as SciEval does
    assert m.first_answer("Answer: CCO\nbecause...") == "CCO"
    assert m.levenshtein("kitten", "sitting") == 3


def test_corpus_bleu_hand_worked():
    # identical corpora: every precision 1, no brevity penalty
    assert m.corpus_bleu([list("CCOC(=O)C")], [list("CCOC(=O)C")]) == pytest.approx(1.0)
    # hypothesis "ab" vs reference "abc", bigrams only: p1 = 2/2, p2 = 1/1; brevity
    # penalty exp(1 - 3/2)
    assert m.corpus_bleu([list("abc")], [list("ab")], max_n=2) == pytest.approx(math.exp(-0.5))
    assert m.corpus_bleu([list("abc")], [list("xyz")]) == 0.0


def test_rouge_hand_worked():
    ref = ["the", "cat", "sat", "on", "the", "mat"]
    hyp = ["the", "cat", "on", "the", "mat"]
    # unigrams: overlap the, cat, on, the, mat = 5; P 5/5, R 5/6 -> F 10/11
    assert m.rouge_n(ref, hyp, 1) == pytest.approx(10 / 11)
    # bigrams: ref {the cat, cat sat, sat on, on the, the mat}, hyp {the cat, cat on, on the,
    # the mat}: overlap 3, P 3/4, R 3/5 -> F 2/3
    assert m.rouge_n(ref, hyp, 2) == pytest.approx(2 / 3)
    # LCS "the cat on the mat" = 5 -> same as ROUGE-1 here
    assert m.rouge_l(ref, hyp) == pytest.approx(10 / 11)
    assert m.words("It is a beta-lactam.") == ["it", "is", "a", "beta", "-", "lactam", "."]


def test_stereo_free_smiles_match_forgives_only_stereo():
    from evals.metrics import smiles_match, smiles_match_no_stereo

    assert not smiles_match("C[C@H](N)C(=O)O", "CC(N)C(=O)O")
    assert smiles_match_no_stereo("C[C@H](N)C(=O)O", "CC(N)C(=O)O")
    assert not smiles_match_no_stereo("CC(N)C(=O)O", "CCC(N)C(=O)O")
    assert not smiles_match_no_stereo("C1CC", "CC")
