"""The evaluation harness end to end: tasks load the shared sets in the authors' format, tool
and model systems run, predictions resume, and scores match hand-counted answers."""

from __future__ import annotations

import json

import pytest
from rdkit import Chem
from rdkit.Chem import Draw

from evals.runner import predictions_path, run_task
from evals.systems import SystemError_, get_system
from evals.tasks import all_tasks, get_task
from tests.conftest import run_cli, shared_data
from tests.llm_servers import ScriptedHTTP, chat_reply

CHEMDFM = "eval/chemdfm/ChemLLMBench_eval_data"
FOLDERS = {
    "ocsr": "ocsr/UOB",
    "moleculenet": "moleculenet/chemprop_2019",
    "scieval": "eval/scieval",
    "pubmedqa": "eval/pubmedqa",
    "llmbench": "eval/chemllmbench/data",
    "literature": "literature/chemrxivquest",
    "chemlit": "literature/chemlit_qa",
}


def data_for(name: str):
    return shared_data() / FOLDERS.get(name.split("-")[0], CHEMDFM)


@pytest.fixture
def settings():
    from agent.settings import get_settings

    return get_settings()


@pytest.mark.parametrize("name", sorted(all_tasks()))
def test_every_task_loads_its_examples(name):
    task = get_task(name)
    examples = task.examples(data_for(name))
    assert examples and len({e.id for e in examples}) == len(examples)
    assert examples[0].messages[-1]["role"] == "user"
    assert examples[0].reference not in (None, "", [])


def test_few_shot_tasks_are_dialogues_as_the_authors_built_them():
    ex = get_task("yield-bh").examples(shared_data() / CHEMDFM)[0]
    raw = json.loads((shared_data() / CHEMDFM / "ReactionPredictionandRetrosynthesis/BH.jsonl")
                     .read_text().splitlines()[0])  # fmt: skip
    shots = raw["few_shots_examples"]
    assert len(ex.messages) == 2 + 2 * len(shots) + 1
    assert ex.messages[1] == {"role": "assistant", "content": "OK."}
    assert ex.messages[3]["content"] == shots[0]["assistant"].strip()
    assert ex.messages[-1]["content"] == raw["input_format"].format(raw["input"].strip())


