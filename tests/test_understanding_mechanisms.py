"""The mechanisms behind understanding questions nobody here wrote (issue 37), each on its own
and through the assistant: Unicode folding, atoms by element and charge, derivatives, amounts,
references back into the thread, format words, intents by meaning, "not understood"."""

from __future__ import annotations

import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from agent.planners.normalise import normalise_question
from agent.planners.references import find_derivatives, find_references
from tools.chem.amounts import convert, find_quantity
from tools.chem.composition import NoSuchGroup, atom_counts, composition_fields, derive

LISTED = ("molecular weight:", "logP (Crippen):", "TPSA:")


def key(smiles: str) -> str:
    return str(Chem.MolToInchiKey(Chem.MolFromSmiles(smiles)))


# -- pure parts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("2\u2010methylpropan\u20101\u2010ol", "2-methylpropan-1-ol"),  # hyphen
        ("caffeine \u2013 logP", "caffeine - logP"),  # en dash
        ("\u201caspirin\u201d", '"aspirin"'),
        ("aspirin\u2019s", "aspirin's"),
        ("\uff4d\uff57 of urea", "mw of urea"),  # full-width
        ("5\u00a0g", "5 g"),
        ("CC\u200bO", "CCO"),  # zero-width space
    ],
)
def test_typed_variants_read_as_plain_text(typed, read):
    assert normalise_question(typed) == read


def test_smiles_survive_folding_unchanged():
    for smiles in (
        "CC(=O)Oc1ccccc1C(=O)O",
        "C[N+](C)(C)C",
        "F/C=C/F",
        "[2H]C([2H])[2H]",
        "C%10CC%10",
    ):
        assert normalise_question(f"logP of {smiles}?") == f"logP of {smiles}?"


@pytest.mark.parametrize(
    ("smiles", "expected"),
    [
        ("CCO", {"C": 2, "H": 6, "O": 1}),
        ("Cn1cnc2c1c(=O)n(C)c(=O)n2C", {"C": 8, "H": 10, "N": 4, "O": 2}),
        ("ClC(Cl)(Cl)Cl", {"C": 1, "Cl": 4}),
        ("[NH4+]", {"H": 4, "N": 1}),
    ],
)
def test_atoms_are_counted_with_their_hydrogens(smiles, expected):
    assert atom_counts(Chem.MolFromSmiles(smiles)) == expected


def test_net_charge_sums_the_formal_charges():
    assert composition_fields(Chem.MolFromSmiles("C[N+](C)(C)C"))["formal_charge"] == 1
    assert composition_fields(Chem.MolFromSmiles("OC(=O)CC([O-])=O.[O-]C=O"))["formal_charge"] == -2
    assert composition_fields(Chem.MolFromSmiles("C[N+](C)(C)CC([O-])=O"))["formal_charge"] == 0


@pytest.mark.parametrize(
    ("parent", "name", "expected"),
    [
        ("OC(=O)c1ccccc1O", "methyl ester", "COC(=O)c1ccccc1O"),  # methyl salicylate
        ("OC(=O)c1ccccc1O", "acetate", "CC(=O)Oc1ccccc1C(=O)O"),  # aspirin
        ("OC(=O)CCC(=O)O", "ethyl ester", "CCOC(=O)CCC(=O)OCC"),  # both acids esterified
        ("Oc1ccccc1", "methyl ether", "COc1ccccc1"),  # anisole
        ("Nc1ccccc1", "n-acetyl", "CC(=O)Nc1ccccc1"),  # acetanilide
        ("OC(=O)c1ccccc1", "amide", "NC(=O)c1ccccc1"),  # benzamide
        ("OC(=O)c1ccccc1", "sodium salt", "O=C([O-])c1ccccc1.[Na+]"),  # sodium benzoate
        ("CCN(CC)CC(=O)Nc1c(C)cccc1C", "hydrochloride", "CC[NH+](CC)CC(=O)Nc1c(C)cccc1C.[Cl-]"),
        ("Nc1ccc(O)cc1", "acetylated", "CC(=O)Nc1ccc(O)cc1"),  # the amine first: paracetamol
        ("OC(=O)c1ccccc1O", "acetylated", "CC(=O)Oc1ccccc1C(=O)O"),  # no amine: aspirin
    ],
)
def test_derivatives_are_the_named_compounds(parent, name, expected):
    assert key(Chem.MolToSmiles(derive(Chem.MolFromSmiles(parent), name))) == key(expected)


