"""The literature index against the real parts: all-MiniLM-L6-v2, FAISS, SQLite FTS5, pypdf."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, run_cli, shared_data
from tests.pdfs import write_pdf
from tools.literature.dense import DenseIndex
from tools.literature.documents import JsonlFields
from tools.literature.embeddings import Embedder, EmbeddingModelError
from tools.literature.index import EmptyIndex, LiteratureIndex
from tools.literature.settings import LiteratureSettings
from tools.literature.store import IndexMismatch

BC5CDR = JsonlFields(id="pmid", title="title", text="abstract")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def abstracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 40 real PubMed abstracts of the BC5CDR corpus."""
    src = shared_data() / "literature" / "bc5cdr" / "bc5cdr_docs.jsonl"
    lines = src.read_text(encoding="utf-8").splitlines()[:40]
    out = tmp_path_factory.mktemp("corpus") / "abstracts.jsonl"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _records(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _consistent(folder: Path) -> tuple[int, int]:
    """Documents and chunks, after checking text, vectors and FTS agree row for row."""
    db = sqlite3.connect(folder / "index.sqlite")
    docs = db.execute("SELECT count(*), coalesce(sum(chunks), 0) FROM documents").fetchone()
    chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    orphans = db.execute(
        "SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM documents)"
    ).fetchone()[0]
    fts = db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    bad_vectors = db.execute(
        "SELECT count(*) FROM chunks WHERE length(vector) != 384 * 4"
    ).fetchone()
    db.close()
    assert docs[1] == chunks and orphans == 0 and fts == chunks and bad_vectors[0] == 0
    return int(docs[0]), int(chunks)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, abstracts: Path):
    folder = tmp_path_factory.mktemp("index")
    index = LiteratureIndex(folder, embedder=embedder)
    report = index.add([abstracts], BC5CDR)
    yield index, report
    index.close()


def test_abstracts_are_indexed_and_found_in_every_mode(built, abstracts: Path) -> None:
    index, report = built
    records = _records(abstracts)
    assert report.documents_added == len(records) and not report.skipped
    assert _consistent(index.dir)[0] == len(records)
    target = records[7]
    for mode in ("dense", "lexical", "hybrid"):
        hits = index.search(target["title"], k=3, mode=mode)
        assert hits[0].doc_id == target["pmid"], mode
        whole = f"{target['title']}\n\n{target['abstract']}"
        assert whole[hits[0].start : hits[0].end] == hits[0].text


def test_dense_search_finds_a_paraphrase_lexical_search_cannot(built) -> None:
    index, _ = built
    # PMID 227508: "Naloxone reverses the antihypertensive effect of clonidine." No word below
    # appears in that abstract, so only the embedding can match it.
    query = "opioid antagonist blocks drug-lowered arterial pressure"
    dense = index.search(query, k=3, mode="dense")
    assert "227508" in [h.doc_id for h in dense]
    assert "227508" not in [h.doc_id for h in index.search(query, k=3, mode="lexical")]


def test_a_passage_writing_the_questions_words_together_ranks_first(
    embedder: Embedder, tmp_path: Path
) -> None:
    # Both passages hold "oxidative" and "addition" once, in texts of the same length; only
    # one writes them as the phrase the question uses.
    texts = {
        "apart": "Addition of base was slow, and the oxidative workup removed the palladium.",
        "together": "Oxidative addition of the aryl bromide was slow, as the base removed it.",
    }
    corpus = tmp_path / "p.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": k, "title": k, "text": v}) + "\n" for k, v in texts.items())
    )
    with LiteratureIndex(tmp_path / "index", embedder=embedder) as index:
        index.add([corpus], JsonlFields(id="id", title="title", text="text"))
        hits = index.search("Why is oxidative addition slow?", k=2, mode="lexical")
    assert [h.doc_id for h in hits] == ["together", "apart"]


def test_rerun_is_unchanged_and_a_copy_is_a_duplicate(
    built, abstracts: Path, tmp_path: Path
) -> None:
    index, _ = built
    again = index.add([abstracts], BC5CDR)
    assert again.documents_added == 0 and again.unchanged == len(_records(abstracts))
    rec = _records(abstracts)[3]
    copy = tmp_path / "copy.jsonl"
    copy.write_text(json.dumps({**rec, "pmid": "copy-of-3"}) + "\n")
    dup = index.add([copy], BC5CDR)
    assert [(d.doc_id, d.same_as) for d in dup.duplicates] == [("copy-of-3", rec["pmid"])]
    assert dup.documents_added == 0


