"""The chemistry model's knowledge as tools: voted, checked by RDKit, and shown as unverified."""

from __future__ import annotations

import pytest

from tests.test_llm_planner import Scripted
from tools.base import ToolError, ToolRegistry
from tools.model.tools import ModelTools, new_elements, vote


def _tools(replies: list[str], samples: int = 3) -> ToolRegistry:
    return ToolRegistry(ModelTools(Scripted(replies), "ChemDFM", samples).tools())


def test_vote_counts_the_same_structure_written_differently_and_skips_invalid():
    best, share, invalid = vote(["OCC", "C(O)C is ethanol", "C1CC"], limits=None)  # type: ignore[arg-type]
    assert best == "CCO" and share == pytest.approx(2 / 3)
    assert invalid == ["C1CC"]


def test_predicted_product_is_canonical_with_its_agreement_and_marked_unverified():
    reg = _tools(["CC(=O)OC", "COC(C)=O", "CCO"])
    r = reg.get("predict_reaction").run({"reactants": ["CC(=O)O", "CO"]})
    assert r.data["product"] == "COC(C)=O" and r.data["agreement"] == 0.67
    assert r.data["elements_ok"] and r.data["model_calls"] == 3
    assert r.summary.startswith("ChemDFM (not verified by a tool) predicts CC(=O)O.CO>>COC(C)=O")


def test_atoms_from_nowhere_are_reported():
    assert new_elements(["CC(=O)O", "CO"], "CC(=O)Cl", limits=None) == ["Cl"]  # type: ignore[arg-type]
    r = _tools(["ClCCl"] * 3).get("predict_reaction").run({"reactants": ["CCO"]})
    assert not r.data["elements_ok"] and "Cl appear from nowhere" in r.summary


def test_no_valid_structure_in_any_sample_is_an_error_not_a_result():
    with pytest.raises(ToolError, match="no valid product in 3 samples"):
        _tools(["banana", "C1CC", "???"]).get("predict_reaction").run({"reactants": ["CCO"]})


def test_retrosynthesis_reports_an_element_no_reactant_brings():
    r = _tools(["CC(=O)O.OC"] * 2, samples=2).get("retrosynthesis").run({"smiles": "CC(=O)OCCl"})
    assert r.data["reactants"] == ["CC(=O)O", "CO"] and "no reactant brings Cl" in r.summary


def test_pka_question_is_answered_by_the_model_marked_as_not_verified():
    from agent import Assistant

    model = Scripted(["The pKa of acetic acid is about 4.76."])
    with Assistant(llm=model) as a:
        ans = a.ask("What is the pKa of acetic acid?")
    assert "Not available: pKa" in ans.text  # still said: no tool computes it
    assert "ChemDFM (not verified by a tool): The pKa of acetic acid is about 4.76." in ans.text
    assert any(s.tool == "ask_chemistry_model" for s in ans.steps)
    assert len(model.calls) == 1  # understood by the rules: the model only answers, never plans
    assert ans.usage == {"plans_by_rules": 2, "model_calls": 1}


def test_a_model_proposed_schedule_1_structure_is_withheld():
    from agent.deps import Deps
    from agent.nodes.screen import screen_resolved
    from agent.settings import get_settings

    sarin = "CC(C)OP(C)(=O)F"
    ev = {
        "ok": True,
        "call": {"tool": "design_molecule", "args": {"description": "x"}},
        "data": {"smiles": sarin},
    }
    deps = Deps.from_settings(get_settings())
    try:
        assert screen_resolved("design a molecule", [ev], [], deps).get("refusal")
    finally:
        deps.close()


def test_model_tools_are_offered_only_with_a_model():
    from agent.deps import Deps
    from agent.settings import get_settings

    plain = Deps.from_settings(get_settings())
    withm = Deps.from_settings(get_settings(), llm=Scripted([]))
    try:
        assert "predict_reaction" not in plain.registry
        assert {"ask_chemistry_model", "predict_reaction", "design_molecule"} <= set(
            withm.registry.names()
        )
    finally:
        plain.close()
        withm.close()
