"""The chemistry-aware literature index: chemicals found in passages, queries that name a
molecule finding it under another name, structure search, the ChemLit-QA measure, and the demo
index built in the background (killed and resumed)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from evals.chemlit import doc_id, gold_rank, load, mrr, part_of, recall_at
from tests.conftest import ROOT, run_cli, shared_data
from tools.literature.documents import JsonlFields
from tools.literature.entities import EntityFinder
from tools.literature.index import LiteratureIndex
from tools.literature.settings import LiteratureSettings
from tools.literature.tools import IndexHandle, literature_tools
from tools.names.opsin import Opsin
from tools.names.table import builtin_table

ASPIRIN_KEY = "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
PAPERS = [
    ("p-aspirin-name", "Antiplatelet therapy", "Acetylsalicylic acid inhibits cyclooxygenase "
     "irreversibly, so its effect on platelets lasts for the life of the platelet."),
    ("p-aspirin-smiles", "A cohort study", "Patients took CC(=O)Oc1ccccc1C(=O)O daily; bleeding "
     "events were recorded over two years."),
    ("p-cresol", "Antioxidants", "The radical scavenging of 4-methylphenol was measured by "
     "EPR; the O-H bond dissociation energy explains the ranking."),
    ("p-solvents", "Process notes", "Reactions were run in toluene at reflux and the product "
     "crystallised from ethanol."),
    ("p-none", "Field report", "Soil samples were dried, sieved and stored in the dark before "
     "the extraction of humic substances."),
]  # fmt: skip


@pytest.fixture(scope="module")
def finder() -> EntityFinder:
    from tools.literature.entities import opsin_parser

    return EntityFinder(builtin_table(), systematic=opsin_parser(Opsin()))


@pytest.fixture(scope="module")
def papers_index(tmp_path_factory, finder):
    folder = tmp_path_factory.mktemp("papers")
    corpus = folder / "papers.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, t, x in PAPERS)
    )
    index = LiteratureIndex(folder / "index", LiteratureSettings(), finder=finder)
    index.add([corpus], JsonlFields(id="id", title="title", text="text"))
    yield index
    index.close()


# -- entities ------------------------------------------------------------------------------------

CASES = [
    # (text, expected [(as written, kind)]) -- the tricky ones
    ("Aspirin (acetylsalicylic acid) is 50-78-2.", [("Aspirin", "name"), ("acetylsalicylic acid", "name"), ("50-78-2", "cas")]),
    ("The CAS number 50-78-3 has a bad check digit.", []),
    ("CO binds haemoglobin more tightly than O2 does.", [("CO", "formula")]),
    ("Our co-workers in CO (Colorado) and the CNS group helped.", [("CO", "formula")]),
    ("SCOPE, TABLE and CONCLUSIONS are headings, not SMILES.", []),
    ("Phenol (c1ccc(O)cc1) was the reference.", [("Phenol", "name"), ("c1ccc(O)cc1", "smiles")]),
    ("Ethanol, InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3, was used.", [("Ethanol", "name"), ("InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3", "inchi")]),
    ("The key BSYNRYMUTXBXSQ-UHFFFAOYSA-N was looked up.", [("BSYNRYMUTXBXSQ-UHFFFAOYSA-N", "inchikey")]),
    ("We made 2-chloro-4-nitrophenol in two steps.", [("2-chloro-4-nitrophenol", "systematic")]),
    ("A sp3 carbon and cos(x) are prose.", []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_entities_in_tricky_passages(finder, text, expected):
    found = [(e.text, e.kind) for e in finder.find(text)]
    assert found == expected


def test_one_structure_under_every_notation_has_one_key(finder):
    text = PAPERS[0][2] + " " + PAPERS[1][2] + " 50-78-2 aspirin"
    keys = {e.inchikey for e in finder.find(text)}
    assert keys == {ASPIRIN_KEY}


# -- search ---------------------------------------------------------------------------------------


def test_a_query_naming_aspirin_by_smiles_finds_the_passage_that_names_it(papers_index):
    hits = papers_index.search("CC(=O)Oc1ccccc1C(=O)O and platelets", k=2)
    assert "p-aspirin-name" in [h.doc_id for h in hits]


def test_a_query_by_name_finds_the_passage_that_writes_smiles(papers_index):
    hits = papers_index.search("bleeding events with aspirin", k=1)
    assert hits[0].doc_id == "p-aspirin-smiles"


def test_structure_tool_finds_both_notations_and_says_how_written(papers_index):
    handle = IndexHandle(papers_index.dir, LiteratureSettings())
    handle._index = papers_index
    tool = {t.name: t for t in literature_tools(handle)}["search_literature_by_structure"]
    res = tool.run({"structure": "CC(=O)Oc1ccccc1C(=O)O"})
    by_doc = {p["doc_id"]: p for p in res.data["passages"]}
    assert set(by_doc) == {"p-aspirin-name", "p-aspirin-smiles"}
    assert by_doc["p-aspirin-name"]["matched"][0]["as_written"] == "Acetylsalicylic acid"
    assert by_doc["p-aspirin-name"]["quote"] in PAPERS[0][2]

    phenols = tool.run({"structure": "c[OH]", "match": "substructure"})
    assert [p["doc_id"] for p in phenols.data["passages"]] == ["p-cresol"]
    assert phenols.data["passages"][0]["matched"][0]["as_written"] == "4-methylphenol"

    similar = tool.run({"structure": "Cc1ccccc1C", "match": "similar", "threshold": 0.3})
    assert "p-solvents" in [p["doc_id"] for p in similar.data["passages"]]  # toluene

    with pytest.raises(Exception, match="SMARTS"):
        tool.run({"structure": "c1cc(", "match": "substructure"})
    assert papers_index.stats().passages_with_structures == 4


def test_an_index_built_before_structures_is_scanned_on_the_next_add(tmp_path, finder):
    corpus = tmp_path / "p.jsonl"
    corpus.write_text(json.dumps({"id": "a", "title": "t", "text": PAPERS[2][2]}) + "\n")
    old = LiteratureSettings(structures=False)
    with LiteratureIndex(tmp_path / "idx", old, finder=finder) as index:
        index.add([corpus])
        assert index.stats().passages_with_structures == 0
    with LiteratureIndex(tmp_path / "idx", LiteratureSettings(), finder=finder) as index:
        index.add([corpus])  # nothing to embed; the old passage is scanned
        assert index.stats().passages_with_structures == 1


# -- the agent ------------------------------------------------------------------------------------


def test_the_agent_routes_mention_and_substructure_questions(papers_index, chemagent_home):
    from agent import Assistant

    with Assistant({"literature": {"index_dir": papers_index.dir}}) as a:
        ans = a.ask("Which papers mention aspirin?")
        assert [s.tool for s in ans.steps] == ["resolve_name", "search_literature_by_structure"]
        assert "Acetylsalicylic acid" in ans.text and "CC(=O)Oc1ccccc1C(=O)O daily" in ans.text
        assert not ans.warnings
        passages = [c for c in ans.citations if c.kind == "passage"]
        assert {c.passage.doc_id for c in passages} == {"p-aspirin-name", "p-aspirin-smiles"}

        ans = a.ask("Find papers about compounds containing a phenol group")
        assert [s.tool for s in ans.steps] == ["search_literature_by_structure"]
        assert ans.steps[0].args["match"] == "substructure"
        assert "4-methylphenol" in ans.text

        ans = a.ask("papers on acetylsalicylic acid")  # a topic: the hybrid search
        assert [s.tool for s in ans.steps] == ["search_literature"]
        first_doc = next(c.passage.doc_id for c in ans.citations if c.passage)
        assert first_doc == "p-aspirin-name"


# -- ChemLit-QA -----------------------------------------------------------------------------------


def test_retrieval_metrics_by_hand():
    # gold "g" retrieved 1st, 3rd (after two passages of "a" count once), and never.
    assert gold_rank("g", ["g", "a"]) == 1
    assert gold_rank("g", ["a", "a", "b", "g"]) == 3
    assert gold_rank("g", ["a", "b"]) is None
    ranks = [1, 3, None, 6]
    assert recall_at(ranks, 1) == 0.25 and recall_at(ranks, 5) == 0.5
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 6) / 4)


def test_chemlit_corpus_and_halves():
    docs, questions = load(shared_data() / "literature" / "chemlit_qa")
    assert (len(docs), len(questions)) == (606, 139)  # as the dataset's MANIFEST counts them
    assert all(q.gold in docs and q.gold == q.passages[0] for q in questions)
    assert all(doc_id(docs[q.gold]) == q.gold for q in questions)
    halves = {q.part for q in questions}
    assert halves == {"tune", "report"} and part_of(questions[0].question) == questions[0].part


@pytest.mark.slow
def test_chemlit_task_runs_end_to_end_on_a_slice(chemagent_home, tmp_path):
    r = run_cli(
        "eval", "chemlit-qa", "--system", "tool:search_literature", "--limit", "4",
        "--out", str(tmp_path), "--json", env_home=chemagent_home, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["n"] == 4 and 0 <= row["metrics"]["mrr"] <= 1
    assert row["metrics"]["recall@10"] == 1.0  # 4 rows x 6 passages: the gold is in the top 10


# -- the demo index without the wait ------------------------------------------------------------


def test_demo_data_is_found_beside_the_checkout():
    from agent.cli.index import default_demo_data

    assert default_demo_data() == ROOT.parent / "shared" / "data" / "literature"


@pytest.mark.slow
def test_background_demo_build_killed_and_resumed(chemagent_home, tmp_path, monkeypatch):
    from tools.literature.build import read_status

    data = tmp_path / "demo"
    (data / "bc5cdr").mkdir(parents=True)
    (data / "chemrxivquest" / "full-text").mkdir(parents=True)
    lines = (shared_data() / "literature/bc5cdr/bc5cdr_docs.jsonl").read_text().splitlines()[:100]
    (data / "bc5cdr" / "bc5cdr_docs.jsonl").write_text("\n".join(lines) + "\n")
    index = chemagent_home / "literature"
    monkeypatch.setenv("CHEMAGENT_LITERATURE__COMMIT_CHUNKS", "8")  # commits often
    monkeypatch.setenv("CHEMAGENT_AGENT__TOOL_TIMEOUT_S", "300")  # two processes embed at once
    monkeypatch.setenv("CHEMAGENT_AGENT__TIME_BUDGET_S", "600")

    started = run_cli("index", "demo", "--background", "--data", str(data), env_home=chemagent_home)
    assert started.returncode == 0 and "in the background" in started.stdout
    deadline = time.time() + 120
    while (s := read_status(index)) is None or s.documents < 12:
        assert time.time() < deadline, s
        time.sleep(0.2)
    os.kill(s.pid, signal.SIGKILL)
    time.sleep(0.5)
    # The build may have committed (and written its status) between the read above and the
    # kill, more likely the faster the machine: what it left is read once it is dead.
    s = read_status(index)
    assert s is not None and s.documents >= 12

    # Meanwhile a literature question says the index is partial (the build is gone: it says
    # nothing false about a build in progress either).
    again = run_cli("index", "demo", "--background", "--data", str(data), env_home=chemagent_home)
    assert "in the background" in again.stdout and f"{s.documents}" in again.stdout
    while (restarted := read_status(index)) is None or restarted.pid == s.pid:
        assert time.time() < deadline + 60, restarted
        time.sleep(0.1)
    assert restarted.documents >= s.documents  # resumed, not started over
    r = run_cli("ask", "--json", "papers on clonidine", env_home=chemagent_home, timeout=600)
    text = json.loads(r.stdout)["text"]
    assert "clonidine" in text.lower()
    if (live := read_status(index)) is not None and live.state == "building":
        assert "still being built" in text
    deadline = time.time() + 300
    while (s := read_status(index)) is None or s.state != "done":
        assert time.time() < deadline, s
        time.sleep(0.5)
    with LiteratureIndex(index, LiteratureSettings()) as idx:
        docs, chunks = idx.store.counts()
        per_doc = idx.store.db.execute("SELECT SUM(chunks) FROM documents").fetchone()[0]
    assert docs == 100 == s.documents and chunks == per_doc  # each document once, whole
    ready = run_cli("index", "demo", "--background", "--data", str(data), env_home=chemagent_home)
    assert "ready (100 documents" in ready.stdout