def test_a_derivative_needs_the_group_it_is_made_from():
    with pytest.raises(NoSuchGroup, match="carboxylic acid"):
        derive(Chem.MolFromSmiles("c1ccccc1"), "methyl ester")


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("how many moles are in 5 g of aspirin", 5.0, "g"),
        ("500mg of ibuprofen", 500.0, "mg"),
        ("0,25 mol caffeine", 0.25, "mol"),
        ("2.5 millimoles of urea", 2.5, "mmol"),
        ("10 micrograms of X", 10.0, "µg"),
    ],
)
def test_quantities_are_read_with_their_units(text, value, unit):
    found = find_quantity(text)
    assert found is not None and found[:2] == (value, unit)


def test_no_quantity_in_a_molar_mass_question():
    assert find_quantity("what is the molar mass of caffeine in g/mol") is None


def test_a_mass_converts_to_moles_through_the_molecular_weight():
    mw = Descriptors.MolWt(Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"))
    out = convert(5, "g", mw)
    assert out["moles"] == pytest.approx(5 / mw)
    back = convert(float(out["moles"]), "mol", mw)
    assert back["grams"] == pytest.approx(5)


def test_references_are_found_with_what_they_pick():
    (r,) = find_references("What is the logP of the second one?")
    assert (r.kind, r.index) == ("ordinal", 1)
    (r,) = find_references("and the latter compound?")
    assert (r.kind, r.index) == ("ordinal", -1)
    (r,) = find_references("the TPSA of that acid")
    assert (r.kind, r.noun) == ("that", "acid")
    assert [x.kind for x in find_references("both of them: logP?")] == ["all"]
    assert find_references("What is the first-pass metabolism of aspirin?") == []


def test_derivatives_are_found_with_where_their_parent_is():
    (d,) = find_derivatives("MW of its methyl ester")
    assert (d.name, d.its, d.of_follows) == ("methyl ester", True, False)
    (d,) = find_derivatives("the ethyl ester of benzoic acid")
    assert (d.name, d.of_follows) == ("ethyl ester", True)


# -- through the assistant --------------------------------------------------------------------


def _value_line(text: str, label: str) -> str:
    return next((ln for ln in text.splitlines() if label in ln), "")


def test_element_word_is_counted_not_resolved(assistant):
    a = assistant.ask("Count the carbon atoms in CCO")
    assert "carbon atoms: 2" in a.text
    assert "resolve_name" not in [s.tool for s in a.steps]


def test_format_words_are_not_sent_to_the_resolver(assistant):
    a = assistant.ask("Give the logP of caffeine as a list of tuples")
    assert [s.args for s in a.steps if s.tool == "resolve_name"] == [{"name": "caffeine"}]
    assert "logP (Crippen):" in a.text


def test_ordinal_picks_that_molecule_of_the_previous_turn(assistant):
    first = assistant.ask("Molecular weights of ethanol, phenol and urea")
    a = assistant.ask("logP of the second one?", thread_id=first.thread_id)
    assert [m.name for m in a.molecules] == ["phenol"]
    assert "ethanol" not in a.text and "urea" not in a.text


def test_class_noun_picks_the_molecule_of_that_class(assistant):
    first = assistant.ask("Compare toluene and benzoic acid by TPSA")
    a = assistant.ask("What is the formula of that acid?", thread_id=first.thread_id)
    assert "C7H6O2" in a.text and "C7H8" not in a.text


def test_its_derivative_is_built_from_the_molecule_referred_to(assistant):
    first = assistant.ask("formula of salicylic acid")
    a = assistant.ask("and the molecular weight of its methyl ester?", thread_id=first.thread_id)
    mw = Descriptors.MolWt(Chem.MolFromSmiles("COC(=O)c1ccccc1O"))
    assert f"molecular weight: {mw:.2f} g/mol" in a.text
    assert "derivative" in [s.tool for s in a.steps]


def test_a_derivative_of_a_molecule_without_the_group_is_reported(assistant):
    a = assistant.ask("molecular weight of the methyl ester of benzene")
    assert "carboxylic acid" in a.text
    assert "molecular weight:" not in a.text


def test_question_not_understood_gets_no_property_list(assistant):
    a = assistant.ask("What is the crystal space group of caffeine?")
    assert "did not understand" in a.text and "caffeine" in a.text
    assert not any(label in a.text for label in LISTED)


def test_tell_me_about_still_gets_the_overview(assistant):
    a = assistant.ask("Tell me about caffeine")
    assert all(label in a.text for label in LISTED)


@pytest.mark.slow
def test_paraphrase_matched_by_meaning_is_answered_and_said(assistant):
    a = assistant.ask("how greasy is ibuprofen")
    assert "logP (Crippen):" in a.text
    assert "matched by meaning" in a.text


@pytest.mark.slow
def test_meaning_never_guesses_for_questions_no_tool_answers(assistant):
    for q in ("What is the space group of aspirin?", "Who sells naphthalene?"):
        a = assistant.ask(q)
        assert "did not understand" in a.text, q
        assert "matched by meaning" not in a.text, q


def test_amount_is_converted_with_the_molecular_weight(assistant):
    a = assistant.ask("Convert 500 mg of ibuprofen to mmol")
    mw = Descriptors.MolWt(Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)O"))
    assert f"{500 / mw:.4g} mmol" in a.text


def test_ordinal_reaches_back_past_a_turn_about_one_molecule(assistant):
    t = assistant.ask("MW of aspirin and caffeine").thread_id
    assert [m.name for m in assistant.ask("logP of the first one", thread_id=t).molecules] == [
        "aspirin"
    ]
    a = assistant.ask("and of the second?", thread_id=t)
    assert [m.name for m in a.molecules] == ["caffeine"]
    a = assistant.ask("and the other one's TPSA?", thread_id=t)
    assert [m.name for m in a.molecules] == ["aspirin"]


def test_ordinal_that_points_at_nothing_is_said_not_guessed(assistant):
    t = assistant.ask("formula of urea").thread_id
    a = assistant.ask("and the third one?", thread_id=t)
    assert "could not tell which molecule" in a.text
    assert a.molecules == [] and "CH4N2O" not in a.text


def test_a_salt_of_a_molecule_without_the_group_is_reported():
    with pytest.raises(NoSuchGroup, match="basic nitrogen"):
        derive(Chem.MolFromSmiles("c1ccccc1O"), "hydrochloride")


def test_adjective_derivative_is_computed_not_shown_as_a_reaction(assistant):
    a = assistant.ask("Molecular weight of acetylated salicylic acid")
    mw = Descriptors.MolWt(Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"))
    assert f"molecular weight: {mw:.2f} g/mol" in a.text


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("What is the melting point of flurbenzamolix?", "flurbenzamolix"),
        ("Give the pKa of acetic acid and of zorbitrexin", "zorbitrexin"),
        ("Is blorphanate FDA approved?", "blorphanate"),
        ("Molecular weights of caffeine, C1CC(C, and quantumolide", "quantumolide"),
    ],
)
def test_a_lowercase_name_nobody_listed_is_reported_not_dropped(assistant, question, name):
    """Only capitalised unknown words used to be taken as names: a lowercase one vanished from
    the answer, with no line saying it could not be resolved."""
    a = assistant.ask(question)
    assert f"cannot resolve '{name}'" in a.text, a.text


