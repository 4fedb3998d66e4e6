"""Fine-tuning the literature embedding model (training/embedder.py) and the pairs it is
fine-tuned on for the ChemLit-QA variant (evals.chemlit.embedder_pairs)."""

from __future__ import annotations

import numpy as np
import pytest

from evals.chemlit import embedder_pairs, load
from tests.conftest import shared_data
from tools.literature.embeddings import Embedder
from training.embedder import Pair, finetune_embedder

PAIRS = [
    Pair("Which ligand sped up the oxidative addition?", "SPhos accelerated oxidative addition of the aryl chloride to Pd(0)."),
    Pair("What solvent gave the best ee?", "In 2-MeTHF the enantiomeric excess reached its highest value."),
    Pair("How was the zeolite activated?", "The ZSM-5 sample was calcined in air before the cracking runs."),
    Pair("Why did the polymer turn yellow?", "Discoloration of the polyamide came from thermo-oxidative chain scission."),
    Pair("What limited the battery's cycle life?", "Capacity fade was traced to lithium plating on the graphite anode."),
    Pair("Which catalyst reduced CO2 to methanol?", "Cu/ZnO/Al2O3 converted carbon dioxide and hydrogen into CH3OH."),
]  # fmt: skip


def margin(embedder: Embedder) -> float:
    """Mean cosine of each question to its own passage less its mean to the others."""
    q = embedder.encode([p.question for p in PAIRS])
    d = embedder.encode([p.passage for p in PAIRS])
    sim = q @ d.T
    own = float(np.mean(np.diag(sim)))
    other = float((sim.sum() - np.trace(sim)) / (sim.size - len(PAIRS)))
    return own - other


@pytest.mark.slow
def test_fine_tuning_pulls_questions_toward_their_passages_and_saves_a_loadable_model(tmp_path):
    before = margin(Embedder())
    folder = finetune_embedder(
        PAIRS, tmp_path / "tuned", epochs=4, batch_size=6, learning_rate=1e-4
    )
    tuned = Embedder(str(folder))
    assert tuned.dimension == 384
    assert margin(tuned) > before + 0.05


def test_too_few_pairs_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="at least two"):
        finetune_embedder(PAIRS[:1], tmp_path / "x")


def test_the_fine_tuning_pairs_hold_no_report_question_nor_a_benchmark_passage_outside_tuning():
    folder = shared_data() / "literature" / "chemlit_qa"
    docs, questions = load(folder)
    pairs = embedder_pairs(folder)
    asked = {q for q, _, _ in pairs}
    assert not asked & {q.question for q in questions if q.part == "report"}
    tune_gold = {docs[q.gold] for q in questions if q.part == "tune"}
    benchmark = set(docs.values())
    # A benchmark passage is a positive only as a tuning question's own gold passage.
    assert all(p in tune_gold for _, p, _ in pairs if p in benchmark)
    assert sum(1 for _, _, n in pairs if n) == sum(1 for q in questions if q.part == "tune")
    assert len(pairs) > 300
