"""The LLM writer's post-check: what an answer may cite, write and claim."""

from __future__ import annotations

import json
import re

import pytest

from agent.state import Evidence, ToolCall
from agent.writer import (
    LLMWriter,
    Statement,
    Statements,
    WriterRejected,
    answer_schema,
    check_statements,
    observations,
)


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


def _reply(*statements: tuple[str, list[int]]) -> Statements:
    return Statements(statements=[Statement(text=t, cites=c) for t, c in statements])


FORMULA = _ev("c3", "molecular_formula", "C2H6O", formula="C2H6O")
ALL = [*EVIDENCE, FORMULA]


def test_statements_are_rendered_with_their_markers_and_keep_only_used_citations():
    _, cites = observations(ALL)
    text, kept = check_statements(
        _reply(
            ("Ethanol weighs 46.07 g/mol.", [1]),
            ("Its formula is C2H6O [3].", [3]),  # a marker the model wrote itself is replaced
            ("Its logP is -0.001.", [2]),
        ),
        cites,
        ALL,
    )
    assert (
        text == "Ethanol weighs 46.07 g/mol. [1] Its formula is C2H6O. [3] Its logP is -0.001. [2]"
    )
    assert [c.number for c in kept] == [1, 2, 3]


@pytest.mark.parametrize(
    ("statement", "cites", "reason"),
    [
        # a number copied from another observation than the one cited
        ("Ethanol weighs 46.07 g/mol.", [2], "number 46.07, not found in its cited"),
        # an invented formula, cited to a result that has none (the audit's caffeine case)
        ("Caffeine is C9H12N4O3.", [1], "formula C9H12N4O3"),
        ("Its formula is C₂H₆O.", [1], "formula C₂H₆O"),
        ("Ethanol, C1CC, weighs 46.07.", [1], "SMILES C1CC (RDKit cannot parse it)"),
        ("It is the same as c1ccccc1O.", [1], "SMILES c1ccccc1O"),
        ("Its key is LFQSCWFLJHTTHZ-UHFFFAOYSA-N.", [1], "InChIKey LFQSCWFLJHTTHZ"),
        # a part of a cited value is not that value
        ("Its formula is C2H6.", [3], "formula C2H6,"),
        ("It is the same as CCOC.", [1], "SMILES CCOC"),
        ("It boils at 78.4 °C.", [], "number 78.4, not found in any observation (it cites none)"),
        ("Ethanol weighs 46.07 g/mol.", [9], "cites [9], which names no observation"),
    ],
)
def test_a_statement_saying_what_its_citations_do_not_is_rejected(statement, cites, reason):
    _, numbered = observations(ALL)
    with pytest.raises(WriterRejected, match=re.escape(reason)):
        check_statements(_reply((statement, cites)), numbered, ALL)


def test_numbers_copied_exactly_from_the_cited_result_pass_with_any_spelling():
    _, cites = observations(ALL)
    text, _ = check_statements(
        _reply(("Ethanol: MW 46.07 g/mol, logP -0.001, formula C₂H₆O, SMILES OCC.", [1, 2, 3])),
        cites,
        ALL,
    )
    assert text.endswith("[1][2][3]")


def test_an_answer_leaving_out_a_result_is_rejected_naming_it():
    _, cites = observations(ALL)
    with pytest.raises(WriterRejected, match=r"leaves out the results \[2\] descriptors$"):
        check_statements(
            _reply(("Ethanol weighs 46.07 g/mol.", [1]), ("It is C2H6O.", [3])), cites, ALL
        )


def test_schema_citations_are_an_enum_of_the_observation_numbers():
    schema = answer_schema([1, 2, 3])
    item = schema["properties"]["statements"]["items"]
    assert item["properties"]["cites"]["items"] == {"enum": [1, 2, 3]}
    assert schema["properties"]["statements"]["maxItems"] >= 1


def test_a_rejected_answer_is_sent_back_once_with_the_problem_then_accepted():
    from tests.test_llm_planner import Scripted

    bad = json.dumps({"statements": [{"text": "Caffeine is C9H12N4O3.", "cites": [1]}]})
    good = json.dumps({"statements": [{"text": "Ethanol weighs 46.07 g/mol.", "cites": [1]}]})
    model = Scripted([bad, good])
    written = LLMWriter(model).write("MW of ethanol?", EVIDENCE[:1])
    assert written.text == "Ethanol weighs 46.07 g/mol. [1]"
    assert "formula C9H12N4O3" in model.calls[1][0][-1].content
    assert written.usage == {"model_calls": 2, "writer_repairs": 1, "writer_accepted": 1}


def test_rejected_answer_is_replaced_by_the_template_answer():
    from agent import Assistant
    from tests.test_llm_planner import Scripted

    bad = json.dumps({"statements": [{"text": "It is 99.", "cites": [1]}]})
    model = Scripted([bad, bad])
    with Assistant({"agent": {"writer": "llm"}}, llm=model) as a:
        ans = a.ask("What is the molecular weight of CCO?")
    assert "46.07 g/mol [1]" in ans.text and "99" not in ans.text.split("Warnings:")[0]
    assert any("number 99" in w and "templates" in w for w in ans.warnings)
    assert ans.usage == {
        "plans_by_rules": 2,
        "model_calls": 2,
        "writer_repairs": 1,
        "writer_rejected": 1,
    }


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


def test_template_answer_skips_empty_fields_and_says_a_formula_once():
    from agent.templates import write_findings

    def ev(id_: str, tool: str, **data) -> Evidence:
        call = ToolCall(id=id_, tool=tool, args={"smiles": "CCO"}, label="ethanol")
        return Evidence(id=id_, call=call, ok=True, summary=tool, data=data)

    text, _ = write_findings(
        [
            ev("c1", "name_from_smiles", query="CCO", name="ethanol", cid=None, formula=None,
               cached=False, note=None),
            ev("c2", "molecular_formula", formula="C2H6O"),
            ev("c3", "pubchem_compound", formula="C2H6O", cid=702),
        ],
        [],
    )  # fmt: skip
    assert "None" not in text and "cached" not in text and "query" not in text
    assert text.count("C2H6O") == 1 and "702 [3]" in text