def test_ocsr_with_osra_on_a_users_own_folder(tmp_path, settings):
    folder = tmp_path / "mine"
    (folder / "img").mkdir(parents=True)
    rows = ["image_path,SMILES"]
    for i, smi in enumerate(["c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]):
        Draw.MolToFile(Chem.MolFromSmiles(smi), str(folder / f"img/{i}.png"), size=(400, 400))
        rows.append(f"img/{i}.png,{smi}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    task = get_task("ocsr-uob")
    result = run_task(
        task, get_system("tool:osra", task, settings), task.examples(folder), tmp_path
    )
    assert result.n == 2 and result.metrics["inchi_accuracy"] == 1.0


def test_a_killed_run_resumes_without_redoing_examples(tmp_path, settings):
    task = get_task("smiles-to-formula")
    examples = task.examples(shared_data() / CHEMDFM)
    system = get_system("tool:rdkit", task, settings)
    first = run_task(task, system, examples[:3], tmp_path)
    path = predictions_path(tmp_path, task.name, system.name)
    with path.open("a") as fh:
        fh.write('{"id": "smiles-to-formula-3", "ok": tr')  # torn by a kill
    second = run_task(task, system, examples[:5], tmp_path)
    lines = path.read_text().splitlines()
    assert first.n == 3 and second.n == 5 and len(lines) == 5  # 3 kept + 2 new, torn line cut
    assert second.metrics["accuracy"] == 1.0


def test_scores_of_a_model_that_always_says_yes(tmp_path, settings):
    """A real HTTP chat server answering "Yes": accuracy is the share of Yes labels, 92 of 152
    for BACE (MANIFEST), and ROC-AUC is 0.5 (no ranking)."""
    server = ScriptedHTTP([(200, chat_reply("Yes"))])
    try:
        task = get_task("property-bace")
        system = get_system(f"model:{server.url}", task, settings)
        result = run_task(task, system, task.examples(shared_data() / CHEMDFM), tmp_path, 8)
    finally:
        server.close()
    assert result.n == 152 and result.failed == 0
    assert result.metrics["accuracy"] == pytest.approx(92 / 152)
    assert result.metrics["roc_auc"] == pytest.approx(0.5)
    # the request carried the authors' prompt, ending with the molecule
    assert server.requests[0]["messages"][-1]["content"].rstrip().endswith("BACE-1 Inhibit:")


@pytest.mark.parametrize(
    ("task_name", "tool", "floor"),
    [("smiles-to-formula", "tool:rdkit", 1.0), ("iupac-to-formula", "tool:opsin", 0.8)],
)
def test_tool_systems_smoke(task_name, tool, floor, tmp_path, settings):
    task = get_task(task_name)
    result = run_task(
        task, get_system(tool, task, settings), task.examples(data_for(task_name))[:5], tmp_path
    )
    assert result.n == 5 and result.metrics["accuracy"] >= floor


def test_model_preset_names_how_the_configured_server_is_prompted(settings):
    server = ScriptedHTTP([(200, chat_reply("C2H6O"))])
    try:
        llm = settings.llm.model_copy(update={"url": server.url})
        system = get_system("model:chemdfm-v1.0-13b", get_task("smiles-to-formula"),
                            settings.model_copy(update={"llm": llm}))  # fmt: skip
        assert system.model.preset.name == "chemdfm-v1.0-13b"
    finally:
        server.close()


def test_a_tool_that_does_not_fit_the_task_says_which_do(settings):
    with pytest.raises(SystemError_, match="tool:osra \\(ocsr-\\*\\)"):
        get_system("tool:osra", get_task("smiles-to-formula"), settings)
    with pytest.raises(SystemError_, match="no model configured"):
        get_system("model", get_task("smiles-to-formula"), settings)


@pytest.mark.slow
def test_cli_eval_ocsr_with_osra_prints_json(tmp_path, chemagent_home):
    r = run_cli(
        "eval", "ocsr-uob", "--system", "tool:osra", "--limit", "5", "--json",
        "--out", str(tmp_path), env_home=chemagent_home,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    (res,) = json.loads(r.stdout)
    assert res["task"] == "ocsr-uob" and res["n"] == 5 and res["failed"] == 0
    assert res["metrics"]["inchi_accuracy"] >= 0.8
    assert (tmp_path / "report.md").is_file()
    listed = run_cli("eval", "--list", env_home=chemagent_home)
    assert "retrosynthesis" in listed.stdout and "ocsr-uob" in listed.stdout


def test_predictors_on_the_property_sets(tmp_path, settings):
    task = get_task("property-clintox")
    system = get_system("tool:predict", task, settings)
    result = run_task(task, system, task.examples(shared_data() / CHEMDFM), tmp_path)
    assert result.failed <= 3  # a few ClinTox SMILES do not parse in RDKit
    assert 0.7 < result.metrics["roc_auc"] <= 1.0


@pytest.fixture(scope="module")
def tiny_llm(tmp_path_factory):
    from models.tiny import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-eval"))


@pytest.mark.slow
def test_every_task_runs_against_the_tiny_model(tiny_llm, tmp_path, settings):
    """Plumbing: each task's prompts go through a real (random) model and get scored; nonsense
    scores zero instead of crashing, and a text model given images fails that example clearly."""
    from evals.systems import ModelSystem
    from models.backends.transformers_local import TransformersChatModel

    system = ModelSystem(TransformersChatModel.from_pretrained(tiny_llm), "model:tiny", 24)
    for name, task in all_tasks().items():
        if name.startswith("moleculenet-") or name == "literature-recall":
            continue  # tool:predict / tool:search_literature only (tests below)
        result = run_task(task, system, task.examples(data_for(name))[:5], tmp_path)
        assert result.n == 5, name
        if name.startswith("ocsr"):
            assert result.failed == 5  # a text model cannot take images, and says so
            rec = json.loads(
                predictions_path(tmp_path, name, system.name).read_text().splitlines()[0]
            )
            assert "text model" in rec["error"]
        else:
            assert result.failed == 0, name
            bounded = {k: v for k, v in result.metrics.items() if k != "levenshtein"}
            assert all(0.0 <= v <= 1.0 for v in bounded.values()), (name, result.metrics)


def test_design_scores_follow_molt5():
    """Exact by InChI, fingerprint similarity over valid answers only, BLEU over the corpus."""
    task = get_task("molecule-design")
    exs = task.examples(shared_data() / CHEMDFM)[:2]
    ref0 = exs[0].reference[0]
    preds = [ref0, "C1CC("]  # right, and not a molecule
    records = [
        {
            "id": e.id,
            "ok": True,
            "prediction": p,
            "reference": e.reference,
            "scores": task.score(p, e),
        }
        for e, p in zip(exs, preds, strict=True)
    ]
    s = task.summarize(records)
    assert s["exact"] == 0.5 and s["valid"] == 0.5
    assert s["morgan_tanimoto"] == 1.0 and s["maccs_tanimoto"] == 1.0  # the invalid one is left out
    assert s["levenshtein"] == pytest.approx(
        (0 + __import__("evals.metrics").metrics.levenshtein("C1CC(", exs[1].reference[0])) / 2
    )
    assert 0 < s["bleu"] < 1


def test_moleculenet_tasks_score_the_predictors_on_the_scaffold_test_split(tmp_path, settings):
    """The task scores the shipped BACE model on its scaffold test split: its ROC-AUC is the one
    the loaded model gives on that split on this machine. (How far that figure may move from
    the card's, which another machine computed, is test_predict.py's measured tolerance; a
    fixed 2e-3 here was not measured.)"""
    import numpy as np

    from tools.predict.endpoints import catalogue
    from tools.predict.metrics import mean_auc
    from tools.predict.model import load_model
    from tools.predict.train import load_dataset

    task = get_task("moleculenet-bace")
    result = run_task(
        task,
        get_system("tool:predict", task, settings),
        task.examples(data_for(task.name)),
        tmp_path,
    )
    assert result.n == 152  # OGB's BACE scaffold test split
    model = load_model("bace")
    data = load_dataset(catalogue().get("bace"), data_for(task.name))
    test = data.split.test
    probs = model.probabilities(model.featurize([Chem.MolFromSmiles(data.smiles[i]) for i in test]))
    # The tool answers one molecule at a time with probabilities to 4 decimals. On one machine
    # the batch and one-at-a-time probabilities were identical (largest difference 0); should a
    # rounding step still flip, it reorders a pair or two of the 81 x 71 pairs (1.7e-4 each).
    expected = mean_auc(data.labels[test], np.round(probs, 4))
    assert result.metrics["roc_auc"] == pytest.approx(expected, abs=1e-3)
    with pytest.raises(SystemError_, match="property-bace"):
        get_system("agent", task, settings)


def test_scieval_and_pubmedqa_scoring():
    sci = get_task("scieval-chemistry")
    exs = sci.examples(data_for(sci.name))
    mc = next(e for e in exs if str(e.group).startswith("multiple-choice"))
    fill = next(e for e in exs if str(e.group).startswith("filling"))
    right = mc.reference[0]
    assert sci.score(f"{right}. because", mc)["accuracy"] == 1.0
    assert sci.score(f"The answer is {right}", mc)["accuracy"] == 0.0  # first character only
    assert sci.score(f"I would use {fill.reference[0]} here", fill)["accuracy"] == 1.0
    assert len(exs) == 798
    pq = get_task("pubmedqa")
    qs = pq.examples(data_for(pq.name))
    assert len(qs) == 500
    recs = [
        {"prediction": "yes", "reference": "yes"},
        {"prediction": "Maybe.", "reference": "no"},
        {"prediction": "no", "reference": "no"},
        {"prediction": "unsure", "reference": "maybe"},
    ]
    s = pq.summarize(recs)
    # accuracy 2/4; F1 yes 1, no 2/3 (tp 1, fn 1), maybe 0 (fp 1, fn 1) -> macro (1 + 2/3) / 3
    assert s["accuracy"] == 0.5 and s["macro_f1"] == pytest.approx((1 + 2 / 3) / 3)


def _score_all(task, answer: str) -> dict[str, float]:
    exs = task.examples(data_for(task.name))
    recs = [
        {"id": e.id, "ok": True, "group": e.group, "prediction": answer, "reference": e.reference,
         "scores": task.score(answer, e)}
        for e in exs
    ]  # fmt: skip
    return task.summarize(recs)


def test_llmbench_scoring_against_counts_in_the_manifest():
    # BACE_test.csv: 36 positives of 100, so answering "Yes" to everything is 36% right, with
    # precision 0.36 and recall 1: F1 = 2 * 36 / (2 * 36 + 64) = 72/136
    yes = _score_all(get_task("llmbench-bace"), "Yes")
    assert yes["accuracy"] == pytest.approx(0.36)
    assert yes["f1"] == pytest.approx(72 / 136)
    assert _score_all(get_task("llmbench-bace"), "No")["f1"] == 0.0
    # BH yield: 20 Yes / 80 No
    assert _score_all(get_task("llmbench-yield-bh"), "No")["accuracy"] == pytest.approx(0.80)


def test_selection_scorers_use_the_yield_ranking():
    lig = get_task("llmbench-ligand-selection")
    ex = lig.examples(data_for(lig.name))[0]
    ranked = ex.reference
    assert lig.score(ranked[0], ex)["accuracy"] == 1.0
    assert lig.score(ranked[len(ranked) // 2 - 1], ex)["accuracy"] == 1.0  # still the top half
    assert lig.score(ranked[-1], ex)["accuracy"] == 0.0
    sol = get_task("llmbench-solvent-selection")
    ex = sol.examples(data_for(sol.name))[0]
    assert sol.score(ex.reference[0], ex)["accuracy"] == 1.0
    assert sol.score(ex.reference[1], ex)["accuracy"] == 0.0  # only the best counts


@pytest.mark.slow
def test_literature_recall_over_a_small_real_index(tmp_path, settings):
    """Index the papers of the first questions (real MiniLM, FAISS, FTS5), run the task, and
    check its recall against evals.retrieval's rule applied directly to the same search."""
    from evals.retrieval import first_hit_rank, load_questions
    from tools.literature.index import LiteratureIndex

    folder = data_for("literature-recall")
    task = get_task("literature-recall")
    examples = task.examples(folder)[:6]
    docs = sorted({e.reference["doc_id"] for e in examples})
    settings = settings.model_copy(
        update={
            "literature": settings.literature.model_copy(update={"index_dir": tmp_path / "idx"})
        }
    )
    with LiteratureIndex(settings.literature_dir, settings.literature) as index:
        index.add([folder / "full-text" / d for d in docs])
        direct = [
            first_hit_rank(q, [(h.doc_id, h.text) for h in hits])
            for q, hits in zip(
                load_questions(folder / "questions.dev.csv")[:6],
                index.search_many([e.input for e in examples], k=10),
                strict=True,
            )
        ]
    result = run_task(
        task, get_system("tool:search_literature", task, settings), examples, tmp_path
    )
    assert result.n == 6 and result.failed == 0
    want = sum(r is not None and r <= 5 for r in direct) / 6
    assert result.metrics["recall@5"] == pytest.approx(want)
    with pytest.raises(SystemError_, match="tool:search_literature"):
        get_system("agent", task, settings)


def test_report_plot_only_where_there_is_an_roc_auc(tmp_path):
    from evals.report import markdown, plot
    from evals.runner import RunResult

    roc = RunResult(task="moleculenet-bace", system="tool:predict", n=152, failed=0,
                    metrics={"roc_auc": 0.833}, predictions="x")  # fmt: skip
    other = RunResult(task="smiles-to-formula", system="tool:rdkit", n=100, failed=0,
                      metrics={"accuracy": 1.0}, predictions="y")  # fmt: skip
    assert plot([other], tmp_path / "none.png") is None and not (tmp_path / "none.png").exists()
    png = plot([roc, other], tmp_path / "r.png")
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = markdown([roc, other])
    assert "| ours (tool:predict) | 83.3 |" in table and "| ChemDFM-13B | 78.4 |" in table


@pytest.mark.parametrize("endpoint", ["bace", "bbbp", "clintox", "hiv"])
def test_chemdfm_property_molecules_are_not_in_the_predictors_training_set(endpoint):
    """The README compares the predictors on the ChemDFM authors' property files; a model
    refitted on our validation split would have seen some of their molecules."""
    from rdkit import RDLogger

    from tools.predict.model import load_model

    RDLogger.DisableLog("rdApp.*")
    training = set(load_model(endpoint).training.smiles)
    task = get_task(f"property-{endpoint}")
    seen = []
    for ex in task.examples(data_for(task.name)):
        mol = Chem.MolFromSmiles(ex.input or "")
        if mol is not None and Chem.MolToSmiles(mol) in training:
            seen.append(ex.input)
    assert not seen, f"{len(seen)} of their molecules were trained on, e.g. {seen[:3]}"