@pytest.mark.parametrize(
    "question",
    ["Estimate the logP of ethanol, roughly", "Determine the molecular weight of caffeine"],
)
def test_everyday_words_are_not_taken_for_names(assistant, question):
    a = assistant.ask(question)
    assert [s.tool for s in a.steps if s.tool == "resolve_name" and not s.ok] == [], a.text


def test_unfamiliar_names_are_told_from_english_by_the_bundled_vocabulary():
    from agent.planners.spans import unfamiliar_name

    assert all(unfamiliar_name(w) for w in ["zorbitrexin", "blorphanate", "quantumolide"])
    assert not any(
        unfamiliar_name(w) for w in ["determine", "estimate", "separate", "protein", "well-known"]
    )


def test_t_butyl_ester_is_the_tert_butyl_ester_not_the_n_butyl_one():
    [d] = find_derivatives("the t-butyl ester of acetic acid")
    assert d.name == "tert-butyl ester"
    ester = derive(Chem.MolFromSmiles("CC(=O)O"), d.name)
    assert key(Chem.MolToSmiles(ester)) == key("CC(=O)OC(C)(C)C")


def test_a_derivative_no_tool_builds_is_said_not_answered_about_the_parent(assistant):
    """ "the N-methyl derivative of aniline" used to answer the molecular weight of aniline."""
    a = assistant.ask("What is the molecular weight of the N-methyl derivative of aniline?")
    assert "unknown derivative 'N-methyl derivative'" in a.text, a.text
    assert "93.13" not in a.text  # aniline's


