"""The functional-group table, the named reactions and the reagent table, checked by chemistry."""

from __future__ import annotations

import csv

import pytest
from rdkit import Chem

from tools.base import ToolInputError
from tools.chem.groups import functional_groups, group_table
from tools.chem.mol import ChemLimits
from tools.chem.named_reactions import reaction_table, run_named_reaction

# (group, a molecule that has it, one that does not)
GROUPS = [
    ("carboxylic acid", "CC(=O)O", "CC(=O)OC"),
    ("ester", "CC(=O)OC", "CC(=O)O"),
    ("lactone", "O=C1CCCO1", "CCCC(=O)OC"),
    ("amide", "CC(=O)NC", "CC(=O)OC"),
    ("lactam", "O=C1CCCN1", "CC(=O)NC"),
    ("beta-lactam", "O=C1CCN1", "O=C1CCCN1"),
    ("carbamate", "CNC(=O)OC", "CNC(=O)NC"),
    ("urea", "CNC(=O)NC", "CNC(=O)OC"),
    ("acyl halide", "CC(=O)Cl", "CCCl"),
    ("anhydride", "CC(=O)OC(C)=O", "CC(=O)OC"),
    ("aldehyde", "CC=O", "CC(C)=O"),
    ("ketone", "CC(C)=O", "CC=O"),
    ("alcohol", "CCO", "Oc1ccccc1"),
    ("phenol", "Oc1ccccc1", "CCO"),
    ("ether", "COC", "CC(=O)OC"),
    ("epoxide", "C1CO1", "C1CCO1"),
    ("acetal", "CC(OC)OC", "CC(O)OC(C)=O"),
    ("primary amine", "CCN", "CCNC"),
    ("secondary amine", "CCNC", "CCN"),
    ("tertiary amine", "CCN(C)C", "CCNC"),
    ("aniline", "Nc1ccccc1", "NCc1ccccc1"),
    ("nitrile", "CC#N", "CC=N"),
    ("nitro", "C[N+](=O)[O-]", "CN"),
    ("azide", "CN=[N+]=[N-]", "CN"),
    ("sulfonamide", "CS(N)(=O)=O", "CS(C)(=O)=O"),
    ("sulfone", "CS(C)(=O)=O", "CS(C)=O"),
    ("sulfoxide", "CS(C)=O", "CS(C)(=O)=O"),
    ("sulfonic acid", "CS(=O)(=O)O", "CS(C)(=O)=O"),
    ("thiol", "CCS", "CSC"),
    ("thioether", "CSC", "CCS"),
    ("disulfide", "CSSC", "CSC"),
    ("phosphate", "COP(=O)(OC)OC", "CP(=O)(OC)OC"),
    ("boronic acid", "OB(O)c1ccccc1", "Oc1ccccc1"),
    ("alkyl halide", "CCBr", "Brc1ccccc1"),
    ("aryl halide", "Brc1ccccc1", "CCBr"),
    ("trifluoromethyl", "CC(F)(F)F", "CCF"),
    ("alkene", "C=CC", "c1ccccc1"),
    ("alkyne", "C#CC", "C=CC"),
    ("pyridine ring", "c1ccncc1", "c1ccccc1"),
    ("furan ring", "c1ccoc1", "C1CCOC1"),
    ("thiophene ring", "c1ccsc1", "c1ccoc1"),
    ("imidazole ring", "c1c[nH]cn1", "c1cc[nH]c1"),
    ("indole ring", "c1ccc2[nH]ccc2c1", "c1ccc2ccccc2c1"),
    ("heteroaromatic ring", "c1ccncc1", "c1ccccc1"),
    ("piperidine ring", "C1CCNCC1", "C1CCOCC1"),
    ("morpholine ring", "C1COCCN1", "C1CCNCC1"),
]


@pytest.mark.parametrize(("group", "has", "lacks"), GROUPS)
def test_group_is_found_where_it_is_and_not_where_it_is_not(group, has, lacks):
    found = [g["group"] for g in functional_groups(Chem.MolFromSmiles(has))]
    assert group in found, found
    assert group not in [g["group"] for g in functional_groups(Chem.MolFromSmiles(lacks))]


