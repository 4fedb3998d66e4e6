"""The offline name index, built from the real sources (the chemicals package's PubChem tables,
DrugCentral 2021, the drug dictionary): names, brands and CAS numbers against structures written
here, the sources said, collisions between records, spotting in questions, misspellings, and the
file itself (rebuilt when damaged or outdated, written atomically, built once by two processes).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from tests.conftest import ROOT
from tools.names.index import NameIndex
from tools.names.index_build import all_records, build
from tools.names.opsin import Opsin
from tools.names.resolver import NameResolver, ResolveFailure
from tools.names.sources import DRUGCENTRAL_LABEL, SourceRecord, source_versions
from tools.names.table import (
    DRUGS_SOURCE,
    NameTable,
    Resolution,
    builtin_rows,
    cas_checksum_ok,
)

PUBCHEM_TABLE = "PubChem-derived table (chemicals package)"


@pytest.fixture(scope="module")
def index_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real build (about ten seconds) shared by the module."""
    path = tmp_path_factory.mktemp("names") / "names-v1.sqlite"
    build(path, source_versions())
    return path


@pytest.fixture(scope="module")
def names(index_file: Path) -> NameTable:
    return NameTable(builtin_rows(), NameIndex(index_file))


def inchikey(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    assert mol is not None, smiles
    return str(Chem.MolToInchiKey(mol))


def same_compound(found: str, reference: str) -> bool:
    """Same skeleton; and where the reference gives stereo, the same stereo too."""
    a, b = inchikey(found), inchikey(reference)
    stereo = any(ch in reference for ch in "@/\\")
    return a == b if stereo else a[:14] == b[:14]


def resolved(names: NameTable, query: str) -> Resolution:
    res = names.lookup(query)
    assert res is not None, f"{query}: {names.why_not(query)}"
    return res


# -- names against structures written here ---------------------------------------------------

KNOWN = {
    # natural products and lipids
    "menthol": "CC(C)C1CCC(C)CC1O",
    "camphor": "CC1(C)C2CCC1(C)C(=O)C2",
    "limonene": "CC1=CCC(CC1)C(C)=C",
    "cholesterol": (
        "C[C@H](CCCC(C)C)[C@H]1CC[C@@H]2[C@@]1(CC[C@H]3[C@H]2CC=C4[C@@]3(CC[C@@H](C4)O)C)C"
    ),
    "oleic acid": "CCCCCCCC/C=C\\CCCCCCCC(=O)O",
    "capsaicin": "COc1cc(CNC(=O)CCCC/C=C/C(C)C)ccc1O",
    "curcumin": "COc1cc(/C=C/C(=O)CC(=O)/C=C/c2ccc(O)c(OC)c2)ccc1O",
    "resveratrol": "Oc1ccc(/C=C/c2cc(O)cc(O)c2)cc1",
    "quercetin": "O=c1c(O)c(-c2ccc(O)c(O)c2)oc2cc(O)cc(O)c12",
    "vanillin": "COc1cc(C=O)ccc1O",
    "squalene": "CC(C)=CCCC(C)=CCCC(C)=CCCC=C(C)CCC=C(C)CCC=C(C)C",
    # drugs (stereo as the INN means it)
    "losartan": "CCCCc1nc(Cl)c(CO)n1Cc1ccc(-c2ccccc2-c2nn[nH]n2)cc1",
    "metoprolol": "COCCc1ccc(OCC(O)CNC(C)C)cc1",
    "simvastatin": (
        "CCC(C)(C)C(=O)O[C@H]1C[C@@H](C)C=C2C=C[C@H](C)[C@H](CC[C@@H]3C[C@@H](O)CC(=O)O3)[C@@H]12"
    ),
    "levetiracetam": "CC[C@@H](C(N)=O)N1CCCC1=O",  # (S)
    "sitagliptin": "N[C@@H](CC(=O)N1CCn2c(nnc2C(F)(F)F)C1)Cc1cc(F)c(F)cc1F",  # (R)
    "fentanyl": "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1",
    # brand names: the drug's parent compound, not the salt the product contains
    "Lipitor": (
        "CC(C)c1c(C(=O)Nc2ccccc2)c(-c2ccccc2)c(-c2ccc(F)cc2)n1CC[C@@H](O)C[C@@H](O)CC(=O)O"
    ),
    "Zoloft": "CN[C@H]1CC[C@@H](c2ccc(Cl)c(Cl)c2)c2ccccc12",  # sertraline (1S,4S)
    "Glucophage": "CN(C)C(=N)N=C(N)N",
    "Januvia": "N[C@@H](CC(=O)N1CCn2c(nnc2C(F)(F)F)C1)Cc1cc(F)c(F)cc1F",
    # CAS numbers of natural products
    "57-88-5": (
        "C[C@H](CCCC(C)C)[C@H]1CC[C@@H]2[C@@]1(CC[C@H]3[C@H]2CC=C4[C@@]3(CC[C@@H](C4)O)C)C"
    ),
    "121-33-5": "COc1cc(C=O)ccc1O",
    "404-86-4": "COc1cc(CNC(=O)CCCC/C=C/C(C)C)ccc1O",
    "458-37-7": "COc1cc(/C=C/C(=O)CC(=O)/C=C/c2ccc(O)c(OC)c2)ccc1O",
}


@pytest.mark.parametrize("query", list(KNOWN))
def test_names_brands_and_cas_numbers_resolve_to_their_structures(names, query):
    res = resolved(names, query)
    assert same_compound(res.smiles, KNOWN[query]), (query, res)


def test_each_answer_says_its_source(names):
    assert resolved(names, "losartan").source == DRUGCENTRAL_LABEL
    assert resolved(names, "vanillin").source == PUBCHEM_TABLE
    # A drug only the drug dictionary has a structure for.
    pantetheine = resolved(names, "pantetheine")
    assert pantetheine.source == DRUGS_SOURCE
    assert same_compound(pantetheine.smiles, "CC(C)(CO)C(O)C(=O)NCCC(=O)NCCS")
    # The built-in table still wins over the index.
    assert resolved(names, "aspirin").source == "built-in table"


def test_pubchem_table_answers_carry_cas_and_cid(names):
    res = resolved(names, "vanillin")
    assert (res.cas, res.cid, res.formula) == ("121-33-5", 1183, "C8H8O3")
    assert cas_checksum_ok(res.cas)


def test_brand_names_say_which_drug_they_are(names):
    assert resolved(names, "Zoloft").note == "Zoloft = sertraline in the drug dictionary"
    # A brand of a drug in the built-in table takes the table's structure (as before).
    advil = resolved(names, "Advil")
    assert (
        advil.source == "built-in table"
        and advil.note == "Advil = ibuprofen in the drug dictionary"
    )


def test_a_trade_name_pubchem_lists_is_known_offline(names):
    temed = resolved(names, "Temed")  # tetramethylethylenediamine
    assert temed.source == PUBCHEM_TABLE and same_compound(temed.smiles, "CN(C)CCN(C)C")


# -- collisions: one name, several records ----------------------------------------------------


def test_a_synonym_of_a_parent_and_its_salt_means_the_parent(names):
    # "allvoran" is listed under diclofenac and under diclofenac sodium.
    res = resolved(names, "allvoran")
    assert inchikey(res.smiles) == inchikey("OC(=O)Cc1ccccc1Nc1c(Cl)cccc1Cl")
    assert res.note == "allvoran is listed by PubChem as a synonym of diclofenac"
    # "Inderal": the drug dictionary has no structure for it; PubChem lists it under
    # propranolol and propranolol hydrochloride.
    assert inchikey(resolved(names, "Inderal").smiles) == inchikey("CC(C)NCC(O)COc1cccc2ccccc12")


def test_a_name_that_gives_stereo_means_the_stereoisomer(names):
    # Listed under tartaric acid (no stereo) and L-tartaric acid, which is (R,R).
    res = resolved(names, "(R,R)-tartaric acid")
    assert inchikey(res.smiles) == inchikey("O[C@H]([C@@H](O)C(=O)O)C(=O)O")


def test_a_synonym_of_different_compounds_is_not_guessed(names):
    # A combination product listed under both of its components.
    assert names.lookup("azo gantrisin") is None
    why = names.why_not("azo gantrisin") or ""
    assert "several compounds" in why and "sulfisoxazole" in why and "phenazopyridine" in why
    # Listed under 1-iodopropane and 2-iodopropane.
    assert names.lookup("1-jodpropan") is None


def test_formulas_polymers_and_classes_are_not_taken_for_one_compound(names):
    # PubChem lists each under a single compound: c6h12o6 under myo-inositol, polyethylene
    # under ethene, polystyrene under styrene, "lactone" under trioxsalen.
    for name in ("C6H12O6", "polyethylene", "polystyrene", "lactone", "sulfonamide"):
        assert names.lookup(name) is None, name


def test_a_brand_the_drug_dictionary_maps_beats_a_shared_synonym(names):
    # PubChem lists "amcill" under ampicillin and amoxicillin; the drug dictionary says
    # ampicillin.
    res = resolved(names, "amcill")
    assert inchikey(res.smiles) == inchikey(
        "CC1(C)S[C@@H]2[C@H](NC(=O)[C@H](N)c3ccccc3)C(=O)N2[C@H]1C(=O)O"
    )
    assert res.note == "amcill = ampicillin in the drug dictionary"


def test_a_synonym_is_never_used_silently(names):
    limonene = resolved(names, "limonene")  # PubChem's record is named dipentene
    assert limonene.name == "dipentene"
    assert limonene.note == "limonene is listed by PubChem as a synonym of dipentene"


def test_a_drug_product_that_is_a_mixture_says_why_not(names):
    assert names.lookup("pyrethrins") is None
    why = names.why_not("pyrethrins") or ""
    assert why.startswith("the drug dictionary knows 'pyrethrins'") and "mixture" in why
    out = NameResolver(table=names, pubchem=None).resolve_many(["pyrethrins"])[0]
    assert isinstance(out, ResolveFailure) and "mixture" in out.error


# -- spotting names in questions --------------------------------------------------------------

QUESTIONS = {
    "count the carbon atoms in CCO": [],
    "give the answer as a list of tuples": [],
    "what is the molecular weight of aspirin in a table": ["aspirin"],
    "How many oxygen atoms does ethanol have?": ["ethanol"],
    "Is the lead compound more soluble than the base?": [],
    "Please answer in gold standard format": [],
    "What is the best solvent to dissolve salt?": [],
    "Show the iron and nitrogen content": [],
    "Today I want to control the release of the drug": [],
    "Good morning, can you help me check my homework?": [],
    "Rank these by polarity: spirit, oil, acid": [],
    "What is the amino acid sequence?": [],
    "What percentage of the mass is carbon?": [],
    "Use the standard method with a control sample": [],
    "Caffeine is C9H12N4O3.": ["Caffeine"],
    "Is the lactone ring or the sulfonamide group more polar?": [],
    "Oxidative addition of the aryl bromide was slow.": [],
    "Does atorvastatin pass Lipinski's rule of five?": ["atorvastatin"],
    "Give me the TPSA of menthol, limonene and vanillin": ["menthol", "limonene", "vanillin"],
    "What are the side effects of Zoloft and Lipitor?": ["Zoloft", "Lipitor"],
    "Is oleic acid a fatty acid?": ["oleic acid"],
    "How much sodium chloride is in seawater?": ["sodium chloride"],
    "Explain the mechanism of action of fentanyl": ["fentanyl"],
}


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_questions_spot_only_the_molecules_they_name(names, question):
    assert [n for _, _, n in names.find_names(question)] == QUESTIONS[question]


def test_an_explicit_name_may_be_an_ordinary_word_a_guessed_one_may_not(names):
    salt = resolved(names, "salt")
    assert inchikey(salt.smiles) == inchikey("[Na+].[Cl-]")
    assert names.lookup("salt", spotted_only=True) is None
    assert inchikey(resolved(names, "oxygen").smiles) == inchikey("O=O")
    assert names.lookup("oxygen", spotted_only=True) is None  # an element name
    offline = NameResolver(table=names, pubchem=None).resolve_offline(["salt", "limonene", "lead"])
    assert offline[0] is None and offline[2] is None
    assert offline[1] is not None and same_compound(offline[1].smiles, KNOWN["limonene"])


# -- misspellings ------------------------------------------------------------------------------


def test_misspellings_are_corrected_only_when_one_compound_is_close(names):
    r = NameResolver(table=names, opsin=Opsin(), pubchem=None)
    queries = ["paracetmol", "prednisolne", "propylcycloheptane", "57-88-4", "Flobberwort"]
    out = dict(zip(queries, r.resolve_many(queries), strict=True))
    # One compound within one edit: used, and said.
    used = out["paracetmol"]
    assert isinstance(used, Resolution) and same_compound(used.smiles, "CC(=O)Nc1ccc(O)cc1")
    assert used.note == "assumed 'paracetmol' means paracetamol"
    # Two compounds one edit away: offered, not used.
    offered = out["prednisolne"]
    assert isinstance(offered, ResolveFailure)
    assert "did you mean prednisolone, prednisone" in offered.error
    # A systematic name two edits from "propylcyclohexane" is read by OPSIN, never corrected.
    systematic = out["propylcycloheptane"]
    assert isinstance(systematic, Resolution) and systematic.source == "OPSIN"
    assert same_compound(systematic.smiles, "CCCC1CCCCCC1") and systematic.note is None
    # A CAS number with a wrong check digit is rejected, never corrected.
    assert isinstance(out["57-88-4"], ResolveFailure) and "check digit" in out["57-88-4"].error
    nothing = out["Flobberwort"]
    assert isinstance(nothing, ResolveFailure) and "did you mean" not in nothing.error


def test_without_opsin_a_close_name_is_offered_not_assumed(names):
    # Without OPSIN a systematic name cannot be told from a misspelling of another compound.
    out = NameResolver(table=names, opsin=None, pubchem=None).resolve_many(["paracetmol"])[0]
    assert isinstance(out, ResolveFailure) and out.error.endswith("did you mean paracetamol?")


def test_short_names_and_cas_numbers_are_never_corrected(names):
    index = names.index
    assert index is not None
    assert index.close_matches("ureq") == []  # four letters ("urea" is one edit away)
    unknown = next(
        cas
        for n in range(1000)
        if cas_checksum_ok(cas := f"9999-{n // 10:02d}-{n % 10}") and names.lookup(cas) is None
    )
    assert index.close_matches(unknown) == []


def test_two_edits_are_allowed_in_long_names_only(names):
    index = names.index
    assert index is not None
    assert (2, "paracetamol") in index.close_matches("parcetaml")  # 9 letters: two edits
    assert all(name != "aspirin" for _, name in index.close_matches("aspin"))  # 5: one edit


# -- the process start and the file ------------------------------------------------------------


@pytest.mark.slow
def test_asking_about_a_brand_never_unpickles_the_drug_dictionary(index_file, tmp_path):
    script = """
import json, sys
import tools.names.sources as sources
calls = []
real = sources.load_raw
sources.load_raw = lambda: calls.append(1) or real()
from agent import Assistant
a = Assistant()
text = a.ask("What is the molecular weight of Zoloft?").text
a.close()
import tools.names.drugs as drugs
print(json.dumps({"unpickled": len(calls), "loaded": drugs.drug_dictionary.cache_info().currsize,
                  "text": text}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHEMAGENT_")}
    env.update(
        CHEMAGENT_HOME=str(tmp_path / "home"),
        CHEMAGENT_NAMES__INDEX_FILE=str(index_file),
        CHEMAGENT_PUBCHEM__OFFLINE="1",
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["unpickled"] == 0 and got["loaded"] == 0
    mw = Descriptors.MolWt(Chem.MolFromSmiles(KNOWN["Zoloft"]))
    assert f"{mw:.2f} g/mol" in got["text"]


def test_a_failed_build_leaves_no_index_file(tmp_path):
    path = tmp_path / "names-v1.sqlite"

    def records() -> Iterator[SourceRecord]:
        yield from itertools.islice(all_records(), 500)
        raise RuntimeError("stopped mid-build")

    with pytest.raises(RuntimeError, match="mid-build"):
        build(path, source_versions(), records())
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_or_outdated_index_is_rebuilt_with_a_log_line(tmp_path, caplog, monkeypatch):
    """The rebuild is what is tested, so it is built from DrugCentral alone (4,000 drugs in a
    fraction of a second) rather than every source twice (about 50 s on a CI runner)."""
    from tools.names import index_build
    from tools.names.sources import drugcentral_file, drugcentral_records

    monkeypatch.setattr(index_build, "all_records", lambda: drugcentral_records(drugcentral_file()))
    path = tmp_path / "names-v1.sqlite"
    path.write_bytes(b"this is not an SQLite file " * 100)
    with caplog.at_level(logging.WARNING, logger="tools.names.index"):
        hit = NameIndex(path).lookup("losartan")
    assert hit is not None and same_compound(hit.smiles, KNOWN["losartan"])
    assert "unreadable" in caplog.text and "building the offline name index" in caplog.text
    caplog.clear()
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with caplog.at_level(logging.WARNING, logger="tools.names.index"):
        again = NameIndex(path).lookup("losartan")
    assert again is not None and "schema version 0" in caplog.text
    with sqlite3.connect(path) as con:  # the rebuilt index is the current schema
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version[0] == str(index_build.SCHEMA_VERSION)


@pytest.mark.slow
def test_a_killed_build_leaves_no_index_and_two_processes_then_build_it_once(tmp_path):
    path = tmp_path / "names-v1.sqlite"
    script = (
        "import logging, sys; from pathlib import Path; "
        "from tools.names.index import NameIndex; "
        "logging.basicConfig(level=logging.INFO); "
        "print(NameIndex(Path(sys.argv[1])).lookup('vanillin').smiles)"
    )
    cmd = [sys.executable, "-c", script, str(path)]
    killed = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("*.building")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    killed.kill()
    killed.communicate()
    assert list(tmp_path.glob("*.building")) and not path.exists()
    both = [
        subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=280) for p in both]
    assert [p.returncode for p in both] == [0, 0], [err for _, err in outs]
    for out, _ in outs:
        assert same_compound(out.strip(), KNOWN["vanillin"])
    logs = "".join(err for _, err in outs)
    assert logs.count("offline name index built in") == 1
    assert "left by a build that did not finish" in logs
    assert not list(tmp_path.glob("*.building"))
