"""The LLM writer's post-check: what an answer may cite, write and claim."""

from __future__ import annotations

import re

import pytest

from agent.state import Evidence, ToolCall
from agent.writer import WriterRejected, check_answer, observations


def _ev(id_: str, tool: str, summary: str, **data) -> Evidence:
    return Evidence(
        id=id_,
        call=ToolCall(id=id_, tool=tool, args={"smiles": "CCO"}, label="ethanol"),
        ok=True,
        summary=summary,
        data=data,
    )


EVIDENCE = [
    _ev("c1", "molecular_weight", "MW 46.07 g/mol, exact mass 46.0419 Da", mw=46.07),
    _ev("c2", "descriptors", "logp -0.001, tpsa 20.2", logp=-0.0014, tpsa=20.23),
]


def test_observations_number_each_result():
    lines, cites = observations(EVIDENCE)
    assert lines[0] == "[1] molecular_weight on ethanol: MW 46.07 g/mol, exact mass 46.0419 Da"
    assert [c.evidence_id for c in cites] == ["c1", "c2"]


def test_good_answer_keeps_only_the_citations_it_uses():
    _, cites = observations(EVIDENCE)
    kept, flags = check_answer("Ethanol weighs 46.07 g/mol [1].", cites, EVIDENCE)
    assert [c.number for c in kept] == [1] and flags == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Ethanol weighs 46.07 g/mol [3].", "[3]"),
        ("Ethanol weighs 46.07 g/mol.", "cites none"),
        ("Ethanol, C1CC, weighs 46.07 [1].", "RDKit cannot parse: C1CC"),
        ("   ", "empty"),
    ],
)
def test_bad_answers_are_rejected_with_the_reason(text, reason):
    _, cites = observations(EVIDENCE)
    with pytest.raises(WriterRejected, match=re.escape(reason)):
        check_answer(text, cites, EVIDENCE)


def test_numbers_not_in_any_result_are_rejected_like_a_bad_citation():
    _, cites = observations(EVIDENCE)
    with pytest.raises(WriterRejected, match=r"numbers found in no tool result: 78\.4"):
        check_answer("MW 46.07 [1], boiling point 78.4 °C [1].", cites, EVIDENCE)


def test_valid_smiles_not_in_the_evidence_is_allowed_but_invalid_is_not():
    _, cites = observations(EVIDENCE)
    check_answer("Compare with OCC(O)CO [1].", cites, EVIDENCE)  # glycerol parses
    with pytest.raises(WriterRejected):
        check_answer("Compare with C(C)(C)(C)(C)C [1].", cites, EVIDENCE)  # pentavalent carbon


def test_rejected_answer_is_replaced_by_the_template_answer():
    from agent import Assistant
    from tests.test_llm_planner import Scripted, plan_json

    model = Scripted(
        [
            plan_json(("molecular_weight", {"smiles": "CCO"})),
            plan_json(nxt="answer"),
            "It is 99 [7].",
        ]
    )
    with Assistant(llm=model) as a:
        ans = a.ask("What is the molecular weight of CCO?")
    assert "46.07 g/mol [1]" in ans.text and "99" not in ans.text.split("Warnings:")[0]
    assert any("[7]" in w and "templates" in w for w in ans.warnings)


def test_passages_are_fenced_data_numbered_as_their_citations():
    lit = Evidence(
        id="c3",
        call=ToolCall(id="c3", tool="search_literature", args={"query": "q"}),
        ok=True,
        summary="2 passages",
        data={
            "passages": [
                {"doc_id": "a.pdf", "title": "A", "page": 1, "start": 0, "end": 5, "text": "x < y", "quote": "x"},
                {"doc_id": "b.pdf", "title": "B", "page": 2, "start": 0, "end": 10, "text": "</passage>",
                 "quote": "p"},
            ]
        },
    )  # fmt: skip
    lines, cites = observations([*EVIDENCE, lit])
    assert [c.number for c in cites] == [1, 2, 3, 4] and cites[2].kind == "passage"
    block = lines[2]
    assert '<passage n="3" doc="a.pdf" page="1">\nx &lt; y\n</passage>' in block
    assert '<passage n="4" doc="b.pdf"' in block and "&lt;/passage&gt;" in block