def test_changed_document_replaces_its_old_chunks(embedder: Embedder, tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    note = papers / "note.txt"
    note.write_text("Zeolite catalysis notes.\n\nThe xylophonic reagent was unstable.")
    with LiteratureIndex(tmp_path / "idx", embedder=embedder) as index:
        index.add([papers])
        assert index.search("xylophonic", 1, "lexical")[0].doc_id == "note.txt"
        note.write_text("Zeolite catalysis notes.\n\nThe quizzical reagent was stable.")
        report = index.add([papers])
        assert report.replaced == ["note.txt"]
        assert index.search("xylophonic", 1, "lexical") == []
        assert index.search("quizzical", 1, "dense")[0].doc_id == "note.txt"
        assert _consistent(index.dir) == (1, 1)


def test_folder_ingest_reports_bad_files_and_keeps_the_good(
    embedder: Embedder, tmp_path: Path
) -> None:
    papers = tmp_path / "papers"
    (papers / "sub").mkdir(parents=True)
    write_pdf(
        papers / "sub" / "paper.pdf",
        [
            "Solvent screening for Suzuki couplings.",
            "Methods. The boronic acid was dissolved in dioxane.",
            "Results. Dioxane with water gave a 91 percent yield of the biaryl.",
        ],
    )
    (papers / "broken.pdf").write_bytes(b"%PDF-1.4\ntruncated")
    (papers / "latin.txt").write_bytes("Caf\xe9".encode("latin-1"))
    (papers / "notes.md").write_text("# Grignard notes\n\nDry ether is essential.")
    (papers / "figure.png").write_bytes(b"\x89PNG")
    with LiteratureIndex(tmp_path / "idx", embedder=embedder) as index:
        report = index.add([papers])
        reasons = {Path(s.source).name: s.reason for s in report.skipped}
        assert report.documents_added == 2
        assert set(reasons) == {"broken.pdf", "latin.txt", "figure.png"}
        assert "not UTF-8" in reasons["latin.txt"] and "PDF" in reasons["broken.pdf"]
        hit = index.search("which solvent gave the biaryl yield", 1, "hybrid")[0]
        assert (hit.doc_id, hit.page) == ("sub/paper.pdf", 3)
        assert index.search("Grignard ether", 1)[0].title == "Grignard notes"


def test_interrupted_ingest_is_consistent_and_a_rerun_finishes(tmp_path: Path) -> None:
    """kill -9 after the first commit: committed documents stay, the rest come on the rerun."""
    papers = tmp_path / "papers"
    papers.mkdir()
    for i in range(30):
        topic = ["hydrogenation", "nitration", "epoxidation", "ozonolysis", "esterification"][i % 5]
        (papers / f"p{i:02d}.txt").write_text(
            f"Paper {i} on {topic} with catalyst Q{i:02d}X.\n\n"
            + " ".join(
                f"Observation {j} of run {i}: the {topic} went to {j + i}% conversion."
                for j in range(12)
            )
        )
    folder = tmp_path / "idx"
    env = {
        **os.environ,
        "CHEMAGENT_HOME": str(tmp_path / "home"),
        "CHEMAGENT_LITERATURE__COMMIT_CHUNKS": "4",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "index", "add", str(papers), "--index", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db_file = folder / "index.sqlite"
    deadline = time.monotonic() + 120
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db_file.exists():
            try:
                with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as db:
                    committed = db.execute("SELECT count(*) FROM documents").fetchone()[0]
            except sqlite3.OperationalError:
                committed = 0
            if committed:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    docs, _ = _consistent(folder)
    assert 0 < docs < 30
    done = run_cli(
        "index", "add", str(papers), "--index", str(folder), "--json", env_home=tmp_path / "home"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["unchanged"] == docs and report["documents_added"] == 30 - docs
    docs, chunks = _consistent(folder)
    assert docs == 30
    with LiteratureIndex(folder) as index:  # the stale FAISS file is rebuilt, not trusted
        assert index.dense().size == chunks
        assert index.search("catalyst Q17X", 1, "hybrid")[0].doc_id == "p17.txt"


def test_index_built_with_another_model_is_refused(
    built, embedder: Embedder, tmp_path: Path
) -> None:
    index, _ = built
    other = Embedder(str(Path(embedder.model.model_card_data.base_model or "x")))
    other._model = embedder.model  # same weights under another name: still another model id
    with LiteratureIndex(index.dir, embedder=other) as wrong:
        note = tmp_path / "n.txt"
        note.write_text("Some new text about ligands.")
        with pytest.raises(IndexMismatch, match="all-MiniLM-L6-v2"):
            wrong.add([note])


def test_missing_embedding_model_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="local sentence-transformers folder"):
        _ = Embedder(str(tmp_path / "no-such-model")).dimension


def test_empty_index_search_says_how_to_fill_it(embedder: Embedder, tmp_path: Path) -> None:
    with (
        LiteratureIndex(tmp_path / "idx", embedder=embedder) as index,
        pytest.raises(EmptyIndex, match="chemagent index add"),
    ):
        index.search("anything")


def test_above_the_threshold_the_index_is_ivf_and_still_finds(
    built, embedder: Embedder, abstracts: Path, tmp_path: Path
) -> None:
    settings = LiteratureSettings(approximate_above=10, nprobe=64)
    with LiteratureIndex(tmp_path / "idx", settings, embedder) as index:
        index.add([abstracts], BC5CDR)
        assert index.dense().kind == "ivf" and index.stats().dense_index.startswith("IVF")
        target = _records(abstracts)[11]
        assert index.search(target["title"], 3, "dense")[0].doc_id == target["pmid"]


def test_ivf_recall_against_exact_and_stale_files_are_not_loaded(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 32)).astype(np.float32)
    data = centres[rng.integers(0, 50, 5000)] + 0.3 * rng.normal(size=(5000, 32)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    ids = np.arange(5000, dtype=np.int64) + 100

    def batches():
        yield ids, data

    exact = DenseIndex.build(batches, 32, 5000, approximate_above=10_000)
    approx = DenseIndex.build(batches, 32, 5000, approximate_above=1000, nprobe=16)
    assert (exact.kind, approx.kind) == ("flat", "ivf")
    queries = data[:200] + 0.05 * rng.normal(size=(200, 32)).astype(np.float32)
    _, truth = exact.search(queries, 10)
    _, found = approx.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
    assert recall > 0.9
    assert set(truth[0]) <= set(ids)
    path = tmp_path / "dense.faiss"
    approx.save(path, generation=7)
    assert DenseIndex.load(path, generation=7) is not None
    assert DenseIndex.load(path, generation=8) is None


def test_cli_add_search_queries_and_stats(abstracts: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = tmp_path / "idx"
    add = run_cli(
        "index",
        "add",
        str(abstracts),
        "--index",
        str(folder),
        "--id-field",
        "pmid",
        "--text-field",
        "abstract",
        env_home=home,
    )
    assert add.returncode == 0, add.stderr
    assert "added 40 documents" in add.stdout
    records = _records(abstracts)
    qfile = tmp_path / "q.txt"
    qfile.write_text(f"{records[5]['title']}\n\n{records[9]['title']}\n")
    res = run_cli(
        "index",
        "search",
        "--queries",
        str(qfile),
        "--k",
        "2",
        "--index",
        str(folder),
        env_home=home,
    )
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [hits[0]["doc_id"] for hits in lines] == [records[5]["pmid"], records[9]["pmid"]]
    assert set(lines[0][0]) == {"doc_id", "title", "page", "start", "end", "text", "score"}
    one = run_cli(
        "index",
        "search",
        records[5]["title"],
        "--mode",
        "lexical",
        "--json",
        "--index",
        str(folder),
        env_home=home,
    )
    assert json.loads(one.stdout)[0]["doc_id"] == records[5]["pmid"]
    stats = run_cli("index", "stats", "--json", "--index", str(folder), env_home=home)
    assert json.loads(stats.stdout)["documents"] == 40
    bad = run_cli("index", "search", "x", "--mode", "fuzzy", "--index", str(folder), env_home=home)
    assert bad.returncode == 2 and "dense, lexical, hybrid" in bad.stderr
    missing = run_cli("index", "stats", "--index", str(tmp_path / "nowhere"), env_home=home)
    assert missing.returncode == 2 and "chemagent index add" in missing.stderr


def test_make_run_builds_the_demo_index_from_the_shared_data() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "chemagent index demo" in run_recipe
