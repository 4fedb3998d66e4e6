"""Each RDKit tool against RDKit called directly in the test, plus its error paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import (
    QED,
    Crippen,
    Descriptors,
    Lipinski,
    MACCSkeys,
    rdFingerprintGenerator,
    rdMolDescriptors,
)
from rdkit.Chem.Scaffolds import MurckoScaffold

from models.smiles import looks_like_smiles
from tools.base import ToolInputError, ToolLimitError, ToolTimeout
from tools.chem.mol import ChemLimits, InvalidSmiles, parse_smiles
from tools.chem.toolkit import ChemToolkit

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
IBUPROFEN = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"


@pytest.fixture(scope="module")
def tk(tmp_path_factory: pytest.TempPathFactory) -> dict:
    kit = ChemToolkit(ChemLimits(smarts_timeout_s=3), tmp_path_factory.mktemp("img"))
    return {t.name: t for t in kit.tools()}


def test_validate_gives_canonical_smiles(tk):
    r = tk["validate_smiles"].run({"smiles": "OC(=O)c1ccccc1OC(C)=O"})
    assert r.data["smiles"] == Chem.MolToSmiles(Chem.MolFromSmiles(ASPIRIN))
    assert r.data["formula"] == "C9H8O4"


@pytest.mark.parametrize(
    ("smiles", "fragment"),
    [
        ("C1CC", "ring"),
        ("CC(C", "'('"),
        ("C(C)(C)(C)(C)C", "valence"),
        ("c1cccc1", "aromatic"),
        ("CXC", "not valid SMILES"),
        ("", "empty"),
    ],
)
def test_invalid_smiles_message_says_what_is_wrong(tk, smiles, fragment):
    with pytest.raises(InvalidSmiles) as info:
        tk["validate_smiles"].run({"smiles": smiles})
    assert fragment in str(info.value)


def test_huge_molecule_is_refused_with_the_limit():
    with pytest.raises(ToolLimitError, match="10,000 heavy atoms"):
        parse_smiles("C" * 10_000, ChemLimits(max_smiles_length=20_000))
    with pytest.raises(ToolLimitError, match="max_smiles_length"):
        parse_smiles("C" * 10_000)


def test_formula_and_masses(tk):
    mol = Chem.MolFromSmiles(ASPIRIN)
    assert tk["molecular_formula"].run({"smiles": ASPIRIN}).data[
        "formula"
    ] == rdMolDescriptors.CalcMolFormula(mol)
    d = tk["molecular_weight"].run({"smiles": ASPIRIN}).data
    assert d["molecular_weight"] == pytest.approx(Descriptors.MolWt(mol), abs=1e-3)
    assert d["exact_mass"] == pytest.approx(180.0423, abs=1e-4)


def test_descriptors_match_rdkit(tk):
    mol = Chem.MolFromSmiles(IBUPROFEN)
    d = tk["descriptors"].run({"smiles": IBUPROFEN}).data
    assert d["logp"] == pytest.approx(Crippen.MolLogP(mol), abs=1e-3)
    assert d["tpsa"] == pytest.approx(rdMolDescriptors.CalcTPSA(mol), abs=1e-2)
    assert d["hbd"] == Lipinski.NumHDonors(mol)
    assert d["hba"] == Lipinski.NumHAcceptors(mol)
    assert d["rotatable_bonds"] == rdMolDescriptors.CalcNumRotatableBonds(mol)
    assert d["heavy_atoms"] == mol.GetNumHeavyAtoms() == 15
    assert d["qed"] == pytest.approx(QED.qed(mol), abs=1e-3)
    assert 1 <= d["sa_score"] <= 10


def test_descriptor_subset(tk):
    d = tk["descriptors"].run({"smiles": ASPIRIN, "names": ["tpsa"]}).data
    assert set(d) == {"smiles", "tpsa"}
    with pytest.raises(ToolInputError, match="names"):
        tk["descriptors"].run({"smiles": ASPIRIN, "names": ["colour"]})


def test_lipinski_counts_violations(tk):
    assert tk["drug_likeness"].run({"smiles": ASPIRIN}).data["lipinski_violations"] == 0
    # A C40 alkane: MW > 500 and logP > 5.
    d = tk["drug_likeness"].run({"smiles": "C" * 40}).data
    assert d["lipinski_violations"] == 2
    assert set(d["lipinski_failed"]) == {"molecular_weight <= 500", "logp <= 5"}
    assert d["veber_violations"] == 1  # 37 rotatable bonds


def test_similarity_morgan_and_maccs(tk):
    q, t = Chem.MolFromSmiles("OC(=O)c1ccccc1O"), Chem.MolFromSmiles(ASPIRIN)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    expected = DataStructs.TanimotoSimilarity(gen.GetFingerprint(q), gen.GetFingerprint(t))
    r = tk["similarity"].run({"query": "OC(=O)c1ccccc1O", "targets": [ASPIRIN, IBUPROFEN]}).data
    assert r["results"][0]["tanimoto"] == pytest.approx(expected, abs=1e-3)
    assert r["most_similar"] == Chem.MolToSmiles(t)
    m = (
        tk["similarity"]
        .run({"query": "OC(=O)c1ccccc1O", "targets": [ASPIRIN], "fingerprint": "maccs"})
        .data
    )
    exp = DataStructs.TanimotoSimilarity(MACCSkeys.GenMACCSKeys(q), MACCSkeys.GenMACCSKeys(t))
    assert m["results"][0]["tanimoto"] == pytest.approx(exp, abs=1e-3)


def test_substructure_search_over_list(tk):
    r = (
        tk["substructure_search"]
        .run({"pattern": "C(=O)[OX2H1]", "smiles": [ASPIRIN, "CCO", IBUPROFEN]})
        .data
    )
    assert [x["match"] for x in r["results"]] == [True, False, True]
    r = tk["substructure_search"].run({"pattern": "c1ccccc1", "smiles": ["c1ccc2ccccc2c1"]}).data
    assert r["results"][0]["n_matches"] == 2


def test_invalid_smarts_is_explained(tk):
    with pytest.raises(ToolInputError, match="invalid SMARTS"):
        tk["substructure_search"].run({"pattern": "[C", "smiles": ["CCO"]})


def test_oversized_smarts_is_refused(tk):
    with pytest.raises(ToolLimitError, match="max_smarts_atoms"):
        tk["substructure_search"].run({"pattern": "C" * 60, "smiles": ["CCO"]})


def _carbon_grid(n: int) -> str:
    rw = Chem.RWMol()
    for _ in range(n * n):
        rw.AddAtom(Chem.Atom(6))
    for i in range(n):
        for j in range(n):
            a = i * n + j
            if j + 1 < n:
                rw.AddBond(a, a + 1, Chem.BondType.SINGLE)
            if i + 1 < n:
                rw.AddBond(a, a + n, Chem.BondType.SINGLE)
    mol = rw.GetMol()
    Chem.SanitizeMol(mol)
    return Chem.MolToSmiles(mol)


@pytest.mark.slow
def test_catastrophic_smarts_is_stopped_at_its_timeout(tk):
    # A 24-atom chain query ending in an atom that is absent makes VF2 enumerate every
    # self-avoiding walk of a 7x7 carbon grid: minutes of work without the bound.
    pattern = "[#6]" + "~[#6]" * 22 + "~[#8]"
    with pytest.raises(ToolTimeout, match="did not finish within 3 s"):
        tk["substructure_search"].run({"pattern": pattern, "smiles": [_carbon_grid(7)]})
    # The worker is replaced after the kill, so the next search works.
    assert tk["substructure_search"].run({"pattern": "CO", "smiles": ["CCO"]}).data["n_hits"] == 1


def test_reaction_esterification(tk):
    r = (
        tk["apply_reaction"]
        .run({"reaction": "[C:1](=O)[OH]>>[C:1](=O)OC", "reactants": ["CC(=O)O"]})
        .data
    )
    assert [p["smiles"] for p in r["products"]] == ["COC(C)=O"]


def test_reaction_needs_one_reactant_per_template(tk):
    with pytest.raises(ToolInputError, match="2 reactant template"):
        tk["apply_reaction"].run(
            {"reaction": "[C:1](=O)[OH].[N:2]>>[C:1](=O)[N:2]", "reactants": ["CC(=O)O"]}
        )
    with pytest.raises(ToolInputError, match="reactants>>products"):
        tk["apply_reaction"].run({"reaction": "CCO", "reactants": ["CCO"]})


def test_scaffold_and_generic(tk):
    mol = Chem.MolFromSmiles(IBUPROFEN)
    assert tk["murcko_scaffold"].run({"smiles": IBUPROFEN}).data["scaffold"] == Chem.MolToSmiles(
        MurckoScaffold.GetScaffoldForMol(mol)
    )
    assert tk["murcko_scaffold"].run({"smiles": "CCO"}).data["scaffold"] == ""
    assert (
        tk["murcko_scaffold"].run({"smiles": "c1ccccc1CC1CCNCC1", "generic": True}).data["scaffold"]
        == "C1CCC(CC2CCCCC2)CC1"
    )


def test_stereocentres_labels(tk):
    d = tk["stereocentres"].run({"smiles": "C[C@H](N)C(=O)O"}).data
    assert d["n_stereocentres"] == 1 and d["stereocentres"][0]["label"] == "S"
    d = tk["stereocentres"].run({"smiles": "CC(N)C(=O)O"}).data
    assert d["n_unassigned"] == 1
    assert tk["stereocentres"].run({"smiles": "C/C=C/C"}).data["stereo_double_bonds"]


def test_inchi_and_key(tk):
    d = tk["inchi"].run({"smiles": "CCO"}).data
    assert d["inchi"] == "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3"
    assert d["inchikey"] == "LFQSCWFLJHTTHZ-UHFFFAOYSA-N"


def test_depiction_files_are_real_images(tk):
    png = Path(tk["depict"].run({"smiles": ASPIRIN}).data["path"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = Path(tk["depict"].run({"smiles": ASPIRIN, "format": "svg"}).data["path"])
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()


def test_the_depictions_folder_keeps_only_the_newest_drawings(tmp_path):
    """A server that draws for months must not fill its disk: beyond `max_depictions` the
    least recently drawn files go, and drawing one again makes it the newest."""
    import os

    folder = tmp_path / "depictions"
    tools = {t.name: t for t in ChemToolkit(ChemLimits(max_depictions=3), folder).tools()}
    paths = []
    for i, smi in enumerate(["C", "CC", "CCC", "CCCC"]):
        paths.append(Path(tools["depict"].run({"smiles": smi}).data["path"]))
        os.utime(paths[-1], (1000.0 + i, 1000.0 + i))  # mtimes one second apart, in order
    assert sorted(folder.iterdir()) == sorted(paths[1:])  # methane, the oldest, went
    again = Path(tools["depict"].run({"smiles": "CC"}).data["path"])  # redrawn: now the newest
    assert again == paths[1]
    fifth = Path(tools["depict"].run({"smiles": "CCCCC"}).data["path"])
    assert sorted(folder.iterdir()) == sorted([paths[1], paths[3], fifth])  # propane went


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("CCO", True),
        ("c1ccccc1", True),
        ("CC(=O)O", True),
        ("[Na+].[Cl-]", True),
        ("C1CC", True),
        ("aspirin", False),
        ("C9H8O4", False),
        ("2-acetyloxybenzoic", False),
        ("logP", False),
        ("CNS", False),
        ("CO", False),
        ("the", False),
        ("180.042", False),
        ("sp3", False),
        ("c1ccncc1", True),
    ],
)
def test_smiles_spotting(token, expected):
    assert looks_like_smiles(token) is expected