def test_every_group_of_the_table_compiles_and_has_a_name():
    names = [g.name for g in group_table()]
    assert len(names) == len(set(names)) >= 60


# (reaction, reactants, expected product, written as a chemist would)
REACTIONS = [
    ("fischer_esterification", ["CCO", "CC(=O)O"], "CCOC(C)=O"),
    ("amide_coupling", ["OC(=O)c1ccccc1", "NC"], "CNC(=O)c1ccccc1"),
    ("ester_hydrolysis", ["CCOC(=O)c1ccccc1"], "OC(=O)c1ccccc1"),
    ("borohydride_reduction", ["O=C1CCCCC1"], "OC1CCCCC1"),
    ("lah_reduction", ["OC(=O)CCc1ccccc1"], "OCCCc1ccccc1"),
    ("nitro_reduction", ["Cc1ccc([N+](=O)[O-])cc1"], "Cc1ccc(N)cc1"),
    ("suzuki", ["Ic1ccc(C)cc1", "OB(O)c1ccccc1"], "Cc1ccc(-c2ccccc2)cc1"),
    ("buchwald_hartwig", ["Brc1ccccc1", "C1CCNCC1"], "c1ccc(N2CCCCC2)cc1"),
    ("boc_protection", ["NCCO"], "CC(C)(C)OC(=O)NCCO"),
    ("boc_deprotection", ["CC(C)(C)OC(=O)N1CCCC1"], "C1CCNC1"),
    ("diels_alder", ["C1=CCC=C1", "C=CC#N"], "N#CC1CC2C=CC1C2"),
    ("grignard", ["CC(C)=O", "C[Mg]Br"], "CC(C)(C)O"),
    ("williamson", ["CCO", "CI"], "CCOC"),
    ("reductive_amination", ["CC=O", "NCc1ccccc1"], "CCNCc1ccccc1"),
    ("alcohol_oxidation", ["CC(O)CC"], "CCC(C)=O"),
    ("hydrogenation", ["C=CC=C"], "CCCC"),
    ("acetylation", ["Nc1ccccc1"], "CC(=O)Nc1ccccc1"),
]


@pytest.mark.parametrize(("key", "reactants", "product"), REACTIONS)
def test_named_reaction_gives_the_textbook_product(key, reactants, product):
    out = run_named_reaction(key, reactants, ChemLimits())
    want = Chem.CanonSmiles(product)
    made = {Chem.CanonSmiles(p) for o in out["outcomes"] for p in o["products"]}
    assert want in made, made


def test_every_named_reaction_is_tested():
    assert {k for k, _, _ in REACTIONS} == set(reaction_table())


def test_a_named_reaction_that_does_not_apply_says_so():
    with pytest.raises(ToolInputError, match="match none"):
        run_named_reaction("suzuki", ["CCO", "CC"], ChemLimits())


@pytest.mark.slow
def test_reagent_structures_are_what_opsin_makes_of_their_systematic_names():
    from tools.names.reagents import opsin_structures, reagents_path

    with reagents_path().open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 100
    made = opsin_structures(rows)
    wrong = [r["name"] for r, s in zip(rows, made, strict=True) if s != r["smiles"]]
    assert wrong == []


@pytest.mark.slow
def test_structure_is_named_offline_by_orthonym(tmp_path):
    from tools.names.resolver import NameResolver
    from tools.pubchem.client import PubChemClient
    from tools.pubchem.settings import PubChemSettings

    offline = PubChemClient(PubChemSettings(offline=True))
    resolver = NameResolver(pubchem=offline)
    res = resolver.name_for("OC(=O)c1ccc(O)cc1")  # not in the built-in table
    assert res.name == "4-hydroxybenzoic acid" and "Orthonym" in res.source
    res = resolver.name_for("C[C@H](O)CC")
    assert res.name == "(2S)-butan-2-ol"