def test_a_list_in_brackets_keeps_its_first_and_last_members(assistant):
    """ "[ethanol, CC(C)O, benzene]": the brackets stuck to the first and last words, so ethanol
    was never read and vanished from the answer."""
    a = assistant.ask("Molecular weights of [ethanol, CC(C)O, benzene]")
    assert "46.07" in a.text and "60.1" in a.text and "78.11" in a.text, a.text


def test_a_list_separated_by_semicolons_gets_the_property_for_every_member(assistant):
    a = assistant.ask("Exact masses of nicotine; cotinine; anabasine")
    assert a.text.count("- exact (monoisotopic) mass:") == 3, a.text
    assert "TPSA" not in a.text  # no overview of the later members


def test_semicolons_between_requests_still_split_them(assistant):
    a = assistant.ask("What is the logP of ethanol; what is the TPSA of phenol?")
    assert "TPSA: 20.2" in a.text and "logP (Crippen): 0.00" in a.text


@pytest.mark.parametrize(
    ("question", "weight"),
    [
        ("MW of metformin HCl", "165.6"),
        ("What is the molecular weight of sertraline HCl?", "342.7"),
    ],
)
def test_a_drug_written_with_hcl_is_its_hydrochloride(assistant, question, weight):
    """ "metformin HCl" was answered as the free base (129.17), the salt the dictionary files it
    under; "HCl" after a molecule names its hydrochloride."""
    a = assistant.ask(question)
    assert weight in a.text, a.text


def test_hcl_as_a_reagent_or_on_its_own_is_hydrogen_chloride(assistant):
    assert "36.46" in assistant.ask("What is the molecular weight of HCl?").text
    a = assistant.ask("Compare the MW of NaCl and HCl")
    assert "36.46" in a.text and "58.44" in a.text


def test_the_three_refers_to_the_molecules_of_the_last_turn(assistant):
    """ "which of the three" sent "three" to the name resolver and answered nothing."""
    t = assistant.ask("Give me info on caffeine, theobromine and theophylline").thread_id
    a = assistant.ask("which of the three has the lowest MW?", thread_id=t)
    assert "cannot resolve 'three'" not in a.text
    assert "194.19" in a.text and a.text.count("180.17") >= 2, a.text


def test_compare_them_with_no_property_compares_the_molecules_of_the_last_turn(assistant):
    """ "compare them" after "Look up glucose and fructose" said "I found nothing to compute"."""
    t = assistant.ask("Look up glucose and fructose").thread_id
    a = assistant.ask("compare them", thread_id=t)
    assert "glucose:" in a.text and "fructose:" in a.text, a.text
    assert a.text.count("molecular weight: 180.16") == 2
